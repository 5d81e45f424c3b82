"""The offline HTML report: its figures, worked out by hand, and that it needs nothing outside itself.

The snapshot holds tests/warehouse/snapshot_helpers' generation 0: Groningen (GM0014),
Utrecht (GM0344) and Rotterdam (GM0599) answer for 2020Q4 and 2021Q1. Municipality i
(0, 1, 2) reports base = 1000·(i+1) + 100·(quarter of year) per category, times 1..5 for
the five digital categories (15·base in all) and base/2 office savings. Populations on
1 January: 2020 Groningen 232,874, Utrecht 357,597, Rotterdam 651,157; 2021 Groningen
233,273, Utrecht 359,370, Rotterdam 651,631 (all >=100k).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from costtrends.charts import money, nice_ticks
from costtrends.report import collect, write_report
from tests.warehouse.snapshot_helpers import build_warehouse
from warehouse.db import connect
from warehouse.publish import publish_snapshot

# 2021Q1 digital extra cost per inhabitant: 15 × base / population.
PER_INHABITANT_2021Q1 = {
    "GM0344": 15 * 2100 / 359370,
    "GM0599": 15 * 3100 / 651631,
    "GM0014": 15 * 1100 / 233273,
}


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    con = connect(":memory:")
    build_warehouse(con, generation=0, run_id="run-report")
    path = publish_snapshot(con, tmp_path / "published", run_id="run-report")
    con.close()
    return path


def test_top_municipalities_are_ranked_by_extra_cost_per_inhabitant_in_the_last_quarter(
    snapshot: Path,
) -> None:
    top = collect(snapshot).top
    assert top["quarter"].to_list() == ["2021Q1"] * 3
    assert top["municipality_code"].to_list() == ["GM0344", "GM0599", "GM0014"]
    assert top["municipality_name"].to_list() == ["Utrecht", "Rotterdam", "Groningen"]
    assert top["digital_extra_eur"].to_list() == [31500.0, 46500.0, 16500.0]
    # The mart rounds each category's per-1,000 figure to 4 decimals.
    assert top["eur_per_inhabitant"].to_list() == pytest.approx(
        list(PER_INHABITANT_2021Q1.values()), abs=1e-6
    )


def test_size_class_figure_is_the_median_per_inhabitant(snapshot: Path) -> None:
    sizes = collect(snapshot).size_class
    assert sizes.select("quarter", "size_class", "municipalities").rows() == [
        ("2020Q4", ">=100k", 3),
        ("2021Q1", ">=100k", 3),
    ]
    # 2020Q4: 21,000/232,874, 36,000/357,597, 51,000/651,157 → Groningen is the middle one.
    assert sizes["median_eur_per_inhabitant"].to_list() == pytest.approx(
        [15 * 1400 / 232874, PER_INHABITANT_2021Q1["GM0599"]], abs=1e-6
    )


def test_net_cost_sums_the_reporting_municipalities(snapshot: Path) -> None:
    net = collect(snapshot).net_cost
    assert net.rows() == [
        # 2020Q4: bases 1,400, 2,400, 3,400; net = 15·base − base/2 = 14.5·base.
        ("2020Q4", 3, 0, 108000.0, 3600.0, 104400.0, 34800.0),
        ("2021Q1", 3, 0, 94500.0, 3150.0, 91350.0, 30450.0),
    ]


def test_data_quality_comes_from_the_snapshot_meta_schema(snapshot: Path) -> None:
    quality = collect(snapshot).quality
    assert quality.select(
        "quarter", "files", "rejected_files", "rows_read", "rows_loaded", "rows_quarantined", "respondents"
    ).rows() == [
        ("2020Q4", 2, 0, 7, 6, 1, 3),
        ("2021Q1", 2, 0, 7, 6, 1, 3),
    ]


def test_report_is_one_html_file_that_references_nothing_outside_itself(
    snapshot: Path, tmp_path: Path
) -> None:
    out = write_report(snapshot, tmp_path / "out" / "report.html")
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    for outside in ("<script", "<link", "<img", "<iframe", "src=", "http://", "https://", "url(", "@import"):
        assert outside not in page, outside
    assert set(re.findall(r'href="([^"]*)"', page)) == {
        "#national",
        "#net-cost",
        "#size-class",
        "#top",
        "#quality",
    }
    # All digital categories, six national panels (one per cost category), net cost, size class,
    # top, two data-quality charts.
    assert page.count("<svg") == 12
    assert "Highest extra cost per inhabitant, 2021Q1" in page
    assert "Utrecht" in page and "run-report" in page
    assert [p.name for p in out.parent.iterdir()] == ["report.html"]


def test_report_tables_write_euros_short_and_counts_as_numbers(snapshot: Path, tmp_path: Path) -> None:
    page = write_report(snapshot, tmp_path / "report.html").read_text(encoding="utf-8")
    num = '<td class="num">'
    # Net cost, 2020Q4: 3 municipalities, none without savings, 108,000 − 3,600 = 104,400; median 14.5 × 2,400.
    assert (
        f'<tr><td class="">2020Q4</td>{num}3</td>{num}0</td>{num}€108k</td>{num}€3.6k</td>'
        f"{num}€104.4k</td>{num}€34.8k</td></tr>"
    ) in page
    # Top municipality: Utrecht, 2021Q1, 15 × 2,100 = 31,500, per inhabitant 31,500 / 359,370 ≈ €0.088.
    assert (
        f'<tr><td class="">Utrecht</td><td class="">GM0344</td><td class="">&gt;=100k</td>'
        f"{num}€31.5k</td>{num}€0.088</td></tr>"
    ) in page
    # Data quality, 2020Q4: 3 respondents, 3 municipalities with a budget line, 2 files, none rejected,
    # 4 + 3 rows read, 3 + 3 loaded, 1 quarantined (the survey file's; none of the budget file).
    assert (
        f'<tr><td class="">2020Q4</td>{num}3</td>{num}3</td>{num}2</td>{num}0</td>{num}7</td>'
        f'{num}6</td>{num}1 <span class="muted">(1 / 0)</span></td></tr>'
    ) in page


def test_report_command_writes_beside_the_snapshot_or_where_asked(home: Path) -> None:
    from costtrends.cli import app

    con = connect(":memory:")
    build_warehouse(con)
    publish_snapshot(con, home / "published", run_id="run-cli")
    con.close()
    runner = CliRunner()
    result = runner.invoke(app, ["report"])
    assert result.exit_code == 0, result.output
    assert (home / "published" / "report.html").is_file()
    result = runner.invoke(app, ["report", "--out", str(home / "elsewhere.html")])
    assert result.exit_code == 0, result.output
    assert (home / "elsewhere.html").is_file()


def test_report_command_without_a_snapshot_says_how_to_make_one(home: Path) -> None:
    from costtrends.cli import app

    result = CliRunner().invoke(app, ["report"])
    assert result.exit_code == 1
    assert "no snapshot at" in result.output and "costtrends run or backfill" in result.output


def test_axis_ticks_are_round_and_cover_the_values() -> None:
    assert nice_ticks(0, 4.19e6) == [0, 1e6, 2e6, 3e6, 4e6, 5e6]
    assert nice_ticks(-1.28e6, 2.94e6) == [-2e6, -1e6, 0, 1e6, 2e6, 3e6]
    assert nice_ticks(0, 175) == [0, 50, 100, 150, 200]
    assert nice_ticks(0, 0.33) == [0, 0.1, 0.2, 0.3, 0.4]


def test_money_is_short_and_keeps_significant_digits() -> None:
    assert [money(v) for v in (4_190_000, 1_000_000, 258_600, 12.5, 0.453, -1_200_000)] == [
        "€4.19M",
        "€1M",
        "€258.6k",
        "€12.5",
        "€0.453",
        "−€1.2M",
    ]
