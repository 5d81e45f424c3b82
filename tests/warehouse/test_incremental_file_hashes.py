"""Landing hashes reuse `meta.file_hashes` for unchanged files and read every changed file again."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from transforms.quarter import Quarter
from warehouse import incremental
from warehouse.db import connect
from warehouse.incremental import FileHashes, landing_hashes, plan_quarters
from warehouse.version import code_version

Q1 = Quarter(2021, 1)
OLD, NEW = b"GM0363;2021K1;100\n", b"GM0363;2021K1;900\n"


def _sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(":memory:")
    yield con
    con.close()


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files actually read to hash them, in order."""
    seen: list[Path] = []
    real = incremental.sha256_of

    def counting(path: Path) -> str:
        seen.append(path)
        return real(path)

    monkeypatch.setattr(incremental, "sha256_of", counting)
    return seen


def _landing(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "landing" / "budget" / "2021Q1"
    folder.mkdir(parents=True)
    path = folder / "lines.csv"
    path.write_bytes(OLD)
    return tmp_path / "landing", path


def _hash_run(con: duckdb.DuckDBPyConnection, landing: Path) -> str:
    """What one planning run does: read the record, hash the quarter's files, record new hashes."""
    known = FileHashes.read(con, racy_ns=0)
    hashes = landing_hashes(landing, "budget", Q1, known)
    known.record(con)
    return hashes


def test_an_unchanged_file_is_not_read_again_by_a_later_run(
    tmp_path: Path, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing, _ = _landing(tmp_path)
    assert _hash_run(con, landing) == f"lines.csv:{_sha(OLD)}"

    def no_read(path: Path) -> str:
        raise AssertionError(f"{path} was read again")

    monkeypatch.setattr(incremental, "sha256_of", no_read)
    assert _hash_run(con, landing) == f"lines.csv:{_sha(OLD)}"


def test_a_file_rewritten_with_the_same_size_is_hashed_again_and_restates_its_quarter(
    tmp_path: Path, con: duckdb.DuckDBPyConnection, reads: list[Path]
) -> None:
    landing, path = _landing(tmp_path)
    loaded = _hash_run(con, landing)
    before = path.stat()
    path.write_bytes(NEW)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns - 1_000_000_000))
    assert path.stat().st_size == before.st_size

    now = _hash_run(con, landing)

    assert now == f"lines.csv:{_sha(NEW)}"
    assert reads == [path.resolve(), path.resolve()]
    state = {(str(Q1), s): (h, code_version(), True) for s, h in (("survey", ""), ("budget", loaded))}
    [plan] = plan_quarters(state, [Q1], {(Q1, "survey"): "", (Q1, "budget"): now})
    assert (plan.reason, plan.detail) == ("restated", "budget files changed")


def test_a_file_replaced_by_another_with_the_same_size_and_times_is_hashed_again(
    tmp_path: Path, con: duckdb.DuckDBPyConnection, reads: list[Path]
) -> None:
    landing, path = _landing(tmp_path)
    _hash_run(con, landing)
    before = path.stat()
    replacement = path.with_name("lines.csv.new")
    replacement.write_bytes(NEW)
    os.utime(replacement, ns=(before.st_atime_ns, before.st_mtime_ns))
    replacement.replace(path)
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert after.st_ino != before.st_ino

    assert _hash_run(con, landing) == f"lines.csv:{_sha(NEW)}"
    assert reads == [path.resolve(), path.resolve()]


@pytest.mark.parametrize("field", ["size_bytes", "mtime_ns", "ctime_ns", "inode", "device"])
def test_a_file_whose_recorded_stamp_differs_in_one_field_is_hashed_again(
    tmp_path: Path, con: duckdb.DuckDBPyConnection, reads: list[Path], field: str
) -> None:
    landing, path = _landing(tmp_path)
    _hash_run(con, landing)
    # Only this field of the record differs from the file's stat now.
    con.execute(f"update meta.file_hashes set {field} = {field} + 1")

    assert _hash_run(con, landing) == f"lines.csv:{_sha(OLD)}"
    assert reads == [path.resolve(), path.resolve()]
    # The new stamp replaced the old one: a third run reads nothing.
    _hash_run(con, landing)
    assert reads == [path.resolve(), path.resolve()]
    assert con.execute("select count(*) from meta.file_hashes").fetchall() == [(1,)]


def test_a_file_changed_just_before_it_is_hashed_is_not_recorded(
    tmp_path: Path, con: duckdb.DuckDBPyConnection, reads: list[Path]
) -> None:
    landing, path = _landing(tmp_path)
    # Just written: a write within the timestamp granularity could still follow unnoticed.
    known = FileHashes.read(con, racy_ns=60 * 1_000_000_000)

    assert landing_hashes(landing, "budget", Q1, known) == f"lines.csv:{_sha(OLD)}"
    assert known.record(con) == 0
    assert con.execute("select count(*) from meta.file_hashes").fetchall() == [(0,)]


def test_a_file_that_changes_while_it_is_hashed_is_not_recorded(
    tmp_path: Path, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing, path = _landing(tmp_path)
    real = incremental.sha256_of

    def still_being_written(read: Path) -> str:
        digest = real(read)
        with read.open("ab") as fh:
            fh.write(b"GM0014;2021K1;5\n")
        return digest

    monkeypatch.setattr(incremental, "sha256_of", still_being_written)
    known = FileHashes.read(con, racy_ns=0)

    assert landing_hashes(landing, "budget", Q1, known) == f"lines.csv:{_sha(OLD)}"
    assert known.record(con) == 0


def _code_tree(root: Path) -> None:
    for rel, text in {
        "transforms/a.py": "x = 1\n",
        "warehouse/publish.py": "y = 2\n",
        "warehouse/marts/m.sql": "select 1\n",
        "warehouse/seeds/iv3/defs.json": "{}\n",
    }.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def test_code_digest_changes_with_any_package_module_sql_or_seed(tmp_path: Path) -> None:
    from warehouse.version import code_digest

    _code_tree(tmp_path)
    before = code_digest(tmp_path)
    assert code_digest(tmp_path) == before
    for rel in ("warehouse/publish.py", "warehouse/marts/m.sql", "warehouse/seeds/iv3/defs.json"):
        path = tmp_path / rel
        original = path.read_text()
        path.write_text(original + "\n")
        assert code_digest(tmp_path) != before, rel
        path.write_text(original)
    assert code_digest(tmp_path) == before
    (tmp_path / "warehouse" / "new_module.py").write_text("")
    assert code_digest(tmp_path) != before


def test_code_digest_ignores_bytecode_caches(tmp_path: Path) -> None:
    from warehouse.version import code_digest

    _code_tree(tmp_path)
    before = code_digest(tmp_path)
    (tmp_path / "transforms" / "__pycache__").mkdir()
    (tmp_path / "transforms" / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\x00")
    assert code_digest(tmp_path) == before
