"""The order of a quarter's files: a correction comes after the file it corrects."""

from __future__ import annotations

import pytest

from transforms.file_order import correction_order, revision


@pytest.mark.parametrize(
    "correction",
    [
        "iv3_2021Q1-v2.csv",
        "iv3_2021Q1_v2.csv",
        "iv3_2021Q1 (2).csv",
        "iv3_2021Q1 correctie.csv",
        "iv3_2021Q1_herzien.csv",
        "IV3_2021Q1 Herziening.xlsx",
        "iv3_2021Q1-corrected.csv",
    ],
)
def test_a_correction_sorts_after_the_file_it_corrects(correction: str) -> None:
    assert correction_order([correction, "iv3_2021Q1.csv"]) == ["iv3_2021Q1.csv", correction]
    assert correction_order(["iv3_2021Q1.csv", correction]) == ["iv3_2021Q1.csv", correction]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("iv3_2021Q1.csv", 0),
        ("iv3_2021Q1-v2.csv", 2),
        ("iv3_2021Q1_v10.csv", 10),
        ("iv3_2021Q1 (3).csv", 3),
        ("iv3_2021Q1 correctie.csv", 1),
        ("iv3_2021Q1 correctie 2.csv", 2),
        # A year in brackets or a word that merely contains a marker is not a revision.
        ("begroting (2021).csv", 0),
        ("privacy_overview.csv", 0),
        ("herzienbaar.csv", 0),
    ],
)
def test_revision_is_read_from_the_name(name: str, expected: int) -> None:
    assert revision(name) == expected


def test_versions_order_by_number_and_unmarked_files_by_natural_name() -> None:
    names = ["iv3_v10.csv", "deel10.csv", "iv3_v2.csv", "deel2.csv", "iv3 (2).csv", "iv3 correctie.csv"]
    assert correction_order(names) == [
        "deel2.csv",
        "deel10.csv",
        "iv3 correctie.csv",
        "iv3 (2).csv",
        "iv3_v2.csv",
        "iv3_v10.csv",
    ]
