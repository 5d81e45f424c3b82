"""The national estimator on frames small enough to work out by hand."""

from __future__ import annotations

import math
from decimal import Decimal

import polars as pl
from polars.testing import assert_frame_equal

from transforms.estimate import Z_90, national_estimate
from transforms.reference import size_class


def _frame(pops: dict[str, int], quarter: str = "2021Q1") -> pl.DataFrame:
    return pl.DataFrame(
        {
            "quarter": [quarter] * len(pops),
            "municipality_code": list(pops),
            "population": list(pops.values()),
        }
    ).with_columns(size_class(pl.col("population")).alias("size_class"))


def _responses(
    amounts: dict[str, str], quarter: str = "2021Q1", category: str = "hardware"
) -> pl.DataFrame:
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
    out = national_estimate(
        _responses({"GM0001": "100", "GM0003": "4000", "GM0004": "9000"}), frame
    )
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
    second = national_estimate(
        responses.reverse(), frame.sample(fraction=1.0, shuffle=True, seed=3)
    )
    assert_frame_equal(first, second)
