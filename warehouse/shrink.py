"""The shrink guard: loaded data is never replaced with less without saying so.

A source × quarter is replaced whole on every load. When the landing zone lost files
(a share not mounted, a folder deleted, a truncated copy, a bad re-upload) that would
silently replace good rows with fewer or none. So before a partition is replaced, its
size now is compared with the size it would have, and the replacement is refused when it
would lose every row, or more than a set share of its rows or of its municipalities
(`Settings.shrink_max_row_loss_share`, `shrink_max_municipality_loss_share`). A refused
partition stays as loaded; the run says so and exits with its own code (3). With
`allow_shrink` the partition is replaced anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from warehouse.db import sql

ROW_WORD = {"survey": "responses", "budget": "budget lines"}
SIZE_SQL = {"survey": "sql/select_survey_partition_size", "budget": "sql/select_budget_partition_size"}


@dataclass(frozen=True)
class PartitionSize:
    """How much of one source × quarter is in core: rows and distinct municipalities."""

    rows: int
    municipalities: int


def loaded_size(con: duckdb.DuckDBPyConnection, source: str, quarter: str) -> PartitionSize | None:
    """The size of the partition as loaded, or None when the source × quarter was never loaded."""
    loaded = con.execute(
        "select count(*) from meta.partitions where source = ? and quarter = ?", [source, quarter]
    ).fetchall()[0][0]
    if not loaded:
        return None
    rows, municipalities = con.execute(sql(SIZE_SQL[source]), [quarter]).fetchall()[0]
    return PartitionSize(int(rows), int(municipalities))


def refusal(
    source: str,
    quarter: str,
    before: PartitionSize | None,
    after: PartitionSize,
    *,
    max_row_loss_share: float,
    max_municipality_loss_share: float,
) -> str | None:
    """Why replacing `before` with `after` is refused, in one line; None when it may go ahead."""
    if before is None or before.rows == 0:
        return None
    lost_rows = before.rows - after.rows
    lost_municipalities = before.municipalities - after.municipalities
    too_many_rows = after.rows == 0 or lost_rows > max_row_loss_share * before.rows
    too_many_municipalities = (
        before.municipalities > 0
        and lost_municipalities > max_municipality_loss_share * before.municipalities
    )
    if not (too_many_rows or too_many_municipalities):
        return None
    words = ROW_WORD[source]
    return (
        f"{source} {quarter}: not replaced: the landing files now give {after.rows:,} of the "
        f"{before.rows:,} {words} and {after.municipalities:,} of the {before.municipalities:,} "
        f"municipalities loaded (would lose {_share(lost_rows, before.rows)} of the {words}, "
        f"{_share(lost_municipalities, before.municipalities)} of the municipalities); "
        "the loaded data stays. Restore the files, or rerun with --allow-shrink to replace it"
    )


def _share(lost: int, of: int) -> str:
    if of == 0 or lost <= 0:
        return "none"
    return f"{lost:,} ({lost / of:.0%})"
