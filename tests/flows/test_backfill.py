"""Backfills: concurrent preparation, ordered writes, skipping, resuming, restatements, two writers.

The landing zone is generated at tiny scale for 2020Q1..2021Q4 once per module; one
backfill of it (`backfilled`) is the reference the other tests compare against.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from costtrends.generate import generate
from tests.conftest import using_home
from transforms.quarter import Quarter, quarter_range
from warehouse import marts

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
START, END = "2020Q1", "2021Q4"
QUARTERS = [str(q) for q in quarter_range(Quarter.parse(START), Quarter.parse(END))]
MARTS = (
    "cost_trend_quarterly",
    "national_estimate",
    "net_cost",
    "budget_trend_quarterly",
    "survey_vs_budget",
)


def _query(db: Path, query: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(query, params or []).fetchall()


def _columns(db: Path, mart: str) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return [c[0] for c in con.sql(f"select * from marts.{mart} limit 0").description]


def _warehouse(home: Path) -> Path:
    return home / "warehouse" / "costtrends.duckdb"


def _marts(home: Path, *, until: str = "9999Q4") -> dict[str, list[tuple]]:
    """Every mart row of the working warehouse up to quarter `until`, in a fixed order."""
    return {
        m: _query(_warehouse(home), f"select * from marts.{m} where quarter <= ? order by all", [until])
        for m in MARTS
    }


def _parquet(home: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((home / "published" / "parquet").glob("*.parquet"))}


def _partitions(home: Path) -> dict[tuple[str, str], str]:
    return {
        (q, s): run_id
        for q, s, run_id in _query(_warehouse(home), "select quarter, source, run_id from meta.partitions")
    }


def _copy_home(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("work"))
    return target


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        ("landing file still being written", True),
        ("warehouse opened by another program", True),
        ("landing file gone while read", True),
        ("row accounting broken", False),
        ("warehouse busy past the lock timeout", False),
    ],
)
def test_only_transient_faults_are_retried(error: str, retried: bool) -> None:
    from prefect.states import Failed

    from flows.tasks import is_transient
    from warehouse.incremental import LandingChanged
    from warehouse.locking import WarehouseBusy

    exception = {
        "landing file still being written": LandingChanged("survey/2021Q1: a.csv changed while being read"),
        "warehouse opened by another program": duckdb.IOException("Could not set lock on file"),
        "landing file gone while read": FileNotFoundError("a.csv"),
        "row accounting broken": RuntimeError("row accounting broken for a.csv"),
        "warehouse busy past the lock timeout": WarehouseBusy("gave up after 900 s"),
    }[error]
    assert is_transient(None, None, Failed(data=exception)) is retried


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    landing = tmp_path_factory.mktemp("generated") / "landing"
    generate(landing, Quarter.parse(START), Quarter.parse(END), seed=7, scale="tiny")
    return landing


@pytest.fixture(scope="module")
def backfilled(prefect_harness: None, landing: Path, tmp_path_factory: pytest.TempPathFactory):
    """One backfill of the eight quarters, two at a time: (home, summaries)."""
    from flows.backfill import backfill

    home = tmp_path_factory.mktemp("backfilled")
    shutil.copytree(landing, home / "landing")
    with using_home(home):
        summaries = backfill(START, END, concurrency=2)
    return home, summaries


def test_backfill_of_eight_quarters_equals_eight_single_runs(
    backfilled, landing: Path, tmp_path: Path
) -> None:
    from flows.quarterly_refresh import quarterly_refresh

    home, summaries = backfilled
    assert [(s.quarter, s.reason) for s in summaries] == [(q, "new") for q in QUARTERS]
    single = tmp_path / "single"
    shutil.copytree(landing, single / "landing")
    with using_home(single):
        for q in QUARTERS:
            quarterly_refresh(q, publish_snapshot=q == QUARTERS[-1])
    assert _marts(single) == _marts(home)
    published = _parquet(home)
    assert len(published) >= len(MARTS)
    assert _parquet(single) == published


def test_rerun_skips_every_unchanged_quarter(backfilled, tmp_path: Path) -> None:
    from prefect.artifacts import Artifact

    from flows.backfill import backfill

    home = _copy_home(backfilled[0], tmp_path / "home")
    before_partitions, before_marts = _partitions(home), _marts(home)
    with using_home(home):
        summaries = backfill(START, END)
    assert [(s.quarter, s.status) for s in summaries] == [(q, "skipped") for q in QUARTERS]
    assert _partitions(home) == before_partitions
    assert _marts(home) == before_marts
    skipped = _query(
        _warehouse(home),
        "select quarter, message from meta.runs where status = 'skipped' order by quarter",
    )
    assert skipped == [(q, "inputs and code unchanged") for q in QUARTERS]
    artifact = Artifact.get("backfill-summary")
    assert artifact is not None
    assert "8 quarters: 0 refreshed, 8 skipped as unchanged." in artifact.data


@pytest.mark.parametrize("next_run", ["backfill", "quarterly refresh of another quarter"])
def test_restated_file_redoes_its_quarter_and_changes_only_rows_it_affects(
    backfilled, tmp_path: Path, next_run: str
) -> None:
    from flows.backfill import backfill
    from flows.quarterly_refresh import quarterly_refresh

    home = _copy_home(backfilled[0], tmp_path / "home")
    before_partitions, before = _partitions(home), _marts(home)
    budget = home / "landing" / "budget" / "2020Q3" / "iv3_2020Q3.csv"
    line = "GM0363;2020K3;0.4;3.2;begroting;2055464,48;0,00"
    text = budget.read_text("utf-8")
    assert text.count(line) == 1
    # Amsterdam restates one budget line: 1,000.00 euro more lasten.
    budget.write_text(text.replace(line, "GM0363;2020K3;0.4;3.2;begroting;2056464,48;0,00"), "utf-8")
    with using_home(home):
        if next_run == "backfill":
            summaries = backfill(START, END)
            assert [(s.quarter, s.reason) for s in summaries] == [
                (q, "restated" if q == "2020Q3" else None) for q in QUARTERS
            ]
            redone = {"2020Q3"}
        else:
            summary = quarterly_refresh(END)
            assert (summary.quarter, summary.reason) == (END, "requested")
            assert [(s.quarter, s.reason) for s in summary.also_refreshed] == [("2020Q3", "restated")]
            redone = {"2020Q3", END}

    after_partitions = _partitions(home)
    assert {k for k in after_partitions if after_partitions[k] != before_partitions[k]} == {
        (q, s) for q in redone for s in ("survey", "budget")
    }
    after = _marts(home)
    for mart in MARTS:
        changed = set(before[mart]) ^ set(after[mart])
        if mart == "national_estimate":
            assert not changed  # the estimate reads the survey only
        else:
            # Only Amsterdam's rows from the restated quarter on can change.
            columns = _columns(_warehouse(home), mart)
            code, quarter = columns.index("municipality_code"), columns.index("quarter")
            assert all(r[code] == "GM0363" and r[quarter] >= "2020Q3" for r in changed), mart
    old_rows = set(before["budget_trend_quarterly"]) - set(after["budget_trend_quarterly"])
    new_rows = set(after["budget_trend_quarterly"]) - set(before["budget_trend_quarterly"])
    restated_old = [r for r in old_rows if r[1] == "2020Q3"]
    restated_new = [r for r in new_rows if r[1] == "2020Q3"]
    assert len(restated_old) == len(restated_new) == 1
    # municipality_code, quarter, budget_category, kind, lasten_eur, baten_eur, ...
    assert restated_old[0][:4] == restated_new[0][:4]
    assert restated_old[0][3] == "begroting"
    assert restated_new[0][4] - restated_old[0][4] == Decimal("1000.00")
    assert restated_new[0][5] == restated_old[0][5]


@pytest.mark.parametrize("crash", ["transform", "marts"])
def test_interrupted_backfill_continues_from_the_quarter_it_stopped_at(
    backfilled, landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crash: str
) -> None:
    from flows import steps
    from flows.backfill import backfill
    from flows.quarterly_refresh import RefreshFailed

    home = tmp_path / "home"
    shutil.copytree(landing, home / "landing")
    first_year = QUARTERS[:4]
    transform_batch, refresh_marts = steps.transform_batch, marts.refresh_marts

    def transform_dies_at_2020q3(batch):
        if str(batch.quarter) == "2020Q3":
            raise RuntimeError("simulated crash while transforming 2020Q3")
        return transform_batch(batch)

    def marts_die_at_2020q3(con, window, *args, **kwargs):
        if window[0] == Quarter.parse("2020Q3").index:
            raise RuntimeError("simulated crash after the 2020Q3 load, before its marts")
        return refresh_marts(con, window, *args, **kwargs)

    if crash == "transform":
        monkeypatch.setattr(steps, "transform_batch", transform_dies_at_2020q3)
        message, loaded, reason = r"2020Q3: transform of \w+ failed: .*simulated crash", QUARTERS[:2], "new"
    else:
        monkeypatch.setattr(marts, "refresh_marts", marts_die_at_2020q3)
        monkeypatch.setattr(marts, "refresh_marts", marts_die_at_2020q3)  # catch_up_marts calls it there
        # A quarter's partitions and marts are one transaction: the crash in its marts rolls
        # back 2020Q3's partitions too, so it is new to the next backfill.
        message, loaded, reason = r"2020Q3: load failed: simulated crash", QUARTERS[:2], "new"
    with using_home(home), pytest.raises(RefreshFailed, match=message):
        backfill(first_year[0], first_year[-1], concurrency=2)
    assert sorted({q for q, _ in _partitions(home)}) == loaded
    runs = _query(_warehouse(home), "select quarter, status from meta.runs order by quarter, status")
    assert runs == [("2020Q1", "partial"), ("2020Q2", "partial"), ("2020Q3", "failed")]
    assert not (home / "published" / "costtrends.duckdb").exists()

    monkeypatch.setattr(steps, "transform_batch", transform_batch)
    monkeypatch.setattr(marts, "refresh_marts", refresh_marts)
    monkeypatch.setattr(marts, "refresh_marts", refresh_marts)  # catch_up_marts calls it there
    with using_home(home):
        summaries = backfill(first_year[0], first_year[-1], concurrency=2)
    assert [(s.quarter, s.reason) for s in summaries] == [
        ("2020Q1", None),
        ("2020Q2", None),
        ("2020Q3", reason),
        ("2020Q4", "new"),
    ]
    # Marts only look back, so the first year's rows equal those of the eight-quarter backfill.
    assert _marts(home) == _marts(backfilled[0], until=first_year[-1])


def test_backfill_on_a_dask_cluster_of_two_workers_matches_threads(
    backfilled, landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from distributed import Client, LocalCluster, get_task_stream

    from flows.backfill import backfill

    home = tmp_path / "home"
    shutil.copytree(landing, home / "landing")
    first_half = QUARTERS[:2]
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        with using_home(home), get_task_stream(client) as stream:
            monkeypatch.setenv("COSTTRENDS_TASK_RUNNER", "dask")
            monkeypatch.setenv("COSTTRENDS_DASK_ADDRESS", cluster.scheduler_address)
            summaries = backfill(first_half[0], first_half[-1])
        ran = sorted(task["key"].split("-")[0] for task in stream.data)
    assert [(s.quarter, s.reason) for s in summaries] == [(q, "new") for q in first_half]
    # Each quarter's two sources went through ingest, validate and transform on the cluster.
    assert ran == ["ingest"] * 4 + ["transform"] * 4 + ["validate"] * 4
    assert _marts(home) == _marts(backfilled[0], until=first_half[-1])


def test_two_writers_at_once_take_turns_and_both_finish(backfilled, landing: Path, tmp_path: Path) -> None:
    from prefect.settings import PREFECT_API_URL

    from warehouse.locking import warehouse_lock

    home = tmp_path / "home"
    shutil.copytree(landing, home / "landing")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("COSTTRENDS_")},
        "COSTTRENDS_HOME": str(home),
        # The session's Prefect server: no second embedded server to start.
        "PREFECT_API_URL": PREFECT_API_URL.value(),
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "COLUMNS": "200",
    }
    cli = [sys.executable, "-m", "costtrends.cli"]
    commands = {
        "backfill": [*cli, "backfill", "--from", "2020Q1", "--to", "2020Q3"],
        "run": [*cli, "run", "--quarter", "2020Q2"],
    }
    logs = {name: tmp_path / f"{name}.log" for name in commands}
    processes: dict[str, subprocess.Popen] = {}
    try:
        # Hold the warehouse while both start, so both must wait for a turn.
        with warehouse_lock(_warehouse(home), purpose="the test", timeout=1):
            for name, command in commands.items():
                with logs[name].open("w") as log:
                    processes[name] = subprocess.Popen(
                        command,
                        cwd=ROOT,
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL,
                    )
            deadline = time.monotonic() + 120
            while not all("is busy: the test" in logs[n].read_text() for n in commands):
                assert all(p.poll() is None for p in processes.values()), {
                    n: logs[n].read_text() for n in logs
                }
                assert time.monotonic() < deadline, {n: logs[n].read_text() for n in logs}
                time.sleep(0.2)
        codes = {name: p.wait(timeout=180) for name, p in processes.items()}
    finally:
        for p in processes.values():
            if p.poll() is None:
                p.kill()
                p.wait()
    output = {n: logs[n].read_text() for n in logs}
    # Exit 2: the generated files hold a few bad rows, which are quarantined.
    assert codes == {"backfill": 2, "run": 2}, output
    assert sorted({q for q, _ in _partitions(home)}) == QUARTERS[:3]
    assert _marts(home) == _marts(backfilled[0], until=QUARTERS[2])
