"""Properties of the national estimator over generated samples (hypothesis)."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from transforms.estimate import national_estimate, national_estimate_periods
from transforms.reference import size_class

CATEGORIES = ("hardware", "software_licences", "office_savings")
DIGITAL = ("hardware", "software_licences")

# Populations spread over every size class; amounts in cents up to ten million euros.
populations = st.integers(min_value=1_000, max_value=900_000)
amounts = st.integers(min_value=0, max_value=1_000_000_000).map(lambda cents: Decimal(cents).scaleb(-2))


@st.composite
def samples(draw: st.DrawFn, *, full: bool = False) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A frame of municipalities over one or two quarters and the answers of some of them."""
    quarters = draw(st.sampled_from([("2021Q1",), ("2021Q1", "2021Q2"), ("2020Q4", "2021Q1")]))
    size = draw(st.integers(min_value=1, max_value=25))
    pops = draw(st.lists(populations, min_size=size, max_size=size))
    codes = [f"GM{i:04d}" for i in range(1, size + 1)]
    frame_rows, response_rows = [], []
    for quarter in quarters:
        for code, pop in zip(codes, pops, strict=True):
            frame_rows.append((quarter, code, pop))
            for category in CATEGORIES:
                if full or draw(st.booleans()):
                    response_rows.append((quarter, code, category, draw(amounts)))
    if not response_rows:
        response_rows.append((quarters[0], codes[0], "hardware", draw(amounts)))
    frame = pl.DataFrame(
        frame_rows,
        schema={"quarter": pl.Utf8, "municipality_code": pl.Utf8, "population": pl.Int64},
        orient="row",
    ).with_columns(size_class(pl.col("population")).alias("size_class"))
    responses = pl.DataFrame(
        response_rows,
        schema={
            "quarter": pl.Utf8,
            "municipality_code": pl.Utf8,
            "cost_category": pl.Utf8,
            "amount_eur": pl.Decimal(18, 2),
        },
        orient="row",
    )
    return responses, frame


def _bounded(out: pl.DataFrame) -> pl.DataFrame:
    return out.filter(pl.col("estimate_low_eur").is_not_null())


@settings(max_examples=60, deadline=None)
@given(samples())
def test_the_estimate_lies_within_its_range(sample: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    responses, frame = sample
    for out in (
        national_estimate(responses, frame),
        national_estimate_periods(responses, frame, digital_categories=DIGITAL),
    ):
        bounded = _bounded(out)
        assert (bounded["estimate_low_eur"] <= bounded["estimate_eur"]).all()
        assert (bounded["estimate_eur"] <= bounded["estimate_high_eur"]).all()
        assert (bounded["estimate_low_eur"] >= 0).all()
        # Bounds are missing only where a single answer leaves no variance to estimate.
        assert out["estimate_low_eur"].is_null().equals(out["estimate_high_eur"].is_null())
    national = national_estimate(responses, frame)
    assert (
        national.filter(pl.col("estimate_low_eur").is_null())["respondents"].to_list()
        == [1] * national["estimate_low_eur"].null_count()
    )


@settings(max_examples=40, deadline=None)
@given(samples(full=True))
def test_full_coverage_gives_the_exact_total_with_no_range(sample: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    responses, frame = sample
    exact = (
        responses.group_by("quarter", "cost_category")
        .agg(pl.col("amount_eur").sum())
        .with_columns(pl.col("amount_eur").cast(pl.Float64).alias("exact"))
    )
    out = national_estimate(responses, frame).join(exact, on=["quarter", "cost_category"])
    assert out.height == exact.height
    assert (out["population_coverage_pct"] == 100.0).all()
    assert (out["estimate_eur"] == out["exact"]).all()
    assert (out["estimate_low_eur"] == out["estimate_eur"]).all()
    assert (out["estimate_high_eur"] == out["estimate_eur"]).all()
    periods = national_estimate_periods(responses, frame, digital_categories=DIGITAL)
    assert (periods["estimate_low_eur"] == periods["estimate_eur"]).all()
    assert (periods["estimate_high_eur"] == periods["estimate_eur"]).all()


@settings(max_examples=40, deadline=None)
@given(samples(), st.randoms(use_true_random=False))
def test_the_estimate_does_not_depend_on_the_order_of_rows(
    sample: tuple[pl.DataFrame, pl.DataFrame], rnd: object
) -> None:
    responses, frame = sample
    seed = rnd.randrange(2**32)  # type: ignore[attr-defined]
    shuffled_responses = responses.sample(fraction=1.0, shuffle=True, seed=seed)
    shuffled_frame = frame.sample(fraction=1.0, shuffle=True, seed=seed + 1)
    # As if the answers had arrived in two files, read in either order.
    half = shuffled_responses.height // 2
    reread = pl.concat([shuffled_responses.slice(half), shuffled_responses.slice(0, half)])
    assert_frame_equal(national_estimate(responses, frame), national_estimate(reread, shuffled_frame))
    assert_frame_equal(
        national_estimate_periods(responses, frame, digital_categories=DIGITAL),
        national_estimate_periods(reread, shuffled_frame, digital_categories=list(reversed(DIGITAL))),
    )
