"""The snapshot publisher: contents, self-checks, Parquet copies, and failures that change nothing."""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.warehouse.snapshot_helpers import build_warehouse
from warehouse import publish
from warehouse.db import connect
from warehouse.publish import (
    PublishError,
    current_snapshot,
    prune_snapshots,
    publish_snapshot,
    table_check,
    verify_snapshot,
)

MARTS = sorted(t for t in publish.snapshot_tables() if t.startswith("marts."))


@pytest.fixture
def warehouse() -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(":memory:")
    build_warehouse(con, generation=0, run_id="run-7")
    yield con
    con.close()


def _rows(db: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(query).fetchall()


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_snapshot_meta_row_says_what_it_covers(warehouse: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    snapshot = publish_snapshot(warehouse, tmp_path, run_id="run-7")
    assert snapshot == tmp_path / "costtrends.duckdb"
    (row,) = _rows(
        snapshot,
        "select first_quarter, last_quarter, quarters, source_run, storage_version, length(snapshot_id) "
        "from meta.snapshot",
    )
    assert row == ("2020Q4", "2021Q1", 2, "run-7", "v1.0.0", 32)


def test_snapshot_tables_hold_the_row_count_of_every_published_table(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    snapshot = publish_snapshot(warehouse, tmp_path, run_id="run-7")
    listed = dict(
        (f"{s}.{t}", n)
        for s, t, n in _rows(snapshot, "select table_schema, table_name, row_count from meta.snapshot_tables")
    )
    assert sorted(listed) == sorted([*publish.snapshot_tables(), "meta.data_quality"])
    # Three municipalities × two quarters: six cost categories each, one net cost row each.
    assert listed["marts.cost_trend_quarterly"] == 36
    assert listed["marts.net_cost"] == 6
    assert listed["core.dim_quarter"] == 2
    assert listed["meta.data_quality"] == 4
    for table in publish.snapshot_tables():
        assert listed[table] == warehouse.execute(f"select count(*) from {table}").fetchall()[0][0]


def test_table_checksum_is_md5_of_sorted_row_md5s_whatever_the_row_order() -> None:
    con = duckdb.connect()
    con.execute("create table main.t (name varchar, amount decimal(18, 2), share double)")
    con.execute("insert into t values ('y', 2.00, 0.5), ('x', 1.50, null)")
    rows = sorted(hashlib.md5(line.encode()).hexdigest() for line in ["x\t1.50\t\\N", "y\t2.00\t0.5"])
    expected = hashlib.md5("".join(rows).encode()).hexdigest()
    assert table_check(con, "memory", "main.t") == publish.TableCheck("main.t", 2, expected)
    con.execute("create or replace table main.t as select * from t order by name desc")
    assert table_check(con, "memory", "main.t").content_md5 == expected
    con.execute("update t set share = 0.25 where name = 'y'")
    assert table_check(con, "memory", "main.t").content_md5 != expected


def test_verify_snapshot_passes_a_whole_snapshot_and_names_a_changed_table(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    snapshot = publish_snapshot(warehouse, tmp_path, run_id="run-7")
    with duckdb.connect(str(snapshot), read_only=True) as con:
        assert verify_snapshot(con) == []
    snapshot.chmod(0o644)  # published read-only; this test tampers with it on purpose
    with duckdb.connect(str(snapshot)) as con:
        con.execute("delete from marts.net_cost where municipality_code = 'GM0014' and quarter = '2021Q1'")
        problems = verify_snapshot(con)
    assert len(problems) == 1
    assert problems[0].startswith("marts.net_cost: meta.snapshot_tables says 6 rows")
    assert "the table has 5" in problems[0]


def test_data_quality_counts_the_run_that_loaded_each_partition(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # An older run of 2021Q1's survey (superseded by run-7) and a superseded response must not count.
    warehouse.execute(
        "insert into meta.ingested_files (run_id, quarter, source, file_name, status, rows_read, rows_loaded, "
        "rows_quarantined, ingested_at) values ('run-1', '2021Q1', 'survey', 'old.csv', 'rejected', 0, 0, 0, "
        "timestamp '2021-04-02 10:00:00')"
    )
    warehouse.execute(
        "insert into core.fct_survey_response (quarter, response_id, municipality_code, is_complete, "
        "is_superseded, source_file, source_row, run_id) values "
        "('2021Q1', 'GM0363-old', 'GM0363', false, true, 'survey.csv', 9, 'run-7')"
    )
    snapshot = publish_snapshot(warehouse, tmp_path, run_id="run-7")
    assert _rows(snapshot, "select * from meta.data_quality order by quarter, source") == [
        # quarter, source, files, rejected files, read, loaded, quarantined, municipalities
        ("2020Q4", "budget", 1, 0, 3, 3, 0, 3),
        ("2020Q4", "survey", 1, 0, 4, 3, 1, 3),
        ("2021Q1", "budget", 1, 0, 3, 3, 0, 3),
        ("2021Q1", "survey", 1, 0, 4, 3, 1, 3),
    ]


def test_every_table_and_column_of_the_snapshot_has_a_description(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    snapshot = publish_snapshot(warehouse, tmp_path, run_id="run-7")
    missing_tables = _rows(
        snapshot,
        "select schema_name || '.' || table_name from duckdb_tables() "
        "where database_name = current_database() and coalesce(comment, '') = '' order by all",
    )
    missing_columns = _rows(
        snapshot,
        "select schema_name || '.' || table_name || '.' || column_name from duckdb_columns() "
        "where database_name = current_database() and coalesce(comment, '') = '' order by all",
    )
    assert missing_tables == []
    assert missing_columns == []


def test_parquet_copies_match_the_snapshot_tables(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    snapshot = publish_snapshot(warehouse, tmp_path, run_id="run-7")
    parquet = tmp_path / "parquet"
    assert sorted(p.name for p in parquet.iterdir()) == sorted(
        ["_snapshot.json", *[f"{t.split('.', 1)[1]}.parquet" for t in MARTS]]
    )
    expected = {
        f"{s}.{t}": (n, md5)
        for s, t, n, md5 in _rows(snapshot, "select * from meta.snapshot_tables where table_schema = 'marts'")
    }
    manifest = json.loads((parquet / "_snapshot.json").read_text())
    assert manifest["snapshot_id"] == _rows(snapshot, "select snapshot_id from meta.snapshot")[0][0]
    con = duckdb.connect()
    for table in MARTS:
        name = table.split(".", 1)[1]
        path = parquet / f"{name}.parquet"
        con.execute(f"create or replace view main.copy as select * from read_parquet('{path}')")
        copied = table_check(con, "memory", "main.copy")
        assert (copied.row_count, copied.content_md5) == expected[table]
        kv = dict(
            con.execute(f"select key::varchar, value::varchar from parquet_kv_metadata('{path}')").fetchall()
        )
        assert (int(kv["row_count"]), kv["content_md5"]) == expected[table]
        listed = manifest["files"][f"{name}.parquet"]
        assert (listed["row_count"], listed["content_md5"]) == expected[table]


def test_republishing_replaces_snapshot_and_parquet_with_the_new_contents(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    publish_snapshot(warehouse, tmp_path, run_id="run-7")
    build_warehouse(warehouse, generation=1, run_id="run-8")  # adds Amsterdam
    snapshot = publish_snapshot(warehouse, tmp_path, run_id="run-8")
    assert _rows(snapshot, "select source_run from meta.snapshot") == [("run-8",)]
    assert _rows(snapshot, "select count(*) from marts.net_cost") == [(8,)]
    assert _rows(snapshot, f"select count(*) from '{tmp_path / 'parquet' / 'net_cost.parquet'}'") == [(8,)]
    # Both snapshots under their own names (the first kept for the grace period), the pointer
    # naming the second, and costtrends.duckdb as the second's other name.
    first, second = sorted(
        str(p.relative_to(tmp_path)) for p in tmp_path.glob("snapshots/*/costtrends.duckdb")
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["snapshots", "costtrends.current", "costtrends.duckdb", "parquet"]
    )
    assert (tmp_path / "costtrends.current").read_text() == second + "\n"
    assert (tmp_path / second).samefile(snapshot)
    assert _rows(tmp_path / first, "select source_run from meta.snapshot") == [("run-7",)]


def _published(tmp_path: Path, warehouse: duckdb.DuckDBPyConnection) -> dict[str, bytes]:
    """Publish generation 0, then move the warehouse on to generation 1; the published bytes."""
    publish_snapshot(warehouse, tmp_path, run_id="run-7")
    build_warehouse(warehouse, generation=1, run_id="run-8")
    return _files(tmp_path)


def test_disk_full_while_writing_leaves_the_published_files_and_no_temp_files(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _published(tmp_path, warehouse)

    def full(*args: object) -> str:
        raise OSError(errno.ENOSPC, "No space left on device")

    # The manifest is the last thing written, after the new snapshot and every Parquet copy.
    monkeypatch.setattr(publish, "_manifest", full)
    with pytest.raises(PublishError, match=r"No space left on device.*costtrends\.duckdb is unchanged"):
        publish_snapshot(warehouse, tmp_path, run_id="run-8")
    assert _files(tmp_path) == before


def test_failed_rename_leaves_the_published_files_and_no_temp_files(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _published(tmp_path, warehouse)

    def refuse(src: object, dst: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(dst))

    monkeypatch.setattr(publish.os, "replace", refuse)
    with pytest.raises(PublishError, match="Permission denied"):
        publish_snapshot(warehouse, tmp_path, run_id="run-8")
    assert _files(tmp_path) == before


def test_failing_sql_leaves_the_published_files_and_the_connection_usable(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _published(tmp_path, warehouse)
    monkeypatch.setitem(publish.DIMENSION_TABLES, "marts.no_such_mart", "quarter")
    with pytest.raises(PublishError, match="no_such_mart"):
        publish_snapshot(warehouse, tmp_path, run_id="run-8")
    assert _files(tmp_path) == before
    monkeypatch.delitem(publish.DIMENSION_TABLES, "marts.no_such_mart")
    snapshot = publish_snapshot(warehouse, tmp_path, run_id="run-8")
    assert _rows(snapshot, "select source_run from meta.snapshot") == [("run-8",)]


def test_a_target_that_cannot_be_a_folder_gives_a_clear_error(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    blocker = tmp_path / "published"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(PublishError, match=f"could not write the snapshot in {blocker}"):
        publish_snapshot(warehouse, blocker, run_id="run-7")


def test_a_storage_version_that_is_not_a_version_is_refused(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    with pytest.raises(PublishError, match="COSTTRENDS_SNAPSHOT_STORAGE_VERSION"):
        publish_snapshot(warehouse, tmp_path, run_id="run-7", storage_version="v1.0.0'); drop table x; --")
    assert list(tmp_path.iterdir()) == []


def test_temp_files_of_a_killed_publish_are_removed_by_the_next(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    (tmp_path / "parquet").mkdir()
    (tmp_path / ".costtrends-dead.duckdb.tmp").write_bytes(b"half a file")
    (tmp_path / "parquet" / ".costtrends-dead-net_cost.parquet.tmp").write_bytes(b"half a file")
    publish_snapshot(warehouse, tmp_path, run_id="run-7")
    assert not [p for p in tmp_path.rglob(".costtrends-*")]


def test_a_connection_open_during_a_publish_keeps_reading_the_snapshot_it_opened(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    snapshot = publish_snapshot(warehouse, tmp_path, run_id="run-7")
    reader = duckdb.connect(str(snapshot), read_only=True)
    try:
        build_warehouse(warehouse, generation=1, run_id="run-8")
        publish_snapshot(warehouse, tmp_path, run_id="run-8")
        assert reader.execute("select source_run from meta.snapshot").fetchall() == [("run-7",)]
        assert reader.execute("select count(*) from marts.net_cost").fetchall() == [(6,)]
        assert verify_snapshot(reader) == []
    finally:
        reader.close()
    assert _rows(snapshot, "select source_run from meta.snapshot") == [("run-8",)]


def test_each_snapshot_has_its_own_read_only_name_and_costtrends_duckdb_is_the_newest(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    snapshot = publish_snapshot(warehouse, tmp_path, run_id="run-7")
    own = current_snapshot(tmp_path)
    built_at = _rows(snapshot, "select built_at from meta.snapshot")[0][0]
    assert own == tmp_path / "snapshots" / f"{built_at:%Y%m%dT%H%M%S.%f}Z" / "costtrends.duckdb"
    # The same file name, so every version opens as catalog `costtrends`, as the stable name does.
    assert _rows(own, "select current_database()") == [("costtrends",)]
    assert own.samefile(snapshot)  # one file, two names: no second copy on disk
    for path in (own, snapshot):
        assert stat.S_IMODE(path.stat().st_mode) == 0o444


def test_a_failed_second_rename_leaves_no_new_snapshot_behind(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _published(tmp_path, warehouse)
    real_replace = os.replace

    def refuse_the_stable_name(src: object, dst: object) -> None:
        if Path(str(dst)).name == "costtrends.duckdb":
            raise PermissionError(errno.EACCES, "Permission denied", str(dst))
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(publish.os, "replace", refuse_the_stable_name)
    with pytest.raises(PublishError, match="Permission denied"):
        publish_snapshot(warehouse, tmp_path, run_id="run-8")
    assert _files(tmp_path) == before


def _version(folder: Path, at: dt.datetime) -> Path:
    path = folder / publish.version_path(at)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"snapshot")
    return path.parent


def test_superseded_snapshots_are_removed_once_the_grace_period_after_their_successor_is_over(
    tmp_path: Path,
) -> None:
    t1, t2, t3 = (
        dt.datetime(2026, 1, 15, 6, 0),
        dt.datetime(2026, 1, 15, 8, 0),
        dt.datetime(2026, 1, 15, 8, 30),
    )
    first, second, third = (_version(tmp_path, t) for t in (t1, t2, t3))
    (tmp_path / "costtrends.current").write_text(f"snapshots/{third.name}/costtrends.duckdb\n")
    (tmp_path / "snapshots" / "notes").mkdir()  # not a snapshot folder: left alone
    grace = dt.timedelta(hours=1)
    # 08:45: the first was superseded at 08:00 (45 min ago), the second at 08:30: both stay.
    assert prune_snapshots(tmp_path, now=dt.datetime(2026, 1, 15, 8, 45), keep_superseded=grace) == []
    # 09:15: the first was superseded 75 min ago and goes; the second (45 min) stays.
    assert prune_snapshots(tmp_path, now=dt.datetime(2026, 1, 15, 9, 15), keep_superseded=grace) == [first]
    # Days later the newest is still kept: it is the one the pointer names.
    assert prune_snapshots(tmp_path, now=dt.datetime(2026, 2, 1), keep_superseded=grace) == [second]
    assert sorted(p.name for p in (tmp_path / "snapshots").iterdir()) == sorted([third.name, "notes"])


def test_a_publish_removes_snapshots_superseded_before_the_grace_period(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    publish_snapshot(warehouse, tmp_path, run_id="run-7")
    publish_snapshot(warehouse, tmp_path, run_id="run-8")
    publish_snapshot(warehouse, tmp_path, run_id="run-9", keep_superseded=dt.timedelta(0))
    # run-7's file was superseded when run-8's was built; run-8's when run-9's was: both over.
    assert list(tmp_path.glob("snapshots/*/*")) == [current_snapshot(tmp_path)]
    assert _rows(tmp_path / "costtrends.duckdb", "select source_run from meta.snapshot") == [("run-9",)]
