"""Prepare ahead, write in order: the schedule both refresh flows run their quarters on.

Keys (quarters) are prepared concurrently, by whatever `start` hands the work to, and
written one at a time in the order given, because the warehouse has one writer and a
quarter's marts build on the quarters before it. At most `ahead + 1` keys are in flight:
the one being written and up to `ahead` being prepared, so memory stays bounded however
many keys there are. A key's preparation finishes in pieces (futures, or anything else
with `add_done_callback`); each piece is settled on the caller's thread, in the order
the pieces finish, whichever key they belong to.

The run stops at the first key, in key order, whose preparation or write failed: the
keys before it are written, it and the keys after it are not. Plain Python, no Prefect:
`flows/quarterly_refresh.py` wires it to Prefect's task runner and tasks.
"""

from __future__ import annotations

import queue
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar


class Piece(Protocol):
    """Part of a key's preparation that calls back once it has finished, as futures do."""

    def add_done_callback(self, fn: Callable[[Any], None], /) -> None: ...


K = TypeVar("K", bound=Hashable)
P = TypeVar("P", bound=Piece)
W = TypeVar("W")


class PrepareFailed(Exception):
    """Raised by `settle` for a piece that failed: its key is not written and the run stops at it."""


@dataclass
class WindowReport(Generic[K]):
    """What a run did: the keys written, in order, and the key it stopped at, if any."""

    written: list[K] = field(default_factory=list)
    failed: K | None = None
    # Why: the first `PrepareFailed` of the key's pieces, or the write's exception.
    error: str | None = None
    # True when the write failed: part of it may have been done.
    failed_in_write: bool = False
    # The keys after the failed one, never written (some may have been prepared).
    not_reached: list[K] = field(default_factory=list)


def write_in_order(
    keys: Sequence[K],
    *,
    ahead: int,
    start: Callable[[K], Iterable[P]],
    settle: Callable[[K, P], None],
    write: Callable[[K], W],
    written: Callable[[K, W], None] | None = None,
) -> WindowReport[K]:
    """Prepare up to `ahead` keys ahead of the one being written; write each key in the order of `keys`.

    `start(key)` begins preparing a key and returns its pieces. `settle(key, piece)` is
    called for every finished piece, on this thread; it raises `PrepareFailed` for a piece
    that failed (the first such message of a key is its error). Once every piece of the
    next key in order is settled without failure, `write(key)` writes it; an exception
    from it fails the key. `written(key, result)` then reports the write, before the
    next key is started; exceptions from `settle` other than `PrepareFailed`, and from
    `written`, end the run by propagating.
    """
    if ahead < 0:
        raise ValueError(f"ahead must be 0 or more, not {ahead}")
    if len(set(keys)) != len(keys):
        raise ValueError("every key must be given once")
    finished: queue.SimpleQueue[tuple[K, P]] = queue.SimpleQueue()
    unsettled: dict[K, int] = {}  # keys in flight: pieces not settled yet
    errors: dict[K, str] = {}
    waiting = deque(keys)
    report: WindowReport[K] = WindowReport()

    def on_done(key: K, piece: P) -> Callable[[Any], None]:
        return lambda _: finished.put((key, piece))

    def fill() -> None:
        while waiting and len(unsettled) < ahead + 1:
            key = waiting.popleft()
            pieces = list(start(key))
            unsettled[key] = len(pieces)
            for piece in pieces:
                piece.add_done_callback(on_done(key, piece))

    fill()
    for i, key in enumerate(keys):
        while key not in errors and unsettled[key]:
            owner, piece = finished.get()
            unsettled[owner] -= 1
            try:
                settle(owner, piece)
            except PrepareFailed as exc:
                errors.setdefault(owner, str(exc))
        if key not in errors:
            try:
                result = write(key)
            except Exception as exc:
                errors[key], report.failed_in_write = str(exc), True
        if key in errors:
            report.failed, report.error = key, errors[key]
            report.not_reached = list(keys[i + 1 :])
            return report
        report.written.append(key)
        if written is not None:
            written(key, result)
        del unsettled[key]
        fill()
    return report
