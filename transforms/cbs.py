"""CBS OData records → what costtrends lands: pure functions, no I/O.

Three kinds of input, as `costtrends.cbs_odata` returns them (lists of JSON records):

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
# The two amount columns of an Iv3 table; which one is landed: docs/operations.md.
IV3_AMOUNT_COLUMNS = ("k_1ePlaatsing_1", "k_2ePlaatsing_2")
IV3_COLUMNS = ("Gemeenten", "TaakveldBalanspost", "Categorie", "Verslagsoort")
# Columns of a landed Iv3 file: the long budget layout (docs/budget-ingest.md), in thousands.
LANDED_COLUMNS = ("municipality", "period", "taakveld", "categorie", "kind", "lasten", "baten", "unit")
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
            str(t.get("Title", "")).strip() for t in catalogue if "onbewerkte iv3" in _norm(t.get("Title", ""))
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
        names = {0: "begroting", 5: "jaarrekening"}
        return f"{self.boekjaar}_{names.get(self.periode, f'kwartaal{self.periode}')}"


_QUARTER = re.compile(
    r"(?:\b([1-4])\s*(?:e|ste|de)?\s*kwartaal\b)|(?:\bkwartaal\s*([1-4])\b)|(?:\b[kq]([1-4])\b)", re.IGNORECASE
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


def municipality_keys(dimension: list[dict[str, Any]], wanted: list[str] | None = None) -> dict[str, str]:
    """Trimmed municipality code → the key exactly as CBS writes it (`GM0363` → `"GM0363   "`).

    Keys that are not municipality codes (`NL01`, provinces) are left out. With `wanted`,
    only those codes (`GM0363`, `gm0363`), and a code the table does not have is an error.
    """
    keys = {str(r["Key"]).strip().upper(): str(r["Key"]) for r in dimension}
    keys = {code: key for code, key in keys.items() if MUNICIPALITY_CODE.match(code)}
    if wanted is None:
        return dict(sorted(keys.items()))
    asked = sorted({w.strip().upper() for w in wanted})
    missing = [code for code in asked if code not in keys]
    if missing:
        raise CbsDataError(f"municipality {', '.join(missing)} is not in the table's Gemeenten dimension")
    return {code: keys[code] for code in asked}


def thousands_text(value: Decimal) -> str:
    """An amount as the long layout writes it: decimal comma, no thousands separator, no trailing zeros.

    `1208.0` → `1208`, `1.234` → `1,234` (1.234 thousand, never read as 1234), `-12.5` → `-12,5`.
    """
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text.replace(".", ",")


@dataclass(frozen=True)
class LandedIv3:
    """The long-layout rows of one verslagsoort, and what of CBS's rows did not become one."""

    frame: pl.DataFrame  # LANDED_COLUMNS, text
    rows_read: int
    rows_empty: int  # no amount in the chosen column: nothing reported
    rows_balance: int  # balance posts and categorie without an L/B side: not budget lines


def iv3_records_frame(records: list[dict[str, Any]], *, amount_column: str) -> pl.DataFrame:
    """CBS's TypedDataSet records as a frame: keys trimmed, the chosen amount as an exact decimal text.

    Amounts come as JSON numbers in thousands of euros; each is read through its shortest
    decimal text (`repr`), so `0.1` stays 0.1 and not 0.1000000000000000055.
    """
    if amount_column not in IV3_AMOUNT_COLUMNS:
        raise ValueError(f"amount column must be one of {', '.join(IV3_AMOUNT_COLUMNS)}, not {amount_column!r}")
    rows = [
        (
            str(r.get("Gemeenten") or "").strip().upper(),
            str(r.get("TaakveldBalanspost") or "").strip(),
            str(r.get("Categorie") or "").strip(),
            str(r.get("Verslagsoort") or ""),
            None if r.get(amount_column) is None else thousands_text(Decimal(repr(r[amount_column]))),
        )
        for r in records
    ]
    return pl.DataFrame(
        rows,
        schema={
            "municipality": pl.Utf8,
            "taakveld_balanspost": pl.Utf8,
            "categorie_key": pl.Utf8,
            "verslagsoort": pl.Utf8,
            "amount": pl.Utf8,
        },
        orient="row",
    )


def iv3_to_long(records: pl.DataFrame, *, period: str, kind: str) -> LandedIv3:
    """One verslagsoort's Iv3 records → long-layout rows, amounts in thousands of euros.

    Grain in: municipality × TaakveldBalanspost × Categorie (prefixed `L` lasten, `B` baten).
    Grain out: municipality × taakveld × categorie, with `lasten` and `baten` side by side
    (a side CBS has no amount for stays empty: nothing booked). Records without an amount
    are not lines; balance posts (a TaakveldBalanspost not starting with a digit) and
    categories without an L/B prefix are not budget lines either. Both are counted, not landed.
    Rows are sorted, so the same records always give the same rows.
    """
    is_taakveld = pl.col("taakveld_balanspost").str.contains(r"^\d")
    side = pl.col("categorie_key").str.slice(0, 1).str.to_uppercase()
    has_side = side.is_in(["L", "B"]) & pl.col("categorie_key").str.contains(r"^[LlBb]\d")
    filled = records.filter(pl.col("amount").is_not_null())
    lines = filled.filter(is_taakveld & has_side).with_columns(
        side.alias("side"), pl.col("categorie_key").str.slice(1).alias("categorie")
    )
    duplicated = lines.group_by("municipality", "taakveld_balanspost", "categorie", "side").len().filter(
        pl.col("len") > 1
    )
    if duplicated.height:
        first = duplicated.row(0, named=True)
        raise CbsDataError(
            f"CBS sent {first['len']} amounts for {first['municipality']} taakveld "
            f"{first['taakveld_balanspost']} categorie {first['side']}{first['categorie']} in one verslagsoort"
        )
    wide = (
        lines.group_by("municipality", "taakveld_balanspost", "categorie")
        .agg(
            pl.col("amount").filter(pl.col("side") == "L").first().alias("lasten"),
            pl.col("amount").filter(pl.col("side") == "B").first().alias("baten"),
        )
        .sort("municipality", "taakveld_balanspost", "categorie")
    )
    frame = wide.select(
        "municipality",
        pl.lit(period).alias("period"),
        pl.col("taakveld_balanspost").alias("taakveld"),
        "categorie",
        pl.lit(kind).alias("kind"),
        pl.col("lasten").fill_null(""),
        pl.col("baten").fill_null(""),
        pl.lit("x1000").alias("unit"),
    )
    return LandedIv3(
        frame=frame,
        rows_read=records.height,
        rows_empty=records.height - filled.height,
        rows_balance=filled.height - lines.height,
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
    records: list[dict[str, Any]], regions: list[dict[str, Any]], *, year: int, column: str = "TotaleBevolking_1"
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
    doubled = frame.filter(pl.col("municipality_code").is_duplicated())["municipality_code"].unique().to_list()
    if doubled:
        raise CbsDataError(f"CBS sent more than one population of {', '.join(sorted(doubled))} for {year}")
    return frame
