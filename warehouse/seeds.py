"""Seed files (reference data) → dimension frames, and their load into `core`."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import duckdb
import polars as pl

from expectations.gate import Outcome, validate_frame
from expectations.suites import reference_suites
from ingest.files import write_atomically
from transforms import iv3, reference
from transforms.population import extend_register
from warehouse.db import SEEDS_DIR, transaction
from warehouse.version import code_version


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
        _replace(con, "core.dim_size_class", ref.size_classes)


class SeedsInvalid(ValueError):
    """A seed file breaks a reference check: the run stops before anything is loaded."""


# Digests of seed folders whose files passed, so a backfill checks unchanged seeds once.
_VALID_SEEDS: set[str] = set()
# In `passed_dir`: the digest of the seeds that passed last, so the next process skips them too.
SEEDS_PASSED_FILE = "reference_seeds.passed"
SEED_FILES = (
    "municipalities.csv",
    "mergers.csv",
    "merger_shares.csv",
)


def _seeds_digest(seeds_dir: Path, seeds: dict[str, bytes]) -> str:
    """What a pass is valid for: the seed folder and bytes, the code and the libraries running the checks."""
    digest = hashlib.sha256(str(seeds_dir.resolve()).encode())
    for name, content in seeds.items():
        digest.update(f"\0{name}\0{len(content)}\0".encode() + content)
    for part in (code_version(), *(metadata.version(d) for d in ("great_expectations", "duckdb", "polars"))):
        digest.update(f"\0{part}".encode())
    return digest.hexdigest()


def _seeds_passed_before(passed_dir: Path | None, digest: str) -> bool:
    if passed_dir is None:
        return False
    try:
        return (passed_dir / SEEDS_PASSED_FILE).read_text("utf-8").strip() == digest
    except OSError:
        return False


def validate_reference_seeds(
    seeds_dir: Path = SEEDS_DIR, *, workdir: Path | None = None, passed_dir: Path | None = None
) -> list[Outcome]:
    """Run the reference suites on the seed files as written; raise `SeedsInvalid` if one fails.

    The message names each seed file, the failed check, what it expects and the lines of
    the file that break it (line 1 is the header). Returns the outcomes when all pass, and
    [] without running them when these exact seed bytes passed before under this code and
    these libraries: in this process, or in any process that recorded its pass in
    `passed_dir` (`SEEDS_PASSED_FILE`). Only a pass is recorded, so a broken seed is
    checked, and reported, every run.
    """

    def read(name: str) -> pl.DataFrame:
        # Text as written (the bytes the digest covers); row_id is the line in the file.
        frame = pl.read_csv(io.BytesIO(seeds[name]), infer_schema=False)
        return frame.with_row_index("row_id", offset=2).with_columns(pl.col("row_id").cast(pl.Int64))

    try:
        seeds = {name: (seeds_dir / name).read_bytes() for name in SEED_FILES}
        digest = _seeds_digest(seeds_dir, seeds)
        if digest in _VALID_SEEDS or _seeds_passed_before(passed_dir, digest):
            _VALID_SEEDS.add(digest)
            return []
        register = read("municipalities.csv")
        shares = pl.read_csv(io.BytesIO(seeds["merger_shares.csv"]), infer_schema=False)
        tables = {
            "municipalities.csv": register,
            "mergers.csv": read("mergers.csv").join(
                shares, on=["old_code", "new_code"], how="left", maintain_order="left"
            ),
        }
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise SeedsInvalid(f"seed files in {seeds_dir} cannot be read: {exc}") from exc
    codes = register["code"].drop_nulls().to_list() if "code" in register.columns else []
    try:
        suites = reference_suites(
            population_columns=[c for c in register.columns if re.fullmatch(r"population_\d{4}", c)],
            register_codes=codes,
        )
    except ValueError as exc:
        raise SeedsInvalid(f"seed files in {seeds_dir}: {exc}") from exc
    problems: list[str] = []
    outcomes: list[Outcome] = []
    for name, suite in suites.items():
        gate = validate_frame(tables[name], suite, workdir=workdir)
        outcomes.extend(gate.outcomes)
        problems.extend(f"{name}: {error}" for error in gate.batch_errors)
        descriptions = {check.name: check.description for check in suite.checks}
        for check, lines in _lines_by_check(gate.row_failures).items():
            shown = ", ".join(map(str, lines[:10])) + (f" and {len(lines) - 10} more" * (len(lines) > 10))
            problems.append(f"{name}: {check} ({descriptions[check]}) fails on line(s) {shown}")
    if problems:
        raise SeedsInvalid(f"seed files in {seeds_dir} break reference checks:\n  " + "\n  ".join(problems))
    _VALID_SEEDS.add(digest)
    if passed_dir is not None:
        # Only a saving: if it cannot be written, the next process checks the seeds again.
        with contextlib.suppress(OSError):
            write_atomically(passed_dir / SEEDS_PASSED_FILE, digest + "\n")
    return outcomes


def _lines_by_check(failures: pl.DataFrame) -> dict[str, list[int]]:
    exploded = failures.explode("reasons").sort("reasons", "row_id")
    return {
        str(check): group["row_id"].to_list()
        for (check,), group in exploded.group_by("reasons", maintain_order=True)
    }
