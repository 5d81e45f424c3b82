"""Whole-value pattern matching on DuckDB, which GX's own regex expectation cannot run.

`ExpectColumnValuesToMatchRegex` needs a regex operator GX knows for the SQL dialect, and
it knows none for duckdb: on the DuckDB engine every such expectation fails with "Regex is
not supported for dialect duckdb". DuckDB has ``regexp_full_match(value, pattern)``, true
when the pattern matches the whole value.

`ExpectColumnValuesToFullyMatchRegex` is `ExpectColumnValuesToMatchRegex` with that
condition: same arguments (``column``, ``regex``, ``mostly``), NULLs skipped the same way,
but the pattern must match the whole value, as if it were anchored at both ends. It has a
SQL implementation only. Defining it registers one new expectation type and one new metric
with GX (``expect_column_values_to_fully_match_regex``, ``column_values.full_match_regex``);
no existing one changes.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from great_expectations.execution_engine import SqlAlchemyExecutionEngine
from great_expectations.expectations import ExpectColumnValuesToMatchRegex
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnMapMetricProvider,
    column_condition_partial,
)


class ColumnValuesFullMatchRegex(ColumnMapMetricProvider):
    """True where the whole value matches ``regex`` (DuckDB's ``regexp_full_match``)."""

    condition_metric_name = "column_values.full_match_regex"
    condition_value_keys = ("regex",)

    @column_condition_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, column: Any, regex: str, **kwargs: Any) -> Any:
        # The pattern goes into the SQL as a string literal, not a bound parameter: GX
        # inlines the parameters of the unexpected-rows query it reports through repr(),
        # which doubles every backslash (\d would become \\d). Patterns are written in code,
        # never taken from input; a quote in one is doubled as SQL requires.
        quoted = "'" + str(regex).replace("'", "''") + "'"
        return sa.func.regexp_full_match(column, sa.literal_column(quoted, sa.String()))


class ExpectColumnValuesToFullyMatchRegex(ExpectColumnValuesToMatchRegex):
    """Expect each non-NULL value of the column to match ``regex`` as a whole (SQL only)."""

    map_metric = "column_values.full_match_regex"
