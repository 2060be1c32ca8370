"""Per-file reception reports for members, in French: an HTML page and a machine-readable JSON.

They are what the member portal will show: written under reports/<sender_code>/, one pair per file
version, with every French sentence taken from reasons.py. HTML is rendered by jinja2 with
autoescaping on (values come from members' files).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from pipelines.ingestion.loader import FileOutcome
from pipelines.ingestion.reasons import REASONS

STATUS_FR = {
    "loaded": ("Fichier accepté", "accepte"),
    "rejected": ("Fichier refusé", "rejete"),
    "duplicate": ("Fichier déjà reçu (doublon, non rechargé)", "doublon"),
    "failed": ("Chargement interrompu par une erreur technique : il sera relancé", "echec"),
}


@lru_cache(maxsize=1)
def _template():
    env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    return env.get_template("file_report.html.j2")


def _reason(code: str) -> dict:
    known = REASONS.get(code)
    if not known:
        return {"code": code, "libelle": code, "comment_corriger": "Contactez l'équipe de l'entrepôt."}
    return {"code": code, "libelle": known.label_fr, "comment_corriger": known.fix_fr}


def report_payload(outcome: FileOutcome) -> dict:
    """The JSON report (also the HTML's data): French keys, stable codes for machines."""
    label, css = STATUS_FR.get(outcome.status, (outcome.status, ""))
    payload = {
        "fichier": outcome.file_name, "expediteur": outcome.sender, "mois": outcome.month,
        "contrat": outcome.contract, "version": outcome.version, "statut": outcome.status,
        "statut_libelle": label, "classe_statut": css, "taille_octets": outcome.size_bytes,
        "sha256": outcome.sha256,
        "recu_le": outcome.received_at.isoformat(timespec="seconds") if outcome.received_at else None,
        "charge_le": outcome.loaded_at.isoformat(timespec="seconds") if outcome.loaded_at else None,
        "lignes_lues": outcome.rows_read, "lignes_acceptees": outcome.rows_loaded,
        "lignes_ecartees": outcome.rows_quarantined, "lignes_corrigees": outcome.rows_flagged,
        "motif_rejet": None, "liste_tronquee": outcome.truncated,
        "lignes_rejetees": [
            {"ligne": q["source_row"], "motif_principal": q["reason_code"],
             "problemes": [{**_reason(d["raison"]), "colonne": d["colonne"], "valeur": d["valeur"]}
                           for d in q["details"]]}
            for q in outcome.quarantined
        ],
        "lignes_signalees": [
            {"ligne": int(f["source_row"]), "colonne": f["column_name"], **_reason(f["reason_code"])}
            for f in outcome.flagged
        ],
    }
    if outcome.status in ("rejected", "failed", "duplicate") and (outcome.reason_code or outcome.reason_detail):
        reason = _reason(outcome.reason_code) if outcome.reason_code in REASONS else {
            "code": outcome.reason_code, "libelle": label, "comment_corriger": "Aucune action nécessaire."}
        payload["motif_rejet"] = {**reason, "detail": outcome.reason_detail or ""}
    return payload


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


def report_paths(reports_dir: Path, outcome: FileOutcome) -> tuple[Path, Path]:
    folder = reports_dir / _safe(outcome.sender or "inconnu")
    stem = _safe(Path(outcome.file_name).stem) + f"__v{outcome.version or 0}_{outcome.sha256[:8]}"
    return folder / f"{stem}.json", folder / f"{stem}.html"


def write_report(reports_dir: Path, outcome: FileOutcome) -> tuple[Path, Path]:
    """Write the JSON and HTML reports of one received file; returns their paths."""
    payload = report_payload(outcome)
    json_path, html_path = report_paths(reports_dir, outcome)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    # No indentation: json.dumps indents in pure Python, ~10 times slower than its C encoder, and this
    # runs in the single writer for each of a region-year's ~3,700 files (the HTML is the readable one).
    json_path.write_text(json.dumps(payload, ensure_ascii=False, default=str), encoding="utf-8")
    html_path.write_text(_template().render(r=payload), encoding="utf-8")
    return json_path, html_path
