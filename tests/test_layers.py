"""The packages are layers: each imports only the layers below it, and no modules import each other in a circle.

transforms ← ingest ← expectations ← sources ← warehouse ← flows ← costtrends (the CLI and the
report at the top). docs/architecture.md says what each layer holds. Every import counts, also
one inside a function or under `TYPE_CHECKING`: a deferred import is still a dependency.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("transforms", "ingest", "expectations", "sources", "warehouse", "flows", "costtrends")


def modules() -> dict[str, Path]:
    found = {}
    for package in LAYERS:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imported(path: Path, module: str) -> Iterator[tuple[int, str]]:
    """(line, module) of every project import in a file, however deep in the file it stands."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield node.lineno, base
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def project_imports() -> dict[str, set[str]]:
    known = modules()
    graph: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        for _, target in imported(path, name):
            if target in known and target != name:
                graph[name].add(target)
    return graph


def test_every_package_is_a_layer_that_imports_only_layers_below_it() -> None:
    rank = {package: i for i, package in enumerate(LAYERS)}
    wrong = []
    for name, path in modules().items():
        own = name.split(".")[0]
        for line, target in imported(path, name):
            other = target.split(".")[0]
            if other in rank and rank[other] > rank[own]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {target} ({other} is above {own})")
    assert not wrong, "\n".join(sorted(set(wrong)))


def test_no_modules_import_each_other_in_a_circle() -> None:
    graph = project_imports()
    cycles = []
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    # A package's __init__ re-exporting its own modules is not a circle worth naming.
    cycles = [
        c
        for c in cycles
        if not all(m.split(".")[0] == c[0].split(".")[0] and (m.count(".") == 0 or m == c[0]) for m in c)
    ]
    assert not cycles, "modules that import each other: " + "; ".join(" ↔ ".join(c) for c in cycles)


def test_importing_the_project_changes_nothing_in_the_environment() -> None:
    """Telemetry switches and the like are set by the entry points that need them, never at import.

    The libraries the project uses are imported first: what they do to the environment
    themselves (polars sets its allocator's options) is not the project's doing.
    """
    code = (
        "import os, json, importlib\n"
        "for lib in ('polars', 'duckdb', 'pyarrow', 'sqlalchemy', 'rich', 'typer', 'prefect', 'great_expectations'):\n"
        "    importlib.import_module(lib)\n"
        "before = dict(os.environ)\n"
        f"for name in {sorted(modules())!r}: importlib.import_module(name)\n"
        "after = dict(os.environ)\n"
        "print(json.dumps(sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))))"
    )
    # Started as a user would start it: none of the switches the project might set.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GX_", "DO_NOT_TRACK"))}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"
