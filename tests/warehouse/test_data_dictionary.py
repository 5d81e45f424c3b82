"""Every table and column BI sees has a description, and docs/data_dictionary.md says the same."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from ingest.reference import read_reference
from tests.warehouse.core_rows import warehouse
from transforms.quarter import Quarter
from warehouse import marts as mart_registry
from warehouse.dictionary import DOCS_PATH, data_dictionary, empty_snapshot
from warehouse.publish import snapshot_tables


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    path = empty_snapshot(tmp_path_factory.mktemp("published"))
    with duckdb.connect(str(path), read_only=True) as con:
        yield con


def _undescribed(con: duckdb.DuckDBPyConnection, schemas: tuple[str, ...]) -> list[str]:
    tables = con.execute(
        "select schema_name || '.' || table_name from duckdb_tables() "
        "where database_name = current_database() and list_contains(?, schema_name) "
        "and coalesce(comment, '') = '' order by 1",
        [list(schemas)],
    ).fetchall()
    columns = con.execute(
        "select schema_name || '.' || table_name || '.' || column_name from duckdb_columns() "
        "where database_name = current_database() and list_contains(?, schema_name) "
        "and coalesce(comment, '') = '' order by 1",
        [list(schemas)],
    ).fetchall()
    return [r[0] for r in tables + columns]


def test_every_snapshot_table_and_column_has_a_description(snapshot: duckdb.DuckDBPyConnection) -> None:
    tables = {
        r[0]
        for r in snapshot.execute(
            "select schema_name || '.' || table_name from duckdb_tables() where database_name = current_database()"
        ).fetchall()
    }
    assert set(snapshot_tables()) <= tables
    assert _undescribed(snapshot, ("marts", "core", "meta")) == []


def test_marts_in_the_working_warehouse_carry_the_same_descriptions() -> None:
    ref = read_reference()
    with warehouse(ref) as con:
        mart_registry.refresh_marts(con, mart_registry.affected_quarters(con, Quarter(2021, 1)), ref)
        assert _undescribed(con, ("marts",)) == []
        marts = {
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where database_name = current_database() "
                "and schema_name = 'marts'"
            ).fetchall()
        }
    assert marts == {m.name for m in mart_registry.registry()}


def test_the_committed_data_dictionary_is_up_to_date(snapshot: duckdb.DuckDBPyConnection) -> None:
    committed = Path(DOCS_PATH).read_text(encoding="utf-8")
    assert committed == data_dictionary(snapshot), "regenerate it: .venv/bin/python -m warehouse.dictionary"
