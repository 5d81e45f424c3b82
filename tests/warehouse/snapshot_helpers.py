"""A small warehouse for snapshot tests, built through the real load and mart code.

Three municipalities answer the survey and report Iv3 lines for 2020Q4 and 2021Q1.
`generation` changes the amounts and, when odd, adds Amsterdam's answers, so two
generations give snapshots with different contents and row counts.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import duckdb
import polars as pl

from ingest.reference import Reference, read_reference
from transforms import reference as reference_tf
from transforms.quarter import Quarter
from warehouse import marts
from warehouse.seeds import load_reference

QUARTERS = (Quarter.parse("2020Q4"), Quarter.parse("2021Q1"))
DIGITAL = ("hardware", "software_licences", "ict_support", "security", "other")


@cache
def _reference() -> Reference:
    return read_reference()


def municipalities(generation: int) -> list[str]:
    codes = ["GM0014", "GM0344", "GM0599"]
    return [*codes, "GM0363"] if generation % 2 else codes


def build_warehouse(con: duckdb.DuckDBPyConnection, *, generation: int = 0, run_id: str = "run-0") -> None:
    """Replace the warehouse's facts with this generation's and refresh every mart."""
    ref = _reference()
    load_reference(con, ref)
    for table in (
        "core.fct_survey_response",
        "core.fct_survey_cost",
        "core.fct_budget",
        "meta.partitions",
        "meta.ingested_files",
    ):
        con.execute(f"delete from {table}")
    responses, costs, budget, files, partitions = [], [], [], [], []
    for q in QUARTERS:
        for i, code in enumerate(municipalities(generation)):
            base = 1000 * (i + 1) * (generation + 1) + 100 * q.q
            responses.append((str(q), f"{code}-{q}", code, False, "survey.csv", i + 2, run_id))
            costs += [(str(q), code, c, base * (k + 1), f"{code}-{q}") for k, c in enumerate(DIGITAL)]
            costs.append((str(q), code, "office_savings", base // 2, f"{code}-{q}"))
            budget.append((str(q), code, "0.4", "3.2", "realisatie", base * 20, 0, "iv3.csv", i + 2))
        n = len(municipalities(generation))
        files += [
            (run_id, str(q), "survey", "survey.csv", n + 1, n, 1),
            (run_id, str(q), "budget", "iv3.csv", n, n, 0),
        ]
        partitions += [("survey", str(q), run_id), ("budget", str(q), run_id)]
    con.executemany(
        "insert into core.fct_survey_response (quarter, response_id, municipality_code, is_complete, "
        "is_superseded, source_file, source_row, run_id) values (?, ?, ?, true, ?, ?, ?, ?)",
        responses,
    )
    con.executemany(
        "insert into core.fct_survey_cost values (?, ?, ?, ?, 'answered', ?)",
        costs,
    )
    con.executemany("insert into core.fct_budget values (?, ?, ?, ?, ?, ?, ?, ?, ?)", budget)
    now = dt.datetime(2021, 5, 1)
    con.executemany(
        "insert into meta.ingested_files (run_id, quarter, source, file_name, status, rows_read, "
        "rows_loaded, rows_quarantined, ingested_at) values (?, ?, ?, ?, 'loaded', ?, ?, ?, ?)",
        [(*f, now) for f in files],
    )
    con.executemany(
        "insert into meta.partitions values (?, ?, ?, ?, 'hashes', 'test')",
        [(*p, now) for p in partitions],
    )
    con.execute("delete from core.dim_quarter")
    con.register("_quarters", reference_tf.quarter_dim(list(QUARTERS)).to_arrow())
    con.execute("insert into core.dim_quarter by name select * from _quarters")
    con.unregister("_quarters")
    marts.refresh_marts(con, (QUARTERS[0].index, QUARTERS[1].index), ref)


def table_rows(con: duckdb.DuckDBPyConnection, table: str) -> pl.DataFrame:
    return con.sql(f"select * from {table} order by all").pl()
