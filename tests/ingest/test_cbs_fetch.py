"""`costtrends fetch` against a local replay of CBS's OData services (tests/cbs_replay.py).

No network: the replay server binds 127.0.0.1 and serves tests/data/cbs/. Expected
file contents are worked out by hand from the figures in tests/data/cbs/make_replay.py
(amounts in thousands of euros; quarterly figures are year to date there, and each
landed quarter holds what that quarter added).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote_plus

import pytest
from typer.testing import CliRunner

from costtrends import cli
from ingest.cbs_odata import CbsError, CbsUnreachable, ODataClient
from tests.cbs_replay import DATA, ReplayServer

HEADER = "municipality;period;taakveld;categorie;kind;lasten;baten;unit\n"
BEGROTING_2021 = HEADER + (
    "GM0014;2021Q1;0.4;1.1;begroting;2500;;x1000\n"
    "GM0014;2021Q1;0.4;3.2;begroting;120,5;;x1000\n"
    "GM0014;2021Q1;0.4;3.8;begroting;1,234;10;x1000\n"
    "GM0014;2021Q1;1.1;3.8;begroting;300;;x1000\n"
    "GM0363;2021Q1;0.3;3.6;begroting;;45,75;x1000\n"
    "GM0363;2021Q1;0.3;3.8;begroting;60;;x1000\n"
    "GM0363;2021Q1;0.4;3.2;begroting;900;;x1000\n"
    "GM1979;2021Q1;0.4;3.2;begroting;15;;x1000\n"
    "GM1979;2021Q1;0.4;3.8;begroting;0,1;;x1000\n"
)
# 2e kwartaal minus 1e kwartaal, per municipality and cell: GM0014 0.4×3.2 61 - 30.25,
# 0.4×3.8 0.5 - 0.5, 0.4×1.1 1250 - 610, 1.1×3.8 gone (-70); GM0363 0.4×3.2 450 - 200,
# baten 0.3×3.6 gone (-(-3.25)); GM1979 0.4×3.8 9.5 - 4.
KWARTAAL2_2021 = HEADER + (
    "GM0014;2021Q2;0.4;1.1;realisatie;640;;x1000\n"
    "GM0014;2021Q2;0.4;3.2;realisatie;30,75;;x1000\n"
    "GM0014;2021Q2;0.4;3.8;realisatie;0;;x1000\n"
    "GM0014;2021Q2;1.1;3.8;realisatie;-70;;x1000\n"
    "GM0363;2021Q2;0.3;3.6;realisatie;;3,25;x1000\n"
    "GM0363;2021Q2;0.4;3.2;realisatie;250;;x1000\n"
    "GM1979;2021Q2;0.4;3.8;realisatie;5,5;;x1000\n"
)
# Jaarrekening 2020 (in the 2021 table, key 2020X000) minus 3e kwartaal 2020 (2020 table),
# whose second placement CBS has made: GM0003 31 - 20, GM0014 125.5 - 92 (its first was 90).
JAARREKENING_2020 = HEADER + (
    "GM0003;2020Q4;0.4;3.2;realisatie;11;;x1000\nGM0014;2020Q4;0.4;3.2;realisatie;33,5;;x1000\n"
)
FILES = {
    "budget/2020Q4/cbs_iv3_2020_p5_jaarrekening.csv",
    "budget/2021Q1/cbs_iv3_2021_p0_begroting.csv",
    "budget/2021Q1/cbs_iv3_2021_p1_kwartaal1.csv",
    "budget/2021Q2/cbs_iv3_2021_p2_kwartaal2.csv",
}


@pytest.fixture
def dataderden(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ReplayServer]:
    with ReplayServer(DATA / "dataderden") as server:
        monkeypatch.setenv("COSTTRENDS_CBS_DATADERDEN_URL", server.url)
        monkeypatch.setenv("COSTTRENDS_CBS_BACKOFF_SECONDS", "0")
        monkeypatch.setenv("COSTTRENDS_CBS_RETRIES", "2")
        monkeypatch.setenv("COSTTRENDS_CBS_TIMEOUT_SECONDS", "5")
        yield server


def _fetch(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli.app, ["fetch", *args], terminal_width=250)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def _landed(home: Path) -> dict[str, str]:
    root = home / "landing"
    return {str(p.relative_to(root)): p.read_text("utf-8") for p in sorted(root.rglob("*")) if p.is_file()}


def test_fetch_iv3_lands_one_file_per_verslagsoort_read_from_its_title(
    home: Path, dataderden: ReplayServer
) -> None:
    code, output = _fetch("iv3", "--year", "2021")

    assert code == 0, output
    landed = _landed(home)
    assert set(landed) == FILES
    assert landed["budget/2021Q1/cbs_iv3_2021_p0_begroting.csv"] == BEGROTING_2021
    assert landed["budget/2021Q2/cbs_iv3_2021_p2_kwartaal2.csv"] == KWARTAAL2_2021
    assert landed["budget/2020Q4/cbs_iv3_2020_p5_jaarrekening.csv"] == JAARREKENING_2020
    assert "table 45054NED" in output
    assert "not landed: verslagsoort 2022X900 'Meerjarenraming 2022' names no period" in output
    # 27 rows in the 2021 table: 2 without an amount, 1 a balance post.
    assert "27 rows read" in output and "2 without an amount" in output and "1 balance rows" in output
    # No verslagsoort of the 2021 table has a second placement yet: the first lands.
    assert output.count("k_1ePlaatsing_1)") == 4


def test_paging_follows_next_links_of_the_catalogue_and_the_data(dataderden: ReplayServer) -> None:
    client = ODataClient(dataderden.url, retries=0)

    assert [t["Identifier"] for t in client.catalogue()] == [
        "45055NED",
        "45054NED",
        "45056NED",
        "45050NED",
        "45051NED",
    ]
    records = client.get_all(
        "ODataFeed/odata/45054NED/TypedDataSet",
        {
            "$filter": "Verslagsoort eq '2021X000'",
            "$select": "Gemeenten,TaakveldBalanspost,Categorie,Verslagsoort,k_1ePlaatsing_1,k_2ePlaatsing_2",
        },
    )
    # 13 rows in pages of 5: three requests, the last two through odata.nextLink.
    assert len(records) == 13
    assert client.requests_made == 2 + 3
    assert sum("$skiptoken" in r for r in dataderden.requests) == 3


def test_a_500_and_a_timeout_are_retried_and_land_the_same_files(
    home: Path, dataderden: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataderden.fail("/TypedDataSet", status=500, times=2, query_contains="skiptoken=5")
    dataderden.stall("/45054NED/Verslagsoort", seconds=2.0)
    monkeypatch.setenv("COSTTRENDS_CBS_TIMEOUT_SECONDS", "0.5")

    code, output = _fetch("iv3", "--year", "2021")

    assert code == 0, output
    assert _landed(home)["budget/2021Q1/cbs_iv3_2021_p0_begroting.csv"] == BEGROTING_2021
    assert set(_landed(home)) == FILES
    asked = [r for r in dataderden.requests if "/45054NED/Verslagsoort" in r]
    assert len(asked) == 2  # timed out once, answered the second time
    retried = [r for r in dataderden.requests if "skiptoken=5" in r and "2021X000" in r]
    assert len(retried) == 3  # two 500s, then the page


def test_a_server_that_keeps_failing_exits_1_with_one_line_and_lands_nothing(
    home: Path, dataderden: ReplayServer
) -> None:
    dataderden.fail("/TypedDataSet", status=503, times=None)

    code, output = _fetch("iv3", "--year", "2021")

    assert code == 1
    assert output.strip().count("\n") == 0, output
    assert output.startswith("failed: CBS at 127.0.0.1:") and "answered HTTP 503 after retries" in output
    assert not (home / "landing").exists()


def test_an_unreachable_cbs_exits_1_with_one_line(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("COSTTRENDS_CBS_DATADERDEN_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("COSTTRENDS_CBS_STATLINE_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("COSTTRENDS_CBS_BACKOFF_SECONDS", "0")
    monkeypatch.setenv("COSTTRENDS_CBS_RETRIES", "1")

    for command in (["iv3", "--year", "2021"], ["population", "--year", "2025"]):
        code, output = _fetch(*command)
        assert code == 1
        assert output == f"failed: CBS at 127.0.0.1:{port} cannot be reached: connection refused, 2 tries\n"


def test_a_timeout_on_every_try_is_unreachable(dataderden: ReplayServer) -> None:
    dataderden.stall("/ODataCatalog/Tables", seconds=1.0, times=None)
    client = ODataClient(dataderden.url, timeout=0.2, retries=1, backoff=0)

    with pytest.raises(CbsUnreachable, match=r"no answer within 0.2 s, 2 tries"):
        client.catalogue()


def test_an_interrupted_fetch_leaves_no_partial_file_and_the_previous_file_intact(
    home: Path, dataderden: ReplayServer
) -> None:
    assert _fetch("iv3", "--year", "2021")[0] == 0
    before = _landed(home)
    # CBS now fails for good on the third page of the begroting, after two pages arrived.
    dataderden.fail("/TypedDataSet", status=500, times=None, query_contains="skiptoken=10")
    begroting = home / "landing" / "budget" / "2021Q1" / "cbs_iv3_2021_p0_begroting.csv"
    begroting.unlink()

    code, output = _fetch("iv3", "--year", "2021")

    assert code == 1, output
    after = _landed(home)
    assert "budget/2021Q1/cbs_iv3_2021_p0_begroting.csv" not in after  # nothing half-written
    assert after == {k: v for k, v in before.items() if k != "budget/2021Q1/cbs_iv3_2021_p0_begroting.csv"}
    assert not [p for p in (home / "landing").rglob("*") if p.name.startswith(".")]


def test_a_write_killed_before_its_rename_leaves_the_previous_file(
    home: Path, dataderden: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingest import fetch, files

    path = home / "landing" / "budget" / "2021Q1" / "cbs_iv3_2021_p0_begroting.csv"
    path.parent.mkdir(parents=True)
    path.write_text("previous contents\n", encoding="utf-8")

    def killed(src: object, dst: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "replace", killed)  # the rename of every whole-file write
    with pytest.raises(KeyboardInterrupt):
        fetch.write_atomic(path, BEGROTING_2021.encode())

    assert path.read_text("utf-8") == "previous contents\n"
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_refetching_the_same_data_leaves_every_file_byte_identical_and_untouched(
    home: Path, dataderden: ReplayServer
) -> None:
    assert _fetch("iv3", "--year", "2021")[0] == 0
    root = home / "landing"
    first = {p: (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_ino) for p in root.rglob("*.csv")}

    code, output = _fetch("iv3", "--year", "2021")

    assert code == 0
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_ino) for p in root.rglob("*.csv")} == first
    assert output.count("unchanged ") == 4 and "written " not in output


def test_fetch_of_one_municipality_lands_only_its_lines_under_its_own_name(
    home: Path, dataderden: ReplayServer
) -> None:
    code, output = _fetch("iv3", "--year", "2021", "--municipality", "gm0363")

    assert code == 0, output
    landed = _landed(home)
    assert landed["budget/2021Q1/cbs_iv3_2021_p0_begroting_GM0363.csv"] == HEADER + (
        "GM0363;2021Q1;0.3;3.6;begroting;;45,75;x1000\n"
        "GM0363;2021Q1;0.3;3.8;begroting;60;;x1000\n"
        "GM0363;2021Q1;0.4;3.2;begroting;900;;x1000\n"
    )
    assert all(name.endswith("_GM0363.csv") for name in landed)
    # The filter named the key exactly as CBS writes it, trailing spaces included.
    assert any("(Gemeenten eq 'GM0363   ')" in unquote_plus(r) for r in dataderden.requests)


def test_an_unknown_municipality_or_year_is_a_one_line_error(home: Path, dataderden: ReplayServer) -> None:
    code, output = _fetch("iv3", "--year", "2021", "--municipality", "GM9999")
    assert (code, output) == (1, "failed: municipality GM9999 is not in the table's Gemeenten dimension\n")

    code, output = _fetch("iv3", "--year", "2019")
    assert code == 1
    assert output.startswith(
        "failed: the CBS catalogue has no table titled 'Gemeenten 2019 onbewerkte Iv3-data'"
    )
    assert output.count("\n") == 1


def test_a_page_that_is_not_odata_is_an_error_naming_the_request(dataderden: ReplayServer) -> None:
    client = ODataClient(dataderden.url, retries=0)
    with pytest.raises(CbsError, match=r"answered HTTP 404 for .*/ODataFeed/odata/NOPE/Verslagsoort"):
        client.dimension("NOPE", "Verslagsoort")


@pytest.fixture
def statline(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ReplayServer]:
    with ReplayServer(DATA / "statline") as server:
        monkeypatch.setenv("COSTTRENDS_CBS_STATLINE_URL", server.url)
        monkeypatch.setenv("COSTTRENDS_CBS_BACKOFF_SECONDS", "0")
        yield server


def test_fetch_population_lands_the_year_beside_the_seeds(home: Path, statline: ReplayServer) -> None:
    code, output = _fetch("population", "--year", "2025")

    assert code == 0, output
    path = home / "reference" / "population_2025.csv"
    lines = path.read_text("utf-8").splitlines()
    assert lines[0] == "municipality_code,municipality_name,year,population"
    # 342 municipalities on 1 January 2024 and 2025; each replayed 2025 figure is 2024's + 1,000.
    assert len(lines) == 1 + 342
    assert "GM0014,Groningen,2025,244768" in lines  # StatLine's "Groningen (gemeente)"
    assert "GM0363,Amsterdam,2025,932298" in lines
    assert "342 municipalities" in output and "began" not in output and "ended" not in output
    assert statline.requests and len(statline.requests) == 2 + 4  # two dimensions, four pages

    again = _fetch("population", "--year", "2025")
    assert again[0] == 0 and again[1].startswith("unchanged ")


def test_fetch_population_of_a_year_statline_lacks_is_a_one_line_error(
    home: Path, statline: ReplayServer
) -> None:
    code, output = _fetch("population", "--year", "2026")
    assert (code, output) == (1, "failed: the table has no period titled 2026\n")


def test_a_quarter_whose_previous_periode_no_table_holds_is_named_not_landed(
    home: Path, dataderden: ReplayServer
) -> None:
    # The 2020 table holds only 3e kwartaal 2020; its figures run from 1 January and the
    # 2e kwartaal they build on is in no table, so what Q3 added cannot be told.
    code, output = _fetch("iv3", "--year", "2020")

    assert code == 0, output
    assert not (home / "landing").exists()
    assert (
        "not landed: 2020X003 '3e kwartaal 2020': its figures run from 1 January and "
        "build on periode 2 of 2020, which no Iv3 table CBS lists holds"
    ) in output


def test_fetch_population_names_the_municipalities_that_began_or_ended(
    tmp_path: Path, statline: ReplayServer
) -> None:
    import polars as pl

    from ingest.fetch import fetch_population

    # A register that lacks Groningen (GM0014) and still has Brielle (GM0501, merged into
    # Voorne aan Zee in 2023) open: by the 2025 figures GM0014 began, GM0501 ended.
    register = pl.DataFrame(
        {
            "code": ["GM0363", "GM0501"],
            "name": ["Amsterdam", "Brielle"],
            "province": ["Noord-Holland", "Zuid-Holland"],
            "valid_from": [None, None],
            "valid_to": [None, None],
        },
        schema_overrides={"valid_from": pl.Utf8, "valid_to": pl.Utf8},
    )
    summary = fetch_population(
        ODataClient(statline.url, retries=0), 2025, tmp_path, table_id="70072ned", register=register
    )

    assert "GM0014 Groningen" in summary.began and len(summary.began) == 341
    assert summary.ended == ["GM0501 Brielle"]
    assert (summary.municipalities, summary.changed) == (342, True)
