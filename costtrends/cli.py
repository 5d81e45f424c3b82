"""The `costtrends` command line."""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from flows import api_server
from transforms.quarter import Quarter, QuarterError
from transforms.safe_text import console as safe
from transforms.safe_text import printable
from warehouse.db import sql

if TYPE_CHECKING:
    import duckdb

    from flows.settings import Settings

app = typer.Typer(
    help="Quarterly cost trends of municipalities' remote-work digitalisation.",
    no_args_is_help=True,
)
console = Console()

EXIT_CLEAN, EXIT_FAILED, EXIT_PARTIAL, EXIT_REFUSED = 0, 1, 2, 3
T = TypeVar("T")


def _quarter(text: str) -> Quarter:
    try:
        return Quarter.parse(text)
    except QuarterError as exc:
        raise typer.BadParameter(str(exc)) from exc


def _cell(value: object) -> Text:
    """A table cell that shows `value` as it is: never read as markup."""
    return Text(printable(str(value)))


def _print_summaries(summaries: list) -> int:
    """The run's table, its rejected files, refusals and warnings; returns the exit code (README)."""
    table = Table(title="Refresh summary")
    for column in ("quarter", "files", "rows read", "loaded", "quarantined", "status", "why"):
        table.add_column(column, justify="left" if column in ("quarter", "status", "why") else "right")
    for s in summaries:
        table.add_row(
            s.quarter,
            str(len(s.files)),
            f"{s.rows_read:,}",
            f"{s.rows_loaded:,}",
            f"{s.rows_quarantined:,}",
            s.status,
            _cell(s.error or s.reason or ("landing files missing" if s.status == "refused" else "unchanged")),
        )
    console.print(table)
    counts = {status: sum(s.status == status for s in summaries) for status in ("clean", "partial")}
    skipped = sum(s.status == "skipped" for s in summaries)
    refused = sum(s.status == "refused" for s in summaries)
    read, loaded = sum(s.rows_read for s in summaries), sum(s.rows_loaded for s in summaries)
    console.print(
        f"{len(summaries)} quarters: {counts['clean'] + counts['partial']} refreshed "
        f"({counts['partial']} partial), {refused} refused, {skipped} skipped as unchanged; "
        f"rows read {read:,}, loaded {loaded:,}, quarantined {sum(s.rows_quarantined for s in summaries):,}"
    )
    for s in summaries:
        for f in s.files:
            where = f"{safe(f.source)}/{s.quarter}/{safe(f.file_name)}"
            if f.status in ("rejected", "deferred"):
                console.print(f"[red]{f.status}[/red] {where}: {safe(f.message)}")
            elif f.rows_superseded:
                console.print(f"superseded {where}: {safe(f.message)}")
    for s in summaries:
        for line in getattr(s, "refused", []):
            console.print(f"[red]refused[/red] {safe(line)}")
    for s in summaries:
        for line in getattr(s, "warnings", []):
            console.print(f"[yellow]warning[/yellow] {safe(line)}")
    for s in summaries:
        if getattr(s, "docs", None):
            console.print(f"validation {s.quarter}: {safe(s.docs)}")
    if any(s.status in ("failed", "not reached") for s in summaries):
        return EXIT_FAILED
    if any(s.status == "refused" for s in summaries):
        return EXIT_REFUSED
    return EXIT_PARTIAL if any(s.status == "partial" for s in summaries) else EXIT_CLEAN


def _refresh(call: Callable[[], T]) -> T:
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


ALLOW_SHRINK_HELP = (
    "Replace a loaded quarter even when its landing files now give far fewer rows or "
    "municipalities, or none (otherwise such a quarter is kept and the run exits 3)"
)


class _ExpectedFailure(logging.Filter):
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


def _hide_expected_tracebacks() -> None:
    for name in ("prefect.flow_runs", "prefect.task_runs"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _ExpectedFailure) for f in logger.filters):
            logger.addFilter(_ExpectedFailure())


def _quiet_prefect() -> None:
    # The bars and the summary say what happens; Prefect's per-task lines would bury them.
    # Its warnings, such as waiting for another writer, still show.
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


@app.command()
def generate(
    start: Annotated[str, typer.Option("--from", help="First quarter, e.g. 2020Q1")] = "2020Q1",
    end: Annotated[str, typer.Option("--to", help="Last quarter, e.g. 2021Q4")] = "2021Q4",
    seed: Annotated[int, typer.Option(help="Random seed: the same seed writes the same files")] = 42,
    scale: Annotated[str, typer.Option(help="tiny, demo or national")] = "demo",
) -> None:
    """Write realistic synthetic survey exports and Iv3 budget files into the landing zone."""
    from costtrends.generate import generate as run_generate
    from flows.settings import get_settings

    settings = get_settings()
    summary = run_generate(settings.landing, _quarter(start), _quarter(end), seed=seed, scale=scale)
    console.print(
        f"wrote {len(summary.files)} files ({summary.survey_rows:,} survey rows, "
        f"{summary.budget_rows:,} budget rows) under {safe(settings.landing)}"
    )


@app.command()
def run(
    quarter: Annotated[
        str | None, typer.Option(help="Quarter to refresh; default: the last finished one")
    ] = None,
    allow_shrink: Annotated[bool, typer.Option("--allow-shrink", help=ALLOW_SHRINK_HELP)] = False,
) -> None:
    """Refresh one quarter (and any loaded quarter whose files changed since): load, marts, snapshot."""
    q = _quarter(quarter) if quarter else Quarter.last_finished()
    _quiet_prefect()
    server = api_server.start()
    from flows.quarterly_refresh import quarterly_refresh

    _hide_expected_tracebacks()
    server.adopt()
    with server.flow_settings():
        summary = _refresh(lambda: quarterly_refresh(str(q), allow_shrink=allow_shrink))
    code = _print_summaries(sorted([summary, *summary.also_refreshed], key=lambda s: s.quarter))
    console.print(f"snapshot: {safe(summary.snapshot)}")
    raise typer.Exit(code)


@app.command()
def backfill(
    start: Annotated[str, typer.Option("--from", help="First quarter")],
    end: Annotated[str, typer.Option("--to", help="Last quarter")],
    concurrency: Annotated[
        int | None, typer.Option(min=1, help="Quarters prepared at once; default: COSTTRENDS_CONCURRENCY")
    ] = None,
    force: Annotated[bool, typer.Option(help="Redo quarters whose files and code are unchanged too")] = False,
    allow_shrink: Annotated[bool, typer.Option("--allow-shrink", help=ALLOW_SHRINK_HELP)] = False,
) -> None:
    """Refresh a range of quarters: prepared concurrently, written in order, published once at the end.

    Quarters loaded from the same files by the same code version are skipped unless --force;
    a backfill that stopped at a quarter continues from it.
    """
    first, last = _quarter(start), _quarter(end)
    _quiet_prefect()
    server = api_server.start()
    from flows.backfill import backfill as backfill_flow

    _hide_expected_tracebacks()
    server.adopt()
    with server.flow_settings():
        summaries = _refresh(
            lambda: backfill_flow(
                str(first), str(last), force=force, concurrency=concurrency, allow_shrink=allow_shrink
            )
        )
    code = _print_summaries(summaries)
    if summaries:
        console.print(f"snapshot: {safe(summaries[-1].snapshot)}")
    raise typer.Exit(code)


@app.command()
def serve() -> None:
    """Serve the quarterly schedule and on-demand backfills from this machine, until Ctrl+C.

    quarterly-refresh runs at 06:00 Europe/Amsterdam on the 15th of January, April, July
    and October for the last finished quarter; backfill runs when asked for, e.g.
    `prefect deployment run backfill/backfill -p start=2020Q1 -p end=2021Q4`. Uses the
    Prefect server PREFECT_API_URL names, or an embedded one. For a work pool on a
    shared server, deploy prefect.yaml with `prefect deploy --all` instead.
    """
    from prefect import serve as prefect_serve

    from flows.deployments import deployments

    prefect_serve(*deployments())


def national_trend_table(snapshot: Path) -> Table:
    """National estimate per quarter, half year and year: digital extra total with its range, savings."""
    import duckdb

    with duckdb.connect(str(snapshot), read_only=True) as con:
        rows = con.execute(sql("queries/select_national_trend")).fetchall()
    table = Table(title="National estimate: extra digital cost of working from home")
    for column in ("period", "respondents", "estimate", "90% range", "office savings"):
        table.add_column(column, justify="right")
    full = {"quarter": 1, "half_year": 2, "year": 4}
    for period, period_type, covered, respondents, est, low, high, savings in rows:
        if covered < full[period_type]:
            period = f"{period} ({covered} of {full[period_type]} quarters)"
        table.add_row(
            period,
            str(respondents) if respondents is not None else "",
            f"€{est / 1e6:,.2f}M",
            f"€{low / 1e6:,.2f}M – €{high / 1e6:,.2f}M" if low is not None and high is not None else "n/a",
            f"€{(savings or 0) / 1e6:,.2f}M",
            end_section=period_type == "year",
        )
    return table


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


@app.command()
def demo(
    home: Annotated[Path, typer.Option(help="A fresh folder for the demo's data")] = Path("demo-data"),
    seed: Annotated[int, typer.Option()] = 42,
) -> None:
    """Generate sample data for 2020Q1..2021Q4 in a fresh home, backfill it, show the national trend."""
    if home.exists():
        shutil.rmtree(home)
    # The demo prints its own summary; Prefect's per-task lines would bury it.
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    demo_environment(os.environ, home)
    started = time.perf_counter()
    server = api_server.start()
    generate(start="2020Q1", end="2021Q4", seed=seed, scale="demo")
    from flows.backfill import backfill as backfill_flow
    from flows.settings import get_settings

    server.adopt()
    with server.flow_settings():
        summaries = backfill_flow("2020Q1", "2021Q4")
    _print_summaries(summaries)
    snapshot = get_settings().snapshot
    console.print(national_trend_table(snapshot))
    console.print(f"Snapshot: [bold]{safe(snapshot)}[/bold] (took {time.perf_counter() - started:.1f} s)")
    from costtrends.report import REPORT_NAME, write_report

    report_path = write_report(snapshot, get_settings().published / REPORT_NAME)
    console.print(f"Report: [bold]{safe(report_path)}[/bold] (open it in a browser)")
    console.print(
        "Try: duckdb -readonly "
        f'{snapshot} "select quarter, cost_category, estimate_low_eur, estimate_eur, estimate_high_eur '
        'from marts.national_estimate order by quarter, cost_category"'
    )


@app.command()
def report(
    out: Annotated[
        Path | None, typer.Option(help="HTML file to write; default: report.html beside the snapshot")
    ] = None,
) -> None:
    """Write the snapshot's report: one self-contained HTML file with charts, viewable offline."""
    from costtrends.report import REPORT_NAME, write_report
    from flows.settings import get_settings

    settings = get_settings()
    try:
        path = write_report(settings.snapshot, out or settings.published / REPORT_NAME)
    except FileNotFoundError as exc:
        console.print(f"[red]{safe(exc)}[/red]")
        raise typer.Exit(EXIT_FAILED) from exc
    console.print(f"Report: {safe(path)}")


fetch_app = typer.Typer(
    help="Fetch from CBS: Iv3 figures into the landing zone, population into the reference data.",
    no_args_is_help=True,
)
app.add_typer(fetch_app, name="fetch")


def _fetching(call: Callable[[], T]) -> T:
    """Run a fetch; CBS unreachable or answering nonsense exits 1 with one line saying so."""
    from ingest.cbs_odata import CbsError
    from transforms.cbs import CbsDataError

    try:
        return call()
    except (CbsError, CbsDataError) as exc:
        console.print(f"[red]failed[/red]: {exc}", soft_wrap=True)
        raise typer.Exit(EXIT_FAILED) from exc


@fetch_app.command("iv3")
def fetch_iv3(
    year: Annotated[int, typer.Option(help="The year of the table 'Gemeenten <year> onbewerkte Iv3-data'")],
    municipality: Annotated[
        list[str] | None, typer.Option(help="Only this municipality (GM0363); repeat for more")
    ] = None,
) -> None:
    """Land a year's Iv3 figures of every municipality from CBS, one file per verslagsoort."""
    from flows.settings import get_settings
    from ingest.fetch import cbs_client
    from ingest.fetch import fetch_iv3 as run_fetch

    settings = get_settings()
    client = cbs_client(settings, settings.cbs_dataderden_url)
    summary = _fetching(
        lambda: run_fetch(
            client,
            year,
            settings.landing,
            municipalities=municipality or None,
            amount_column=settings.cbs_iv3_amount_column,
        )
    )
    console.print(
        f"table {summary.table_id} (Gemeenten {year} onbewerkte Iv3-data): {summary.rows_read:,} rows read "
        f"in {summary.requests} requests, {summary.rows_empty:,} without an amount, "
        f"{summary.rows_balance:,} balance rows not landed",
        soft_wrap=True,
    )
    for f in summary.files:
        state = "written" if f.changed else "unchanged"
        console.print(
            f"{state} {f.path}: {f.lines:,} lines of {f.municipalities} municipalities "
            f"({f.verslagsoort}, {f.amount_column})",
            soft_wrap=True,
        )
    for unread in summary.unread_verslagsoorten:
        console.print(f"[yellow]not landed[/yellow]: verslagsoort {unread} names no period", soft_wrap=True)
    for note in summary.notes:
        console.print(f"[yellow]not landed[/yellow]: {note}", soft_wrap=True)


@fetch_app.command("population")
def fetch_population(
    year: Annotated[int, typer.Option(help="Population on 1 January of this year")],
) -> None:
    """Add a year's population per municipality, and municipalities that began or ended, to reference data.

    Writes `<COSTTRENDS_REFERENCE_DIR>/population_<year>.csv`; the seeds stay as they are.
    """
    from flows.settings import get_settings
    from ingest.fetch import cbs_client, known_register
    from ingest.fetch import fetch_population as run_fetch
    from warehouse.db import SEEDS_DIR

    settings = get_settings()
    client = cbs_client(settings, settings.cbs_statline_url)
    register = known_register(SEEDS_DIR, settings.fetched_reference, year)
    summary = _fetching(
        lambda: run_fetch(
            client,
            year,
            settings.fetched_reference,
            table_id=settings.cbs_population_table,
            register=register,
        )
    )
    state = "written" if summary.changed else "unchanged"
    console.print(
        f"{state} {summary.path}: population on 1 January {year} of {summary.municipalities} municipalities "
        f"({summary.inhabitants:,} inhabitants), table {summary.table_id}, {summary.requests} requests",
        soft_wrap=True,
    )
    for line in summary.began:
        console.print(f"began {year}-01-01: {line} (province unknown until the seeds name it)")
    for line in summary.ended:
        console.print(f"ended by {year - 1}-12-31: {line} (add its successor to warehouse/seeds/mergers.csv)")


@contextmanager
def _reading(settings: Settings, purpose: str) -> Iterator[duckdb.DuckDBPyConnection]:
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


@app.command()
def status() -> None:
    """Per quarter: files, rows loaded and quarantined, and the checks that failed."""

    from flows.settings import get_settings

    settings = get_settings()
    with _reading(settings, "status") as con:
        loaded = con.execute(sql("queries/select_status_files")).fetchall()
        failed = con.execute(sql("queries/select_status_checks")).fetchall()
    table = Table(title=Text(f"Loaded partitions in {printable(str(settings.warehouse))}"))
    for column in ("quarter", "source", "files", "rejected files", "read", "loaded", "quarantined"):
        table.add_column(column, justify="left" if column in ("quarter", "source") else "right")
    for row in loaded:
        table.add_row(*[f"{v:,}" if isinstance(v, int) else _cell(v) for v in row])
    console.print(table)
    titles = {
        "error": "Errors: rows quarantined, or files rejected (rows 0)",
        "warning": "Warnings: rows loaded and reported",
    }
    for severity, title in titles.items():
        checks = Table(title=title)
        for column in ("quarter", "source", "check", "rows", "found"):
            checks.add_column(column, justify="right" if column == "rows" else "left")
        for quarter_, source, check, row_severity, rows, message in failed:
            if row_severity == severity:
                checks.add_row(
                    _cell(quarter_), _cell(source), _cell(check), f"{rows:,}", _cell(message or "")
                )
        console.print(checks)
    console.print(f"validation pages: {safe(settings.docs / 'index.html')}")


@app.command()
def quarantine(
    quarter: Annotated[str | None, typer.Option(help="Only this quarter")] = None,
    file: Annotated[str | None, typer.Option(help="Only this file name")] = None,
    source: Annotated[str | None, typer.Option(help="Only this source: survey or budget")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows")] = 50,
    output: Annotated[str, typer.Option("--format", help="table, json or csv")] = "table",
) -> None:
    """List rejected rows with the file, the row, every reason and the values it is about."""
    import csv
    import json
    import sys

    from flows.settings import get_settings

    if output not in ("table", "json", "csv"):
        raise typer.BadParameter("use table, json or csv", param_hint="--format")
    settings = get_settings()
    params = {
        "quarter": str(_quarter(quarter)) if quarter else None,
        "source": source,
        "file": file,
        "limit": limit,
    }
    with _reading(settings, "quarantine") as con:
        rows = con.sql(sql("queries/select_quarantine_rows"), params=params).fetchall()
    header = ("quarter", "source", "file", "row", "reasons", "failed_values", "row_values")
    if output == "json":
        records = [dict(zip(header, (*row[:6], json.loads(row[6])), strict=True)) for row in rows]
        sys.stdout.write(json.dumps(records, ensure_ascii=False, indent=2) + "\n")
        return
    if output == "csv":
        from costtrends.spreadsheet import spreadsheet_row

        writer = csv.writer(sys.stdout)
        writer.writerow(header)
        for row in rows:
            writer.writerow(spreadsheet_row((*row[:4], "; ".join(row[4]), "; ".join(row[5]), row[6])))
        return
    table = Table(title="Quarantined rows")
    for column in ("quarter", "source", "file", "row", "reasons", "values"):
        table.add_column(column)
    for row in rows:
        table.add_row(*[_cell(v) for v in row[:4]], _cell("\n".join(row[4])), _cell("\n".join(row[5])))
    console.print(table)


if __name__ == "__main__":
    app()
