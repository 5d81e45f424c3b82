"""The pipeline's steps as plain functions; `flows/` wraps them as Prefect tasks.

ingest_batch:  landing files of one source × quarter → typed rows, each file accounted for
validate_batch: the gate (Great Expectations) → good rows and quarantined rows with reasons
load_batch:    one transaction replaces the quarter's partition in raw, core, quarantine, meta
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from costtrends import __version__
from expectations.gate import Outcome, validate_frame
from expectations.suites import budget_suite, survey_suite
from transforms import budget as budget_tf
from transforms import estimate as estimate_tf
from transforms import reference as reference_tf
from transforms import survey as survey_tf
from transforms.quarter import Quarter
from transforms.readers import SUPPORTED_SUFFIXES, FileRejected, read_landing_file, sha256_of
from transforms.schema import BUDGET_REQUIRED, SURVEY_REQUIRED
from warehouse.db import scalar, sql, transaction
from warehouse.seeds import Reference

SOURCES = ("survey", "budget")
REQUIRED = {"survey": SURVEY_REQUIRED, "budget": BUDGET_REQUIRED}


def code_version() -> str:
    """The package version plus a hash of the SQL and mapping files that shape the output."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parents[1]
    for pattern in ("warehouse/**/*.sql", "warehouse/seeds/*.csv", "transforms/mappings/*.csv"):
        for path in sorted(root.glob(pattern)):
            digest.update(path.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:12]}"


@dataclass
class FileReport:
    """What happened to one landing file."""

    source: str
    quarter: str
    file_name: str
    sha256: str | None
    size_bytes: int | None
    status: str  # loaded | partial | rejected
    message: str | None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    unknown_columns: list[str] = field(default_factory=list)


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
    warnings: pl.DataFrame = field(default_factory=pl.DataFrame)

    @property
    def source_hashes(self) -> str:
        return ",".join(sorted(f"{f.file_name}:{f.sha256}" for f in self.files))


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


def ingest_batch(landing: Path, source: str, quarter: Quarter, run_id: str, ref: Reference) -> Batch:
    """Read every landing file of the quarter; a file that cannot be read is rejected whole."""
    reports: list[FileReport] = []
    frames: list[pl.DataFrame] = []
    decimals: dict[str, str] = {}
    for path in landing_files(landing, source, quarter):
        report = FileReport(
            source, str(quarter), path.name, sha256_of(path), path.stat().st_size, "loaded", None
        )
        reports.append(report)
        try:
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                raise FileRejected(f"{path.name}: unsupported file type {path.suffix!r}")
            result = read_landing_file(path, source)
        except FileRejected as exc:
            report.status, report.message = "rejected", str(exc)
            continue
        report.unknown_columns = result.unknown_columns
        report.rows_read = result.frame.height
        missing = [c for c in REQUIRED[source] if c not in result.frame.columns]
        if (
            source == "budget"
            and "period" not in result.frame.columns
            and not {"year", "quarter"} <= set(result.frame.columns)
        ):
            missing.append("period (or year + quarter)")
        if missing:
            report.status = "rejected"
            report.message = f"{path.name}: missing required column(s): {', '.join(missing)}"
            report.rows_quarantined = 0
            report.rows_read = 0
            continue
        if result.frame.height == 0:
            report.status, report.message = "rejected", f"{path.name}: header only, no data rows"
            continue
        decimals[path.name] = result.decimal
        frames.append(result.frame.with_columns(pl.lit(path.name).alias("source_file")))

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
    value_columns = [c for c in raw.columns if c not in ("row_id", "source_file", "source_row", "run_id")]
    staged = _standardize(source, raw, quarter, ref, decimals)
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
    source: str, raw: pl.DataFrame, quarter: Quarter, ref: Reference, decimals: dict[str, str]
) -> pl.DataFrame:
    # Files of one batch may differ in decimal style; standardize each file with its own.
    parts = []
    for file_name in raw["source_file"].unique(maintain_order=True).to_list():
        part = raw.filter(pl.col("source_file") == file_name)
        kwargs = {"quarter": quarter, "municipalities": ref.municipalities, "mergers": ref.mergers}
        decimal = decimals.get(file_name, "auto")
        if source == "survey":
            parts.append(survey_tf.standardize_survey(part, decimal=decimal, **kwargs))
        else:
            parts.append(budget_tf.standardize_budget(part, decimal=decimal, **kwargs))
    if parts:
        return pl.concat(parts, how="vertical_relaxed").sort("row_id")
    empty = pl.DataFrame(
        {c: [] for c in ("row_id", "source_file", "source_row", "run_id")},
        schema={
            "row_id": pl.Int64,
            "source_file": pl.Utf8,
            "source_row": pl.Int64,
            "run_id": pl.Utf8,
        },
    )
    fn = survey_tf.standardize_survey if source == "survey" else budget_tf.standardize_budget
    return fn(empty, quarter=quarter, municipalities=ref.municipalities, mergers=ref.mergers)


def validate_batch(batch: Batch, ref: Reference, *, workdir: Path | None = None) -> Batch:
    """Run the source's suite; rows failing an error check (or not parsing) go to quarantine."""
    codes = reference_tf.valid_codes(ref.municipalities, ref.mergers, batch.quarter)
    if batch.source == "survey":
        suite = survey_suite(valid_codes=codes)
    else:
        suite = budget_suite(
            valid_codes=codes,
            taakvelden=_taakvelden_for_year(ref.taakvelden, batch.quarter.year),
            categorieen=ref.categorieen["code"].to_list(),
        )
    staged = batch.staged
    checked = staged.drop("parse_issues", "municipality_issue")
    if staged.height:
        gate = validate_frame(checked, suite, id_column="row_id", workdir=workdir)
        failures, warnings, outcomes = gate.row_failures, gate.row_warnings, gate.outcomes
    else:
        failures = pl.DataFrame(schema={"row_id": pl.Int64, "reasons": pl.List(pl.Utf8)})
        warnings, outcomes = failures.clear(), []
    # The matcher's explanation (which text, which candidates) stands in for GX's bare
    # `municipality_known`; parse failures come first.
    reasons = (
        staged.select("row_id", "parse_issues", "municipality_issue")
        .join(failures, on="row_id", how="left")
        .select(
            "row_id",
            pl.concat_list(
                pl.col("parse_issues"),
                pl.lit("municipality_known: ") + pl.col("municipality_issue"),
                pl.col("reasons")
                .fill_null(pl.lit([], dtype=pl.List(pl.Utf8)))
                .list.eval(pl.element().filter(pl.element() != "municipality_known")),
            )
            .list.drop_nulls()
            .list.unique()
            .list.sort()
            .alias("reasons"),
        )
    )
    bad_ids = reasons.filter(pl.col("reasons").list.len() > 0)
    quarantined = (
        batch.raw.join(bad_ids, on="row_id", how="inner")
        .select(
            pl.lit(batch.run_id).alias("run_id"),
            pl.lit(str(batch.quarter)).alias("quarter"),
            pl.lit(batch.source).alias("source"),
            "source_file",
            "source_row",
            "row_values",
            "reasons",
        )
        .sort("source_file", "source_row")
    )
    good = staged.join(bad_ids.select("row_id"), on="row_id", how="anti")
    batch.quarantined, batch.good, batch.outcomes, batch.warnings = (
        quarantined,
        good,
        outcomes,
        warnings,
    )
    return batch


def _taakvelden_for_year(taakvelden: pl.DataFrame, year: int) -> list[str]:
    first = pl.col("first_year").cast(pl.Int32, strict=False)
    last = pl.col("last_year").cast(pl.Int32, strict=False)
    valid = taakvelden.filter((first.is_null() | (first <= year)) & (last.is_null() | (last >= year)))
    return valid["code"].to_list()


def transform_batch(batch: Batch) -> dict[str, pl.DataFrame]:
    """Good rows → the core tables of the quarter."""
    if batch.source == "survey":
        responses = survey_tf.resolve_resubmissions(batch.good)
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
    lines = batch.good.select(
        "quarter",
        "municipality_code",
        "taakveld",
        "categorie",
        "kind",
        "lasten_eur",
        "baten_eur",
        "source_file",
        "source_row",
    ).sort("municipality_code", "taakveld", "categorie", "kind", "source_file", "source_row")
    return {"core.fct_budget": lines}


CORE_TABLES = {
    "survey": ("core.fct_survey_response", "core.fct_survey_cost"),
    "budget": ("core.fct_budget",),
}
RAW_TABLES = {"survey": "raw.survey_responses", "budget": "raw.budget_lines"}


def account_rows(batch: Batch, core: dict[str, pl.DataFrame]) -> list[FileReport]:
    """Fill rows loaded / quarantined per file; rows read = loaded + quarantined, or it raises."""
    loaded_table = "core.fct_survey_response" if batch.source == "survey" else "core.fct_budget"
    loaded = core[loaded_table].group_by("source_file").len()
    quarantined = batch.quarantined.group_by("source_file").len()
    loaded_by = dict(loaded.iter_rows())
    quarantined_by = dict(quarantined.iter_rows())
    for report in batch.files:
        if report.status == "rejected":
            continue
        report.rows_loaded = int(loaded_by.get(report.file_name, 0))
        report.rows_quarantined = int(quarantined_by.get(report.file_name, 0))
        if report.rows_loaded + report.rows_quarantined != report.rows_read:
            raise RuntimeError(
                f"row accounting broken for {report.file_name}: read {report.rows_read}, "
                f"loaded {report.rows_loaded}, quarantined {report.rows_quarantined}"
            )
        if report.rows_quarantined:
            report.status = "partial"
            report.message = f"{report.rows_quarantined} of {report.rows_read} rows quarantined"
    return batch.files


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    con.register("_frame", frame.to_arrow())
    try:
        con.execute(f"insert into {table} by name select * from _frame")
    finally:
        con.unregister("_frame")


def load_batch(con: duckdb.DuckDBPyConnection, batch: Batch, core: dict[str, pl.DataFrame]) -> None:
    """Replace the quarter's partition of this source everywhere, in one transaction."""
    q, now = str(batch.quarter), dt.datetime.now(dt.UTC).replace(tzinfo=None)
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
            }
            for o in batch.outcomes
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
        },
    )
    with transaction(con):
        con.execute(f"delete from {RAW_TABLES[batch.source]} where quarter = ?", [q])
        _insert(con, RAW_TABLES[batch.source], batch.raw.drop("row_id"))
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
        con.execute("delete from meta.partitions where source = ? and quarter = ?", [batch.source, q])
        con.execute(
            "insert into meta.partitions values (?, ?, ?, ?, ?, ?)",
            [batch.source, q, batch.run_id, now, batch.source_hashes, code_version()],
        )
        _refresh_quarter_dim(con)


def _refresh_quarter_dim(con: duckdb.DuckDBPyConnection) -> None:
    quarters = [
        Quarter.parse(r[0])
        for r in con.execute(
            "select quarter from meta.partitions union select quarter from core.fct_survey_cost"
        ).fetchall()
    ]
    con.execute("delete from core.dim_quarter")
    _insert(con, "core.dim_quarter", reference_tf.quarter_dim(quarters))


MARTS = ("cost_trend_quarterly", "net_cost", "budget_trend_quarterly", "survey_vs_budget")
MART_KEYS = {
    "cost_trend_quarterly": "municipality_code, quarter, cost_category",
    "net_cost": "municipality_code, quarter",
    "budget_trend_quarterly": "municipality_code, quarter, budget_category, kind",
    "survey_vs_budget": "municipality_code, quarter",
    "national_estimate": "quarter, cost_category",
}


def affected_quarters(con: duckdb.DuckDBPyConnection, quarter: Quarter) -> tuple[int, int]:
    """The quarter-index window whose mart rows can change when `quarter` changes.

    The quarter itself, the next (QoQ), +4 (YoY), the rolling window (+3) and the
    cumulative tail: everything from the quarter to the last quarter loaded.
    """
    last = scalar(con, "select max(quarter_index) from core.dim_quarter")
    last_index = int(last) if last is not None else quarter.index
    return quarter.index, max(last_index, quarter.index)


def refresh_marts(con: duckdb.DuckDBPyConnection, window: tuple[int, int], ref: Reference) -> dict[str, int]:
    """Recompute the marts' rows for quarters in `window` (delete + insert, one transaction)."""
    low, high = window
    changed: dict[str, int] = {}
    with transaction(con):
        con.execute(sql("sql/create_core_views"))
        in_window = "quarter in (select quarter from core.dim_quarter where quarter_index between ? and ?)"
        for mart in MARTS:
            model = sql(f"marts/{mart}")
            con.execute(f"create table if not exists marts.{mart} as select * from ({model}) where false")
            con.execute(f"delete from marts.{mart} where {in_window}", [low, high])
            con.execute(
                f"insert into marts.{mart} select * from ({model}) "
                f"where {in_window} order by {MART_KEYS[mart]}",
                [low, high],
            )
            changed[mart] = int(
                scalar(con, f"select count(*) from marts.{mart} where {in_window}", [low, high])
            )
        estimate = national_estimate_frame(con, window)
        con.execute(f"delete from marts.national_estimate where {in_window}", [low, high])
        _insert(con, "marts.national_estimate", estimate)
        changed["national_estimate"] = estimate.height
    return changed


def national_estimate_frame(con: duckdb.DuckDBPyConnection, window: tuple[int, int]) -> pl.DataFrame:
    """Inputs for the estimate (as reported, not on the boundary set), then the pure estimator."""
    responses = con.sql(sql("sql/select_estimate_responses"), params=list(window)).pl()
    frame = con.sql(sql("sql/select_estimate_frame"), params=list(window)).pl()
    frame = frame.with_columns(reference_tf.size_class(pl.col("population")).alias("size_class"))
    return estimate_tf.national_estimate(responses, frame)
