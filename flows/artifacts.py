"""What a run shows in Prefect: a markdown summary and a table, one row per quarter.

Everything that comes from the landing zone (file names, messages, values in reasons)
goes into the markdown escaped (`transforms.safe_text.markdown`): a `|` stays in its
cell, raw HTML and `javascript:` links never reach the UI as markup.
"""

from __future__ import annotations

from typing import Any

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from flows.summary import RefreshSummary
from transforms.safe_text import markdown as md
from transforms.safe_text import printable


def summary_rows(summaries: list[RefreshSummary]) -> list[dict[str, Any]]:
    """One row per quarter: what was done, the rows, the failed checks and the mart rows rewritten."""
    return [
        {
            "quarter": s.quarter,
            "status": s.status,
            "reason": printable(s.error or s.reason or "unchanged"),
            "files": len(s.files),
            "rows_read": s.rows_read,
            "rows_loaded": s.rows_loaded,
            "rows_quarantined": s.rows_quarantined,
            "failed_checks": printable(", ".join(s.failed_checks)),
            "mart_rows_rewritten": sum(s.marts_changed.values()),
        }
        for s in summaries
    ]


def summary_markdown(title: str, summaries: list[RefreshSummary], *, failure: str | None = None) -> str:
    """The run in markdown: totals, a line per quarter, every file, and the checks that failed."""
    done = [s for s in summaries if s.status in ("clean", "partial")]
    lines = [f"# {title}", ""]
    if failure:
        lines += [f"**Failed:** {md(failure)}", ""]
    lines += [
        f"{len(summaries)} quarters: {len(done)} refreshed, "
        f"{sum(s.status == 'skipped' for s in summaries)} skipped as unchanged.",
        f"Rows read {sum(s.rows_read for s in done):,}, loaded {sum(s.rows_loaded for s in done):,}, "
        f"quarantined {sum(s.rows_quarantined for s in done):,}.",
    ]
    snapshot = next((s.snapshot for s in summaries if s.snapshot), None)
    if snapshot:
        lines.append(f"Snapshot: {md(snapshot)}.")
    rows = summary_rows(summaries)
    if rows:
        lines += ["", "| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
        for row in rows:
            cells = (f"{v:,}" if isinstance(v, int) else md(v) for v in row.values())
            lines.append("| " + " | ".join(cells) + " |")
    files = [(s.quarter, f) for s in done for f in s.files]
    if files:
        header = ("quarter", "source", "file", "status", "read", "loaded", "quarantined", "message")
        lines += ["", "## Files", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for quarter, f in files:
            lines.append(
                f"| {quarter} | {md(f.source)} | {md(f.file_name)} | {f.status} | {f.rows_read:,} "
                f"| {f.rows_loaded:,} | {f.rows_quarantined:,} | {md(f.message or '')} |"
            )
    failed = [(s.quarter, check) for s in done for check in s.failed_checks]
    if failed:
        lines += ["", "## Failed expectations", ""]
        lines += [f"- {quarter}: {md(check)}" for quarter, check in failed]
    refused = [line for s in summaries for line in s.refused]
    if refused:
        lines += ["", "## Refused: loaded data kept", ""]
        lines += [f"- {md(line)}" for line in refused]
    warnings = [line for s in done for line in s.warnings]
    if warnings:
        lines += ["", "## Warnings", ""]
        lines += [f"- {md(line)}" for line in warnings]
    marts: dict[str, int] = {}
    for s in done:
        for mart, count in s.marts_changed.items():
            marts[mart] = marts.get(mart, 0) + count
    if marts:
        lines += ["", "## Mart rows rewritten", ""]
        lines += [f"- `marts.{mart}`: {count:,}" for mart, count in sorted(marts.items())]
    return "\n".join(lines) + "\n"


def publish_artifacts(
    key: str, title: str, summaries: list[RefreshSummary], *, failure: str | None = None
) -> None:
    """Attach the summary to the flow run; `key` (lowercase, digits, dashes) groups runs in the UI."""
    create_markdown_artifact(
        markdown=summary_markdown(title, summaries, failure=failure),
        key=f"{key}-summary",
        description=title,
    )
    rows = summary_rows(summaries)
    if rows:
        create_table_artifact(table=rows, key=f"{key}-quarters", description=f"{title}: one row per quarter")
