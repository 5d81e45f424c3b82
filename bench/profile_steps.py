"""CPU seconds of a `costtrends` command by step, across threads, with Prefect's server counted.

    COSTTRENDS_HOME=/tmp/p COSTTRENDS_LANDING_DIR=... \\
        .venv/bin/python bench/profile_steps.py backfill --from 2025Q1 --to 2026Q4

Runs the command in this process with the steps of `flows/`, `warehouse/` and the
validation gate wrapped: each wrapper adds the CPU time of its own thread
(`time.thread_time`) spent inside the call, so work on the task runner's threads is
counted where it happens. Times are inclusive: a step nested in another (indented in
the table) is part of its parent's figure too. At the end it prints, as one JSON line,
every step's calls and CPU seconds, the process's CPU (all threads, `getrusage`), and
the CPU of its child processes (Prefect's API server) from the flow's start to its end.
Profiling two backfills, of N and N + K quarters, and dividing the difference by K gives
the cost of one more quarter per step (`bench/RESULTS.md`, issue 17).

With `--cprofile FILE` first, the flow (main thread) and every task run on the runner's
threads are also profiled with `cProfile` on a CPU clock, merged into FILE (`pstats`).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import json
import os
import re
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# (module, attribute path, label). Each is patched where its callers look it up.
STEPS: tuple[tuple[str, str, str], ...] = (
    ("flows.tasks", "prepare_reference.fn", "task prepare_reference"),
    ("flows.tasks", "plan_backfill.fn", "task plan_backfill"),
    ("flows.tasks", "plan_refresh.fn", "task plan_refresh"),
    ("flows.tasks", "ingest.fn", "task ingest"),
    ("sources.budget", "ingest", "  budget ingest"),
    ("sources.survey", "ingest", "  survey ingest"),
    ("flows.tasks", "validate.fn", "task validate"),
    ("sources.budget", "validate", "  budget validate"),
    ("sources.survey", "validate", "  survey validate"),
    ("sources.budget", "validate_table", "  GX gate (budget)"),
    ("sources.survey", "validate_frame", "  GX gate (survey)"),
    ("flows.tasks", "transform.fn", "task transform"),
    ("flows.tasks", "write.fn", "task write"),
    ("flows.tasks", "_lock", "  lock (entering)"),
    ("flows.tasks", "connect", "  connect + DDL"),
    ("flows.steps", "plausibility_gate", "  plausibility gate"),
    ("flows.steps", "shrink_refusal", "  shrink guard"),
    ("flows.steps", "load_batch", "  load_batch"),
    ("warehouse.checks", "drift_outcomes", "    drift checks"),
    ("warehouse.load", "write_batch", "    write_batch"),
    ("flows.steps", "refresh_quarter_dim", "    refresh_quarter_dim"),
    ("warehouse.marts", "affected_quarters", "  affected_quarters"),
    ("warehouse.marts", "refresh_marts", "  refresh_marts"),
    ("warehouse.marts", "create_core_views", "    create views"),
    ("warehouse.marts", "create_tables", "    create mart tables"),
    ("warehouse.marts", "_mart_fingerprint", "    fingerprint"),
    ("warehouse.marts", "_delete_window", "    delete window"),
    ("warehouse.marts", "_computed_rows", "    national estimate marts"),
    ("warehouse.marts", "comment_statements", "    comment statements (text)"),
    ("warehouse.incremental", "record_run", "  record_run"),
    ("warehouse.validation_docs", "write_validation_docs", "  validation docs"),
    ("sources.base", "Batch.discard", "  discard scratch"),
    ("flows.tasks", "catch_up_marts.fn", "task catch_up_marts"),
    ("flows.tasks", "publish.fn", "task publish"),
    ("flows.quarterly_refresh", "publish_artifacts", "artifacts"),
    ("flows.quarterly_refresh", "emit", "progress events"),
)

cpu: dict[str, float] = defaultdict(float)
calls: dict[str, int] = defaultdict(int)


def _wrap(label: str, fn: Any) -> Any:
    @functools.wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        start = time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            cpu[label] += time.thread_time() - start
            calls[label] += 1

    return wrapped


def _patch() -> None:
    for module_name, path, label in STEPS:
        owner: Any = importlib.import_module(module_name)
        *parents, name = path.split(".")
        for parent in parents:
            owner = getattr(owner, parent)
        if hasattr(owner, name):
            setattr(owner, name, _wrap(label, getattr(owner, name)))


class ThreadSampler:
    """Threads and their CPU seconds, by name: `/proc/self/task` read every `interval` s (Linux only).

    Catches what the steps' own-thread clocks cannot: DuckDB's and polars' worker threads,
    Prefect's background workers (events, logs, the runner's threads). A thread that ends
    between two samples loses at most `interval` seconds of its time.
    """

    def __init__(self, interval: float = 0.25) -> None:
        import threading

        self.interval = interval
        self.seen: dict[int, tuple[str, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="profile-sampler", daemon=True)

    def _names(self) -> dict[int, str]:
        import threading

        return {t.native_id: t.name for t in threading.enumerate() if t.native_id is not None}

    def sample(self) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        names = self._names()
        for task in Path("/proc/self/task").iterdir():
            try:
                stat = (task / "stat").read_text()
                comm = (task / "comm").read_text().strip()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            used = (int(fields[11]) + int(fields[12])) / tick
            tid = int(task.name)
            name = re.sub(r"[-_ ]?\d+$", "", names.get(tid, comm))
            self.seen[tid] = (name, used)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> dict[str, list[float]]:
        self.sample()
        self._stop.set()
        by_name: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
        for name, used in self.seen.values():
            by_name[name][0] += 1
            by_name[name][1] += used
        return {k: [int(n), round(v, 2)] for k, (n, v) in sorted(by_name.items(), key=lambda kv: -kv[1][1])}


def _count_duckdb_opens() -> None:
    """Count `duckdb.connect` calls (each opens a database instance with its own threads) by caller."""
    import duckdb

    connect = duckdb.connect

    def counted(*args: Any, **kwargs: Any) -> Any:
        frame = sys._getframe(1)
        while frame.f_back is not None and "duckdb_engine" in frame.f_code.co_filename:
            frame = frame.f_back
        where = Path(frame.f_code.co_filename)
        label = f"duckdb.connect from {where.parent.name}/{where.name}"
        start = time.thread_time()
        try:
            return connect(*args, **kwargs)
        finally:
            cpu[label] += time.thread_time() - start
            calls[label] += 1

    duckdb.connect = counted


def _process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _children_cpu() -> float:
    import psutil

    total = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def _profile_task_threads(profiles: list[Any]) -> None:
    """Profile each task run off the main thread with `cProfile` on a CPU clock.

    (The main thread, where the writes run, is profiled whole around the flow.)
    """
    import cProfile
    import threading

    from prefect import task_engine

    run_task_sync = task_engine.run_task_sync

    def profiled(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread() is threading.main_thread():
            return run_task_sync(*args, **kwargs)
        profile = cProfile.Profile(time.thread_time)
        profiles.append(profile)
        profile.enable()
        try:
            return run_task_sync(*args, **kwargs)
        finally:
            profile.disable()

    task_engine.run_task_sync = profiled


def main(argv: list[str]) -> None:
    from costtrends.cli import app
    from flows import quarterly_refresh

    out = None
    if argv and argv[0] == "--cprofile":
        out, argv = argv[1], argv[2:]
    _patch()
    _count_duckdb_opens()
    profiles: list[Any] = []
    if out:
        _profile_task_threads(profiles)
    marks: dict[str, float] = {}
    sampler = ThreadSampler()
    sampler.start()
    run_quarters = quarterly_refresh.run_quarters

    def measured_run_quarters(*args: Any, **kwargs: Any) -> Any:
        marks["process_at_start"], marks["server_at_start"] = _process_cpu(), _children_cpu()
        if out:
            import cProfile

            main_profile = cProfile.Profile(time.thread_time)
            profiles.append(main_profile)
            main_profile.enable()
        try:
            return run_quarters(*args, **kwargs)
        finally:
            if out:
                main_profile.disable()
            marks["process_at_end"], marks["server_at_end"] = _process_cpu(), _children_cpu()

    quarterly_refresh.run_quarters = measured_run_quarters
    sys.modules["flows.backfill"].run_quarters = measured_run_quarters  # type: ignore[attr-defined]
    with contextlib.suppress(SystemExit):  # typer.Exit carries the exit code; the figures are printed anyway
        app(argv, standalone_mode=False)
    if out:
        import pstats

        stats = pstats.Stats(profiles[0])
        for profile in profiles[1:]:
            stats.add(profile)
        stats.dump_stats(out)
    threads = sampler.stop()
    result = {
        "flow_process_cpu_s": round(marks["process_at_end"] - marks["process_at_start"], 3),
        "flow_server_cpu_s": round(marks["server_at_end"] - marks["server_at_start"], 3),
        "process_cpu_s": round(_process_cpu(), 3),
        "threads_cpu_s": threads,
        "steps": {label: [calls[label], round(cpu[label], 3)] for _, _, label in STEPS if calls[label]},
        "duckdb_opens": {k: [calls[k], round(cpu[k], 3)] for k in sorted(calls) if k.startswith("duckdb.")},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    import flows.backfill  # noqa: F401  (patched above: the flow's module looks run_quarters up itself)

    main(sys.argv[1:])
