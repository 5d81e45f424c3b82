"""The marts: a registry read from the files in `warehouse/marts/`, and their refresh.

Each `warehouse/marts/<name>.sql` declares the mart `marts.<name>` in its leading comment,
one tag a line (a tag's text may go on over lines that start with `--` and four spaces):

    -- @grain municipality_code, quarter          the key columns: one row per their values
    -- @description One row per ...               the table's description BI tools show
    -- @column net_cost_eur double: Net cost ...  name, type (DuckDB), description; in order
    -- @computed transforms/estimate.py (...)     only for marts whose rows Python computes

and, unless it is computed, the query that gives the rows of the quarters with index
`$window_start..$window_end`, in the declared column order. Everything else follows from
these files: the mart tables' DDL, the refresh, the snapshot's table list and sort keys,
the `COMMENT ON` statements and so the data dictionary. Adding a SQL mart is adding its file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import polars as pl

from ingest.reference import Reference
from transforms import estimate as estimate_tf
from transforms import reference as reference_tf
from transforms.quarter import Quarter
from warehouse.db import insert_frame, scalar, sql, transaction
from warehouse.version import code_version

MARTS_DIR = Path(__file__).resolve().parent / "marts"
# One file per intermediate view the marts read (`core.int_<name>`, the file's stem): core facts
# moved onto the boundary set. Every view carries quarter_index, so a mart can filter its inputs
# to the window it rebuilds (the filter is pushed through the views' joins and groupings).
VIEWS_DIR = Path(__file__).resolve().parent / "views"
_TAG = re.compile(r"^-- @(\w+)(?: (.*))?$")
_CONTINUED = "--    "
_COLUMN = re.compile(r"^(\w+) ([^:]+): (.+)$")


class MartDeclarationError(ValueError):
    """A mart file's header does not declare a usable mart."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB type as declared, with `not null` where the column never is
    description: str


@dataclass(frozen=True)
class Mart:
    """One mart as its file declares it."""

    name: str
    grain: tuple[str, ...]
    description: str
    columns: tuple[Column, ...]
    model: str | None  # the file's SQL; None when Python computes the rows (`computed`)
    computed: str | None = None

    @property
    def table(self) -> str:
        return f"marts.{self.name}"

    @property
    def keys(self) -> str:
        """The grain as an `order by` list."""
        return ", ".join(self.grain)

    def ddl(self) -> str:
        columns = ",\n".join(f"    {c.name} {c.type}" for c in self.columns)
        return f"create table if not exists {self.table} (\n{columns}\n);"


def _header(text: str) -> list[tuple[str, str]]:
    """The (tag, text) pairs of a file's leading comment, continuation lines joined."""
    tags: list[tuple[str, str]] = []
    open_tag = False
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        match = _TAG.match(line)
        if match:
            tags.append((match[1], match[2] or ""))
            open_tag = True
        elif open_tag and line.startswith(_CONTINUED) and line[len(_CONTINUED) :].strip():
            tag, value = tags[-1]
            tags[-1] = (tag, f"{value} {line[len(_CONTINUED) :].strip()}")
        else:
            open_tag = False
    return tags


def parse_mart(path: Path) -> Mart:
    """The mart `path` declares; `MartDeclarationError` naming the file and what is missing."""
    text = path.read_text(encoding="utf-8")
    tags = _header(text)
    single = {tag: value for tag, value in tags if tag != "column"}
    unknown = sorted(set(single) - {"grain", "description", "computed"})
    if unknown:
        raise MartDeclarationError(f"{path.name}: unknown tag(s) {', '.join('@' + t for t in unknown)}")
    columns = []
    for tag, value in tags:
        if tag != "column":
            continue
        match = _COLUMN.match(value)
        if match is None:
            raise MartDeclarationError(f"{path.name}: '@column {value}' is not 'name type: description'")
        columns.append(Column(match[1], match[2].strip(), match[3]))
    names = [c.name for c in columns]
    grain = tuple(k.strip() for k in single.get("grain", "").split(",") if k.strip())
    problems = []
    if not single.get("description"):
        problems.append("no @description")
    if not columns:
        problems.append("no @column")
    if len(set(names)) != len(names):
        problems.append("a column declared twice")
    if not grain:
        problems.append("no @grain")
    if any(k not in names for k in grain):
        undeclared = ", ".join(k for k in grain if k not in names)
        problems.append(f"@grain names a column not declared: {undeclared}")
    computed = single.get("computed")
    if computed is None and "quarter" not in names:
        problems.append("no quarter column, which the refresh window deletes by")
    if problems:
        raise MartDeclarationError(f"{path.name}: {'; '.join(problems)}")
    model = None if computed is not None else text
    return Mart(path.stem, grain, single["description"], tuple(columns), model, computed)


@cache
def _registry(folder: Path) -> tuple[Mart, ...]:
    return tuple(parse_mart(p) for p in sorted(folder.glob("*.sql")))


@cache
def core_views(folder: Path = VIEWS_DIR) -> tuple[str, ...]:
    """The `create or replace view` statements of `folder`, each after the views it reads."""
    texts = {p.stem: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.sql"))}
    reads = {name: set(re.findall(r"core\.(int_\w+)", text)) - {name} for name, text in texts.items()}
    ordered: list[str] = []
    while len(ordered) < len(texts):
        ready = [n for n in texts if n not in ordered and reads[n] <= set(ordered)]
        if not ready:
            waiting = sorted(n for n in texts if n not in ordered)
            raise MartDeclarationError(f"views that read each other or a missing view: {', '.join(waiting)}")
        ordered.extend(ready)
    return tuple(texts[n] for n in ordered)


def create_core_views(con: duckdb.DuckDBPyConnection) -> None:
    """Create or replace every intermediate view (see `VIEWS_DIR`)."""
    for statement in core_views():
        con.execute(statement)


def registry() -> tuple[Mart, ...]:
    """Every mart of `MARTS_DIR`, by name; read once per process, like the SQL files."""
    return _registry(MARTS_DIR)


def mart(name: str) -> Mart:
    return next(m for m in registry() if m.name == name)


def sql_marts() -> tuple[str, ...]:
    """The marts whose rows a query computes."""
    return tuple(m.name for m in registry() if m.model is not None)


def mart_keys() -> dict[str, str]:
    """Every mart's grain as an `order by` list."""
    return {m.name: m.keys for m in registry()}


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def comment_statements(marts: tuple[Mart, ...]) -> str:
    """`COMMENT ON` for every mart and column: the descriptions BI tools show."""
    lines = []
    for m in marts:
        lines.append(f"comment on table {m.table} is {_literal(m.description)};")
        lines += [f"comment on column {m.table}.{c.name} is {_literal(c.description)};" for c in m.columns]
    return "\n".join(lines)


def create_tables(con: duckdb.DuckDBPyConnection, marts: tuple[Mart, ...]) -> None:
    """The mart tables as declared (if missing), and `meta.mart_state` with its later column."""
    con.execute("\n".join(m.ddl() for m in marts))
    con.execute(sql("sql/create_mart_state"))


@cache
def _described_tables() -> tuple[str, ...]:
    """The core tables `sql/comment_snapshot.sql` describes, as `schema.table`."""
    return tuple(re.findall(r"^comment on table (\w+\.\w+) is", sql("sql/comment_snapshot"), re.MULTILINE))


def _undescribed(con: duckdb.DuckDBPyConnection, marts: tuple[Mart, ...]) -> bool:
    """Whether a mart or a described core table has no description (made anew since, or cleared).

    The descriptions come from the code (the mart files, `sql/comment_snapshot.sql`), which
    the marts' fingerprint covers: a refresh that rebuilds writes them all; any other writes
    them only when a table lost its own, as a table made again loses its columns' too.
    """
    tables = [m.table for m in marts] + list(_described_tables())
    described = scalar(
        con,
        "select count(*) from duckdb_tables() where schema_name || '.' || table_name in (select unnest(?)) "
        "and comment is not null",
        [tables],
    )
    return described != len(tables)


def refresh_quarter_dim(con: duckdb.DuckDBPyConnection) -> None:
    """`core.dim_quarter`: every quarter loaded in a partition or with survey costs."""
    quarters = [
        Quarter.parse(r[0])
        for r in con.execute(
            "select quarter from meta.partitions union select quarter from core.fct_survey_cost"
        ).fetchall()
    ]
    con.execute("delete from core.dim_quarter")
    insert_frame(con, "core.dim_quarter", reference_tf.quarter_dim(quarters))


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


def _mart_fingerprint(con: duckdb.DuckDBPyConnection, marts: tuple[Mart, ...]) -> str:
    """What the marts are built from besides core rows: the code, the marts, and the boundary set.

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
    if marts != registry():  # marts from another folder (a test's): they are part of the code
        digest.update(repr(marts).encode())
    return digest.hexdigest()


def _computed_rows(con: duckdb.DuckDBPyConnection, name: str, window: tuple[int, int]) -> pl.DataFrame:
    """The rows of a mart Python computes (`@computed`), for `window`."""
    if name == "national_estimate":
        return national_estimate_frame(con, window)
    if name == "national_estimate_period":
        return national_estimate_period_frame(con, window)
    raise MartDeclarationError(f"{name}.sql: @computed, but warehouse/marts.py computes no rows for it")


def _delete_window(con: duckdb.DuckDBPyConnection, m: Mart, window: tuple[int, int]) -> None:
    """Delete `m`'s rows of the quarters in `window`; a period mart's rows of every period overlapping it."""
    names = {c.name for c in m.columns}
    if "quarter" in names:
        in_window = "quarter in (select quarter from core.dim_quarter where quarter_index between ? and ?)"
        con.execute(f"delete from {m.table} where {in_window}", list(window))
    elif "period" in names:
        con.execute(
            f"delete from {m.table} where period in (select unnest(?))",
            [estimate_tf.periods_containing(_quarters(window))],
        )
    else:
        raise MartDeclarationError(f"{m.name}.sql: no quarter or period column to refresh a window by")


def refresh_marts(
    con: duckdb.DuckDBPyConnection,
    window: tuple[int, int],
    ref: Reference,
    *,
    marts: tuple[Mart, ...] | None = None,
) -> dict[str, int]:
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

    `marts`: the registry to refresh (default: `registry()`).
    """
    marts = registry() if marts is None else marts
    changed: dict[str, int] = {}
    with transaction(con):
        create_core_views(con)
        create_tables(con, marts)
        fingerprint = _mart_fingerprint(con, marts)
        rebuild = scalar(con, "select max(fingerprint) from meta.mart_state") != fingerprint
        if rebuild:
            # New code may have changed a mart's columns or types: rebuilt marts start from the declarations.
            for m in marts:
                con.execute(f"drop table if exists {m.table}")
            create_tables(con, marts)
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
        for m in marts:
            if m.model is None:
                continue
            if not rebuild:
                _delete_window(con, m, window)
            con.execute(f"insert into {m.table} select * from ({m.model}) order by {m.keys}", params)
            count = con.execute(f"select count(*) from {m.table} where {in_window}", [low, high])
            changed[m.name] = int(count.fetchall()[0][0])
        computed = {m.name: _computed_rows(con, m.name, window) for m in marts if m.model is None}
        for m in marts:
            if m.model is None:
                if not rebuild:
                    _delete_window(con, m, window)
                insert_frame(con, m.table, computed[m.name])
                changed[m.name] = computed[m.name].height
        if rebuild or _undescribed(con, marts):
            con.execute(comment_statements(marts))
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
