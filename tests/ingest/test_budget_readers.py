"""Budget readers: layouts, units, lineage and bounded chunks (fixtures in tests/data/budget)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from ingest.budget_readers import ReadAgain, open_budget_file, unit_in_text
from ingest.readers import FileRejected

DATA = Path(__file__).resolve().parents[1] / "data" / "budget"


def _read(path: Path, chunk_rows: int = 1000) -> pl.DataFrame:
    return pl.concat(list(open_budget_file(path).chunks(chunk_rows)))


def _csv(tmp_path: Path, text: str, name: str = "iv3.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("x € 1.000", "x1000"),
        ("Bedragen x €1000", "x1000"),
        ("bedragen in duizenden euro's", "x1000"),
        ("keur", "x1000"),
        ("* 1000", "x1000"),
        ("in euro's", "EUR"),
        ("€", "EUR"),
        ("Iv3 export 2021", None),
        (None, None),
    ],
)
def test_unit_in_text_tells_thousands_from_euros(text: str | None, unit: str | None) -> None:
    assert unit_in_text(text) == unit


def test_long_csv_maps_aliases_and_numbers_rows_as_a_spreadsheet_does(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "gemeentecode;periode;taakveld;categorie;soort;lasten;baten;opmerking\n"
        "GM0014;2021K1;0.4;3.2;realisatie;100,5;0;\n"
        "\n"
        'GM0014;2021K1;0.4;3.8;"begroting";"1\n2";0;x\n'
        "GM0003;2021K1;0.4;3.8;realisatie;7\n",
    )
    file = open_budget_file(path)
    assert (file.layout, file.delimiter, file.file_unit, file.unknown_columns) == (
        "long",
        ";",
        None,
        ["opmerking"],
    )
    expected = pl.DataFrame(
        {
            "municipality": ["GM0014", "GM0014", "GM0003"],
            "period": ["2021K1", "2021K1", "2021K1"],
            "taakveld": ["0.4", "0.4", "0.4"],
            "categorie": ["3.2", "3.8", "3.8"],
            "kind": ["realisatie", "begroting", "realisatie"],
            # A quoted line break stays in its cell; a short row's missing cells are empty.
            "lasten": ["100,5", "1\n2", "7"],
            "baten": ["0", "0", ""],
            "_reader_issue": [None, None, None],
            # Header row 1, the blank line row 3; the quoted line break does not start a row.
            "source_row": [2, 4, 5],
        },
        schema_overrides={"_reader_issue": pl.Utf8},
    )
    assert_frame_equal(_read(path), expected)


def test_unit_on_a_title_line_above_the_header_applies_to_the_file(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "Iv3 Groningen;\nEenheid;x € 1.000\n\ngemeentecode;periode;taakveld;categorie;soort;lasten;baten\n"
        "GM0014;2021Q1;0.4;3.2;realisatie;12,5;0\n",
    )
    file = open_budget_file(path)
    assert file.file_unit == "x1000"
    assert _read(path)["source_row"].to_list() == [5]


def test_unit_in_the_amount_headers_applies_to_the_file(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "gemeente,periode,taakveld,categorie,soort,Lasten (x € 1.000),Baten (x € 1.000)\n"
        "GM0014,2021Q1,0.4,3.2,realisatie,12,0\n",
    )
    file = open_budget_file(path)
    assert (file.delimiter, file.file_unit) == (",", "x1000")
    assert file.columns == ["municipality", "period", "taakveld", "categorie", "kind", "lasten", "baten"]


def test_amount_headers_naming_different_units_reject_the_file(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "gemeente;periode;taakveld;categorie;soort;lasten (x 1000);baten (in euro)\nGM0014;2021Q1;0.4;3.2;r;1;0\n",
    )
    with pytest.raises(
        FileRejected, match=r"iv3\.csv: the amount headers name different units \(EUR, x1000\)"
    ):
        open_budget_file(path)


def test_chunks_are_bounded_and_together_are_the_whole_file(tmp_path: Path) -> None:
    body = "".join(f"GM0014;2021Q1;0.4;3.2;realisatie;{i};0\n" for i in range(10))
    path = _csv(tmp_path, "gemeente;periode;taakveld;categorie;soort;lasten;baten\n" + body)
    chunks = list(open_budget_file(path).chunks(4))
    assert max(c.height for c in chunks) <= 4
    whole = pl.concat(chunks)
    assert whole["lasten"].to_list() == [str(i) for i in range(10)]
    assert whole["source_row"].to_list() == list(range(2, 12))


def test_a_row_longer_than_the_header_sends_the_file_to_the_exact_reader(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "gemeente;periode;taakveld;categorie;soort;lasten;baten\n"
        "GM0014;2021Q1;0.4;3.2;realisatie;1;0\n"
        "GM0014;2021Q1;0.4;3.8;realisatie;1;0;vrije tekst\n",
    )
    file = open_budget_file(path)
    with pytest.raises(ReadAgain, match="iv3.csv"):
        list(file.chunks())
    exact = pl.concat(list(file.exact_chunks()))
    assert exact["source_row"].to_list() == [2, 3]
    assert exact["_reader_issue"].to_list() == [None, "row_shape: 8 cells in the row, 7 in the header"]
    # A row the reader cannot align keeps no values.
    assert exact.row(1, named=True)["lasten"] is None


def test_windows_1252_file_is_read_by_the_exact_reader(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "gemeente;periode;taakveld;categorie;soort;lasten;baten\nSúdwest-Fryslân;2021Q1;0.4;3.2;realisatie;5;0\n",
        encoding="cp1252",
    )
    file = open_budget_file(path)
    assert file.encoding == "cp1252"
    assert _read(path)["municipality"].to_list() == ["Súdwest-Fryslân"]


def test_utf16_text_export_is_read_by_the_exact_reader(tmp_path: Path) -> None:
    path = tmp_path / "iv3.txt"
    path.write_bytes(
        "gemeente\tperiode\ttaakveld\tcategorie\tsoort\tlasten\tbaten\r\nGM0014\t2021Q1\t0.4\t3.2\tr\t5\t0\r\n".encode(
            "utf-16"
        )
    )
    file = open_budget_file(path)
    assert (file.encoding, file.delimiter) == ("utf-16", "\t")
    assert _read(path).select("municipality", "lasten", "baten", "source_row").rows() == [
        ("GM0014", "5", "0", 2)
    ]


def test_sep_line_sets_the_delimiter_and_counts_as_a_row(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "sep=|\ngemeente|periode|taakveld|categorie|soort|lasten|baten\nGM0014|2021Q1|0.4|3.2|r|5|0\n",
    )
    assert open_budget_file(path).delimiter == "|"
    frame = _read(path)
    assert frame.select("municipality", "lasten", "source_row").row(0) == ("GM0014", "5", 3)
    assert (
        frame["source_row"].to_list()
        == pl.concat(list(open_budget_file(path).exact_chunks()))["source_row"].to_list()
    )


def test_file_without_known_columns_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(FileRejected, match=r"iv3\.csv: no known column in the header row"):
        open_budget_file(_csv(tmp_path, "a;b;c\n1;2;3\n"))


def test_empty_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(FileRejected, match=r"iv3\.csv: empty file"):
        open_budget_file(_csv(tmp_path, "\n\n"))


def test_matrix_workbook_becomes_long_rows_with_title_cells_and_sides() -> None:
    file = open_budget_file(DATA / "matrix_groningen.xlsx")
    assert (file.layout, file.file_unit, file.sheets) == (
        "matrix",
        "x1000",
        ["Begroting", "Realisatie", "Realisatie baten"],
    )
    frame = _read(DATA / "matrix_groningen.xlsx").select(
        "municipality", "period", "taakveld", "categorie", "kind", "lasten", "baten", "source_row"
    )
    # The Totaal row and empty cells carry no line; the realisatie baten sheet's 4.3.1 cell
    # has no lasten cell, so its lasten are empty. A number typed 1.234 reads `1.2340`, so
    # the `auto` rule cannot take its point for a thousands separator.
    assert frame.rows() == [
        ("Groningen", "2021-Q1", "0.4", "3.2", "begroting", "12.5", "", 7),
        ("Groningen", "2021-Q1", "0.4", "3.8", "begroting", "0,01", "", 7),
        ("Groningen", "2021-Q1", "0.3", "3.8", "begroting", "3", "", 8),
        ("Groningen", "2021-Q1", "0.4", "3.2", "realisatie", "1.2340", "", 4),
        ("Groningen", "2021-Q1", "0.4", "3.8", "realisatie", "2", "", 4),
        ("Groningen", "2021-Q1", "0.4", "4.3.1", "realisatie", "", "0.5", 4),
    ]


def test_matrix_workbook_without_title_cells_takes_municipality_and_quarter_from_its_name() -> None:
    frame = _read(DATA / "iv3_GM0003_2020K4.xlsx")
    assert frame.select(
        "municipality", "period", "taakveld", "categorie", "kind", "lasten", "baten"
    ).rows() == [
        ("GM0003", "2020Q4", "0.4", "3.2", "realisatie", "1000", ""),
        ("GM0003", "2020Q4", "0.4", "3.8", "realisatie", "2500.75", ""),
    ]
    assert open_budget_file(DATA / "iv3_GM0003_2020K4.xlsx").file_unit is None


def test_matrix_lasten_and_baten_of_one_pair_become_one_row(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "begroting"
    wb.active.append(["taakveld", "3.8", "B4.3.1"])
    wb.active.append(["0.4", 100, 30])
    baten = wb.create_sheet("begroting baten")
    baten.append(["taakveld", "3.8"])
    baten.append(["0.4", 40])
    wb.save(tmp_path / "iv3_GM0014_2021Q1.xlsx")
    frame = _read(tmp_path / "iv3_GM0014_2021Q1.xlsx")
    assert frame.select("taakveld", "categorie", "kind", "lasten", "baten", "source_row").rows() == [
        ("0.4", "3.8", "begroting", "100", "40", 2),
        ("0.4", "4.3.1", "begroting", "", "30", 2),
    ]


def test_matrix_title_cells_in_one_row_are_not_taken_for_a_long_header(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Realisatie"
    wb.active.append(["Gemeente", "GM0014", "Periode", "2021Q1"])
    wb.active.append(["Taakveld", "3.2", "3.8"])
    wb.active.append(["0.4", 7, 8])
    wb.save(tmp_path / "iv3.xlsx")
    file = open_budget_file(tmp_path / "iv3.xlsx")
    assert file.layout == "matrix"
    assert _read(tmp_path / "iv3.xlsx").select("municipality", "period", "categorie", "lasten").rows() == [
        ("GM0014", "2021Q1", "3.2", "7"),
        ("GM0014", "2021Q1", "3.8", "8"),
    ]


def test_workbook_without_header_or_kind_sheet_is_rejected(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Blad1"
    wb.active.append(["iets", "anders"])
    wb.save(tmp_path / "x.xlsx")
    with pytest.raises(FileRejected, match=r"x\.xlsx: no sheet has a header row .* \(sheets: 'Blad1'\)"):
        open_budget_file(tmp_path / "x.xlsx")


def test_long_workbook_reads_numbers_plainly_under_a_title_row() -> None:
    file = open_budget_file(DATA / "long_2021Q1.xlsx")
    assert (file.layout, file.file_unit, file.sheets) == ("long", "EUR", ["Iv3"])
    frame = _read(DATA / "long_2021Q1.xlsx")
    assert frame.select(
        "municipality", "year", "quarter", "kind", "lasten", "baten", "source_row"
    ).rows() == [
        ("GM0014", "2021", "1", "realisatie", "1234.5", "0", 3),
        ("Groningen", "2021", "1", "begroting", "1.234,56", "", 4),
        ("GM0014", "2021", "1", "realisatie", "1.2340", "0", 6),
    ]


def test_parquet_numbers_become_plain_text_with_a_decimal_point() -> None:
    file = open_budget_file(DATA / "long_2021Q1.parquet")
    assert (file.layout, file.decimal) == ("long", ".")
    frame = _read(DATA / "long_2021Q1.parquet")
    assert frame.select("municipality", "year", "quarter", "lasten", "baten", "source_row").rows() == [
        ("GM0014", "2021", "1", "1234.5", "0", 2),
        ("GM0014", "2021", "1", "0.1", "10.25", 3),
        ("GM1979", "2021", "1", "0.00001", "0", 4),
    ]
