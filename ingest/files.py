"""Files written whole or not at all.

A reader of a file this project writes (a landing file, a report, a lock owner) must
never see half of it, and a writer that dies must not leave half a file under the
final name. So every such file is written to a hidden temporary file beside it (the
landing-zone readers skip hidden files), flushed to disk, and renamed over the final
name in one step. A failed write removes its temporary file and leaves the previous
file as it was.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


def temporary_path(path: Path) -> Path:
    """The hidden file beside `path` that one process writes before renaming it over `path`."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


@contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """A binary file to write in parts; on a clean exit it replaces `path` whole.

    Creates `path`'s folder. On an exception inside the block nothing changes at `path`
    and the temporary file is gone.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_path(path)
    try:
        with temporary.open("wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_atomically(path: Path, data: bytes | str, *, encoding: str = "utf-8") -> Path:
    """Write `data` (text is encoded, line ends kept as given) to `path` whole; return `path`."""
    path = Path(path)
    with atomic_file(path) as fh:
        fh.write(data.encode(encoding) if isinstance(data, str) else data)
    return path
