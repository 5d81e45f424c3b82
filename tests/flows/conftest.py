"""Fixtures of the flow tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from ingest.reference import read_reference
from warehouse.db import connect
from warehouse.seeds import load_reference


@pytest.fixture
def warehouse(home: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The home's working warehouse with the reference dims loaded from the seeds."""
    con = connect(home / "warehouse" / "costtrends.duckdb")
    load_reference(con, read_reference())
    yield con
    con.close()
