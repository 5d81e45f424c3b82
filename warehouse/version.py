"""Which code a run is: the package version plus a digest of every code file, by rule."""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import metadata
from pathlib import Path

# What shapes a run's output: every source, SQL, seed and mapping file of the project's packages.
CODE_PACKAGES = ("transforms", "ingest", "expectations", "sources", "warehouse", "flows", "costtrends")
CODE_SUFFIXES = frozenset({".py", ".sql", ".csv", ".json"})
ROOT = Path(__file__).resolve().parents[1]


def code_digest(root: Path) -> str:
    """SHA-256 over the path and bytes of every code file under `root`'s packages, by rule.

    A rule (suffix, package) rather than a list, so a new module or seed can never be left out.
    A package folder that does not exist adds nothing.
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


def package_version() -> str:
    """The installed distribution's version (pyproject.toml's), read from its metadata."""
    try:
        return metadata.version("costtrends")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "0+unknown"


@cache
def code_version() -> str:
    """The package version plus `code_digest` of the code that runs.

    A backfill redoes every quarter loaded by another code version. Read once per process,
    like the SQL files it hashes, so it names the code that runs.
    """
    return f"{package_version()}+{code_digest(ROOT)[:12]}"
