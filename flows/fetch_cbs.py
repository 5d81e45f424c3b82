"""The `fetch-cbs` flow: CBS's Iv3 figures into the landing zone, its population into the reference data.

Optional before the quarterly refresh (docs/operations.md, "Fetching from CBS"): the
refresh reads whatever the landing zone and the reference folder hold, fetched or not.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.environment import offline_defaults
from flows.settings import Settings, get_settings
from ingest.fetch import (
    Iv3FetchSummary,
    PopulationFetchSummary,
    fetch_iv3,
    fetch_population,
    known_register,
)
from transforms.cbs import CbsDataError
from transforms.quarter import Quarter
from warehouse.db import SEEDS_DIR


@task(cache_policy=NO_CACHE)
def land_iv3(settings: Settings, year: int, municipalities: list[str] | None) -> Iv3FetchSummary:
    """Land the year's Iv3 table, one file per verslagsoort (the client retries; no task retries)."""
    summary = fetch_iv3(
        settings.cbs_client(settings.cbs_dataderden_url),
        year,
        settings.landing,
        municipalities=municipalities,
        amount_column=settings.cbs_iv3_amount_column,
    )
    logger = get_run_logger()
    for f in summary.files:
        logger.info("%s %s: %d lines", "written" if f.changed else "unchanged", f.path, f.lines)
    for note in [*summary.unread_verslagsoorten, *summary.notes]:
        logger.warning("not landed: %s", note)
    return summary


@task(cache_policy=NO_CACHE)
def land_population(settings: Settings, year: int) -> PopulationFetchSummary | None:
    """Land the year's population; None (a warning) while StatLine has no figures for the year yet."""
    register = known_register(SEEDS_DIR, settings.fetched_reference, year)
    logger = get_run_logger()
    try:
        summary = fetch_population(
            settings.cbs_client(settings.cbs_statline_url),
            year,
            settings.fetched_reference,
            table_id=settings.cbs_population_table,
            register=register,
        )
    except CbsDataError as exc:
        logger.warning("population %d not fetched: %s; the nearest year known stands in", year, exc)
        return None
    logger.info("%s %s", "written" if summary.changed else "unchanged", summary.path)
    for line in summary.began:
        logger.warning("began %d-01-01: %s", year, line)
    for line in summary.ended:
        logger.warning("ended by %d-12-31: %s (add its successor to the mergers seed)", year - 1, line)
    return summary


@dataclass
class FetchSummary:
    year: int
    iv3: Iv3FetchSummary
    population: PopulationFetchSummary | None
    files: list[str] = field(default_factory=list)


@flow(name="fetch-cbs")
def fetch_cbs(year: int | None = None, municipalities: list[str] | None = None) -> FetchSummary:
    """Fetch a year's Iv3 figures and population from CBS (default: the last finished quarter's year)."""
    offline_defaults()
    settings = get_settings()
    chosen = year if year is not None else Quarter.last_finished().year
    iv3 = land_iv3(settings, chosen, municipalities)
    population = land_population(settings, chosen)
    return FetchSummary(chosen, iv3, population, [str(f.path) for f in iv3.files])
