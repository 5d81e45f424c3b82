"""The reference data a run judges and maps rows by, read from the seed files.

The seeds (`warehouse/seeds/`: municipalities with population, mergers, Iv3 code lists,
category rules) and the population years `costtrends fetch population` landed are read
into one `Reference` of frames. `warehouse.seeds` checks the seed files and loads the
reference into the warehouse's dimensions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from transforms import iv3, reference
from transforms.population import extend_register

# The seed files ship inside the warehouse package, which loads them.
SEEDS_DIR = Path(__file__).resolve().parents[1] / "warehouse" / "seeds"


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
    size_classes: pl.DataFrame = field(default_factory=reference.size_class_dim)


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
