"""Iv3 budget records: standardize, settle restatements, and map to budget categories.

Grain: one row per municipality × quarter × taakveld × categorie × kind, as reported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import polars as pl

from transforms.file_order import correction_order
from transforms.municipality import match_register
from transforms.parse import parse_amount, parse_plain_amount
from transforms.quarter import Quarter
from transforms.survey import parse_quarter_expr, text_rows

AMOUNT = pl.Decimal(18, 2)
THOUSANDS_UNITS = (
    "x1000",
    "×1000",
    "x 1000",
    "* 1000",
    "1000",
    "duizend",
    "keur",
    "k€",
    "x € 1.000",
)
KIND_SPELLINGS = {
    "begroting": "begroting",
    "b": "begroting",
    "begr": "begroting",
    "budget": "begroting",
    "realisatie": "realisatie",
    "r": "realisatie",
    "real": "realisatie",
    "actuals": "realisatie",
    "rekening": "realisatie",
}


def normalize_iv3_code(expr: pl.Expr) -> pl.Expr:
    """`L3.4.1` / `B 4.3.1` / ` 0.4 ` → `3.4.1` / `4.3.1` / `0.4` (CBS prefixes lasten/baten codes)."""
    return expr.str.strip_chars().str.replace(r"^[LlBb]\s*(\d)", "$1")


def standardize_budget(
    raw: pl.DataFrame,
    *,
    quarter: Quarter,
    municipalities: pl.DataFrame,
    mergers: pl.DataFrame,
    decimal: str = "auto",
    file_unit: str | None = None,
) -> pl.DataFrame:
    """Typed budget rows in euros, plus `parse_issues` for values that did not parse.

    A row's unit (`unit` column, else `file_unit`, else euros) of thousands scales its
    amounts by 1000 exactly, in decimal arithmetic, once, before rounding to cents
    half away from zero: `0,01` thousands is 10.00 and `1234567,891` is 1234567891.00.
    An empty amount cell means nothing was booked: 0.

    Machine-written amounts (`-1234,56`) take the fast path of `parse_plain_amount`;
    only the other cells go through `parse_amount`, so a file of plain numbers costs a
    pattern check and a cast per cell.
    """
    columns = ("municipality", "period", "year", "quarter", "taakveld", "categorie")
    text = text_rows(raw, (*columns, "kind", "lasten", "baten", "unit"))
    matched = match_register(text, municipalities, mergers).select("municipality_code", "municipality_issue")
    unit = pl.coalesce(pl.col("unit").str.strip_chars().replace("", None), pl.lit(file_unit, dtype=pl.Utf8))
    unit_lower = unit.str.to_lowercase()
    in_thousands = unit_lower.is_in(THOUSANDS_UNITS).fill_null(False)
    period_text = pl.coalesce(
        pl.col("period").str.strip_chars().replace("", None),
        pl.when(pl.col("year").is_not_null() & pl.col("quarter").is_not_null()).then(
            pl.concat_str(
                pl.col("year").str.strip_chars(),
                pl.lit("Q"),
                pl.col("quarter").str.strip_chars().str.replace(r"^[QqKk]", ""),
            )
        ),
    )
    # Units and periods repeat on every line: work each distinct combination out once.
    keys = ["unit", "period", "year", "quarter"]
    distinct = (
        text.select(keys)
        .unique()
        .with_columns(
            in_thousands.alias("in_thousands"),
            (unit.is_not_null() & ~in_thousands & ~unit_lower.is_in(["eur", "euro", "€"]))
            .fill_null(False)
            .alias("unit_unknown"),
            period_text.alias("period_text"),
        )
        .with_columns(parse_quarter_expr(pl.col("period_text")).alias("period_quarter"))
    )
    typed = pl.concat([text, matched], how="horizontal").join(
        distinct, on=keys, how="left", nulls_equal=True, maintain_order="left"
    )
    typed = _amounts(typed, decimal, mixed_units=bool(typed["in_thousands"].any()))
    issues = [
        pl.when(~pl.col(f"{c}_status").is_in(("ok", "not_answered"))).then(pl.lit(f"parse:{c}"))
        for c in ("lasten", "baten")
    ]
    issues.append(
        pl.when(pl.col("period_text").is_not_null() & pl.col("period_quarter").is_null()).then(
            pl.lit("parse:period")
        )
    )
    issues.append(pl.when(pl.col("unit_unknown")).then(pl.lit("parse:unit")))
    return typed.select(
        "row_id",
        "source_file",
        "source_row",
        "run_id",
        "municipality",
        "municipality_code",
        "municipality_issue",
        pl.lit(str(quarter)).alias("quarter"),
        "period_quarter",
        _per_distinct(typed, "taakveld", normalize_iv3_code),
        _per_distinct(typed, "categorie", normalize_iv3_code),
        _per_distinct(typed, "kind", normalize_kind),
        "lasten_eur",
        "baten_eur",
        pl.concat_list(issues).list.drop_nulls().alias("parse_issues"),
    )


def normalize_kind(expr: pl.Expr) -> pl.Expr:
    """`Begroting`, `B`, `budget` → `begroting`; `R`, `rekening` → `realisatie`; others lower-cased."""
    kind = expr.str.strip_chars().str.to_lowercase()
    return kind.replace_strict(KIND_SPELLINGS, default=kind)


def _per_distinct(frame: pl.DataFrame, column: str, fn: Callable[[pl.Expr], pl.Expr]) -> pl.Expr:
    """`fn` applied to each distinct value of `column` once, then looked up per row.

    Codes and kinds repeat on every line of a budget file; a lookup of the few distinct
    results is many times cheaper than string operations on every row.
    """
    distinct = frame.get_column(column).drop_nulls().unique()
    mapped = distinct.to_frame().select(fn(pl.col(column))).to_series()
    return pl.col(column).replace_strict(distinct, mapped, default=None).alias(column)


def _amounts(typed: pl.DataFrame, decimal: str, *, mixed_units: bool) -> pl.DataFrame:
    """`lasten_eur`, `baten_eur` and their parse statuses; the general parser only where needed.

    `mixed_units`: some row is in thousands (else every row is in euros, the common case).
    """
    columns = ("lasten", "baten")
    thousands: pl.Expr | bool = pl.col("in_thousands") if mixed_units else False
    empty = {c: pl.col(c).is_null() | (pl.col(c) == "") for c in columns}
    fast = typed.with_columns(
        pl.when(empty[c])
        .then(pl.lit(0, dtype=AMOUNT))
        .otherwise(parse_plain_amount(pl.col(c), decimal=decimal, in_thousands=thousands))  # type: ignore[arg-type]
        .alias(f"{c}_eur")
        for c in columns
    ).with_columns(
        pl.when(empty[c])
        .then(pl.lit("not_answered"))
        .when(pl.col(f"{c}_eur").is_not_null())
        .then(pl.lit("ok"))
        .alias(f"{c}_status")
        for c in columns
    )
    rest = fast.filter(pl.any_horizontal(pl.col(f"{c}_status").is_null() for c in columns))
    if rest.is_empty():
        return fast
    general = rest.select(
        "row_id",
        *[
            pl.when(pl.col("in_thousands"))
            .then(parse_amount(pl.col(c), decimal=decimal, in_thousands=True))  # type: ignore[arg-type]
            .otherwise(parse_amount(pl.col(c), decimal=decimal))  # type: ignore[arg-type]
            .alias(f"{c}_general")
            for c in columns
        ],
    )
    return fast.join(general, on="row_id", how="left", maintain_order="left").select(
        pl.exclude(
            [f"{c}_general" for c in columns]
            + [f"{c}_eur" for c in columns]
            + [f"{c}_status" for c in columns]
        ),
        *[
            # A cell the general parser reads as not answered (`-`) is 0 too; a range or
            # `n.v.t.` has no amount (it is a parse issue).
            pl.coalesce(
                f"{c}_eur",
                pl.when(pl.col(f"{c}_general").struct.field("status") == "ok").then(
                    pl.col(f"{c}_general").struct.field("value")
                ),
                pl.when(pl.col(f"{c}_general").struct.field("status") == "not_answered").then(
                    pl.lit(0, dtype=AMOUNT)
                ),
            )
            .cast(AMOUNT)
            .alias(f"{c}_eur")
            for c in columns
        ],
        *[
            pl.coalesce(f"{c}_status", pl.col(f"{c}_general").struct.field("status")).alias(f"{c}_status")
            for c in columns
        ],
    )


def settle_restatements(coverage: pl.DataFrame, files: Iterable[str]) -> pl.DataFrame:
    """Which file's lines count for each municipality × kind of a quarter.

    `coverage` has one row per source_file × municipality_code × kind with `lines`;
    `files` are the quarter's files. The latest file in correction order
    (`transforms.file_order`: revision marks, then names) that reports a municipality ×
    kind is current for it; every earlier one is superseded by it
    (`superseded_by`), and `previous_file` names the latest earlier file, the version
    the current one restates. Grain out: the rows of `coverage`, sorted.
    """
    order = {name: rank for rank, name in enumerate(correction_order(files))}
    unknown = sorted(set(coverage["source_file"].to_list()) - set(order))
    if unknown:
        raise ValueError(f"coverage names files that are not in the quarter: {', '.join(unknown)}")
    ranked = coverage.with_columns(
        pl.col("source_file").replace_strict(order, return_dtype=pl.Int64).alias("file_rank")
    ).sort("municipality_code", "kind", "file_rank")
    keys = ["municipality_code", "kind"]
    current = pl.col("source_file").last().over(keys)
    return ranked.select(
        "source_file",
        "municipality_code",
        "kind",
        pl.col("lines").cast(pl.Int64),
        (pl.col("file_rank") == pl.col("file_rank").max().over(keys)).alias("is_current"),
        pl.when(pl.col("file_rank") < pl.col("file_rank").max().over(keys))
        .then(current)
        .alias("superseded_by"),
        pl.when(pl.col("file_rank") == pl.col("file_rank").max().over(keys))
        .then(pl.col("source_file").shift(1).over(keys))
        .alias("previous_file"),
    )
