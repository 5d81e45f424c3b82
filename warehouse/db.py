"""Connections and SQL files. SQL lives in `.sql` files, loaded by path."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources
from pathlib import Path

import duckdb
import polars as pl

from ingest.reference import SEEDS_DIR as SEEDS_DIR  # where the seed files are, for callers of warehouse.db


@cache
def sql(name: str) -> str:
    """The text of `warehouse/<name>.sql`, e.g. `sql("ddl/create_schemas")`."""
    return resources.files("warehouse").joinpath(f"{name}.sql").read_text("utf-8")


def connect(path: Path | str, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the working warehouse, creating its folder and layers on first use."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    # Fixed thread count and insertion order keep results reproducible run to run.
    con.execute("set preserve_insertion_order = true")
    if not read_only:
        try:
            for statements in schema_scripts():
                if _applies(con, statements):
                    con.execute(statements)
        except BaseException:
            con.close()  # a migration refused: the file is free for whoever repairs it
            raise
    return con


# A script's first line `-- applies when: <query>`: it runs only when the query's value is true.
_APPLIES_WHEN = re.compile(r"\A-- applies when: (?P<query>.+)$", re.MULTILINE)


def _applies(con: duckdb.DuckDBPyConnection, script: str) -> bool:
    """Whether a schema script runs on this connection: always, unless its first line guards it.

    A migration that rewrites rows (not one adding a column `if not exists`) names the state it
    changes in that line, so it runs once, not on every connection.
    """
    guard = _APPLIES_WHEN.match(script)
    return guard is None or bool(scalar(con, guard["query"]))


@cache
def schema_scripts() -> tuple[str, ...]:
    """The warehouse's DDL, one script per layer (`ddl/`), then the migrations (`migrations/`), in name order.

    Each is idempotent: a new warehouse gets every table as it is now, an existing one the
    columns added since it was made. A layer's tables are in its own file; a change to a
    table that already exists is a new, numbered file in `migrations/`, guarded by a first
    line `-- applies when: <query>` when running it again would cost more than a look at
    the catalog (`_applies`).
    """
    root = resources.files("warehouse")
    return tuple(
        script.read_text("utf-8")
        for folder in ("ddl", "migrations")
        for script in sorted(root.joinpath(folder).iterdir(), key=lambda p: p.name)
        if script.name.endswith(".sql")
    )


# Connections with a transaction of `transaction` open (by id, removed when it ends).
_OPEN: set[int] = set()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: a failure inside rolls everything back.

    Inside another `transaction` on the same connection it joins the outer one (DuckDB has
    no nested transactions): the outer one commits or rolls back everything, so a quarter's
    two sources and its marts are written together.
    """
    if id(con) in _OPEN:
        yield con
        return
    con.execute("begin transaction")
    _OPEN.add(id(con))
    try:
        yield con
    except BaseException:
        _OPEN.discard(id(con))
        con.execute("rollback")
        raise
    _OPEN.discard(id(con))
    con.execute("commit")


def scalar(con: duckdb.DuckDBPyConnection, query: str, params: list | None = None) -> object:
    """The first value of the first row; reads the whole result so the connection is free again."""
    rows = con.execute(query, params or []).fetchall()
    return rows[0][0] if rows else None


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """Insert `frame`'s rows into `table`, columns matched by name.

    `table` is a name the code chose, never an input value.
    """
    con.register("_frame", frame.to_arrow())
    try:
        con.execute(f"insert into {table} by name select * from _frame")
    finally:
        con.unregister("_frame")
