"""Budget workbooks pass the same container checks as survey workbooks, before any parsing."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from ingest.budget_readers import _open_xlsx
from ingest.readers import FileRejected


def test_a_budget_zip_bomb_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    bomb = tmp_path / "iv3_matrix.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (210 * 1024 * 1024))
    with pytest.raises(FileRejected, match=r"iv3_matrix\.xlsx: unpacks to .* more than the cap"):
        _open_xlsx(bomb)


def test_a_password_protected_budget_workbook_is_refused_by_name(tmp_path: Path) -> None:
    encrypted = tmp_path / "iv3_locked.xlsx"
    encrypted.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    with pytest.raises(FileRejected, match=r"iv3_locked\.xlsx: .*password-protected"):
        _open_xlsx(encrypted)
