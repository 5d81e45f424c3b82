"""The schedule and deployments: `costtrends serve` and prefect.yaml declare the same two."""

from __future__ import annotations

import datetime as dt
from itertools import islice
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from cronsim import CronSim

from flows.deployments import FETCH_CRON, REFRESH_CRON, TIMEZONE, deployments
from transforms.quarter import Quarter

ROOT = Path(__file__).resolve().parents[2]
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def test_refresh_runs_at_six_in_amsterdam_on_the_15th_after_each_quarter_for_the_quarter_just_ended() -> None:
    start = dt.datetime(2025, 12, 31, tzinfo=AMSTERDAM)
    runs = list(islice(CronSim(REFRESH_CRON, start), 4))
    assert TIMEZONE == "Europe/Amsterdam"
    assert runs == [
        dt.datetime(2026, 1, 15, 6, tzinfo=AMSTERDAM),
        dt.datetime(2026, 4, 15, 6, tzinfo=AMSTERDAM),
        dt.datetime(2026, 7, 15, 6, tzinfo=AMSTERDAM),
        dt.datetime(2026, 10, 15, 6, tzinfo=AMSTERDAM),
    ]
    # The deployment passes no quarter: the flow takes the last finished one.
    assert [str(Quarter.last_finished(r.date())) for r in runs] == ["2025Q4", "2026Q1", "2026Q2", "2026Q3"]


def test_serve_offers_the_scheduled_refresh_and_an_unscheduled_backfill() -> None:
    served = {d.name: d for d in deployments()}
    refresh, backfill = served["quarterly-refresh"], served["backfill"]
    assert (refresh.name, refresh.entrypoint) == (
        "quarterly-refresh",
        "flows/quarterly_refresh.py:quarterly_refresh",
    )
    [schedule] = refresh.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("0 6 15 1,4,7,10 *", "Europe/Amsterdam")
    assert refresh.parameters == {}
    assert (backfill.name, backfill.entrypoint, backfill.schedules) == (
        "backfill",
        "flows/backfill.py:backfill",
        [],
    )


def test_prefect_yaml_declares_the_same_deployments_on_the_process_pool() -> None:
    config = yaml.safe_load((ROOT / "prefect.yaml").read_text("utf-8"))
    by_name = {d["name"]: d for d in config["deployments"]}
    served = {d.name: d for d in deployments()}
    assert by_name.keys() == served.keys()
    for name, deployment in by_name.items():
        assert deployment["entrypoint"] == served[name].entrypoint
        assert deployment["work_pool"]["name"] == "costtrends"
    assert by_name["quarterly-refresh"]["schedules"] == [{"cron": REFRESH_CRON, "timezone": TIMEZONE}]
    assert by_name["quarterly-refresh"]["parameters"] == {}
    assert by_name["backfill"]["schedules"] == []
    assert by_name["fetch-cbs"]["schedules"] == [{"cron": FETCH_CRON, "timezone": TIMEZONE, "active": False}]
    [pull] = config["pull"]
    assert list(pull) == ["prefect.deployments.steps.set_working_directory"]


def test_the_optional_fetch_runs_an_hour_before_the_refresh_on_a_schedule_that_starts_off() -> None:
    fetch = {d.name: d for d in deployments()}["fetch-cbs"]
    assert fetch.entrypoint == "flows/fetch_cbs.py:fetch_cbs"
    [schedule] = fetch.schedules
    assert (schedule.schedule.cron, schedule.active) == ("0 5 15 1,4,7,10 *", False)
    start = dt.datetime(2025, 12, 31, tzinfo=AMSTERDAM)
    fetches, refreshes = (list(islice(CronSim(c, start), 4)) for c in (FETCH_CRON, REFRESH_CRON))
    assert [r - f for f, r in zip(fetches, refreshes, strict=True)] == [dt.timedelta(hours=1)] * 4
