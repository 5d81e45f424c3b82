"""The survey corpus end to end through ingest, validate and transform (no Prefect, no warehouse).

tests/data/survey/2021Q1 holds one quarter as municipalities send it: 21 files, each a
case (see tests/data/survey/make_corpus.py). Every expected value below is read off those
files by the rules in docs/survey-ingest.md.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from flows.steps import submitted_before, validation_bounds
from ingest.reference import read_reference
from sources import survey
from sources.base import Batch, ValidateOptions, account_rows
from transforms.quarter import Quarter
from transforms.schema import AMOUNT_COLUMNS, SURVEY_COLUMNS

pytestmark = pytest.mark.integration

D = Decimal
T = dt.datetime
CORPUS = Path(__file__).resolve().parents[1] / "data" / "survey" / "2021Q1"


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Batch, dict[str, pl.DataFrame]]:
    landing = tmp_path_factory.mktemp("landing")
    shutil.copytree(CORPUS, landing / "survey" / "2021Q1", ignore=shutil.ignore_patterns("*.py"))
    ref = read_reference()
    batch = survey.ingest(landing, Quarter.parse("2021Q1"), "run-test", ref)
    options = ValidateOptions(validation_bounds(), submitted_before(), tmp_path_factory.mktemp("work"))
    batch = survey.validate(batch, ref, options)
    core = survey.core_rows(batch)
    account_rows(batch, core["core.fct_survey_response"])
    return batch, core


QUARANTINED = "{} of {} rows quarantined"
MISSING = (
    "19_missing_column.csv: missing required column(s): office_savings_eur "
    "(no header maps to it; known headers are in transforms/mappings/survey_columns.csv)"
)
TOOL_UNKNOWN = [
    "StartDate",
    "EndDate",
    "Progress",
    "Duration (in seconds)",
    "Finished",
    "ExternalReference",
    "LocationLatitude",
    "LocationLongitude",
    "DistributionChannel",
    "UserLanguage",
]


def test_every_file_is_reported_with_its_rows_or_why_it_was_skipped(ingested) -> None:
    batch, _ = ingested
    reports = [
        (f.file_name, f.status, f.rows_read, f.rows_loaded, f.rows_quarantined, f.message, f.unknown_columns)
        for f in batch.files
    ]
    assert reports == [
        ("01_gemeenten_cp1252.csv", "loaded", 3, 3, 0, None, []),
        ("02_responses_utf8_bom.csv", "loaded", 2, 2, 0, None, []),
        ("03_quoted_fields.csv", "partial", 5, 2, 3, QUARANTINED.format(3, 5), []),
        ("04_tool_codes.csv", "partial", 2, 1, 1, QUARANTINED.format(1, 2), TOOL_UNKNOWN),
        ("05_title_rows.xlsx", "loaded", 2, 2, 0, None, []),
        ("06_named_sheet.xlsx", "loaded", 2, 2, 0, None, []),
        ("07_export.parquet", "loaded", 2, 2, 0, None, ["Uw naam"]),
        ("08_amount_patterns.csv", "partial", 5, 4, 1, QUARANTINED.format(1, 5), []),
        ("09_percentages.csv", "partial", 4, 3, 1, QUARANTINED.format(1, 4), []),
        ("10_municipality_spellings.csv", "partial", 13, 8, 5, QUARANTINED.format(5, 13), []),
        ("11_periods.csv", "partial", 5, 3, 2, QUARANTINED.format(2, 5), []),
        ("12_test_responses.csv", "partial", 3, 1, 2, QUARANTINED.format(2, 3), []),
        ("13_resubmissions_first.csv", "loaded", 3, 3, 0, None, []),
        ("14_late_batch.csv", "loaded", 3, 3, 0, None, []),
        ("15_reexport.csv", "loaded", 3, 3, 0, None, []),
        ("16_binary.csv", "rejected", 0, 0, 0, "16_binary.csv: is a PNG image, not CSV text", []),
        ("17_empty.csv", "rejected", 0, 0, 0, "17_empty.csv: empty file", []),
        ("18_header_only.csv", "rejected", 0, 0, 0, "18_header_only.csv: header only, no data rows", []),
        ("19_missing_column.csv", "rejected", 0, 0, 0, MISSING, []),
        ("20_unicode_text.txt", "loaded", 1, 1, 0, None, []),
        ("21_extra_columns.csv", "partial", 3, 2, 1, QUARANTINED.format(1, 3), ["Uw naam", "Aantal laptops"]),
    ]
    for _, _, read, loaded, quarantined, _, _ in reports:
        assert read == loaded + quarantined


def test_every_bad_row_is_quarantined_with_its_reasons(ingested) -> None:
    batch, _ = ingested
    assert batch.quarantined.select("source_file", "source_row", "reasons").rows() == [
        ("03_quoted_fields.csv", 3, ["row_shape: 11 cells in the row, 10 in the header"]),
        ("03_quoted_fields.csv", 5, ["row_shape: 4 cells in the row, 10 in the header"]),
        ("03_quoted_fields.csv", 6, ["row_shape: 7 cells in the row, 10 in the header"]),
        ("04_tool_codes.csv", 5, ["not_a_test_response"]),
        ("08_amount_patterns.csv", 5, ["amount_non_negative:software_licences_eur", "parse:hardware_eur"]),
        ("09_percentages.csv", 4, ["pct_in_range:remote_share_now_pct"]),
        (
            "10_municipality_spellings.csv",
            9,
            ["municipality_known: 'Bergen' is ambiguous: GM0373 Bergen (NH.), GM0893 Bergen (L.)"],
        ),
        ("10_municipality_spellings.csv", 10, ["municipality_known: no municipality matches 'Atlantis'"]),
        ("10_municipality_spellings.csv", 11, ["municipality_known: no municipality has code GM9999"]),
        # Appingedam is known (dissolved 2021-01-01), but not a municipality in 2021Q1.
        ("10_municipality_spellings.csv", 13, ["municipality_in_register"]),
        ("10_municipality_spellings.csv", 14, ["municipality_known: municipality is empty"]),
        ("11_periods.csv", 3, ["period_matches_folder"]),
        ("11_periods.csv", 5, ["parse:period"]),
        ("12_test_responses.csv", 2, ["not_a_test_response"]),
        ("12_test_responses.csv", 3, ["not_a_test_response"]),
        (
            "21_extra_columns.csv",
            4,
            ["duplicate_column: municipality appears in columns 2, 5 with different values"],
        ),
    ]


# source file, row, response id, municipality code, submitted at, fte, share now, share expected
RESPONSES = [
    ("01_gemeenten_cp1252.csv", 2, "a01", "GM1900", T(2021, 4, 5, 9, 15), 612.5, 75.0, 40.0),
    ("01_gemeenten_cp1252.csv", 3, "a02", "GM0080", T(2021, 4, 6, 10, 0), 1050.0, 80.0, 50.0),
    ("01_gemeenten_cp1252.csv", 4, "a03", "GM0796", T(2021, 4, 7, 11, 30), 1250.75, 70.0, 45.0),
    ("02_responses_utf8_bom.csv", 2, "b01", "GM0363", T(2021, 4, 8, 14, 3), 15200.5, 85.0, 60.0),
    ("02_responses_utf8_bom.csv", 3, "b02", "GM0193", T(2021, 4, 9, 8, 30), 980.0, 65.5, 45.0),
    ("03_quoted_fields.csv", 2, "c01", "GM0344", T(2021, 4, 10, 9, 0), None, None, None),
    ("03_quoted_fields.csv", 4, "c03", "GM0268", T(2021, 4, 12, 9, 0), None, None, None),
    ("04_tool_codes.csv", 4, "R_3kQx01AbCd", "GM0772", T(2021, 4, 14, 10, 12, 32), 2450.0, 70.0, 40.0),
    ("05_title_rows.xlsx", 5, "17", "GM0599", T(2021, 4, 15, 9, 30), 5120.5, 80.0, 50.0),
    ("05_title_rows.xlsx", 7, "18", "GM0153", T(2021, 4, 15, 12, 0), 812.375, 65.0, 30.0),
    ("06_named_sheet.xlsx", 2, "x01", "GM0392", None, None, None, None),
    ("06_named_sheet.xlsx", 3, "x02", "GM0164", None, None, None, None),
    ("07_export.parquet", 2, "101", "GM0307", T(2021, 4, 17, 8, 0), 612.125, 45.0, None),
    ("07_export.parquet", 3, "102", "GM0856", T(2021, 4, 18, 16, 45), 300.0, 60.0, None),
    ("08_amount_patterns.csv", 2, "d01", "GM0014", None, None, None, None),
    ("08_amount_patterns.csv", 3, "d02", "GM0034", None, None, None, None),
    ("08_amount_patterns.csv", 4, "d03", "GM0758", None, None, None, None),
    ("08_amount_patterns.csv", 6, "d05", "GM0546", None, None, None, None),
    ("09_percentages.csv", 2, "e01", "GM0503", None, 410.0, 45.0, 45.0),
    ("09_percentages.csv", 3, "e02", "GM0513", None, 300.0, 45.0, 45.5),
    # `1` in a file that writes % signs elsewhere is 1%, not 100%.
    ("09_percentages.csv", 5, "e04", "GM0228", None, 500.0, 1.0, 50.0),
    *(
        (
            "10_municipality_spellings.csv",
            row,
            f"f{row - 1:02d}",
            code,
            T(2021, 4, 16, 9, 0),
            None,
            None,
            None,
        )
        for row, code in [
            (2, "GM0150"),  # GM0150
            (3, "GM0402"),  # 0402
            (4, "GM0361"),  # 361
            (5, "GM0362"),  # Gemeente Amstelveen
            (6, "GM0505"),  # DORDRECHT
            (7, "GM0518"),  # den haag
            (8, "GM0820"),  # Nuenen c.a.
            (12, "GM1970"),  # noardeast fryslan
        ]
    ),
    ("11_periods.csv", 4, "g02", "GM0828", None, None, None, None),
    ("11_periods.csv", 6, "g04", "GM0917", None, None, None, None),
    ("11_periods.csv", 7, "g05", "GM0114", None, None, None, None),
    ("12_test_responses.csv", 4, "h03", "GM0995", None, None, None, None),
    ("13_resubmissions_first.csv", 2, "1", "GM0439", T(2021, 4, 2, 9, 0), None, None, None),
    ("13_resubmissions_first.csv", 3, "2", "GM0405", T(2021, 4, 3, 9, 0), None, None, None),
    ("13_resubmissions_first.csv", 4, "3", "GM0606", T(2021, 4, 4, 9, 0), None, None, None),
    ("14_late_batch.csv", 2, "1", "GM0439", T(2021, 4, 20, 9, 0), None, None, None),
    ("14_late_batch.csv", 3, "2", "GM0405", T(2021, 4, 25, 9, 0), None, None, None),
    ("14_late_batch.csv", 4, "3", "GM0622", T(2021, 4, 21, 9, 0), None, None, None),
    ("15_reexport.csv", 2, "1", "GM0439", T(2021, 4, 2, 9, 0), None, None, None),
    ("15_reexport.csv", 3, "2", "GM0405", T(2021, 4, 3, 9, 0), None, None, None),
    ("15_reexport.csv", 4, "3", "GM0606", T(2021, 4, 4, 9, 0), None, None, None),
    ("20_unicode_text.txt", 2, "k01", "GM1940", None, None, None, None),
    ("21_extra_columns.csv", 2, "i01", "GM0637", None, None, None, None),
    ("21_extra_columns.csv", 3, "i02", "GM0537", None, None, None, None),
]

NA, NQ, UNK = "not_answered", "not_applicable", "unknown"


def _ok(*values: str) -> list[tuple[Decimal, str]]:
    return [(D(v), "ok") for v in values]


SPELLING_AMOUNTS = _ok("1000", "500", "250", "100", "0", "200")
ROUND_AMOUNTS = _ok("1000", "1000", "1000", "1000", "0", "1000")
# source file, row → (value, status) per amount column, in AMOUNT_COLUMNS order
AMOUNTS: dict[tuple[str, int], list[tuple[Decimal | None, str]]] = {
    ("01_gemeenten_cp1252.csv", 2): _ok("12500.00", "3250.50", "1000.00", "750.00", "0.00", "4000.00"),
    ("01_gemeenten_cp1252.csv", 3): [
        *_ok("8000", "2500"),
        (None, NQ),
        *_ok("1500"),
        (None, NA),
        *_ok("2000"),
    ],
    ("01_gemeenten_cp1252.csv", 4): [*_ok("20000", "4000", "300"), (None, UNK), (None, UNK), *_ok("5500")],
    ("02_responses_utf8_bom.csv", 2): _ok("250000", "120000.50", "45000.25", "30000", "0", "80000"),
    ("02_responses_utf8_bom.csv", 3): [*_ok("9500.75", "4250", "1200", "800"), (None, NA), *_ok("1500")],
    ("03_quoted_fields.csv", 2): _ok("15000", "6000", "2000", "1000", "0", "3000"),
    ("03_quoted_fields.csv", 4): _ok("4000", "1500", "750", "500", "0", "1250"),
    ("04_tool_codes.csv", 4): _ok("30000", "12000", "5000", "4000", "1000", "6000"),
    # numbers 1234.5, 2500 and 0; text `12.500`, `€ 1.000,00` and `n.v.t.`
    ("05_title_rows.xlsx", 5): [*_ok("1234.50", "12500", "2500", "1000", "0"), (None, NQ)],
    # text `7.500`, `1.250,50` and `-`; numbers 3000, 999.99 and 4321
    ("05_title_rows.xlsx", 7): [*_ok("7500", "3000", "1250.50", "999.99"), (None, NA), *_ok("4321")],
    ("06_named_sheet.xlsx", 2): _ok("5000", "2000", "1000", "500", "0", "1500"),
    ("06_named_sheet.xlsx", 3): _ok("3000", "1000", "500", "250", "0", "750"),
    # a decimal, a float, an integer, Dutch text, an Int32 and a float; 350.125 rounds up
    ("07_export.parquet", 2): _ok("15000", "4200", "2000", "1000", "0", "3000"),
    ("07_export.parquet", 3): [*_ok("2500.50", "350.13"), (None, NA), (None, NQ), *_ok("0", "750.50")],
    ("08_amount_patterns.csv", 2): _ok("12500", "12500", "12500", "12.50", "1234567", "300"),
    ("08_amount_patterns.csv", 3): [(None, NA), (None, NQ), (None, NQ), (None, UNK), (None, UNK), (None, NA)],
    ("08_amount_patterns.csv", 4): [
        (D("15000"), "range"),
        (D("15000"), "range"),
        (D("1500"), "range"),
        *_ok("300", "1500"),
        (None, NA),
    ],
    ("08_amount_patterns.csv", 6): _ok("12.50", "0.50", "1000.50", "0", "0", "0"),
    ("09_percentages.csv", 2): ROUND_AMOUNTS,
    ("09_percentages.csv", 3): ROUND_AMOUNTS,
    ("09_percentages.csv", 5): ROUND_AMOUNTS,
    **{("10_municipality_spellings.csv", row): SPELLING_AMOUNTS for row in (2, 3, 4, 5, 6, 7, 8, 12)},
    # decimal points in a `;` file
    ("11_periods.csv", 4): _ok("1234.50", "99.99", "0.50", "1000", "0", "1000"),
    ("11_periods.csv", 6): ROUND_AMOUNTS,
    ("11_periods.csv", 7): ROUND_AMOUNTS,
    ("12_test_responses.csv", 4): _ok("2000", "1000", "1000", "1000", "0", "1000"),
    ("13_resubmissions_first.csv", 2): _ok("1000", "100", "100", "100", "0", "100"),
    ("13_resubmissions_first.csv", 3): _ok("2000", "200", "200", "200", "0", "200"),
    ("13_resubmissions_first.csv", 4): _ok("3000", "300", "300", "300", "0", "300"),
    ("14_late_batch.csv", 2): _ok("1100", "110", "110", "110", "0", "110"),
    ("14_late_batch.csv", 3): [(None, NA), *_ok("220", "220", "220", "0", "220")],
    ("14_late_batch.csv", 4): _ok("4000", "400", "400", "400", "0", "400"),
    ("15_reexport.csv", 2): _ok("1000", "100", "100", "100", "0", "100"),
    ("15_reexport.csv", 3): _ok("2000", "200", "200", "200", "0", "200"),
    ("15_reexport.csv", 4): _ok("3000", "300", "300", "300", "0", "300"),
    ("20_unicode_text.txt", 2): _ok("1500.25", "800", "400", "200", "0", "600"),
    ("21_extra_columns.csv", 2): _ok("6000", "1000", "1000", "1000", "0", "1000"),
    ("21_extra_columns.csv", 3): _ok("4000", "1000", "1000", "1000", "0", "1000"),
}


def test_loaded_rows_carry_exactly_the_values_the_files_hold(ingested) -> None:
    batch, _ = ingested
    good = batch.rows.good.sort("source_file", "source_row")
    assert (
        good.select(
            "source_file",
            "source_row",
            "response_id",
            "municipality_code",
            "submitted_at",
            "fte",
            "remote_share_now_pct",
            "remote_share_expected_pct",
        ).rows()
        == RESPONSES
    )


def test_loaded_amounts_keep_why_they_are_empty(ingested) -> None:
    batch, _ = ingested
    good = batch.rows.good.sort("source_file", "source_row")
    got = {
        (row["source_file"], row["source_row"]): [(row[c], row[f"{c}_status"]) for c in AMOUNT_COLUMNS]
        for row in good.iter_rows(named=True)
    }
    assert got.keys() == AMOUNTS.keys()
    for key, expected in AMOUNTS.items():
        assert got[key] == expected, key


def test_every_row_of_the_quarter_keeps_its_period_straight(ingested) -> None:
    batch, _ = ingested
    periods = dict(
        batch.rows.good.filter(pl.col("source_file") == "11_periods.csv")
        .select("source_row", "period_quarter")
        .iter_rows()
    )
    assert periods == {4: "2021Q1", 6: "2021Q1", 7: "2021Q1"}


def test_resubmissions_keep_one_current_response_and_the_rest_superseded(ingested) -> None:
    _, core = ingested
    responses = core["core.fct_survey_response"].filter(
        pl.col("municipality_code").is_in(["GM0405", "GM0439", "GM0606", "GM0622"])
    )
    assert responses.select(
        "municipality_code", "response_id", "source_file", "source_row", "is_complete", "is_superseded"
    ).rows() == [
        # Hoorn: the late answer left hardware open; the complete one, re-exported, wins.
        ("GM0405", "2", "13_resubmissions_first.csv", 3, True, True),
        ("GM0405", "2", "15_reexport.csv", 3, True, False),
        ("GM0405", "2", "14_late_batch.csv", 3, False, True),
        # Purmerend: the late batch's complete answer is the latest.
        ("GM0439", "1", "13_resubmissions_first.csv", 2, True, True),
        ("GM0439", "1", "15_reexport.csv", 2, True, True),
        ("GM0439", "1", "14_late_batch.csv", 2, True, False),
        # Schiedam: the same answer twice; the later file's copy counts.
        ("GM0606", "3", "13_resubmissions_first.csv", 4, True, True),
        ("GM0606", "3", "15_reexport.csv", 4, True, False),
        # Vlaardingen, only in the late batch, reuses response number 3.
        ("GM0622", "3", "14_late_batch.csv", 4, True, False),
    ]


def test_costs_count_each_municipality_once(ingested) -> None:
    _, core = ingested
    costs = core["core.fct_survey_cost"]
    current = core["core.fct_survey_response"].filter(~pl.col("is_superseded"))
    assert costs.height == current.height * 6
    assert costs.group_by("municipality_code").len().filter(pl.col("len") != 6).height == 0
    hardware = costs.filter(
        (pl.col("cost_category") == "hardware")
        & pl.col("municipality_code").is_in(["GM0405", "GM0439", "GM0606", "GM0622"])
    )
    assert hardware.select("municipality_code", "amount_eur", "answer_status").rows() == [
        ("GM0405", D("2000.00"), "ok"),
        ("GM0439", D("1100.00"), "ok"),
        ("GM0606", D("3000.00"), "ok"),
        ("GM0622", D("4000.00"), "ok"),
    ]


def test_an_old_code_is_kept_as_reported(ingested) -> None:
    _, core = ingested
    uden = core["core.fct_survey_response"].filter(pl.col("response_id") == "102")
    # Uden merged into Maashorst (GM1991) on 2022-01-01; core keeps what was reported.
    assert uden["municipality_code"].to_list() == ["GM0856"]


def test_landed_rows_hold_canonical_columns_only(ingested) -> None:
    batch, _ = ingested
    allowed = {*SURVEY_COLUMNS, "respondent_is_test"}
    for text in batch.rows.raw["row_values"].to_list():
        values = json.loads(text)
        assert set(values) <= allowed
        assert not [v for v in values.values() if v and ("PII" in v or "@" in v)]


def test_rows_the_reader_could_not_align_land_without_values(ingested) -> None:
    batch, _ = ingested
    shifted = batch.quarantined.filter(pl.col("reasons").list.first().str.starts_with("row_shape"))
    assert shifted.height == 3
    for text in shifted["row_values"].to_list():
        assert set(json.loads(text).values()) == {None}
