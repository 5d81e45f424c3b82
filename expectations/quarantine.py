"""The values that made a row fail, shown next to its reasons in the quarantine.

A quarantined row keeps its reasons as stable names (``amount_non_negative:hardware_eur``),
which dashboards group by, and gets a second list, ``failed_values``, with the value of
every column those reasons are about, as ``column=value`` text in column order of the
checks: ``["hardware_eur=-500.00", "population=11642"]``.

Values are the standardized ones the checks judged (``-500.00`` for ``€ -500``), except for
``parse:<column>`` reasons, whose value did not standardize: for those the text as it
arrived, from the row's JSON ``row_values``. An empty standardized value (NULL or empty
text) shows as ``(empty)``; a raw column the file did not have is left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

EMPTY = "(empty)"


def reason_names(reasons: pl.Expr) -> pl.Expr:
    """Reasons without what follows ``": "``: ``municipality_known: no match`` → ``municipality_known``."""
    return reasons.list.eval(pl.element().str.split(": ").list.first())


def failed_values(
    *,
    failure_columns: Mapping[str, Sequence[str]],
    value_columns: Sequence[str],
    raw_columns: Sequence[str],
    reasons: str = "reasons",
    row_values: str = "row_values",
) -> pl.Expr:
    """A List(Utf8) expression: ``column=value`` for each column the row's reasons are about.

    failure_columns: check name → the columns that explain its failure (`Suite.failure_columns`);
    columns missing from `value_columns` (the frame's columns) are skipped. raw_columns: the
    JSON keys of `row_values` a ``parse:<column>`` reason may name.
    """
    names = reason_names(pl.col(reasons))
    parts: list[pl.Expr] = []
    for name, columns in failure_columns.items():
        for column in columns:
            if column in value_columns:
                text = pl.col(column).cast(pl.Utf8)
                value = pl.when(text.is_null() | (text == "")).then(pl.lit(EMPTY)).otherwise(text)
                parts.append(pl.when(names.list.contains(name)).then(pl.lit(f"{column}=") + value))
    for column in raw_columns:
        raw = pl.col(row_values).str.json_path_match(f"$.{column}")
        parts.append(pl.when(names.list.contains(f"parse:{column}")).then(pl.lit(f"{column}=") + raw))
    if not parts:
        return pl.lit([], dtype=pl.List(pl.Utf8))
    return pl.concat_list(parts).list.drop_nulls().list.unique(maintain_order=True)


def row_reasons() -> pl.Expr:
    """Every reason a staged row fails, sorted: a reader issue alone, else parse issues,
    the municipality matcher's explanation (in place of GX's bare `municipality_known`)
    and the failed checks. Reads `reader_issue`, `parse_issues`, `municipality_issue`
    and the gate's `reasons` list."""
    return (
        pl.when(pl.col("reader_issue").is_not_null())
        .then(pl.concat_list(pl.col("reader_issue")))
        .otherwise(
            pl.concat_list(
                pl.col("parse_issues"),
                pl.lit("municipality_known: ") + pl.col("municipality_issue"),
                pl.col("reasons")
                .fill_null(pl.lit([], dtype=pl.List(pl.Utf8)))
                .list.eval(pl.element().filter(pl.element() != "municipality_known")),
            )
        )
        .list.drop_nulls()
        .list.unique()
        .list.sort()
        .alias("reasons")
    )
