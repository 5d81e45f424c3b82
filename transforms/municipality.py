"""Match the municipality a row reports, as a code or a name, to its CBS code.

Grain: one row in, the same row out, with `municipality_code` and `municipality_issue`
added. Codes of dissolved municipalities are kept as reported; moving them onto their
successors through the mergers happens in a later step.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from functools import cache
from importlib import resources

import polars as pl

__all__ = ["load_aliases", "match_municipalities", "match_register", "normalise_name"]

ALIASES_FILE = "municipality_aliases.csv"

# `GM0363`, `gm0363`, `GM 0363`, `0363`, `363`, and `363.0` from a spreadsheet number cell.
_CODE = re.compile(r"(?:gm)?[\s-]*([0-9]{1,4})(?:\.0+)?", re.IGNORECASE)
_APOSTROPHES = re.compile("['’‘`´ʼ]")
_GEMEENTE_PREFIX = re.compile(r"^(?:gemeente|gem\.)\s+")
_GEMEENTE_SUFFIX = re.compile(r"\s*\((?:gemeente|gem\.?)\)$")
_SEPARATORS = re.compile(r"[\s\-.,()/]+")
_EMPTY = "municipality is empty"
_QUALIFIER = re.compile(r"^(?P<base>.*?)\s*\([^()]*\)$")


def normalise_name(name: str) -> str:
    """The form names are compared in: case-folded, without accents or punctuation.

    A leading `Gemeente` and a CBS StatLine suffix ` (gemeente)` are dropped; hyphens,
    dots, commas, brackets and runs of whitespace become one space and apostrophes go,
    so `'s-Hertogenbosch`, `s-Hertogenbosch` and `’s Hertogenbosch` are all
    `s hertogenbosch`, `Súdwest-Fryslân` is `sudwest fryslan` and `Bergen (NH.)` is
    `bergen nh`.
    """
    text = unicodedata.normalize("NFKD", name)
    text = "".join(char for char in text if not unicodedata.combining(char)).casefold()
    text = " ".join(_APOSTROPHES.sub("", text).split())
    text = _GEMEENTE_SUFFIX.sub("", _GEMEENTE_PREFIX.sub("", text))
    return _SEPARATORS.sub(" ", text).strip()


@cache
def load_aliases() -> pl.DataFrame:
    """The packaged alias table: columns `alias` and `code` (`Den Haag` → `GM0518`).

    Data engineers extend `transforms/mappings/municipality_aliases.csv`; aliases are
    compared after `normalise_name`, so one spelling per name is enough. Read once per
    process (a budget export is matched a chunk at a time).
    """
    source = resources.files("transforms").joinpath("mappings", ALIASES_FILE)
    return pl.read_csv(
        source.read_bytes(), schema={"alias": pl.String, "code": pl.String}, comment_prefix="#"
    )


def match_register(rows: pl.DataFrame, register: pl.DataFrame, mergers: pl.DataFrame) -> pl.DataFrame:
    """`match_municipalities` of `rows` (`row_id`, `municipality`) against the register as loaded
    (`municipality_code`, `municipality_name`): `row_id`, `municipality_code`, `municipality_issue`.
    """
    return match_municipalities(
        rows.select("row_id", "municipality"),
        register.rename({"municipality_code": "code", "municipality_name": "name"}),
        mergers,
    ).select("row_id", "municipality_code", "municipality_issue")


def match_municipalities(
    raw: pl.DataFrame,
    register: pl.DataFrame,
    mergers: pl.DataFrame,
    *,
    aliases: pl.DataFrame | None = None,
    column: str = "municipality",
) -> pl.DataFrame:
    """Add `municipality_code` and `municipality_issue` to `raw`, keeping its rows and order.

    `register` needs `code` and `name`; `mergers` needs `old_code` and `old_name`, so
    dissolved municipalities match too. `aliases` (`alias`, `code`) defaults to
    `load_aliases()`. A value matches, in this order:

    1. as a code (`GM0363`, `gm0363`, `0363`, `363`) known to the register or the mergers;
    2. as a name equal, after `normalise_name`, to a register name or a dissolved
       municipality's name;
    3. as an alias;
    4. as a name without its province qualifier, when only one municipality has it
       (`Hengelo` for a register that says `Hengelo (O.)`).

    The first step that finds anything decides. One code is a match; several are an
    issue listing the candidates by code (`'Bergen' is ambiguous: GM0373 Bergen (NH.),
    GM0893 Bergen (L.)`). A name shared by a current and a dissolved municipality with
    different codes is ambiguous too. `municipality_issue` is null exactly when
    `municipality_code` is set.
    """
    if column not in raw.columns:
        raise ValueError(f"column {column!r} not in frame; columns are {raw.columns}")
    matcher = _Matcher(register, mergers, load_aliases() if aliases is None else aliases)
    values = raw.get_column(column).cast(pl.String)
    unique = values.drop_nulls().unique(maintain_order=True)
    results = [matcher.match(value) for value in unique.to_list()]
    codes = pl.Series([code for code, _ in results], dtype=pl.String)
    issues = pl.Series([issue for _, issue in results], dtype=pl.String)
    source = pl.col(column).cast(pl.String)
    return raw.with_columns(
        source.replace_strict(unique, codes, default=None).alias("municipality_code"),
        pl.when(source.is_null())
        .then(pl.lit(_EMPTY))
        .otherwise(source.replace_strict(unique, issues, default=None))
        .alias("municipality_issue"),
    )


class _Matcher:
    """Lookup tables built once per call; `match` is then a few dictionary probes."""

    def __init__(self, register: pl.DataFrame, mergers: pl.DataFrame, aliases: pl.DataFrame):
        self.names: dict[str, str] = {}
        by_name: dict[str, set[str]] = defaultdict(set)
        by_base: dict[str, set[str]] = defaultdict(set)
        for code, name in _pairs(register, mergers):
            self.names.setdefault(code, name)
            by_name[normalise_name(name)].add(code)
            qualified = _QUALIFIER.match(name)
            if qualified:
                by_base[normalise_name(qualified["base"])].add(code)
        by_alias: dict[str, set[str]] = defaultdict(set)
        for alias, code in zip(
            aliases.get_column("alias").to_list(), aliases.get_column("code").to_list(), strict=True
        ):
            if alias and code:
                by_alias[normalise_name(alias)].add(code.strip().upper())
        self.steps = (by_name, by_alias, by_base)

    def match(self, value: str) -> tuple[str | None, str | None]:
        shown = " ".join(value.split())
        if not shown:
            return None, _EMPTY
        code_match = _CODE.fullmatch(shown)
        if code_match:
            code = "GM" + code_match[1].zfill(4)
            if code in self.names:
                return code, None
            return None, f"no municipality has code {code}"
        key = normalise_name(shown)
        for step in self.steps:
            candidates = step.get(key)
            if candidates:
                return self._decide(shown, candidates)
        return None, f"no municipality matches '{shown}'"

    def _decide(self, shown: str, candidates: set[str]) -> tuple[str | None, str | None]:
        unknown = sorted(code for code in candidates if code not in self.names)
        if unknown:
            return None, f"'{shown}' is an alias of {', '.join(unknown)}, not in the register"
        if len(candidates) == 1:
            return next(iter(candidates)), None
        listed = ", ".join(f"{code} {self.names[code]}" for code in sorted(candidates))
        return None, f"'{shown}' is ambiguous: {listed}"


def _pairs(register: pl.DataFrame, mergers: pl.DataFrame) -> Iterable[tuple[str, str]]:
    """(code, name) of every current and dissolved municipality; register names first."""
    for frame, code_column, name_column in (
        (register, "code", "name"),
        (mergers, "old_code", "old_name"),
    ):
        codes = frame.get_column(code_column).cast(pl.String).to_list()
        names = frame.get_column(name_column).cast(pl.String).to_list()
        for code, name in zip(codes, names, strict=True):
            if code and name:
                yield code.strip().upper(), name.strip()
