"""Seed files (reference data) → dimension frames, and their load into `core`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from transforms import iv3, reference
from transforms.population import extend_register
from warehouse.db import SEEDS_DIR, transaction


@dataclass(frozen=True)
class Reference:
    """Every dimension the pipeline needs, built from the seeds."""

    municipalities: pl.DataFrame
    population: pl.DataFrame
    mergers: pl.DataFrame
    boundaries: pl.DataFrame
    boundary_population: pl.DataFrame
    taakvelden: pl.DataFrame
    categorieen: pl.DataFrame
    budget_categories: pl.DataFrame
    cost_categories: pl.DataFrame
    # Where CBS's Iv3 definition files are read from (transforms.iv3).
    iv3_dir: Path = iv3.DEFINITIONS_DIR


def _read(name: str, seeds_dir: Path) -> pl.DataFrame:
    return pl.read_csv(seeds_dir / name, infer_schema=False)


FETCHED_POPULATION_GLOB = "population_*.csv"


def read_fetched_population(fetched_dir: Path | None) -> pl.DataFrame:
    """Every `population_<year>.csv` that `costtrends fetch population` landed, as one frame."""
    schema = {
        "municipality_code": pl.Utf8,
        "municipality_name": pl.Utf8,
        "year": pl.Int32,
        "population": pl.Int64,
    }
    paths = sorted(fetched_dir.glob(FETCHED_POPULATION_GLOB)) if fetched_dir is not None else []
    if not paths:
        return pl.DataFrame(schema=schema)
    return pl.concat([pl.read_csv(p, schema=schema) for p in paths])


def read_reference(
    seeds_dir: Path = SEEDS_DIR, *, boundary_date: dt.date | None = None, fetched_dir: Path | None = None
) -> Reference:
    """The dimensions from the seeds, plus the years of population fetched into `fetched_dir`, if any."""
    register = _read("municipalities.csv", seeds_dir)
    register = register.with_columns(
        pl.col(c).cast(pl.Int64) for c in register.columns if c.startswith("population_")
    )
    register = extend_register(register, read_fetched_population(fetched_dir))
    municipalities = reference.municipality_dim(register)
    population = reference.population_dim(register)
    shares = _read("merger_shares.csv", seeds_dir).with_columns(pl.col("share").cast(pl.Float64))
    mergers = reference.merger_dim(_read("mergers.csv", seeds_dir), shares)
    boundaries = reference.boundary_map(municipalities, mergers, boundary_date=boundary_date)
    boundary_population = reference.boundary_population(population, boundaries).rename(
        {"boundary_code": "municipality_code"}
    )
    # The Iv3 code lists are CBS's definition files (seeds/iv3/); a seeds folder without
    # them (a test's small seeds) uses the project's.
    iv3_dir = seeds_dir / "iv3" if (seeds_dir / "iv3").is_dir() else iv3.DEFINITIONS_DIR
    lists = iv3.code_lists(directory=iv3_dir)
    taakvelden = iv3.taakveld_dim(lists)
    categorieen = iv3.categorie_dim(lists)
    rules = _read("iv3_budget_categories.csv", seeds_dir)
    cost_categories = _read("cost_categories.csv", seeds_dir).with_columns(
        (pl.col("is_digital") == "true").alias("is_digital")
    )
    return Reference(
        municipalities=municipalities,
        population=population,
        mergers=mergers,
        boundaries=boundaries,
        boundary_population=boundary_population,
        taakvelden=taakvelden,
        categorieen=categorieen,
        budget_categories=reference.budget_category_map(rules, taakvelden, categorieen),
        cost_categories=cost_categories,
        iv3_dir=iv3_dir,
    )


def _replace(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    con.execute(f"delete from {table}")
    con.register("_seed_frame", frame.to_arrow())
    con.execute(f"insert into {table} by name select * from _seed_frame")
    con.unregister("_seed_frame")


def load_reference(con: duckdb.DuckDBPyConnection, ref: Reference) -> None:
    """Replace every reference dimension in one transaction (seeds may have been edited)."""
    with transaction(con):
        _replace(con, "core.dim_municipality", ref.municipalities)
        _replace(con, "core.dim_municipality_population", ref.population)
        _replace(con, "core.dim_merger", ref.mergers)
        _replace(con, "core.map_boundary", ref.boundaries)
        _replace(con, "core.dim_boundary_population", ref.boundary_population)
        _replace(
            con,
            "core.dim_iv3_taakveld",
            ref.taakvelden.select(
                pl.col("code").alias("taakveld"),
                "name",
                "first_year",
                "last_year",
            ),
        )
        _replace(
            con,
            "core.dim_iv3_categorie",
            ref.categorieen.select(pl.col("code").alias("categorie"), "name"),
        )
        _replace(con, "core.dim_budget_category", ref.budget_categories)
        _replace(con, "core.dim_cost_category", ref.cost_categories)
