"""Budget records end to end through the pipeline's steps (no Prefect): every layout and unit,
unknown codes, restatements, a merged municipality and an edited mapping seed.

Expected values are worked out by hand from the files each test writes. Register facts
used: Groningen is GM0014; Appingedam (GM0003) and Delfzijl (GM0010) merged into
Eemsdelta (GM1979) on 2021-01-01. Mapping seed: (0.4, 3.2) and (0.4, 3.8) are `ict`,
(0.4, 3.6) and (0.3, *) `housing`, the rest of 0.4 `other_overhead`, everything else `other`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ingest.reference import read_reference
from tests.flows.budget_steps import budget_core_rows, refresh_budget
from warehouse.db import SEEDS_DIR
from warehouse.seeds import load_reference

pytestmark = pytest.mark.integration

D = Decimal
DATA = Path(__file__).resolve().parents[1] / "data" / "budget"
HEADER = "gemeentecode;periode;taakveld;categorie;soort;lasten;baten\n"


def _write(home: Path, quarter: str, name: str, text: str) -> Path:
    path = home / "landing" / "budget" / quarter / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _copy(home: Path, quarter: str, fixture: str) -> Path:
    path = home / "landing" / "budget" / quarter / fixture
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(DATA / fixture, path)
    return path


_refresh = refresh_budget
_core = budget_core_rows


def _files(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        "select f.quarter, file_name, status, rows_read, rows_loaded, rows_quarantined, rows_superseded "
        "from meta.ingested_files f join meta.partitions p using (run_id, source, quarter) order by all"
    ).fetchall()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_long_csv_in_euros_and_in_thousands_loads_exact_euros(
    warehouse: duckdb.DuckDBPyConnection, home: Path
) -> None:
    _write(
        home,
        "2021Q1",
        "a_euros.csv",
        "gemeentecode;periode;taakveld;categorie;soort;lasten;baten;eenheid\n"
        "GM0014;2021Q1;0.4;3.2;realisatie;100,5;0;EUR\n"
        "GM0014;2021-Q1;0.4;3.8;realisatie;0,01;0;x1000\n",
    )
    _write(
        home,
        "2021Q1",
        "b_thousands.csv",
        "Iv3 Eemsdelta\nBedragen x € 1.000\n" + HEADER + "GM1979;2021K1;L0.4;L3.8;R;1234567,891;\n",
    )
    batch = _refresh(warehouse, home, "2021Q1")
    assert _core(warehouse) == [
        ("2021Q1", "GM0014", "0.4", "3.2", "realisatie", D("100.50"), D("0.00"), "a_euros.csv", 2),
        ("2021Q1", "GM0014", "0.4", "3.8", "realisatie", D("10.00"), D("0.00"), "a_euros.csv", 3),
        # The title line sets the unit; the header is row 3, so the line is row 4.
        ("2021Q1", "GM1979", "0.4", "3.8", "realisatie", D("1234567891.00"), D("0.00"), "b_thousands.csv", 4),
    ]
    assert [(f.file_name, f.status, f.rows_read, f.rows_loaded) for f in batch.files] == [
        ("a_euros.csv", "loaded", 2, 2),
        ("b_thousands.csv", "loaded", 1, 1),
    ]
    raw = warehouse.execute(
        "select source_file, source_row, row_values from raw.budget_lines order by source_file, source_row"
    ).fetchall()
    # The file's text as landed; the columns it does not have (year, quarter, unit) are NULL.
    assert raw[2] == (
        "b_thousands.csv",
        4,
        {
            "municipality": "GM1979",
            "period": "2021K1",
            "year": None,
            "quarter": None,
            "taakveld": "L0.4",
            "categorie": "L3.8",
            "kind": "R",
            "lasten": "1234567,891",
            "baten": "",
            "unit": None,
        },
    )
    # Lineage: from a core line to the row as it landed, in one join.
    assert warehouse.execute(
        "select c.lasten_eur, r.row_values.lasten, r.row_values.unit "
        "from core.fct_budget as c "
        "inner join raw.budget_lines as r using (quarter, source_file, source_row) "
        "order by c.source_file, c.source_row"
    ).fetchall() == [
        (D("100.50"), "100,5", "EUR"),
        (D("10.00"), "0,01", "x1000"),
        (D("1234567891.00"), "1234567,891", None),
    ]


def test_year_and_quarter_columns_and_a_row_of_another_quarter(
    warehouse: duckdb.DuckDBPyConnection, home: Path
) -> None:
    _write(
        home,
        "2021Q1",
        "iv3.csv",
        "gemeente;jaar;kwartaal;taakveld;categorie;soort;lasten;baten\n"
        "GM0014;2021;1;0.4;3.2;begroting;10;0\n"
        "GM0014;2021;2;0.4;3.8;begroting;20;0\n",
    )
    _refresh(warehouse, home, "2021Q1")
    assert [r[5] for r in _core(warehouse)] == [D("10.00")]
    assert warehouse.execute(
        "select source_row, reasons, failed_values from quarantine.rejected_rows"
    ).fetchall() == [(3, ["period_matches_folder"], ["period_quarter=2021Q2"])]


def test_unknown_codes_are_quarantined_naming_the_code(
    warehouse: duckdb.DuckDBPyConnection, home: Path
) -> None:
    _write(
        home,
        "2021Q1",
        "iv3.csv",
        HEADER
        + "GM0014;2021Q1;0.4;3.2;realisatie;1;0\n"
        + "GM0014;2021Q1;9.99;3.2;realisatie;2;0\n"
        + "GM0014;2021Q1;0.4;9.9;realisatie;3;0\n"
        + "GM0014;2021Q1;0.4;3.8;realisatie;n.v.t.;0\n",
    )
    _refresh(warehouse, home, "2021Q1")
    assert warehouse.execute(
        "select source_file, source_row, reasons, failed_values from quarantine.rejected_rows order by source_row"
    ).fetchall() == [
        ("iv3.csv", 3, ["taakveld_known"], ["taakveld=9.99"]),
        ("iv3.csv", 4, ["categorie_known"], ["categorie=9.9"]),
        (
            "iv3.csv",
            5,
            ["amount_present:lasten_eur", "parse:lasten"],
            ["lasten_eur=(empty)", "lasten=n.v.t."],
        ),
    ]
    assert _files(warehouse) == [("2021Q1", "iv3.csv", "partial", 4, 1, 3, 0)]


def test_matrix_workbook_loads_in_euros_with_its_title_cells(
    warehouse: duckdb.DuckDBPyConnection, home: Path
) -> None:
    _copy(home, "2021Q1", "matrix_groningen.xlsx")
    _refresh(warehouse, home, "2021Q1")
    name = "matrix_groningen.xlsx"
    # Eenheid x € 1.000: 12.5 → 12,500; "0,01" → 10; 1.234 → 1,234; baten 0.5 → 500.
    assert _core(warehouse) == [
        ("2021Q1", "GM0014", "0.3", "3.8", "begroting", D("3000.00"), D("0.00"), name, 8),
        ("2021Q1", "GM0014", "0.4", "3.2", "begroting", D("12500.00"), D("0.00"), name, 7),
        ("2021Q1", "GM0014", "0.4", "3.2", "realisatie", D("1234.00"), D("0.00"), name, 4),
        ("2021Q1", "GM0014", "0.4", "3.8", "begroting", D("10.00"), D("0.00"), name, 7),
        ("2021Q1", "GM0014", "0.4", "3.8", "realisatie", D("2000.00"), D("0.00"), name, 4),
        ("2021Q1", "GM0014", "0.4", "4.3.1", "realisatie", D("0.00"), D("500.00"), name, 4),
    ]
    assert warehouse.execute(
        "select budget_category, kind, lasten_eur, baten_eur from marts.budget_trend_quarterly order by all"
    ).fetchall() == [
        ("housing", "begroting", D("3000.00"), D("0.00")),
        ("ict", "begroting", D("12510.00"), D("0.00")),
        ("ict", "realisatie", D("3234.00"), D("0.00")),
        ("other_overhead", "realisatie", D("0.00"), D("500.00")),
    ]


def test_matrix_workbook_named_by_municipality_and_quarter(
    warehouse: duckdb.DuckDBPyConnection, home: Path
) -> None:
    _copy(home, "2020Q4", "iv3_GM0003_2020K4.xlsx")
    _refresh(warehouse, home, "2020Q4")
    assert [(r[1], r[3], r[5]) for r in _core(warehouse)] == [
        ("GM0003", "3.2", D("1000.00")),
        ("GM0003", "3.8", D("2500.75")),
    ]


def test_long_workbook_and_parquet_load(warehouse: duckdb.DuckDBPyConnection, home: Path) -> None:
    _copy(home, "2021Q1", "long_2021Q1.parquet")
    _refresh(warehouse, home, "2021Q1")
    assert [(r[1], r[3], r[4], r[5], r[6], r[8]) for r in _core(warehouse)] == [
        ("GM0014", "3.2", "realisatie", D("1234.50"), D("0.00"), 2),
        ("GM0014", "3.8", "realisatie", D("0.10"), D("10.25"), 3),
        ("GM1979", "3.8", "begroting", D("0.00"), D("0.00"), 4),
    ]
    # The workbook sorts after the Parquet file and restates GM0014's lines of both kinds.
    _copy(home, "2021Q1", "long_2021Q1.xlsx")
    _refresh(warehouse, home, "2021Q1", run="r2")
    assert [(r[1], r[3], r[4], r[5], r[7], r[8]) for r in _core(warehouse)] == [
        ("GM0014", "3.2", "realisatie", D("1234.50"), "long_2021Q1.xlsx", 3),
        ("GM0014", "3.8", "begroting", D("1234.56"), "long_2021Q1.xlsx", 4),
        ("GM0014", "3.8", "realisatie", D("1.23"), "long_2021Q1.xlsx", 6),
        ("GM1979", "3.8", "begroting", D("0.00"), "long_2021Q1.parquet", 4),
    ]
    assert _files(warehouse) == [
        ("2021Q1", "long_2021Q1.parquet", "loaded", 3, 1, 0, 2),
        ("2021Q1", "long_2021Q1.xlsx", "loaded", 3, 3, 0, 0),
    ]


def test_a_newer_file_restates_only_the_municipality_and_kind_it_reports(
    warehouse: duckdb.DuckDBPyConnection, home: Path
) -> None:
    first = _write(
        home,
        "2021Q1",
        "iv3_2021Q1.csv",
        HEADER
        + "GM0014;2021Q1;0.4;3.2;begroting;100;0\n"
        + "GM0014;2021Q1;0.4;3.8;begroting;200;0\n"
        + "GM0014;2021Q1;0.4;3.2;realisatie;110;0\n"
        + "GM0014;2021Q1;0.4;3.8;realisatie;210;0\n"
        + "GM1979;2021Q1;0.4;3.8;realisatie;50;0\n",
    )
    _refresh(warehouse, home, "2021Q1")
    second = _write(home, "2021Q1", "iv3_2021Q1_v2.csv", HEADER + "GM0014;2021Q1;0.4;3.2;realisatie;150;0\n")
    batch = _refresh(warehouse, home, "2021Q1", run="r2")

    assert [(r[1], r[3], r[4], r[5], r[7]) for r in _core(warehouse)] == [
        ("GM0014", "3.2", "begroting", D("100.00"), "iv3_2021Q1.csv"),
        # GM0014 realisatie comes from the newer file only: its 3.8 line of 210 is gone.
        ("GM0014", "3.2", "realisatie", D("150.00"), "iv3_2021Q1_v2.csv"),
        ("GM0014", "3.8", "begroting", D("200.00"), "iv3_2021Q1.csv"),
        ("GM1979", "3.8", "realisatie", D("50.00"), "iv3_2021Q1.csv"),
    ]
    assert [
        (f.file_name, f.rows_read, f.rows_loaded, f.rows_quarantined, f.rows_superseded) for f in batch.files
    ] == [
        ("iv3_2021Q1.csv", 5, 3, 0, 2),
        ("iv3_2021Q1_v2.csv", 1, 1, 0, 0),
    ]
    # Raw keeps every landed row, the superseded ones too.
    assert warehouse.execute("select count(*) from raw.budget_lines").fetchall() == [(6,)]
    sha1, sha2 = _sha(first), _sha(second)
    versions = (
        "select municipality_code, kind, file_name, sha256, lines, is_current, superseded_by, "
        "replaced_file, replaced_sha256 from meta.budget_file_versions order by municipality_code, kind, file_name"
    )
    assert warehouse.execute(versions).fetchall() == [
        ("GM0014", "begroting", "iv3_2021Q1.csv", sha1, 2, True, None, None, None),
        ("GM0014", "realisatie", "iv3_2021Q1.csv", sha1, 2, False, "iv3_2021Q1_v2.csv", None, None),
        ("GM0014", "realisatie", "iv3_2021Q1_v2.csv", sha2, 1, True, None, "iv3_2021Q1.csv", sha1),
        ("GM1979", "realisatie", "iv3_2021Q1.csv", sha1, 1, True, None, None, None),
    ]
    assert warehouse.execute(
        "select budget_category, kind, lasten_eur from marts.budget_trend_quarterly "
        "where municipality_code = 'GM0014' order by all"
    ).fetchall() == [("ict", "begroting", D("300.00")), ("ict", "realisatie", D("150.00"))]

    # The newer file corrected in place: the version it replaces is its own earlier contents.
    third = _write(home, "2021Q1", "iv3_2021Q1_v2.csv", HEADER + "GM0014;2021Q1;0.4;3.2;realisatie;160;0\n")
    _refresh(warehouse, home, "2021Q1", run="r3")
    current = warehouse.execute(
        "select file_name, sha256, replaced_file, replaced_sha256 from meta.budget_file_versions "
        "where municipality_code = 'GM0014' and kind = 'realisatie' and is_current"
    ).fetchall()
    assert current == [("iv3_2021Q1_v2.csv", _sha(third), "iv3_2021Q1_v2.csv", sha2)]
    # Rerun unchanged: the same version stays current and keeps what it replaced.
    _refresh(warehouse, home, "2021Q1", run="r4")
    assert (
        warehouse.execute(
            "select file_name, sha256, replaced_file, replaced_sha256 from meta.budget_file_versions "
            "where municipality_code = 'GM0014' and kind = 'realisatie' and is_current"
        ).fetchall()
        == current
    )


def test_a_merged_municipality_keeps_its_code_in_core_and_moves_to_its_successor_in_marts(
    warehouse: duckdb.DuckDBPyConnection, home: Path
) -> None:
    _write(
        home,
        "2020Q4",
        "iv3.csv",
        HEADER + "GM0003;2020Q4;0.4;3.8;realisatie;2000;0\nGM0010;2020Q4;0.4;3.8;realisatie;3000;0\n",
    )
    _write(home, "2021Q1", "iv3.csv", HEADER + "Eemsdelta;2021Q1;0.4;3.8;realisatie;9500;0\n")
    _refresh(warehouse, home, "2020Q4")
    _refresh(warehouse, home, "2021Q1")
    assert [(r[0], r[1]) for r in _core(warehouse)] == [
        ("2020Q4", "GM0003"),
        ("2020Q4", "GM0010"),
        ("2021Q1", "GM1979"),
    ]
    assert warehouse.execute("select * from marts.budget_trend_quarterly order by all").fetchall() == [
        # Euros are DOUBLE in the marts; quarter_start is the quarter's first day.
        ("GM1979", "2020Q4", "ict", "realisatie", 5000.0, 0.0, None, None, dt.date(2020, 10, 1)),
        ("GM1979", "2021Q1", "ict", "realisatie", 9500.0, 0.0, 90.0, None, dt.date(2021, 1, 1)),
    ]


def test_budget_trend_follows_the_bi_contract(warehouse: duckdb.DuckDBPyConnection, home: Path) -> None:
    _write(home, "2021Q1", "iv3.csv", HEADER + "GM0014;2021Q1;0.4;3.2;realisatie;1;0\n")
    _refresh(warehouse, home, "2021Q1")
    columns = warehouse.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'marts' and table_name = 'budget_trend_quarterly' order by ordinal_position"
    ).fetchall()
    assert columns == [
        ("municipality_code", "VARCHAR"),
        ("quarter", "VARCHAR"),
        ("budget_category", "VARCHAR"),
        ("kind", "VARCHAR"),
        ("lasten_eur", "DOUBLE"),
        ("baten_eur", "DOUBLE"),
        ("qoq_change_pct", "DOUBLE"),
        ("yoy_change_pct", "DOUBLE"),
        ("quarter_start", "DATE"),
    ]


def test_an_edited_mapping_seed_rebuilds_every_quarter_on_the_next_run(
    warehouse: duckdb.DuckDBPyConnection, home: Path, tmp_path: Path
) -> None:
    for quarter, amount in (("2020Q4", "100"), ("2021Q1", "120")):
        _write(home, quarter, "iv3.csv", HEADER + f"GM0014;{quarter};0.4;3.8;realisatie;{amount};0\n")
        _refresh(warehouse, home, quarter)
    categories = "select quarter, budget_category, lasten_eur from marts.budget_trend_quarterly order by all"
    assert warehouse.execute(categories).fetchall() == [
        ("2020Q4", "ict", D("100.00")),
        ("2021Q1", "ict", D("120.00")),
    ]
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, seeds)
    mapping = seeds / "iv3_budget_categories.csv"
    mapping.write_text(mapping.read_text().replace("0.4,3.8,ict", "0.4,3.8,other_overhead"))
    ref = read_reference(seeds)
    load_reference(warehouse, ref)
    _refresh(warehouse, home, "2021Q1", ref=ref, run="r2")
    # Only 2021Q1 ran, yet 2020Q4 follows the new mapping too.
    assert warehouse.execute(categories).fetchall() == [
        ("2020Q4", "other_overhead", D("100.00")),
        ("2021Q1", "other_overhead", D("120.00")),
    ]


def test_a_file_missing_a_required_column_is_rejected_whole(
    warehouse: duckdb.DuckDBPyConnection, home: Path
) -> None:
    _write(
        home, "2021Q1", "a.csv", "gemeentecode;taakveld;categorie;soort;lasten;baten\nGM0014;0.4;3.2;r;1;0\n"
    )
    _write(home, "2021Q1", "b.csv", HEADER + "GM0014;2021Q1;0.4;3.2;realisatie;7;0\n")
    batch = _refresh(warehouse, home, "2021Q1")
    assert [(f.file_name, f.status, f.rows_read) for f in batch.files] == [
        ("a.csv", "rejected", 0),
        ("b.csv", "loaded", 1),
    ]
    assert batch.files[0].message.startswith("a.csv: missing required column(s): period (or year + quarter)")
    assert [(r[5], r[7]) for r in _core(warehouse)] == [(D("7.00"), "b.csv")]
    # The scratch store is gone once the batch is loaded.
    assert list((home / "work").glob("budget-*")) == []


def test_quarantined_rows_keep_their_file_s_columns_as_json_text(
    warehouse: duckdb.DuckDBPyConnection, home: Path
) -> None:
    # Year and quarter columns, no period and no unit: only the file's own columns are keys.
    # Quotes and a backslash, an accent, empty cells, each row failing a check.
    _write(
        home,
        "2021Q1",
        "a_subset.csv",
        "gemeente;jaar;kwartaal;taakveld;categorie;soort;lasten;baten\n"
        'GM0014;2021;1;9.99;3.2;begroting;"1.234,56";\n'
        '"Gemeente ""Noord"" \\ Zuid";2021;1;0.4;3.2;begroting;10;0\n'
        "Súdwest-Fryslân;2021;1;0.4;9.9;realisatie;;5\n",
    )
    # Period and unit, no year or quarter (other municipalities: no file restates another).
    _write(
        home,
        "2021Q1",
        "b_unit.csv",
        "gemeentecode;periode;taakveld;categorie;soort;lasten;baten;eenheid\n"
        "GM0363;2021Q1;0.4;3.2;realisatie;abc;0;x1000\n",
    )
    # A Parquet file whose empty cells are nulls (not empty text): null values, keys kept.
    pl.DataFrame(
        {
            "gemeentecode": ["GM0344"],
            "periode": ["2021Q1"],
            "taakveld": ["0.4"],
            "categorie": ["9.9"],
            "soort": ["begroting"],
            "lasten": ["1"],
            "baten": [None],
        },
        schema_overrides={"baten": pl.Utf8},
    ).write_parquet(home / "landing" / "budget" / "2021Q1" / "c_nulls.parquet")
    _refresh(warehouse, home, "2021Q1")
    assert warehouse.execute(
        "select source_file, source_row, row_values from quarantine.rejected_rows order by all"
    ).fetchall() == [
        (
            "a_subset.csv",
            2,
            '{"municipality":"GM0014","year":"2021","quarter":"1","taakveld":"9.99","categorie":"3.2",'
            '"kind":"begroting","lasten":"1.234,56","baten":""}',
        ),
        (
            "a_subset.csv",
            3,
            '{"municipality":"Gemeente \\"Noord\\" \\\\ Zuid","year":"2021","quarter":"1","taakveld":"0.4",'
            '"categorie":"3.2","kind":"begroting","lasten":"10","baten":"0"}',
        ),
        (
            "a_subset.csv",
            4,
            '{"municipality":"Súdwest-Fryslân","year":"2021","quarter":"1","taakveld":"0.4",'
            '"categorie":"9.9","kind":"realisatie","lasten":"","baten":"5"}',
        ),
        (
            "b_unit.csv",
            2,
            '{"municipality":"GM0363","period":"2021Q1","taakveld":"0.4","categorie":"3.2",'
            '"kind":"realisatie","lasten":"abc","baten":"0","unit":"x1000"}',
        ),
        (
            "c_nulls.parquet",
            2,
            '{"municipality":"GM0344","period":"2021Q1","taakveld":"0.4","categorie":"9.9",'
            '"kind":"begroting","lasten":"1","baten":null}',
        ),
    ]
