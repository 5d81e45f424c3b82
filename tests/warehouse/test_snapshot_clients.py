"""The published snapshot opened by the clients BI tools use, for real.

- SQLAlchemy with duckdb-engine in read-only mode, as Superset connects;
- the DuckDB command line (the `duckdb-cli` package from PyPI, an older 1.x release);
- a DuckDB 1.1 Python client, as older BI drivers bundle.

The two older clients live in their own virtualenvs under `.venv/.clients/`, made on the
first run with pip and reused after. Every value is compared as DuckDB's own text
rendering, which is the same in 1.1, 1.5 and 2.0.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa

from tests.warehouse.snapshot_helpers import build_warehouse
from warehouse import publish
from warehouse.db import connect
from warehouse.publish import checksum_sql, publish_snapshot

pytestmark = pytest.mark.integration

CLIENTS = (
    Path(sys.prefix) / ".clients"
    if sys.prefix != sys.base_prefix
    else Path(tempfile.gettempdir()) / "costtrends-clients"
)
DUCKDB_1_1 = "duckdb==1.1.3"
DUCKDB_CLI = "duckdb-cli==1.5.6"

NATIONAL = (
    "select quarter, cost_category, cast(respondents as varchar), cast(estimate_low_eur as varchar), "
    "cast(estimate_eur as varchar), cast(estimate_high_eur as varchar) "
    "from marts.national_estimate order by quarter, cost_category"
)
NET_COST = (
    "select municipality_code, quarter, cast(digital_extra_eur as varchar), cast(office_savings_eur as varchar), "
    "cast(net_cost_eur as varchar) from marts.net_cost order by municipality_code, quarter"
)


def client_venv(name: str, requirement: str) -> Path:
    """A virtualenv holding pinned packages (space-separated), made once and reused; returns its bin folder."""
    root = CLIENTS / name
    bin_dir = root / ("Scripts" if os.name == "nt" else "bin")
    stamp = root / ".installed"
    if stamp.is_file() and stamp.read_text() == requirement:
        return bin_dir
    shutil.rmtree(root, ignore_errors=True)
    venv.EnvBuilder(with_pip=True).create(root)
    subprocess.run(
        [
            str(bin_dir / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            *requirement.split(),
        ],
        check=True,
        timeout=900,
    )
    stamp.write_text(requirement)
    return bin_dir


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    con = connect(":memory:")
    build_warehouse(con, generation=1, run_id="run-clients")
    path = publish_snapshot(con, tmp_path_factory.mktemp("published"), run_id="run-clients")
    con.close()
    yield path


def _read(snapshot: Path, query: str) -> list[list[str | None]]:
    with duckdb.connect(str(snapshot), read_only=True) as con:
        return [list(row) for row in con.execute(query).fetchall()]


def _checks(snapshot: Path) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Per table: the checksum query, and the count and checksum meta.snapshot_tables holds."""
    with duckdb.connect(str(snapshot), read_only=True) as con:
        catalog = con.execute("select current_database()").fetchall()[0][0]
        listed = con.execute(
            "select table_schema || '.' || table_name, row_count, content_md5 from meta.snapshot_tables"
        ).fetchall()
        queries = {t: checksum_sql(t, publish.table_columns(con, catalog, t)) for t, _, _ in listed}
    return queries, {t: [str(n), md5] for t, n, md5 in listed}


def test_superset_reads_marts_through_sqlalchemy_read_only(snapshot: Path) -> None:
    # Read first: one process cannot hold the file open with two configurations at once.
    national, net_cost = _read(snapshot, NATIONAL), _read(snapshot, NET_COST)
    engine = sa.create_engine(f"duckdb:///{snapshot}", connect_args={"read_only": True})
    try:
        inspector = sa.inspect(engine)
        marts = {t.split(".", 1)[1] for t in publish.SNAPSHOT_TABLES if t.startswith("marts.")}
        assert marts <= set(inspector.get_table_names(schema="marts"))
        with engine.connect() as con:
            assert [list(r) for r in con.execute(sa.text(NATIONAL)).all()] == national
            assert [list(r) for r in con.execute(sa.text(NET_COST)).all()] == net_cost
            with pytest.raises(sa.exc.DBAPIError, match="read-only"):
                con.execute(sa.text("create table marts.scratch (x integer)"))
    finally:
        engine.dispose()


def test_duckdb_command_line_reads_marts_read_only(snapshot: Path) -> None:
    cli = client_venv("duckdb-cli-1.5", DUCKDB_CLI) / "duckdb"

    def run(query: str) -> list[list[str | None]]:
        done = subprocess.run(
            [str(cli), "-readonly", "-json", str(snapshot), query],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return [list(row.values()) for row in json.loads(done.stdout or "[]")]

    assert run(NATIONAL) == _read(snapshot, NATIONAL)
    assert run(NET_COST) == _read(snapshot, NET_COST)
    assert run("select source_run, storage_version from meta.snapshot") == [["run-clients", "v1.0.0"]]
    queries, expected = _checks(snapshot)
    for table, query in queries.items():
        (row,) = run(query)
        assert [str(row[0]), row[1]] == expected[table], table


def test_duckdb_1_1_client_reads_the_same_values_as_2_0(snapshot: Path) -> None:
    python = client_venv("duckdb-1.1", DUCKDB_1_1) / "python"
    queries, expected = _checks(snapshot)
    script = (
        "import duckdb, json, sys\n"
        "con = duckdb.connect(sys.argv[1], read_only=True)\n"
        "queries = json.loads(sys.argv[2])\n"
        "result = {k: [[None if v is None else str(v) for v in r] for r in con.execute(q).fetchall()]"
        " for k, q in queries.items()}\n"
        "print(json.dumps({'version': duckdb.__version__, 'result': result}))\n"
    )
    asked = {"national": NATIONAL, "net_cost": NET_COST, **{f"check:{t}": q for t, q in queries.items()}}
    done = subprocess.run(
        [str(python), "-c", script, str(snapshot), json.dumps(asked)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    answer = json.loads(done.stdout)
    assert answer["version"] == "1.1.3"
    assert answer["result"]["national"] == _read(snapshot, NATIONAL)
    assert answer["result"]["net_cost"] == _read(snapshot, NET_COST)
    for table in queries:
        assert answer["result"][f"check:{table}"] == [expected[table]], table
