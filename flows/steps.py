"""One source × quarter through the layers, as plain functions; `flows.tasks` wraps them as Prefect tasks.

ingest_batch:    landing files → a batch of text rows, every file accounted for (`sources`)
validate_batch:  the source's suite → good rows, and quarantined rows with their reasons
transform_batch: good rows → the quarter's core rows; `account_rows` checks read = loaded + quarantined
plausibility_gate, shrink_refusal: checks against what the warehouse holds (`warehouse.checks`)
load_batch:      one transaction replaces the partition in raw, core, quarantine and meta (`warehouse.load`)

Settings are read here, at the top of the pipeline, and passed down as plain values: the
layers below never read them. A caller that holds the settings passes them (`settings=`);
without them a step reads the environment's once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import cast

import duckdb
import polars as pl

from expectations import plausibility
from expectations.bounds import Bounds
from expectations.gate import Outcome
from flows.settings import Settings, get_settings
from ingest.reference import Reference
from sources import base
from sources.base import Batch, FileReport, IngestOptions, Rows, ValidateOptions
from sources.registry import source as source_named
from transforms.quarter import Quarter
from warehouse import checks, load, shrink
from warehouse.db import transaction
from warehouse.faults import fault_point
from warehouse.marts import refresh_quarter_dim
from warehouse.version import code_version

# Core rows as the flows hold them: frames, or a budget batch's rows kept in its store.
Core = dict[str, pl.DataFrame]


def ingest_batch(
    landing: Path,
    source: str,
    quarter: Quarter,
    run_id: str,
    ref: Reference,
    *,
    workdir: Path | None = None,
    settings: Settings | None = None,
) -> Batch:
    """Read every landing file of the source × quarter (`sources.base.Source.ingest`).

    A source's scratch files go to `workdir` (default: `<home>/work`).
    """
    s = settings or get_settings()
    options = IngestOptions(workdir=workdir or s.home / "work", settle_seconds=s.landing_settle_seconds)
    batch = source_named(source).ingest(landing, quarter, run_id, ref, options)
    fault_point("ingest:after_read")  # test hook (warehouse/faults.py)
    return batch


def validate_batch(
    batch: Batch,
    ref: Reference,
    *,
    workdir: Path | None = None,
    bounds: Bounds | None = None,
    settings: Settings | None = None,
) -> Batch:
    """Run the source's suite; rows failing an error check (or not parsing) go to quarantine.

    `bounds` default to the settings'.
    """
    s = settings or get_settings()
    options = ValidateOptions(bounds or validation_bounds(s), submitted_before(s), workdir)
    return source_named(batch.source).validate(batch, ref, options)


def submitted_before(settings: Settings | None = None) -> dt.datetime:
    """The latest plausible submission time: now (UTC) plus the settings' tolerance."""
    tolerance = dt.timedelta(hours=(settings or get_settings()).future_submission_tolerance_hours)
    return dt.datetime.now(dt.UTC).replace(tzinfo=None) + tolerance


def validation_bounds(settings: Settings | None = None) -> Bounds:
    """The plausibility and drift bounds of the settings."""
    s = settings or get_settings()
    return Bounds(
        amount_max_eur=s.plausible_amount_max_eur,
        amount_per_inhabitant_max_eur=s.amount_per_inhabitant_max_eur,
        fte_per_1000_min=s.fte_per_1000_min,
        fte_per_1000_max=s.fte_per_1000_max,
        drift_max_drop_share=s.drift_max_drop_share,
        drift_max_change_factor=s.drift_max_change_factor,
    )


def transform_batch(batch: Batch) -> Core:
    """Good rows → the core tables of the quarter (`sources.base.Source.core_rows`)."""
    return cast(Core, source_named(batch.source).core_rows(batch))


def account_rows(batch: Batch, core: Mapping[str, Rows]) -> list[FileReport]:
    """Fill rows loaded / quarantined per file; read = loaded + quarantined (+ superseded), or it raises."""
    return base.account_rows(batch, core[source_named(batch.source).core_tables[0]])


def load_batch(
    con: duckdb.DuckDBPyConnection,
    batch: Batch,
    core: Mapping[str, Rows],
    *,
    bounds: Bounds | None = None,
    keep_store: bool = False,
    settings: Settings | None = None,
) -> list[Outcome]:
    """Replace the quarter's partition of this source everywhere, in one transaction (`warehouse.load`).

    Inside the caller's `transaction` it joins it; then the caller passes `keep_store` and
    discards the batch's scratch files after its commit (`Batch.discard`), so a retry can
    read them again. Returns the outcomes recorded: the batch's and the drift checks'
    against the previous loaded quarter (`warehouse.checks.drift_outcomes`).
    """
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    drift = checks.drift_outcomes(con, batch, core, bounds or validation_bounds(settings))
    outcomes = [*batch.outcomes, *drift]
    with transaction(con):
        load.write_batch(
            con, source_named(batch.source), batch, core, outcomes, code_version=code_version(), now=now
        )
        refresh_quarter_dim(con)
    if not keep_store:
        batch.discard()
    return outcomes


def plausibility_thresholds(settings: Settings | None = None) -> plausibility.Thresholds:
    """The plausibility gate's thresholds of the settings."""
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
