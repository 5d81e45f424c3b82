"""The plausibility gate: an amount typed ×1000 is quarantined, not averaged into the headline.

The survey suite's fixed bound (`amount_per_inhabitant_plausible`, €250 per inhabitant)
catches an amount far beyond what any municipality spends. It cannot catch a small
municipality's €0.20 per inhabitant typed ×1000: €200 is under the bound, yet three such
typos move the national estimate several-fold. What catches them is comparison:

- with its own history: a response whose digital extra spend per inhabitant is more than
  `max_factor_own` times the municipality's median of the quarters loaded before (up to
  four) is quarantined;
- with its size class, when it has no history: more than `max_factor_class` times the
  median of the responses of the same size class in the quarter (at least
  `min_class_peers` of them, or there is nothing sound to compare with).

Only jumps upward are quarantined: a figure typed too small cannot inflate an estimate,
and a quarter with little spending is plausible; the drift warnings still report both
ways. The reason names both values, per 1,000 inhabitants as the marts show them.

Pure: frames in, frames out (`jumps`); `warehouse.checks.plausibility_gate` reads the
history from the warehouse and moves the flagged rows to quarantine.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from expectations.gate import Outcome
from transforms.reference import size_class
from transforms.schema import DIGITAL_CATEGORIES

SUITE = "survey_plausibility"
CHECK = "amount_per_inhabitant_jump"
PER_1000 = "digital_extra_per_1000_inhabitants"

FLAGGED_SCHEMA: dict[str, pl.DataType] = {
    "row_id": pl.Int64(),
    "reason": pl.Utf8(),
    "failed_values": pl.List(pl.Utf8()),
}


@dataclass(frozen=True)
class Thresholds:
    """How far a response may exceed its references; `flows.settings` holds the defaults and why."""

    max_factor_own: float
    max_factor_class: float
    min_class_peers: int


def per_inhabitant(responses: pl.DataFrame) -> pl.Expr:
    """Digital extra spend per inhabitant of a staged survey row (NULL without a population)."""
    total = pl.sum_horizontal(pl.col(f"{c}_eur").cast(pl.Float64).fill_null(0.0) for c in DIGITAL_CATEGORIES)
    return pl.when(pl.col("population") > 0).then(total / pl.col("population")).otherwise(None)


def jumps(responses: pl.DataFrame, history: pl.DataFrame, thresholds: Thresholds) -> pl.DataFrame:
    """The responses whose spend per inhabitant jumps past their reference, with the reason.

    responses: the quarter's rows that passed validation (row_id, municipality_code,
    population and the amount columns). history: one row per municipality × earlier quarter
    (municipality_code, quarter, per_inhabitant), the quarters to compare with.
    Grain out: one row per flagged response (row_id, reason, failed_values).
    """
    current = responses.select(
        "row_id",
        "municipality_code",
        per_inhabitant(responses).alias("value"),
        size_class(pl.col("population")).alias("size_class"),
    ).filter(pl.col("value") > 0)
    own = (
        history.filter(pl.col("per_inhabitant") > 0)
        .group_by("municipality_code")
        .agg(
            pl.col("per_inhabitant").median().alias("own"),
            pl.col("quarter").min().alias("first"),
            pl.col("quarter").max().alias("last"),
        )
    )
    classes = current.group_by("size_class").agg(
        pl.col("value").median().alias("peers_median"), pl.len().alias("peers")
    )
    compared = current.join(own, on="municipality_code", how="left").join(
        classes, on="size_class", how="left"
    )
    by_own = compared.filter(
        pl.col("own").is_not_null() & (pl.col("value") > thresholds.max_factor_own * pl.col("own"))
    )
    by_class = compared.filter(
        pl.col("own").is_null()
        & (pl.col("peers") >= thresholds.min_class_peers)
        & (pl.col("value") > thresholds.max_factor_class * pl.col("peers_median"))
    )
    rows = [
        (
            r["row_id"],
            f"{CHECK}: €{r['value'] * 1000:,.2f} per 1,000 inhabitants is ×{r['value'] / r['own']:,.0f} "
            f"its own median of €{r['own'] * 1000:,.2f} in {_span(r['first'], r['last'])} "
            f"(at most ×{thresholds.max_factor_own:g})",
            [f"{PER_1000}={r['value'] * 1000:.2f}", f"own_median_per_1000_inhabitants={r['own'] * 1000:.2f}"],
        )
        for r in by_own.iter_rows(named=True)
    ] + [
        (
            r["row_id"],
            f"{CHECK}: €{r['value'] * 1000:,.2f} per 1,000 inhabitants is "
            f"×{r['value'] / r['peers_median']:,.0f} the median of €{r['peers_median'] * 1000:,.2f} "
            f"of the {r['peers']} responses of size class {r['size_class']} "
            f"(no earlier quarter to compare with; at most ×{thresholds.max_factor_class:g})",
            [
                f"{PER_1000}={r['value'] * 1000:.2f}",
                f"size_class_median_per_1000_inhabitants={r['peers_median'] * 1000:.2f}",
            ],
        )
        for r in by_class.iter_rows(named=True)
    ]
    return pl.DataFrame(rows, schema=FLAGGED_SCHEMA, orient="row").sort("row_id")


def _span(first: str, last: str) -> str:
    return first if first == last else f"{first}..{last}"


def outcome(checked: int, flagged: int, thresholds: Thresholds) -> Outcome:
    """The gate's result as one check of the batch, recorded with the suite's."""
    return Outcome(
        suite=SUITE,
        expectation=CHECK,
        severity="error",
        success=flagged == 0,
        element_count=checked,
        unexpected_count=flagged,
        description=(
            f"digital extra spend per inhabitant is at most ×{thresholds.max_factor_own:g} the "
            "municipality's median of the (up to four) quarters loaded before, or without those at most "
            f"×{thresholds.max_factor_class:g} the median of its size class in the quarter"
        ),
        message=None if flagged == 0 else f"{flagged} of {checked} responses quarantined",
    )
