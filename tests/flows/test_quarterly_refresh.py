"""End to end on a hand-made landing zone: 4 municipalities, 2 quarters, a merger between them.

Every expected value below is worked out by hand from tests/data/landing_small and
the register (populations on 1 January: Groningen 2020 232,874 and 2021 233,273;
Appingedam 2020 11,642; Eemsdelta 2021 45,587; Utrecht 2020 357,597).
Appingedam (GM0003) merged into Eemsdelta (GM1979) on 2021-01-01.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.conftest import copy_landing

pytestmark = pytest.mark.integration


def D(cents: str) -> float:
    """A euro amount as the marts hold it: the DOUBLE nearest the amount in cents."""
    return float(Decimal(cents))


# quarter_start, the last column of every mart: the quarter's first day.
START = {"2020Q4": dt.date(2020, 10, 1), "2021Q1": dt.date(2021, 1, 1)}


@pytest.fixture
def refreshed(prefect_harness: None, home: Path) -> Path:
    from flows.quarterly_refresh import quarterly_refresh

    copy_landing("landing_small", home)
    quarterly_refresh("2020Q4")
    quarterly_refresh("2021Q1")
    return home


def _rows(db: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(query).fetchall()


def test_cost_trend_puts_a_merged_municipality_on_its_successor(refreshed: Path) -> None:
    rows = _rows(
        refreshed / "published" / "costtrends.duckdb",
        """select municipality_code, municipality_name, size_class, quarter, cost_category, amount_eur,
                  amount_per_1000_inhabitants, qoq_change_eur, qoq_change_pct, yoy_change_pct,
                  rolling_4q_eur, cumulative_eur
           from marts.cost_trend_quarterly where municipality_code = 'GM1979'
           order by quarter, cost_category""",
    )
    # 2020Q4 is Appingedam's answer (population 11,642); its `other` was n.v.t., so no row.
    # 2021Q1 is Eemsdelta's own answer (45,587); its `other` was left empty, so no row.
    p20, p21 = 11642, 45587
    expected = [
        (
            "GM1979",
            "Eemsdelta",
            "20k-50k",
            "2020Q4",
            "hardware",
            D("1000.00"),
            round(1000 / p20 * 1000, 4),
            None,
            None,
            None,
            None,
            D("1000.00"),
        ),
        (
            "GM1979",
            "Eemsdelta",
            "20k-50k",
            "2020Q4",
            "ict_support",
            D("200.00"),
            round(200 / p20 * 1000, 4),
            None,
            None,
            None,
            None,
            D("200.00"),
        ),
        (
            "GM1979",
            "Eemsdelta",
            "20k-50k",
            "2020Q4",
            "office_savings",
            D("300.00"),
            round(300 / p20 * 1000, 4),
            None,
            None,
            None,
            None,
            D("300.00"),
        ),
        (
            "GM1979",
            "Eemsdelta",
            "20k-50k",
            "2020Q4",
            "security",
            D("100.00"),
            round(100 / p20 * 1000, 4),
            None,
            None,
            None,
            None,
            D("100.00"),
        ),
        (
            "GM1979",
            "Eemsdelta",
            "20k-50k",
            "2020Q4",
            "software_licences",
            D("500.00"),
            round(500 / p20 * 1000, 4),
            None,
            None,
            None,
            None,
            D("500.00"),
        ),
        (
            "GM1979",
            "Eemsdelta",
            "20k-50k",
            "2021Q1",
            "hardware",
            D("3000.00"),
            round(3000 / p21 * 1000, 4),
            D("2000.00"),
            200.0,
            None,
            None,
            D("4000.00"),
        ),
        (
            "GM1979",
            "Eemsdelta",
            "20k-50k",
            "2021Q1",
            "ict_support",
            D("500.00"),
            round(500 / p21 * 1000, 4),
            D("300.00"),
            150.0,
            None,
            None,
            D("700.00"),
        ),
        (
            "GM1979",
            "Eemsdelta",
            "20k-50k",
            "2021Q1",
            "office_savings",
            D("400.00"),
            round(400 / p21 * 1000, 4),
            D("100.00"),
            33.3333,
            None,
            None,
            D("700.00"),
        ),
        (
            "GM1979",
            "Eemsdelta",
            "20k-50k",
            "2021Q1",
            "security",
            D("250.00"),
            round(250 / p21 * 1000, 4),
            D("150.00"),
            150.0,
            None,
            None,
            D("350.00"),
        ),
        (
            "GM1979",
            "Eemsdelta",
            "20k-50k",
            "2021Q1",
            "software_licences",
            D("1000.00"),
            round(1000 / p21 * 1000, 4),
            D("500.00"),
            100.0,
            None,
            None,
            D("1500.00"),
        ),
    ]
    assert rows == expected


def test_cost_trend_uses_the_latest_complete_resubmission_and_nulls_a_gap(refreshed: Path) -> None:
    rows = _rows(
        refreshed / "published" / "costtrends.duckdb",
        """select municipality_code, quarter, cost_category, amount_eur, qoq_change_eur, qoq_change_pct
           from marts.cost_trend_quarterly
           where municipality_code in ('GM0014', 'GM0344') order by municipality_code, quarter, cost_category""",
    )
    assert rows == [
        ("GM0014", "2020Q4", "hardware", D("10000.00"), None, None),
        ("GM0014", "2020Q4", "ict_support", D("2000.00"), None, None),
        ("GM0014", "2020Q4", "office_savings", D("3000.00"), None, None),
        ("GM0014", "2020Q4", "other", D("0.00"), None, None),
        ("GM0014", "2020Q4", "security", D("1000.00"), None, None),
        ("GM0014", "2020Q4", "software_licences", D("5000.00"), None, None),
        # s2 (20 April, 12,000) supersedes s1 (5 April, 99,999).
        ("GM0014", "2021Q1", "hardware", D("12000.00"), D("2000.00"), 20.0),
        ("GM0014", "2021Q1", "ict_support", D("2000.00"), D("0.00"), 0.0),
        ("GM0014", "2021Q1", "office_savings", D("3000.00"), D("0.00"), 0.0),
        # From zero to zero: the change in euros is 0, the change in percent undefined.
        ("GM0014", "2021Q1", "other", D("0.00"), D("0.00"), None),
        ("GM0014", "2021Q1", "security", D("1000.00"), D("0.00"), 0.0),
        ("GM0014", "2021Q1", "software_licences", D("6000.00"), D("1000.00"), 20.0),
        # Utrecht's 2021Q1 row was quarantined (negative amount): 2020Q4 only.
        ("GM0344", "2020Q4", "hardware", D("20000.00"), None, None),
        ("GM0344", "2020Q4", "ict_support", D("4000.00"), None, None),
        ("GM0344", "2020Q4", "office_savings", D("5000.00"), None, None),
        ("GM0344", "2020Q4", "other", D("1000.00"), None, None),
        ("GM0344", "2020Q4", "security", D("2000.00"), None, None),
        ("GM0344", "2020Q4", "software_licences", D("8000.00"), None, None),
    ]


def test_core_keeps_the_code_as_reported_and_the_superseded_response(refreshed: Path) -> None:
    warehouse = refreshed / "warehouse" / "costtrends.duckdb"
    assert _rows(
        warehouse,
        "select quarter, response_id, municipality_code, fte, remote_share_now_pct, is_superseded "
        "from core.fct_survey_response order by quarter, response_id",
    ) == [
        ("2020Q4", "r1", "GM0014", 3100.5, 80.0, False),
        ("2020Q4", "r2", "GM0003", 250.0, 60.0, False),
        ("2020Q4", "r3", "GM0344", 4000.0, 70.0, False),
        ("2021Q1", "s1", "GM0014", 3100.0, 75.0, True),
        ("2021Q1", "s2", "GM0014", 3100.0, 75.0, False),
        ("2021Q1", "s3", "GM1979", 900.0, 60.0, False),
    ]
    assert _rows(
        warehouse,
        "select cost_category, amount_eur, answer_status from core.fct_survey_cost "
        "where response_id in ('r2', 's3') and cost_category = 'other' order by response_id",
    ) == [("other", None, "not_applicable"), ("other", None, "not_answered")]


def test_quarantine_names_file_row_and_rule(refreshed: Path) -> None:
    rows = _rows(
        refreshed / "warehouse" / "costtrends.duckdb",
        "select quarter, source, source_file, source_row, reasons from quarantine.rejected_rows "
        "order by quarter, source, source_row",
    )
    assert [(q, s, f, r) for q, s, f, r, _ in rows] == [
        ("2020Q4", "survey", "uitvraag_2020Q4.csv", 5),  # Atlantis; row 3 spans two lines of text
        ("2021Q1", "budget", "iv3_2021Q1.csv", 7),
        ("2021Q1", "survey", "survey_2021Q1.csv", 5),
        ("2021Q1", "survey", "survey_2021Q1.csv", 6),
    ]
    reasons = [r for *_, r in rows]
    assert reasons[0][0].startswith("municipality_known: ") and "Atlantis" in reasons[0][0]
    assert reasons[1] == ["taakveld_known"]
    assert reasons[2] == ["amount_non_negative:hardware_eur"]
    assert reasons[3] == ["period_matches_folder"]


def test_budget_marts_scale_thousands_and_map_old_codes(refreshed: Path) -> None:
    snapshot = refreshed / "published" / "costtrends.duckdb"
    assert _rows(
        snapshot,
        "select municipality_code, quarter, budget_category, kind, lasten_eur, baten_eur, qoq_change_pct "
        "from marts.budget_trend_quarterly order by all",
    ) == [
        ("GM0014", "2020Q4", "ict", "realisatie", D("130000.25"), D("0.00"), None),
        ("GM0014", "2021Q1", "housing", "realisatie", D("1000.00"), D("2500.50"), None),
        ("GM0014", "2021Q1", "ict", "begroting", D("60000.00"), D("0.00"), None),
        (
            "GM0014",
            "2021Q1",
            "ict",
            "realisatie",
            D("150500.25"),
            D("0.00"),
            round(20500 / 130000.25 * 100, 4),
        ),
        # Appingedam 2,000 + Delfzijl 3,000, both now Eemsdelta.
        ("GM1979", "2020Q4", "ict", "realisatie", D("5000.00"), D("0.00"), None),
        ("GM1979", "2021Q1", "ict", "realisatie", D("9500.00"), D("0.00"), 90.0),
    ]
    assert _rows(snapshot, "select * from marts.survey_vs_budget order by all") == [
        (
            "GM0014",
            "2020Q4",
            D("18000.00"),
            D("130000.25"),
            round(18000 / 130000.25 * 100, 4),
            START["2020Q4"],
        ),
        (
            "GM0014",
            "2021Q1",
            D("21000.00"),
            D("150500.25"),
            round(21000 / 150500.25 * 100, 4),
            START["2021Q1"],
        ),
        # Matched per reporting unit: Appingedam's survey against Appingedam's 2,000 only
        # (Delfzijl's 3,000 has no survey answer behind it).
        ("GM1979", "2020Q4", D("1800.00"), D("2000.00"), 90.0, START["2020Q4"]),
        ("GM1979", "2021Q1", D("4750.00"), D("9500.00"), 50.0, START["2021Q1"]),
    ]
    assert _rows(snapshot, "select * from marts.net_cost order by all") == [
        ("GM0014", "2020Q4", D("18000.00"), D("3000.00"), D("15000.00"), START["2020Q4"]),
        ("GM0014", "2021Q1", D("21000.00"), D("3000.00"), D("18000.00"), START["2021Q1"]),
        ("GM0344", "2020Q4", D("35000.00"), D("5000.00"), D("30000.00"), START["2020Q4"]),
        ("GM1979", "2020Q4", D("1800.00"), D("300.00"), D("1500.00"), START["2020Q4"]),
        ("GM1979", "2021Q1", D("4750.00"), D("400.00"), D("4350.00"), START["2021Q1"]),
    ]


def test_every_file_is_accounted_for(refreshed: Path) -> None:
    rows = _rows(
        refreshed / "warehouse" / "costtrends.duckdb",
        "select f.quarter, f.file_name, rows_read, rows_loaded, rows_quarantined from meta.ingested_files f "
        "join meta.partitions p using (run_id, source, quarter) order by f.quarter, f.file_name",
    )
    assert rows == [
        ("2020Q4", "iv3_2020Q4.csv", 4, 4, 0),
        ("2020Q4", "uitvraag_2020Q4.csv", 4, 3, 1),
        ("2021Q1", "iv3_2021Q1.csv", 6, 5, 1),
        ("2021Q1", "survey_2021Q1.csv", 5, 3, 2),
    ]
    for _, _, read, loaded, quarantined in rows:
        assert read == loaded + quarantined


def test_national_estimate_has_every_quarter_and_category(refreshed: Path) -> None:
    rows = _rows(
        refreshed / "published" / "costtrends.duckdb",
        "select quarter, cost_category, respondents from marts.national_estimate order by all",
    )
    assert [(q, c) for q, c, _ in rows if c == "hardware"] == [("2020Q4", "hardware"), ("2021Q1", "hardware")]
    counts = {(q, c): n for q, c, n in rows}
    assert counts[("2020Q4", "hardware")] == 3 and counts[("2020Q4", "other")] == 2
    assert counts[("2021Q1", "hardware")] == 2 and ("2021Q1", "other") in counts


def test_rerunning_a_quarter_leaves_byte_identical_marts(refreshed: Path) -> None:
    from flows.quarterly_refresh import quarterly_refresh

    parquet = refreshed / "published" / "parquet"
    before = {p.name: p.read_bytes() for p in sorted(parquet.glob("*.parquet"))}
    quarterly_refresh("2021Q1")
    quarterly_refresh("2020Q4")
    after = {p.name: p.read_bytes() for p in sorted(parquet.glob("*.parquet"))}
    assert before.keys() == after.keys() and len(before) == 6
    assert before == after
