"""Bad and hostile landing files at the reader: each is read or refused with a message naming it.

Small cases are files in tests/data/bad (written by its make_corpus.py); the large ones
(one enormous line, 10,000 columns, a zip bomb) are generated here. docs/operations.md
lists every case and the behaviour chosen.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from ingest import readers
from ingest.readers import FileRejected, read_landing_file

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"
HEADER = (BAD / "03_header_only.csv").read_text().strip()


def _values(name: str, *columns: str) -> list[tuple]:
    return read_landing_file(BAD / name, "survey").frame.select(*columns, "source_row").rows()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("01_binary_garbage.csv", "01_binary_garbage.csv: binary data, not a text export"),
        ("02_empty.csv", "02_empty.csv: empty file"),
        ("06_nul_bytes.csv", "06_nul_bytes.csv: contains NUL bytes; not a text export"),
        (
            "07_password_protected.xlsx",
            "07_password_protected.xlsx: is a password-protected or legacy (.xls) workbook; "
            "remove the password or save it as .xlsx",
        ),
        (
            "08_really_csv.xlsx",
            "08_really_csv.xlsx: not a readable XLSX workbook (it holds text, CSV?): name it .csv",
        ),
    ],
)
def test_a_file_that_is_not_an_export_is_refused_with_a_message_naming_it(name: str, message: str) -> None:
    with pytest.raises(FileRejected) as raised:
        read_landing_file(BAD / name, "survey")
    assert str(raised.value) == message


def test_a_header_only_file_reads_as_no_rows() -> None:
    assert read_landing_file(BAD / "03_header_only.csv", "survey").frame.height == 0


def test_a_windows_1252_file_reads_with_its_accents() -> None:
    result = read_landing_file(BAD / "04_wrong_encoding.csv", "survey")
    assert result.encoding == "cp1252"
    assert result.frame.select("municipality", "source_row").rows() == [("Súdwest-Fryslân", 2)]


def test_mixed_line_endings_each_end_a_row() -> None:
    rows = _values("05_mixed_line_endings.csv", "response_id", "municipality")
    assert rows == [("m1", "Groningen", 2), ("m2", "Utrecht", 3), ("m3", "Leiden", 4)]


def test_formula_and_sql_text_is_read_as_plain_data() -> None:
    rows = _values("09_formula_injection.csv", "response_id", "municipality", "hardware_eur")
    assert rows == [
        ("f1", '=HYPERLINK("http://x")', "1000", 2),
        ("f2", "Robert'); DROP TABLE core.fct_budget;--", "1000", 3),
        ("f3", "@SUM(A1)", "1000", 4),
        ("f4", "Groningen", "-1+2", 5),
        ("f5", "Utrecht", "1000", 6),
    ]


def test_one_enormous_line_is_refused_naming_its_line(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    cell = "x" * (readers.MAX_FIELD_CHARS + 1)
    path.write_text(f"{HEADER}\nr1,2021-04-05,{cell},2021Q1,1,1,1,1,1,1,1,1,1\n")
    with pytest.raises(FileRejected) as raised:
        read_landing_file(path, "survey")
    assert str(raised.value) == (
        "huge.csv: line 2: a cell longer than 1,000,000 characters; not a survey or budget export"
    )


def test_ten_thousand_columns_are_refused_without_reading_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    extra = ",".join(f"c{i}" for i in range(10_000 - 13))
    path.write_text(f"{HEADER},{extra}\n" + ",".join(["1"] * 10_000) + "\n")
    with pytest.raises(FileRejected) as raised:
        read_landing_file(path, "survey")
    assert str(raised.value) == (
        "wide.csv: 10,000 columns in the header row, more than 2,000; not a survey or budget export"
    )


def _workbook_bytes() -> bytes:
    wb = Workbook()
    wb.active.append(HEADER.split(","))
    wb.active.append(["r1", "2021-04-05", "Groningen", "2021Q1", 1, 1, 1, 1, 1, 1, 1, 1, 1])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_a_zip_bomb_named_xlsx_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (4 * 1024 * 1024))
    with pytest.raises(
        FileRejected, match=r"^bomb\.xlsx: member 'xl/worksheets/sheet1\.xml' unpacks to [0-9,]+ times"
    ):
        read_landing_file(path, "survey")


def test_a_workbook_unpacking_beyond_the_cap_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.xlsx"
    data = _workbook_bytes()
    path.write_bytes(data)
    unpacked = sum(m.file_size for m in zipfile.ZipFile(io.BytesIO(data)).infolist())
    monkeypatch.setattr(readers, "MAX_XLSX_UNPACKED_BYTES", unpacked - 1)
    with pytest.raises(FileRejected) as raised:
        read_landing_file(path, "survey")
    assert (
        str(raised.value) == f"big.xlsx: unpacks to {unpacked:,} bytes, more than the cap of {unpacked - 1:,}"
    )


def test_a_workbook_within_the_caps_reads(tmp_path: Path) -> None:
    path = tmp_path / "ok.xlsx"
    path.write_bytes(_workbook_bytes())
    frame = read_landing_file(path, "survey").frame
    assert frame.select("response_id", "municipality", "source_row").rows() == [("r1", "Groningen", 2)]


def test_a_file_name_with_spaces_and_unicode_reads(tmp_path: Path) -> None:
    path = tmp_path / "uitvraag Súdwest ü 2021 (v2).csv"
    path.write_bytes((BAD / "05_mixed_line_endings.csv").read_bytes())
    assert read_landing_file(path, "survey").frame.height == 3
