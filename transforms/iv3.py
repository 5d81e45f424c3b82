"""Iv3 as CBS defines it: code lists per boekjaar, grey cells, periods, unit, delivery structure.

Everything here is read from CBS's own files, shipped unchanged in `warehouse/seeds/iv3/`
(`iv3_definities_Gemeente_<boekjaar>.json`, `iv3_data_schema_v2_1_1.json`,
`fouten.json`; source and licence in that folder's README.md). Adding the definition
file of a new boekjaar there is the only step a new year needs. The functions are pure
apart from reading those files (once, cached).

Stable API (other modules build on it; extend, do not change):

- `UNIT`: the unit of an Iv3 amount, ``"x1000"`` (thousands of euros).
- `period_target(boekjaar, periode) -> (Quarter, kind)`: the landing folder's quarter and
  the kind (``begroting``/``realisatie``) of a delivery's periode 0–5.
- `is_year_to_date(periode)`, `previous_periode(periode)`: quarterly realisaties are
  cumulative over the boekjaar; what a quarter added is the delivery minus the one of
  `previous_periode` (None: the delivery itself is what the quarter added).
- `boekjaren()`: the boekjaren with a definition file.
- `code_lists(boekjaar=None) -> DataFrame`: one row per boekjaar × side × code list ×
  code: ``boekjaar`` (Int32), ``side`` (``lasten``/``baten``), ``code_list``
  (``taakveld``/``categorie``), ``code``, ``name``. A taakveld appears once per side.
- `grey_cells(boekjaar=None) -> DataFrame`: ``boekjaar``, ``side``, ``taakveld``,
  ``categorie``: the combinations that must stay empty.
- `year_codes(boekjaar) -> YearCodes`: the sets the budget checks need for one year.
- `structure_faults(document) -> list[StructureFault]`: the delivery's faults against
  CBS's JSON Schema, each with its CBS error code (``SF0xx``) and JSON path.
- `delivery_lines(document) -> DataFrame`: the lasten and baten lines of a delivery.
- `quarter_added(current, previous) -> DataFrame`: what a quarter added, from two
  year-to-date deliveries' lines.
- `delivery_of(document) -> Delivery`: overheidsnummer, boekjaar, periode, kind and
  quarter of a delivery (its status checked against its periode).
- `CHECK_COLUMNS`, `check_columns()`: the columns the budget suite's side, grey-cell and
  PF009 checks read, derived from a staged line.
- `taakveld_dim(code_lists())`, `categorie_dim(code_lists())`: one row per code of any
  boekjaar (for `core.dim_iv3_*`).

Periods (CBS: a begroting before the year, four quarterly realisaties, a jaarrekening):
periode 0 is the begroting of the boekjaar and lands in the boekjaar's first quarter as
kind ``begroting``; periodes 1–4 are the realisatie up to the end of quarter 1–4 and land
in that quarter; periode 5, the jaarrekening, is the final realisatie of the whole year
and lands in quarter 4, restating what periode 4 said (what Q4 added is then the
jaarrekening minus periode 3).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl

from transforms.quarter import Quarter

DEFINITIONS_DIR = Path(__file__).resolve().parent.parent / "warehouse" / "seeds" / "iv3"
DEFINITION_FILE = "iv3_definities_Gemeente_{boekjaar}.json"
SCHEMA_FILE = "iv3_data_schema_v2_1_1.json"
ERRORS_FILE = "fouten.json"

# Iv3 amounts are in thousands of euros (the Iv3 models' "bedragen x € 1.000"; CBS
# publishes the delivered figures in thousands too). docs/budget-ingest.md has the sources.
UNIT = "x1000"
SIDES: tuple[str, ...] = ("lasten", "baten")
PERIODES: tuple[int, ...] = (0, 1, 2, 3, 4, 5)
BEGROTING_PERIODE = 0
JAARREKENING_PERIODE = 5
# CBS's status per periode: the begroting is a Begroting, every other periode a Realisatie.
STATUS_KIND = {"Begroting": "begroting", "Realisatie": "realisatie"}
# PF009 "Gebruik categorieën 4.3.9 en 4.4.9 in periode 1 t/m 5": the onverdeeld categories
# may only carry amounts in a begroting (fouten.json names them; the definition file gives
# the periodes it applies to).
PF009_CATEGORIES: tuple[str, ...] = ("4.3.9", "4.4.9")

CODE_LIST_SCHEMA: dict[str, pl.DataType] = {
    "boekjaar": pl.Int32(),
    "side": pl.Utf8(),
    "code_list": pl.Utf8(),
    "code": pl.Utf8(),
    "name": pl.Utf8(),
}
GREY_SCHEMA: dict[str, pl.DataType] = {
    "boekjaar": pl.Int32(),
    "side": pl.Utf8(),
    "taakveld": pl.Utf8(),
    "categorie": pl.Utf8(),
}
LINE_SCHEMA: dict[str, pl.DataType] = {
    "side": pl.Utf8(),
    "taakveld": pl.Utf8(),
    "categorie": pl.Utf8(),
    "amount": pl.Utf8(),  # exact decimal text, `.` as the decimal point, in `UNIT`
    "line": pl.Int64(),  # 1-based: data.lasten first, then data.baten
}
_CODE_LISTS = {"taakveld": "taakveld", "categorie_lasten": "categorie", "categorie_baten": "categorie"}


class Iv3Error(ValueError):
    """A periode, status or boekjaar outside what CBS defines."""


# --- periods ---------------------------------------------------------------------------


def period_target(boekjaar: int, periode: int) -> tuple[Quarter, str]:
    """The quarter folder a delivery belongs in and the kind its lines get."""
    if periode not in PERIODES:
        raise Iv3Error(
            f"periode must be one of 0..5 (CBS: begroting, 4 quarters, jaarrekening), got {periode!r}"
        )
    if periode == BEGROTING_PERIODE:
        return Quarter(boekjaar, 1), "begroting"
    if periode == JAARREKENING_PERIODE:
        return Quarter(boekjaar, 4), "realisatie"
    return Quarter(boekjaar, periode), "realisatie"


def expected_status(periode: int) -> str:
    """The metadata `status` that goes with a periode: `Begroting` for 0, else `Realisatie`."""
    return "Begroting" if periode == BEGROTING_PERIODE else "Realisatie"


def is_year_to_date(periode: int) -> bool:
    """True for the realisaties (periode 1–5): CBS asks for them cumulative from 1 January."""
    return periode != BEGROTING_PERIODE


def previous_periode(periode: int) -> int | None:
    """The periode whose year-to-date figures a delivery's quarter adds to (None: none)."""
    if periode in (BEGROTING_PERIODE, 1):
        return None
    if periode == JAARREKENING_PERIODE:
        return 3
    return periode - 1


# --- definition files ------------------------------------------------------------------


def boekjaren(directory: Path = DEFINITIONS_DIR) -> tuple[int, ...]:
    """The boekjaren that have a definition file, ascending."""
    return _boekjaren(directory)


@lru_cache(maxsize=4)
def _boekjaren(directory: Path) -> tuple[int, ...]:
    prefix, suffix = DEFINITION_FILE.split("{boekjaar}")
    years = []
    for path in directory.glob(DEFINITION_FILE.format(boekjaar="*")):
        middle = path.name.removeprefix(prefix).removesuffix(suffix)
        if middle.isdigit():
            years.append(int(middle))
    return tuple(sorted(years))


@lru_cache(maxsize=32)
def _definition(directory: Path, boekjaar: int) -> dict[str, Any]:
    path = directory / DEFINITION_FILE.format(boekjaar=boekjaar)
    if not path.exists():
        raise Iv3Error(
            f"no Iv3 definition file for boekjaar {boekjaar} ({path.name} is not in {directory}; "
            f"boekjaren with one: {', '.join(map(str, _boekjaren(directory))) or 'none'})"
        )
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    stated = str(document.get("metadata", {}).get("boekjaar", ""))
    if stated != str(boekjaar):
        raise Iv3Error(f"{path.name} says boekjaar {stated!r}")
    return document


def _leaves(nodes: Sequence[Mapping[str, Any]]) -> Iterator[tuple[str, str]]:
    """The codes a line may carry: the leaves of a CBS code tree (groups have `subcodes`)."""
    for node in nodes:
        if node.get("subcodes"):
            yield from _leaves(node["subcodes"])
        else:
            yield str(node["code"]).strip(), str(node.get("omschrijving", "")).strip()


def _years(boekjaar: int | None, directory: Path) -> tuple[int, ...]:
    return _boekjaren(directory) if boekjaar is None else (boekjaar,)


def code_lists(boekjaar: int | None = None, *, directory: Path = DEFINITIONS_DIR) -> pl.DataFrame:
    """Valid taakvelden and categorieën per boekjaar and side (every boekjaar when None)."""
    return _code_lists(_years(boekjaar, directory), directory).clone()


@lru_cache(maxsize=16)
def _code_lists(years: tuple[int, ...], directory: Path) -> pl.DataFrame:
    rows: list[tuple[int, str, str, str, str]] = []
    for year in years:
        lists = _definition(directory, year)["codelijsten"]
        for key, code_list in _CODE_LISTS.items():
            sides = SIDES if key == "taakveld" else (key.removeprefix("categorie_"),)
            for code, name in _leaves(lists[key]["codelijst"]):
                rows.extend((year, side, code_list, code, name) for side in sides)
    return pl.DataFrame(rows, schema=CODE_LIST_SCHEMA, orient="row").unique(maintain_order=True)


def grey_cells(boekjaar: int | None = None, *, directory: Path = DEFINITIONS_DIR) -> pl.DataFrame:
    """Taakveld × categorie combinations of lasten and baten that must stay empty."""
    return _grey_cells(_years(boekjaar, directory), directory).clone()


@lru_cache(maxsize=16)
def _grey_cells(years: tuple[int, ...], directory: Path) -> pl.DataFrame:
    rows = [
        (year, side, str(cell["taakveld"]).strip(), str(cell["categorie"]).strip())
        for year in years
        for side in SIDES
        for cell in _definition(directory, year)["grijze_cellen"][side]
    ]
    return pl.DataFrame(rows, schema=GREY_SCHEMA, orient="row").unique(maintain_order=True)


def controles(boekjaar: int, *, directory: Path = DEFINITIONS_DIR) -> dict[str, tuple[int, ...]]:
    """CBS's checks of the boekjaar: foutcode → the periodes it applies to."""
    out: dict[str, tuple[int, ...]] = {}
    # Early definition files (2017) carry no controles.
    for check in _definition(directory, boekjaar).get("controles", []):
        periodes = sorted({int(p) for calc in check.get("calculaties", []) for p in calc.get("periode", [])})
        out[str(check["foutcode"])] = tuple(periodes)
    return out


def cell_key(taakveld: str, categorie: str) -> str:
    """How a taakveld × categorie cell is written in reasons: `0.4×5.1`."""
    return f"{taakveld}×{categorie}"


@dataclass(frozen=True)
class YearCodes:
    """The code sets one boekjaar's lines are judged by (sorted tuples, for stable checks).

    taakvelden / categorieen: valid this year (either side); *_other_years: valid in some
    other boekjaar but not this one; lasten / baten: the categorieën of each side this
    year; grey_lasten / grey_baten: the grey cells as `cell_key`; pf009: the categorieën
    that may carry no realisatie amount (empty when CBS does not check PF009 that year).
    """

    boekjaar: int
    taakvelden: tuple[str, ...]
    taakvelden_other_years: tuple[str, ...]
    categorieen: tuple[str, ...]
    categorieen_other_years: tuple[str, ...]
    lasten: tuple[str, ...]
    baten: tuple[str, ...]
    grey_lasten: tuple[str, ...]
    grey_baten: tuple[str, ...]
    pf009: tuple[str, ...]

    def not_on_side(self, side: str) -> tuple[str, ...]:
        """This year's categorieën that belong to the other side only."""
        own = set(self.lasten if side == "lasten" else self.baten)
        return tuple(sorted(set(self.categorieen) - own))


def year_codes(boekjaar: int, *, directory: Path = DEFINITIONS_DIR) -> YearCodes:
    """The code sets of one boekjaar; a boekjaar without a definition file is an `Iv3Error`."""
    _definition(directory, boekjaar)
    every = _code_lists(_boekjaren(directory), directory)
    year = every.filter(pl.col("boekjaar") == boekjaar)

    def codes(frame: pl.DataFrame, code_list: str, side: str | None = None) -> set[str]:
        chosen = frame.filter(pl.col("code_list") == code_list)
        if side is not None:
            chosen = chosen.filter(pl.col("side") == side)
        return set(chosen["code"].to_list())

    grey = _grey_cells((boekjaar,), directory)

    def cells(side: str) -> tuple[str, ...]:
        rows = grey.filter(pl.col("side") == side)
        return tuple(sorted(cell_key(t, c) for t, c in zip(rows["taakveld"], rows["categorie"], strict=True)))

    taakvelden, categorieen = codes(year, "taakveld"), codes(year, "categorie")
    checked = controles(boekjaar, directory=directory)
    pf009 = tuple(sorted(set(PF009_CATEGORIES) & categorieen)) if "PF009" in checked else ()
    return YearCodes(
        boekjaar=boekjaar,
        taakvelden=tuple(sorted(taakvelden)),
        taakvelden_other_years=tuple(sorted(codes(every, "taakveld") - taakvelden)),
        categorieen=tuple(sorted(categorieen)),
        categorieen_other_years=tuple(sorted(codes(every, "categorie") - categorieen)),
        lasten=tuple(sorted(codes(year, "categorie", "lasten"))),
        baten=tuple(sorted(codes(year, "categorie", "baten"))),
        grey_lasten=cells("lasten"),
        grey_baten=cells("baten"),
        pf009=pf009,
    )


# --- deliveries ------------------------------------------------------------------------


@dataclass(frozen=True)
class StructureFault:
    """One way a delivery breaks CBS's JSON Schema: CBS's code, where, and what."""

    code: str  # SF0xx from fouten.json
    path: str  # JSON path, `$.metadata.boekjaar`
    message: str  # never quotes the offending value (it may be personal data)

    def __str__(self) -> str:
        return f"{self.code} at {self.path}: {self.message}"


@lru_cache(maxsize=2)
def _schema(directory: Path) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((directory / SCHEMA_FILE).read_text(encoding="utf-8"))
    return schema


@lru_cache(maxsize=2)
def _validator(directory: Path) -> Any:
    """CBS's JSON Schema as a validator, built once: it holds no state between documents."""
    from jsonschema import Draft7Validator

    return Draft7Validator(_schema(directory))


@lru_cache(maxsize=2)
def error_texts(directory: Path = DEFINITIONS_DIR) -> dict[str, str]:
    """CBS's error code → its description (fouten.json `omschrijving`)."""
    document = json.loads((directory / ERRORS_FILE).read_text(encoding="utf-8"))
    return {str(e["foutcode"]): str(e["omschrijving"]) for e in document["fouten_overzicht"]}


_MISSING_IN_DATA = {
    "lasten": "SF012",
    "baten": "SF011",
    "balans_baten": "SF013",
    "balans_lasten": "SF014",
    "balans_standen": "SF015",
}
_SECTION = {"metadata": ("SF002", "SF003", "SF004"), "contact": ("SF006", "SF007", "SF008")}


def _fault_code(path: Sequence[Any], validator: str, missing: str | None) -> str:
    """The CBS code (fouten.json) for one schema error at `path`."""
    top = str(path[0]) if path else None
    if top is None:
        if validator == "required":
            return {"metadata": "SF001", "contact": "SF005", "data": "SF010"}.get(missing or "", "SF999")
        return "SF999"
    if top in _SECTION:
        missing_key, unknown_key, wrong_type = _SECTION[top]
        if validator == "required":
            return missing_key
        if validator == "additionalProperties":
            return unknown_key
        if top == "contact" and validator == "pattern":
            return "SF009"
        return wrong_type
    if top == "data":
        if len(path) == 1 and validator == "required":
            return _MISSING_IN_DATA.get(missing or "", "SF016")
        if validator == "required" and missing == "bedrag":
            return "SF017"
        if len(path) >= 3 and str(path[-1]) == "bedrag":
            return "SF017"
        return "SF016"
    return "SF999"


def _missing_key(error: Any) -> str | None:
    if error.validator != "required":
        return None
    instance = error.instance if isinstance(error.instance, dict) else {}
    absent = [key for key in error.validator_value if key not in instance]
    return str(absent[0]) if absent else None


def _describe(error: Any, missing: str | None) -> str:
    """The fault in words built from the schema, not from the value found."""
    validator, expected = error.validator, error.validator_value
    if validator == "required":
        return f"required key {missing!r} is missing"
    if validator == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        extra = (
            sorted(k for k in error.instance if k not in known) if isinstance(error.instance, dict) else []
        )
        return f"unknown key(s) {', '.join(map(repr, extra))}"
    if validator == "type":
        return f"must be of type {expected}"
    if validator in ("enum", "oneOf"):
        allowed = error.schema.get("enum") or [
            value for option in error.schema.get("oneOf", []) for value in option.get("enum", [])
        ]
        return f"must be one of {allowed}" if allowed else "is not an allowed value"
    if validator == "pattern":
        return "is empty or does not have the required form"
    if validator == "minProperties":
        return f"must have at least {expected} keys"
    return f"fails the schema's {validator!r} rule"


def _json_path(path: Sequence[Any]) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def structure_faults(document: Any, *, directory: Path = DEFINITIONS_DIR) -> list[StructureFault]:
    """Every fault of the delivery against CBS's JSON Schema, in document order.

    Validated by `jsonschema` (draft 7, as the schema declares). A `oneOf` over an enum
    is reported once, as the value not being allowed.
    """
    validator = _validator(directory)
    faults: list[StructureFault] = []
    seen: set[tuple[str, str]] = set()
    for error in sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path]):
        path = list(error.absolute_path)
        missing = _missing_key(error)
        code = _fault_code(path, str(error.validator), missing)
        where = _json_path(path)
        if (code, where) in seen:
            continue
        seen.add((code, where))
        faults.append(StructureFault(code, where, _describe(error, missing)))
    return faults


def _amount_text(value: Any) -> str:
    """An exact decimal text for a JSON number (parsed as `Decimal`): `-1234.5`, never `1E+3`."""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    return format(number, "f")


def delivery_lines(document: Mapping[str, Any]) -> pl.DataFrame:
    """The lasten and baten lines of a structurally valid delivery; grain: one row per line.

    Balance lines, kengetallen and beleidsindicatoren are not lasten or baten and are not
    read; `contact` and `opmerkingen` are never touched.
    """
    rows: list[tuple[str, str, str, str, int]] = []
    number = 0
    for side in SIDES:
        for item in document["data"].get(side, []):
            number += 1
            rows.append(
                (
                    side,
                    str(item["taakveld"]).strip(),
                    str(item["categorie"]).strip(),
                    _amount_text(item["bedrag"]),
                    number,
                )
            )
    return pl.DataFrame(rows, schema=LINE_SCHEMA, orient="row")


def quarter_added(current: pl.DataFrame, previous: pl.DataFrame) -> pl.DataFrame:
    """What a quarter added: a year-to-date delivery's lines minus the previous periode's.

    Both frames have `LINE_SCHEMA`. Amounts are subtracted per side × taakveld ×
    categorie in exact decimals (several lines on one cell are summed first; the first
    line of the cell in `current` carries the difference, the others 0). A cell the
    previous delivery had and this one lacks stood at 0 this quarter: it gets a line of
    minus its earlier amount, numbered after the delivery's own lines.
    Grain out: the lines of `current`, then the cells only `previous` had.
    """
    keys = ["side", "taakveld", "categorie"]
    exact = pl.Decimal(38, 9)
    before = previous.group_by(keys).agg(pl.col("amount").cast(exact).sum().alias("before"))
    now = current.with_columns(pl.col("amount").cast(exact).alias("_amount")).with_columns(
        pl.col("_amount").sum().over(keys).alias("_cell"),
        (pl.int_range(pl.len()).over(keys) == 0).alias("_first"),
    )
    joined = now.join(before, on=keys, how="left", maintain_order="left")
    own = joined.select(
        *keys,
        pl.when(pl.col("_first"))
        .then(pl.col("_cell") - pl.col("before").fill_null(0))
        .otherwise(pl.lit(0, dtype=exact))
        .alias("amount"),
        "line",
    )
    gone = before.join(current.select(keys).unique(), on=keys, how="anti").sort(keys)
    last = int(current["line"].cast(pl.Int64).max() or 0) if current.height else 0  # type: ignore[arg-type]
    withdrawn = gone.select(
        *keys,
        (-pl.col("before")).alias("amount"),
        (pl.int_range(1, pl.len() + 1, dtype=pl.Int64) + last).alias("line"),
    )
    out = pl.concat([own, withdrawn])
    return out.with_columns(
        pl.col("amount").map_elements(lambda d: _amount_text(Decimal(d).normalize()), return_dtype=pl.Utf8)
    ).cast(LINE_SCHEMA)  # type: ignore[arg-type]


# --- what the budget checks read -------------------------------------------------------

# Columns `check_columns` adds to staged budget lines; each is NULL where its check does
# not apply, as Great Expectations' map checks skip NULLs.
CHECK_COLUMNS: tuple[str, ...] = (
    "lasten_categorie",
    "baten_categorie",
    "lasten_cell",
    "baten_cell",
    "realisatie_categorie",
)


def check_columns() -> list[pl.Expr]:
    """The columns the side, grey-cell and PF009 checks read, from a staged line.

    A line has an amount on a side when that side's amount is not 0: `lasten_categorie`
    is the categorie of a line with lasten, `lasten_cell` its `cell_key`;
    `realisatie_categorie` is the categorie of a realisatie line with any amount.
    """
    has = {side: pl.col(f"{side}_eur").is_not_null() & (pl.col(f"{side}_eur") != 0) for side in SIDES}
    return [
        *(pl.when(has[side]).then(pl.col("categorie")).alias(f"{side}_categorie") for side in SIDES),
        *(
            pl.when(has[side])
            .then(pl.concat_str(pl.col("taakveld"), pl.lit("×"), pl.col("categorie")))
            .alias(f"{side}_cell")
            for side in SIDES
        ),
        pl.when((pl.col("kind") == "realisatie") & (has["lasten"] | has["baten"]))
        .then(pl.col("categorie"))
        .alias("realisatie_categorie"),
    ]


def _code_dim(lists: pl.DataFrame, code_list: str) -> pl.DataFrame:
    latest = lists["boekjaar"].max()
    return (
        lists.filter(pl.col("code_list") == code_list)
        .sort("boekjaar")
        .group_by("code", maintain_order=True)
        .agg(
            pl.col("name").last(),
            pl.col("boekjaar").min().alias("first_year"),
            pl.col("boekjaar").max().alias("last_year"),
            pl.col("side").unique().sort().str.join("|").alias("sides"),
        )
        .with_columns(pl.when(pl.col("last_year") < latest).then(pl.col("last_year")).alias("last_year"))
        .sort("code")
    )


def taakveld_dim(lists: pl.DataFrame) -> pl.DataFrame:
    """One row per taakveld of any boekjaar: code, name (latest), first_year, last_year (NULL: valid now)."""
    return _code_dim(lists, "taakveld").select("code", "name", "first_year", "last_year")


def categorie_dim(lists: pl.DataFrame) -> pl.DataFrame:
    """One row per categorie of any boekjaar: code, name (latest), first/last year, sides (`baten|lasten`)."""
    return _code_dim(lists, "categorie").select("code", "name", "first_year", "last_year", "sides")


# --- a delivery's metadata -------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """What a delivery's metadata says costtrends needs: who, which period, which kind.

    Grain: one delivery (one JSON file). `contact` and `opmerkingen` are not part of it.
    """

    overheidsnummer: str  # `0363`: the CBS municipality number
    boekjaar: int
    periode: int
    kind: str  # begroting | realisatie
    quarter: Quarter  # the landing folder it belongs in

    @property
    def is_jaarrekening(self) -> bool:
        return self.periode == JAARREKENING_PERIODE


def delivery_of(document: Mapping[str, Any]) -> Delivery:
    """The metadata of a structurally valid delivery; `Iv3Error` when it is not a municipality's
    or its status does not go with its periode."""
    meta = document["metadata"]
    if meta["overheidslaag"] != "Gemeente":
        raise Iv3Error(
            f"overheidslaag is {meta['overheidslaag']!r}: costtrends reads deliveries of a Gemeente"
        )
    boekjaar, periode = meta["boekjaar"], meta["periode"]
    if int(boekjaar) != boekjaar or int(periode) != periode:
        raise Iv3Error("boekjaar and periode must be whole numbers")
    boekjaar, periode = int(boekjaar), int(periode)
    status = str(meta["status"])
    if status != expected_status(periode):
        raise Iv3Error(
            f"status {status!r} does not go with periode {periode} "
            f"(periode 0 is the Begroting, periodes 1-5 are Realisatie)"
        )
    quarter, kind = period_target(boekjaar, periode)
    return Delivery(str(meta["overheidsnummer"]).strip(), boekjaar, periode, kind, quarter)
