"""A refresh that stops short of the last quarter notes the rest as behind; a later one catches up.

A run that writes several quarters refreshes each one's marts only up to the next quarter it
writes (`affected_quarters(..., next_written=...)`); `meta.mart_state.behind_from` says from
which quarter the marts may lag core, and the next refresh starts there at the latest.
"""

from __future__ import annotations

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
from transforms.quarter import Quarter
from warehouse import marts

Q1, Q2, Q3, Q4 = (Quarter(2020, n) for n in range(1, 5))

# Groningen answers every quarter; its hardware cumulative adds them up. Budget lines give
# the budget marts a QoQ change to carry from one quarter into the next.
SURVEY: list[SurveyRow] = [
    (str(q), "GM0014", "hardware", amount)
    for q, amount in zip((Q1, Q2, Q3, Q4), ("100.00", "200.00", "300.00", "400.00"), strict=True)
]
BUDGET: list[BudgetRow] = [
    (str(q), "GM0014", "0.4", "3.8", "realisatie", lasten, "0")
    for q, lasten in zip((Q1, Q2, Q3, Q4), ("1000.00", "1100.00", "1210.00", "1331.00"), strict=True)
]


def _restated(quarter: Quarter, hardware: str) -> tuple[list[SurveyRow], list[BudgetRow]]:
    survey = [(q, c, k, hardware if q == str(quarter) else a) for q, c, k, a in SURVEY]
    return survey, BUDGET


def _marts(con) -> dict[str, list[tuple]]:
    return {m: [tuple(map(repr, r)) for r in rows(con, m)] for m in MARTS}


def _full_rebuild(ref, survey: list[SurveyRow], budget: list[BudgetRow]) -> dict[str, list[tuple]]:
    with warehouse(ref) as con:
        load_all(con, survey, budget)
        rebuild(con, ref)
        return _marts(con)


def _cumulative(con, quarter: Quarter) -> object:
    return con.execute(
        "select cumulative_eur from marts.cost_trend_quarterly "
        "where municipality_code = 'GM0014' and cost_category = 'hardware' and quarter = ?",
        [str(quarter)],
    ).fetchall()[0][0]


def test_a_write_followed_by_a_later_one_refreshes_only_up_to_it() -> None:
    ref = read_reference()
    with warehouse(ref) as con:
        load_all(con, SURVEY, BUDGET)
        assert marts.affected_quarters(con, Q1, next_written=Q3) == (Q1.index, Q2.index)
        assert marts.affected_quarters(con, Q3, next_written=Q4) == (Q3.index, Q3.index)
        # The last quarter written reaches the last quarter loaded, as without a successor.
        assert marts.affected_quarters(con, Q3) == (Q3.index, Q4.index)
        assert marts.affected_quarters(con, Q3, next_written=None) == (Q3.index, Q4.index)


def test_a_short_window_leaves_the_later_quarters_behind_until_a_refresh_reaches_them() -> None:
    ref = read_reference()
    with warehouse(ref) as con:
        load_all(con, SURVEY, BUDGET)
        rebuild(con, ref)
        assert marts.marts_behind(con) is None
        assert _cumulative(con, Q4) == 1000  # 100 + 200 + 300 + 400

        # 2020Q1 restated (hardware 100 -> 150), its marts refreshed up to 2020Q2 only.
        survey, budget = _restated(Q1, "150.00")
        load_quarter(con, str(Q1), *[[r for r in rs if r[0] == str(Q1)] for rs in (survey, budget)])
        marts.refresh_marts(con, (Q1.index, Q2.index), ref)
        assert marts.marts_behind(con) == Q3.index
        assert _cumulative(con, Q2) == 350  # 150 + 200: refreshed
        assert _cumulative(con, Q4) == 1000  # behind: not refreshed yet

        # A refresh of 2020Q4 alone starts where the marts are behind, 2020Q3.
        marts.refresh_marts(con, (Q4.index, Q4.index), ref)
        assert marts.marts_behind(con) is None
        assert _cumulative(con, Q3) == 650
        assert _cumulative(con, Q4) == 1050
        assert _marts(con) == _full_rebuild(ref, survey, budget)


def test_a_short_window_before_the_behind_mark_moves_the_mark_back() -> None:
    ref = read_reference()
    with warehouse(ref) as con:
        load_all(con, SURVEY, BUDGET)
        rebuild(con, ref)
        marts.refresh_marts(con, (Q3.index, Q3.index), ref)
        assert marts.marts_behind(con) == Q4.index
        # 2020Q1 restated and refreshed up to 2020Q1: everything after it is behind now.
        survey, budget = _restated(Q1, "50.00")
        load_quarter(con, str(Q1), *[[r for r in rs if r[0] == str(Q1)] for rs in (survey, budget)])
        marts.refresh_marts(con, (Q1.index, Q1.index), ref)
        assert marts.marts_behind(con) == Q2.index
        assert marts.catch_up_marts(con, ref) == (Q2.index, Q4.index)
        assert marts.marts_behind(con) is None
        assert _cumulative(con, Q4) == 950  # 50 + 200 + 300 + 400
        assert _marts(con) == _full_rebuild(ref, survey, budget)
        # Nothing behind: nothing to do.
        assert marts.catch_up_marts(con, ref) is None


def test_a_warehouse_without_marts_is_not_behind() -> None:
    ref = read_reference()
    with warehouse(ref) as con:
        assert marts.marts_behind(con) is None
        assert marts.catch_up_marts(con, ref) is None
