"""Landing discovery: which files of a source × quarter are read, and the checks before reading."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.landing import FileDeferred, check_landing_file, check_suffix, landing_files
from ingest.readers import FileRejected
from transforms.quarter import Quarter

Q = Quarter(2021, 1)


def test_hidden_lock_and_partial_files_are_not_files_of_the_quarter(tmp_path: Path) -> None:
    folder = tmp_path / "survey" / "2021Q1"
    folder.mkdir(parents=True)
    for name in ("b.csv", "a.xlsx", ".hidden.csv", "~$a.xlsx", "c.csv.part"):
        (folder / name).write_text("x")
    (folder / "sub").mkdir()

    assert [p.name for p in landing_files(tmp_path, "survey", Q)] == ["a.xlsx", "b.csv"]
    assert landing_files(tmp_path, "budget", Q) == []


def test_a_file_still_being_written_is_deferred(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("x")

    with pytest.raises(FileDeferred, match="^why$"):
        check_landing_file(path, tmp_path, {path: "why"})
    check_landing_file(path, tmp_path, {})  # settled: no error


def test_a_file_type_the_source_does_not_read_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(FileRejected, match=r"^a\.pdf: unsupported file type '\.pdf'$"):
        check_suffix(tmp_path / "a.pdf", (".csv",))
    check_suffix(tmp_path / "A.CSV", (".csv",))  # the suffix is compared in lower case
