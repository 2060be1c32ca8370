"""The French XLSX workbook of an extract, for people who open it in a spreadsheet.

One sheet per indicator family (territories in rows: region, agencies, bassins; indicators in
columns), hidden cells shown as `s` (the French statistical-secret mark), a definitions sheet read
from the catalogue, and charts where a picture says more: the breakdown by agency and, in a yearly
extract, the evolution by month.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import xlsxwriter

SECRET_MARK = "s"
LEVEL_ORDER = {"region": 0, "departement": 1, "agence": 2, "bassin": 3}
LEVEL_LABELS_FR = {"region": "Région", "departement": "Département", "agence": "Agence", "bassin": "Bassin d'emploi"}
ALL_NETWORKS = "TOUS"
# A fixed creation date keeps the file identical from one run to the next for the same content.
FIXED_CREATED = datetime(2020, 1, 1)


def _main_period(frame: pd.DataFrame, period: str) -> pd.DataFrame:
    return frame[(frame["periode"] == period) & (frame["reseau"] == ALL_NETWORKS)]


def _labels(indicators: list[dict]) -> dict[str, dict]:
    return {indicator["code"]: indicator for indicator in indicators}


def _cell_format(book, unit: str):
    if unit == "taux":
        return book.add_format({"num_format": "0.0%"})
    if unit in ("jours", "note"):
        return book.add_format({"num_format": "0.0"})
    return book.add_format({"num_format": "#,##0"})


def _family_sheet(book, name: str, frame: pd.DataFrame, period: str, catalogue: dict[str, dict], formats) -> None:
    sheet = book.add_worksheet(name[:31])
    rows = _main_period(frame, period)
    indicators = sorted(rows["indicateur"].unique())
    territories = (
        rows[["niveau_territoire", "code_territoire", "libelle_territoire"]]
        .drop_duplicates()
        .assign(order=lambda d: d["niveau_territoire"].map(LEVEL_ORDER))
        .sort_values(["order", "code_territoire"])
    )
    sheet.write_row(0, 0, ["Niveau", "Code", "Territoire"], formats["header"])
    for column, code in enumerate(indicators, start=3):
        sheet.write(0, column, catalogue.get(code, {}).get("label_fr", code), formats["header"])
    values = rows.set_index(["indicateur", "niveau_territoire", "code_territoire"])
    for row_number, territory in enumerate(territories.itertuples(index=False), start=1):
        sheet.write_row(
            row_number, 0,
            [LEVEL_LABELS_FR.get(territory.niveau_territoire, territory.niveau_territoire),
             territory.code_territoire, territory.libelle_territoire],
        )
        for column, code in enumerate(indicators, start=3):
            key = (code, territory.niveau_territoire, territory.code_territoire)
            if key not in values.index:
                continue
            cell = values.loc[key]
            if cell["statut"] != "publie":
                sheet.write_string(row_number, column, SECRET_MARK, formats["secret"])
            elif pd.notna(cell["valeur"]):
                sheet.write_number(row_number, column, float(cell["valeur"]), _cell_format(book, cell["unite"]))
    sheet.set_column(0, 0, 16)
    sheet.set_column(1, 1, 10)
    sheet.set_column(2, 2, 34)
    sheet.set_column(3, 3 + max(len(indicators) - 1, 0), 22)
    sheet.set_row(0, 45, formats["header"])
    sheet.freeze_panes(1, 3)
    sheet.autofilter(0, 0, len(territories), 2 + len(indicators))
    agencies = territories.reset_index(drop=True)
    agency_rows = [i + 1 for i, level in enumerate(agencies["niveau_territoire"]) if level == "agence"]
    if agency_rows and indicators:
        chart = book.add_chart({"type": "bar"})
        first_code = indicators[0]
        chart.add_series(
            {
                "name": catalogue.get(first_code, {}).get("label_fr", first_code),
                "categories": [sheet.name, agency_rows[0], 2, agency_rows[-1], 2],
                "values": [sheet.name, agency_rows[0], 3, agency_rows[-1], 3],
            }
        )
        chart.set_title({"name": "Répartition par agence territoriale"})
        chart.set_legend({"none": True})
        chart.set_size({"width": 620, "height": 420})
        sheet.insert_chart(1, 4 + len(indicators), chart)


def _evolution_sheet(book, datasets, period: str, catalogue, formats) -> None:
    """Monthly evolution of each family's first indicator for the region (yearly extracts)."""
    sheet = book.add_worksheet("Évolution mensuelle")
    sheet.write_row(0, 0, ["Mois"], formats["header"])
    series = []
    for dataset in datasets:
        frame = dataset.frame
        monthly = frame[
            (frame["niveau_territoire"] == "region")
            & (frame["reseau"] == ALL_NETWORKS)
            & (frame["periode"].str.len() == 7)
        ]
        if monthly.empty:
            continue
        code = sorted(monthly["indicateur"].unique())[0]
        series.append((code, monthly[monthly["indicateur"] == code].set_index("periode")))
    months = sorted({m for _, s in series for m in s.index})
    for row, month in enumerate(months, start=1):
        sheet.write(row, 0, month)
    for column, (code, values) in enumerate(series, start=1):
        sheet.write(0, column, catalogue.get(code, {}).get("label_fr", code), formats["header"])
        for row, month in enumerate(months, start=1):
            if month in values.index:
                cell = values.loc[month]
                if cell["statut"] != "publie":
                    sheet.write_string(row, column, SECRET_MARK, formats["secret"])
                else:
                    sheet.write_number(row, column, float(cell["valeur"]), _cell_format(book, cell["unite"]))
    sheet.set_column(0, 0, 10)
    sheet.set_column(1, max(len(series), 1), 24)
    sheet.set_row(0, 45, formats["header"])
    if series and months:
        chart = book.add_chart({"type": "line"})
        code, _ = series[0]
        chart.add_series(
            {
                "name": catalogue.get(code, {}).get("label_fr", code),
                "categories": [sheet.name, 1, 0, len(months), 0],
                "values": [sheet.name, 1, 1, len(months), 1],
                "marker": {"type": "circle"},
            }
        )
        chart.set_title({"name": f"Évolution mensuelle {period}"})
        chart.set_legend({"position": "bottom"})
        sheet.insert_chart(1, len(series) + 2, chart)


def _definitions_sheet(book, indicators: list[dict], formats) -> None:
    sheet = book.add_worksheet("Définitions")
    headers = ["Code", "Indicateur", "Définition", "Formule", "Unité", "Famille", "Seuil de diffusion"]
    sheet.write_row(0, 0, headers, formats["header"])
    for row, indicator in enumerate(indicators, start=1):
        sheet.write_row(
            row, 0,
            [indicator.get("code"), indicator.get("label_fr"), indicator.get("definition_fr"),
             indicator.get("formula"), indicator.get("unit"), indicator.get("family"), indicator.get("threshold")],
            formats["wrap"],
        )
    for column, width in enumerate([22, 36, 70, 40, 12, 12, 10]):
        sheet.set_column(column, column, width)
    sheet.write(len(indicators) + 2, 0, f"« {SECRET_MARK} » : valeur couverte par le secret statistique.")


def write_workbook(path: Path, datasets, indicators: list[dict], *, period: str) -> Path:
    catalogue = _labels(indicators)
    book = xlsxwriter.Workbook(str(path))
    book.set_properties(
        {"title": f"SPRO Grand Est — indicateurs communs {period}", "author": "Région Grand Est — SPRO",
         "created": FIXED_CREATED}
    )
    formats = {
        "header": book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DCE6F1", "border": 1}),
        "secret": book.add_format({"align": "right", "italic": True, "font_color": "#7F7F7F"}),
        "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
    }
    for dataset in datasets:
        _family_sheet(book, dataset.label_fr, dataset.frame, period, catalogue, formats)
    if len(period) == 4:
        _evolution_sheet(book, datasets, period, catalogue, formats)
    _definitions_sheet(book, indicators, formats)
    book.close()
    return path
