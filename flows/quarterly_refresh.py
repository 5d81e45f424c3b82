"""The quarterly refresh: land, validate, transform and load one quarter, then marts and snapshot."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from prefect import flow, get_run_logger, task

from costtrends import pipeline
from costtrends.settings import Settings, get_settings
from transforms.quarter import Quarter
from warehouse.db import connect
from warehouse.publish import publish_snapshot
from warehouse.seeds import Reference, load_reference, read_reference


@dataclass
class RefreshSummary:
    """What one quarter's refresh did; `status` is clean, partial or failed."""

    quarter: str
    run_id: str
    files: list[pipeline.FileReport] = field(default_factory=list)
    marts_changed: dict[str, int] = field(default_factory=dict)
    snapshot: str | None = None
    failed_checks: list[str] = field(default_factory=list)

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
        if any(f.status != "loaded" for f in self.files):
            return "partial"
        return "clean"


@task
def prepare_reference(settings: Settings) -> Reference:
    """Read the seeds and replace the reference dims (an edited seed takes effect here)."""
    boundary = dt.date.fromisoformat(settings.boundary_date) if settings.boundary_date else None
    ref = read_reference(boundary_date=boundary)
    with connect(settings.warehouse) as con:
        load_reference(con, ref)
    return ref


@task(retries=2, retry_delay_seconds=5)
def ingest(settings: Settings, source: str, quarter: Quarter, run_id: str, ref: Reference) -> pipeline.Batch:
    """Read one source's landing files for the quarter (retried: files may still be arriving)."""
    return pipeline.ingest_batch(settings.landing, source, quarter, run_id, ref)


@task
def validate(batch: pipeline.Batch, ref: Reference, workdir: Path) -> pipeline.Batch:
    """Great Expectations gate: failing rows to quarantine with every failed check's name."""
    return pipeline.validate_batch(batch, ref, workdir=workdir)


@task
def load(settings: Settings, batches: list[pipeline.Batch]) -> list[pipeline.FileReport]:
    """Transform good rows and replace the quarter's partitions, one transaction per source."""
    reports: list[pipeline.FileReport] = []
    with connect(settings.warehouse) as con:
        for batch in batches:
            core = pipeline.transform_batch(batch)
            reports.extend(pipeline.account_rows(batch, core))
            pipeline.load_batch(con, batch, core)
    return reports


@task
def refresh_marts(settings: Settings, quarter: Quarter, ref: Reference) -> dict[str, int]:
    """Recompute the mart rows of every quarter whose values can change."""
    with connect(settings.warehouse) as con:
        return pipeline.refresh_marts(con, pipeline.affected_quarters(con, quarter), ref)


@task(retries=1, retry_delay_seconds=2)
def publish(settings: Settings, run_id: str) -> Path:
    """Write the BI snapshot to a new file and rename it over the published one."""
    with connect(settings.warehouse) as con:
        return publish_snapshot(
            con,
            settings.published,
            run_id=run_id,
            storage_version=settings.snapshot_storage_version,
        )


@flow(name="quarterly-refresh", log_prints=True)
def quarterly_refresh(quarter: str | None = None, publish_snapshot: bool = True) -> RefreshSummary:
    """Land, validate, transform and load one quarter (default: the last finished one)."""
    settings = get_settings()
    q = Quarter.parse(quarter) if quarter else Quarter.last_finished()
    run_id = f"{q}-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    workdir = settings.home / "work" / run_id
    workdir.mkdir(parents=True, exist_ok=True)
    ref = prepare_reference(settings)
    batches = [validate(ingest(settings, s, q, run_id, ref), ref, workdir) for s in pipeline.SOURCES]
    summary = RefreshSummary(str(q), run_id)
    summary.files = load(settings, batches)
    summary.failed_checks = sorted({o.expectation for b in batches for o in b.outcomes if not o.success})
    summary.marts_changed = refresh_marts(settings, q, ref)
    if publish_snapshot:
        summary.snapshot = str(publish(settings, run_id))
    get_run_logger().info(
        "%s: %d rows read, %d loaded, %d quarantined (%s)",
        q,
        summary.rows_read,
        summary.rows_loaded,
        summary.rows_quarantined,
        summary.status,
    )
    return summary
