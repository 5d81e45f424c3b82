"""Readers: one landing file in, canonical all-text columns out, personal data gone.

Cases from the survey corpus (tests/data/survey/2021Q1, written by make_corpus.py) and
small inline files for the edges.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from openpyxl import Workbook
from polars.testing import assert_frame_equal

from ingest.readers import (
    READER_ISSUE,
    FileRejected,
    is_test_name,
    load_column_aliases,
    normalize_header,
    numbers_as_text,
    parse_aliases,
    read_landing_file,
    read_xlsx_file,
    sniff_delimiter,
)

CORPUS = Path(__file__).resolve().parents[1] / "data" / "survey" / "2021Q1"


def _read(name: str) -> pl.DataFrame:
    return read_landing_file(CORPUS / name, "survey").frame


def _rows(frame: pl.DataFrame, *columns: str) -> list[tuple]:
    return frame.select(*columns).rows()


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


AMOUNTS = (
    "hardware_eur",
    "software_licences_eur",
    "ict_support_eur",
    "security_eur",
    "other_eur",
    "office_savings_eur",
)
SHORT_HEADER = (
    "Gemeente;Extra kosten hardware;Extra kosten softwarelicenties;Extra kosten ICT-ondersteuning;"
    "Extra kosten digitale beveiliging;Extra kosten overig;Besparing kantoorruimte"
)


# --- encodings and separators ------------------------------------------------------------


def test_windows_1252_file_keeps_frisian_names_intact() -> None:
    result = read_landing_file(CORPUS / "01_gemeenten_cp1252.csv", "survey")
    assert (result.encoding, result.delimiter) == ("cp1252", ";")
    assert _rows(result.frame, "response_id", "municipality", "fte", "hardware_eur", "source_row") == [
        ("a01", "Súdwest-Fryslân", "612,5", "€ 12.500,00", 2),
        ("a02", "Gemeente Leeuwarden", "1.050", "8.000", 3),
        ("a03", "Den Bosch", "1.250,75", "EUR 20.000", 4),
    ]


def test_utf8_file_with_bom_and_english_headers_maps_every_column() -> None:
    result = read_landing_file(CORPUS / "02_responses_utf8_bom.csv", "survey")
    assert (result.encoding, result.delimiter) == ("utf-8-sig", ",")
    assert result.frame.columns == [
        "response_id",
        "submitted_at",
        "municipality",
        "period",
        "fte",
        "remote_share_now_pct",
        "remote_share_expected_pct",
        *AMOUNTS,
        "respondent_is_test",
        READER_ISSUE,
        "source_row",
    ]
    assert result.frame.row(0) == (
        "b01",
        "2021-04-08T14:03:00",
        "Amsterdam",
        "2021-Q1",
        "15200.5",
        "85",
        "60",
        "250000",
        "120,000.50",
        "45000.25",
        "30000",
        "0",
        "80000",
        "false",
        None,
        2,
    )


def test_excel_unicode_text_export_reads_as_utf16_with_tabs() -> None:
    result = read_landing_file(CORPUS / "20_unicode_text.txt", "survey")
    assert (result.encoding, result.delimiter) == ("utf-16", "\t")
    assert _rows(result.frame, "municipality", "hardware_eur", "office_savings_eur") == [
        ("De Fryske Marren", "1.500,25", "600")
    ]
    assert result.dropped_personal == ["respondent_email"]


def test_separator_hint_line_sets_the_delimiter_and_counts_as_row_one() -> None:
    result = read_landing_file(CORPUS / "11_periods.csv", "survey")
    assert result.delimiter == ";"
    assert _rows(result.frame, "response_id", "period", "hardware_eur", "source_row")[:2] == [
        ("g01", "2020Q4", "1000", 3),
        ("g02", "Q1 2021", "1234.50", 4),
    ]


def test_delimiter_is_the_one_that_splits_the_header_into_known_names() -> None:
    # The first line holds more commas than semicolons; only `;` yields known headers.
    text = "Gemeente;Hardware (laptops, headsets, schermen);Extra kosten overig, zoals stoelen, bureaus\n"
    assert sniff_delimiter(text, "survey") == ";"
    assert sniff_delimiter("a,b;c,d\n", "survey") == ","


def test_quoted_separators_and_line_breaks_stay_inside_their_cell() -> None:
    frame = _read("03_quoted_fields.csv")
    assert _rows(frame, "response_id", "municipality", "hardware_eur", "source_row")[0] == (
        "c01",
        "Gemeente\nUtrecht",
        "15.000",
        2,
    )
    assert _rows(frame, "response_id", "municipality", "source_row")[2] == ("c03", "Nijmegen", 4)


def test_rows_shifted_or_split_by_an_unquoted_answer_keep_no_values_and_say_why() -> None:
    frame = _read("03_quoted_fields.csv")
    assert _rows(frame, "source_row", READER_ISSUE) == [
        (2, None),
        (3, "row_shape: 11 cells in the row, 10 in the header"),
        (4, None),
        (5, "row_shape: 4 cells in the row, 10 in the header"),
        (6, "row_shape: 7 cells in the row, 10 in the header"),
    ]
    shifted = frame.filter(pl.col(READER_ISSUE).is_not_null()).drop(READER_ISSUE, "source_row")
    assert shifted.null_count().row(0) == (3,) * shifted.width


def test_a_row_missing_only_trailing_personal_cells_is_aligned(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "short.csv",
        (SHORT_HEADER + ";Opmerkingen;E-mail\nUtrecht;1;2;3;4;0;5\n").encode(),
    )
    frame = read_landing_file(path, "survey").frame
    assert _rows(frame, "municipality", "office_savings_eur", READER_ISSUE) == [("Utrecht", "5", None)]


def test_binary_data_under_a_csv_name_is_rejected_with_what_it_is() -> None:
    with pytest.raises(FileRejected, match=r"^16_binary\.csv: is a PNG image, not CSV text$"):
        read_landing_file(CORPUS / "16_binary.csv", "survey")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00", r"is a ZIP archive \(an \.xlsx workbook\?\), not CSV text"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", r"is an old Excel \.xls workbook"),
        (b"Gemeente;a\x00b\x00", r"contains NUL bytes; not a text export"),
        (b"Gemeente;" + bytes(range(1, 9)) * 20, r"binary data, not a text export"),
        (b"", r"empty file$"),
        (b"  \r\n\r\n", r"empty file$"),
        (b"\xef\xbb\xbfGemeente;\xff\xfe", r"has a UTF-8 mark but is not UTF-8"),
    ],
)
def test_unreadable_text_files_are_rejected_naming_the_file(
    tmp_path: Path, data: bytes, message: str
) -> None:
    path = _write(tmp_path, "wrong.csv", data)
    with pytest.raises(FileRejected, match=rf"^wrong\.csv: {message}"):
        read_landing_file(path, "survey")


def test_a_header_without_any_known_column_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, "other.csv", b"naam;adres\nJan;Straat 1\n")
    with pytest.raises(FileRejected, match=r"^other\.csv: no known column in the header row$"):
        read_landing_file(path, "survey")


def test_header_only_file_reads_as_zero_rows() -> None:
    assert _read("18_header_only.csv").height == 0


def test_unsupported_suffix_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, "antwoorden.xls", b"\xd0\xcf\x11\xe0")
    with pytest.raises(FileRejected, match=r"^antwoorden\.xls: unsupported file type '\.xls'$"):
        read_landing_file(path, "survey")


# --- headers -----------------------------------------------------------------------------


def test_tool_export_header_rows_of_question_texts_and_import_ids_are_not_data() -> None:
    result = read_landing_file(CORPUS / "04_tool_codes.csv", "survey")
    assert _rows(result.frame, "response_id", "is_preview", "municipality", "hardware_eur", "source_row") == [
        ("R_3kQx01AbCd", "IP Address", "Eindhoven", "30000", 4),
        ("R_7pReview02", "Survey Preview", "Tilburg", "1", 5),
    ]
    assert result.unknown_columns == [
        "StartDate",
        "EndDate",
        "Progress",
        "Duration (in seconds)",
        "Finished",
        "ExternalReference",
        "LocationLatitude",
        "LocationLongitude",
        "DistributionChannel",
        "UserLanguage",
    ]
    assert result.dropped_personal == ["comment", "ip_address", "respondent_email", "respondent_name"]


def test_unknown_columns_are_dropped_and_reported_by_header_name_only() -> None:
    result = read_landing_file(CORPUS / "21_extra_columns.csv", "survey")
    assert result.unknown_columns == ["Uw naam", "Aantal laptops"]
    assert "Uw naam" not in result.frame.columns
    assert not any("PII" in str(v) for row in result.frame.rows() for v in row)


def test_a_column_asked_twice_takes_the_filled_cell_and_flags_a_conflict() -> None:
    frame = _read("21_extra_columns.csv")
    assert _rows(frame, "response_id", "municipality", "hardware_eur", READER_ISSUE) == [
        ("i01", "Zoetermeer", "6.000", None),
        ("i02", "Katwijk", "4.000", None),
        (None, None, None, "duplicate_column: municipality appears in columns 2, 5 with different values"),
    ]


def test_a_column_without_header_is_reported_and_its_values_dropped(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "gap.csv", ("Gemeente;;" + SHORT_HEADER[9:] + "\nUtrecht;vrij;1;2;3;4;0;5\n").encode()
    )
    result = read_landing_file(path, "survey")
    assert result.unknown_columns == ["(column 2, no header)"]
    assert _rows(result.frame, "municipality", "hardware_eur", READER_ISSUE) == [("Utrecht", "1", None)]


def test_title_rows_above_a_csv_header_are_skipped(tmp_path: Path) -> None:
    text = "Export enquête Q1;;\n\n" + SHORT_HEADER + "\nUtrecht;1;2;3;4;0;5\n"
    frame = read_landing_file(_write(tmp_path, "titled.csv", text.encode()), "survey").frame
    assert _rows(frame, "municipality", "source_row") == [("Utrecht", 4)]


@pytest.mark.parametrize(
    ("header", "normalized"),
    [
        ("  Extra   kosten HARDWARE ", "extra kosten hardware"),
        ("\ufeffGemeente", "gemeente"),
        ("Welke gemeente vertegenwoordigt u?", "welke gemeente vertegenwoordigt u"),
        ("Gemeente *", "gemeente"),
        ("Gemeente:", "gemeente"),
        ('"Kwartaal"', "kwartaal"),
        ("Aantal\u00a0FTE", "aantal fte"),
    ],
)
def test_headers_compare_without_case_spacing_and_form_decoration(header: str, normalized: str) -> None:
    assert normalize_header(header) == normalized


def test_shipped_mapping_files_load() -> None:
    survey = load_column_aliases("survey")
    assert survey["q5_1"] == "hardware_eur"
    assert survey["hardware (laptops, headsets, schermen)"] == "hardware_eur"
    assert survey["status"] == "is_preview"
    assert load_column_aliases("budget")["gemeente"] == "municipality"


def test_alias_file_skips_comments_and_rejects_unknown_or_conflicting_columns() -> None:
    text = "alias,canonical\n# a comment, with commas\nGemeente,municipality\nQ1,municipality\n"
    assert parse_aliases(text, "survey") == {"gemeente": "municipality", "q1": "municipality"}
    with pytest.raises(ValueError, match=r"alias 'Kosten': unknown canonical column 'hardwar_eur'"):
        parse_aliases("alias,canonical\nKosten,hardwar_eur\n", "survey")
    with pytest.raises(ValueError, match=r"alias 'q1': mapped to both 'municipality' and 'fte'"):
        parse_aliases("alias,canonical\nQ1,municipality\nq1,fte\n", "survey")


# --- personal data -------------------------------------------------------------------------


def test_personal_columns_are_dropped_and_only_a_test_flag_is_kept() -> None:
    result = read_landing_file(CORPUS / "01_gemeenten_cp1252.csv", "survey")
    assert result.dropped_personal == [
        "comment",
        "ip_address",
        "respondent_email",
        "respondent_name",
        "respondent_phone",
    ]
    values = [str(v) for row in result.frame.rows() for v in row]
    assert not [v for v in values if "PII" in v or "@" in v or "198.51.100" in v or "0699" in v]


def test_a_test_respondent_name_marks_the_row() -> None:
    frame = _read("12_test_responses.csv")
    assert _rows(frame, "response_id", "is_preview", "respondent_is_test") == [
        ("h01", "nee", "true"),
        ("h02", "ja", "false"),
        ("h03", "nee", "false"),
    ]


@pytest.mark.parametrize(
    ("name", "is_test"),
    [
        ("Test", True),
        ("test test", True),
        ("TEST - niet meetellen", True),
        ("Preview", True),
        ("Testpersoon", True),
        ("Jan Testerink", False),
        ("Contest", False),
        ("", False),
    ],
)
def test_test_names_are_whole_words(name: str, is_test: bool) -> None:
    assert is_test_name(name) is is_test


# --- spreadsheets --------------------------------------------------------------------------


def test_workbook_title_rows_blank_rows_and_cell_types() -> None:
    result = read_landing_file(CORPUS / "05_title_rows.xlsx", "survey")
    assert result.sheet == "Export"
    expected = pl.DataFrame(
        {
            "response_id": ["17", "18"],
            # A date cell reads as ISO text; a bare date serial as the number it is.
            "submitted_at": ["2021-04-15 09:30:00", "44301.5"],
            # Numbers lose a `.0`; text cells stay as typed.
            "municipality": ["599", "0153"],
            "period": ["2021Q1", "1e kwartaal 2021"],
            # A number with three decimals gets a trailing zero, so it cannot read as thousands.
            "fte": ["5120.5", "812.3750"],
            "remote_share_now_pct": ["0.8", "0.65"],
            "remote_share_expected_pct": ["0.5", "0.3"],
            "hardware_eur": ["1234.5", "7.500"],
            "software_licences_eur": ["12.500", "3000"],
            "ict_support_eur": ["2500", "1.250,50"],
            "security_eur": ["€ 1.000,00", "999.99"],
            "other_eur": ["0", "-"],
            "office_savings_eur": ["n.v.t.", "4321"],
            "respondent_is_test": ["false", "false"],
            READER_ISSUE: pl.Series([None, None], dtype=pl.Utf8),
            "source_row": [5, 7],
        }
    )
    assert_frame_equal(result.frame, expected)
    assert result.dropped_personal == ["respondent_email", "respondent_name"]


def test_workbook_answers_are_read_from_the_sheet_the_mapping_names() -> None:
    # `Voorbeeld` comes first and has a recognisable header; `Antwoorden` is listed in
    # transforms/mappings/survey_sheets.csv and wins.
    result = read_landing_file(CORPUS / "06_named_sheet.xlsx", "survey")
    assert result.sheet == "Antwoorden"
    assert _rows(result.frame, "response_id", "municipality", "hardware_eur", "source_row") == [
        ("x01", "Haarlem", "5000", 2),
        ("x02", "Hengelo", "3000", 3),
    ]


def test_an_explicit_sheet_overrides_the_choice() -> None:
    result = read_xlsx_file(CORPUS / "06_named_sheet.xlsx", "survey", sheet="Voorbeeld")
    assert _rows(result.frame, "municipality", "source_row") == [("Voorbeeldstad", 3)]
    with pytest.raises(
        FileRejected, match=r"has no sheet 'Blad9' \(sheets: 'Voorbeeld', 'Lijsten', 'Antwoorden'\)"
    ):
        read_xlsx_file(CORPUS / "06_named_sheet.xlsx", "survey", sheet="Blad9")


def test_without_a_listed_sheet_the_first_visible_sheet_with_a_header_is_read(tmp_path: Path) -> None:
    wb = Workbook()
    wb.active.title = "Uitleg"
    wb.active.append(["Vul het tweede blad in"])
    hidden = wb.create_sheet("Verborgen")
    hidden.sheet_state = "hidden"
    hidden.append(SHORT_HEADER.split(";"))
    hidden.append(["Utrecht", 9, 9, 9, 9, 9, 9])
    answers = wb.create_sheet("Blad2")
    answers.append(SHORT_HEADER.split(";"))
    answers.append(["Arnhem", 1, 2, 3, 4, 0, 5])
    wb.save(tmp_path / "blad2.xlsx")
    result = read_landing_file(tmp_path / "blad2.xlsx", "survey")
    assert result.sheet == "Blad2"
    assert _rows(result.frame, "municipality", "hardware_eur") == [("Arnhem", "1")]


def test_a_workbook_without_a_header_row_is_rejected_naming_its_sheets(tmp_path: Path) -> None:
    wb = Workbook()
    wb.active.title = "Blad1"
    wb.active.append(["alleen", "tekst"])
    wb.save(tmp_path / "leeg.xlsx")
    with pytest.raises(
        FileRejected, match=r"^leeg\.xlsx: no visible sheet has a header row .*\(sheets: 'Blad1'\)$"
    ):
        read_landing_file(tmp_path / "leeg.xlsx", "survey")


def test_a_csv_named_xlsx_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, "fake.xlsx", SHORT_HEADER.encode())
    with pytest.raises(FileRejected, match=r"^fake\.xlsx: not a readable XLSX workbook"):
        read_landing_file(path, "survey")


def test_cells_right_of_the_header_put_the_row_aside(tmp_path: Path) -> None:
    wb = Workbook()
    wb.active.append(SHORT_HEADER.split(";"))
    wb.active.append(["Utrecht", 1, 2, 3, 4, 0, 5])
    wb.active.append(["Arnhem", 1, 2, 3, 4, 0, 5, None, "let op!"])
    wb.save(tmp_path / "note.xlsx")
    frame = read_landing_file(tmp_path / "note.xlsx", "survey").frame
    assert _rows(frame, "municipality", READER_ISSUE) == [
        ("Utrecht", None),
        (None, "row_shape: 9 cells in the row, 7 in the header"),
    ]


def test_excel_date_cells_and_booleans_read_as_text(tmp_path: Path) -> None:
    wb = Workbook()
    wb.active.append(["Ingediend op", "is_preview", *SHORT_HEADER.split(";")])
    wb.active.append([dt.date(2021, 4, 5), True, "Utrecht", 1, 2, 3, 4, 0, 5])
    wb.save(tmp_path / "types.xlsx")
    frame = read_landing_file(tmp_path / "types.xlsx", "survey").frame
    assert _rows(frame, "submitted_at", "is_preview") == [("2021-04-05 00:00:00", "true")]


# --- Parquet -------------------------------------------------------------------------------


def test_parquet_numbers_become_plain_text_the_amount_parser_reads_back() -> None:
    result = read_landing_file(CORPUS / "07_export.parquet", "survey")
    assert result.unknown_columns == ["Uw naam"]
    assert result.dropped_personal == ["respondent_email"]
    assert _rows(
        result.frame,
        "response_id",
        "submitted_at",
        "municipality",
        "fte",
        "remote_share_now_pct",
        "hardware_eur",
        "software_licences_eur",
        "ict_support_eur",
        "security_eur",
        "office_savings_eur",
        "source_row",
    ) == [
        (
            "101",
            "2021-04-17 08:00:00.000000",
            "GM0307",
            "612.1250",
            "0.45",
            "15000",
            "4200",
            "2000",
            "€ 1.000,00",
            "3000",
            2,
        ),
        (
            "102",
            "2021-04-18 16:45:00.000000",
            "Uden",
            "300",
            "0.6",
            "2500.5",
            "350.1250",
            None,
            "n.v.t.",
            "750.5",
            3,
        ),
    ]


def test_unreadable_parquet_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, "kapot.parquet", b"PAR1 not really")
    with pytest.raises(FileRejected, match=r"^kapot\.parquet: not a readable Parquet file"):
        read_landing_file(path, "survey")


def test_numbers_as_text_pads_only_three_decimals() -> None:
    frame = pl.DataFrame({"x": ["1.234", "-0.125", "12.5", "1234", "1.2345", "12.500"]})
    assert frame.select(numbers_as_text(pl.col("x")))["x"].to_list() == [
        "1.2340",
        "-0.1250",
        "12.5",
        "1234",
        "1.2345",
        "12.5000",
    ]
