"""One writer at a time: a second writer waits, saying for whom, or gives up clearly."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from warehouse.locking import WarehouseBusy, warehouse_lock


def test_a_second_writer_gives_up_after_the_timeout_naming_the_holder(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse" / "costtrends.duckdb"
    errors: list[BaseException] = []

    def second() -> None:
        try:
            with warehouse_lock(warehouse, purpose="quarterly-refresh 2021Q1", timeout=0.2):
                pass
        except BaseException as exc:
            errors.append(exc)

    with warehouse_lock(warehouse, purpose="backfill 2020Q1..2021Q4: load 2020Q3", timeout=1):
        thread = threading.Thread(target=second)
        thread.start()
        thread.join()
    [error] = errors
    assert isinstance(error, WarehouseBusy)
    assert f"still held by backfill 2020Q1..2021Q4: load 2020Q3 (pid {os.getpid()} on " in str(error)
    assert "COSTTRENDS_LOCK_TIMEOUT_SECONDS" in str(error)


def test_a_second_writer_says_it_waits_and_goes_on_once_the_first_is_done(tmp_path: Path) -> None:
    warehouse = tmp_path / "costtrends.duckdb"
    waiting = threading.Event()
    messages: list[str] = []
    order: list[str] = []

    def log(message: str) -> None:
        messages.append(message)
        waiting.set()

    def second() -> None:
        with warehouse_lock(warehouse, purpose="second", timeout=60, log=log):
            order.append("second")

    with warehouse_lock(warehouse, purpose="first", timeout=1):
        thread = threading.Thread(target=second)
        thread.start()
        assert waiting.wait(timeout=60)
        order.append("first")
    thread.join(timeout=60)
    assert order == ["first", "second"]
    [message] = messages
    assert message.startswith(f"warehouse {warehouse} is busy: first (pid {os.getpid()} on ")
    assert message.endswith("; waiting up to 60 s for it")


def test_the_lock_is_free_again_after_a_failure_inside(tmp_path: Path) -> None:
    warehouse = tmp_path / "costtrends.duckdb"
    with pytest.raises(ValueError), warehouse_lock(warehouse, purpose="failing", timeout=1):
        raise ValueError("boom")
    with warehouse_lock(warehouse, purpose="next", timeout=0.1):
        pass


def test_a_full_disk_while_writing_the_owner_leaves_no_temp_file_and_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    warehouse = tmp_path / "costtrends.duckdb"
    write_text = Path.write_text

    def full(self: Path, *args: object, **kwargs: object) -> int:
        write_text(self, "")  # the file is created, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full)
    with (
        pytest.raises(OSError, match=f"could not write the lock owner file {warehouse}.owner: No space left"),
        warehouse_lock(warehouse, purpose="run", timeout=1),
    ):
        pass
    monkeypatch.undo()
    assert list(tmp_path.glob("*.tmp")) == []


def test_a_leftover_owner_temp_file_is_removed_by_the_next_writer(tmp_path: Path) -> None:
    warehouse = tmp_path / "costtrends.duckdb"
    leftover = tmp_path / "costtrends.duckdb.owner.4242.tmp"
    leftover.write_bytes(b"")
    with warehouse_lock(warehouse, purpose="run", timeout=1):
        pass
    assert not leftover.exists()
