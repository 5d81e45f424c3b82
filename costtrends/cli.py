"""The `costtrends` command line."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from transforms.quarter import Quarter, QuarterError
from warehouse.db import sql

app = typer.Typer(
    help="Quarterly cost trends of municipalities' remote-work digitalisation.",
    no_args_is_help=True,
)
console = Console()

EXIT_CLEAN, EXIT_FAILED, EXIT_PARTIAL = 0, 1, 2


def _quarter(text: str) -> Quarter:
    try:
        return Quarter.parse(text)
    except QuarterError as exc:
        raise typer.BadParameter(str(exc)) from exc


def _print_summaries(summaries: list) -> int:
    table = Table(title="Refresh summary")
    for column in ("quarter", "files", "rows read", "loaded", "quarantined", "status"):
        table.add_column(column, justify="right" if column not in ("quarter", "status") else "left")
    for s in summaries:
        table.add_row(
            s.quarter,
            str(len(s.files)),
            f"{s.rows_read:,}",
            f"{s.rows_loaded:,}",
            f"{s.rows_quarantined:,}",
            s.status,
        )
    console.print(table)
    for s in summaries:
        for f in s.files:
            if f.status == "rejected":
                console.print(f"[red]rejected[/red] {f.source}/{s.quarter}/{f.file_name}: {f.message}")
    return EXIT_PARTIAL if any(s.status != "clean" for s in summaries) else EXIT_CLEAN


@app.command()
def generate(
    start: Annotated[str, typer.Option("--from", help="First quarter, e.g. 2020Q1")] = "2020Q1",
    end: Annotated[str, typer.Option("--to", help="Last quarter, e.g. 2021Q4")] = "2021Q4",
    seed: Annotated[int, typer.Option(help="Random seed: the same seed writes the same files")] = 42,
    scale: Annotated[str, typer.Option(help="tiny, demo or national")] = "demo",
) -> None:
    """Write realistic synthetic survey exports and Iv3 budget files into the landing zone."""
    from costtrends.generate import generate as run_generate
    from costtrends.settings import get_settings

    settings = get_settings()
    summary = run_generate(settings.landing, _quarter(start), _quarter(end), seed=seed, scale=scale)
    console.print(
        f"wrote {len(summary.files)} files ({summary.survey_rows:,} survey rows, "
        f"{summary.budget_rows:,} budget rows) under {settings.landing}"
    )


@app.command()
def run(
    quarter: Annotated[
        str | None, typer.Option(help="Quarter to refresh; default: the last finished one")
    ] = None,
) -> None:
    """Refresh one quarter: ingest, validate, transform, load, marts, snapshot."""
    from flows.quarterly_refresh import quarterly_refresh

    q = _quarter(quarter) if quarter else Quarter.last_finished()
    summary = quarterly_refresh(str(q))
    code = _print_summaries([summary])
    console.print(f"snapshot: {summary.snapshot}")
    raise typer.Exit(code)


@app.command()
def backfill(
    start: Annotated[str, typer.Option("--from", help="First quarter")],
    end: Annotated[str, typer.Option("--to", help="Last quarter")],
) -> None:
    """Refresh a range of quarters, oldest first, and publish once at the end."""
    from flows.backfill import backfill as backfill_flow

    summaries = backfill_flow(str(_quarter(start)), str(_quarter(end)))
    code = _print_summaries(summaries)
    if summaries:
        console.print(f"snapshot: {summaries[-1].snapshot}")
    raise typer.Exit(code)


def national_trend_table(snapshot: Path) -> Table:
    """The national estimate per quarter: digital extra total with its range, and savings."""
    import duckdb

    with duckdb.connect(str(snapshot), read_only=True) as con:
        rows = con.execute(
            """
            select quarter,
                   max(respondents),
                   sum(estimate_eur) filter (where cost_category <> 'office_savings'),
                   sum(estimate_low_eur) filter (where cost_category <> 'office_savings'),
                   sum(estimate_high_eur) filter (where cost_category <> 'office_savings'),
                   sum(estimate_eur) filter (where cost_category = 'office_savings')
            from marts.national_estimate group by quarter order by quarter
            """
        ).fetchall()
    table = Table(title="National estimate: extra digital cost of working from home")
    for column in ("quarter", "respondents", "estimate", "90% range", "office savings"):
        table.add_column(column, justify="right")
    for quarter, respondents, est, low, high, savings in rows:
        table.add_row(
            quarter,
            str(respondents),
            f"€{est / 1e6:,.2f}M",
            f"€{low / 1e6:,.2f}M – €{high / 1e6:,.2f}M",
            f"€{(savings or 0) / 1e6:,.2f}M",
        )
    return table


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
    os.environ["COSTTRENDS_HOME"] = str(home.resolve())
    started = time.perf_counter()
    generate(start="2020Q1", end="2021Q4", seed=seed, scale="demo")
    from costtrends.settings import get_settings
    from flows.backfill import backfill as backfill_flow

    summaries = backfill_flow("2020Q1", "2021Q4")
    _print_summaries(summaries)
    snapshot = get_settings().snapshot
    console.print(national_trend_table(snapshot))
    console.print(f"Snapshot: [bold]{snapshot}[/bold] (took {time.perf_counter() - started:.1f} s)")
    console.print(
        "Try: duckdb -readonly "
        f'{snapshot} "select quarter, cost_category, estimate_low_eur, estimate_eur, estimate_high_eur '
        'from marts.national_estimate order by quarter, cost_category"'
    )


@app.command()
def status() -> None:
    """Per quarter: files, rows loaded and quarantined, and the checks that failed."""
    import duckdb

    from costtrends.settings import get_settings

    settings = get_settings()
    if not settings.warehouse.exists():
        console.print(f"no warehouse yet at {settings.warehouse}")
        raise typer.Exit(EXIT_FAILED)
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        loaded = con.execute(sql("sql/select_status_files")).fetchall()
        failed = con.execute(sql("sql/select_status_checks")).fetchall()
    table = Table(title=f"Loaded partitions in {settings.warehouse}")
    for column in ("quarter", "source", "files", "rejected files", "read", "loaded", "quarantined"):
        table.add_column(column, justify="left" if column in ("quarter", "source") else "right")
    for row in loaded:
        table.add_row(*[f"{v:,}" if isinstance(v, int) else str(v) for v in row])
    console.print(table)
    checks = Table(title="Checks that failed (rows)")
    for column in ("quarter", "source", "check", "severity", "rows"):
        checks.add_column(column, justify="right" if column == "rows" else "left")
    for row in failed:
        checks.add_row(*[f"{v:,}" if isinstance(v, int) else str(v) for v in row])
    console.print(checks)


@app.command()
def quarantine(
    quarter: Annotated[str | None, typer.Option(help="Only this quarter")] = None,
    file: Annotated[str | None, typer.Option(help="Only this file name")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows")] = 50,
) -> None:
    """List rejected rows with the file, the row and every reason."""
    import duckdb

    from costtrends.settings import get_settings

    settings = get_settings()
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        rows = con.execute(
            """
            select quarter, source, source_file, source_row, array_to_string(reasons, '; ')
            from quarantine.rejected_rows
            where (? is null or quarter = ?) and (? is null or source_file = ?)
            order by quarter, source, source_file, source_row limit ?
            """,
            [
                str(_quarter(quarter)) if quarter else None,
                str(_quarter(quarter)) if quarter else None,
                file,
                file,
                limit,
            ],
        ).fetchall()
    table = Table(title="Quarantined rows")
    for column in ("quarter", "source", "file", "row", "reasons"):
        table.add_column(column)
    for row in rows:
        table.add_row(*[str(v) for v in row])
    console.print(table)


if __name__ == "__main__":
    app()
