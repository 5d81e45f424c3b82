"""Deterministic synthetic landing files: survey exports and Iv3 budget records.

One call writes, for every quarter in a range,

- ``landing/survey/<Q>/survey_<Q>.csv`` (or ``.xlsx`` in one wave of four), and in
  some quarters ``survey_<Q>_late.csv`` with responses that came in after the
  main export: one row per responding municipality, plus a few bad rows;
- ``landing/budget/<Q>/iv3_<Q>.csv``: one row per municipality × taakveld ×
  categorie × kind for every municipality that exists in the quarter, plus a
  few bad rows;
- ``landing/budget/<Q>/iv3_<nummer>_<boekjaar>_P<periode>.json``: for every eighth
  municipality (by CBS number) its lines as CBS Iv3 JSON deliveries instead of CSV
  rows: in Q1 the begroting (periode 0, the year: four times Q1's budget lines) and the
  realisatie of Q1, in Q2–Q4 the realisatie year to date (periode 2–4), amounts in
  thousands of euros, as CBS asks. A periode 2–4 delivery loads only next to the
  delivery of the periode before it, so generate such years from their first quarter.

The same arguments give byte-identical files. Every random draw comes from a
generator seeded by ``(seed, quarter, stream)``, so a quarter's files do not
depend on which other quarters are generated with it, and no file carries a
wall-clock time: timestamps are derived from the quarter.

Survey waves rotate through three header sets and file formats (see
``_WAVES``); the headers are aliases from ``transforms/mappings/survey_columns.csv``.
Amounts follow population: the national digital total lies around €4–5 million per
quarter from 2020 on, with a spike in 2020Q2 and a slow decline after it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from ingest.files import atomic_file, write_atomically
from transforms import iv3
from transforms.quarter import Quarter, quarter_range

__all__ = ["SCALES", "GenerateSummary", "Scale", "default_seeds_dir", "generate", "write_large_budget_file"]


@dataclass(frozen=True)
class Scale:
    """How large the generated budget files are."""

    name: str
    budget_lines_per_kind: int  # Iv3 lines per municipality per kind per quarter
    # Part of the municipalities deliver Iv3 JSON files instead of rows in the CSV. A
    # year-to-date delivery regenerates the year's earlier quarters, so the largest
    # scale keeps to CSV.
    iv3_json: bool = True


SCALES: dict[str, Scale] = {
    "tiny": Scale("tiny", 5),
    "demo": Scale("demo", 40),
    "national": Scale("national", 1000, iv3_json=False),
}


@dataclass
class GenerateSummary:
    """What `generate` wrote; row counts are data rows, without header or title rows."""

    files: list[Path] = field(default_factory=list)
    survey_rows: int = 0
    budget_rows: int = 0


def default_seeds_dir() -> Path:
    """The reference seeds shipped with the `warehouse` package."""
    return Path(__file__).resolve().parents[1] / "warehouse" / "seeds"


# ---------------------------------------------------------------------------
# Levels and trends
# ---------------------------------------------------------------------------

# The first quarter of the crisis: wave rotation and trends count from here.
_CRISIS_START = Quarter(2020, 1)

# Euros per inhabitant per quarter over the five digital categories at trend 1.0;
# with ~17.4 million inhabitants that is about €4.3 million nationally.
_DIGITAL_EUR_PER_INHABITANT = 0.245
_DIGITAL_SHARES = {
    "hardware": 0.36,
    "software_licences": 0.27,
    "ict_support": 0.16,
    "security": 0.11,
    "other": 0.10,
}

# Trend of the digital extra costs, by quarters since 2020Q1: a spike in 2020Q2,
# then a slow decline to a floor that keeps the national total near €4 million.
_DIGITAL_TREND_START = (0.98, 1.24, 1.14, 1.07)
_DIGITAL_TREND_DECLINE = 0.985
_DIGITAL_TREND_FLOOR = 1.0
_DIGITAL_TREND_BEFORE = 0.25

# Share of staff working from home now / expected after the crisis, by quarter.
_REMOTE_NOW = (45, 82, 70, 75, 76, 65, 50, 55)
_REMOTE_NOW_LATER = 45
_REMOTE_NOW_BEFORE = 8
_REMOTE_EXPECTED = (40, 48, 50, 50, 50, 48, 47, 47)
_REMOTE_EXPECTED_LATER = 46

# Budget: euros per inhabitant per quarter over all non-overhead lines, and the
# overhead ICT lines (0.4 × 3.8 services, 0.4 × 3.2 durable goods).
_BUDGET_EUR_PER_INHABITANT = 700.0
_OVERHEAD_LINES = (("0.4", "3.8", 10.0, 20.0), ("0.4", "3.2", 2.0, 5.0))
_BUDGET_CHUNK = 40  # municipalities per written chunk

_MISSING_TOKENS = ("n.v.t.", "weet niet", "")
_CATEGORIES = tuple(_DIGITAL_SHARES) + ("office_savings",)
_AMOUNTS = tuple(f"{c}_eur" for c in _CATEGORIES)


def _quarters_since_crisis(q: Quarter) -> int:
    return q.index - _CRISIS_START.index


def _digital_trend(q: Quarter) -> float:
    i = _quarters_since_crisis(q)
    if i < 0:
        return _DIGITAL_TREND_BEFORE
    if i < len(_DIGITAL_TREND_START):
        return _DIGITAL_TREND_START[i]
    decline = _DIGITAL_TREND_DECLINE ** (i - len(_DIGITAL_TREND_START) + 1)
    return max(_DIGITAL_TREND_FLOOR, _DIGITAL_TREND_START[-1] * decline)


def _respondent_spread(population: int) -> float:
    """Lognormal sigma of a respondent's per-inhabitant level: large organisations vary less."""
    return float(np.clip(0.55 - 0.08 * np.log(population / 10_000), 0.2, 0.55))


def _savings_ratio(q: Quarter) -> float:
    """Office savings as a share of the digital extra costs: grows as offices shrink."""
    i = _quarters_since_crisis(q)
    if i < 0:
        return 0.05
    return min(0.6, 0.1 + 0.06 * i)


def _by_quarter(q: Quarter, table: Sequence[int], later: int, before: int) -> int:
    i = _quarters_since_crisis(q)
    if i < 0:
        return before
    return table[i] if i < len(table) else later


# ---------------------------------------------------------------------------
# Reference data
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Municipality:
    code: str
    name: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    population: dict[int, int]

    def exists_in(self, q: Quarter) -> bool:
        started = self.valid_from is None or self.valid_from <= q.end
        return started and (self.valid_to is None or self.valid_to >= q.start)

    def population_in(self, year: int) -> int:
        """Population of `year`, else of the nearest year with a figure (earlier on a tie)."""
        if year in self.population:
            return self.population[year]
        nearest = min(self.population, key=lambda y: (abs(y - year), y))
        return self.population[nearest]

    @property
    def number(self) -> int:
        return int(self.code[2:])


@dataclass(frozen=True)
class _Reference:
    municipalities: tuple[_Municipality, ...]
    taakvelden: tuple[str, ...]  # every Iv3 taakveld of any boekjaar (CBS definition files)
    categorieen: tuple[tuple[str, str], ...]  # code, side: lasten, baten or both
    iv3_dir: Path  # CBS's definition files: which codes and cells each boekjaar allows


def _read_csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _date_or_none(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text.strip() else None


def _load_reference(seeds_dir: Path) -> _Reference:
    municipalities = []
    for row in _read_csv_rows(seeds_dir / "municipalities.csv"):
        population = {
            int(key.rsplit("_", 1)[1]): int(value)
            for key, value in row.items()
            if key.startswith("population_") and value and value.strip()
        }
        if not population:
            continue
        municipalities.append(
            _Municipality(
                code=row["code"].strip(),
                name=row["name"].strip(),
                valid_from=_date_or_none(row["valid_from"]),
                valid_to=_date_or_none(row["valid_to"]),
                population=population,
            )
        )
    iv3_dir = seeds_dir / "iv3" if (seeds_dir / "iv3").is_dir() else iv3.DEFINITIONS_DIR
    lists = iv3.code_lists(directory=iv3_dir)
    taakvelden = tuple(iv3.taakveld_dim(lists)["code"].to_list())
    sides = {"lasten": "lasten", "baten": "baten", "baten|lasten": "both"}
    categorieen = tuple(
        (code, sides[side]) for code, side in iv3.categorie_dim(lists).select("code", "sides").iter_rows()
    )
    return _Reference(tuple(municipalities), taakvelden, categorieen, iv3_dir)


# ---------------------------------------------------------------------------
# Random streams
# ---------------------------------------------------------------------------

_STREAM_SURVEY = 1
_STREAM_BUDGET = 2
_STREAM_BUDGET_MUNICIPALITY = 3


def _rng(seed: int, *keys: int) -> np.random.Generator:
    """A generator that depends only on the seed and the keys (never on call order)."""
    return np.random.default_rng([seed % 2**63, *keys])


# ---------------------------------------------------------------------------
# Survey: people, text and waves
# ---------------------------------------------------------------------------

_FIRST_NAMES = (
    "Jan", "Anna", "Pieter", "Sanne", "Mark", "Lotte", "Kees", "Femke", "Willem", "Eva",
    "Sjoerd", "Marieke", "Thijs", "Inge", "Bram", "Noor", "Daan", "Esther", "Ruud", "Chloë",
    "René", "Joëlle", "Gerrit", "Hanneke", "Ahmed", "Fatima", "Mehmet", "Yasmina", "Tjitske",
    "Wouter", "Maaike", "Hüseyin", "Zoë", "Jeroen", "Ingrid", "Sven", "Annelies", "Koen",
)  # fmt: skip
_SURNAMES = (
    ("de", "Vries"), ("", "Jansen"), ("van den", "Berg"), ("van", "Dijk"), ("", "Bakker"),
    ("", "Visser"), ("", "Smit"), ("", "Meijer"), ("de", "Boer"), ("", "Mulder"),
    ("de", "Groot"), ("", "Bos"), ("", "Vos"), ("", "Peters"), ("", "Hendriks"),
    ("van", "Leeuwen"), ("", "Dekker"), ("", "Brouwer"), ("de", "Wit"), ("", "Dijkstra"),
    ("", "Hoekstra"), ("van der", "Meer"), ("", "Kok"), ("", "Öztürk"), ("", "El Amrani"),
    ("van 't", "Hof"), ("", "Postma"), ("", "Schuurman"), ("", "Çelik"), ("", "Bouma"),
)  # fmt: skip
_AREA_CODES = ("010", "020", "030", "040", "050", "058", "070", "073", "076", "024", "026", "043")
_IP_PREFIXES = ("192.0.2", "198.51.100", "203.0.113")  # documentation ranges
_COMMENTS = (
    "Laptops aangeschaft voor alle medewerkers; headsets volgen volgend kwartaal.",
    "Bedragen zijn een schatting.\nDefinitieve cijfers volgen bij de jaarrekening.",
    'Kosten voor "Teams"-licenties lopen via het regionale contract.',
    "Geen extra kosten voor beveiliging; valt onder het bestaande contract.",
    "Besparing op huisvesting nog niet zichtbaar, het huurcontract loopt door.",
    "VPN-capaciteit uitgebreid.\nExtra servicedesk-uren ingehuurd; zie ook vraag 4.",
    "Thuiswerkvergoeding is niet meegenomen in deze cijfers.",
    "Cijfers betreffen alleen het ambtelijk apparaat, exclusief griffie.",
    "Bureaustoelen en beeldschermen in bruikleen gegeven (ca. 200 stuks).",
    "Overige kosten: ergonomisch advies en cursussen 'digitaal vergaderen'.",
    "Schoonmaak en catering op het gemeentehuis grotendeels stilgelegd;\nbesparing geschat.",
    "Samen met buurgemeenten ingekocht, ons aandeel is naar rato van inwoners berekend.",
    "Inclusief kosten van de ICT-samenwerking (gemeenschappelijke regeling).",
)
_UNKNOWN_MUNICIPALITIES = ("Lutjebroek", "Sint-Oedenrode", "Nergenshuizen", "Westerdijk aan Zee")


@dataclass(frozen=True)
class _Wave:
    """One survey export format: header wording, column order, number and text formats."""

    name: str
    headers: dict[str, str]  # canonical -> header text, in column order
    delimiter: str
    encoding: str  # cp1252 falls back to utf-8-sig when some text does not encode
    line_terminator: str
    amount_style: str  # "euro": € 12.500,00 | "plain": 12500 | "thousands": 12.500
    percent_style: str  # "suffix": 45% | "plain": 45 | "fraction": 0,45
    decimal_comma: bool
    timestamp_format: str
    municipality_styles: tuple[tuple[str, float], ...]  # style, probability


# Header text of each column in waves A and B; wave C's headers are the canonical names
# but for `gemeentecode`.
_HEADER_TEXTS = {
    "response_id": ("Responsnummer", "Response Number"),
    "submitted_at": ("Ingediend op", "Submit Date"),
    "municipality": ("Naam gemeente", "Organisation"),
    "period": ("Periode", "Quarter"),
    "fte": ("Aantal FTE", "FTE"),
    "remote_share_now_pct": ("Percentage thuiswerken nu", "Share working from home now"),
    "remote_share_expected_pct": ("Percentage thuiswerken na de crisis", "Share working from home expected"),
    "hardware_eur": ("Extra kosten hardware", "Extra costs hardware"),
    "software_licences_eur": ("Extra kosten softwarelicenties", "Extra costs software licences"),
    "ict_support_eur": ("Extra kosten ICT-ondersteuning", "Extra costs ICT support"),
    "security_eur": ("Extra kosten digitale beveiliging", "Extra costs digital security"),
    "other_eur": ("Extra kosten overig", "Extra costs other"),
    "office_savings_eur": ("Besparing kantoorruimte", "Savings on office space"),
    "respondent_name": ("Naam respondent", "Name"),
    "respondent_email": ("E-mailadres", "Email"),
    "respondent_phone": ("Telefoonnummer", "Phone"),
    "ip_address": ("IP-adres", "IP Address"),
    "comment": ("Toelichting", "Comments"),
}
_IDS = ("response_id", "submitted_at")
_WHERE = ("municipality", "period")
_STAFF = ("fte", "remote_share_now_pct", "remote_share_expected_pct")
_PERSONAL = ("respondent_name", "respondent_email", "respondent_phone", "ip_address")


def _headers(columns: Sequence[str], wave: int | None) -> dict[str, str]:
    """Canonical column -> header text of wave `wave` (0: A, 1: B; None: the canonical name)."""
    return {c: c if wave is None else _HEADER_TEXTS[c][wave] for c in columns}


_WAVES: tuple[_Wave, ...] = (
    _Wave(
        name="A",
        headers=_headers((*_IDS, *_WHERE, *_STAFF, *_AMOUNTS, *_PERSONAL, "comment"), 0),
        delimiter=";",
        encoding="cp1252",
        line_terminator="\r\n",
        amount_style="euro",
        percent_style="suffix",
        decimal_comma=True,
        timestamp_format="%d-%m-%Y %H:%M",
        municipality_styles=(("name", 0.7), ("prefixed", 0.2), ("lower", 0.1)),
    ),
    _Wave(
        name="B",
        headers=_headers((*_IDS, *_PERSONAL, *_WHERE, *_STAFF, *_AMOUNTS, "comment"), 1),
        delimiter=",",
        encoding="utf-8",
        line_terminator="\n",
        amount_style="plain",
        percent_style="plain",
        decimal_comma=False,
        timestamp_format="%Y-%m-%dT%H:%M:%S",
        municipality_styles=(("name", 0.6), ("lower", 0.25), ("prefixed", 0.15)),
    ),
    _Wave(
        name="C",
        # A survey tool's raw export: canonical names, a preview flag, the personal columns sorted.
        headers=_headers(
            (
                *_WHERE,
                *_IDS,
                *_AMOUNTS,
                "fte",
                "remote_share_expected_pct",
                "remote_share_now_pct",
                "is_preview",
                "comment",
                *sorted(_PERSONAL),
            ),
            None,
        )
        | {"municipality": "gemeentecode"},
        delimiter=";",
        encoding="utf-8-sig",
        line_terminator="\r\n",
        amount_style="thousands",
        percent_style="fraction",
        decimal_comma=True,
        timestamp_format="%Y-%m-%d %H:%M:%S",
        municipality_styles=(("code", 0.7), ("digits", 0.3)),
    ),
)

# `period` is written differently from quarter to quarter (all parse with Quarter.parse).
_PERIOD_STYLES = ("{y}Q{q}", "{y}-Q{q}", "Q{q} {y}", "{q}e kwartaal {y}")


def _wave_for(q: Quarter) -> _Wave:
    return _WAVES[_quarters_since_crisis(q) % len(_WAVES)]


def _is_xlsx_quarter(q: Quarter) -> bool:
    """One wave in four arrives as a spreadsheet."""
    return _quarters_since_crisis(q) % 4 == 3


def _period_text(q: Quarter) -> str:
    style = _PERIOD_STYLES[_quarters_since_crisis(q) % len(_PERIOD_STYLES)]
    return style.format(y=q.year, q=q.q)


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    ascii_text = ascii_text.lower().replace(" (", "-")
    return re.sub(r"[^a-z0-9-]", "", ascii_text).strip("-")


def _municipality_text(m: _Municipality, style: str) -> str:
    if style == "prefixed":
        return f"Gemeente {m.name}"
    if style == "lower":
        return m.name.lower()
    if style == "code":
        return m.code
    if style == "digits":
        return m.code[2:]
    return m.name


# ---------------------------------------------------------------------------
# Survey: rows
# ---------------------------------------------------------------------------

Row = dict[str, Any]


@dataclass
class _SurveyDraft:
    """One quarter's survey rows before formatting; `offset` is seconds after the quarter ends."""

    main: list[Row]
    late: list[Row]


def _person(rng: np.random.Generator, domain: str) -> dict[str, str]:
    first = _FIRST_NAMES[rng.integers(len(_FIRST_NAMES))]
    particle, surname = _SURNAMES[rng.integers(len(_SURNAMES))]
    full = " ".join(part for part in (first, particle, surname) if part)
    local = f"{_slug(first)[0]}.{_slug(particle + surname)}"
    if rng.random() < 0.5:
        phone = f"06-{rng.integers(10_000_000, 100_000_000)}"
    else:
        area = _AREA_CODES[rng.integers(len(_AREA_CODES))]
        phone = f"{area}-{rng.integers(1_000_000, 10_000_000)}"
    if rng.random() < 0.2:
        phone = "+31 " + phone.lstrip("0").replace("-", " ")
    ip = f"{_IP_PREFIXES[rng.integers(len(_IP_PREFIXES))]}.{rng.integers(1, 255)}"
    comment = _COMMENTS[rng.integers(len(_COMMENTS))] if rng.random() < 0.45 else ""
    return {
        "respondent_name": full,
        "respondent_email": f"{local}@{domain}.nl",
        "respondent_phone": phone,
        "ip_address": ip,
        "comment": comment,
    }


def _answers(rng: np.random.Generator, q: Quarter, population: int, *, complete: bool = False) -> Row:
    """FTE, home-work shares and the six amounts of one response."""
    sigma = _respondent_spread(population)
    level = (
        _DIGITAL_EUR_PER_INHABITANT * _digital_trend(q) * population * rng.lognormal(-(sigma**2) / 2, sigma)
    )
    shares = rng.dirichlet([20 * s for s in _DIGITAL_SHARES.values()])
    amounts = level * shares
    savings = min(level * _savings_ratio(q) * rng.lognormal(-0.08, 0.4), 0.9 * level)
    round_to = 100 if rng.random() < 0.3 else 1
    values = [*amounts, savings]
    row: Row = {col: float(round(v / round_to) * round_to) for col, v in zip(_AMOUNTS, values, strict=True)}
    row["fte"] = round(max(25.0, population * 0.0075 * rng.lognormal(0, 0.25)), 1)
    now_mean = _by_quarter(q, _REMOTE_NOW, _REMOTE_NOW_LATER, _REMOTE_NOW_BEFORE)
    expected_mean = _by_quarter(q, _REMOTE_EXPECTED, _REMOTE_EXPECTED_LATER, 10)
    row["remote_share_now_pct"] = int(np.clip(round(rng.normal(now_mean, 12)), 0, 100))
    row["remote_share_expected_pct"] = int(np.clip(round(rng.normal(expected_mean, 10)), 0, 100))
    if not complete:
        for col in (*_AMOUNTS, "fte", "remote_share_now_pct", "remote_share_expected_pct"):
            chance = 0.08 if col == "office_savings_eur" else 0.03
            if rng.random() < chance:
                row[col] = _MISSING_TOKENS[rng.choice(3, p=[0.45, 0.3, 0.25])]
    return row


def _respondent_row(rng: np.random.Generator, q: Quarter, m: _Municipality, wave: _Wave, offset: int) -> Row:
    styles, chances = zip(*wave.municipality_styles, strict=True)
    style = styles[rng.choice(len(styles), p=chances)]
    row: Row = {
        "municipality": _municipality_text(m, style),
        "period": _period_text(q),
        "is_preview": 0,
        "offset": offset,
        "code": m.code,
    }
    row.update(_answers(rng, q, m.population_in(q.year)))
    row.update(_person(rng, _slug(m.name)))
    return row


def _offset(rng: np.random.Generator, first_day: int, last_day: int) -> int:
    """Seconds after the quarter's last day began: a working-hours moment on a day in range."""
    day = int(rng.integers(first_day, last_day + 1))
    return day * 86_400 + int(rng.integers(8 * 3600, 19 * 3600))


def _draft_survey(q: Quarter, ref: _Reference, *, seed: int, response_rate: float) -> _SurveyDraft:
    rng = _rng(seed, q.index, _STREAM_SURVEY)
    wave = _wave_for(q)
    existing = [m for m in ref.municipalities if m.exists_in(q)]
    population = np.array([m.population_in(q.year) for m in existing], dtype=float)
    n = len(existing)
    k = int(round(min(max(response_rate, 0.0), 1.0) * n))

    # Weighted sampling without replacement: larger municipalities answer somewhat more often.
    weights = (population / np.median(population)) ** 0.3
    keys = np.log(rng.random(n)) / weights
    chosen = sorted(np.argsort(-keys, kind="stable")[:k].tolist())
    not_chosen = sorted(set(range(n)) - set(chosen))

    n_late = int(rng.integers(2, 6)) if k >= 20 and rng.random() < 0.5 else 0
    late_positions = set(rng.choice(k, size=n_late, replace=False).tolist()) if n_late else set()

    main: list[Row] = []
    late: list[Row] = []
    for position, index in enumerate(chosen):
        is_late = position in late_positions
        offset = _offset(rng, 29, 42) if is_late else _offset(rng, 1, 28)
        row = _respondent_row(rng, q, existing[index], wave, offset)
        (late if is_late else main).append(row)

    _add_bad_rows(rng, q, main, existing, not_chosen)
    return _SurveyDraft(main=main, late=late)


def _add_bad_rows(
    rng: np.random.Generator,
    q: Quarter,
    main: list[Row],
    existing: list[_Municipality],
    not_chosen: list[int],
) -> None:
    """Per quarter: a resubmission, an unknown municipality, a test response, and three
    responses spoiled in place (negative amount, percentage of 150, another quarter)."""
    by_code = {m.code: m for m in existing}
    picks = rng.permutation(len(main)).tolist()[:4]

    if picks:
        # Resubmission: an incomplete first answer, then the complete one days later.
        later = main[picks[0]]
        m = by_code[later["code"]]
        first_offset = _offset(rng, 1, 20)
        later_offset = first_offset + int(rng.integers(1, 8)) * 86_400
        later.update(_answers(rng, q, m.population_in(q.year), complete=True))
        later["offset"] = later_offset
        later["comment"] = "Aangepaste versie; vervangt onze eerdere inzending."
        earlier = dict(later)
        earlier["offset"] = first_offset
        earlier["comment"] = "Nog niet alle bedragen bekend."
        for col in rng.choice(_AMOUNTS, size=int(rng.integers(2, 4)), replace=False).tolist():
            earlier[col] = ""
        for col in _AMOUNTS:
            if isinstance(earlier[col], float):
                earlier[col] = float(round(earlier[col] * rng.uniform(0.7, 1.0)))
        main.append(earlier)
    if len(picks) > 1:
        row = main[picks[1]]
        if not isinstance(row["hardware_eur"], float) or row["hardware_eur"] <= 0:
            row["hardware_eur"] = float(round(rng.uniform(500, 5000)))
        row["hardware_eur"] = -row["hardware_eur"]
    if len(picks) > 2:
        main[picks[2]]["remote_share_now_pct"] = 150
    if len(picks) > 3:
        main[picks[3]]["period"] = _period_text(q.shift(-1))

    # A municipality that is not in the register.
    ghost_name = _UNKNOWN_MUNICIPALITIES[rng.integers(len(_UNKNOWN_MUNICIPALITIES))]
    ghost: Row = {
        "municipality": ghost_name,
        "period": _period_text(q),
        "is_preview": 0,
        "offset": _offset(rng, 1, 28),
        "code": "",
    }
    ghost.update(_answers(rng, q, 30_000))
    ghost.update(_person(rng, _slug(ghost_name)))
    main.append(ghost)

    # A test response made while setting up the questionnaire.
    pool = not_chosen or list(range(len(existing)))
    tester = existing[pool[int(rng.integers(len(pool)))]]
    test: Row = {
        "municipality": tester.name,
        "period": _period_text(q),
        "is_preview": 1,
        "offset": 86_400 + int(rng.integers(8 * 3600, 10 * 3600)),
        "code": tester.code,
        "fte": 1.0,
        "remote_share_now_pct": 50,
        "remote_share_expected_pct": 50,
        "respondent_name": "test",
        "respondent_email": f"test@{_slug(tester.name)}.nl",
        "respondent_phone": "0000-000000",
        "ip_address": f"{_IP_PREFIXES[0]}.1",
        "comment": "test, niet meenemen",
    }
    test.update({col: 123.0 for col in _AMOUNTS})
    main.append(test)


# ---------------------------------------------------------------------------
# Survey: formatting and writing
# ---------------------------------------------------------------------------


def _dutch_number(value: float, decimals: int, thousands: bool) -> str:
    text = f"{value:,.{decimals}f}" if thousands else f"{value:.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def _format_amount(value: float | str, wave: _Wave) -> str:
    if isinstance(value, str):
        return value
    if wave.amount_style == "euro":
        return f"€ {_dutch_number(value, 2, thousands=True)}"
    if wave.amount_style == "thousands":
        return _dutch_number(round(value), 0, thousands=True)
    return str(round(value))


def _format_percent(value: int | str, wave: _Wave) -> str:
    if isinstance(value, str):
        return value
    if wave.percent_style == "suffix":
        return f"{value}%"
    if wave.percent_style == "fraction":
        return _dutch_number(value / 100, 2, thousands=False)
    return str(value)


def _format_fte(value: float | str, wave: _Wave) -> str:
    if isinstance(value, str):
        return value
    text = f"{value:.1f}".removesuffix(".0")
    return text.replace(".", ",") if wave.decimal_comma else text


def _timestamp(q: Quarter, offset: int) -> dt.datetime:
    return dt.datetime.combine(q.end, dt.time()) + dt.timedelta(seconds=offset)


def _finalise(q: Quarter, draft: _SurveyDraft) -> tuple[list[Row], list[Row]]:
    """Order rows by submission time and number them; late rows follow the main export."""
    main = sorted(draft.main, key=lambda r: (r["offset"], r["code"], r["municipality"]))
    late = sorted(draft.late, key=lambda r: (r["offset"], r["code"], r["municipality"]))
    for number, row in enumerate([*main, *late], start=1):
        row["response_id"] = int(f"{q.year}{q.q}{number:04d}")
        row["submitted_at"] = _timestamp(q, row["offset"])
    return main, late


def _csv_cells(row: Row, wave: _Wave) -> list[str]:
    cells = []
    for col in wave.headers:
        value = row[col]
        if col in _AMOUNTS:
            cells.append(_format_amount(value, wave))
        elif col in ("remote_share_now_pct", "remote_share_expected_pct"):
            cells.append(_format_percent(value, wave))
        elif col == "fte":
            cells.append(_format_fte(value, wave))
        elif col == "submitted_at":
            cells.append(value.strftime(wave.timestamp_format))
        else:
            cells.append(str(value))
    return cells


def _survey_csv_bytes(rows: list[Row], wave: _Wave) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        delimiter=wave.delimiter,
        lineterminator=wave.line_terminator,
        quoting=csv.QUOTE_MINIMAL,
    )
    writer.writerow(list(wave.headers.values()))
    for row in rows:
        writer.writerow(_csv_cells(row, wave))
    text = buffer.getvalue()
    try:
        return text.encode(wave.encoding)
    except UnicodeEncodeError:
        return text.encode("utf-8-sig")


def _xlsx_value(col: str, value: Any, wave: _Wave) -> Any:
    if isinstance(value, str):
        return value or None
    if col in ("remote_share_now_pct", "remote_share_expected_pct"):
        return value if wave.percent_style == "plain" else value / 100
    if col in _AMOUNTS:
        return round(value, 2)
    return value


def _survey_xlsx_bytes(rows: list[Row], wave: _Wave, q: Quarter) -> bytes:
    """A workbook with a title row above the header row; bytes depend only on the rows."""
    from openpyxl import Workbook
    from openpyxl.xml.functions import tostring

    stamp = dt.datetime.combine(q.end + dt.timedelta(days=43), dt.time(6, 0))
    wb = Workbook()
    ws = wb.active
    ws.title = "Export"
    ws.append([f"Enquête extra kosten thuiswerken gemeenten - export {q}"])
    ws.append(list(wave.headers.values()))
    percent_format = "0%" if wave.percent_style == "suffix" else "0.00"
    for row in rows:
        ws.append([_xlsx_value(col, row[col], wave) for col in wave.headers])
        for cell, col in zip(ws[ws.max_row], wave.headers, strict=True):
            if col == "submitted_at":
                cell.number_format = "dd-mm-yyyy hh:mm"
            elif col.endswith("_pct") and wave.percent_style != "plain":
                cell.number_format = percent_format
    wb.properties.creator = "Enquêtetool"
    wb.properties.created = stamp
    raw = io.BytesIO()
    wb.save(raw)
    # Saving stamps the current time into docProps/core.xml and every zip entry: replace both.
    wb.properties.modified = stamp
    core = tostring(wb.properties.to_tree())
    out = io.BytesIO()
    with (
        zipfile.ZipFile(raw) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = core if info.filename == "docProps/core.xml" else source.read(info)
            entry = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, data)
    return out.getvalue()


def _write_survey_quarter(
    landing: Path,
    q: Quarter,
    ref: _Reference,
    *,
    seed: int,
    response_rate: float,
    xlsx: bool,
    summary: GenerateSummary,
) -> None:
    folder = landing / "survey" / str(q)
    for stale in (f"survey_{q}.csv", f"survey_{q}.xlsx", f"survey_{q}_late.csv"):
        (folder / stale).unlink(missing_ok=True)
    wave = _wave_for(q)
    main, late = _finalise(q, _draft_survey(q, ref, seed=seed, response_rate=response_rate))
    if xlsx and _is_xlsx_quarter(q):
        path = folder / f"survey_{q}.xlsx"
        write_atomically(path, _survey_xlsx_bytes(main, wave, q))
    else:
        path = folder / f"survey_{q}.csv"
        write_atomically(path, _survey_csv_bytes(main, wave))
    summary.files.append(path)
    summary.survey_rows += len(main)
    if late:
        path = folder / f"survey_{q}_late.csv"
        write_atomically(path, _survey_csv_bytes(late, wave))
        summary.files.append(path)
        summary.survey_rows += len(late)


# ---------------------------------------------------------------------------
# Budget
# ---------------------------------------------------------------------------

_BUDGET_HEADERS = ("gemeentecode", "periode", "taakveld", "categorie", "soort", "lasten", "baten")
_BUDGET_HEADERS_ALT = (
    "gemeente",
    "jaar",
    "kwartaal",
    "taakveldcode",
    "economische categorie",
    "status",
    "lasten_eur",
    "baten_eur",
    "eenheid",
)
_KINDS = ("begroting", "realisatie")
_UNKNOWN_TAAKVELD = "9.99"
_UNKNOWN_CATEGORIE = "9.9"
# Every this-many-th municipality (by CBS number) delivers Iv3 JSON instead of CSV rows.
_JSON_EVERY = 8


def _uses_alt_budget_header(q: Quarter) -> bool:
    return _quarters_since_crisis(q) % 2 == 1


@dataclass(frozen=True)
class _BudgetUniverse:
    """Every (taakveld, categorie) pair a municipality may book on, flattened."""

    taakveld: np.ndarray  # index into the taakveld codes, per pair
    categorie: np.ndarray  # index into the categorie codes, per pair
    valid_by_year: dict[int, np.ndarray]  # bool per pair: codes of the boekjaar, no grey cell, not PF009
    baten_grey_by_year: dict[
        int, np.ndarray
    ]  # bool per pair: grey on baten (a mandatory pair books no baten)
    mandatory: np.ndarray  # pair indexes that every municipality books (overhead ICT)
    mandatory_rates: tuple[tuple[float, float], ...]  # €/inhabitant range per mandatory pair
    lasten_share: np.ndarray  # per categorie: 1 lasten only, 0 baten only, 0.5 either
    taakveld_codes: tuple[str, ...]
    categorie_codes: tuple[str, ...]

    @classmethod
    def build(cls, ref: _Reference) -> _BudgetUniverse:
        t_codes = ref.taakvelden
        c_codes = tuple(code for code, _ in ref.categorieen)
        t_idx, c_idx = np.divmod(np.arange(len(t_codes) * len(c_codes)), len(c_codes))
        t_arr = np.array(t_codes, dtype=object)[t_idx]
        c_arr = np.array(c_codes, dtype=object)[c_idx]
        cells = np.array([iv3.cell_key(t, c) for t, c in zip(t_arr, c_arr, strict=True)], dtype=object)
        valid_by_year, baten_grey_by_year = {}, {}
        for year in iv3.boekjaren(directory=ref.iv3_dir):
            codes = iv3.year_codes(year, directory=ref.iv3_dir)
            # A pair that is grey on either side stays empty on both, so no amount of it is grey.
            valid_by_year[year] = (
                np.isin(t_arr, codes.taakvelden)
                & np.isin(c_arr, codes.categorieen)
                & ~np.isin(c_arr, codes.pf009)
                & ~np.isin(cells, [*codes.grey_lasten, *codes.grey_baten])
            )
            baten_grey_by_year[year] = np.isin(cells, codes.grey_baten)
        mandatory, rates = [], []
        for taakveld, categorie, low, high in _OVERHEAD_LINES:
            if taakveld in t_codes and categorie in c_codes:
                mandatory.append(t_codes.index(taakveld) * len(c_codes) + c_codes.index(categorie))
                rates.append((low, high))
        side = {"lasten": 1.0, "baten": 0.0}
        lasten_share = np.array([side.get(s, 0.5) for _, s in ref.categorieen])
        return cls(
            taakveld=t_idx,
            categorie=c_idx,
            valid_by_year=valid_by_year,
            baten_grey_by_year=baten_grey_by_year,
            mandatory=np.array(mandatory, dtype=np.int64),
            mandatory_rates=tuple(rates),
            lasten_share=lasten_share,
            taakveld_codes=t_codes,
            categorie_codes=c_codes,
        )

    @property
    def size(self) -> int:
        return len(self.taakveld)

    def valid_in(self, year: int) -> np.ndarray:
        """The pairs a line of the boekjaar may book on (a copy)."""
        if year not in self.valid_by_year:
            raise ValueError(
                f"no Iv3 definition file for boekjaar {year}: budget lines of {year} cannot be generated"
            )
        return self.valid_by_year[year].copy()


@dataclass(frozen=True)
class _BudgetProfile:
    """A municipality's lasting booking habits, the same in every quarter."""

    priority: np.ndarray  # per pair: lower is booked first
    weight: np.ndarray  # per pair: relative size of the line
    baten_part: np.ndarray  # per pair: baten as a share of lasten where both occur
    overhead: np.ndarray  # per mandatory pair: euros per inhabitant per quarter

    @classmethod
    def of(cls, seed: int, m: _Municipality, universe: _BudgetUniverse) -> _BudgetProfile:
        rng = _rng(seed, _STREAM_BUDGET_MUNICIPALITY, m.number)
        size = universe.size
        priority = rng.random(size)
        weight = rng.lognormal(0.0, 1.2, size)
        baten_part = np.where(rng.random(size) < 0.3, rng.uniform(0.05, 0.6, size), 0.0)
        low, high = np.array(universe.mandatory_rates, dtype=float).reshape(-1, 2).T
        return cls(priority, weight, baten_part, rng.uniform(low, high))


def _budget_chunks(
    q: Quarter,
    existing: list[_Municipality],
    universe: _BudgetUniverse,
    lines: int,
    *,
    seed: int,
    clean: frozenset[str] = frozenset(),
) -> Iterator[pl.DataFrame]:
    """Budget lines as frames of up to `_BUDGET_CHUNK` municipalities, two bad rows included.

    The bad rows go with a municipality not in `clean` (those whose lines become Iv3 JSON
    deliveries, which stay valid).
    """
    rng = _rng(seed, q.index, _STREAM_BUDGET)
    valid = universe.valid_in(q.year)
    n_mandatory = min(lines, len(universe.mandatory))
    optional_valid = valid.copy()
    optional_valid[universe.mandatory] = False
    if lines - n_mandatory > int(optional_valid.sum()):
        raise ValueError(
            f"{lines} budget lines per kind asked for {q}, but the Iv3 code lists allow only "
            f"{int(optional_valid.sum()) + n_mandatory} (taakveld, categorie) pairs"
        )
    bad_after = int(rng.integers(len(existing)))  # the bad rows follow this municipality's rows
    for _ in range(len(existing)):
        if existing[bad_after].code not in clean:
            break
        bad_after = (bad_after + 1) % len(existing)
    growth = 1.02 ** (q.year - 2019)
    t_series = pl.Series(universe.taakveld_codes, dtype=pl.String)
    c_series = pl.Series(universe.categorie_codes, dtype=pl.String)

    for start in range(0, len(existing), _BUDGET_CHUNK):
        chunk = existing[start : start + _BUDGET_CHUNK]
        m_count = len(chunk)
        population = np.array([m.population_in(q.year) for m in chunk], dtype=float)
        selected = np.empty((m_count, lines), dtype=np.int64)
        base = np.empty((m_count, lines))
        baten_part = np.empty((m_count, lines))
        for row, m in enumerate(chunk):
            profile = _BudgetProfile.of(seed, m, universe)
            priority = np.where(optional_valid, profile.priority, np.inf)
            optional = np.argsort(priority, kind="stable")[: lines - n_mandatory]
            pairs = np.sort(np.concatenate([universe.mandatory[:n_mandatory], optional]))
            selected[row] = pairs
            baten_part[row] = profile.baten_part[pairs]
            share = np.where(np.isin(pairs, universe.mandatory), 0.0, profile.weight[pairs])
            total = share.sum()
            base[row] = population[row] * _BUDGET_EUR_PER_INHABITANT * share / (total or 1.0)
            mandatory = zip(universe.mandatory[:n_mandatory], profile.overhead, strict=False)
            for pair, rate in mandatory:
                base[row, pairs == pair] = population[row] * rate

        begroting = base * growth * rng.lognormal(0.0, 0.08, base.shape)
        realisatie = begroting * rng.lognormal(0.0, 0.12, base.shape)
        amounts = np.stack([begroting, realisatie], axis=1)  # municipality × kind × line
        pairs = np.broadcast_to(selected[:, None, :], amounts.shape)
        lasten_share = universe.lasten_share[universe.categorie[pairs]]
        mixed = lasten_share == 0.5
        lasten = np.where(mixed, amounts, amounts * lasten_share)
        baten = np.where(mixed, amounts * baten_part[:, None, :], amounts * (1.0 - lasten_share))
        baten = np.where(universe.baten_grey_by_year[q.year][pairs], 0.0, baten)

        flat_pairs = pairs.reshape(-1)
        frame = pl.DataFrame(
            {
                "municipality": pl.Series([m.code for m in chunk]).gather(
                    np.repeat(np.arange(m_count), 2 * lines)
                ),
                "taakveld": t_series.gather(universe.taakveld[flat_pairs]),
                "categorie": c_series.gather(universe.categorie[flat_pairs]),
                "kind": pl.Series(_KINDS).gather(np.tile(np.repeat([0, 1], lines), m_count)),
                "lasten": np.round(lasten.reshape(-1), 2),
                "baten": np.round(baten.reshape(-1), 2),
            }
        )
        if start <= bad_after < start + m_count:
            cut = (bad_after - start + 1) * 2 * lines
            m = chunk[bad_after - start]
            some_categorie = universe.categorie_codes[universe.categorie[selected[0, 0]]]
            amount = round(float(population[bad_after - start]) * rng.uniform(1, 3), 2)
            bad = pl.DataFrame(
                {
                    "municipality": [m.code, m.code],
                    "taakveld": [_UNKNOWN_TAAKVELD, "0.4"],
                    "categorie": [some_categorie, _UNKNOWN_CATEGORIE],
                    "kind": ["realisatie", "begroting"],
                    "lasten": [amount, amount / 2],
                    "baten": [0.0, 0.0],
                }
            )
            frame = pl.concat([frame.slice(0, cut), bad, frame.slice(cut)])
        yield frame


def _budget_layout(frame: pl.DataFrame, q: Quarter) -> pl.DataFrame:
    if _uses_alt_budget_header(q):
        return frame.select(
            pl.col("municipality").str.strip_prefix("GM").alias("gemeente"),
            pl.lit(q.year).alias("jaar"),
            pl.lit(q.q).alias("kwartaal"),
            pl.col("taakveld").alias("taakveldcode"),
            pl.col("categorie").alias("economische categorie"),
            pl.col("kind").alias("status"),
            pl.col("lasten").alias("lasten_eur"),
            pl.col("baten").alias("baten_eur"),
            pl.lit("EUR").alias("eenheid"),
        )
    return frame.select(
        pl.col("municipality").alias("gemeentecode"),
        pl.lit(f"{q.year}K{q.q}").alias("periode"),
        "taakveld",
        "categorie",
        pl.col("kind").alias("soort"),
        "lasten",
        "baten",
    )


def _write_budget_quarter(
    landing: Path,
    q: Quarter,
    ref: _Reference,
    universe: _BudgetUniverse,
    *,
    seed: int,
    scale: Scale,
    summary: GenerateSummary,
) -> None:
    path = landing / "budget" / str(q) / f"iv3_{q}.csv"
    existing = [m for m in ref.municipalities if m.exists_in(q)]
    json_codes = _json_municipalities(existing) if scale.iv3_json else set()
    delivered: list[pl.DataFrame] = []
    rows = 0
    with atomic_file(path) as fh:
        chunks = _budget_chunks(
            q, existing, universe, scale.budget_lines_per_kind, seed=seed, clean=frozenset(json_codes)
        )
        for number, frame in enumerate(chunks):
            as_json = _in_json(frame, json_codes)
            delivered.append(frame.filter(as_json))
            _budget_layout(frame.filter(~as_json), q).write_csv(
                fh,
                include_header=number == 0,
                separator=";",
                line_terminator="\n",
                decimal_comma=True,
                float_precision=2,
                float_scientific=False,
            )
            rows += frame.height
    summary.files.append(path)
    if json_codes:
        lines = pl.concat(delivered)
        earlier = [
            _json_lines(Quarter(q.year, k), ref, universe, seed=seed, scale=scale) for k in range(1, q.q)
        ]
        paths = _write_deliveries(landing, q, lines, earlier)
        summary.files.extend(paths)
    summary.budget_rows += rows


def _json_municipalities(existing: Sequence[_Municipality]) -> set[str]:
    return {m.code for m in existing if m.number % _JSON_EVERY == 0}


def _in_json(frame: pl.DataFrame, codes: set[str]) -> pl.Expr:
    """The generated lines that go into JSON deliveries (the bad rows are never theirs)."""
    return pl.col("municipality").is_in(sorted(codes))


def _json_lines(
    q: Quarter, ref: _Reference, universe: _BudgetUniverse, *, seed: int, scale: Scale
) -> pl.DataFrame:
    """The lines quarter `q` generates for its JSON municipalities (the same draws as its own files)."""
    existing = [m for m in ref.municipalities if m.exists_in(q)]
    codes = _json_municipalities(existing)
    lines = scale.budget_lines_per_kind
    chunks = _budget_chunks(q, existing, universe, lines, seed=seed, clean=frozenset(codes))
    return pl.concat([frame.filter(_in_json(frame, codes)) for frame in chunks])


def _thousands(euros: float) -> float:
    """Euros (two decimals) as thousands of euros, exactly as a decimal (`12345.67` → 12.34567)."""
    return float(Decimal(f"{euros:.2f}") / 1000)


def _write_deliveries(
    landing: Path, q: Quarter, lines: pl.DataFrame, earlier: list[pl.DataFrame]
) -> list[Path]:
    """The quarter's Iv3 JSON deliveries: periode 0 and 1 in Q1, else the realisatie year to date."""
    keys = ["municipality", "taakveld", "categorie"]
    realisatie = pl.concat([frame.filter(pl.col("kind") == "realisatie") for frame in (*earlier, lines)])
    # Year to date: what the year's quarters booked so far, summed in cents.
    to_date = (
        realisatie.with_columns((pl.col(c) * 100).round(0).cast(pl.Int64) for c in ("lasten", "baten"))
        .group_by(keys, maintain_order=True)
        .agg(pl.col("lasten").sum() / 100, pl.col("baten").sum() / 100)
        .filter(pl.col("municipality").is_in(lines["municipality"].unique().to_list()))
    )
    deliveries = [(q.q, to_date)]
    if q.q == 1:
        begroting = lines.filter(pl.col("kind") == "begroting").select(
            *keys, pl.col("lasten") * 4, pl.col("baten") * 4
        )
        deliveries.insert(0, (0, begroting))
    paths = []
    for periode, frame in deliveries:
        for municipality, part in frame.group_by("municipality", maintain_order=True):
            nummer = str(municipality[0])[2:]
            path = landing / "budget" / str(q) / f"iv3_{nummer}_{q.year}_P{periode}.json"
            text = json.dumps(_delivery(nummer, q, periode, part), ensure_ascii=False, indent=1)
            write_atomically(path, text + "\n")
            paths.append(path)
    return paths


def _delivery(nummer: str, q: Quarter, periode: int, part: pl.DataFrame) -> dict[str, Any]:
    """One delivery as CBS's schema has it; the contact is a department, not a person."""
    lasten, baten = [], []
    for taakveld, categorie, amount_l, amount_b in part.select(
        "taakveld", "categorie", "lasten", "baten"
    ).iter_rows():
        if amount_l or not amount_b:
            lasten.append({"taakveld": taakveld, "categorie": categorie, "bedrag": _thousands(amount_l)})
        if amount_b:
            baten.append({"taakveld": taakveld, "categorie": categorie, "bedrag": _thousands(amount_b)})
    sent = (q.end + dt.timedelta(days=20)) if periode else dt.date(q.year - 1, 11, 10)
    return {
        "metadata": {
            "overheidslaag": "Gemeente",
            "overheidsnummer": nummer,
            "overheidsnaam": f"Gemeente {nummer}",
            "boekjaar": q.year,
            "periode": periode,
            "status": "Begroting" if periode == 0 else "Realisatie",
            "datum": f"{sent.isoformat()}T09:00:00+01:00",
            "details_openbaar": False,
            "financieel_pakket": "costtrends generate",
            "export_software": "costtrends generate",
        },
        "contact": {"naam": "Afdeling Financien", "email": "iv3@financien.test", "telefoon": "0000000000"},
        "data": {
            "lasten": lasten,
            "baten": baten,
            "balans_lasten": [],
            "balans_baten": [],
            "balans_standen": [],
        },
    }


def write_large_budget_file(
    path: Path,
    quarter: Quarter,
    *,
    min_rows: int,
    seed: int = 42,
    scale: Scale | str = "national",
    seeds_dir: Path | None = None,
) -> int:
    """Write one budget CSV of at least `min_rows` data rows for `quarter`; return the rows written.

    For load tests of a budget export larger than one quarter's lines: the quarter's
    lines at `scale` (as `generate` writes them) are repeated until `min_rows` is
    reached, each repetition a valid line of the quarter, so every row passes the same
    checks. The file is written in bounded memory, a chunk at a time.
    """
    resolved = _resolve_scale(scale)
    ref = _load_reference(Path(seeds_dir) if seeds_dir is not None else default_seeds_dir())
    universe = _BudgetUniverse.build(ref)
    existing = [m for m in ref.municipalities if m.exists_in(quarter)]
    rows = 0
    with atomic_file(Path(path)) as fh:
        while rows < min_rows:
            chunks = _budget_chunks(quarter, existing, universe, resolved.budget_lines_per_kind, seed=seed)
            for frame in chunks:
                _budget_layout(frame, quarter).write_csv(
                    fh,
                    include_header=rows == 0,
                    separator=";",
                    line_terminator="\n",
                    decimal_comma=True,
                    float_precision=2,
                    float_scientific=False,
                )
                rows += frame.height
    return rows


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------


def _resolve_scale(scale: Scale | str) -> Scale:
    if isinstance(scale, Scale):
        return scale
    try:
        return SCALES[scale]
    except KeyError:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}") from None


def generate(
    landing: Path,
    start: Quarter,
    end: Quarter,
    *,
    seed: int = 42,
    scale: Scale | str = "demo",
    response_rate: float = 0.5,
    seeds_dir: Path | None = None,
    xlsx: bool = True,
) -> GenerateSummary:
    """Write survey exports and budget records for every quarter from `start` to `end`.

    Files land in ``landing/survey/<Q>/`` and ``landing/budget/<Q>/`` and replace
    earlier generated files of the same quarter. Same arguments, same bytes.
    With ``xlsx=False`` every survey wave is written as CSV.
    """
    landing = Path(landing)
    resolved = _resolve_scale(scale)
    if resolved.budget_lines_per_kind < 1:
        raise ValueError("a scale needs at least one budget line per kind")
    ref = _load_reference(Path(seeds_dir) if seeds_dir is not None else default_seeds_dir())
    universe = _BudgetUniverse.build(ref)
    summary = GenerateSummary()
    for q in quarter_range(start, end):
        _write_survey_quarter(
            landing, q, ref, seed=seed, response_rate=response_rate, xlsx=xlsx, summary=summary
        )
        _write_budget_quarter(landing, q, ref, universe, seed=seed, scale=resolved, summary=summary)
    return summary
