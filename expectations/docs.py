"""Validation results as static HTML: one self-contained page per run, and an index.

GX's own Data Docs load their styles and scripts from CDNs, so without network they show
unstyled or not at all. These pages carry their styles inline, no scripts, no fonts, no
links outside the docs folder: they open from disk anywhere.

A run page shows, per source: what happened to each file; every check with its severity,
result, rows checked, rows flagged, what it expects and what it found; then the quarantined
rows (file, row, reasons, offending values) and the rows loaded with warnings. Long
listings stop after `ROWS_SHOWN` rows and give the command that lists them all.

Pure: frames in, HTML text out. Reading the frames from the warehouse and writing the files
happens in the pipeline.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

import polars as pl

# Rows of a quarantine or warning listing shown per source on a run page.
ROWS_SHOWN = 200

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1d2330; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.2rem; margin-top: 2rem; } h3 { font-size: 1rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
th, td { border: 1px solid #d0d4dc; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #eef0f4; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.passed { color: #1a7f37; } .failed { color: #b42318; font-weight: 600; }
.warned { color: #9a6700; font-weight: 600; }
code { font-size: 0.85rem; }
p.note { color: #555; font-size: 0.85rem; }
"""


def render_run_page(
    *,
    run_id: str,
    quarter: str,
    results: pl.DataFrame,
    files: pl.DataFrame,
    quarantined: pl.DataFrame,
    warnings: pl.DataFrame,
) -> str:
    """The page of one run.

    results: one row per source × suite × expectation (source, suite, expectation, severity,
    success, element_count, unexpected_count, description, message). files: one row per file
    (source, file_name, status, message, rows_read, rows_loaded, rows_quarantined).
    quarantined / warnings: at most `ROWS_SHOWN` rows per source (source, source_file,
    source_row, and reasons + failed_values resp. warnings), plus a `total` column with the
    number of such rows of the source in all.
    """
    sources = sorted(set(results["source"].to_list()) | set(files["source"].to_list()))
    body = [
        f"<h1>Validation of {_e(quarter)}</h1>",
        f"<p>Run <code>{_e(run_id)}</code>. Errors quarantine the row (or reject the file when "
        "they concern the file as a whole); warnings load the row and are reported here.</p>",
    ]
    for source in sources:
        body.append(f'<h2 id="{_e(source)}">{_e(source)}</h2>')
        body.append(_files_table(files.filter(pl.col("source") == source)))
        body.append(_results_table(source, results.filter(pl.col("source") == source)))
        body.append(
            _rows_section(
                source,
                "quarantine",
                "Quarantined rows",
                quarantined.filter(pl.col("source") == source),
                ("reasons", "failed_values"),
                f"costtrends quarantine --quarter {quarter} --source {source}",
            )
        )
        body.append(
            _rows_section(
                source,
                "warnings",
                "Rows loaded with warnings",
                warnings.filter(pl.col("source") == source),
                ("warnings",),
                None,
            )
        )
    return _page(f"Validation {quarter} — {run_id}", body)


def render_index(runs: pl.DataFrame) -> str:
    """The docs index: one row per run page (quarter, run_id, page, is_current), newest first."""
    rows = [
        (
            _e(r["quarter"]),
            f'<a href="{_e(r["page"])}">{_e(r["run_id"])}</a>',
            "loaded now" if r["is_current"] else "",
        )
        for r in runs.sort(["quarter", "run_id"], descending=True).iter_rows(named=True)
    ]
    return _page("Validation runs", ["<h1>Validation runs</h1>", _table(("quarter", "run", ""), rows)])


def _files_table(files: pl.DataFrame) -> str:
    rows = [
        (
            _e(f["file_name"]),
            _status(f["status"]),
            _n(f["rows_read"]),
            _n(f["rows_loaded"]),
            _n(f["rows_quarantined"]),
            _e(f["message"] or ""),
        )
        for f in files.sort("file_name").iter_rows(named=True)
    ]
    if not rows:
        return '<p class="note">No files for this quarter.</p>'
    return _table(("file", "status", "rows read", "loaded", "quarantined", "message"), rows)


def _results_table(source: str, results: pl.DataFrame) -> str:
    rows = []
    for r in results.iter_rows(named=True):
        anchor = f"{source}-{r['suite']}-{r['expectation']}"
        flagged = _n(r["unexpected_count"])
        if not r["success"] and r["unexpected_count"]:
            section = "quarantine" if r["severity"] == "error" else "warnings"
            flagged = f'<a href="#{_e(source)}-{section}">{flagged}</a>'
        rows.append(
            (
                _e(r["suite"]),
                f'<code id="{_e(anchor)}">{_e(r["expectation"])}</code>',
                _e(r["severity"]),
                _result(r["success"], r["severity"]),
                _n(r["element_count"]),
                flagged,
                _e(r["description"] or ""),
                _e(r["message"] or ""),
            )
        )
    if not rows:
        return '<p class="note">No checks ran.</p>'
    header = ("suite", "expectation", "severity", "result", "checked", "flagged", "expects", "found")
    return "<h3>Checks</h3>" + _table(header, rows)


def _rows_section(
    source: str,
    anchor: str,
    title: str,
    rows: pl.DataFrame,
    list_columns: Sequence[str],
    command: str | None,
) -> str:
    heading = f'<h3 id="{_e(source)}-{anchor}">{_e(title)}</h3>'
    if rows.is_empty():
        return f'{heading}<p class="note">None.</p>'
    total = int(rows["total"].max() or 0)  # type: ignore[arg-type]
    shown = rows.sort("source_file", "source_row").head(ROWS_SHOWN)
    table = _table(
        ("file", "row", *list_columns),
        [
            (
                _e(r["source_file"]),
                _n(r["source_row"]),
                *("<br>".join(_e(v) for v in (r[c] or [])) for c in list_columns),
            )
            for r in shown.iter_rows(named=True)
        ],
    )
    note = ""
    if total > shown.height:
        rest = f"{total - shown.height:,} more"
        listing = f": <code>{_e(command)}</code>" if command else "."
        note = f'<p class="note">{rest}{listing}</p>'
    elif command:
        note = f'<p class="note">Also: <code>{_e(command)}</code></p>'
    return heading + table + note


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{cell}</td>' if _is_number_cell(header[i]) else f"<td>{cell}</td>"
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _is_number_cell(column: str) -> bool:
    return column in {"rows read", "loaded", "quarantined", "checked", "flagged", "row"}


def _page(title: str, body: Sequence[str]) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def _result(success: bool, severity: str) -> str:
    if success:
        return '<span class="passed">passed</span>'
    if severity == "warning":
        return '<span class="warned">warning</span>'
    return '<span class="failed">failed</span>'


def _status(status: str) -> str:
    css = {"loaded": "passed", "partial": "warned", "rejected": "failed"}.get(status, "")
    return f'<span class="{css}">{_e(status)}</span>'


def _n(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)
