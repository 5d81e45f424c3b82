"""The benchmark still runs: scenario 2 at tiny scale prints its rows. Nothing is timed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]


def test_bench_prints_pipeline_baseline_and_ratios_for_one_quarter(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            "--scenario",
            "2",
            "--scale",
            "tiny",
            "--no-warm-up",
            "--workdir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert any(line.startswith("== scenario 2: one quarter at tiny scale (2026Q4: ") for line in lines)
    for label in (
        "pipeline: costtrends run",
        "baseline: bare DuckDB",
        "ratio pipeline / baseline",
        "ratio pipeline / baseline, cpu",
        "budget step (read+validate+transform+load)",
        "bare DuckDB read_csv into a table",
        "ratio budget step / read_csv",
    ):
        assert any(line.strip().startswith(label) for line in lines), label
    ratio = next(line for line in lines if line.strip().startswith("ratio pipeline / baseline "))
    assert ratio.rstrip().endswith("x")


def test_bench_prints_the_per_quarter_cost_and_whole_backfill_ratios(tmp_path: Path) -> None:
    # Backfills of 1 and 2 quarters: the smallest run that exercises the difference.
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            "--scenario",
            "6",
            "--scale",
            "tiny",
            "--base-quarters",
            "1",
            "--step",
            "1",
            "--whole",
            "2",
            "--no-warm-up",
            "--workdir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert any(
        line.startswith(
            "== scenario 6: the cost of one more quarter at tiny scale (backfills of 1, 2 quarters"
        )
        for line in lines
    )
    for label in (
        "pipeline: backfill of 1 quarter ",
        "pipeline: backfill of 2 quarters",
        "baseline: 1 quarter ",
        "baseline: 2 quarters",
        "pipeline: per quarter",
        "baseline: per quarter",
        "ratio per quarter (aim 2.0x)",
        "ratio per quarter, cpu",
        "ratio whole backfill of 2 ",
        "ratio whole backfill of 2, cpu",
        "peak RSS, largest process, any pipeline run",
    ):
        assert any(line.startswith(label) for line in lines), label
    # At tiny scale the baseline's difference may round to nothing: a ratio or a dash.
    per_quarter = next(line for line in lines if line.startswith("ratio per quarter (aim"))
    assert per_quarter.endswith(("x", "-"))
