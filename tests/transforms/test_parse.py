from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal, assert_series_equal

from transforms.parse import (
    AMOUNT_DTYPE,
    STATUSES,
    parse_amount,
    parse_flag,
    parse_fte,
    parse_percent,
    parse_timestamp,
)

AMOUNT_SCHEMA = {"value": AMOUNT_DTYPE, "status": pl.String}
PERCENT_SCHEMA = {"value": pl.Float64, "status": pl.String}
FAST = settings(max_examples=200, deadline=None)


def amounts(texts: list[str | None], **kwargs: str) -> pl.DataFrame:
    frame = pl.DataFrame({"text": texts}, schema={"text": pl.String})
    return frame.select(parse_amount(pl.col("text"), **kwargs).alias("parsed")).unnest("parsed")


def percents(texts: list[str | None]) -> pl.DataFrame:
    frame = pl.DataFrame({"text": texts}, schema={"text": pl.String})
    return frame.select(parse_percent(pl.col("text")).alias("parsed")).unnest("parsed")


def parsed(function, texts: list[str | None]) -> pl.Series:  # noqa: ANN001
    frame = pl.DataFrame({"text": texts}, schema={"text": pl.String})
    return frame.select(function(pl.col("text")).alias("parsed")).to_series()


def amount(value: str | None, status: str) -> pl.DataFrame:
    return pl.DataFrame(
        {"value": [None if value is None else Decimal(value)], "status": [status]},
        schema=AMOUNT_SCHEMA,
    )


# --- parse_amount ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("€ 12.500,00", "12500.00"),
        ("12500", "12500.00"),
        ("12.500", "12500.00"),
        ("12,5", "12.50"),
        ("1.234.567", "1234567.00"),
        ("EUR 300", "300.00"),
        ("300 euro", "300.00"),
        ("€300,-", "300.00"),
        ("€ 300.--", "300.00"),
        ("12 500", "12500.00"),
        ("1 234,56", "1234.56"),
        ("-250", "-250.00"),
        ("€ -250", "-250.00"),
        ("- € 250", "-250.00"),
        ("−250", "-250.00"),
        ("1,234.56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("1,234,567", "1234567.00"),
        ("12.50", "12.50"),
        ("0.500", "0.50"),
        ("1,234", "1.23"),
        (",5", "0.50"),
        ("  12500  ", "12500.00"),
        ("\u00a012.500,00\u00a0", "12500.00"),
        ("€\u00a012\u00a0500", "12500.00"),
        ("\t1.000\n", "1000.00"),
    ],
)
def test_amount_number_parses_with_status_ok(text: str, value: str) -> None:
    assert_frame_equal(amounts([text]), amount(value, "ok"))


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("", "not_answered"),
        (None, "not_answered"),
        ("   ", "not_answered"),
        ("\u00a0", "not_answered"),
        ("-", "not_answered"),
        ("—", "not_answered"),
        ("--", "not_answered"),
        ("€", "not_answered"),
        ("n.v.t.", "not_applicable"),
        ("nvt", "not_applicable"),
        ("n.v.t", "not_applicable"),
        ("NVT", "not_applicable"),
        ("N.v.t.", "not_applicable"),
        ("niet van toepassing", "not_applicable"),
        ("n/a", "not_applicable"),
        ("weet niet", "unknown"),
        ("Weet ik niet", "unknown"),
        ("onbekend", "unknown"),
        ("?", "unknown"),
        ("unknown", "unknown"),
        ("don't know", "unknown"),
        ("Don’t know", "unknown"),
        ("abc", "invalid"),
        ("12 34", "invalid"),
        ("1e3", "invalid"),
        ("12.5.2021", "invalid"),
        ("1.23,45", "invalid"),
        ("٣٠٠", "invalid"),
        ("ongeveer 5000", "invalid"),
    ],
)
def test_amount_non_number_gets_its_status_and_no_value(text: str | None, status: str) -> None:
    assert_frame_equal(amounts([text]), amount(None, status))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("10.000 - 20.000", "15000.00"),
        ("10.000-20.000", "15000.00"),
        ("10.000 – 20.000", "15000.00"),
        ("€ 10.000 tot € 20.000", "15000.00"),
        ("€ 10.000,- tot € 20.000,-", "15000.00"),
        ("10.000 t/m 20.000", "15000.00"),
        ("tussen 5 en 10", "7.50"),
        ("10,01 - 10,02", "10.02"),
        ("-10 - 10", "0.00"),
    ],
)
def test_amount_range_gives_midpoint_with_status_range(text: str, value: str) -> None:
    assert_frame_equal(amounts([text]), amount(value, "range"))


def test_amount_range_with_an_unparseable_bound_is_invalid() -> None:
    assert_frame_equal(amounts(["10.000 - 2.0.0"]), amount(None, "invalid"))


def test_amount_with_thousands_dot_and_decimal_comma_parses() -> None:
    assert_frame_equal(amounts(["€ 1.234.567,89"]), amount("1234567.89", "ok"))


def test_amount_with_both_separators_takes_the_last_as_decimal() -> None:
    expected = pl.DataFrame(
        {"value": [Decimal("1234.56"), Decimal("1234.56")], "status": ["ok", "ok"]},
        schema=AMOUNT_SCHEMA,
    )
    assert_frame_equal(amounts(["1.234,56", "1,234.56"]), expected)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0,005", "0.01"),
        ("-0,005", "-0.01"),
        ("0,004", "0.00"),
        ("0,0049999", "0.00"),
        ("12,345", "12.35"),
        ("12,355", "12.36"),
        ("-12,345", "-12.35"),
        ("2,675", "2.68"),
        ("12.345,675", "12345.68"),
    ],
)
def test_amount_rounds_half_away_from_zero_to_cents(text: str, value: str) -> None:
    assert_frame_equal(amounts([text]), amount(value, "ok"))


@pytest.mark.parametrize(
    ("text", "value", "status"),
    [
        ("12.500", "12500.00", "ok"),
        ("1.234,56", "1234.56", "ok"),
        ("12,5", "12.50", "ok"),
        ("1,234", "1.23", "ok"),
        ("12 500,5", "12500.50", "ok"),
        ("12.50", None, "invalid"),
        ("1,234.56", None, "invalid"),
    ],
)
def test_amount_with_decimal_comma_reads_dots_as_thousands(text: str, value: str | None, status: str) -> None:
    assert_frame_equal(amounts([text], decimal=","), amount(value, status))


@pytest.mark.parametrize(
    ("text", "value", "status"),
    [
        ("12.500", "12.50", "ok"),
        ("1,234", "1234.00", "ok"),
        ("1,234.56", "1234.56", "ok"),
        ("12 500.5", "12500.50", "ok"),
        ("12,5", None, "invalid"),
        ("1.234,56", None, "invalid"),
    ],
)
def test_amount_with_decimal_point_reads_commas_as_thousands(
    text: str, value: str | None, status: str
) -> None:
    assert_frame_equal(amounts([text], decimal="."), amount(value, status))


def test_amount_with_unknown_decimal_mode_raises() -> None:
    with pytest.raises(ValueError, match="decimal must be"):
        parse_amount(pl.col("text"), decimal=";")  # type: ignore[arg-type]


def test_amount_beyond_sixteen_integer_digits_is_invalid() -> None:
    expected = pl.DataFrame(
        {"value": [Decimal("9999999999999999.99"), None], "status": ["ok", "invalid"]},
        schema=AMOUNT_SCHEMA,
    )
    assert_frame_equal(amounts(["9.999.999.999.999.999,99", "99999999999999999"]), expected)


def test_amount_keeps_row_order_and_types_in_a_mixed_column() -> None:
    expected = pl.DataFrame(
        {
            "value": [Decimal("12500.00"), None, Decimal("15000.00"), None, Decimal("-250.00")],
            "status": ["ok", "not_applicable", "range", "invalid", "ok"],
        },
        schema=AMOUNT_SCHEMA,
    )
    assert_frame_equal(amounts(["€ 12.500,00", "n.v.t.", "10.000 - 20.000", "veel", "-250"]), expected)


def test_amount_works_lazily() -> None:
    lazy = pl.LazyFrame({"text": ["€ 1.234,56"]}).select(parse_amount(pl.col("text")).alias("p"))
    assert lazy.collect_schema()["p"] == pl.Struct({"value": AMOUNT_DTYPE, "status": pl.String})
    assert_frame_equal(lazy.collect().unnest("p"), amount("1234.56", "ok"))


def dutch(value: Decimal) -> str:
    """`€ 1.234,56` style, as a respondent would type it."""
    sign = "-" if value < 0 else ""
    whole, cents = f"{abs(value):.2f}".split(".")
    return f"€ {sign}{int(whole):,}".replace(",", ".") + f",{cents}"


@FAST
@given(st.decimals(min_value=-(10**15), max_value=10**15, places=2))
def test_amount_round_trips_dutch_formatting(value: Decimal) -> None:
    text = dutch(value)
    assert_frame_equal(amounts([text]), amount(str(value), "ok"))
    assert_frame_equal(amounts([text], decimal=","), amount(str(value), "ok"))


@FAST
@given(st.decimals(min_value=-(10**15), max_value=10**15, places=2))
def test_amount_round_trips_english_formatting(value: Decimal) -> None:
    assert_frame_equal(amounts([f"{value:,.2f}"], decimal="."), amount(str(value), "ok"))


@FAST
@given(st.lists(st.one_of(st.none(), st.text()), max_size=20))
def test_amount_never_raises_and_keeps_its_types(texts: list[str | None]) -> None:
    result = amounts(texts)
    assert result.schema == pl.Schema(AMOUNT_SCHEMA)
    assert result.height == len(texts)
    assert set(result["status"].to_list()) <= set(STATUSES)
    has_value = result["status"].is_in(["ok", "range"])
    assert_series_equal(result["value"].is_not_null(), has_value, check_names=False)


# --- parse_percent -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("45%", 45.0),
        ("45 %", 45.0),
        ("45", 45.0),
        ("45,5", 45.5),
        ("45,5%", 45.5),
        ("0,45", 45.0),
        ("0.45", 45.0),
        ("0.456", 45.6),
        ("0,05", 5.0),
        ("0,5", 50.0),
        ("0,5%", 0.5),
        ("1", 1.0),
        ("0", 0.0),
        ("100%", 100.0),
        ("100 procent", 100.0),
        ("150", 150.0),
        ("-0,5", -0.5),
        ("\u00a045\u00a0%", 45.0),
    ],
)
def test_percent_number_parses_on_a_0_to_100_scale(text: str, value: float) -> None:
    expected = pl.DataFrame({"value": [value], "status": ["ok"]}, schema=PERCENT_SCHEMA)
    assert_frame_equal(percents([text]), expected)


@pytest.mark.parametrize(
    ("text", "status"),
    [
        (None, "not_answered"),
        ("", "not_answered"),
        ("-", "not_answered"),
        ("n.v.t.", "not_applicable"),
        ("nvt", "not_applicable"),
        ("weet niet", "unknown"),
        ("?", "unknown"),
        ("10-20%", "invalid"),
        ("veel", "invalid"),
        ("€ 45", "invalid"),
    ],
)
def test_percent_non_number_gets_its_status_and_no_value(text: str | None, status: str) -> None:
    expected = pl.DataFrame({"value": [None], "status": [status]}, schema=PERCENT_SCHEMA)
    assert_frame_equal(percents([text]), expected)


@FAST
@given(st.lists(st.one_of(st.none(), st.text()), max_size=20))
def test_percent_never_raises_and_keeps_its_types(texts: list[str | None]) -> None:
    result = percents(texts)
    assert result.schema == pl.Schema(PERCENT_SCHEMA)
    assert result.height == len(texts)
    assert set(result["status"].to_list()) <= set(STATUSES) - {"range"}


# --- parse_fte ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12", 12.0),
        ("12,5", 12.5),
        ("12.5", 12.5),
        ("1.250", 1250.0),
        ("1.250,75", 1250.75),
        (" 0,8 ", 0.8),
        ("n.v.t.", None),
        ("weet niet", None),
        ("", None),
        (None, None),
        ("10-20", None),
        ("veel", None),
    ],
)
def test_fte_parses_by_the_amount_number_rules(text: str | None, value: float | None) -> None:
    expected = pl.Series("parsed", [value], dtype=pl.Float64)
    assert_series_equal(parsed(parse_fte, [text]), expected)


# --- parse_flag --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1", True),
        ("true", True),
        ("TRUE", True),
        ("ja", True),
        ("Ja", True),
        ("yes", True),
        ("waar", True),
        ("x", True),
        (" X ", True),
        ("0", False),
        ("false", False),
        ("nee", False),
        ("no", False),
        ("", False),
        (None, False),
        ("misschien", False),
    ],
)
def test_flag_is_true_only_for_yes_words(text: str | None, value: bool) -> None:
    expected = pl.Series("parsed", [value], dtype=pl.Boolean)
    assert_series_equal(parsed(parse_flag, [text]), expected)


# --- parse_timestamp ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2021-04-12 14:03:00", dt.datetime(2021, 4, 12, 14, 3)),
        ("2021-04-12T14:03:00", dt.datetime(2021, 4, 12, 14, 3)),
        ("2021-04-12 14:03", dt.datetime(2021, 4, 12, 14, 3)),
        ("2021-04-12 14:03:07.25", dt.datetime(2021, 4, 12, 14, 3, 7, 250000)),
        ("12-04-2021 14:03", dt.datetime(2021, 4, 12, 14, 3)),
        ("12-4-2021 14:03:00", dt.datetime(2021, 4, 12, 14, 3)),
        ("12/04/2021 14:03", dt.datetime(2021, 4, 12, 14, 3)),
        ("2021-04-12", dt.datetime(2021, 4, 12)),
        ("12-04-2021", dt.datetime(2021, 4, 12)),
        (" 2021-04-12 14:03:00 ", dt.datetime(2021, 4, 12, 14, 3)),
        ("31-02-2021", None),
        ("2021-04-12 25:00", None),
        ("04/12/21", None),
        ("gisteren", None),
        ("", None),
        (None, None),
    ],
)
def test_timestamp_parses_iso_and_day_first(text: str | None, value: dt.datetime | None) -> None:
    expected = pl.Series("parsed", [value], dtype=pl.Datetime("us"))
    assert_series_equal(parsed(parse_timestamp, [text]), expected)
