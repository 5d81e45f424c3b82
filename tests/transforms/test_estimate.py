"""The national estimator on frames small enough to work out by hand."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import polars as pl
from polars.testing import assert_frame_equal

from transforms.estimate import (
    DIGITAL_TOTAL,
    Z_90,
    national_estimate,
    national_estimate_periods,
    period_estimates,
    period_start,
    periods_containing,
    with_digital_total,
)
from transforms.reference import size_class


def _frame(pops: dict[str, int], quarter: str = "2021Q1") -> pl.DataFrame:
    return pl.DataFrame(
        {
            "quarter": [quarter] * len(pops),
            "municipality_code": list(pops),
            "population": list(pops.values()),
        }
    ).with_columns(size_class(pl.col("population")).alias("size_class"))


def _responses(amounts: dict[str, str], quarter: str = "2021Q1", category: str = "hardware") -> pl.DataFrame:
    return pl.DataFrame(
        {
            "quarter": [quarter] * len(amounts),
            "municipality_code": list(amounts),
            "cost_category": [category] * len(amounts),
            "amount_eur": [Decimal(v) for v in amounts.values()],
        },
        schema_overrides={"amount_eur": pl.Decimal(18, 2)},
    )


def test_full_coverage_gives_the_exact_total_with_no_range() -> None:
    frame = _frame({"GM0001": 10_000, "GM0002": 15_000, "GM0003": 12_000})
    out = national_estimate(_responses({"GM0001": "100", "GM0002": "200", "GM0003": "300"}), frame)
    expected = pl.DataFrame(
        {
            "quarter": ["2021Q1"],
            "cost_category": ["hardware"],
            "respondents": [3],
            "population_coverage_pct": [100.0],
            "estimate_eur": [600.0],
            "estimate_low_eur": [600.0],
            "estimate_high_eur": [600.0],
        }
    )
    assert_frame_equal(out, expected)


def test_two_strata_sum_their_ratio_estimates_and_variances() -> None:
    # Stratum <20k: three municipalities of 10,000; two answer 100 and 300.
    #   R = 400 / 20,000 = 0.02; estimate 0.02 × 30,000 = 600.
    #   residuals -100 and +100 → s² = 20,000; Var = 3² × (1 − 2/3) × 20,000 / 2 = 30,000.
    # Stratum >=100k: one municipality of 200,000 answers 5,000: exact, Var 0.
    frame = _frame({"GM0001": 10_000, "GM0002": 10_000, "GM0003": 10_000, "GM0004": 200_000})
    out = national_estimate(_responses({"GM0001": "100", "GM0002": "300", "GM0004": "5000"}), frame)
    half = Z_90 * math.sqrt(30_000)
    row = out.row(0, named=True)
    assert row["respondents"] == 3
    assert row["population_coverage_pct"] == round(220_000 / 230_000 * 100, 4)
    assert row["estimate_eur"] == 5600.0
    assert row["estimate_low_eur"] == round(5600 - half, 2)
    assert row["estimate_high_eur"] == round(5600 + half, 2)


def test_a_lone_respondent_borrows_the_pooled_residual_variance() -> None:
    # <20k: two of 10,000, one answers 100 (R = 0.01 → 200).
    # >=100k: 200,000 and 300,000 both answer 4,000 and 9,000: exact, 13,000.
    frame = _frame({"GM0001": 10_000, "GM0002": 10_000, "GM0003": 200_000, "GM0004": 300_000})
    out = national_estimate(_responses({"GM0001": "100", "GM0003": "4000", "GM0004": "9000"}), frame)
    pooled_ratio = 13_100 / 510_000
    residuals = [
        100 - pooled_ratio * 10_000,
        4000 - pooled_ratio * 200_000,
        9000 - pooled_ratio * 300_000,
    ]
    rel_var = sum(e * e for e in residuals) / 2 / (510_000 / 3) ** 2
    variance = 2**2 * (1 - 1 / 2) * rel_var * 10_000**2 / 1
    half = Z_90 * math.sqrt(variance)
    row = out.row(0, named=True)
    assert row["estimate_eur"] == 13_200.0
    assert row["estimate_low_eur"] == round(13_200 - half, 2)
    assert row["estimate_high_eur"] == round(13_200 + half, 2)


def test_estimate_does_not_depend_on_row_order() -> None:
    frame = _frame({f"GM{i:04d}": 5_000 + 997 * i for i in range(1, 40)})
    responses = _responses({f"GM{i:04d}": str(10 * i + (i % 7)) for i in range(1, 40, 3)})
    first = national_estimate(responses, frame)
    second = national_estimate(responses.reverse(), frame.sample(fraction=1.0, shuffle=True, seed=3))
    assert_frame_equal(first, second)


def test_a_single_respondent_short_of_full_coverage_has_no_range() -> None:
    # One answer, three municipalities: nothing to estimate a variance from.
    frame = _frame({"GM0001": 10_000, "GM0002": 10_000, "GM0003": 20_000})
    out = national_estimate(_responses({"GM0001": "100"}), frame)
    row = out.row(0, named=True)
    assert row["estimate_eur"] == 400.0  # 100 + 0.01 × 10,000 in <20k, 0.01 × 20,000 in 20k-50k
    assert row["estimate_low_eur"] is None and row["estimate_high_eur"] is None


def test_a_single_municipality_frame_answered_is_exact() -> None:
    out = national_estimate(_responses({"GM0001": "123.45"}), _frame({"GM0001": 10_000}))
    assert out.select("estimate_eur", "estimate_low_eur", "estimate_high_eur").row(0) == (
        123.45,
        123.45,
        123.45,
    )


def test_digital_total_sums_the_digital_categories_of_complete_answers_only() -> None:
    responses = pl.concat(
        [
            _responses({"GM0001": "100", "GM0002": "300", "GM0003": "7"}, category="hardware"),
            _responses({"GM0001": "50", "GM0003": "10"}, category="software_licences"),
            _responses({"GM0001": "999", "GM0002": "1"}, category="office_savings"),
        ]
    )
    out = with_digital_total(responses, digital_categories=["hardware", "software_licences"])
    totals = out.filter(pl.col("cost_category") == DIGITAL_TOTAL).select("municipality_code", "amount_eur")
    # GM0002 left software open: its digital total is unknown, not 300.
    assert totals.rows() == [("GM0001", Decimal("150.00")), ("GM0003", Decimal("17.00"))]
    assert out.height == responses.height + 2


def test_digital_total_is_estimated_from_the_municipality_sums() -> None:
    # <20k: three of 10,000; GM0001 reports 100 + 50, GM0002 300 + 10.
    #   totals 150 and 310: R = 460 / 20,000 = 0.023; estimate 460 + 0.023 × 10,000 = 690.
    #   residuals 150 − 230 = −80 and 310 − 230 = +80 → s² = 12,800;
    #   Var = 3² × (1 − 2/3) × 12,800 / 2 = 19,200.
    frame = _frame({"GM0001": 10_000, "GM0002": 10_000, "GM0003": 10_000})
    responses = pl.concat(
        [
            _responses({"GM0001": "100", "GM0002": "300"}, category="hardware"),
            _responses({"GM0001": "50", "GM0002": "10"}, category="software_licences"),
        ]
    )
    out = national_estimate_periods(responses, frame, digital_categories=["hardware", "software_licences"])
    row = out.filter((pl.col("period_type") == "quarter") & (pl.col("cost_category") == DIGITAL_TOTAL)).row(
        0, named=True
    )
    half = Z_90 * math.sqrt(19_200)
    assert row == {
        "period_type": "quarter",
        "period": "2021Q1",
        "cost_category": DIGITAL_TOTAL,
        "quarters_covered": 1,
        "estimate_eur": 690.0,
        "estimate_low_eur": round(690 - half, 2),
        "estimate_high_eur": round(690 + half, 2),
    }


def test_periods_add_estimates_and_half_widths_of_their_quarters() -> None:
    quarterly = pl.DataFrame(
        {
            "quarter": ["2021Q1", "2021Q2", "2021Q3", "2021Q1"],
            "cost_category": ["hardware", "hardware", "hardware", "other"],
            "respondents": [3, 3, 3, 1],
            "respondent_population": [1, 1, 1, 1],
            "frame_population": [2, 2, 2, 2],
            "estimate": [4_000_000.0, 6_000_000.0, 1_000.0, 500.0],
            "half_width": [1_000_000.0, 1_500_000.0, 2_000.0, None],
        }
    )
    out = period_estimates(quarterly)
    assert out.filter(pl.col("cost_category") == "hardware").rows() == [
        ("half_year", "2021H1", "hardware", 2, 10_000_000.0, 7_500_000.0, 12_500_000.0),
        ("half_year", "2021H2", "hardware", 1, 1_000.0, 0.0, 3_000.0),
        ("quarter", "2021Q1", "hardware", 1, 4_000_000.0, 3_000_000.0, 5_000_000.0),
        ("quarter", "2021Q2", "hardware", 1, 6_000_000.0, 4_500_000.0, 7_500_000.0),
        ("quarter", "2021Q3", "hardware", 1, 1_000.0, 0.0, 3_000.0),
        ("year", "2021", "hardware", 3, 10_001_000.0, 7_499_000.0, 12_503_000.0),
    ]
    # A quarter without a range leaves its periods without one.
    assert out.filter(pl.col("cost_category") == "other").rows() == [
        ("half_year", "2021H1", "other", 1, 500.0, None, None),
        ("quarter", "2021Q1", "other", 1, 500.0, None, None),
        ("year", "2021", "other", 1, 500.0, None, None),
    ]


def test_periods_containing_lists_quarter_half_year_and_year() -> None:
    assert periods_containing(["2021Q2", "2021Q3"]) == ["2021", "2021H1", "2021H2", "2021Q2", "2021Q3"]


def test_period_start_is_the_first_day_of_the_periods_first_quarter() -> None:
    periods = pl.DataFrame({"period": ["2021Q1", "2021Q3", "2020Q4", "2021H1", "2021H2", "2021"]})
    out = periods.select(period_start(pl.col("period")).alias("quarter_start"))["quarter_start"].to_list()
    assert out == [
        dt.date(2021, 1, 1),
        dt.date(2021, 7, 1),
        dt.date(2020, 10, 1),
        dt.date(2021, 1, 1),
        dt.date(2021, 7, 1),
        dt.date(2021, 1, 1),
    ]
