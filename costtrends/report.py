"""`costtrends report`: one self-contained HTML file from the BI snapshot, viewable offline.

Everything comes from the published snapshot, opened read-only, so the report can be
made while a refresh runs: the marts for the figures and the snapshot's `meta` schema
(`meta.snapshot`, `meta.data_quality`) for what it covers and the data quality. Charts
are inline SVG; the file references nothing outside itself (no scripts, fonts or links).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from costtrends.charts import PALETTE, Series, bar_chart, count, hbar_chart, line_chart, money
from ingest.files import write_atomically
from transforms.reference import SIZE_CLASSES
from warehouse.db import sql

REPORT_NAME = "report.html"  # written beside the snapshot unless --out says otherwise
TOP_MUNICIPALITIES = 10
CATEGORY_NAMES = {
    "hardware": "Hardware",
    "software_licences": "Software licences",
    "ict_support": "ICT support",
    "security": "Digital security",
    "other": "Other digital",
    "office_savings": "Office savings",
}


@dataclass(frozen=True)
class ReportData:
    """What the report shows, read from one snapshot."""

    snapshot: dict[str, object]
    national: pl.DataFrame  # quarter × cost category
    net_cost: pl.DataFrame  # quarter
    size_class: pl.DataFrame  # quarter × size class
    top: pl.DataFrame  # municipality, last quarter, highest per inhabitant first
    quality: pl.DataFrame  # quarter
    periods: pl.DataFrame = field(
        default_factory=pl.DataFrame
    )  # period type × period × (digital_total, office_savings)


def collect(snapshot: Path, *, top: int = TOP_MUNICIPALITIES) -> ReportData:
    """Read everything the report shows from the snapshot, read-only, in one connection."""
    with duckdb.connect(str(snapshot), read_only=True) as con:
        meta = con.sql(sql("queries/select_report_snapshot")).pl()
        tables = {r[0] for r in con.execute(sql("queries/select_snapshot_tables")).fetchall()}
        quality = (
            con.sql(sql("queries/select_report_quality")).pl()
            if "meta.data_quality" in tables
            else pl.DataFrame()
        )
        return ReportData(
            snapshot=meta.row(0, named=True) if meta.height else {},
            national=con.sql(sql("queries/select_report_national")).pl(),
            net_cost=con.sql(sql("queries/select_report_net_cost")).pl(),
            size_class=con.sql(sql("queries/select_report_size_class")).pl(),
            top=con.sql(sql("queries/select_report_top_municipalities"), params=[top]).pl(),
            quality=quality,
            periods=(
                con.sql(sql("queries/select_report_periods")).pl()
                if "marts.national_estimate_period" in tables
                else pl.DataFrame()
            ),
        )


def write_report(snapshot: Path, out: Path) -> Path:
    """Render the report of `snapshot` into `out` (replaced atomically); return its path."""
    if not snapshot.is_file():
        raise FileNotFoundError(
            f"no snapshot at {snapshot}: run a refresh first (costtrends run or backfill)"
        )
    return write_atomically(out, render(collect(snapshot), source=snapshot.name))


def _per_inhabitant(value: float) -> str:
    return f"€{value:,.2f}" if abs(value) >= 1 else f"€{value:,.3f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f}%"


Row = dict[str, Any]


def _field(value: Any, name: str) -> str:
    """A value of result column `name`, written by its unit suffix; other numbers are counts."""
    if value is None:
        return "–"
    if name.endswith("_per_inhabitant"):
        return escape(_per_inhabitant(value))
    if name.endswith("_eur"):
        return escape(money(value))
    if name.endswith("_pct"):
        return _pct(value)
    return escape(count(value) if isinstance(value, int | float) else str(value))


def _rows_table(
    rows: Iterable[Row], columns: dict[str, str | Callable[[Row], str]], *, numeric_from: int = 1
) -> str:
    """A table of `rows`: per header, the result column it shows or a function writing its cell."""
    cells = [[_field(r[c], c) if isinstance(c, str) else c(r) for c in columns.values()] for r in rows]
    return _table(list(columns), cells, numeric_from=numeric_from)


def _table(headers: list[str], rows: list[list[str]], *, numeric_from: int = 1) -> str:
    head = "".join(
        f'<th class="{"num" if i >= numeric_from else ""}">{escape(h)}</th>' for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(f'<td class="{"num" if i >= numeric_from else ""}">{c}</td>' for i, c in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _in_order(values: pl.Series, known: Iterable[str]) -> list[str]:
    """The distinct `values`: the known ones in their known order, then any others sorted."""
    present = set(values.unique().to_list())
    ordered = [v for v in known if v in present]
    return ordered + sorted(present - set(ordered))


def _by_label(frame: pl.DataFrame, label: str) -> dict[str, Row]:
    """`frame`'s rows by their value of column `label` (a quarter or period)."""
    return {r[label]: r for r in frame.iter_rows(named=True)}


def _values(rows: dict[str, Row], labels: list[str], column: str) -> list[Any]:
    """Column `column` of the row of each label in turn; None where a label has no row."""
    return [rows[label][column] if label in rows else None for label in labels]


def _estimate_series(name: str, rows: dict[str, Row], labels: list[str], color: str) -> Series:
    """An estimate line with its range band, over `labels`."""
    return Series(
        name,
        _values(rows, labels, "estimate_eur"),
        color=color,
        low=_values(rows, labels, "estimate_low_eur"),
        high=_values(rows, labels, "estimate_high_eur"),
    )


def _national_section(data: ReportData) -> str:
    national = data.national
    if national.is_empty():
        return "<p>No national estimate in this snapshot.</p>"
    quarters = national["quarter"].unique(maintain_order=True).to_list()
    categories = _in_order(national["cost_category"], CATEGORY_NAMES)
    panels = []
    for k, category in enumerate(categories):
        series = _estimate_series(
            CATEGORY_NAMES.get(category, category),
            _by_label(national.filter(pl.col("cost_category") == category), "quarter"),
            quarters,
            PALETTE[k % len(PALETTE)],
        )
        panels.append(
            '<div class="panel">'
            + line_chart(quarters, [series], title=series.name, band_label="90% range")
            + "</div>"
        )
    per_quarter = (
        national.group_by("quarter", maintain_order=True)
        .agg(
            pl.col("respondents").max(),
            pl.col("population_coverage_pct").max(),
            pl.col("estimate_eur").filter(pl.col("is_digital")).sum().alias("digital_eur"),
            pl.col("estimate_eur").filter(~pl.col("is_digital")).sum().alias("savings_eur"),
        )
        .iter_rows(named=True)
    )
    table = _rows_table(
        per_quarter,
        {
            "quarter": "quarter",
            "respondents (most of any category)": "respondents",
            "population coverage": "population_coverage_pct",
            "digital extra, estimate": "digital_eur",
            "office savings, estimate": "savings_eur",
        },
    )
    return (
        '<p class="lede">Estimated national total per quarter and cost category. The line is the estimate, '
        "the shaded band its 90% range (stratified ratio estimator by size class, see docs/estimate.md). "
        "Each panel has its own scale.</p>"
        f"{_digital_total(data, quarters)}"
        f'<div class="grid">{"".join(panels)}</div>'
        f"<details><summary>Figures per quarter</summary>{table}</details>"
        f"{_period_table(data)}"
    )


def _digital_total(data: ReportData, quarters: list[str]) -> str:
    """All digital categories together, with their own range (when the snapshot has it)."""
    if data.periods.is_empty():
        return ""
    rows = _by_label(
        data.periods.filter(
            (pl.col("period_type") == "quarter") & (pl.col("cost_category") == "digital_total")
        ),
        "period",
    )
    if not rows:
        return ""
    series = _estimate_series("All digital categories", rows, quarters, PALETTE[6])
    return line_chart(
        quarters,
        [series],
        title="Extra digital cost, all categories together",
        band_label="90% range",
        width=860,
        height=250,
    )


def _period_table(data: ReportData) -> str:
    """Half years and years: sums of their quarters' estimates, with the range."""
    periods = data.periods.filter(pl.col("period_type").is_in(["half_year", "year"]))
    if periods.is_empty():
        return ""
    full = {"half_year": 2, "year": 4}
    rows: list[tuple[tuple[str, int], list[str]]] = []  # (sort key: year, half years first), cells
    for (period_type, period), group in periods.group_by(["period_type", "period"], maintain_order=True):
        by = {r["cost_category"]: r for r in group.iter_rows(named=True)}
        digital, savings = by.get("digital_total"), by.get("office_savings")
        covered = max(r["quarters_covered"] for r in by.values())
        label = (
            period
            if covered >= full[str(period_type)]
            else f"{period} ({covered} of {full[str(period_type)]} quarters)"
        )
        rows.append(
            (
                (str(period), 0) if period_type == "half_year" else (f"{period}H9", 1),
                [
                    escape(str(label)),
                    _field(digital["estimate_eur"], "estimate_eur") if digital else "–",
                    (
                        f"{money(digital['estimate_low_eur'])} – {money(digital['estimate_high_eur'])}"
                        if digital
                        and digital["estimate_low_eur"] is not None
                        and digital["estimate_high_eur"] is not None
                        else "–"
                    ),
                    _field(savings["estimate_eur"], "estimate_eur") if savings else "–",
                ],
            )
        )
    rows.sort(key=lambda r: r[0])
    table = _table(
        ["period", "extra digital cost, estimate", "90% range", "office savings, estimate"],
        [cells for _, cells in rows],
    )
    return f"<details open><summary>Half years and years</summary>{table}</details>"


def _net_cost_section(data: ReportData) -> str:
    net = data.net_cost
    if net.is_empty():
        return "<p>No net cost in this snapshot.</p>"
    quarters = net["quarter"].to_list()
    chart = bar_chart(
        quarters,
        [
            Series("Extra digital cost", net["digital_extra_eur"].to_list(), color=PALETTE[0]),
            Series(
                "Office savings (negative)",
                [-v for v in net["office_savings_eur"].to_list()],
                color=PALETTE[2],
            ),
        ],
        line=Series("Net cost", net["net_cost_eur"].to_list(), color=PALETTE[5]),
        title="Reported by responding municipalities, summed",
    )
    table = _rows_table(
        net.iter_rows(named=True),
        {
            "quarter": "quarter",
            "municipalities": "municipalities",
            "without savings figure": "without_savings",
            "extra digital cost": "digital_extra_eur",
            "office savings": "office_savings_eur",
            "net cost": "net_cost_eur",
            "median net cost": "median_net_cost_eur",
        },
    )
    return (
        '<p class="lede">Extra digital cost minus savings on office space, as reported: sums over the '
        "municipalities that reported both each quarter (their number varies; see the table), not a national "
        "estimate. Municipalities without a savings figure are left out rather than counted as saving "
        "nothing.</p>"
        f"{chart}{table}"
    )


def _size_class_section(data: ReportData) -> str:
    sizes = data.size_class
    if sizes.is_empty():
        return "<p>No per-inhabitant figures in this snapshot.</p>"
    quarters = sizes["quarter"].unique(maintain_order=True).to_list()
    classes = _in_order(sizes["size_class"], SIZE_CLASSES)
    per_class = {c: _by_label(sizes.filter(pl.col("size_class") == c), "quarter") for c in classes}
    series = [
        Series(
            f"{c} inhabitants",
            _values(per_class[c], quarters, "median_eur_per_inhabitant"),
            color=PALETTE[k % len(PALETTE)],
        )
        for k, c in enumerate(classes)
    ]
    rows = [[escape(q), *(_median_cell(per_class[c].get(q)) for c in classes)] for q in quarters]
    chart = line_chart(
        quarters,
        series,
        title="Median extra digital cost per inhabitant",
        fmt=_per_inhabitant,
        width=860,
        height=260,
    )
    table = _table(["quarter", *[f"{c} inhabitants" for c in classes]], rows)
    return (
        '<p class="lede">Extra digital cost per inhabitant (all digital categories of a municipality '
        "together), the median over the responding municipalities of each size class. In brackets in the "
        "table: how many municipalities reported.</p>"
        f"{chart}<details><summary>Figures per quarter</summary>{table}</details>"
    )


def _median_cell(row: Row | None) -> str:
    """A size class's median per inhabitant in a quarter, and in brackets how many reported."""
    if row is None:
        return "–"
    return (
        f"{_per_inhabitant(row['median_eur_per_inhabitant'])} "
        f'<span class="muted">({row["municipalities"]})</span>'
    )


def _top_section(data: ReportData) -> tuple[str, str]:
    top = data.top
    if top.is_empty():
        return "Highest extra cost per inhabitant", "<p>No municipal figures in this snapshot.</p>"
    quarter = top["quarter"][0]
    labels = [
        f"{r['municipality_name'] or r['municipality_code']} ({r['size_class'] or '?'})"
        for r in top.iter_rows(named=True)
    ]
    chart = hbar_chart(labels, top["eur_per_inhabitant"].to_list(), fmt=_per_inhabitant, color=PALETTE[0])
    table = _rows_table(
        top.iter_rows(named=True),
        {
            "municipality": lambda r: escape(r["municipality_name"] or ""),
            "code": "municipality_code",
            "size class": "size_class",
            "extra digital cost": "digital_extra_eur",
            "per inhabitant": "eur_per_inhabitant",
        },
        numeric_from=3,
    )
    return (
        f"Highest extra cost per inhabitant, {quarter}",
        f'<p class="lede">The {top.height} municipalities with the highest extra digital cost per inhabitant '
        f"in {escape(quarter)}, the last quarter with data.</p>{chart}{table}",
    )


def _quality_section(data: ReportData) -> str:
    quality = data.quality
    if quality.is_empty():
        return "<p>This snapshot has no data-quality table (meta.data_quality); republish it.</p>"
    quarters = quality["quarter"].to_list()
    respondents = bar_chart(
        quarters,
        [Series("Survey respondents", quality["respondents"].to_list(), color=PALETTE[0])],
        title="Survey respondents",
        fmt=count,
        width=420,
        height=230,
    )
    quarantined = bar_chart(
        quarters,
        [
            Series("Survey", quality["survey_rows_quarantined"].to_list(), color=PALETTE[5]),
            Series("Budget", quality["budget_rows_quarantined"].to_list(), color=PALETTE[1]),
        ],
        title="Quarantined rows",
        fmt=count,
        width=420,
        height=230,
    )
    chart = f'<div class="grid"><div>{respondents}</div><div>{quarantined}</div></div>'
    rejected = int(quality["rejected_files"].sum() or 0)
    chart += (
        f'<p class="lede">Files rejected whole: {rejected:,} in all.</p>'
        if rejected
        else '<p class="lede">No file was rejected whole.</p>'
    )
    table = _rows_table(
        quality.iter_rows(named=True),
        {
            "quarter": "quarter",
            "survey respondents": "respondents",
            "municipalities with budget lines": "budget_municipalities",
            "files": "files",
            "rejected files": "rejected_files",
            "rows read": "rows_read",
            "rows loaded": "rows_loaded",
            "quarantined (survey / budget)": _quarantined,
        },
    )
    return (
        '<p class="lede">Per quarter, the run that loaded it: municipalities that answered the survey '
        "(their latest complete response), rows set aside with their reasons (costtrends quarantine lists "
        "them) and files rejected whole. Rows read = rows loaded + rows quarantined.</p>"
        f"{chart}{table}"
    )


def _quarantined(row: Row) -> str:
    """Rows quarantined, and in brackets how many of each source."""
    survey, budget = row["survey_rows_quarantined"] or 0, row["budget_rows_quarantined"] or 0
    return (
        f"{_field(row['rows_quarantined'], 'rows_quarantined')} "
        f'<span class="muted">({_field(survey, "rows")} / {_field(budget, "rows")})</span>'
    )


CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; margin: 0;
       background: #fafafa; line-height: 1.45; }
main { max-width: 920px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; }
h1 { font-size: 1.6rem; margin: 0 0 4px; }
h2 { font-size: 1.2rem; margin: 36px 0 6px; padding-top: 10px; border-top: 1px solid #ddd; }
.meta { color: #555; font-size: 0.9rem; margin: 0 0 12px; }
.lede { color: #444; font-size: 0.92rem; margin: 4px 0 10px; }
.muted { color: #777; }
nav ol { margin: 6px 0 0; padding-left: 20px; font-size: 0.92rem; }
.grid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 8px 18px; }
svg { width: 100%; height: auto; display: block; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 10px 0; width: 100%; }
th, td { padding: 3px 8px; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
th { border-bottom: 1px solid #bbb; font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
details { margin: 8px 0; font-size: 0.9rem; }
summary { cursor: pointer; color: #0a5a8a; }
footer { margin-top: 40px; color: #777; font-size: 0.8rem; }
@media print { body { background: #fff; } details { display: block; } }
"""


def render(data: ReportData, *, source: str = "costtrends.duckdb") -> str:
    """The whole report as one HTML document."""
    meta = data.snapshot
    built = meta.get("built_at")
    built_text = f"{built:%Y-%m-%d %H:%M} UTC" if isinstance(built, dt.datetime) else "unknown"
    covered = (
        f"{meta.get('first_quarter')} – {meta.get('last_quarter')} ({meta.get('quarters')} quarters)"
        if meta.get("first_quarter")
        else "no quarters"
    )
    top_title, top_body = _top_section(data)
    sections = [
        ("national", "National estimate per cost category", _national_section(data)),
        ("net-cost", "Net cost: extra digital cost minus office savings", _net_cost_section(data)),
        ("size-class", "Spending per inhabitant by size class", _size_class_section(data)),
        ("top", top_title, top_body),
        ("quality", "Data quality per quarter", _quality_section(data)),
    ]
    nav = "".join(f'<li><a href="#{anchor}">{escape(title)}</a></li>' for anchor, title, _ in sections)
    body = "".join(
        f'<section id="{anchor}"><h2>{escape(title)}</h2>{content}</section>'
        for anchor, title, content in sections
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Cost trends of working from home: municipalities</title>"
        f"<style>{CSS}</style></head><body><main>"
        "<h1>Extra cost of working from home: Dutch municipalities</h1>"
        f'<p class="meta">Quarters {escape(covered)} · snapshot built {escape(built_text)} · '
        f"run {escape(str(meta.get('source_run', 'unknown')))} · from {escape(source)}</p>"
        f"<nav><ol>{nav}</ol></nav>{body}"
        f"<footer>Every figure comes from the published snapshot {escape(source)} "
        f"(snapshot id {escape(str(meta.get('snapshot_id', 'unknown')))}): its marts and its meta "
        "tables. Amounts in euros.</footer>"
        "</main></body></html>\n"
    )
