"""transforms.iv3: CBS's Iv3 definitions per boekjaar, periods, delivery structure, quarter increments."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from transforms import iv3
from transforms.quarter import Quarter


@pytest.mark.parametrize(
    ("periode", "quarter", "kind"),
    [
        (0, Quarter(2021, 1), "begroting"),
        (1, Quarter(2021, 1), "realisatie"),
        (2, Quarter(2021, 2), "realisatie"),
        (3, Quarter(2021, 3), "realisatie"),
        (4, Quarter(2021, 4), "realisatie"),
        (5, Quarter(2021, 4), "realisatie"),
    ],
)
def test_period_target_places_each_periode(periode: int, quarter: Quarter, kind: str) -> None:
    assert iv3.period_target(2021, periode) == (quarter, kind)


def test_period_target_rejects_a_periode_cbs_does_not_define() -> None:
    with pytest.raises(iv3.Iv3Error, match="periode must be one of 0..5"):
        iv3.period_target(2021, 6)


def test_previous_periode_chains_year_to_date_deliveries() -> None:
    assert [iv3.previous_periode(p) for p in iv3.PERIODES] == [None, None, 1, 2, 3, 3]
    assert [iv3.expected_status(p) for p in (0, 1, 5)] == ["Begroting", "Realisatie", "Realisatie"]


# Leaf counts (taakvelden / lasten / baten categorieën / grey lasten / grey baten cells)
# as the reference set's SOURCES.md states them for CBS's files.
@pytest.mark.parametrize(
    ("boekjaar", "counts"),
    [
        (2017, (53, 35, 37, 496, 792)),
        (2020, (53, 35, 37, 496, 803)),
        (2021, (53, 35, 37, 496, 786)),
        (2022, (53, 35, 37, 492, 782)),
        (2023, (71, 35, 37, 849, 1218)),
        (2025, (69, 37, 39, 784, 1175)),
        (2026, (69, 37, 39, 784, 1175)),
    ],
)
def test_year_codes_counts_match_the_cbs_files(boekjaar: int, counts: tuple[int, ...]) -> None:
    codes = iv3.year_codes(boekjaar)
    assert (
        len(codes.taakvelden),
        len(codes.lasten),
        len(codes.baten),
        len(codes.grey_lasten),
        len(codes.grey_baten),
    ) == counts


def test_year_codes_know_the_2021_and_2025_changes() -> None:
    y2021, y2025 = iv3.year_codes(2021), iv3.year_codes(2025)
    assert "2.1" in y2021.lasten and "2.1" not in y2021.baten
    assert "3.4.2" in y2021.baten and "3.4.2" not in y2021.lasten
    assert {"6.21", "6.60", "6.711", "6.92"} <= set(y2025.taakvelden)
    assert {"6.21", "6.711"} <= set(y2021.taakvelden_other_years)
    assert "4.4.3" in y2021.categorieen and "4.4.3" in y2025.categorieen_other_years
    assert {"4.5.1", "4.6.6"} <= set(y2025.lasten)
    assert "3.5.2" in y2025.baten
    assert "0.4×5.1" in y2021.grey_lasten
    assert y2021.pf009 == ("4.3.9", "4.4.9")
    assert "3.4.2" in y2021.not_on_side("lasten") and "2.1" in y2021.not_on_side("baten")


def test_a_new_year_needs_only_its_definition_file(tmp_path: Path) -> None:
    for path in iv3.DEFINITIONS_DIR.glob("*.json"):
        shutil.copy(path, tmp_path / path.name)
    text = (iv3.DEFINITIONS_DIR / "iv3_definities_Gemeente_2026.json").read_text(encoding="utf-8")
    (tmp_path / "iv3_definities_Gemeente_2027.json").write_text(
        text.replace('"boekjaar":"2026"', '"boekjaar":"2027"'), encoding="utf-8"
    )
    assert iv3.boekjaren(directory=tmp_path)[-1] == 2027
    assert len(iv3.year_codes(2027, directory=tmp_path).taakvelden) == 69


def test_a_boekjaar_without_definition_file_is_named() -> None:
    with pytest.raises(iv3.Iv3Error, match="no Iv3 definition file for boekjaar 2031"):
        iv3.year_codes(2031)


def test_code_lists_frame_has_one_row_per_year_side_list_code() -> None:
    frame = iv3.code_lists(2025)
    assert frame.schema == pl.Schema(iv3.CODE_LIST_SCHEMA)
    taakvelden = frame.filter(pl.col("code_list") == "taakveld")
    assert taakvelden.height == 2 * 69
    assert frame.filter(pl.col("code") == "3.5.2").select("side", "code_list").rows() == [
        ("baten", "categorie")
    ]


def _line(side: str, taakveld: str, categorie: str, amount: str, line: int) -> tuple[str, str, str, str, int]:
    return (side, taakveld, categorie, amount, line)


def test_quarter_added_subtracts_the_previous_year_to_date_figures() -> None:
    current = pl.DataFrame(
        [
            _line("lasten", "0.4", "3.2", "150.5", 1),
            _line("lasten", "0.4", "3.2", "10", 2),
            _line("baten", "0.4", "3.8", "7.125", 3),
        ],
        schema=iv3.LINE_SCHEMA,
        orient="row",
    )
    previous = pl.DataFrame(
        [_line("lasten", "0.4", "3.2", "100.25", 1), _line("baten", "0.1", "3.8", "5", 2)],
        schema=iv3.LINE_SCHEMA,
        orient="row",
    )
    expected = pl.DataFrame(
        [
            # 150.5 + 10 − 100.25 on the cell's first line, 0 on its second
            _line("lasten", "0.4", "3.2", "60.25", 1),
            _line("lasten", "0.4", "3.2", "0", 2),
            _line("baten", "0.4", "3.8", "7.125", 3),
            # booked by periode 1, gone by periode 2: the quarter took 5 off
            _line("baten", "0.1", "3.8", "-5", 4),
        ],
        schema=iv3.LINE_SCHEMA,
        orient="row",
    )
    assert_frame_equal(iv3.quarter_added(current, previous), expected)


def test_quarter_added_without_previous_lines_is_the_delivery() -> None:
    current = pl.DataFrame([_line("lasten", "0.1", "1.1", "12", 1)], schema=iv3.LINE_SCHEMA, orient="row")
    empty = pl.DataFrame(schema=iv3.LINE_SCHEMA)
    assert_frame_equal(iv3.quarter_added(current, empty), current)


def _delivery() -> dict[str, object]:
    return {
        "metadata": {
            "overheidslaag": "Gemeente",
            "overheidsnummer": "0363",
            "overheidsnaam": "Amsterdam",
            "boekjaar": 2021,
            "periode": 1,
            "status": "Realisatie",
            "datum": "2021-04-20T10:00:00+02:00",
            "details_openbaar": False,
            "financieel_pakket": "pakket",
            "export_software": "export",
        },
        "contact": {"naam": "Piet Afzender", "email": "p.afzender@gemeente.nl", "telefoon": "0612345678"},
        "data": {
            "lasten": [{"taakveld": "0.4", "categorie": "3.2", "bedrag": 12}],
            "baten": [],
            "balans_lasten": [],
            "balans_baten": [],
            "balans_standen": [],
        },
    }


def test_a_valid_delivery_has_no_structure_faults() -> None:
    assert iv3.structure_faults(_delivery()) == []


def test_missing_data_is_sf010() -> None:
    document = _delivery()
    del document["data"]
    assert [str(f) for f in iv3.structure_faults(document)] == ["SF010 at $: required key 'data' is missing"]


def test_wrong_types_get_cbs_codes_and_paths_without_the_value() -> None:
    document = _delivery()
    document["metadata"]["boekjaar"] = "2021"  # type: ignore[index]
    document["data"]["lasten"][0]["bedrag"] = "12"  # type: ignore[index]
    document["contact"]["email"] = "not-an-address"  # type: ignore[index]
    faults = iv3.structure_faults(document)
    assert [(f.code, f.path) for f in faults] == [
        ("SF009", "$.contact.email"),
        ("SF017", "$.data.lasten[0].bedrag"),
        ("SF004", "$.metadata.boekjaar"),
    ]
    assert all("not-an-address" not in f.message for f in faults)


def test_missing_lasten_is_sf012_and_unknown_metadata_key_sf003() -> None:
    document = _delivery()
    del document["data"]["lasten"]  # type: ignore[attr-defined]
    document["metadata"]["extra"] = 1  # type: ignore[index]
    assert [(f.code, f.path) for f in iv3.structure_faults(document)] == [
        ("SF012", "$.data"),
        ("SF003", "$.metadata"),
    ]


def test_delivery_lines_numbers_lasten_then_baten_and_keeps_exact_amounts() -> None:
    from decimal import Decimal

    document = _delivery()
    document["data"]["lasten"].append({"taakveld": "0.1", "categorie": "1.1", "bedrag": Decimal("0.005")})  # type: ignore[index]
    document["data"]["baten"] = [{"taakveld": "0.4", "categorie": "3.8", "bedrag": Decimal("-1E+3")}]  # type: ignore[index]
    expected = pl.DataFrame(
        [
            _line("lasten", "0.4", "3.2", "12", 1),
            _line("lasten", "0.1", "1.1", "0.005", 2),
            _line("baten", "0.4", "3.8", "-1000", 3),
        ],
        schema=iv3.LINE_SCHEMA,
        orient="row",
    )
    assert_frame_equal(iv3.delivery_lines(document), expected)


def test_every_budget_category_rule_names_official_codes() -> None:
    rules = pl.read_csv(iv3.DEFINITIONS_DIR.parent / "iv3_budget_categories.csv", infer_schema=False)
    lists = iv3.code_lists()
    taakvelden = set(lists.filter(pl.col("code_list") == "taakveld")["code"])
    categorieen = set(lists.filter(pl.col("code_list") == "categorie")["code"])
    unknown = [
        (taakveld, categorie)
        for taakveld, categorie in rules.select("taakveld", "categorie").iter_rows()
        if (taakveld != "*" and taakveld not in taakvelden)
        or (categorie != "*" and categorie not in categorieen)
    ]
    assert unknown == []
    # An exact pair is also a cell some boekjaar allows on lasten (not grey every year).
    grey = iv3.grey_cells().filter(pl.col("side") == "lasten")
    years = len(iv3.boekjaren())
    always_grey = {
        (t, c) for t, c, n in grey.group_by("taakveld", "categorie").len().iter_rows() if n == years
    }
    assert [pair for pair in rules.select("taakveld", "categorie").iter_rows() if pair in always_grey] == []
