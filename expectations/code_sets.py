"""Set membership for long code lists (municipality codes, taakvelden) that DuckDB runs fast.

`ExpectColumnValuesToBeInSet` compiles to ``column IN (v1, ..., vn)``. Inside the
``sum(case when ...)`` aggregate GX bundles its counts into, DuckDB evaluates that list
value by value for every row: with the 345 municipality codes it took 2.1 s on 5 million
rows. Written as a semi-join on a ``VALUES`` list, ``column IN (SELECT code FROM (VALUES
...))``, DuckDB builds one hash table and the same count takes 0.03 s.

`ExpectColumnValuesToBeInCodeSet` is `ExpectColumnValuesToBeInSet` with that condition:
same arguments, same results, NULLs skipped the same way. It has a SQL implementation
only. Defining it registers one new expectation type and one new metric with GX
(``expect_column_values_to_be_in_code_set``, ``column_values.in_code_set``); no existing
one changes.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from great_expectations.execution_engine import SqlAlchemyExecutionEngine
from great_expectations.expectations import ExpectColumnValuesToBeInSet
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnMapMetricProvider,
    column_condition_partial,
)


class ColumnValuesInCodeSet(ColumnMapMetricProvider):
    """True where the column's value is in ``value_set``; a semi-join on a VALUES list."""

    condition_metric_name = "column_values.in_code_set"
    condition_value_keys = ("value_set",)

    @column_condition_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, column: Any, value_set: Any, **kwargs: Any) -> Any:
        codes = [value for value in value_set if value is not None]
        if not codes:
            return sa.false()
        code_set = sa.values(sa.column("code", sa.String()), name="code_set").data(
            [(code,) for code in codes]
        )
        return column.in_(sa.select(code_set.c.code))


class ExpectColumnValuesToBeInCodeSet(ExpectColumnValuesToBeInSet):
    """Expect each non-NULL value of the column to be one of ``value_set`` (SQL only)."""

    map_metric = "column_values.in_code_set"
