"""One writer at a time on the working warehouse, across threads and processes.

DuckDB lets one process open a database file for writing, and a second process that
tries gets an error instead of a turn. So every step that opens the working warehouse
(reference dims, a quarter's load and marts, publish), and the `status` and
`quarantine` commands while they read it, do so inside `warehouse_lock`:
a second writer, such as the scheduled refresh arriving during a manual backfill,
waits for its turn, says whom it waits for, and gives up with `WarehouseBusy` after
the timeout. The lock is held per step, never for a whole backfill, so two runs
interleave their quarters; every step leaves the marts consistent with core.

The lock is an OS file lock (released by the OS if its holder dies) on
`<warehouse>.lock`; `<warehouse>.owner` says who took it last, for the messages.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout


class WarehouseBusy(RuntimeError):
    """Another writer held the warehouse for longer than the lock timeout."""


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".lock")


def owner_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".owner")


def describe_owner(warehouse: Path) -> str:
    """Who took the lock last: what it was doing, its process id and host, and since when."""
    try:
        owner = json.loads(owner_path(warehouse).read_text("utf-8"))
    except (OSError, ValueError):
        return "another writer"
    purpose, pid, host, since = (owner.get(k, "?") for k in ("purpose", "pid", "host", "since"))
    return f"{purpose} (pid {pid} on {host}, since {since})"


@contextmanager
def warehouse_lock(
    warehouse: Path,
    *,
    purpose: str,
    timeout: float,
    log: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the warehouse's write lock for the body; wait at most `timeout` seconds for it.

    `purpose` says what the holder does ("backfill 2020Q1..2021Q4: load 2020Q3") and
    shows in the message of anyone waiting. `log` gets one line when the lock is busy.
    """
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(lock_path(warehouse), thread_local=False)
    try:
        lock.acquire(blocking=False)
    except Timeout:
        if log is not None:
            log(
                f"warehouse {warehouse} is busy: {describe_owner(warehouse)}; "
                f"waiting up to {timeout:g} s for it"
            )
        started = time.monotonic()
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            raise WarehouseBusy(
                f"gave up after {time.monotonic() - started:.0f} s waiting for the warehouse {warehouse}: "
                f"still held by {describe_owner(warehouse)}. Wait for it to finish, or raise "
                "COSTTRENDS_LOCK_TIMEOUT_SECONDS to wait longer."
            ) from None
    try:
        _write_owner(warehouse, purpose)
        yield
    finally:
        lock.release()


def _write_owner(warehouse: Path, purpose: str) -> None:
    """Say who holds the lock, in `<warehouse>.owner`, written to a temp file and renamed.

    Called with the lock held, so every other `<warehouse>.owner.<pid>.tmp` is a leftover
    of a writer that failed or died while writing it: removed here. A failure to write
    (a full disk) removes its own temp file and says which file it could not write.
    """
    owner = {
        "purpose": purpose,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    target = owner_path(warehouse)
    for stale in target.parent.glob(f"{target.name}.*.tmp"):
        stale.unlink(missing_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        partial.write_text(json.dumps(owner), "utf-8")
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise OSError(exc.errno, f"could not write the lock owner file {target}: {exc.strerror}") from exc
