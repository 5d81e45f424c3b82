"""Budget readers: Iv3 budget files in, all-text frames out, a bounded chunk at a time.

Budget exports are the large input (hundreds of thousands of lines per quarter, tens of
millions in one national file), so no reader here holds a whole file: `open_budget_file`
reads the header and the file's unit, and `BudgetFile.chunks()` yields the rows in
frames of at most `chunk_rows` rows. Every frame has the canonical budget columns the
file has (text), `source_row` and `_reader_issue`, like `ingest.readers`.

Layouts (docs/budget-ingest.md has every rule):

- long CSV (`;`, `,`, tab or `|`; UTF-8, else Windows-1252 or UTF-16), long XLSX
  (the first visible sheet with a header row) and Parquet: one row per line;
- matrix XLSX, the layout municipalities keep in Excel: one sheet per kind (the sheet's
  name says `begroting` or `realisatie`, and `baten` when it holds baten), taakvelden as
  rows and categorieën as columns; municipality, period and unit in title cells above the
  matrix (`Gemeente` | `GM0363`), else in the file name (`iv3_GM0363_2021Q1.xlsx`);
- Iv3 JSON (`*.json`), CBS's delivery format: checked against CBS's JSON Schema, one row
  per `data.lasten` / `data.baten` element, in thousands of euros; a year-to-date
  delivery yields what its quarter added (`transforms.iv3`). A delivery is read whole
  (deliveries hold one municipality's lines), then handed out in chunks like the rest.

`source_row` is the row a spreadsheet shows: the CSV record (the first being row 1; a
quoted line break does not start a new row), the sheet row, or for Parquet the record
number plus one (the header being row 1).

The unit: a `unit` column decides per row; else a unit in the amount headers
(`Lasten (x € 1.000)`); else a title line above the header (`Bedragen x € 1.000`,
`Eenheid;x1000`); else euros.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from ingest.readers import (
    HEADER_SEARCH_ROWS,
    READER_ISSUE,
    SUPPORTED_SUFFIXES,
    FileRejected,
    check_workbook_container,
    decode,
    header_row_index,
    load_column_aliases,
    map_headers,
    normalize_header,
    sniff_delimiter,
)
from transforms import iv3
from transforms.schema import BUDGET_COLUMNS

# Rows per frame `chunks()` yields: large enough that per-chunk costs vanish, small enough
# that a chunk and its standardized copy stay far below the memory budget.
CHUNK_ROWS = 200_000
# How much of a CSV is read to find its encoding, delimiter, title lines and header.
SAMPLE_BYTES = 1 << 16

# A unit written in thousands of euros, as it appears in headers and title lines:
# `x1000`, `x € 1.000`, `* 1000`, `duizend`, `duizenden euro's`, `keur`, `k€`.
_THOUSANDS = re.compile(r"(?:[x×*]\s*(?:€|eur|euro)?\s*1[.,]?000\b|duizend|\bkeur\b|\bk€)", re.IGNORECASE)
_EUROS = re.compile(r"(?:€|\beuro'?s?\b|\beur\b)", re.IGNORECASE)
# A unit annotation after an amount header: `lasten (x € 1.000)`, `baten in euro`, `lasten x1000`.
_HEADER_UNIT = re.compile(
    r"^(?P<name>.*?)[\s_]*(?:\((?P<a>[^()]*)\)|\bin\s+(?P<b>.+)|(?P<c>[x×*]\s*€?\s*1[.,]?000))$"
)
_AMOUNT_COLUMNS = ("lasten", "baten")


def unit_in_text(text: str | None) -> str | None:
    """`x1000` when the text names thousands of euros, `EUR` when it names euros, else None."""
    if not text:
        return None
    if _THOUSANDS.search(text):
        return "x1000"
    if _EUROS.search(text):
        return "EUR"
    return None


@dataclass
class BudgetFile:
    """One budget file, opened: its layout and unit, and its rows on demand."""

    path: Path
    layout: str  # long | matrix
    columns: list[str]  # canonical columns the frames carry
    decimal: str = "auto"
    file_unit: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    unknown_columns: list[str] = field(default_factory=list)
    sheets: list[str] = field(default_factory=list)
    # An Iv3 JSON delivery: what its metadata says, and (set by the caller before reading)
    # the lines of the delivery whose year-to-date figures this one's quarter adds to.
    delivery: iv3.Delivery | None = None
    previous_lines: pl.DataFrame | None = None
    _chunks: Callable[[int], Iterator[pl.DataFrame]] | None = None
    _fallback: Callable[[int], Iterator[pl.DataFrame]] | None = None

    def chunks(self, chunk_rows: int = CHUNK_ROWS) -> Iterator[pl.DataFrame]:
        """The file's rows, at most `chunk_rows` per frame, in file order.

        Raises `ReadAgain` when the fast CSV reader meets something only the exact
        reader handles (a row longer than the header, an encoding error further down):
        drop what was read of the file and read it again with `exact_chunks`.
        """
        assert self._chunks is not None
        yield from self._chunks(chunk_rows)

    def exact_chunks(self, chunk_rows: int = CHUNK_ROWS) -> Iterator[pl.DataFrame]:
        """The rows through Python's csv module: slower, but any row shape or encoding."""
        reader = self._fallback or self._chunks
        assert reader is not None
        yield from reader(chunk_rows)


class ReadAgain(Exception):
    """The fast reader cannot finish this file; read it again with `exact_chunks`."""


def open_budget_file(path: Path) -> BudgetFile:
    """Detect the file's layout, header and unit; raise `FileRejected` naming the file."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return _open_csv(path)
    if suffix == ".xlsx":
        return _open_xlsx(path)
    if suffix == ".parquet":
        return _open_parquet(path)
    if suffix == ".json":
        return _open_json(path)
    raise FileRejected(f"{path.name}: unsupported file type {suffix!r}")


# --- headers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Header:
    positions: dict[str, list[int]]  # canonical → positions in the header, file order
    unknown: list[str]
    unit: str | None  # the unit the amount headers name, if they do
    width: int  # cells in the header row


def _map_budget_header(path: Path, cells: Sequence[Any]) -> _Header:
    """Header cells → canonical positions; a unit annotation on an amount header is read and cut."""
    aliases = load_column_aliases("budget")
    texts = ["" if c is None else str(c) for c in cells]
    units: dict[str, str] = {}
    cleaned: list[str] = []
    for text in texts:
        name = normalize_header(text)
        match = _HEADER_UNIT.match(name) if name not in aliases else None
        if match and aliases.get(normalize_header(match["name"])) in _AMOUNT_COLUMNS:
            unit = unit_in_text(match["a"] or match["b"] or match["c"])
            if unit is not None:
                units[normalize_header(match["name"])] = unit
                cleaned.append(match["name"])
                continue
        if aliases.get(name) in _AMOUNT_COLUMNS and name.endswith("_eur"):
            units[name] = "EUR"
        cleaned.append(text)
    found = set(units.values())
    if len(found) > 1:
        raise FileRejected(
            f"{path.name}: the amount headers name different units ({', '.join(sorted(found))}); "
            "one file has one unit, or a `unit` column per row"
        )
    headers = map_headers(cleaned, "budget")
    if not headers.columns:
        raise FileRejected(f"{path.name}: no known column in the header row")
    return _Header(headers.columns, headers.unknown, found.pop() if found else None, len(cells))


def _title_unit(rows: Sequence[Sequence[Any]]) -> str | None:
    """The unit a title line above the header names (`Bedragen x € 1.000`, `Eenheid;x1000`)."""
    units = {
        unit_in_text(str(cell)) for row in rows for cell in row if cell is not None and str(cell).strip()
    }
    if "x1000" in units:
        return "x1000"
    return "EUR" if "EUR" in units else None


def _select(header: _Header, column: Callable[[int], pl.Expr]) -> list[pl.Expr]:
    """One text expression per canonical column; of repeated columns the first one filled in."""
    out = []
    for name, positions in header.positions.items():
        cells = [column(p) for p in positions]
        if len(cells) == 1:
            out.append(cells[0].alias(name))
        else:
            filled = [pl.when(c.str.strip_chars() != "").then(c) for c in cells]
            out.append(pl.coalesce(*filled, cells[0]).alias(name))
    return out


def _conflicts(header: _Header, column: Callable[[int], pl.Expr]) -> pl.Expr:
    """`duplicate_column: …` for a row whose repeated columns hold different values, else null."""
    issue = pl.lit(None, dtype=pl.Utf8)
    for name, positions in header.positions.items():
        if len(positions) < 2:
            continue
        cells = [column(p).str.strip_chars() for p in positions]
        differ = pl.lit(False)
        for a, b in itertools.combinations(cells, 2):
            differ = differ | ((a != "") & (b != "") & (a != b)).fill_null(False)
        where = ", ".join(str(p + 1) for p in positions)
        text = f"duplicate_column: {name} appears in columns {where} with different values"
        issue = pl.when(issue.is_null() & differ).then(pl.lit(text)).otherwise(issue)
    return issue


# --- CSV -------------------------------------------------------------------------------

_SEP_LINE = re.compile(r'^"?sep=(.)"?\r?\n', re.IGNORECASE)


def _csv_sample(path: Path) -> tuple[str, str]:
    with path.open("rb") as fh:
        data = fh.read(SAMPLE_BYTES)
        more = fh.read(1) != b""
    if not data.strip():
        raise FileRejected(f"{path.name}: empty file")
    if more and b"\n" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        data = data[: data.rindex(b"\n") + 1]  # whole lines only, so no character is cut
    text, encoding = decode(data, path)
    if not text.strip():
        raise FileRejected(f"{path.name}: empty file")
    return text, encoding


def _open_csv(path: Path) -> BudgetFile:
    sample, encoding = _csv_sample(path)
    sep_line = _SEP_LINE.match(sample)
    skipped_lines = 1 if sep_line else 0
    body = sample[sep_line.end() :] if sep_line else sample
    delimiter = sep_line[1] if sep_line else sniff_delimiter(body, "budget")
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter)
    rows: list[list[str]] = []
    lines_before: list[int] = []  # physical lines before each record
    try:
        for row in itertools.islice(reader, HEADER_SEARCH_ROWS):
            lines_before.append(lines_before[-1] + _lines(rows[-1]) if rows else 0)
            rows.append(row)
    except csv.Error as exc:
        raise FileRejected(f"{path.name}: not a readable CSV ({exc})") from exc
    start = header_row_index(rows, "budget") or 0
    if start >= len(rows):
        raise FileRejected(f"{path.name}: empty file (no header row)")
    header = _map_budget_header(path, rows[start])
    unit = header.unit or _title_unit(rows[:start])
    first_record = skipped_lines + start + 1  # the header's row number
    skip_lines = skipped_lines + lines_before[start] + _lines(rows[start])
    file = BudgetFile(
        path,
        "long",
        list(header.positions),
        file_unit=unit,
        encoding=encoding,
        delimiter=delimiter,
        unknown_columns=header.unknown,
    )

    def exact(chunk_rows: int) -> Iterator[pl.DataFrame]:
        return _csv_exact_chunks(path, encoding, delimiter, header, first_record, chunk_rows)

    if encoding in ("utf-8", "utf-8-sig"):

        def fast(chunk_rows: int) -> Iterator[pl.DataFrame]:
            return _csv_fast_chunks(path, delimiter, header, skip_lines, first_record, chunk_rows)

        file._chunks, file._fallback = fast, exact
    else:
        file._chunks = file._fallback = exact
    return file


def _lines(row: list[str]) -> int:
    """Physical lines a parsed record took: one, plus the line breaks inside its quoted cells."""
    return 1 + sum(cell.count("\n") for cell in row)


def _csv_fast_chunks(
    path: Path, delimiter: str, header: _Header, skip_lines: int, first_record: int, chunk_rows: int
) -> Iterator[pl.DataFrame]:
    """polars' CSV scan, all text, in batches; a row longer than the header stops it (`ReadAgain`).

    A row shorter than the header reads as empty trailing cells (`""`), which the budget
    rules read as nothing booked; a longer one cannot be aligned, so the exact reader
    quarantines it. Record numbers are exact, quoted line breaks included; blank lines
    are skipped as they are in the exact reader.
    """
    names = [f"c{i}" for i in range(header.width)]
    scan = pl.scan_csv(
        path,
        has_header=False,
        separator=delimiter,
        skip_lines=skip_lines,
        schema=dict.fromkeys(names, pl.String),
        empty_string_is_null=False,
        encoding="utf8",
        quote_char='"',
    )

    def cell(position: int) -> pl.Expr:
        return pl.col(names[position])

    blank = pl.all_horizontal([pl.col(n).str.strip_chars() == "" for n in names])
    frames = (
        scan.with_row_index("source_row", offset=first_record + 1)
        .filter(~blank)
        .select(
            *_select(header, cell),
            _conflicts(header, cell).alias(READER_ISSUE),
            pl.col("source_row").cast(pl.Int64),
        )
    )
    try:
        yield from frames.collect_batches(chunk_size=chunk_rows, maintain_order=True)
    except pl.exceptions.PolarsError as exc:
        raise ReadAgain(f"{path.name}: {str(exc).splitlines()[0]}") from exc


def _csv_exact_chunks(
    path: Path, encoding: str, delimiter: str, header: _Header, first_record: int, chunk_rows: int
) -> Iterator[pl.DataFrame]:
    """Python's csv module, row by row: any encoding, and a reason for rows it cannot align."""
    text_encoding = "utf-8-sig" if encoding in ("utf-8", "utf-8-sig") else encoding
    errors = "replace" if encoding == "cp1252" else "strict"
    named = max((p + 1 for ps in header.positions.values() for p in ps), default=0)
    with path.open("r", encoding=text_encoding, errors=errors, newline="") as fh:
        records = csv.reader(fh, delimiter=delimiter)
        # Past the header: it is record `first_record` (a `sep=` line and title rows count).
        for _ in range(first_record):
            next(records, None)
        rows: list[list[str]] = []
        numbers: list[int] = []
        try:
            for number, row in enumerate(records, start=first_record + 1):
                if not any(cell.strip() for cell in row):
                    continue
                rows.append(row)
                numbers.append(number)
                if len(rows) >= chunk_rows:
                    yield _rows_frame(rows, numbers, header, named)
                    rows, numbers = [], []
        except (csv.Error, UnicodeDecodeError) as exc:
            raise FileRejected(f"{path.name}: not a readable CSV ({exc})") from exc
        if rows:
            yield _rows_frame(rows, numbers, header, named)


def _rows_frame(rows: list[list[str]], numbers: list[int], header: _Header, named: int) -> pl.DataFrame:
    """Rows of cells → the canonical text frame; a row longer than the header gets a reason, no values."""
    values: dict[str, list[str | None]] = {name: [] for name in header.positions}
    issues: list[str | None] = []
    for row in rows:
        filled = max((i + 1 for i, c in enumerate(row) if c.strip()), default=0)
        issue = (
            f"row_shape: {filled} cells in the row, {header.width} in the header"
            if filled > max(header.width, named)
            else None
        )
        for name, positions in header.positions.items():
            cells = [row[p] if p < len(row) else "" for p in positions]
            chosen = next((c for c in cells if c.strip()), cells[0])
            values[name].append(None if issue else chosen)
        if issue is None:
            issue = _row_conflict(row, header)
        issues.append(issue)
    frame = pl.DataFrame(
        {
            **{name: pl.Series(name, v, dtype=pl.Utf8) for name, v in values.items()},
            READER_ISSUE: pl.Series(READER_ISSUE, issues, dtype=pl.Utf8),
            "source_row": pl.Series("source_row", numbers, dtype=pl.Int64),
        }
    )
    return frame


def _row_conflict(row: list[str], header: _Header) -> str | None:
    for name, positions in header.positions.items():
        if len(positions) > 1:
            filled = {row[p].strip() for p in positions if p < len(row) and row[p].strip()}
            if len(filled) > 1:
                where = ", ".join(str(p + 1) for p in positions)
                return f"duplicate_column: {name} appears in columns {where} with different values"
    return None


# --- Parquet ---------------------------------------------------------------------------


def _parquet_text(column: str, dtype: pl.DataType) -> pl.Expr:
    """A Parquet column as text; numbers written plainly with a decimal point, never as 1e-05."""
    col = pl.col(column)
    if dtype.is_float():
        return col.cast(pl.Decimal(38, 9), strict=False).cast(pl.Utf8).str.replace(r"\.?0+$", "")
    if dtype.is_decimal():
        text = col.cast(pl.Utf8)
        return pl.when(text.str.contains(r"\.")).then(text.str.replace(r"\.?0+$", "")).otherwise(text)
    return col.cast(pl.Utf8)


def _open_parquet(path: Path) -> BudgetFile:
    try:
        scan = pl.scan_parquet(path)
        schema = scan.collect_schema()
    except Exception as exc:
        raise FileRejected(f"{path.name}: not a readable Parquet file ({exc})") from exc
    names = list(schema.names())
    header = _map_budget_header(path, names)
    numeric_amounts = all(
        schema[names[p]].is_numeric() for c in _AMOUNT_COLUMNS for p in header.positions.get(c, [])
    )

    def column(position: int) -> pl.Expr:
        return _parquet_text(names[position], schema[names[position]])

    frames = scan.with_row_index("source_row", offset=2).select(
        *_select(header, column),
        _conflicts(header, column).alias(READER_ISSUE),
        pl.col("source_row").cast(pl.Int64),
    )

    def chunks(chunk_rows: int) -> Iterator[pl.DataFrame]:
        try:
            yield from frames.collect_batches(chunk_size=chunk_rows, maintain_order=True)
        except pl.exceptions.PolarsError as exc:
            raise FileRejected(f"{path.name}: not a readable Parquet file ({exc})") from exc

    return BudgetFile(
        path,
        "long",
        list(header.positions),
        # Numbers in a numeric column are written with a decimal point; text cells may be Dutch.
        decimal="." if numeric_amounts else "auto",
        file_unit=header.unit,
        unknown_columns=header.unknown,
        _chunks=chunks,
    )


# --- Iv3 JSON ---------------------------------------------------------------------------

# The files the budget path reads: the shared table layouts and CBS's Iv3 JSON.
BUDGET_SUFFIXES = (*SUPPORTED_SUFFIXES, ".json")
IV3_JSON_COLUMNS = ["municipality", "period", "taakveld", "categorie", "kind", "lasten", "baten"]


def read_iv3_document(path: Path) -> dict[str, Any]:
    """A delivery's JSON, checked against CBS's JSON Schema; `FileRejected` names each fault.

    Numbers are read as exact decimals. The message names the CBS code (fouten.json) and
    the JSON path of each fault, never a value found (`contact` holds personal data).
    """
    try:
        document = json.loads(path.read_bytes().decode("utf-8-sig"), parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise FileRejected(
            f"{path.name}: not an Iv3 JSON delivery: SF999 the file is not UTF-8 JSON{where}"
        ) from None
    faults = iv3.structure_faults(document)
    if faults:
        texts = iv3.error_texts()
        shown = "; ".join(f"{fault} ({texts.get(fault.code, 'CBS error')})" for fault in faults[:5])
        more = f"; and {len(faults) - 5} more" if len(faults) > 5 else ""
        raise FileRejected(
            f"{path.name}: not a valid Iv3 delivery (CBS JSON Schema {iv3.SCHEMA_FILE}): {shown}{more}"
        )
    return dict(document)


def read_iv3_delivery(path: Path) -> tuple[iv3.Delivery, pl.DataFrame]:
    """A delivery's metadata and its lasten and baten lines (`transforms.iv3.LINE_SCHEMA`)."""
    document = read_iv3_document(path)
    try:
        delivery = iv3.delivery_of(document)
    except iv3.Iv3Error as exc:
        raise FileRejected(f"{path.name}: {exc}") from None
    return delivery, iv3.delivery_lines(document)


def iv3_delivery_key(path: Path) -> tuple[str, int, int] | None:
    """Who and when a delivery says it is (overheidsnummer, boekjaar, periode), from its metadata alone.

    A quick look, without CBS's JSON Schema: to find which file of a folder to read in full
    (`read_iv3_delivery`, which still judges it). None when the metadata cannot be read.
    """
    try:
        document = json.loads(path.read_bytes().decode("utf-8-sig"), parse_float=Decimal)
        delivery = iv3.delivery_of(document)
    except (OSError, ValueError, KeyError, TypeError, iv3.Iv3Error):
        return None
    return delivery.overheidsnummer, delivery.boekjaar, delivery.periode


def _open_json(path: Path) -> BudgetFile:
    delivery, lines = read_iv3_delivery(path)
    file = BudgetFile(
        path, "iv3json", list(IV3_JSON_COLUMNS), decimal=".", file_unit=iv3.UNIT, delivery=delivery
    )

    def chunks(chunk_rows: int) -> Iterator[pl.DataFrame]:
        added = lines
        if iv3.previous_periode(delivery.periode) is not None:
            if file.previous_lines is None:
                raise FileRejected(
                    f"{path.name}: periode {delivery.periode} is year-to-date; the delivery of periode "
                    f"{iv3.previous_periode(delivery.periode)} it adds to was not given"
                )
            added = iv3.quarter_added(lines, file.previous_lines)
        frame = added.select(
            pl.lit(delivery.overheidsnummer).alias("municipality"),
            pl.lit(str(delivery.quarter)).alias("period"),
            "taakveld",
            "categorie",
            pl.lit(delivery.kind).alias("kind"),
            pl.when(pl.col("side") == "lasten").then(pl.col("amount")).alias("lasten"),
            pl.when(pl.col("side") == "baten").then(pl.col("amount")).alias("baten"),
            pl.lit(None, dtype=pl.Utf8).alias(READER_ISSUE),
            pl.col("line").alias("source_row"),
        )
        for start in range(0, frame.height, chunk_rows):
            yield frame.slice(start, chunk_rows)

    file._chunks = chunks
    return file


# --- XLSX ------------------------------------------------------------------------------

# A categorie code as a matrix column header: `3.2`, `3.4.1`, `L3.2`, `B 4.3.1`.
_CATEGORIE_HEADER = re.compile(r"^(?P<side>[LlBb])?\s*(?P<code>[0-9]\.[0-9](?:\.[0-9])?)$")
# A taakveld code at the start of a matrix row's label: `0.4`, `6.71a`, `0.4 Overhead`.
_TAAKVELD_LABEL = re.compile(r"^(?P<code>[0-9]\.[0-9]{1,2}[a-z]?)(?:\s+.*)?$")
_KIND_WORDS = {
    "begroting": "begroting",
    "begr": "begroting",
    "budget": "begroting",
    "realisatie": "realisatie",
    "real": "realisatie",
    "rekening": "realisatie",
    "actuals": "realisatie",
}
_SHEET_WORDS = re.compile(r"[a-zà-ÿ]+")
_FILE_MUNICIPALITY = re.compile(r"(?i)(?<![a-z0-9])gm[-_ ]?([0-9]{4})(?![0-9])")
_FILE_QUARTER = re.compile(r"(?i)(?<![0-9])((?:19|20)[0-9]{2})[-_ ]?[qk]([1-4])(?![0-9])")
_TITLE_LABELS = ("municipality", "period", "year", "quarter", "unit")


def _cell_text(value: Any) -> str | None:
    """A spreadsheet cell as text: numbers plainly (`1234.5`, `0.00001`), `1.2340` for 1.234.

    A number with exactly three decimals gets a trailing zero so the `auto` decimal rule
    does not take its point for a thousands separator.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = format(Decimal(repr(value)), "f")
        text = text.rstrip("0").rstrip(".") if "." in text else text
        return text + "0" if re.fullmatch(r"-?[0-9]+\.[0-9]{3}", text) else text
    return str(value)


def _sheet_kind(name: str) -> tuple[str | None, str]:
    """The kind (begroting/realisatie) and side (lasten/baten) a sheet's name gives."""
    words = _SHEET_WORDS.findall(name.casefold())
    kinds = {_KIND_WORDS[w] for w in words if w in _KIND_WORDS}
    side = "baten" if "baten" in words else "lasten"
    return (kinds.pop() if len(kinds) == 1 else None), side


def _open_xlsx(path: Path) -> BudgetFile:
    import openpyxl

    # Password-protected workbooks, CSV in disguise and zip bombs are refused before opening.
    check_workbook_container(path)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise FileRejected(f"{path.name}: not a readable XLSX workbook ({exc})") from exc
    try:
        sheets = [ws for ws in workbook.worksheets if ws.sheet_state == "visible"]
        heads = {
            ws.title: [list(r) for r in ws.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True)]
            for ws in sheets
        }
    finally:
        workbook.close()
    for ws in sheets:
        rows = [[_cell_text(c) for c in row] for row in heads[ws.title]]
        start = _long_header_index(rows)
        if start is not None:
            return _long_xlsx(path, ws.title, rows, start)
    matrices = [ws.title for ws in sheets if _sheet_kind(ws.title)[0] is not None]
    if matrices:
        return _matrix_xlsx(path, matrices)
    names = ", ".join(repr(ws.title) for ws in sheets)
    raise FileRejected(
        f"{path.name}: no sheet has a header row with known columns, and no sheet is named after a "
        f"kind (begroting, realisatie) for the matrix layout (sheets: {names})"
    )


def _long_header_index(rows: list[list[str | None]]) -> int | None:
    """The first row that reads as a long header and names both `taakveld` and `categorie`.

    Both, because a matrix sheet's title cells (`Gemeente` | `GM0014` | `Periode` | ...)
    may look like a header of known names, but a matrix has no `categorie` column.
    """
    aliases = load_column_aliases("budget")
    start = header_row_index(rows, "budget")
    if start is None:
        return None
    for index, row in enumerate(rows[start:HEADER_SEARCH_ROWS], start=start):
        names = {aliases.get(normalize_header(c)) for c in row if c is not None}
        if {"taakveld", "categorie"} <= names:
            return index
    return None


def _long_xlsx(path: Path, sheet: str, head: list[list[str | None]], start: int) -> BudgetFile:
    header = _map_budget_header(path, head[start])
    unit = header.unit or _title_unit(head[:start])

    def chunks(chunk_rows: int) -> Iterator[pl.DataFrame]:
        import openpyxl

        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            ws = workbook[sheet]
            rows: list[list[str]] = []
            numbers: list[int] = []
            width = max(header.width, 1)
            for number, row in enumerate(ws.iter_rows(min_row=start + 2, values_only=True), start=start + 2):
                cells = [_cell_text(c) or "" for c in row]
                if not any(c.strip() for c in cells):
                    continue
                rows.append(cells)
                numbers.append(number)
                if len(rows) >= chunk_rows:
                    yield _rows_frame(rows, numbers, header, width)
                    rows, numbers = [], []
            if rows:
                yield _rows_frame(rows, numbers, header, width)
        finally:
            workbook.close()

    return BudgetFile(
        path,
        "long",
        list(header.positions),
        file_unit=unit,
        unknown_columns=header.unknown,
        sheets=[sheet],
        _chunks=chunks,
    )


@dataclass
class _Cell:
    taakveld: str
    categorie: str
    kind: str
    side: str
    value: str
    row: int


def _matrix_xlsx(path: Path, sheet_names: list[str]) -> BudgetFile:
    """Read every kind sheet's matrix into long rows (matrices are small: a workbook at a time)."""
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheets = {
            name: [[_cell_text(c) for c in row] for row in workbook[name].iter_rows(values_only=True)]
            for name in sheet_names
        }
    finally:
        workbook.close()
    title: dict[str, str] = {}
    cells: list[_Cell] = []
    unknown: list[str] = []
    used: list[str] = []
    units: set[str] = set()
    for name, rows in sheets.items():
        kind, side = _sheet_kind(name)
        assert kind is not None
        found = _matrix_header(rows)
        if found is None:
            unknown.append(f"(sheet {name!r}: no row of categorie codes)")
            continue
        used.append(name)
        header_index, taakveld_column, categories = found
        for label, text in _title_cells(rows[:header_index]).items():
            if title.setdefault(label, text) != text:
                raise FileRejected(
                    f"{path.name}: sheets disagree on the {label} "
                    f"({title[label]!r}, {text!r} on sheet {name!r})"
                )
        unit = _title_unit(rows[:header_index])
        if unit:
            units.add(unit)
        for number, row in enumerate(rows[header_index + 1 :], start=header_index + 2):
            cell = row[taakveld_column] if taakveld_column < len(row) else None
            match = _TAAKVELD_LABEL.match((cell or "").strip())
            if match is None:
                continue  # totals, notes and blank rows carry no line
            for position, (column_side, categorie) in categories.items():
                value = row[position] if position < len(row) else None
                if value is None or not str(value).strip():
                    continue
                cells.append(_Cell(match["code"], categorie, kind, column_side or side, str(value), number))
    if not used:
        raise FileRejected(
            f"{path.name}: no kind sheet has a row of categorie codes (sheets: {', '.join(sheet_names)})"
        )
    if "unit" in title:
        units = {unit_in_text(title["unit"]) or title["unit"]}
    if len(units) > 1:
        raise FileRejected(f"{path.name}: sheets name different units ({', '.join(sorted(units))})")
    from_name = _from_file_name(path)
    context = {**from_name, **{k: v for k, v in title.items() if k != "unit"}}
    if "period" in context and ("year" in context or "quarter" in context) and "period" not in title:
        context.pop("period")
    frame = _matrix_frame(cells, context)
    columns = [c for c in BUDGET_COLUMNS if c in frame.columns]
    rows_out = frame

    def chunks(chunk_rows: int) -> Iterator[pl.DataFrame]:
        yield from rows_out.iter_slices(chunk_rows)

    return BudgetFile(
        path,
        "matrix",
        columns,
        file_unit=units.pop() if units else None,
        unknown_columns=unknown,
        sheets=used,
        _chunks=chunks,
    )


def _matrix_header(rows: list[list[str | None]]) -> tuple[int, int, dict[int, tuple[str | None, str]]] | None:
    """The row of categorie codes: its index, the taakveld column, and each code column's side and code."""
    aliases = load_column_aliases("budget")
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        categories: dict[int, tuple[str | None, str]] = {}
        for position, cell in enumerate(row):
            match = _CATEGORIE_HEADER.match((cell or "").strip())
            if match:
                side = match["side"]
                categories[position] = (
                    {"l": "lasten", "b": "baten"}[side.lower()] if side else None,
                    match["code"],
                )
        first_code = min(categories, default=0)
        labelled = [
            p
            for p, c in enumerate(row[:first_code])
            if c is not None and aliases.get(normalize_header(c)) == "taakveld"
        ]
        # Two codes, or one under a `taakveld` label: a title such as `Versie | 1.2` is no header.
        if first_code == 0 or not (len(categories) >= 2 or labelled):
            continue
        taakveld_column = labelled[0] if labelled else 0
        return index, taakveld_column, categories
    return None


def _title_cells(rows: list[list[str | None]]) -> dict[str, str]:
    """Labelled values above a matrix: `Gemeente` | `GM0363`, or `Periode: 2021Q1` in one cell."""
    aliases = load_column_aliases("budget")
    found: dict[str, str] = {}
    for row in rows:
        filled = [c.strip() for c in row if c is not None and c.strip()]
        for i, cell in enumerate(filled):
            label, _, rest = cell.partition(":")
            canonical = aliases.get(normalize_header(label))
            if canonical not in _TITLE_LABELS:
                continue
            value = rest.strip() or (filled[i + 1] if i + 1 < len(filled) else "")
            if value:
                found.setdefault(canonical, value)
    return found


def _from_file_name(path: Path) -> dict[str, str]:
    """Municipality code and quarter from the file name: `iv3_GM0363_2021Q1.xlsx`."""
    found: dict[str, str] = {}
    municipality = _FILE_MUNICIPALITY.search(path.stem)
    if municipality:
        found["municipality"] = f"GM{municipality[1]}"
    quarter = _FILE_QUARTER.search(path.stem)
    if quarter:
        found["period"] = f"{quarter[1]}Q{quarter[2]}"
    return found


def _matrix_frame(cells: list[_Cell], context: dict[str, str]) -> pl.DataFrame:
    """Matrix cells → long rows: one per taakveld × categorie × kind, lasten and baten side by side.

    A pair on both a lasten and a baten sheet becomes one row (its source_row is the
    lasten cell's row); the side without a cell is empty, which reads as nothing booked.
    A pair repeated on one side (the same taakveld twice) keeps a row per cell.
    """
    schema = {
        "taakveld": pl.Utf8,
        "categorie": pl.Utf8,
        "kind": pl.Utf8,
        "side": pl.Utf8,
        "value": pl.Utf8,
        "source_row": pl.Int64,
    }
    long = pl.DataFrame(
        [(c.taakveld, c.categorie, c.kind, c.side, c.value, c.row) for c in cells],
        schema=schema,
        orient="row",
    ).with_row_index("order")
    keys = ["taakveld", "categorie", "kind"]
    long = long.with_columns(pl.int_range(pl.len()).over([*keys, "side"]).alias("repeat"))
    lasten = long.filter(pl.col("side") == "lasten").drop("side").rename({"value": "lasten"})
    baten = long.filter(pl.col("side") == "baten").drop("side").rename({"value": "baten"})
    joined = lasten.join(baten, on=[*keys, "repeat"], how="full", coalesce=True, suffix="_baten")
    frame = (
        joined.with_columns(
            pl.coalesce("source_row", "source_row_baten").alias("source_row"),
            pl.min_horizontal("order", "order_baten").alias("order"),
        )
        .sort("order")
        .select(
            *[pl.lit(v, dtype=pl.Utf8).alias(k) for k, v in sorted(context.items())],
            *keys,
            pl.col("lasten").fill_null(""),
            pl.col("baten").fill_null(""),
            pl.lit(None, dtype=pl.Utf8).alias(READER_ISSUE),
            pl.col("source_row").cast(pl.Int64),
        )
    )
    return frame
