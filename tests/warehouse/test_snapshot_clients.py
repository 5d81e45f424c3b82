"""The published snapshot opened by the clients BI tools use, for real, as docs/bi.md says.

- SQLAlchemy with duckdb-engine in read-only mode, as Superset connects, and its table
  metadata with the combination Superset ships (SQLAlchemy 1.4);
- the DuckDB command line (the `duckdb-cli` package from PyPI, an older 1.x release);
- DuckDB 1.1, 1.0 and 0.10.3 Python clients, as older BI drivers bundle, and 0.10.2, the
  newest release that cannot read the snapshot;
- pooled readers during a refresh: Superset's default (a new connection per query), and the
  SQLAlchemy pool and Node (`@duckdb/node-api`, installed with npm) recipes of docs/bi.md,
  run from the guide's own text;
- a client that opens the snapshot read-write while readers read.

The other clients live in their own virtualenvs under `.venv/.clients/`, made on the
first run with pip and reused after; a test whose client pip cannot download (no package
index) is skipped with pip's reason. Every value is compared as DuckDB's own text
rendering, which is the same from 0.10.3 to 2.0.
"""

from __future__ import annotations

import json
import os
import re
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
from warehouse.publish import checksum_sql, current_snapshot, publish_snapshot

pytestmark = pytest.mark.integration

CLIENTS = (
    Path(sys.prefix) / ".clients"
    if sys.prefix != sys.base_prefix
    else Path(tempfile.gettempdir()) / "costtrends-clients"
)
DUCKDB_1_1 = "duckdb==1.1.3"
DUCKDB_CLI = "duckdb-cli==1.5.6"
# The oldest DuckDB that reads a snapshot (storage v1.0.0, with comments), and the newest that cannot.
DUCKDB_MINIMUM = "duckdb==0.10.3"
DUCKDB_TOO_OLD = "duckdb==0.10.2"
# Superset ships SQLAlchemy 1.4; duckdb-engine 0.17 on SQLAlchemy 2.x fails on table metadata.
SUPERSET_STACK = "sqlalchemy==1.4.54 duckdb-engine==0.17.0 duckdb==2.0.1"
NODE_API = "@duckdb/node-api@1.5.6-r.1"
DOC = Path(__file__).resolve().parents[2] / "docs" / "bi.md"
# What pip says when it cannot reach the package index (then a client test is skipped).
_NO_INDEX = (
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "No matching distribution found",
)

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
    done = subprocess.run(
        [
            str(bin_dir / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            *requirement.split(),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        if any(sign in done.stderr for sign in _NO_INDEX):
            pytest.skip(f"pip could not download {requirement}: {done.stderr.strip().splitlines()[-1]}")
        raise RuntimeError(f"pip install {requirement} failed:\n{done.stderr}")
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
        marts = {t.split(".", 1)[1] for t in publish.snapshot_tables() if t.startswith("marts.")}
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


@pytest.mark.parametrize(
    ("name", "requirement"),
    [("duckdb-1.1", DUCKDB_1_1), ("duckdb-1.0", "duckdb==1.0.0"), ("duckdb-0.10", DUCKDB_MINIMUM)],
)
def test_older_duckdb_clients_read_the_same_values_as_2_0(
    snapshot: Path, name: str, requirement: str
) -> None:
    python = client_venv(name, requirement) / "python"
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
    assert answer["version"] == requirement.split("==")[1]
    assert answer["result"]["national"] == _read(snapshot, NATIONAL)
    assert answer["result"]["net_cost"] == _read(snapshot, NET_COST)
    for table in queries:
        assert answer["result"][f"check:{table}"] == [expected[table]], table


def test_duckdb_before_0_10_3_cannot_read_the_snapshot(snapshot: Path) -> None:
    python = client_venv("duckdb-0.10.2", DUCKDB_TOO_OLD) / "python"
    script = "import duckdb, sys\nduckdb.connect(sys.argv[1], read_only=True)\n"
    done = subprocess.run(
        [str(python), "-c", script, str(snapshot)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "Serialization Error" in done.stderr


def test_superset_stack_reads_table_metadata(snapshot: Path) -> None:
    # What Superset asks for a dataset: columns (with comments), keys, constraints, reflection.
    python = client_venv("superset-stack", SUPERSET_STACK) / "python"
    script = (
        "import json, sys\n"
        "import sqlalchemy as sa\n"
        "engine = sa.create_engine('duckdb:///' + sys.argv[1], connect_args={'read_only': True})\n"
        "inspector = sa.inspect(engine)\n"
        "columns = inspector.get_columns('net_cost', schema='marts')\n"
        "print(json.dumps({\n"
        "    'sqlalchemy': sa.__version__,\n"
        "    'columns': [[c['name'], str(c['type']), c['comment']] for c in columns],\n"
        "    'pk': inspector.get_pk_constraint('net_cost', schema='marts')['constrained_columns'],\n"
        "    'fk': inspector.get_foreign_keys('net_cost', schema='marts'),\n"
        "    'unique': inspector.get_unique_constraints('net_cost', schema='marts'),\n"
        "    'indexes': inspector.get_indexes('net_cost', schema='marts'),\n"
        "    'reflected': list(sa.Table('net_cost', sa.MetaData(), schema='marts', autoload_with=engine).c.keys()),\n"
        "}))\n"
    )
    done = subprocess.run(
        [str(python), "-c", script, str(snapshot)], capture_output=True, text=True, timeout=120, check=True
    )
    answer = json.loads(done.stdout)
    names = [
        "municipality_code",
        "quarter",
        "digital_extra_eur",
        "office_savings_eur",
        "net_cost_eur",
        "quarter_start",
    ]
    assert answer["sqlalchemy"] == "1.4.54"
    assert [c[0] for c in answer["columns"]] == names
    assert answer["columns"][-1][1] == "DATE"
    assert answer["columns"][0][2] == "CBS municipality code on the boundary set"
    assert (answer["pk"], answer["fk"], answer["unique"], answer["indexes"]) == ([], [], [], [])
    assert answer["reflected"] == names


def _recipe(heading: str) -> str:
    """The Python code block under `heading` in docs/bi.md, as a user would copy it."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split(f"\n{heading}\n", 1)[1]
    return re.search(r"```python\n(.*?)```", section, flags=re.S)[1]  # type: ignore[index]


def _source_run(con: sa.Connection) -> str:
    return str(con.execute(sa.text("select source_run from meta.snapshot")).scalar_one())


@pytest.fixture
def refreshed_warehouse() -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(":memory:")
    build_warehouse(con, generation=0, run_id="run-0")
    yield con
    con.close()


def test_superset_default_connection_per_query_sees_a_refresh(
    refreshed_warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # Superset opens analytics databases with NullPool unless told otherwise: one connection
    # per query, closed after it, so each query opens costtrends.duckdb as it is then.
    snapshot = publish_snapshot(refreshed_warehouse, tmp_path, run_id="run-0")
    engine = sa.create_engine(
        f"duckdb:///{snapshot}", poolclass=sa.pool.NullPool, connect_args={"read_only": True}
    )
    try:
        with engine.connect() as con:
            assert _source_run(con) == "run-0"
        build_warehouse(refreshed_warehouse, generation=1, run_id="run-1")
        publish_snapshot(refreshed_warehouse, tmp_path, run_id="run-1")
        with engine.connect() as con:
            assert _source_run(con) == "run-1"
            assert con.execute(sa.text("select count(*) from marts.net_cost")).scalar_one() == 8
    finally:
        engine.dispose()


def test_a_pool_on_costtrends_duckdb_keeps_the_old_snapshot_while_it_holds_a_connection(
    refreshed_warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # What docs/bi.md warns about: DuckDB hands a process the database it already has open on a path.
    snapshot = publish_snapshot(refreshed_warehouse, tmp_path, run_id="run-0")
    engine = sa.create_engine(f"duckdb:///{snapshot}", connect_args={"read_only": True})
    try:
        with engine.connect() as held:
            assert _source_run(held) == "run-0"
            build_warehouse(refreshed_warehouse, generation=1, run_id="run-1")
            publish_snapshot(refreshed_warehouse, tmp_path, run_id="run-1")
            with engine.connect() as new:
                assert _source_run(new) == "run-0"
    finally:
        engine.dispose()


def test_the_guides_pool_recipe_serves_the_new_snapshot_after_a_refresh(
    refreshed_warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    namespace: dict[str, object] = {}
    exec(_recipe("### Python services and pools (SQLAlchemy)"), namespace)  # noqa: S102 - the guide's own code
    publish_snapshot(refreshed_warehouse, tmp_path, run_id="run-0")
    engine = namespace["snapshot_engine"](tmp_path, pool_size=2)  # type: ignore[operator]
    try:
        with engine.connect() as first:
            assert _source_run(first) == "run-0"
        with engine.connect() as held:  # a long dashboard query, open across the refresh
            assert _source_run(held) == "run-0"
            build_warehouse(refreshed_warehouse, generation=1, run_id="run-1")
            publish_snapshot(refreshed_warehouse, tmp_path, run_id="run-1")
            with engine.connect() as new:  # a new connection while the old one is open
                assert _source_run(new) == "run-1"
                assert new.execute(sa.text("select count(*) from marts.net_cost")).scalar_one() == 8
                assert new.execute(sa.text("select current_database()")).scalar_one() == "costtrends"
            assert _source_run(held) == "run-0"  # consistent until it is given back
        for _ in range(3):  # every pooled connection, including the one held, now reads run-1
            with engine.connect() as con:
                assert _source_run(con) == "run-1"
    finally:
        engine.dispose()


def _world_readable_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="costtrends-rw-"))
    folder.chmod(0o755)
    return folder


def test_a_read_write_opener_fails_and_readers_keep_reading(
    refreshed_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    # A client without its read-only option (polars ADBC, the CLI without -readonly, Harlequin
    # without -r) asks for the write lock. The file is read-only, so it fails at once. Root is
    # not held back by file modes (docs/bi.md: mount the folder read-only), so as root the
    # opener runs as the unprivileged user `nobody`, as a BI tool's own account would.
    folder = _world_readable_folder()
    try:
        snapshot = publish_snapshot(refreshed_warehouse, folder, run_id="run-0")
        opener = (
            "import duckdb, sys, time\n"
            "try:\n"
            "    con = duckdb.connect(sys.argv[1])\n"
            "except duckdb.Error as exc:\n"
            "    print('refused:', exc, flush=True)\n"
            "    sys.exit(0)\n"
            "print('opened read-write', flush=True)\n"
            "time.sleep(10)\n"
        )
        as_user = {"user": "nobody"} if os.geteuid() == 0 else {}
        for path in (snapshot, current_snapshot(folder)):
            writer = subprocess.Popen(
                [sys.executable, "-c", opener, str(path)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                **as_user,  # type: ignore[call-overload]
            )
            try:
                first_line = writer.stdout.readline()  # type: ignore[union-attr]
                with duckdb.connect(str(snapshot), read_only=True) as reader:
                    assert reader.execute("select source_run from meta.snapshot").fetchall() == [("run-0",)]
            finally:
                writer.kill()
                writer.wait(timeout=30)
            assert first_line.startswith("refused:"), first_line + writer.stderr.read()  # type: ignore[union-attr]
            assert "Permission denied" in first_line
    finally:
        for path in sorted(folder.rglob("*"), reverse=True):
            path.unlink() if not path.is_dir() else path.rmdir()
        folder.rmdir()


def node_client(package: str) -> Path:
    """A folder with `package` installed by npm, made once and reused; skips without node or registry."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not installed")
    root = CLIENTS / "node"
    stamp = root / ".installed"
    if stamp.is_file() and stamp.read_text() == package:
        return root
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    (root / "package.json").write_text('{"private": true, "type": "module"}\n')
    done = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--silent", package],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no message"])[-1]
        if any(sign in done.stderr for sign in ("ENOTFOUND", "ECONNREFUSED", "ETIMEDOUT", "EAI_AGAIN")):
            pytest.skip(f"npm could not download {package}: {reason}")
        raise RuntimeError(f"npm install {package} failed:\n{done.stderr}")
    stamp.write_text(package)
    return root


_NODE_DRIVER = """
import { snapshotConnector } from './recipe.mjs';
import { createInterface } from 'node:readline';

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const connect = snapshotConnector(process.argv[2]);
const read = async (con, sql) => (await con.runAndReadAll(sql)).getRowObjectsJson();
const held = await connect();
console.log(JSON.stringify({ step: 'before', rows: await read(held, 'select source_run from meta.snapshot') }));
await lines.next();  // the test publishes a new snapshot, then writes a line
const fresh = await connect();
console.log(JSON.stringify({
  step: 'after',
  fresh: await read(fresh, 'select source_run, current_database() as catalog from meta.snapshot'),
  held: await read(held, 'select source_run from meta.snapshot'),
  values: JSON.stringify((await fresh.runAndReadAll(
    'select (select sum(amount_eur) from marts.cost_trend_quarterly) as total_eur, '
    + '(select max(respondents) from marts.national_estimate) as respondents'
  )).getRowObjects()),
}));
process.exit(0);
"""


def test_the_guides_node_recipe_serves_the_new_snapshot_after_a_refresh(
    refreshed_warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    root = node_client(NODE_API)
    text = DOC.read_text(encoding="utf-8").split("\n### Node services\n", 1)[1]
    (root / "recipe.mjs").write_text(re.search(r"```javascript\n(.*?)```", text, flags=re.S)[1])  # type: ignore[index]
    (root / "driver.mjs").write_text(_NODE_DRIVER)
    publish_snapshot(refreshed_warehouse, tmp_path, run_id="run-0")
    node = subprocess.Popen(
        ["node", "driver.mjs", str(tmp_path)],
        cwd=root,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        before = json.loads(node.stdout.readline() or "null")  # type: ignore[union-attr]
        build_warehouse(refreshed_warehouse, generation=1, run_id="run-1")
        publish_snapshot(refreshed_warehouse, tmp_path, run_id="run-1")
        node.stdin.write("published\n")  # type: ignore[union-attr]
        node.stdin.flush()  # type: ignore[union-attr]
        after = json.loads(node.stdout.readline() or "null")  # type: ignore[union-attr]
        node.wait(timeout=60)
    finally:
        node.kill()
    assert before == {"step": "before", "rows": [{"source_run": "run-0"}]}, node.stderr.read()  # type: ignore[union-attr]
    assert after["fresh"] == [{"source_run": "run-1", "catalog": "costtrends"}]
    assert after["held"] == [{"source_run": "run-0"}]
    # A sum of euros and a count arrive as plain numbers, which JSON.stringify takes (a BigInt
    # would throw, a DECIMAL would arrive as an object). Generation 1: four municipalities ×
    # two quarters, hardware..other = base × 15, office savings base / 2, base = 2000 × (i + 1)
    # + 100 × q; respondents: all four answered each category.
    bases = [2000 * (i + 1) + 100 * q for i in range(4) for q in (4, 1)]
    assert json.loads(after["values"]) == [
        {"total_eur": sum(b * 15 + b // 2 for b in bases), "respondents": 4}
    ]
