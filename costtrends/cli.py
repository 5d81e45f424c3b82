"""The `costtrends` command line: each command, its options, and what it prints.

How a command runs a flow, reads the warehouse or fetches from CBS is in
`costtrends/cli_run.py`; the tables it prints are in `costtrends/cli_output.py`. Exit
codes: README and docs/operations.md.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console

from costtrends.cli_output import (
    EXIT_CLEAN,
    EXIT_FAILED,
    EXIT_PARTIAL,
    EXIT_REFUSED,
    national_trend_table,
    print_quarantine,
    print_summaries,
    status_tables,
)
from costtrends.cli_run import demo_environment, fetching, reading, run_flow
from flows import api_server, environment
from transforms.quarter import Quarter, QuarterError
from transforms.safe_text import console as safe
from warehouse.db import sql

if TYPE_CHECKING:
    from flows.settings import Settings
    from ingest.cbs_odata import ODataClient

__all__ = [
    "EXIT_CLEAN",
    "EXIT_FAILED",
    "EXIT_PARTIAL",
    "EXIT_REFUSED",
    "app",
    "console",
    "demo_environment",
    "national_trend_table",
]

app = typer.Typer(
    help="Quarterly cost trends of municipalities' remote-work digitalisation.",
    no_args_is_help=True,
    callback=environment.offline_defaults,
)
console = Console()

T = TypeVar("T")


def _quarter(text: str) -> Quarter:
    try:
        return Quarter.parse(text)
    except QuarterError as exc:
        raise typer.BadParameter(str(exc)) from exc


ALLOW_SHRINK_HELP = (
    "Replace a loaded quarter even when its landing files now give far fewer rows or "
    "municipalities, or none (otherwise such a quarter is kept and the run exits 3)"
)


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

    def load() -> Callable:
        from flows.quarterly_refresh import quarterly_refresh

        return lambda: quarterly_refresh(str(q), allow_shrink=allow_shrink)

    summary = run_flow(console, load)
    code = print_summaries(console, sorted([summary, *summary.also_refreshed], key=lambda s: s.quarter))
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

    def load() -> Callable:
        from flows.backfill import backfill as backfill_flow

        return lambda: backfill_flow(
            str(first), str(last), force=force, concurrency=concurrency, allow_shrink=allow_shrink
        )

    summaries = run_flow(console, load)
    code = print_summaries(console, summaries)
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
    print_summaries(console, summaries)
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


def _from_cbs(url: Callable[[Settings], str], fetch: Callable[[ODataClient, Settings], T]) -> T:
    """Run `fetch` with a client of the CBS service at `url` (from the settings) and the settings."""
    from flows.settings import get_settings

    settings = get_settings()
    client = settings.cbs_client(url(settings))
    return fetching(console, lambda: fetch(client, settings))


@fetch_app.command("iv3")
def fetch_iv3(
    year: Annotated[int, typer.Option(help="The year of the table 'Gemeenten <year> onbewerkte Iv3-data'")],
    municipality: Annotated[
        list[str] | None, typer.Option(help="Only this municipality (GM0363); repeat for more")
    ] = None,
) -> None:
    """Land a year's Iv3 figures of every municipality from CBS, one file per verslagsoort."""
    from ingest.fetch import fetch_iv3 as run_fetch

    summary = _from_cbs(
        lambda settings: settings.cbs_dataderden_url,
        lambda client, settings: run_fetch(
            client,
            year,
            settings.landing,
            municipalities=municipality or None,
            amount_column=settings.cbs_iv3_amount_column,
        ),
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
    from ingest.fetch import fetch_population as run_fetch
    from ingest.fetch import known_register
    from warehouse.db import SEEDS_DIR

    summary = _from_cbs(
        lambda settings: settings.cbs_statline_url,
        lambda client, settings: run_fetch(
            client,
            year,
            settings.fetched_reference,
            table_id=settings.cbs_population_table,
            register=known_register(SEEDS_DIR, settings.fetched_reference, year),
        ),
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


@app.command()
def status() -> None:
    """Per quarter: files, rows loaded and quarantined, and the checks that failed."""

    from flows.settings import get_settings

    settings = get_settings()
    with reading(console, settings, "status") as con:
        loaded = con.execute(sql("queries/select_status_files")).fetchall()
        failed = con.execute(sql("queries/select_status_checks")).fetchall()
    for table in status_tables(settings.warehouse, loaded, failed):
        console.print(table)
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
    with reading(console, settings, "quarantine") as con:
        rows = con.sql(sql("queries/select_quarantine_rows"), params=params).fetchall()
    print_quarantine(console, rows, output)


if __name__ == "__main__":
    app()
