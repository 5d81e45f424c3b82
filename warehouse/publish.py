"""Publish the BI snapshot: dims and marts into a new file, then an atomic rename.

BI tools open only the published file, read-only. It is never written in place:
a refresh builds a new file beside it and renames it over the old one, so a
reader sees either the previous snapshot or the next, never half of one.

Every snapshot also has a path of its own, `snapshots/<built at, UTC>/costtrends.duckdb`
(the same file name, so clients see the same catalog name `costtrends`), and
`costtrends.duckdb` is a second name (a hard link) of the newest one. `costtrends.current`
holds the newest one's own path, relative to the folder. DuckDB clients share one open
database per path within a process, so a pool that keeps connections to
`costtrends.duckdb` keeps reading the file it first opened; a pool that opens the file
`costtrends.current` names gets a new path, hence the new data, whatever connections it
still holds (docs/bi.md shows how, per tool).
Superseded snapshots stay for a grace period (an hour by default) after the next one is
published, so a reader that has just read the pointer can still open the file it names.

Snapshot files are read-only (mode 0444): a client that opens one read-write (a DuckDB
client without its read-only option) fails at once instead of taking the write lock that
would lock every reader out. A process running as root is not held back by file modes;
docs/bi.md says how to mount the folder read-only for such a tool.

What a reader can rely on:
- `costtrends.duckdb` is always one complete snapshot. `meta.snapshot` says what it
  covers; `meta.snapshot_tables` holds every table's row count and content checksum,
  which `verify_snapshot` (or the same SQL in any DuckDB client) checks.
- `parquet/<mart>.parquet` are copies of the snapshot's marts, written from the new
  snapshot file itself before anything is renamed. Each file is replaced atomically
  and carries its table's `row_count` and `content_md5` in its Parquet key-value
  metadata; `parquet/_snapshot.json`, renamed last, names the snapshot id and every
  file's checksum. The files are renamed one after the other right after the DuckDB
  file, so a reader that needs several files from one refresh compares their
  `content_md5` with the manifest.
- A failure before the renames (disk full, target not writable, a bad setting)
  raises `PublishError` and leaves the published files as they were, with no
  temporary files behind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse.db import sql
from warehouse.faults import fault_point
from warehouse.marts import comment_statements, registry

# The dimensions BI reads beside the marts, with their sort keys; the marts come from their registry.
DIMENSION_TABLES = {
    "core.dim_municipality": "municipality_code",
    "core.dim_quarter": "quarter",
    "core.dim_cost_category": "cost_category",
}
# Built at publish from the working warehouse's meta schema; checked like the tables above.
QUALITY_TABLE = "meta.data_quality"
SNAPSHOT_NAME = "costtrends.duckdb"
POINTER_NAME = "costtrends.current"
# Each snapshot's own folder: snapshots/20261204T101500.123456Z/ (when it was built, UTC).
SNAPSHOTS_DIR = "snapshots"
VERSION_PATTERN = re.compile(r"(\d{8}T\d{6}\.\d{6})Z")
_VERSION_TIME = "%Y%m%dT%H%M%S.%f"
# How long a superseded snapshot stays after the next is published: enough for a reader that
# read the pointer just before to open the file it names. Readers with the file open keep
# reading it after it is removed (POSIX); where removing an open file fails (a Windows
# share), the next publish tries again.
KEEP_SUPERSEDED = dt.timedelta(hours=1)
PARQUET_DIR = "parquet"
MANIFEST_NAME = "_snapshot.json"
_TMP_PREFIX = ".costtrends-"
_STORAGE_VERSION = re.compile(r"v\d+\.\d+\.\d+")


def snapshot_tables() -> dict[str, str]:
    """Every table the snapshot copies (each mart of the registry, then the dimensions) → sort keys."""
    return {**{m.table: m.keys for m in registry()}, **DIMENSION_TABLES}


class PublishError(RuntimeError):
    """The snapshot could not be written; the published files are unchanged."""


@dataclass(frozen=True)
class TableCheck:
    """One table's row count and content checksum, as `meta.snapshot_tables` holds them."""

    table: str
    row_count: int
    content_md5: str


def _quoted(path: Path) -> str:
    """A path as a SQL string literal (paths come from settings, never from input data)."""
    return "'" + str(path).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def checksum_sql(table: str, columns: list[str]) -> str:
    """Row count and content checksum of `table`, the same in DuckDB 0.10.3 to 2.0.

    Each row's values are cast to text, joined by tabs (NULL as `\\N`) and hashed; the
    checksum is the MD5 of the sorted row hashes, so row order does not matter.
    """
    values = ", ".join(f"coalesce(cast({_ident(c)} as varchar), '\\N')" for c in columns)
    return (
        "select count(*) as row_count, "
        "md5(coalesce(string_agg(row_md5, '' order by row_md5), '')) as content_md5 "
        f"from (select md5(concat_ws(chr(9), {values})) as row_md5 from {table})"
    )


def table_columns(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> list[str]:
    """Column names of `catalog.schema.table` in table order."""
    schema, name = table.split(".", 1)
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_catalog = ? and table_schema = ? and table_name = ? order by ordinal_position",
        [catalog, schema, name],
    ).fetchall()
    return [r[0] for r in rows]


def table_check(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> TableCheck:
    """Count and checksum one table of the database attached as `catalog`."""
    qualified = f"{_ident(catalog)}.{table}"
    count, md5 = con.execute(checksum_sql(qualified, table_columns(con, catalog, table))).fetchall()[0]
    return TableCheck(table, int(count), str(md5))


def verify_snapshot(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Compare every table of an open snapshot with `meta.snapshot_tables`; [] when it is whole."""
    catalog = str(con.execute("select current_database()").fetchall()[0][0])
    expected = con.execute(
        "select table_schema || '.' || table_name, row_count, content_md5 from meta.snapshot_tables"
    ).fetchall()
    problems = []
    for table, rows, md5 in expected:
        found = table_check(con, catalog, table)
        if (found.row_count, found.content_md5) != (rows, md5):
            problems.append(
                f"{table}: meta.snapshot_tables says {rows} rows ({md5}), "
                f"the table has {found.row_count} ({found.content_md5})"
            )
    return problems


def _remove_temp_files(published_dir: Path) -> None:
    """Temp files a killed publish left behind (only one process publishes a warehouse)."""
    for folder in (published_dir, published_dir / PARQUET_DIR):
        if folder.is_dir():
            for path in folder.glob(f"{_TMP_PREFIX}*"):
                path.unlink(missing_ok=True)


def version_path(built_at: dt.datetime) -> str:
    """A snapshot's own path under the published folder: `snapshots/<UTC time>Z/costtrends.duckdb`."""
    return f"{SNAPSHOTS_DIR}/{built_at.strftime(_VERSION_TIME)}Z/{SNAPSHOT_NAME}"


def current_snapshot(published_dir: Path) -> Path:
    """The newest snapshot under its own path, as `costtrends.current` says (what pooled readers open)."""
    return published_dir / (published_dir / POINTER_NAME).read_text(encoding="utf-8").strip()


def publish_snapshot(
    con: duckdb.DuckDBPyConnection,
    published_dir: Path,
    *,
    run_id: str,
    storage_version: str = "v1.0.0",
    keep_superseded: dt.timedelta = KEEP_SUPERSEDED,
) -> Path:
    """Write the snapshot, its Parquet copies and the pointer to it; return `costtrends.duckdb`.

    Everything is written to temporary files first and renamed only when all of it is
    on disk; a `PublishError` before that leaves the published files untouched. The new
    file gets its own path (`version_path`) and `costtrends.duckdb` as a second name, both
    read-only; snapshots superseded `keep_superseded` or longer ago are removed.
    """
    if not _STORAGE_VERSION.fullmatch(storage_version):
        raise PublishError(
            f"snapshot storage version {storage_version!r} is not of the form v1.0.0 "
            "(setting COSTTRENDS_SNAPSHOT_STORAGE_VERSION)"
        )
    target = published_dir / SNAPSHOT_NAME
    parquet_dir = published_dir / PARQUET_DIR
    snapshot_id = uuid.uuid4().hex
    built_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    version = published_dir / version_path(built_at)
    tmp = published_dir / f"{_TMP_PREFIX}{snapshot_id}.duckdb.tmp"
    link = published_dir / f"{_TMP_PREFIX}{snapshot_id}.link.tmp"
    staged: dict[Path, Path] = {}  # temp file -> published name
    try:
        parquet_dir.mkdir(parents=True, exist_ok=True)
        _remove_temp_files(published_dir)
        checks = _build_snapshot(
            con, tmp, snapshot_id, run_id, storage_version, parquet_dir, staged, built_at=built_at
        )
        _fsync(tmp)
        os.chmod(tmp, _READ_ONLY)
        _second_name(tmp, link)
        for path in staged:
            _fsync(path)
        manifest = parquet_dir / f"{_TMP_PREFIX}{snapshot_id}.json.tmp"
        staged[manifest] = parquet_dir / MANIFEST_NAME
        manifest.write_text(_manifest(snapshot_id, run_id, checks), encoding="utf-8")
        _fsync(manifest)
        pointer = published_dir / f"{_TMP_PREFIX}{snapshot_id}.current.tmp"
        staged = {pointer: published_dir / POINTER_NAME, **staged}  # the pointer first, right after the file
        pointer.write_text(version_path(built_at) + "\n", encoding="utf-8")
        _fsync(pointer)
        fault_point("publish:before_rename")  # test hook (warehouse/faults.py)
        version.parent.mkdir(parents=True)
        os.replace(tmp, version)
        try:
            os.replace(link, target)
        except BaseException:
            _unlink(version)
            raise
    except BaseException as exc:
        _unlink(tmp, Path(f"{tmp}.wal"), link, *staged)
        with contextlib.suppress(OSError):
            version.parent.rmdir()
        if not isinstance(exc, duckdb.Error | OSError):
            raise
        raise PublishError(
            f"could not write the snapshot in {published_dir}: {exc}. "
            f"The published snapshot {target} is unchanged."
        ) from exc
    try:
        for path, final in staged.items():
            os.replace(path, final)
        for folder in (version.parent, version.parent.parent, published_dir, parquet_dir):
            _fsync(folder)
    except OSError as exc:
        _unlink(*staged)
        raise PublishError(
            f"the snapshot {target} is published, but renaming its pointer {POINTER_NAME} or its "
            f"Parquet copies in {parquet_dir} failed: {exc}. Compare each file's content_md5 with "
            "meta.snapshot_tables."
        ) from exc
    prune_snapshots(published_dir, now=built_at, keep_superseded=keep_superseded)
    return target


_READ_ONLY = 0o444


def _second_name(path: Path, link: Path) -> None:
    """Give `path` the second name `link`: a hard link, or a read-only copy where links are not allowed."""
    try:
        os.link(path, link)
    except OSError:
        shutil.copyfile(path, link)
        _fsync(link)
        os.chmod(link, _READ_ONLY)


def prune_snapshots(published_dir: Path, *, now: dt.datetime, keep_superseded: dt.timedelta) -> list[Path]:
    """Remove snapshot folders superseded `keep_superseded` or longer before `now`; return those removed.

    A snapshot is superseded when the next newer one was built (its name says when). The
    one `costtrends.current` names is never removed, nor a file whose removal fails (a
    reader on a Windows share may hold it open): the next publish tries again.
    """
    current = (published_dir / (published_dir / POINTER_NAME).read_text(encoding="utf-8").strip()).parent
    folders = published_dir / SNAPSHOTS_DIR
    versions = sorted(
        (dt.datetime.strptime(m[1], _VERSION_TIME), p)
        for p in (folders.iterdir() if folders.is_dir() else [])
        if (m := VERSION_PATTERN.fullmatch(p.name)) and p.is_dir()
    )
    removed = []
    for (_, folder), (superseded_at, _) in zip(versions, versions[1:], strict=False):
        if folder != current and now - superseded_at >= keep_superseded:
            try:
                (folder / SNAPSHOT_NAME).unlink(missing_ok=True)
                folder.rmdir()
            except OSError:
                continue
            removed.append(folder)
    return removed


def _unlink(*paths: Path) -> None:
    """Remove temp files after a failure; a path that cannot exist is simply not there."""
    for path in paths:
        with contextlib.suppress(NotADirectoryError):
            path.unlink(missing_ok=True)


def _build_snapshot(
    con: duckdb.DuckDBPyConnection,
    tmp: Path,
    snapshot_id: str,
    run_id: str,
    storage_version: str,
    parquet_dir: Path,
    staged: dict[Path, Path],
    *,
    built_at: dt.datetime,
) -> list[TableCheck]:
    """Fill the new snapshot file from one consistent state of the warehouse; stage its Parquet copies."""
    main = str(con.execute("select current_database()").fetchall()[0][0])
    alias = f"snapshot_{snapshot_id[:12]}"
    con.execute(f"attach {_quoted(tmp)} as {alias} (storage_version '{storage_version}')")
    try:
        # One read transaction: every table comes from the same state of the warehouse.
        con.execute("begin transaction")
        try:
            for schema in ("marts", "core", "meta"):
                con.execute(f"create schema {alias}.{schema}")
            tables = snapshot_tables()
            for table, keys in tables.items():
                con.execute(f"create table {alias}.{table} as select * from {table} order by {keys}")
            con.execute(f"create table {alias}.{QUALITY_TABLE} as {sql('sql/select_snapshot_quality')}")
            checks = [table_check(con, alias, t) for t in (*tables, QUALITY_TABLE)]
            con.execute(
                f"create table {alias}.meta.snapshot_tables (table_schema varchar not null, "
                "table_name varchar not null, row_count bigint not null, content_md5 varchar not null)"
            )
            con.executemany(
                f"insert into {alias}.meta.snapshot_tables values (?, ?, ?, ?)",
                [[*c.table.split(".", 1), c.row_count, c.content_md5] for c in checks],
            )
            con.execute(
                f"create table {alias}.meta.snapshot as select ? as snapshot_id, "
                "min(quarter) as first_quarter, max(quarter) as last_quarter, "
                "cast(count(*) as integer) as quarters, cast(? as timestamp) as built_at, "
                f"? as source_run, ? as storage_version from {alias}.core.dim_quarter",
                [snapshot_id, built_at, run_id, storage_version],
            )
            con.execute(f"use {alias}")
            con.execute(comment_statements(registry()))
            con.execute(sql("sql/comment_snapshot"))
            con.execute(sql("sql/comment_snapshot_meta"))
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        finally:
            con.execute(f'use "{main}"')
        by_table = {c.table: c for c in checks}
        for table, keys in tables.items():
            if not table.startswith("marts."):
                continue
            name = table.split(".", 1)[1]
            part = parquet_dir / f"{_TMP_PREFIX}{snapshot_id}-{name}.parquet.tmp"
            staged[part] = parquet_dir / f"{name}.parquet"
            check = by_table[table]
            # Checksums only (no snapshot id), so unchanged marts stay byte-identical.
            con.execute(
                f"copy (select * from {alias}.{table} order by {keys}) to {_quoted(part)} "
                f"(format parquet, kv_metadata {{row_count: '{check.row_count}', "
                f"content_md5: '{check.content_md5}'}})"
            )
    finally:
        con.execute(f"detach {alias}")
    return checks


def _manifest(snapshot_id: str, run_id: str, checks: list[TableCheck]) -> str:
    files = {
        f"{c.table.split('.', 1)[1]}.parquet": {"row_count": c.row_count, "content_md5": c.content_md5}
        for c in checks
        if c.table.startswith("marts.")
    }
    return json.dumps({"snapshot_id": snapshot_id, "source_run": run_id, "files": files}, indent=2) + "\n"
