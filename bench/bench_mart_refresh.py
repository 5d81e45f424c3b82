"""Mart refresh cost against history length: the newest quarter with 4 and with 40 quarters loaded.

    .venv/bin/python bench/bench_mart_refresh.py

Core rows are generated straight into an in-memory warehouse: every current municipality,
70% answering each quarter, six cost categories, two budget lines. Prints the median and
best time of refreshing the newest quarter (its window is itself) and of refreshing the
oldest one (its window is the whole tail).
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest.reference import read_reference  # noqa: E402
from transforms.quarter import Quarter, quarter_range  # noqa: E402
from transforms.reference import quarter_dim  # noqa: E402
from warehouse import marts
from warehouse.db import connect  # noqa: E402
from warehouse.seeds import load_reference  # noqa: E402

CATEGORIES = ("hardware", "software_licences", "ict_support", "security", "other", "office_savings")
LAST = Quarter(2024, 4)


def _insert(con, table: str, frame: pl.DataFrame) -> None:
    con.register("_rows", frame.to_arrow())
    con.execute(f"insert into {table} by name select * from _rows")
    con.unregister("_rows")


def build(quarters: int):
    ref = read_reference()
    codes = ref.municipalities.filter(pl.col("valid_to").is_null())["municipality_code"].to_list()
    qs = list(quarter_range(LAST.shift(-(quarters - 1)), LAST))
    rnd = random.Random(1)
    survey = [
        (str(q), c, k, rnd.randrange(0, 10**7) / 100, "ok", f"{c}-{q}")
        for q in qs
        for c in codes
        if rnd.random() < 0.7
        for k in CATEGORIES
    ]
    budget = [
        (str(q), c, "0.4", "3.8", kind, rnd.randrange(10**5, 10**8) / 100, 0.0, "bench.csv", 1)
        for q in qs
        for c in codes
        for kind in ("begroting", "realisatie")
    ]
    con = connect(":memory:")
    load_reference(con, ref)
    amount = pl.Decimal(18, 2)
    costs = pl.DataFrame(
        survey,
        schema=[
            "quarter",
            "municipality_code",
            "cost_category",
            "amount_eur",
            "answer_status",
            "response_id",
        ],
        orient="row",
    ).with_columns(pl.col("amount_eur").cast(amount))
    lines = pl.DataFrame(
        budget,
        schema=[
            "quarter",
            "municipality_code",
            "taakveld",
            "categorie",
            "kind",
            "lasten_eur",
            "baten_eur",
            "source_file",
            "source_row",
        ],
        orient="row",
    ).with_columns(pl.col("lasten_eur", "baten_eur").cast(amount))
    _insert(con, "core.fct_survey_cost", costs)
    _insert(con, "core.fct_budget", lines)
    _insert(con, "core.dim_quarter", quarter_dim(qs))
    marts.refresh_marts(con, (qs[0].index, LAST.index), ref)  # the full build
    return con, ref, qs, len(survey)


def main() -> None:
    for quarters in (4, 40):
        con, ref, qs, rows = build(quarters)
        times = []
        for _ in range(15):
            started = time.perf_counter()
            marts.refresh_marts(con, marts.affected_quarters(con, LAST), ref)
            times.append(time.perf_counter() - started)
        started = time.perf_counter()
        marts.refresh_marts(con, marts.affected_quarters(con, qs[0]), ref)
        tail = time.perf_counter() - started
        print(
            f"{quarters:>2} quarters ({rows:,} survey cost rows): newest quarter "
            f"median {statistics.median(times) * 1000:.0f} ms, best {min(times) * 1000:.0f} ms; "
            f"oldest quarter (whole tail) {tail * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
