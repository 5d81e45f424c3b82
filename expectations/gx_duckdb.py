"""Great Expectations' SQL execution engine on a DuckDB database file.

Why an adapter is needed
    GX 1.24's `SqlAlchemyExecutionEngine.execute_query` runs each query inside
    ``with engine.connect() as connection`` and returns the result after that block has
    handed the connection back to the pool. On return the pool rolls the connection back,
    and every duckdb-engine cursor shares its connection's single DuckDB result, so by the
    time GX reads the result it is empty: each bundled metric query comes back with no row
    and every expectation fails with an ``IndexError`` inside GX.

How `DuckDBExecutionEngine` fixes it
    It keeps one connection open for the engine's lifetime instead of one per query, which
    is what GX already does for the dialects whose state lives in a connection (sqlite, SQL
    Server, BigQuery, Databricks). A result then stays readable until the next query on the
    same engine, and every GX call site reads its result right away
    (``execute_query(q).fetchall()``, ``.fetchmany(n)``, ``.scalar()``, ``.fetchone()``).
    The rows are read lazily: DuckDB streams, so a query GX reads only the first 200 rows of
    (the rows of an `UnexpectedRowsExpectation`) costs 200 rows of memory, however many rows
    match. Buffering every result before returning it (``Result.freeze()``) also works, but
    copies every matching row into Python objects first.

    One connection for everything has one more consequence: a statement that fails (an
    expectation's SQL naming a column the table lacks) aborts DuckDB's transaction on that
    connection, and every later query would fail with "Current transaction is aborted".
    SQLAlchemy does not notice, so GX's own recovery (on ``PendingRollbackError``) does not
    run. `execute_query` rolls the connection back after a failed statement before
    re-raising, so the failure stays with the one expectation that caused it.

Scope
    Nothing in GX is patched. Only datasources made by `add_duckdb_datasource` use this
    engine. Their class name starts with an underscore so that GX's datasource metaclass
    does not register it as a new global datasource type (``context.data_sources.add_*``),
    which also makes importing this module again harmless.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import great_expectations as gx
import polars as pl
import sqlalchemy as sa
from great_expectations.data_context import AbstractDataContext
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)
from great_expectations.datasource.fluent import SQLDatasource
from great_expectations.execution_engine import SqlAlchemyExecutionEngine


class DuckDBExecutionEngine(SqlAlchemyExecutionEngine):
    """GX's SQL execution engine holding one DuckDB connection until `close`.

    Invariant: a result returned by `execute_query` is readable until the next query runs
    on this engine (DuckDB keeps one pending result per connection).
    """

    @contextlib.contextmanager
    def get_connection(self) -> Iterator[sa.Connection]:
        if self._connection is None or self._connection.closed:
            self._connection = self.engine.connect()
        yield self._connection

    def execute_query(self, query: Any) -> Any:
        with self.get_connection() as connection:
            try:
                return self._execute_query_with_recovery(connection, query)
            except sa.exc.DBAPIError:
                connection.rollback()
                raise

    def fetch_frame(self, sql: str, parameters: Sequence[Any] = ()) -> pl.DataFrame:
        """Run `sql` on this engine's DuckDB connection and return the rows through Arrow."""
        with self.get_connection() as connection:
            duckdb_connection = connection.connection.driver_connection
            assert duckdb_connection is not None
            # GX leaves the last result it read partly (``fetchmany``) open on the
            # connection, and DuckDB refuses new work beside an unfinished result.
            duckdb_connection.abort()
            return duckdb_connection.sql(sql, params=list(parameters)).pl()

    def register_codes(self, name: str, codes: Sequence[str]) -> None:
        """Make `codes` a table `name` (one VARCHAR column ``code``) on this engine's connection.

        A temporary table: every query on this engine sees it until `close`, no other
        connection does, and nothing is written to the database (which may be open
        read-only). Registering `name` again replaces it. The codes go in as one list
        parameter. (Not an Arrow table registered with DuckDB: two connections to one file
        registering at once made DuckDB lose its Arrow scan function.)
        """
        with self.get_connection() as connection:
            duckdb_connection = connection.connection.driver_connection
            assert duckdb_connection is not None
            quoted = self.engine.dialect.identifier_preparer.quote(name)
            duckdb_connection.execute(
                f"create or replace temporary table {quoted} as select unnest(?::varchar[]) as code",
                [list(codes)],
            )

    def close(self) -> None:
        """Close the held connection and dispose of the engine; safe to call twice."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self.engine.dispose()


class _DuckDBFileDatasource(SQLDatasource):
    """A GX SQL datasource on one DuckDB file, computing metrics with `DuckDBExecutionEngine`."""

    @property
    def execution_engine_type(self) -> type[SqlAlchemyExecutionEngine]:
        return DuckDBExecutionEngine

    def get_engine(self) -> sa.Engine:
        # One SQLAlchemy engine per datasource: GX would otherwise build a second one for
        # connection tests and reflection, which `close_duckdb_datasource` would not see and
        # which would keep the database file open.
        return self.get_execution_engine().engine


def ephemeral_context() -> AbstractDataContext:
    """A GX context held in memory only: no files, no docs site, no analytics, no progress bars."""
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def add_duckdb_datasource(
    context: AbstractDataContext, *, name: str, database: Path, read_only: bool = True
) -> SQLDatasource:
    """Add a SQL datasource on the DuckDB file `database` to `context` and return it.

    The file is opened read-only by default, so several processes can validate it at once.
    DuckDB refuses a read-only connection to a file that this process already has open for
    writing ("different configuration"): close writers first, or pass ``read_only=False``.
    Call `close_duckdb_datasource` when done; until then the file stays open.
    """
    url = sa.engine.URL.create("duckdb", database=str(Path(database).resolve()))
    datasource = _DuckDBFileDatasource(
        name=name,
        connection_string=url.render_as_string(hide_password=False),
        kwargs={
            "connect_args": {
                "read_only": read_only,
                # Never download an extension at query time: there is no network.
                "config": {"autoinstall_known_extensions": False},
            },
            # `?` placeholders rather than duckdb-engine's default `$1`: GX inlines the
            # parameters of the queries it reports (unexpected rows) only for styles it
            # recognises, and it decides `$1` was inlined whenever the parameter's value
            # also appears elsewhere in the text (a 2 in `population_2020`), leaving it bound.
            "paramstyle": "qmark",
        },
    )
    added = context.add_datasource(datasource=datasource)
    assert isinstance(added, SQLDatasource)
    return added


def duckdb_engine_of(datasource: SQLDatasource) -> DuckDBExecutionEngine:
    """The execution engine of a datasource made by `add_duckdb_datasource`."""
    engine = datasource.get_execution_engine()
    if not isinstance(engine, DuckDBExecutionEngine):
        raise TypeError(f"datasource {datasource.name!r} was not made by add_duckdb_datasource")
    return engine


def close_duckdb_datasource(datasource: SQLDatasource) -> None:
    """Close every connection the datasource holds, so the file can be opened for writing."""
    duckdb_engine_of(datasource).close()
