"""The embedded API server a command starts before its imports (flows/api_server.py).

Each case runs in its own Python process: Prefect reads its settings once per process,
and the test session's own harness already names an API.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import psutil
import pytest

from flows import api_server

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from flows import api_server

    server = api_server.start()
    pid = server.process.pid if server.process else None
    if sys.argv[1] == "kill" and server.process:
        server.process.kill()
        server.process.wait()
    from prefect import flow
    from prefect.settings import PREFECT_API_URL

    adopted = server.adopt()

    @flow
    def answer() -> dict:
        from prefect.settings import get_current_settings

        return {"result": 42, "heartbeat": get_current_settings().flows.heartbeat_frequency}

    with server.flow_settings():
        got = answer()
    print(json.dumps({"pid": pid, "adopted": adopted, "api": PREFECT_API_URL.value(), **got}))
    """
)


def _run(tmp_path: Path, mode: str, **env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    clean.update(PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_LOGGING_LEVEL="ERROR", **env)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_flows_run_on_the_early_server_and_it_stops_with_the_process(tmp_path: Path) -> None:
    got = _run(tmp_path, "normal")

    assert got["result"] == 42
    assert got["heartbeat"] is None  # the server ends with the process: nothing to tell it
    assert got["adopted"].startswith("http://127.0.0.1:") and got["adopted"].endswith("/api")
    assert got["api"] == got["adopted"]
    assert not psutil.pid_exists(got["pid"])


def test_a_server_that_does_not_come_up_leaves_prefect_to_start_its_own(tmp_path: Path) -> None:
    got = _run(tmp_path, "kill")

    assert got["pid"] is not None
    assert got["adopted"] is None
    assert got["api"] is None  # Prefect's own ephemeral server, not a configured API
    assert got["result"] == 42
    assert got["heartbeat"] == 180  # Prefect's default, untouched


def test_nothing_starts_when_an_api_is_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")

    server = api_server.start()

    assert server.process is None
    assert server.adopt() is None


def test_the_server_ends_when_the_command_is_killed_with_sigkill(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import sys, time
        from flows import api_server

        server = api_server.start()
        print(server.process.pid, flush=True)
        server.adopt()
        print("up", flush=True)
        time.sleep(300)
        """
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    clean.update(PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_LOGGING_LEVEL="ERROR")
    command = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, env=clean, stdout=subprocess.PIPE, text=True
    )
    server: psutil.Process | None = None
    try:
        server_pid = int(command.stdout.readline())
        server = psutil.Process(server_pid)
        assert command.stdout.readline().strip() == "up"
        command.kill()  # SIGKILL: no exit handler runs
        command.wait()
        server.wait(timeout=20)  # psutil.TimeoutExpired if the server outlives it
    finally:
        if command.poll() is None:
            command.kill()
        command.stdout.close()
        if server is not None and server.is_running():  # a failed test leaves no server behind
            server.kill()
    assert not psutil.pid_exists(server_pid) or psutil.Process(server_pid).status() == psutil.STATUS_ZOMBIE
