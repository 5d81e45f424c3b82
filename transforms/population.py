"""The population a municipality had in a given year, for figures relative to size.

Pure polars over the register's population dimension (one row per municipality × year).
"""

from __future__ import annotations

import polars as pl


def population_in_year(population: pl.DataFrame, year: int) -> pl.DataFrame:
    """One row per municipality: its population in `year`, else in the nearest year known.

    The register counts inhabitants on 1 January and its years run out at both ends (a
    municipality founded in 2021 has no 2020 figure; no one has next year's yet), so the
    nearest year stands in; between an earlier and a later year equally near, the earlier.

    Grain in: municipality_code × year. Grain out: municipality_code, with `population`.
    """
    return (
        population.drop_nulls("population")
        .with_columns((pl.col("year").cast(pl.Int64) - year).abs().alias("_distance"))
        .sort("municipality_code", "_distance", "year")
        .group_by("municipality_code", maintain_order=True)
        .first()
        .select("municipality_code", pl.col("population").cast(pl.Int64))
    )


# The province of a municipality that began in a fetched year, until the seeds name it.
UNKNOWN_PROVINCE = "onbekend"


def extend_register(register: pl.DataFrame, fetched: pl.DataFrame) -> pl.DataFrame:
    """The register (seed `municipalities.csv`) with fetched years of population added.

    `fetched` has one row per municipality × year (`municipality_code`, `municipality_name`,
    `year`, `population`), as `costtrends fetch population` lands it. Per fetched year Y,
    oldest first:

    - `population_Y` holds the fetched figures (they replace a seed column of that year);
    - a code the register lacks began on 1 January Y: a row with its name, `valid_from`
      Y-01-01 and province `UNKNOWN_PROVINCE` (the population table names none: correct
      it in the seed register when the municipality is added there);
    - a code that is open in the register (no `valid_to`, begun by 1 January Y) but has no
      figure for Y ended before that day: `valid_to` (Y-1)-12-31.

    Seeds stay the default; this only adds what a fetch brought. Grain: one row per code.
    """
    if fetched.is_empty():
        return register
    out = register
    for year in sorted(fetched["year"].unique().to_list()):
        rows = fetched.filter(pl.col("year") == year)
        column = f"population_{year}"
        start, last_day = f"{year}-01-01", f"{year - 1}-12-31"
        known = set(out["code"].to_list())
        began = rows.filter(~pl.col("municipality_code").is_in(list(known)))
        if began.height:
            out = pl.concat(
                [
                    out,
                    began.select(
                        pl.col("municipality_code").alias("code"),
                        pl.col("municipality_name").alias("name"),
                        pl.lit(UNKNOWN_PROVINCE).alias("province"),
                        pl.lit(start).alias("valid_from"),
                        pl.lit(None, pl.Utf8).alias("valid_to"),
                    ),
                ],
                how="diagonal_relaxed",
            )
        figures = rows.select(pl.col("municipality_code").alias("code"), pl.col("population").alias(column))
        out = out.drop(column, strict=False).join(figures, on="code", how="left", maintain_order="left")
        ended = (
            pl.col("valid_to").is_null()
            & (pl.col("valid_from").is_null() | (pl.col("valid_from") <= start))
            & pl.col(column).is_null()
        )
        out = out.with_columns(
            pl.when(ended).then(pl.lit(last_day)).otherwise(pl.col("valid_to")).alias("valid_to")
        )
    years = sorted(c for c in out.columns if c.startswith("population_"))
    others = [c for c in out.columns if not c.startswith("population_")]
    return out.select(*others, *years).sort("code")
