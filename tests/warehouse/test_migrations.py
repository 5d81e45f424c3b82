"""Migrations of a warehouse made by an earlier version: what they convert, and what they refuse.

The earlier warehouse is made here with the DDL of its time (written out below), holding rows
written by hand; `connect` then runs the DDL and every migration, as on any connection.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from transforms.schema import BUDGET_COLUMNS
from warehouse.db import connect

# raw.budget_lines as warehouse/ddl/1_raw.sql created it before migration 004.
OLD_BUDGET_LINES = """
create schema raw;
create table raw.budget_lines (
    quarter varchar not null,
    source_file varchar not null,
    source_row bigint not null,
    run_id varchar not null,
    row_values json not null
);
create table raw.survey_responses (
    quarter varchar not null,
    source_file varchar not null,
    source_row bigint not null,
    run_id varchar not null,
    row_values json not null
);
"""
EMPTY = dict.fromkeys(BUDGET_COLUMNS)


def _old_warehouse(path: Path, rows: list[tuple[str, int, str]]) -> None:
    """A warehouse with the old raw tables, budget rows (file, row, JSON) and one survey row."""
    with duckdb.connect(str(path)) as con:
        con.execute(OLD_BUDGET_LINES)
        con.executemany(
            "insert into raw.budget_lines values ('2021Q1', ?, ?, 'r0', ?)", [list(r) for r in rows]
        )
        con.execute(
            "insert into raw.survey_responses values ('2021Q1', 's.csv', 2, 'r0', ?)",
            ['{"municipality":"Leiden","fte":"12,5"}'],
        )


def _row_values_type(con: duckdb.DuckDBPyConnection, table: str) -> str:
    schema, name = table.split(".")
    return str(
        con.execute(
            "select data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? and column_name = 'row_values'",
            [schema, name],
        ).fetchall()[0][0]
    )


def test_a_new_warehouse_keeps_budget_rows_in_a_struct_of_the_budget_columns() -> None:
    con = connect(":memory:")
    assert _row_values_type(con, "raw.budget_lines") == (
        'STRUCT(municipality VARCHAR, period VARCHAR, "year" VARCHAR, "quarter" VARCHAR, '
        "taakveld VARCHAR, categorie VARCHAR, kind VARCHAR, lasten VARCHAR, baten VARCHAR, unit VARCHAR)"
    )
    # The same fields as the rows a budget store writes (sources.budget.RAW_SCHEMA), in column order.
    landed = con.sql("select row_values from raw.budget_lines").pl().schema["row_values"]
    assert landed == pl.Struct(dict.fromkeys(BUDGET_COLUMNS, pl.Utf8))
    assert _row_values_type(con, "raw.survey_responses") == "JSON"


def test_json_budget_rows_become_the_struct_with_every_value_kept(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    _old_warehouse(
        path,
        [
            (
                "a.csv",
                2,
                '{"municipality":"GM0014","period":"2021Q1","taakveld":"0.4","categorie":"3.2",'
                '"kind":"begroting","lasten":"1.234,56","baten":""}',
            ),
            # Quotes, a backslash and an accent; a null value; keys of a file with year and quarter.
            (
                "b.csv",
                3,
                '{"municipality":"Gemeente \\"Noord\\" \\\\ Súdwest","year":"2021","quarter":"1",'
                '"lasten":null,"unit":"x1000"}',
            ),
            ("c.csv", 4, "{}"),
        ],
    )
    con = connect(path)
    try:
        assert con.execute(
            "select source_file, source_row, row_values from raw.budget_lines order by source_file"
        ).fetchall() == [
            (
                "a.csv",
                2,
                {
                    **EMPTY,
                    "municipality": "GM0014",
                    "period": "2021Q1",
                    "taakveld": "0.4",
                    "categorie": "3.2",
                    "kind": "begroting",
                    "lasten": "1.234,56",
                    "baten": "",
                },
            ),
            (
                "b.csv",
                3,
                {
                    **EMPTY,
                    "municipality": 'Gemeente "Noord" \\ Súdwest',
                    "year": "2021",
                    "quarter": "1",
                    "unit": "x1000",
                },
            ),
            ("c.csv", 4, EMPTY),
        ]
        assert _row_values_type(con, "raw.budget_lines").startswith("STRUCT(municipality VARCHAR")
        # The survey's raw rows stay JSON, untouched.
        assert con.execute("select row_values from raw.survey_responses").fetchall() == [
            ('{"municipality":"Leiden","fte":"12,5"}',)
        ]
        before = con.execute("select * from raw.budget_lines order by source_file").fetchall()
    finally:
        con.close()
    # Migrations run on every connection: the second time they change nothing.
    con = connect(path)
    try:
        assert con.execute("select * from raw.budget_lines order by source_file").fetchall() == before
        assert con.execute("select count(*) from raw.budget_lines").fetchall() == [(3,)]
    finally:
        con.close()


@pytest.mark.parametrize(
    ("row_values", "problem"),
    [
        (
            '{"municipality":"GM0014","gemeentenaam":"Groningen"}',
            'key "gemeentenaam" is no field of the struct',
        ),
        ('{"municipality":"GM0014","lasten":1.10}', 'key "lasten" holds a JSON DOUBLE, not text'),
        ('["GM0014"]', "row_values is a JSON ARRAY, not an object"),
    ],
)
def test_a_value_the_struct_cannot_hold_stops_the_migration_and_nothing_changes(
    tmp_path: Path, row_values: str, problem: str
) -> None:
    path = tmp_path / "old.duckdb"
    good = '{"municipality":"GM0014","lasten":"1"}'
    _old_warehouse(path, [("a.csv", 2, good), ("a.csv", 3, row_values)])
    with pytest.raises(duckdb.Error) as raised:
        connect(path)
    message = str(raised.value)
    assert (
        "raw.budget_lines: row_values cannot become a struct without losing values (1 problem(s); " in message
    )
    assert f"the first: a.csv row 3: {problem}). Nothing was converted." in message
    with duckdb.connect(str(path), read_only=True) as con:
        assert _row_values_type(con, "raw.budget_lines") == "JSON"
        assert con.execute("select source_row, row_values from raw.budget_lines order by 1").fetchall() == [
            (2, good),
            (3, row_values),
        ]
