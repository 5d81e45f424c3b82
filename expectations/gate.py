"""Run a suite on a DuckDB table and split the outcome into failing rows, warnings and batch errors.

GX decides what passes: it validates the whole table with its SQL engine and reports, per
check, success and the SQL that selects the unexpected rows. GX's SQL engine returns at
most ``partial_unexpected_count`` row ids itself (even with result format COMPLETE), so
the gate runs that SQL in DuckDB to read the ids of every unexpected row, as Arrow. Memory
is bounded by the number of failing rows, never by the size of the table.

Two GX runs per suite, in one context on one batch, so that GX computes no more than the
gate reads. The column checks (GX's map expectations) run with result format
BOOLEAN_ONLY: GX bundles all their counts into one aggregate query and reports success
and the unexpected-rows SQL, and skips the per-check sample of unexpected values
(``… LIMIT 20``, one query and one SQL compilation per check) that any richer format
adds. Their unexpected count is the number of rows that SQL selects, and a failed check
whose SQL selects no row is an error (GX and the gate disagree). The other checks
(batch-level, SQL checks, and column checks that allow some failures with ``mostly``)
run with result format BASIC, whose counts and observed values the gate reports; for
them the rows the SQL selects must number exactly GX's unexpected count.

Great Expectations is imported when a validation runs, not when this module is imported:
`Outcome` and the gate's types are used by code that never validates.

Safe to call repeatedly and from several threads at once: each call builds its own
ephemeral GX context, datasource and engine, and closes the engine before returning. The
suite's code tables (`expectations.suites.CodeTable`) are registered on that engine's one
connection, so two calls never see each other's, and nothing is written to the database.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import polars as pl
import sqlalchemy as sa

if TYPE_CHECKING:
    from expectations.gx_duckdb import DuckDBExecutionEngine
    from expectations.suites import Check, Suite

ROW_SCHEMA: dict[str, pl.DataType] = {"row_id": pl.Int64(), "reasons": pl.List(pl.Utf8())}

# How many unexpected values GX samples per check; the gate reads none of them.
_SAMPLE_SIZE = 20
# One bit per check in a DuckDB UBIGINT mask.
_MAX_FLAGGING_CHECKS = 64


@dataclass(frozen=True)
class Outcome:
    """How one check went on one batch.

    For a batch-level check, element_count is the table's row count and unexpected_count 0.
    `description` says what the check expects. `message` says in words what it found when
    the counts alone do not: why a batch-level check failed or a check could not run, and
    what a drift check compared (see `expectations.drift`); None otherwise.
    """

    suite: str
    expectation: str
    severity: str
    success: bool
    element_count: int
    unexpected_count: int
    description: str = ""
    message: str | None = None


@dataclass
class GateResult:
    """What the gate found in one batch.

    row_failures / row_warnings: one row per failing row id, with the sorted names of the
    error (resp. warning) checks it failed; columns row_id Int64, reasons List(Utf8).
    batch_errors: one message per failed batch-level error check and per check that could
    not run (a missing column, say); any message rejects the whole batch.
    """

    row_failures: pl.DataFrame
    row_warnings: pl.DataFrame
    outcomes: list[Outcome]
    batch_errors: list[str]


def validate_table(
    database: Path,
    table: str,
    suite: Suite,
    *,
    id_column: str = "row_id",
    read_only: bool = True,
) -> GateResult:
    """Validate `table` (``name`` or ``schema.name``) in the DuckDB file `database`.

    The file is opened read-only unless `read_only` is False (see `add_duckdb_datasource`)
    and closed again before this returns, so the caller can open it for writing right after.
    """
    from expectations.gx_duckdb import (
        add_duckdb_datasource,
        close_duckdb_datasource,
        duckdb_engine_of,
        ephemeral_context,
    )

    context = ephemeral_context()
    datasource = add_duckdb_datasource(context, name="staging", database=database, read_only=read_only)
    try:
        engine = duckdb_engine_of(datasource)
        # The suite's code lists, beside the table on this call's connection only.
        for name, codes in suite.code_tables().items():
            engine.register_codes(name, codes)
        asset = datasource.add_table_asset(name=table, table_name=table)
        if id_column not in _column_names(engine, table):
            return GateResult(
                row_failures=_empty_rows(),
                row_warnings=_empty_rows(),
                outcomes=[],
                batch_errors=[f"required column {id_column!r} is missing: rows cannot be identified"],
            )
        batch = asset.add_batch_definition_whole_table("whole_table").get_batch()
        results = _run_suite(batch, suite, id_column=id_column)
        row_count = _row_count(engine, table)
        return _gate_result(engine, table, suite, results, id_column, row_count)
    finally:
        close_duckdb_datasource(datasource)


def validate_frame(
    frame: pl.DataFrame,
    suite: Suite,
    *,
    id_column: str = "row_id",
    workdir: Path | None = None,
) -> GateResult:
    """Validate an in-memory frame: write it to a temporary DuckDB file, then `validate_table`.

    The temporary file lives in `workdir` (default: the system's temp dir) and is removed
    afterwards.
    """
    with tempfile.TemporaryDirectory(prefix="costtrends-gate-", dir=workdir) as tmp:
        database = Path(tmp) / "batch.duckdb"
        with duckdb.connect(str(database)) as connection:
            connection.register("frame", frame.to_arrow())
            connection.execute("create table batch as select * from frame")
        return validate_table(database, "batch", suite, id_column=id_column)


def _run_suite(batch: Any, suite: Suite, *, id_column: str) -> dict[str, Any]:
    """Validate every check on the batch, in at most two GX runs; results keyed by check name.

    The checks `_counted_by_gate` accepts run with result format BOOLEAN_ONLY, the others
    with BASIC (see the module's docstring).
    """
    import great_expectations as gx

    results: dict[str, Any] = {}
    for boolean_only in (True, False):
        expectations = []
        for check in suite.checks:
            if _counted_by_gate(check) != boolean_only:
                continue
            # A copy: GX attaches ids and suite state to the expectations it validates, and
            # the same Suite may be validated by several threads at once.
            expectation = check.expectation.copy(deep=True)
            expectation.meta = {**(expectation.meta or {}), "check": check.name}
            expectations.append(expectation)
        if not expectations:
            continue
        gx_suite = gx.ExpectationSuite(name=suite.name, expectations=expectations)
        result = batch.validate(
            gx_suite,
            result_format={
                # The unexpected-rows query is all the gate reads of a column check;
                # COMPLETE adds lists GX's SQL engine caps anyway, one read without a LIMIT.
                "result_format": "BOOLEAN_ONLY" if boolean_only else "BASIC",
                "unexpected_index_column_names": [id_column],
                "return_unexpected_index_query": True,
                "partial_unexpected_count": _SAMPLE_SIZE,
            },
        )
        results.update({r.expectation_config.meta["check"]: r for r in result.results})
    return results


def _counted_by_gate(check: Check) -> bool:
    """True for a column check the gate counts itself: a map expectation without `mostly`.

    Such a check fails exactly when it has an unexpected row, so its success and the rows
    its unexpected-rows SQL selects are all there is to know. SQL checks
    (UnexpectedRowsExpectation) report their count as an observed value, and a check with
    ``mostly`` below 1 may pass with unexpected rows: both keep GX's counts.
    """
    import great_expectations as gx

    return (
        check.is_row_level
        and not isinstance(check.expectation, gx.expectations.UnexpectedRowsExpectation)
        and getattr(check.expectation, "mostly", 1) == 1
    )


def _gate_result(
    engine: DuckDBExecutionEngine,
    table: str,
    suite: Suite,
    results: dict[str, Any],
    id_column: str,
    row_count: int,
) -> GateResult:
    import great_expectations as gx

    outcomes: list[Outcome] = []
    batch_errors: list[str] = []
    flagged: dict[str, list[tuple[Check, str, int | None]]] = {"error": [], "warning": []}
    counted: list[tuple[Check, bool]] = []
    query: str | None
    message: str | None
    for check in suite.checks:
        result = results[check.name]
        error = _exception_message(result.exception_info)
        if error is not None:
            message = f"{check.name}: could not be checked: {error}"
            batch_errors.append(message)
            outcomes.append(_outcome(suite, check, False, row_count, 0, message))
            continue
        if not check.is_row_level:
            message = None if result.success else _batch_message(check, result.result)
            if message is not None and check.severity == "error":
                batch_errors.append(message)
            outcomes.append(_outcome(suite, check, result.success, row_count, 0, message))
            continue
        if _counted_by_gate(check):
            # BOOLEAN_ONLY: success and the query; the count comes from the query below.
            if not result.success:
                query = (result.result or {}).get("unexpected_index_query")
                if not query:
                    raise RuntimeError(f"{check.name}: GX reported no query for its unexpected rows")
                flagged[check.severity].append((check, query, None))
            counted.append((check, bool(result.success)))
            continue
        if isinstance(check.expectation, gx.expectations.UnexpectedRowsExpectation):
            element_count = row_count
            unexpected_count = int(result.result.get("observed_value") or 0)
            rows_query = check.expectation.unexpected_rows_query
            if not isinstance(rows_query, str):
                raise TypeError(f"{check.name}: its unexpected_rows_query must be SQL text")
            query = rows_query.format(batch=_quoted_table(engine, table))
        else:
            # Both are None on an empty table.
            element_count = int(result.result.get("element_count") or 0)
            unexpected_count = int(result.result.get("unexpected_count") or 0)
            query = result.result.get("unexpected_index_query")
            if unexpected_count and not query:
                raise RuntimeError(f"{check.name}: GX reported no query for its unexpected rows")
        outcomes.append(_outcome(suite, check, result.success, element_count, unexpected_count))
        if unexpected_count:
            flagged[check.severity].append((check, query, unexpected_count))
    found: dict[str, int] = {}
    row_failures = _flagged_rows(engine, flagged["error"], id_column, found)
    row_warnings = _flagged_rows(engine, flagged["warning"], id_column, found)
    for check, success in counted:
        outcomes.append(_outcome(suite, check, success, row_count, found.get(check.name, 0)))
    # In the suite's order, as GX reports them.
    order = {check.name: i for i, check in enumerate(suite.checks)}
    outcomes.sort(key=lambda outcome: order[outcome.expectation])
    return GateResult(
        row_failures=row_failures,
        row_warnings=row_warnings,
        outcomes=outcomes,
        batch_errors=batch_errors,
    )


def _flagged_rows(
    engine: DuckDBExecutionEngine,
    flagged: list[tuple[Check, str, int | None]],
    id_column: str,
    found_counts: dict[str, int],
) -> pl.DataFrame:
    """One row per row id with the sorted names of the checks that flagged it.

    Each check's unexpected rows come from the SQL GX reported for it; their count must
    equal GX's unexpected count where GX reported one (None: a check GX only said failed,
    whose SQL must then select at least one row), or the gate and GX disagree about the
    data. The number of rows each check's SQL selects is added to `found_counts`. DuckDB
    aggregates one bit per check into a mask per row id, which costs a fraction of the
    memory of aggregating lists of names when most rows of a large table fail; the masks
    are then turned into names through the few distinct masks that occur.
    """
    if not flagged:
        return _empty_rows()
    if len(flagged) > _MAX_FLAGGING_CHECKS:
        raise ValueError(f"at most {_MAX_FLAGGING_CHECKS} row-level checks per severity")
    # Bits in name order, so reading a mask from its lowest bit gives sorted names.
    flagged = sorted(flagged, key=lambda item: item[0].name)
    names = [check.name for check, _, _ in flagged]
    identifier = engine.engine.dialect.identifier_preparer.quote(id_column)
    union = "\nunion all\n".join(
        f"select {identifier} as row_id, cast(? as ubigint) as bit from ({_strip(query)}) as flagged_{i}"
        for i, (_, query, _) in enumerate(flagged)
    )
    bits = [1 << i for i in range(len(flagged))]

    counts = engine.fetch_frame(f"select bit, count(*) as n from ({union}) as flagged group by bit", bits)
    found = dict(zip(counts["bit"].to_list(), counts["n"].to_list(), strict=True))
    for bit, (check, _, expected) in zip(bits, flagged, strict=True):
        selected = found.get(bit, 0)
        if expected is None and selected == 0:
            raise RuntimeError(f"{check.name}: GX reported it failed, its query selects no row")
        if expected is not None and selected != expected:
            raise RuntimeError(
                f"{check.name}: GX counted {expected} unexpected rows, its query selects {selected}"
            )
        found_counts[check.name] = selected

    masks = engine.fetch_frame(
        "select cast(row_id as bigint) as row_id, bit_or(bit) as mask"
        f" from ({union}) as flagged group by row_id order by row_id",
        bits,
    )
    distinct = masks["mask"].unique().to_list()
    reasons = pl.DataFrame(
        {
            "mask": distinct,
            "reasons": [[n for i, n in enumerate(names) if m >> i & 1] for m in distinct],
        },
        schema={"mask": masks["mask"].dtype, "reasons": pl.List(pl.Utf8())},
    )
    rows = masks.join(reasons, on="mask", how="left", maintain_order="left")
    return rows.select(ROW_SCHEMA.keys()).cast(ROW_SCHEMA)  # type: ignore[arg-type]


def _outcome(
    suite: Suite,
    check: Check,
    success: bool,
    element_count: int,
    unexpected_count: int,
    message: str | None = None,
) -> Outcome:
    return Outcome(
        suite=suite.name,
        expectation=check.name,
        severity=check.severity,
        success=bool(success),
        element_count=element_count,
        unexpected_count=unexpected_count,
        description=check.description,
        message=message,
    )


def _batch_message(check: Check, result: dict[str, Any]) -> str:
    missing = (result.get("details") or {}).get("mismatched", {}).get("missing")
    if missing:
        return f"{check.name} failed ({check.description}): missing {', '.join(sorted(missing))}"
    return f"{check.name} failed ({check.description}): observed {result.get('observed_value')}"


def _exception_message(exception_info: Any) -> str | None:
    """The first exception GX caught for an expectation, or None when it ran.

    GX reports either one ``{"raised_exception": ..., "exception_message": ...}`` or one
    such dict per metric that failed. A database error keeps its first line only: SQLAlchemy
    appends the statement and a link to its documentation, neither of which helps the
    reader of a rejection message.
    """
    if not exception_info:
        return None
    infos = [exception_info] if "raised_exception" in exception_info else exception_info.values()
    for info in infos:
        if isinstance(info, dict) and str(info.get("raised_exception")) == "True":
            message = str(info.get("exception_message"))
            return message.splitlines()[0] if message.startswith("(") else message
    return None


def _column_names(engine: DuckDBExecutionEngine, table: str) -> set[str]:
    # A zero-row select rather than SQLAlchemy reflection, which duckdb-engine cannot do
    # on this DuckDB version (it queries pg_catalog tables DuckDB lacks).
    query = sa.select(sa.text("*")).select_from(_table_clause(table)).limit(0)
    return set(engine.execute_query(query).keys())


def _row_count(engine: DuckDBExecutionEngine, table: str) -> int:
    query = sa.select(sa.func.count()).select_from(_table_clause(table))
    return int(engine.execute_query(query).scalar() or 0)


def _table_clause(table: str) -> sa.TableClause:
    schema, _, name = table.rpartition(".")
    return sa.table(name, schema=schema or None)


def _quoted_table(engine: DuckDBExecutionEngine, table: str) -> str:
    return engine.engine.dialect.identifier_preparer.format_table(_table_clause(table))


def _strip(query: str) -> str:
    return query.strip().rstrip(";").strip()


def _empty_rows() -> pl.DataFrame:
    return pl.DataFrame(schema=ROW_SCHEMA)
