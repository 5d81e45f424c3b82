"""The pipeline's steps as plain functions; `flows/` wraps them as Prefect tasks.

ingest_batch:  landing files of one source × quarter → typed rows, each file accounted for
validate_batch: the gate (Great Expectations) → good rows and quarantined rows with reasons
load_batch:    one transaction replaces the quarter's partition in raw, core, quarantine, meta
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import polars as pl

from expectations import plausibility
from expectations.drift import budget_drift, survey_drift
from expectations.gate import Outcome, validate_frame
from expectations.quarantine import failed_values, row_reasons
from expectations.suites import (
    Bounds,
    survey_responses_suite,
    survey_suite,
)
from flows.settings import Settings, get_settings
from ingest.readers import (
    READER_ISSUE,
    SUPPORTED_SUFFIXES,
    FileRejected,
    read_landing_file,
    sha256_of,
)
from transforms import reference as reference_tf
from transforms import survey as survey_tf
from transforms.parse import DecimalMode
from transforms.population import population_in_year
from transforms.quarter import Quarter
from transforms.safe_text import printable
from transforms.schema import SURVEY_COLUMNS, SURVEY_REQUIRED
from warehouse import shrink
from warehouse.db import scalar, sql, transaction
from warehouse.faults import fault_point
from warehouse.marts import _estimate_inputs as _estimate_inputs
from warehouse.marts import _mart_fingerprint as _mart_fingerprint
from warehouse.marts import _quarters as _quarters
from warehouse.marts import affected_quarters as affected_quarters
from warehouse.marts import catch_up_marts as catch_up_marts
from warehouse.marts import mart_keys, sql_marts
from warehouse.marts import marts_behind as marts_behind
from warehouse.marts import national_estimate_frame as national_estimate_frame
from warehouse.marts import national_estimate_period_frame as national_estimate_period_frame
from warehouse.marts import refresh_marts as refresh_marts
from warehouse.marts import refresh_quarter_dim as _refresh_quarter_dim
from warehouse.seeds import _VALID_SEEDS as _VALID_SEEDS
from warehouse.seeds import SEED_FILES as SEED_FILES
from warehouse.seeds import SEEDS_PASSED_FILE as SEEDS_PASSED_FILE
from warehouse.seeds import Reference
from warehouse.seeds import SeedsInvalid as SeedsInvalid
from warehouse.seeds import validate_reference_seeds as validate_reference_seeds
from warehouse.validation_docs import validation_docs_path as validation_docs_path
from warehouse.validation_docs import write_validation_docs as write_validation_docs
from warehouse.version import CODE_PACKAGES as CODE_PACKAGES
from warehouse.version import code_digest as code_digest
from warehouse.version import code_version as code_version

if TYPE_CHECKING:
    from costtrends.budget_batch import BudgetStore

SOURCES = ("survey", "budget")
# Re-exported for callers of the old names; the registry is warehouse.marts.
MARTS = sql_marts()
MART_KEYS = mart_keys()


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


@dataclass
class Batch:
    """One source × quarter on its way from landing to core."""

    source: str
    quarter: Quarter
    run_id: str
    files: list[FileReport]
    raw: pl.DataFrame  # lineage + row_values (json text), one row per landed row
    staged: pl.DataFrame  # typed rows
    quarantined: pl.DataFrame = field(default_factory=pl.DataFrame)
    good: pl.DataFrame = field(default_factory=pl.DataFrame)
    outcomes: list[Outcome] = field(default_factory=list)
    # Rows that load with warnings: lineage and warning names (meta.validation_warnings).
    warnings: pl.DataFrame = field(default_factory=pl.DataFrame)
    # A budget batch's rows live in a scratch DuckDB file from ingest to load (budget_batch).
    store: BudgetStore | None = None
    # Files of other quarters the batch read (`<quarter>/<name>:<sha256>`): Iv3 deliveries
    # its year-to-date deliveries add to (budget_batch.year_to_date_inputs).
    other_inputs: list[str] = field(default_factory=list)

    @property
    def source_hashes(self) -> str:
        return ",".join(sorted([*(f"{f.file_name}:{f.sha256}" for f in self.files), *self.other_inputs]))


def landing_files(landing: Path, source: str, quarter: Quarter) -> list[Path]:
    """The files of one source × quarter, in name order (hidden and partial files skipped)."""
    folder = landing / source / str(quarter)
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith((".", "~$")) and not p.name.endswith(".part")
    )


class FileDeferred(FileRejected):
    """The file may still be being written: not read now, picked up by a retry or the next run."""


def file_name(path: Path) -> str:
    """The file's name as reports, the warehouse and messages show it: undecodable bytes as `\\xNN`."""
    return printable(path.name)


def check_file_name(path: Path) -> None:
    """Raise `FileRejected` for a name that is not plain text (not UTF-8, or with control characters).

    Such a name cannot be stored or shown as it is; the message shows it escaped.
    """
    shown = file_name(path)
    if shown != path.name:
        raise FileRejected(
            f"{shown}: the file name is not valid UTF-8 text (shown escaped); rename the file to load it"
        )


def check_landing_path(path: Path, landing: Path) -> None:
    """Raise `FileRejected` for a landing entry that resolves outside the landing zone (a symlink)."""
    try:
        inside = path.resolve(strict=True).is_relative_to(landing.resolve())
    except OSError:
        inside = False
    if not inside:
        raise FileRejected(f"{path.name}: resolves outside the landing zone {landing}; refused")


def settled_files(paths: list[Path], settle_seconds: float) -> dict[Path, str]:
    """The files among `paths` still being written, with why: modified within `settle_seconds`
    and changed in size or mtime while waiting for them to reach that age (one wait per call).
    """
    if settle_seconds <= 0 or not paths:
        return {}
    import time

    stats = {p: p.stat() for p in paths}
    newest = max(s.st_mtime for s in stats.values())
    wait = newest + settle_seconds - time.time()
    if wait <= 0:
        return {}
    time.sleep(min(wait, settle_seconds))
    growing: dict[Path, str] = {}
    for path, before in stats.items():
        try:
            after = path.stat()
        except OSError:
            growing[path] = f"{path.name}: disappeared while waiting for it to settle; deferred"
            continue
        if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
            growing[path] = (
                f"{path.name}: still being written (size {before.st_size:,} → {after.st_size:,} bytes "
                f"within {settle_seconds:g} s); deferred to the next try"
            )
    return growing


def ingest_batch(
    landing: Path, source: str, quarter: Quarter, run_id: str, ref: Reference, *, workdir: Path | None = None
) -> Batch:
    """Read every landing file of the quarter; a file that cannot be read is rejected whole.

    Budget files go to a scratch store in `workdir` (default: `<home>/work`), see `budget_batch`.
    """
    if source == "budget":
        from costtrends import budget_batch

        return budget_batch.ingest(
            landing, quarter, run_id, ref, workdir=workdir or get_settings().home / "work"
        )
    reports: list[FileReport] = []
    frames: list[pl.DataFrame] = []
    decimals: dict[str, DecimalMode] = {}
    paths = landing_files(landing, source, quarter)
    growing = settled_files(paths, get_settings().landing_settle_seconds)
    for path in paths:
        report = FileReport(source, str(quarter), file_name(path), None, None, "loaded", None)
        reports.append(report)
        try:
            check_file_name(path)
            check_landing_path(path, landing)
            if path in growing:
                raise FileDeferred(growing[path])
            report.sha256, report.size_bytes = sha256_of(path), path.stat().st_size
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                raise FileRejected(f"{path.name}: unsupported file type {path.suffix!r}")
            result = read_landing_file(path, source)
        except FileRejected as exc:
            report.status = "deferred" if isinstance(exc, FileDeferred) else "rejected"
            report.message = str(exc)
            continue
        report.unknown_columns = result.unknown_columns
        report.rows_read = result.frame.height
        missing = [c for c in SURVEY_REQUIRED if c not in result.frame.columns]
        if missing:
            report.status = "rejected"
            report.message = (
                f"{path.name}: missing required column(s): {', '.join(missing)} "
                f"(no header maps to it; known headers are in transforms/mappings/{source}_columns.csv)"
            )
            report.rows_quarantined = 0
            report.rows_read = 0
            continue
        if result.frame.height == 0:
            report.status, report.message = "rejected", f"{path.name}: header only, no data rows"
            continue
        decimals[path.name] = result.decimal
        frames.append(result.frame.with_columns(pl.lit(path.name).alias("source_file")))
    fault_point("ingest:after_read")  # test hook (warehouse/faults.py)

    raw = (
        pl.concat(frames, how="diagonal")
        if frames
        else pl.DataFrame(
            {"source_row": [], "source_file": []},
            schema={"source_row": pl.Int64, "source_file": pl.Utf8},
        )
    )
    raw = raw.with_row_index("row_id").with_columns(
        pl.col("row_id").cast(pl.Int64), pl.lit(run_id).alias("run_id")
    )
    # Only canonical columns are kept as landed; reader annotations (`_reader_issue`) are not values.
    value_columns = [
        c
        for c in raw.columns
        if c not in ("row_id", "source_file", "source_row", "run_id") and not c.startswith("_")
    ]
    staged = _standardize(raw, quarter, ref, decimals)
    raw_rows = raw.select(
        pl.lit(str(quarter)).alias("quarter"),
        "source_file",
        "source_row",
        "run_id",
        (pl.struct(value_columns).struct.json_encode() if value_columns else pl.lit("{}")).alias(
            "row_values"
        ),
        "row_id",
    )
    return Batch(source, quarter, run_id, reports, raw_rows, staged)


def _standardize(
    raw: pl.DataFrame, quarter: Quarter, ref: Reference, decimals: dict[str, DecimalMode]
) -> pl.DataFrame:
    # Files of one batch may differ in decimal style; files of one style are standardized together.
    parts = []
    styles: dict[DecimalMode, list[str]] = {}
    for file_name in raw["source_file"].unique(maintain_order=True).to_list():
        styles.setdefault(decimals.get(file_name, "auto"), []).append(file_name)
    for decimal, file_names in styles.items():
        part = raw.filter(pl.col("source_file").is_in(file_names))
        parts.append(
            survey_tf.standardize_survey(
                part,
                quarter=quarter,
                municipalities=ref.municipalities,
                mergers=ref.mergers,
                decimal=decimal,
            )
        )
    if parts:
        staged = pl.concat(parts, how="vertical_relaxed").sort("row_id")
        # A row the reader could not align has no values; its reader issue is its only reason.
        issues = raw.select("row_id", _text_or_null(raw, READER_ISSUE).alias("reader_issue"))
        return staged.join(issues, on="row_id", how="left")
    empty = pl.DataFrame(
        {c: [] for c in ("row_id", "source_file", "source_row", "run_id")},
        schema={
            "row_id": pl.Int64,
            "source_file": pl.Utf8,
            "source_row": pl.Int64,
            "run_id": pl.Utf8,
        },
    )
    staged = survey_tf.standardize_survey(
        empty, quarter=quarter, municipalities=ref.municipalities, mergers=ref.mergers
    )
    return staged.with_columns(pl.lit(None, dtype=pl.Utf8).alias("reader_issue"))


def _text_or_null(frame: pl.DataFrame, name: str) -> pl.Expr:
    return pl.col(name) if name in frame.columns else pl.lit(None, dtype=pl.Utf8)


def validate_batch(
    batch: Batch, ref: Reference, *, workdir: Path | None = None, bounds: Bounds | None = None
) -> Batch:
    """Run the source's suite; rows failing an error check (or not parsing) go to quarantine.

    A failed batch-level check rejects every file of the batch whole (see `_reject_files`).
    Quarantined rows carry their reasons and the values those reasons are about; rows that
    load with warnings are kept in `batch.warnings`. `bounds` default to the settings'.
    """
    bounds = bounds or validation_bounds()
    if batch.store is not None:
        from costtrends import budget_batch

        return budget_batch.validate(batch, ref, bounds=bounds)
    codes = reference_tf.valid_codes(ref.municipalities, ref.mergers, batch.quarter)
    suite = survey_suite(valid_codes=codes, bounds=bounds, submitted_before=submitted_before())
    # The size-relative checks judge amounts and FTE against the municipality's population.
    population = population_in_year(ref.population, batch.quarter.year)
    staged = batch.staged.join(population, on="municipality_code", how="left", maintain_order="left")
    checked = staged.drop("parse_issues", "municipality_issue", "reader_issue", strict=False)
    if staged.height:
        gate = validate_frame(checked, suite, id_column="row_id", workdir=workdir)
        failures, warnings, outcomes = gate.row_failures, gate.row_warnings, gate.outcomes
        if gate.batch_errors:
            _reject_files(batch, gate.batch_errors)
            staged, failures, warnings = staged.clear(), failures.clear(), warnings.clear()
    else:
        failures = pl.DataFrame(schema={"row_id": pl.Int64, "reasons": pl.List(pl.Utf8)})
        warnings, outcomes = failures.clear(), []
    # The matcher's explanation (which text, which candidates) stands in for GX's bare
    # `municipality_known`; parse failures come first.
    # A row the reader could not align has no values to check: its reader issue is its reason.
    reasons = (
        staged.select("row_id", "parse_issues", "municipality_issue", _text_or_null(staged, "reader_issue"))
        .join(failures, on="row_id", how="left")
        .select(
            "row_id",
            row_reasons(),
        )
    )
    bad_ids = reasons.filter(pl.col("reasons").list.len() > 0)
    failure_columns = suite.failure_columns()
    value_columns = sorted({c for cs in failure_columns.values() for c in cs} & set(staged.columns))
    quarantined = (
        batch.raw.join(bad_ids, on="row_id", how="inner")
        .join(staged.select("row_id", *value_columns), on="row_id", how="left")
        .select(
            pl.lit(batch.run_id).alias("run_id"),
            pl.lit(str(batch.quarter)).alias("quarter"),
            pl.lit(batch.source).alias("source"),
            "source_file",
            "source_row",
            "row_values",
            "reasons",
            failed_values(
                failure_columns=failure_columns,
                value_columns=value_columns,
                raw_columns=SURVEY_COLUMNS,
            ).alias("failed_values"),
        )
        .sort("source_file", "source_row")
    )
    good = staged.join(bad_ids.select("row_id"), on="row_id", how="anti")
    batch.quarantined, batch.good, batch.outcomes, batch.warnings = (
        quarantined,
        good,
        outcomes,
        _warned_rows(batch, good, warnings),
    )
    return batch


def submitted_before() -> dt.datetime:
    """The latest plausible submission time: now (UTC) plus the settings' tolerance."""
    tolerance = dt.timedelta(hours=get_settings().future_submission_tolerance_hours)
    return dt.datetime.now(dt.UTC).replace(tzinfo=None) + tolerance


def validation_bounds() -> Bounds:
    """The plausibility and drift bounds from the settings module."""
    s = get_settings()
    return Bounds(
        amount_max_eur=s.plausible_amount_max_eur,
        amount_per_inhabitant_max_eur=s.amount_per_inhabitant_max_eur,
        fte_per_1000_min=s.fte_per_1000_min,
        fte_per_1000_max=s.fte_per_1000_max,
        drift_max_drop_share=s.drift_max_drop_share,
        drift_max_change_factor=s.drift_max_change_factor,
    )


def _reject_files(batch: Batch, errors: list[str]) -> None:
    """A batch-level error rejects every file of the batch: nothing of them loads.

    What can be decided per file is decided at ingest (unreadable, a required column
    missing, no data rows). What reaches the suite's batch-level checks is the
    standardized batch, whose columns are the same for every file, so such a failure
    concerns every file alike. As at ingest, a rejected file counts no rows read, loaded or
    quarantined; its message says how many rows it had.
    """
    for report in batch.files:
        if report.status in ("rejected", "deferred"):
            continue
        report.status = "rejected"
        report.message = (
            f"{report.file_name}: rejected whole, {report.rows_read} rows not loaded: {'; '.join(errors)}"
        )
        report.rows_read = report.rows_loaded = report.rows_quarantined = 0
    batch.raw = batch.raw.clear()


WARNING_SCHEMA: dict[str, pl.DataType] = {
    "run_id": pl.Utf8(),
    "quarter": pl.Utf8(),
    "source": pl.Utf8(),
    "source_file": pl.Utf8(),
    "source_row": pl.Int64(),
    "warnings": pl.List(pl.Utf8()),
}


def _warned_rows(batch: Batch, good: pl.DataFrame, warnings: pl.DataFrame) -> pl.DataFrame:
    """One row per row that loads with at least one warning: lineage and the warnings' names."""
    return (
        good.select("row_id", "source_file", "source_row")
        .join(warnings, on="row_id", how="inner")
        .select(
            pl.lit(batch.run_id).alias("run_id"),
            pl.lit(str(batch.quarter)).alias("quarter"),
            pl.lit(batch.source).alias("source"),
            "source_file",
            "source_row",
            pl.col("reasons").alias("warnings"),
        )
        .cast(WARNING_SCHEMA)  # type: ignore[arg-type]
        .sort("source_file", "source_row")
    )


def transform_batch(batch: Batch) -> dict[str, pl.DataFrame]:
    """Good rows → the core tables of the quarter (a budget batch's stay in its store)."""
    if batch.store is not None:
        from costtrends import budget_batch

        return budget_batch.transform(batch)  # type: ignore[return-value]
    responses = survey_tf.resolve_resubmissions(batch.good)
    guard = _guard_current_responses(batch, responses)
    batch.outcomes = [o for o in batch.outcomes if o.suite != "survey_responses"] + guard
    return {
        "core.fct_survey_response": responses.select(
            "quarter",
            "response_id",
            "municipality_code",
            "submitted_at",
            "fte",
            "remote_share_now_pct",
            "remote_share_expected_pct",
            "is_complete",
            "is_superseded",
            "source_file",
            "source_row",
            "run_id",
        ).sort("municipality_code", "submitted_at", "source_file", "source_row"),
        "core.fct_survey_cost": survey_tf.costs_to_long(responses),
    }


def _guard_current_responses(batch: Batch, responses: pl.DataFrame) -> list[Outcome]:
    """Validate that one response per municipality × quarter is current; stop the run if not.

    A failure is a fault in resolving resubmissions, not in the data: nothing is quarantined,
    the run stops before anything of the quarter is written.
    """
    if responses.is_empty():
        return []
    keys = responses.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("row_id"),
        "municipality_code",
        "quarter",
        "is_superseded",
    )
    gate = validate_frame(keys, survey_responses_suite())
    if gate.batch_errors:
        raise RuntimeError(f"survey {batch.quarter}: {'; '.join(gate.batch_errors)}")
    if gate.row_failures.height:
        doubled = keys.join(gate.row_failures, on="row_id")["municipality_code"].unique().sort().to_list()
        raise RuntimeError(
            f"survey {batch.quarter}: more than one current response after resolving resubmissions "
            f"for {', '.join(doubled)}; nothing of the quarter is written"
        )
    return gate.outcomes


CORE_TABLES = {
    "survey": ("core.fct_survey_response", "core.fct_survey_cost"),
    "budget": ("core.fct_budget",),
}
RAW_TABLES = {"survey": "raw.survey_responses", "budget": "raw.budget_lines"}


def account_rows(batch: Batch, core: dict[str, pl.DataFrame]) -> list[FileReport]:
    """Fill rows loaded / quarantined per file; read = loaded + quarantined (+ superseded), or it raises."""
    loaded_table = "core.fct_survey_response" if batch.source == "survey" else "core.fct_budget"
    loaded = core[loaded_table]
    quarantined = batch.quarantined.group_by("source_file").len()
    if isinstance(loaded, pl.DataFrame):
        loaded_by = dict(loaded.group_by("source_file").len().iter_rows())
    else:  # budget_batch.StoredRows, counted per file at transform
        loaded_by = dict(loaded.by_file)
    quarantined_by = dict(quarantined.iter_rows())
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


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    if not isinstance(frame, pl.DataFrame):  # budget_batch.StoredRows: streamed from its store
        frame.insert_into(con, table)
        return
    con.register("_frame", frame.to_arrow())
    try:
        con.execute(f"insert into {table} by name select * from _frame")
    finally:
        con.unregister("_frame")


def load_batch(
    con: duckdb.DuckDBPyConnection,
    batch: Batch,
    core: dict[str, pl.DataFrame],
    *,
    bounds: Bounds | None = None,
    keep_store: bool = False,
) -> list[Outcome]:
    """Replace the quarter's partition of this source everywhere, in one transaction.

    Inside the caller's `transaction` it joins it; then the caller passes `keep_store` and
    discards a budget batch's store after its commit, so a retry can read it again.
    Returns the outcomes recorded (the batch's and the drift checks').

    Also records every check's outcome, drift warnings against the previous loaded quarter
    included (`drift_outcomes`), and the rows that loaded with warnings.
    """
    q, now = str(batch.quarter), dt.datetime.now(dt.UTC).replace(tzinfo=None)
    outcomes = [*batch.outcomes, *drift_outcomes(con, batch, core, bounds or validation_bounds())]
    files = pl.DataFrame(
        [
            {
                "run_id": batch.run_id,
                "quarter": q,
                "source": f.source,
                "file_name": f.file_name,
                "sha256": f.sha256,
                "size_bytes": f.size_bytes,
                "status": f.status,
                "message": f.message,
                "rows_read": f.rows_read,
                "rows_loaded": f.rows_loaded,
                "rows_quarantined": f.rows_quarantined,
                "rows_superseded": f.rows_superseded,
                "unknown_columns": f.unknown_columns,
                "ingested_at": now,
            }
            for f in batch.files
        ],
        schema={
            "run_id": pl.Utf8,
            "quarter": pl.Utf8,
            "source": pl.Utf8,
            "file_name": pl.Utf8,
            "sha256": pl.Utf8,
            "size_bytes": pl.Int64,
            "status": pl.Utf8,
            "message": pl.Utf8,
            "rows_read": pl.Int64,
            "rows_loaded": pl.Int64,
            "rows_quarantined": pl.Int64,
            "rows_superseded": pl.Int64,
            "unknown_columns": pl.List(pl.Utf8),
            "ingested_at": pl.Datetime("us"),
        },
    )
    results = pl.DataFrame(
        [
            {
                "run_id": batch.run_id,
                "quarter": q,
                "source": batch.source,
                "suite": o.suite,
                "expectation": o.expectation,
                "severity": o.severity,
                "success": o.success,
                "element_count": o.element_count,
                "unexpected_count": o.unexpected_count,
                "description": o.description,
                "message": o.message,
            }
            for o in outcomes
        ],
        schema={
            "run_id": pl.Utf8,
            "quarter": pl.Utf8,
            "source": pl.Utf8,
            "suite": pl.Utf8,
            "expectation": pl.Utf8,
            "severity": pl.Utf8,
            "success": pl.Boolean,
            "element_count": pl.Int64,
            "unexpected_count": pl.Int64,
            "description": pl.Utf8,
            "message": pl.Utf8,
        },
    )
    warned = batch.warnings if batch.warnings.width else pl.DataFrame(schema=WARNING_SCHEMA)
    with transaction(con):
        con.execute(f"delete from {RAW_TABLES[batch.source]} where quarter = ?", [q])
        _insert(con, RAW_TABLES[batch.source], _raw_rows(batch))
        fault_point("load:after_delete")  # test hook (warehouse/faults.py)
        con.execute(
            "delete from quarantine.rejected_rows where quarter = ? and source = ?",
            [q, batch.source],
        )
        _insert(con, "quarantine.rejected_rows", batch.quarantined)
        for table in CORE_TABLES[batch.source]:
            con.execute(f"delete from {table} where quarter = ?", [q])
            _insert(con, table, core[table])
        _insert(con, "meta.ingested_files", files)
        _insert(con, "meta.validation_results", results)
        con.execute(
            "delete from meta.validation_warnings where quarter = ? and source = ?", [q, batch.source]
        )
        _insert(con, "meta.validation_warnings", warned)
        con.execute("delete from meta.partitions where source = ? and quarter = ?", [batch.source, q])
        con.execute(
            "insert into meta.partitions values (?, ?, ?, ?, ?, ?)",
            [batch.source, q, batch.run_id, now, batch.source_hashes, code_version()],
        )
        if batch.store is not None:
            from costtrends import budget_batch

            budget_batch.record_versions(con, batch, now)
        _refresh_quarter_dim(con)
    if batch.store is not None and not keep_store:
        batch.store.discard()
    return outcomes


def warning_lines(batch: Batch, outcomes: list[Outcome]) -> list[str]:
    """One line per failed warning-level check of the batch, for the run's summary."""
    return [
        f"{batch.source} {batch.quarter}: {o.expectation}: "
        + (o.message or f"{o.unexpected_count:,} of {o.element_count:,} rows ({o.description})")
        for o in outcomes
        if o.severity == "warning" and not o.success
    ]


def plausibility_thresholds(settings: Settings | None = None) -> plausibility.Thresholds:
    """The plausibility gate's thresholds from the settings module."""
    s = settings or get_settings()
    return plausibility.Thresholds(
        max_factor_own=s.plausibility_max_factor_own,
        max_factor_class=s.plausibility_max_factor_class,
        min_class_peers=s.plausibility_min_class_peers,
    )


def plausibility_gate(
    con: duckdb.DuckDBPyConnection,
    batch: Batch,
    core: dict[str, pl.DataFrame],
    thresholds: plausibility.Thresholds,
) -> dict[str, pl.DataFrame]:
    """Quarantine survey responses whose spend per inhabitant jumps (`expectations.plausibility`).

    Reads the municipalities' history from the warehouse (so it runs at load, in quarter
    order); the flagged rows move from the good rows to the quarantine with their reason,
    the core rows are made again without them and every file's rows are accounted anew.
    Returns the core rows to load; a budget batch passes through.
    """
    if batch.source != "survey":
        return core
    history = con.sql(
        sql("sql/select_survey_plausibility_history"), params={"quarter": str(batch.quarter)}
    ).pl()
    flagged = plausibility.jumps(batch.good, history, thresholds)
    batch.outcomes = [o for o in batch.outcomes if o.suite != plausibility.SUITE]
    batch.outcomes.append(plausibility.outcome(batch.good.height, flagged.height, thresholds))
    if flagged.is_empty():
        return core
    moved = (
        batch.raw.join(flagged, on="row_id", how="inner")
        .select(
            pl.lit(batch.run_id).alias("run_id"),
            pl.lit(str(batch.quarter)).alias("quarter"),
            pl.lit(batch.source).alias("source"),
            "source_file",
            "source_row",
            "row_values",
            pl.concat_list(pl.col("reason")).alias("reasons"),
            "failed_values",
        )
        .cast(dict(batch.quarantined.schema))  # type: ignore[arg-type]
    )
    batch.quarantined = pl.concat([batch.quarantined, moved]).sort("source_file", "source_row")
    batch.good = batch.good.join(flagged.select("row_id"), on="row_id", how="anti")
    if batch.warnings.width:
        lineage = moved.select("source_file", "source_row")
        batch.warnings = batch.warnings.join(lineage, on=["source_file", "source_row"], how="anti")
    core = transform_batch(batch)
    account_rows(batch, core)
    return core


def new_size(batch: Batch, core: dict[str, pl.DataFrame]) -> shrink.PartitionSize:
    """How much of the source × quarter a load of `core` would leave in core."""
    rows = core[CORE_TABLES[batch.source][0]]
    if isinstance(rows, pl.DataFrame):
        municipalities = rows["municipality_code"].n_unique() if rows.height else 0
        return shrink.PartitionSize(rows.height, municipalities)
    return shrink.PartitionSize(rows.height, rows.municipalities)  # budget_batch.StoredRows


def shrink_refusal(
    con: duckdb.DuckDBPyConnection, batch: Batch, core: dict[str, pl.DataFrame], settings: Settings
) -> str | None:
    """Why the batch must not replace its loaded partition (`warehouse.shrink`); None: it may."""
    q = str(batch.quarter)
    return shrink.refusal(
        batch.source,
        q,
        shrink.loaded_size(con, batch.source, q),
        new_size(batch, core),
        max_row_loss_share=settings.shrink_max_row_loss_share,
        max_municipality_loss_share=settings.shrink_max_municipality_loss_share,
    )


def _raw_rows(batch: Batch) -> pl.DataFrame:
    """The batch's rows for its raw table (a budget batch streams them from its store)."""
    if batch.store is not None:
        from costtrends import budget_batch

        return budget_batch.raw_rows(batch)  # type: ignore[return-value]
    return batch.raw.drop("row_id")


def drift_outcomes(
    con: duckdb.DuckDBPyConnection, batch: Batch, core: dict[str, pl.DataFrame], bounds: Bounds
) -> list[Outcome]:
    """Drift warnings of the batch's quarter against the latest earlier quarter loaded.

    Reads the previous quarter from the warehouse (before this batch's write), then the pure
    checks in `expectations.drift`. Quarters loaded out of order compare with whichever
    earlier quarter is loaded at the time.
    """
    loaded = con.execute("select quarter from meta.partitions where source = ?", [batch.source]).fetchall()
    previous = max((Quarter.parse(r[0]) for r in loaded if Quarter.parse(r[0]) < batch.quarter), default=None)
    if batch.source == "budget":
        previous_lines = (
            int(scalar(con, "select count(*) from core.fct_budget where quarter = ?", [str(previous)]) or 0)
            if previous
            else 0
        )
        return budget_drift(
            quarter=batch.quarter,
            previous_quarter=previous,
            current_lines=core["core.fct_budget"].height,
            previous_lines=previous_lines,
            bounds=bounds,
        )
    costs = "select municipality_code, cost_category, amount_eur from core.fct_survey_cost where quarter = ?"
    population = "select municipality_code, year, population from core.dim_municipality_population"
    return survey_drift(
        quarter=batch.quarter,
        previous_quarter=previous,
        current_costs=core["core.fct_survey_cost"],
        previous_costs=con.sql(costs, params=[str(previous) if previous else None]).pl(),
        population=con.sql(population).pl(),
        bounds=bounds,
    )
