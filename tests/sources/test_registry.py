"""Every source is registered once, under its own name, with its own tables."""

from __future__ import annotations

from sources.registry import SOURCES, source


def test_the_sources_in_write_order_with_their_tables() -> None:
    assert [(s.name, s.raw_table, s.core_tables) for s in SOURCES.values()] == [
        ("survey", "raw.survey_responses", ("core.fct_survey_response", "core.fct_survey_cost")),
        ("budget", "raw.budget_lines", ("core.fct_budget",)),
    ]
    assert list(SOURCES) == ["survey", "budget"]


def test_an_unknown_source_names_the_known_ones() -> None:
    try:
        source("cbs")
    except KeyError as exc:
        assert exc.args[0] == "no source 'cbs'; known: survey, budget"
    else:
        raise AssertionError("no KeyError")
