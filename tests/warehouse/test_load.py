"""The load's building blocks: SQL scripts with named parameters, frame and stored-row inserts."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from sources.base import StoredRows
from warehouse import load
from warehouse.db import connect, insert_frame


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    return connect(":memory:")


def test_a_script_runs_every_statement_with_the_parameters_it_names(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "insert into meta.partitions values "
        "('survey', '2021Q1', 'r0', '2021-04-01', 'a.csv:1', 'v0'),"
        "('budget', '2021Q1', 'r0', '2021-04-01', 'b.csv:2', 'v0'),"
        "('survey', '2020Q4', 'r0', '2021-01-01', 'c.csv:3', 'v0')"
    )
    con.execute(
        "insert into meta.validation_warnings values "
        "('r0', '2021Q1', 'survey', 'a.csv', 2, ['w']), ('r0', '2021Q1', 'budget', 'b.csv', 3, ['w'])"
    )

    # The clearing script's statements use $quarter and $source; the extra run_id is left out.
    load.run_script(con, "sql/load_clear_partition", {"source": "survey", "quarter": "2021Q1", "run_id": "x"})

    partitions = con.execute("select source, quarter from meta.partitions order by all").fetchall()
    warnings = con.execute("select source, quarter from meta.validation_warnings").fetchall()
    assert partitions == [("budget", "2021Q1"), ("survey", "2020Q4")]
    assert warnings == [("budget", "2021Q1")]


def test_a_frame_inserts_by_column_name(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create table t (a integer, b varchar)")
    insert_frame(con, "t", pl.DataFrame({"b": ["x", "y"], "a": [1, 2]}))

    assert con.execute("select a, b from t order by a").fetchall() == [(1, "x"), (2, "y")]
    # The frame is not left registered.
    assert "_frame" not in [r[0] for r in con.execute("show tables").fetchall()]


def test_stored_rows_go_only_to_their_own_table(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    rows = StoredRows(tmp_path / "store.duckdb", "core.fct_budget", "sql/insert_budget_core_rows", 0)

    with pytest.raises(ValueError, match="these stored rows go to core.fct_budget, not raw.budget_lines"):
        load.insert_rows(con, "raw.budget_lines", rows)
