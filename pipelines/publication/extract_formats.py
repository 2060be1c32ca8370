"""Machine formats of an extract: Etalab CSV, its Table Schema, Parquet.

Etalab's guidance for open data CSV: UTF-8, comma separator, a header row, ISO 8601 dates and a
decimal point; Frictionless Table Schema describes each column so anyone can validate the file.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

DATASET_COLUMNS = [
    "indicateur",
    "periode",
    "niveau_territoire",
    "code_territoire",
    "libelle_territoire",
    "reseau",
    "valeur",
    "statut",
    "unite",
]

STATUS_VALUES = ["publie", "secret_primaire", "secret_secondaire"]

COLUMN_DESCRIPTIONS_FR = {
    "indicateur": ("Indicateur", "Code de l'indicateur dans le catalogue des indicateurs communs", "string"),
    "periode": ("Période", "Mois (AAAA-MM) ou année (AAAA)", "string"),
    "niveau_territoire": ("Niveau territorial", "bassin, agence, departement ou region", "string"),
    "code_territoire": ("Code territoire", "Code du bassin d'emploi, de l'agence, du département ou GE", "string"),
    "libelle_territoire": ("Territoire", "Libellé du territoire", "string"),
    "reseau": ("Réseau", "Code du réseau membre du SPRO, ou TOUS", "string"),
    "valeur": ("Valeur", "Valeur de l'indicateur ; vide si elle est couverte par le secret statistique", "number"),
    "statut": ("Statut", "publie, secret_primaire (effectif sous le seuil) ou secret_secondaire (masqué pour protéger une autre case)", "string"),
    "unite": ("Unité", "Unité de la valeur (personnes, actes, taux, jours…)", "string"),
}


def published_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns in their published order, hidden values removed (their status says why)."""
    out = frame[DATASET_COLUMNS].copy()
    out["valeur"] = out["valeur"].astype("float64")
    out.loc[out["statut"] != "publie", "valeur"] = None
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    published_frame(frame).to_csv(path, index=False, encoding="utf-8", sep=",", decimal=".", lineterminator="\n")
    return path


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    table = pa.Table.from_pandas(published_frame(frame), preserve_index=False)
    pq.write_table(table, path, compression="zstd")
    return path


def table_schema(frame: pd.DataFrame, label_fr: str) -> dict:
    """A Frictionless Table Schema for a dataset, with French titles and descriptions."""
    fields = []
    for column in DATASET_COLUMNS:
        title, description, kind = COLUMN_DESCRIPTIONS_FR[column]
        field = {"name": column, "title": title, "description": description, "type": kind}
        if column == "statut":
            field["constraints"] = {"required": True, "enum": STATUS_VALUES}
        elif column in ("indicateur", "periode", "niveau_territoire", "code_territoire", "reseau"):
            field["constraints"] = {"required": True}
        fields.append(field)
    return {
        "title": label_fr,
        "fields": fields,
        "missingValues": [""],
        "primaryKey": ["indicateur", "periode", "niveau_territoire", "code_territoire", "reseau"],
    }
