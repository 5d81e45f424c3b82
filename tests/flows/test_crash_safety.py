"""A refresh killed with SIGKILL at any stage loses nothing; the next run completes.

`costtrends run` runs as a real subprocess that pauses at a fault point
(warehouse/faults.py: `COSTTRENDS_FAULT_POINT`, `COSTTRENDS_FAULT_ACTION=pause`) and is
killed there with SIGKILL: after reading the landing files, inside the load transaction
after the quarter's raw rows were replaced, and in publish after the snapshot's temp file is
written but before it is renamed. After each kill the warehouse opens (DuckDB replays or
drops its WAL) with its marts as before the run, the published snapshot is byte for byte
the previous one (or absent before the first publish), and a normal run then ends with the
marts of a run that was never interrupted.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import copy_landing

pytestmark = pytest.mark.integration

COSTTRENDS = Path(sys.executable).with_name("costtrends")


def _marts(db: Path) -> dict[str, list[tuple]]:
    """Every mart's rows, ordered by all columns; {} when the file does not exist."""
    if not db.exists():
        return {}
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts'"
            ).fetchall()
        ]
        return {t: con.execute(f"select * from marts.{t} order by all").fetchall() for t in sorted(tables)}


def _digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def _refresh_in_process(home: Path, quarter: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.quarterly_refresh import quarterly_refresh

    monkeypatch.setenv("COSTTRENDS_HOME", str(home))
    quarterly_refresh(quarter)


def _run_and_kill(home: Path, quarter: str, point: str) -> None:
    """Start `costtrends run`, wait until it pauses at `point`, SIGKILL its process group."""
    from prefect.settings import PREFECT_API_URL

    marker = home / f"fault-{point.replace(':', '-')}"
    env = {
        **os.environ,
        "COSTTRENDS_HOME": str(home),
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "COSTTRENDS_FAULT_POINT": point,
        "COSTTRENDS_FAULT_ACTION": "pause",
        "COSTTRENDS_FAULT_MARKER": str(marker),
    }
    process = subprocess.Popen(
        [str(COSTTRENDS), "run", "--quarter", quarter],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            if process.poll() is not None:
                pytest.fail(
                    f"run ended (exit {process.returncode}) before {point}: {process.stderr.read()[-2000:]!r}"
                )
            if time.monotonic() > deadline:
                pytest.fail(f"run did not reach {point}")
            time.sleep(0.05)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    marker.unlink()


@pytest.fixture(scope="module")
def uninterrupted(prefect_harness: None, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple]]:
    """The marts after 2020Q4 and 2021Q1 are refreshed without interruption."""
    home = tmp_path_factory.mktemp("uninterrupted")
    copy_landing("landing_small", home)
    with pytest.MonkeyPatch.context() as monkeypatch:
        _refresh_in_process(home, "2020Q4", monkeypatch)
        _refresh_in_process(home, "2021Q1", monkeypatch)
    return _marts(home / "published" / "costtrends.duckdb")


def test_a_killed_refresh_leaves_the_previous_state_and_the_next_run_completes(
    uninterrupted: dict[str, list[tuple]], home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy_landing("landing_small", home)
    warehouse = home / "warehouse" / "costtrends.duckdb"
    snapshot = home / "published" / "costtrends.duckdb"

    # The very first run, killed inside its load transaction: nothing is published,
    # and the warehouse opens with no survey or budget rows.
    _run_and_kill(home, "2020Q4", "load:after_delete")
    assert not snapshot.exists()
    with duckdb.connect(str(warehouse)) as con:  # read-write: replays or drops the WAL
        counts = con.execute(
            "select (select count(*) from core.fct_survey_cost), (select count(*) from core.fct_budget),"
            " (select count(*) from meta.partitions)"
        ).fetchall()
    assert counts == [(0, 0, 0)]

    _refresh_in_process(home, "2020Q4", monkeypatch)
    before_marts, before_snapshot = _marts(warehouse), _digest(snapshot)
    assert before_marts and before_snapshot

    for point in ("ingest:after_read", "load:after_delete"):
        _run_and_kill(home, "2021Q1", point)
        assert _marts(warehouse) == before_marts, point
        assert _digest(snapshot) == before_snapshot, point

    # Killed between writing the new snapshot and renaming it: the 2021Q1 load is committed
    # in the warehouse, the published snapshot is still the previous one, a temp file remains.
    _run_and_kill(home, "2021Q1", "publish:before_rename")
    assert _digest(snapshot) == before_snapshot
    leftovers = sorted(p.name for p in snapshot.parent.rglob("*.tmp"))
    assert leftovers

    _refresh_in_process(home, "2021Q1", monkeypatch)
    assert _marts(snapshot) == uninterrupted
    assert _marts(warehouse) == uninterrupted
    assert not [p for p in snapshot.parent.rglob("*") if p.name.endswith(".tmp") or p.name in leftovers]


def test_a_quarter_is_written_whole_or_not_at_all(
    uninterrupted: dict[str, list[tuple]], home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed after the survey partition was written and before the budget one: neither is."""
    copy_landing("landing_small", home)
    warehouse = home / "warehouse" / "costtrends.duckdb"
    _refresh_in_process(home, "2020Q4", monkeypatch)
    before_marts = _marts(warehouse)

    _run_and_kill(home, "2021Q1", "write:between_sources")
    with duckdb.connect(str(warehouse)) as con:  # read-write: replays or drops the WAL
        written = con.execute(
            "select (select count(*) from core.fct_survey_response where quarter = '2021Q1'),"
            " (select count(*) from core.fct_budget where quarter = '2021Q1'),"
            " (select count(*) from meta.partitions where quarter = '2021Q1'),"
            " (select count(*) from meta.runs where quarter = '2021Q1')"
        ).fetchall()
    assert written == [(0, 0, 0, 0)]
    assert _marts(warehouse) == before_marts

    _refresh_in_process(home, "2021Q1", monkeypatch)
    assert _marts(warehouse) == uninterrupted
