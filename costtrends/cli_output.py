"""What the `costtrends` commands print: refresh summaries, the national trend, status, quarantined rows.

Each function takes the rows it shows (and the console to print on, which the CLI
owns) and returns a table or an exit code; none reads the warehouse itself.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from transforms.safe_text import console as safe
from transforms.safe_text import printable
from warehouse.db import sql

# Exit codes of the commands (README, docs/operations.md).
EXIT_CLEAN, EXIT_FAILED, EXIT_PARTIAL, EXIT_REFUSED = 0, 1, 2, 3


def cell(value: object) -> Text:
    """A table cell that shows `value` as it is: never read as markup."""
    return Text(printable(str(value)))


def print_summaries(console: Console, summaries: list) -> int:
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
            cell(s.error or s.reason or ("landing files missing" if s.status == "refused" else "unchanged")),
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


def status_tables(warehouse: Path, loaded: list[tuple], failed: list[tuple]) -> list[Table]:
    """`costtrends status`: loaded partitions with their row accounting, then errors, then warnings."""
    table = Table(title=Text(f"Loaded partitions in {printable(str(warehouse))}"))
    for column in ("quarter", "source", "files", "rejected files", "read", "loaded", "quarantined"):
        table.add_column(column, justify="left" if column in ("quarter", "source") else "right")
    for row in loaded:
        table.add_row(*[f"{v:,}" if isinstance(v, int) else cell(v) for v in row])
    tables = [table]
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
                checks.add_row(cell(quarter_), cell(source), cell(check), f"{rows:,}", cell(message or ""))
        tables.append(checks)
    return tables


QUARANTINE_HEADER = ("quarter", "source", "file", "row", "reasons", "failed_values", "row_values")


def print_quarantine(console: Console, rows: list[tuple], output: str) -> None:
    """Quarantined rows as a table on `console`, or as JSON or CSV on standard output."""
    if output == "json":
        records = [dict(zip(QUARANTINE_HEADER, (*row[:6], json.loads(row[6])), strict=True)) for row in rows]
        sys.stdout.write(json.dumps(records, ensure_ascii=False, indent=2) + "\n")
        return
    if output == "csv":
        from costtrends.spreadsheet import spreadsheet_row

        writer = csv.writer(sys.stdout)
        writer.writerow(QUARANTINE_HEADER)
        for row in rows:
            writer.writerow(spreadsheet_row((*row[:4], "; ".join(row[4]), "; ".join(row[5]), row[6])))
        return
    table = Table(title="Quarantined rows")
    for column in ("quarter", "source", "file", "row", "reasons", "values"):
        table.add_column(column)
    for row in rows:
        table.add_row(*[cell(v) for v in row[:4]], cell("\n".join(row[4])), cell("\n".join(row[5])))
    console.print(table)
