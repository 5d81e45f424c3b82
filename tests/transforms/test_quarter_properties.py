"""Quarter spellings: `Quarter.parse` and the column parser `parse_quarter_expr` agree."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from transforms.quarter import Quarter, QuarterError
from transforms.survey import parse_quarter_expr

quarters = st.builds(Quarter, st.integers(1900, 2999), st.integers(1, 4))
spaces = st.sampled_from(["", " ", "  ", "\t"])


@st.composite
def spellings(draw: st.DrawFn) -> tuple[Quarter, str]:
    """A quarter and one accepted way of writing it."""
    quarter = draw(quarters)
    year, q = quarter.year, quarter.q
    letter = draw(st.sampled_from("QqKk"))
    sep = draw(st.sampled_from(["", "-", "_", "/", " "]))
    text = draw(
        st.sampled_from(
            [
                f"{year}{sep}{letter}{q}",
                f"{letter}{q}{sep}{year}",
                f"{q}{draw(st.sampled_from(['', 'e', 'ste', 'de']))} kwartaal {year}",
                f"kwartaal {q} {year}",
            ]
        )
    )
    return quarter, draw(spaces) + text + draw(spaces)


def _expr(texts: list[str | None]) -> list[str | None]:
    return (
        pl.DataFrame({"t": texts}, schema={"t": pl.Utf8})
        .select(parse_quarter_expr(pl.col("t")))
        .to_series()
        .to_list()
    )


@given(quarters)
def test_a_quarter_written_and_parsed_is_the_same_quarter(quarter: Quarter) -> None:
    assert Quarter.parse(str(quarter)) == quarter
    assert str(Quarter.parse(str(quarter))) == f"{quarter.year}Q{quarter.q}"


@given(spellings())
def test_every_generated_spelling_parses_alike_in_python_and_in_the_column_parser(
    case: tuple[Quarter, str],
) -> None:
    quarter, text = case
    assert Quarter.parse(text) == quarter
    assert _expr([text]) == [str(quarter)]


@given(st.lists(st.one_of(st.none(), st.text(max_size=30)), max_size=20))
def test_the_column_parser_never_raises_and_agrees_with_quarter_parse(texts: list[str | None]) -> None:
    result = _expr(texts)
    assert len(result) == len(texts)
    for text, parsed in zip(texts, result, strict=True):
        assert parsed is None or isinstance(parsed, str)
        expected = Quarter.try_parse(text) if text is not None else None
        assert parsed == (str(expected) if expected else None), text


@given(st.text(max_size=30))
def test_quarter_parse_raises_only_quarter_error(text: str) -> None:
    try:
        result = Quarter.parse(text)
    except QuarterError:
        return
    assert isinstance(result, Quarter)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0001Q1", None),  # outside Quarter's years
        ("9999K4", None),
        ("\u0662\u0660\u0662\u0661Q1", None),  # Arabic-Indic digits are not a year here
        ("2021\u212a1", None),  # the Kelvin sign is not a K
        ("2021\u2003Q1", "2021Q1"),  # an em space is whitespace
        ("2021Q1\x1c", "2021Q1"),  # so is a file separator, to Python
        ("1E KWARTAAL 2021", "2021Q1"),
    ],
)
def test_edge_spellings_parse_alike_in_python_and_in_the_column_parser(
    text: str, expected: str | None
) -> None:
    parsed = Quarter.try_parse(text)
    assert (str(parsed) if parsed else None) == expected
    assert _expr([text]) == [expected]
