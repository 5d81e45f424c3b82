"""Files written whole or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.files import atomic_file, write_atomically


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_bytes_land_under_the_final_name_in_a_new_folder(tmp_path: Path) -> None:
    path = tmp_path / "landing" / "survey" / "2021Q1" / "export.csv"
    assert write_atomically(path, b"a;b\n1;2\n") == path
    assert path.read_bytes() == b"a;b\n1;2\n"
    assert _listing(path.parent) == ["export.csv"]


def test_text_is_encoded_and_its_line_ends_kept(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    write_atomically(path, "€\r\nzoë\n")
    assert path.read_bytes() == "€\r\nzoë\n".encode()
    write_atomically(path, "€\n", encoding="cp1252")
    assert path.read_bytes() == b"\x80\n"


def test_an_existing_file_is_replaced_whole(tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_bytes(b"x" * 1000)
    write_atomically(path, b"short")
    assert path.read_bytes() == b"short"
    assert _listing(tmp_path) == ["report.html"]


def test_a_write_that_fails_halfway_leaves_the_old_file_and_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "iv3_2021Q1.csv"
    path.write_bytes(b"old\n")
    with pytest.raises(RuntimeError, match="disk full"), atomic_file(path) as fh:
        fh.write(b"new, first half\n")
        raise RuntimeError("disk full")
    assert path.read_bytes() == b"old\n"
    assert _listing(tmp_path) == ["iv3_2021Q1.csv"]


def test_a_file_written_in_parts_appears_only_when_complete(tmp_path: Path) -> None:
    path = tmp_path / "budget.csv"
    with atomic_file(path) as fh:
        fh.write(b"header\n")
        assert not path.exists()
        (hidden,) = tmp_path.iterdir()
        assert hidden.name.startswith(".budget.csv.") and hidden.name.endswith(".tmp")
        fh.write(b"row\n")
    assert path.read_bytes() == b"header\nrow\n"
    assert _listing(tmp_path) == ["budget.csv"]
