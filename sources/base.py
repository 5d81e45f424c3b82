"""What every source is: the `Source` protocol, its one batch type and the frames all sources share.

A source takes one quarter of its landing files through four steps, each accounting for
every row it was given:

ingest:    `landing/<source>/<quarter>/` → a `Batch`: a `FileReport` per file (rejected or
           deferred whole, or read), and the rows read, kept however the source keeps them
           (`Batch.rows`: polars frames for the survey, a scratch store for the budget);
validate:  the source's suite (`expectations.suites`): rows failing a check, or with a parse,
           municipality or reader issue, go to `Batch.quarantined` with their reasons
           (`quarantine_frame`), rows loading with warnings to `Batch.warnings`;
core rows: the good rows → the quarter's rows of each core table (`Rows`);
raw rows:  every row read of the files not rejected, for the source's raw table.

Then `account_rows` checks that every file's rows read = loaded + quarantined (+ superseded).
`warehouse.load` writes a batch; `warehouse.checks` judges it against what is loaded.

Adding a source (or a layout of one): one module in `sources/` implementing `Source`, its
reader in `ingest/`, its suite in `expectations/suites.py`, and its entry in
`sources.registry.SOURCES`. Nothing else branches on the source.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

import polars as pl

from expectations.bounds import Bounds
from expectations.gate import Outcome
from expectations.quarantine import failed_values
from transforms.quarter import Quarter

if TYPE_CHECKING:
    from ingest.reference import Reference  # a frame bundle passed in; only its type is named here


@dataclass
class FileReport:
    """What happened to one landing file."""

    source: str
    quarter: str
    file_name: str
    sha256: str | None
    size_bytes: int | None
    status: str  # loaded | partial | rejected | deferred (still being written: read by a later run)
    message: str | None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    unknown_columns: list[str] = field(default_factory=list)
    # Budget lines a later file of the quarter restates: neither loaded nor quarantined.
    rows_superseded: int = 0


@dataclass(frozen=True)
class StoredRows:
    """Rows that stay in a DuckDB file until they are written: where, how, and how many.

    `warehouse.load` inserts them DuckDB to DuckDB, running `insert` (a SQL file under
    warehouse/) with the file attached read-only as `budget_store`.
    """

    path: Path
    table: str  # the warehouse table they go to
    insert: str  # a SQL file under warehouse/ inserting them from the attached store
    height: int
    by_file: dict[str, int] = field(default_factory=dict)
    # Distinct municipalities among the rows (what the shrink guard compares).
    municipalities: int = 0


# A table's rows for the warehouse: a frame, or rows kept in a source's store.
Rows = pl.DataFrame | StoredRows

R = TypeVar("R")


@dataclass
class Batch(Generic[R]):
    """One source × quarter on its way from landing to core.

    `rows` is the source's own: what it read and what it made of it, in the form that
    suits its size (see the source's module). Everything else means the same for every source.
    """

    source: str
    quarter: Quarter
    run_id: str
    files: list[FileReport]
    rows: R
    quarantined: pl.DataFrame = field(default_factory=pl.DataFrame)
    outcomes: list[Outcome] = field(default_factory=list)
    # Rows that load with warnings: lineage and warning names (meta.validation_warnings).
    warnings: pl.DataFrame = field(default_factory=pl.DataFrame)
    # Files of other quarters the batch read (`<quarter>/<name>:<sha256>`): e.g. Iv3 deliveries
    # a year-to-date delivery adds to (sources.budget.year_to_date_inputs).
    other_inputs: list[str] = field(default_factory=list)

    @property
    def source_hashes(self) -> str:
        return ",".join(sorted([*(f"{f.file_name}:{f.sha256}" for f in self.files), *self.other_inputs]))

    def discard(self) -> None:
        """Remove what the batch keeps on disk, if anything (after its load committed)."""
        discard = getattr(self.rows, "discard", None)
        if discard is not None:
            discard()


@dataclass(frozen=True)
class IngestOptions:
    """What ingest needs from the settings."""

    workdir: Path  # where a source may keep a batch's scratch files
    settle_seconds: float = 0.0  # a file changed this recently is watched for still being written


@dataclass(frozen=True)
class ValidateOptions:
    """What validation needs from the settings."""

    bounds: Bounds
    submitted_before: dt.datetime  # the latest plausible submission time
    workdir: Path | None = None  # where GX may write its scratch files


class Source(Protocol):
    """One kind of input, from its landing files to its core rows (see the module docstring)."""

    name: str
    raw_table: str
    # The core tables a batch replaces its quarter of; the first counts the rows loaded per file.
    core_tables: tuple[str, ...]

    def ingest(
        self, landing: Path, quarter: Quarter, run_id: str, ref: Reference, options: IngestOptions
    ) -> Batch: ...

    def validate(self, batch: Batch, ref: Reference, options: ValidateOptions) -> Batch: ...

    def core_rows(self, batch: Batch) -> dict[str, Rows]:
        """The good rows as the quarter's rows of each of `core_tables`."""
        ...

    def raw_rows(self, batch: Batch) -> Rows:
        """Every row read of the files not rejected, for `raw_table`."""
        ...

    def judged_rows(self, batch: Batch) -> pl.DataFrame | None:
        """The good rows the plausibility gate judges (`expectations.plausibility`); None: none."""
        ...

    def quarantine_rows(self, batch: Batch, flagged: pl.DataFrame) -> None:
        """Move good rows flagged after validation (`row_id`, `reason`, `failed_values`) to quarantine."""
        ...

    def file_versions(self, batch: Batch, current: pl.DataFrame, now: dt.datetime) -> pl.DataFrame | None:
        """`meta.budget_file_versions` rows of the quarter given the `current` ones; None: none kept."""
        ...

    def other_inputs(self, landing: Path, quarter: Quarter, sha: Callable[[Path], str]) -> list[str]:
        """Files of other quarters a load of `quarter` reads, as `<quarter>/<name>:<sha256>`; often none.

        They count in the quarter's landing hashes, so a change to one redoes the quarter.
        """
        ...


QUARANTINE_SCHEMA: dict[str, pl.DataType] = {
    "run_id": pl.Utf8(),
    "quarter": pl.Utf8(),
    "source": pl.Utf8(),
    "source_file": pl.Utf8(),
    "source_row": pl.Int64(),
    "row_values": pl.Utf8(),
    "reasons": pl.List(pl.Utf8()),
    "failed_values": pl.List(pl.Utf8()),
}
WARNING_SCHEMA: dict[str, pl.DataType] = {
    "run_id": pl.Utf8(),
    "quarter": pl.Utf8(),
    "source": pl.Utf8(),
    "source_file": pl.Utf8(),
    "source_row": pl.Int64(),
    "warnings": pl.List(pl.Utf8()),
}
LINEAGE = ("row_id", "source_file", "source_row", "run_id")


def _lineage_of(batch: Batch) -> list[pl.Expr]:
    return [
        pl.lit(batch.run_id).alias("run_id"),
        pl.lit(str(batch.quarter)).alias("quarter"),
        pl.lit(batch.source).alias("source"),
        pl.col("source_file"),
        pl.col("source_row"),
    ]


def raw_select(rows: pl.DataFrame, quarter: Quarter, value_columns: Iterable[str]) -> pl.DataFrame:
    """Rows for a raw table: lineage and the landed values as JSON text (`row_values`), plus `row_id`.

    `rows` holds `source_file`, `source_row`, `run_id`, `row_id` and the value columns.
    """
    values = list(value_columns)
    return rows.select(
        pl.lit(str(quarter)).alias("quarter"),
        "source_file",
        "source_row",
        "run_id",
        (pl.struct(values).struct.json_encode() if values else pl.lit("{}")).alias("row_values"),
        "row_id",
    )


def quarantine_frame(
    batch: Batch,
    rows: pl.DataFrame,
    failure_columns: dict[str, tuple[str, ...]],
    raw_columns: Iterable[str],
) -> pl.DataFrame:
    """Quarantine rows of `batch` from `rows` (lineage, `row_values`, `reasons` and the checked values).

    Each row keeps the values its failed checks are about (`failure_columns`, check →
    columns), as `expectations.quarantine.failed_values` words them.
    """
    value_columns = sorted({c for cs in failure_columns.values() for c in cs} & set(rows.columns))
    return (
        rows.select(
            *_lineage_of(batch),
            pl.col("row_values").cast(pl.Utf8),
            "reasons",
            failed_values(
                failure_columns=failure_columns,
                value_columns=value_columns,
                raw_columns=tuple(raw_columns),
            ).alias("failed_values"),
        )
        .sort("source_file", "source_row")
        .cast(QUARANTINE_SCHEMA)  # type: ignore[arg-type]
    )


def moved_to_quarantine(batch: Batch, raw: pl.DataFrame, flagged: pl.DataFrame) -> pl.DataFrame:
    """Quarantine rows of `batch` for rows flagged after validation (`row_id`, `reason`, `failed_values`)."""
    return (
        raw.join(flagged, on="row_id", how="inner")
        .select(
            *_lineage_of(batch),
            "row_values",
            pl.concat_list(pl.col("reason")).alias("reasons"),
            "failed_values",
        )
        .cast(QUARANTINE_SCHEMA)  # type: ignore[arg-type]
    )


def warned_rows(batch: Batch, good: pl.DataFrame, warnings: pl.DataFrame) -> pl.DataFrame:
    """One row per row that loads with at least one warning: lineage and the warnings' names."""
    return (
        good.select("row_id", "source_file", "source_row")
        .join(warnings, on="row_id", how="inner")
        .select(*_lineage_of(batch), pl.col("reasons").alias("warnings"))
        .cast(WARNING_SCHEMA)  # type: ignore[arg-type]
        .sort("source_file", "source_row")
    )


def reject_files(batch: Batch, errors: list[str]) -> None:
    """A batch-level error rejects every file of the batch: nothing of them loads.

    What can be decided per file is decided at ingest (unreadable, a required column
    missing, no data rows). What reaches the suite's batch-level checks is the
    standardized batch, whose columns are the same for every file, so such a failure
    concerns every file alike. As at ingest, a rejected file counts no rows read, loaded or
    quarantined; its message says how many rows it had. The source drops the rows.
    """
    for report in batch.files:
        if report.status in ("rejected", "deferred"):
            continue
        report.status = "rejected"
        report.message = (
            f"{report.file_name}: rejected whole, {report.rows_read} rows not loaded: {'; '.join(errors)}"
        )
        report.rows_read = report.rows_loaded = report.rows_quarantined = 0


def rows_by_file(rows: Rows) -> dict[str, int]:
    """Rows per `source_file`."""
    if isinstance(rows, StoredRows):
        return dict(rows.by_file)
    return {str(k): int(v) for k, v in rows.group_by("source_file").len().iter_rows()}


def account_rows(batch: Batch, loaded: Rows) -> list[FileReport]:
    """Fill rows loaded / quarantined per file; read = loaded + quarantined (+ superseded), or it raises.

    `loaded` are the rows of the source's first core table.
    """
    loaded_by = rows_by_file(loaded)
    quarantined_by = dict(batch.quarantined.group_by("source_file").len().iter_rows())
    for report in batch.files:
        if report.status in ("rejected", "deferred"):
            continue
        report.rows_loaded = int(loaded_by.get(report.file_name, 0))
        report.rows_quarantined = int(quarantined_by.get(report.file_name, 0))
        if report.rows_loaded + report.rows_quarantined + report.rows_superseded != report.rows_read:
            raise RuntimeError(
                f"row accounting broken for {report.file_name}: read {report.rows_read}, "
                f"loaded {report.rows_loaded}, quarantined {report.rows_quarantined}"
            )
        if report.rows_quarantined:
            report.status = "partial"
            note = f"{report.rows_quarantined} of {report.rows_read} rows quarantined"
            # Accounted again after the plausibility gate: the earlier count gives way.
            earlier = re.sub(r"(^|; )\d+ of \d+ rows quarantined$", "", report.message or "")
            report.message = f"{earlier}; {note}" if earlier else note
    return batch.files
