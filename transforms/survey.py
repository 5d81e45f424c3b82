"""Survey responses: standardize, resolve resubmissions, and go long by cost category.

Grain in: one row per landed survey row (all text). Grain of `standardize_survey`:
the same rows, typed. Grain of `costs_to_long`: response × cost category.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import polars as pl

from transforms.municipality import match_register
from transforms.parse import (
    DecimalMode,
    parse_amount,
    parse_flag,
    parse_fte,
    parse_percent,
    parse_timestamp,
)
from transforms.quarter import Quarter
from transforms.schema import AMOUNT_COLUMNS, COST_CATEGORIES, PERCENT_COLUMNS

AMOUNT = pl.Decimal(18, 2)
# The spellings of `transforms.quarter`: ASCII digits, `Q`/`K` in either case, Dutch words
# in any case, any whitespace around and between the parts.
QUARTER_PATTERN = (
    r"^\s*(?:([0-9]{4})\s*[-_/ ]?\s*[QqKk]([1-4])|[QqKk]([1-4])\s*[-_/ ]?\s*([0-9]{4})"
    r"|([1-4])\s*(?i:e|ste|de)?\s+(?i:kwartaal)\s+([0-9]{4})|(?i:kwartaal)\s+([1-4])\s+([0-9]{4}))\s*$"
)


def parse_quarter_expr(expr: pl.Expr) -> pl.Expr:
    """Text → `2021Q1` (null when empty or not a quarter); the same spellings as `Quarter.parse`.

    Python's whitespace includes the separators U+001C..U+001F, the regex engine's does not:
    they become spaces first. Years outside `Quarter`'s range (1900..2999) give null.
    """
    groups = expr.str.replace_all("[\x1c-\x1f]", " ").str.extract_groups(QUARTER_PATTERN)
    year = pl.coalesce(groups.struct.field(f) for f in ("1", "4", "6", "8"))
    number = pl.coalesce(groups.struct.field(f) for f in ("2", "3", "5", "7"))
    in_range = year.cast(pl.Int32, strict=False).is_between(1900, 2999)
    return pl.when(year.is_not_null() & in_range).then(pl.concat_str(year, pl.lit("Q"), number))


# Excel stores a date as days since 1899-12-30; a bare number in this range
# (2000-01-01 up to 2100-01-01) in a date column is such a serial.
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
EXCEL_SERIAL_RANGE = (36526, 73051)
# Preview and test markers a survey tool writes in its status column (`Survey Preview`,
# `Survey Test`, `Voorbeeldweergave`); `1`, `ja`, `true` and the like also mark a preview.
PREVIEW_PATTERN = r"(?i)\b(?:preview|test|voorbeeld\w*)\b"


def parse_submitted_at(expr: pl.Expr) -> pl.Expr:
    """A submission time: the formats of `parse_timestamp`, or an Excel date serial
    (`44291.375` is 2021-04-05 09:00), rounded to the second."""
    serial = expr.str.strip_chars().str.extract(r"^([0-9]{5}(?:\.[0-9]+)?)$").cast(pl.Float64)
    seconds = (serial * 86400).round(0).cast(pl.Int64)
    from_serial = pl.lit(EXCEL_EPOCH, dtype=pl.Datetime("us")) + pl.duration(seconds=seconds)
    low, high = EXCEL_SERIAL_RANGE
    return (
        pl.when(serial.is_between(low, high, closed="left"))
        .then(from_serial)
        .otherwise(parse_timestamp(expr))
        .cast(pl.Datetime("us"))
    )


def parse_preview(expr: pl.Expr) -> pl.Expr:
    """True for a set flag (`parse_flag`) or a tool's preview/test status; never null."""
    return parse_flag(expr) | expr.str.contains(PREVIEW_PATTERN).fill_null(False)


LINEAGE_COLUMNS = ("row_id", "source_file", "source_row", "run_id")


def text_rows(raw: pl.DataFrame, columns: Iterable[str]) -> pl.DataFrame:
    """`raw`'s lineage and the named columns as landed text; a column `raw` lacks is all null."""
    return raw.select(
        *LINEAGE_COLUMNS,
        *[pl.col(c) if c in raw.columns else pl.lit(None, dtype=pl.Utf8).alias(c) for c in columns],
    )


def standardize_survey(
    raw: pl.DataFrame,
    *,
    quarter: Quarter,
    municipalities: pl.DataFrame,
    mergers: pl.DataFrame,
    decimal: DecimalMode = "auto",
) -> pl.DataFrame:
    """Typed survey rows, plus `parse_issues` (a list of reasons) for values that did not parse.

    Amounts keep their answer status (`<col>_status`: ok, not_answered,
    not_applicable, unknown, range, invalid) next to the value, so a NULL amount
    still says why it is NULL.
    """
    answers = ("response_id", "submitted_at", "municipality", "period", "fte")
    text = text_rows(raw, (*answers, *PERCENT_COLUMNS, *AMOUNT_COLUMNS, "is_preview", "respondent_is_test"))
    matched = match_register(text, municipalities, mergers)

    amounts = [parse_amount(pl.col(c), decimal=decimal).alias(c) for c in AMOUNT_COLUMNS]
    pcts = [_percent(c) for c in PERCENT_COLUMNS]
    typed = text.join(matched, on="row_id", how="left").with_columns(
        *amounts,
        *pcts,
        parse_fte(pl.col("fte"), decimal=decimal).alias("fte"),
        parse_submitted_at(pl.col("submitted_at")).alias("submitted_at"),
        parse_quarter_expr(pl.col("period")).alias("period_quarter"),
        parse_preview(pl.col("is_preview")).alias("is_preview"),
        parse_flag(pl.col("respondent_is_test")).alias("respondent_is_test"),
        pl.lit(str(quarter)).alias("quarter"),
        pl.coalesce(
            pl.col("response_id").str.strip_chars().replace("", None),
            pl.concat_str(pl.col("source_file"), pl.lit(":"), pl.col("source_row").cast(pl.Utf8)),
        ).alias("response_id"),
    )
    issue_exprs = [
        pl.when(pl.col(c).struct.field("status") == "invalid").then(pl.lit(f"parse:{c}"))
        for c in (*AMOUNT_COLUMNS, *PERCENT_COLUMNS)
    ]
    issue_exprs.append(
        pl.when(pl.col("period").str.strip_chars().str.len_chars() > 0).then(
            pl.when(pl.col("period_quarter").is_null()).then(pl.lit("parse:period"))
        )
    )
    issue_exprs.append(
        pl.when(
            # FTE left open, n.v.t. or "weet niet" is unknown, not wrong; unreadable text is.
            pl.col("fte").is_null()
            & parse_amount(pl.col("fte_text")).struct.field("status").is_in(["invalid", "range"])
        ).then(pl.lit("parse:fte"))
    )
    typed = typed.with_columns(text.get_column("fte").alias("fte_text"))
    return typed.select(
        "row_id",
        "source_file",
        "source_row",
        "run_id",
        "response_id",
        "submitted_at",
        "municipality",
        "municipality_code",
        "municipality_issue",
        "quarter",
        "period_quarter",
        "fte",
        *[pl.col(c).struct.field("value").alias(c) for c in PERCENT_COLUMNS],
        *[pl.col(c).struct.field("value").cast(AMOUNT).alias(c) for c in AMOUNT_COLUMNS],
        *[pl.col(c).struct.field("status").alias(f"{c}_status") for c in AMOUNT_COLUMNS],
        pl.col("is_preview").fill_null(False),
        pl.col("respondent_is_test").fill_null(False),
        pl.concat_list(issue_exprs).list.drop_nulls().alias("parse_issues"),
    )


def _percent(column: str) -> pl.Expr:
    """Parse a percentage column onto the 0–100 scale, file by file (`source_file`).

    Per value, only 0 < x < 1 without a % sign reads as a fraction. But a file whose
    values are all written as fractions (median at most 1, no % sign anywhere) writes
    150% as 1,50, and that must become 150 so that the range check can reject it.
    """
    parsed = parse_percent(pl.col(column))
    plain = parse_fte(pl.col(column))
    has_sign = pl.col(column).str.contains("%").fill_null(False)
    as_fractions = ((plain.median() <= 1) & ~has_sign.any()).over("source_file")
    return (
        pl.when(as_fractions & plain.is_not_null())
        .then(pl.struct(value=(plain * 100).round(6), status=pl.lit("ok")))
        .otherwise(parsed)
        .alias(column)
    )


def resolve_resubmissions(responses: pl.DataFrame) -> pl.DataFrame:
    """Flag every response but one per municipality × quarter as superseded.

    The latest complete response wins (complete: every amount question answered,
    even if with n.v.t. or "weet niet"); when none is complete, the latest one.
    Ties on time go to the later file and row, so the result never depends on
    the order rows arrive in.
    """
    complete = pl.all_horizontal(pl.col(f"{c}_status") != "not_answered" for c in AMOUNT_COLUMNS)
    ranked = responses.with_columns(complete.alias("is_complete")).with_columns(
        (
            pl.struct("is_complete", "submitted_at", "source_file", "source_row", "response_id")
            .rank("ordinal", descending=True)
            .over("municipality_code", "quarter")
            != 1
        ).alias("is_superseded")
    )
    return ranked


def costs_to_long(responses: pl.DataFrame) -> pl.DataFrame:
    """One row per current response × cost category, amount NULL where not a number.

    Grain: municipality × quarter × cost category (superseded responses excluded).
    """
    current = responses.filter(~pl.col("is_superseded"))
    values = current.unpivot(
        index=["quarter", "municipality_code", "response_id"],
        on=list(AMOUNT_COLUMNS),
        variable_name="cost_category",
        value_name="amount_eur",
    )
    # Unpivoted in the same column order, the statuses line up with the values row for row;
    # no join on response_id, which a tool may reuse across files (a late batch restarts at 1).
    statuses = current.unpivot(on=[f"{c}_status" for c in AMOUNT_COLUMNS], value_name="answer_status")
    order = {name: i for i, name in enumerate(COST_CATEGORIES)}
    return (
        values.with_columns(statuses.get_column("answer_status"))
        .with_columns(pl.col("cost_category").str.strip_suffix("_eur"))
        .with_columns(pl.col("cost_category").replace_strict(order, return_dtype=pl.Int32).alias("_o"))
        .sort("municipality_code", "_o")
        .select(
            "quarter",
            "municipality_code",
            "cost_category",
            pl.col("amount_eur").cast(AMOUNT),
            "answer_status",
            "response_id",
        )
    )
