"""Iv3 JSON deliveries end to end: periods, year-to-date realisaties, CBS's code lists per boekjaar.

Expected values are worked out by hand from the deliveries each test writes. Amounts in
a delivery are thousands of euros. Facts of CBS's definition files used here: in 2021
lasten categorie 2.1 and baten 3.4.2 exist, 0.1×2.1 is grey on lasten and 0.4×3.2 on
baten; in 2025 taakveld 6.711 exists and 6.71a (2023–2024) does not, 4.4.3 is gone,
4.5.1 is new, 6.60×4.3.1 is grey on lasten; 3.4.2 is a baten categorie only; PF009 bars
realisatie on 4.3.9. Mapping seed: (0.4, 3.2) and (0.4, 3.8) are `ict`, the rest of 0.4
`other_overhead`, everything else `other`.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ingest import budget_readers
from ingest.reference import read_reference
from sources import base
from tests.flows.budget_steps import budget_core_rows, refresh_budget
from tests.flows.test_personal_data import captured_logs, file_leaks, leaks  # noqa: F401
from transforms.quarter import Quarter

pytestmark = pytest.mark.integration

D = Decimal
Line = tuple[str, str, Any]


def delivery(
    nummer: str,
    boekjaar: int,
    periode: int,
    lasten: list[Line],
    baten: list[Line] = (),  # type: ignore[assignment]
    **changes: Any,
) -> dict[str, Any]:
    """A delivery as a financial package exports it, with contact data and a remark."""
    document: dict[str, Any] = {
        "metadata": {
            "overheidslaag": "Gemeente",
            "overheidsnummer": nummer,
            "overheidsnaam": "Gemeente",
            "boekjaar": boekjaar,
            "periode": periode,
            "status": "Begroting" if periode == 0 else "Realisatie",
            "datum": "2021-04-20T10:00:00+02:00",
            "details_openbaar": False,
            "financieel_pakket": "Pakket",
            "export_software": "Export 1.0",
        },
        "contact": {
            "naam": "PII-CANARY Afzender",
            "email": "pii-canary@gemeente.nl",
            "telefoon": "06-99990001",
        },
        "opmerkingen": [{"tekst": "pii-canary toelichting", "auteur": "PII-CANARY Auteur"}],
        "data": {
            "lasten": [{"taakveld": t, "categorie": c, "bedrag": b} for t, c, b in lasten],
            "baten": [{"taakveld": t, "categorie": c, "bedrag": b} for t, c, b in baten],
            "balans_lasten": [{"balanscode": "A221a", "categorie": "7.5", "bedrag": 99}],
            "balans_baten": [],
            "balans_standen": [{"balanscode": "A221a", "standper": "ultimo", "bedrag": 98}],
            "kengetallen": [{"verslagperiode": "Rek_2020", "kengetal": "netto_schuldquote", "waarde": "97"}],
        },
    }
    for key, value in changes.items():
        section, _, name = key.partition("__")
        document[section][name] = value
    return document


def land(home: Path, quarter: str, name: str, document: Any) -> Path:
    path = home / "landing" / "budget" / quarter / name
    path.parent.mkdir(parents=True, exist_ok=True)
    text = document if isinstance(document, str) else json.dumps(document, indent=1)
    path.write_text(text, encoding="utf-8")
    return path


refresh = refresh_budget
core_rows = budget_core_rows


def mart_rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """The contract's columns; euros (DOUBLE to the cent in the marts) back as exact decimals."""
    return con.execute(
        "select municipality_code, quarter, budget_category, kind,"
        " cast(lasten_eur as decimal(18, 2)), cast(baten_eur as decimal(18, 2)),"
        " qoq_change_pct, yoy_change_pct"
        " from marts.budget_trend_quarterly order by all"
    ).fetchall()


def files(batch: base.Batch) -> list[tuple]:
    return [(f.file_name, f.status, f.rows_read, f.rows_loaded, f.rows_quarantined) for f in batch.files]


def test_begroting_and_quarterly_realisaties_of_2021_store_what_each_quarter_added(
    warehouse: duckdb.DuckDBPyConnection, home: Path
) -> None:
    land(home, "2021Q1", "iv3_0014_2021_P0.json", delivery("0014", 2021, 0, [("0.4", "3.2", 400)]))
    land(
        home,
        "2021Q1",
        "iv3_0014_2021_P1.json",
        delivery("0014", 2021, 1, [("0.4", "3.2", 100), ("0.1", "1.1", 12.5)], [("6.3", "3.4.2", 3)]),
    )
    # Year to date at 30 June: 0.4×3.2 stands at 250, 0.1×1.1 at nothing (moved away), 3.4.2 still at 3.
    land(
        home,
        "2021Q2",
        "iv3_0014_2021_P2.json",
        delivery("0014", 2021, 2, [("0.4", "3.2", 250)], [("6.3", "3.4.2", 3)]),
    )
    q1 = refresh(warehouse, home, "2021Q1")
    q2 = refresh(warehouse, home, "2021Q2")

    assert files(q1) == [
        ("iv3_0014_2021_P0.json", "loaded", 1, 1, 0),
        ("iv3_0014_2021_P1.json", "loaded", 3, 3, 0),
    ]
    # Periode 2 has 2 lines; 0.1×1.1 of periode 1 comes back as a third, taking 12.5 off.
    assert files(q2) == [("iv3_0014_2021_P2.json", "loaded", 3, 3, 0)]
    assert core_rows(warehouse) == [
        (
            "2021Q1",
            "GM0014",
            "0.1",
            "1.1",
            "realisatie",
            D("12500.00"),
            D("0.00"),
            "iv3_0014_2021_P1.json",
            2,
        ),
        (
            "2021Q1",
            "GM0014",
            "0.4",
            "3.2",
            "begroting",
            D("400000.00"),
            D("0.00"),
            "iv3_0014_2021_P0.json",
            1,
        ),
        (
            "2021Q1",
            "GM0014",
            "0.4",
            "3.2",
            "realisatie",
            D("100000.00"),
            D("0.00"),
            "iv3_0014_2021_P1.json",
            1,
        ),
        (
            "2021Q1",
            "GM0014",
            "6.3",
            "3.4.2",
            "realisatie",
            D("0.00"),
            D("3000.00"),
            "iv3_0014_2021_P1.json",
            3,
        ),
        (
            "2021Q2",
            "GM0014",
            "0.1",
            "1.1",
            "realisatie",
            D("-12500.00"),
            D("0.00"),
            "iv3_0014_2021_P2.json",
            3,
        ),
        (
            "2021Q2",
            "GM0014",
            "0.4",
            "3.2",
            "realisatie",
            D("150000.00"),
            D("0.00"),
            "iv3_0014_2021_P2.json",
            1,
        ),
        ("2021Q2", "GM0014", "6.3", "3.4.2", "realisatie", D("0.00"), D("0.00"), "iv3_0014_2021_P2.json", 2),
    ]
    assert mart_rows(warehouse) == [
        ("GM0014", "2021Q1", "ict", "begroting", D("400000.00"), D("0.00"), None, None),
        ("GM0014", "2021Q1", "ict", "realisatie", D("100000.00"), D("0.00"), None, None),
        ("GM0014", "2021Q1", "other", "realisatie", D("12500.00"), D("3000.00"), None, None),
        # 150,000 against 100,000: +50 %; -12,500 against 12,500: -200 %.
        ("GM0014", "2021Q2", "ict", "realisatie", D("150000.00"), D("0.00"), 50.0, None),
        ("GM0014", "2021Q2", "other", "realisatie", D("-12500.00"), D("0.00"), -200.0, None),
    ]
    # Balance lines and kengetallen are not lasten or baten: nothing of them is stored.
    assert warehouse.execute("select count(*) from raw.budget_lines").fetchall() == [(7,)]


def test_the_jaarrekening_restates_periode_4_and_adds_to_periode_3(
    warehouse: duckdb.DuckDBPyConnection, home: Path
) -> None:
    land(home, "2021Q3", "iv3_0014_2021_P3.json", delivery("0014", 2021, 3, [("0.4", "3.8", 300)]))
    land(home, "2021Q4", "iv3_0014_2021_P4.json", delivery("0014", 2021, 4, [("0.4", "3.8", 390)]))
    land(home, "2021Q4", "iv3_0014_2021_P5.json", delivery("0014", 2021, 5, [("0.4", "3.8", 410.5)]))
    # Periode 3 adds to a periode 2 that is missing: that delivery cannot be placed.
    q3 = refresh(warehouse, home, "2021Q3")
    assert q3.files[0].status == "rejected"
    assert q3.files[0].message == (
        "iv3_0014_2021_P3.json: periode 3 figures are year-to-date (CBS); what 2021Q3 added is this "
        "delivery minus the periode 2 delivery of 0014 for 2021, which landing/budget/2021Q2/ does not hold"
    )
    land(home, "2021Q2", "iv3_0014_2021_P2.json", delivery("0014", 2021, 2, [("0.4", "3.8", 120)]))
    q4 = refresh(warehouse, home, "2021Q4")
    # The jaarrekening (P5, later by name) counts for Q4: 410.5 - 300 = 110.5; P4 is superseded.
    assert [(f.file_name, f.status, f.rows_loaded, f.rows_superseded) for f in q4.files] == [
        ("iv3_0014_2021_P4.json", "loaded", 0, 1),
        ("iv3_0014_2021_P5.json", "loaded", 1, 0),
    ]
    assert core_rows(warehouse) == [
        (
            "2021Q4",
            "GM0014",
            "0.4",
            "3.8",
            "realisatie",
            D("110500.00"),
            D("0.00"),
            "iv3_0014_2021_P5.json",
            1,
        ),
    ]


def test_a_delivery_adds_to_the_latest_valid_previous_delivery_read_alone(
    warehouse: duckdb.DuckDBPyConnection, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Periode 1 folder: 0014's delivery and its correction (which counts), 0034's delivery,
    # a correction of 0034 whose amount breaks CBS's schema (rejected in its own quarter, so
    # it cannot be what periode 2 adds to), and 0037's delivery.
    land(home, "2021Q1", "iv3_0014_2021_P1.json", delivery("0014", 2021, 1, [("0.4", "3.2", 100)]))
    land(home, "2021Q1", "iv3_0014_2021_P1 correctie.json", delivery("0014", 2021, 1, [("0.4", "3.2", 110)]))
    land(home, "2021Q1", "iv3_0034_2021_P1.json", delivery("0034", 2021, 1, [("0.4", "3.2", 200)]))
    land(home, "2021Q1", "iv3_0034_2021_P1-v2.json", delivery("0034", 2021, 1, [("0.4", "3.2", "veel")]))
    land(home, "2021Q1", "iv3_0037_2021_P1.json", delivery("0037", 2021, 1, [("0.4", "3.2", 300)]))
    land(home, "2021Q2", "iv3_0014_2021_P2.json", delivery("0014", 2021, 2, [("0.4", "3.2", 250)]))
    land(home, "2021Q2", "iv3_0034_2021_P2.json", delivery("0034", 2021, 2, [("0.4", "3.2", 260)]))
    land(home, "2021Q2", "iv3_0037_2021_P2.json", delivery("0037", 2021, 2, [("0.4", "3.2", 330)]))
    reads: list[str] = []
    real = budget_readers.read_iv3_document

    def counted(path: Path) -> dict[str, Any]:
        reads.append(f"{path.parent.name}/{path.name}")
        return real(path)

    monkeypatch.setattr(budget_readers, "read_iv3_document", counted)
    q2 = refresh(warehouse, home, "2021Q2")

    assert [(f.file_name, f.status, f.rows_loaded) for f in q2.files] == [
        ("iv3_0014_2021_P2.json", "loaded", 1),
        ("iv3_0034_2021_P2.json", "loaded", 1),
        ("iv3_0037_2021_P2.json", "loaded", 1),
    ]
    # Thousands of euros: 250 - 110 (the correction), 260 - 200, 330 - 300.
    assert [(r[1], r[5], r[7]) for r in core_rows(warehouse)] == [
        ("GM0014", D("140000.00"), "iv3_0014_2021_P2.json"),
        ("GM0034", D("60000.00"), "iv3_0034_2021_P2.json"),
        ("GM0037", D("30000.00"), "iv3_0037_2021_P2.json"),
    ]
    # Read in full: each delivery of the quarter, and of the previous periode's folder only
    # the latest delivery of each municipality by correction order, and before 0034's
    # valid one its broken correction. Not the whole folder once per delivery.
    assert sorted(reads) == sorted(
        [
            "2021Q2/iv3_0014_2021_P2.json",
            "2021Q2/iv3_0034_2021_P2.json",
            "2021Q2/iv3_0037_2021_P2.json",
            "2021Q1/iv3_0014_2021_P1 correctie.json",
            "2021Q1/iv3_0034_2021_P1-v2.json",
            "2021Q1/iv3_0034_2021_P1.json",
            "2021Q1/iv3_0037_2021_P1.json",
        ]
    )


def test_a_2025_delivery_is_judged_by_the_2025_lists(
    warehouse: duckdb.DuckDBPyConnection, home: Path
) -> None:
    land(
        home,
        "2025Q1",
        "iv3_0363_2025_P1.json",
        delivery(
            "0363",
            2025,
            1,
            [
                ("6.711", "3.8", 1000),  # 1: new taakveld of 2025
                ("0.4", "4.5.1", 20),  # 2: new categorie of 2025
                ("6.71a", "3.8", 5),  # 3: a 2023-2024 taakveld
                ("0.4", "4.4.3", 6),  # 4: a categorie last valid in 2024
                ("6.60", "4.3.1", 7),  # 5: grey on lasten in 2025
                ("0.4", "3.4.2", 8),  # 6: a baten categorie on lasten
                ("0.4", "4.3.9", 9),  # 7: onverdeeld in a realisatie (PF009)
                ("0.4", "3.8", 0),  # 8: 0 on an ordinary cell
            ],
            [("0.3", "3.5.2", 2.25)],  # 9: baten categorie new in 2025
        ),
    )
    batch = refresh(warehouse, home, "2025Q1")
    assert files(batch) == [("iv3_0363_2025_P1.json", "partial", 9, 4, 5)]
    assert core_rows(warehouse) == [
        (
            "2025Q1",
            "GM0363",
            "0.3",
            "3.5.2",
            "realisatie",
            D("0.00"),
            D("2250.00"),
            "iv3_0363_2025_P1.json",
            9,
        ),
        ("2025Q1", "GM0363", "0.4", "3.8", "realisatie", D("0.00"), D("0.00"), "iv3_0363_2025_P1.json", 8),
        (
            "2025Q1",
            "GM0363",
            "0.4",
            "4.5.1",
            "realisatie",
            D("20000.00"),
            D("0.00"),
            "iv3_0363_2025_P1.json",
            2,
        ),
        (
            "2025Q1",
            "GM0363",
            "6.711",
            "3.8",
            "realisatie",
            D("1000000.00"),
            D("0.00"),
            "iv3_0363_2025_P1.json",
            1,
        ),
    ]
    assert warehouse.execute(
        "select source_row, reasons, failed_values from quarantine.rejected_rows order by source_row"
    ).fetchall() == [
        (3, ["taakveld_not_in_boekjaar"], ["taakveld=6.71a"]),
        (4, ["categorie_not_in_boekjaar"], ["categorie=4.4.3"]),
        (5, ["grey_cell:lasten"], ["lasten_cell=6.60×4.3.1"]),
        (6, ["categorie_wrong_side:lasten"], ["lasten_categorie=3.4.2"]),
        (7, ["PF009"], ["realisatie_categorie=4.3.9"]),
    ]
    assert mart_rows(warehouse) == [
        ("GM0363", "2025Q1", "housing", "realisatie", D("0.00"), D("2250.00"), None, None),
        ("GM0363", "2025Q1", "ict", "realisatie", D("0.00"), D("0.00"), None, None),
        ("GM0363", "2025Q1", "other", "realisatie", D("1000000.00"), D("0.00"), None, None),
        ("GM0363", "2025Q1", "other_overhead", "realisatie", D("20000.00"), D("0.00"), None, None),
    ]


def test_a_2021_long_csv_is_judged_by_the_same_rules(
    warehouse: duckdb.DuckDBPyConnection, home: Path
) -> None:
    path = home / "landing" / "budget" / "2021Q1" / "iv3.csv"
    path.parent.mkdir(parents=True)
    path.write_text(
        "gemeentecode;periode;taakveld;categorie;soort;lasten;baten\n"
        "GM0014;2021Q1;0.4;2.1;realisatie;10;\n"  # lasten 2.1: official in 2021
        "GM0014;2021Q1;6.3;3.4.2;realisatie;;4\n"  # baten 3.4.2: official in 2021
        "GM0014;2021Q1;0.1;2.1;realisatie;5;\n"  # grey lasten cell of 2021
        "GM0014;2021Q1;6.711;3.8;realisatie;5;\n"  # a 2025 taakveld
        "GM0014;2021Q1;0.4;3.2;realisatie;;6\n",  # grey baten cell of 2021
        encoding="utf-8",
    )
    refresh(warehouse, home, "2021Q1")
    assert [(r[2], r[3], r[5], r[6]) for r in core_rows(warehouse)] == [
        ("0.4", "2.1", D("10.00"), D("0.00")),
        ("6.3", "3.4.2", D("0.00"), D("4.00")),
    ]
    assert warehouse.execute(
        "select source_row, reasons, failed_values from quarantine.rejected_rows order by source_row"
    ).fetchall() == [
        (4, ["grey_cell:lasten"], ["lasten_cell=0.1×2.1"]),
        (5, ["taakveld_not_in_boekjaar"], ["taakveld=6.711"]),
        (6, ["grey_cell:baten"], ["baten_cell=0.4×3.2"]),
    ]


def _twin_lines() -> tuple[list[Line], list[Line]]:
    lasten = [("0.4", "3.2", 100), ("0.4", "3.8", 0.125), ("0.4", "7.3", 40), ("0.1", "1.1", 12.5)]
    baten = [("0.4", "3.8", 2), ("6.3", "3.4.2", 3)]
    return lasten, baten


def test_a_json_delivery_and_its_long_csv_twin_give_byte_identical_marts(tmp_path: Path) -> None:
    from warehouse.db import connect
    from warehouse.seeds import load_reference

    lasten, baten = _twin_lines()
    marts = []
    for layout in ("json", "csv"):
        home = tmp_path / layout
        if layout == "json":
            land(home, "2021Q1", "iv3_0014_2021_P1.json", delivery("0014", 2021, 1, lasten, baten))
            # Year to date in Q2: 0.4×3.2 at 160, 0.4×3.8 baten at 5, the rest unchanged.
            cumulative = [("0.4", "3.2", 160), *lasten[1:]]
            land(
                home,
                "2021Q2",
                "iv3_0014_2021_P2.json",
                delivery("0014", 2021, 2, cumulative, [("0.4", "3.8", 5), baten[1]]),
            )
        else:
            # The twin says what each quarter added, in a long CSV in thousands (one line per
            # taakveld × categorie, lasten and baten side by side).
            header = "gemeentecode;periode;taakveld;categorie;soort;lasten;baten;eenheid\n"
            land(
                home,
                "2021Q1",
                "iv3_2021Q1.csv",
                header + "GM0014;2021Q1;0.4;3.2;R;100;;x1000\n"
                "GM0014;2021Q1;0.4;3.8;R;0,125;2;x1000\n"
                "GM0014;2021Q1;0.4;7.3;R;40;;x1000\n"
                "GM0014;2021Q1;0.1;1.1;R;12,5;;x1000\n"
                "GM0014;2021Q1;6.3;3.4.2;R;;3;x1000\n",
            )
            land(
                home,
                "2021Q2",
                "iv3_2021Q2.csv",
                header + "GM0014;2021Q2;0.4;3.2;R;60;;x1000\n"
                "GM0014;2021Q2;0.4;3.8;R;0;3;x1000\n"
                "GM0014;2021Q2;0.4;7.3;R;0;;x1000\n"
                "GM0014;2021Q2;0.1;1.1;R;0;;x1000\n"
                "GM0014;2021Q2;6.3;3.4.2;R;;0;x1000\n",
            )
        con = connect(home / "warehouse" / "costtrends.duckdb")
        load_reference(con, read_reference())
        refresh(con, home, "2021Q1")
        refresh(con, home, "2021Q2")
        rows = mart_rows(con)
        text = con.sql("select * from marts.budget_trend_quarterly order by all").fetchdf().to_csv()
        con.close()
        marts.append((rows, text))
    assert marts[0] == marts[1]
    assert marts[0][0] == [
        # ict: 3.2 and 3.8 and 7.3 of 0.4 = 100 + 0.125 + 40 thousand, baten 2 thousand; Q2 adds 60 and 3.
        ("GM0014", "2021Q1", "ict", "realisatie", D("140125.00"), D("2000.00"), None, None),
        ("GM0014", "2021Q1", "other", "realisatie", D("12500.00"), D("3000.00"), None, None),
        ("GM0014", "2021Q2", "ict", "realisatie", D("60000.00"), D("3000.00"), -57.1811, None),
        ("GM0014", "2021Q2", "other", "realisatie", D("0.00"), D("0.00"), -100.0, None),
    ]


def test_structure_faults_reject_the_delivery_with_cbs_codes(
    warehouse: duckdb.DuckDBPyConnection, home: Path
) -> None:
    no_data = delivery("0014", 2021, 1, [])
    del no_data["data"]
    land(home, "2021Q1", "a_no_data.json", no_data)
    land(
        home,
        "2021Q1",
        "b_types.json",
        delivery("0014", 2021, 1, [("0.4", "3.2", "100")], metadata__boekjaar="2021"),
    )
    land(home, "2021Q1", "c_not_json.json", "{ this is not json")
    land(home, "2021Q1", "d_other_quarter.json", delivery("0014", 2021, 3, [("0.4", "3.2", 1)]))
    land(
        home,
        "2021Q1",
        "e_status.json",
        delivery("0014", 2021, 1, [("0.4", "3.2", 1)], metadata__status="Begroting"),
    )
    land(home, "2021Q1", "f_good.json", delivery("0014", 2021, 1, [("0.4", "3.2", 1)]))
    batch = refresh(warehouse, home, "2021Q1")
    messages = {f.file_name: (f.status, f.message) for f in batch.files}
    assert messages["a_no_data.json"] == (
        "rejected",
        "a_no_data.json: not a valid Iv3 delivery (CBS JSON Schema iv3_data_schema_v2_1_1.json): "
        "SF010 at $: required key 'data' is missing (het element data is niet aangetroffen)",
    )
    assert messages["b_types.json"] == (
        "rejected",
        "b_types.json: not a valid Iv3 delivery (CBS JSON Schema iv3_data_schema_v2_1_1.json): "
        "SF017 at $.data.lasten[0].bedrag: must be of type number (bedrag is niet ingevuld); "
        "SF004 at $.metadata.boekjaar: must be of type number (onjuist format waarde metadata)",
    )
    assert messages["c_not_json.json"] == (
        "rejected",
        "c_not_json.json: not an Iv3 JSON delivery: SF999 the file is not UTF-8 JSON (line 1, column 3)",
    )
    assert messages["d_other_quarter.json"] == (
        "rejected",
        "d_other_quarter.json: periode 3 of boekjaar 2021 (realisatie) belongs in landing/budget/2021Q3/, "
        "not in 2021Q1",
    )
    assert messages["e_status.json"] == (
        "rejected",
        "e_status.json: status 'Begroting' does not go with periode 1 (periode 0 is the Begroting, "
        "periodes 1-5 are Realisatie)",
    )
    # The good delivery of the same folder still loads.
    assert messages["f_good.json"] == ("loaded", None)
    assert core_rows(warehouse) == [
        ("2021Q1", "GM0014", "0.4", "3.2", "realisatie", D("1000.00"), D("0.00"), "f_good.json", 1)
    ]


def test_contact_and_remarks_are_found_nowhere_the_run_wrote(
    prefect_harness: None,
    home: Path,
    captured_logs: list[str],  # noqa: F811 (the fixture imported above)
    capfd: pytest.CaptureFixture[str],
) -> None:
    from flows.quarterly_refresh import quarterly_refresh

    lasten, baten = _twin_lines()
    land(home, "2021Q1", "iv3_0014_2021_P1.json", delivery("0014", 2021, 1, lasten, baten))
    land(home, "2021Q1", "iv3_0014_2021_P0.json", delivery("0014", 2021, 0, [("0.4", "3.2", 400)]))
    # A malformed e-mail address rejects the file; its message must not repeat it.
    bad = delivery("0363", 2021, 1, [("0.4", "3.2", 1)])
    bad["contact"]["email"] = "pii-canary-at-gemeente"
    land(home, "2021Q1", "iv3_0363_2021_P1.json", bad)
    summary = quarterly_refresh("2021Q1")
    printed = capfd.readouterr()
    assert summary.rows_loaded == 7
    assert [f.status for f in summary.files if f.file_name == "iv3_0363_2021_P1.json"] == ["rejected"]

    found, files_read = file_leaks(home, skip=home / "landing")
    assert files_read >= 3
    assert found == []
    assert captured_logs and [hit for text in captured_logs for hit in leaks(text)] == []
    assert leaks(printed.out + printed.err) == []
    # The scanner does see what the deliveries hold.
    assert len(file_leaks(home / "landing")[0]) > 0


def test_a_changed_earlier_delivery_makes_the_later_quarters_stale(
    warehouse: duckdb.DuckDBPyConnection, home: Path
) -> None:
    from warehouse import incremental

    landing = home / "landing"
    land(home, "2021Q1", "iv3_0014_2021_P1.json", delivery("0014", 2021, 1, [("0.4", "3.2", 100)]))
    land(home, "2021Q2", "iv3_0014_2021_P2.json", delivery("0014", 2021, 2, [("0.4", "3.2", 250)]))
    refresh(warehouse, home, "2021Q1")
    q2 = refresh(warehouse, home, "2021Q2")
    # What the plan compares is what the load recorded, the earlier delivery included.
    assert incremental.landing_hashes(landing, "budget", Quarter(2021, 2)) == q2.source_hashes
    assert "2021Q1/iv3_0014_2021_P1.json:" in q2.source_hashes
    before = q2.source_hashes
    land(home, "2021Q1", "iv3_0014_2021_P1.json", delivery("0014", 2021, 1, [("0.4", "3.2", 90)]))
    assert incremental.landing_hashes(landing, "budget", Quarter(2021, 2)) != before
    # A quarter without deliveries of its own does not depend on other quarters.
    assert "/" not in incremental.landing_hashes(landing, "budget", Quarter(2021, 1))
    assert incremental.landing_hashes(landing, "budget", Quarter(2021, 3)) == ""


def test_a_quarter_of_a_boekjaar_without_definition_file_is_rejected_whole(
    warehouse: duckdb.DuckDBPyConnection, home: Path
) -> None:
    path = home / "landing" / "budget" / "2031Q1" / "iv3.csv"
    path.parent.mkdir(parents=True)
    path.write_text(
        "gemeentecode;periode;taakveld;categorie;soort;lasten;baten\nGM0014;2031Q1;0.4;3.2;R;10;\n"
    )
    batch = refresh(warehouse, home, "2031Q1")
    assert [(f.status, f.message) for f in batch.files] == [
        (
            "rejected",
            "iv3.csv: rejected whole, 1 rows not loaded: no Iv3 definition file for boekjaar 2031 "
            f"(iv3_definities_Gemeente_2031.json is not in {iv3_dir()}; boekjaren with one: "
            "2017, 2018, 2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026)",
        )
    ]
    assert core_rows(warehouse) == []


def iv3_dir() -> Path:
    from transforms.iv3 import DEFINITIONS_DIR

    return DEFINITIONS_DIR
