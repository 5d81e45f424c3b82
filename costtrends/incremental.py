"""What a run must (re)do: quarters whose inputs or code changed since they were loaded.

A quarter is current, and a backfill skips it, when for every source `meta.partitions`
holds the SHA-256 of exactly the files now in its landing folder, today's code version,
and the id of a run that finished: a run writes its `meta.runs` row only after the
quarter's marts, so a run that died between the load and the marts leaves the quarter
stale and the next run redoes it. Everything else is redone, with the reason:

    new         nothing loaded yet
    unfinished  loaded by a run that did not finish
    restated    a landing file was added, removed or changed
    code        loaded by another code version (SQL, mappings, seeds, transforms)
    forced      current, but the caller asked for it
    requested   the quarter a refresh was asked for
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb

from costtrends.pipeline import SOURCES, code_version, landing_files
from transforms.quarter import Quarter
from transforms.readers import sha256_of
from warehouse.db import sql

# Reasons whose quarter a refresh of another quarter picks up as well: its inputs changed
# or its last run died. A new code version does not make a quarterly refresh rebuild
# history; that is a backfill's job.
RESTATED = ("restated", "unfinished")


class LandingChanged(RuntimeError):
    """A landing file changed while it was read (most likely still being written)."""


@dataclass(frozen=True)
class QuarterPlan:
    """One quarter of a run: `reason` says why it is redone; None means it is current."""

    quarter: Quarter
    reason: str | None
    detail: str = ""
    run_id: str = ""

    @property
    def skipped(self) -> bool:
        return self.reason is None


Signature = list[tuple[str, int, int]]


def landing_hashes(landing: Path, source: str, quarter: Quarter) -> str:
    """The quarter's landing files of one source as `meta.partitions.source_hashes` writes them."""
    files = landing_files(landing, source, quarter)
    return ",".join(sorted(f"{p.name}:{sha256_of(p)}" for p in files))


def landing_signature(landing: Path, source: str, quarter: Quarter) -> Signature:
    """Name, size and modification time of each landing file: compared before and after a read."""
    signature = []
    for path in landing_files(landing, source, quarter):
        stat = path.stat()
        signature.append((path.name, stat.st_size, stat.st_mtime_ns))
    return signature


def check_unchanged(before: Signature, after: Signature, where: str) -> None:
    """Raise `LandingChanged` naming the files that appeared, went or changed during a read."""
    if before == after:
        return
    old, new = {name: rest for name, *rest in before}, {name: rest for name, *rest in after}
    changed = sorted(n for n in old.keys() | new.keys() if old.get(n) != new.get(n))
    raise LandingChanged(f"{where}: {', '.join(changed)} changed while being read (still being written?)")


PartitionState = dict[tuple[str, str], tuple[str, str, bool]]


def partition_state(con: duckdb.DuckDBPyConnection) -> PartitionState:
    """(quarter, source) → (source hashes, code version, loaded by a finished run)."""
    return {
        (quarter, source): (source_hashes, version, bool(is_finished))
        for quarter, source, source_hashes, version, is_finished in con.execute(
            sql("sql/select_partition_state")
        ).fetchall()
    }


def landing_quarters(landing: Path) -> set[Quarter]:
    """Every quarter that has a landing folder for some source."""
    quarters = set()
    for source in SOURCES:
        folder = landing / source
        if folder.is_dir():
            quarters |= {q for p in folder.iterdir() if p.is_dir() and (q := Quarter.try_parse(p.name))}
    return quarters


def plan_quarters(
    state: PartitionState,
    quarters: list[Quarter],
    hashes: dict[tuple[Quarter, str], str],
    *,
    force: bool = False,
) -> list[QuarterPlan]:
    """Decide per quarter whether it is current; `hashes` are `landing_hashes` per quarter × source."""
    version = code_version()
    plans = []
    for q in sorted(quarters):
        loaded = {s: state.get((str(q), s)) for s in SOURCES}
        restated = [s for s, v in loaded.items() if v is not None and v[0] != hashes[(q, s)]]
        if all(v is None for v in loaded.values()):
            plans.append(QuarterPlan(q, "new"))
        elif any(v is None or not v[2] for v in loaded.values()):
            plans.append(QuarterPlan(q, "unfinished", "its last run did not finish"))
        elif restated:
            plans.append(QuarterPlan(q, "restated", f"{', '.join(restated)} files changed"))
        elif any(v is not None and v[1] != version for v in loaded.values()):
            plans.append(QuarterPlan(q, "code", f"loaded by another code version, now {version}"))
        elif force:
            plans.append(QuarterPlan(q, "forced"))
        else:
            plans.append(QuarterPlan(q, None, "inputs and code unchanged"))
    return plans


def record_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    quarter: Quarter,
    *,
    started_at: dt.datetime,
    status: str,
    message: str | None,
) -> None:
    """One `meta.runs` row: clean / partial once the marts are done, skipped, or failed."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    con.execute(
        "insert into meta.runs values (?, ?, ?, ?, ?, ?, ?)",
        [run_id, str(quarter), started_at.replace(tzinfo=None), now, status, code_version(), message],
    )
