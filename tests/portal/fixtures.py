"""A small, realistic published snapshot for the portal's tests, in exactly the documented layout.

Why a fixture of our own: the publication and ingestion code that writes these folders is built in
parallel; the portal must be developed and tested against the contract (docs/architecture.md,
"Publication" and "Member reception reports"), not against whatever a run happens to produce.

It also plants traps the portal must never serve: an older version and a half-written temporary
folder with different numbers, an unlisted person-level file beside the published ones, a fake
warehouse file, a symbolic link from one member's folder to another's report.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import os
import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import xlsxwriter
import yaml

from pipelines.config import REPO_ROOT, Settings, load_settings

COLUMNS = [
    "indicateur", "periode", "niveau_territoire", "code_territoire", "libelle_territoire",
    "reseau", "valeur", "statut", "unite",
]
SEEDS = REPO_ROOT / "dbt_project" / "seeds"
CATALOGUE = REPO_ROOT / "dbt_project" / "indicators" / "catalogue.yml"

MEMBER_A = "ML001"       # Mission locale de Charleville-Mézières (agency AG01)
MEMBER_B = "CIO023"      # CIO de Strasbourg (agency AG09)
PASSWORD = "mot-de-passe-de-test-123"
EMAILS = {
    "region": "region@test.spro-grandest.fr",
    "member_a": "ml001@test.spro-grandest.fr",
    "member_b": "cio023@test.spro-grandest.fr",
}
# Values planted only in places the portal must not show (old version, temporary folder, hidden cell).
NEVER_SHOWN = ["987654", "TEMPORAIRE-NON-PUBLIE", "PERSONNE-IDENTIFIABLE"]
SECRET_OF_B = "SECRET-DU-CIO023"

# dataset name -> (label, indicators (code, unit, base value at region level))
FAMILIES = {
    "activite": ("Activité des membres", [("ACT_PEOPLE", "personnes", 48210), ("ACT_ACTS", "actes", 131870),
                                          ("ACT_DISTANCE_SHARE", "taux", 0.318)]),
    "parcours": ("Parcours entre membres", [("PATH_REDIRECTED_PEOPLE", "personnes", 3120),
                                            ("PATH_SEEN_30D", "taux", 0.412)]),
    "psad": ("Décrochage scolaire (PSAD)", [("PSAD_IDENTIFIED", "jeunes", 1340), ("PSAD_CONTACT_RATE", "taux", 0.71)]),
    "lorfolio": ("Lorfolio", [("LOR_ACCOUNTS_CREATED", "comptes", 2260), ("LOR_CVS", "actes", 1710)]),
    "evenements": ("Événements de l'agenda de l'orientation", [("EVT_EVENTS", "evenements", 214),
                                                               ("EVT_PARTICIPANTS", "participants", 18350)]),
    "valeurs_charte": ("Valeurs de la charte", [("VAL_WOMEN_SHARE", "taux", 0.52)]),
    "qualite_donnees": ("Qualité des données transmises", [("VAL_DATA_COMPLETENESS", "taux", 0.94)]),
}
NETWORK_SPLIT = {"ML": 0.41, "CIO": 0.22, "PE": 0.37}


@dataclass(frozen=True)
class PortalFixture:
    settings: Settings
    periods: list[str]
    latest: str                       # the latest monthly period
    frames: dict[str, dict[str, pd.DataFrame]]   # period -> dataset -> published frame


def portal_settings(root: Path) -> Settings:
    """Settings whose run-time folders all live under `root` (nothing touches ./warehouse)."""
    base = load_settings()
    warehouse = root / "warehouse"
    return dataclasses.replace(
        base,
        warehouse_dir=warehouse,
        duckdb_path=warehouse / "spro.duckdb",
        inbox_dir=warehouse / "inbox",
        archive_dir=warehouse / "archive",
        reports_dir=warehouse / "reports",
        exports_dir=warehouse / "exports",
        oref_dir=warehouse / "oref",
        dagster_home=warehouse / "dagster_home",
        environment="demo",
    )


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _territories() -> list[tuple[str, str, str, float]]:
    """(level, code, label, weight): region, 12 agencies, 43 bassins; weights from population."""
    bassins = _rows(SEEDS / "ref_bassins.csv")
    agencies = {r["agency_code"]: r["agency_name"] for r in _rows(SEEDS / "ref_agencies.csv")}
    total = sum(int(b["population_15_29"]) for b in bassins)
    out = [("region", "GE", "Grand Est", 1.0)]
    for code, name in agencies.items():
        weight = sum(int(b["population_15_29"]) for b in bassins if b["agency_code"] == code) / total
        out.append(("agence", code, name, weight))
    for b in bassins:
        out.append(("bassin", b["bassin_code"], b["bassin_name"], int(b["population_15_29"]) / total))
    return out


def build_frame(dataset: str, period: str, seed: int, scale: float = 1.0) -> pd.DataFrame:
    """A long published table: hidden cells (small counts) have no value and a secret status."""
    return _build_frame(dataset, period, seed, scale).copy()


@lru_cache(maxsize=None)
def _build_frame(dataset: str, period: str, seed: int, scale: float) -> pd.DataFrame:
    rng = random.Random(f"{dataset}-{period}-{seed}")
    threshold = 11 if dataset == "psad" else 5
    records = []
    for code, unit, base in FAMILIES[dataset][1]:
        networks = ["TOUS", *NETWORK_SPLIT] if dataset == "activite" else ["TOUS"]
        for network in networks:
            for level, territory, label, weight in _territories():
                if unit == "taux":
                    value = round(min(0.99, max(0.01, base * rng.uniform(0.8, 1.2))), 3)
                    people = base * weight * 4000 * (NETWORK_SPLIT.get(network, 1.0))
                else:
                    value = round(base * scale * weight * NETWORK_SPLIT.get(network, 1.0) * rng.uniform(0.85, 1.15))
                    people = value
                status = "publie"
                if people < threshold:
                    status = "secret_primaire"
                records.append([code, period, level, territory, label, network, float(value), status, unit])
    frame = pd.DataFrame(records, columns=COLUMNS)
    # Secondary suppression, as the publication layer would do: when a single bassin of an agency is
    # hidden, hide its smallest published sibling too, so it cannot be recomputed from the agency total.
    agency_of = {b["bassin_code"]: b["agency_code"] for b in _rows(SEEDS / "ref_bassins.csv")}
    bassins = frame[frame["niveau_territoire"] == "bassin"].assign(
        agence=lambda f: f["code_territoire"].map(agency_of))
    for _, group in bassins.groupby(["indicateur", "reseau", "agence"]):
        published = group[group["statut"] == "publie"]
        if (group["statut"] == "secret_primaire").sum() == 1 and len(published):
            frame.loc[published["valeur"].idxmin(), "statut"] = "secret_secondaire"
    frame.loc[frame["statut"] != "publie", "valeur"] = None
    return frame


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _schema(label: str) -> dict:
    return {"title": label, "fields": [{"name": c, "type": "number" if c == "valeur" else "string"} for c in COLUMNS],
            "missingValues": [""],
            "primaryKey": ["indicateur", "periode", "niveau_territoire", "code_territoire", "reseau"]}


@lru_cache(maxsize=1)
def _indicators() -> list[dict]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    catalogue = yaml.load(CATALOGUE.read_text(encoding="utf-8"), Loader=loader)
    wanted = {code for _, items in FAMILIES.values() for code, _, _ in items}
    return [
        {"code": i["code"], "label_fr": i["label_fr"], "definition_fr": i["definition_fr"], "unit": i["unit"],
         "family": i["family"], "threshold": i.get("disclosure_threshold", 5)}
        for i in catalogue["indicators"] if i["code"] in wanted
    ]


def write_version(folder: Path, period: str, version: str, frames: dict[str, pd.DataFrame]) -> None:
    """One version folder with manifest.json, CSV, Parquet, schema and the XLSX workbook."""
    folder.mkdir(parents=True)
    datasets = []
    for name, frame in frames.items():
        label = FAMILIES[name][0]
        frame.to_csv(folder / f"{name}.csv", index=False, encoding="utf-8", lineterminator="\n")
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), folder / f"{name}.parquet")
        (folder / f"{name}.schema.json").write_text(json.dumps(_schema(label), ensure_ascii=False))
        files = {"csv": f"{name}.csv", "parquet": f"{name}.parquet", "schema": f"{name}.schema.json"}
        datasets.append({
            "name": name, "family": name, "label_fr": label, "files": files, "rows": len(frame),
            "sha256": {f: _sha256(folder / f) for f in files.values()},
            "dimensions": [{"column": "code_territoire", "total_value": "GE",
                            "hierarchy": {"child_column": "niveau_territoire"}},
                           {"column": "reseau", "total_value": "TOUS"}],
            "measures": [{"column": "valeur", "status_column": "statut",
                          "thresholds": {c: (11 if name == "psad" else 5) for c in frame["indicateur"].unique()}}],
        })
    workbook_name = f"spro_{period}_indicateurs.xlsx"
    book = xlsxwriter.Workbook(str(folder / workbook_name))
    for name, frame in frames.items():
        sheet = book.add_worksheet(name[:31])
        sheet.write_row(0, 0, COLUMNS)
        for i, row in enumerate(frame.itertuples(index=False), start=1):
            sheet.write_row(i, 0, ["s" if (c == "valeur" and row.statut != "publie") else
                                   ("" if pd.isna(v) else v) for c, v in zip(COLUMNS, row)])
    book.close()
    manifest = {
        "period": period, "kind": "annuel" if len(period) == 4 else "mensuel", "version": version,
        "generated_at": f"{period[:4]}-{'12' if len(period) == 4 else period[5:]}-28T09:30:00+00:00",
        "code_version": "test", "content_sha256": "0" * 64,
        "workbook": {"file": workbook_name, "sha256": _sha256(folder / workbook_name)},
        "datasets": datasets, "indicators": _indicators(),
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2))


def _problem(code: str, label: str, fix: str, column: str, value: str) -> dict:
    return {"code": code, "libelle": label, "comment_corriger": fix, "colonne": column, "valeur": value}


def _report(sender: str, file_name: str, month: str, status: str, read: int, rejected_rows: list[dict],
            flagged: list[dict] | None = None, rejection: dict | None = None, contract: str = "ml_per_act_csv") -> dict:
    """A reception report with the keys of pipelines.ingestion.reports.report_payload."""
    labels = {"loaded": ("Fichier accepté", "accepte"), "rejected": ("Fichier refusé", "rejete")}
    label, css = labels[status]
    digest = hashlib.sha256(file_name.encode()).hexdigest()
    accepted = 0 if status == "rejected" else read - len(rejected_rows)
    return {
        "fichier": file_name, "expediteur": sender, "mois": month, "contrat": contract, "version": 1,
        "statut": status, "statut_libelle": label, "classe_statut": css, "taille_octets": read * 87,
        "sha256": digest, "recu_le": f"{month}-05T08:1{len(file_name) % 10}:00",
        "charge_le": None if status == "rejected" else f"{month}-05T08:2{len(file_name) % 10}:00",
        "lignes_lues": read, "lignes_acceptees": accepted, "lignes_ecartees": len(rejected_rows),
        "lignes_corrigees": len(flagged or []), "motif_rejet": rejection, "liste_tronquee": False,
        "lignes_rejetees": rejected_rows, "lignes_signalees": flagged or [],
    }


def report_stem(file_name: str) -> str:
    """As pipelines.ingestion.reports.report_paths names them: <stem>__v<version>_<sha8>."""
    return f"{Path(file_name).stem}__v1_{hashlib.sha256(file_name.encode()).hexdigest()[:8]}"


A_REPORT_ID = report_stem("ML001_2025-02.csv")
A_OLD_REPORT_ID = report_stem("ML001_2025-01.csv")
B_REPORT_ID = report_stem("CIO023_2025-02.csv")
PSAD_REPORT_ID = report_stem("PSAD01_2025-02_rio.csv")


def write_reports(reports_dir: Path) -> None:
    """Reception reports of member A (two files), member B (one, with a secret) and a PSAD platform."""
    unknown = ("UNKNOWN_CODE", "Code inconnu de la nomenclature convenue",
               "Utilisez un des codes de la nomenclature du contrat d'échange (voir la liste des valeurs acceptées).")
    bad_date = ("IMPOSSIBLE_DATE", "Date impossible ou illisible",
                "Saisissez une date réelle au format convenu (ex. 31/01/2025).")
    a_rows = [
        {"ligne": 14, "motif_principal": "UNKNOWN_CODE", "problemes": [_problem(*unknown, "Prestation", "ACCX")]},
        {"ligne": 88, "motif_principal": "UNKNOWN_CODE", "problemes": [_problem(*unknown, "Prestation", "CNS")]},
        {"ligne": 203, "motif_principal": "IMPOSSIBLE_DATE",
         "problemes": [_problem(*bad_date, "Date entretien", "31/02/2025"), _problem(*unknown, "Canal", "TLP")]},
    ]
    flagged = [{"ligne": 57, "colonne": "Commentaire", "code": "COMMENT_PHONE_REDACTED",
                "libelle": "Numéro de téléphone retiré du commentaire",
                "comment_corriger": "N'inscrivez pas de coordonnées dans les commentaires."}]
    reports = {
        MEMBER_A: [
            ("ML001_2025-01.csv", _report(MEMBER_A, "ML001_2025-01.csv", "2025-01", "loaded", 1843, [])),
            ("ML001_2025-02.csv", _report(MEMBER_A, "ML001_2025-02.csv", "2025-02", "loaded", 1912, a_rows, flagged)),
        ],
        MEMBER_B: [
            ("CIO023_2025-02.csv", _report(MEMBER_B, "CIO023_2025-02.csv", "2025-02", "rejected", 610, [],
                                           contract="cio_per_act_csv", rejection={
                "code": "MISSING_COLUMN", "libelle": "Colonne obligatoire absente",
                "comment_corriger": "Ajoutez la colonne manquante avec exactement le nom convenu.",
                "detail": f"Colonne « INE » absente {SECRET_OF_B}"})),
        ],
        "PSAD01": [
            ("PSAD01_2025-02_rio.csv", _report("PSAD01", "PSAD01_2025-02_rio.csv", "2025-02", "loaded", 87, [],
                                               contract="rio_csv")),
        ],
    }
    for sender, items in reports.items():
        folder = reports_dir / sender
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in items:
            stem = report_stem(name)
            (folder / f"{stem}.json").write_text(json.dumps(data, ensure_ascii=False, indent=1))
            (folder / f"{stem}.html").write_text(
                f"<!doctype html><html lang='fr'><head><meta charset='utf-8'><title>Rapport {name}</title></head>"
                f"<body><h1>Rapport de réception {name}</h1><p>Expéditeur {sender}</p>"
                f"{'<p>' + SECRET_OF_B + '</p>' if sender == MEMBER_B else ''}</body></html>",
                encoding="utf-8",
            )
    # A symbolic link in member A's folder to member B's report: must never be followed.
    try:
        os.symlink(reports_dir / MEMBER_B / f"{B_REPORT_ID}.json", reports_dir / MEMBER_A / "lien_CIO023.json")
    except OSError:  # pragma: no cover - file systems without symlinks
        pass


def write_portal_fixture(settings: Settings) -> PortalFixture:
    """Write the whole published snapshot + reports under `settings`; return what was published."""
    region = settings.exports_dir / "region"
    frames: dict[str, dict[str, pd.DataFrame]] = {}
    periods = ["2025-01", "2025-02", "2024"]
    for period in periods:
        scale = 12.0 if len(period) == 4 else 1.0
        seed = 2 if period == "2025-02" else 1
        published = {name: build_frame(name, period, seed, scale) for name in FAMILIES}
        frames[period] = published
        root = region / period
        if period == "2025-02":
            # An older version with other numbers: superseded, must not be shown.
            old = {name: frame.copy() for name, frame in published.items()}
            old["activite"].loc[old["activite"]["code_territoire"] == "GE", "valeur"] = 987654.0
            write_version(root / "v001", period, "v001", old)
            write_version(root / "v002", period, "v002", published)
            # Half-written next version (temporary folder, not yet renamed): must not be shown.
            tmp = root / ".tmp-5f1c2d"
            tmp.mkdir()
            (tmp / "activite.csv").write_text("indicateur\nTEMPORAIRE-NON-PUBLIE\n")
            (tmp / "manifest.json").write_text(json.dumps({"datasets": [{"name": "activite", "files": {
                "csv": "activite.csv"}}]}))
            (root / "LATEST").write_text("v002\n")
            # Person-level file dropped beside the published files (a mistake): not in the manifest.
            (root / "v002" / "personnes.csv").write_text("nom,prenom\nPERSONNE-IDENTIFIABLE,Jean\n")
            (root / "v002" / ".cache.csv").write_text("PERSONNE-IDENTIFIABLE\n")
        else:
            write_version(root / "v001", period, "v001", published)
            (root / "LATEST").write_text("v001\n")
    # The warehouse itself: the portal must never serve it.
    settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
    settings.duckdb_path.write_text("PERSONNE-IDENTIFIABLE warehouse\n")
    (settings.exports_dir / "region" / "README.txt").write_text("PERSONNE-IDENTIFIABLE\n")
    write_reports(settings.reports_dir)
    return PortalFixture(settings=settings, periods=periods, latest="2025-02", frames=frames)


def create_test_accounts(settings: Settings) -> None:
    from pipelines.portal.accounts import ROLE_MEMBER, ROLE_REGION, AccountStore

    store = AccountStore.for_settings(settings)
    if store.get(EMAILS["region"]) is None:
        store.create(EMAILS["region"], ROLE_REGION, PASSWORD)
        store.create(EMAILS["member_a"], ROLE_MEMBER, PASSWORD, member_code=MEMBER_A)
        store.create(EMAILS["member_b"], ROLE_MEMBER, PASSWORD, member_code=MEMBER_B)
