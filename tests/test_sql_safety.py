"""No SQL text is built from input values: a scan of the project's Python.

Every `execute`, `executemany`, `sql` or `query` call whose SQL is not a literal or a
`.sql` file may interpolate only the names below: identifiers from fixed tables of the
code (schema, table and mart names, sort keys), quoting helpers for file paths from the
settings, and validated settings. Values from landing files go in as `?` / `$name`
parameters or as registered Arrow tables. A new interpolation fails this test until it is
reviewed and listed here with its reason; `.format()`, `%` and `+` building SQL always fail.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("costtrends", "flows", "transforms", "expectations", "sources", "warehouse")
SQL_CALLS = {"execute", "executemany", "sql", "query"}

ALLOWED: dict[str, dict[str, str]] = {
    "expectations/gx_duckdb.py": {
        "quoted": "a code table's name, written in expectations/suites.py, quoted as an identifier",
    },
    "sources/budget.py": {
        "table": "a table name from the module's fixed list",
        "name": "a view name written in the module (staged, raw_rows, ...)",
        "listed": "the store's own Parquet part paths, each quoted with quotes escaped",
        "query": "a fixed clause written in the module",
        "columns": "a view's select list written in the module (s.*, or the raw parts' columns from BUDGET_COLUMNS)",
    },
    "warehouse/db.py": {"table": "a table name the caller's code chose (insert_frame)"},
    "warehouse/load.py": {
        "source.raw_table": "a source's raw table, a constant of its module",
        "table": "a source's core table, a constant of its module",
    },
    "warehouse/marts.py": {
        "m.table": "a mart's table, named by its file in warehouse/marts/",
        "m.model": "a mart's SQL file",
        "m.keys": "a mart's grain as declared in its file",
        "in_window": "a fixed predicate; its bounds are parameters",
        "table": "a fixed table name (core.dim_quarter, marts.<mart>)",
    },
    "warehouse/publish.py": {
        "alias": "the attach alias, a constant",
        "table": "names from snapshot_tables() (the mart registry and DIMENSION_TABLES)",
        "keys": "sort keys from snapshot_tables()",
        "schema": "schema names from snapshot_tables()",
        "QUALITY_TABLE": "a constant",
        "sql('sql/select_snapshot_quality')": "a .sql file",
        "_quoted(tmp)": "a temp file path, quoted by _quoted",
        "_quoted(part)": "a temp file path, quoted by _quoted",
        "storage_version": "a setting checked against ^v[0-9]+.[0-9]+.[0-9]+$ first",
        "main": "the warehouse's own catalog name",
        "check.row_count": "an integer the code computed",
        "check.content_md5": "a hex digest the code computed",
    },
    "warehouse/seeds.py": {"table": "seed table names from the fixed seed list"},
}


def _sql_arguments() -> list[tuple[str, int, ast.expr]]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Call) and node.args):
                    continue
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                if name in SQL_CALLS:
                    found.append((path.relative_to(ROOT).as_posix(), node.lineno, node.args[0]))
    return found


def _problems(file: str, line: int, argument: ast.expr) -> list[str]:
    problems = []
    for node in ast.walk(argument):
        if isinstance(node, ast.FormattedValue):
            text = ast.unparse(node.value)
            if text not in ALLOWED.get(file, {}):
                problems.append(f"{file}:{line}: f-string puts {text!r} into SQL")
        elif (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"
        ):
            problems.append(f"{file}:{line}: .format() builds SQL")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
            problems.append(f"{file}:{line}: % or + builds SQL")
    return problems


def test_sql_calls_interpolate_only_reviewed_identifiers() -> None:
    assert [p for file, line, argument in _sql_arguments() for p in _problems(file, line, argument)] == []


def test_the_scan_flags_input_values_formatted_into_sql() -> None:
    calls = [
        "con.execute(f\"select * from t where name = '{row_name}'\")",
        "con.sql(\"delete from t where q = '{}'\".format(quarter))",
        "con.execute(\"select * from t where name = '%s'\" % name)",
        'con.execute("select * from " + table)',
    ]
    found = [_problems("costtrends/pipeline.py", 1, ast.parse(c).body[0].value.args[0]) for c in calls]  # type: ignore[attr-defined]
    assert found == [
        ["costtrends/pipeline.py:1: f-string puts 'row_name' into SQL"],
        ["costtrends/pipeline.py:1: .format() builds SQL"],
        ["costtrends/pipeline.py:1: % or + builds SQL"],
        ["costtrends/pipeline.py:1: % or + builds SQL"],
    ]
