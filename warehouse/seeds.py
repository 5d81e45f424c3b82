"""Seed files (reference data) → dimension frames, and their load into `core`."""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
from importlib import metadata
from pathlib import Path

import duckdb
import polars as pl

from expectations.gate import Outcome, validate_frame
from expectations.suites import reference_suites
from ingest.files import write_atomically
from ingest.reference import SEEDS_DIR, Reference
from warehouse.db import insert_frame, transaction
from warehouse.version import code_version


def _replace(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    con.execute(f"delete from {table}")
    insert_frame(con, table, frame)


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
