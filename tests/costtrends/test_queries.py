"""The queries the CLI and the report read with: in warehouse/queries/, every one used, all shipped."""

from __future__ import annotations

import ast
import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QUERIES = ROOT / "warehouse" / "queries"


def _sql_names() -> dict[str, str]:
    """Each `sql("...")` name the CLI and the report read, with the first module that reads it."""
    modules = sorted((ROOT / "costtrends").rglob("*.py"))
    names: dict[str, str] = {}
    for module in modules:
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "sql"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                names.setdefault(node.args[0].value, module.relative_to(ROOT).as_posix())
    return names


def test_the_cli_and_the_report_read_only_queries_from_their_own_folder() -> None:
    names = _sql_names()
    assert names, "no sql() call found: has the CLI moved?"
    elsewhere = {name: module for name, module in names.items() if not name.startswith("queries/")}
    assert elsewhere == {}
    missing = sorted(name for name in names if not (ROOT / "warehouse" / f"{name}.sql").is_file())
    assert missing == []


def test_every_query_file_is_read_by_the_cli_or_the_report() -> None:
    files = {f"queries/{p.stem}" for p in QUERIES.glob("*.sql")}
    assert files, "warehouse/queries/ holds no .sql file"
    assert sorted(files - set(_sql_names())) == []


def test_the_query_files_are_installed_with_the_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["warehouse"]
    for path in sorted(QUERIES.glob("*.sql")):
        relative = path.relative_to(ROOT / "warehouse").as_posix()
        assert any(fnmatch.fnmatch(relative, pattern) for pattern in patterns), relative
