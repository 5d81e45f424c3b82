"""A real Prefect server: deploy prefect.yaml to a process work pool and run the quarterly refresh.

Starts `prefect server start` on loopback with its own PREFECT_HOME, a process work pool
and a worker, deploys `quarterly-refresh` from prefect.yaml, runs it for 2021Q1 of the
hand-made landing zone and checks the published snapshot. Every process it starts is
stopped at the end, with its children, whatever happens.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import psutil
import pytest

from tests.conftest import copy_landing

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PREFECT = str(Path(sys.executable).with_name("prefect"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Processes:
    """Long-running processes of one test, each in its own process group, with log files."""

    def __init__(self, logs: Path, env: dict[str, str]) -> None:
        self.logs, self.env = logs, env
        self.started: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *args: str) -> subprocess.Popen:
        with (self.logs / f"{name}.log").open("w") as log:
            process = subprocess.Popen(
                [PREFECT, *args],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started[name] = process
        return process

    def run(self, *args: str, timeout: float = 120) -> str:
        done = subprocess.run(
            [PREFECT, *args],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"prefect {' '.join(args)} failed:\n{output}\n{self.tails()}"
        return output

    def tails(self) -> str:
        return "\n".join(
            f"--- {name}.log ---\n{(self.logs / f'{name}.log').read_text()[-3000:]}" for name in self.started
        )

    def stop_all(self) -> None:
        """SIGTERM every started process and its descendants (flow runs too), then SIGKILL stragglers."""
        family: list[psutil.Process] = []
        for process in self.started.values():
            with contextlib.suppress(psutil.NoSuchProcess):
                parent = psutil.Process(process.pid)
                family += [parent, *parent.children(recursive=True)]
        for process in self.started.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for member in family:
            with contextlib.suppress(psutil.NoSuchProcess):
                member.terminate()
        _, alive = psutil.wait_procs(family, timeout=20)
        for member in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                member.kill()
        psutil.wait_procs(alive, timeout=10)
        for process in self.started.values():
            process.wait(timeout=10)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Processes, Path]]:
    """A Prefect server and a process worker on loopback; yields (processes, COSTTRENDS_HOME)."""
    home = tmp_path / "home"
    copy_landing("landing_small", home)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "COSTTRENDS_"))}
    env |= {
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_LOGGING_LEVEL": "INFO",
        "COSTTRENDS_HOME": str(home),
        # `prefect deploy` records this folder as the flow runs' working directory.
        "PWD": str(ROOT),
    }
    logs = tmp_path / "logs"
    logs.mkdir()
    processes = Processes(logs, env)
    try:
        server = processes.start("server", "server", "start", "--host", "127.0.0.1", "--port", str(port))
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, processes.tails()
            assert time.monotonic() < deadline, f"no healthy server after 120 s\n{processes.tails()}"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        processes.run("work-pool", "create", "costtrends", "--type", "process")
        processes.start("worker", "worker", "start", "--pool", "costtrends")
        yield processes, home
    finally:
        processes.stop_all()


def test_quarterly_refresh_deployed_from_prefect_yaml_runs_on_a_worker(server) -> None:
    processes, home = server
    deployed = processes.run("--no-prompt", "deploy", "--name", "quarterly-refresh")
    assert "quarterly-refresh/quarterly-refresh" in deployed, deployed

    output = processes.run(
        "deployment",
        "run",
        "quarterly-refresh/quarterly-refresh",
        "--param",
        'quarter="2021Q1"',
        "--watch",
        "--watch-timeout",
        "240",
        timeout=300,
    )
    assert "Flow run finished successfully in 'Completed'" in output, f"{output}\n{processes.tails()}"

    with duckdb.connect(str(home / "published" / "costtrends.duckdb"), read_only=True) as con:
        quarters = con.execute("select distinct quarter from marts.cost_trend_quarterly").fetchall()
        # Eemsdelta's own 2021Q1 answer: 3,000 euro on hardware (tests/data/landing_small).
        hardware = con.execute(
            "select amount_eur from marts.cost_trend_quarterly "
            "where municipality_code = 'GM1979' and quarter = '2021Q1' and cost_category = 'hardware'"
        ).fetchall()
    assert quarters == [("2021Q1",)]
    assert hardware == [(Decimal("3000.00"),)]
