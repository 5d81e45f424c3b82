"""Validation suites as code: one named check per Great Expectations expectation.

A check's name is what a quarantined row carries as its reason, so names are stable ids:
``<rule>`` or ``<rule>:<column>``. Severity decides what a failure does:

- row-level ``error``: the row is quarantined;
- row-level ``warning``: the row is loaded and listed among the warnings;
- batch-level ``error`` (table expectations such as the row count): the whole file is
  rejected with a message.

Row-level checks are the column, column-pair and multicolumn map expectations and
`UnexpectedRowsExpectation`; every other expectation is batch-level. A map expectation
skips NULLs, so each column whose NULL is an error has its own not-null check.

Grain of the validated tables: one row per source row, identified by ``row_id``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from great_expectations import expectations as gxe
from great_expectations.expectations.expectation import (
    ColumnMapExpectation,
    ColumnPairMapExpectation,
    Expectation,
    MulticolumnMapExpectation,
)

from expectations.code_sets import ExpectColumnValuesToBeInCodeSet
from transforms.schema import AMOUNT_COLUMNS, BUDGET_KINDS, PERCENT_COLUMNS

Severity = Literal["error", "warning"]

# One amount above this is more than a municipality plausibly spends on one cost category
# in one quarter (the national total was about €3.5–5.5 million): likely a unit or typing
# error, but possible, so a warning rather than a rejection.
PLAUSIBLE_AMOUNT_MAX_EUR = 5_000_000

_ROW_LEVEL = (
    ColumnMapExpectation,
    ColumnPairMapExpectation,
    MulticolumnMapExpectation,
    gxe.UnexpectedRowsExpectation,
)


@dataclass(frozen=True)
class Check:
    """One expectation with the name, severity and one-line description the pipeline uses."""

    name: str
    severity: Severity
    expectation: Expectation
    description: str

    @property
    def is_row_level(self) -> bool:
        """True when failures point at rows; False when they concern the batch as a whole."""
        return isinstance(self.expectation, _ROW_LEVEL)


@dataclass(frozen=True)
class Suite:
    """The checks for one source; names are unique within a suite."""

    name: str
    checks: tuple[Check, ...]

    def __post_init__(self) -> None:
        names = [check.name for check in self.checks]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"suite {self.name!r} has duplicate check names: {duplicates}")


SURVEY_COLUMNS: tuple[str, ...] = (
    "municipality_code",
    "quarter",
    "period_quarter",
    "fte",
    *PERCENT_COLUMNS,
    *AMOUNT_COLUMNS,
    "is_preview",
    "respondent_is_test",
)
BUDGET_AMOUNT_COLUMNS: tuple[str, ...] = ("lasten_eur", "baten_eur")
BUDGET_KEY_COLUMNS: tuple[str, ...] = ("taakveld", "categorie", "kind")
BUDGET_COLUMNS: tuple[str, ...] = (
    "municipality_code",
    "quarter",
    "period_quarter",
    *BUDGET_KEY_COLUMNS,
    *BUDGET_AMOUNT_COLUMNS,
)


def survey_suite(*, valid_codes: Sequence[str]) -> Suite:
    """Checks for the staged survey table. Grain: one row per survey response."""
    checks = [
        *_batch_checks(SURVEY_COLUMNS),
        *_municipality_checks(valid_codes),
        *(
            Check(
                f"amount_non_negative:{column}",
                "error",
                gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0),
                f"{column} is not negative (empty is allowed: not answered)",
            )
            for column in AMOUNT_COLUMNS
        ),
        *(
            Check(
                f"pct_in_range:{column}",
                "error",
                gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0, max_value=100),
                f"{column} is a percentage from 0 to 100 (empty is allowed)",
            )
            for column in PERCENT_COLUMNS
        ),
        Check(
            "fte_positive",
            "error",
            gxe.ExpectColumnValuesToBeBetween(column="fte", min_value=0, strict_min=True),
            "fte is greater than 0 (empty is allowed)",
        ),
        _period_check(),
        Check(
            "not_a_test_response",
            "error",
            gxe.UnexpectedRowsExpectation(
                unexpected_rows_query=(
                    "select * from {batch} "
                    "where coalesce(is_preview, false) or coalesce(respondent_is_test, false)"
                )
            ),
            "not a preview or test response (is_preview and respondent_is_test are not true)",
        ),
        *(
            Check(
                f"amount_plausible:{column}",
                "warning",
                gxe.ExpectColumnValuesToBeBetween(column=column, max_value=PLAUSIBLE_AMOUNT_MAX_EUR),
                f"{column} is at most €{PLAUSIBLE_AMOUNT_MAX_EUR:,} for one quarter",
            )
            for column in AMOUNT_COLUMNS
        ),
    ]
    return Suite("survey", tuple(checks))


def budget_suite(
    *,
    valid_codes: Sequence[str],
    taakvelden: Sequence[str],
    categorieen: Sequence[str],
) -> Suite:
    """Checks for the staged budget table.

    Grain: one row per municipality × quarter × taakveld × categorie × kind, as reported.
    """
    value_sets = {
        "taakveld": _value_set("taakvelden", taakvelden),
        "categorie": _value_set("categorieen", categorieen),
    }
    checks = [
        *_batch_checks(BUDGET_COLUMNS),
        *_municipality_checks(valid_codes),
        *(
            Check(
                f"key_present:{column}",
                "error",
                gxe.ExpectColumnValuesToNotBeNull(column=column),
                f"{column} is filled in",
            )
            for column in BUDGET_KEY_COLUMNS
        ),
        *(
            Check(
                f"{column}_known",
                "error",
                ExpectColumnValuesToBeInCodeSet(column=column, value_set=value_set),
                f"{column} is one of the {len(value_set)} known codes",
            )
            for column, value_set in value_sets.items()
        ),
        Check(
            "kind_known",
            "error",
            gxe.ExpectColumnValuesToBeInSet(column="kind", value_set=list(BUDGET_KINDS)),
            f"kind is one of {', '.join(BUDGET_KINDS)}",
        ),
        *(
            Check(
                f"amount_present:{column}",
                "error",
                gxe.ExpectColumnValuesToNotBeNull(column=column),
                f"{column} is filled in (0 when nothing was booked)",
            )
            for column in BUDGET_AMOUNT_COLUMNS
        ),
        _period_check(),
    ]
    return Suite("budget", tuple(checks))


def _batch_checks(columns: Sequence[str]) -> list[Check]:
    return [
        Check(
            "columns_present",
            "error",
            gxe.ExpectTableColumnsToMatchSet(column_set=list(columns), exact_match=False),
            "the table has every column the checks read",
        ),
        Check(
            "row_count_positive",
            "error",
            gxe.ExpectTableRowCountToBeBetween(min_value=1),
            "the file has at least one row",
        ),
    ]


def _municipality_checks(valid_codes: Sequence[str]) -> list[Check]:
    codes = _value_set("valid_codes", valid_codes)
    return [
        Check(
            "municipality_known",
            "error",
            gxe.ExpectColumnValuesToNotBeNull(column="municipality_code"),
            "the municipality was matched to a CBS code",
        ),
        Check(
            "municipality_in_register",
            "error",
            ExpectColumnValuesToBeInCodeSet(column="municipality_code", value_set=codes),
            f"municipality_code is one of the {len(codes)} codes valid in the quarter",
        ),
    ]


def _period_check() -> Check:
    # SQL rather than ExpectColumnPairValuesToBeEqual: GX's query for a column pair's
    # unexpected rows leaves out ignore_row_if, so it would also select every row without
    # a period of its own.
    return Check(
        "period_matches_folder",
        "error",
        gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=(
                "select * from {batch} "
                "where period_quarter is not null and period_quarter is distinct from quarter"
            )
        ),
        "the row's own period, when given, is the quarter of the folder it arrived in",
    )


def _value_set(label: str, values: Sequence[str]) -> list[str]:
    # Sorted and deduplicated so the generated SQL is the same for the same set.
    unique = sorted({str(v) for v in values if v is not None})
    if not unique:
        raise ValueError(f"{label} is empty: every row would fail")
    return unique
