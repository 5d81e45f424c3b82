"""The national estimate: stratified ratio estimator by size class, with a 90% interval.

Sampling frame: the municipalities that existed in the quarter, as they existed
(so the estimate does not depend on the boundary set the marts report on).
Strata: size classes by inhabitants on 1 January of the quarter's year.

For stratum h with M_h municipalities, population X_h, and n_h respondents
with amounts y_i and populations x_i:

    R_h   = sum(y_i) / sum(x_i)                      spending per inhabitant
    Y_h   = R_h * X_h                                estimate for the stratum
    e_i   = y_i - R_h * x_i                          residuals
    Var_h = M_h^2 * (1 - n_h / M_h) * s_e^2 / n_h    s_e^2 = sum(e_i^2) / (n_h - 1)

The estimate is the sum of Y_h; the 90% interval is estimate ± 1.645·sqrt(Σ Var_h),
its lower bound not below zero (amounts are non-negative). The finite population
correction (1 - n_h/M_h) makes a fully answered stratum exact, so at full
coverage low = estimate = high. A stratum with one respondent has no residual
variance of its own: it borrows the relative residual variance s_e^2 / mean(x)^2
pooled over all respondents of the quarter and category. A stratum with no
respondents is estimated at the pooled per-inhabitant ratio of the others and
counts its whole population in the variance through the pooled relative variance.

Everything is computed in sorted order with exact decimal inputs, so the result
does not depend on the order of rows or files.
"""

from __future__ import annotations

import math

import polars as pl

Z_90 = 1.6448536269514722


def national_estimate(responses: pl.DataFrame, frame: pl.DataFrame) -> pl.DataFrame:
    """Estimate per quarter × cost category.

    `responses`: one row per responding municipality × quarter × cost category with
    columns quarter, municipality_code, cost_category, amount_eur (non-null).
    `frame`: one row per municipality × quarter that existed, with columns quarter,
    municipality_code, population, size_class.
    Grain out: quarter × cost category.
    """
    joined = (
        responses.join(frame, on=["quarter", "municipality_code"], how="inner")
        .with_columns(
            pl.col("amount_eur").cast(pl.Float64).alias("y"),
            pl.col("population").cast(pl.Float64).alias("x"),
        )
        .sort("quarter", "cost_category", "municipality_code")
    )
    strata = frame.group_by("quarter", "size_class").agg(
        pl.len().alias("M"), pl.col("population").sum().cast(pl.Float64).alias("X")
    )
    totals = frame.group_by("quarter").agg(pl.col("population").sum().cast(pl.Float64).alias("X_total"))
    rows = []
    for (quarter, category), group in joined.group_by("quarter", "cost_category", maintain_order=True):
        rows.append(
            _estimate_one(str(quarter), str(category), group, strata.filter(pl.col("quarter") == quarter))
        )
    schema = {
        "quarter": pl.Utf8,
        "cost_category": pl.Utf8,
        "respondents": pl.Int64,
        "respondent_population": pl.Float64,
        "estimate_eur": pl.Float64,
        "estimate_low_eur": pl.Float64,
        "estimate_high_eur": pl.Float64,
    }
    result = pl.DataFrame(rows, schema=schema, orient="row")
    return (
        result.join(totals, on="quarter", how="left")
        .with_columns(
            (pl.col("respondent_population") / pl.col("X_total") * 100)
            .round(4)
            .alias("population_coverage_pct")
        )
        .select(
            "quarter",
            "cost_category",
            "respondents",
            "population_coverage_pct",
            *[pl.col(c).round(2) for c in ("estimate_eur", "estimate_low_eur", "estimate_high_eur")],
        )
        .sort("quarter", "cost_category")
    )


def _estimate_one(
    quarter: str, category: str, group: pl.DataFrame, strata: pl.DataFrame
) -> tuple[str, str, int, float, float, float, float]:
    by_stratum = {str(k[0]): g for k, g in group.group_by("size_class", maintain_order=True)}
    y_all, x_all, n_all = float(group["y"].sum()), float(group["x"].sum()), group.height
    pooled_ratio = y_all / x_all if x_all else 0.0
    # Residual variance per squared mean inhabitant count, pooled over all respondents.
    pooled_rel_var = 0.0
    if n_all > 1:
        residuals = group["y"] - pooled_ratio * group["x"]
        pooled_rel_var = float((residuals**2).sum()) / (n_all - 1) / (x_all / n_all) ** 2
    estimate = variance = 0.0
    for stratum in sorted(strata.iter_rows(named=True), key=lambda r: r["size_class"]):
        m_h, x_h = int(stratum["M"]), float(stratum["X"])
        borrowed_s2 = pooled_rel_var * (x_h / m_h) ** 2
        sample = by_stratum.get(stratum["size_class"])
        if sample is None:
            estimate += pooled_ratio * x_h
            variance += m_h**2 * borrowed_s2
            continue
        n_h = sample.height
        ys, xs = sample["y"], sample["x"]
        ratio = float(ys.sum()) / float(xs.sum()) if xs.sum() else 0.0
        estimate += ratio * x_h
        s2 = float(((ys - ratio * xs) ** 2).sum()) / (n_h - 1) if n_h > 1 else borrowed_s2
        variance += m_h**2 * max(0.0, 1.0 - n_h / m_h) * s2 / n_h
    half_width = Z_90 * math.sqrt(variance)
    low = max(estimate - half_width, 0.0)
    return (quarter, category, n_all, x_all, estimate, min(low, estimate), estimate + half_width)
