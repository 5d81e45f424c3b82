"""The plausibility gate: a response whose spend per inhabitant jumps is flagged with both values."""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from expectations.plausibility import Thresholds, jumps

THRESHOLDS = Thresholds(max_factor_own=20, max_factor_class=50, min_class_peers=5)
AMOUNTS = ("hardware_eur", "software_licences_eur", "ict_support_eur", "security_eur", "other_eur")


def _responses(*rows: tuple[int, str, int, str]) -> pl.DataFrame:
    """(row_id, municipality_code, population, hardware_eur); other categories empty, savings large."""
    return pl.DataFrame(
        {
            "row_id": [r[0] for r in rows],
            "municipality_code": [r[1] for r in rows],
            "population": [r[2] for r in rows],
            "hardware_eur": [Decimal(r[3]) for r in rows],
            **{c: [None] * len(rows) for c in AMOUNTS[1:]},
            # Office savings are not digital spend: a huge one changes nothing.
            "office_savings_eur": [Decimal("99999999.00")] * len(rows),
        },
        schema_overrides={c: pl.Decimal(18, 2) for c in (*AMOUNTS, "office_savings_eur")},
    )


def _history(*rows: tuple[str, str, float]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "municipality_code": [r[0] for r in rows],
            "quarter": [r[1] for r in rows],
            "per_inhabitant": [r[2] for r in rows],
        },
        schema={"municipality_code": pl.Utf8, "quarter": pl.Utf8, "per_inhabitant": pl.Float64},
    )


def test_a_jump_against_its_own_median_is_flagged_with_both_values() -> None:
    # Both have a median of €0.25 per inhabitant over 2020Q2..2020Q4 (0.20, 0.30, 0.25).
    history = _history(
        *(
            (code, q, v)
            for code in ("GM0001", "GM0002")
            for q, v in zip(("2020Q2", "2020Q3", "2020Q4"), (0.2, 0.3, 0.25), strict=True)
        )
    )
    # 10,000 inhabitants: €50,000 is €5 each, ×20 exactly (allowed); €2,500,000 is €250, ×1000.
    responses = _responses((1, "GM0001", 10_000, "50000.00"), (2, "GM0002", 10_000, "2500000.00"))
    flagged = jumps(responses, history, THRESHOLDS)
    assert flagged.rows() == [
        (
            2,
            "amount_per_inhabitant_jump: €250,000.00 per 1,000 inhabitants is ×1,000 its own median "
            "of €250.00 in 2020Q2..2020Q4 (at most ×20)",
            ["digital_extra_per_1000_inhabitants=250000.00", "own_median_per_1000_inhabitants=250.00"],
        )
    ]


def test_without_history_a_jump_against_its_size_class_is_flagged() -> None:
    # Six municipalities under 20,000 inhabitants (10,000 each): €0.20, 0.20, 0.30, 0.30,
    # 0.40 and €300 per inhabitant; the class median is (0.30 + 0.30) / 2 = €0.30, and 300
    # is ×1000 of it, over ×50; 0.40 is not.
    responses = _responses(
        (1, "GM0001", 10_000, "2000.00"),
        (2, "GM0002", 10_000, "2000.00"),
        (3, "GM0003", 10_000, "3000.00"),
        (4, "GM0004", 10_000, "3000.00"),
        (5, "GM0005", 10_000, "4000.00"),
        (6, "GM0006", 10_000, "3000000.00"),
    )
    flagged = jumps(responses, _history(), THRESHOLDS)
    assert flagged.rows() == [
        (
            6,
            "amount_per_inhabitant_jump: €300,000.00 per 1,000 inhabitants is ×1,000 the median of "
            "€300.00 of the 6 responses of size class <20k (no earlier quarter to compare with; at most ×50)",
            ["digital_extra_per_1000_inhabitants=300000.00", "size_class_median_per_1000_inhabitants=300.00"],
        )
    ]


def test_a_size_class_with_too_few_responses_is_not_compared() -> None:
    responses = _responses(
        (1, "GM0001", 10_000, "2000.00"),
        (2, "GM0002", 10_000, "2000.00"),
        (3, "GM0003", 10_000, "3000.00"),
        (4, "GM0006", 10_000, "3000000.00"),
    )
    assert jumps(responses, _history(), THRESHOLDS).is_empty()


def test_a_drop_or_a_response_without_population_is_not_flagged() -> None:
    history = _history(("GM0001", "2020Q4", 25.0), ("GM0002", "2020Q4", 0.25))
    # GM0001 falls ×1000 (from €25 to €0.025 per inhabitant); GM0002 has no population.
    responses = _responses((1, "GM0001", 10_000, "250.00"), (2, "GM0002", 0, "2500000.00"))
    assert jumps(responses, history, THRESHOLDS).is_empty()
