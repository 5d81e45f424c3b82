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

A check also names the columns whose values explain a failure (``columns``): the
quarantine shows those values of a rejected row next to its reasons.

Bounds that decide plausibility come in as a `Bounds` (`expectations.bounds`), built from
the settings module (`flows.settings`), where each default and the reason for it live.

Long code lists (the municipality codes valid in a quarter, a boekjaar's Iv3 codes and
grey cells) are not written into the expectations: a check on one names a code table and
carries the codes as a `CodeTable`, which the gate (`expectations.gate`) makes queryable
beside the validated table while it validates. An expectation's configuration, which GX
serializes once for every metric it asks for, stays a few strings however long the list.

Great Expectations is imported when a suite is built, not when this module is imported:
`Bounds`, `Check` and `Suite` are used by code that never validates.

Grain of the validated tables: one row per source row, identified by ``row_id``, except
`reference_suites` (one row per seed file row).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Literal

# Re-exported: the suites' callers have always found `Bounds` here.
from expectations.bounds import Bounds as Bounds
from transforms.iv3 import CHECK_COLUMNS as IV3_CHECK_COLUMNS
from transforms.iv3 import SIDES, YearCodes
from transforms.schema import AMOUNT_COLUMNS, BUDGET_KINDS, PERCENT_COLUMNS

if TYPE_CHECKING:
    from great_expectations.expectations.expectation import Expectation

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class CodeTable:
    """A code list a check reads as a table: one VARCHAR column ``code``, one row per code.

    The gate registers it under `name` on the connection it validates with, for that
    validation only; nothing is written to the validated database.
    """

    name: str
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Check:
    """One expectation with the name, severity and one-line description the pipeline uses.

    `code_table`: the code list the expectation reads by name, if it reads one.
    """

    name: str
    severity: Severity
    expectation: Expectation
    description: str
    columns: tuple[str, ...] = ()
    code_table: CodeTable | None = None

    @property
    def is_row_level(self) -> bool:
        """True when failures point at rows; False when they concern the batch as a whole."""
        from great_expectations.expectations.expectation import (
            ColumnMapExpectation,
            ColumnPairMapExpectation,
            MulticolumnMapExpectation,
        )

        row_level = (
            ColumnMapExpectation,
            ColumnPairMapExpectation,
            MulticolumnMapExpectation,
            _gx().UnexpectedRowsExpectation,
        )
        return isinstance(self.expectation, row_level)


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
        self.code_tables()

    def code_tables(self) -> dict[str, tuple[str, ...]]:
        """Code table name → its codes, over the checks that read one.

        Raises ValueError when two checks name one table with different codes.
        """
        tables: dict[str, tuple[str, ...]] = {}
        for check in self.checks:
            table = check.code_table
            if table is not None and tables.setdefault(table.name, table.codes) != table.codes:
                raise ValueError(f"suite {self.name!r} has two code tables named {table.name!r}")
        return tables

    def failure_columns(self) -> dict[str, tuple[str, ...]]:
        """Check name → the columns whose values explain a failure of it."""
        return {check.name: check.columns for check in self.checks if check.columns}


SURVEY_COLUMNS: tuple[str, ...] = (
    "municipality_code",
    "quarter",
    "period_quarter",
    "fte",
    *PERCENT_COLUMNS,
    *AMOUNT_COLUMNS,
    "is_preview",
    "respondent_is_test",
    "population",
)
BUDGET_AMOUNT_COLUMNS: tuple[str, ...] = ("lasten_eur", "baten_eur")
BUDGET_KEY_COLUMNS: tuple[str, ...] = ("taakveld", "categorie", "kind")
BUDGET_COLUMNS: tuple[str, ...] = (
    "municipality_code",
    "quarter",
    "period_quarter",
    *BUDGET_KEY_COLUMNS,
    *BUDGET_AMOUNT_COLUMNS,
    *IV3_CHECK_COLUMNS,
)


def survey_suite(
    *, valid_codes: Sequence[str], bounds: Bounds, submitted_before: dt.datetime | None = None
) -> Suite:
    """Checks for the staged survey table. Grain: one row per survey response.

    The table carries ``population``: the inhabitants of the reporting municipality in the
    quarter's year (NULL when unknown, which the size-relative checks then skip). With
    `submitted_before`, a response submitted after it (in the future) is an error: left
    in, it would stay current over every real correction.
    """
    gxe = _gx()
    checks = [
        *_batch_checks(SURVEY_COLUMNS),
        *_municipality_checks(valid_codes),
        *(
            Check(
                f"amount_non_negative:{column}",
                "error",
                gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0),
                f"{column} is not negative (empty is allowed: not answered)",
                (column,),
            )
            for column in AMOUNT_COLUMNS
        ),
        *(
            Check(
                f"pct_in_range:{column}",
                "error",
                gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0, max_value=100),
                f"{column} is a percentage from 0 to 100 (empty is allowed)",
                (column,),
            )
            for column in PERCENT_COLUMNS
        ),
        Check(
            "fte_positive",
            "error",
            gxe.ExpectColumnValuesToBeBetween(column="fte", min_value=0, strict_min=True),
            "fte is greater than 0 (empty is allowed)",
            ("fte",),
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
            ("is_preview", "respondent_is_test"),
        ),
        *(
            Check(
                f"amount_per_inhabitant_plausible:{column}",
                "error",
                gxe.UnexpectedRowsExpectation(
                    unexpected_rows_query=(
                        "select * from {batch} where population > 0 "
                        f"and {column} > {_number(bounds.amount_per_inhabitant_max_eur)} * population"
                    )
                ),
                f"{column} is at most €{bounds.amount_per_inhabitant_max_eur:,g} per inhabitant "
                "of the municipality (skipped when its population is unknown)",
                (column, "population"),
            )
            for column in AMOUNT_COLUMNS
        ),
        *(
            Check(
                f"amount_plausible:{column}",
                "warning",
                gxe.ExpectColumnValuesToBeBetween(column=column, max_value=bounds.amount_max_eur),
                f"{column} is at most €{bounds.amount_max_eur:,g} for one quarter",
                (column,),
            )
            for column in AMOUNT_COLUMNS
        ),
        Check(
            "fte_plausible",
            "warning",
            gxe.UnexpectedRowsExpectation(
                unexpected_rows_query=(
                    "select * from {batch} where population > 0 and fte is not null "
                    f"and (fte * 1000 < {_number(bounds.fte_per_1000_min)} * population "
                    f"or fte * 1000 > {_number(bounds.fte_per_1000_max)} * population)"
                )
            ),
            f"fte per 1,000 inhabitants is from {bounds.fte_per_1000_min:g} to "
            f"{bounds.fte_per_1000_max:g} (skipped when fte or the population is unknown)",
            ("fte", "population"),
        ),
        Check(
            "response_id_one_municipality",
            "warning",
            gxe.UnexpectedRowsExpectation(
                unexpected_rows_query=(
                    "select * from {batch} where response_id in (select response_id from {batch} "
                    "where response_id is not null group by response_id "
                    "having count(distinct municipality_code) > 1)"
                )
            ),
            "a response_id belongs to one municipality within the quarter",
            ("response_id", "municipality_code"),
        ),
    ]
    if submitted_before is not None:
        # A timestamp from the clock, not from input: written as a literal like the bounds.
        limit = submitted_before.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S")
        checks.append(
            Check(
                "submitted_not_in_future",
                "error",
                gxe.UnexpectedRowsExpectation(
                    unexpected_rows_query=f"select * from {{batch}} where submitted_at > timestamp '{limit}'"
                ),
                f"submitted_at is not after {limit} (the run's time plus a day for clocks and time zones)",
                ("submitted_at",),
            )
        )
    return Suite("survey", tuple(checks))


# The columns of the current survey responses `survey_responses_suite` reads.
RESPONSE_COLUMNS: tuple[str, ...] = ("municipality_code", "quarter", "is_superseded")


def survey_responses_suite() -> Suite:
    """A guard on the survey responses after resubmissions are resolved.

    Grain: one row per loaded survey response, superseded ones included. Exactly one
    response per municipality × quarter is current; a failure means the resolution is
    wrong, not the data, so the pipeline stops rather than quarantining anything.
    """
    gxe = _gx()
    return Suite(
        "survey_responses",
        (
            Check(
                "columns_present",
                "error",
                gxe.ExpectTableColumnsToMatchSet(column_set=list(RESPONSE_COLUMNS), exact_match=False),
                "the table has every column the checks read",
            ),
            Check(
                "one_current_response_per_municipality_quarter",
                "error",
                # SQL rather than ExpectCompoundColumnsToBeUnique: on DuckDB, GX's query for
                # that expectation's unexpected rows names row_id ambiguously and fails.
                gxe.UnexpectedRowsExpectation(
                    unexpected_rows_query=(
                        "select * from {batch} where not is_superseded "
                        "and (municipality_code, quarter) in ("
                        "select municipality_code, quarter from {batch} where not is_superseded "
                        "group by all having count(*) > 1)"
                    )
                ),
                "(municipality_code, quarter) is unique among the current responses",
                ("municipality_code", "quarter"),
            ),
        ),
    )


def budget_suite(*, valid_codes: Sequence[str], codes: YearCodes) -> Suite:
    """Checks for the staged budget table, judged by CBS's Iv3 definitions of the lines' boekjaar.

    Grain: one row per municipality × quarter × taakveld × categorie × kind, as reported.
    The table carries `transforms.iv3.CHECK_COLUMNS` (from `transforms.iv3.check_columns`):
    the categorie and cell of each side that has an amount, and the categorie of a
    realisatie line with an amount. `codes` are the code sets of the batch's boekjaar.
    """
    gxe = _gx()
    year = codes.boekjaar
    checks = [
        *_batch_checks(BUDGET_COLUMNS),
        *_municipality_checks(valid_codes),
        *(
            Check(
                f"key_present:{column}",
                "error",
                gxe.ExpectColumnValuesToNotBeNull(column=column),
                f"{column} is filled in",
                (column,),
            )
            for column in BUDGET_KEY_COLUMNS
        ),
    ]
    for column, this_year, other_years in (
        ("taakveld", codes.taakvelden, codes.taakvelden_other_years),
        ("categorie", codes.categorieen, codes.categorieen_other_years),
    ):
        every = _value_set(f"{column} codes", [*this_year, *other_years])
        checks += [
            _code_check(
                f"{column}_known",
                column,
                every,
                f"{column} is an Iv3 code of some boekjaar (CBS definition files, {len(every)} codes)",
            ),
            _code_check(
                f"{column}_not_in_boekjaar",
                column,
                sorted(other_years),
                f"{column} is an Iv3 code of boekjaar {year}, not only of another boekjaar",
                within=False,
            ),
        ]
    checks += [
        *(
            _code_check(
                f"categorie_wrong_side:{side}",
                f"{side}_categorie",
                codes.not_on_side(side),
                f"a line with {side} has a {side} categorie of boekjaar {year} (categorie_{side})",
                within=False,
            )
            for side in SIDES
        ),
        *(
            _code_check(
                f"grey_cell:{side}",
                f"{side}_cell",
                codes.grey_lasten if side == "lasten" else codes.grey_baten,
                f"no {side} amount on a grey cell (taakveld×categorie) of boekjaar {year}",
                within=False,
            )
            for side in SIDES
        ),
        _code_check(
            "PF009",
            "realisatie_categorie",
            codes.pf009,
            "CBS PF009: no realisatie amount on categorie 4.3.9 or 4.4.9 (onverdeeld, begroting only)",
            within=False,
        ),
        Check(
            "kind_known",
            "error",
            gxe.ExpectColumnValuesToBeInSet(column="kind", value_set=list(BUDGET_KINDS)),
            f"kind is one of {', '.join(BUDGET_KINDS)}",
            ("kind",),
        ),
        *(
            Check(
                f"amount_present:{column}",
                "error",
                gxe.ExpectColumnValuesToNotBeNull(column=column),
                f"{column} is filled in (0 when nothing was booked)",
                (column,),
            )
            for column in BUDGET_AMOUNT_COLUMNS
        ),
        _period_check(),
    ]
    return Suite("budget", tuple(checks))


# Seed files and the patterns their codes follow (CBS municipality codes). The Iv3 code
# lists are CBS's definition files, read by transforms.iv3, not seeds checked here.
MUNICIPALITY_CODE_PATTERN = r"GM\d{4}"
ISO_DATE_PATTERN = r"\d{4}-\d{2}-\d{2}"


def reference_suites(*, population_columns: Sequence[str], register_codes: Sequence[str]) -> dict[str, Suite]:
    """Checks for the seed files, one suite per seed, keyed by the seed's file name.

    Grain: one row per seed file row, values as text, as written in the file. The mergers
    table is mergers.csv with each merger's share from merger_shares.csv (empty when the
    merger has none there: the whole municipality goes to its successor, share 1).
    `population_columns` are the register's ``population_<year>`` columns;
    `register_codes` the codes in the register, which every merger successor must be.
    """
    from expectations.patterns import ExpectColumnValuesToFullyMatchRegex

    gxe = _gx()
    register = ("code", "name", "province", "valid_from", "valid_to", *population_columns)
    municipalities = [
        *_batch_checks(register),
        *_code_checks("code", MUNICIPALITY_CODE_PATTERN, "a CBS municipality code (GM and four digits)"),
        Check(
            "name_present",
            "error",
            gxe.ExpectColumnValuesToNotBeNull(column="name"),
            "name is filled in",
            ("name",),
        ),
        *(
            Check(
                f"population_positive:{column}",
                "error",
                gxe.UnexpectedRowsExpectation(
                    unexpected_rows_query=(
                        f"select * from {{batch}} where {column} is not null "
                        f"and not regexp_full_match({column}, '[1-9][0-9]*')"
                    )
                ),
                f"{column} is a whole number above 0 in plain digits (empty: no population that year)",
                (column,),
            )
            for column in population_columns
        ),
        *(
            Check(
                f"date_well_formed:{column}",
                "error",
                ExpectColumnValuesToFullyMatchRegex(column=column, regex=ISO_DATE_PATTERN),
                f"{column} is a date written YYYY-MM-DD (empty: open)",
                (column,),
            )
            for column in ("valid_from", "valid_to")
        ),
    ]
    share = "try_cast(coalesce(share, '1') as double)"
    mergers = [
        *_batch_checks(("old_code", "new_code", "effective_date", "share")),
        *(
            Check(
                f"code_well_formed:{column}",
                "error",
                ExpectColumnValuesToFullyMatchRegex(column=column, regex=MUNICIPALITY_CODE_PATTERN),
                f"{column} is a CBS municipality code (GM and four digits)",
                (column,),
            )
            for column in ("old_code", "new_code")
        ),
        _code_check(
            "successor_in_register",
            "new_code",
            _value_set("register_codes", register_codes),
            "new_code is a municipality in the register",
        ),
        Check(
            "effective_date_present",
            "error",
            gxe.ExpectColumnValuesToNotBeNull(column="effective_date"),
            "effective_date is filled in",
            ("effective_date",),
        ),
        Check(
            "date_well_formed:effective_date",
            "error",
            ExpectColumnValuesToFullyMatchRegex(column="effective_date", regex=ISO_DATE_PATTERN),
            "effective_date is a date written YYYY-MM-DD",
            ("effective_date",),
        ),
        Check(
            "share_in_range",
            "error",
            gxe.UnexpectedRowsExpectation(
                unexpected_rows_query=(
                    f"select * from {{batch}} where {share} is null or {share} <= 0 or {share} > 1"
                )
            ),
            "share is a number above 0 and at most 1 (empty: 1)",
            ("share",),
        ),
        Check(
            "shares_sum_to_one",
            "error",
            gxe.UnexpectedRowsExpectation(
                unexpected_rows_query=(
                    "select * from {batch} where old_code in (select old_code from {batch} "
                    f"group by old_code having abs(sum({share}) - 1) > 1e-9)"
                )
            ),
            "the shares of one dissolved municipality sum to 1, so nothing is counted twice",
            ("old_code", "new_code", "share"),
        ),
    ]
    return {
        "municipalities.csv": Suite("reference_municipalities", tuple(municipalities)),
        "mergers.csv": Suite("reference_mergers", tuple(mergers)),
    }


def _code_checks(column: str, pattern: str, what: str) -> list[Check]:
    from expectations.patterns import ExpectColumnValuesToFullyMatchRegex

    gxe = _gx()
    return [
        Check(
            "code_present",
            "error",
            gxe.ExpectColumnValuesToNotBeNull(column=column),
            f"{column} is filled in",
            (column,),
        ),
        Check(
            "code_well_formed",
            "error",
            ExpectColumnValuesToFullyMatchRegex(column=column, regex=pattern),
            f"{column} is {what}",
            (column,),
        ),
        Check(
            "code_unique",
            "error",
            gxe.ExpectColumnValuesToBeUnique(column=column),
            f"{column} appears once",
            (column,),
        ),
    ]


def _batch_checks(columns: Sequence[str]) -> list[Check]:
    gxe = _gx()
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
    gxe = _gx()
    codes = _value_set("valid_codes", valid_codes)
    return [
        Check(
            "municipality_known",
            "error",
            gxe.ExpectColumnValuesToNotBeNull(column="municipality_code"),
            "the municipality was matched to a CBS code",
            ("municipality",),
        ),
        _code_check(
            "municipality_in_register",
            "municipality_code",
            codes,
            f"municipality_code is one of the {len(codes)} codes valid in the quarter",
            columns=("municipality", "municipality_code"),
        ),
    ]


def _code_check(
    name: str,
    column: str,
    codes: Sequence[str],
    description: str,
    *,
    within: bool = True,
    columns: tuple[str, ...] | None = None,
) -> Check:
    """An error check that `column` is (`within`) or is not one of `codes`, read from a code table.

    The table is named after the check (``code_set__`` and the name, each character other
    than an ASCII letter, digit or underscore made ``_``); check names are unique within a
    suite, and `Suite` refuses two tables of one name with different codes.
    """
    from expectations.code_sets import (
        ExpectColumnValuesToBeInCodeTable,
        ExpectColumnValuesToNotBeInCodeTable,
    )

    values = tuple(sorted({str(code) for code in codes if code is not None}))
    table = CodeTable("code_set__" + re.sub(r"[^0-9A-Za-z_]", "_", name), values)
    kind = ExpectColumnValuesToBeInCodeTable if within else ExpectColumnValuesToNotBeInCodeTable
    return Check(
        name,
        "error",
        kind(column=column, code_table=table.name),
        description,
        (column,) if columns is None else columns,
        table,
    )


def _period_check() -> Check:
    # SQL rather than ExpectColumnPairValuesToBeEqual: GX's query for a column pair's
    # unexpected rows leaves out ignore_row_if, so it would also select every row without
    # a period of its own.
    gxe = _gx()
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
        ("period_quarter",),
    )


def _number(value: float) -> str:
    """A bound as a SQL number literal (`Bounds` admits finite numbers only)."""
    return repr(float(value))


def _value_set(label: str, values: Sequence[str]) -> list[str]:
    # Sorted and deduplicated so the generated SQL is the same for the same set.
    unique = sorted({str(v) for v in values if v is not None})
    if not unique:
        raise ValueError(f"{label} is empty: every row would fail")
    return unique


def _gx() -> ModuleType:
    """Great Expectations' expectations, imported when the first suite is built (seconds, once)."""
    from great_expectations import expectations

    return expectations
