"""Readers: the I/O edge of ingest. One landing file in, one all-text frame out.

Every reader returns the file's rows with canonical column names (through the
alias mapping files in `transforms/mappings/`), every value as text, and the
row's position in the file (`source_row`: the row a spreadsheet would show,
the first line or record being row 1). Personal columns are dropped here,
before anything is stored or logged; unknown columns are dropped too and only
their header names are reported. See docs/survey-ingest.md for every rule.

A row the reader cannot align with the header gets a reason in `_reader_issue`
and no values at all (its cells may be free text that slid into other columns);
the pipeline quarantines it with that reason alone.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import re
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import polars as pl

from transforms.parse import DecimalMode
from transforms.schema import BUDGET_COLUMNS, PERSONAL_COLUMNS, SURVEY_COLUMNS

SUPPORTED_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".parquet")
# The reader's reason for a row it could not align; never a value column.
READER_ISSUE = "_reader_issue"
DELIMITERS = (";", ",", "\t", "|")
# How far down a sheet or CSV the header row is looked for (title rows sit above it).
HEADER_SEARCH_ROWS = 50
# Rows directly under the header that may repeat it (question texts, a tool's import ids).
HEADER_CONTINUATION_ROWS = 2
# Limits that keep a hostile file from exhausting memory or time (docs/operations.md).
MAX_FIELD_CHARS = 1_000_000  # one CSV cell; a longer one is not an export
MAX_COLUMNS = 2_000  # cells in a header row
MAX_XLSX_UNPACKED_BYTES = 200 * 1024 * 1024  # a workbook's members, decompressed, together
MAX_XLSX_RATIO = 200  # decompressed / compressed size of one member (zip bomb)


class FileRejected(Exception):
    """The whole file cannot be loaded: nothing of it goes further."""


@dataclass
class ReadResult:
    path: Path
    frame: pl.DataFrame  # canonical columns (Utf8), `_reader_issue` (Utf8) and source_row (Int64)
    encoding: str | None = None
    delimiter: str | None = None
    decimal: DecimalMode = "auto"
    unknown_columns: list[str] = field(default_factory=list)
    dropped_personal: list[str] = field(default_factory=list)
    sheet: str | None = None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_HEADER_DECORATION = re.compile(r"[\s:?*]+$")


def normalize_header(text: str) -> str:
    """Case-fold, strip BOM/quotes/whitespace, collapse inner spaces, drop a trailing `:`, `?`, `*`."""
    text = unicodedata.normalize("NFKC", str(text)).replace("\ufeff", "")
    text = " ".join(text.strip().strip('"').strip().lower().split())
    return _HEADER_DECORATION.sub("", text)


CANONICAL_COLUMNS: dict[str, frozenset[str]] = {
    "survey": frozenset((*SURVEY_COLUMNS, *PERSONAL_COLUMNS)),
    "budget": frozenset(BUDGET_COLUMNS),
}


@cache
def load_column_aliases(source: str) -> dict[str, str]:
    """alias → canonical column, from `mappings/<source>_columns.csv` (a data engineer edits it)."""
    text = resources.files("transforms").joinpath(f"mappings/{source}_columns.csv").read_text("utf-8")
    return parse_aliases(text, source)


def parse_aliases(text: str, source: str) -> dict[str, str]:
    """The alias table in `text` (CSV with columns `alias`, `canonical`).

    Lines starting with `#` are comments. Aliases are compared after `normalize_header`.
    A canonical name the pipeline does not know, or one alias mapped to two columns,
    raises `ValueError` naming the alias, so a typo in the file fails loudly.
    """
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    known = CANONICAL_COLUMNS.get(source)
    aliases: dict[str, str] = {}
    for row in csv.DictReader(lines):
        alias, canonical = normalize_header(row["alias"] or ""), (row["canonical"] or "").strip()
        where = f"mappings/{source}_columns.csv, alias {row['alias']!r}"
        if not alias:
            continue
        if known is not None and canonical not in known:
            raise ValueError(f"{where}: unknown canonical column {canonical!r}")
        if aliases.get(alias, canonical) != canonical:
            raise ValueError(f"{where}: mapped to both {aliases[alias]!r} and {canonical!r}")
        aliases[alias] = canonical
    return aliases


@cache
def load_sheet_names(source: str) -> tuple[str, ...]:
    """Preferred sheet names, from `mappings/<source>_sheets.csv` when it exists (case-folded)."""
    resource = resources.files("transforms").joinpath(f"mappings/{source}_sheets.csv")
    if not resource.is_file():
        return ()
    rows = csv.DictReader(io.StringIO(resource.read_text("utf-8")))
    return tuple(row["sheet"].strip().casefold() for row in rows if row["sheet"].strip())


# Any one of these words in a respondent's name marks a test response: `Test`, `test test`,
# `TEST - niet meetellen`, `Preview`; but not `Testerink`.
TEST_NAME_WORDS = ("test", "tester", "testrespondent", "testpersoon", "testgebruiker", "preview", "dummy")
TEST_NAME_PATTERN = rf"(?i)\b(?:{'|'.join(TEST_NAME_WORDS)})\b"


def is_test_name(name: str) -> bool:
    """True when the name holds one of `TEST_NAME_WORDS` as a word."""
    return re.search(TEST_NAME_PATTERN, name) is not None


@dataclass(frozen=True)
class HeaderMap:
    """Where each canonical column sits in the file's header."""

    columns: dict[str, list[int]]  # canonical → positions, in file order
    personal: dict[int, str]  # position → personal canonical column (dropped)
    unknown: list[str]  # header names no alias matches (dropped)
    width: int  # one past the last column holding a canonical (non-personal) value
    named: int  # one past the last column with a header


def map_headers(headers: Sequence[str | None], source: str) -> HeaderMap:
    """Column positions of every canonical, personal and unknown header."""
    aliases = load_column_aliases(source)
    columns: dict[str, list[int]] = {}
    personal: dict[int, str] = {}
    unknown: list[str] = []
    for position, header in enumerate(headers):
        text = "" if header is None else str(header)
        canonical = aliases.get(normalize_header(text))
        if canonical in PERSONAL_COLUMNS:
            personal[position] = canonical
        elif canonical is not None:
            columns.setdefault(canonical, []).append(position)
        elif normalize_header(text):
            unknown.append(" ".join(text.split()))
    named = max((p + 1 for p, h in enumerate(headers) if h is not None and str(h).strip()), default=0)
    unnamed = [p for p in range(named) if headers[p] is None or not str(headers[p]).strip()]
    unknown.extend(f"(column {p + 1}, no header)" for p in unnamed)
    width = max((p for positions in columns.values() for p in positions), default=-1) + 1
    return HeaderMap(columns, personal, unknown, width, named)


def _known_count(row: Sequence[str | None], aliases: dict[str, str]) -> tuple[int, int]:
    cells = [normalize_header(c) for c in row if c is not None and str(c).strip()]
    return sum(c in aliases for c in cells), len(cells)


def _is_header_like(row: Sequence[str | None], aliases: dict[str, str]) -> bool:
    known, filled = _known_count(row, aliases)
    return known >= 3 or (known >= 2 and known * 2 >= filled)


def header_row_index(rows: Sequence[Sequence[str | None]], source: str) -> int | None:
    """The first row that reads as a header (title rows sit above it), or None.

    A header row has at least three known headers, or two that are at least half
    of its filled cells.
    """
    aliases = load_column_aliases(source)
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if _is_header_like(row, aliases):
            return index
    return None


_IMPORT_ID = re.compile(r'^\{\s*"importid"\s*:')


def _header_continuation_rows(rows: Sequence[Sequence[str | None]], source: str) -> int:
    """How many of `rows` (those right under the header) still belong to the header.

    A row of a tool's import ids (`{"ImportId": "QID1"}` in most cells) ends the header,
    together with any row between it and the header (the question texts under their
    codes); so does a row whose filled cells are mostly known headers.
    """
    aliases = load_column_aliases(source)
    count = 0
    for index, row in enumerate(rows):
        cells = [normalize_header(c) for c in row if c is not None and str(c).strip()]
        if cells and sum(bool(_IMPORT_ID.match(c)) for c in cells) * 2 >= len(cells):
            return index + 1
        if cells and count == index and sum(c in aliases for c in cells) * 2 >= len(cells):
            count += 1
    return count


def _frame_from_rows(
    path: Path, rows: Sequence[Sequence[str | None]], first_row: int, source: str
) -> tuple[pl.DataFrame, HeaderMap]:
    """Rows of text cells, the first being the header, to the canonical frame.

    `first_row` is the file's row number of the header row.
    """
    if not rows:
        raise FileRejected(f"{path.name}: empty file (no header row)")
    header = rows[0]
    headers = map_headers(header, source)
    if not headers.columns:
        raise FileRejected(f"{path.name}: no known column in the header row")
    body_start = 1 + _header_continuation_rows(rows[1 : 1 + HEADER_CONTINUATION_ROWS], source)

    values: dict[str, list[str | None]] = {name: [] for name in headers.columns}
    # The only thing kept of a respondent's name: whether it marks a test response.
    name_positions = [p for p, c in headers.personal.items() if c == "respondent_name"]
    is_test: list[str | None] = []
    issues: list[str | None] = []
    source_rows: list[int] = []
    for number, row in enumerate(rows[body_start:], start=first_row + body_start):
        cells = ["" if cell is None else str(cell) for cell in row]
        if not any(cell.strip() for cell in cells):
            continue  # blank separator rows carry no data
        issue = _row_shape_issue(cells, headers)
        issue = issue or _duplicate_conflict(cells, headers)
        for name, positions in headers.columns.items():
            values[name].append(None if issue else _first_filled(cells, positions))
        if name_positions:
            name = " ".join(cells[p] for p in name_positions if p < len(cells))
            is_test.append(None if issue else ("true" if is_test_name(name) else "false"))
        issues.append(issue)
        source_rows.append(number)
    columns = {k: pl.Series(k, v, dtype=pl.Utf8) for k, v in values.items()}
    if name_positions:
        columns["respondent_is_test"] = pl.Series("respondent_is_test", is_test, dtype=pl.Utf8)
    frame = pl.DataFrame(
        {
            **columns,
            READER_ISSUE: pl.Series(READER_ISSUE, issues, dtype=pl.Utf8),
            "source_row": pl.Series("source_row", source_rows, dtype=pl.Int64),
        }
    )
    return frame, headers


def _row_shape_issue(cells: list[str], headers: HeaderMap) -> str | None:
    """A row that ends before the last canonical column, or has a value past the header's last.

    Either means the cells may not sit under their headers: a separator or line break
    inside an unquoted answer shifts or splits a row.
    """
    filled = max((i + 1 for i, c in enumerate(cells) if c.strip()), default=0)
    if filled > headers.named:
        return f"row_shape: {filled} cells in the row, {headers.named} in the header"
    if len(cells) < headers.width:
        return f"row_shape: {len(cells)} cells in the row, {headers.named} in the header"
    return None


def _first_filled(cells: list[str], positions: list[int]) -> str | None:
    for position in positions:
        if position < len(cells) and cells[position].strip():
            return cells[position]
    first = positions[0]
    return cells[first] if first < len(cells) else None


def _duplicate_conflict(cells: list[str], headers: HeaderMap) -> str | None:
    for name, positions in headers.columns.items():
        if len(positions) > 1:
            filled = {" ".join(cells[p].split()) for p in positions if p < len(cells) and cells[p].strip()}
            if len(filled) > 1:
                columns = ", ".join(str(p + 1) for p in positions)
                return f"duplicate_column: {name} appears in columns {columns} with different values"
    return None


# --- CSV -------------------------------------------------------------------------------

_SIGNATURES = (
    (b"PK\x03\x04", "a ZIP archive (an .xlsx workbook?), not CSV text"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls workbook, not CSV text: save it as .xlsx or CSV"),
    (b"%PDF", "a PDF document, not CSV text"),
    (b"\x89PNG", "a PNG image, not CSV text"),
    (b"PAR1", "a Parquet file, not CSV text: name it .parquet"),
)
# Control characters other than tab, CR and LF, or undecodable bytes, in more than this
# share of the first 64 KiB mean the file is not text.
_MAX_CONTROL_SHARE = 0.01
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")


def decode(data: bytes, path: Path) -> tuple[str, str]:
    """Text and encoding name: UTF-16 with BOM, UTF-8 (with or without BOM), else Windows-1252.

    UTF-16 is what Excel's "Unicode text" export writes (tab-separated). Binary data
    (known signatures, NUL bytes or control characters) is rejected.
    """
    for signature, what in _SIGNATURES:
        if data.startswith(signature):
            raise FileRejected(f"{path.name}: is {what}")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text, encoding = data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise FileRejected(
                f"{path.name}: starts like UTF-16 text but does not decode ({exc.reason})"
            ) from exc
    elif b"\x00" in data[:65536]:
        raise FileRejected(f"{path.name}: contains NUL bytes; not a text export")
    elif data.startswith(b"\xef\xbb\xbf"):
        try:
            text, encoding = data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise FileRejected(f"{path.name}: has a UTF-8 mark but is not UTF-8 ({exc.reason})") from exc
    else:
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = data.decode("cp1252", errors="replace"), "cp1252"
    sample = text[:65536]
    if sample and len(_CONTROL.findall(sample)) > _MAX_CONTROL_SHARE * len(sample):
        raise FileRejected(f"{path.name}: binary data, not a text export")
    return text.removeprefix("\ufeff"), encoding


def sniff_delimiter(text: str, source: str) -> str:
    """The separator under which the header row has the most known column names.

    Quotes are respected, so a header such as `Kosten (laptops, schermen);Gemeente`
    splits on `;`. Without any known header, the most frequent candidate on the first line.
    """
    aliases = load_column_aliases(source)
    best, best_score = None, (0, 0)
    for delimiter in DELIMITERS:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            rows = list(itertools.islice(reader, HEADER_SEARCH_ROWS))
        except csv.Error:
            continue
        score = max(((_known_count(row, aliases)[0], len(row)) for row in rows), default=(0, 0))
        if score[0] > best_score[0]:
            best, best_score = delimiter, score
    if best is not None:
        return best
    first_line = text.split("\n", 1)[0]
    counts = {d: first_line.count(d) for d in DELIMITERS}
    most = max(counts, key=lambda d: counts[d])
    return most if counts[most] else ","


def _csv_rows(path: Path, text: str, delimiter: str, skipped: int) -> list[list[str | None]]:
    """Every record of `text`; a cell over `MAX_FIELD_CHARS` rejects the file naming its line."""
    limit = csv.field_size_limit()
    csv.field_size_limit(MAX_FIELD_CHARS)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[str | None]] = []
    try:
        rows.extend(reader)  # type: ignore[arg-type]
    except csv.Error as exc:
        line = reader.line_num + skipped
        if "field larger than field limit" in str(exc):
            raise FileRejected(
                f"{path.name}: line {line}: a cell longer than {MAX_FIELD_CHARS:,} characters; "
                "not a survey or budget export"
            ) from exc
        raise FileRejected(f"{path.name}: line {line}: not a readable CSV ({exc})") from exc
    finally:
        csv.field_size_limit(limit)
    return rows


def _check_width(path: Path, header: Sequence[str | None]) -> None:
    if len(header) > MAX_COLUMNS:
        raise FileRejected(
            f"{path.name}: {len(header):,} columns in the header row, more than {MAX_COLUMNS:,}; "
            "not a survey or budget export"
        )


_SEP_LINE = re.compile(r'^"?sep=(.)"?\r?\n', re.IGNORECASE)


def read_csv_file(path: Path, source: str) -> ReadResult:
    data = path.read_bytes()
    if not data.strip():
        raise FileRejected(f"{path.name}: empty file")
    text, encoding = decode(data, path)
    if not text.strip():
        raise FileRejected(f"{path.name}: empty file")
    skipped = 0
    sep_line = _SEP_LINE.match(text)  # Excel's `sep=;` hint line
    if sep_line:
        delimiter, text, skipped = sep_line[1], text[sep_line.end() :], 1
    else:
        delimiter = sniff_delimiter(text, source)
    rows = _csv_rows(path, text, delimiter, skipped)
    start = header_row_index(rows, source) or 0
    _check_width(path, rows[start] if start < len(rows) else [])
    frame, headers = _frame_from_rows(path, rows[start:], first_row=skipped + start + 1, source=source)
    return ReadResult(
        path, frame, encoding, delimiter, "auto", headers.unknown, sorted(set(headers.personal.values()))
    )


# --- XLSX ------------------------------------------------------------------------------

# A number as text, as the spreadsheet engine writes it: `12500`, `-3.5`, `0.0000001`.
_PLAIN_NUMBER = r"^-?[0-9]+(?:\.[0-9]+)?$"


def numbers_as_text(expr: pl.Expr) -> pl.Expr:
    """Plain number text that the `auto` decimal rule reads back as the same number.

    The only plain form `auto` reads differently is a point before exactly three
    digits (`1.234` is 1234 there), so such a number gets a trailing zero: `1.2340`.
    """
    return expr.str.replace(r"^(-?[0-9]+\.[0-9]{3})$", "${1}0")


def _xlsx_sheet_rows(reader: object, name: str) -> tuple[list[list[str | None]], bool]:
    """Every row of one sheet as text (numeric cells in `numbers_as_text` form), and its visibility.

    The engine gives each cell as text; a second pass, reading every cell as a date,
    tells numeric and date cells (which read as dates) from text cells (which do not),
    so `12.500` typed as text stays Dutch thousands while the number 1.234 stays 1.234.
    """
    sheet = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string")  # type: ignore[attr-defined]
    text = sheet.to_polars()
    dated = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="datetime").to_polars()  # type: ignore[attr-defined]
    if text.width == 0:
        return [], sheet.visible == "visible"
    cells = text.select(
        pl.when(dated.get_column(d).is_not_null() & pl.col(c).str.contains(_PLAIN_NUMBER))
        .then(numbers_as_text(pl.col(c)))
        .otherwise(pl.col(c))
        .alias(c)
        for c, d in zip(text.columns, dated.columns, strict=True)
    )
    return [list(row) for row in cells.iter_rows()], sheet.visible == "visible"


def check_workbook_container(path: Path) -> None:
    """Reject what is not a plain XLSX zip, or what would unpack beyond the caps, before reading it.

    An encrypted (password-protected) workbook, like an old .xls, is an OLE container, not a zip.
    """
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRejected(
            f"{path.name}: is a password-protected or legacy (.xls) workbook; "
            "remove the password or save it as .xlsx"
        )
    if not head.startswith(b"PK"):
        with path.open("rb") as fh:
            sample = fh.read(4096)
        text = sample.decode("cp1252", errors="replace")
        if sample and b"\x00" not in sample and not _CONTROL.search(text):
            raise FileRejected(
                f"{path.name}: not a readable XLSX workbook (it holds text, CSV?): name it .csv"
            )
        raise FileRejected(f"{path.name}: not a readable XLSX workbook (no ZIP signature)")
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise FileRejected(f"{path.name}: not a readable XLSX workbook ({exc})") from exc
    total = sum(m.file_size for m in members)
    if total > MAX_XLSX_UNPACKED_BYTES:
        raise FileRejected(
            f"{path.name}: unpacks to {total:,} bytes, more than the cap of {MAX_XLSX_UNPACKED_BYTES:,}"
        )
    for member in members:
        ratio = member.file_size // max(member.compress_size, 1)
        if member.file_size > 1024 * 1024 and ratio > MAX_XLSX_RATIO:
            raise FileRejected(
                f"{path.name}: member {member.filename!r} unpacks to {ratio:,} times its packed size "
                "(a zip bomb?); refused"
            )


def read_xlsx_file(path: Path, source: str, *, sheet: str | None = None) -> ReadResult:
    """Read the survey sheet of a workbook.

    The sheet is `sheet` when given; otherwise the first visible sheet whose name is
    listed in `mappings/<source>_sheets.csv` and has a header row; otherwise the first
    visible sheet with a header row (instructions or lookup sheets have none).
    """
    import fastexcel

    check_workbook_container(path)
    try:
        reader = fastexcel.read_excel(path)
        names: list[str] = list(reader.sheet_names)
        if sheet is not None and sheet not in names:
            listed = ", ".join(repr(n) for n in names)
            raise FileRejected(f"{path.name}: has no sheet {sheet!r} (sheets: {listed})")
        preferred = load_sheet_names(source)
        order = (
            [sheet]
            if sheet is not None
            else sorted(names, key=lambda n: (n.strip().casefold() not in preferred, names.index(n)))
        )
        chosen: tuple[str, list[list[str | None]], int] | None = None
        for name in order:
            rows, visible = _xlsx_sheet_rows(reader, name)
            if not visible and sheet is None:
                continue
            start = header_row_index(rows, source)
            if start is not None or sheet is not None:
                chosen = (name, rows, start or 0)
                break
    except FileRejected:
        raise
    except Exception as exc:  # calamine raises its own error types
        raise FileRejected(f"{path.name}: not a readable XLSX workbook ({exc})") from exc
    if chosen is None:
        listed = ", ".join(repr(n) for n in names)
        raise FileRejected(
            f"{path.name}: no visible sheet has a header row with known columns (sheets: {listed})"
        )
    name, rows, start = chosen
    _check_width(path, rows[start] if start < len(rows) else [])
    frame, headers = _frame_from_rows(path, rows[start:], first_row=start + 1, source=source)
    personal = sorted(set(headers.personal.values()))
    return ReadResult(path, frame, None, None, "auto", headers.unknown, personal, sheet=name)


# --- Parquet ---------------------------------------------------------------------------


def _as_text(column: str, dtype: pl.DataType) -> pl.Expr:
    """A Parquet column as text; numbers in `numbers_as_text` form, never in exponent notation."""
    col = pl.col(column)
    if dtype.is_float():
        plain = col.cast(pl.Decimal(38, 9), strict=False).cast(pl.Utf8)
        return numbers_as_text(plain.str.replace(r"\.?0+$", "").str.replace(r"^-0$", "0"))
    if dtype.is_decimal():
        plain = col.cast(pl.Utf8)
        trimmed = pl.when(plain.str.contains(r"\.")).then(plain.str.replace(r"\.?0+$", "")).otherwise(plain)
        return numbers_as_text(trimmed)
    return col.cast(pl.Utf8)


def read_parquet_file(path: Path, source: str) -> ReadResult:
    try:
        table = pl.read_parquet(path)
    except Exception as exc:
        raise FileRejected(f"{path.name}: not a readable Parquet file ({exc})") from exc
    headers = map_headers(table.columns, source)
    if not headers.columns:
        raise FileRejected(f"{path.name}: no known column in the header row")
    schema = table.schema
    texts = [
        [_as_text(table.columns[p], schema[table.columns[p]]) for p in ps] for ps in headers.columns.values()
    ]
    # Of columns sharing a canonical name, the first one filled in.
    selected = [
        pl.coalesce(pl.when(t.str.strip_chars() != "").then(t) for t in group).alias(name)
        if len(group) > 1
        else group[0].alias(name)
        for name, group in zip(headers.columns, texts, strict=True)
    ]
    names = [table.columns[p] for p, c in headers.personal.items() if c == "respondent_name"]
    if names:
        joined = pl.concat_str([pl.col(n).cast(pl.Utf8) for n in names], separator=" ", ignore_nulls=True)
        is_test = joined.str.contains(TEST_NAME_PATTERN).fill_null(False)
        selected.append(
            pl.when(is_test).then(pl.lit("true")).otherwise(pl.lit("false")).alias("respondent_is_test")
        )
    frame = table.select(selected).with_row_index("source_row", offset=2)
    frame = frame.with_columns(
        pl.col("source_row").cast(pl.Int64), pl.lit(None, dtype=pl.Utf8).alias(READER_ISSUE)
    )
    personal = sorted(set(headers.personal.values()))
    return ReadResult(path, frame, None, None, "auto", headers.unknown, personal)


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
