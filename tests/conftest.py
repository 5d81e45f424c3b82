"""Shared fixtures: a Prefect test server for the session and throw-away homes."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from flows.environment import offline_defaults

DATA = Path(__file__).resolve().parent / "data"

# The test session is an entry point too: Prefect's no-network defaults before it is imported.
offline_defaults()


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect server and database for every flow test."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty COSTTRENDS_HOME for one test."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("COSTTRENDS_HOME", str(home))
    for name in ("LANDING_DIR", "WAREHOUSE_PATH", "PUBLISHED_DIR", "DOCS_DIR", "CONFIG"):
        monkeypatch.delenv(f"COSTTRENDS_{name}", raising=False)
    return home


def copy_landing(name: str, home: Path) -> Path:
    """Copy the landing zone `tests/data/<name>` into the home's landing folder."""
    target = home / "landing"
    shutil.copytree(DATA / name, target)
    return target


@contextmanager
def using_home(home: Path) -> Iterator[Path]:
    """COSTTRENDS_HOME points at `home` inside the block (for module-scoped fixtures too)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COSTTRENDS_HOME", str(home))
        for name in list(os.environ):
            if name.startswith("COSTTRENDS_") and name != "COSTTRENDS_HOME":
                mp.delenv(name)
        yield home
