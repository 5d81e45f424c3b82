"""CBS OData records → what costtrends lands: pure functions, no I/O.

Three kinds of input, as `ingest.cbs_odata` returns them (lists of JSON records):

- the catalogue of a service: which table holds a year's Iv3 data, found by its title;
- a table's dimensions (`Key`, `Title`): CBS keys are fixed width, padded with spaces
  (`"GM0363   "`), so a key is matched trimmed and sent back exactly as CBS wrote it;
- a `TypedDataSet`: Iv3 lines of every municipality, or population per municipality.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import polars as pl

IV3_TITLE = "Gemeenten {year} onbewerkte Iv3-data"
# The two amount columns of an Iv3 table, one per placement; which one lands: `placed_amounts`.
IV3_AMOUNT_COLUMNS = ("k_1ePlaatsing_1", "k_2ePlaatsing_2")
IV3_COLUMNS = ("Gemeenten", "TaakveldBalanspost", "Categorie", "Verslagsoort")
MUNICIPALITY_CODE = re.compile(r"^GM\d{4}$")


class CbsDataError(ValueError):
    """What CBS sent does not say what costtrends needs (no table, an unknown verslagsoort, ...)."""


def _norm(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def iv3_table_id(catalogue: list[dict[str, Any]], year: int) -> str:
    """The identifier of the table titled "Gemeenten <year> onbewerkte Iv3-data".

    Titles are compared without regard to case or runs of spaces. When CBS lists more
    than one table under the title, the most recently modified one counts.
    """
    wanted = _norm(IV3_TITLE.format(year=year))
    matches = [t for t in catalogue if _norm(t.get("Title", "")) == wanted]
    if not matches:
        near = sorted(
            str(t.get("Title", "")).strip()
            for t in catalogue
            if "onbewerkte iv3" in _norm(t.get("Title", ""))
        )
        hint = f"; Iv3 tables listed: {', '.join(near[:6])}" if near else ""
        raise CbsDataError(f"the CBS catalogue has no table titled {IV3_TITLE.format(year=year)!r}{hint}")
    latest = max(matches, key=lambda t: (str(t.get("Modified") or ""), str(t["Identifier"])))
    return str(latest["Identifier"]).strip()


@dataclass(frozen=True)
class Verslagsoort:
    """One key of a table's Verslagsoort dimension, read from its title."""

    key: str  # exactly as CBS writes it (fixed width)
    title: str
    boekjaar: int
    periode: int  # Iv3 periode: 0 begroting, 1–4 the quarters, 5 jaarrekening

    @property
    def slug(self) -> str:
        """`2021_p0_begroting` … `2021_p5_jaarrekening`: file names sort by periode, so in
        quarter 4 the jaarrekening (periode 5) is the later file and restates periode 4."""
        names = {0: "begroting", 5: "jaarrekening"}
        return f"{self.boekjaar}_p{self.periode}_{names.get(self.periode, f'kwartaal{self.periode}')}"


_QUARTER = re.compile(
    r"(?:\b([1-4])\s*(?:e|ste|de)?\s*kwartaal\b)|(?:\bkwartaal\s*([1-4])\b)|(?:\b[kq]([1-4])\b)",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b(20\d{2}|19\d{2})\b")


def read_verslagsoort(key: str, title: str) -> Verslagsoort | None:
    """The boekjaar and Iv3 periode a Verslagsoort title names; None for a title that names neither.

    `Begroting 2021` is periode 0, `1e kwartaal 2021` (or `Kwartaal 1 2021`, `2021 K1`)
    periode 1, `Jaarrekening 2020` (or `Rekening 2020`) periode 5. The key is not read:
    the same key pattern has been seen titled both begroting and jaarrekening.
    """
    years = _YEAR.findall(title)
    if len(set(years)) != 1:
        return None
    text = _norm(title)
    quarter = _QUARTER.search(text)
    if quarter:
        periode = int(next(g for g in quarter.groups() if g))
    elif "begroting" in text:
        periode = 0
    elif "rekening" in text:
        periode = 5
    else:
        return None
    return Verslagsoort(key=key, title=title.strip(), boekjaar=int(years[0]), periode=periode)


def verslagsoorten(dimension: list[dict[str, Any]]) -> tuple[list[Verslagsoort], list[str]]:
    """Every key of the Verslagsoort dimension read from its title, and the titles that could not be read."""
    read: list[Verslagsoort] = []
    unread: list[str] = []
    for record in dimension:
        found = read_verslagsoort(str(record["Key"]), str(record.get("Title") or ""))
        if found is None:
            unread.append(f"{str(record['Key']).strip()} {str(record.get('Title') or '').strip()!r}")
        else:
            read.append(found)
    return sorted(read, key=lambda v: (v.boekjaar, v.periode, v.key)), unread


def municipality_keys(
    dimension: list[dict[str, Any]], wanted: list[str] | None = None, *, strict: bool = True
) -> dict[str, str]:
    """Trimmed municipality code → the key exactly as CBS writes it (`GM0363` → `"GM0363   "`).

    Keys that are not municipality codes (`NL01`, provinces) are left out. With `wanted`,
    only those codes (`GM0363`, `gm0363`); a code the table does not have is an error,
    unless not `strict` (a table consulted for an earlier periode need not have them all).
    """
    keys = {str(r["Key"]).strip().upper(): str(r["Key"]) for r in dimension}
    keys = {code: key for code, key in keys.items() if MUNICIPALITY_CODE.match(code)}
    if wanted is None:
        return dict(sorted(keys.items()))
    asked = sorted({w.strip().upper() for w in wanted})
    missing = [code for code in asked if code not in keys]
    if missing and strict:
        raise CbsDataError(f"municipality {', '.join(missing)} is not in the table's Gemeenten dimension")
    return {code: keys[code] for code in asked if code in keys}


def thousands_text(value: Decimal) -> str:
    """An amount as the long layout writes it: decimal comma, no thousands separator, no trailing zeros.

    `1208.0` → `1208`, `1.234` → `1,234` (1.234 thousand, never read as 1234), `-12.5` → `-12,5`.
    """
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text.replace(".", ",")


def thousands_expr(amount: pl.Expr) -> pl.Expr:
    """`thousands_text` as an expression over exact decimal texts with `.` (`1208.0`, `-0.5`, `70`)."""
    trimmed = (
        pl.when(amount.str.contains(".", literal=True))
        .then(amount.str.strip_chars_end("0").str.strip_chars_end("."))
        .otherwise(amount)
    )
    return (
        pl.when(trimmed.is_in(["-0", ""]))
        .then(pl.lit("0"))
        .otherwise(trimmed)
        .str.replace(".", ",", literal=True)
    )


def _exact(value: Any) -> str | None:
    """A JSON number as exact decimal text with `.` (`iv3.LINE_SCHEMA`), through its shortest repr."""
    if value is None:
        return None
    return format(Decimal(repr(value)), "f")


def iv3_records_frame(records: list[dict[str, Any]]) -> pl.DataFrame:
    """CBS's TypedDataSet records as a frame: keys trimmed, both amounts as exact decimal text.

    Amounts come as JSON numbers in thousands of euros; each is read through its shortest
    decimal text (`repr`), so `0.1` stays 0.1 and not 0.1000000000000000055. `first` is
    `k_1ePlaatsing_1`, `second` `k_2ePlaatsing_2`.
    """
    first, second = IV3_AMOUNT_COLUMNS
    rows = [
        (
            str(r.get("Gemeenten") or "").strip().upper(),
            str(r.get("TaakveldBalanspost") or "").strip(),
            str(r.get("Categorie") or "").strip(),
            _exact(r.get(first)),
            _exact(r.get(second)),
        )
        for r in records
    ]
    return pl.DataFrame(rows, schema=RECORD_SCHEMA, orient="row")


RECORD_SCHEMA: dict[str, pl.DataType] = {
    "municipality": pl.Utf8(),
    "taakveld_balanspost": pl.Utf8(),
    "categorie_key": pl.Utf8(),
    "first": pl.Utf8(),
    "second": pl.Utf8(),
}
LATEST = "latest"


def placed_amounts(records: pl.DataFrame, *, amount_column: str = LATEST) -> tuple[pl.DataFrame, str]:
    """The records with the `amount` of one placement, and the CBS column it came from.

    CBS places a period's Iv3 figures twice (docs/operations.md): first as delivered by
    the deadline (`k_1ePlaatsing_1`), then with the improved versions sent within two
    months of it (`k_2ePlaatsing_2`, empty until then). `latest` takes the second placement
    once CBS has made it (any record of the verslagsoort has a second amount; a record
    without one was then not in the improved figures) and the first until then; naming
    a column takes that one.
    """
    first, second = IV3_AMOUNT_COLUMNS
    if amount_column == LATEST:
        amount_column = second if records["second"].is_not_null().any() else first
    if amount_column not in IV3_AMOUNT_COLUMNS:
        choices = ", ".join((LATEST, *IV3_AMOUNT_COLUMNS))
        raise ValueError(f"amount column must be one of {choices}, not {amount_column!r}")
    source = "first" if amount_column == first else "second"
    return records.with_columns(pl.col(source).alias("amount")), amount_column


@dataclass(frozen=True)
class Iv3Lines:
    """One verslagsoort's lasten and baten lines, and what of CBS's rows did not become one.

    `lines`: `municipality` plus the columns of `iv3.LINE_SCHEMA` (side, taakveld,
    categorie, amount in thousands with `.`, line), so Iv3 logic written for deliveries
    (`iv3.quarter_added`) applies unchanged.
    """

    lines: pl.DataFrame
    rows_read: int
    rows_empty: int  # no amount in the chosen column: nothing reported
    rows_balance: int  # balance posts and categories without an L/B side: not lasten or baten


def iv3_lines(records: pl.DataFrame) -> Iv3Lines:
    """CBS records (`RECORD_SCHEMA` plus the `amount` of `placed_amounts`) → lasten and baten lines.

    Grain in: municipality × TaakveldBalanspost × Categorie (prefixed `L` lasten, `B`
    baten). Grain out: the same, for records with an amount whose TaakveldBalanspost is a
    taakveld (starts with a digit) and whose Categorie has an L/B prefix; `categorie`
    without the prefix. Lines are numbered per municipality in sorted order, so the same
    records always give the same lines.
    """
    is_taakveld = pl.col("taakveld_balanspost").str.contains(r"^\d")
    has_side = pl.col("categorie_key").str.contains(r"^[LlBb]\d")
    filled = records.filter(pl.col("amount").is_not_null())
    lines = (
        filled.filter(is_taakveld & has_side)
        .select(
            "municipality",
            pl.when(pl.col("categorie_key").str.slice(0, 1).str.to_uppercase() == "L")
            .then(pl.lit("lasten"))
            .otherwise(pl.lit("baten"))
            .alias("side"),
            pl.col("taakveld_balanspost").alias("taakveld"),
            pl.col("categorie_key").str.slice(1).alias("categorie"),
            "amount",
        )
        .sort("municipality", "side", "taakveld", "categorie")
        .with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("municipality").alias("line"))
    )
    doubled = lines.filter(pl.struct("municipality", "side", "taakveld", "categorie").is_duplicated())
    if doubled.height:
        first = doubled.row(0, named=True)
        raise CbsDataError(
            f"CBS sent more than one amount for {first['municipality']} {first['side']} taakveld "
            f"{first['taakveld']} categorie {first['categorie']} in one verslagsoort"
        )
    return Iv3Lines(
        lines=lines,
        rows_read=records.height,
        rows_empty=records.height - filled.height,
        rows_balance=filled.height - lines.height,
    )


def long_layout(lines: pl.DataFrame, *, period: str, kind: str, unit: str) -> pl.DataFrame:
    """Lines per municipality → rows of the long budget layout (docs/budget-ingest.md), sorted.

    Grain out: municipality × taakveld × categorie, `lasten` and `baten` side by side; a
    side without a line stays empty (nothing booked). Amounts keep their unit (`unit`
    column) and are written with a decimal comma (`thousands_text`).
    """
    as_text = thousands_expr(pl.col("amount"))
    wide = (
        lines.with_columns(as_text.alias("amount"))
        .group_by("municipality", "taakveld", "categorie")
        .agg(
            pl.col("amount").filter(pl.col("side") == "lasten").first().alias("lasten"),
            pl.col("amount").filter(pl.col("side") == "baten").first().alias("baten"),
        )
        .sort("municipality", "taakveld", "categorie")
    )
    return wide.select(
        "municipality",
        pl.lit(period).alias("period"),
        "taakveld",
        "categorie",
        pl.lit(kind).alias("kind"),
        "lasten",
        "baten",
        pl.lit(unit).alias("unit"),
    )


def period_key(dimension: list[dict[str, Any]], year: int) -> str:
    """The key of a StatLine `Perioden` dimension whose title is the year (`2025` → `"2025JJ00"`)."""
    for record in dimension:
        if str(record.get("Title") or "").strip() == str(year):
            return str(record["Key"])
    raise CbsDataError(f"the table has no period titled {year}")


# StatLine adds these to a municipality's name where another region shares it.
_STATLINE_SUFFIX = re.compile(r"\s+\(gemeente\)$")


def population_frame(
    records: list[dict[str, Any]],
    regions: list[dict[str, Any]],
    *,
    year: int,
    column: str = "TotaleBevolking_1",
) -> pl.DataFrame:
    """Population on 1 January of `year` per municipality, from StatLine records and their RegioS dimension.

    Grain out: one row per municipality code (`municipality_code`, `municipality_name`, `year`,
    `population`), sorted. Regions that are not municipalities (`NL01`, `PV20`) are left out;
    a municipality without a figure is an error, as is a figure that is not a positive whole number.
    """
    names = {str(r["Key"]).strip().upper(): str(r.get("Title") or "").strip() for r in regions}
    rows = []
    for record in records:
        code = str(record.get("RegioS") or "").strip().upper()
        if not MUNICIPALITY_CODE.match(code):
            continue
        value = record.get(column)
        if value is None or not float(value).is_integer() or float(value) <= 0:
            raise CbsDataError(f"population of {code} in {year} is {value!r}, not a positive whole number")
        rows.append((code, _STATLINE_SUFFIX.sub("", names.get(code, "")), year, int(value)))
    if not rows:
        raise CbsDataError(f"CBS sent no municipality's population for {year}")
    frame = pl.DataFrame(
        rows,
        schema={
            "municipality_code": pl.Utf8,
            "municipality_name": pl.Utf8,
            "year": pl.Int32,
            "population": pl.Int64,
        },
        orient="row",
    ).sort("municipality_code")
    doubled = (
        frame.filter(pl.col("municipality_code").is_duplicated())["municipality_code"].unique().to_list()
    )
    if doubled:
        raise CbsDataError(f"CBS sent more than one population of {', '.join(sorted(doubled))} for {year}")
    return frame


def quarter_added_lines(current: pl.DataFrame, previous: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """What each municipality's quarter added: its year-to-date lines minus those of the previous periode.

    `iv3.quarter_added` per municipality of `current` (Iv3 realisaties are cumulative over
    the boekjaar). A municipality without previous lines cannot be told apart from one
    whose figures run from 1 January: its lines are left out and its code returned, as
    the Iv3 JSON reader rejects a delivery whose previous periode is missing. One with
    previous lines but none now did not deliver this periode and gets none.
    Grain: municipality + `iv3.LINE_SCHEMA`, sorted by municipality.
    """
    from transforms import iv3

    columns = list(iv3.LINE_SCHEMA)
    parts = []
    missing: list[str] = []
    for (code,), own in current.sort("municipality").partition_by("municipality", as_dict=True).items():
        before = previous.filter(pl.col("municipality") == code).select(columns)
        if not before.height:
            missing.append(str(code))
            continue
        added = iv3.quarter_added(own.select(columns), before)
        parts.append(added.select(pl.lit(code).alias("municipality"), *columns))
    if not parts:
        return current.clear(), missing
    return pl.concat(parts).sort("municipality", "line"), missing
