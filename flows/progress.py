"""Progress of a run, per quarter and stage, for whoever listens in the same process.

The flows call `emit(quarter, stage)` as each quarter finishes a stage (both sources);
the CLI listens and draws one rich progress bar per stage. In a worker, a served
deployment or a test nobody listens and `emit` does nothing.

Stages, in order: `planned` (the quarter will be redone) or `skipped` (it is current),
then `ingest`, `validate`, `transform` (these run concurrently across quarters) and
`load` (partitions and marts, one quarter at a time, in quarter order), or `failed`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

STAGES = ("ingest", "validate", "transform", "load")

Listener = Callable[[str, str], None]
_listeners: list[Listener] = []
_guard = threading.Lock()


def emit(quarter: str, stage: str) -> None:
    """Tell every listener that `quarter` reached `stage`."""
    with _guard:
        listeners = list(_listeners)
    for listener in listeners:
        listener(quarter, stage)


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Call `listener(quarter, stage)` for every event emitted inside the block."""
    with _guard:
        _listeners.append(listener)
    try:
        yield
    finally:
        with _guard:
            _listeners.remove(listener)


class StageBars:
    """One bar per stage; each counts the quarters that have passed it."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[last]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.bars = {stage: self.progress.add_task(stage, total=0, last="") for stage in STAGES}
        self.skipped: list[str] = []
        self.failed: list[str] = []

    def __call__(self, quarter: str, stage: str) -> None:
        if stage == "planned":
            for bar in self.bars.values():
                self.progress.update(bar, total=(self.progress.tasks[bar].total or 0) + 1)
        elif stage == "skipped":
            self.skipped.append(quarter)
        elif stage == "failed":
            self.failed.append(quarter)
            self.progress.update(self.bars["load"], last=f"{quarter} failed")
        elif stage in self.bars:
            self.progress.update(self.bars[stage], advance=1, last=quarter)

    @contextmanager
    def shown(self) -> Iterator[StageBars]:
        """Draw the bars while the block runs and listen to the flows' events."""
        with self.progress, listening(self):
            yield self
