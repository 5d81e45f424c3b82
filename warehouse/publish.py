"""Publish the BI snapshot: dims and marts into a new file, then an atomic rename.

BI tools open only the published file, read-only. It is never written in place:
a refresh builds a new file beside it and renames it over the old one, so a
reader sees either the previous snapshot or the next, never half of one.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from pathlib import Path

import duckdb

from warehouse.db import scalar, sql

SNAPSHOT_TABLES = {
    "marts.cost_trend_quarterly": "municipality_code, quarter, cost_category",
    "marts.national_estimate": "quarter, cost_category",
    "marts.net_cost": "municipality_code, quarter",
    "marts.budget_trend_quarterly": "municipality_code, quarter, budget_category, kind",
    "marts.survey_vs_budget": "municipality_code, quarter",
    "core.dim_municipality": "municipality_code",
    "core.dim_quarter": "quarter",
    "core.dim_cost_category": "cost_category",
}


def _quoted(path: Path) -> str:
    """A path as a SQL string literal (paths come from settings, never from input data)."""
    return "'" + str(path).replace("'", "''") + "'"


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish_snapshot(
    con: duckdb.DuckDBPyConnection,
    published_dir: Path,
    *,
    run_id: str,
    storage_version: str = "v1.0.0",
) -> Path:
    """Write `published_dir/costtrends.duckdb` and Parquet copies of every mart; return its path."""
    published_dir.mkdir(parents=True, exist_ok=True)
    target = published_dir / "costtrends.duckdb"
    tmp = published_dir / f".costtrends-{uuid.uuid4().hex}.duckdb.tmp"
    quarters = con.execute("select min(quarter), max(quarter), count(*) from core.dim_quarter").fetchall()[0]
    main = scalar(con, "select current_database()")
    try:
        con.execute(f"attach {_quoted(tmp)} as snapshot (storage_version '{storage_version}')")
        try:
            for schema in ("marts", "core", "meta"):
                con.execute(f"create schema snapshot.{schema}")
            for table, keys in SNAPSHOT_TABLES.items():
                con.execute(f"create table snapshot.{table} as select * from {table} order by {keys}")
            con.execute(
                "create table snapshot.meta.snapshot as select ? as first_quarter, "
                "? as last_quarter, cast(? as integer) as quarters, "
                "cast(? as timestamp) as built_at, ? as source_run",
                [
                    quarters[0],
                    quarters[1],
                    quarters[2],
                    dt.datetime.now(dt.UTC).replace(tzinfo=None),
                    run_id,
                ],
            )
            con.execute("use snapshot")
            con.execute(sql("sql/comment_snapshot"))
        finally:
            con.execute(f'use "{main}"')
            con.execute("detach snapshot")
        _fsync(tmp)
        os.replace(tmp, target)
        _fsync(published_dir)
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    write_parquet(con, published_dir / "parquet")
    return target


def write_parquet(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """One Parquet file per mart, each replaced atomically."""
    folder.mkdir(parents=True, exist_ok=True)
    for table, keys in SNAPSHOT_TABLES.items():
        if not table.startswith("marts."):
            continue
        name = table.split(".", 1)[1]
        tmp = folder / f".{name}-{uuid.uuid4().hex}.parquet.tmp"
        con.execute(f"copy (select * from {table} order by {keys}) to {_quoted(tmp)} (format parquet)")
        os.replace(tmp, folder / f"{name}.parquet")
