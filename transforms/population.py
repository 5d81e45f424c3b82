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
