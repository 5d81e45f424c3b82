"""GX's SQL engine on a DuckDB file: metrics are really computed; the code-table and regex checks."""

from __future__ import annotations

from pathlib import Path

import duckdb
import great_expectations as gx
import pytest
from great_expectations import expectations as gxe

from expectations.code_sets import ExpectColumnValuesToBeInCodeTable, ExpectColumnValuesToNotBeInCodeTable
from expectations.gx_duckdb import (
    add_duckdb_datasource,
    close_duckdb_datasource,
    duckdb_engine_of,
    ephemeral_context,
)
from expectations.patterns import ExpectColumnValuesToFullyMatchRegex

# Seven rows: three codes missing, two outside {GM0363, GM0014}, largest amount 900.
ROWS = [
    (1, "GM0363", 100),
    (2, None, 200),
    (3, "GM0014", 300),
    (4, None, 400),
    (5, "GM9999", 500),
    (6, None, 600),
    (7, "gm0363", 900),
]


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "adapter.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("create table t (row_id bigint, municipality_code varchar, amount decimal(18, 2))")
        connection.executemany("insert into t values (?, ?, ?)", ROWS)
    return path


def _validate(database: Path, expectation, *, stock_engine: bool = False, code_tables=None):
    context = ephemeral_context()
    if stock_engine:
        url = f"duckdb:///{database}"
        datasource = context.data_sources.add_sql(name="stock", connection_string=url)
    else:
        datasource = add_duckdb_datasource(context, name="staging", database=database)
    try:
        for name, codes in (code_tables or {}).items():
            duckdb_engine_of(datasource).register_codes(name, codes)
        batch = datasource.add_table_asset(name="t", table_name="t")
        return (
            batch.add_batch_definition_whole_table("all")
            .get_batch()
            .validate(
                expectation,
                result_format={
                    "result_format": "SUMMARY",
                    "unexpected_index_column_names": ["row_id"],
                },
            )
        )
    finally:
        if stock_engine:
            datasource.get_execution_engine().close()
        else:
            close_duckdb_datasource(datasource)


def test_adapter_returns_the_hand_counted_metrics(database) -> None:
    nulls = _validate(database, gxe.ExpectColumnValuesToNotBeNull(column="municipality_code"))
    largest = _validate(database, gxe.ExpectColumnMaxToBeBetween(column="amount", max_value=500))

    assert (nulls.result["element_count"], nulls.result["unexpected_count"]) == (7, 3)
    assert [row["row_id"] for row in nulls.result["partial_unexpected_index_list"]] == [2, 4, 6]
    assert largest.result["observed_value"] == 900
    assert not largest.success


def test_stock_sql_engine_loses_the_duckdb_results(database) -> None:
    # Why the adapter exists: GX 1.24 reads each result after closing its connection.
    # When this starts failing, GX reads DuckDB results itself and the adapter can go.
    result = _validate(
        database, gxe.ExpectColumnValuesToNotBeNull(column="municipality_code"), stock_engine=True
    )

    assert result.result == {}
    assert "IndexError" in str(result.exception_info)


def test_code_table_counts_as_the_built_in_set_check(database) -> None:
    codes = ["GM0363", "GM0014"]
    built_in = _validate(
        database, gxe.ExpectColumnValuesToBeInSet(column="municipality_code", value_set=codes)
    )
    code_table = _validate(
        database,
        ExpectColumnValuesToBeInCodeTable(column="municipality_code", code_table="codes"),
        code_tables={"codes": codes},
    )

    assert code_table.result["unexpected_count"] == built_in.result["unexpected_count"] == 2
    assert (
        code_table.result["partial_unexpected_index_list"]
        == built_in.result["partial_unexpected_index_list"]
        == [
            {"row_id": 5, "municipality_code": "GM9999"},
            {"row_id": 7, "municipality_code": "gm0363"},
        ]
    )


def test_not_in_code_table_counts_as_the_built_in_not_in_set_check(database) -> None:
    codes = ["GM0363", "GM0014"]
    built_in = _validate(
        database, gxe.ExpectColumnValuesToNotBeInSet(column="municipality_code", value_set=codes)
    )
    code_table = _validate(
        database,
        ExpectColumnValuesToNotBeInCodeTable(column="municipality_code", code_table="codes"),
        code_tables={"codes": codes},
    )

    assert code_table.result["unexpected_count"] == built_in.result["unexpected_count"] == 2

    def rows(result):  # GX lists the rows in the order the database returns them
        return sorted(result.result["partial_unexpected_index_list"], key=lambda row: row["row_id"])

    assert (
        rows(code_table)
        == rows(built_in)
        == [
            {"row_id": 1, "municipality_code": "GM0363"},
            {"row_id": 3, "municipality_code": "GM0014"},
        ]
    )


def test_empty_code_table_fails_every_code_in_it_and_none_not_in_it(database) -> None:
    inside = _validate(
        database,
        ExpectColumnValuesToBeInCodeTable(column="municipality_code", code_table="none"),
        code_tables={"none": []},
    )
    outside = _validate(
        database,
        ExpectColumnValuesToNotBeInCodeTable(column="municipality_code", code_table="none"),
        code_tables={"none": []},
    )

    # Four codes filled in, three NULLs skipped.
    assert (inside.result["unexpected_count"], outside.result["unexpected_count"]) == (4, 0)


def test_code_table_expectation_is_configured_by_the_table_name_not_the_codes() -> None:
    # GX serializes an expectation's configuration once per metric it asks for: a code
    # list in it cost in proportion to its length, a table name does not.
    expectation = ExpectColumnValuesToBeInCodeTable(column="municipality_code", code_table="codes")

    assert expectation.configuration.kwargs == {"column": "municipality_code", "code_table": "codes"}


def test_registered_codes_are_seen_by_their_engine_only_and_not_written(database) -> None:
    contexts = [ephemeral_context() for _ in range(2)]
    first, second = (
        add_duckdb_datasource(context, name="staging", database=database) for context in contexts
    )
    try:
        duckdb_engine_of(first).register_codes("codes", ["GM0363"])
        duckdb_engine_of(second).register_codes("codes", ["GM0014", "GM9999"])
        counts = [
            duckdb_engine_of(datasource).fetch_frame(
                "select count(*) as n from t where municipality_code in (select code from codes)"
            )["n"][0]
            for datasource in (first, second)
        ]
    finally:
        close_duckdb_datasource(first)
        close_duckdb_datasource(second)

    assert counts == [1, 2]
    with duckdb.connect(str(database), read_only=True) as connection:
        assert connection.sql("select table_name from duckdb_tables()").fetchall() == [("t",)]


def test_full_match_regex_needs_the_whole_value_to_match(database) -> None:
    # GX's own regex expectation cannot run on DuckDB at all.
    stock = _validate(database, gxe.ExpectColumnValuesToMatchRegex(column="municipality_code", regex="GM"))
    whole = _validate(
        database, ExpectColumnValuesToFullyMatchRegex(column="municipality_code", regex=r"GM\d{4}")
    )
    prefix = _validate(database, ExpectColumnValuesToFullyMatchRegex(column="municipality_code", regex="GM"))

    assert "Regex is not supported for dialect duckdb" in str(stock.exception_info)
    # Four codes (NULLs skipped): gm0363 fails on case; GM alone matches none whole.
    assert (whole.result["element_count"], whole.result["unexpected_count"]) == (7, 1)
    assert [row["row_id"] for row in whole.result["partial_unexpected_index_list"]] == [7]
    assert prefix.result["unexpected_count"] == 4


def test_a_failing_statement_leaves_the_engine_usable(database) -> None:
    # DuckDB aborts the connection's transaction on a failed statement; the adapter rolls
    # it back, so only the expectation whose SQL failed is affected.
    context = ephemeral_context()
    datasource = add_duckdb_datasource(context, name="staging", database=database)
    try:
        batch = datasource.add_table_asset(name="t", table_name="t").add_batch_definition_whole_table("all")
        suite = gx.ExpectationSuite(
            name="s",
            expectations=[
                gxe.UnexpectedRowsExpectation(
                    unexpected_rows_query="select * from {batch} where no_such_column"
                ),
                gxe.ExpectColumnValuesToNotBeNull(column="municipality_code"),
            ],
        )
        broken, nulls = batch.get_batch().validate(suite).results
    finally:
        close_duckdb_datasource(datasource)

    assert "no_such_column" in str(broken.exception_info)
    assert nulls.result["unexpected_count"] == 3
