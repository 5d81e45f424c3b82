from __future__ import annotations

import datetime as dt

import pytest

from transforms.quarter import Quarter, QuarterError, quarter_range


@pytest.mark.parametrize(
    "text",
    [
        "2021Q1",
        "2021-Q1",
        "2021 q1",
        "2021K1",
        "Q1 2021",
        "q1-2021",
        "1e kwartaal 2021",
        "1ste kwartaal 2021",
        "kwartaal 1 2021",
        " 2021Q1 ",
    ],
)
def test_every_accepted_spelling_parses_to_the_same_quarter(text: str) -> None:
    assert Quarter.parse(text) == Quarter(2021, 1)


@pytest.mark.parametrize("text", ["2021Q5", "2021", "Q0 2021", "", "21Q1", "2021Q1x"])
def test_text_that_names_no_quarter_is_refused_with_the_text_in_the_message(text: str) -> None:
    with pytest.raises(QuarterError, match="quarter"):
        Quarter.parse(text)


def test_quarter_arithmetic_crosses_years() -> None:
    q = Quarter(2020, 4)
    assert str(q.shift(1)) == "2021Q1"
    assert str(q.shift(-4)) == "2019Q4"
    assert q.start == dt.date(2020, 10, 1) and q.end == dt.date(2020, 12, 31)


def test_last_finished_quarter_is_the_one_before_today() -> None:
    assert Quarter.last_finished(dt.date(2021, 1, 15)) == Quarter(2020, 4)
    assert Quarter.last_finished(dt.date(2021, 6, 30)) == Quarter(2021, 1)


def test_range_includes_both_ends_in_order() -> None:
    assert [str(q) for q in quarter_range(Quarter(2020, 3), Quarter(2021, 2))] == [
        "2020Q3",
        "2020Q4",
        "2021Q1",
        "2021Q2",
    ]
