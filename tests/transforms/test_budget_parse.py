"""The fast path for machine-written budget amounts, and amounts in thousands."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.parse import parse_amount, parse_plain_amount

D = Decimal


def _fast(texts: list[str | None], **kwargs: object) -> list[Decimal | None]:
    frame = pl.DataFrame({"text": texts}, schema={"text": pl.Utf8})
    return frame.select(parse_plain_amount(pl.col("text"), **kwargs))["text"].to_list()  # type: ignore[arg-type]


def _general(texts: list[str | None], **kwargs: object) -> list[Decimal | None]:
    frame = pl.DataFrame({"text": texts}, schema={"text": pl.Utf8})
    return frame.select(parse_amount(pl.col("text"), **kwargs).struct.field("value"))["value"].to_list()  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("decimal", "text", "value"),
    [
        (",", "1234,56", D("1234.56")),
        (",", "-0,5", D("-0.50")),
        (",", "+12", D("12.00")),
        (".", "1234.5", D("1234.50")),
        ("auto", "26343,52", D("26343.52")),
        ("auto", "12.5", D("12.50")),
        ("auto", "0.05", D("0.05")),
    ],
)
def test_plain_amount_parses_machine_written_numbers(decimal: str, text: str, value: Decimal) -> None:
    assert _fast([text], decimal=decimal) == [value]


@pytest.mark.parametrize(
    ("decimal", "text"),
    [
        # Anything else is left to parse_amount: grouping, currency, spaces, words, empties,
        # more decimals than cents, and in `auto` a point before exactly three digits.
        (",", "1.234,56"),
        (",", "12.5"),
        (".", "12,5"),
        ("auto", "1.234"),
        ("auto", "€ 5"),
        ("auto", " 5"),
        ("auto", "n.v.t."),
        ("auto", ""),
        ("auto", "0,125"),
        ("auto", "0.500"),
    ],
)
def test_plain_amount_leaves_other_cells_null(decimal: str, text: str) -> None:
    assert _fast([text], decimal=decimal) == [None]


def test_plain_amount_in_thousands_scales_before_it_rounds() -> None:
    assert _fast(["0,01", "1234567,891", "1,23456", "1,234567"], decimal=",", in_thousands=True) == [
        D("10.00"),
        D("1234567891.00"),
        D("1234.56"),
        # Six decimals of a thousand would need rounding: parse_amount's job.
        None,
    ]


def test_plain_amount_takes_the_unit_per_row_from_an_expression() -> None:
    frame = pl.DataFrame({"text": ["2,5", "2,5"], "k": [True, False]})
    out = frame.select(parse_plain_amount(pl.col("text"), decimal=",", in_thousands=pl.col("k")))
    assert out["text"].to_list() == [D("2500.00"), D("2.50")]


def test_plain_amount_beyond_the_amount_type_is_null() -> None:
    assert _fast(["99999999999999999"], decimal=",") == [None]
    assert _fast(["9999999999999999,99"], decimal=",", in_thousands=True) == [None]


def test_amount_in_thousands_is_scaled_exactly_before_rounding() -> None:
    texts = ["1.234,567", "€ 0,0005", "0,0004999", "10.000 - 20.000", "-1,5"]
    assert _general(texts, decimal=",", in_thousands=True) == [
        D("1234567.00"),
        D("0.50"),
        D("0.50"),
        D("15000000.00"),
        D("-1500.00"),
    ]
    assert _general(texts, decimal=",") == [D("1234.57"), D("0.00"), D("0.00"), D("15000.00"), D("-1.50")]


_NUMBERS = st.decimals(min_value=-(10**12), max_value=10**12, places=6, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(_NUMBERS, min_size=1, max_size=20),
    decimal=st.sampled_from([",", ".", "auto"]),
    separator=st.sampled_from([",", "."]),
    in_thousands=st.booleans(),
    places=st.integers(min_value=0, max_value=6),
)
def test_plain_amount_agrees_with_parse_amount_wherever_it_answers(
    values: list[Decimal], decimal: str, separator: str, in_thousands: bool, places: int
) -> None:
    texts = [format(round(v, places), "f").replace(".", separator) for v in values]
    fast = _fast(texts, decimal=decimal, in_thousands=in_thousands)
    general = _general(texts, decimal=decimal, in_thousands=in_thousands)
    assert [f for f in fast if f is not None] == [
        g for f, g in zip(fast, general, strict=True) if f is not None
    ]
