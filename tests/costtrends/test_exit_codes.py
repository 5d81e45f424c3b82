"""Exit codes of `costtrends run` / `backfill`: 0 clean, 2 partial, 1 failed (README, docs/operations.md)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from costtrends import cli
from flows import quarterly_refresh as refresh_flow
from flows.quarterly_refresh import RefreshFailed, RefreshSummary
from sources.base import FileReport


def _file(status: str) -> FileReport:
    return FileReport(
        "survey", "2021Q1", f"{status}.csv", "0" * 64, 10, status, None, rows_read=1, rows_loaded=1
    )


def _summary(*statuses: str, outcome: str | None = None) -> RefreshSummary:
    return RefreshSummary(
        "2021Q1", "run-1", files=[_file(s) for s in statuses], snapshot="snap", outcome=outcome
    )


def _refused() -> RefreshSummary:
    summary = _summary("loaded", "partial")
    summary.refused = ["survey 2021Q1: not replaced: ..."]
    return summary


@pytest.mark.parametrize(
    ("summary", "code"),
    [
        (_summary("loaded", "loaded"), 0),
        (_summary("loaded", "partial"), 2),
        (_summary("loaded", "rejected"), 2),
        (_summary("loaded", "deferred"), 2),
        (_summary("loaded", outcome="failed"), 1),
        (_refused(), 3),
    ],
)
def test_run_exits_with_the_code_of_its_worst_outcome(
    summary: RefreshSummary, code: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(refresh_flow, "quarterly_refresh", lambda quarter, **_: summary)
    result = CliRunner().invoke(cli.app, ["run", "--quarter", "2021Q1"])
    assert result.exit_code == code, result.output


@pytest.mark.parametrize(
    ("error", "line"),
    [
        (
            RefreshFailed("2021Q1: disk full; the next run redoes it"),
            "failed: 2021Q1: disk full; the next run redoes it",
        ),
        (RuntimeError("warehouse file is corrupt"), "failed: RuntimeError: warehouse file is corrupt"),
    ],
)
def test_a_failing_run_exits_1_with_one_line_and_no_traceback(
    error: Exception, line: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(quarter: str, **_: object) -> RefreshSummary:
        raise error

    monkeypatch.setattr(refresh_flow, "quarterly_refresh", fail)
    result = CliRunner().invoke(cli.app, ["run", "--quarter", "2021Q1"])
    assert result.exit_code == 1
    assert line in result.output
    assert "Traceback" not in result.output


def test_a_deferred_file_is_listed_with_its_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    summary = _summary("loaded", "deferred")
    summary.files[1].message = "deferred.csv: still being written"
    monkeypatch.setattr(refresh_flow, "quarterly_refresh", lambda quarter, **_: summary)
    result = CliRunner().invoke(cli.app, ["run", "--quarter", "2021Q1"], terminal_width=200)
    assert "deferred survey/2021Q1/deferred.csv: deferred.csv: still being written" in result.output


def test_markup_in_a_message_prints_as_text_and_changes_no_exit_code(monkeypatch: pytest.MonkeyPatch) -> None:
    summary = _summary("loaded", "rejected")
    summary.files[1].file_name = "[bold]x.csv"
    summary.files[1].message = "[/bold][/link] x"
    summary.warnings = ["survey 2021Q1: drift: [/red] fell"]
    monkeypatch.setattr(refresh_flow, "quarterly_refresh", lambda quarter, **_: summary)
    result = CliRunner().invoke(cli.app, ["run", "--quarter", "2021Q1"], terminal_width=200)
    assert result.exit_code == 2, result.output
    assert "rejected survey/2021Q1/[bold]x.csv: [/bold][/link] x" in result.output
    assert "warning survey 2021Q1: drift: [/red] fell" in result.output
