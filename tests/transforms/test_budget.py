"""Budget standardization (units, exact decimals, periods, codes) and restatements."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from transforms.budget import settle_restatements, standardize_budget
from transforms.file_order import natural_key
from transforms.quarter import Quarter

D = Decimal
Q1 = Quarter(2021, 1)
MUNICIPALITIES = pl.DataFrame(
    {
        "municipality_code": ["GM0014", "GM1979"],
        "municipality_name": ["Groningen", "Eemsdelta"],
    }
)
MERGERS = pl.DataFrame(
    {
        "old_code": ["GM0003"],
        "old_name": ["Appingedam"],
        "new_code": ["GM1979"],
        "new_name": ["Eemsdelta"],
        "effective_date": [dt.date(2021, 1, 1)],
        "share": [1.0],
    }
)


def _raw(**columns: list[str | None]) -> pl.DataFrame:
    """Budget rows as a reader gives them (text), with lineage; unnamed columns take defaults."""
    n = len(next(iter(columns.values())))
    base: dict[str, list[str | None]] = {
        "municipality": ["GM0014"] * n,
        "period": ["2021Q1"] * n,
        "taakveld": ["0.4"] * n,
        "categorie": ["3.2"] * n,
        "kind": ["realisatie"] * n,
        "lasten": ["0"] * n,
        "baten": ["0"] * n,
    }
    base.update(columns)
    return pl.DataFrame(base, schema=dict.fromkeys(base, pl.Utf8)).with_columns(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("row_id"),
        pl.lit("iv3.csv").alias("source_file"),
        (pl.int_range(pl.len(), dtype=pl.Int64) + 2).alias("source_row"),
        pl.lit("run").alias("run_id"),
    )


def _standardize(raw: pl.DataFrame, **kwargs: object) -> pl.DataFrame:
    return standardize_budget(raw, quarter=Q1, municipalities=MUNICIPALITIES, mergers=MERGERS, **kwargs)  # type: ignore[arg-type]


def _amounts(frame: pl.DataFrame) -> list[tuple[Decimal, Decimal]]:
    return frame.select("lasten_eur", "baten_eur").rows()


def test_amounts_in_euros_parse_exactly_to_cents() -> None:
    out = _standardize(
        _raw(lasten=["100,5", "1234567,89", "-0,005", "0,004"], baten=["0", "0,01", "", "1.234,56"])
    )
    assert _amounts(out) == [
        (D("100.50"), D("0.00")),
        (D("1234567.89"), D("0.01")),
        # Rounded half away from zero; an empty cell means nothing was booked.
        (D("-0.01"), D("0.00")),
        (D("0.00"), D("1234.56")),
    ]
    assert out["parse_issues"].to_list() == [[], [], [], []]
    assert out.schema["lasten_eur"] == pl.Decimal(18, 2)


def test_thousands_unit_column_scales_each_row_exactly_once() -> None:
    out = _standardize(
        _raw(
            lasten=["0,01", "1234567,891", "1,2345", "0,000005", "1.234,567", "100"],
            baten=["0", "0", "0", "0", "0", "2,5"],
            unit=["x1000", "x1000", "keur", "x 1000", "x1000", "EUR"],
        )
    )
    assert _amounts(out) == [
        (D("10.00"), D("0.00")),
        (D("1234567891.00"), D("0.00")),
        # 1,2345 thousands is 1234.50 euros: scaled first, then rounded, never the reverse.
        (D("1234.50"), D("0.00")),
        # 0.005 euros rounds half away from zero to a cent.
        (D("0.01"), D("0.00")),
        # A Dutch-formatted cell takes the general parser, just as exactly.
        (D("1234567.00"), D("0.00")),
        (D("100.00"), D("2.50")),
    ]


def test_file_unit_applies_where_a_row_has_no_unit_of_its_own() -> None:
    out = _standardize(_raw(lasten=["12,5", "12,5"], unit=[None, "EUR"]), file_unit="x1000")
    assert _amounts(out) == [(D("12500.00"), D("0.00")), (D("12.50"), D("0.00"))]


def test_unknown_unit_and_unparseable_amount_are_parse_issues() -> None:
    out = _standardize(_raw(lasten=["n.v.t.", "5", "10 - 20"], unit=[None, "dollar", None]))
    assert out["parse_issues"].to_list() == [["parse:lasten"], ["parse:unit"], ["parse:lasten"]]
    assert out["lasten_eur"].to_list() == [None, D("5.00"), None]


@pytest.mark.parametrize("period", ["2021Q1", "2021-Q1", "2021K1", "Q1 2021", "2021 q1", "1e kwartaal 2021"])
def test_period_spellings_parse_to_the_quarter(period: str) -> None:
    out = _standardize(_raw(period=[period]))
    assert out.select("quarter", "period_quarter", "parse_issues").row(0) == ("2021Q1", "2021Q1", [])


def test_year_and_quarter_columns_make_the_period() -> None:
    raw = _raw(period=[None, None, None], year=["2021", "2021", "2021"], quarter=["1", "Q2", "K1"])
    out = _standardize(raw)
    assert out["period_quarter"].to_list() == ["2021Q1", "2021Q2", "2021Q1"]


def test_unparseable_period_is_a_parse_issue() -> None:
    out = _standardize(_raw(period=["voorjaar"]))
    assert out.select("period_quarter", "parse_issues").row(0) == (None, ["parse:period"])


def test_codes_lose_their_lasten_baten_prefix_and_kinds_their_spelling() -> None:
    out = _standardize(
        _raw(
            taakveld=[" 0.4 ", "L0.4", "0.10"],
            categorie=["L3.2", "B 4.3.1", "3.8"],
            kind=["Begroting", "R", "rekening"],
        )
    )
    assert out.select("taakveld", "categorie", "kind").rows() == [
        ("0.4", "3.2", "begroting"),
        ("0.4", "4.3.1", "realisatie"),
        ("0.10", "3.8", "realisatie"),
    ]


def test_a_dissolved_municipality_keeps_its_own_code() -> None:
    out = _standardize(_raw(municipality=["GM0003", "Appingedam", "Atlantis"]))
    assert out["municipality_code"].to_list() == ["GM0003", "GM0003", None]
    assert out["municipality_issue"][2].startswith("no municipality matches")


def test_standardized_rows_keep_lineage_and_order() -> None:
    out = _standardize(_raw(lasten=["1", "2", "3"]))
    assert out.select("row_id", "source_file", "source_row").rows() == [
        (0, "iv3.csv", 2),
        (1, "iv3.csv", 3),
        (2, "iv3.csv", 4),
    ]


def test_natural_key_orders_version_numbers_as_numbers() -> None:
    names = ["iv3_2021Q1_v10.csv", "iv3_2021Q1.csv", "iv3_2021Q1_v2.csv", "IV3_2021Q1_v3.csv"]
    assert sorted(names, key=natural_key) == [
        "iv3_2021Q1.csv",
        "iv3_2021Q1_v2.csv",
        "IV3_2021Q1_v3.csv",
        "iv3_2021Q1_v10.csv",
    ]


def test_the_later_file_is_current_per_municipality_and_kind() -> None:
    coverage = pl.DataFrame(
        {
            "source_file": ["iv3.csv", "iv3.csv", "iv3.csv", "iv3_v2.csv", "iv3_v10.csv"],
            "municipality_code": ["GM0014", "GM0014", "GM0003", "GM0014", "GM0014"],
            "kind": ["begroting", "realisatie", "realisatie", "realisatie", "realisatie"],
            "lines": [4, 3, 2, 5, 1],
        }
    )
    settled = settle_restatements(coverage, ["iv3_v10.csv", "iv3.csv", "iv3_v2.csv"])
    expected = pl.DataFrame(
        {
            "source_file": ["iv3.csv", "iv3.csv", "iv3.csv", "iv3_v2.csv", "iv3_v10.csv"],
            "municipality_code": ["GM0003", "GM0014", "GM0014", "GM0014", "GM0014"],
            "kind": ["realisatie", "begroting", "realisatie", "realisatie", "realisatie"],
            "lines": [2, 4, 3, 5, 1],
            "is_current": [True, True, False, False, True],
            "superseded_by": [None, None, "iv3_v10.csv", "iv3_v10.csv", None],
            "previous_file": [None, None, None, None, "iv3_v2.csv"],
        },
        schema_overrides={"lines": pl.Int64, "superseded_by": pl.Utf8, "previous_file": pl.Utf8},
    )
    assert_frame_equal(settled, expected)


def test_settling_a_file_outside_the_quarter_raises() -> None:
    coverage = pl.DataFrame(
        {"source_file": ["x.csv"], "municipality_code": ["GM0014"], "kind": ["begroting"], "lines": [1]}
    )
    with pytest.raises(ValueError, match="x.csv"):
        settle_restatements(coverage, ["iv3.csv"])
