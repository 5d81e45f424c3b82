"""`costtrends fetch`: CBS's Iv3 tables into the landing zone, its population figures into the reference data.

The steps between `costtrends.cbs_odata` (HTTP) and `transforms.cbs` (pure): ask, turn
the answer into rows, and write each file whole or not at all (a hidden temporary file
in the same folder, then a rename), so an interrupted fetch leaves no partial file and
the landing folder holds either the previous file or the new one. The same answer
writes the same bytes, and an unchanged file is not rewritten at all, so the next run
sees the quarter as unchanged.
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from costtrends.cbs_odata import ODataClient, odata_string
from transforms import cbs
from transforms.population import extend_register
from transforms.quarter import Quarter

POPULATION_COLUMN = "TotaleBevolking_1"
# More codes than this in one file name would make it unreadable: a digest names them instead.
_MAX_CODES_IN_NAME = 5


def write_atomic(path: Path, data: bytes) -> bool:
    """Write `data` to `path` whole or not at all; False (and nothing written) when it holds `data` already.

    The bytes go to a hidden `.part` file beside `path` (which readers of the landing zone
    skip), are flushed to disk, and the file is renamed over `path` in one step.
    """
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with temporary.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return True


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """A frame as the landing zone's CSV: `;`-separated, UTF-8, `\\n` line ends, quoted only where needed."""
    buffer = io.BytesIO()
    frame.write_csv(buffer, separator=";", line_terminator="\n")
    return buffer.getvalue()


@dataclass
class LandedFile:
    path: Path
    lines: int
    municipalities: int
    changed: bool
    verslagsoort: str


@dataclass
class Iv3FetchSummary:
    """What `fetch iv3` did: the table, each file landed, and the verslagsoorten it could not place."""

    year: int
    table_id: str
    files: list[LandedFile] = field(default_factory=list)
    unread_verslagsoorten: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_empty: int = 0
    rows_balance: int = 0
    requests: int = 0


def landing_target(verslagsoort: cbs.Verslagsoort) -> tuple[Quarter, str]:
    """The landing quarter and kind of a verslagsoort's lines."""
    year = verslagsoort.boekjaar
    if verslagsoort.periode == 0:
        return Quarter(year, 1), "begroting"
    if verslagsoort.periode == 5:
        return Quarter(year, 4), "realisatie"
    return Quarter(year, verslagsoort.periode), "realisatie"


def iv3_file_name(verslagsoort: cbs.Verslagsoort, codes: list[str] | None) -> str:
    """`cbs_iv3_2021_begroting.csv`; a fetch of some municipalities names them (or a digest of them)."""
    stem = f"cbs_iv3_{verslagsoort.slug}"
    if codes:
        if len(codes) <= _MAX_CODES_IN_NAME:
            stem += "_" + "_".join(codes)
        else:
            stem += f"_{len(codes)}gemeenten_{hashlib.sha256(','.join(codes).encode()).hexdigest()[:8]}"
    return stem + ".csv"


def fetch_iv3(
    client: ODataClient,
    year: int,
    landing: Path,
    *,
    municipalities: list[str] | None = None,
    amount_column: str = "k_1ePlaatsing_1",
) -> Iv3FetchSummary:
    """Land every verslagsoort of the table "Gemeenten <year> onbewerkte Iv3-data", one file each.

    Every file is complete in memory before it is written, so a failure while fetching
    (CBS unreachable, an error page) writes nothing of the verslagsoort it was fetching;
    files written before it stay as they are.
    """
    table_id = cbs.iv3_table_id(client.catalogue(), year)
    summary = Iv3FetchSummary(year=year, table_id=table_id)
    kinds, summary.unread_verslagsoorten = cbs.verslagsoorten(client.dimension(table_id, "Verslagsoort"))
    if not kinds:
        raise cbs.CbsDataError(
            f"table {table_id}: no Verslagsoort title names a begroting, quarter or jaarrekening "
            f"({'; '.join(summary.unread_verslagsoorten) or 'the dimension is empty'})"
        )
    keys = cbs.municipality_keys(client.dimension(table_id, "Gemeenten"), municipalities)
    codes = sorted(keys) if municipalities else None
    for verslagsoort in kinds:
        conditions = [f"Verslagsoort eq {odata_string(verslagsoort.key)}"]
        if codes:
            conditions.append("(" + " or ".join(f"Gemeenten eq {odata_string(keys[c])}" for c in codes) + ")")
        pages = [
            cbs.iv3_records_frame(page, amount_column=amount_column)
            for page in client.typed_data(
                table_id, filter_=" and ".join(conditions), select=[*cbs.IV3_COLUMNS, amount_column]
            )
        ]
        records = pl.concat(pages) if pages else cbs.iv3_records_frame([], amount_column=amount_column)
        quarter, kind = landing_target(verslagsoort)
        landed = cbs.iv3_to_long(records, period=str(quarter), kind=kind)
        path = landing / "budget" / str(quarter) / iv3_file_name(verslagsoort, codes)
        changed = write_atomic(path, csv_bytes(landed.frame))
        summary.files.append(
            LandedFile(
                path=path,
                lines=landed.frame.height,
                municipalities=landed.frame["municipality"].n_unique(),
                changed=changed,
                verslagsoort=f"{verslagsoort.key.strip()} {verslagsoort.title}",
            )
        )
        summary.rows_read += landed.rows_read
        summary.rows_empty += landed.rows_empty
        summary.rows_balance += landed.rows_balance
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


def fetch_population(
    client: ODataClient, year: int, reference_dir: Path, *, table_id: str, register: pl.DataFrame
) -> PopulationFetchSummary:
    """Land the population on 1 January `year` of every municipality as `<reference_dir>/population_<year>.csv`.

    `register` is the seed register (`municipalities.csv`): the summary names the
    municipalities that, by the fetched figures, began or ended (`extend_register`).
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
    changed = write_atomic(path, csv_bytes(frame))
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
