"""Set membership for long code lists (municipality codes, Iv3 codes, grey cells), read from a table.

`ExpectColumnValuesToBeInSet` carries its list in the expectation and compiles it into
``column IN (v1, ..., vn)``. Both cost in proportion to the list: GX serializes an
expectation's configuration, list included, once for every metric it asks for (about 80
times per check in a suite run), SQLAlchemy compiles the list into every query that
names the check, and inside the ``sum(case when ...)`` aggregate GX bundles its counts
into, DuckDB evaluates ``IN (v1, ..., vn)`` value by value for every row (2.1 s for the
345 municipality codes on 5 million rows).

`ExpectColumnValuesToBeInCodeTable` names a table instead: ``column IN (SELECT code FROM
<code_table>)``, a semi-join DuckDB runs in one hash table (0.03 s for the same count). Its
configuration is the column and the table's name, however many codes the table holds.
The table has one VARCHAR column ``code``; the gate makes it queryable on the connection
it validates with (`expectations.gx_duckdb.DuckDBExecutionEngine.register_codes`). NULLs
in the column are skipped as by `ExpectColumnValuesToBeInSet`; an empty table fails every
other value. It has a SQL implementation only.

`ExpectColumnValuesToNotBeInCodeTable` is its mirror (codes of another boekjaar, grey
cells): ``column NOT IN (SELECT code FROM <code_table>)``; an empty table passes every
value. A code table holds no NULL, so NOT IN never turns unknown.

Defining them registers two new expectation types and two new metrics with GX
(``expect_column_values_to_be_in_code_table``, ``column_values.in_code_table``,
``expect_column_values_to_not_be_in_code_table``, ``column_values.not_in_code_table``);
no existing one changes.
"""

from __future__ import annotations

from typing import Any, ClassVar

import sqlalchemy as sa
from great_expectations.compatibility.pydantic import Field, StrictStr
from great_expectations.execution_engine import SqlAlchemyExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnMapMetricProvider,
    column_condition_partial,
)


def _codes(code_table: str) -> sa.Select[Any]:
    # Qualified by the table (``SELECT t.code FROM t``): a bare ``code`` would resolve to a
    # column of the validated table if the code table lacked one.
    table = sa.table(code_table, sa.column("code", sa.String()))
    return sa.select(table.c.code)


class ColumnValuesInCodeTable(ColumnMapMetricProvider):
    """True where the column's value is a ``code`` of ``code_table``; a semi-join."""

    condition_metric_name = "column_values.in_code_table"
    condition_value_keys = ("code_table",)

    @column_condition_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, column: Any, code_table: str, **kwargs: Any) -> Any:
        return column.in_(_codes(code_table))


class ColumnValuesNotInCodeTable(ColumnMapMetricProvider):
    """True where the column's value is not a ``code`` of ``code_table``; an anti-join."""

    condition_metric_name = "column_values.not_in_code_table"
    condition_value_keys = ("code_table",)

    @column_condition_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, column: Any, code_table: str, **kwargs: Any) -> Any:
        return column.not_in(_codes(code_table))


class ExpectColumnValuesToBeInCodeTable(ColumnMapExpectation):
    """Expect each non-NULL value of the column to be a ``code`` of the table ``code_table`` (SQL only)."""

    code_table: StrictStr = Field(min_length=1, description="The table holding the codes, column code.")

    map_metric = "column_values.in_code_table"
    args_keys = ("column", "code_table")
    success_keys: ClassVar[tuple[str, ...]] = ("code_table", "mostly")


class ExpectColumnValuesToNotBeInCodeTable(ColumnMapExpectation):
    """Expect no non-NULL value of the column to be a ``code`` of the table ``code_table`` (SQL only)."""

    code_table: StrictStr = Field(min_length=1, description="The table holding the codes, column code.")

    map_metric = "column_values.not_in_code_table"
    args_keys = ("column", "code_table")
    success_keys: ClassVar[tuple[str, ...]] = ("code_table", "mostly")
