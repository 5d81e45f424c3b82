"""Refreshing quarter by quarter, in any order, gives exactly the marts of one full rebuild."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from ingest.reference import read_reference
from tests.warehouse.core_rows import (
    MARTS,
    BudgetRow,
    SurveyRow,
    load_all,
    load_quarter,
    rebuild,
    rows,
    warehouse,
)
from transforms.quarter import Quarter, quarter_range
from warehouse import marts
from warehouse.db import scalar
from warehouse.seeds import load_reference

QUARTERS = [str(q) for q in quarter_range(Quarter(2019, 3), Quarter(2021, 4))]
CATEGORIES = ("hardware", "software_licences", "ict_support", "security", "other", "office_savings")
# Eemsdelta's three predecessors until 2020, Eemsdelta from 2021; Haaren until 2020, then its
# four successors; and a few that did not change.
BEFORE_2021 = ("GM0003", "GM0010", "GM0024", "GM0788")
FROM_2021 = ("GM1979",)
ALWAYS = ("GM0014", "GM0344", "GM0363", "GM0757", "GM0824", "GM0855", "GM0865")


def _generate(seed: int) -> tuple[list[SurveyRow], list[BudgetRow]]:
    rnd = random.Random(seed)
    survey: list[SurveyRow] = []
    budget: list[BudgetRow] = []
    for quarter in QUARTERS:
        codes = ALWAYS + (FROM_2021 if quarter >= "2021" else BEFORE_2021)
        for code in codes:
            if rnd.random() < 0.8:  # answered the survey this quarter
                for category in CATEGORIES:
                    if rnd.random() < 0.9:
                        amount = str(Decimal(rnd.randrange(0, 5_000_000)).scaleb(-2))
                        survey.append((quarter, code, category, amount))
                    elif rnd.random() < 0.5:
                        survey.append((quarter, code, category, None))
            for kind in ("begroting", "realisatie"):
                if rnd.random() < 0.7:
                    lasten = str(Decimal(rnd.randrange(100_000, 90_000_000)).scaleb(-2))
                    budget.append((quarter, code, "0.4", "3.8", kind, lasten, "0"))
    return survey, budget


def _of(quarter: str, survey: list[SurveyRow], budget: list[BudgetRow]) -> tuple[list, list]:
    return [r for r in survey if r[0] == quarter], [r for r in budget if r[0] == quarter]


def _marts(con) -> dict[str, list[tuple]]:
    return {m: rows(con, m) for m in MARTS}


def _full_rebuild(ref, survey: list[SurveyRow], budget: list[BudgetRow]) -> dict[str, list[tuple]]:
    with warehouse(ref) as con:
        load_all(con, survey, budget)
        rebuild(con, ref)
        return _marts(con)


def _assert_same(incremental: dict[str, list[tuple]], full: dict[str, list[tuple]]) -> None:
    assert all(full[m] for m in MARTS)
    for mart in MARTS:
        assert incremental[mart] == full[mart], mart
        # Byte for byte: the same text for every value, not only equal numbers.
        assert [tuple(map(repr, r)) for r in incremental[mart]] == [tuple(map(repr, r)) for r in full[mart]]


def test_refreshing_quarters_in_shuffled_order_equals_a_full_rebuild() -> None:
    seed = 1
    ref = read_reference()
    survey, budget = _generate(seed)
    order = QUARTERS[:]
    random.Random(seed).shuffle(order)
    with warehouse(ref) as con:
        for quarter in order:
            load_quarter(con, quarter, *_of(quarter, survey, budget))
            marts.refresh_marts(con, marts.affected_quarters(con, Quarter.parse(quarter)), ref)
        _assert_same(_marts(con), _full_rebuild(ref, survey, budget))
        # A quarter well inside the history is loaded again with a late correction and one
        # answer withdrawn: its window starts after the first quarters, whose cumulative
        # sums reach it only through the grouped sum of older history.
        for old in ("2021Q1", "2020Q2"):
            corrected = [
                (q, c, k, "123.45" if (c, k) == ("GM0014", "hardware") else a)
                for q, c, k, a in _of(old, survey, budget)[0]
                if c != "GM0363"
            ]
            survey = [r for r in survey if r[0] != old] + corrected
            load_quarter(con, old, *_of(old, survey, budget))
            marts.refresh_marts(con, marts.affected_quarters(con, Quarter.parse(old)), ref)
            _assert_same(_marts(con), _full_rebuild(ref, survey, budget))


def test_a_refresh_leaves_quarters_outside_its_window_alone() -> None:
    ref = read_reference()
    survey, budget = _generate(3)
    with warehouse(ref) as con:
        load_all(con, survey, budget)
        rebuild(con, ref)
        # A marker in a quarter the window does not reach stays: nothing outside is rewritten.
        con.execute("update marts.cost_trend_quarterly set amount_eur = -1 where quarter = '2020Q1'")
        con.execute("update marts.national_estimate_period set estimate_eur = -1 where period = '2020'")
        changed = marts.refresh_marts(con, marts.affected_quarters(con, Quarter(2021, 4)), ref)
        assert (
            scalar(con, "select min(amount_eur) from marts.cost_trend_quarterly where quarter = '2020Q1'")
            == -1
        )
        assert (
            scalar(con, "select min(estimate_eur) from marts.national_estimate_period where period = '2020'")
            == -1
        )
        assert changed["cost_trend_quarterly"] == scalar(
            con, "select count(*) from marts.cost_trend_quarterly where quarter = '2021Q4'"
        )
        # Only 2021Q4 and the half year and year it belongs to.
        assert {r[1] for r in rows(con, "national_estimate_period") if r[4] != -1} >= {
            "2021Q4",
            "2021H2",
            "2021",
        }


def test_a_changed_boundary_set_rebuilds_every_quarter() -> None:
    survey, budget = _generate(4)
    current, earlier = read_reference(), read_reference(boundary_date=dt.date(2020, 12, 31))
    with warehouse(current) as con:
        load_all(con, survey, budget)
        rebuild(con, current)
        assert (
            scalar(con, "select count(*) from marts.cost_trend_quarterly where municipality_code = 'GM0003'")
            == 0
        )
        load_reference(con, earlier)
        marts.refresh_marts(con, marts.affected_quarters(con, Quarter(2021, 4)), earlier)
        switched = _marts(con)
    with warehouse(earlier) as con:
        load_all(con, survey, budget)
        rebuild(con, earlier)
        assert switched == _marts(con)


def test_affected_quarters_run_from_the_quarter_to_the_last_one_loaded() -> None:
    ref = read_reference()
    with warehouse(ref) as con:
        assert marts.affected_quarters(con, Quarter(2021, 1)) == (Quarter(2021, 1).index,) * 2
        load_quarter(con, "2021Q3")
        # 2021Q1's neighbours are not loaded: still everything up to 2021Q3 (QoQ, rolling, cumulative).
        assert marts.affected_quarters(con, Quarter(2021, 1)) == (
            Quarter(2021, 1).index,
            Quarter(2021, 3).index,
        )
        # A quarter after the last one loaded reaches only itself.
        assert marts.affected_quarters(con, Quarter(2022, 2)) == (Quarter(2022, 2).index,) * 2


def test_marts_built_with_older_column_types_are_recreated_with_the_current_ones() -> None:
    # A warehouse from before quarter_start and the DOUBLE money type: its marts were
    # DECIMAL(18, 2) with BIGINT respondents. New code means a new fingerprint, so a rebuild,
    # which recreates every mart from its model instead of inserting into the old columns.
    ref = read_reference()
    survey, budget = _generate(seed=3)
    with warehouse(ref) as con:
        load_all(con, survey, budget)
        rebuild(con, ref)
        for mart in MARTS:
            con.execute(f"drop table marts.{mart}")
        con.execute(
            "create table marts.net_cost (municipality_code varchar, quarter varchar, "
            "digital_extra_eur decimal(18, 2), office_savings_eur decimal(18, 2), net_cost_eur decimal(18, 2))"
        )
        con.execute(
            "create table marts.national_estimate (quarter varchar not null, cost_category varchar not null, "
            "respondents bigint not null, population_coverage_pct double, estimate_eur double, "
            "estimate_low_eur double, estimate_high_eur double)"
        )
        con.execute("update meta.mart_state set fingerprint = 'built by older code'")
        last = Quarter.parse(QUARTERS[-1]).index
        marts.refresh_marts(con, (last, last), ref)
        types = dict(
            con.execute(
                "select table_name || '.' || column_name, data_type from information_schema.columns "
                "where table_schema = 'marts' and table_name in ('net_cost', 'national_estimate')"
            ).fetchall()
        )
        incremental = _marts(con)
    assert types["net_cost.net_cost_eur"] == "DOUBLE"
    assert types["net_cost.quarter_start"] == "DATE"
    assert types["national_estimate.respondents"] == "INTEGER"
    assert types["national_estimate.quarter_start"] == "DATE"
    _assert_same(incremental, _full_rebuild(ref, survey, budget))


def _descriptions(con) -> list[tuple]:
    """Every description (`COMMENT ON`) of a core or mart table or column."""
    tables = con.execute(
        "select schema_name, table_name, null, comment from duckdb_tables() "
        "where schema_name in ('core', 'marts') and comment is not null"
    ).fetchall()
    columns = con.execute(
        "select schema_name, table_name, column_name, comment from duckdb_columns() "
        "where schema_name in ('core', 'marts') and comment is not null"
    ).fetchall()
    return sorted(tables + columns, key=repr)


def test_a_refresh_puts_back_the_descriptions_of_a_table_that_lost_them() -> None:
    # Descriptions are written when the marts are (re)built; a later refresh writes them
    # again only where a table lost its own (recreated by hand, or its comment cleared).
    ref = read_reference()
    survey, budget = _generate(seed=5)
    with warehouse(ref) as con:
        load_all(con, survey, budget)
        rebuild(con, ref)
        described = _descriptions(con)
        assert ("marts", "net_cost", None, marts.mart("net_cost").description) in described
        assert (
            "core",
            "dim_cost_category",
            "is_digital",
            "True for the extra digital cost categories, false for office savings",
        ) in described
        con.execute("create or replace table core.dim_cost_category as select * from core.dim_cost_category")
        con.execute("comment on table marts.net_cost is null")
        assert _descriptions(con) != described
        last = Quarter.parse(QUARTERS[-1]).index
        marts.refresh_marts(con, (last, last), ref)
        assert _descriptions(con) == described
