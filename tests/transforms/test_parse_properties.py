"""Properties of the Dutch number parsers beyond tests/transforms/test_parse.py."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.parse import parse_fte, parse_percent

FAST = settings(max_examples=200, deadline=None)


def _parse(function, texts: list[str | None]) -> pl.DataFrame:  # noqa: ANN001
    frame = pl.DataFrame({"text": texts}, schema={"text": pl.String})
    return frame.select(function(pl.col("text")).alias("parsed"))


@FAST
@given(st.decimals(min_value=0, max_value=100, places=1), st.sampled_from(["%", " %", "\u00a0%"]))
def test_percent_round_trips_dutch_formatting(value: Decimal, sign: str) -> None:
    text = f"{value:.1f}".replace(".", ",") + sign
    result = _parse(parse_percent, [text]).unnest("parsed")
    assert result["status"].to_list() == ["ok"]
    assert Decimal(str(result["value"][0])).quantize(Decimal("0.1")) == value


@FAST
@given(st.lists(st.one_of(st.none(), st.text()), max_size=20))
def test_fte_never_raises_and_returns_numbers_or_null(texts: list[str | None]) -> None:
    result = _parse(parse_fte, texts)
    assert result.height == len(texts)
    assert result.schema["parsed"] == pl.Float64
