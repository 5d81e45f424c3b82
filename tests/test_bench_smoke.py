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
