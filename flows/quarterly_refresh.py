"""The quarterly refresh: land, validate, transform and load one quarter, then marts and snapshot.

Both flows, this one and `flows.backfill`, run `run_quarters`: reference dims, a plan,
`refresh_quarters`, the snapshot and the run's artifacts. `refresh_quarters` puts the
quarters on the window of `flows.window`: they are ingested, validated and transformed
concurrently on the task runner (none of that writes to the warehouse); each quarter is
then written, its partitions and the marts it affects, one quarter at a time in quarter
order and under the warehouse lock, so another writer can take turns.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from prefect import flow, get_run_logger
from prefect.futures import PrefectFuture
from prefect.task_runners import TaskRunner

from flows import tasks
from flows.artifacts import publish_artifacts
from flows.environment import offline_defaults
from flows.progress import emit
from flows.settings import Settings, get_settings
from flows.summary import RefreshFailed, RefreshSummary
from flows.task_runners import task_runner_for
from flows.tasks import Prepared, publish
from flows.window import PrepareFailed, write_in_order
from ingest.reference import Reference
from sources import registry
from transforms.quarter import Quarter
from warehouse import incremental, validation_docs
from warehouse.incremental import QuarterPlan

__all__ = [
    "RefreshFailed",
    "RefreshSummary",
    "publish",
    "quarterly_refresh",
    "refresh_quarters",
    "run_quarters",
]

PREPARE_STAGES = ("ingest", "validate", "transform")


def _rejected_only(prepared: Prepared) -> Prepared:
    files = [f for f in prepared.batch.files if f.status in ("rejected", "deferred")]
    return Prepared(replace(prepared.batch, files=files, outcomes=[]), {})


@dataclass
class _Preparing:
    """One quarter on its way: its prepare tasks, the stages both sources passed, its prepared sources."""

    plan: QuarterPlan
    started_at: dt.datetime
    # Each prepare task's source and stage.
    tasks: dict[PrefectFuture[Any], tuple[str, str]] = field(default_factory=dict)
    done: Counter[str] = field(default_factory=Counter)
    prepared: dict[str, Prepared] = field(default_factory=dict)


@dataclass
class _Quarters:
    """The window's steps for the quarters of one run: Prefect tasks in, summaries out."""

    settings: Settings
    runner: TaskRunner
    ref: Reference
    purpose: str
    allow_shrink: bool
    plans: dict[Quarter, QuarterPlan]
    summaries: dict[Quarter, RefreshSummary]
    preparing: dict[Quarter, _Preparing] = field(default_factory=dict)

    def start(self, quarter: Quarter) -> list[PrefectFuture[Any]]:
        """Submit ingest → validate → transform of every source of the quarter."""
        plan = self.plans[quarter]
        job = self.preparing[quarter] = _Preparing(plan, dt.datetime.now(dt.UTC))
        workdir = self.settings.home / "work"
        for source in registry.SOURCES:
            ingested = self.runner.submit(
                tasks.ingest,
                {
                    "settings": self.settings,
                    "source": source,
                    "quarter": quarter,
                    "run_id": plan.run_id,
                    "ref": self.ref,
                },
            )
            validated = self.runner.submit(
                tasks.validate,
                {"settings": self.settings, "batch": ingested, "ref": self.ref, "workdir": workdir},
            )
            transformed = self.runner.submit(tasks.transform, {"batch": validated})
            for stage, future in zip(PREPARE_STAGES, (ingested, validated, transformed), strict=True):
                job.tasks[future] = (source, stage)
        return list(job.tasks)

    def settle(self, quarter: Quarter, future: PrefectFuture[Any]) -> None:
        """A prepare task finished: a stage both sources passed is announced; a failure fails the quarter."""
        job = self.preparing[quarter]
        source, stage = job.tasks.pop(future)
        future.wait()
        state = future.state
        if not state.is_completed():
            raise PrepareFailed(f"{stage} of {source} failed: {state.message or state.name}")
        job.done[stage] += 1
        if job.done[stage] == len(registry.SOURCES):
            emit(str(quarter), stage)
        if stage == "transform":
            job.prepared[source] = future.result()

    def write(self, quarter: Quarter) -> list[Prepared]:
        """Write the prepared quarter (`tasks.write`); what it wrote, as the summary reports it."""
        job, summary = self.preparing[quarter], self.summaries[quarter]
        prepared = [job.prepared[s] for s in registry.SOURCES]
        following = next((q for q in sorted(self.plans) if q > quarter), None)
        written = tasks.write(
            self.settings,
            job.plan,
            prepared,
            self.ref,
            job.started_at,
            self.purpose,
            following,
            self.allow_shrink,
        )
        summary.marts_changed = written.marts_changed
        summary.refused = list(written.refused.values())
        summary.warnings = written.warnings
        # Of a refused partition only its rejected files are reported (they say why).
        return [p if p.batch.source not in written.refused else _rejected_only(p) for p in prepared]

    def written(self, quarter: Quarter, prepared: list[Prepared]) -> None:
        """Fill in the quarter's summary and announce it."""
        plan, summary = self.preparing.pop(quarter).plan, self.summaries[quarter]
        summary.files = [f for p in prepared for f in p.batch.files]
        summary.docs = str(validation_docs.validation_docs_path(self.settings.docs, plan.run_id))
        summary.failed_checks = sorted(
            {o.expectation for p in prepared for o in p.batch.outcomes if not o.success}
        )
        emit(str(quarter), "load")
        get_run_logger().info(
            "%s (%s): %d rows read, %d loaded, %d quarantined (%s)",
            quarter,
            plan.reason,
            summary.rows_read,
            summary.rows_loaded,
            summary.rows_quarantined,
            summary.status,
        )


def _catch_up(settings: Settings, ref: Reference, purpose: str, since: Quarter | None = None) -> None:
    """Bring the marts up to core after the writes stopped; a failure here is only logged."""
    logger = get_run_logger()
    try:
        window = tasks.catch_up_marts(settings, ref, purpose, since)
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
    refreshes from there on (`marts.affected_quarters`); the last one refreshes to the
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
    ordered = sorted(plans, key=lambda p: p.quarter)
    for p in ordered:
        emit(str(p.quarter), "skipped" if p.skipped else "planned")
        if p.skipped:
            logger.info("%s: skipped, %s", p.quarter, p.detail)
    todo = {p.quarter: p for p in ordered if not p.skipped}
    if not todo:
        _catch_up(settings, ref, purpose)
        return [summaries[q] for q in sorted(summaries)], None

    with task_runner_for(settings, concurrency) as runner, _caught_up_on_error(settings, ref, purpose):
        quarters = _Quarters(settings, runner, ref, purpose, allow_shrink, todo, summaries)
        report = write_in_order(
            list(todo),
            ahead=concurrency,
            start=quarters.start,
            settle=quarters.settle,
            write=quarters.write,
            written=quarters.written,
        )
        if report.failed is None:
            return [summaries[q] for q in sorted(summaries)], None
        failed = report.failed
        error = f"load failed: {report.error}" if report.failed_in_write else str(report.error)
        summaries[failed].outcome, summaries[failed].error = "failed", error
        emit(str(failed), "failed")

    failure = f"{failed}: {error}"
    for q in report.not_reached:
        summaries[q].outcome, summaries[q].error = "not reached", f"stopped at {failed}"
    job = quarters.preparing[failed]
    try:
        tasks.record_failure(settings, job.plan, job.started_at, failure)
    except Exception as exc:  # the failure itself is what the caller must see
        logger.warning("could not record the failure in meta.runs: %s", exc)
    # From the failed quarter when part of its write may have been committed.
    _catch_up(settings, ref, purpose, failed if report.failed_in_write else None)
    return [summaries[q] for q in sorted(summaries)], failure


def run_quarters(
    settings: Settings,
    purpose: str,
    plan: Callable[[bool], list[QuarterPlan]],
    *,
    concurrency: int | None,
    allow_shrink: bool,
    published_run: Callable[[list[RefreshSummary]], str | None],
    artifacts: tuple[str, str],
    then: str,
) -> list[RefreshSummary]:
    """What both flows do: reference dims, `plan(allow_shrink)`, the refresh, the snapshot, the artifacts.

    `published_run(summaries)` names the run the snapshot is published under, or None for
    no snapshot; `artifacts` is the artifacts' key and title. A failed quarter raises
    `RefreshFailed` with `then` (what happens next) after the artifacts are attached.
    """
    incremental.check_landing_root(settings.landing)
    allow_shrink = allow_shrink or settings.allow_shrink
    ref = tasks.prepare_reference(settings, purpose)
    summaries, failure = refresh_quarters(
        settings,
        plan(allow_shrink),
        ref,
        concurrency=concurrency or settings.concurrency,
        purpose=purpose,
        allow_shrink=allow_shrink,
    )
    if failure is None and (run_id := published_run(summaries)) is not None:
        snapshot = str(publish(settings, run_id, purpose, ref))
        for s in summaries:
            s.snapshot = snapshot
    key, title = artifacts
    publish_artifacts(key, title, summaries, failure=failure)
    if failure is not None:
        raise RefreshFailed(f"{failure}; {then}")
    return summaries


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
    offline_defaults()
    settings = get_settings()
    q = Quarter.parse(quarter) if quarter else Quarter.last_finished()
    purpose = f"quarterly-refresh {q}"

    def requested_run(summaries: list[RefreshSummary]) -> str | None:
        return next(s.run_id for s in summaries if s.quarter == str(q)) if publish_snapshot else None

    summaries = run_quarters(
        settings,
        purpose,
        lambda allow: tasks.plan_refresh(settings, q, purpose, allow),
        concurrency=concurrency,
        allow_shrink=allow_shrink,
        published_run=requested_run,
        artifacts=("quarterly-refresh", f"Quarterly refresh {q}"),
        then="the next run redoes it",
    )
    summary = next(s for s in summaries if s.quarter == str(q))
    summary.also_refreshed = [s for s in summaries if s is not summary]
    return summary
