"""Fetched CBS data end to end: `costtrends fetch`, then the quarterly refresh, against the replay server.

Expected values are worked out by hand from tests/data/cbs/make_replay.py (amounts in
thousands of euros, so ×1000 here) and the seed register. Budget categories: (0.4, 3.2)
and (0.4, 3.8) are `ict`, (0.3, *) `housing`, the rest of 0.4 `other_overhead`,
everything else `other`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from costtrends import cli
from tests.cbs_replay import DATA, ReplayServer
from tests.conftest import using_home

pytestmark = pytest.mark.integration

D = Decimal


@pytest.fixture
def cbs(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with ReplayServer(DATA / "dataderden") as dataderden, ReplayServer(DATA / "statline") as statline:
        monkeypatch.setenv("COSTTRENDS_CBS_DATADERDEN_URL", dataderden.url)
        monkeypatch.setenv("COSTTRENDS_CBS_STATLINE_URL", statline.url)
        yield


def _fetch(*args: str) -> None:
    result = CliRunner().invoke(cli.app, ["fetch", *args], terminal_width=250)
    assert result.exit_code == 0, result.output


def _rows(home: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(home / "published" / "costtrends.duckdb"), read_only=True) as con:
        return con.execute(query).fetchall()


BUDGET_2021Q1 = """
    select municipality_code, quarter, budget_category, kind, lasten_eur, baten_eur
    from marts.budget_trend_quarterly where quarter = '2021Q1' order by all
"""


def test_fetched_iv3_figures_reach_the_budget_mart(prefect_harness: None, home: Path, cbs: None) -> None:
    from flows.quarterly_refresh import quarterly_refresh

    _fetch("iv3", "--year", "2021")
    summary = quarterly_refresh("2021Q1")

    assert summary.status == "clean"
    assert (summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == (16, 16, 0)
    # Begroting 2021: GM0014 ict lasten 120.5 + 1.234, baten 10; other_overhead 2500 (0.4×1.1);
    # other 300 (1.1×3.8). GM0363 housing lasten 60, baten 45.75; ict 900. GM1979 ict 15 + 0.1.
    # 1e kwartaal 2021 (no earlier periode: as delivered): GM0014 ict 30.25 + 0.5, other_overhead
    # 610, other 70; GM0363 housing baten -3.25, ict 200; GM1979 ict 4.
    assert [r[:4] + tuple(D(str(v)) for v in r[4:]) for r in _rows(home, BUDGET_2021Q1)] == [
        ("GM0014", "2021Q1", "ict", "begroting", D("121734"), D("10000")),
        ("GM0014", "2021Q1", "ict", "realisatie", D("30750"), D("0")),
        ("GM0014", "2021Q1", "other", "begroting", D("300000"), D("0")),
        ("GM0014", "2021Q1", "other", "realisatie", D("70000"), D("0")),
        ("GM0014", "2021Q1", "other_overhead", "begroting", D("2500000"), D("0")),
        ("GM0014", "2021Q1", "other_overhead", "realisatie", D("610000"), D("0")),
        ("GM0363", "2021Q1", "housing", "begroting", D("60000"), D("45750")),
        ("GM0363", "2021Q1", "housing", "realisatie", D("0"), D("-3250")),
        ("GM0363", "2021Q1", "ict", "begroting", D("900000"), D("0")),
        ("GM0363", "2021Q1", "ict", "realisatie", D("200000"), D("0")),
        ("GM1979", "2021Q1", "ict", "begroting", D("15100"), D("0")),
        ("GM1979", "2021Q1", "ict", "realisatie", D("4000"), D("0")),
    ]


def test_fetched_figures_give_the_same_budget_mart_as_the_same_figures_as_iv3_json(
    prefect_harness: None, tmp_path: Path, cbs: None
) -> None:
    """The issue's proof: fetch iv3 --year 2021, run 2021Q1 == the 2021 deliveries as Iv3 JSON, run 2021Q1."""
    from flows.quarterly_refresh import quarterly_refresh

    cbs_url = os.environ["COSTTRENDS_CBS_DATADERDEN_URL"]
    mart = BUDGET_2021Q1.replace(
        "lasten_eur, baten_eur", "lasten_eur, baten_eur, qoq_change_pct, yoy_change_pct"
    )
    json_home = tmp_path / "json"
    shutil.copytree(DATA / "iv3_json" / "2021Q1", json_home / "landing" / "budget" / "2021Q1")
    with using_home(json_home):
        json_summary = quarterly_refresh("2021Q1")
    fetched_home = tmp_path / "fetched"
    with using_home(fetched_home), pytest.MonkeyPatch.context() as mp:
        mp.setenv("COSTTRENDS_CBS_DATADERDEN_URL", cbs_url)
        _fetch("iv3", "--year", "2021")
        fetched_summary = quarterly_refresh("2021Q1")

    assert json_summary.status == fetched_summary.status == "clean"
    from_json, from_cbs = _rows(json_home, mart), _rows(fetched_home, mart)
    assert len(from_cbs) == 12
    assert from_cbs == from_json


SURVEY_2025Q1 = (
    "response_id,submitted,municipality,quarter,fte,share working from home now,"
    "share working from home expected,extra costs hardware,extra costs software licences,"
    "extra costs ict support,extra costs digital security,extra costs other,savings on office space\n"
    "s1,2025-04-05 09:00,GM0014,2025Q1,3100,75%,50%,12000,6000,0,0,0,3000\n"
)
COST_2025Q1 = """
    select cost_category, amount_eur, amount_per_1000_inhabitants
    from marts.cost_trend_quarterly where municipality_code = 'GM0014' and quarter = '2025Q1'
    order by cost_category
"""


def test_2025_quarters_use_the_2025_population_once_it_is_fetched(
    prefect_harness: None, home: Path, cbs: None
) -> None:
    from flows.quarterly_refresh import quarterly_refresh

    survey = home / "landing" / "survey" / "2025Q1" / "survey_2025Q1.csv"
    survey.parent.mkdir(parents=True)
    survey.write_text(SURVEY_2025Q1, encoding="utf-8")

    quarterly_refresh("2025Q1")
    # The seeds end at 2024: Groningen's 243,768 inhabitants on 1 January 2024 stand in.
    before = 243_768
    assert _rows(home, COST_2025Q1) == [
        ("hardware", D("12000.00"), round(12000 / before * 1000, 4)),
        ("ict_support", D("0.00"), 0.0),
        ("office_savings", D("3000.00"), round(3000 / before * 1000, 4)),
        ("other", D("0.00"), 0.0),
        ("security", D("0.00"), 0.0),
        ("software_licences", D("6000.00"), round(6000 / before * 1000, 4)),
    ]

    _fetch("population", "--year", "2025")
    quarterly_refresh("2025Q1")
    # Fetched: 244,768 on 1 January 2025. 12000 / 244768 × 1000 = 49.0260 (4 decimals).
    assert _rows(home, COST_2025Q1) == [
        ("hardware", D("12000.00"), 49.026),
        ("ict_support", D("0.00"), 0.0),
        ("office_savings", D("3000.00"), 12.2565),
        ("other", D("0.00"), 0.0),
        ("security", D("0.00"), 0.0),
        ("software_licences", D("6000.00"), 24.513),
    ]


def test_fetch_cbs_flow_lands_the_year_and_tolerates_a_population_not_yet_published(
    prefect_harness: None, home: Path, cbs: None
) -> None:
    from flows.fetch_cbs import fetch_cbs

    summary = fetch_cbs(2021)

    landing = home / "landing" / "budget"
    assert sorted(str(p.relative_to(landing)) for p in landing.rglob("*.csv")) == [
        "2020Q4/cbs_iv3_2020_p5_jaarrekening.csv",
        "2021Q1/cbs_iv3_2021_p0_begroting.csv",
        "2021Q1/cbs_iv3_2021_p1_kwartaal1.csv",
        "2021Q2/cbs_iv3_2021_p2_kwartaal2.csv",
    ]
    # The replayed StatLine table has 2024 and 2025 only: 2021's population is not fetched.
    assert summary.population is None
    assert not (home / "reference").exists()


def test_the_cbs_client_gets_the_settings_timeout_retries_and_backoff(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flows.settings import get_settings
    from ingest.cbs_odata import ODataClient

    monkeypatch.setenv("COSTTRENDS_CBS_TIMEOUT_SECONDS", "7.5")
    monkeypatch.setenv("COSTTRENDS_CBS_RETRIES", "2")
    monkeypatch.setenv("COSTTRENDS_CBS_BACKOFF_SECONDS", "0.25")
    client = get_settings().cbs_client("http://cbs.test")
    assert client == ODataClient("http://cbs.test", timeout=7.5, retries=2, backoff=0.25)


def test_the_cbs_fetch_steps_import_nothing_of_the_flows() -> None:
    import subprocess
    import sys

    script = "import sys, ingest.fetch; print(sorted(m for m in sys.modules if m.split('.')[0] == 'flows'))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
