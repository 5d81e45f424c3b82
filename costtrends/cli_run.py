"""How the `costtrends` commands run: flows under progress bars, reads between writes, CBS fetches.

Every function takes the console the CLI prints on. An expected failure (a quarter that
failed, a busy warehouse, CBS unreachable) ends the command with one `failed:` line and
exit code 1 instead of a traceback (README, docs/operations.md).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import typer
from rich.console import Console

from costtrends.cli_output import EXIT_FAILED
from flows import api_server
from transforms.safe_text import console as safe

if TYPE_CHECKING:
    import duckdb

    from flows.settings import Settings

T = TypeVar("T")


def refresh(console: Console, call: Callable[[], T]) -> T:
    """Run a flow under the stage bars; a failed run or a busy warehouse exits 1 with its message."""
    from flows.progress import StageBars
    from flows.quarterly_refresh import RefreshFailed
    from warehouse.incremental import LandingMissing
    from warehouse.locking import WarehouseBusy

    started = time.perf_counter()
    try:
        with StageBars(console).shown():
            result = call()
    except (RefreshFailed, WarehouseBusy, LandingMissing) as exc:
        console.print(f"[red]failed[/red]: {safe(exc)}")
        raise typer.Exit(EXIT_FAILED) from exc
    except Exception as exc:  # anything else: one line naming it, not a traceback (exit codes: README)
        console.print(f"[red]failed[/red]: {type(exc).__name__}: {safe(exc)}")
        raise typer.Exit(EXIT_FAILED) from exc
    console.print(f"took {time.perf_counter() - started:.1f} s")
    return result


def run_flow(console: Console, load: Callable[[], Callable[[], T]]) -> T:
    """Run the flow call `load` returns against the API server, quietly, under the stage bars.

    `load` imports the flow: only once the server's settings are in place, and before the
    filter that hides expected failures is added to Prefect's loggers.
    """
    quiet_prefect()
    server = api_server.start()
    call = load()
    hide_expected_tracebacks()
    server.adopt()
    with server.flow_settings():
        return refresh(console, call)


class ExpectedFailure(logging.Filter):
    """Drop Prefect's log lines (with their tracebacks) about a failure the CLI explains itself.

    A run that fails for an expected reason (`EXPECTED`: a quarter that failed, a busy
    warehouse, a missing landing zone) ends with one `failed:` line; Prefect would print
    its own error and the full traceback before it. Any other exception still shows.
    """

    EXPECTED = ("RefreshFailed", "WarehouseBusy", "LandingMissing")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            return type(record.exc_info[1]).__name__ not in self.EXPECTED
        if record.levelno >= logging.ERROR:
            return not any(name in record.getMessage() for name in self.EXPECTED)
        return True


def hide_expected_tracebacks() -> None:
    for name in ("prefect.flow_runs", "prefect.task_runs"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, ExpectedFailure) for f in logger.filters):
            logger.addFilter(ExpectedFailure())


def quiet_prefect() -> None:
    # The bars and the summary say what happens; Prefect's per-task lines would bury them.
    # Its warnings, such as waiting for another writer, still show.
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def demo_environment(environ: MutableMapping[str, str], home: Path) -> None:
    """Point every costtrends path at the demo's `home`, whatever the shell had set.

    A COSTTRENDS_WAREHOUSE_PATH (or landing, published, config ...) left set for a real
    installation must never receive the demo's sample data.
    """
    for name in list(environ):
        is_path = name.startswith("COSTTRENDS_") and name.endswith(("_DIR", "_PATH"))
        if is_path or name == "COSTTRENDS_CONFIG":
            del environ[name]
    environ["COSTTRENDS_HOME"] = str(home.resolve())


@contextmanager
def reading(console: Console, settings: Settings, purpose: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """The working warehouse, read-only, between two writes.

    DuckDB refuses to open a file another process is writing, so a reader takes the
    writers' lock for as long as it reads (writers hold it per step, seconds at most).
    """
    import duckdb

    from warehouse.locking import WarehouseBusy, warehouse_lock

    if not settings.warehouse.exists():
        console.print(f"no warehouse yet at {safe(settings.warehouse)}")
        raise typer.Exit(EXIT_FAILED)
    try:
        with (
            warehouse_lock(
                settings.warehouse,
                purpose=purpose,
                timeout=settings.lock_timeout_seconds,
                log=lambda line: console.print(safe(line)),
            ),
            duckdb.connect(str(settings.warehouse), read_only=True) as con,
        ):
            yield con
    except WarehouseBusy as exc:
        console.print(f"[red]failed[/red]: {safe(exc)}")
        raise typer.Exit(EXIT_FAILED) from exc


def fetching(console: Console, call: Callable[[], T]) -> T:
    """Run a fetch; CBS unreachable or answering nonsense exits 1 with one line saying so."""
    from ingest.cbs_odata import CbsError
    from transforms.cbs import CbsDataError

    try:
        return call()
    except (CbsError, CbsDataError) as exc:
        console.print(f"[red]failed[/red]: {exc}", soft_wrap=True)
        raise typer.Exit(EXIT_FAILED) from exc
