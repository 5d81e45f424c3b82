"""The prepare-ahead, write-in-order window (flows/window.py), with fake prepare and write steps.

Pieces are plain `concurrent.futures.Future`s. Most tests finish them before `start`
returns, so each callback runs at once and the order of events is fixed; the threaded
tests finish them out of order on purpose.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from flows.window import PrepareFailed, WindowReport, write_in_order


def _done(value: object = None, error: Exception | None = None) -> Future[object]:
    future: Future[object] = Future()
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)
    return future


def _settle(key: str, piece: Future[object]) -> None:
    if piece.exception() is not None:
        raise PrepareFailed(f"{key}: {piece.exception()}")


class Log:
    """Records every call the window makes, in order."""

    def __init__(self, *, pieces: int = 2, failing: dict[str, str] | None = None) -> None:
        self.events: list[str] = []
        self.pieces, self.failing = pieces, failing or {}

    def start(self, key: str) -> list[Future[object]]:
        self.events.append(f"start {key}")
        fail = self.failing.get(f"prepare {key}")
        return [
            _done(error=RuntimeError(fail) if fail and i == self.pieces - 1 else None)
            for i in range(self.pieces)
        ]

    def write(self, key: str) -> str:
        self.events.append(f"write {key}")
        if fail := self.failing.get(f"write {key}"):
            raise RuntimeError(fail)
        return f"wrote {key}"

    def written(self, key: str, result: str) -> None:
        self.events.append(f"written {key}: {result}")

    def run(self, keys: list[str], ahead: int) -> WindowReport[str]:
        return write_in_order(
            keys, ahead=ahead, start=self.start, settle=_settle, write=self.write, written=self.written
        )


KEYS = ["2020Q1", "2020Q2", "2020Q3", "2020Q4", "2021Q1"]


def test_keys_are_prepared_ahead_and_written_one_at_a_time_in_order() -> None:
    log = Log()
    report = log.run(KEYS, ahead=2)
    assert log.events == [
        "start 2020Q1",
        "start 2020Q2",
        "start 2020Q3",
        "write 2020Q1",
        "written 2020Q1: wrote 2020Q1",
        "start 2020Q4",
        "write 2020Q2",
        "written 2020Q2: wrote 2020Q2",
        "start 2021Q1",
        "write 2020Q3",
        "written 2020Q3: wrote 2020Q3",
        "write 2020Q4",
        "written 2020Q4: wrote 2020Q4",
        "write 2021Q1",
        "written 2021Q1: wrote 2021Q1",
    ]
    assert report == WindowReport(written=KEYS)


@pytest.mark.parametrize("ahead", [0, 1, 2, 3, 7])
def test_at_most_ahead_plus_one_keys_are_in_flight(ahead: int) -> None:
    log = Log()
    log.run(KEYS, ahead=ahead)
    in_flight, most = 0, 0
    for event in log.events:
        if event.startswith("start"):
            in_flight += 1
        elif event.startswith("written"):
            in_flight -= 1
        most = max(most, in_flight)
    assert most == min(ahead + 1, len(KEYS))
    assert [e for e in log.events if e.startswith("write ")] == [f"write {k}" for k in KEYS]


def test_a_failing_prepare_stops_the_run_at_its_key_after_writing_the_keys_before_it() -> None:
    log = Log(failing={"prepare 2020Q3": "ingest of survey failed: bad file"})
    report = log.run(KEYS, ahead=2)
    # 2020Q4 and 2021Q1 were prepared while 2020Q1 and 2020Q2 were written; nothing after 2020Q2 is.
    assert log.events == [
        "start 2020Q1",
        "start 2020Q2",
        "start 2020Q3",
        "write 2020Q1",
        "written 2020Q1: wrote 2020Q1",
        "start 2020Q4",
        "write 2020Q2",
        "written 2020Q2: wrote 2020Q2",
        "start 2021Q1",
    ]
    assert report == WindowReport(
        written=["2020Q1", "2020Q2"],
        failed="2020Q3",
        error="2020Q3: ingest of survey failed: bad file",
        failed_in_write=False,
        not_reached=["2020Q4", "2021Q1"],
    )


def test_a_failing_write_stops_the_run_and_says_it_failed_in_the_write() -> None:
    log = Log(failing={"write 2020Q2": "disk full"})
    report = log.run(KEYS, ahead=1)
    assert log.events == [
        "start 2020Q1",
        "start 2020Q2",
        "write 2020Q1",
        "written 2020Q1: wrote 2020Q1",
        "start 2020Q3",
        "write 2020Q2",
    ]
    assert report == WindowReport(
        written=["2020Q1"],
        failed="2020Q2",
        error="disk full",
        failed_in_write=True,
        not_reached=["2020Q3", "2020Q4", "2021Q1"],
    )


def test_the_run_stops_at_the_first_failed_key_in_order_not_the_first_to_fail() -> None:
    log = Log(failing={"prepare 2020Q2": "second", "prepare 2020Q1": "first"})
    report = log.run(KEYS, ahead=3)
    assert log.events == ["start 2020Q1", "start 2020Q2", "start 2020Q3", "start 2020Q4"]
    assert (report.written, report.failed, report.error) == ([], "2020Q1", "2020Q1: first")
    assert report.not_reached == KEYS[1:]


def test_a_key_keeps_the_error_of_its_first_failed_piece() -> None:
    def start(key: str) -> list[Future[object]]:
        return [_done(error=RuntimeError("one")), _done(), _done(error=RuntimeError("two"))]

    report = write_in_order(["2020Q1"], ahead=1, start=start, settle=_settle, write=lambda k: k)
    assert (report.failed, report.error) == ("2020Q1", "2020Q1: one")


def test_an_error_reporting_a_write_ends_the_run_with_that_error() -> None:
    log = Log()

    def written(key: str, result: str) -> None:
        log.written(key, result)
        if key == "2020Q2":
            raise RuntimeError("listener broke")

    with pytest.raises(RuntimeError, match="listener broke"):
        write_in_order(KEYS, ahead=1, start=log.start, settle=_settle, write=log.write, written=written)
    assert log.events[-2:] == ["write 2020Q2", "written 2020Q2: wrote 2020Q2"]


def test_an_unexpected_error_settling_a_piece_is_not_taken_for_a_failed_key() -> None:
    def settle(key: str, piece: Future[object]) -> None:
        raise KeyError(key)

    with pytest.raises(KeyError):
        write_in_order(KEYS, ahead=1, start=Log().start, settle=settle, write=lambda k: k)


def test_later_keys_finishing_first_are_settled_as_they_finish_and_still_written_in_order() -> None:
    order: list[str] = []
    guard = threading.Lock()
    second_done = threading.Event()

    def prepare(key: str) -> str:
        if key == "2020Q1":  # the first key finishes last
            assert second_done.wait(10)
        return key

    with ThreadPoolExecutor(max_workers=2) as pool:

        def start(key: str) -> list[Future[str]]:
            return [pool.submit(prepare, key)]

        def settle(key: str, piece: Future[str]) -> None:
            with guard:
                order.append(f"settled {piece.result()}")
            if key == "2020Q2":
                second_done.set()

        def write(key: str) -> None:
            order.append(f"write {key}")

        report = write_in_order(["2020Q1", "2020Q2"], ahead=1, start=start, settle=settle, write=write)
    assert order == ["settled 2020Q2", "settled 2020Q1", "write 2020Q1", "write 2020Q2"]
    assert report == WindowReport(written=["2020Q1", "2020Q2"])


def test_no_keys_write_nothing() -> None:
    log = Log()
    assert log.run([], ahead=2) == WindowReport()
    assert log.events == []


def test_a_key_given_twice_or_a_negative_window_is_refused() -> None:
    with pytest.raises(ValueError, match="once"):
        Log().run(["2020Q1", "2020Q1"], ahead=1)
    with pytest.raises(ValueError, match="0 or more"):
        Log().run(KEYS, ahead=-1)
