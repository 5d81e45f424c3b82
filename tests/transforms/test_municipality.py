from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from transforms.municipality import load_aliases, match_municipalities, normalise_name

SEEDS = Path(__file__).resolve().parents[2] / "warehouse" / "seeds"

REGISTER = pl.DataFrame(
    {
        "code": [
            "GM0014",
            "GM0363",
            "GM0373",
            "GM0518",
            "GM0788",
            "GM0796",
            "GM0893",
            "GM1900",
            "GM0344",
        ],
        "name": [
            "Groningen",
            "Amsterdam",
            "Bergen (NH.)",
            "'s-Gravenhage",
            "Haaren",
            "'s-Hertogenbosch",
            "Bergen (L.)",
            "Súdwest-Fryslân",
            "Utrecht",
        ],
        "province": [
            "Groningen",
            "Noord-Holland",
            "Noord-Holland",
            "Zuid-Holland",
            "Noord-Brabant",
            "Noord-Brabant",
            "Limburg",
            "Fryslân",
            "Utrecht",
        ],
    }
)
MERGERS = pl.DataFrame(
    {
        "old_code": ["GM0005", "GM0009", "GM0788", "GM0788"],
        "old_name": ["Bedum", "Ten Boer", "Haaren", "Haaren"],
        "new_code": ["GM1966", "GM0014", "GM0757", "GM0824"],
        "new_name": ["Het Hogeland", "Groningen", "Boxtel", "Oisterwijk"],
        "effective_date": ["2019-01-01", "2019-01-01", "2021-01-01", "2021-01-01"],
    }
)
ALIASES = pl.DataFrame(
    {"alias": ["Den Bosch", "Den Haag", "The Hague"], "code": ["GM0796", "GM0518", "GM0518"]}
)


def match(values: list[str | None], **kwargs: object) -> pl.DataFrame:
    raw = pl.DataFrame({"municipality": values}, schema={"municipality": pl.String})
    options = {"aliases": ALIASES, **kwargs}
    return match_municipalities(raw, REGISTER, MERGERS, **options)  # type: ignore[arg-type]


def matched(value: str | None, code: str | None, issue: str | None) -> pl.DataFrame:
    return pl.DataFrame(
        {"municipality": [value], "municipality_code": [code], "municipality_issue": [issue]},
        schema={
            "municipality": pl.String,
            "municipality_code": pl.String,
            "municipality_issue": pl.String,
        },
    )


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("GM0363", "GM0363"),
        ("gm0363", "GM0363"),
        ("GM 0363", "GM0363"),
        ("0363", "GM0363"),
        ("363", "GM0363"),
        (" 363 ", "GM0363"),
        ("363.0", "GM0363"),
        ("GM0005", "GM0005"),
        ("5", "GM0005"),
    ],
)
def test_code_in_any_spelling_matches_register_or_dissolved_code(value: str, code: str) -> None:
    assert_frame_equal(match([value]), matched(value, code, None))


def test_unknown_code_is_an_issue() -> None:
    expected = matched("GM9999", None, "no municipality has code GM9999")
    assert_frame_equal(match(["GM9999"]), expected)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("Amsterdam", "GM0363"),
        ("AMSTERDAM", "GM0363"),
        ("  amsterdam ", "GM0363"),
        ("Gemeente Amsterdam", "GM0363"),
        ("gemeente amsterdam", "GM0363"),
        ("Utrecht (gemeente)", "GM0344"),
        ("Súdwest-Fryslân", "GM1900"),
        ("sudwest-fryslan", "GM1900"),
        ("Sudwest Fryslan", "GM1900"),
        ("'s-Hertogenbosch", "GM0796"),
        ("s-Hertogenbosch", "GM0796"),
        ("'s Hertogenbosch", "GM0796"),
        ("’s-Hertogenbosch", "GM0796"),
        ("Gemeente 's-Gravenhage", "GM0518"),
        ("Bergen (NH.)", "GM0373"),
        ("Bergen (L.)", "GM0893"),
        ("Bergen NH", "GM0373"),
        ("Bedum", "GM0005"),
        ("Ten Boer", "GM0009"),
        ("Haaren", "GM0788"),
    ],
)
def test_name_matches_after_normalisation(value: str, code: str) -> None:
    assert_frame_equal(match([value]), matched(value, code, None))


@pytest.mark.parametrize(
    ("value", "code"),
    [("Den Bosch", "GM0796"), ("den haag", "GM0518"), ("Gemeente Den Haag", "GM0518")],
)
def test_alias_matches_its_code(value: str, code: str) -> None:
    assert_frame_equal(match([value]), matched(value, code, None))


def test_bare_bergen_is_ambiguous_and_lists_candidates_by_code() -> None:
    issue = "'Bergen' is ambiguous: GM0373 Bergen (NH.), GM0893 Bergen (L.)"
    assert_frame_equal(match(["Bergen"]), matched("Bergen", None, issue))


def test_name_without_its_qualifier_matches_when_only_one_municipality_has_it() -> None:
    register = pl.DataFrame({"code": ["GM0164"], "name": ["Hengelo (O.)"]})
    raw = pl.DataFrame({"municipality": ["Hengelo", "Hengelo (O.)", "Hengelo (Gld.)"]})
    expected = raw.with_columns(
        municipality_code=pl.Series(["GM0164", "GM0164", None], dtype=pl.String),
        municipality_issue=pl.Series(
            [None, None, "no municipality matches 'Hengelo (Gld.)'"], dtype=pl.String
        ),
    )
    result = match_municipalities(raw, register, MERGERS.head(0), aliases=ALIASES.head(0))
    assert_frame_equal(result, expected)


def test_name_of_a_current_and_a_different_dissolved_municipality_is_ambiguous() -> None:
    mergers = MERGERS.vstack(
        pl.DataFrame(
            {
                "old_code": ["GM0999"],
                "old_name": ["Amsterdam"],
                "new_code": ["GM0363"],
                "new_name": ["Amsterdam"],
                "effective_date": ["2019-01-01"],
            }
        )
    )
    raw = pl.DataFrame({"municipality": ["Amsterdam"]})
    issue = "'Amsterdam' is ambiguous: GM0363 Amsterdam, GM0999 Amsterdam"
    result = match_municipalities(raw, REGISTER, mergers, aliases=ALIASES)
    assert_frame_equal(result, matched("Amsterdam", None, issue))


def test_name_matching_no_municipality_is_an_issue() -> None:
    expected = matched("Xyzdorp", None, "no municipality matches 'Xyzdorp'")
    assert_frame_equal(match(["Xyzdorp"]), expected)


@pytest.mark.parametrize("value", [None, "", "   ", "\u00a0"])
def test_empty_municipality_is_an_issue(value: str | None) -> None:
    assert_frame_equal(match([value]), matched(value, None, "municipality is empty"))


def test_alias_to_a_code_outside_the_register_is_an_issue() -> None:
    aliases = pl.DataFrame({"alias": ["Mokum"], "code": ["GM9999"]})
    expected = matched("Mokum", None, "'Mokum' is an alias of GM9999, not in the register")
    assert_frame_equal(match(["Mokum"], aliases=aliases), expected)


def test_exact_name_wins_over_an_alias() -> None:
    aliases = pl.DataFrame({"alias": ["Amsterdam"], "code": ["GM0518"]})
    assert_frame_equal(match(["Amsterdam"], aliases=aliases), matched("Amsterdam", "GM0363", None))


def test_match_keeps_rows_order_and_other_columns() -> None:
    raw = pl.DataFrame(
        {
            "response_id": [3, 1, 2, 4, 5],
            "gemeente": ["Den Haag", "Bergen", None, "Den Haag", "363"],
        }
    )
    expected = raw.with_columns(
        municipality_code=pl.Series(["GM0518", None, None, "GM0518", "GM0363"], dtype=pl.String),
        municipality_issue=pl.Series(
            [
                None,
                "'Bergen' is ambiguous: GM0373 Bergen (NH.), GM0893 Bergen (L.)",
                "municipality is empty",
                None,
                None,
            ],
            dtype=pl.String,
        ),
    )
    result = match_municipalities(raw, REGISTER, MERGERS, aliases=ALIASES, column="gemeente")
    assert_frame_equal(result, expected)


def test_numeric_code_column_matches() -> None:
    raw = pl.DataFrame({"municipality": [363, None]})
    expected = raw.with_columns(
        municipality_code=pl.Series(["GM0363", None], dtype=pl.String),
        municipality_issue=pl.Series([None, "municipality is empty"], dtype=pl.String),
    )
    assert_frame_equal(match_municipalities(raw, REGISTER, MERGERS, aliases=ALIASES), expected)


def test_empty_frame_gets_the_two_columns() -> None:
    assert_frame_equal(match([]), matched(None, None, None).head(0))


def test_missing_column_raises() -> None:
    with pytest.raises(ValueError, match="column 'gemeente' not in frame"):
        match_municipalities(
            pl.DataFrame({"municipality": ["Amsterdam"]}), REGISTER, MERGERS, column="gemeente"
        )


@pytest.mark.parametrize(
    ("name", "normalised"),
    [
        ("Súdwest-Fryslân", "sudwest fryslan"),
        ("'s-Hertogenbosch", "s hertogenbosch"),
        ("’s Hertogenbosch", "s hertogenbosch"),
        ("Gemeente  Utrecht", "utrecht"),
        ("Utrecht (gemeente)", "utrecht"),
        ("Bergen (NH.)", "bergen nh"),
        ("Nuenen, Gerwen en Nederwetten", "nuenen gerwen en nederwetten"),
    ],
)
def test_normalise_name_folds_case_accents_and_punctuation(name: str, normalised: str) -> None:
    assert normalise_name(name) == normalised


# --- the packaged aliases against the real register ---------------------------------------


@pytest.fixture(scope="module")
def seeds() -> tuple[pl.DataFrame, pl.DataFrame]:
    register = pl.read_csv(SEEDS / "municipalities.csv", infer_schema=False)
    mergers = pl.read_csv(SEEDS / "mergers.csv", infer_schema=False)
    return register, mergers


def test_every_alias_points_to_a_known_code(seeds: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    register, mergers = seeds
    known = set(register["code"]) | set(mergers["old_code"])
    aliases = load_aliases()
    assert aliases.columns == ["alias", "code"]
    assert set(aliases["code"]) - known == set()


def test_no_two_aliases_normalise_to_the_same_name() -> None:
    normalised = [normalise_name(alias) for alias in load_aliases()["alias"]]
    assert len(normalised) == len(set(normalised))


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("Den Bosch", "GM0796"),
        ("Den Haag", "GM0518"),
        ("The Hague", "GM0518"),
        ("Súdwest Fryslân", "GM1900"),
        ("Nuenen", "GM0820"),
        ("Bergen NH", "GM0373"),
        ("Bergen L", "GM0893"),
        ("Hengelo", "GM0164"),
        ("Hengelo (O.)", "GM0164"),
        ("Rijswijk", "GM0603"),
        ("Rijswijk (ZH.)", "GM0603"),
        ("Laren", "GM0417"),
        ("Middelburg", "GM0687"),
        ("Beek", "GM0888"),
        ("Stein", "GM0971"),
        ("Utrecht (gemeente)", "GM0344"),
        ("Bedum", "GM0005"),
        ("Winsum", "GM0053"),
    ],
)
def test_packaged_aliases_match_the_real_register(
    seeds: tuple[pl.DataFrame, pl.DataFrame], value: str, code: str
) -> None:
    register, mergers = seeds
    raw = pl.DataFrame({"municipality": [value]})
    result = match_municipalities(raw, register, mergers)
    assert_frame_equal(result, matched(value, code, None))


def test_bare_bergen_is_ambiguous_in_the_real_register(
    seeds: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    register, mergers = seeds
    result = match_municipalities(pl.DataFrame({"municipality": ["Bergen"]}), register, mergers)
    issue = "'Bergen' is ambiguous: GM0373 Bergen (NH.), GM0893 Bergen (L.)"
    assert_frame_equal(result, matched("Bergen", None, issue))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(), st.sampled_from(["363", "Bergen", "Den Haag"]))))
def test_match_keeps_row_count_and_order_for_any_text(values: list[str | None]) -> None:
    raw = pl.DataFrame(
        {"row": list(range(len(values))), "municipality": values},
        schema={"row": pl.Int64, "municipality": pl.String},
    )
    result = match_municipalities(raw, REGISTER, MERGERS, aliases=ALIASES)
    assert_frame_equal(result.select("row", "municipality"), raw)
    assert result.schema["municipality_code"] == pl.String
    assert result.schema["municipality_issue"] == pl.String
    has_code = result["municipality_code"].is_not_null()
    assert (has_code ^ result["municipality_issue"].is_not_null()).all()
