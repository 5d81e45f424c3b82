#!/usr/bin/env python3
"""The project's one task runner; needs only Python 3.11+.

    python3 tasks.py demo    set up .venv from the lock file, then run `costtrends demo`
    python3 tasks.py test    set up .venv, then run the test suite
    python3 tasks.py lint    ruff and mypy
    python3 tasks.py lock    re-resolve pyproject.toml into requirements.lock
    python3 tasks.py bench   run the benchmarks (not part of the tests)

Extra arguments go to the command, e.g. `python3 tasks.py test -k survey`.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
LOCK = ROOT / "requirements.lock"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed-lock"


def _run(*args: str | Path, **kwargs: object) -> int:
    print("+", " ".join(str(a) for a in args), flush=True)
    return subprocess.call([str(a) for a in args], cwd=ROOT, **kwargs)  # type: ignore[arg-type]


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for path in (LOCK, ROOT / "pyproject.toml"):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def ensure_venv() -> None:
    """Create .venv and install exactly the locked versions, once per lock file change."""
    if sys.version_info < (3, 11):  # noqa: UP036 (this file runs before the project's Python is known)
        sys.exit(f"Python 3.11 or newer is needed, this is {sys.version.split()[0]}")
    if STAMP.exists() and STAMP.read_text() == _fingerprint():
        return
    if not (BIN / "python").exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    pip = [BIN / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if _run(*pip, "-r", LOCK) or _run(*pip, "--no-deps", "-e", ".[dev]"):
        sys.exit("installing the locked dependencies failed")
    STAMP.write_text(_fingerprint())


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test", "lint", "lock", "bench"}:
        print(__doc__)
        return 2
    task, rest = argv[0], argv[1:]
    if task == "lock":
        fresh = ROOT / ".venv-lock"
        venv.EnvBuilder(with_pip=True, clear=True).create(fresh)
        fresh_bin = fresh / BIN.name
        if _run(fresh_bin / "python", "-m", "pip", "install", "--quiet", ".[dev]"):
            return 1
        frozen = subprocess.check_output(
            [
                str(fresh_bin / "python"),
                "-m",
                "pip",
                "freeze",
                "--exclude-editable",
                "--exclude",
                "costtrends",
            ],
            text=True,
        )
        LOCK.write_text("# Exact versions the project is tested with: python3 tasks.py lock\n" + frozen)
        return 0
    ensure_venv()
    if task == "demo":
        return _run(BIN / "costtrends", "demo", *rest)
    if task == "test":
        return _run(BIN / "python", "-m", "pytest", *rest)
    if task == "bench":
        return _run(BIN / "python", "bench/run.py", *rest)
    return _run(BIN / "ruff", "check", ".") or _run(
        BIN / "mypy", "transforms", "ingest", "flows", "costtrends", "expectations", "warehouse", "sources"
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
