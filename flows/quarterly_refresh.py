"""The quarterly refresh: land, validate, transform and load one quarter, then marts and snapshot.

Both flows share `refresh_quarters`: quarters are ingested, validated and transformed
concurrently on the task runner (none of that writes to the warehouse); each quarter
is then written, its partitions and the marts it affects, one quarter at a time in
quarter order and under the warehouse lock, so another writer can take turns.
"""

from __future__ import annotations

import datetime as dt
import queue
import uuid
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture

from costtrends import pipeline
from flows.artifacts import publish_artifacts
from flows.progress import emit
from flows.settings import Settings, get_settings
from flows.task_runners import task_runner_for
from transforms.quarter import Quarter
from warehouse import incremental
from warehouse.db import connect, transaction
from warehouse.faults import fault_point
from warehouse.incremental import LandingChanged, QuarterPlan
from warehouse.locking import warehouse_lock
from warehouse.publish import publish_snapshot
from warehouse.seeds import Reference, load_reference, read_reference

PREPARE_STAGES = ("ingest", "validate", "transform")


@dataclass
class RefreshSummary:
    """What one quarter's refresh did; `status` is clean, partial, refused, skipped, failed or not reached."""

    quarter: str
    run_id: str
    files: list[pipeline.FileReport] = field(default_factory=list)
    marts_changed: dict[str, int] = field(default_factory=dict)
    snapshot: str | None = None
    failed_checks: list[str] = field(default_factory=list)
    # The run's validation page (static HTML under the docs folder).
    docs: str | None = None
    # Why the quarter was redone (see warehouse.incremental); None: skipped as unchanged.
    reason: str | None = "requested"
    # Set when the quarter was not refreshed: "failed", or "not reached" after a failure.
    outcome: str | None = None
    error: str | None = None
    # A refresh also redoes loaded quarters whose files were restated.
    also_refreshed: list[RefreshSummary] = field(default_factory=list)
    # Partitions left as loaded because the landing files would have shrunk them (one line each).
    refused: list[str] = field(default_factory=list)
    # Failed warning-level checks (drift, plausibility warnings), one line each.
    warnings: list[str] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    @property
    def status(self) -> str:
        if self.outcome is not None:
            return self.outcome
        if self.refused:
            return "refused"
        if self.reason is None:
            return "skipped"
        if any(f.status != "loaded" for f in self.files):
            return "partial"
        return "clean"


@dataclass
class Prepared:
    """One source × quarter ready to load: the validated batch and its core rows."""

    batch: pipeline.Batch
    core: dict[str, pl.DataFrame]


class RefreshFailed(RuntimeError):
    """A quarter could not be refreshed; the quarters before it were written."""


def new_run_id(quarter: Quarter) -> str:
    return f"{quarter}-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"


def _is_transient(task: Any, task_run: Any, state: Any) -> bool:
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
    pipeline.validate_reference_seeds(passed_dir=settings.home / "work")
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
        for s in pipeline.SOURCES
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
    retry_condition_fn=_is_transient,
    cache_policy=NO_CACHE,
)
def ingest(settings: Settings, source: str, quarter: Quarter, run_id: str, ref: Reference) -> pipeline.Batch:
    """Read one source's landing files for the quarter (retried while a file is still being written)."""
    before = incremental.landing_signature(settings.landing, source, quarter)
    batch = pipeline.ingest_batch(settings.landing, source, quarter, run_id, ref)
    after = incremental.landing_signature(settings.landing, source, quarter)
    incremental.check_unchanged(before, after, f"{source}/{quarter}")
    return batch


@task(cache_policy=NO_CACHE)
def validate(batch: pipeline.Batch, ref: Reference, workdir: Path) -> pipeline.Batch:
    """Great Expectations gate: failing rows to quarantine with every failed check's name."""
    workdir.mkdir(parents=True, exist_ok=True)
    return pipeline.validate_batch(batch, ref, workdir=workdir)


@task(cache_policy=NO_CACHE)
def transform(batch: pipeline.Batch) -> Prepared:
    """Good rows → the quarter's core rows; every file's rows read = loaded + quarantined."""
    core = pipeline.transform_batch(batch)
    pipeline.account_rows(batch, core)
    return Prepared(batch, core)


@dataclass
class Written:
    """What a write did: rows now in the marts' window, and the partitions it refused to shrink."""

    marts_changed: dict[str, int]
    # source → why its partition was not replaced
    refused: dict[str, str] = field(default_factory=dict)
    # Failed warning-level checks of what was loaded, one line each.
    warnings: list[str] = field(default_factory=list)


@task(
    retries=2,
    retry_delay_seconds=5,
    retry_condition_fn=_is_transient,
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
    are refreshed only up to the quarter before it (see `pipeline.affected_quarters`).
    """
    refused: dict[str, str] = {}
    warnings: list[str] = []
    with _lock(settings, f"{purpose}: load {plan.quarter}"), connect(settings.warehouse) as con:
        with transaction(con):
            for i, p in enumerate(prepared):
                if i:
                    fault_point("write:between_sources")  # test hook (warehouse/faults.py)
                p.core = pipeline.plausibility_gate(
                    con, p.batch, p.core, pipeline.plausibility_thresholds(settings)
                )
                why = None if allow_shrink else pipeline.shrink_refusal(con, p.batch, p.core, settings)
                if why is not None:
                    refused[p.batch.source] = why
                    continue
                outcomes = pipeline.load_batch(con, p.batch, p.core, keep_store=True)
                warnings += pipeline.warning_lines(p.batch, outcomes)
            window = pipeline.affected_quarters(con, plan.quarter, next_written=next_written)
            changed = pipeline.refresh_marts(con, window, ref)
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
        pipeline.write_validation_docs(con, settings.docs, plan.run_id)
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
        return pipeline.catch_up_marts(con, ref, since=since)


@task(
    retries=2,
    retry_delay_seconds=5,
    retry_condition_fn=_is_transient,
    cache_policy=NO_CACHE,
)
def publish(settings: Settings, run_id: str, purpose: str = "publish", ref: Reference | None = None) -> Path:
    """Write the BI snapshot to a new file and rename it over the published one.

    With `ref`, marts another run left behind core in the meantime (see
    `pipeline.affected_quarters`) are refreshed first, so the snapshot matches core.
    """
    with _lock(settings, f"{purpose}: publish"), connect(settings.warehouse) as con:
        if ref is not None:
            pipeline.catch_up_marts(con, ref)
        return publish_snapshot(
            con,
            settings.published,
            run_id=run_id,
            storage_version=settings.snapshot_storage_version,
        )


def _rejected_only(prepared: Prepared) -> Prepared:
    files = [f for f in prepared.batch.files if f.status in ("rejected", "deferred")]
    return Prepared(replace(prepared.batch, files=files, outcomes=[]), {})


@dataclass
class _Job:
    plan: QuarterPlan
    started_at: dt.datetime
    prepared: dict[str, Prepared] = field(default_factory=dict)
    done: Counter[str] = field(default_factory=Counter)
    error: str | None = None


def _catch_up(settings: Settings, ref: Reference, purpose: str, since: Quarter | None = None) -> None:
    """Bring the marts up to core after the writes stopped; a failure here is only logged."""
    logger = get_run_logger()
    try:
        window = catch_up_marts(settings, ref, purpose, since)
    except Exception as exc:  # the error that stopped the writes is what the caller must see
        logger.warning("could not refresh the marts left behind (the next run does): %s", exc)
        return
    if window is not None:
        first, last = (Quarter.from_index(i) for i in window)
        logger.info("marts of %s..%s refreshed after the writes stopped", first, last)


@contextmanager
def _caught_up_on_error(settings: Settings, ref: Reference, purpose: str) -> Iterator[None]:
    """An error that stops the writes first brings the marts up to what they wrote."""
    try:
        yield
    except Exception:
        _catch_up(settings, ref, purpose)
        raise


def refresh_quarters(
    settings: Settings,
    plans: list[QuarterPlan],
    ref: Reference,
    *,
    concurrency: int,
    purpose: str,
    allow_shrink: bool = False,
) -> tuple[list[RefreshSummary], str | None]:
    """Redo the quarters that need it: prepare them concurrently, write them one by one in order.

    At most `concurrency + 1` quarters are in flight at once, so memory stays bounded
    however long the range. Stops at the first quarter that fails: the quarters before it
    are written, and the next run continues from it. Returns a summary per quarter and
    the failure, if any.

    Each write refreshes the marts only up to the next quarter this run writes, which
    refreshes from there on (`pipeline.affected_quarters`); the last one refreshes to the
    last quarter loaded. So redoing n quarters recomputes each quarter's marts once, not
    once per earlier quarter. When the writes stop early (a quarter failed, or an error),
    the marts from the failed quarter, or from where the last write left them, to the
    end are refreshed before returning, and a run with nothing to redo refreshes any
    left behind by a run that died: after every run the marts equal a full rebuild
    from core.
    """
    logger = get_run_logger()
    summaries = {p.quarter: RefreshSummary(str(p.quarter), p.run_id, reason=p.reason) for p in plans}
    for p in plans:
        if p.skipped and p.missing:
            summaries[p.quarter].refused = [
                incremental.missing_message(settings.landing, s, p.quarter) for s in p.missing
            ]
    todo = [p for p in sorted(plans, key=lambda p: p.quarter) if not p.skipped]
    for p in sorted(plans, key=lambda p: p.quarter):
        emit(str(p.quarter), "skipped" if p.skipped else "planned")
        if p.skipped:
            logger.info("%s: skipped, %s", p.quarter, p.detail)
    failure: str | None = None
    failed_job: _Job | None = None
    if not todo:
        _catch_up(settings, ref, purpose)
        return [summaries[q] for q in sorted(summaries)], None
    following = {p.quarter: n.quarter for p, n in zip(todo, todo[1:], strict=False)}
    write_failed = False

    finished: queue.Queue[PrefectFuture[Any]] = queue.Queue()
    owner: dict[PrefectFuture[Any], tuple[_Job, str, str]] = {}
    jobs: dict[Quarter, _Job] = {}
    waiting = deque(todo)
    workdir = settings.home / "work"

    with task_runner_for(settings, concurrency) as runner, _caught_up_on_error(settings, ref, purpose):

        def submit(plan: QuarterPlan) -> None:
            job = jobs[plan.quarter] = _Job(plan, dt.datetime.now(dt.UTC))
            for source in pipeline.SOURCES:
                ingested = runner.submit(
                    ingest,
                    {
                        "settings": settings,
                        "source": source,
                        "quarter": plan.quarter,
                        "run_id": plan.run_id,
                        "ref": ref,
                    },
                )
                validated = runner.submit(validate, {"batch": ingested, "ref": ref, "workdir": workdir})
                transformed = runner.submit(transform, {"batch": validated})
                for stage, future in zip(PREPARE_STAGES, (ingested, validated, transformed), strict=True):
                    owner[future] = (job, source, stage)
                    future.add_done_callback(finished.put)

        def fill_window() -> None:
            while waiting and len(jobs) < concurrency + 1:
                submit(waiting.popleft())

        fill_window()
        for plan in todo:
            job = jobs[plan.quarter]
            # Handle finished prepare tasks, of any quarter, until this quarter is ready or failed.
            while job.error is None and len(job.prepared) < len(pipeline.SOURCES):
                future = finished.get()
                other, source, stage = owner.pop(future)
                future.wait()
                state = future.state
                if not state.is_completed():
                    if other.error is None:
                        other.error = f"{stage} of {source} failed: {state.message or state.name}"
                    continue
                other.done[stage] += 1
                if other.done[stage] == len(pipeline.SOURCES):
                    emit(str(other.plan.quarter), stage)
                if stage == "transform":
                    other.prepared[source] = future.result()
            summary = summaries[plan.quarter]
            if job.error is None:
                prepared = [job.prepared[s] for s in pipeline.SOURCES]
                try:
                    written = write(
                        settings,
                        plan,
                        prepared,
                        ref,
                        job.started_at,
                        purpose,
                        following.get(plan.quarter),
                        allow_shrink,
                    )
                    summary.marts_changed = written.marts_changed
                    summary.refused = list(written.refused.values())
                    summary.warnings = written.warnings
                    # Of a refused partition only its rejected files are reported (they say why).
                    prepared = [
                        p if p.batch.source not in written.refused else _rejected_only(p) for p in prepared
                    ]
                except Exception as exc:
                    job.error, write_failed = f"load failed: {exc}", True
            if job.error is not None:
                summary.outcome, summary.error = "failed", job.error
                failure, failed_job = f"{plan.quarter}: {job.error}", job
                emit(str(plan.quarter), "failed")
                break
            summary.files = [f for p in prepared for f in p.batch.files]
            summary.docs = str(pipeline.validation_docs_path(settings.docs, plan.run_id))
            summary.failed_checks = sorted(
                {o.expectation for p in prepared for o in p.batch.outcomes if not o.success}
            )
            emit(str(plan.quarter), "load")
            logger.info(
                "%s (%s): %d rows read, %d loaded, %d quarantined (%s)",
                plan.quarter,
                plan.reason,
                summary.rows_read,
                summary.rows_loaded,
                summary.rows_quarantined,
                summary.status,
            )
            del jobs[plan.quarter]
            fill_window()

    if failed_job is not None and failure is not None:
        for p in todo:
            if p.quarter > failed_job.plan.quarter:
                summaries[p.quarter].outcome = "not reached"
                summaries[p.quarter].error = f"stopped at {failed_job.plan.quarter}"
        try:
            record_failure(settings, failed_job.plan, failed_job.started_at, failure)
        except Exception as exc:  # the failure itself is what the caller must see
            logger.warning("could not record the failure in meta.runs: %s", exc)
        # From the failed quarter when part of its write may have been committed.
        _catch_up(settings, ref, purpose, failed_job.plan.quarter if write_failed else None)
    return [summaries[q] for q in sorted(summaries)], failure


@flow(name="quarterly-refresh", log_prints=True)
def quarterly_refresh(
    quarter: str | None = None,
    publish_snapshot: bool = True,
    concurrency: int | None = None,
    allow_shrink: bool = False,
) -> RefreshSummary:
    """Refresh one quarter (default: the last finished one) and any loaded quarter restated since.

    A loaded quarter whose landing files changed, or whose last run died, is redone with
    it and the marts it affects are recomputed. A partition the landing files would shrink
    too much, or whose files are gone, stays as loaded unless `allow_shrink` (or the setting).
    """
    settings = get_settings()
    q = Quarter.parse(quarter) if quarter else Quarter.last_finished()
    incremental.check_landing_root(settings.landing)
    allow_shrink = allow_shrink or settings.allow_shrink
    purpose = f"quarterly-refresh {q}"
    ref = prepare_reference(settings, purpose)
    plans = plan_refresh(settings, q, purpose, allow_shrink)
    summaries, failure = refresh_quarters(
        settings,
        plans,
        ref,
        concurrency=concurrency or settings.concurrency,
        purpose=purpose,
        allow_shrink=allow_shrink,
    )
    summary = next(s for s in summaries if s.quarter == str(q))
    summary.also_refreshed = [s for s in summaries if s is not summary]
    if failure is None and publish_snapshot:
        snapshot = str(publish(settings, summary.run_id, purpose, ref))
        for s in summaries:
            s.snapshot = snapshot
    publish_artifacts("quarterly-refresh", f"Quarterly refresh {q}", summaries, failure=failure)
    if failure is not None:
        raise RefreshFailed(f"{failure}; the next run redoes it")
    return summary
