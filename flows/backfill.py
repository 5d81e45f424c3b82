"""Backfill: refresh a range of quarters, skipping the current ones, and publish once at the end."""

from __future__ import annotations

from prefect import flow

from flows import tasks
from flows.environment import offline_defaults
from flows.quarterly_refresh import run_quarters
from flows.settings import get_settings
from flows.summary import RefreshSummary
from transforms.quarter import Quarter, quarter_range


def _last_refreshed_run(summaries: list[RefreshSummary]) -> str | None:
    """The run the snapshot goes under: the last quarter redone, else the last one; None without quarters.

    A backfill publishes even when every quarter was current: a run that died after its
    last write and before publishing left the snapshot behind the warehouse.
    """
    if not summaries:
        return None
    return next((s.run_id for s in reversed(summaries) if s.status != "skipped"), summaries[-1].run_id)


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
    offline_defaults()
    settings = get_settings()
    quarters = list(quarter_range(Quarter.parse(start), Quarter.parse(end)))
    purpose = f"backfill {start}..{end}"
    return run_quarters(
        settings,
        purpose,
        lambda allow: tasks.plan_backfill(settings, quarters, force, purpose, allow),
        concurrency=concurrency,
        allow_shrink=allow_shrink,
        published_run=_last_refreshed_run,
        artifacts=("backfill", f"Backfill {start}..{end}"),
        then="the quarters before it are loaded, and the next backfill continues from it",
    )
