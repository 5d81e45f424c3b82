"""A budget file read in many chunks, staged on worker threads, loads every row once, in place.

Same file read with two-row chunks (four chunks, staged concurrently) as with one chunk:
the same core rows, row numbers and quarantine. Register facts: Groningen is GM0014,
Amsterdam GM0363; taakveld 9.9 is not in the Iv3 list.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest

from flows import steps
from ingest.reference import read_reference
from sources import base, budget
from transforms.quarter import Quarter

pytestmark = pytest.mark.integration

D = Decimal
Q = Quarter.parse("2021Q1")
LINES = [
    "GM0014;2021Q1;0.4;3.2;realisatie;1,00;0",
    "GM0014;2021Q1;0.4;3.8;realisatie;2,00;0",
    "GM0363;2021Q1;0.4;3.2;realisatie;3,00;0",
    "GM0363;2021Q1;9.9;3.2;realisatie;4,00;0",  # unknown taakveld: quarantined
    "GM0363;2021Q1;0.4;3.8;realisatie;5,00;0",
    "GM0014;2021Q1;0.4;3.2;begroting;6,00;0",
    "GM0014;2021Q1;0.4;3.8;begroting;7,00;0",
]
GOOD = [  # (municipality, taakveld, categorie, kind, lasten, source_row): line n is row n + 1
    ("GM0014", "0.4", "3.2", "begroting", D("6.00"), 7),
    ("GM0014", "0.4", "3.2", "realisatie", D("1.00"), 2),
    ("GM0014", "0.4", "3.8", "begroting", D("7.00"), 8),
    ("GM0014", "0.4", "3.8", "realisatie", D("2.00"), 3),
    ("GM0363", "0.4", "3.2", "realisatie", D("3.00"), 4),
    ("GM0363", "0.4", "3.8", "realisatie", D("5.00"), 6),
]


def _load(con: duckdb.DuckDBPyConnection, home: Path, text: str, chunk_rows: int) -> base.Batch:
    path = home / "landing" / "budget" / str(Q) / "iv3.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    ref = read_reference()
    work = home / "work"
    batch = budget.ingest(home / "landing", Q, f"r{chunk_rows}", ref, workdir=work, chunk_rows=chunk_rows)
    batch = steps.validate_batch(batch, ref, workdir=work)
    core = steps.transform_batch(batch)
    steps.account_rows(batch, core)
    steps.load_batch(con, batch, core)
    return batch


def _loaded(con: duckdb.DuckDBPyConnection) -> tuple[list[tuple], list[tuple], list[int]]:
    core = con.execute(
        "select municipality_code, taakveld, categorie, kind, lasten_eur, source_row from core.fct_budget order by all"
    ).fetchall()
    quarantined = con.execute(
        "select source_row, reasons from quarantine.rejected_rows where source = 'budget' order by all"
    ).fetchall()
    raw = [r for (r,) in con.execute("select source_row from raw.budget_lines order by all").fetchall()]
    return core, quarantined, raw


@pytest.mark.parametrize("chunk_rows", [2, 1_000])
def test_every_row_lands_once_with_its_own_row_number(
    warehouse: duckdb.DuckDBPyConnection, home: Path, chunk_rows: int
) -> None:
    header = "gemeentecode;periode;taakveld;categorie;soort;lasten;baten\n"
    batch = _load(warehouse, home, header + "\n".join(LINES) + "\n", chunk_rows)

    core, quarantined, raw = _loaded(warehouse)
    assert core == GOOD
    assert [row for row, _ in quarantined] == [5]
    assert raw == [2, 3, 4, 5, 6, 7, 8]
    assert [(f.rows_read, f.rows_loaded, f.rows_quarantined) for f in batch.files] == [(7, 6, 1)]


def test_a_long_row_after_several_chunks_rereads_the_file_without_doubling_rows(
    warehouse: duckdb.DuckDBPyConnection, home: Path
) -> None:
    header = "gemeentecode;periode;taakveld;categorie;soort;lasten;baten\n"
    lines = [*LINES[:6], LINES[6] + ";extra"]  # the last row is longer than the header
    batch = _load(warehouse, home, header + "\n".join(lines) + "\n", 2)

    core, quarantined, raw = _loaded(warehouse)
    assert core == [row for row in GOOD if row[5] != 8]
    assert [row for row, _ in quarantined] == [5, 8]
    assert raw == [2, 3, 4, 5, 6, 7, 8]
    assert [(f.rows_read, f.rows_loaded, f.rows_quarantined) for f in batch.files] == [(7, 5, 2)]


def test_raw_parts_keep_flat_text_columns_and_the_view_packs_them_into_the_struct(home: Path) -> None:
    header = "gemeentecode;periode;taakveld;categorie;soort;lasten;baten\n"
    path = home / "landing" / "budget" / str(Q) / "iv3.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + "\n".join(LINES) + "\n", encoding="utf-8")
    batch = budget.ingest(home / "landing", Q, "r", read_reference(), workdir=home / "work", chunk_rows=3)
    store = batch.rows
    try:
        parts = [p for p in store.parts("raw") if "-99999-" not in p.name]
        assert len(parts) == 3  # 7 rows in chunks of 3
        part = pl.read_parquet(parts[1])
        assert part.schema == pl.Schema(budget.RAW_PART_SCHEMA)
        # Line 4 of the file is row 5: its text as landed, NULL for the columns the file lacks.
        assert part.row(0) == (
            "2021Q1", "iv3.csv", 5, "r",
            "GM0363", "2021Q1", None, None, "9.9", "3.2", "realisatie", "4,00", "0", None,
            3,
        )  # fmt: skip
        with store.connect(read_only=True) as con:
            view = con.sql("select * from raw_rows order by row_id").pl()
        assert view.schema == pl.Schema(budget.RAW_SCHEMA)
        assert view.height == 7
        assert view.row(3) == (
            "2021Q1",
            "iv3.csv",
            5,
            "r",
            {
                "municipality": "GM0363",
                "period": "2021Q1",
                "year": None,
                "quarter": None,
                "taakveld": "9.9",
                "categorie": "3.2",
                "kind": "realisatie",
                "lasten": "4,00",
                "baten": "0",
                "unit": None,
            },
            3,
        )
    finally:
        store.discard()
