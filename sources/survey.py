"""The survey source: quarterly questionnaire exports, small enough to travel as polars frames.

A batch's rows (`SurveyRows`) are frames: `raw` (lineage and the landed values as JSON,
one row per landed row), `staged` (typed rows) and, after validation, `good`.

ingest:    every landing file of the quarter read whole (`ingest.readers`), standardized
           per decimal style (`transforms.survey`);
validate:  the survey suite (`expectations.suites.survey_suite`) on the staged rows with the
           municipality's population; rows failing an error check go to quarantine;
core rows: resubmissions resolved (one current response per municipality), then checked
           (`survey_responses_suite`); responses and their costs in long form.

A new layout of survey export is a reader change (`ingest/readers.py` and the mapping files
in `transforms/mappings/`), not a change here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from expectations.gate import Outcome, validate_frame
from expectations.quarantine import row_reasons
from expectations.suites import survey_responses_suite, survey_suite
from ingest.landing import (
    FileDeferred,
    check_landing_file,
    check_suffix,
    file_name,
    landing_files,
    settled_files,
)
from ingest.readers import READER_ISSUE, SUPPORTED_SUFFIXES, FileRejected, read_landing_file, sha256_of
from sources.base import (
    LINEAGE,
    Batch,
    FileReport,
    IngestOptions,
    Rows,
    ValidateOptions,
    moved_to_quarantine,
    quarantine_frame,
    raw_select,
    reject_files,
    warned_rows,
)
from transforms import reference as reference_tf
from transforms import survey as survey_tf
from transforms.parse import DecimalMode
from transforms.population import population_in_year
from transforms.quarter import Quarter
from transforms.schema import SURVEY_COLUMNS, SURVEY_REQUIRED

if TYPE_CHECKING:
    from ingest.reference import Reference

NAME = "survey"
RESPONSE_COLUMNS = (
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
)


@dataclass
class SurveyRows:
    """A survey batch's rows as frames."""

    raw: pl.DataFrame  # lineage + row_values (json text) + row_id, one row per landed row
    staged: pl.DataFrame  # typed rows
    good: pl.DataFrame  # staged rows that passed validation (empty before it)


SurveyBatch = Batch[SurveyRows]


class SurveySource:
    """The survey source (see the module docstring)."""

    name: str = NAME
    raw_table: str = "raw.survey_responses"
    core_tables: tuple[str, ...] = ("core.fct_survey_response", "core.fct_survey_cost")

    def other_inputs(self, landing: Path, quarter: Quarter, sha: Callable[[Path], str]) -> list[str]:
        return []  # a survey export stands alone

    def ingest(
        self, landing: Path, quarter: Quarter, run_id: str, ref: Reference, options: IngestOptions
    ) -> SurveyBatch:
        return ingest(landing, quarter, run_id, ref, settle_seconds=options.settle_seconds)

    def validate(self, batch: SurveyBatch, ref: Reference, options: ValidateOptions) -> SurveyBatch:
        return validate(batch, ref, options)

    def core_rows(self, batch: SurveyBatch) -> dict[str, Rows]:
        return dict(core_rows(batch))

    def raw_rows(self, batch: SurveyBatch) -> Rows:
        return batch.rows.raw.drop("row_id")

    def judged_rows(self, batch: SurveyBatch) -> pl.DataFrame | None:
        return batch.rows.good

    def quarantine_rows(self, batch: SurveyBatch, flagged: pl.DataFrame) -> None:
        moved = moved_to_quarantine(batch, batch.rows.raw, flagged)
        batch.quarantined = pl.concat([batch.quarantined, moved]).sort("source_file", "source_row")
        batch.rows.good = batch.rows.good.join(flagged.select("row_id"), on="row_id", how="anti")
        if batch.warnings.width:
            lineage = moved.select("source_file", "source_row")
            batch.warnings = batch.warnings.join(lineage, on=["source_file", "source_row"], how="anti")

    def file_versions(
        self, batch: SurveyBatch, current: pl.DataFrame, now: dt.datetime
    ) -> pl.DataFrame | None:
        return None


def ingest(
    landing: Path, quarter: Quarter, run_id: str, ref: Reference, *, settle_seconds: float = 0.0
) -> SurveyBatch:
    """Read every landing file of the quarter; a file that cannot be read is rejected whole."""
    reports: list[FileReport] = []
    frames: list[pl.DataFrame] = []
    decimals: dict[str, DecimalMode] = {}
    paths = landing_files(landing, NAME, quarter)
    growing = settled_files(paths, settle_seconds)
    for path in paths:
        report = FileReport(NAME, str(quarter), file_name(path), None, None, "loaded", None)
        reports.append(report)
        try:
            check_landing_file(path, landing, growing)
            report.sha256, report.size_bytes = sha256_of(path), path.stat().st_size
            check_suffix(path, SUPPORTED_SUFFIXES)
            result = read_landing_file(path, NAME)
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
                f"(no header maps to it; known headers are in transforms/mappings/{NAME}_columns.csv)"
            )
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
    # Only canonical columns are kept as landed; reader annotations (`_reader_issue`) are not values.
    value_columns = [c for c in raw.columns if c not in LINEAGE and not c.startswith("_")]
    staged = _standardize(raw, quarter, ref, decimals)
    rows = SurveyRows(raw_select(raw, quarter, value_columns), staged, staged.clear())
    return Batch(NAME, quarter, run_id, reports, rows)


def _standardize(
    raw: pl.DataFrame, quarter: Quarter, ref: Reference, decimals: dict[str, DecimalMode]
) -> pl.DataFrame:
    # Files of one batch may differ in decimal style; files of one style are standardized together.
    parts = []
    styles: dict[DecimalMode, list[str]] = {}
    for name in raw["source_file"].unique(maintain_order=True).to_list():
        styles.setdefault(decimals.get(name, "auto"), []).append(name)
    for decimal, names in styles.items():
        part = raw.filter(pl.col("source_file").is_in(names))
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
        {c: [] for c in LINEAGE},
        schema={"row_id": pl.Int64, "source_file": pl.Utf8, "source_row": pl.Int64, "run_id": pl.Utf8},
    )
    staged = survey_tf.standardize_survey(
        empty, quarter=quarter, municipalities=ref.municipalities, mergers=ref.mergers
    )
    return staged.with_columns(pl.lit(None, dtype=pl.Utf8).alias("reader_issue"))


def _text_or_null(frame: pl.DataFrame, name: str) -> pl.Expr:
    return pl.col(name) if name in frame.columns else pl.lit(None, dtype=pl.Utf8)


def validate(batch: SurveyBatch, ref: Reference, options: ValidateOptions) -> SurveyBatch:
    """Run the survey suite; rows failing an error check (or not parsing) go to quarantine.

    A failed batch-level check rejects every file of the batch whole (`sources.base.reject_files`).
    Quarantined rows carry their reasons and the values those reasons are about; rows that
    load with warnings are kept in `batch.warnings`.
    """
    codes = reference_tf.valid_codes(ref.municipalities, ref.mergers, batch.quarter)
    suite = survey_suite(valid_codes=codes, bounds=options.bounds, submitted_before=options.submitted_before)
    # The size-relative checks judge amounts and FTE against the municipality's population.
    population = population_in_year(ref.population, batch.quarter.year)
    staged = batch.rows.staged.join(population, on="municipality_code", how="left", maintain_order="left")
    checked = staged.drop("parse_issues", "municipality_issue", "reader_issue", strict=False)
    if staged.height:
        gate = validate_frame(checked, suite, id_column="row_id", workdir=options.workdir)
        failures, warnings, outcomes = gate.row_failures, gate.row_warnings, gate.outcomes
        if gate.batch_errors:
            reject_files(batch, gate.batch_errors)
            batch.rows.raw = batch.rows.raw.clear()
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
        .select("row_id", row_reasons())
    )
    bad_ids = reasons.filter(pl.col("reasons").list.len() > 0)
    failure_columns = suite.failure_columns()
    value_columns = sorted({c for cs in failure_columns.values() for c in cs} & set(staged.columns))
    suspects = batch.rows.raw.join(bad_ids, on="row_id", how="inner").join(
        staged.select("row_id", *value_columns), on="row_id", how="left"
    )
    good = staged.join(bad_ids.select("row_id"), on="row_id", how="anti")
    batch.quarantined = quarantine_frame(batch, suspects, failure_columns, SURVEY_COLUMNS)
    batch.rows.good, batch.outcomes = good, outcomes
    batch.warnings = warned_rows(batch, good, warnings)
    return batch


def core_rows(batch: SurveyBatch) -> dict[str, pl.DataFrame]:
    """Good rows → the quarter's survey responses (one current per municipality) and their costs."""
    responses = survey_tf.resolve_resubmissions(batch.rows.good)
    guard = _guard_current_responses(batch, responses)
    batch.outcomes = [o for o in batch.outcomes if o.suite != "survey_responses"] + guard
    return {
        "core.fct_survey_response": responses.select(RESPONSE_COLUMNS).sort(
            "municipality_code", "submitted_at", "source_file", "source_row"
        ),
        "core.fct_survey_cost": survey_tf.costs_to_long(responses),
    }


def _guard_current_responses(batch: SurveyBatch, responses: pl.DataFrame) -> list[Outcome]:
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


SOURCE = SurveySource()
