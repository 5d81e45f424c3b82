from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from transforms.population import population_in_year

POPULATION = pl.DataFrame(
    {
        "municipality_code": ["GM0003", "GM0003", "GM1979", "GM1979", "GM0014", "GM0014"],
        "year": [2019, 2020, 2021, 2022, 2019, 2021],
        "population": [11721, 11642, 45587, 45880, 231299, 233273],
    },
    schema={"municipality_code": pl.Utf8, "year": pl.Int32, "population": pl.Int64},
)


def test_population_of_the_year_itself_is_used() -> None:
    # GM1979 has no 2019 figure: its nearest year, 2021, stands in.
    expected = pl.DataFrame(
        {"municipality_code": ["GM0003", "GM0014", "GM1979"], "population": [11721, 231299, 45587]}
    )

    assert_frame_equal(population_in_year(POPULATION, 2019).sort("municipality_code"), expected)


def test_missing_year_falls_back_to_the_nearest_and_the_earlier_on_a_tie() -> None:
    # 2020: GM0014 has 2019 and 2021, equally near, so 2019; GM1979 starts in 2021.
    # 2024: everyone's latest year.
    in_2020 = population_in_year(POPULATION, 2020).sort("municipality_code")
    in_2024 = population_in_year(POPULATION, 2024).sort("municipality_code")

    assert in_2020.rows() == [("GM0003", 11642), ("GM0014", 231299), ("GM1979", 45587)]
    assert in_2024.rows() == [("GM0003", 11642), ("GM0014", 233273), ("GM1979", 45880)]


def test_extend_register_adds_a_fetched_year_and_the_municipalities_that_began_or_ended() -> None:
    from transforms.population import UNKNOWN_PROVINCE, extend_register

    register = pl.DataFrame(
        {
            "code": ["GM0003", "GM0014", "GM0501"],
            "name": ["Appingedam", "Groningen", "Brielle"],
            "province": ["Groningen", "Groningen", "Zuid-Holland"],
            "valid_from": [None, None, None],
            "valid_to": ["2020-12-31", None, None],
            "population_2024": [None, 243768, 17800],
        },
        schema_overrides={"valid_from": pl.Utf8, "population_2024": pl.Int64},
    )
    # 2025 as fetched: Brielle (GM0501) is gone, a new GM1999 began.
    fetched = pl.DataFrame(
        {
            "municipality_code": ["GM0014", "GM1999"],
            "municipality_name": ["Groningen", "Nieuwgemeente"],
            "year": [2025, 2025],
            "population": [244768, 50000],
        },
        schema={
            "municipality_code": pl.Utf8,
            "municipality_name": pl.Utf8,
            "year": pl.Int32,
            "population": pl.Int64,
        },
    )
    expected = pl.DataFrame(
        {
            "code": ["GM0003", "GM0014", "GM0501", "GM1999"],
            "name": ["Appingedam", "Groningen", "Brielle", "Nieuwgemeente"],
            "province": ["Groningen", "Groningen", "Zuid-Holland", UNKNOWN_PROVINCE],
            "valid_from": [None, None, None, "2025-01-01"],
            "valid_to": ["2020-12-31", None, "2024-12-31", None],
            "population_2024": [None, 243768, 17800, None],
            "population_2025": [None, 244768, None, 50000],
        },
        schema_overrides={"valid_from": pl.Utf8, "population_2024": pl.Int64, "population_2025": pl.Int64},
    )
    assert_frame_equal(extend_register(register, fetched), expected)


def test_extend_register_without_fetched_years_is_the_register() -> None:
    from transforms.population import extend_register

    register = pl.DataFrame(
        {"code": ["GM0014"], "valid_from": [None], "valid_to": [None]},
        schema_overrides={"valid_from": pl.Utf8, "valid_to": pl.Utf8},
    )
    empty = pl.DataFrame(
        schema={
            "municipality_code": pl.Utf8,
            "municipality_name": pl.Utf8,
            "year": pl.Int32,
            "population": pl.Int64,
        }
    )
    assert_frame_equal(extend_register(register, empty), register)
