"""The national estimate: stratified ratio estimator by size class, with a 90% interval.

Sampling frame: the municipalities that existed in the quarter, as they existed
(so the estimate does not depend on the boundary set the marts report on).
Strata: size classes by inhabitants on 1 January of the quarter's year.

For stratum h with M_h municipalities, population X_h, and n_h respondents
with amounts y_i and populations x_i:

    R_h   = sum(y_i) / sum(x_i)                      spending per inhabitant
    Y_h   = sum(y_i) + R_h * (X_h - sum(x_i))        observed plus the non-respondents at R_h
    e_i   = y_i - R_h * x_i                          residuals
    Var_h = M_h^2 * (1 - n_h / M_h) * s_e^2 / n_h    s_e^2 = sum(e_i^2) / (n_h - 1)

Y_h equals R_h * X_h; written as observed plus imputed it is exact when every
municipality of the stratum answered. The estimate is the sum of Y_h; the 90%
interval is estimate ± 1.645·sqrt(Σ Var_h), its lower bound not below zero
(amounts are non-negative). The finite population correction (1 - n_h/M_h)
makes a fully answered stratum exact, so at full coverage low = estimate = high.
A stratum with one respondent has no residual variance of its own: it borrows
the relative residual variance s_e^2 / mean(x)^2 pooled over all respondents of
the quarter and category. A stratum with no respondents is estimated at the
pooled per-inhabitant ratio of the others and counts its whole population in the
variance through the pooled relative variance. With a single respondent in all
(and coverage not full) there is nothing to estimate a variance from: the bounds
are NULL rather than a range of zero width.

Sums are taken with `math.fsum` (correctly rounded, so independent of order) over
rows in sorted order: the result does not depend on the order of rows or files.

Periods (half years, years, and the quarter itself) add the quarterly estimates;
the half-widths of their intervals add too, see `national_estimate_periods`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import polars as pl

Z_90 = 1.6448536269514722
DIGITAL_TOTAL = "digital_total"

_QUARTERLY_SCHEMA = {
    "quarter": pl.Utf8,
    "cost_category": pl.Utf8,
    "respondents": pl.Int64,
    "respondent_population": pl.Int64,
    "frame_population": pl.Int64,
    "estimate": pl.Float64,
    "half_width": pl.Float64,
}
_PERIOD_SCHEMA = {
    "period_type": pl.Utf8,
    "period": pl.Utf8,
    "cost_category": pl.Utf8,
    "quarters_covered": pl.Int32,
    "estimate_eur": pl.Float64,
    "estimate_low_eur": pl.Float64,
    "estimate_high_eur": pl.Float64,
}


@dataclass(frozen=True)
class _Stratum:
    size_class: str
    municipalities: int
    population: int


def quarterly_estimates(responses: pl.DataFrame, frame: pl.DataFrame) -> pl.DataFrame:
    """Unrounded estimate and interval half-width per quarter × cost category.

    `responses`: one row per responding municipality × quarter × cost category with
    columns quarter, municipality_code, cost_category, amount_eur (non-null).
    `frame`: one row per municipality × quarter that existed, with columns quarter,
    municipality_code, population, size_class.
    Grain out: quarter × cost category with at least one respondent in the frame.
    `half_width` is NULL when no variance can be estimated (one respondent, coverage not full).
    """
    joined = responses.join(frame, on=["quarter", "municipality_code"], how="inner").sort(
        "quarter", "cost_category", "municipality_code"
    )
    strata_by_quarter: dict[str, list[_Stratum]] = {}
    strata = frame.group_by("quarter", "size_class").agg(
        pl.len().alias("municipalities"), pl.col("population").cast(pl.Int64).sum().alias("population")
    )
    for row in strata.sort("quarter", "size_class").iter_rows(named=True):
        strata_by_quarter.setdefault(row["quarter"], []).append(
            _Stratum(row["size_class"], int(row["municipalities"]), int(row["population"]))
        )
    rows = []
    for (quarter, category), group in joined.group_by("quarter", "cost_category", maintain_order=True):
        sample = list(
            zip(
                group["size_class"].to_list(),
                (float(v) for v in group["amount_eur"].to_list()),
                (int(v) for v in group["population"].to_list()),
                strict=True,
            )
        )
        quarter_strata = strata_by_quarter[str(quarter)]
        estimate, variance = _estimate_one(sample, quarter_strata)
        half_width = None if variance is None else Z_90 * math.sqrt(variance)
        rows.append(
            (
                str(quarter),
                str(category),
                len(sample),
                sum(x for _, _, x in sample),
                sum(s.population for s in quarter_strata),
                estimate,
                half_width,
            )
        )
    return pl.DataFrame(rows, schema=_QUARTERLY_SCHEMA, orient="row").sort("quarter", "cost_category")


def _estimate_one(
    sample: Sequence[tuple[str, float, int]], strata: Iterable[_Stratum]
) -> tuple[float, float | None]:
    """(estimate, variance) of one quarter × category; variance None when it cannot be estimated."""
    n_all = len(sample)
    y_all = math.fsum(y for _, y, _ in sample)
    x_all = sum(x for _, _, x in sample)
    pooled_ratio = y_all / x_all if x_all else 0.0
    # Residual variance per squared mean inhabitant count, pooled over all respondents.
    pooled_rel_var = 0.0
    if n_all > 1 and x_all:
        squares = math.fsum((y - pooled_ratio * x) ** 2 for _, y, x in sample)
        pooled_rel_var = squares / (n_all - 1) / (x_all / n_all) ** 2
    by_stratum: dict[str, list[tuple[float, int]]] = {}
    for size_class, y, x in sample:
        by_stratum.setdefault(size_class, []).append((y, x))
    parts: list[float] = []
    variances: list[float] = []
    fully_observed = True
    for stratum in sorted(strata, key=lambda s: s.size_class):
        m_h, x_h = stratum.municipalities, stratum.population
        borrowed_s2 = pooled_rel_var * (x_h / m_h) ** 2
        observed = by_stratum.get(stratum.size_class)
        if not observed:
            fully_observed = False
            parts.append(pooled_ratio * x_h)
            variances.append(m_h**2 * borrowed_s2)
            continue
        n_h = len(observed)
        y_h = math.fsum(y for y, _ in observed)
        x_obs = sum(x for _, x in observed)
        ratio = y_h / x_obs if x_obs else 0.0
        parts.append(y_h + ratio * (x_h - x_obs))
        fpc = max(0.0, 1.0 - n_h / m_h)
        fully_observed = fully_observed and fpc == 0.0
        squares = math.fsum((y - ratio * x) ** 2 for y, x in observed)
        s2 = squares / (n_h - 1) if n_h > 1 else borrowed_s2
        variances.append(m_h**2 * fpc * s2 / n_h)
    estimate = math.fsum(parts)
    if n_all < 2 and not fully_observed:
        return estimate, None
    return estimate, math.fsum(variances)


def _bounds(estimate: pl.Expr, half_width: pl.Expr) -> list[pl.Expr]:
    """Rounded estimate and 90% bounds; the lower bound not below zero nor above the estimate."""
    low = pl.min_horizontal(pl.max_horizontal(estimate - half_width, pl.lit(0.0)), estimate)
    return [
        estimate.round(2).alias("estimate_eur"),
        pl.when(half_width.is_not_null()).then(low.round(2)).alias("estimate_low_eur"),
        pl.when(half_width.is_not_null()).then((estimate + half_width).round(2)).alias("estimate_high_eur"),
    ]


def national_estimate(responses: pl.DataFrame, frame: pl.DataFrame) -> pl.DataFrame:
    """The contract table `marts.national_estimate`: one row per quarter × cost category.

    Inputs as for `quarterly_estimates`. Coverage is the respondents' share of the
    frame's population, in percent.
    """
    return quarterly_estimates(responses, frame).select(
        "quarter",
        "cost_category",
        "respondents",
        (pl.col("respondent_population") / pl.col("frame_population") * 100)
        .round(4)
        .alias("population_coverage_pct"),
        *_bounds(pl.col("estimate"), pl.col("half_width")),
    )


def with_digital_total(responses: pl.DataFrame, *, digital_categories: Sequence[str]) -> pl.DataFrame:
    """`responses` plus one `digital_total` row per municipality × quarter that answered every
    digital category: the sum of its digital amounts.

    A municipality that left a digital category open has no known digital total (a missing
    answer is never a zero), so it is not a respondent for the total.
    """
    wanted = sorted(set(digital_categories))
    digital = (
        responses.filter(pl.col("cost_category").is_in(wanted))
        .group_by("quarter", "municipality_code")
        .agg(pl.col("amount_eur").sum(), pl.col("cost_category").n_unique().alias("answered"))
        .filter(pl.col("answered") == len(wanted))
        .select(
            "quarter",
            "municipality_code",
            pl.lit(DIGITAL_TOTAL).alias("cost_category"),
            pl.col("amount_eur").cast(responses.schema["amount_eur"]),
        )
    )
    return pl.concat([responses.select(digital.columns), digital]).sort(
        "quarter", "cost_category", "municipality_code"
    )


PERIOD_TYPES = ("quarter", "half_year", "year")


def period_label(quarter: pl.Expr, period_type: str) -> pl.Expr:
    """`2021Q3` → itself (quarter), `2021H2` (half_year) or `2021` (year)."""
    year = quarter.str.slice(0, 4)
    if period_type == "quarter":
        return quarter
    if period_type == "half_year":
        half = pl.when(quarter.str.slice(5, 1).is_in(["1", "2"])).then(pl.lit("H1")).otherwise(pl.lit("H2"))
        return year + half
    if period_type == "year":
        return year
    raise ValueError(f"unknown period type {period_type!r}")


def periods_containing(quarters: Sequence[str]) -> list[str]:
    """Every period label (quarter, half year, year) that contains one of `quarters`, sorted."""
    frame = pl.DataFrame({"quarter": list(quarters)}, schema={"quarter": pl.Utf8})
    labels = pl.concat(
        [frame.select(period_label(pl.col("quarter"), t).alias("period")) for t in PERIOD_TYPES]
    )
    return sorted(set(labels["period"].to_list()))


def period_estimates(quarterly: pl.DataFrame) -> pl.DataFrame:
    """Quarter, half-year and year totals from `quarterly_estimates` output.

    The estimate of a period is the sum of its quarters' estimates. The half-width
    of its interval is the sum of the quarters' half-widths: the error of a quarter
    is largely shared with its neighbours (the same municipalities answer every
    quarter), and adding half-widths is the bound that holds whatever that
    correlation is. NULL when a quarter's half-width is NULL.
    Grain out: period type × period × cost category; `quarters_covered` counts the
    quarters of the period that have an estimate.
    """
    parts = [
        quarterly.with_columns(
            pl.lit(period_type).alias("period_type"),
            period_label(pl.col("quarter"), period_type).alias("period"),
        )
        for period_type in PERIOD_TYPES
    ]
    rows = []
    for (period_type, period, category), group in (
        pl.concat(parts)
        .sort("period_type", "period", "cost_category", "quarter")
        .group_by("period_type", "period", "cost_category", maintain_order=True)
    ):
        widths = group["half_width"].to_list()
        rows.append(
            (
                period_type,
                period,
                category,
                group.height,
                math.fsum(group["estimate"].to_list()),
                None if any(w is None for w in widths) else math.fsum(widths),
            )
        )
    summed = pl.DataFrame(
        rows,
        schema={
            "period_type": pl.Utf8,
            "period": pl.Utf8,
            "cost_category": pl.Utf8,
            "quarters_covered": pl.Int32,
            "estimate": pl.Float64,
            "half_width": pl.Float64,
        },
        orient="row",
    )
    return summed.select(
        "period_type",
        "period",
        "cost_category",
        "quarters_covered",
        *_bounds(pl.col("estimate"), pl.col("half_width")),
    ).cast(_PERIOD_SCHEMA)  # type: ignore[arg-type]


def national_estimate_periods(
    responses: pl.DataFrame, frame: pl.DataFrame, *, digital_categories: Sequence[str]
) -> pl.DataFrame:
    """The table `marts.national_estimate_period`: every category plus `digital_total`.

    One row per period type (quarter, half_year, year) × period × cost category.
    """
    quarterly = quarterly_estimates(
        with_digital_total(responses, digital_categories=digital_categories), frame
    )
    return period_estimates(quarterly)


def period_start(period: pl.Expr) -> pl.Expr:
    """First day of a period label as a Date: `2021Q3` and `2021H2` → 2021-07-01, `2021` → 2021-01-01.

    The marts' `quarter_start` column, so a BI time axis needs no join: for a quarter its
    first day, for a half year or year the first day of its first quarter.
    """
    year = period.str.slice(0, 4).cast(pl.Int32)
    kind = period.str.slice(4, 1)
    number = period.str.slice(5, 1).cast(pl.Int32, strict=False)
    month = (
        pl.when(kind == "Q")
        .then(number * 3 - 2)
        .when(kind == "H")
        .then(number * 6 - 5)
        .when(period.str.len_chars() == 4)
        .then(pl.lit(1))
    )
    return pl.date(year, month, 1)
