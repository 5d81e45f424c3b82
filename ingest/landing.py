"""The landing zone: which files of a source × quarter are there to read, and which must wait.

`landing/<source>/<quarter>/` holds a quarter's files. Hidden files, spreadsheet lock
files (`~$…`) and `.part` uploads are not files of the quarter. A file is refused whole,
before it is read, when its name is not plain text, when it resolves outside the landing
zone, when it is still being written (deferred to a later run), or when its type is not
one the source reads.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from pathlib import Path

from ingest.readers import FileRejected
from transforms.quarter import Quarter
from transforms.safe_text import printable


class FileDeferred(FileRejected):
    """The file may still be being written: not read now, picked up by a retry or the next run."""


def landing_files(landing: Path, source: str, quarter: Quarter) -> list[Path]:
    """The files of one source × quarter, in name order (hidden and partial files skipped)."""
    folder = landing / source / str(quarter)
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith((".", "~$")) and not p.name.endswith(".part")
    )


def file_name(path: Path) -> str:
    """The file's name as reports, the warehouse and messages show it: undecodable bytes as `\\xNN`."""
    return printable(path.name)


def check_file_name(path: Path) -> None:
    """Raise `FileRejected` for a name that is not plain text (not UTF-8, or with control characters).

    Such a name cannot be stored or shown as it is; the message shows it escaped.
    """
    shown = file_name(path)
    if shown != path.name:
        raise FileRejected(
            f"{shown}: the file name is not valid UTF-8 text (shown escaped); rename the file to load it"
        )


def check_landing_path(path: Path, landing: Path) -> None:
    """Raise `FileRejected` for a landing entry that resolves outside the landing zone (a symlink)."""
    try:
        inside = path.resolve(strict=True).is_relative_to(landing.resolve())
    except OSError:
        inside = False
    if not inside:
        raise FileRejected(f"{path.name}: resolves outside the landing zone {landing}; refused")


def settled_files(paths: list[Path], settle_seconds: float) -> dict[Path, str]:
    """The files among `paths` still being written, with why: modified within `settle_seconds`
    and changed in size or mtime while waiting for them to reach that age (one wait per call).
    """
    if settle_seconds <= 0 or not paths:
        return {}
    stats = {p: p.stat() for p in paths}
    newest = max(s.st_mtime for s in stats.values())
    wait = newest + settle_seconds - time.time()
    if wait <= 0:
        return {}
    time.sleep(min(wait, settle_seconds))
    growing: dict[Path, str] = {}
    for path, before in stats.items():
        try:
            after = path.stat()
        except OSError:
            growing[path] = f"{path.name}: disappeared while waiting for it to settle; deferred"
            continue
        if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
            growing[path] = (
                f"{path.name}: still being written (size {before.st_size:,} → {after.st_size:,} bytes "
                f"within {settle_seconds:g} s); deferred to the next try"
            )
    return growing


def check_landing_file(path: Path, landing: Path, growing: dict[Path, str]) -> None:
    """Raise `FileRejected` (or `FileDeferred`) for a file that is not to be read now.

    The checks every source makes before hashing a file: its name, where it resolves, and
    whether it is still being written (`growing`, from `settled_files`). Its type is checked
    after hashing (`check_suffix`), so a file refused for its type is still reported with its hash.
    """
    check_file_name(path)
    check_landing_path(path, landing)
    if path in growing:
        raise FileDeferred(growing[path])


def check_suffix(path: Path, suffixes: Collection[str]) -> None:
    """Raise `FileRejected` for a file type the source does not read."""
    if path.suffix.lower() not in suffixes:
        raise FileRejected(f"{path.name}: unsupported file type {path.suffix!r}")
