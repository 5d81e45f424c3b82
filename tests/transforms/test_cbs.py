"""CBS OData records → landed rows: catalogue, dimensions, Iv3 lines, population.

Inputs are written in CBS's form (fixed-width keys padded with spaces, amounts in
thousands as JSON numbers); expected rows are written out by hand.
"""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from transforms import cbs

CATALOGUE = [
    {
        "Identifier": "45055NED",
        "Title": "Provincies 2021 onbewerkte Iv3-data",
        "Modified": "2022-06-01T02:00:00",
    },
    {
        "Identifier": "45054NED",
        "Title": "Gemeenten 2021 onbewerkte Iv3-data",
        "Modified": "2022-07-01T02:00:00",
    },
    {
        "Identifier": "45050NED",
        "Title": "Gemeenten 2020 onbewerkte Iv3-data",
        "Modified": "2021-07-01T02:00:00",
    },
]


def test_iv3_table_is_found_by_its_title_not_by_an_id() -> None:
    assert cbs.iv3_table_id(CATALOGUE, 2021) == "45054NED"
    assert cbs.iv3_table_id(CATALOGUE, 2020) == "45050NED"


def test_iv3_title_matches_without_regard_to_case_and_spaces_and_the_latest_table_wins() -> None:
    catalogue = [
        *CATALOGUE,
        {
            "Identifier": "45099NED",
            "Title": "gemeenten  2021 Onbewerkte Iv3-data ",
            "Modified": "2023-01-01T00:00:00",
        },
    ]
    assert cbs.iv3_table_id(catalogue, 2021) == "45099NED"


def test_a_year_without_a_table_names_the_title_it_looked_for() -> None:
    with pytest.raises(cbs.CbsDataError, match="no table titled 'Gemeenten 2019 onbewerkte Iv3-data'"):
        cbs.iv3_table_id(CATALOGUE, 2019)


@pytest.mark.parametrize(
    ("title", "boekjaar", "periode"),
    [
        ("Begroting 2021", 2021, 0),
        ("1e kwartaal 2021", 2021, 1),
        ("2e Kwartaal 2021", 2021, 2),
        ("Kwartaal 3 2021", 2021, 3),
        ("2021 K4", 2021, 4),
        ("Jaarrekening 2020", 2020, 5),
        ("Rekening 2020", 2020, 5),
    ],
)
def test_verslagsoort_is_read_from_its_title(title: str, boekjaar: int, periode: int) -> None:
    found = cbs.read_verslagsoort("2021X000", title)
    assert found is not None
    assert (found.boekjaar, found.periode) == (boekjaar, periode)


def test_a_key_that_reads_like_a_begroting_is_the_jaarrekening_its_title_says() -> None:
    kinds, unread = cbs.verslagsoorten(
        [
            {"Key": "2020X000", "Title": "Jaarrekening 2020"},
            {"Key": "2021X000", "Title": "Begroting 2021"},
            {"Key": "2022X900", "Title": "Meerjarenraming 2022"},
        ]
    )
    assert [(v.key, v.boekjaar, v.periode, v.slug) for v in kinds] == [
        ("2020X000", 2020, 5, "2020_p5_jaarrekening"),
        ("2021X000", 2021, 0, "2021_p0_begroting"),
    ]
    assert unread == ["2022X900 'Meerjarenraming 2022'"]


def test_municipality_keys_keep_cbs_padding_and_leave_out_other_regions() -> None:
    dimension = [
        {"Key": "NL01     ", "Title": "Nederland"},
        {"Key": "GM0363   ", "Title": "Amsterdam"},
        {"Key": "GM0014   ", "Title": "Groningen"},
    ]
    assert cbs.municipality_keys(dimension) == {"GM0014": "GM0014   ", "GM0363": "GM0363   "}
    assert cbs.municipality_keys(dimension, ["gm0363 "]) == {"GM0363": "GM0363   "}
    with pytest.raises(cbs.CbsDataError, match="GM9999 is not in the table's Gemeenten dimension"):
        cbs.municipality_keys(dimension, ["GM9999"])


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("1208.0", "1208"),
        ("1.234", "1,234"),
        ("-12.5", "-12,5"),
        ("0.1", "0,1"),
        ("0", "0"),
        ("-0.0", "0"),
        ("70", "70"),
        ("100.500", "100,5"),
    ],
)
def test_thousands_are_written_with_a_decimal_comma_and_no_trailing_zeros(value: str, text: str) -> None:
    assert cbs.thousands_text(Decimal(value)) == text
    assert pl.select(cbs.thousands_expr(pl.lit(value))).item() == text


def _record(gm: str, taakveld: str, categorie: str, amount: float | None) -> dict[str, object]:
    return {
        "Gemeenten": gm.ljust(9),
        "TaakveldBalanspost": taakveld.ljust(6),
        "Categorie": categorie.ljust(8),
        "Verslagsoort": "2021X000",
        "k_1ePlaatsing_1": amount,
        "k_2ePlaatsing_2": None if amount is None else amount * 2,
    }


RECORDS = [
    _record("GM0014", "0.4", "L3.2", 120.5),
    _record("GM0014", "0.4", "B3.8", 10.0),
    _record("GM0014", "0.4", "L3.8", 0.1),
    _record("GM0014", "0.4", "L1.1", None),  # nothing delivered
    _record("GM0014", "A1.1", "L5.1", 12.0),  # a balance post
    _record("GM0363", "0.3", "B3.6", -3.25),
]


def _placed(records: list[dict[str, object]], amount_column: str = "latest") -> pl.DataFrame:
    return cbs.placed_amounts(cbs.iv3_records_frame(records), amount_column=amount_column)[0]


def test_iv3_lines_keep_lasten_and_baten_with_amounts_and_count_the_rest() -> None:
    got = cbs.iv3_lines(_placed(RECORDS, "k_1ePlaatsing_1"))
    expected = pl.DataFrame(
        {
            "municipality": ["GM0014", "GM0014", "GM0014", "GM0363"],
            "side": ["baten", "lasten", "lasten", "baten"],
            "taakveld": ["0.4", "0.4", "0.4", "0.3"],
            "categorie": ["3.8", "3.2", "3.8", "3.6"],
            "amount": ["10.0", "120.5", "0.1", "-3.25"],
            "line": [1, 2, 3, 1],
        }
    )
    assert_frame_equal(got.lines, expected)
    assert (got.rows_read, got.rows_empty, got.rows_balance) == (6, 1, 1)


def test_the_latest_placement_is_the_second_once_cbs_has_made_it() -> None:
    first_only = [{**r, "k_2ePlaatsing_2": None} for r in RECORDS]
    placed, column = cbs.placed_amounts(cbs.iv3_records_frame(first_only))
    assert column == "k_1ePlaatsing_1"
    assert placed["amount"].to_list() == ["120.5", "10.0", "0.1", None, "12.0", "-3.25"]

    # RECORDS carry a second placement (twice the first): all amounts come from it.
    placed, column = cbs.placed_amounts(cbs.iv3_records_frame(RECORDS))
    assert column == "k_2ePlaatsing_2"
    assert placed["amount"].to_list() == ["241.0", "20.0", "0.2", None, "24.0", "-6.5"]


def test_a_named_amount_column_is_landed_whatever_cbs_has_placed() -> None:
    placed, column = cbs.placed_amounts(cbs.iv3_records_frame(RECORDS), amount_column="k_1ePlaatsing_1")
    assert (column, placed["amount"].to_list()[0]) == ("k_1ePlaatsing_1", "120.5")
    with pytest.raises(
        ValueError, match="amount column must be one of latest, k_1ePlaatsing_1, k_2ePlaatsing_2"
    ):
        cbs.placed_amounts(cbs.iv3_records_frame(RECORDS), amount_column="k_3ePlaatsing_3")


def test_two_amounts_for_one_cell_are_refused() -> None:
    records = [_record("GM0014", "0.4", "L3.2", 1.0), _record("GM0014", "0.4", "L3.2", 2.0)]
    with pytest.raises(
        cbs.CbsDataError, match="more than one amount for GM0014 lasten taakveld 0.4 categorie 3.2"
    ):
        cbs.iv3_lines(_placed(records))


def test_long_layout_puts_lasten_and_baten_of_a_cell_side_by_side() -> None:
    lines = cbs.iv3_lines(_placed(RECORDS, "k_1ePlaatsing_1")).lines
    got = cbs.long_layout(lines, period="2021Q1", kind="begroting", unit="x1000")
    expected = pl.DataFrame(
        {
            "municipality": ["GM0014", "GM0014", "GM0363"],
            "period": ["2021Q1"] * 3,
            "taakveld": ["0.4", "0.4", "0.3"],
            "categorie": ["3.2", "3.8", "3.6"],
            "kind": ["begroting"] * 3,
            "lasten": ["120,5", "0,1", None],
            "baten": [None, "10", "-3,25"],
            "unit": ["x1000"] * 3,
        }
    )
    assert_frame_equal(got, expected)


def test_quarter_added_lines_subtract_each_municipalitys_previous_periode() -> None:
    def lines(records: list[dict[str, object]]) -> pl.DataFrame:
        return cbs.iv3_lines(_placed(records, "k_1ePlaatsing_1")).lines

    q1 = lines([_record("GM0014", "0.4", "L3.2", 30.25), _record("GM0363", "0.4", "L3.2", 200.0)])
    q2 = lines([_record("GM0014", "0.4", "L3.2", 61.0), _record("GM1979", "0.4", "L3.8", 9.5)])
    got, missing = cbs.quarter_added_lines(q2, q1)
    # GM0014 added 61 - 30.25. GM1979 has no Q1 lines: its 9.5 from 1 January is not what
    # Q2 added, so it is left out and named. GM0363 delivered no Q2: no lines.
    expected = pl.DataFrame(
        {
            "municipality": ["GM0014"],
            "side": ["lasten"],
            "taakveld": ["0.4"],
            "categorie": ["3.2"],
            "amount": ["30.75"],
            "line": [1],
        }
    )
    assert_frame_equal(got, expected)
    assert missing == ["GM1979"]


def test_period_key_is_the_key_titled_with_the_year() -> None:
    dimension = [{"Key": "2024JJ00", "Title": "2024"}, {"Key": "2025JJ00", "Title": "2025"}]
    assert cbs.period_key(dimension, 2025) == "2025JJ00"
    with pytest.raises(cbs.CbsDataError, match="no period titled 2026"):
        cbs.period_key(dimension, 2026)


def test_population_frame_keeps_municipalities_and_drops_statline_suffixes() -> None:
    regions = [
        {"Key": "NL01      ", "Title": "Nederland"},
        {"Key": "GM0014    ", "Title": "Groningen (gemeente)"},
        {"Key": "GM0363    ", "Title": "Amsterdam"},
    ]
    records = [
        {"RegioS": "NL01      ", "Perioden": "2025JJ00", "TotaleBevolking_1": 18044027},
        {"RegioS": "GM0363    ", "Perioden": "2025JJ00", "TotaleBevolking_1": 933680},
        {"RegioS": "GM0014    ", "Perioden": "2025JJ00", "TotaleBevolking_1": 245000},
    ]
    expected = pl.DataFrame(
        {
            "municipality_code": ["GM0014", "GM0363"],
            "municipality_name": ["Groningen", "Amsterdam"],
            "year": [2025, 2025],
            "population": [245000, 933680],
        },
        schema={
            "municipality_code": pl.Utf8,
            "municipality_name": pl.Utf8,
            "year": pl.Int32,
            "population": pl.Int64,
        },
    )
    assert_frame_equal(cbs.population_frame(records, regions, year=2025), expected)


def test_a_population_that_is_not_a_positive_whole_number_is_refused() -> None:
    records = [{"RegioS": "GM0014    ", "Perioden": "2025JJ00", "TotaleBevolking_1": None}]
    with pytest.raises(cbs.CbsDataError, match="population of GM0014 in 2025 is None"):
        cbs.population_frame(records, [], year=2025)
