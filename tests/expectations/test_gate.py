"""The gate: batch-level failures, every failing row id, file handling and concurrency."""

from __future__ import annotations

import subprocess
import sys
import threading
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest
from great_expectations import expectations as gxe

from expectations.gate import validate_frame, validate_table
from expectations.suites import Check, CodeTable, Suite

ROOT = Path(__file__).resolve().parents[2]


def _write(database: Path, table: str, frame: pl.DataFrame) -> None:
    with duckdb.connect(str(database)) as connection:
        schema, _, _ = table.rpartition(".")
        if schema:
            connection.execute(f"create schema if not exists {schema}")
        connection.register("frame", frame.to_arrow())
        connection.execute(f"create table {table} as select * from frame")


def test_empty_table_is_a_batch_error(survey, survey_frame, flagged) -> None:
    result = validate_frame(survey_frame({}).clear(), survey)

    assert result.batch_errors == ["row_count_positive failed (the file has at least one row): observed 0"]
    assert result.row_failures.equals(flagged())
    row_count = next(o for o in result.outcomes if o.expectation == "row_count_positive")
    assert (row_count.success, row_count.element_count) == (False, 0)


def test_missing_column_rejects_the_batch_naming_the_column(survey, survey_frame, flagged) -> None:
    result = validate_frame(survey_frame({}, {"fte": -1.0}).drop("fte"), survey)

    assert result.batch_errors == [
        "columns_present failed (the table has every column the checks read): missing fte",
        'fte_positive: could not be checked: Error: The column "fte" in BatchData does not exist.',
        # A check written in SQL fails in the database; the statement and link are left out.
        "fte_plausible: could not be checked: (_duckdb.BinderException) Binder Error: "
        'Referenced column "fte" not found in FROM clause!',
    ]
    assert result.row_failures.equals(flagged())
    fte = next(o for o in result.outcomes if o.expectation == "fte_positive")
    assert not fte.success


def test_missing_id_column_is_a_batch_error(survey, survey_frame) -> None:
    result = validate_frame(survey_frame({}).rename({"row_id": "id"}), survey)

    assert result.batch_errors == ["required column 'row_id' is missing: rows cannot be identified"]
    assert result.outcomes == []


def test_other_id_column_names_the_rows(survey, survey_frame, flagged) -> None:
    frame = survey_frame({}, {"municipality_code": None}).with_columns(
        line=pl.Series([10, 20], dtype=pl.Int64)
    )

    result = validate_frame(frame, survey, id_column="line")

    assert result.row_failures.equals(flagged((20, ["municipality_known"])))


def test_every_failing_row_id_is_returned_not_only_gx_sample(survey, survey_frame) -> None:
    # GX itself returns at most 20 ids of a column check and 200 rows of a SQL check.
    changes = [{"municipality_code": None}] * 250 + [{"is_preview": True}] * 250 + [{}] * 10
    result = validate_frame(survey_frame(*changes), survey)

    assert result.row_failures["row_id"].to_list() == list(range(1, 501))
    counts = {o.expectation: o.unexpected_count for o in result.outcomes}
    assert (counts["municipality_known"], counts["not_a_test_response"]) == (250, 250)


def test_schema_qualified_table(tmp_path, budget, budget_frame, flagged) -> None:
    # Not staging.duckdb: DuckDB names the catalog after the file, and a catalog and a
    # schema both called staging make `staging.x` ambiguous.
    database = tmp_path / "warehouse.duckdb"
    _write(database, "staging.stg_budget__lines", budget_frame({}, {"kind": "prognose"}))

    result = validate_table(database, "staging.stg_budget__lines", budget)

    assert result.row_failures.equals(flagged((2, ["kind_known"])))


def test_file_can_be_opened_for_writing_right_after(tmp_path, budget, budget_frame) -> None:
    database = tmp_path / "batch.duckdb"
    _write(database, "budget", budget_frame({}))

    validate_table(database, "budget", budget)

    with duckdb.connect(str(database)) as connection:
        connection.execute("delete from budget")


def test_failure_inside_gx_still_releases_the_file(tmp_path, budget, budget_frame) -> None:
    database = tmp_path / "batch.duckdb"
    _write(database, "budget", budget_frame({}))

    with pytest.raises(Exception, match="no_such_table"):
        validate_table(database, "no_such_table", budget)
    with duckdb.connect(str(database)) as connection:
        connection.execute("delete from budget")


def test_two_threads_validate_different_files_at_once(tmp_path, budget, budget_frame) -> None:
    expected = {}
    for n in range(2):
        changes = [{}] * 30 + [{"taakveld": "9.9"}] * (n + 3) + [{"lasten_eur": None}] * 2
        _write(tmp_path / f"q{n}.duckdb", "budget", budget_frame(*changes))
        expected[n] = (n + 3, 2, list(range(31, 31 + n + 3 + 2)))
    found: dict[int, list[tuple[int, int, list[int]]]] = {0: [], 1: []}

    def validate(n: int) -> None:
        for _ in range(3):
            result = validate_table(tmp_path / f"q{n}.duckdb", "budget", budget)
            counts = {o.expectation: o.unexpected_count for o in result.outcomes}
            found[n].append(
                (
                    counts["taakveld_known"],
                    counts["amount_present:lasten_eur"],
                    result.row_failures["row_id"].to_list(),
                )
            )

    threads = [threading.Thread(target=validate, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert found == {n: [expected[n]] * 3 for n in range(2)}


def _code_suite(codes: tuple[str, ...]) -> Suite:
    from expectations.code_sets import ExpectColumnValuesToBeInCodeTable

    return Suite(
        "tiny",
        (
            Check(
                "code_known",
                "error",
                ExpectColumnValuesToBeInCodeTable(column="code", code_table="codes"),
                "a known code",
                ("code",),
                CodeTable("codes", codes),
            ),
        ),
    )


def test_code_tables_are_beside_the_table_per_call_and_never_written(tmp_path, flagged) -> None:
    # Two threads validate one file at once, each with its own codes under one table name.
    database = tmp_path / "batch.duckdb"
    _write(database, "batch", pl.DataFrame({"row_id": [1, 2, 3, 4], "code": ["a", "b", "c", None]}))
    suites = {"ab": _code_suite(("a", "b")), "c": _code_suite(("c",))}
    found: dict[str, list[list[int]]] = {"ab": [], "c": []}

    def validate(key: str) -> None:
        for _ in range(3):
            result = validate_table(database, "batch", suites[key])
            found[key].append(result.row_failures["row_id"].to_list())

    threads = [threading.Thread(target=validate, args=(key,)) for key in suites]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert found == {"ab": [[3]] * 3, "c": [[1, 2]] * 3}
    with duckdb.connect(str(database), read_only=True) as connection:
        assert connection.sql("select table_name from duckdb_tables()").fetchall() == [("batch",)]


def test_two_code_tables_of_one_name_with_other_codes_are_refused() -> None:
    first, second = _code_suite(("a",)).checks[0], _code_suite(("b",)).checks[0]
    with pytest.raises(ValueError, match="two code tables named 'codes'"):
        Suite("s", (first, replace(second, name="other_check")))


def test_failing_warning_level_batch_check_is_not_a_batch_error(tmp_path) -> None:
    suite = Suite(
        "tiny",
        (
            Check(
                "enough_rows",
                "warning",
                gxe.ExpectTableRowCountToBeBetween(min_value=100),
                "a usual file has at least 100 rows",
            ),
        ),
    )
    frame = pl.DataFrame({"row_id": [1], "amount": [Decimal("1.00")]})

    result = validate_frame(frame, suite, workdir=tmp_path)

    assert result.batch_errors == []
    assert [(o.expectation, o.success, o.element_count) for o in result.outcomes] == [
        ("enough_rows", False, 1)
    ]


def test_duplicate_check_names_are_refused() -> None:
    check = Check("x", "error", gxe.ExpectColumnValuesToNotBeNull(column="a"), "a is filled")
    with pytest.raises(ValueError, match="duplicate check names: \\['x'\\]"):
        Suite("s", (check, check))


def test_parameters_of_gx_queries_are_inlined_even_when_their_value_is_in_a_column_name(
    tmp_path, flagged
) -> None:
    # GX inlines the parameters of the unexpected-rows query it reports only for placeholder
    # styles it knows, and takes a value found anywhere in the text (the 2 of
    # population_2020 for `count(*) >= 2`) as inlined. With duckdb-engine's `$1` style that
    # query came back with `$1` still in it and selected every row.
    suite = Suite(
        "tiny", (Check("code_unique", "error", gxe.ExpectColumnValuesToBeUnique(column="code"), "once"),)
    )
    frame = pl.DataFrame(
        {"row_id": [2, 3, 4], "code": ["GM0001", "GM0002", "GM0001"], "population_2020": ["1", "2", "3"]}
    )

    result = validate_frame(frame, suite, workdir=tmp_path)

    assert result.row_failures.equals(flagged((2, ["code_unique"]), (4, ["code_unique"])))


def test_column_checks_are_counted_from_their_rows_without_gx_sampling_values(
    tmp_path, monkeypatch, flagged
) -> None:
    # Column checks run as BOOLEAN_ONLY: their counts are the rows their SQL selects, and
    # GX runs no `… AS unexpected_values … LIMIT 20` sample query per check.
    from expectations.gx_duckdb import DuckDBExecutionEngine

    statements: list[str] = []
    execute = DuckDBExecutionEngine.execute_query

    def recording(self: DuckDBExecutionEngine, query: object) -> object:
        statements.append(str(query))
        return execute(self, query)

    monkeypatch.setattr(DuckDBExecutionEngine, "execute_query", recording)
    suite = Suite(
        "tiny",
        (
            Check("code_filled", "error", gxe.ExpectColumnValuesToNotBeNull(column="code"), "filled"),
            Check(
                "code_known", "error", gxe.ExpectColumnValuesToBeInSet(column="code", value_set=["a"]), "a"
            ),
            Check(
                "amount_small", "warning", gxe.ExpectColumnValuesToBeBetween(column="n", max_value=9), "<10"
            ),
            Check("has_rows", "error", gxe.ExpectTableRowCountToBeBetween(min_value=1), "rows"),
        ),
    )
    frame = pl.DataFrame(
        {"row_id": [1, 2, 3, 4, 5], "code": ["a", None, "b", "b", "a"], "n": [1, 2, 3, 4, 5]}
    )

    result = validate_frame(frame, suite, workdir=tmp_path)

    assert [(o.expectation, o.success, o.element_count, o.unexpected_count) for o in result.outcomes] == [
        ("code_filled", False, 5, 1),
        ("code_known", False, 5, 2),
        ("amount_small", True, 5, 0),
        ("has_rows", True, 5, 0),
    ]
    assert result.row_failures.equals(flagged((2, ["code_filled"]), (3, ["code_known"]), (4, ["code_known"])))
    assert result.row_warnings.equals(flagged())
    assert statements and not [s for s in statements if "unexpected_values" in s]


def test_column_check_with_mostly_passes_and_still_flags_its_rows(tmp_path, flagged) -> None:
    # With `mostly` a check passes with some unexpected rows: GX's own count is kept.
    suite = Suite(
        "tiny",
        (
            Check(
                "code_mostly_known",
                "warning",
                gxe.ExpectColumnValuesToBeInSet(column="code", value_set=["a"], mostly=0.5),
                "mostly a",
            ),
        ),
    )
    frame = pl.DataFrame({"row_id": [1, 2, 3, 4], "code": ["a", "a", "a", "b"]})

    result = validate_frame(frame, suite, workdir=tmp_path)

    assert [(o.success, o.element_count, o.unexpected_count) for o in result.outcomes] == [(True, 4, 1)]
    assert result.row_warnings.equals(flagged((4, ["code_mostly_known"])))
    assert result.row_failures.equals(flagged())


def test_importing_the_gate_leaves_great_expectations_unimported() -> None:
    # GX takes seconds to import: only a validation pays for it.
    code = "import sys, expectations.gate; print('great_expectations' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "False"


# The modules that define Great Expectations classes, imported by a validation only.
GX_MODULES = ("expectations.gx_duckdb", "expectations.code_sets", "expectations.patterns")


def test_importing_the_cli_the_flows_or_any_other_module_leaves_great_expectations_unimported() -> None:
    # `costtrends run` and `backfill` pay GX's import only when a quarter is validated, not
    # when every quarter is skipped as unchanged. The entry points first, then the rest.
    from tests.test_layers import modules

    entry_points = ["costtrends.cli", "flows.quarterly_refresh", "flows.backfill"]
    names = entry_points + sorted(set(modules()) - set(entry_points) - set(GX_MODULES))
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "    if 'great_expectations' in sys.modules:\n"
        "        print(name)\n"
        "        break\n"
        "else:\n"
        "    print('none')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "none", f"importing {result.stdout.strip()} imports GX"
