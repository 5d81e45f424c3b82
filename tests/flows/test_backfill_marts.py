"""A run that redoes several quarters refreshes each quarter's marts once, and always ends current.

Each write refreshes the marts up to the next quarter the run writes; the last one to the
end. The windows passed to `marts.refresh_marts` are checked against hand-worked lists,
and the marts after every run, stopped or not, against a full rebuild from what core holds.
The landing zone is generated at tiny scale for 2020Q1..2020Q4 once per module.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from costtrends.generate import generate
from flows import steps
from ingest.reference import read_reference
from tests.conftest import using_home
from transforms.quarter import Quarter
from warehouse import marts
from warehouse.db import connect, scalar

pytestmark = pytest.mark.integration

Q1, Q2, Q3, Q4 = (Quarter(2020, n) for n in range(1, 5))
START, END = str(Q1), str(Q4)
REFRESH_MARTS = marts.refresh_marts
# Gouda (GM0513) answered in 2020Q1 (response 202010006, hardware € 10.676,00) and 2020Q4.
GOUDA_2020Q1 = re.compile(rb"^202010006;[^\n]*\n", re.MULTILINE)
GOUDA_2020Q1_HARDWARE = 10676.0  # euros are DOUBLE in the marts
AMSTERDAM_2020Q3 = "GM0363;2020K3;0.4;3.2;begroting;2055464,48;0,00"


@pytest.fixture(scope="module")
def loaded(prefect_harness: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home whose four quarters are backfilled once."""
    from flows.backfill import backfill

    home = tmp_path_factory.mktemp("loaded")
    generate(home / "landing", Q1, Q4, seed=7, scale="tiny")
    with using_home(home):
        backfill(START, END)
    return home


@pytest.fixture
def home(loaded: Path, tmp_path: Path) -> Iterator[Path]:
    """A copy of the loaded home, COSTTRENDS_HOME pointing at it."""
    home = tmp_path / "home"
    shutil.copytree(loaded, home, ignore=shutil.ignore_patterns("work"))
    with using_home(home):
        yield home


@pytest.fixture
def windows(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Every window passed to `marts.refresh_marts`, in call order."""
    seen: list[tuple[int, int]] = []

    def spy(con, window, *args, **kwargs):
        seen.append(tuple(window))
        return REFRESH_MARTS(con, window, *args, **kwargs)

    monkeypatch.setattr(marts, "refresh_marts", spy)
    monkeypatch.setattr(marts, "refresh_marts", spy)  # catch_up_marts calls it there
    return seen


def _window(first: Quarter, last: Quarter) -> tuple[int, int]:
    return first.index, last.index


def _warehouse(home: Path) -> Path:
    return home / "warehouse" / "costtrends.duckdb"


def _marts(db: Path) -> dict[str, list[tuple]]:
    """Every mart's rows in a fixed order, each value as its repr (byte for byte)."""
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
            ).fetchall()
        ]
        return {
            t: [tuple(map(repr, r)) for r in con.execute(f"select * from marts.{t} order by all").fetchall()]
            for t in tables
        }


def _full_rebuild(home: Path, tmp_path: Path) -> dict[str, list[tuple]]:
    """The marts built from scratch, over every quarter, from a copy of the home's core."""
    db = tmp_path / "rebuilt.duckdb"
    shutil.copy(_warehouse(home), db)
    with connect(db) as con:
        for (table,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts'"
        ).fetchall():
            con.execute(f"delete from marts.{table}")
        con.execute("drop table meta.mart_state")
        first = scalar(con, "select min(quarter_index) from core.dim_quarter")
        last = scalar(con, "select max(quarter_index) from core.dim_quarter")
        REFRESH_MARTS(con, (first, last), read_reference())  # type: ignore[arg-type]
    return _marts(db)


def _behind(home: Path) -> int | None:
    with duckdb.connect(str(_warehouse(home)), read_only=True) as con:
        return marts.marts_behind(con)


def _gouda_hardware(home: Path) -> dict[str, tuple[float, float]]:
    """Gouda's hardware rows: quarter → (amount, cumulative)."""
    with duckdb.connect(str(_warehouse(home)), read_only=True) as con:
        rows = con.execute(
            "select quarter, amount_eur, cumulative_eur from marts.cost_trend_quarterly "
            "where municipality_code = 'GM0513' and cost_category = 'hardware'"
        ).fetchall()
    return {q: (amount, cumulative) for q, amount, cumulative in rows}


def _withdraw_gouda_2020q1(home: Path) -> None:
    survey = home / "landing" / "survey" / "2020Q1" / "survey_2020Q1.csv"
    text, removed = GOUDA_2020Q1.subn(b"", survey.read_bytes())
    assert removed == 1
    survey.write_bytes(text)


def _restate_amsterdam_2020q3(home: Path) -> None:
    budget = home / "landing" / "budget" / "2020Q3" / "iv3_2020Q3.csv"
    text = budget.read_text("utf-8")
    assert text.count(AMSTERDAM_2020Q3) == 1
    budget.write_text(text.replace(AMSTERDAM_2020Q3, AMSTERDAM_2020Q3.replace("2055464,48", "2056464,48")))


def _assert_gouda_2020q1_withdrawn(before: dict, after: dict) -> None:
    """Gouda's 2020Q1 row is gone and its 2020Q4 cumulative no longer counts it."""
    assert before["2020Q1"] == (GOUDA_2020Q1_HARDWARE, GOUDA_2020Q1_HARDWARE)
    assert "2020Q1" not in after
    amount_q4, cumulative_q4 = after["2020Q4"]
    assert cumulative_q4 == amount_q4 == before["2020Q4"][1] - GOUDA_2020Q1_HARDWARE


def test_forced_backfill_refreshes_each_quarter_once_and_equals_a_full_rebuild(
    home: Path, windows: list, tmp_path: Path
) -> None:
    from flows.backfill import backfill

    summaries = backfill(START, END, force=True)
    assert [(s.quarter, s.reason) for s in summaries] == [(str(q), "forced") for q in (Q1, Q2, Q3, Q4)]
    # Each write up to the next quarter written; before, (Q1..Q4), (Q2..Q4), (Q3..Q4), (Q4..Q4).
    assert windows == [_window(Q1, Q1), _window(Q2, Q2), _window(Q3, Q3), _window(Q4, Q4)]
    assert _behind(home) is None
    assert _marts(_warehouse(home)) == _full_rebuild(home, tmp_path)


@pytest.mark.parametrize("next_run", ["backfill", "quarterly refresh of the last quarter"])
def test_restated_quarters_refresh_up_to_the_next_quarter_redone(
    home: Path, windows: list, tmp_path: Path, next_run: str
) -> None:
    from flows.backfill import backfill
    from flows.quarterly_refresh import quarterly_refresh

    before = _gouda_hardware(home)
    _withdraw_gouda_2020q1(home)
    _restate_amsterdam_2020q3(home)
    if next_run == "backfill":
        summaries = backfill(START, END)
        assert [(s.quarter, s.reason) for s in summaries] == [
            ("2020Q1", "restated"),
            ("2020Q2", None),
            ("2020Q3", "restated"),
            ("2020Q4", None),
        ]
        # 2020Q2 and 2020Q4 are not redone: each restated quarter refreshes up to the next one.
        assert windows == [_window(Q1, Q2), _window(Q3, Q4)]
    else:
        summary = quarterly_refresh(END)
        assert [(s.quarter, s.reason) for s in summary.also_refreshed] == [
            ("2020Q1", "restated"),
            ("2020Q3", "restated"),
        ]
        assert windows == [_window(Q1, Q2), _window(Q3, Q3), _window(Q4, Q4)]
    assert _behind(home) is None
    _assert_gouda_2020q1_withdrawn(before, _gouda_hardware(home))
    assert _marts(_warehouse(home)) == _full_rebuild(home, tmp_path)


@pytest.mark.parametrize("stop", ["the third quarter fails to load", "an error after the second write"])
def test_a_backfill_stopped_at_the_third_quarter_still_ends_with_current_marts(
    home: Path, windows: list, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stop: str
) -> None:
    import flows.quarterly_refresh as refresh
    from flows.backfill import backfill
    from flows.quarterly_refresh import RefreshFailed

    before = _gouda_hardware(home)
    _withdraw_gouda_2020q1(home)
    load_batch, emit = steps.load_batch, refresh.emit

    def budget_of_2020q3_fails(con, batch, *args, **kwargs):
        # The survey of 2020Q3 is committed first: core holds part of the failed quarter.
        if batch.quarter == Q3 and batch.source == "budget":
            raise RuntimeError("simulated failure loading the 2020Q3 budget")
        return load_batch(con, batch, *args, **kwargs)

    def error_after_2020q2(quarter: str, stage: str) -> None:
        if (quarter, stage) == ("2020Q2", "load"):
            raise RuntimeError("simulated error after the 2020Q2 write")
        emit(quarter, stage)

    if stop == "the third quarter fails to load":
        monkeypatch.setattr(steps, "load_batch", budget_of_2020q3_fails)
        with pytest.raises(RefreshFailed, match="2020Q3: load failed: simulated failure"):
            backfill(START, END, force=True)
    else:
        monkeypatch.setattr(refresh, "emit", error_after_2020q2)
        with pytest.raises(RuntimeError, match="simulated error after the 2020Q2 write"):
            backfill(START, END, force=True)
    # 2020Q1 and 2020Q2 each up to the next; then everything from 2020Q3 to the end.
    assert windows == [_window(Q1, Q1), _window(Q2, Q2), _window(Q3, Q4)]
    assert _behind(home) is None
    _assert_gouda_2020q1_withdrawn(before, _gouda_hardware(home))
    assert _marts(_warehouse(home)) == _full_rebuild(home, tmp_path)


def test_marts_a_stopped_run_could_not_refresh_are_refreshed_by_the_next_run_with_nothing_to_redo(
    home: Path, windows: list, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.backfill import backfill
    from flows.quarterly_refresh import RefreshFailed

    before = _gouda_hardware(home)
    _withdraw_gouda_2020q1(home)
    load_batch = steps.load_batch
    spy = marts.refresh_marts

    def survey_of_2020q3_fails(con, batch, *args, **kwargs):
        if batch.quarter == Q3:
            raise RuntimeError("simulated failure loading 2020Q3")
        return load_batch(con, batch, *args, **kwargs)

    def marts_from_2020q3_fail(con, window, *args, **kwargs):
        if window[0] == Q3.index:
            raise RuntimeError("simulated failure refreshing the marts from 2020Q3")
        return spy(con, window, *args, **kwargs)

    monkeypatch.setattr(steps, "load_batch", survey_of_2020q3_fails)
    monkeypatch.setattr(marts, "refresh_marts", marts_from_2020q3_fail)
    monkeypatch.setattr(marts, "refresh_marts", marts_from_2020q3_fail)  # catch_up_marts calls it there
    with pytest.raises(RefreshFailed, match="2020Q3: load failed"):
        backfill(START, END, force=True)
    # The marts from 2020Q3 on still count Gouda's withdrawn answer, and say so.
    assert windows == [_window(Q1, Q1), _window(Q2, Q2)]
    assert _behind(home) == Q3.index
    assert _gouda_hardware(home)["2020Q4"] == before["2020Q4"]

    monkeypatch.setattr(steps, "load_batch", load_batch)
    monkeypatch.setattr(marts, "refresh_marts", spy)
    monkeypatch.setattr(marts, "refresh_marts", spy)  # catch_up_marts calls it there
    summaries = backfill(START, END)
    assert [s.status for s in summaries] == ["skipped"] * 4
    assert windows[2:] == [_window(Q3, Q4)]
    assert _behind(home) is None
    _assert_gouda_2020q1_withdrawn(before, _gouda_hardware(home))
    assert _marts(_warehouse(home)) == _full_rebuild(home, tmp_path)


def test_publish_first_refreshes_marts_another_run_left_behind(home: Path, tmp_path: Path) -> None:
    from prefect import flow

    from flows.quarterly_refresh import publish
    from flows.settings import get_settings

    @flow
    def publish_only() -> Path:
        return publish(get_settings(), "test-publish", "test", read_reference())

    # As a backfill between two writes leaves them: 2020Q3 on behind, here visibly wrong.
    with connect(_warehouse(home)) as con:
        con.execute("update marts.cost_trend_quarterly set cumulative_eur = -1 where quarter >= '2020Q3'")
        con.execute("update meta.mart_state set behind_from = ?", [Q3.index])
    expected = _full_rebuild(home, tmp_path)

    snapshot = publish_only()
    assert _behind(home) is None
    published = _marts(snapshot)
    assert "cost_trend_quarterly" in published
    assert published == {table: expected[table] for table in published}
