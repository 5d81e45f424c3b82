"""Backfill: refresh a range of quarters in order, publishing the snapshot once at the end."""

from __future__ import annotations

from prefect import flow

from costtrends.settings import get_settings
from flows.quarterly_refresh import RefreshSummary, publish, quarterly_refresh
from transforms.quarter import Quarter, quarter_range


@flow(name="backfill")
def backfill(start: str, end: str) -> list[RefreshSummary]:
    """Refresh every quarter from `start` to `end` (both included), oldest first."""
    quarters = list(quarter_range(Quarter.parse(start), Quarter.parse(end)))
    summaries = [quarterly_refresh(str(q), publish_snapshot=False) for q in quarters]
    if summaries:
        snapshot = publish(get_settings(), summaries[-1].run_id)
        for summary in summaries:
            summary.snapshot = str(snapshot)
    return summaries
