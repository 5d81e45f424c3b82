"""The pipeline's steps as plain functions; `flows/` wraps them as Prefect tasks.

ingest_batch:  landing files of one source × quarter → typed rows, each file accounted for
validate_batch: the gate (Great Expectations) → good rows and quarantined rows with reasons
load_batch:    one transaction replaces the quarter's partition in raw, core, quarantine, meta
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import cast

import duckdb
import polars as pl

from expectations import plausibility
from expectations.gate import Outcome
from expectations.suites import Bounds
from flows.settings import Settings, get_settings

# The steps' names as they were before they moved to ingest/, sources/ and warehouse/.
from ingest.landing import FileDeferred as FileDeferred
from ingest.landing import check_file_name as check_file_name
from ingest.landing import check_landing_path as check_landing_path
from ingest.landing import file_name as file_name
from ingest.landing import landing_files as landing_files
from ingest.landing import settled_files as settled_files
from ingest.readers import FileRejected as FileRejected
from sources import base as sources_base
from sources.base import WARNING_SCHEMA as WARNING_SCHEMA
from sources.base import Batch as Batch
from sources.base import FileReport as FileReport
from sources.base import IngestOptions, Rows, ValidateOptions
from sources.registry import SOURCES as SOURCE_REGISTRY
from sources.registry import source as source_named
from transforms.quarter import Quarter
from warehouse import checks, load, shrink
from warehouse.checks import drift_outcomes as drift_outcomes
from warehouse.checks import warning_lines as warning_lines
from warehouse.db import insert_frame, transaction
from warehouse.faults import fault_point
from warehouse.marts import affected_quarters as affected_quarters
from warehouse.marts import catch_up_marts as catch_up_marts
from warehouse.marts import mart_keys, sql_marts
from warehouse.marts import marts_behind as marts_behind
from warehouse.marts import national_estimate_frame as national_estimate_frame
from warehouse.marts import national_estimate_period_frame as national_estimate_period_frame
from warehouse.marts import refresh_marts as refresh_marts
from warehouse.marts import refresh_quarter_dim as _refresh_quarter_dim
from warehouse.seeds import Reference
from warehouse.seeds import SeedsInvalid as SeedsInvalid
from warehouse.seeds import validate_reference_seeds as validate_reference_seeds
from warehouse.validation_docs import validation_docs_path as validation_docs_path
from warehouse.validation_docs import write_validation_docs as write_validation_docs
from warehouse.version import code_version as code_version

SOURCES = tuple(SOURCE_REGISTRY)
MARTS = sql_marts()
MART_KEYS = mart_keys()


@cache
def ingest_batch(
    landing: Path, source: str, quarter: Quarter, run_id: str, ref: Reference, *, workdir: Path | None = None
) -> Batch:
    """Read every landing file of the source × quarter (`sources.base.Source.ingest`).

    A source's scratch files go to `workdir` (default: `<home>/work`).
    """
    s = get_settings()
    options = IngestOptions(workdir=workdir or s.home / "work", settle_seconds=s.landing_settle_seconds)
    batch = source_named(source).ingest(landing, quarter, run_id, ref, options)
    fault_point("ingest:after_read")  # test hook (warehouse/faults.py)
    return batch


def validate_batch(
    batch: Batch, ref: Reference, *, workdir: Path | None = None, bounds: Bounds | None = None
) -> Batch:
    """Run the source's suite; rows failing an error check (or not parsing) go to quarantine.

    `bounds` default to the settings'.
    """
    options = ValidateOptions(bounds or validation_bounds(), submitted_before(), workdir)
    return source_named(batch.source).validate(batch, ref, options)


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


# Core rows as the flows hold them: frames, or a budget batch's rows kept in its store.
Core = dict[str, pl.DataFrame]


def transform_batch(batch: Batch) -> Core:
    """Good rows → the core tables of the quarter (`sources.base.Source.core_rows`)."""
    return cast(Core, source_named(batch.source).core_rows(batch))


def account_rows(batch: Batch, core: Mapping[str, Rows]) -> list[FileReport]:
    """Fill rows loaded / quarantined per file; read = loaded + quarantined (+ superseded), or it raises."""
    return sources_base.account_rows(batch, core[source_named(batch.source).core_tables[0]])


CORE_TABLES = {name: s.core_tables for name, s in SOURCE_REGISTRY.items()}
RAW_TABLES = {name: s.raw_table for name, s in SOURCE_REGISTRY.items()}
_insert = insert_frame


def load_batch(
    con: duckdb.DuckDBPyConnection,
    batch: Batch,
    core: Mapping[str, Rows],
    *,
    bounds: Bounds | None = None,
    keep_store: bool = False,
) -> list[Outcome]:
    """Replace the quarter's partition of this source everywhere, in one transaction (`warehouse.load`).

    Inside the caller's `transaction` it joins it; then the caller passes `keep_store` and
    discards the batch's scratch files after its commit (`Batch.discard`), so a retry can
    read them again. Returns the outcomes recorded: the batch's and the drift checks'
    against the previous loaded quarter (`warehouse.checks.drift_outcomes`).
    """
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    outcomes = [*batch.outcomes, *drift_outcomes(con, batch, core, bounds or validation_bounds())]
    with transaction(con):
        load.write_batch(
            con, source_named(batch.source), batch, core, outcomes, code_version=code_version(), now=now
        )
        _refresh_quarter_dim(con)
    if not keep_store:
        batch.discard()
    return outcomes


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
    core: Mapping[str, Rows],
    thresholds: plausibility.Thresholds,
) -> Core:
    """`warehouse.checks.plausibility_gate` for the batch's source."""
    return cast(Core, checks.plausibility_gate(con, source_named(batch.source), batch, core, thresholds))


def new_size(batch: Batch, core: Mapping[str, Rows]) -> shrink.PartitionSize:
    """How much of the source × quarter a load of `core` would leave in core."""
    return checks.new_size(source_named(batch.source), core)


def shrink_refusal(
    con: duckdb.DuckDBPyConnection, batch: Batch, core: Mapping[str, Rows], settings: Settings
) -> str | None:
    """Why the batch must not replace its loaded partition (`warehouse.shrink`); None: it may."""
    return checks.shrink_refusal(
        con,
        source_named(batch.source),
        batch,
        core,
        max_row_loss_share=settings.shrink_max_row_loss_share,
        max_municipality_loss_share=settings.shrink_max_municipality_loss_share,
    )
