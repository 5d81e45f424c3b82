"""The pipeline's steps as plain functions; `flows/` wraps them as Prefect tasks.

ingest_batch:  landing files of one source × quarter → typed rows, each file accounted for
validate_batch: the gate (Great Expectations) → good rows and quarantined rows with reasons
load_batch:    one transaction replaces the quarter's partition in raw, core, quarantine, meta
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import os
import re
from collections.abc import Mapping
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import cast

import duckdb
import polars as pl

from costtrends import __version__
from expectations import docs as docs_html
from expectations import plausibility
from expectations.gate import Outcome, validate_frame
from expectations.suites import Bounds, reference_suites
from flows.settings import Settings, get_settings

# The steps' names as they were before they moved to ingest/, sources/ and warehouse/.
from ingest.landing import FileDeferred as FileDeferred
from ingest.landing import check_file_name as check_file_name
from ingest.landing import check_landing_path as check_landing_path
from ingest.landing import file_name as file_name
from ingest.landing import landing_files as landing_files
from ingest.landing import settled_files as settled_files
from ingest.readers import FileRejected as FileRejected
from sources import base as sources_base
from sources.base import WARNING_SCHEMA as WARNING_SCHEMA
from sources.base import Batch as Batch
from sources.base import FileReport as FileReport
from sources.base import IngestOptions, Rows, ValidateOptions
from sources.registry import SOURCES as SOURCE_REGISTRY
from sources.registry import source as source_named
from transforms import estimate as estimate_tf
from transforms import reference as reference_tf
from transforms.quarter import Quarter
from warehouse import checks, load, shrink
from warehouse.checks import drift_outcomes as drift_outcomes
from warehouse.checks import warning_lines as warning_lines
from warehouse.db import SEEDS_DIR, insert_frame, scalar, sql, transaction
from warehouse.faults import fault_point
from warehouse.seeds import Reference

SOURCES = tuple(SOURCE_REGISTRY)


# What shapes a run's output: every source, SQL, seed and mapping file of the project's packages.
CODE_PACKAGES = ("transforms", "expectations", "sources", "warehouse", "flows", "costtrends")
CODE_SUFFIXES = frozenset({".py", ".sql", ".csv", ".json"})


def code_digest(root: Path) -> str:
    """SHA-256 over the path and bytes of every code file under `root`'s packages, by rule.

    A rule (suffix, package) rather than a list, so a new module or seed can never be left out.
    """
    digest = hashlib.sha256()
    for package in CODE_PACKAGES:
        files = sorted(
            p
            for p in (root / package).rglob("*")
            if p.suffix in CODE_SUFFIXES and p.is_file() and "__pycache__" not in p.parts
        )
        for path in files:
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


@cache
def code_version() -> str:
    """The package version plus `code_digest` of the code that runs.

    A backfill redoes every quarter loaded by another code version. Read once per process,
    like the SQL files it hashes, so it names the code that runs.
    """
    return f"{__version__}+{code_digest(Path(__file__).resolve().parents[1])[:12]}"


def ingest_batch(
    landing: Path, source: str, quarter: Quarter, run_id: str, ref: Reference, *, workdir: Path | None = None
) -> Batch:
    """Read every landing file of the source × quarter (`sources.base.Source.ingest`).

    A source's scratch files go to `workdir` (default: `<home>/work`).
    """
    s = get_settings()
    options = IngestOptions(workdir=workdir or s.home / "work", settle_seconds=s.landing_settle_seconds)
    batch = source_named(source).ingest(landing, quarter, run_id, ref, options)
    fault_point("ingest:after_read")  # test hook (warehouse/faults.py)
    return batch


def validate_batch(
    batch: Batch, ref: Reference, *, workdir: Path | None = None, bounds: Bounds | None = None
) -> Batch:
    """Run the source's suite; rows failing an error check (or not parsing) go to quarantine.

    `bounds` default to the settings'.
    """
    options = ValidateOptions(bounds or validation_bounds(), submitted_before(), workdir)
    return source_named(batch.source).validate(batch, ref, options)


def submitted_before() -> dt.datetime:
    """The latest plausible submission time: now (UTC) plus the settings' tolerance."""
    tolerance = dt.timedelta(hours=get_settings().future_submission_tolerance_hours)
    return dt.datetime.now(dt.UTC).replace(tzinfo=None) + tolerance


def validation_bounds() -> Bounds:
    """The plausibility and drift bounds from the settings module."""
    s = get_settings()
    return Bounds(
        amount_max_eur=s.plausible_amount_max_eur,
        amount_per_inhabitant_max_eur=s.amount_per_inhabitant_max_eur,
        fte_per_1000_min=s.fte_per_1000_min,
        fte_per_1000_max=s.fte_per_1000_max,
        drift_max_drop_share=s.drift_max_drop_share,
        drift_max_change_factor=s.drift_max_change_factor,
    )


class SeedsInvalid(ValueError):
    """A seed file breaks a reference check: the run stops before anything is loaded."""


# Digests of seed folders whose files passed, so a backfill checks unchanged seeds once.
_VALID_SEEDS: set[str] = set()
# In `passed_dir`: the digest of the seeds that passed last, so the next process skips them too.
SEEDS_PASSED_FILE = "reference_seeds.passed"
SEED_FILES = (
    "municipalities.csv",
    "mergers.csv",
    "merger_shares.csv",
)


def _seeds_digest(seeds_dir: Path, seeds: dict[str, bytes]) -> str:
    """What a pass is valid for: the seed folder and bytes, the code and the libraries running the checks."""
    digest = hashlib.sha256(str(seeds_dir.resolve()).encode())
    for name, content in seeds.items():
        digest.update(f"\0{name}\0{len(content)}\0".encode() + content)
    for part in (code_version(), *(metadata.version(d) for d in ("great_expectations", "duckdb", "polars"))):
        digest.update(f"\0{part}".encode())
    return digest.hexdigest()


def _seeds_passed_before(passed_dir: Path | None, digest: str) -> bool:
    if passed_dir is None:
        return False
    try:
        return (passed_dir / SEEDS_PASSED_FILE).read_text("utf-8").strip() == digest
    except OSError:
        return False


def validate_reference_seeds(
    seeds_dir: Path = SEEDS_DIR, *, workdir: Path | None = None, passed_dir: Path | None = None
) -> list[Outcome]:
    """Run the reference suites on the seed files as written; raise `SeedsInvalid` if one fails.

    The message names each seed file, the failed check, what it expects and the lines of
    the file that break it (line 1 is the header). Returns the outcomes when all pass, and
    [] without running them when these exact seed bytes passed before under this code and
    these libraries: in this process, or in any process that recorded its pass in
    `passed_dir` (`SEEDS_PASSED_FILE`). Only a pass is recorded, so a broken seed is
    checked, and reported, every run.
    """

    def read(name: str) -> pl.DataFrame:
        # Text as written (the bytes the digest covers); row_id is the line in the file.
        frame = pl.read_csv(io.BytesIO(seeds[name]), infer_schema=False)
        return frame.with_row_index("row_id", offset=2).with_columns(pl.col("row_id").cast(pl.Int64))

    try:
        seeds = {name: (seeds_dir / name).read_bytes() for name in SEED_FILES}
        digest = _seeds_digest(seeds_dir, seeds)
        if digest in _VALID_SEEDS or _seeds_passed_before(passed_dir, digest):
            _VALID_SEEDS.add(digest)
            return []
        register = read("municipalities.csv")
        shares = pl.read_csv(io.BytesIO(seeds["merger_shares.csv"]), infer_schema=False)
        tables = {
            "municipalities.csv": register,
            "mergers.csv": read("mergers.csv").join(
                shares, on=["old_code", "new_code"], how="left", maintain_order="left"
            ),
        }
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise SeedsInvalid(f"seed files in {seeds_dir} cannot be read: {exc}") from exc
    codes = register["code"].drop_nulls().to_list() if "code" in register.columns else []
    try:
        suites = reference_suites(
            population_columns=[c for c in register.columns if re.fullmatch(r"population_\d{4}", c)],
            register_codes=codes,
        )
    except ValueError as exc:
        raise SeedsInvalid(f"seed files in {seeds_dir}: {exc}") from exc
    problems: list[str] = []
    outcomes: list[Outcome] = []
    for name, suite in suites.items():
        gate = validate_frame(tables[name], suite, workdir=workdir)
        outcomes.extend(gate.outcomes)
        problems.extend(f"{name}: {error}" for error in gate.batch_errors)
        descriptions = {check.name: check.description for check in suite.checks}
        for check, lines in _lines_by_check(gate.row_failures).items():
            shown = ", ".join(map(str, lines[:10])) + (f" and {len(lines) - 10} more" * (len(lines) > 10))
            problems.append(f"{name}: {check} ({descriptions[check]}) fails on line(s) {shown}")
    if problems:
        raise SeedsInvalid(f"seed files in {seeds_dir} break reference checks:\n  " + "\n  ".join(problems))
    _VALID_SEEDS.add(digest)
    if passed_dir is not None:
        # Only a saving: if it cannot be written, the next process checks the seeds again.
        with contextlib.suppress(OSError):
            _write_text(passed_dir / SEEDS_PASSED_FILE, digest + "\n")
    return outcomes


def _lines_by_check(failures: pl.DataFrame) -> dict[str, list[int]]:
    exploded = failures.explode("reasons").sort("reasons", "row_id")
    return {
        str(check): group["row_id"].to_list()
        for (check,), group in exploded.group_by("reasons", maintain_order=True)
    }


# Core rows as the flows hold them: frames, or a budget batch's rows kept in its store.
Core = dict[str, pl.DataFrame]


def transform_batch(batch: Batch) -> Core:
    """Good rows → the core tables of the quarter (`sources.base.Source.core_rows`)."""
    return cast(Core, source_named(batch.source).core_rows(batch))


def account_rows(batch: Batch, core: Mapping[str, Rows]) -> list[FileReport]:
    """Fill rows loaded / quarantined per file; read = loaded + quarantined (+ superseded), or it raises."""
    return sources_base.account_rows(batch, core[source_named(batch.source).core_tables[0]])


CORE_TABLES = {name: s.core_tables for name, s in SOURCE_REGISTRY.items()}
RAW_TABLES = {name: s.raw_table for name, s in SOURCE_REGISTRY.items()}
_insert = insert_frame


def load_batch(
    con: duckdb.DuckDBPyConnection,
    batch: Batch,
    core: Mapping[str, Rows],
    *,
    bounds: Bounds | None = None,
    keep_store: bool = False,
) -> list[Outcome]:
    """Replace the quarter's partition of this source everywhere, in one transaction (`warehouse.load`).

    Inside the caller's `transaction` it joins it; then the caller passes `keep_store` and
    discards the batch's scratch files after its commit (`Batch.discard`), so a retry can
    read them again. Returns the outcomes recorded: the batch's and the drift checks'
    against the previous loaded quarter (`warehouse.checks.drift_outcomes`).
    """
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    outcomes = [*batch.outcomes, *drift_outcomes(con, batch, core, bounds or validation_bounds())]
    with transaction(con):
        load.write_batch(
            con, source_named(batch.source), batch, core, outcomes, code_version=code_version(), now=now
        )
        _refresh_quarter_dim(con)
    if not keep_store:
        batch.discard()
    return outcomes


def plausibility_thresholds(settings: Settings | None = None) -> plausibility.Thresholds:
    """The plausibility gate's thresholds from the settings module."""
    s = settings or get_settings()
    return plausibility.Thresholds(
        max_factor_own=s.plausibility_max_factor_own,
        max_factor_class=s.plausibility_max_factor_class,
        min_class_peers=s.plausibility_min_class_peers,
    )


def plausibility_gate(
    con: duckdb.DuckDBPyConnection,
    batch: Batch,
    core: Mapping[str, Rows],
    thresholds: plausibility.Thresholds,
) -> Core:
    """`warehouse.checks.plausibility_gate` for the batch's source."""
    return cast(Core, checks.plausibility_gate(con, source_named(batch.source), batch, core, thresholds))


def new_size(batch: Batch, core: Mapping[str, Rows]) -> shrink.PartitionSize:
    """How much of the source × quarter a load of `core` would leave in core."""
    return checks.new_size(source_named(batch.source), core)


def shrink_refusal(
    con: duckdb.DuckDBPyConnection, batch: Batch, core: Mapping[str, Rows], settings: Settings
) -> str | None:
    """Why the batch must not replace its loaded partition (`warehouse.shrink`); None: it may."""
    return checks.shrink_refusal(
        con,
        source_named(batch.source),
        batch,
        core,
        max_row_loss_share=settings.shrink_max_row_loss_share,
        max_municipality_loss_share=settings.shrink_max_municipality_loss_share,
    )


def write_validation_docs(con: duckdb.DuckDBPyConnection, docs_dir: Path, run_id: str) -> Path:
    """Render run `run_id`'s validation page from the warehouse into `docs_dir`; return its path.

    The page is ``<docs_dir>/runs/<run_id>.html``; ``<docs_dir>/index.html`` lists every
    run's page. Both are static, self-contained HTML (see `expectations.docs`), each
    written to a temporary file and renamed, so a reader never sees half a page.
    """
    quarter = scalar(con, "select max(quarter) from meta.validation_results where run_id = ?", [run_id])
    named = {"run_id": run_id, "rows_shown": docs_html.ROWS_SHOWN}
    page = docs_html.render_run_page(
        run_id=run_id,
        quarter=str(quarter or "?"),
        results=con.sql(sql("sql/select_docs_results"), params=[run_id]).pl(),
        files=con.sql(sql("sql/select_docs_files"), params=[run_id]).pl(),
        quarantined=con.sql(sql("sql/select_docs_quarantine"), params=named).pl(),
        warnings=con.sql(sql("sql/select_docs_warnings"), params=named).pl(),
    )
    path = validation_docs_path(docs_dir, run_id)
    _write_text(path, page)
    rendered = [p.stem for p in (docs_dir / "runs").glob("*.html")]
    runs = (
        con.sql(sql("sql/select_docs_runs"))
        .pl()
        .filter(pl.col("run_id").is_in(rendered))
        .with_columns(("runs/" + pl.col("run_id") + ".html").alias("page"))
    )
    _write_text(docs_dir / "index.html", docs_html.render_index(runs))
    return path


def validation_docs_path(docs_dir: Path, run_id: str) -> Path:
    """Where `write_validation_docs` puts run `run_id`'s page."""
    return docs_dir / "runs" / f"{run_id}.html"


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def _refresh_quarter_dim(con: duckdb.DuckDBPyConnection) -> None:
    quarters = [
        Quarter.parse(r[0])
        for r in con.execute(
            "select quarter from meta.partitions union select quarter from core.fct_survey_cost"
        ).fetchall()
    ]
    con.execute("delete from core.dim_quarter")
    _insert(con, "core.dim_quarter", reference_tf.quarter_dim(quarters))


MARTS = ("cost_trend_quarterly", "net_cost", "budget_trend_quarterly", "survey_vs_budget")
MART_KEYS = {
    "cost_trend_quarterly": "municipality_code, quarter, cost_category",
    "net_cost": "municipality_code, quarter",
    "budget_trend_quarterly": "municipality_code, quarter, budget_category, kind",
    "survey_vs_budget": "municipality_code, quarter",
    "national_estimate": "quarter, cost_category",
    "national_estimate_period": "period_type, period, cost_category",
}


def affected_quarters(
    con: duckdb.DuckDBPyConnection, quarter: Quarter, *, next_written: Quarter | None = None
) -> tuple[int, int]:
    """The quarter-index window whose mart rows a write of `quarter` must refresh now.

    The quarter itself, the next (QoQ), +3 (rolling four quarters), +4 (YoY) and the
    cumulative tail: everything from the quarter to the last quarter loaded, whether
    `quarter` is new, old, or has neighbours that are not loaded yet (a neighbour
    loaded later has its own window, which starts at or before this quarter's
    successors). Half-year and year estimates around the window follow it.

    A mart row of a quarter depends only on core rows of that quarter and earlier ones.
    So when the same run writes `next_written`, a later quarter, after this one, the
    window ends just before it: that write refreshes from `next_written` on and reads
    this quarter's new rows, and a run redoing n quarters computes each quarter's rows
    once instead of once per earlier quarter redone. `refresh_marts` records the quarters
    left for later in `meta.mart_state` (`marts_behind`), so a run that stops before
    reaching them, or dies, leaves them to `catch_up_marts` or to the next refresh.
    """
    if next_written is not None and next_written > quarter:
        return quarter.index, next_written.index - 1
    last = con.execute("select max(quarter_index) from core.dim_quarter").fetchall()[0][0]
    last_index = int(last) if last is not None else quarter.index
    return quarter.index, max(last_index, quarter.index)


def _mart_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """What the marts are built from besides core rows: the SQL and seeds, and the boundary set.

    The Iv3 mapping is read as loaded (not only as hashed in the code version, which a
    long-running process reads once), so an edited mapping seed rebuilds every quarter.
    """
    digest = hashlib.sha256(code_version().encode())
    boundary = con.execute(
        "select municipality_code, boundary_code, share from core.map_boundary order by all"
    ).fetchall()
    digest.update(repr(boundary).encode())
    mapping = con.execute(
        "select taakveld, categorie, budget_category from core.dim_budget_category order by all"
    ).fetchall()
    digest.update(repr(mapping).encode())
    return digest.hexdigest()


def refresh_marts(con: duckdb.DuckDBPyConnection, window: tuple[int, int], ref: Reference) -> dict[str, int]:
    """Recompute the marts' rows for quarters in `window` (delete + insert, one transaction).

    Each SQL mart reads only the inputs its window needs (four quarters before it for
    QoQ, YoY and rolling sums; older history only as one grouped sum for the
    cumulative), so refreshing the newest quarter costs about the same however long
    the history is. When the marts were built from other SQL, seeds or boundary set
    than now (see `meta.mart_state`), every quarter is rebuilt instead. The result
    equals a full rebuild row for row. Returns the rows now in the window per mart.

    A window that ends before the last quarter loaded leaves the quarters after it
    behind core (their rows read the window's quarters); `meta.mart_state.behind_from`
    notes the first of them, and the next refresh starts there at the latest, so the
    rows of every quarter before `marts_behind` always equal a full rebuild.
    """
    changed: dict[str, int] = {}
    with transaction(con):
        con.execute(sql("sql/create_core_views"))
        con.execute(sql("ddl/create_mart_tables"))
        fingerprint = _mart_fingerprint(con)
        rebuild = scalar(con, "select max(fingerprint) from meta.mart_state") != fingerprint
        if rebuild:
            # New code may have changed a mart's columns or types: rebuilt marts start from their models.
            for mart in (*MARTS, "national_estimate", "national_estimate_period"):
                con.execute(f"drop table if exists marts.{mart}")
            con.execute(sql("ddl/create_mart_tables"))
        first_last = con.execute("select min(quarter_index), max(quarter_index) from core.dim_quarter")
        first, last = first_last.fetchall()[0]
        if rebuild and first is not None:
            window = (min(window[0], int(first)), max(window[1], int(last)))
        behind = scalar(con, "select min(behind_from) from meta.mart_state")
        if not rebuild and behind is not None:
            window = (min(window[0], int(behind)), window[1])  # type: ignore[call-overload]
        low, high = window
        behind_from = high + 1 if last is not None and high < int(last) else None
        params = {"window_start": low, "window_end": high}
        in_window = "quarter in (select quarter from core.dim_quarter where quarter_index between ? and ?)"
        for mart in MARTS:
            model = sql(f"marts/{mart}")
            con.execute(f"create table if not exists marts.{mart} as select * from ({model}) limit 0", params)
            if rebuild:
                con.execute(f"delete from marts.{mart}")
            else:
                con.execute(f"delete from marts.{mart} where {in_window}", [low, high])
            keys = MART_KEYS[mart]
            con.execute(f"insert into marts.{mart} select * from ({model}) order by {keys}", params)
            count = con.execute(f"select count(*) from marts.{mart} where {in_window}", [low, high])
            changed[mart] = int(count.fetchall()[0][0])
        estimate = national_estimate_frame(con, window)
        periods = national_estimate_period_frame(con, window)
        if rebuild:
            con.execute("delete from marts.national_estimate")
            con.execute("delete from marts.national_estimate_period")
        else:
            con.execute(f"delete from marts.national_estimate where {in_window}", [low, high])
            con.execute(
                "delete from marts.national_estimate_period where period in (select unnest(?))",
                [estimate_tf.periods_containing(_quarters(window))],
            )
        _insert(con, "marts.national_estimate", estimate)
        _insert(con, "marts.national_estimate_period", periods)
        changed["national_estimate"] = estimate.height
        changed["national_estimate_period"] = periods.height
        con.execute(sql("sql/comment_snapshot"))
        con.execute("delete from meta.mart_state")
        con.execute(
            "insert into meta.mart_state (fingerprint, built_at, behind_from) values (?, ?, ?)",
            [fingerprint, dt.datetime.now(dt.UTC).replace(tzinfo=None), behind_from],
        )
    return changed


def marts_behind(con: duckdb.DuckDBPyConnection) -> int | None:
    """The first quarter index whose mart rows may lag core (see `refresh_marts`); None: none do."""
    noted = scalar(
        con,
        "select count(*) from duckdb_columns() where schema_name = 'meta' "
        "and table_name = 'mart_state' and column_name = 'behind_from'",
    )
    if not noted:
        return None
    behind = scalar(con, "select min(behind_from) from meta.mart_state")
    return int(behind) if behind is not None else None  # type: ignore[call-overload]


def catch_up_marts(
    con: duckdb.DuckDBPyConnection, ref: Reference, *, since: Quarter | None = None
) -> tuple[int, int] | None:
    """Refresh the marts from where they are behind core (or from `since`, if earlier) to the end.

    For a run that stops before the writes it left quarters to (see `affected_quarters`),
    and for `since` a quarter whose write failed after part of it may have been committed.
    Returns the window refreshed, or None when the marts were current already.
    """
    starts = [i for i in (marts_behind(con), since.index if since is not None else None) if i is not None]
    if not starts:
        return None
    start = min(starts)
    last = scalar(con, "select max(quarter_index) from core.dim_quarter")
    window = (start, max(start, int(last))) if last is not None else (start, start)  # type: ignore[call-overload]
    refresh_marts(con, window, ref)
    return window


def _quarters(window: tuple[int, int]) -> list[str]:
    return [str(Quarter.from_index(i)) for i in range(window[0], window[1] + 1)]


def _estimate_inputs(
    con: duckdb.DuckDBPyConnection, window: tuple[int, int]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Respondents and sampling frame of the quarters in `window` (as reported, not on the boundary set)."""
    responses = con.sql(sql("sql/select_estimate_responses"), params=list(window)).pl()
    frame = con.sql(sql("sql/select_estimate_frame"), params=list(window)).pl()
    frame = frame.with_columns(reference_tf.size_class(pl.col("population")).alias("size_class"))
    return responses, frame


def national_estimate_frame(con: duckdb.DuckDBPyConnection, window: tuple[int, int]) -> pl.DataFrame:
    """`marts.national_estimate` rows of the quarters in `window`: inputs, then the pure estimator."""
    estimate = estimate_tf.national_estimate(*_estimate_inputs(con, window))
    return estimate.with_columns(estimate_tf.period_start(pl.col("quarter")).alias("quarter_start"))


def national_estimate_period_frame(con: duckdb.DuckDBPyConnection, window: tuple[int, int]) -> pl.DataFrame:
    """`marts.national_estimate_period` rows of every period that overlaps `window`.

    Reads whole years around the window, since a half year or year sums its quarters.
    """
    years = (window[0] // 4 * 4, window[1] // 4 * 4 + 3)
    digital = [
        r[0]
        for r in con.execute(
            "select cost_category from core.dim_cost_category where is_digital order by 1"
        ).fetchall()
    ]
    periods = estimate_tf.national_estimate_periods(*_estimate_inputs(con, years), digital_categories=digital)
    return periods.filter(
        pl.col("period").is_in(estimate_tf.periods_containing(_quarters(window)))
    ).with_columns(estimate_tf.period_start(pl.col("period")).alias("quarter_start"))
