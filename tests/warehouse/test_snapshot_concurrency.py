"""BI readers query the published snapshot in a loop while refreshes publish new ones.

Three reader processes open the snapshot read-only over and over, by turns through
`costtrends.duckdb` and through the file `costtrends.current` names; meanwhile the test
publishes five snapshots: four from a prepared warehouse with different contents and
then one by a real quarterly refresh of a small landing zone. Before each next publish it
waits until every reader has read the current one, so every snapshot is read while
the next is being written. No read may fail, and every read must find each table
exactly as its `meta.snapshot_tables` row describes it.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import copy_landing
from tests.warehouse.snapshot_helpers import build_warehouse
from warehouse.db import connect
from warehouse.publish import publish_snapshot

pytestmark = pytest.mark.integration

READERS = 3
READER = Path(__file__).with_name("snapshot_reader.py")
ROOT = Path(__file__).resolve().parents[2]


def _snapshot_id(published: Path) -> str:
    with duckdb.connect(str(published / "costtrends.duckdb"), read_only=True) as con:
        return str(con.execute("select snapshot_id from meta.snapshot").fetchall()[0][0])


def _lines(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def _wait_until_read(logs: list[Path], snapshot_id: str, readers: list[subprocess.Popen]) -> None:
    """Block until every reader has logged a read of `snapshot_id` (bounded: 60 s)."""
    deadline = time.monotonic() + 60
    while not all(f"ok {snapshot_id}" in _lines(log) for log in logs):
        if time.monotonic() > deadline or any(r.poll() is not None for r in readers):
            pytest.fail(f"a reader never read snapshot {snapshot_id}: " + " | ".join(_lines(logs[0])[-3:]))
        time.sleep(0.02)


def test_readers_see_only_whole_snapshots_while_refreshes_run(
    prefect_harness: None, home: Path, tmp_path: Path
) -> None:
    from flows.quarterly_refresh import quarterly_refresh

    copy_landing("landing_small", home)
    published = home / "published"
    prepared = connect(":memory:")
    build_warehouse(prepared, generation=0, run_id="prepared-0")
    publish_snapshot(prepared, published, run_id="prepared-0")
    published_ids = [_snapshot_id(published)]

    stop = tmp_path / "stop"
    logs = [tmp_path / f"reader-{i}.log" for i in range(READERS)]
    readers = [
        subprocess.Popen([sys.executable, str(READER), str(published), str(log), str(stop), "240"], cwd=ROOT)
        for log in logs
    ]
    try:
        _wait_until_read(logs, published_ids[-1], readers)
        for generation in range(1, 4):
            build_warehouse(prepared, generation=generation, run_id=f"prepared-{generation}")
            publish_snapshot(prepared, published, run_id=f"prepared-{generation}")
            published_ids.append(_snapshot_id(published))
            _wait_until_read(logs, published_ids[-1], readers)
        prepared.close()
        quarterly_refresh("2021Q1")
        published_ids.append(_snapshot_id(published))
        _wait_until_read(logs, published_ids[-1], readers)
    finally:
        stop.touch()
        for reader in readers:
            reader.wait(timeout=60)

    assert len(set(published_ids)) == 5
    for log in logs:
        lines = _lines(log)
        assert [line for line in lines if not line.startswith("ok ")] == []
        ids_in_order = list(dict.fromkeys(line.split()[1] for line in lines))
        assert ids_in_order == published_ids
    assert [r.returncode for r in readers] == [0] * READERS
    # Each snapshot under its own name (none superseded an hour ago yet), the pointer, the stable name.
    assert len(list(published.glob("snapshots/*/costtrends.duckdb"))) == 5
    assert sorted(p.name for p in published.iterdir()) == sorted(
        ["snapshots", "costtrends.current", "costtrends.duckdb", "parquet"]
    )
