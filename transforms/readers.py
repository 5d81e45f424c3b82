"""Readers: the I/O edge of ingest. One landing file in, one all-text frame out.

Every reader returns the file's rows with canonical column names (through the
alias mapping files in `transforms/mappings/`), every value as text, and the
row's position in the file (`source_row`: the line a spreadsheet would show,
the header being row 1). Personal columns are dropped here, before anything is
stored or logged; unknown columns are dropped too and only their header names
are reported.
"""

from __future__ import annotations

import csv
import hashlib
import io
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import polars as pl

from transforms.schema import PERSONAL_COLUMNS

SUPPORTED_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".parquet")


class FileRejected(Exception):
    """The whole file cannot be loaded: nothing of it goes further."""


@dataclass
class ReadResult:
    path: Path
    frame: pl.DataFrame  # canonical columns (Utf8) + source_row (Int64)
    encoding: str | None = None
    delimiter: str | None = None
    decimal: str = "auto"
    unknown_columns: list[str] = field(default_factory=list)
    dropped_personal: list[str] = field(default_factory=list)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def normalize_header(text: str) -> str:
    """Case-fold, strip BOM/quotes/whitespace and collapse inner spaces."""
    text = unicodedata.normalize("NFKC", str(text)).replace("\ufeff", "")
    return " ".join(text.strip().strip('"').strip().lower().split())


@cache
def load_aliases(source: str) -> dict[str, str]:
    """alias → canonical column, from `mappings/<source>_columns.csv` (a data engineer edits it)."""
    text = resources.files("transforms").joinpath(f"mappings/{source}_columns.csv").read_text("utf-8")
    rows = csv.DictReader(io.StringIO(text))
    return {normalize_header(row["alias"]): row["canonical"].strip() for row in rows}


TEST_RESPONDENT_NAMES = frozenset({"test", "testrespondent", "test test", "tester", "preview"})


def map_headers(headers: list[str], source: str) -> tuple[dict[int, str], list[str], dict[int, str]]:
    """Column position → canonical name; unknown headers; personal columns (dropped)."""
    aliases = load_aliases(source)
    mapping: dict[int, str] = {}
    unknown: list[str] = []
    personal: dict[int, str] = {}
    for position, header in enumerate(headers):
        canonical = aliases.get(normalize_header(header))
        if canonical in PERSONAL_COLUMNS:
            personal[position] = canonical
        elif canonical is None or canonical in mapping.values():
            if normalize_header(header):
                unknown.append(str(header).strip())
        else:
            mapping[position] = canonical
    return mapping, unknown, personal


def decode(data: bytes, path: Path) -> tuple[str, str]:
    """Text and encoding name: UTF-8 (with or without BOM) or else Windows-1252."""
    if b"\x00" in data[:65536]:
        raise FileRejected(f"{path.name}: contains NUL bytes; not a text export")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (";", ",", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _frame_from_rows(
    path: Path, rows: list[list[str | None]], first_row: int, source: str
) -> tuple[pl.DataFrame, list[str], list[str]]:
    if not rows:
        raise FileRejected(f"{path.name}: empty file (no header row)")
    header, body = rows[0], rows[1:]
    mapping, unknown, personal = map_headers([h or "" for h in header], source)
    if not mapping:
        raise FileRejected(f"{path.name}: no known column in the header row")
    columns: dict[str, list[str | None]] = {name: [] for name in mapping.values()}
    # The only thing kept of a respondent's name: whether it marks a test response.
    name_position = next((p for p, c in personal.items() if c == "respondent_name"), None)
    if name_position is not None:
        columns["respondent_is_test"] = []
    source_rows: list[int] = []
    for offset, row in enumerate(body, start=1):
        cells = ["" if cell is None else str(cell) for cell in row]
        if not any(cell.strip() for cell in cells):
            continue  # blank separator rows carry no data
        for position, name in mapping.items():
            value = cells[position] if position < len(cells) else None
            columns[name].append(value)
        if name_position is not None:
            name = cells[name_position] if name_position < len(cells) else ""
            is_test = normalize_header(name) in TEST_RESPONDENT_NAMES
            columns["respondent_is_test"].append("true" if is_test else "false")
        source_rows.append(first_row + offset)
    frame = pl.DataFrame(
        {
            **{k: pl.Series(k, v, dtype=pl.Utf8) for k, v in columns.items()},
            "source_row": pl.Series("source_row", source_rows, dtype=pl.Int64),
        }
    )
    return frame, unknown, personal


def read_csv_file(path: Path, source: str) -> ReadResult:
    data = path.read_bytes()
    if not data.strip():
        raise FileRejected(f"{path.name}: empty file")
    text, encoding = decode(data, path)
    first_line = text.split("\n", 1)[0]
    delimiter = sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows: list[list[str | None]] = list(reader)
    except csv.Error as exc:
        raise FileRejected(f"{path.name}: not a readable CSV ({exc})") from exc
    frame, unknown, personal = _frame_from_rows(path, rows, first_row=1, source=source)
    decimal = "," if delimiter == ";" else "auto"
    return ReadResult(path, frame, encoding, delimiter, decimal, unknown, sorted(personal.values()))


def _header_row_index(rows: list[list[str | None]], source: str) -> int:
    """The first row where most filled cells are known headers (title rows sit above it)."""
    aliases = load_aliases(source)
    for index, row in enumerate(rows[:50]):
        cells = [normalize_header(c) for c in row if c is not None and str(c).strip()]
        if cells and sum(c in aliases for c in cells) >= max(2, len(cells) // 2):
            return index
    return 0


def read_xlsx_file(path: Path, source: str, *, sheet: str | int = 0) -> ReadResult:
    try:
        raw = pl.read_excel(
            path,
            sheet_id=sheet + 1 if isinstance(sheet, int) else None,
            sheet_name=sheet if isinstance(sheet, str) else None,
            has_header=False,
            infer_schema_length=0,
        )
    except Exception as exc:  # calamine raises its own error types
        raise FileRejected(f"{path.name}: not a readable XLSX workbook ({exc})") from exc
    rows = [list(r) for r in raw.cast(pl.Utf8).iter_rows()]
    start = _header_row_index(rows, source)
    frame, unknown, personal = _frame_from_rows(path, rows[start:], first_row=start + 1, source=source)
    return ReadResult(path, frame, None, None, "auto", unknown, personal)


def read_parquet_file(path: Path, source: str) -> ReadResult:
    try:
        table = pl.read_parquet(path)
    except Exception as exc:
        raise FileRejected(f"{path.name}: not a readable Parquet file ({exc})") from exc
    mapping, unknown, personal = map_headers(table.columns, source)
    selected = [pl.col(table.columns[i]).cast(pl.Utf8).alias(name) for i, name in mapping.items()]
    for position, canonical in personal.items():
        if canonical == "respondent_name":
            name = pl.col(table.columns[position]).cast(pl.Utf8).str.strip_chars().str.to_lowercase()
            selected.append(
                pl.when(name.is_in(list(TEST_RESPONDENT_NAMES)))
                .then(pl.lit("true"))
                .otherwise(pl.lit("false"))
                .alias("respondent_is_test")
            )
    frame = table.select(selected).with_row_index("source_row", offset=2)
    frame = frame.with_columns(pl.col("source_row").cast(pl.Int64))
    return ReadResult(path, frame, None, None, ".", unknown, sorted(personal.values()))


def read_landing_file(path: Path, source: str) -> ReadResult:
    """Dispatch on the file's suffix; raise `FileRejected` with a message naming the file."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return read_xlsx_file(path, source)
    if suffix == ".parquet":
        return read_parquet_file(path, source)
    if suffix in (".csv", ".txt", ".tsv"):
        return read_csv_file(path, source)
    raise FileRejected(f"{path.name}: unsupported file type {suffix!r}")
