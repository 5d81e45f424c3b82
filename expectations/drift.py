"""Drift between quarters: warnings when a quarter differs sharply from the one loaded before it.

Pure functions over frames of two quarters; the pipeline reads them from the warehouse. The
previous quarter is the latest earlier quarter of the same source that is loaded; with none,
each check passes with nothing compared (element_count 0) and says so. Every check is a
warning: the quarter loads, and the outcome is recorded and reported with a message.

Checks (suite ``survey_drift`` or ``budget_drift``):

- ``respondents_drop``: the municipalities with a current survey response are down by more
  than ``drift_max_drop_share`` from the previous quarter. element_count: respondents then;
  unexpected_count: those of them without a response now.
- ``per_inhabitant_change``: a municipality's digital extra spend per inhabitant (the sum of
  its digital cost categories over its population in the quarter's year) changed by more
  than ``drift_max_change_factor`` either way. Only municipalities with a positive figure in
  both quarters are compared, by the code they reported with (a merged municipality starts
  afresh under its new code). element_count: municipalities compared; unexpected_count:
  those flagged, listed in the message.
- ``budget_lines_drop``: the budget lines are down by more than ``drift_max_drop_share``.
  element_count: lines then; unexpected_count: how many fewer now.
"""

from __future__ import annotations

import polars as pl

from expectations.bounds import Bounds
from expectations.gate import Outcome
from transforms.population import population_in_year
from transforms.quarter import Quarter
from transforms.schema import DIGITAL_CATEGORIES

SURVEY_DRIFT = "survey_drift"
BUDGET_DRIFT = "budget_drift"
# How many flagged municipalities a message names before it says "and N more".
MESSAGE_LIST_MAX = 20

_NOTHING_TO_COMPARE = "no earlier quarter is loaded to compare with"


def survey_drift(
    *,
    quarter: Quarter,
    previous_quarter: Quarter | None,
    current_costs: pl.DataFrame,
    previous_costs: pl.DataFrame,
    population: pl.DataFrame,
    bounds: Bounds,
) -> list[Outcome]:
    """Drift warnings for a survey quarter.

    current_costs / previous_costs: the quarters' `core.fct_survey_cost` rows (current
    responses only: municipality_code, cost_category, amount_eur). population: one row per
    municipality_code × year with `population`.
    """
    drop = _drop_description("responding municipalities", bounds)
    change = (
        "no municipality's digital extra spend per inhabitant changed by more than a factor "
        f"{bounds.drift_max_change_factor:g} from the previous loaded quarter"
    )
    if previous_quarter is None:
        return [
            _outcome(SURVEY_DRIFT, "respondents_drop", True, 0, 0, drop, _NOTHING_TO_COMPARE),
            _outcome(SURVEY_DRIFT, "per_inhabitant_change", True, 0, 0, change, _NOTHING_TO_COMPARE),
        ]
    now = set(current_costs["municipality_code"].unique().to_list())
    then = set(previous_costs["municipality_code"].unique().to_list())
    dropped = len(then) - len(now) > bounds.drift_max_drop_share * len(then)
    respondents = _outcome(
        SURVEY_DRIFT,
        "respondents_drop",
        not dropped,
        len(then),
        len(then - now),
        drop,
        f"{_municipalities(len(now))} responded in {quarter}, {len(then)} in {previous_quarter}"
        f"{_change_pct(len(then), len(now))}; {len(then - now)} of those {len(then)} did not respond now",
    )

    compared = (
        _per_inhabitant(current_costs, population, quarter.year)
        .join(
            _per_inhabitant(previous_costs, population, previous_quarter.year),
            on="municipality_code",
            suffix="_before",
        )
        .filter((pl.col("per_inhabitant") > 0) & (pl.col("per_inhabitant_before") > 0))
        .with_columns((pl.col("per_inhabitant") / pl.col("per_inhabitant_before")).alias("factor"))
        .sort("municipality_code")
    )
    factor = bounds.drift_max_change_factor
    flagged = compared.filter((pl.col("factor") > factor) | (pl.col("factor") < 1 / factor))
    # Listed per 1,000 inhabitants, as the marts show it: per inhabitant is mostly cents.
    listed = [
        f"{row['municipality_code']} €{row['per_inhabitant_before'] * 1000:,.2f} → "
        f"€{row['per_inhabitant'] * 1000:,.2f} (×{row['factor']:.3g})"
        for row in flagged.head(MESSAGE_LIST_MAX).iter_rows(named=True)
    ]
    if flagged.height > MESSAGE_LIST_MAX:
        listed.append(f"and {flagged.height - MESSAGE_LIST_MAX} more")
    message = (
        f"{flagged.height} of {compared.height} municipalities changed by more than ×{factor:g} "
        f"per inhabitant from {previous_quarter} to {quarter} (figures per 1,000 inhabitants)"
    )
    per_inhabitant = _outcome(
        SURVEY_DRIFT,
        "per_inhabitant_change",
        flagged.height == 0,
        compared.height,
        flagged.height,
        change,
        f"{message}: {', '.join(listed)}" if listed else message,
    )
    return [respondents, per_inhabitant]


def budget_drift(
    *,
    quarter: Quarter,
    previous_quarter: Quarter | None,
    current_lines: int,
    previous_lines: int,
    bounds: Bounds,
) -> list[Outcome]:
    """Drift warnings for a budget quarter, from the number of `core.fct_budget` lines in each."""
    description = _drop_description("budget lines", bounds)
    if previous_quarter is None:
        return [_outcome(BUDGET_DRIFT, "budget_lines_drop", True, 0, 0, description, _NOTHING_TO_COMPARE)]
    dropped = previous_lines - current_lines > bounds.drift_max_drop_share * previous_lines
    return [
        _outcome(
            BUDGET_DRIFT,
            "budget_lines_drop",
            not dropped,
            previous_lines,
            max(previous_lines - current_lines, 0),
            description,
            f"{current_lines:,} budget lines in {quarter}, {previous_lines:,} in {previous_quarter}"
            f"{_change_pct(previous_lines, current_lines)}",
        )
    ]


def _per_inhabitant(costs: pl.DataFrame, population: pl.DataFrame, year: int) -> pl.DataFrame:
    """One row per municipality with a known population: digital extra spend per inhabitant."""
    return (
        costs.filter(pl.col("cost_category").is_in(DIGITAL_CATEGORIES))
        .group_by("municipality_code")
        .agg(pl.col("amount_eur").cast(pl.Float64).sum().alias("digital_eur"))
        .join(population_in_year(population, year), on="municipality_code", how="inner")
        .filter(pl.col("population") > 0)
        .select("municipality_code", (pl.col("digital_eur") / pl.col("population")).alias("per_inhabitant"))
    )


def _municipalities(n: int) -> str:
    return f"{n} municipality" if n == 1 else f"{n} municipalities"


def _drop_description(what: str, bounds: Bounds) -> str:
    return (
        f"the {what} are not down by more than {bounds.drift_max_drop_share:.0%} "
        "from the previous loaded quarter"
    )


def _change_pct(before: int, after: int) -> str:
    if before == 0:
        return ""
    return f" ({(after - before) / before:+.0%})"


def _outcome(
    suite: str,
    name: str,
    success: bool,
    element_count: int,
    unexpected_count: int,
    description: str,
    message: str,
) -> Outcome:
    return Outcome(
        suite=suite,
        expectation=name,
        severity="warning",
        success=success,
        element_count=element_count,
        unexpected_count=unexpected_count,
        description=description,
        message=message,
    )
