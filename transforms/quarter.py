"""Quarters as the pipeline's partition key, written `2021Q1`.

Inputs may say `2021Q1`, `2021-Q1`, `2021 Q1`, `2021K1`, `Q1 2021`, `Q1-2021`,
`1e kwartaal 2021`, `kwartaal 1 2021`; all parse to the same `Quarter`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

_YEAR_FIRST = re.compile(r"^(?P<year>[0-9]{4})\s*[-_/ ]?\s*[QqKk](?P<q>[1-4])$")
_QUARTER_FIRST = re.compile(r"^[QqKk](?P<q>[1-4])\s*[-_/ ]?\s*(?P<year>[0-9]{4})$")
_DUTCH_WORDS = re.compile(r"^(?P<q>[1-4])\s*(?:e|ste|de)?\s+kwartaal\s+(?P<year>[0-9]{4})$", re.IGNORECASE)
_DUTCH_WORDS_REVERSED = re.compile(r"^kwartaal\s+(?P<q>[1-4])\s+(?P<year>[0-9]{4})$", re.IGNORECASE)
_PATTERNS = (_YEAR_FIRST, _QUARTER_FIRST, _DUTCH_WORDS, _DUTCH_WORDS_REVERSED)


class QuarterError(ValueError):
    """A text that names no quarter."""


@dataclass(frozen=True, order=True)
class Quarter:
    """One calendar quarter; ordered, hashable, and written `2021Q1`."""

    year: int
    q: int

    def __post_init__(self) -> None:
        if not 1 <= self.q <= 4:
            raise QuarterError(f"quarter number must be 1..4, got {self.q}")
        if not 1900 <= self.year <= 2999:
            raise QuarterError(f"year out of range: {self.year}")

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """Parse any accepted spelling; raise `QuarterError` naming the text otherwise."""
        cleaned = " ".join(str(text).strip().split())
        for pattern in _PATTERNS:
            match = pattern.match(cleaned)
            if match:
                return cls(int(match["year"]), int(match["q"]))
        raise QuarterError(
            f"not a quarter: {text!r} (expected e.g. 2021Q1, 2021-Q1, 2021K1, Q1 2021, 1e kwartaal 2021)"
        )

    @classmethod
    def try_parse(cls, text: str | None) -> Quarter | None:
        if text is None:
            return None
        try:
            return cls.parse(text)
        except QuarterError:
            return None

    @classmethod
    def containing(cls, day: dt.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def last_finished(cls, today: dt.date | None = None) -> Quarter:
        """The most recent quarter that has ended before `today`."""
        return cls.containing(today or dt.date.today()).shift(-1)

    @property
    def index(self) -> int:
        """A running number: consecutive quarters differ by one."""
        return self.year * 4 + self.q - 1

    @classmethod
    def from_index(cls, index: int) -> Quarter:
        return cls(index // 4, index % 4 + 1)

    def shift(self, quarters: int) -> Quarter:
        return Quarter.from_index(self.index + quarters)

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 3 * self.q - 2, 1)

    @property
    def end(self) -> dt.date:
        return self.shift(1).start - dt.timedelta(days=1)

    def __str__(self) -> str:
        return f"{self.year}Q{self.q}"


def quarter_range(start: Quarter, end: Quarter) -> Iterator[Quarter]:
    """Every quarter from `start` to `end`, both included, in order."""
    if end < start:
        raise QuarterError(f"range ends before it starts: {start}..{end}")
    for index in range(start.index, end.index + 1):
        yield Quarter.from_index(index)
