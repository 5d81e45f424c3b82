"""`costtrends fetch`: CBS's Iv3 tables into the landing zone, its population figures into the reference data.

The steps between `ingest.cbs_odata` (HTTP) and `transforms.cbs` (pure): ask, turn
the answer into rows, and write each file whole or not at all (a hidden temporary file
in the same folder, then a rename), so an interrupted fetch leaves no partial file and
the landing folder holds either the previous file or the new one. The same answer
writes the same bytes, and an unchanged file is not rewritten at all, so the next run
sees the quarter as unchanged.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from ingest.cbs_odata import ODataClient, odata_string
from ingest.files import write_atomically
from transforms import cbs, iv3
from transforms.population import extend_register

POPULATION_COLUMN = "TotaleBevolking_1"
# More codes than this in one file name would make it unreadable: a digest names them instead.
_MAX_CODES_IN_NAME = 5


def cbs_client(base_url: str, *, timeout: float, retries: int, backoff: float) -> ODataClient:
    """A client for one of CBS's services; the flows and the CLI pass the settings' values.

    `timeout` seconds per request, then up to `retries` more tries, `backoff` seconds apart and doubling.
    """
    return ODataClient(base_url, timeout=timeout, retries=retries, backoff=backoff)


def write_atomic(path: Path, data: bytes) -> bool:
    """Write `data` to `path` whole (`ingest.files`); False, writing nothing, when it holds `data` already."""
    if path.is_file() and path.read_bytes() == data:
        return False
    write_atomically(path, data)
    return True


def csv_bytes(frame: pl.DataFrame, *, separator: str = ";") -> bytes:
    """A frame as CSV: UTF-8, `\\n` line ends, quoted only where needed, an empty cell for null.

    The landing zone's files use `;` (the Dutch spreadsheet default, and amounts carry a
    decimal comma); reference files use `,` like the seeds.
    """
    buffer = io.BytesIO()
    frame.write_csv(buffer, separator=separator, line_terminator="\n")
    return buffer.getvalue()


@dataclass
class LandedFile:
    path: Path
    lines: int
    municipalities: int
    changed: bool
    verslagsoort: str
    amount_column: str = ""


@dataclass
class Iv3FetchSummary:
    """What `fetch iv3` did: the table, each file landed, and what it could not land."""

    year: int
    table_id: str
    files: list[LandedFile] = field(default_factory=list)
    unread_verslagsoorten: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_empty: int = 0
    rows_balance: int = 0
    requests: int = 0


def iv3_file_name(verslagsoort: cbs.Verslagsoort, codes: list[str] | None) -> str:
    """`cbs_iv3_2021_p0_begroting.csv`; a fetch of some municipalities names them (or a digest of them)."""
    stem = f"cbs_iv3_{verslagsoort.slug}"
    if codes:
        if len(codes) <= _MAX_CODES_IN_NAME:
            stem += "_" + "_".join(codes)
        else:
            stem += f"_{len(codes)}gemeenten_{hashlib.sha256(','.join(codes).encode()).hexdigest()[:8]}"
    return stem + ".csv"


@dataclass
class _Iv3Table:
    """One "Gemeenten <year> onbewerkte Iv3-data" table: its id, verslagsoorten and municipality keys."""

    table_id: str
    verslagsoorten: list[cbs.Verslagsoort]
    unread: list[str]
    keys: dict[str, str]

    def find(self, boekjaar: int, periode: int) -> cbs.Verslagsoort | None:
        return next((v for v in self.verslagsoorten if (v.boekjaar, v.periode) == (boekjaar, periode)), None)


class _Iv3Source:
    """The Iv3 tables of a fetch, each asked for once, and each verslagsoort's lines, fetched once."""

    def __init__(self, client: ODataClient, municipalities: list[str] | None, amount_column: str) -> None:
        self.client = client
        self.municipalities = municipalities
        self.amount_column = amount_column
        self._catalogue: list[dict[str, Any]] | None = None
        self._tables: dict[int, _Iv3Table | None] = {}
        self._lines: dict[tuple[str, str], cbs.Iv3Lines] = {}
        self.columns: dict[tuple[str, str], str] = {}  # the amount column each verslagsoort's lines took

    def table(self, year: int, *, required: bool = True) -> _Iv3Table | None:
        if year not in self._tables:
            if self._catalogue is None:
                self._catalogue = self.client.catalogue()
            try:
                table_id = cbs.iv3_table_id(self._catalogue, year)
            except cbs.CbsDataError:
                if required:
                    raise
                self._tables[year] = None
                return None
            kinds, unread = cbs.verslagsoorten(self.client.dimension(table_id, "Verslagsoort"))
            keys = cbs.municipality_keys(
                self.client.dimension(table_id, "Gemeenten"), self.municipalities, strict=required
            )
            self._tables[year] = _Iv3Table(table_id, kinds, unread, keys)
        return self._tables[year]

    def lines(self, table: _Iv3Table, verslagsoort: cbs.Verslagsoort) -> cbs.Iv3Lines:
        cache_key = (table.table_id, verslagsoort.key)
        if cache_key not in self._lines:
            conditions = [f"Verslagsoort eq {odata_string(verslagsoort.key)}"]
            if self.municipalities:
                if not table.keys:  # none of them is in this table
                    placed, column = cbs.placed_amounts(cbs.iv3_records_frame([]))
                    self.columns[cache_key] = column
                    return cbs.iv3_lines(placed)
                keys = [table.keys[code] for code in sorted(table.keys)]
                conditions.append("(" + " or ".join(f"Gemeenten eq {odata_string(k)}" for k in keys) + ")")
            pages = [
                cbs.iv3_records_frame(page)
                for page in self.client.typed_data(
                    table.table_id,
                    filter_=" and ".join(conditions),
                    select=[*cbs.IV3_COLUMNS, *cbs.IV3_AMOUNT_COLUMNS],
                )
            ]
            records = pl.concat(pages) if pages else cbs.iv3_records_frame([])
            placed, column = cbs.placed_amounts(records, amount_column=self.amount_column)
            self._lines[cache_key] = cbs.iv3_lines(placed)
            self.columns[cache_key] = column
        return self._lines[cache_key]

    def previous(
        self, table: _Iv3Table, verslagsoort: cbs.Verslagsoort
    ) -> tuple[_Iv3Table, cbs.Verslagsoort] | None:
        """Where the periode a year-to-date verslagsoort builds on is: this table, or its boekjaar's.

        None when it builds on none; `LookupError` (with the periode) when no table has it.
        """
        periode = (
            iv3.previous_periode(verslagsoort.periode) if iv3.is_year_to_date(verslagsoort.periode) else None
        )
        if periode is None:
            return None
        for candidate in (table, self.table(verslagsoort.boekjaar, required=False)):
            if candidate is not None and (found := candidate.find(verslagsoort.boekjaar, periode)):
                return candidate, found
        raise LookupError(periode)


def fetch_iv3(
    client: ODataClient,
    year: int,
    landing: Path,
    *,
    municipalities: list[str] | None = None,
    amount_column: str = cbs.LATEST,
) -> Iv3FetchSummary:
    """Land every verslagsoort of the table "Gemeenten <year> onbewerkte Iv3-data", one file each.

    Each verslagsoort lands in the quarter and as the kind `iv3.period_target` gives its
    boekjaar and periode. Realisaties are year-to-date (`iv3.is_year_to_date`): a file
    holds what its quarter added, its figures minus those of `iv3.previous_periode`, read
    from this table or else from its boekjaar's table; without those it is not landed.
    Every file is complete in memory before it is written, so a failure while fetching
    (CBS unreachable, an error page) writes nothing of the verslagsoort it was fetching;
    files written before it stay as they are.
    """
    source = _Iv3Source(client, municipalities, amount_column)
    table = source.table(year)
    assert table is not None  # required=True raises instead
    summary = Iv3FetchSummary(year=year, table_id=table.table_id, unread_verslagsoorten=table.unread)
    if not table.verslagsoorten:
        raise cbs.CbsDataError(
            f"table {table.table_id}: no Verslagsoort title names a begroting, quarter or jaarrekening "
            f"({'; '.join(table.unread) or 'the dimension is empty'})"
        )
    codes = sorted(table.keys) if municipalities else None
    for verslagsoort in table.verslagsoorten:
        current = source.lines(table, verslagsoort)
        summary.rows_read += current.rows_read
        summary.rows_empty += current.rows_empty
        summary.rows_balance += current.rows_balance
        try:
            previous = source.previous(table, verslagsoort)
        except LookupError as gap:
            summary.notes.append(
                f"{verslagsoort.key.strip()} {verslagsoort.title!r}: its figures run from "
                f"1 January and build on periode {gap.args[0]} of {verslagsoort.boekjaar}, "
                "which no Iv3 table CBS lists holds"
            )
            continue
        lines = current.lines
        if previous is not None:
            lines, missing = cbs.quarter_added_lines(lines, source.lines(*previous).lines)
            if missing:
                summary.notes.append(
                    f"{', '.join(missing)} in {verslagsoort.title!r}: no figures of "
                    f"{previous[1].title!r} to subtract from theirs, which run from 1 January"
                )
        quarter, kind = iv3.period_target(verslagsoort.boekjaar, verslagsoort.periode)
        frame = cbs.long_layout(lines, period=str(quarter), kind=kind, unit=iv3.UNIT)
        path = landing / "budget" / str(quarter) / iv3_file_name(verslagsoort, codes)
        changed = write_atomic(path, csv_bytes(frame))
        summary.files.append(
            LandedFile(
                path=path,
                lines=frame.height,
                municipalities=frame["municipality"].n_unique(),
                changed=changed,
                verslagsoort=f"{verslagsoort.key.strip()} {verslagsoort.title}",
                amount_column=source.columns[(table.table_id, verslagsoort.key)],
            )
        )
    summary.requests = client.requests_made
    return summary


@dataclass
class PopulationFetchSummary:
    year: int
    table_id: str
    path: Path
    municipalities: int
    inhabitants: int
    changed: bool
    began: list[str] = field(default_factory=list)  # "GM1999 Name"
    ended: list[str] = field(default_factory=list)
    requests: int = 0


def population_file(reference_dir: Path, year: int) -> Path:
    return reference_dir / f"population_{year}.csv"


def known_register(seeds_dir: Path, reference_dir: Path, year: int) -> pl.DataFrame:
    """The register as a run sees it before `year`: the seeds plus the years fetched before it."""
    from ingest.reference import read_fetched_population

    register = pl.read_csv(seeds_dir / "municipalities.csv", infer_schema=False)
    register = register.with_columns(
        pl.col(c).cast(pl.Int64) for c in register.columns if c.startswith("population_")
    )
    earlier = read_fetched_population(reference_dir).filter(pl.col("year") < year)
    return extend_register(register, earlier)


def fetch_population(
    client: ODataClient, year: int, reference_dir: Path, *, table_id: str, register: pl.DataFrame
) -> PopulationFetchSummary:
    """Land the population on 1 January `year` per municipality as `<reference_dir>/population_<year>.csv`.

    `register` is the register as known before `year` (`known_register`): the summary
    names the municipalities that, by the fetched figures, began or ended (`extend_register`).
    """
    period = cbs.period_key(client.dimension(table_id, "Perioden"), year)
    regions = client.dimension(table_id, "RegioS")
    records = client.get_all(
        f"ODataFeed/odata/{table_id}/TypedDataSet",
        {
            "$filter": f"Perioden eq {odata_string(period)} and substringof('GM',RegioS)",
            "$select": f"RegioS,Perioden,{POPULATION_COLUMN}",
        },
    )
    frame = cbs.population_frame(records, regions, year=year, column=POPULATION_COLUMN)
    path = population_file(reference_dir, year)
    changed = write_atomic(path, csv_bytes(frame, separator=","))
    before = set(register["code"].to_list())
    open_before = set(register.filter(pl.col("valid_to").is_null())["code"].to_list())
    extended = extend_register(register, frame)
    names = dict(zip(extended["code"].to_list(), extended["name"].to_list(), strict=True))
    began = sorted(set(extended["code"].to_list()) - before)
    ended = sorted(open_before - set(extended.filter(pl.col("valid_to").is_null())["code"].to_list()))
    return PopulationFetchSummary(
        year=year,
        table_id=table_id,
        path=path,
        municipalities=frame.height,
        inhabitants=int(frame["population"].sum()),
        changed=changed,
        began=[f"{c} {names[c]}" for c in began],
        ended=[f"{c} {names[c]}" for c in ended],
        requests=client.requests_made,
    )
