"""The task runner a run prepares its quarters on, chosen by settings, never by code."""

from __future__ import annotations

from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner, ThreadPoolTaskRunner

from flows.settings import Settings


def task_runner_for(settings: Settings, concurrency: int) -> TaskRunner:
    """Threads (default), processes, or Dask: `settings.dask_address`, else a temporary local cluster."""
    if settings.task_runner == "dask":
        from prefect_dask import DaskTaskRunner

        if settings.dask_address:
            return DaskTaskRunner(address=settings.dask_address)
        return DaskTaskRunner(
            cluster_kwargs={
                "n_workers": concurrency,
                "threads_per_worker": 1,
                "processes": True,
                # Local only: no dashboard, nothing listening beyond loopback.
                "host": "127.0.0.1",
                "dashboard_address": None,
            }
        )
    if settings.task_runner == "processes":
        return ProcessPoolTaskRunner(max_workers=concurrency)
    return ThreadPoolTaskRunner(max_workers=concurrency)
