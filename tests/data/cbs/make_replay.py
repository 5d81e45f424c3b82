"""Write the recorded CBS OData responses the fetch tests replay, and the same figures as Iv3 JSON.

    .venv/bin/python tests/data/cbs/make_replay.py     # rewrites dataderden/, statline/, iv3_json/

The figures are made up; the form is CBS's OData v3 as documented and as its services
answer: a catalogue (`ODataCatalog/Tables`), per table the `Verslagsoort` and
`Gemeenten` dimensions (`Key`, `Title`, `Description`, `CategoryGroupID`) with
fixed-width keys padded with spaces, and `TypedDataSet` pages of at most `PAGE` rows
(CBS: 10,000) chained by `odata.nextLink`, amounts `k_1ePlaatsing_1` and
`k_2ePlaatsing_2` in thousands of euros, `null` where nothing was delivered. `{{base}}`
stands for the service root; the replay server puts its own address there.

dataderden/ (third-party service):
- catalogue: two pages; "Gemeenten 2021 onbewerkte Iv3-data" is 45054NED, "Gemeenten
  2020 onbewerkte Iv3-data" 45050NED, plus tables of other authorities;
- 45054NED's Verslagsoort: Begroting 2021, 1e and 2e kwartaal 2021, Jaarrekening 2020
  under key 2020X000 (a key that reads like a begroting: the title decides), and
  "Meerjarenraming 2022", which names no period and is not landed; none of these has a
  second placement yet (`k_2ePlaatsing_2` null);
- 45050NED holds 3e kwartaal 2020, on which Jaarrekening 2020 builds (year to date), with
  a second placement in which Groningen improved its figure.
iv3_json/: the 2021 begroting and 1e kwartaal of every municipality as Iv3 JSON
deliveries (CBS's JSON Schema 2.1), the same figures as 45054NED.
statline/: 70072ned with the population on 1 January 2025 of every municipality the
register has in 2024, each the 2024 figure plus 1,000 (made up, easy to check by hand).
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from urllib.parse import quote, urlencode

HERE = Path(__file__).resolve().parent
SEEDS = HERE.parents[2] / "warehouse" / "seeds"
PAGE = 5
SELECT = "Gemeenten,TaakveldBalanspost,Categorie,Verslagsoort,k_1ePlaatsing_1,k_2ePlaatsing_2"

NAMES = {"GM0003": "Appingedam", "GM0014": "Groningen", "GM0363": "Amsterdam", "GM1979": "Eemsdelta"}

# (municipality, TaakveldBalanspost, Categorie with side prefix) → amount in thousands, per verslagsoort.
# Quarterly realisaties are year to date, as CBS asks for them.
BEGROTING_2021 = {
    ("GM0014", "0.4", "L3.2"): 120.5,
    ("GM0014", "0.4", "L3.8"): 1.234,  # 1.234 thousand: written 1,234, never read as 1234
    ("GM0014", "0.4", "L1.1"): 2500.0,
    ("GM0014", "0.4", "B3.8"): 10.0,
    ("GM0014", "1.1", "L3.8"): 300.0,
    ("GM0363", "0.4", "L3.2"): 900.0,
    ("GM0363", "0.3", "B3.6"): 45.75,
    ("GM0363", "0.3", "L3.8"): 60.0,
    ("GM1979", "0.4", "L3.8"): 0.1,
    ("GM1979", "0.4", "L3.2"): 15.0,
}
Q1_2021 = {
    ("GM0014", "0.4", "L3.2"): 30.25,
    ("GM0014", "0.4", "L3.8"): 0.5,
    ("GM0014", "0.4", "L1.1"): 610.0,
    ("GM0014", "1.1", "L3.8"): 70.0,
    ("GM0363", "0.4", "L3.2"): 200.0,
    ("GM0363", "0.3", "B3.6"): -3.25,
    ("GM1979", "0.4", "L3.8"): 4.0,
}
Q2_2021 = {  # year to date: Q1 plus what Q2 added
    ("GM0014", "0.4", "L3.2"): 61.0,  # + 30.75
    ("GM0014", "0.4", "L3.8"): 0.5,  # + 0
    ("GM0014", "0.4", "L1.1"): 1250.0,  # + 640
    ("GM0363", "0.4", "L3.2"): 450.0,  # + 250; GM0363's 0.3 B3.6 is gone: - (-3.25)
    ("GM1979", "0.4", "L3.8"): 9.5,  # + 5.5
}
Q3_2020 = {
    ("GM0003", "0.4", "L3.2"): 20.0,
    ("GM0014", "0.4", "L3.2"): 90.0,
}
JAARREKENING_2020 = {
    ("GM0003", "0.4", "L3.2"): 31.0,  # Q4 added 31 - 20
    ("GM0014", "0.4", "L3.2"): 125.5,  # Q4 added 125.5 - 92 (the second placement of 3e kwartaal)
}
# CBS's second placement (improved deliveries, k_2ePlaatsing_2), where CBS has made one:
# only 3e kwartaal 2020, where Groningen improved its figure. Elsewhere the column is null.
SECOND_PLACEMENT = {
    "2020X003": {("GM0003", "0.4", "L3.2"): 20.0, ("GM0014", "0.4", "L3.2"): 92.0},
}
# Rows that are not lasten or baten lines, and cells without an amount.
BALANCE = {("GM0014", "A1.1", "L5.1"): 12.0}
EMPTY = [("GM0363", "0.4", "L3.8"), ("GM1979", "1.1", "B3.8")]

T2021 = "45054NED"
T2020 = "45050NED"
VERSLAGSOORT_2021 = [
    ("2021X000", "Begroting 2021", BEGROTING_2021),
    ("2021X001", "1e kwartaal 2021", Q1_2021),
    ("2021X002", "2e kwartaal 2021", Q2_2021),
    ("2020X000", "Jaarrekening 2020", JAARREKENING_2020),
    ("2022X900", "Meerjarenraming 2022", {}),
]
VERSLAGSOORT_2020 = [("2020X003", "3e kwartaal 2020", Q3_2020)]


def _write(path: Path, body: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _url(path: str, query: dict[str, str]) -> str:
    return "{{base}}" + path + "?" + urlencode(query, quote_via=quote, safe="$,()'")


class Scenario:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.routes: list[dict[str, object]] = []
        shutil.rmtree(folder, ignore_errors=True)

    def add(self, path: str, query: dict[str, str], file: str, body: object) -> None:
        _write(self.folder / file, body)
        self.routes.append({"path": path, "query": query, "file": file})

    def paged(self, path: str, query: dict[str, str], stem: str, rows: list[dict[str, object]]) -> None:
        """`rows` as pages of PAGE, each but the last with an `odata.nextLink` (CBS's $skiptoken)."""
        pages = [rows[i : i + PAGE] for i in range(0, len(rows), PAGE)] or [[]]
        for n, page in enumerate(pages):
            page_query = query if n == 0 else {**query, "$skiptoken": str(n * PAGE)}
            body: dict[str, object] = {"odata.metadata": "{{base}}" + path.rsplit("/", 1)[0] + "/$metadata"}
            body["value"] = page
            if n + 1 < len(pages):
                body["odata.nextLink"] = _url(path, {**query, "$skiptoken": str((n + 1) * PAGE)})
            self.add(path, page_query, f"{stem}_page{n + 1}.json", body)

    def close(self) -> None:
        _write(self.folder / "manifest.json", {"routes": self.routes})


def _dimension(keys: list[tuple[str, str]]) -> list[dict[str, object]]:
    return [{"Key": k, "Title": t, "Description": "", "CategoryGroupID": None} for k, t in keys]


def _iv3_rows(
    table: str, verslagsoort: str, figures: dict[tuple[str, str, str], float]
) -> list[dict[str, object]]:
    cells = dict(figures)
    if table == T2021 and verslagsoort == "2021X000":
        cells.update(BALANCE)
        cells.update({cell: None for cell in EMPTY})  # type: ignore[dict-item]
    second = SECOND_PLACEMENT.get(verslagsoort, {})
    rows = []
    for n, ((gm, taakveld, categorie), amount) in enumerate(sorted(cells.items())):
        rows.append(
            {
                "ID": n,
                "Gemeenten": gm.ljust(9),
                "TaakveldBalanspost": taakveld.ljust(6),
                "Categorie": categorie.ljust(8),
                "Verslagsoort": verslagsoort,
                "k_1ePlaatsing_1": amount,
                "k_2ePlaatsing_2": second.get((gm, taakveld, categorie)),
            }
        )
    return rows


def _select(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    return [{k: r[k] for k in SELECT.split(",")} for r in rows]


def _iv3_table(
    s: Scenario, table: str, verslagsoorten: list[tuple[str, str, dict]], codes: list[str]
) -> None:
    feed = f"/ODataFeed/odata/{table}"
    s.add(
        feed + "/Verslagsoort",
        {"$format": "json"},
        f"{table}_verslagsoort.json",
        {"value": _dimension([(k, t) for k, t, _ in verslagsoorten])},
    )
    regions = [("NL01     ", "Nederland"), *((gm.ljust(9), NAMES[gm]) for gm in codes)]
    s.add(feed + "/Gemeenten", {"$format": "json"}, f"{table}_gemeenten.json", {"value": _dimension(regions)})
    for key, _title, figures in verslagsoorten:
        rows = _select(_iv3_rows(table, key, figures))
        query = {"$format": "json", "$filter": f"Verslagsoort eq '{key}'", "$select": SELECT}
        s.paged(feed + "/TypedDataSet", query, f"{table}_{key}", rows)
        if table == T2021:  # `--municipality GM0363`
            only = [r for r in rows if str(r["Gemeenten"]).strip() == "GM0363"]
            query = {**query, "$filter": f"Verslagsoort eq '{key}' and (Gemeenten eq 'GM0363   ')"}
            s.paged(feed + "/TypedDataSet", query, f"{table}_{key}_GM0363", only)


def dataderden() -> None:
    s = Scenario(HERE / "dataderden")
    tables = [
        ("45055NED", "Provincies 2021 onbewerkte Iv3-data", "2022-06-01T02:00:00"),
        (T2021, "Gemeenten 2021 onbewerkte Iv3-data", "2022-07-01T02:00:00"),
        ("45056NED", "Gemeenschappelijke regelingen 2021 onbewerkte Iv3-data", "2022-06-01T02:00:00"),
        (T2020, "Gemeenten 2020 onbewerkte Iv3-data", "2021-07-01T02:00:00"),
        ("45051NED", "Provincies 2020 onbewerkte Iv3-data", "2021-06-01T02:00:00"),
    ]
    catalogue = [{"Identifier": i, "Title": t, "Modified": m} for i, t, m in tables]
    query = {"$format": "json", "$select": "Identifier,Title,Modified"}
    first, rest = catalogue[:3], catalogue[3:]
    s.add(
        "/ODataCatalog/Tables",
        query,
        "catalogue_page1.json",
        {"value": first, "odata.nextLink": _url("/ODataCatalog/Tables", {**query, "$skiptoken": "3"})},
    )
    s.add("/ODataCatalog/Tables", {**query, "$skiptoken": "3"}, "catalogue_page2.json", {"value": rest})
    _iv3_table(s, T2021, VERSLAGSOORT_2021, ["GM0014", "GM0363", "GM1979"])
    _iv3_table(s, T2020, VERSLAGSOORT_2020, ["GM0003", "GM0014"])
    s.close()


def iv3_json() -> None:
    """Begroting 2021 and 1e kwartaal 2021 as Iv3 JSON deliveries, one file per municipality and periode."""
    folder = HERE / "iv3_json" / "2021Q1"
    shutil.rmtree(folder.parent, ignore_errors=True)
    for periode, figures in ((0, BEGROTING_2021), (1, Q1_2021)):
        for gm in sorted({cell[0] for cell in figures}):
            lines = {"lasten": [], "baten": []}
            for (code, taakveld, categorie), amount in sorted(figures.items()):
                if code == gm:
                    side = "lasten" if categorie.startswith("L") else "baten"
                    lines[side].append({"taakveld": taakveld, "categorie": categorie[1:], "bedrag": amount})
            document = {
                "metadata": {
                    "overheidslaag": "Gemeente",
                    "overheidsnummer": gm[2:],
                    "overheidsnaam": NAMES[gm],
                    "boekjaar": 2021,
                    "periode": periode,
                    "status": "Begroting" if periode == 0 else "Realisatie",
                    "datum": "2021-04-20T10:00:00+02:00",
                    "details_openbaar": True,
                    "financieel_pakket": "Testpakket",
                    "export_software": "Testexport 1.0",
                },
                "contact": {
                    "naam": "Test Contact",
                    "email": "iv3@gemeente.test",
                    "telefoon": "0000000000",
                },
                "data": {**lines, "balans_lasten": [], "balans_baten": [], "balans_standen": []},
            }
            _write(folder / f"iv3_{gm}_2021_p{periode}.json", document)


def statline() -> None:
    s = Scenario(HERE / "statline")
    table = "70072ned"
    feed = f"/ODataFeed/odata/{table}"
    with (SEEDS / "municipalities.csv").open(encoding="utf-8") as fh:
        register = [r for r in csv.DictReader(fh) if r["population_2024"]]
    s.add(
        feed + "/Perioden",
        {"$format": "json"},
        "perioden.json",
        {"value": _dimension([("2024JJ00", "2024"), ("2025JJ00", "2025")])},
    )
    names = {"GM0014": "Groningen (gemeente)"}
    regions = [("NL01      ", "Nederland"), ("PV20      ", "Groningen (PV)")]
    regions += [(r["code"].ljust(10), names.get(r["code"], r["name"])) for r in register]
    s.add(feed + "/RegioS", {"$format": "json"}, "regios.json", {"value": _dimension(regions)})
    rows = [
        {
            "RegioS": r["code"].ljust(10),
            "Perioden": "2025JJ00",
            "TotaleBevolking_1": int(r["population_2024"]) + 1000,
        }
        for r in register
    ]
    query = {
        "$format": "json",
        "$filter": "Perioden eq '2025JJ00' and substringof('GM',RegioS)",
        "$select": "RegioS,Perioden,TotaleBevolking_1",
    }
    global PAGE
    PAGE, kept = 100, PAGE
    s.paged(feed + "/TypedDataSet", query, "population_2025", rows)
    PAGE = kept
    s.close()


if __name__ == "__main__":
    dataderden()
    iv3_json()
    statline()
