"""The load of a batch: one transaction replaces a source × quarter partition everywhere.

Raw rows, quarantined rows, core rows, the files' reports, every check's outcome, the rows
that load with warnings and the partition's record (`meta.partitions`), plus what the
source keeps per file version (`meta.budget_file_versions`). The SQL is in
`warehouse/sql/load_*.sql`; the source's raw and core tables are cleared by name.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

import duckdb
import polars as pl

from expectations.gate import Outcome
from sources.base import WARNING_SCHEMA, Batch, Rows, Source, StoredRows
from warehouse.db import insert_frame, sql, transaction
from warehouse.faults import fault_point

# DuckDB's memory limit for the warehouse while it takes a store's rows.
LOAD_MEMORY = "512MB"

FILES_SCHEMA: dict[str, pl.DataType] = {
    "run_id": pl.Utf8(),
    "quarter": pl.Utf8(),
    "source": pl.Utf8(),
    "file_name": pl.Utf8(),
    "sha256": pl.Utf8(),
    "size_bytes": pl.Int64(),
    "status": pl.Utf8(),
    "message": pl.Utf8(),
    "rows_read": pl.Int64(),
    "rows_loaded": pl.Int64(),
    "rows_quarantined": pl.Int64(),
    "rows_superseded": pl.Int64(),
    "unknown_columns": pl.List(pl.Utf8()),
    "ingested_at": pl.Datetime("us"),
}
RESULTS_SCHEMA: dict[str, pl.DataType] = {
    "run_id": pl.Utf8(),
    "quarter": pl.Utf8(),
    "source": pl.Utf8(),
    "suite": pl.Utf8(),
    "expectation": pl.Utf8(),
    "severity": pl.Utf8(),
    "success": pl.Boolean(),
    "element_count": pl.Int64(),
    "unexpected_count": pl.Int64(),
    "description": pl.Utf8(),
    "message": pl.Utf8(),
}
_PARAMETER = re.compile(r"\$([a-z_]+)")


def run_script(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, object]) -> None:
    """Run the statements of `warehouse/<name>.sql` in order, each with the `$name` parameters it uses.

    (DuckDB binds parameters only for the last statement of a multi-statement call.)
    """
    text = "\n".join(line for line in sql(name).splitlines() if not line.lstrip().startswith("--"))
    for statement in (s.strip() for s in text.split(";")):
        if statement:
            used = set(_PARAMETER.findall(statement))
            con.execute(statement, {k: v for k, v in params.items() if k in used})


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: Rows) -> None:
    """Insert a batch's rows into `table`: a frame, or rows kept in a source's store."""
    if isinstance(rows, StoredRows):
        _insert_stored(con, table, rows)
    else:
        insert_frame(con, table, rows)


def _insert_stored(con: duckdb.DuckDBPyConnection, table: str, rows: StoredRows) -> None:
    """Insert stored rows into `table`, DuckDB to DuckDB: the store is attached read-only.

    Works inside the caller's transaction (attach and detach do not end it).
    """
    if table != rows.table:
        raise ValueError(f"these stored rows go to {rows.table}, not {table}")
    # For the length of this insert: the warehouse's DuckDB caches the rows it writes
    # up to its memory limit, so that limit is the load's budget; and the rows need
    # no order within the quarter's partition (marts order their own output), so
    # DuckDB may insert them on every thread. Then both settings are what they were.
    limit, ordered = con.execute(
        "select current_setting('memory_limit'), current_setting('preserve_insertion_order')"
    ).fetchall()[0]
    con.execute("attach ? as budget_store (read_only)", [str(rows.path)])
    try:
        con.execute("set memory_limit = ?", [LOAD_MEMORY])
        con.execute("set preserve_insertion_order = false")
        con.execute(sql(rows.insert))
    finally:
        con.execute("set memory_limit = ?", [limit])
        con.execute("set preserve_insertion_order = ?", [ordered])
        con.execute("detach budget_store")


def files_frame(batch: Batch, now: dt.datetime) -> pl.DataFrame:
    """`meta.ingested_files` rows: one per landing file of the batch."""
    rows = [
        {
            "run_id": batch.run_id,
            "quarter": str(batch.quarter),
            "source": f.source,
            "file_name": f.file_name,
            "sha256": f.sha256,
            "size_bytes": f.size_bytes,
            "status": f.status,
            "message": f.message,
            "rows_read": f.rows_read,
            "rows_loaded": f.rows_loaded,
            "rows_quarantined": f.rows_quarantined,
            "rows_superseded": f.rows_superseded,
            "unknown_columns": f.unknown_columns,
            "ingested_at": now,
        }
        for f in batch.files
    ]
    return pl.DataFrame(rows, schema=FILES_SCHEMA)


def results_frame(batch: Batch, outcomes: list[Outcome]) -> pl.DataFrame:
    """`meta.validation_results` rows: one per check's outcome."""
    rows = [
        {
            "run_id": batch.run_id,
            "quarter": str(batch.quarter),
            "source": batch.source,
            "suite": o.suite,
            "expectation": o.expectation,
            "severity": o.severity,
            "success": o.success,
            "element_count": o.element_count,
            "unexpected_count": o.unexpected_count,
            "description": o.description,
            "message": o.message,
        }
        for o in outcomes
    ]
    return pl.DataFrame(rows, schema=RESULTS_SCHEMA)


def write_batch(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    batch: Batch,
    core: Mapping[str, Rows],
    outcomes: list[Outcome],
    *,
    code_version: str,
    now: dt.datetime,
) -> None:
    """Replace the batch's source × quarter partition everywhere, in one transaction.

    Inside the caller's `transaction` it joins it. `outcomes` are every check's (the
    batch's and those judged against the warehouse); `code_version` names the code that
    made the rows (`meta.partitions`).
    """
    q = str(batch.quarter)
    partition = {"source": batch.source, "quarter": q}
    warned = batch.warnings if batch.warnings.width else pl.DataFrame(schema=WARNING_SCHEMA)
    with transaction(con):
        con.execute(f"delete from {source.raw_table} where quarter = ?", [q])
        insert_rows(con, source.raw_table, source.raw_rows(batch))
        fault_point("load:after_delete")  # test hook (warehouse/faults.py)
        run_script(con, "sql/load_clear_partition", partition)
        insert_frame(con, "quarantine.rejected_rows", batch.quarantined)
        for table in source.core_tables:
            con.execute(f"delete from {table} where quarter = ?", [q])
            insert_rows(con, table, core[table])
        insert_frame(con, "meta.ingested_files", files_frame(batch, now))
        insert_frame(con, "meta.validation_results", results_frame(batch, outcomes))
        insert_frame(con, "meta.validation_warnings", warned)
        run_script(
            con,
            "sql/load_record_partition",
            {
                **partition,
                "run_id": batch.run_id,
                "loaded_at": now,
                "source_hashes": batch.source_hashes,
                "code_version": code_version,
            },
        )
        current = con.sql(sql("sql/load_current_file_versions"), params={"quarter": q}).pl()
        versions = source.file_versions(batch, current, now)
        if versions is not None:
            run_script(con, "sql/load_clear_file_versions", {"quarter": q})
            insert_frame(con, "meta.budget_file_versions", versions)
