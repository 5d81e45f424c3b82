"""The budget source: Iv3 budget exports in bounded memory, a batch's rows in a scratch store.

Budget exports are the large input: 700,000 lines per quarter nationally, 20 million in
one file of a decade. So a budget batch does not travel as polars frames; from ingest
to load its rows live in a scratch folder, the *store* (``<workdir>/budget-<quarter>-<id>/``):
Parquet files written a chunk at a time (`staged-*`, `raw-*`, `issues-*`), and a DuckDB
file (``store.duckdb``) whose views `staged`, `raw_rows` and `issues` read them, with
the tables `superseded`, `bad_rows` and `file_columns` (``sources/sql/create_budget_store.sql``).
A raw row keeps the values as landed, one text field per budget column: flat columns in
the raw parts (`RAW_PART_SCHEMA`), a struct in the `raw_rows` view (`RAW_SCHEMA`), as
`raw.budget_lines` has them; only the few quarantined rows are turned into JSON text, with
the keys of their file's columns (``sources/sql/select_budget_suspects.sql``).

ingest:    every landing file of the quarter, read a chunk at a time
           (`ingest.budget_readers`: long exports, matrices, Iv3 JSON deliveries),
           standardized (`transforms.budget`) and written;
           then restatements are settled: of two files reporting a municipality × kind, the
           later one in correction order (`transforms.file_order`) counts, the other's
           lines are superseded (kept in raw, not in core, counted per file);
validate:  the budget suite runs on the store's `staged` view
           (`expectations.gate.validate_table`); only rows that fail a check or have an
           issue are read back, to be quarantined with their reasons
           (`sources.base.quarantine_frame`);
core rows: a query on the store (`sources.base.StoredRows`); only their count is kept;
load:      `warehouse.load` inserts them into the warehouse, DuckDB to DuckDB, and
           records `meta.budget_file_versions` (`file_versions`); the store is removed
           after the commit (`Batch.discard`).

A new layout of budget export is a reader in `ingest/budget_readers.py` (`open_budget_file`
picks it), not a change here. The store's own SQL is in `sources/sql/`.

Memory is bounded by one chunk (`CHUNK_ROWS` rows) and by the failing rows; time is one
read of each file, one write of its Parquet parts (polars, much cheaper than inserting
into a DuckDB table) and a few scans of them.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import polars as pl

from expectations.gate import validate_table
from expectations.quarantine import row_reasons
from expectations.suites import budget_suite
from ingest.budget_readers import (
    BUDGET_SUFFIXES,
    CHUNK_ROWS,
    BudgetFile,
    ReadAgain,
    iv3_delivery_key,
    open_budget_file,
    read_iv3_delivery,
)
from ingest.landing import (
    FileDeferred,
    check_landing_file,
    check_suffix,
    file_name,
    landing_files,
    settled_files,
)
from ingest.readers import READER_ISSUE, FileRejected, sha256_of
from sources.base import (
    QUARANTINE_SCHEMA,
    WARNING_SCHEMA,
    Batch,
    FileReport,
    IngestOptions,
    Rows,
    StoredRows,
    ValidateOptions,
    quarantine_frame,
    reject_files,
    warned_rows,
)
from transforms import budget as budget_tf
from transforms import iv3
from transforms import reference as reference_tf
from transforms.file_order import correction_key
from transforms.quarter import Quarter
from transforms.schema import BUDGET_COLUMNS, BUDGET_REQUIRED

if TYPE_CHECKING:
    from ingest.reference import Reference

NAME = "budget"
STORE_PREFIX = "budget-"
# DuckDB's memory limit for a store: enough for its scans, far below the memory budget.
STORE_MEMORY = "256MB"
# Chunks standardized and written at once, while the next is read.
STAGE_WORKERS = 2
# A store left behind by a run that died is removed by the next ingest after this long.
STALE_STORE_SECONDS = 24 * 3600
STAGED_SCHEMA: dict[str, pl.DataType] = {
    "row_id": pl.Int64(),
    "source_file": pl.Utf8(),
    "source_row": pl.Int64(),
    "run_id": pl.Utf8(),
    "municipality": pl.Utf8(),
    "municipality_code": pl.Utf8(),
    "quarter": pl.Utf8(),
    "period_quarter": pl.Utf8(),
    "taakveld": pl.Utf8(),
    "categorie": pl.Utf8(),
    "kind": pl.Utf8(),
    "lasten_eur": pl.Decimal(18, 2),
    "baten_eur": pl.Decimal(18, 2),
    **{column: pl.Utf8() for column in iv3.CHECK_COLUMNS},
}
# The staged store's columns, in order: the schema's keys.
STAGED_COLUMNS = tuple(STAGED_SCHEMA)
# raw.budget_lines' rows (warehouse/ddl/1_raw.sql), plus `row_id`: the landed values as a
# struct of text fields, one per budget column, NULL for a column the file does not have.
RAW_SCHEMA: dict[str, pl.DataType] = {
    "quarter": pl.Utf8(),
    "source_file": pl.Utf8(),
    "source_row": pl.Int64(),
    "run_id": pl.Utf8(),
    "row_values": pl.Struct(dict.fromkeys(BUDGET_COLUMNS, pl.Utf8())),
    "row_id": pl.Int64(),
}
# The store's raw parts: the same rows with the struct's fields as flat columns, `value_<column>`
# (DuckDB reads flat Parquet columns faster than a nested struct); the `raw_rows` view packs
# them into `row_values` again, so what reads the view sees `RAW_SCHEMA`.
RAW_VALUE_PREFIX = "value_"
RAW_PART_SCHEMA: dict[str, pl.DataType] = {
    **{k: v for k, v in RAW_SCHEMA.items() if k not in ("row_values", "row_id")},
    **{f"{RAW_VALUE_PREFIX}{column}": pl.Utf8() for column in BUDGET_COLUMNS},
    "row_id": pl.Int64(),
}
FILE_COLUMNS_SCHEMA: dict[str, pl.DataType] = {
    "source_file": pl.Utf8(),
    "value_columns": pl.List(pl.Utf8()),
}
ISSUES_SCHEMA: dict[str, pl.DataType] = {
    "row_id": pl.Int64(),
    "parse_issues": pl.List(pl.Utf8()),
    "municipality_issue": pl.Utf8(),
    "reader_issue": pl.Utf8(),
}
COVERAGE_SCHEMA: dict[str, pl.DataType] = {
    "source_file": pl.Utf8(),
    "municipality_code": pl.Utf8(),
    "kind": pl.Utf8(),
    "lines": pl.Int64(),
}
CORE_SCHEMA: dict[str, pl.DataType] = {
    "quarter": pl.Utf8(),
    "municipality_code": pl.Utf8(),
    "taakveld": pl.Utf8(),
    "categorie": pl.Utf8(),
    "kind": pl.Utf8(),
    "lasten_eur": pl.Decimal(18, 2),
    "baten_eur": pl.Decimal(18, 2),
    "source_file": pl.Utf8(),
    "source_row": pl.Int64(),
}
VERSION_SCHEMA: dict[str, pl.DataType] = {
    "quarter": pl.Utf8(),
    "municipality_code": pl.Utf8(),
    "kind": pl.Utf8(),
    "file_name": pl.Utf8(),
    "sha256": pl.Utf8(),
    "lines": pl.Int64(),
    "is_current": pl.Boolean(),
    "superseded_by": pl.Utf8(),
    "replaced_file": pl.Utf8(),
    "replaced_sha256": pl.Utf8(),
    "run_id": pl.Utf8(),
    "recorded_at": pl.Datetime("us"),
}


@dataclass
class BudgetStore:
    """The scratch folder of one budget batch, and what ingest settled about its files."""

    path: Path
    # settle_restatements' rows (source_file, municipality_code, kind, lines, is_current,
    # superseded_by, previous_file) plus each file's sha256.
    versions: pl.DataFrame = field(default_factory=pl.DataFrame)
    rejected: bool = False

    @property
    def database(self) -> Path:
        return self.path / "store.duckdb"

    def part(self, kind: str, file_index: int, chunk: int) -> Path:
        """Where a chunk's rows of one kind (staged, raw, issues) are written."""
        return self.path / f"{kind}-{file_index:05d}-{chunk:06d}.parquet"

    def parts(self, kind: str) -> list[Path]:
        return sorted(self.path.glob(f"{kind}-*.parquet"))

    def drop_file(self, file_index: int) -> None:
        """Forget what was written of one landing file, to read it again or reject it."""
        for path in self.path.glob(f"*-{file_index:05d}-*.parquet"):
            path.unlink()

    @contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        # DuckDB caches what it reads up to its memory limit (80% of RAM by default):
        # bounded here, it scans a budget export of any size in the same memory.
        config: dict[str, str | bool | int | float | list[str]] = {
            "memory_limit": STORE_MEMORY,
            "preserve_insertion_order": False,
        }
        con = duckdb.connect(str(self.database), read_only=read_only, config=config)
        try:
            yield con
        finally:
            con.close()

    def discard(self) -> None:
        """Remove the store's folder."""
        shutil.rmtree(self.path, ignore_errors=True)


@cache
def store_sql(name: str) -> str:
    """The text of `sources/sql/<name>.sql`: the store's own tables and queries."""
    return resources.files("sources").joinpath(f"sql/{name}.sql").read_text("utf-8")


BudgetBatch = Batch[BudgetStore]


class BudgetSource:
    """The budget source (see the module docstring)."""

    name: str = NAME
    raw_table: str = "raw.budget_lines"
    core_tables: tuple[str, ...] = ("core.fct_budget",)

    def other_inputs(self, landing: Path, quarter: Quarter, sha: Callable[[Path], str]) -> list[str]:
        return year_to_date_inputs(landing, quarter, sha)

    def ingest(
        self, landing: Path, quarter: Quarter, run_id: str, ref: Reference, options: IngestOptions
    ) -> BudgetBatch:
        return ingest(
            landing, quarter, run_id, ref, workdir=options.workdir, settle_seconds=options.settle_seconds
        )

    def validate(self, batch: BudgetBatch, ref: Reference, options: ValidateOptions) -> BudgetBatch:
        return validate(batch, ref)

    def core_rows(self, batch: BudgetBatch) -> dict[str, Rows]:
        return core_rows(batch)

    def raw_rows(self, batch: BudgetBatch) -> Rows:
        return raw_rows(batch)

    def judged_rows(self, batch: BudgetBatch) -> pl.DataFrame | None:
        return None

    def quarantine_rows(self, batch: BudgetBatch, flagged: pl.DataFrame) -> None:
        raise NotImplementedError("budget rows are not judged after validation")

    def file_versions(
        self, batch: BudgetBatch, current: pl.DataFrame, now: dt.datetime
    ) -> pl.DataFrame | None:
        return file_versions(batch, current, now)


def _remove_stale_stores(workdir: Path) -> None:
    cutoff = time.time() - STALE_STORE_SECONDS
    for path in workdir.glob(f"{STORE_PREFIX}*"):
        try:
            if path.is_dir() and path.stat().st_mtime < cutoff:
                shutil.rmtree(path)
        except OSError:
            continue


# --- ingest ----------------------------------------------------------------------------


def ingest(
    landing: Path,
    quarter: Quarter,
    run_id: str,
    ref: Reference,
    *,
    workdir: Path,
    settle_seconds: float = 0.0,
    chunk_rows: int = CHUNK_ROWS,
) -> BudgetBatch:
    """Read the quarter's budget files into a new store; a file that cannot be read is rejected whole.

    Rows read = rows in the store (staged or superseded) for every file not rejected.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    _remove_stale_stores(workdir)
    store = BudgetStore(workdir / f"{STORE_PREFIX}{quarter}-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    store.path.mkdir()
    reports: list[FileReport] = []
    hashes: dict[str, str] = {}
    columns: dict[str, list[str]] = {}
    coverage: list[pl.DataFrame] = []
    next_row_id = 0
    paths = landing_files(landing, NAME, quarter)
    growing = settled_files(paths, settle_seconds)
    predecessors = _Predecessors(landing)
    for index, path in enumerate(paths):
        report = FileReport(NAME, str(quarter), file_name(path), None, None, "loaded", None)
        reports.append(report)
        try:
            check_landing_file(path, landing, growing)
            digest = sha256_of(path)
            report.sha256, report.size_bytes = digest, path.stat().st_size
            check_suffix(path, BUDGET_SUFFIXES)
            file = open_budget_file(path)
            if file.delivery is not None:
                _place_delivery(file, quarter, predecessors)
            report.unknown_columns = file.unknown_columns
            _check_required(file)
            rows, covered = _append_file(store, index, file, quarter, run_id, ref, next_row_id, chunk_rows)
        except FileRejected as exc:
            store.drop_file(index)
            report.status = "deferred" if isinstance(exc, FileDeferred) else "rejected"
            report.message = str(exc)
            report.rows_read = 0
            continue
        if rows == 0:
            report.status, report.message = "rejected", f"{path.name}: header only, no data rows"
            continue
        report.rows_read = rows
        next_row_id += rows
        hashes[path.name] = digest
        columns[path.name] = _value_columns(file)
        coverage.append(covered)
    store.versions = _settle(store, coverage, hashes, columns)
    superseded = (
        store.versions.filter(~pl.col("is_current"))
        .group_by("source_file")
        .agg(pl.col("lines").sum(), pl.col("superseded_by").unique().sort())
    )
    for report in reports:
        for name, lines, later in superseded.iter_rows():
            if name == report.file_name:
                report.rows_superseded = int(lines)
                report.message = f"{name}: {int(lines):,} lines superseded by {', '.join(later)}"
    return Batch(
        NAME, quarter, run_id, reports, store, other_inputs=year_to_date_inputs(landing, quarter, sha256_of)
    )


def year_to_date_inputs(landing: Path, quarter: Quarter, sha: Callable[[Path], str]) -> list[str]:
    """The Iv3 deliveries of the year's earlier quarters, as `<quarter>/<name>:<sha256>`.

    A year-to-date delivery in `quarter` is stored as what it adds to an earlier one, so a
    change to any earlier delivery of the year changes this quarter too. Empty when the
    quarter's folder holds no `*.json` delivery (nothing of it depends on other quarters).
    """
    if not any(p.suffix.lower() == ".json" for p in landing_files(landing, NAME, quarter)):
        return []
    inputs = []
    for k in range(1, quarter.q):
        earlier = Quarter(quarter.year, k)
        for path in landing_files(landing, NAME, earlier):
            if path.suffix.lower() == ".json":
                inputs.append(f"{earlier}/{path.name}:{sha(path)}")
    return inputs


class _Predecessors:
    """The Iv3 deliveries of earlier periodes' folders, found by who and when they are.

    One ingest places every delivery of its quarter; each looks in the previous periode's
    folder for the delivery it adds to. Each folder is looked at once per ingest (each
    file's metadata, `iv3_delivery_key`), and only the files that can be the one are read
    in full: a quarter of n deliveries reads about 2n files, not n².
    """

    def __init__(self, landing: Path) -> None:
        self.landing = landing
        self._folders: dict[Quarter, dict[tuple[str, int, int], list[Path]]] = {}

    def lines(self, folder: Quarter, key: tuple[str, int, int]) -> pl.DataFrame | None:
        """The lines of the latest valid delivery `key` in `folder` by `correction_key`; None if none."""
        for path in reversed(self._index(folder).get(key, [])):
            try:
                other, lines = read_iv3_delivery(path)
            except FileRejected:
                continue  # rejected in its own quarter, with its own message
            if (other.overheidsnummer, other.boekjaar, other.periode) == key:
                return lines
        return None

    def _index(self, folder: Quarter) -> dict[tuple[str, int, int], list[Path]]:
        if folder not in self._folders:
            index: dict[tuple[str, int, int], list[Path]] = {}
            paths = (self.landing / "budget" / str(folder)).glob("*.json")
            for path in sorted(paths, key=lambda p: correction_key(p.name)):
                key = iv3_delivery_key(path)
                if key is not None:
                    index.setdefault(key, []).append(path)
            self._folders[folder] = index
        return self._folders[folder]


def _place_delivery(file: BudgetFile, quarter: Quarter, predecessors: _Predecessors) -> None:
    """Check an Iv3 delivery belongs in `quarter`; give it the lines its year-to-date figures add to.

    CBS asks for quarterly realisaties cumulative over the boekjaar: what the quarter
    added is this delivery minus the one of `iv3.previous_periode` from the same
    municipality and boekjaar, the latest by `file_order.correction_key` in that periode's folder.
    """
    delivery = file.delivery
    assert delivery is not None
    name = file.path.name
    if delivery.quarter != quarter:
        raise FileRejected(
            f"{name}: periode {delivery.periode} of boekjaar {delivery.boekjaar} ({delivery.kind}) "
            f"belongs in landing/budget/{delivery.quarter}/, not in {quarter}"
        )
    before = iv3.previous_periode(delivery.periode)
    if before is None:
        return
    folder, _ = iv3.period_target(delivery.boekjaar, before)
    found = predecessors.lines(folder, (delivery.overheidsnummer, delivery.boekjaar, before))
    if found is None:
        raise FileRejected(
            f"{name}: periode {delivery.periode} figures are year-to-date (CBS); what {quarter} added is "
            f"this delivery minus the periode {before} delivery of {delivery.overheidsnummer} for "
            f"{delivery.boekjaar}, which landing/budget/{folder}/ does not hold"
        )
    file.previous_lines = found


def _check_required(file: BudgetFile) -> None:
    missing = [c for c in BUDGET_REQUIRED if c not in file.columns]
    if "period" not in file.columns and not {"year", "quarter"} <= set(file.columns):
        missing.append("period (or year + quarter)")
    if missing:
        where = (
            "no header maps to it; known headers are in transforms/mappings/budget_columns.csv"
            if file.layout == "long"
            else "give it in a title cell above the matrix or in the file name"
        )
        raise FileRejected(f"{file.path.name}: missing required column(s): {', '.join(missing)} ({where})")


def _append_file(
    store: BudgetStore,
    index: int,
    file: BudgetFile,
    quarter: Quarter,
    run_id: str,
    ref: Reference,
    first_row_id: int,
    chunk_rows: int,
) -> tuple[int, pl.DataFrame]:
    """Standardize the file chunk by chunk into the store: rows read, lines per municipality × kind."""
    try:
        return _append_chunks(store, index, file, file.chunks(chunk_rows), quarter, run_id, ref, first_row_id)
    except ReadAgain:
        store.drop_file(index)
        chunks = file.exact_chunks(chunk_rows)
        return _append_chunks(store, index, file, chunks, quarter, run_id, ref, first_row_id)


def _append_chunks(
    store: BudgetStore,
    index: int,
    file: BudgetFile,
    chunks: Iterator[pl.DataFrame],
    quarter: Quarter,
    run_id: str,
    ref: Reference,
    first_row_id: int,
) -> tuple[int, pl.DataFrame]:
    """Stage the chunks on `STAGE_WORKERS` threads while the next ones are read.

    Polars releases the GIL, so reading, standardizing and writing overlap on the
    machine's cores. At most `STAGE_WORKERS` chunks wait to be staged, so memory stays
    bounded by a few chunks. Row ids are fixed in file order before a chunk is handed
    over; if reading fails (`ReadAgain`, `FileRejected`), the chunks in flight finish
    before the error reaches the caller, which then drops what was written.
    """
    rows = 0
    covered: list[pl.DataFrame] = []
    pending: deque[Future[pl.DataFrame]] = deque()
    with ThreadPoolExecutor(max_workers=STAGE_WORKERS, thread_name_prefix="stage") as pool:
        try:
            for number, chunk in enumerate(chunks):
                if chunk.is_empty():
                    continue
                pending.append(
                    pool.submit(
                        _stage_chunk,
                        store,
                        index,
                        number,
                        file,
                        chunk,
                        first_row_id + rows,
                        quarter,
                        run_id,
                        ref,
                    )
                )
                rows += chunk.height
                while len(pending) > STAGE_WORKERS:
                    covered.append(pending.popleft().result())
            while pending:
                covered.append(pending.popleft().result())
        finally:
            for future in pending:
                future.cancel()
    coverage = (
        pl.concat(covered).group_by("source_file", "municipality_code", "kind").agg(pl.col("lines").sum())
        if covered
        else pl.DataFrame(schema=COVERAGE_SCHEMA)
    )
    return rows, coverage


def _stage_chunk(
    store: BudgetStore,
    index: int,
    number: int,
    file: BudgetFile,
    chunk: pl.DataFrame,
    first_row_id: int,
    quarter: Quarter,
    run_id: str,
    ref: Reference,
) -> pl.DataFrame:
    """Write one chunk's staged, raw and issue rows; return its lines per municipality × kind."""
    lineage = chunk.with_columns(
        (pl.int_range(pl.len(), dtype=pl.Int64) + first_row_id).alias("row_id"),
        pl.lit(file.path.name).alias("source_file"),
        pl.lit(run_id).alias("run_id"),
    )
    staged = budget_tf.standardize_budget(
        lineage,
        quarter=quarter,
        municipalities=ref.municipalities,
        mergers=ref.mergers,
        decimal=file.decimal,
        file_unit=file.file_unit,
    ).with_columns(lineage.get_column(READER_ISSUE).alias("reader_issue"))
    issues = staged.filter(
        (pl.col("parse_issues").list.len() > 0)
        | pl.col("municipality_issue").is_not_null()
        | pl.col("reader_issue").is_not_null()
    ).select("row_id", "parse_issues", "municipality_issue", "reader_issue")
    raw = _raw_select(lineage, quarter, _value_columns(file))
    _write(
        staged.with_columns(iv3.check_columns()).select(STAGED_COLUMNS), store.part("staged", index, number)
    )
    _write(raw, store.part("raw", index, number))
    if issues.height:
        _write(issues, store.part("issues", index, number))
    return (
        staged.filter(pl.col("municipality_code").is_not_null() & pl.col("kind").is_not_null())
        .group_by("source_file", "municipality_code", "kind")
        .agg(pl.len().cast(pl.Int64).alias("lines"))
    )


def _value_columns(file: BudgetFile) -> list[str]:
    """The budget columns the file has, in `BUDGET_COLUMNS` order: the keys its quarantined rows show."""
    return [c for c in BUDGET_COLUMNS if c in file.columns]


def _raw_select(rows: pl.DataFrame, quarter: Quarter, value_columns: list[str]) -> pl.DataFrame:
    """The chunk's rows of a raw part (`RAW_PART_SCHEMA`): lineage and the values as landed.

    One text column per budget column, the file's text as it came and NULL for a column it
    does not have: no encoding; the store's `raw_rows` view packs them into `row_values`.
    """
    values = [
        (pl.col(c).cast(pl.Utf8) if c in value_columns else pl.lit(None, dtype=pl.Utf8)).alias(
            f"{RAW_VALUE_PREFIX}{c}"
        )
        for c in BUDGET_COLUMNS
    ]
    return rows.select(
        pl.lit(str(quarter)).alias("quarter"),
        "source_file",
        "source_row",
        "run_id",
        *values,
        "row_id",
    )


def _write(frame: pl.DataFrame, path: Path) -> None:
    # LZ4: written and read again once, so speed matters more than size.
    frame.write_parquet(path, compression="lz4", statistics=False)


def _parquet_view(
    con: duckdb.DuckDBPyConnection, name: str, parts: list[Path], query: str = "", columns: str = "s.*"
) -> None:
    """A view `name` selecting `columns` from the store's Parquet parts, `query` appended (`as s ...`).

    A view cannot take parameters, so the parts are named in its text: they are the
    store's own files, no input value reaches this SQL, and quotes are escaped anyway.
    """
    listed = ", ".join("'" + str(p).replace("'", "''") + "'" for p in parts)
    con.execute(f"create view {name} as select {columns} from read_parquet([{listed}]) as s {query}")


def _raw_columns() -> str:
    """The `raw_rows` view's columns (`RAW_SCHEMA`): the parts' value columns packed into `row_values`."""
    fields = ", ".join(f'"{c}" := s."{RAW_VALUE_PREFIX}{c}"' for c in BUDGET_COLUMNS)
    return f"s.quarter, s.source_file, s.source_row, s.run_id, struct_pack({fields}) as row_values, s.row_id"


def _settle(
    store: BudgetStore, covered: list[pl.DataFrame], hashes: dict[str, str], columns: dict[str, list[str]]
) -> pl.DataFrame:
    """Decide current and superseded lines per municipality × kind; build the store's views.

    The `staged` view leaves the superseded lines out; `raw_rows` keeps them. `columns` are
    each file's budget columns (the store's `file_columns`).
    """
    coverage = pl.concat(covered) if covered else pl.DataFrame(schema=COVERAGE_SCHEMA)
    settled = budget_tf.settle_restatements(coverage.sort("source_file", "municipality_code", "kind"), hashes)
    superseded = settled.filter(~pl.col("is_current")).select("source_file", "municipality_code", "kind")
    # Views need at least one part of each kind: an empty one stands in for a batch without rows.
    for kind, schema in (("staged", STAGED_SCHEMA), ("raw", RAW_PART_SCHEMA), ("issues", ISSUES_SCHEMA)):
        if not store.parts(kind):
            _write(pl.DataFrame(schema=schema), store.part(kind, 99999, 0))
    with store.connect() as con:
        con.execute(store_sql("create_budget_store"))
        con.from_arrow(superseded.to_arrow()).insert_into("superseded")
        file_columns = pl.DataFrame(
            {"source_file": list(columns), "value_columns": list(columns.values())},
            schema=FILE_COLUMNS_SCHEMA,
        )
        con.from_arrow(file_columns.to_arrow()).insert_into("file_columns")
        _parquet_view(
            con,
            "staged",
            store.parts("staged"),
            "anti join superseded as x on x.source_file = s.source_file "
            "and x.municipality_code = s.municipality_code and x.kind = s.kind",
        )
        _parquet_view(con, "raw_rows", store.parts("raw"), columns=_raw_columns())
        _parquet_view(con, "issues", store.parts("issues"))
    return settled.with_columns(
        pl.col("source_file").replace_strict(hashes, return_dtype=pl.Utf8).alias("sha256")
    )


# --- validate --------------------------------------------------------------------------


def validate(batch: BudgetBatch, ref: Reference) -> BudgetBatch:
    """The budget suite on the store; failing rows (and rows with an issue) to quarantine.

    Reasons follow `expectations.quarantine.row_reasons`: a reader issue alone when there
    is one, else parse issues, the municipality matcher's explanation instead of GX's bare
    `municipality_known`, and the names of the failed checks.
    """
    store = batch.rows
    codes = reference_tf.valid_codes(ref.municipalities, ref.mergers, batch.quarter)
    try:
        year = iv3.year_codes(batch.quarter.year, directory=ref.iv3_dir)
    except iv3.Iv3Error as exc:
        # No CBS code lists for the boekjaar: no line of it can be judged, so none loads.
        reject_files(batch, [str(exc)])
        store.rejected = True
        batch.outcomes, batch.quarantined = [], pl.DataFrame(schema=QUARANTINE_SCHEMA)
        batch.warnings = pl.DataFrame(schema=WARNING_SCHEMA)
        return batch
    suite = budget_suite(valid_codes=codes, codes=year)
    empty_rows = pl.DataFrame(schema={"row_id": pl.Int64, "reasons": pl.List(pl.Utf8)})
    with store.connect(read_only=True) as con:
        staged_rows = int(con.execute("select count(*) from staged").fetchall()[0][0])
    if staged_rows:
        gate = validate_table(store.database, "staged", suite)
        if gate.batch_errors:
            reject_files(batch, gate.batch_errors)
            store.rejected = True
            batch.outcomes = gate.outcomes
            batch.quarantined = pl.DataFrame(schema=QUARANTINE_SCHEMA)
            batch.warnings = pl.DataFrame(schema=WARNING_SCHEMA)
            return batch
        failures, warnings, batch.outcomes = gate.row_failures, gate.row_warnings, gate.outcomes
    else:
        failures, warnings, batch.outcomes = empty_rows, empty_rows, []
    with store.connect() as con:
        con.register("_failed", failures.select("row_id").to_arrow())
        try:
            suspects = con.sql(store_sql("select_budget_suspects")).pl()
        finally:
            con.unregister("_failed")
        reasons = _reasons(suspects, failures)
        bad = reasons.filter(pl.col("reasons").list.len() > 0)
        con.from_arrow(bad.select("row_id").to_arrow()).insert_into("bad_rows")
        warned_ids = warnings.join(bad, on="row_id", how="anti").select("row_id")
        con.register("_warned", warned_ids.to_arrow())
        try:
            warned = con.sql(
                "select row_id, source_file, source_row from staged semi join _warned using (row_id)"
            ).pl()
        finally:
            con.unregister("_warned")
    batch.quarantined = quarantine_frame(
        batch, suspects.join(bad, on="row_id", how="inner"), suite.failure_columns(), BUDGET_COLUMNS
    )
    batch.warnings = warned_rows(batch, warned, warnings)
    return batch


def _reasons(suspects: pl.DataFrame, failures: pl.DataFrame) -> pl.DataFrame:
    """One row per suspect row: its sorted reasons (empty when it passes after all)."""
    return (
        suspects.select("row_id", "parse_issues", "municipality_issue", "reader_issue")
        .join(failures, on="row_id", how="left")
        .select(
            "row_id",
            row_reasons(),
        )
    )


# --- transform and load ----------------------------------------------------------------


def core_rows(batch: BudgetBatch) -> dict[str, Rows]:
    """The quarter's core rows: a query on the store, counted per file."""
    store = batch.rows
    if store.rejected:
        return {"core.fct_budget": pl.DataFrame(schema=CORE_SCHEMA)}
    with store.connect(read_only=True) as con:
        counts = con.sql(store_sql("select_budget_loaded_by_file")).fetchall()
        municipalities = int(con.sql(store_sql("select_budget_loaded_municipalities")).fetchall()[0][0])
    by_file = {str(name): int(n) for name, n in counts}
    return {
        "core.fct_budget": StoredRows(
            store.database,
            "core.fct_budget",
            "sql/insert_budget_core_rows",
            sum(by_file.values()),
            by_file,
            municipalities,
        )
    }


def raw_rows(batch: BudgetBatch) -> Rows:
    """The batch's rows for `raw.budget_lines`: every landed row of the files not rejected."""
    store = batch.rows
    if store.rejected:
        return pl.DataFrame(schema={k: v for k, v in RAW_SCHEMA.items() if k != "row_id"})
    rows = sum(f.rows_read for f in batch.files)
    return StoredRows(store.database, "raw.budget_lines", "sql/insert_budget_raw_rows", rows)


def file_versions(batch: BudgetBatch, before: pl.DataFrame, now: dt.datetime) -> pl.DataFrame:
    """`meta.budget_file_versions` rows of the batch's quarter, given what was current `before`.

    A current file × municipality × kind `replaced` the version current before this load
    when that was another file or the same file with other contents; when it is the same
    version as before, it keeps what that one replaced; when nothing was loaded before, it
    replaced the file it supersedes in this batch, if any.
    """
    store = batch.rows
    if store.rejected or store.versions.is_empty():
        return pl.DataFrame(schema=VERSION_SCHEMA)
    versions = store.versions.join(
        before, on=["municipality_code", "kind"], how="left", suffix="_before", maintain_order="left"
    )
    hashes = dict(zip(store.versions["source_file"], store.versions["sha256"], strict=True))
    same = (pl.col("file_name") == pl.col("source_file")) & (pl.col("sha256_before") == pl.col("sha256"))
    previous_sha = pl.col("previous_file").replace_strict(hashes, default=None, return_dtype=pl.Utf8)
    replaced_file = (
        pl.when(pl.col("file_name").is_null())
        .then(pl.col("previous_file"))
        .when(same)
        .then(pl.col("replaced_file"))
        .otherwise(pl.col("file_name"))
    )
    replaced_sha = (
        pl.when(pl.col("file_name").is_null())
        .then(previous_sha)
        .when(same)
        .then(pl.col("replaced_sha256"))
        .otherwise(pl.col("sha256_before"))
    )
    return versions.select(
        pl.lit(str(batch.quarter)).alias("quarter"),
        "municipality_code",
        "kind",
        pl.col("source_file").alias("file_name"),
        "sha256",
        "lines",
        "is_current",
        "superseded_by",
        pl.when(pl.col("is_current")).then(replaced_file).alias("replaced_file"),
        pl.when(pl.col("is_current")).then(replaced_sha).alias("replaced_sha256"),
        pl.lit(batch.run_id).alias("run_id"),
        pl.lit(now).alias("recorded_at"),
    ).cast(VERSION_SCHEMA)  # type: ignore[arg-type]


SOURCE = BudgetSource()
