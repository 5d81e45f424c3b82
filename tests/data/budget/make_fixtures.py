"""Write the budget reader fixtures in this folder: `python tests/data/budget/make_fixtures.py`.

The workbooks and the Parquet file are committed; this script says what is in them.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import polars as pl

HERE = Path(__file__).resolve().parent


def matrix_with_title_cells() -> None:
    """Groningen 2021Q1 in thousands: begroting lasten, realisatie lasten and realisatie baten."""
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "Toelichting"
    notes.append(["Vul per taakveld de bedragen in."])
    begroting = wb.create_sheet("Begroting")
    begroting.append(["Iv3 matrix"])
    begroting.append(["Gemeente", "Groningen"])
    begroting.append(["Periode", "2021-Q1"])
    begroting.append(["Eenheid", "x € 1.000"])
    begroting.append([])
    begroting.append(["Taakveld", "Omschrijving", "3.2", "3.8", "L7.3"])
    begroting.append(["0.4", "Overhead", 12.5, "0,01", None])
    begroting.append(["0.3", "Beheer overige gebouwen en gronden", None, 3, None])
    begroting.append(["Totaal", None, 12.5, 3.01, None])
    realisatie = wb.create_sheet("Realisatie")
    realisatie.append(["Gemeente: Groningen"])
    realisatie.append(["Periode: 2021-Q1"])
    realisatie.append(["Taakveld", "Omschrijving", "3.2", "3.8"])
    realisatie.append(["0.4 Overhead", None, 1.234, 2])
    baten = wb.create_sheet("Realisatie baten")
    baten.append(["Gemeente", "Groningen"])
    baten.append(["Periode", "2021-Q1"])
    baten.append(["Taakveld", "4.3.1"])
    baten.append(["0.4", 0.5])
    wb.save(HERE / "matrix_groningen.xlsx")


def matrix_named_by_file() -> None:
    """No title cells: municipality and quarter come from the file name; amounts in euros."""
    wb = openpyxl.Workbook()
    sheet = wb.active
    sheet.title = "realisatie"
    sheet.append([None, "3.2", "3.8"])
    sheet.append(["0.4", 1000, 2500.75])
    wb.save(HERE / "iv3_GM0003_2020K4.xlsx")


def long_workbook() -> None:
    """A long sheet under a title row; numbers as numbers, one amount as Dutch text."""
    wb = openpyxl.Workbook()
    sheet = wb.active
    sheet.title = "Iv3"
    sheet.append(["Export Iv3, bedragen in euro's"])
    sheet.append(["gemeente", "jaar", "kwartaal", "taakveld", "categorie", "soort", "lasten", "baten"])
    sheet.append(["GM0014", 2021, 1, "0.4", "3.2", "realisatie", 1234.5, 0])
    sheet.append(["Groningen", 2021, 1, "0.4", "3.8", "begroting", "1.234,56", None])
    sheet.append([None, None, None, None, None, None, None, None])
    sheet.append(["GM0014", 2021, 1, "0.4", "3.8", "realisatie", 1.234, 0])
    wb.save(HERE / "long_2021Q1.xlsx")


def parquet_file() -> None:
    """Typed columns: year and quarter as integers, lasten as double, baten as decimal."""
    pl.DataFrame(
        {
            "gemeentecode": ["GM0014", "GM0014", "GM1979"],
            "jaar": [2021, 2021, 2021],
            "kwartaal": [1, 1, 1],
            "taakveld": ["0.4", "0.4", "0.4"],
            "categorie": ["3.2", "3.8", "3.8"],
            "soort": ["realisatie", "realisatie", "begroting"],
            "lasten": [1234.5, 0.1, 1e-05],
            "baten": pl.Series([Decimal("0.00"), Decimal("10.25"), Decimal("0.00")], dtype=pl.Decimal(18, 2)),
        }
    ).write_parquet(HERE / "long_2021Q1.parquet")


if __name__ == "__main__":
    matrix_with_title_cells()
    matrix_named_by_file()
    long_workbook()
    parquet_file()
