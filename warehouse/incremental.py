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

A loaded source whose landing folder is now missing or empty is not restated: files
that vanish are an accident of the landing zone (a share not mounted, a folder moved),
not a retraction. Such a quarter keeps what is loaded and its plan names the source in
`missing`; the run reports it as refused (exit 3). With `allow_shrink` an emptied
folder is a restatement like any other, and the quarter is reloaded from no files.

Planning reads each landing file once per version of it, not once per run:
`meta.file_hashes` keeps each file's SHA-256 with the stamp it had when hashed (resolved
path, size, modification and change time in ns, inode, device), and planning reuses the
hash only while all of these still match (`FileHashes`); it reads and writes the record
under the warehouse lock, and a row only ever says what a file with that stamp held, so
concurrent runs cannot make it wrong. Any write, truncation, `touch`, `chmod`, copy over
the file, replacement by rename or restore from a backup changes the change time or the
inode, so the file is hashed again and a restatement is still seen. `--force` does not
bypass the record: the content hash is what names the data. A recorded hash is stale
only if the content changed while the whole stamp stayed the same, which takes one of:

- a write within the file system's timestamp granularity of the read: a hash is recorded
  only when the stamp is the same before and after reading the file and the file last
  changed more than `RACY_NS` (2 s, FAT's granularity) before the read began;
- a change time set back, which only setting the system clock back can do;
- a file system that does not keep these fields faithfully (some FUSE or network mounts
  report fixed times or inodes, or take times from a server clock far behind this one).

Emptying `meta.file_hashes` makes the next run hash every file again.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import astuple, dataclass
from pathlib import Path

import duckdb
import polars as pl

from ingest.landing import file_name, landing_files
from ingest.readers import sha256_of
from sources.registry import SOURCES
from sources.registry import source as source_named
from transforms.quarter import Quarter
from transforms.safe_text import printable
from warehouse.db import sql
from warehouse.version import code_version

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
    # Loaded sources whose landing folder is missing or empty now: their data is kept.
    missing: tuple[str, ...] = ()

    @property
    def skipped(self) -> bool:
        return self.reason is None


Signature = list[tuple[str, int, int]]

# A file changed this shortly before it is read could change again within its file system's
# timestamp granularity (a few ms on Linux, 2 s on FAT) and keep its stamp: such a file is
# hashed but its hash is not recorded, so the next run hashes it again.
RACY_NS = 2_000_000_000


@dataclass(frozen=True)
class FileStamp:
    """One version of a file as `os.stat` of its resolved path sees it, without reading it."""

    path: str
    size_bytes: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    device: int

    @classmethod
    def of(cls, path: Path) -> FileStamp:
        """`path` is kept as text the warehouse can store: undecodable bytes escaped."""
        resolved = path.resolve()
        st = resolved.stat()
        return cls(printable(str(resolved)), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


class FileHashes:
    """SHA-256 of landing files, reusing the recorded hash of a file whose stamp is unchanged.

    `read` the record from `meta.file_hashes`, ask `sha256` per file, then `record` the
    files hashed anew (under the warehouse lock, like every write).
    """

    def __init__(self, known: dict[str, tuple[FileStamp, str]] | None = None, *, racy_ns: int = RACY_NS):
        self.known = dict(known or {})
        self.fresh: dict[str, tuple[FileStamp, str]] = {}
        self.racy_ns = racy_ns

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection, *, racy_ns: int = RACY_NS) -> FileHashes:
        rows = con.execute(sql("sql/select_file_hashes")).fetchall()
        return cls({row[0]: (FileStamp(*row[:6]), row[6]) for row in rows}, racy_ns=racy_ns)

    def sha256(self, path: Path) -> str:
        """The file's SHA-256: the recorded one if its stamp still matches, else read and hashed."""
        started = time.time_ns()
        before = FileStamp.of(path)
        recorded = self.known.get(before.path)
        if recorded is not None and recorded[0] == before:
            return recorded[1]
        digest = sha256_of(path.resolve())
        settled = max(before.mtime_ns, before.ctime_ns) < started - self.racy_ns
        if settled and FileStamp.of(path) == before:
            self.known[before.path] = self.fresh[before.path] = (before, digest)
        return digest

    def record(self, con: duckdb.DuckDBPyConnection) -> int:
        """Write the files hashed since the last `record` to `meta.file_hashes`; returns how many."""
        if not self.fresh:
            return 0
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        frame = pl.DataFrame(
            [(*astuple(stamp), digest, now) for stamp, digest in self.fresh.values()],
            schema={
                "path": pl.Utf8,
                "size_bytes": pl.Int64,
                "mtime_ns": pl.Int64,
                "ctime_ns": pl.Int64,
                "inode": pl.UInt64,
                "device": pl.UInt64,
                "sha256": pl.Utf8,
                "hashed_at": pl.Datetime("us"),
            },
            orient="row",
        )
        con.register("_file_hashes", frame.to_arrow())
        try:
            con.execute(sql("sql/upsert_file_hashes"))
        finally:
            con.unregister("_file_hashes")
        count = len(self.fresh)
        self.fresh.clear()
        return count


def landing_hashes(landing: Path, source: str, quarter: Quarter, hashes: FileHashes | None = None) -> str:
    """The quarter's landing files of one source as `meta.partitions.source_hashes` writes them.

    With `hashes`, a file hashed before and unchanged since is not read again.
    """
    files = landing_files(landing, source, quarter)
    sha = hashes.sha256 if hashes is not None else sha256_of
    # Files of other quarters the load reads (a year-to-date Iv3 delivery: the year's earlier ones).
    others = source_named(source).other_inputs(landing, quarter, sha)
    return ",".join(sorted([*(f"{file_name(p)}:{sha(p)}" for p in files), *others]))


def landing_signature(landing: Path, source: str, quarter: Quarter) -> Signature:
    """Name, size and modification time of each landing file: compared before and after a read."""
    signature = []
    for path in landing_files(landing, source, quarter):
        stat = path.stat()
        signature.append((file_name(path), stat.st_size, stat.st_mtime_ns))
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


def plan_quarters(
    state: PartitionState,
    quarters: list[Quarter],
    hashes: dict[tuple[Quarter, str], str],
    *,
    force: bool = False,
    allow_shrink: bool = False,
) -> list[QuarterPlan]:
    """Decide per quarter whether it is current; `hashes` are `landing_hashes` per quarter × source.

    A loaded source with no landing files now is `missing`, not restated, unless `allow_shrink`.
    """
    version = code_version()
    plans = []
    for q in sorted(quarters):
        loaded = {s: state.get((str(q), s)) for s in SOURCES}
        missing = tuple(
            s for s, v in loaded.items() if not allow_shrink and v is not None and v[0] and not hashes[(q, s)]
        )
        restated = [
            s for s, v in loaded.items() if v is not None and v[0] != hashes[(q, s)] and s not in missing
        ]
        if all(v is None for v in loaded.values()):
            plans.append(QuarterPlan(q, "new"))
        elif any(v is None or not v[2] for v in loaded.values()):
            plans.append(QuarterPlan(q, "unfinished", "its last run did not finish", missing=missing))
        elif restated:
            plans.append(QuarterPlan(q, "restated", f"{', '.join(restated)} files changed", missing=missing))
        elif any(v is not None and v[1] != version for v in loaded.values()):
            plans.append(
                QuarterPlan(q, "code", f"loaded by another code version, now {version}", missing=missing)
            )
        elif force:
            plans.append(QuarterPlan(q, "forced", missing=missing))
        elif missing:
            plans.append(
                QuarterPlan(
                    q, None, f"{', '.join(missing)} landing files missing; loaded data kept", missing=missing
                )
            )
        else:
            plans.append(QuarterPlan(q, None, "inputs and code unchanged"))
    return plans


class LandingMissing(RuntimeError):
    """The landing root is missing or empty: an error, never a reason to empty loaded quarters."""


def check_landing_root(landing: Path) -> None:
    """Raise `LandingMissing` when the landing root is not a folder or holds nothing at all."""
    if not landing.is_dir():
        raise LandingMissing(
            f"landing folder {landing} does not exist (a share not mounted? COSTTRENDS_LANDING_DIR); "
            "nothing was read, loaded or published"
        )
    if not any(landing.iterdir()):
        raise LandingMissing(
            f"landing folder {landing} is empty (a share not mounted?); nothing was read, loaded or published"
        )


def missing_message(landing: Path, source: str, quarter: Quarter) -> str:
    """The line a run prints for a loaded source × quarter whose landing files are gone."""
    return (
        f"{source} {quarter}: not replaced: its landing folder {landing / source / str(quarter)} is "
        "missing or empty; the loaded data stays. Restore the files, or rerun with --allow-shrink "
        "to empty it"
    )


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
