"""Helpers for mart tests: a warehouse with reference dims, and core rows put in directly."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

import duckdb
import polars as pl

from ingest.reference import Reference
from transforms.quarter import Quarter
from transforms.reference import quarter_dim
from warehouse import marts
from warehouse.db import SEEDS_DIR, connect, scalar
from warehouse.seeds import load_reference

DATA = Path(__file__).resolve().parents[1] / "data"

MARTS = tuple(m.name for m in marts.registry())

# (quarter, municipality_code, cost_category, amount or None when not a number)
SurveyRow = tuple[str, str, str, str | None]
# (quarter, municipality_code, taakveld, categorie, kind, lasten, baten)
BudgetRow = tuple[str, str, str, str, str, str, str]


def small_seeds(tmp: Path) -> Path:
    """The real seeds with the register replaced by tests/data/seeds_small's five municipalities."""
    target = tmp / "seeds"
    shutil.copytree(SEEDS_DIR, target)
    for path in (DATA / "seeds_small").glob("*.csv"):
        shutil.copy(path, target / path.name)
    return target


def warehouse(ref: Reference) -> duckdb.DuckDBPyConnection:
    con = connect(":memory:")
    load_reference(con, ref)
    return con


def load_quarter(
    con: duckdb.DuckDBPyConnection,
    quarter: str,
    survey: Iterable[SurveyRow] = (),
    budget: Iterable[BudgetRow] = (),
) -> None:
    """Replace one quarter's core rows, as the load step does, and refresh the quarter dim."""
    con.execute("delete from core.fct_survey_cost where quarter = ?", [quarter])
    con.execute("delete from core.fct_budget where quarter = ?", [quarter])
    con.execute(
        "insert into meta.partitions select 'survey', ?, 'test', now(), '', '' "
        "where not exists (select 1 from meta.partitions where quarter = ?)",
        [quarter, quarter],
    )
    survey, budget = list(survey), list(budget)
    assert all(r[0] == quarter for r in (*survey, *budget))
    costs = pl.DataFrame(
        [
            (q, code, category, amount, "ok" if amount is not None else "not_answered", f"{code}-{q}")
            for q, code, category, amount in survey
        ],
        schema=[
            "quarter",
            "municipality_code",
            "cost_category",
            "amount_eur",
            "answer_status",
            "response_id",
        ],
        orient="row",
    ).with_columns(pl.col("amount_eur").cast(pl.Decimal(18, 2)))
    lines = pl.DataFrame(
        [(*r, "test.csv", i + 1) for i, r in enumerate(budget)],
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
    ).with_columns(pl.col("lasten_eur", "baten_eur").cast(pl.Decimal(18, 2)))
    _insert(con, "core.fct_survey_cost", costs)
    _insert(con, "core.fct_budget", lines)
    quarters = [Quarter.parse(r[0]) for r in con.execute("select quarter from meta.partitions").fetchall()]
    con.execute("delete from core.dim_quarter")
    _insert(con, "core.dim_quarter", quarter_dim(quarters))


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    if frame.height:
        con.register("_rows", frame.to_arrow())
        con.execute(f"insert into {table} by name select * from _rows")
        con.unregister("_rows")


def load_all(con: duckdb.DuckDBPyConnection, survey: list[SurveyRow], budget: list[BudgetRow]) -> None:
    for quarter in sorted({r[0] for r in survey} | {r[0] for r in budget}):
        load_quarter(
            con, quarter, [r for r in survey if r[0] == quarter], [r for r in budget if r[0] == quarter]
        )


def rebuild(con: duckdb.DuckDBPyConnection, ref: Reference) -> None:
    """Refresh the marts over every quarter loaded."""
    first = scalar(con, "select min(quarter_index) from core.dim_quarter")
    last = scalar(con, "select max(quarter_index) from core.dim_quarter")
    marts.refresh_marts(con, (int(first), int(last)), ref)  # type: ignore[arg-type]


def rows(con: duckdb.DuckDBPyConnection, mart: str) -> list[tuple]:
    keys = marts.mart(mart).keys
    return con.execute(f"select * from marts.{mart} order by {keys}").fetchall()


def frame(con: duckdb.DuckDBPyConnection, mart: str) -> pl.DataFrame:
    return con.sql(f"select * from marts.{mart} order by {marts.mart(mart).keys}").pl()
