"""The order of a quarter's files: a correction wins by what its name says, not how it sorts.

When two files of one quarter report the same thing, the later one counts. "Later" is
decided here, explicitly, from the name alone:

1. the revision the name marks: `-v2`, `_v3`, ` v10` (version n), `(2)` (the n-th copy a
   browser or file manager makes), and the words `correctie`, `gecorrigeerd`, `herzien`,
   `herziening`, `revisie`, `correction`, `corrected`, `revised` (revision 1, or the number
   that follows them: `correctie 2`); an unmarked name is revision 0; the highest mark counts;
2. then the name with numbers compared as numbers (`natural_key`), so `deel2` comes before
   `deel10`;
3. then the name as it is.

Not the modification time: a copy, a restore from backup or a `touch` changes it without
changing the file, and the planner names a quarter's inputs by content (SHA-256), so an
order taken from times could change the loaded data while the plan sees nothing changed.
Sorting by name alone got it wrong the other way: `iv3_2021Q1-v2.csv`, `iv3_2021Q1 (2).csv`
and `iv3_2021Q1 correctie.csv` all sort before `iv3_2021Q1.csv`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_VERSION = re.compile(r"(?:^|[-_ .])v(\d{1,3})(?![0-9a-z])", re.IGNORECASE)
_COPY = re.compile(r"\((\d{1,2})\)")
_WORD = re.compile(
    r"(?<![a-z])(?:correctie|gecorrigeerd|herziening|herzien|revisie|correction|corrected|revised)"
    r"(?:[-_ ]?(\d{1,2}))?(?![a-z])",
    re.IGNORECASE,
)


def natural_key(name: str) -> tuple[tuple[int, str | int], ...]:
    """Sort key for file names with numbers compared as numbers: `_v2` before `_v10`."""
    parts = re.split(r"([0-9]+)", name.casefold())
    return tuple((i % 2, int(p) if i % 2 else p) for i, p in enumerate(parts))


def revision(name: str) -> int:
    """The revision a file name marks (see the module docstring); 0 when it marks none."""
    stem = name.rsplit(".", 1)[0] if "." in name else name
    marks = [int(m.group(1)) for m in _VERSION.finditer(stem)]
    marks += [int(m.group(1)) for m in _COPY.finditer(stem)]
    marks += [int(m.group(1) or 1) for m in _WORD.finditer(stem)]
    return max(marks, default=0)


def correction_key(name: str) -> tuple[int, tuple[tuple[int, str | int], ...], str]:
    """Sort key putting earlier versions first and the correction that counts last."""
    return revision(name), natural_key(name), name


def correction_order(names: Iterable[str]) -> list[str]:
    """`names`, earliest version first."""
    return sorted(names, key=correction_key)
