"""Great Expectations' cost per suite run: the budget and the survey suite through the gate.

Usage: python bench/bench_gx_suites.py [--rows 1000] [--runs 4] [--suite budget|survey|both]
           [--workdir DIR]

Generates a budget table (as `bench_validation` does, with code lists the size of a real
boekjaar's) and a survey table of N rows each into a DuckDB file, builds each suite as a
quarter does (345 valid municipality codes), validates once to pay GX's first-use costs,
then validates `--runs` times more and prints the CPU seconds of each run (user + system of
every thread of the process), their median, the wall seconds and what the gate found.

Everything runs in this one process: to compare two versions of the code, run this script
alternately under each (``PYTHONPATH=<checkout of the other version>``), so that both
meet the same load.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
from bench_validation import CATEGORIEEN, GENERATE_BUDGET_SQL, MUNICIPALITIES, TAAKVELDEN, year_codes

# One row per survey response: every 1,000th with a code outside the register, every
# 5,000th a negative amount, every 10,000th a test response: a few failing rows per check.
GENERATE_SURVEY_SQL = """
create table survey as
select
    i::bigint as row_id,
    'enquete_2021Q1.csv' as source_file,
    (i + 2)::bigint as source_row,
    'R' || i as response_id,
    timestamp '2021-04-12 09:30:00' + to_seconds(i) as submitted_at,
    'Gemeente ' || (i % 345) as municipality,
    case when i % 1000 = 7 then 'GM9999' else municipalities[1 + i % 345] end as municipality_code,
    '2021Q1' as quarter,
    case when i % 2 = 0 then '2021Q1' end as period_quarter,
    (50 + i % 400)::double as fte,
    (i % 101)::double as remote_share_now_pct,
    ((i * 7) % 101)::double as remote_share_expected_pct,
    case when i % 5000 = 11 then -1 else (i * 7919) % 100000 end::decimal(18, 2) as hardware_eur,
    ((i * 104729) % 100000)::decimal(18, 2) as software_licences_eur,
    ((i * 31) % 100000)::decimal(18, 2) as ict_support_eur,
    ((i * 37) % 100000)::decimal(18, 2) as security_eur,
    ((i * 41) % 100000)::decimal(18, 2) as other_eur,
    ((i * 43) % 100000)::decimal(18, 2) as office_savings_eur,
    false as is_preview,
    i % 10000 = 5 as respondent_is_test,
    (20000 + (i % 345) * 1000)::bigint as population
from range(?) as r(i), (select ? as municipalities)
"""


def generate(database: Path, rows: int) -> None:
    with duckdb.connect(str(database)) as connection:
        connection.execute("set enable_progress_bar = false")
        connection.execute(GENERATE_BUDGET_SQL, [rows, MUNICIPALITIES, TAAKVELDEN, CATEGORIEEN])
        connection.execute(GENERATE_SURVEY_SQL, [rows, MUNICIPALITIES])


def budget_run(database: Path) -> Callable[[], str]:
    from expectations.gate import validate_table
    from expectations.suites import budget_suite

    def run() -> str:
        # Built per run, as each quarter builds its suite.
        suite = budget_suite(valid_codes=MUNICIPALITIES, codes=year_codes())
        return _summary(validate_table(database, "budget", suite))

    return run


def survey_run(database: Path) -> Callable[[], str]:
    import datetime as dt

    from expectations.gate import validate_table
    from expectations.suites import Bounds, survey_suite

    bounds = Bounds(
        amount_max_eur=5_000_000,
        amount_per_inhabitant_max_eur=250,
        fte_per_1000_min=1,
        fte_per_1000_max=60,
        drift_max_drop_share=0.5,
        drift_max_change_factor=10,
    )

    def run() -> str:
        suite = survey_suite(
            valid_codes=MUNICIPALITIES, bounds=bounds, submitted_before=dt.datetime(2021, 12, 31)
        )
        return _summary(validate_table(database, "survey", suite))

    return run


def _summary(result: object) -> str:
    outcomes = result.outcomes  # type: ignore[attr-defined]
    failures = result.row_failures.height  # type: ignore[attr-defined]
    warnings = result.row_warnings.height  # type: ignore[attr-defined]
    unexpected = sum(o.unexpected_count for o in outcomes)
    return f"{len(outcomes)} checks, {unexpected:,} unexpected, {failures:,} failing, {warnings:,} warned"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--suite", choices=("budget", "survey", "both"), default="both")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-gx-", dir=args.workdir) as tmp:
        database = Path(tmp) / "tables.duckdb"
        generate(database, args.rows)
        suites = {"budget": budget_run, "survey": survey_run}
        for name in suites if args.suite == "both" else (args.suite,):
            run = suites[name](database)
            detail = run()  # GX's first-use costs (imports, registries) are not a run's
            cpu, wall = [], []
            for _ in range(args.runs):
                started, started_cpu = time.perf_counter(), time.process_time()
                run()
                cpu.append(time.process_time() - started_cpu)
                wall.append(time.perf_counter() - started)
            print(
                f"{name} suite on {args.rows:,} rows: cpu s per run "
                f"{' '.join(f'{c:.3f}' for c in cpu)} (median {statistics.median(cpu):.3f}), "
                f"wall median {statistics.median(wall):.3f} s; {detail}"
            )


if __name__ == "__main__":
    main()
