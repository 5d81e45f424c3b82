"""Backfill: refresh a range of quarters, skipping the current ones, and publish once at the end."""

from __future__ import annotations

from prefect import flow

from flows.artifacts import publish_artifacts
from flows.quarterly_refresh import (
    RefreshFailed,
    RefreshSummary,
    plan_backfill,
    prepare_reference,
    publish,
    refresh_quarters,
)
from flows.settings import get_settings
from transforms.quarter import Quarter, quarter_range
from warehouse.incremental import check_landing_root


@flow(name="backfill", log_prints=True)
def backfill(
    start: str,
    end: str,
    force: bool = False,
    concurrency: int | None = None,
    allow_shrink: bool = False,
) -> list[RefreshSummary]:
    """Refresh every quarter from `start` to `end` (both included) whose inputs or code changed.

    Quarters are prepared `concurrency` at a time (default: the setting) and written in
    quarter order. A quarter loaded from the same files by the same code version is
    skipped unless `force`. A backfill that stopped at a quarter continues from it. A
    partition the landing files would shrink too much, or whose files are gone, stays as
    loaded unless `allow_shrink` (or the setting).
    """
    settings = get_settings()
    quarters = list(quarter_range(Quarter.parse(start), Quarter.parse(end)))
    check_landing_root(settings.landing)
    allow_shrink = allow_shrink or settings.allow_shrink
    purpose = f"backfill {start}..{end}"
    ref = prepare_reference(settings, purpose)
    plans = plan_backfill(settings, quarters, force, purpose, allow_shrink)
    summaries, failure = refresh_quarters(
        settings,
        plans,
        ref,
        concurrency=concurrency or settings.concurrency,
        purpose=purpose,
        allow_shrink=allow_shrink,
    )
    if failure is None and summaries:
        # Always, even when every quarter was current: a run that died after its last
        # write and before publishing left the snapshot behind the warehouse.
        run_id = next((s.run_id for s in reversed(summaries) if s.status != "skipped"), summaries[-1].run_id)
        snapshot = str(publish(settings, run_id, purpose, ref))
        for summary in summaries:
            summary.snapshot = snapshot
    publish_artifacts("backfill", f"Backfill {start}..{end}", summaries, failure=failure)
    if failure is not None:
        raise RefreshFailed(
            f"{failure}; the quarters before it are loaded, and the next backfill continues from it"
        )
    return summaries
