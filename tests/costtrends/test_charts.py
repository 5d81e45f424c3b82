"""The report's inline SVG charts: gaps, ranges and legends."""

from __future__ import annotations

import re

from costtrends.charts import Series, bar_chart, line_chart


def test_a_line_breaks_where_a_value_is_missing_and_a_lone_point_is_a_dot_only() -> None:
    svg = line_chart(["Q1", "Q2", "Q3", "Q4", "Q5"], [Series("x", [1.0, None, 3.0, 4.0, None])])
    polylines = re.findall(r'<polyline points="([^"]*)"', svg)
    assert [len(p.split()) for p in polylines] == [2]  # Q3–Q4; Q1 stands alone
    assert svg.count("<circle") == 3


def test_a_dot_names_its_range_when_the_series_has_one_there() -> None:
    svg = line_chart(
        ["Q1", "Q2"],
        [Series("Hardware", [1_000_000.0, 2_000_000.0], low=[900_000.0, None], high=[1_100_000.0, None])],
    )
    tips = re.findall(r"<circle[^>]*><title>([^<]*)</title>", svg)
    assert tips == ["Hardware, Q1: €1M (range €900k – €1.1M)", "Hardware, Q2: €2M"]


def test_a_bar_chart_line_has_dots_without_a_range() -> None:
    svg = bar_chart(
        ["Q1", "Q2", "Q3"],
        [Series("Extra", [10.0, 20.0, 30.0])],
        line=Series("Net", [5.0, None, 7.0]),
    )
    assert svg.count("<rect") == 3 + 1  # three bars and the legend's box
    assert "<polyline" not in svg  # the line's two values are apart
    assert re.findall(r'<circle[^>]* r="3"[^>]*><title>([^<]*)</title>', svg) == [
        "Net, Q1: €5",
        "Net, Q3: €7",
    ]
