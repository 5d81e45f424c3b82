"""`costtrends report`: one self-contained HTML file from the BI snapshot, viewable offline.

Everything comes from the published snapshot, opened read-only, so the report can be
made while a refresh runs: the marts for the figures and the snapshot's `meta` schema
(`meta.snapshot`, `meta.data_quality`) for what it covers and the data quality. Charts
are inline SVG; the file references nothing outside itself (no scripts, fonts or links).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from costtrends.charts import PALETTE, Series, bar_chart, count, hbar_chart, line_chart, money
from ingest.files import write_atomically
from warehouse.db import sql

REPORT_NAME = "report.html"  # written beside the snapshot unless --out says otherwise
TOP_MUNICIPALITIES = 10
SIZE_CLASSES = ("<20k", "20k-50k", "50k-100k", ">=100k")
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


def _cell(value: Any, fmt: Callable[[Any], str] | None = None) -> str:
    if value is None:
        return "–"
    return escape(fmt(value) if fmt else str(value))


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


def _national_section(data: ReportData) -> str:
    national = data.national
    if national.is_empty():
        return "<p>No national estimate in this snapshot.</p>"
    quarters = national["quarter"].unique(maintain_order=True).to_list()
    present = national["cost_category"].unique().to_list()
    categories = [c for c in CATEGORY_NAMES if c in present] + sorted(set(present) - set(CATEGORY_NAMES))
    panels = []
    for k, category in enumerate(categories):
        rows = {
            r["quarter"]: r
            for r in national.filter(pl.col("cost_category") == category).iter_rows(named=True)
        }
        series = Series(
            CATEGORY_NAMES.get(category, category),
            [rows[q]["estimate_eur"] if q in rows else None for q in quarters],
            color=PALETTE[k % len(PALETTE)],
            low=[rows[q]["estimate_low_eur"] if q in rows else None for q in quarters],
            high=[rows[q]["estimate_high_eur"] if q in rows else None for q in quarters],
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
            pl.col("estimate_eur").filter(pl.col("is_digital")).sum().alias("digital"),
            pl.col("estimate_eur").filter(~pl.col("is_digital")).sum().alias("savings"),
        )
        .iter_rows(named=True)
    )
    table = _table(
        [
            "quarter",
            "respondents (most of any category)",
            "population coverage",
            "digital extra, estimate",
            "office savings, estimate",
        ],
        [
            [
                escape(r["quarter"]),
                _cell(r["respondents"], count),
                _pct(r["population_coverage_pct"]),
                _cell(r["digital"], money),
                _cell(r["savings"], money),
            ]
            for r in per_quarter
        ],
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
    rows = {
        r["period"]: r
        for r in data.periods.filter(
            (pl.col("period_type") == "quarter") & (pl.col("cost_category") == "digital_total")
        ).iter_rows(named=True)
    }
    if not rows:
        return ""
    series = Series(
        "All digital categories",
        [rows[q]["estimate_eur"] if q in rows else None for q in quarters],
        color=PALETTE[6],
        low=[rows[q]["estimate_low_eur"] if q in rows else None for q in quarters],
        high=[rows[q]["estimate_high_eur"] if q in rows else None for q in quarters],
    )
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
                    _cell(digital["estimate_eur"], money) if digital else "–",
                    (
                        f"{money(digital['estimate_low_eur'])} – {money(digital['estimate_high_eur'])}"
                        if digital
                        and digital["estimate_low_eur"] is not None
                        and digital["estimate_high_eur"] is not None
                        else "–"
                    ),
                    _cell(savings["estimate_eur"], money) if savings else "–",
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
    table = _table(
        [
            "quarter",
            "municipalities",
            "without savings figure",
            "extra digital cost",
            "office savings",
            "net cost",
            "median net cost",
        ],
        [
            [
                escape(r["quarter"]),
                _cell(r["municipalities"], count),
                _cell(r["without_savings"], count),
                _cell(r["digital_extra_eur"], money),
                _cell(r["office_savings_eur"], money),
                _cell(r["net_cost_eur"], money),
                _cell(r["median_net_cost_eur"], money),
            ]
            for r in net.iter_rows(named=True)
        ],
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
    present = sizes["size_class"].unique().to_list()
    classes = [c for c in SIZE_CLASSES if c in present] + sorted(set(present) - set(SIZE_CLASSES))
    series, rows = [], []
    for k, size_class in enumerate(classes):
        by_quarter = {
            r["quarter"]: r for r in sizes.filter(pl.col("size_class") == size_class).iter_rows(named=True)
        }
        series.append(
            Series(
                f"{size_class} inhabitants",
                [by_quarter[q]["median_eur_per_inhabitant"] if q in by_quarter else None for q in quarters],
                color=PALETTE[k % len(PALETTE)],
            )
        )
    for q in quarters:
        cells = [escape(q)]
        for size_class in classes:
            match = sizes.filter((pl.col("quarter") == q) & (pl.col("size_class") == size_class))
            cells.append(
                "–"
                if match.is_empty()
                else f"{_per_inhabitant(match['median_eur_per_inhabitant'][0])} "
                f'<span class="muted">({match["municipalities"][0]})</span>'
            )
        rows.append(cells)
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
    table = _table(
        ["municipality", "code", "size class", "extra digital cost", "per inhabitant"],
        [
            [
                escape(r["municipality_name"] or ""),
                escape(r["municipality_code"]),
                escape(r["size_class"] or "–"),
                _cell(r["digital_extra_eur"], money),
                _cell(r["eur_per_inhabitant"], _per_inhabitant),
            ]
            for r in top.iter_rows(named=True)
        ],
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
    table = _table(
        [
            "quarter",
            "survey respondents",
            "municipalities with budget lines",
            "files",
            "rejected files",
            "rows read",
            "rows loaded",
            "quarantined (survey / budget)",
        ],
        [
            [
                escape(r["quarter"]),
                _cell(r["respondents"], count),
                _cell(r["budget_municipalities"], count),
                _cell(r["files"], count),
                _cell(r["rejected_files"], count),
                _cell(r["rows_read"], count),
                _cell(r["rows_loaded"], count),
                f"{_cell(r['rows_quarantined'], count)} "
                f'<span class="muted">({_cell(r["survey_rows_quarantined"] or 0, count)} / '
                f"{_cell(r['budget_rows_quarantined'] or 0, count)})</span>",
            ]
            for r in quality.iter_rows(named=True)
        ],
    )
    return (
        '<p class="lede">Per quarter, the run that loaded it: municipalities that answered the survey '
        "(their latest complete response), rows set aside with their reasons (costtrends quarantine lists "
        "them) and files rejected whole. Rows read = rows loaded + rows quarantined.</p>"
        f"{chart}{table}"
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
