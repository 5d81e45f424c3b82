"""Checks of a batch against what the warehouse holds, before it is loaded.

The rules are in `expectations/` (plausibility, drift) and `warehouse.shrink`; here the
warehouse is read for them: the municipalities' history, the previous quarter loaded, the
partition's size now.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import duckdb
import polars as pl

from expectations import plausibility
from expectations.bounds import Bounds
from expectations.drift import budget_drift, survey_drift
from expectations.gate import Outcome
from sources.base import Batch, Rows, Source, StoredRows, account_rows
from transforms.quarter import Quarter
from warehouse import shrink
from warehouse.db import scalar, sql


def warning_lines(batch: Batch, outcomes: list[Outcome]) -> list[str]:
    """One line per failed warning-level check of the batch, for the run's summary."""
    return [
        f"{batch.source} {batch.quarter}: {o.expectation}: "
        + (o.message or f"{o.unexpected_count:,} of {o.element_count:,} rows ({o.description})")
        for o in outcomes
        if o.severity == "warning" and not o.success
    ]


def plausibility_gate(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    batch: Batch,
    core: Mapping[str, Rows],
    thresholds: plausibility.Thresholds,
) -> Mapping[str, Rows]:
    """Quarantine survey responses whose spend per inhabitant jumps (`expectations.plausibility`).

    Reads the municipalities' history from the warehouse (so it runs at load, in quarter
    order); the flagged rows move from the good rows to the quarantine with their reason,
    the core rows are made again without them and every file's rows are accounted anew.
    Returns the core rows to load; a batch of a source the gate does not judge passes through.
    """
    judged = source.judged_rows(batch)
    if judged is None:
        return core
    history = con.sql(
        sql("sql/select_survey_plausibility_history"), params={"quarter": str(batch.quarter)}
    ).pl()
    flagged = plausibility.jumps(judged, history, thresholds)
    batch.outcomes = [o for o in batch.outcomes if o.suite != plausibility.SUITE]
    batch.outcomes.append(plausibility.outcome(judged.height, flagged.height, thresholds))
    if flagged.is_empty():
        return core
    source.quarantine_rows(batch, flagged)
    core = source.core_rows(batch)
    account_rows(batch, core[source.core_tables[0]])
    return core


def new_size(source: Source, core: Mapping[str, Rows]) -> shrink.PartitionSize:
    """How much of the source × quarter a load of `core` would leave in core."""
    rows = core[source.core_tables[0]]
    if isinstance(rows, StoredRows):
        return shrink.PartitionSize(rows.height, rows.municipalities)
    municipalities = rows["municipality_code"].n_unique() if rows.height else 0
    return shrink.PartitionSize(rows.height, municipalities)


def shrink_refusal(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    batch: Batch,
    core: Mapping[str, Rows],
    *,
    max_row_loss_share: float,
    max_municipality_loss_share: float,
) -> str | None:
    """Why the batch must not replace its loaded partition (`warehouse.shrink`); None: it may."""
    q = str(batch.quarter)
    return shrink.refusal(
        batch.source,
        q,
        shrink.loaded_size(con, batch.source, q),
        new_size(source, core),
        max_row_loss_share=max_row_loss_share,
        max_municipality_loss_share=max_municipality_loss_share,
    )


def previous_quarter(con: duckdb.DuckDBPyConnection, source: str, quarter: Quarter) -> Quarter | None:
    """The latest quarter of `source` loaded before `quarter`, if any."""
    loaded = con.execute("select quarter from meta.partitions where source = ?", [source]).fetchall()
    return max((Quarter.parse(r[0]) for r in loaded if Quarter.parse(r[0]) < quarter), default=None)


def _survey_drift(
    con: duckdb.DuckDBPyConnection,
    batch: Batch,
    core: Mapping[str, Rows],
    previous: Quarter | None,
    bounds: Bounds,
) -> list[Outcome]:
    current = core["core.fct_survey_cost"]
    assert isinstance(current, pl.DataFrame)
    costs = "select municipality_code, cost_category, amount_eur from core.fct_survey_cost where quarter = ?"
    population = "select municipality_code, year, population from core.dim_municipality_population"
    return survey_drift(
        quarter=batch.quarter,
        previous_quarter=previous,
        current_costs=current,
        previous_costs=con.sql(costs, params=[str(previous) if previous else None]).pl(),
        population=con.sql(population).pl(),
        bounds=bounds,
    )


def _budget_drift(
    con: duckdb.DuckDBPyConnection,
    batch: Batch,
    core: Mapping[str, Rows],
    previous: Quarter | None,
    bounds: Bounds,
) -> list[Outcome]:
    previous_lines = (
        int(scalar(con, "select count(*) from core.fct_budget where quarter = ?", [str(previous)]) or 0)  # type: ignore[call-overload]
        if previous
        else 0
    )
    return budget_drift(
        quarter=batch.quarter,
        previous_quarter=previous,
        current_lines=core["core.fct_budget"].height,
        previous_lines=previous_lines,
        bounds=bounds,
    )


DriftCheck = Callable[
    [duckdb.DuckDBPyConnection, Batch, Mapping[str, Rows], Quarter | None, Bounds], list[Outcome]
]
# The drift checks of each source that has them, by the source's name.
DRIFT: dict[str, DriftCheck] = {"survey": _survey_drift, "budget": _budget_drift}


def drift_outcomes(
    con: duckdb.DuckDBPyConnection, batch: Batch, core: Mapping[str, Rows], bounds: Bounds
) -> list[Outcome]:
    """Drift warnings of the batch's quarter against the latest earlier quarter loaded.

    Reads the previous quarter from the warehouse (before this batch's write), then the pure
    checks in `expectations.drift`. Quarters loaded out of order compare with whichever
    earlier quarter is loaded at the time. A source without drift checks has none.
    """
    check = DRIFT.get(batch.source)
    if check is None:
        return []
    return check(con, batch, core, previous_quarter(con, batch.source, batch.quarter), bounds)
