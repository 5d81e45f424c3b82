"""Which quarters a run redoes: unchanged inputs and code are skipped, anything else is redone."""

from __future__ import annotations

from pathlib import Path

import pytest

from transforms.quarter import Quarter
from warehouse.incremental import (
    LandingChanged,
    check_unchanged,
    landing_hashes,
    plan_quarters,
)
from warehouse.version import code_version

Q1, Q2 = Quarter(2021, 1), Quarter(2021, 2)


def _state(quarter: Quarter, survey: str, budget: str, *, version: str | None = None, finished: bool = True):
    version = version or code_version()
    return {
        (str(quarter), "survey"): (survey, version, finished),
        (str(quarter), "budget"): (budget, version, finished),
    }


def _hashes(quarter: Quarter, survey: str, budget: str) -> dict[tuple[Quarter, str], str]:
    return {(quarter, "survey"): survey, (quarter, "budget"): budget}


def test_a_quarter_loaded_from_the_same_files_and_code_is_skipped() -> None:
    [plan] = plan_quarters(_state(Q1, "a.csv:1", "b.csv:2"), [Q1], _hashes(Q1, "a.csv:1", "b.csv:2"))
    assert (plan.reason, plan.skipped) == (None, True)


def test_force_redoes_an_unchanged_quarter() -> None:
    state, hashes = _state(Q1, "a.csv:1", "b.csv:2"), _hashes(Q1, "a.csv:1", "b.csv:2")
    [plan] = plan_quarters(state, [Q1], hashes, force=True)
    assert (plan.reason, plan.skipped) == ("forced", False)


def test_a_changed_file_restates_its_quarter_and_names_the_source() -> None:
    plans = plan_quarters(
        {**_state(Q1, "a.csv:1", "b.csv:2"), **_state(Q2, "c.csv:3", "d.csv:4")},
        [Q2, Q1],
        {**_hashes(Q1, "a.csv:1", "b.csv:2"), **_hashes(Q2, "c.csv:3", "d.csv:99")},
    )
    assert [(str(p.quarter), p.reason, p.detail) for p in plans] == [
        ("2021Q1", None, "inputs and code unchanged"),
        ("2021Q2", "restated", "budget files changed"),
    ]


def test_a_removed_file_restates_its_quarter() -> None:
    [plan] = plan_quarters(
        _state(Q1, "a.csv:1,late.csv:5", "b.csv:2"), [Q1], _hashes(Q1, "a.csv:1", "b.csv:2")
    )
    assert plan.reason == "restated"


def test_a_quarter_never_loaded_is_new() -> None:
    [plan] = plan_quarters({}, [Q1], _hashes(Q1, "a.csv:1", ""))
    assert plan.reason == "new"


def test_a_quarter_whose_run_died_before_its_marts_is_unfinished() -> None:
    state = _state(Q1, "a.csv:1", "b.csv:2", finished=False)
    [plan] = plan_quarters(state, [Q1], _hashes(Q1, "a.csv:1", "b.csv:2"))
    assert plan.reason == "unfinished"


def test_a_quarter_with_one_source_loaded_is_unfinished() -> None:
    state = {k: v for k, v in _state(Q1, "a.csv:1", "b.csv:2").items() if k[1] == "survey"}
    [plan] = plan_quarters(state, [Q1], _hashes(Q1, "a.csv:1", "b.csv:2"))
    assert plan.reason == "unfinished"


def test_a_quarter_loaded_by_other_code_is_redone() -> None:
    state = _state(Q1, "a.csv:1", "b.csv:2", version="0.0.1+000000000000")
    [plan] = plan_quarters(state, [Q1], _hashes(Q1, "a.csv:1", "b.csv:2"))
    assert plan.reason == "code"


def test_landing_hashes_name_each_file_with_its_sha256_in_name_order(tmp_path: Path) -> None:
    folder = tmp_path / "survey" / "2021Q1"
    folder.mkdir(parents=True)
    (folder / "b.csv").write_bytes(b"x")
    (folder / "a.csv").write_bytes(b"")
    (folder / "c.csv.part").write_bytes(b"still arriving")
    assert landing_hashes(tmp_path, "survey", Q1) == (
        "a.csv:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855,"
        "b.csv:2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"
    )
    assert landing_hashes(tmp_path, "budget", Q1) == ""


def test_a_file_that_grew_while_read_is_named() -> None:
    before = [("a.csv", 10, 1), ("b.csv", 5, 1)]
    with pytest.raises(LandingChanged, match=r"survey/2021Q1: b\.csv changed while being read"):
        check_unchanged(before, [("a.csv", 10, 1), ("b.csv", 9, 2)], "survey/2021Q1")
    check_unchanged(before, list(before), "survey/2021Q1")
