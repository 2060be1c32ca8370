"""Members' reception reports, as written by ingestion: `<reports_dir>/<sender_code>/<file>.json|.html`.

Why an index rather than paths: a member may only ever see its own folder, so the portal lists that
folder (or every folder, for the Region) and serves a report only by looking its identifier up in
that listing. A name that is not in the caller's listing is simply "not found": the portal never
joins a user-supplied string to a path, and never says whether another member's report exists.

The JSON is the payload of `pipelines.ingestion.reports.report_payload` (French keys: fichier,
expediteur, mois, statut, statut_libelle, recu_le, lignes_lues, lignes_acceptees, lignes_ecartees,
lignes_corrigees, motif_rejet, lignes_rejetees, lignes_signalees). It is read tolerantly (a few
alternative key names, unknown fields ignored) so the portal does not break when the report gains a
field.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from pipelines.config import Settings
from pipelines.portal.accounts import Account

SENDER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
REPORT_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,150}\.json$")

STATUS_FR = {
    "already": "Fichier déjà reçu (doublon, non rechargé)", "failed": "Chargement interrompu : il sera relancé",
    "accepted": "Accepté", "accepte": "Accepté", "loaded": "Accepté", "ok": "Accepté", "charge": "Accepté",
    "partial": "Accepté avec lignes en quarantaine", "partiel": "Accepté avec lignes en quarantaine",
    "loaded_with_quarantine": "Accepté avec lignes en quarantaine", "warning": "Accepté avec anomalies",
    "rejected": "Refusé", "rejete": "Refusé", "refuse": "Refusé",
    "duplicate": "Déjà reçu (doublon)", "doublon": "Déjà reçu (doublon)",
}


def _first(data: dict, *keys: str, default=None):
    for key in keys:
        if key in data and data[key] not in (None, ""):
            return data[key]
    return default


@dataclass(frozen=True)
class Report:
    sender: str
    report_id: str        # the JSON file name without ".json" (e.g. "ML001_2025-01.csv")
    json_path: Path
    html_path: Path | None
    data: dict

    @property
    def file_name(self) -> str:
        return str(_first(self.data, "fichier", "file_name", "source_file", "file", default=self.report_id))

    @property
    def period(self) -> str:
        return str(_first(self.data, "mois", "period_month", "month", "periode", "period", default=""))[:7]

    @property
    def received_at(self) -> str:
        return str(_first(self.data, "recu_le", "received_at", "charge_le", "loaded_at", default=""))

    @property
    def status_code(self) -> str:
        return str(_first(self.data, "statut", "status", default="")).lower()

    @property
    def status_fr(self) -> str:
        label = _first(self.data, "status_fr", "statut_libelle", "status_label_fr")
        return str(label) if label else STATUS_FR.get(self.status_code, self.status_code or "—")

    def count(self, *keys: str) -> int | None:
        value = _first(self.data, *keys)
        counts = self.data.get("counts")
        if value is None and isinstance(counts, dict):
            value = _first(counts, *keys)
        try:
            return int(value) if value is not None else None
        except (TypeError, ValueError):
            return None

    @property
    def rows_received(self) -> int | None:
        return self.count("lignes_lues", "rows_read", "rows_received", "rows_total")

    @property
    def rows_loaded(self) -> int | None:
        return self.count("lignes_acceptees", "rows_loaded")

    @property
    def rows_quarantined(self) -> int | None:
        return self.count("lignes_ecartees", "rows_quarantined")

    @property
    def rows_flagged(self) -> int | None:
        return self.count("lignes_corrigees", "rows_flagged")

    @property
    def rejection(self) -> dict | None:
        """Why the whole file was refused (or not reloaded), if it was."""
        reason = self.data.get("motif_rejet")
        if not isinstance(reason, dict):
            return None
        return {
            "label_fr": str(_first(reason, "libelle", "label_fr", "code", default="")),
            "fix_fr": str(_first(reason, "comment_corriger", "fix_fr", default="")),
            "detail": str(reason.get("detail") or ""),
        }

    @property
    def reasons(self) -> list[dict]:
        """One line per problem code: French label, how to fix, number of rows, first row numbers.

        Built from the rows set aside (`lignes_rejetees`, each with its problems) and the rows loaded
        after a correction (`lignes_signalees`)."""
        grouped: dict[str, dict] = {}

        def add(kind: str, problem: dict, row) -> None:
            code = str(_first(problem, "code", "raison", default="?"))
            entry = grouped.setdefault(f"{kind}:{code}", {
                "code": code, "kind": kind,
                "label_fr": str(_first(problem, "libelle", "label_fr", default=code)),
                "fix_fr": str(_first(problem, "comment_corriger", "fix_fr", default="")),
                "columns": set(), "rows": [],
            })
            if problem.get("colonne"):
                entry["columns"].add(str(problem["colonne"]))
            if row is not None and row not in entry["rows"]:
                entry["rows"].append(row)

        for line in self.data.get("lignes_rejetees") or []:
            if isinstance(line, dict):
                for problem in line.get("problemes") or [{"code": line.get("motif_principal")}]:
                    if isinstance(problem, dict):
                        add("ecartee", problem, line.get("ligne"))
        for line in self.data.get("lignes_signalees") or []:
            if isinstance(line, dict):
                add("corrigee", line, line.get("ligne"))
        out = []
        for entry in grouped.values():
            rows = entry["rows"]
            out.append({
                **entry,
                "kind_fr": "Ligne écartée" if entry["kind"] == "ecartee" else "Ligne chargée après correction",
                "columns": ", ".join(sorted(entry["columns"])),
                "count": len(rows),
                "rows": ", ".join(str(r) for r in rows[:20]) + (" …" if len(rows) > 20 else ""),
            })
        return sorted(out, key=lambda e: (e["kind"], -e["count"]))


class ReportIndex:
    """The reports a given account may see, indexed by (sender, report id)."""

    def __init__(self, settings: Settings):
        self.root = settings.reports_dir

    def senders(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(
            p.name for p in self.root.iterdir() if SENDER_RE.match(p.name) and p.is_dir() and not p.is_symlink()
        )

    def visible_senders(self, account: Account) -> list[str]:
        """The Region sees every sender; a member only its own code (folder or not)."""
        if account.is_region:
            return self.senders()
        return [account.member_code] if account.member_code else []

    def for_sender(self, sender: str) -> dict[str, Report]:
        folder = self.root / sender
        if not SENDER_RE.match(sender) or not folder.is_dir() or folder.is_symlink():
            return {}
        reports: dict[str, Report] = {}
        for path in folder.iterdir():
            if not REPORT_NAME_RE.match(path.name) or path.is_symlink() or not path.is_file():
                continue
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue  # a report being written, or damaged: skip, it will show on the next read
            if not isinstance(data, dict):
                continue
            report_id = path.name[: -len(".json")]
            html = folder / f"{report_id}.html"
            html_path = html if html.is_file() and not html.is_symlink() else None
            reports[report_id] = Report(sender, report_id, path, html_path, data)
        return reports

    def visible(self, account: Account, sender: str | None = None) -> list[Report]:
        senders = self.visible_senders(account)
        if sender is not None:
            senders = [s for s in senders if s == sender]
        reports = [r for s in senders for r in self.for_sender(s).values()]
        return sorted(reports, key=lambda r: (r.period, r.received_at, r.sender, r.report_id), reverse=True)

    def lookup(self, account: Account, sender: str, report_id: str) -> Report | None:
        """The report if, and only if, it is in the caller's own listing."""
        if sender not in self.visible_senders(account):
            return None
        return self.for_sender(sender).get(report_id)
