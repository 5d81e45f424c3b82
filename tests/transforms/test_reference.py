from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from transforms.reference import boundary_map, boundary_population, budget_category_map, merger_dim

MUNICIPALITIES = pl.DataFrame({"municipality_code": ["GM0001", "GM0002", "GM0003", "GM0010", "GM0011"]})
MERGERS = pl.DataFrame(
    {
        "old_code": ["GM0001", "GM0002", "GM0003", "GM0003", "GM0010"],
        "old_name": ["A", "B", "C", "C", "J"],
        "new_code": ["GM0010", "GM0010", "GM0010", "GM0011", "GM0011"],
        "new_name": ["J", "J", "J", "K", "K"],
        "effective_date": ["2019-01-01", "2019-01-01", "2021-01-01", "2021-01-01", "2022-01-01"],
    }
)
SHARES = pl.DataFrame(
    {"old_code": ["GM0003", "GM0003"], "new_code": ["GM0010", "GM0011"], "share": [0.25, 0.75]}
)


def test_a_split_municipality_is_apportioned_and_chains_are_followed() -> None:
    mergers = merger_dim(MERGERS, SHARES)
    out = boundary_map(MUNICIPALITIES, mergers)
    got = {(r[0], r[1]): r[2] for r in out.iter_rows()}
    # GM0003 → 0.25 GM0010 → GM0011, and 0.75 GM0011 directly: all of it ends in GM0011.
    assert got == {
        ("GM0001", "GM0011"): 1.0,
        ("GM0002", "GM0011"): 1.0,
        ("GM0003", "GM0011"): 1.0,
        ("GM0010", "GM0011"): 1.0,
        ("GM0011", "GM0011"): 1.0,
    }


def test_boundary_date_stops_before_later_mergers() -> None:
    mergers = merger_dim(MERGERS, SHARES)
    out = boundary_map(MUNICIPALITIES, mergers, boundary_date=dt.date(2021, 6, 30))
    got = {(r[0], r[1]): r[2] for r in out.iter_rows()}
    assert got[("GM0003", "GM0010")] == 0.25 and got[("GM0003", "GM0011")] == 0.75
    assert got[("GM0010", "GM0010")] == 1.0


def test_shares_that_do_not_sum_to_one_are_refused() -> None:
    bad = SHARES.with_columns(pl.Series("share", [0.5, 0.4]))
    with pytest.raises(ValueError, match="GM0003"):
        merger_dim(MERGERS, bad)


def test_boundary_population_sums_predecessors_by_share() -> None:
    population = pl.DataFrame(
        {
            "municipality_code": ["GM0003", "GM0010", "GM0011"],
            "year": [2020, 2020, 2020],
            "population": [1000, 5000, 7000],
        },
        schema_overrides={"year": pl.Int32},
    )
    mergers = merger_dim(MERGERS, SHARES)
    boundaries = boundary_map(MUNICIPALITIES, mergers, boundary_date=dt.date(2021, 6, 30))
    out = boundary_population(population, boundaries)
    assert out.rows() == [("GM0010", 2020, 5250), ("GM0011", 2020, 7750)]


def test_budget_mapping_prefers_the_most_specific_rule() -> None:
    rules = pl.DataFrame(
        {
            "taakveld": ["0.4", "0.4", "*"],
            "categorie": ["3.2", "*", "*"],
            "budget_category": ["ict", "other_overhead", "other"],
        }
    )
    taakvelden = pl.DataFrame({"code": ["0.4", "1.1"]})
    categorieen = pl.DataFrame({"code": ["3.2", "3.8"]})
    out = budget_category_map(rules, taakvelden, categorieen)
    assert out.rows() == [
        ("0.4", "3.2", "ict"),
        ("0.4", "3.8", "other_overhead"),
        ("1.1", "3.2", "other"),
        ("1.1", "3.8", "other"),
    ]
