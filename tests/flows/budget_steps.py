"""One budget quarter through the pipeline's steps, and core's budget rows, for budget flow tests."""

from __future__ import annotations

from pathlib import Path

import duckdb

from flows import steps
from ingest.reference import Reference, read_reference
from sources import base
from transforms.quarter import Quarter
from warehouse import marts


def refresh_budget(
    con: duckdb.DuckDBPyConnection, home: Path, quarter: str, ref: Reference | None = None, run: str = "r1"
) -> base.Batch:
    """One budget quarter: ingest, validate, transform, account, load, then its marts."""
    ref = ref or read_reference()
    q = Quarter.parse(quarter)
    work = home / "work"
    batch = steps.ingest_batch(home / "landing", "budget", q, f"{quarter}-{run}", ref, workdir=work)
    batch = steps.validate_batch(batch, ref, workdir=work)
    core = steps.transform_batch(batch)
    steps.account_rows(batch, core)
    steps.load_batch(con, batch, core)
    marts.refresh_marts(con, marts.affected_quarters(con, q), ref)
    return batch


def budget_core_rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """core.fct_budget with lineage, in a stable order."""
    return con.execute(
        "select quarter, municipality_code, taakveld, categorie, kind, lasten_eur, baten_eur, source_file, source_row "
        "from core.fct_budget order by all"
    ).fetchall()
