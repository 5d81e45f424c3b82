"""`costtrends status` and `quarantine` read the working warehouse between two writes.

DuckDB refuses a reader while another process writes the file; the commands wait for
the writers' lock instead of failing with DuckDB's lock error.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from costtrends.cli import app
from warehouse.db import connect

WRITER = textwrap.dedent(
    """
    import sys, time
    import duckdb
    from warehouse.locking import warehouse_lock

    warehouse = __import__("pathlib").Path(sys.argv[1])
    with warehouse_lock(warehouse, purpose="a test write", timeout=5):
        con = duckdb.connect(str(warehouse))
        print("writing", flush=True)
        time.sleep(float(sys.argv[2]))
        con.close()
    """
)


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COSTTRENDS_HOME", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")
    path = tmp_path / "warehouse" / "costtrends.duckdb"
    connect(path).close()  # the schemas, empty
    return path


def _writer(warehouse: Path, seconds: float) -> subprocess.Popen[str]:
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(warehouse), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
    return writer


@pytest.mark.parametrize("command", [["status"], ["quarantine", "--format", "json"]])
def test_a_reader_waits_for_the_writer_instead_of_failing(warehouse: Path, command: list[str]) -> None:
    writer = _writer(warehouse, 2)
    with pytest.raises(duckdb.IOException):  # what the commands met before they took the lock
        duckdb.connect(str(warehouse), read_only=True)

    result = CliRunner().invoke(app, command)
    writer.wait(timeout=30)

    assert result.exit_code == 0, result.output
    assert "is busy: a test write" in result.output


def test_a_reader_gives_up_after_the_lock_timeout_naming_the_writer(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COSTTRENDS_LOCK_TIMEOUT_SECONDS", "0.5")
    writer = _writer(warehouse, 5)
    try:
        result = CliRunner().invoke(app, ["status"])
    finally:
        writer.kill()
        writer.wait()

    assert result.exit_code == 1
    assert "still held by a test write" in result.output  # it did not wait the writer's 5 s out


def test_demo_environment_points_every_path_at_the_demo_home(tmp_path: Path) -> None:
    from costtrends.cli import demo_environment

    environ = {
        "COSTTRENDS_HOME": "/srv/costtrends",
        "COSTTRENDS_WAREHOUSE_PATH": "/srv/costtrends/wh.duckdb",
        "COSTTRENDS_PUBLISHED_DIR": "/srv/published",
        "COSTTRENDS_LANDING_DIR": "/mnt/share",
        "COSTTRENDS_CONFIG": "/etc/costtrends.toml",
        "COSTTRENDS_CONCURRENCY": "2",
        "PATH": "/usr/bin",
    }
    demo_environment(environ, tmp_path / "demo")
    assert environ == {
        "COSTTRENDS_HOME": str((tmp_path / "demo").resolve()),
        "COSTTRENDS_CONCURRENCY": "2",
        "PATH": "/usr/bin",
    }
