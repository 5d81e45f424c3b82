"""Synthetic landing files: deterministic, laid out per quarter, realistic in size and shape."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from costtrends.generate import SCALES, GenerateSummary, default_seeds_dir, generate
from transforms.quarter import Quarter

ROOT = Path(__file__).resolve().parents[2]
SURVEY_ALIASES = ROOT / "transforms" / "mappings" / "survey_columns.csv"
BUDGET_ALIASES = ROOT / "transforms" / "mappings" / "budget_columns.csv"
Q1, Q2 = Quarter(2020, 1), Quarter(2020, 2)
DIGITAL = ("hardware_eur", "software_licences_eur", "ict_support_eur", "security_eur", "other_eur")
AMOUNTS = (*DIGITAL, "office_savings_eur")


def _aliases(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return {row["alias"].strip().lower(): row["canonical"] for row in csv.DictReader(fh)}


def _register() -> list[dict[str, str]]:
    with (default_seeds_dir() / "municipalities.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _existing(q: Quarter) -> list[dict[str, str]]:
    """Municipalities in the register that exist at some point in the quarter."""
    return [
        m
        for m in _register()
        if (not m["valid_from"] or m["valid_from"] <= q.end.isoformat())
        and (not m["valid_to"] or m["valid_to"] >= q.start.isoformat())
    ]


def _population(m: dict[str, str], year: int) -> int:
    years = {int(k[-4:]): int(v) for k, v in m.items() if k.startswith("population_") and v}
    return years[min(years, key=lambda y: (abs(y - year), y))]


def _decode(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252")


def _read_survey_csv(path: Path) -> tuple[pl.DataFrame, bool]:
    """All columns as text under canonical names; also whether the file uses a decimal comma."""
    text = _decode(path.read_bytes())
    header = text.splitlines()[0]
    separator = ";" if header.count(";") > header.count(",") else ","
    frame = pl.read_csv(io.StringIO(text), separator=separator, infer_schema=False)
    aliases = _aliases(SURVEY_ALIASES)
    return frame.rename({c: aliases[c.strip().lower()] for c in frame.columns}), separator == ";"


def _read_survey(folder: Path) -> pl.DataFrame:
    """Every survey file of a quarter, amounts parsed to euros, municipality to its code."""
    frames = []
    for path in sorted(folder.glob("survey_*.csv")):
        frame, decimal_comma = _read_survey_csv(path)
        amounts = []
        for col in AMOUNTS:
            text = pl.col(col).str.replace_all(r"[€\s]", "")
            if decimal_comma:
                text = text.str.replace_all(r"\.", "").str.replace(",", ".")
            amounts.append(text.cast(pl.Float64, strict=False).alias(col))
        frames.append(frame.with_columns(amounts))
    survey = pl.concat(frames, how="diagonal")
    lookup: dict[str, str] = {}
    for m in _register():
        for key in (m["name"], f"gemeente {m['name']}", m["code"], m["code"][2:]):
            lookup[key.lower()] = m["code"]
    return survey.with_columns(
        pl.col("municipality").str.to_lowercase().replace_strict(lookup, default=None).alias("code")
    )


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerateSummary]:
    landing = tmp_path_factory.mktemp("landing")
    return landing, generate(landing, Q1, Q2, seed=42, scale="tiny")


def test_same_seed_gives_byte_identical_files(tiny, tmp_path: Path) -> None:
    landing, _ = tiny
    generate(tmp_path, Q1, Q2, seed=42, scale="tiny")
    assert _files(tmp_path) == _files(landing)


def test_different_seed_gives_different_files(tiny, tmp_path: Path) -> None:
    landing, _ = tiny
    generate(tmp_path, Q1, Q2, seed=7, scale="tiny")
    first, other = _files(landing), _files(tmp_path)
    for name in ("survey/2020Q1/survey_2020Q1.csv", "budget/2020Q1/iv3_2020Q1.csv"):
        assert first[name] != other[name]


def test_quarter_files_do_not_depend_on_the_range_generated(tiny, tmp_path: Path) -> None:
    landing, _ = tiny
    generate(tmp_path, Q2, Q2, seed=42, scale="tiny")
    generated_with_q1 = {k: v for k, v in _files(landing).items() if "2020Q2" in k}
    assert _files(tmp_path) == generated_with_q1


def test_files_land_in_one_folder_per_source_and_quarter(tiny) -> None:
    landing, summary = tiny
    on_disk = sorted(str(p.relative_to(landing)) for p in landing.rglob("*") if p.is_file())
    assert sorted(str(p.relative_to(landing)) for p in summary.files) == on_disk
    for q in (Q1, Q2):
        assert (landing / "survey" / str(q) / f"survey_{q}.csv").is_file()
        assert (landing / "budget" / str(q) / f"iv3_{q}.csv").is_file()
    allowed = {"survey_2020Q1.csv", "survey_2020Q2.csv", "survey_2020Q1_late.csv"}
    allowed |= {"survey_2020Q2_late.csv", "iv3_2020Q1.csv", "iv3_2020Q2.csv"}
    # Iv3 JSON deliveries: begroting and realisatie in Q1, realisatie year to date in Q2.
    deliveries = re.compile(r"budget/2020Q1/iv3_\d{4}_2020_P[01]\.json|budget/2020Q2/iv3_\d{4}_2020_P2\.json")
    assert {Path(name).name for name in on_disk if not deliveries.fullmatch(name)} <= allowed
    assert any(deliveries.fullmatch(name) for name in on_disk)
    assert not list(landing.rglob(".*.tmp"))


def test_tiny_scale_row_counts_follow_the_register(tiny) -> None:
    landing, summary = tiny
    n_q1, n_q2 = len(_existing(Q1)), len(_existing(Q2))
    assert n_q1 == n_q2 == 355  # no municipality starts or ends in 2020
    # Respondents (half of them) plus an unknown municipality, a test and a resubmission.
    assert summary.survey_rows == (round(n_q1 / 2) + 3) + (round(n_q2 / 2) + 3)
    # Five lines per kind, two kinds, plus an unknown taakveld and an unknown categorie.
    lines = SCALES["tiny"].budget_lines_per_kind
    assert summary.budget_rows == (n_q1 * lines * 2 + 2) + (n_q2 * lines * 2 + 2)
    for q, n in ((Q1, n_q1), (Q2, n_q2)):
        budget = pl.read_csv(landing / "budget" / str(q) / f"iv3_{q}.csv", separator=";", infer_schema=False)
        # Every eighth municipality by CBS number delivers its lines as Iv3 JSON instead.
        in_json = sum(1 for m in _existing(q) if int(m["code"][2:]) % 8 == 0)
        assert budget.height == (n - in_json) * lines * 2 + 2
        assert len(_read_survey(landing / "survey" / str(q))) == round(n / 2) + 3


def test_about_half_of_the_municipalities_respond(tiny) -> None:
    landing, _ = tiny
    survey = _read_survey(landing / "survey" / "2020Q1")
    real = survey.filter(pl.col("code").is_not_null() & (pl.col("respondent_name") != "test"))
    n = len(_existing(Q1))
    assert real["code"].n_unique() == round(n / 2)


def test_each_quarter_has_recognisable_bad_rows(tiny) -> None:
    landing, _ = tiny
    survey = _read_survey(landing / "survey" / "2020Q1")
    assert survey.filter(pl.col("code").is_null()).height == 1  # unknown municipality
    assert survey.filter(pl.col("respondent_name") == "test").height == 1
    assert survey.filter(pl.col("hardware_eur") < 0).height == 1
    assert survey.filter(pl.col("remote_share_now_pct") == "150%").height == 1
    assert sum(Quarter.parse(p) != Q1 for p in survey["period"]) == 1
    twice = survey.filter(pl.col("code").is_duplicated()).sort("response_id")
    assert twice["code"].n_unique() == 1 and twice.height == 2
    earlier, later = twice.row(0, named=True), twice.row(1, named=True)
    assert any(earlier[c] is None for c in AMOUNTS)
    assert all(later[c] is not None for c in AMOUNTS)
    budget = pl.read_csv(landing / "budget/2020Q1/iv3_2020Q1.csv", separator=";", infer_schema=False)
    assert budget.filter(pl.col("taakveld") == "9.99").height == 1
    assert budget.filter(pl.col("categorie") == "9.9").height == 1


@pytest.mark.parametrize("q", [Q1, Q2])
def test_national_digital_total_scales_to_three_and_a_half_to_five_and_a_half_million(
    tiny, q: Quarter
) -> None:
    landing, _ = tiny
    survey = (
        _read_survey(landing / "survey" / str(q))
        .filter(pl.col("code").is_not_null() & (pl.col("respondent_name") != "test"))
        .unique("code", keep="last", maintain_order=True)  # resubmissions: the later one
    )
    population = {m["code"]: _population(m, q.year) for m in _existing(q)}
    # Unanswered and negative cells count as nothing.
    digital = sum(survey[col].fill_null(0).clip(lower_bound=0).sum() for col in DIGITAL)
    covered = sum(population[code] for code in survey["code"])
    national = digital * sum(population.values()) / covered
    assert 3_500_000 <= national <= 5_500_000


def test_cp1252_wave_keeps_frisian_names(tmp_path: Path) -> None:
    generate(tmp_path, Q1, Q1, scale="tiny", response_rate=1.0)
    raw = (tmp_path / "survey" / "2020Q1" / "survey_2020Q1.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp1252")
    assert "súdwest-fryslân" in text.lower()
    assert "€ " in text


def test_headers_are_known_aliases_in_every_wave(tiny, tmp_path: Path) -> None:
    landing, _ = tiny
    generate(tmp_path, Quarter(2020, 3), Quarter(2020, 4), scale="tiny", response_rate=0.2)
    survey_aliases, budget_aliases = _aliases(SURVEY_ALIASES), _aliases(BUDGET_ALIASES)
    header_sets = set()
    for root in (landing, tmp_path):
        for path in root.glob("survey/*/survey_*.csv"):
            header = tuple(c.strip().lower() for c in _read_survey_csv(path)[0].columns)
            header_sets.add(header)
            assert set(header) <= set(survey_aliases.values())
        for path in root.glob("budget/*/iv3_*.csv"):
            header = _decode(path.read_bytes()).splitlines()[0].split(";")
            assert {c.strip().lower() for c in header} <= budget_aliases.keys()
    assert len(header_sets) == 3  # three wordings and column orders, all mapped


def test_one_wave_in_four_is_a_spreadsheet_with_a_title_row(tmp_path: Path) -> None:
    q = Quarter(2020, 4)
    generate(tmp_path / "a", q, q, scale="tiny", response_rate=0.1)
    generate(tmp_path / "b", q, q, scale="tiny", response_rate=0.1)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    sheet = openpyxl.load_workbook(tmp_path / "a" / "survey" / str(q) / f"survey_{q}.xlsx").active
    title, header = list(sheet.iter_rows(min_row=1, max_row=2, values_only=True))
    assert title[0] and all(cell is None for cell in title[1:])
    aliases = _aliases(SURVEY_ALIASES)
    assert {aliases[c.strip().lower()] for c in header} >= {"municipality", *AMOUNTS}

    generate(tmp_path / "c", q, q, scale="tiny", response_rate=0.1, xlsx=False)
    assert {p.suffix for p in (tmp_path / "c" / "survey").rglob("*.*")} == {".csv"}


def test_iv3_json_deliveries_follow_cbs_schema_codes_and_grey_cells_of_their_year(tiny) -> None:
    from ingest.budget_readers import read_iv3_delivery
    from transforms import iv3

    landing, _ = tiny
    paths = sorted((landing / "budget").rglob("*.json"))
    assert paths
    for path in paths:
        delivery, lines = read_iv3_delivery(path)  # schema-checked, else FileRejected
        assert delivery.quarter == Quarter.parse(path.parent.name)
        assert path.name == f"iv3_{delivery.overheidsnummer}_{delivery.boekjaar}_P{delivery.periode}.json"
        codes = iv3.year_codes(delivery.boekjaar)
        for side, taakveld, categorie, _, _ in lines.iter_rows():
            assert taakveld in codes.taakvelden
            assert categorie in (codes.lasten if side == "lasten" else codes.baten)
            grey = codes.grey_lasten if side == "lasten" else codes.grey_baten
            assert iv3.cell_key(taakveld, categorie) not in grey
        assert "contact" in json.loads(path.read_text(encoding="utf-8"))
    # A municipality delivers either JSON or CSV rows in a quarter, never both (else one restates the other).
    for folder in sorted((landing / "budget").iterdir()):
        rows = pl.read_csv(folder / f"iv3_{folder.name}.csv", separator=";", infer_schema=False)
        # The alternate header writes the number without GM.
        column = "gemeentecode" if "gemeentecode" in rows.columns else "gemeente"
        csv_codes = {code if code.startswith("GM") else f"GM{code}" for code in rows[column]}
        json_codes = {f"GM{p.name.split('_')[1]}" for p in folder.glob("*.json")}
        assert json_codes and not csv_codes & json_codes
