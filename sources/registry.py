"""Every source the pipeline loads, by name, in the order a quarter's sources are written."""

from __future__ import annotations

from sources import budget, survey
from sources.base import Source

SOURCES: dict[str, Source] = {s.name: s for s in (survey.SOURCE, budget.SOURCE)}


def source(name: str) -> Source:
    """The source called `name`; a `KeyError` names the known ones."""
    try:
        return SOURCES[name]
    except KeyError:
        raise KeyError(f"no source {name!r}; known: {', '.join(SOURCES)}") from None
