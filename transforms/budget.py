"""Iv3 budget records: standardize and map to budget categories.

Grain: one row per municipality × quarter × taakveld × categorie × kind, as reported.
"""

from __future__ import annotations

import polars as pl

from transforms.municipality import match_municipalities
from transforms.parse import parse_amount
from transforms.quarter import Quarter
from transforms.survey import parse_quarter_expr

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


def _text(frame: pl.DataFrame, name: str) -> pl.Expr:
    return pl.col(name) if name in frame.columns else pl.lit(None, dtype=pl.Utf8).alias(name)


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

    A row's unit (`unit` column, else the file's) of thousands scales its amounts
    by 1000 exactly, in decimal arithmetic, once.
    """
    text = raw.select(
        "row_id",
        "source_file",
        "source_row",
        "run_id",
        *[_text(raw, c) for c in ("municipality", "period", "year", "quarter", "taakveld", "categorie")],
        *[_text(raw, c) for c in ("kind", "lasten", "baten", "unit")],
    )
    matched = match_municipalities(
        text.select("row_id", "municipality"),
        municipalities.rename({"municipality_code": "code", "municipality_name": "name"}),
        mergers,
    ).select("row_id", "municipality_code", "municipality_issue")
    unit = pl.coalesce(pl.col("unit").str.strip_chars().replace("", None), pl.lit(file_unit))
    in_thousands = unit.str.to_lowercase().is_in(THOUSANDS_UNITS).fill_null(False)
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
    typed = text.join(matched, on="row_id", how="left").with_columns(
        parse_amount(pl.col("lasten"), decimal=decimal).alias("lasten_p"),
        parse_amount(pl.col("baten"), decimal=decimal).alias("baten_p"),
        parse_quarter_expr(period_text).alias("period_quarter"),
        period_text.alias("period_text"),
        in_thousands.alias("in_thousands"),
        (unit.is_not_null() & ~in_thousands & ~unit.str.to_lowercase().is_in(["eur", "euro", "€"]))
        .fill_null(False)
        .alias("unit_unknown"),
    )
    factor = pl.when(pl.col("in_thousands")).then(pl.lit(1000)).otherwise(pl.lit(1))
    amount_ok = ("ok", "not_answered")
    issues = [
        pl.when(~pl.col(f"{c}_p").struct.field("status").is_in(amount_ok)).then(pl.lit(f"parse:{c}"))
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
        normalize_iv3_code(pl.col("taakveld")).alias("taakveld"),
        normalize_iv3_code(pl.col("categorie")).alias("categorie"),
        pl.col("kind")
        .str.strip_chars()
        .str.to_lowercase()
        .replace_strict(KIND_SPELLINGS, default=pl.col("kind").str.strip_chars().str.to_lowercase())
        .alias("kind"),
        *[
            # An empty amount cell in an Iv3 line means nothing was booked: zero.
            (pl.col(f"{c}_p").struct.field("value").fill_null(0).cast(AMOUNT) * factor)
            .cast(AMOUNT)
            .alias(f"{c}_eur")
            for c in ("lasten", "baten")
        ],
        pl.concat_list(issues).list.drop_nulls().alias("parse_issues"),
    )


def to_budget_categories(budget: pl.DataFrame, mapping: pl.DataFrame) -> pl.DataFrame:
    """Attach the budget category of each line; pairs the mapping lacks become `unmapped`."""
    return budget.join(mapping, on=["taakveld", "categorie"], how="left").with_columns(
        pl.col("budget_category").fill_null("unmapped")
    )
