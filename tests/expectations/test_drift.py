"""Drift warnings between quarters, on hand-made quarters."""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from expectations.drift import budget_drift, survey_drift
from expectations.gate import Outcome
from tests.expectations.conftest import BOUNDS
from transforms.quarter import Quarter

Q4, Q1 = Quarter.parse("2020Q4"), Quarter.parse("2021Q1")

# GM0001 grows from 10,000 to 12,500 inhabitants on 1 January 2021.
POPULATION = pl.DataFrame(
    {
        "municipality_code": ["GM0001", "GM0001", "GM0002", "GM0003", "GM0004"],
        "year": [2020, 2021, 2020, 2020, 2020],
        "population": [10_000, 12_500, 20_000, 5_000, 4_000],
    },
    schema={"municipality_code": pl.Utf8, "year": pl.Int32, "population": pl.Int64},
)


def _costs(*rows: tuple[str, str, str | None]) -> pl.DataFrame:
    """`core.fct_survey_cost` rows of one quarter: (municipality, category, amount)."""
    return pl.DataFrame(
        {
            "municipality_code": [r[0] for r in rows],
            "cost_category": [r[1] for r in rows],
            "amount_eur": [Decimal(r[2]) if r[2] is not None else None for r in rows],
        },
        schema={"municipality_code": pl.Utf8, "cost_category": pl.Utf8, "amount_eur": pl.Decimal(18, 2)},
    )


# 2020Q4, digital spend per inhabitant: GM0001 (1,000 + 1,000) / 10,000 = €0.20 (its office
# savings are not digital); GM0002 4,000 / 20,000 = €0.20; GM0003 500 / 5,000 = €0.10;
# GM0004 answered no digital amount, so €0 and never compared.
PREVIOUS = _costs(
    ("GM0001", "hardware", "1000.00"),
    ("GM0001", "software_licences", "1000.00"),
    ("GM0001", "office_savings", "90000.00"),
    ("GM0002", "hardware", "4000.00"),
    ("GM0003", "hardware", "500.00"),
    ("GM0004", "hardware", None),
)


def _survey(current: pl.DataFrame, previous_quarter: Quarter | None = Q4) -> dict[str, Outcome]:
    outcomes = survey_drift(
        quarter=Q1,
        previous_quarter=previous_quarter,
        current_costs=current,
        previous_costs=PREVIOUS if previous_quarter else _costs(),
        population=POPULATION,
        bounds=BOUNDS,
    )
    return {o.expectation: o for o in outcomes}


def test_per_inhabitant_change_above_tenfold_names_the_municipality() -> None:
    # GM0001: 30,000 / 12,500 = €2.40, ×12 (flagged). GM0002: 150 / 20,000 = €0.0075,
    # ×0.0375 (flagged: down more than tenfold). GM0003 did not respond: not compared.
    result = _survey(_costs(("GM0001", "hardware", "30000.00"), ("GM0002", "security", "150.00")))

    change = result["per_inhabitant_change"]
    assert (change.success, change.severity, change.element_count, change.unexpected_count) == (
        False,
        "warning",
        2,
        2,
    )
    assert change.message == (
        "2 of 2 municipalities changed by more than ×10 per inhabitant from 2020Q4 to 2021Q1 "
        "(figures per 1,000 inhabitants): "
        "GM0001 €200.00 → €2,400.00 (×12), GM0002 €200.00 → €7.50 (×0.0375)"
    )
    assert change.suite == "survey_drift"


def test_per_inhabitant_change_of_exactly_tenfold_in_the_new_years_population_passes() -> None:
    # 25,000 / 12,500 = €2.00, ×10 exactly; over the old 10,000 inhabitants it would be ×12.5.
    result = _survey(_costs(("GM0001", "hardware", "25000.00"), ("GM0002", "hardware", "4000.00")))

    change = result["per_inhabitant_change"]
    assert (change.success, change.element_count, change.unexpected_count) == (True, 2, 0)
    assert (
        change.message == "0 of 2 municipalities changed by more than ×10 per inhabitant "
        "from 2020Q4 to 2021Q1 (figures per 1,000 inhabitants)"
    )


def test_respondents_down_by_half_pass_and_by_more_than_half_warn() -> None:
    # 4 municipalities responded in 2020Q4 (GM0004 too, without a digital amount).
    half = _survey(_costs(("GM0001", "hardware", "1.00"), ("GM0002", "hardware", "1.00")))["respondents_drop"]
    fewer = _survey(_costs(("GM0001", "hardware", "1.00"), ("GM0009", "hardware", "1.00")))[
        "respondents_drop"
    ]
    one = _survey(_costs(("GM0001", "hardware", "1.00")))["respondents_drop"]

    assert (half.success, half.element_count, half.unexpected_count) == (True, 4, 2)
    assert (
        half.message
        == "2 municipalities responded in 2021Q1, 4 in 2020Q4 (-50%); 2 of those 4 did not respond now"
    )
    # GM0009 is new: two responded now, but three of the four before did not.
    assert (fewer.success, fewer.element_count, fewer.unexpected_count) == (True, 4, 3)
    assert (one.success, one.element_count, one.unexpected_count) == (False, 4, 3)
    assert (
        one.message
        == "1 municipality responded in 2021Q1, 4 in 2020Q4 (-75%); 3 of those 4 did not respond now"
    )


def test_first_quarter_has_nothing_to_compare_and_passes() -> None:
    result = _survey(_costs(("GM0001", "hardware", "1.00")), previous_quarter=None)

    assert [(o.expectation, o.success, o.element_count, o.unexpected_count) for o in result.values()] == [
        ("respondents_drop", True, 0, 0),
        ("per_inhabitant_change", True, 0, 0),
    ]
    assert {o.message for o in result.values()} == {"no earlier quarter is loaded to compare with"}


def test_budget_lines_down_by_more_than_half_warn() -> None:
    def drop(current: int) -> Outcome:
        (outcome,) = budget_drift(
            quarter=Q1, previous_quarter=Q4, current_lines=current, previous_lines=100, bounds=BOUNDS
        )
        return outcome

    assert (drop(50).success, drop(50).unexpected_count) == (True, 50)
    assert (drop(49).success, drop(49).element_count, drop(49).unexpected_count) == (False, 100, 51)
    assert drop(49).message == "49 budget lines in 2021Q1, 100 in 2020Q4 (-51%)"
    assert (drop(120).success, drop(120).unexpected_count) == (True, 0)
    assert drop(49).suite == "budget_drift" and drop(49).severity == "warning"
