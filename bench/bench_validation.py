"""Benchmark the validation gate on a budget table of N rows in a DuckDB file.

Usage: python bench/bench_validation.py [--rows 5000000] [--workdir DIR]

Prints the time to validate the budget suite per million rows, the time DuckDB needs to
count and to read the same rows (the floor any validation is measured against), and the
peak resident memory of the validating process. The table is generated in a child process
so its memory does not count towards the peak.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import time
from pathlib import Path

import duckdb

from expectations.gate import validate_table
from expectations.suites import budget_suite

MUNICIPALITIES = [f"GM{i:04d}" for i in range(1, 346)]
TAAKVELDEN = [f"{major}.{minor}" for major in range(9) for minor in range(1, 10)]
CATEGORIEEN = [f"{major}.{minor}" for major in range(1, 8) for minor in range(1, 8)]

# One row per municipality × taakveld × categorie × kind, cycling through the code lists.
# About 1 row in 1,000 has a code outside the register, 1 in 5,000 no lasten, 1 in 10,000
# a period that is not the folder's: enough failing rows to exercise the row ids.
GENERATE_BUDGET_SQL = """
create table budget as
select
    i::bigint as row_id,
    'begroting_2021Q1.csv' as source_file,
    (i + 2)::bigint as source_row,
    'Gemeente ' || (i % 345) as municipality,
    case when i % 1000 = 7 then 'GM9999' else municipalities[1 + i % 345] end
        as municipality_code,
    '2021Q1' as quarter,
    case when i % 10000 = 3 then '2021Q2' when i % 2 = 0 then '2021Q1' end
        as period_quarter,
    taakvelden[1 + i % 81] as taakveld,
    categorieen[1 + (i // 81) % 49] as categorie,
    case when i % 2 = 0 then 'begroting' else 'realisatie' end as kind,
    case when i % 5000 = 11 then null else ((i * 7919) % 1000000) / 100 end::decimal(18, 2)
        as lasten_eur,
    (((i * 104729) % 100000) / 100)::decimal(18, 2) as baten_eur
from range(?) as r(i), (select ? as municipalities, ? as taakvelden, ? as categorieen)
"""


def generate(database: Path, rows: int) -> None:
    """Write the `budget` table of `rows` rows to `database`."""
    with duckdb.connect(str(database)) as connection:
        connection.execute("set enable_progress_bar = false")
        connection.execute(GENERATE_BUDGET_SQL, [rows, MUNICIPALITIES, TAAKVELDEN, CATEGORIEEN])


def peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    millions = args.rows / 1_000_000

    with tempfile.TemporaryDirectory(prefix="bench-validation-", dir=args.workdir) as tmp:
        database = Path(tmp) / "budget.duckdb"
        started = time.perf_counter()
        child = multiprocessing.get_context("spawn").Process(
            target=generate, args=(database, args.rows)
        )
        child.start()
        child.join()
        if child.exitcode != 0:
            raise SystemExit(f"generating the table failed (exit code {child.exitcode})")
        print(f"generated {args.rows:,} rows in {time.perf_counter() - started:.1f} s")

        suite = budget_suite(
            valid_codes=MUNICIPALITIES, taakvelden=TAAKVELDEN, categorieen=CATEGORIEEN
        )
        rss_before = peak_rss_mb()
        started = time.perf_counter()
        result = validate_table(database, "budget", suite)
        validate_s = time.perf_counter() - started
        rss_validate = peak_rss_mb()

        with duckdb.connect(str(database), read_only=True) as connection:
            started = time.perf_counter()
            connection.execute("select count(*) from budget").fetchall()
            count_s = time.perf_counter() - started
            started = time.perf_counter()
            reader = connection.execute("select * from budget").to_arrow_reader(1_000_000)
            read_rows = sum(batch.num_rows for batch in reader)
            read_s = time.perf_counter() - started
        assert read_rows == args.rows

    failing = result.row_failures.height
    print(
        f"checks: {len(result.outcomes)}, failing rows: {failing:,}, "
        f"batch errors: {len(result.batch_errors)}"
    )
    print(f"validate:         {validate_s:.2f} s  ({validate_s / millions:.3f} s per million rows)")
    print(f"select count(*):  {count_s:.4f} s")
    print(
        f"read all rows:    {read_s:.2f} s  ({read_s / millions:.3f} s per million rows,"
        " Arrow batches, discarded)"
    )
    print(
        f"peak RSS:         {rss_validate:.0f} MB after validating "
        f"({rss_before:.0f} MB before, imports included)"
    )


if __name__ == "__main__":
    main()
