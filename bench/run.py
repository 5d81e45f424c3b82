"""Benchmarks: the pipeline and a bare-DuckDB baseline, side by side in one run on the same data.

    python3 tasks.py bench                          every scenario at the default sizes
    python3 tasks.py bench --scenario 2 5           some of them
    python3 tasks.py bench --scenario 3 --quarters 8 --scale demo

Scenarios (see bench/README.md):
  1  the demo from a clean home (`costtrends demo`)
  2  one quarter at national scale (`costtrends run`), and the budget step alone
  3  a backfill of --quarters quarters at --scale, concurrency 1 and 2
  4  one new quarter refreshed on top of 4 and of --quarters quarters of history
  5  one budget file of --rows rows (`costtrends run`), and the budget step alone
  6  the per-quarter cost: backfills of --base-quarters and --base-quarters + 8 quarters,
     and of 8 (and with --long 40) quarters, against the baseline on the same files

Every measured command runs as its own process: wall time, CPU time (user + system) and
peak resident memory come from the kernel's accounting of that process (`os.wait4`);
`tree MB` adds up the resident memory of the process and all its children, sampled every
0.2 s (Prefect's ephemeral server runs as a child). Generated data is kept in --workdir
and reused by the next run with the same sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from transforms.quarter import Quarter, quarter_range  # noqa: E402

BIN = Path(sys.executable).parent
COSTTRENDS = str(BIN / "costtrends")
BASELINE = str(ROOT / "bench" / "baseline.py")
# The newest quarter of history; the incremental scenario refreshes the one after it.
LAST = Quarter(2026, 4)
# Scenario 2's quarter and scenario 5's.
ONE_QUARTER = Quarter(2026, 4)
BIG_QUARTER = Quarter(2021, 1)
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@dataclass
class Measured:
    """One process, measured."""

    label: str
    wall: float
    cpu: float
    peak_mb: float  # the largest process of the tree (kernel accounting)
    tree_mb: float  # the tree's summed resident memory, sampled
    returncode: int
    output: str
    rows: int | None = None

    @property
    def rows_per_s(self) -> float | None:
        return self.rows / self.wall if self.rows and self.wall else None

    def json(self) -> dict[str, Any]:
        """The last JSON line the process printed."""
        for line in reversed(self.output.splitlines()):
            if line.startswith("{"):
                return json.loads(line)  # type: ignore[no-any-return]
        raise RuntimeError(f"{self.label}: printed no result line")


def _tree_rss(root: int) -> int:
    """Resident bytes of `root` and all its descendants, from /proc (0 where /proc is absent)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else []:
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            pages = int((entry / "statm").read_text().split()[1])
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
        rss[int(entry.name)] = pages * PAGE
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


def measure(
    label: str, cmd: Sequence[str], env: dict[str, str], log: Path, *, ok: Sequence[int] = (0,)
) -> Measured:
    """Run `cmd` to the end; its wall and CPU time, peak memory, and output (also in `log`)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(list(cmd), env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.2):
                peak[0] = max(peak[0], _tree_rss(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    output = log.read_text(errors="replace")
    if proc.returncode not in ok:
        tail = "\n".join(output.splitlines()[-30:])
        raise RuntimeError(f"{label}: exit {proc.returncode} (log {log}):\n{tail}")
    return Measured(
        label,
        wall,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024,
        max(peak[0], usage.ru_maxrss * 1024) / 2**20,
        proc.returncode,
        output,
    )


# --- data --------------------------------------------------------------------------------


def _generated(work: Path, scale: str, first: Quarter, last: Quarter, seed: int) -> Path:
    """A landing zone with every quarter from `first` to `last`, generated once and kept."""
    from costtrends.generate import generate

    landing = work / "data" / f"{scale}-seed{seed}" / "landing"
    missing = [
        q
        for q in quarter_range(first, last)
        if not (landing / "budget" / str(q)).is_dir() or not (landing / "survey" / str(q)).is_dir()
    ]
    for q in missing:
        print(f"  generating {q} at {scale} scale", flush=True)
        generate(landing, q, q, seed=seed, scale=scale, xlsx=False)
    return landing


def _view(work: Path, name: str, landing: Path, quarters: Sequence[Quarter]) -> Path:
    """A landing zone holding only `quarters` of `landing`, its files hard-linked (not copied).

    Hard links, not symbolic ones: ingest refuses a file that resolves outside its landing zone.
    """
    view = work / "views" / name
    shutil.rmtree(view, ignore_errors=True)
    for source in ("budget", "survey"):
        for q in quarters:
            folder = landing / source / str(q)
            for path in sorted(folder.iterdir()) if folder.is_dir() else []:
                target = view / source / str(q) / path.name
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(path, target)
                except OSError:
                    shutil.copy2(path, target)
    return view


def _rows(landing: Path, quarters: Sequence[Quarter]) -> tuple[int, int]:
    """Budget and survey data rows (lines minus header) of the CSVs of `quarters`."""
    counts = {"budget": 0, "survey": 0}
    for source in counts:
        for q in quarters:
            for path in sorted((landing / source / str(q)).glob("*.csv")):
                with path.open("rb") as fh:
                    counts[source] += (
                        sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b"")) - 1
                    )
    return counts["budget"], counts["survey"]


# --- runs --------------------------------------------------------------------------------


class Bench:
    def __init__(self, work: Path, seed: int) -> None:
        self.work = work
        self.seed = seed
        self.prefect_home = work / "prefect"
        self.results: list[tuple[str, list[str]]] = []

    def env(self, home: Path, landing: Path | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("COSTTRENDS_")}
        env.update(
            COSTTRENDS_HOME=str(home),
            PREFECT_HOME=str(self.prefect_home),
            PREFECT_LOGGING_LEVEL="WARNING",
            PYTHONPATH=str(ROOT),
        )
        if landing is not None:
            env["COSTTRENDS_LANDING_DIR"] = str(landing)
        return env

    def home(self, name: str) -> Path:
        home = self.work / "homes" / name
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        return home

    def pipeline(
        self, label: str, name: str, landing: Path, args: Sequence[str], home: Path | None = None
    ) -> Measured:
        home = home or self.home(name)
        # Exit 2 is a run with quarantined rows: the generated data has a few on purpose.
        return measure(
            label, [COSTTRENDS, *args], self.env(home, landing), self.work / "logs" / f"{name}.log", ok=(0, 2)
        )

    def baseline(self, label: str, name: str, landing: Path, quarters: Sequence[Quarter]) -> Measured:
        db = self.work / "baseline" / f"{name}.duckdb"
        db.parent.mkdir(parents=True, exist_ok=True)
        db.unlink(missing_ok=True)
        cmd = [sys.executable, BASELINE, "run", "--landing", str(landing), "--db", str(db), "--quarters"]
        result = measure(
            label, [*cmd, *map(str, quarters)], self.env(self.work), self.work / "logs" / f"{name}.log"
        )
        db.unlink(missing_ok=True)
        return result

    def budget_step(self, label: str, name: str, landing: Path, quarter: Quarter) -> Measured:
        home = self.home(name)
        cmd = [sys.executable, __file__, "_budget-step", "--landing", str(landing), "--quarter", str(quarter)]
        return measure(label, cmd, self.env(home, landing), self.work / "logs" / f"{name}.log")

    def read_csv(self, label: str, name: str, path: Path) -> Measured:
        db = self.work / "baseline" / f"{name}.duckdb"
        db.parent.mkdir(parents=True, exist_ok=True)
        db.unlink(missing_ok=True)
        result = measure(
            label,
            [sys.executable, BASELINE, "read-csv", str(path), "--db", str(db)],
            self.env(self.work),
            self.work / "logs" / f"{name}.log",
        )
        db.unlink(missing_ok=True)
        return result

    def warm_up(self) -> None:
        """One tiny run first, so Prefect's database exists before anything is timed."""
        landing = _generated(self.work, "tiny", Quarter(2021, 1), Quarter(2021, 1), self.seed)
        print("warming up (one tiny quarter, not timed)", flush=True)
        self.pipeline("warm-up", "warm-up", landing, ["run", "--quarter", "2021Q1"])

    # --- reporting -------------------------------------------------------------------

    def report(self, title: str, lines: list[str]) -> None:
        print(f"\n== {title}", flush=True)
        for line in lines:
            print(line, flush=True)
        self.results.append((title, lines))


HEADER = f"  {'run':<44}{'wall s':>9}{'cpu s':>9}{'peak MB':>9}{'tree MB':>9}{'rows/s':>11}"


def row(m: Measured, rows: int | None = None) -> str:
    rows = rows if rows is not None else m.rows
    rate = f"{rows / m.wall:,.0f}" if rows and m.wall else "-"
    return f"  {m.label:<44}{m.wall:>9.1f}{m.cpu:>9.1f}{m.peak_mb:>9.0f}{m.tree_mb:>9.0f}{rate:>11}"


def ratio(label: str, a: float, b: float) -> str:
    return f"  {label:<44}{a / b:>8.2f}x" if b else f"  {label:<44}{'-':>9}"


def step_lines(step: Measured, bare: Measured) -> list[str]:
    """The in-process budget step against a bare read_csv, both timed without imports."""
    got, floor = step.json(), bare.json()
    rows, seconds, cpu = int(got["rows"]), float(got["seconds"]), float(got["cpu_seconds"])
    bare_seconds, bare_cpu = float(floor["seconds"]), float(floor["cpu_seconds"])
    parts = ", ".join(f"{k} {v:.2f}" for k, v in got["steps"].items())
    parts_cpu = ", ".join(f"{k} {v:.2f}" for k, v in got.get("steps_cpu", {}).items())
    bare_rows = int(floor["rows"])
    return [
        f"  {'budget step (read+validate+transform+load)':<44}{seconds:>9.1f}{cpu:>9.1f}"
        f"{step.peak_mb:>9.0f}{'':>9}{rows / seconds:>11,.0f}",
        f"    steps, wall s: {parts}",
        f"    steps, cpu s: {parts_cpu}",
        f"  {'bare DuckDB read_csv into a table':<44}{bare_seconds:>9.1f}{bare_cpu:>9.1f}"
        f"{bare.peak_mb:>9.0f}{'':>9}{bare_rows / bare_seconds:>11,.0f}",
        ratio("ratio budget step / read_csv", seconds, bare_seconds),
        ratio("ratio budget step / read_csv, cpu", cpu, bare_cpu),
    ]


# --- scenarios ---------------------------------------------------------------------------


def scenario_1(bench: Bench, args: argparse.Namespace) -> None:
    home = bench.work / "homes" / "demo"
    shutil.rmtree(home, ignore_errors=True)
    run = measure(
        "pipeline: costtrends demo",
        [COSTTRENDS, "demo", "--home", str(home)],
        bench.env(home),
        bench.work / "logs" / "demo.log",
    )
    quarters = list(quarter_range(Quarter(2020, 1), Quarter(2021, 4)))
    budget, survey = _rows(home / "landing", quarters)
    base = bench.baseline("baseline: bare DuckDB", "demo-baseline", home / "landing", quarters)
    bench.report(
        f"scenario 1: the demo from a clean home (8 quarters, {budget:,} budget rows, "
        f"{survey:,} survey rows; the pipeline's time includes generating the data)",
        [
            HEADER,
            row(run, budget),
            row(base, budget),
            ratio("ratio pipeline / baseline", run.wall, base.wall),
            ratio("ratio pipeline / baseline, cpu", run.cpu, base.cpu),
        ],
    )


def scenario_2(bench: Bench, args: argparse.Namespace) -> None:
    landing = _generated(bench.work, args.scale, ONE_QUARTER, ONE_QUARTER, bench.seed)
    view = _view(bench.work, "one-quarter", landing, [ONE_QUARTER])
    budget, survey = _rows(view, [ONE_QUARTER])
    run = bench.pipeline(
        "pipeline: costtrends run", "one-quarter", view, ["run", "--quarter", str(ONE_QUARTER)]
    )
    base = bench.baseline("baseline: bare DuckDB", "one-quarter-baseline", view, [ONE_QUARTER])
    budget_file = next((view / "budget" / str(ONE_QUARTER)).glob("*.csv"))
    step = bench.budget_step("budget step", "one-quarter-step", view, ONE_QUARTER)
    bare = bench.read_csv("read_csv", "one-quarter-read", budget_file)
    bench.report(
        f"scenario 2: one quarter at {args.scale} scale "
        f"({ONE_QUARTER}: {budget:,} budget rows, {survey:,} survey rows)",
        [
            HEADER,
            row(run, budget + survey),
            row(base, budget + survey),
            ratio("ratio pipeline / baseline", run.wall, base.wall),
            ratio("ratio pipeline / baseline, cpu", run.cpu, base.cpu),
            *work_lines(run, base),
            *step_lines(step, bare),
        ],
    )


def work_lines(run: Measured, base: Measured) -> list[str]:
    """The runs without process start and imports: the flow's time against the baseline's work."""
    flow = re.search(r"took ([0-9.]+) s", run.output)
    if flow is None:
        return []
    flow_s, base_s = float(flow.group(1)), float(base.json()["seconds"])
    return [
        f"  {'pipeline work: the flow, imports excluded':<44}{flow_s:>9.1f}",
        f"  {'baseline work, imports excluded':<44}{base_s:>9.1f}",
        ratio("ratio pipeline work / baseline work", flow_s, base_s),
    ]


def _history(args: argparse.Namespace) -> list[Quarter]:
    first = Quarter.from_index(LAST.index - args.quarters + 1)
    return list(quarter_range(first, LAST))


def scenario_3(bench: Bench, args: argparse.Namespace) -> None:
    quarters = _history(args)
    landing = _generated(bench.work, args.scale, quarters[0], quarters[-1], bench.seed)
    view = _view(bench.work, f"backfill-{len(quarters)}", landing, quarters)
    budget, survey = _rows(view, quarters)
    span = ["backfill", "--from", str(quarters[0]), "--to", str(quarters[-1])]
    runs = {
        c: bench.pipeline(
            f"pipeline: backfill, concurrency {c}",
            f"backfill-{len(quarters)}-c{c}",
            view,
            [*span, "--concurrency", str(c)],
        )
        for c in (1, 2)
    }
    base = bench.baseline("baseline: bare DuckDB", f"backfill-{len(quarters)}-baseline", view, quarters)
    bench.report(
        f"scenario 3: backfill of {len(quarters)} quarters at {args.scale} scale "
        f"({quarters[0]}..{quarters[-1]}: {budget:,} budget rows, {survey:,} survey rows)",
        [
            HEADER,
            row(runs[1], budget + survey),
            row(runs[2], budget + survey),
            row(base, budget + survey),
            ratio("ratio concurrency 2 / concurrency 1", runs[2].wall, runs[1].wall),
            ratio("ratio pipeline (concurrency 2) / baseline", runs[2].wall, base.wall),
            ratio("ratio pipeline (concurrency 2) / baseline, cpu", runs[2].cpu, base.cpu),
        ],
    )


def scenario_4(bench: Bench, args: argparse.Namespace) -> None:
    new = Quarter.from_index(LAST.index + 1)
    long_history = _history(args)
    landing = _generated(bench.work, args.scale, long_history[0], new, bench.seed)
    results = {}
    for size in (4, len(long_history)):
        history = long_history[-size:]
        view = _view(bench.work, f"incremental-{size}", landing, [*history, new])
        home = bench.home(f"incremental-{size}")
        print(f"  loading {size} quarters of history (not timed)", flush=True)
        bench.pipeline(
            "history",
            f"incremental-{size}-history",
            view,
            ["backfill", "--from", str(history[0]), "--to", str(history[-1])],
            home=home,
        )
        results[size] = bench.pipeline(
            f"refresh {new} on {size} quarters of history",
            f"incremental-{size}-refresh",
            view,
            ["run", "--quarter", str(new)],
            home=home,
        )
    budget, survey = _rows(landing, [new])
    short, longer = results[4], results[len(long_history)]
    bench.report(
        f"scenario 4: one new quarter ({new}: {budget:,} budget rows) "
        f"on 4 and on {len(long_history)} quarters of history",
        [
            HEADER,
            row(short, budget + survey),
            row(longer, budget + survey),
            ratio(f"ratio {len(long_history)} / 4 quarters of history", longer.wall, short.wall),
            ratio(f"ratio {len(long_history)} / 4 quarters of history, cpu", longer.cpu, short.cpu),
        ],
    )


def scenario_5(bench: Bench, args: argparse.Namespace) -> None:
    from costtrends.generate import write_large_budget_file

    folder = bench.work / "data" / f"big-{args.rows}-seed{bench.seed}"
    path = folder / "landing" / "budget" / str(BIG_QUARTER) / "iv3_big.csv"
    if not path.exists():
        print(f"  generating a budget file of {args.rows:,} rows", flush=True)
        write_large_budget_file(path, BIG_QUARTER, min_rows=args.rows, seed=bench.seed, scale=args.scale)
    landing = folder / "landing"
    budget, _ = _rows(landing, [BIG_QUARTER])
    run = bench.pipeline(
        "pipeline: costtrends run", "big-file", landing, ["run", "--quarter", str(BIG_QUARTER)]
    )
    base = bench.baseline("baseline: bare DuckDB", "big-file-baseline", landing, [BIG_QUARTER])
    step = bench.budget_step("budget step", "big-file-step", landing, BIG_QUARTER)
    bare = bench.read_csv("read_csv", "big-file-read", path)
    bench.report(
        f"scenario 5: one budget file of {budget:,} rows ({path.stat().st_size / 2**30:.2f} GiB)",
        [
            HEADER,
            row(run, budget),
            row(base, budget),
            ratio("ratio pipeline / baseline", run.wall, base.wall),
            ratio("ratio pipeline / baseline, cpu", run.cpu, base.cpu),
            *step_lines(step, bare),
        ],
    )


# Scenario 6 measures the cost of one more quarter as the difference of two backfills
# (pipeline and baseline alike), (backfill of N + 8 quarters - backfill of N) / 8, so that
# what a process pays once (imports, Prefect's server, the marts' and snapshot's fixed
# work) cancels out. The whole backfill of 8 (and 40) quarters is compared too.
PER_QUARTER_STEP = 8
WHOLE_BACKFILL = 8
LONG_BACKFILL = 40
AIMS = {"per quarter": 2.0, WHOLE_BACKFILL: 2.5, LONG_BACKFILL: 1.5}


def scenario_6(bench: Bench, args: argparse.Namespace) -> None:
    base, step = args.base_quarters, args.step
    whole = [args.whole, *([LONG_BACKFILL] if args.long else [])]
    sizes = sorted({base, base + step, *whole})
    first = Quarter.from_index(LAST.index - sizes[-1] + 1)
    landing = _generated(bench.work, args.scale, first, LAST, bench.seed)
    pipeline: dict[int, Measured] = {}
    baseline: dict[int, Measured] = {}
    rows: dict[int, int] = {}
    for size in sizes:
        quarters = list(quarter_range(Quarter.from_index(LAST.index - size + 1), LAST))
        view = _view(bench.work, f"per-quarter-{size}", landing, quarters)
        budget, survey = _rows(view, quarters)
        rows[size] = budget + survey
        pipeline[size] = bench.pipeline(
            f"pipeline: backfill of {_quarters(size)}",
            f"per-quarter-{size}",
            view,
            [
                "backfill",
                "--from",
                str(quarters[0]),
                "--to",
                str(quarters[-1]),
                "--concurrency",
                str(args.concurrency),
            ],
        )
        baseline[size] = bench.baseline(
            f"baseline: {_quarters(size)}", f"per-quarter-{size}-baseline", view, quarters
        )
    more = base + step
    added = rows[more] - rows[base]
    lines = [HEADER]
    for size in sizes:
        lines += [row(pipeline[size], rows[size]), row(baseline[size], rows[size])]
    lines += per_quarter_lines(pipeline[base], pipeline[more], baseline[base], baseline[more], added, step)
    for size in whole:
        aim = f" (aim {AIMS[size]}x)" if size in AIMS else ""
        lines += [
            ratio(f"ratio whole backfill of {size}{aim}", pipeline[size].wall, baseline[size].wall),
            ratio(f"ratio whole backfill of {size}, cpu", pipeline[size].cpu, baseline[size].cpu),
        ]
    one = pipeline[min(sizes)]
    lines.append(
        f"  {'peak RSS, largest process, any pipeline run':<44}"
        f"{max(m.peak_mb for m in pipeline.values()):>9.0f} MB"
        f"  (backfill of {min(sizes)}: {one.peak_mb:.0f} MB)"
    )
    bench.report(
        f"scenario 6: the cost of one more quarter at {args.scale} scale (backfills of "
        f"{', '.join(map(str, sizes))} quarters ending {LAST}, concurrency {args.concurrency}; "
        f"the {step} added quarters hold {added:,} rows)",
        lines,
    )


def _quarters(n: int) -> str:
    return f"{n} quarter{'' if n == 1 else 's'}"


def per_quarter_lines(
    pipe_base: Measured,
    pipe_more: Measured,
    base_base: Measured,
    base_more: Measured,
    added_rows: int,
    step: int,
) -> list[str]:
    """(backfill of N + step quarters - backfill of N) / step, for the pipeline and the baseline."""

    def per(more: Measured, less: Measured) -> tuple[float, float]:
        return (more.wall - less.wall) / step, (more.cpu - less.cpu) / step

    pipe_wall, pipe_cpu = per(pipe_more, pipe_base)
    base_wall, base_cpu = per(base_more, base_base)
    rate = f"{added_rows / step / pipe_wall:,.0f}" if pipe_wall > 0 else "-"
    base_rate = f"{added_rows / step / base_wall:,.0f}" if base_wall > 0 else "-"
    return [
        f"  {'pipeline: per quarter':<44}{pipe_wall:>9.2f}{pipe_cpu:>9.2f}{'':>18}{rate:>11}",
        f"  {'baseline: per quarter':<44}{base_wall:>9.2f}{base_cpu:>9.2f}{'':>18}{base_rate:>11}",
        # A difference of two runs can come out at or below zero on a busy machine: no ratio then.
        ratio(f"ratio per quarter (aim {AIMS['per quarter']}x)", pipe_wall, max(base_wall, 0.0)),
        ratio("ratio per quarter, cpu", pipe_cpu, max(base_cpu, 0.0)),
    ]


SCENARIOS = {
    "1": scenario_1,
    "2": scenario_2,
    "3": scenario_3,
    "4": scenario_4,
    "5": scenario_5,
    "6": scenario_6,
}


def budget_step(landing: Path, quarter: Quarter) -> None:
    """In this process: the pipeline's budget steps for one quarter, timed without imports."""
    # Great Expectations is imported when the first suite is built: here, before the clock.
    import expectations.code_sets  # noqa: F401
    import expectations.gx_duckdb  # noqa: F401
    from flows import steps as pipeline_steps
    from flows.settings import get_settings
    from ingest.reference import read_reference
    from warehouse.db import connect
    from warehouse.seeds import load_reference

    settings = get_settings()
    ref = read_reference()
    con = connect(settings.warehouse)
    load_reference(con, ref)
    work = settings.home / "work"
    steps: dict[str, float] = {}
    steps_cpu: dict[str, float] = {}
    started = last = time.perf_counter()
    cpu_started = last_cpu = time.process_time()

    def lap(name: str) -> None:
        nonlocal last, last_cpu
        now, now_cpu = time.perf_counter(), time.process_time()
        steps[name], steps_cpu[name] = now - last, now_cpu - last_cpu
        last, last_cpu = now, now_cpu

    batch = pipeline_steps.ingest_batch(landing, "budget", quarter, f"bench-{quarter}", ref, workdir=work)
    lap("ingest")
    batch = pipeline_steps.validate_batch(batch, ref, workdir=work)
    lap("validate")
    core = pipeline_steps.transform_batch(batch)
    pipeline_steps.account_rows(batch, core)
    lap("transform")
    pipeline_steps.load_batch(con, batch, core)
    lap("load")
    con.close()
    rows = sum(f.rows_read for f in batch.files)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(
        json.dumps(
            {
                "rows": rows,
                "seconds": round(seconds, 3),
                "cpu_seconds": round(cpu, 3),
                "steps": steps,
                "steps_cpu": steps_cpu,
            }
        )
    )


def machine() -> list[str]:
    import duckdb
    import polars

    cpu = "?"
    if Path("/proc/cpuinfo").exists():
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "?"
    if Path("/proc/meminfo").exists():
        total = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{total / 2**20:.1f} GiB"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return [
        f"  CPU: {cpu}, {os.cpu_count()} logical CPUs; memory {memory}; load average {load}",
        f"  {platform.system()} {platform.release()}; Python {platform.python_version()}, "
        f"DuckDB {duckdb.__version__}, polars {polars.__version__}, "
        f"Prefect {_version('prefect')}, Great Expectations {_version('great_expectations')}",
    ]


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package.replace("_", "-"))
    except PackageNotFoundError:
        return "?"


def main(argv: list[str]) -> int:
    if argv[:1] == ["_budget-step"]:
        parser = argparse.ArgumentParser()
        parser.add_argument("--landing", type=Path, required=True)
        parser.add_argument("--quarter", required=True)
        step = parser.parse_args(argv[1:])
        budget_step(step.landing, Quarter.parse(step.quarter))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", nargs="+", choices=sorted(SCENARIOS), default=sorted(SCENARIOS))
    parser.add_argument("--quarters", type=int, default=40, help="history for scenarios 3 and 4 (default 40)")
    parser.add_argument("--scale", default="national", help="tiny, demo or national (default national)")
    parser.add_argument(
        "--rows", type=int, default=20_000_000, help="rows of scenario 5's file (default 20M)"
    )
    parser.add_argument(
        "--base-quarters",
        type=int,
        default=WHOLE_BACKFILL,
        help=f"scenario 6: N of the backfills of N and N + --step quarters (default {WHOLE_BACKFILL})",
    )
    parser.add_argument(
        "--step",
        type=int,
        default=PER_QUARTER_STEP,
        help=f"scenario 6: quarters added to the first backfill (default {PER_QUARTER_STEP})",
    )
    parser.add_argument(
        "--whole",
        type=int,
        default=WHOLE_BACKFILL,
        help=f"scenario 6: the whole backfill compared with the baseline (default {WHOLE_BACKFILL} quarters)",
    )
    parser.add_argument(
        "--long",
        action="store_true",
        help=f"scenario 6: also a backfill of {LONG_BACKFILL} quarters (about an hour at national scale)",
    )
    parser.add_argument(
        "--concurrency", type=int, default=2, help="scenario 6: the backfills' --concurrency (default 2)"
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--workdir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "costtrends-bench"
    )
    parser.add_argument("--no-warm-up", action="store_true", help="skip the untimed tiny run first")
    args = parser.parse_args(argv)
    if args.quarters < 4:
        parser.error("--quarters must be at least 4 (scenario 4 compares with 4 quarters of history)")
    if min(args.base_quarters, args.step, args.whole, args.concurrency) < 1:
        parser.error("--base-quarters, --step, --whole and --concurrency must be at least 1")
    bench = Bench(args.workdir.resolve(), args.seed)
    print("costtrends benchmark", flush=True)
    for line in machine():
        print(line, flush=True)
    print(f"  work folder: {bench.work}", flush=True)
    if not args.no_warm_up:
        bench.warm_up()
    for name in args.scenario:
        SCENARIOS[name](bench, args)
    if hasattr(os, "getloadavg"):
        print(f"\n  load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    print(flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
