"""GX's SQL engine on a DuckDB file: metrics are really computed; the code-set and regex checks."""

from __future__ import annotations

from pathlib import Path

import duckdb
import great_expectations as gx
import pytest
from great_expectations import expectations as gxe

from expectations.code_sets import ExpectColumnValuesToBeInCodeSet
from expectations.gx_duckdb import (
    add_duckdb_datasource,
    close_duckdb_datasource,
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


def _validate(database: Path, expectation, *, stock_engine: bool = False):
    context = ephemeral_context()
    if stock_engine:
        url = f"duckdb:///{database}"
        datasource = context.data_sources.add_sql(name="stock", connection_string=url)
    else:
        datasource = add_duckdb_datasource(context, name="staging", database=database)
    try:
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


def test_code_set_counts_as_the_built_in_set_check(database) -> None:
    codes = ["GM0363", "GM0014"]
    built_in = _validate(
        database, gxe.ExpectColumnValuesToBeInSet(column="municipality_code", value_set=codes)
    )
    code_set = _validate(
        database, ExpectColumnValuesToBeInCodeSet(column="municipality_code", value_set=codes)
    )

    assert code_set.result["unexpected_count"] == built_in.result["unexpected_count"] == 2
    assert (
        code_set.result["partial_unexpected_index_list"]
        == built_in.result["partial_unexpected_index_list"]
        == [
            {"row_id": 5, "municipality_code": "GM9999"},
            {"row_id": 7, "municipality_code": "gm0363"},
        ]
    )


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
