"""Prefect's environment defaults (flows/environment.py): set by entry points, never by an import.

The import and CLI cases run in their own Python process, with an environment that sets
none of the defaults: the test session has set them already (tests/conftest.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from flows.environment import DEFAULTS, set_defaults

ROOT = Path(__file__).resolve().parents[2]


def _python(script: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in DEFAULTS and not k.startswith("PREFECT_API")}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_set_defaults_keeps_what_the_environment_says() -> None:
    environ = {"DO_NOT_TRACK": "0", "PATH": "/bin"}
    set_defaults(environ)
    assert environ == {
        "DO_NOT_TRACK": "0",
        "PATH": "/bin",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        "GX_ANALYTICS_ENABLED": "false",
    }


@pytest.mark.integration
def test_importing_the_flows_and_the_cli_leaves_the_defaults_unset() -> None:
    done = _python(
        """
        import json, os
        names = json.loads(os.environ["NAMES"])
        import flows, flows.environment, flows.settings, flows.api_server, flows.progress
        package_only = {k: os.environ.get(k) for k in names}
        import costtrends.cli, flows.quarterly_refresh, flows.backfill, flows.fetch_cbs, flows.deployments
        print(json.dumps([package_only, {k: os.environ.get(k) for k in names}]))
        """,
        NAMES=json.dumps(sorted(DEFAULTS)),
    )
    assert done.returncode == 0, done.stderr
    unset = {name: None for name in DEFAULTS}
    assert json.loads(done.stdout.splitlines()[-1]) == [unset, unset]


@pytest.mark.integration
@pytest.mark.parametrize(
    "command", [["run", "--quarter", "2021Q1"], ["backfill", "--from", "2021Q1", "--to", "2021Q2"], ["serve"]]
)
def test_the_cli_sets_the_defaults_before_its_commands_import_prefect(
    command: list[str], tmp_path: Path
) -> None:
    # The first import of Prefect prints the environment it sees and ends the process there.
    done = _python(
        """
        import importlib.abc, json, os, sys
        names = json.loads(os.environ["NAMES"])

        class FirstPrefectImport(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "prefect":
                    print(json.dumps({k: os.environ.get(k) for k in names}), flush=True)
                    os._exit(0)
                return None

        sys.meta_path.insert(0, FirstPrefectImport())
        from costtrends import cli

        cli.app(sys.argv[1:])
        """,
        *command,
        NAMES=json.dumps(sorted(DEFAULTS)),
        COSTTRENDS_HOME=str(tmp_path),
        # No embedded server: the command goes straight on to its imports.
        PREFECT_SERVER_EPHEMERAL_ENABLED="false",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == DEFAULTS


def test_serving_sets_the_defaults_its_flow_runs_inherit(monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.deployments import deployments

    for name in DEFAULTS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DO_NOT_TRACK", "0")
    deployments()
    assert {name: os.environ.get(name) for name in DEFAULTS} == {**DEFAULTS, "DO_NOT_TRACK": "0"}
