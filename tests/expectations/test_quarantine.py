"""The offending values shown next to a quarantined row's reasons."""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from expectations.quarantine import failed_values

FAILURE_COLUMNS = {
    "amount_non_negative:hardware_eur": ("hardware_eur",),
    "amount_per_inhabitant_plausible:hardware_eur": ("hardware_eur", "population"),
    "municipality_known": ("municipality",),
    "key_present:taakveld": ("taakveld",),
}


def _rows(*rows: dict) -> pl.DataFrame:
    return pl.DataFrame(
        list(rows),
        schema={
            "reasons": pl.List(pl.Utf8),
            "row_values": pl.Utf8,
            "hardware_eur": pl.Decimal(18, 2),
            "population": pl.Int64,
            "municipality": pl.Utf8,
        },
    )


def _values(frame: pl.DataFrame) -> list[list[str]]:
    expr = failed_values(
        failure_columns=FAILURE_COLUMNS,
        value_columns=frame.columns,
        raw_columns=("hardware_eur", "fte", "period"),
    )
    return frame.select(expr.alias("v"))["v"].to_list()


def test_each_reason_shows_the_standardized_values_of_its_columns_once() -> None:
    frame = _rows(
        {
            "reasons": ["amount_non_negative:hardware_eur", "amount_per_inhabitant_plausible:hardware_eur"],
            "row_values": '{"hardware_eur": "€ -500"}',
            "hardware_eur": Decimal("-500.00"),
            "population": 11642,
            "municipality": "Appingedam",
        },
        {
            "reasons": ["municipality_known: 'Atlantis' matches no municipality"],
            "row_values": '{"municipality": "Atlantis"}',
            "hardware_eur": Decimal("1000.00"),
            "population": None,
            "municipality": "Atlantis",
        },
    )

    assert _values(frame) == [
        ["hardware_eur=-500.00", "population=11642"],
        ["municipality=Atlantis"],
    ]


def test_a_value_that_did_not_parse_shows_as_it_arrived() -> None:
    frame = _rows(
        {
            "reasons": ["parse:fte", "parse:period"],
            "row_values": '{"fte": "veel", "hardware_eur": "12"}',
            "hardware_eur": Decimal("12.00"),
            "population": 5000,
            "municipality": "Utrecht",
        }
    )

    # The file had no period column: nothing to show for it.
    assert _values(frame) == [["fte=veel"]]


def test_an_empty_value_and_a_column_the_frame_lacks() -> None:
    # key_present:taakveld names a column this frame does not have: skipped.
    frame = _rows(
        {
            "reasons": ["amount_per_inhabitant_plausible:hardware_eur", "key_present:taakveld"],
            "row_values": "{}",
            "hardware_eur": Decimal("3000000.00"),
            "population": None,
            "municipality": "Vlieland",
        }
    )

    assert _values(frame) == [["hardware_eur=3000000.00", "population=(empty)"]]
