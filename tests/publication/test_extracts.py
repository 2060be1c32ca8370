"""The Region's extract folder: formats readable by their standard tools, versions, atomicity."""

from __future__ import annotations

import json

import openpyxl
import pandas as pd
import pytest
from frictionless import Resource, Schema

from pipelines.publication.extracts import Dataset, latest_version_dir, write_extract

INDICATORS = [
    {"code": "act_people_served", "label_fr": "Personnes accueillies", "definition_fr": "Nombre de personnes distinctes",
     "formula": "count(distinct person_key)", "unit": "personnes", "family": "suivi", "threshold": 5},
    {"code": "act_distance_share", "label_fr": "Part des actes à distance", "definition_fr": "Actes à distance / actes",
     "formula": "distance / total", "unit": "taux", "family": "suivi", "threshold": 5},
]


def _rows(period: str, people: dict[str, tuple[float, str]]) -> pd.DataFrame:
    territories = {
        "GE": ("region", "Grand Est"),
        "AG09": ("agence", "Strasbourg"),
        "AG12": ("agence", "Mulhouse"),
        "37": ("bassin", "Strasbourg"),
        "21": ("bassin", "Mulhouse"),
    }
    records = []
    for code, (level, label) in territories.items():
        value, status = people[code]
        records.append(("act_people_served", period, level, code, label, "TOUS", value, status, "personnes"))
        records.append(("act_distance_share", period, level, code, label, "TOUS", 0.25, "publie", "taux"))
    return pd.DataFrame(records, columns=["indicateur", "periode", "niveau_territoire", "code_territoire",
                                          "libelle_territoire", "reseau", "valeur", "statut", "unite"])


@pytest.fixture
def activity_dataset() -> Dataset:
    people = {"GE": (1203, "publie"), "AG09": (800, "publie"), "AG12": (403, "publie"),
              "37": (3, "secret_primaire"), "21": (7, "secret_secondaire")}
    return Dataset(name="activite", family="suivi", label_fr="Activité", frame=_rows("2025-03", people))


def test_extract_folder_has_every_format_and_a_manifest(tmp_path, activity_dataset):
    folder, created = write_extract([activity_dataset], period="2025-03", kind="mensuel", indicators=INDICATORS,
                                    exports_dir=tmp_path, code_version="test")
    assert created and folder.name == "v001"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["period"] == "2025-03" and manifest["datasets"][0]["rows"] == 10
    assert sorted(p.name for p in folder.iterdir()) == [
        "activite.csv", "activite.parquet", "activite.schema.json", "manifest.json", "spro_2025-03_indicateurs.xlsx"]

    csv = pd.read_csv(folder / "activite.csv", dtype={"code_territoire": str})
    hidden = csv[csv["statut"] != "publie"]
    assert set(hidden["code_territoire"]) == {"37", "21"}
    assert hidden["valeur"].isna().all(), "a hidden cell's value must not be published"
    parquet = pd.read_parquet(folder / "activite.parquet")
    assert len(parquet) == 10 and parquet["valeur"].isna().sum() == 2

    schema = Schema.from_descriptor(json.loads((folder / "activite.schema.json").read_text()))
    report = Resource(path="activite.csv", basepath=str(folder), schema=schema).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_workbook_shows_s_for_hidden_cells_and_definitions(tmp_path, activity_dataset):
    folder, _ = write_extract([activity_dataset], period="2025-03", kind="mensuel", indicators=INDICATORS,
                              exports_dir=tmp_path, code_version="test")
    book = openpyxl.load_workbook(folder / "spro_2025-03_indicateurs.xlsx")
    assert book.sheetnames == ["Activité", "Définitions"]
    sheet = book["Activité"]
    header = [cell.value for cell in sheet[1]]
    assert header[:4] == ["Niveau", "Code", "Territoire", "Part des actes à distance"]
    people_column = header.index("Personnes accueillies") + 1
    by_code = {sheet.cell(row, 2).value: sheet.cell(row, people_column).value for row in range(2, sheet.max_row + 1)}
    assert by_code == {"GE": 1203, "AG09": 800, "AG12": 403, "21": "s", "37": "s"}
    assert sheet._charts, "the breakdown by agency is drawn"
    definitions = [row for row in book["Définitions"].iter_rows(min_row=2, max_row=3, values_only=True)]
    assert definitions[0][:2] == ("act_people_served", "Personnes accueillies")


def test_same_content_adds_no_version_and_new_content_adds_one(tmp_path, activity_dataset):
    first, _ = write_extract([activity_dataset], period="2025-03", kind="mensuel", indicators=INDICATORS,
                             exports_dir=tmp_path, code_version="test")
    again, created = write_extract([activity_dataset], period="2025-03", kind="mensuel", indicators=INDICATORS,
                                   exports_dir=tmp_path, code_version="test")
    assert not created and again == first
    changed_frame = activity_dataset.frame.copy()
    changed_frame.loc[changed_frame["code_territoire"] == "GE", "valeur"] = 1300
    changed = Dataset(name="activite", family="suivi", label_fr="Activité", frame=changed_frame)
    second, created = write_extract([changed], period="2025-03", kind="mensuel", indicators=INDICATORS,
                                    exports_dir=tmp_path, code_version="test")
    assert created and second.name == "v002"
    assert latest_version_dir(tmp_path, "2025-03") == second
    assert (first / "manifest.json").exists(), "the earlier version is kept"


def test_a_failed_write_leaves_no_partial_folder(tmp_path, activity_dataset, monkeypatch):
    import pipelines.publication.extracts as extracts

    def broken_workbook(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(extracts, "write_workbook", broken_workbook)
    with pytest.raises(OSError):
        write_extract([activity_dataset], period="2025-03", kind="mensuel", indicators=INDICATORS,
                      exports_dir=tmp_path, code_version="test")
    root = tmp_path / "region" / "2025-03"
    assert list(root.iterdir()) == []
    assert latest_version_dir(tmp_path, "2025-03") is None
