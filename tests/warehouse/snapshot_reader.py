"""A BI-like reader for the concurrency test: opens the published snapshot read-only, in a loop.

    python snapshot_reader.py PUBLISHED_DIR LOG STOP_FILE MAX_SECONDS

Each read opens `costtrends.duckdb` read-only (every other read the file `costtrends.current`
names instead, as pooled readers do), reads `meta.snapshot`, checks every table
against `meta.snapshot_tables` (row count and content checksum), checks one Parquet copy
against its own metadata, and closes. One line per read goes to LOG: `ok <snapshot id>`
or `error <message>`. The loop ends when STOP_FILE exists, after MAX_SECONDS, or after
5,000 reads, whichever comes first.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import duckdb

from warehouse.publish import current_snapshot, table_check, verify_snapshot

MAX_READS = 5000


def read_once(published: Path, log_dir: Path, *, through_pointer: bool = False) -> str:
    path = current_snapshot(published) if through_pointer else published / "costtrends.duckdb"
    with duckdb.connect(str(path), read_only=True) as con:
        (snapshot_id,) = con.execute("select snapshot_id from meta.snapshot").fetchall()[0]
        problems = verify_snapshot(con)
    if problems:
        return f"error {snapshot_id}: {'; '.join(problems)}"
    # One open of the published name, as a BI tool reading the file does; the checks then
    # read that copy twice (data and metadata), which a rename in between must not split.
    parquet = published / "parquet" / "cost_trend_quarterly.parquet"
    copy = log_dir / "read.parquet"
    shutil.copyfile(parquet, copy)
    with duckdb.connect() as con:
        path = str(copy).replace("'", "''")
        con.execute(f"create view main.copy as select * from read_parquet('{path}')")
        kv = dict(
            con.execute(f"select key::varchar, value::varchar from parquet_kv_metadata('{path}')").fetchall()
        )
        found = table_check(con, "memory", "main.copy")
    if (str(found.row_count), found.content_md5) != (kv["row_count"], kv["content_md5"]):
        return f"error {parquet.name} does not match its own metadata"
    return f"ok {snapshot_id}"


def main(published: Path, log: Path, stop: Path, max_seconds: float) -> None:
    deadline = time.monotonic() + max_seconds
    (log.parent / log.stem).mkdir(exist_ok=True)
    with log.open("a", buffering=1) as out:
        for i in range(MAX_READS):
            if stop.exists() or time.monotonic() > deadline:
                break
            try:
                line = read_once(published, log.parent / log.stem, through_pointer=i % 2 == 1)
            except Exception as exc:  # every failure a BI user would see is what this test counts
                line = f"error {type(exc).__name__}: {exc}".replace("\n", " ")
            out.write(line + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), float(sys.argv[4]))
