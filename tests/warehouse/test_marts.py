"""Marts on hand-made core rows: rows in, every column of every row out, worked out by hand.

Populations on 1 January from warehouse/seeds/municipalities.csv: Groningen GM0014
2020 232,874 and 2021 233,273; Appingedam GM0003 2020 11,642; Delfzijl GM0010 2020
24,678; Loppersum GM0024 2020 9,537 (the three merged into Eemsdelta GM1979 on
2021-01-01; Eemsdelta 2021 45,587); Haaren GM0788 2020 14,370, split on 2021-01-01 over
Boxtel GM0757 (share 0.1474; 2020 30,801, 2021 32,973), Oisterwijk GM0824 (0.4191;
2020 26,245), Tilburg GM0855 (0.0891; 2020 219,789) and Vught GM0865 (0.3444; 2020 26,558).

Money columns are DOUBLE rounded to the cent (`D("147.40")` is the float 147.4); every mart
ends with `quarter_start`, the first day of the row's quarter (of a period's first quarter).
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest

from ingest.reference import read_reference
from tests.warehouse.core_rows import (
    MARTS,
    BudgetRow,
    SurveyRow,
    load_all,
    rebuild,
    rows,
    small_seeds,
    warehouse,
)
from transforms.estimate import Z_90


def D(cents: str) -> float:
    """A euro amount as every mart holds it: the DOUBLE nearest the amount in cents."""
    return float(Decimal(cents))


# First days of the quarters and periods of these tests, written out.
QUARTER_START = {
    "2020Q1": dt.date(2020, 1, 1),
    "2020Q2": dt.date(2020, 4, 1),
    "2020Q3": dt.date(2020, 7, 1),
    "2020Q4": dt.date(2020, 10, 1),
    "2021Q1": dt.date(2021, 1, 1),
    "2021Q2": dt.date(2021, 4, 1),
    "2021H1": dt.date(2021, 1, 1),
    "2021": dt.date(2021, 1, 1),
}


def dated(period_at: int, expected: list[tuple]) -> list[tuple]:
    """Expected rows with `quarter_start` appended, from the quarter or period at `period_at`."""
    return [(*row, QUARTER_START[row[period_at]]) for row in expected]


# fmt: off
SURVEY: list[SurveyRow] = [
    # Groningen answers hardware every quarter; `other` goes from 0 to 50; savings once,
    # then left open (not a number: no row, never a zero).
    ("2020Q1", "GM0014", "hardware", "1000"),
    ("2020Q1", "GM0014", "other", "0"),
    ("2020Q1", "GM0014", "office_savings", "200"),
    ("2020Q2", "GM0014", "hardware", "1100"),
    ("2020Q2", "GM0014", "other", "50"),
    ("2020Q2", "GM0014", "office_savings", None),
    ("2020Q3", "GM0014", "hardware", "1200"),
    ("2020Q4", "GM0014", "hardware", "1300"),
    ("2021Q1", "GM0014", "hardware", "1400"),
    ("2021Q2", "GM0014", "hardware", "1500"),
    # Eemsdelta's predecessors until 2020, Eemsdelta itself from 2021; nobody answers 2020Q3.
    ("2020Q1", "GM0003", "hardware", "100"),
    ("2020Q1", "GM0003", "office_savings", "10"),
    ("2020Q1", "GM0010", "hardware", "200"),
    ("2020Q1", "GM0010", "office_savings", "20"),
    ("2020Q2", "GM0003", "hardware", "100"),
    ("2020Q2", "GM0010", "hardware", "200"),
    ("2020Q2", "GM0024", "hardware", "100"),
    ("2020Q4", "GM0003", "hardware", "150"),
    ("2020Q4", "GM0003", "office_savings", "30"),
    ("2020Q4", "GM0010", "hardware", "250"),
    ("2020Q4", "GM0010", "office_savings", "40"),
    ("2020Q4", "GM0024", "hardware", "100"),
    ("2021Q1", "GM1979", "hardware", "600"),
    ("2021Q2", "GM1979", "hardware", "700"),
    # Haaren answers its last quarter; Boxtel, one of its four successors, the next.
    ("2020Q4", "GM0788", "hardware", "1000"),
    ("2020Q4", "GM0788", "office_savings", "100"),
    ("2021Q1", "GM0757", "hardware", "500"),
]

BUDGET: list[BudgetRow] = [
    ("2020Q1", "GM0003", "0.4", "3.8", "realisatie", "1000", "0"),
    ("2020Q1", "GM0010", "0.4", "3.8", "realisatie", "3000", "0"),
    ("2020Q3", "GM0014", "0.4", "3.8", "realisatie", "10000", "0"),
    ("2020Q3", "GM0014", "0.4", "3.8", "begroting", "12000", "0"),
    ("2020Q4", "GM0003", "0.4", "3.8", "realisatie", "2000", "0"),
    ("2020Q4", "GM0010", "0.4", "3.2", "realisatie", "3000", "0"),  # 3.2 is ICT too
    ("2020Q4", "GM0014", "0.4", "3.8", "realisatie", "11000", "0"),
    ("2020Q4", "GM0014", "0.3", "3.6", "realisatie", "500", "250.50"),  # housing
    ("2020Q4", "GM0014", "9.99", "3.8", "realisatie", "1", "0"),  # no mapping: unmapped
    ("2020Q4", "GM0788", "0.4", "3.8", "realisatie", "1000", "0"),
    ("2021Q1", "GM0014", "0.4", "3.8", "begroting", "12600", "0"),
    ("2021Q1", "GM1979", "0.4", "3.8", "realisatie", "5500", "0"),
]
# fmt: on


def per_1000(amount: float, population: int) -> float:
    return round(amount / population * 1000, 4)


def pct(new: float, old: float) -> float:
    return round((new - old) / old * 100, 4)


GRONINGEN_20, GRONINGEN_21 = 232_874, 233_273
# Populations of the reporting units behind each Eemsdelta figure.
APPINGEDAM_DELFZIJL = 11_642 + 24_678
ALL_THREE = 11_642 + 24_678 + 9_537
EEMSDELTA_21 = 45_587
# Haaren's 14,370 by share, rounded: 2,118.138 → 2,118; 6,022.467 → 6,022; 1,280.367 → 1,280; 4,949.028 → 4,949.
BOXTEL_PART, OISTERWIJK_PART, TILBURG_PART, VUGHT_PART = 2_118, 6_022, 1_280, 4_949


@pytest.fixture(scope="module")
def marts() -> dict[str, list[tuple]]:
    ref = read_reference()
    with warehouse(ref) as con:
        load_all(con, SURVEY, BUDGET)
        rebuild(con, ref)
        names = ("cost_trend_quarterly", "net_cost", "budget_trend_quarterly", "survey_vs_budget")
        return {m: rows(con, m) for m in names}


def test_cost_trend_every_column_across_a_merger_a_gap_and_a_split(marts: dict[str, list[tuple]]) -> None:
    g, b, e = "Groningen", "20k-50k", "Eemsdelta"
    # fmt: off
    assert marts["cost_trend_quarterly"] == dated(3, [
        # Groningen: rolling needs four quarters (from 2020Q4 on); YoY from 2021Q1 on.
        ("GM0014", g, ">=100k", "2020Q1", "hardware", D("1000.00"), per_1000(1000, GRONINGEN_20), None, None, None, None, D("1000.00")),
        ("GM0014", g, ">=100k", "2020Q1", "office_savings", D("200.00"), per_1000(200, GRONINGEN_20), None, None, None, None, D("200.00")),
        ("GM0014", g, ">=100k", "2020Q1", "other", D("0.00"), 0.0, None, None, None, None, D("0.00")),
        ("GM0014", g, ">=100k", "2020Q2", "hardware", D("1100.00"), per_1000(1100, GRONINGEN_20), D("100.00"), 10.0, None, None, D("2100.00")),
        # From 0 to 50: +50 euros, but no percentage of zero.
        ("GM0014", g, ">=100k", "2020Q2", "other", D("50.00"), per_1000(50, GRONINGEN_20), D("50.00"), None, None, None, D("50.00")),
        ("GM0014", g, ">=100k", "2020Q3", "hardware", D("1200.00"), per_1000(1200, GRONINGEN_20), D("100.00"), pct(1200, 1100), None, None, D("3300.00")),
        ("GM0014", g, ">=100k", "2020Q4", "hardware", D("1300.00"), per_1000(1300, GRONINGEN_20), D("100.00"), pct(1300, 1200), None, D("4600.00"), D("4600.00")),
        ("GM0014", g, ">=100k", "2021Q1", "hardware", D("1400.00"), per_1000(1400, GRONINGEN_21), D("100.00"), pct(1400, 1300), 40.0, D("5000.00"), D("6000.00")),
        ("GM0014", g, ">=100k", "2021Q2", "hardware", D("1500.00"), per_1000(1500, GRONINGEN_21), D("100.00"), pct(1500, 1400), pct(1500, 1100), D("5400.00"), D("7500.00")),
        # Haaren's 2020Q4 answer apportioned by share; Boxtel's own answer follows.
        ("GM0757", "Boxtel", b, "2020Q4", "hardware", D("147.40"), per_1000(147.40, BOXTEL_PART), None, None, None, None, D("147.40")),
        ("GM0757", "Boxtel", b, "2020Q4", "office_savings", D("14.74"), per_1000(14.74, BOXTEL_PART), None, None, None, None, D("14.74")),
        ("GM0757", "Boxtel", b, "2021Q1", "hardware", D("500.00"), per_1000(500, 32_973), D("352.60"), pct(500, 147.40), None, None, D("647.40")),
        ("GM0824", "Oisterwijk", b, "2020Q4", "hardware", D("419.10"), per_1000(419.10, OISTERWIJK_PART), None, None, None, None, D("419.10")),
        ("GM0824", "Oisterwijk", b, "2020Q4", "office_savings", D("41.91"), per_1000(41.91, OISTERWIJK_PART), None, None, None, None, D("41.91")),
        ("GM0855", "Tilburg", ">=100k", "2020Q4", "hardware", D("89.10"), per_1000(89.10, TILBURG_PART), None, None, None, None, D("89.10")),
        ("GM0855", "Tilburg", ">=100k", "2020Q4", "office_savings", D("8.91"), per_1000(8.91, TILBURG_PART), None, None, None, None, D("8.91")),
        ("GM0865", "Vught", b, "2020Q4", "hardware", D("344.40"), per_1000(344.40, VUGHT_PART), None, None, None, None, D("344.40")),
        ("GM0865", "Vught", b, "2020Q4", "office_savings", D("34.44"), per_1000(34.44, VUGHT_PART), None, None, None, None, D("34.44")),
        # Eemsdelta: predecessors summed (per 1,000 of those who answered); 2020Q3 is a gap,
        # so 2020Q4 has no QoQ and no rolling sum ever has four quarters.
        ("GM1979", e, b, "2020Q1", "hardware", D("300.00"), per_1000(300, APPINGEDAM_DELFZIJL), None, None, None, None, D("300.00")),
        ("GM1979", e, b, "2020Q1", "office_savings", D("30.00"), per_1000(30, APPINGEDAM_DELFZIJL), None, None, None, None, D("30.00")),
        ("GM1979", e, b, "2020Q2", "hardware", D("400.00"), per_1000(400, ALL_THREE), D("100.00"), pct(400, 300), None, None, D("700.00")),
        ("GM1979", e, b, "2020Q4", "hardware", D("500.00"), per_1000(500, ALL_THREE), None, None, None, None, D("1200.00")),
        ("GM1979", e, b, "2020Q4", "office_savings", D("70.00"), per_1000(70, APPINGEDAM_DELFZIJL), None, None, None, None, D("100.00")),
        ("GM1979", e, b, "2021Q1", "hardware", D("600.00"), per_1000(600, EEMSDELTA_21), D("100.00"), 20.0, 100.0, None, D("1800.00")),
        ("GM1979", e, b, "2021Q2", "hardware", D("700.00"), per_1000(700, EEMSDELTA_21), D("100.00"), pct(700, 600), 75.0, None, D("2500.00")),
    ])
    # fmt: on


def test_net_cost_is_null_unless_every_reporting_unit_gave_its_savings(marts: dict[str, list[tuple]]) -> None:
    # fmt: off
    assert marts["net_cost"] == dated(1, [
        ("GM0014", "2020Q1", D("1000.00"), D("200.00"), D("800.00")),  # hardware 1,000 + other 0
        ("GM0014", "2020Q2", D("1150.00"), None, None),  # savings left open
        ("GM0014", "2020Q3", D("1200.00"), None, None),
        ("GM0014", "2020Q4", D("1300.00"), None, None),
        ("GM0014", "2021Q1", D("1400.00"), None, None),
        ("GM0014", "2021Q2", D("1500.00"), None, None),
        ("GM0757", "2020Q4", D("147.40"), D("14.74"), D("132.66")),
        ("GM0757", "2021Q1", D("500.00"), None, None),
        ("GM0824", "2020Q4", D("419.10"), D("41.91"), D("377.19")),
        ("GM0855", "2020Q4", D("89.10"), D("8.91"), D("80.19")),
        ("GM0865", "2020Q4", D("344.40"), D("34.44"), D("309.96")),
        ("GM1979", "2020Q1", D("300.00"), D("30.00"), D("270.00")),
        ("GM1979", "2020Q2", D("400.00"), None, None),
        # Loppersum reported hardware but no savings: the net would mix units.
        ("GM1979", "2020Q4", D("500.00"), D("70.00"), None),
        ("GM1979", "2021Q1", D("600.00"), None, None),
        ("GM1979", "2021Q2", D("700.00"), None, None),
    ])
    # fmt: on


def test_budget_trend_every_column_with_a_merger_and_a_split(marts: dict[str, list[tuple]]) -> None:
    zero = D("0.00")
    # fmt: off
    assert marts["budget_trend_quarterly"] == dated(1, [
        ("GM0014", "2020Q3", "ict", "begroting", D("12000.00"), zero, None, None),
        ("GM0014", "2020Q3", "ict", "realisatie", D("10000.00"), zero, None, None),
        ("GM0014", "2020Q4", "housing", "realisatie", D("500.00"), D("250.50"), None, None),
        ("GM0014", "2020Q4", "ict", "realisatie", D("11000.00"), zero, 10.0, None),
        ("GM0014", "2020Q4", "unmapped", "realisatie", D("1.00"), zero, None, None),
        # No begroting in 2020Q4 nor in 2020Q1: both changes NULL.
        ("GM0014", "2021Q1", "ict", "begroting", D("12600.00"), zero, None, None),
        ("GM0757", "2020Q4", "ict", "realisatie", D("147.40"), zero, None, None),
        ("GM0824", "2020Q4", "ict", "realisatie", D("419.10"), zero, None, None),
        ("GM0855", "2020Q4", "ict", "realisatie", D("89.10"), zero, None, None),
        ("GM0865", "2020Q4", "ict", "realisatie", D("344.40"), zero, None, None),
        ("GM1979", "2020Q1", "ict", "realisatie", D("4000.00"), zero, None, None),
        ("GM1979", "2020Q4", "ict", "realisatie", D("5000.00"), zero, None, None),
        ("GM1979", "2021Q1", "ict", "realisatie", D("5500.00"), zero, 10.0, 37.5),
    ])
    # fmt: on


def test_survey_vs_budget_matches_reporting_units_before_summing(marts: dict[str, list[tuple]]) -> None:
    # fmt: off
    assert marts["survey_vs_budget"] == dated(1, [
        ("GM0014", "2020Q3", D("1200.00"), D("10000.00"), 12.0),
        ("GM0014", "2020Q4", D("1300.00"), D("11000.00"), round(1300 / 11000 * 100, 4)),
        ("GM0757", "2020Q4", D("147.40"), D("147.40"), 100.0),
        ("GM0824", "2020Q4", D("419.10"), D("419.10"), 100.0),
        ("GM0855", "2020Q4", D("89.10"), D("89.10"), 100.0),
        ("GM0865", "2020Q4", D("344.40"), D("344.40"), 100.0),
        ("GM1979", "2020Q1", D("300.00"), D("4000.00"), 7.5),
        # Loppersum answered the survey but has no ICT line: left out on both sides.
        ("GM1979", "2020Q4", D("400.00"), D("5000.00"), 8.0),
        ("GM1979", "2021Q1", D("600.00"), D("5500.00"), round(600 / 5500 * 100, 4)),
    ])
    # fmt: on


def test_an_earlier_boundary_date_keeps_municipalities_as_they_were() -> None:
    # On the boundaries of 31 December 2020 Appingedam and Haaren are themselves;
    # Eemsdelta and Boxtel's 2021 answers stay on their own codes.
    ref = read_reference(boundary_date=dt.date(2020, 12, 31))
    with warehouse(ref) as con:
        load_all(con, SURVEY, BUDGET)
        rebuild(con, ref)
        codes = ("GM0003", "GM0788", "GM0757", "GM1979")
        trend = [r for r in rows(con, "cost_trend_quarterly") if r[0] in codes]
        budget = [r for r in rows(con, "budget_trend_quarterly") if r[0] in ("GM0003", "GM0010", "GM0788")]
        shares = [r for r in rows(con, "survey_vs_budget") if r[0] in ("GM0003", "GM0010", "GM0788")]
    a, h, zero = "Appingedam", "Haaren", D("0.00")
    # fmt: off
    assert trend == dated(3, [
        ("GM0003", a, "<20k", "2020Q1", "hardware", D("100.00"), per_1000(100, 11_642), None, None, None, None, D("100.00")),
        ("GM0003", a, "<20k", "2020Q1", "office_savings", D("10.00"), per_1000(10, 11_642), None, None, None, None, D("10.00")),
        ("GM0003", a, "<20k", "2020Q2", "hardware", D("100.00"), per_1000(100, 11_642), D("0.00"), 0.0, None, None, D("200.00")),
        ("GM0003", a, "<20k", "2020Q4", "hardware", D("150.00"), per_1000(150, 11_642), None, None, None, None, D("350.00")),
        ("GM0003", a, "<20k", "2020Q4", "office_savings", D("30.00"), per_1000(30, 11_642), None, None, None, None, D("40.00")),
        ("GM0757", "Boxtel", "20k-50k", "2021Q1", "hardware", D("500.00"), per_1000(500, 32_973), None, None, None, None, D("500.00")),
        ("GM0788", h, "<20k", "2020Q4", "hardware", D("1000.00"), per_1000(1000, 14_370), None, None, None, None, D("1000.00")),
        ("GM0788", h, "<20k", "2020Q4", "office_savings", D("100.00"), per_1000(100, 14_370), None, None, None, None, D("100.00")),
        ("GM1979", "Eemsdelta", "20k-50k", "2021Q1", "hardware", D("600.00"), per_1000(600, 45_587), None, None, None, None, D("600.00")),
        ("GM1979", "Eemsdelta", "20k-50k", "2021Q2", "hardware", D("700.00"), per_1000(700, 45_587), D("100.00"), pct(700, 600), None, None, D("1300.00")),
    ])
    assert budget == dated(1, [
        ("GM0003", "2020Q1", "ict", "realisatie", D("1000.00"), zero, None, None),
        ("GM0003", "2020Q4", "ict", "realisatie", D("2000.00"), zero, None, None),
        ("GM0010", "2020Q1", "ict", "realisatie", D("3000.00"), zero, None, None),
        ("GM0010", "2020Q4", "ict", "realisatie", D("3000.00"), zero, None, None),
        ("GM0788", "2020Q4", "ict", "realisatie", D("1000.00"), zero, None, None),
    ])
    assert shares == dated(1, [
        ("GM0003", "2020Q1", D("100.00"), D("1000.00"), 10.0),
        ("GM0003", "2020Q4", D("150.00"), D("2000.00"), 7.5),
        ("GM0010", "2020Q1", D("200.00"), D("3000.00"), round(200 / 3000 * 100, 4)),
        ("GM0010", "2020Q4", D("250.00"), D("3000.00"), round(250 / 3000 * 100, 4)),
        ("GM0788", "2020Q4", D("1000.00"), D("1000.00"), 100.0),
    ])
    # fmt: on


# The national estimate on the five-municipality register of tests/data/seeds_small:
# GM9001 Aastad and GM9002 Beedorp 10,000 inhabitants (<20k), GM9003 and GM9004
# 30,000 (20k-50k), GM9005 Eeburg 200,000 (>=100k); 280,000 in all.
OTHER_DIGITAL = ("ict_support", "security", "other")
# fmt: off
ESTIMATE_SURVEY: list[SurveyRow] = [
    # 2021Q1: everybody answers every digital category: exact totals, no range.
    ("2021Q1", "GM9001", "hardware", "100"),
    ("2021Q1", "GM9002", "hardware", "200"),
    ("2021Q1", "GM9003", "hardware", "300"),
    ("2021Q1", "GM9004", "hardware", "400"),
    ("2021Q1", "GM9005", "hardware", "5000"),
    *[("2021Q1", f"GM900{i}", "software_licences", "10") for i in range(1, 6)],
    *[("2021Q1", f"GM900{i}", c, "0") for i in range(1, 6) for c in OTHER_DIGITAL],
    # ... and only Eeburg its savings: one respondent, so no range.
    ("2021Q1", "GM9005", "office_savings", "1000"),
    # 2021Q2: Beedorp answers only software (and hardware not as a number), leaving Aastad
    # alone in <20k for hardware and for the digital total.
    ("2021Q2", "GM9001", "hardware", "100"),
    ("2021Q2", "GM9003", "hardware", "300"),
    ("2021Q2", "GM9004", "hardware", "500"),
    ("2021Q2", "GM9005", "hardware", "5000"),
    ("2021Q2", "GM9002", "hardware", None),
    ("2021Q2", "GM9002", "software_licences", "10"),
    *[("2021Q2", f"GM900{i}", "software_licences", "0") for i in (1, 3, 4, 5)],
    *[("2021Q2", f"GM900{i}", c, "0") for i in (1, 3, 4, 5) for c in OTHER_DIGITAL],
]
# fmt: on


@pytest.fixture(scope="module")
def estimates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple]]:
    ref = read_reference(small_seeds(tmp_path_factory.mktemp("estimate")))
    with warehouse(ref) as con:
        load_all(con, ESTIMATE_SURVEY, [])
        rebuild(con, ref)
        return {m: rows(con, m) for m in ("national_estimate", "national_estimate_period")}


def _lone_respondent_half_width() -> float:
    # 2021Q2 hardware. <20k: Aastad alone (100 of 10,000): R = 0.01, stratum 100 + 0.01 × 10,000 = 200.
    # 20k-50k and >=100k answered in full: 800 and 5,000, no variance. Estimate 6,000.
    # Aastad borrows the pooled relative residual variance of all four answers:
    ratio = 5_900 / 270_000
    residuals = [100 - ratio * 10_000, 300 - ratio * 30_000, 500 - ratio * 30_000, 5_000 - ratio * 200_000]
    rel_var = sum(e * e for e in residuals) / 3 / (270_000 / 4) ** 2
    s2 = rel_var * (20_000 / 2) ** 2  # scaled to the stratum's mean municipality
    variance = 2**2 * (1 - 1 / 2) * s2 / 1
    return Z_90 * math.sqrt(variance)


def test_national_estimate_exact_at_full_coverage_and_ranged_with_a_lone_respondent(
    estimates: dict[str, list[tuple]],
) -> None:
    half = _lone_respondent_half_width()
    full, all_but_beedorp = 100.0, round(270_000 / 280_000 * 100, 4)
    # fmt: off
    assert estimates["national_estimate"] == dated(0, [
        ("2021Q1", "hardware", 5, full, 6000.0, 6000.0, 6000.0),
        ("2021Q1", "ict_support", 5, full, 0.0, 0.0, 0.0),
        # Eeburg's 1,000 is 0.005 per inhabitant; the others at that ratio: 0.005 × 80,000 = 400.
        ("2021Q1", "office_savings", 1, round(200_000 / 280_000 * 100, 4), 1400.0, None, None),
        ("2021Q1", "other", 5, full, 0.0, 0.0, 0.0),
        ("2021Q1", "security", 5, full, 0.0, 0.0, 0.0),
        ("2021Q1", "software_licences", 5, full, 50.0, 50.0, 50.0),
        ("2021Q2", "hardware", 4, all_but_beedorp, 6000.0, round(6000 - half, 2), round(6000 + half, 2)),
        # Four zeros: no spread to borrow, so even the lone <20k answer leaves no range.
        ("2021Q2", "ict_support", 4, all_but_beedorp, 0.0, 0.0, 0.0),
        ("2021Q2", "other", 4, all_but_beedorp, 0.0, 0.0, 0.0),
        ("2021Q2", "security", 4, all_but_beedorp, 0.0, 0.0, 0.0),
        ("2021Q2", "software_licences", 5, full, 10.0, 10.0, 10.0),
    ])
    # fmt: on


def test_national_estimate_periods_sum_quarters_and_estimate_digital_total(
    estimates: dict[str, list[tuple]],
) -> None:
    half = _lone_respondent_half_width()
    low, high = round(6000 - half, 2), round(6000 + half, 2)
    # digital_total 2021Q1: everybody's complete answer, 110 + 210 + 310 + 410 + 5,010 = 6,050,
    # exact. 2021Q2: Beedorp's answer is incomplete, so the total has the same four
    # respondents and values as hardware. Half years and years add estimates and half-widths.
    # fmt: off
    h1 = [
        ("digital_total", 2, 12050.0, round(12050 - half, 2), round(12050 + half, 2)),
        ("hardware", 2, 12000.0, round(12000 - half, 2), round(12000 + half, 2)),
        ("ict_support", 2, 0.0, 0.0, 0.0),
        ("office_savings", 1, 1400.0, None, None),
        ("other", 2, 0.0, 0.0, 0.0),
        ("security", 2, 0.0, 0.0, 0.0),
        ("software_licences", 2, 60.0, 60.0, 60.0),
    ]
    assert estimates["national_estimate_period"] == dated(1, [
        *[("half_year", "2021H1", *r) for r in h1],
        ("quarter", "2021Q1", "digital_total", 1, 6050.0, 6050.0, 6050.0),
        ("quarter", "2021Q1", "hardware", 1, 6000.0, 6000.0, 6000.0),
        ("quarter", "2021Q1", "ict_support", 1, 0.0, 0.0, 0.0),
        ("quarter", "2021Q1", "office_savings", 1, 1400.0, None, None),
        ("quarter", "2021Q1", "other", 1, 0.0, 0.0, 0.0),
        ("quarter", "2021Q1", "security", 1, 0.0, 0.0, 0.0),
        ("quarter", "2021Q1", "software_licences", 1, 50.0, 50.0, 50.0),
        ("quarter", "2021Q2", "digital_total", 1, 6000.0, low, high),
        ("quarter", "2021Q2", "hardware", 1, 6000.0, low, high),
        ("quarter", "2021Q2", "ict_support", 1, 0.0, 0.0, 0.0),
        ("quarter", "2021Q2", "other", 1, 0.0, 0.0, 0.0),
        ("quarter", "2021Q2", "security", 1, 0.0, 0.0, 0.0),
        ("quarter", "2021Q2", "software_licences", 1, 10.0, 10.0, 10.0),
        *[("year", "2021", *r) for r in h1],
    ])
    # fmt: on


def test_quarter_rows_of_the_period_table_repeat_the_national_estimate(
    estimates: dict[str, list[tuple]],
) -> None:
    national = {(q, c): (e, lo, hi, start) for q, c, _, _, e, lo, hi, start in estimates["national_estimate"]}
    quarters = {
        (p, c): (e, lo, hi, start)
        for t, p, c, _, e, lo, hi, start in estimates["national_estimate_period"]
        if t == "quarter" and c != "digital_total"
    }
    assert quarters == national


def test_every_mart_has_quarter_start_and_one_money_type() -> None:
    # Money is DOUBLE everywhere (a sum stays DOUBLE, never a DECIMAL(38, 2) that BI drivers
    # hand over as objects); counts INTEGER (no BigInt in Node); a DATE for the time axis.
    ref = read_reference()
    with warehouse(ref) as con:
        load_all(con, SURVEY, BUDGET)
        rebuild(con, ref)
        columns = con.execute(
            "select table_name, column_name, data_type, is_nullable from information_schema.columns "
            "where table_schema = 'marts' order by table_name, ordinal_position"
        ).fetchall()
        sums = con.execute(
            "select typeof(sum(amount_eur)), typeof(sum(cumulative_eur)) from marts.cost_trend_quarterly"
        ).fetchall()
        nulls = con.execute(
            "select count(*) from marts.cost_trend_quarterly where quarter_start is null"
        ).fetchall()
    tables = {t for t, _, _, _ in columns}
    assert tables == set(MARTS)
    for table in tables:
        assert [c for t, c, _, _ in columns if t == table][-1] == "quarter_start", table
    assert {(c, ty) for _, c, ty, _ in columns if c == "quarter_start"} == {("quarter_start", "DATE")}
    assert {ty for _, c, ty, _ in columns if c.endswith("_eur")} == {"DOUBLE"}
    assert {ty for _, c, ty, _ in columns if c in ("respondents", "quarters_covered")} == {"INTEGER"}
    assert not [c for _, c, ty, _ in columns if ty.startswith(("DECIMAL", "BIGINT", "HUGEINT"))]
    assert sums == [("DOUBLE", "DOUBLE")]
    assert nulls == [(0,)]
