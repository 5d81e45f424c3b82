"""The deployments `costtrends serve` serves in-process; prefect.yaml declares the same for a work pool."""

from __future__ import annotations

from typing import Any, cast

from prefect import Flow
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron, Schedule

from flows.backfill import backfill
from flows.environment import offline_defaults
from flows.fetch_cbs import fetch_cbs
from flows.quarterly_refresh import quarterly_refresh

# 06:00 Amsterdam time on the 15th of the month after a quarter ends: two weeks for the
# municipalities' files to land. The refresh's default quarter is the last finished one.
REFRESH_CRON = "0 6 15 1,4,7,10 *"
TIMEZONE = "Europe/Amsterdam"
# An hour before the refresh, the same days: CBS's figures land before the refresh reads
# them. Off until turned on (docs/operations.md, "Fetching from CBS"): a refresh needs no fetch.
FETCH_CRON = "0 5 15 1,4,7,10 *"


def _deployment(flow: Flow[Any, Any], description: str, schedules: list[Schedule]) -> RunnerDeployment:
    """The flow as a deployment of its own name, tagged costtrends."""
    # `to_deployment` returns a coroutine only when called from async code.
    return cast(
        RunnerDeployment,
        flow.to_deployment(name=flow.name, schedules=schedules, description=description, tags=["costtrends"]),
    )


def deployments() -> list[RunnerDeployment]:
    """quarterly-refresh on its schedule; backfill on demand only; fetch-cbs on a schedule that starts off.

    Serving runs each flow run in a process of its own, which inherits the environment
    defaults (`flows.environment`) set here.
    """
    offline_defaults()
    return [
        _deployment(
            quarterly_refresh,
            "Refresh the last finished quarter (and any restated one) and publish the snapshot.",
            [Cron(REFRESH_CRON, timezone=TIMEZONE)],
        ),
        _deployment(
            backfill,
            "Rebuild a range of quarters; unchanged quarters are skipped unless force.",
            schedules=[],
        ),
        _deployment(
            fetch_cbs,
            "Fetch a year's Iv3 figures and population from CBS (optional, before a refresh).",
            [Cron(FETCH_CRON, timezone=TIMEZONE, active=False)],
        ),
    ]
