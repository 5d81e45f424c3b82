"""Write the survey fixture corpus in tests/data/survey/2021Q1/ (run it after editing a case).

    .venv/bin/python tests/data/survey/make_corpus.py

Each file is one way municipalities send their answers. Text files are written here byte
for byte (their encodings and separators are the point); the workbooks and the Parquet
file are built with openpyxl and polars. Personal data in these files is made up and
marked `PII-CANARY` (or is a phone number / documentation IP address listed in
tests/flows/test_personal_data.py), so a test can prove none of it is stored.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import polars as pl
from openpyxl import Workbook
from openpyxl.xml.functions import tostring

FOLDER = Path(__file__).resolve().parent / "2021Q1"
STAMP = dt.datetime(2021, 4, 15, 6, 0)

WAVE_A_HEADER = (
    "Responsnummer;Ingediend op;Naam gemeente;Periode;Aantal FTE;Percentage thuiswerken nu;"
    "Percentage thuiswerken na de crisis;Extra kosten hardware;Extra kosten softwarelicenties;"
    "Extra kosten ICT-ondersteuning;Extra kosten digitale beveiliging;Extra kosten overig;"
    "Besparing kantoorruimte;Naam respondent;E-mailadres;Telefoonnummer;IP-adres;Toelichting"
)
SHORT_HEADER = (
    "Responsnummer;Ingediend op;Gemeente;Periode;Extra kosten hardware;Extra kosten softwarelicenties;"
    "Extra kosten ICT-ondersteuning;Extra kosten digitale beveiliging;Extra kosten overig;"
    "Besparing kantoorruimte"
)

TEXT_FILES: dict[str, tuple[str, str, str]] = {
    # name: (text, encoding, line terminator)
    "01_gemeenten_cp1252.csv": (
        "\n".join(
            [
                WAVE_A_HEADER,
                "a01;05-04-2021 09:15;Súdwest-Fryslân;2021Q1;612,5;75%;40%;€ 12.500,00;€ 3.250,50;"
                "€ 1.000,00;€ 750,00;€ 0,00;€ 4.000,00;Sjoukje PII-CANARY-01;pii-canary-01@example.invalid;"
                "06-99990001;198.51.100.11;Teams-licenties, PII-CANARY-C01",
                "a02;06-04-2021 10:00;Gemeente Leeuwarden;2021Q1;1.050;80%;50%;8.000;2.500;n.v.t.;1.500;-;"
                "2.000;Wytse PII-CANARY-02;pii-canary-02@example.invalid;06-99990002;198.51.100.12;",
                "a03;07-04-2021 11:30;Den Bosch;2021Q1;1.250,75;70%;45%;EUR 20.000;4.000,-;€300,-;weet niet;"
                "onbekend;5.500;Mees PII-CANARY-03;pii-canary-03@example.invalid;06-99990003;198.51.100.13;"
                "geen",
            ]
        ),
        "cp1252",
        "\r\n",
    ),
    "02_responses_utf8_bom.csv": (
        "\n".join(
            [
                "Response Number,Submit Date,Name,Email,Phone,IP Address,Organisation,Quarter,FTE,"
                "Share working from home now,Share working from home expected,Extra costs hardware,"
                "Extra costs software licences,Extra costs ICT support,Extra costs digital security,"
                "Extra costs other,Savings on office space,Comments",
                "b01,2021-04-08T14:03:00,Anna PII-CANARY-04,pii-canary-04@example.invalid,+31 6 9999 0004,"
                '198.51.100.14,Amsterdam,2021-Q1,15200.5,85,60,250000,"120,000.50",45000.25,30000,0,80000,'
                '"Laptops, headsets; PII-CANARY-C04"',
                "b02,2021-04-09T08:30:00,Bram PII-CANARY-05,pii-canary-05@example.invalid,+31 6 9999 0005,"
                "198.51.100.15,gemeente zwolle,Q1 2021,980,65.5,45,9500.75,4250,1200,800,,1500,",
            ]
        ),
        "utf-8-sig",
        "\n",
    ),
    # A comma inside a known header, quoted separators and line breaks, and two answers
    # whose unquoted separator or line break shifts or splits the row.
    "03_quoted_fields.csv": (
        "\n".join(
            [
                "Responsnummer;Ingediend op;Gemeente;Opmerkingen;Hardware (laptops, headsets, schermen);"
                "Extra kosten softwarelicenties;Extra kosten ICT-ondersteuning;"
                "Extra kosten digitale beveiliging;Extra kosten overig;Besparing kantoorruimte",
                'c01;2021-04-10 09:00;"Gemeente\nUtrecht";"Veel extra; vooral laptops\nPII-CANARY-C05";'
                '"15.000";"6.000";"2.000";"1.000";"0";"3.000"',
                "c02;2021-04-11 09:00;Arnhem;Headsets; PII-CANARY-C06 kapot;7.500;1.000;500;250;0;1.000",
                'c03;2021-04-12 09:00;Nijmegen;"Schermen\nen docking stations";4.000;1.500;750;500;0;1.250',
                "c04;2021-04-13 09:00;Apeldoorn;Laptops\nPII-CANARY-C07 nog niet geleverd;3.000;1.000;500;250;0;"
                "1.000",
            ]
        ),
        "utf-8",
        "\n",
    ),
    # A survey tool's export: question codes, a row of question texts and a row of import ids
    # under the header, its own status column (`Survey Preview`), and personal columns.
    "04_tool_codes.csv": (
        "\n".join(
            [
                "StartDate,EndDate,Status,IPAddress,Progress,Duration (in seconds),Finished,RecordedDate,"
                "ResponseId,RecipientLastName,RecipientFirstName,RecipientEmail,ExternalReference,"
                "LocationLatitude,LocationLongitude,DistributionChannel,UserLanguage,Q1,Q2,Q3,Q4_1,Q4_2,"
                "Q5_1,Q5_2,Q5_3,Q5_4,Q5_5,Q5_6,Q6",
                "Start Date,End Date,Response Type,IP Address,Progress,Duration (in seconds),Finished,"
                "Recorded Date,Response ID,Recipient Last Name,Recipient First Name,Recipient Email,"
                "External Data Reference,Location Latitude,Location Longitude,Distribution Channel,"
                "User Language,Welke gemeente vertegenwoordigt u?,Over welk kwartaal rapporteert u?,"
                "Aantal FTE,Thuiswerkers nu (%),Thuiswerkers na de crisis (%),Hardware (€),"
                "Softwarelicenties (€),ICT-ondersteuning (€),Digitale beveiliging (€),Overig (€),"
                "Besparing kantoorruimte (€),Toelichting (optioneel)",
                ",".join(
                    '"{""ImportId"":""' + i + '""}"'
                    for i in (
                        "startDate",
                        "endDate",
                        "status",
                        "ipAddress",
                        "progress",
                        "duration",
                        "finished",
                        "recordedDate",
                        "_recordId",
                        "recipientLastName",
                        "recipientFirstName",
                        "recipientEmail",
                        "externalDataReference",
                        "locationLatitude",
                        "locationLongitude",
                        "distributionChannel",
                        "userLanguage",
                        "QID1",
                        "QID2",
                        "QID3",
                        "QID4_1",
                        "QID4_2",
                        "QID5_1",
                        "QID5_2",
                        "QID5_3",
                        "QID5_4",
                        "QID5_5",
                        "QID5_6",
                        "QID6_TEXT",
                    )
                ),
                "2021-04-14 10:00:00,2021-04-14 10:12:31,IP Address,198.51.100.16,100,751,True,"
                "2021-04-14 10:12:32,R_3kQx01AbCd,Jansen PII-CANARY-06L,Eva PII-CANARY-06F,"
                "pii-canary-06@example.invalid,,52.0907,5.1214,anonymous,NL,Eindhoven,2021Q1,2450,70,40,"
                "30000,12000,5000,4000,1000,6000,Alles PII-CANARY-C08",
                "2021-04-14 11:00:00,2021-04-14 11:05:00,Survey Preview,,100,300,True,2021-04-14 11:05:00,"
                "R_7pReview02,,,,,,,preview,NL,Tilburg,2021Q1,10,10,10,1,1,1,1,1,1,proefronde",
            ]
        ),
        "utf-8",
        "\n",
    ),
    # Every amount pattern; one row has text that is no amount and a negative amount.
    "08_amount_patterns.csv": (
        "\n".join(
            [
                "Responsnummer;Gemeente;Kwartaal;Extra kosten hardware;Extra kosten softwarelicenties;"
                "Extra kosten ICT-ondersteuning;Extra kosten digitale beveiliging;Extra kosten overig;"
                "Besparing kantoorruimte",
                "d01;Groningen;2021Q1;€ 12.500,00;12500;12.500;12,5;1.234.567;EUR 300",
                "d02;Almere;2021Q1;-;n.v.t.;nvt;weet niet;onbekend;",
                "d03;Breda;2021Q1;10.000 - 20.000;€ 10.000 tot € 20.000;tussen 1.000 en 2.000;€300,-;1 500;—",
                "d04;Maastricht;2021Q1;veel;-250;1.000;1.000;1.000;1.000",
                "d05;Leiden;2021Q1;12,50;0,5;1.000,5;0;0,00;€ 0",
            ]
        ),
        "utf-8",
        "\n",
    ),
    "09_percentages.csv": (
        "\n".join(
            [
                "response_id,municipality,period,fte,remote_share_now_pct,remote_share_expected_pct,"
                "hardware_eur,software_licences_eur,ict_support_eur,security_eur,other_eur,office_savings_eur",
                "e01,Delft,2021Q1,410,45%,45,1000,1000,1000,1000,0,1000",
                'e02,Gouda,2021Q1,300,"0,45","45,5 %",1000,1000,1000,1000,0,1000',
                'e03,Zeist,2021Q1,"1.050,5",150%,n.v.t.,1000,1000,1000,1000,0,1000',
                'e04,Ede,2021Q1,500,1,"0.5",1000,1000,1000,1000,0,1000',
            ]
        ),
        "utf-8",
        "\n",
    ),
    "10_municipality_spellings.csv": (
        "\n".join(
            [SHORT_HEADER]
            + [
                f"f{i:02d};2021-04-16 09:00;{name};2021Q1;1.000;500;250;100;0;200"
                for i, name in enumerate(
                    [
                        "GM0150",
                        "0402",
                        "361",
                        "Gemeente Amstelveen",
                        "DORDRECHT",
                        "den haag",
                        "Nuenen c.a.",
                        "Bergen",
                        "Atlantis",
                        "GM9999",
                        "noardeast fryslan",
                        "Appingedam",
                        "",
                    ],
                    start=1,
                )
            ]
        ),
        "utf-8",
        "\n",
    ),
    # Excel's `sep=;` hint line, decimal points in a `;` file, and periods of every kind.
    "11_periods.csv": (
        "\n".join(
            [
                "sep=;",
                "Responsnummer;Gemeente;Periode;hardware_eur;software_licences_eur;ict_support_eur;"
                "security_eur;other_eur;office_savings_eur",
                "g01;Helmond;2020Q4;1000;1000;1000;1000;0;1000",
                "g02;Oss;Q1 2021;1234.50;99.99;0.5;1000;0;1000",
                "g03;Venlo;eerste kwartaal;1000;1000;1000;1000;0;1000",
                "g04;Heerlen;2021-K1;1000;1000;1000;1000;0;1000",
                "g05;Emmen;1e kwartaal 2021;1000;1000;1000;1000;0;1000",
            ]
        ),
        "utf-8",
        "\r\n",
    ),
    "12_test_responses.csv": (
        "\n".join(
            [
                "Responsnummer;Gemeente;Naam respondent;Testrespons;Extra kosten hardware;"
                "Extra kosten softwarelicenties;Extra kosten ICT-ondersteuning;"
                "Extra kosten digitale beveiliging;Extra kosten overig;Besparing kantoorruimte",
                "h01;Assen;Test;nee;1000;1000;1000;1000;0;1000",
                "h02;Almelo;Karin PII-CANARY-12;ja;1000;1000;1000;1000;0;1000",
                "h03;Lelystad;Joost PII-CANARY-13 Testerink;nee;2000;1000;1000;1000;0;1000",
            ]
        ),
        "utf-8",
        "\n",
    ),
    # A first export, a late batch whose response numbers start again at 1, and a re-export
    # of the first file (the same answers once more).
    "13_resubmissions_first.csv": (
        "\n".join(
            [
                SHORT_HEADER,
                "1;2021-04-02 09:00;Purmerend;2021Q1;1.000;100;100;100;0;100",
                "2;2021-04-03 09:00;Hoorn;2021Q1;2.000;200;200;200;0;200",
                "3;2021-04-04 09:00;Schiedam;2021Q1;3.000;300;300;300;0;300",
            ]
        ),
        "utf-8",
        "\n",
    ),
    "14_late_batch.csv": (
        "\n".join(
            [
                SHORT_HEADER,
                "1;2021-04-20 09:00;Purmerend;2021Q1;1.100;110;110;110;0;110",
                "2;2021-04-25 09:00;Hoorn;2021Q1;;220;220;220;0;220",
                "3;2021-04-21 09:00;Vlaardingen;2021Q1;4.000;400;400;400;0;400",
            ]
        ),
        "utf-8",
        "\n",
    ),
    "15_reexport.csv": (
        "\n".join(
            [
                SHORT_HEADER,
                "1;2021-04-02 09:00;Purmerend;2021Q1;1.000;100;100;100;0;100",
                "2;2021-04-03 09:00;Hoorn;2021Q1;2.000;200;200;200;0;200",
                "3;2021-04-04 09:00;Schiedam;2021Q1;3.000;300;300;300;0;300",
            ]
        ),
        "utf-8",
        "\n",
    ),
    "17_empty.csv": ("", "utf-8", "\n"),
    "18_header_only.csv": (SHORT_HEADER + "\n", "utf-8", "\n"),
    "19_missing_column.csv": (
        "\n".join(
            [
                "Responsnummer;Gemeente;Extra kosten hardware;Extra kosten softwarelicenties;"
                "Extra kosten ICT-ondersteuning;Extra kosten digitale beveiliging;Extra kosten overig;"
                "Naam respondent",
                "j01;Hilversum;1000;1000;1000;1000;0;Lotte PII-CANARY-19",
            ]
        ),
        "utf-8",
        "\n",
    ),
    # Excel's "Unicode text": UTF-16 with a byte order mark, tab-separated.
    "20_unicode_text.txt": (
        "\n".join(
            [
                "Responsnummer\tGemeente\tPeriode\tExtra kosten hardware\tExtra kosten softwarelicenties\t"
                "Extra kosten ICT-ondersteuning\tExtra kosten digitale beveiliging\tExtra kosten overig\t"
                "Besparing kantoorruimte\tE-mailadres",
                "k01\tDe Fryske Marren\t2021Q1\t1.500,25\t800\t400\t200\t0\t600\tpii-canary-20@example.invalid",
            ]
        ),
        "utf-16",
        "\r\n",
    ),
    # Columns no alias knows (one holding names), the municipality asked twice, and
    # trailing empty columns.
    "21_extra_columns.csv": (
        "\n".join(
            [
                "Responsnummer;Gemeente;Uw naam;Aantal laptops;Gemeente;Extra kosten hardware;"
                "Extra kosten softwarelicenties;Extra kosten ICT-ondersteuning;"
                "Extra kosten digitale beveiliging;Extra kosten overig;Besparing kantoorruimte;;",
                "i01;Zoetermeer;Noor PII-CANARY-21;120;;6.000;1.000;1.000;1.000;0;1.000;;",
                "i02;;Daan PII-CANARY-22;80;Katwijk;4.000;1.000;1.000;1.000;0;1.000;;",
                "i03;Roosendaal;Sem PII-CANARY-23;60;Bergen op Zoom;2.000;1.000;1.000;1.000;0;1.000;;",
            ]
        ),
        "utf-8",
        "\n",
    ),
}


def _write_text(name: str, text: str, encoding: str, terminator: str) -> None:
    # Line breaks inside quoted answers stay `\n`; only record ends get the file's terminator.
    records = text.split("\n")
    joined = ""
    for i, record in enumerate(records):
        inside_quotes = joined.count('"') % 2 == 1
        joined += ("\n" if inside_quotes else terminator) + record if i else record
    (FOLDER / name).write_bytes(joined.encode(encoding) if text else b"")


def _save_workbook(wb: Workbook, path: Path) -> None:
    """Save with fixed timestamps, so regenerating an unchanged case gives the same bytes."""
    wb.properties.creator = "Enquêtetool"
    wb.properties.created = STAMP
    raw = io.BytesIO()
    wb.save(raw)
    wb.properties.modified = STAMP
    core = tostring(wb.properties.to_tree())
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = core if info.filename == "docProps/core.xml" else source.read(info)
            entry = zipfile.ZipInfo(info.filename, date_time=STAMP.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, data)
    path.write_bytes(out.getvalue())


def title_rows_workbook() -> Workbook:
    """First sheet; two title rows (one merged) and a blank row above the header; a blank
    row between answers; numbers stored as numbers and as text; a date cell and a date
    serial; shares as fractions formatted as percentages."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Export"
    ws.append(["Enquête extra kosten thuiswerken, export 2021Q1"])
    ws.merge_cells("A1:F1")
    ws.append(["Gegenereerd op 15-04-2021"])
    ws.append([])
    ws.append(
        [
            "Responsnummer",
            "Ingediend op",
            "Gemeentecode",
            "Periode",
            "Aantal FTE",
            "Percentage thuiswerken nu",
            "Percentage thuiswerken na de crisis",
            "Extra kosten hardware",
            "Extra kosten softwarelicenties",
            "Extra kosten ICT-ondersteuning",
            "Extra kosten digitale beveiliging",
            "Extra kosten overig",
            "Besparing kantoorruimte",
            "Naam respondent",
            "E-mailadres",
        ]
    )
    ws.append(
        [
            17,
            dt.datetime(2021, 4, 15, 9, 30),
            599,
            "2021Q1",
            5120.5,
            0.8,
            0.5,
            1234.5,
            "12.500",
            2500,
            "€ 1.000,00",
            0,
            "n.v.t.",
            "Fenna PII-CANARY-05X",
            "pii-canary-05x@example.invalid",
        ]
    )
    ws["B5"].number_format = "dd-mm-yyyy hh:mm"
    ws["F5"].number_format = ws["G5"].number_format = "0%"
    ws.append([])
    ws.append(
        [
            18,
            44301.5,
            "0153",
            "1e kwartaal 2021",
            812.375,
            0.65,
            0.3,
            "7.500",
            3000,
            "1.250,50",
            999.99,
            "-",
            4321,
            "Gijs PII-CANARY-05Y",
            "pii-canary-05y@example.invalid",
        ]
    )
    ws["F7"].number_format = ws["G7"].number_format = "0%"
    return wb


def named_sheet_workbook() -> Workbook:
    """An example sheet first (its header is recognisable too), a hidden list sheet, and
    the answers on the sheet named `Antwoorden`."""
    wb = Workbook()
    example = wb.active
    example.title = "Voorbeeld"
    example.append(["Vul per gemeente één regel in, zoals hieronder."])
    header = [
        "Responsnummer",
        "Gemeente",
        "Periode",
        "Extra kosten hardware",
        "Extra kosten softwarelicenties",
        "Extra kosten ICT-ondersteuning",
        "Extra kosten digitale beveiliging",
        "Extra kosten overig",
        "Besparing kantoorruimte",
        "Naam respondent",
    ]
    example.append(header)
    example.append(["voorbeeld", "Voorbeeldstad", "2021Q1", 1000, 500, 250, 100, 0, 200, "Voorbeeld"])
    lists = wb.create_sheet("Lijsten")
    lists.sheet_state = "hidden"
    lists.append(["Gemeente", "Code"])
    lists.append(["Haarlem", "GM0392"])
    lists.append(["Hengelo", "GM0164"])
    answers = wb.create_sheet("Antwoorden")
    answers.append(header)
    answers.append(["x01", "Haarlem", "2021Q1", 5000, 2000, 1000, 500, 0, 1500, "Roos PII-CANARY-06A"])
    answers.append(["x02", "Hengelo", "2021Q1", 3000, 1000, 500, 250, 0, 750, "Thijs PII-CANARY-06B"])
    return wb


def parquet_frame() -> pl.DataFrame:
    """Typed columns: integer ids, a timestamp, floats, decimals, nulls, and text amounts."""
    return pl.DataFrame(
        {
            "response_id": pl.Series([101, 102], dtype=pl.Int64),
            "submitted_at": pl.Series([dt.datetime(2021, 4, 17, 8, 0), dt.datetime(2021, 4, 18, 16, 45)]),
            "gemeente": ["GM0307", "Uden"],
            "period": ["2021Q1", "2021Q1"],
            "fte": pl.Series([612.125, 300.0], dtype=pl.Float64),
            "remote_share_now_pct": pl.Series([0.45, 0.6], dtype=pl.Float64),
            "hardware_eur": pl.Series([Decimal("15000.00"), Decimal("2500.50")], dtype=pl.Decimal(12, 2)),
            "software_licences_eur": pl.Series([4200.0, 350.125], dtype=pl.Float64),
            "ict_support_eur": pl.Series([2000, None], dtype=pl.Int64),
            "security_eur": ["€ 1.000,00", "n.v.t."],
            "other_eur": pl.Series([0, 0], dtype=pl.Int32),
            "office_savings_eur": pl.Series([3000.0, 750.5], dtype=pl.Float64),
            "respondent_email": ["pii-canary-07a@example.invalid", "pii-canary-07b@example.invalid"],
            "Uw naam": ["Iris PII-CANARY-07A", "Ruben PII-CANARY-07B"],
        }
    )


def binary_bytes() -> bytes:
    """A PNG image's first bytes under a .csv name."""
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00\x1f\xf3\xffa"


def main() -> None:
    FOLDER.mkdir(parents=True, exist_ok=True)
    for name, (text, encoding, terminator) in TEXT_FILES.items():
        _write_text(name, text, encoding, terminator)
    _save_workbook(title_rows_workbook(), FOLDER / "05_title_rows.xlsx")
    _save_workbook(named_sheet_workbook(), FOLDER / "06_named_sheet.xlsx")
    parquet_frame().write_parquet(FOLDER / "07_export.parquet", statistics=False)
    (FOLDER / "16_binary.csv").write_bytes(binary_bytes())


if __name__ == "__main__":
    main()
