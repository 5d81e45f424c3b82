"""The Prefect tasks of the refresh flows, each a few lines over `flows.steps` and `warehouse/`.

Ingest, validate and transform prepare one source × quarter and never write to the
warehouse, so quarters can be prepared concurrently; every task that writes does so
under the warehouse lock. Retries cover a landing file still being written and a
warehouse opened by another program, nothing else.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows import steps
from flows.settings import Settings
from flows.summary import Written
from ingest.reference import Reference, read_reference
from sources import base, registry
from transforms.quarter import Quarter
from warehouse import checks, incremental, marts, seeds, validation_docs
from warehouse.db import connect, transaction
from warehouse.faults import fault_point
from warehouse.incremental import LandingChanged, QuarterPlan
from warehouse.locking import warehouse_lock
from warehouse.publish import publish_snapshot
from warehouse.seeds import load_reference


@dataclass
class Prepared:
    """One source × quarter ready to load: the validated batch and its core rows."""

    batch: base.Batch
    core: dict[str, pl.DataFrame]


def new_run_id(quarter: Quarter) -> str:
    return f"{quarter}-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"


def is_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry a file still being written or a warehouse opened by another program; nothing else."""
    try:
        state.result()
    except (LandingChanged, OSError, duckdb.IOException):
        return True
    except Exception:
        return False
    return False


def _lock(settings: Settings, purpose: str, timeout: float | None = None) -> Any:
    logger = get_run_logger()
    return warehouse_lock(
        settings.warehouse,
        purpose=purpose,
        timeout=timeout or settings.lock_timeout_seconds,
        log=logger.warning,
    )


@task(cache_policy=NO_CACHE)
def prepare_reference(settings: Settings, purpose: str) -> Reference:
    """Read the seeds (and fetched population) and replace the reference dims (an edit takes effect here)."""
    boundary = dt.date.fromisoformat(settings.boundary_date) if settings.boundary_date else None
    seeds.validate_reference_seeds(passed_dir=settings.home / "work")
    ref = read_reference(boundary_date=boundary, fetched_dir=settings.fetched_reference)
    with _lock(settings, f"{purpose}: reference"), connect(settings.warehouse) as con:
        load_reference(con, ref)
    return ref


def _hashes(
    con: duckdb.DuckDBPyConnection, settings: Settings, quarters: set[Quarter]
) -> dict[tuple[Quarter, str], str]:
    """Landing hashes per quarter × source; only files new or changed since last hashed are read."""
    known = incremental.FileHashes.read(con)
    hashes = {
        (q, s): incremental.landing_hashes(settings.landing, s, q, known)
        for q in quarters
        for s in registry.SOURCES
    }
    known.record(con)
    return hashes


@task(cache_policy=NO_CACHE)
def plan_backfill(
    settings: Settings, quarters: list[Quarter], force: bool, purpose: str, allow_shrink: bool = False
) -> list[QuarterPlan]:
    """Which quarters of the range to redo; the current ones are recorded as skipped in meta.runs."""
    started = dt.datetime.now(dt.UTC)
    with _lock(settings, f"{purpose}: plan"), connect(settings.warehouse) as con:
        hashes = _hashes(con, settings, set(quarters))
        plans = incremental.plan_quarters(
            incremental.partition_state(con), quarters, hashes, force=force, allow_shrink=allow_shrink
        )
        plans = [replace(p, run_id=new_run_id(p.quarter)) for p in plans]
        for p in plans:
            if p.skipped:
                incremental.record_run(
                    con, p.run_id, p.quarter, started_at=started, status="skipped", message=p.detail
                )
    return plans


@task(cache_policy=NO_CACHE)
def plan_refresh(
    settings: Settings, quarter: Quarter, purpose: str, allow_shrink: bool = False
) -> list[QuarterPlan]:
    """The requested quarter, plus every loaded quarter whose files were restated or whose run died.

    Loaded quarters whose landing files went missing come along as skipped, to be reported.
    """
    with _lock(settings, f"{purpose}: plan"), connect(settings.warehouse) as con:
        state = incremental.partition_state(con)
        loaded = {Quarter.parse(q) for q, _ in state} - {quarter}
        hashes = _hashes(con, settings, loaded)
    plans = incremental.plan_quarters(state, sorted(loaded), hashes, allow_shrink=allow_shrink)
    restated = [p for p in plans if p.reason in incremental.RESTATED or (p.skipped and p.missing)]
    stale_code = [str(p.quarter) for p in plans if p.reason == "code"]
    if stale_code:
        get_run_logger().warning(
            "%d loaded quarters (%s..%s) were loaded by another code version; "
            "a backfill over them rebuilds them",
            len(stale_code),
            stale_code[0],
            stale_code[-1],
        )
    requested = QuarterPlan(quarter, "requested", "asked for")
    plans = sorted([requested, *restated], key=lambda p: p.quarter)
    return [replace(p, run_id=new_run_id(p.quarter)) for p in plans]


@task(
    retries=2,
    retry_delay_seconds=5,
    retry_condition_fn=is_transient,
    cache_policy=NO_CACHE,
)
def ingest(settings: Settings, source: str, quarter: Quarter, run_id: str, ref: Reference) -> base.Batch:
    """Read one source's landing files for the quarter (retried while a file is still being written)."""
    before = incremental.landing_signature(settings.landing, source, quarter)
    batch = steps.ingest_batch(
        settings.landing, source, quarter, run_id, ref, workdir=settings.home / "work", settings=settings
    )
    after = incremental.landing_signature(settings.landing, source, quarter)
    incremental.check_unchanged(before, after, f"{source}/{quarter}")
    return batch


@task(cache_policy=NO_CACHE)
def validate(settings: Settings, batch: base.Batch, ref: Reference, workdir: Path) -> base.Batch:
    """Great Expectations gate: failing rows to quarantine with every failed check's name."""
    workdir.mkdir(parents=True, exist_ok=True)
    return steps.validate_batch(batch, ref, workdir=workdir, settings=settings)


@task(cache_policy=NO_CACHE)
def transform(batch: base.Batch) -> Prepared:
    """Good rows → the quarter's core rows; every file's rows read = loaded + quarantined."""
    core = steps.transform_batch(batch)
    steps.account_rows(batch, core)
    return Prepared(batch, core)


@task(
    retries=2,
    retry_delay_seconds=5,
    retry_condition_fn=is_transient,
    cache_policy=NO_CACHE,
)
def write(
    settings: Settings,
    plan: QuarterPlan,
    prepared: list[Prepared],
    ref: Reference,
    started_at: dt.datetime,
    purpose: str,
    next_written: Quarter | None = None,
    allow_shrink: bool = False,
) -> Written:
    """Replace the quarter's partitions, refresh the marts it affects and record the run: one transaction.

    A partition the new files would shrink too much is not replaced (`warehouse.shrink`)
    unless `allow_shrink`. With `next_written`, the next quarter this run writes, the marts
    are refreshed only up to the quarter before it (see `marts.affected_quarters`).
    """
    refused: dict[str, str] = {}
    warnings: list[str] = []
    with _lock(settings, f"{purpose}: load {plan.quarter}"), connect(settings.warehouse) as con:
        with transaction(con):
            for i, p in enumerate(prepared):
                if i:
                    fault_point("write:between_sources")  # test hook (warehouse/faults.py)
                p.core = steps.plausibility_gate(
                    con, p.batch, p.core, steps.plausibility_thresholds(settings)
                )
                why = None if allow_shrink else steps.shrink_refusal(con, p.batch, p.core, settings)
                if why is not None:
                    refused[p.batch.source] = why
                    continue
                outcomes = steps.load_batch(con, p.batch, p.core, keep_store=True, settings=settings)
                warnings += checks.warning_lines(p.batch, outcomes)
            window = marts.affected_quarters(con, plan.quarter, next_written=next_written)
            changed = marts.refresh_marts(con, window, ref)
            loaded = [f for p in prepared for f in p.batch.files]
            status = "clean" if not refused and all(f.status == "loaded" for f in loaded) else "partial"
            incremental.record_run(
                con,
                plan.run_id,
                plan.quarter,
                started_at=started_at,
                status=status,
                message="; ".join([plan.reason or "", *refused.values()]).strip("; "),
            )
        validation_docs.write_validation_docs(con, settings.docs, plan.run_id)
    for p in prepared:
        p.batch.discard()
    return Written(changed, refused, warnings)


@task(cache_policy=NO_CACHE)
def record_failure(settings: Settings, plan: QuarterPlan, started_at: dt.datetime, message: str) -> None:
    """Note a quarter that could not be refreshed in meta.runs (briefly: the warehouse may be what failed)."""
    with _lock(settings, f"record failure of {plan.quarter}", timeout=30), connect(settings.warehouse) as con:
        incremental.record_run(
            con, plan.run_id, plan.quarter, started_at=started_at, status="failed", message=message
        )


@task(cache_policy=NO_CACHE)
def catch_up_marts(
    settings: Settings, ref: Reference, purpose: str, since: Quarter | None = None
) -> tuple[int, int] | None:
    """Refresh the marts a stopped run left behind core (and from `since`, a quarter whose write failed)."""
    with _lock(settings, f"{purpose}: catch up marts"), connect(settings.warehouse) as con:
        return marts.catch_up_marts(con, ref, since=since)


@task(
    retries=2,
    retry_delay_seconds=5,
    retry_condition_fn=is_transient,
    cache_policy=NO_CACHE,
)
def publish(settings: Settings, run_id: str, purpose: str = "publish", ref: Reference | None = None) -> Path:
    """Write the BI snapshot to a new file and rename it over the published one.

    With `ref`, marts another run left behind core in the meantime (see
    `marts.affected_quarters`) are refreshed first, so the snapshot matches core.
    """
    with _lock(settings, f"{purpose}: publish"), connect(settings.warehouse) as con:
        if ref is not None:
            marts.catch_up_marts(con, ref)
        return publish_snapshot(
            con,
            settings.published,
            run_id=run_id,
            storage_version=settings.snapshot_storage_version,
        )
