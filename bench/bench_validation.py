"""Benchmark the validation gate on a budget table of N rows, against reading the same rows.

Usage: python bench/bench_validation.py [--rows 5000000] [--workdir DIR]

Generates N budget rows into a DuckDB file (as the budget store holds a batch) and the same
rows as a CSV file (as they land). Then, each step in a fresh process so that its peak
resident memory is its own:

- validate: the budget suite through the gate (`expectations.gate.validate_table`: GX's SQL
  engine on the DuckDB table, every failing row id read back);
- read the CSV with polars: a streaming scan that parses every column of every row;
- read the DuckDB table: every row as Arrow batches.

Prints seconds and seconds per million rows for each, the step's CPU seconds (user +
system of every thread of its process: DuckDB's and polars' threads included, imports
excluded), and each step's peak RSS (the process's imports included: a bare Python with
polars, DuckDB and GX is most of it).
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:
    from transforms.iv3 import YearCodes

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
    (((i * 104729) % 100000) / 100)::decimal(18, 2) as baten_eur,
    -- what transforms.iv3.check_columns derives for the side, grey-cell and PF009 checks
    case when lasten_eur <> 0 then categorie end as lasten_categorie,
    case when baten_eur <> 0 then categorie end as baten_categorie,
    case when lasten_eur <> 0 then taakveld || '×' || categorie end as lasten_cell,
    case when baten_eur <> 0 then taakveld || '×' || categorie end as baten_cell,
    case when kind = 'realisatie' and (lasten_eur <> 0 or baten_eur <> 0) then categorie end
        as realisatie_categorie
from range(?) as r(i), (select ? as municipalities, ? as taakvelden, ? as categorieen)
"""


def generate(database: Path, csv: Path, rows: int) -> None:
    """Write the `budget` table of `rows` rows to `database`, and the same rows to `csv`."""
    with duckdb.connect(str(database)) as connection:
        connection.execute("set enable_progress_bar = false")
        connection.execute(GENERATE_BUDGET_SQL, [rows, MUNICIPALITIES, TAAKVELDEN, CATEGORIEEN])
        connection.execute(f"copy budget to '{csv}' (header, delimiter ',')")


def peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def year_codes() -> YearCodes:
    """Code sets the size of a real boekjaar's: a few hundred grey cells per side."""
    from transforms.iv3 import YearCodes

    return YearCodes(
        boekjaar=2021,
        taakvelden=tuple(TAAKVELDEN),
        taakvelden_other_years=("6.71a", "6.71b"),
        categorieen=tuple(CATEGORIEEN),
        categorieen_other_years=("4.5.1", "4.6.6"),
        lasten=tuple(CATEGORIEEN[:-2]),
        baten=tuple(CATEGORIEEN[2:]),
        grey_lasten=tuple(f"{t}×{c}" for t in TAAKVELDEN[:10] for c in CATEGORIEEN[:40]),
        grey_baten=tuple(f"{t}×{c}" for t in TAAKVELDEN[10:20] for c in CATEGORIEEN[:40]),
        pf009=("4.3",),
    )


def validate(database: Path) -> tuple[float, str]:
    """Validate the table with the budget suite; seconds and a one-line result."""
    from expectations.gate import validate_table
    from expectations.suites import budget_suite

    suite = budget_suite(valid_codes=MUNICIPALITIES, codes=year_codes())
    started = time.perf_counter()
    result = validate_table(database, "budget", suite)
    seconds = time.perf_counter() - started
    return seconds, (
        f"{len(result.outcomes)} checks, {result.row_failures.height:,} failing rows, "
        f"{len(result.batch_errors)} batch errors"
    )


def read_csv(csv: Path) -> tuple[float, str]:
    """Parse every column of every row of the CSV, streaming; seconds and the row count."""
    import polars as pl

    started = time.perf_counter()
    counts = pl.scan_csv(csv).select(pl.len(), pl.all().null_count().name.suffix("_nulls"))
    rows = counts.collect(engine="streaming")["len"][0]
    return time.perf_counter() - started, f"{rows:,} rows"


def read_table(database: Path) -> tuple[float, str]:
    """Read every row of the DuckDB table as Arrow batches; seconds and the row count."""
    with duckdb.connect(str(database), read_only=True) as connection:
        connection.execute("set enable_progress_bar = false")
        started = time.perf_counter()
        reader = connection.sql("select * from budget").to_arrow_reader(1_000_000)
        rows = sum(batch.num_rows for batch in reader)
        return time.perf_counter() - started, f"{rows:,} rows"


def _child(step: Callable[[Path], tuple[float, str]], path: Path, results: Any) -> None:
    # Imports first, outside the CPU time: the step's own imports are inside its function.
    if step is validate:
        import expectations.gate  # noqa: F401
        import expectations.gx_duckdb  # noqa: F401
        import expectations.suites  # noqa: F401
    started = time.process_time()
    seconds, detail = step(path)
    results.put((seconds, time.process_time() - started, detail, peak_rss_mb()))


def measure(step: Callable[[Path], tuple[float, str]], path: Path) -> tuple[float, float, str, float]:
    """Run `step(path)` in a fresh process: seconds, CPU seconds, its detail, and peak RSS in MB."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    child = context.Process(target=_child, args=(step, path, results))
    child.start()
    outcome = results.get()
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"{step.__name__} failed (exit code {child.exitcode})")
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    millions = args.rows / 1_000_000

    with tempfile.TemporaryDirectory(prefix="bench-validation-", dir=args.workdir) as tmp:
        database, csv = Path(tmp) / "budget.duckdb", Path(tmp) / "budget.csv"
        started = time.perf_counter()
        child = multiprocessing.get_context("spawn").Process(target=generate, args=(database, csv, args.rows))
        child.start()
        child.join()
        if child.exitcode != 0:
            raise SystemExit(f"generating the rows failed (exit code {child.exitcode})")
        print(
            f"generated {args.rows:,} rows in {time.perf_counter() - started:.1f} s "
            f"(DuckDB file {database.stat().st_size / 1e6:,.0f} MB, CSV {csv.stat().st_size / 1e6:,.0f} MB)"
        )
        steps = {
            "validate (GX on DuckDB)": measure(validate, database),
            "read CSV (polars)": measure(read_csv, csv),
            "read DuckDB table": measure(read_table, database),
        }

    for name, (seconds, cpu, detail, rss) in steps.items():
        print(
            f"{name:<24} {seconds:7.2f} s  {seconds / millions:6.3f} s per million rows  "
            f"cpu {cpu:6.2f} s  peak RSS {rss:6.0f} MB  ({detail})"
        )
    validate_s = steps["validate (GX on DuckDB)"][0]
    print(
        f"validation takes {validate_s / steps['read CSV (polars)'][0]:.2f}× the time to read the CSV "
        f"and {validate_s / steps['read DuckDB table'][0]:.2f}× the time to read the DuckDB table"
    )


if __name__ == "__main__":
    main()
