"""The data dictionary: docs/data_dictionary.md, generated from the snapshot's descriptions.

The descriptions live in the warehouse as `COMMENT ON` (sql/comment_snapshot.sql and
sql/comment_snapshot_meta.sql), which is where BI tools read them; the markdown is a
rendering of the same text. Regenerate it after editing a comment:

    .venv/bin/python -m warehouse.dictionary
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import duckdb

DOCS_PATH = Path(__file__).resolve().parents[1] / "docs" / "data_dictionary.md"
_SCHEMA_ORDER = ("marts", "core", "meta")


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def data_dictionary(con: duckdb.DuckDBPyConnection) -> str:
    """Markdown for every table of the connection's current database: description, then columns."""
    catalog = con.execute("select current_database()").fetchall()[0][0]
    tables = con.execute(
        "select schema_name, table_name, comment from duckdb_tables() where database_name = ?",
        [catalog],
    ).fetchall()
    columns = con.execute(
        "select schema_name, table_name, column_name, data_type, comment from duckdb_columns() "
        "where database_name = ? order by schema_name, table_name, column_index",
        [catalog],
    ).fetchall()

    def order(row: tuple) -> tuple:
        schema = row[0]
        rank = _SCHEMA_ORDER.index(schema) if schema in _SCHEMA_ORDER else len(_SCHEMA_ORDER)
        return rank, schema, row[1]

    lines = [
        "# Data dictionary",
        "",
        "Every table of the published snapshot (`published/costtrends.duckdb`) and its columns,",
        "with the descriptions BI tools show. Generated from the `COMMENT ON` statements in",
        "`warehouse/sql/comment_snapshot.sql` and `warehouse/sql/comment_snapshot_meta.sql`",
        "by `python -m warehouse.dictionary`; edit those, not this file.",
    ]
    for schema, table, comment in sorted(tables, key=order):
        lines += ["", f"## `{schema}.{table}`", "", _cell(comment) or "(no description)", ""]
        lines += ["| column | type | description |", "|---|---|---|"]
        for c_schema, c_table, name, data_type, c_comment in columns:
            if (c_schema, c_table) == (schema, table):
                lines.append(f"| `{name}` | {data_type} | {_cell(c_comment)} |")
    return "\n".join(lines) + "\n"


def empty_snapshot(folder: Path) -> Path:
    """Publish a snapshot of an empty warehouse (every table, no rows) into `folder`."""
    from costtrends import pipeline
    from transforms.quarter import Quarter
    from warehouse.db import connect
    from warehouse.publish import publish_snapshot
    from warehouse.seeds import load_reference, read_reference

    ref = read_reference()
    with connect(":memory:") as con:
        load_reference(con, ref)
        pipeline.refresh_marts(con, pipeline.affected_quarters(con, Quarter(2020, 1)), ref)
        return publish_snapshot(con, folder, run_id="data-dictionary")


def render() -> str:
    """The data dictionary of a freshly built snapshot."""
    with tempfile.TemporaryDirectory() as tmp:
        snapshot = empty_snapshot(Path(tmp))
        with duckdb.connect(str(snapshot), read_only=True) as con:
            return data_dictionary(con)


def main(argv: list[str]) -> int:
    target = Path(argv[0]) if argv else DOCS_PATH
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
