"""Contract test: a report written by the real ingestion code is listed and read by the portal.

Why: the portal's fixture mirrors the report format by hand; this test catches a drift between that
format (pipelines.ingestion.reports) and what the portal reads.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from pipelines.portal.accounts import Account
from pipelines.portal.reports import ReportIndex


def test_portal_reads_the_reports_written_by_ingestion(tmp_path, portal_fixture):
    from pipelines.ingestion.loader import FileOutcome
    from pipelines.ingestion.reports import write_report

    outcome = FileOutcome(
        file_name="ML001_2025-03.csv", feed="activity", contract="ml_per_act_csv", sender="ML001",
        month="2025-03", sha256="ab" * 32, size_bytes=12345, version=1, status="loaded",
        rows_read=100, rows_loaded=98, rows_quarantined=2, rows_flagged=1,
        quarantined=[
            {"source_row": 7, "reason_code": "UNKNOWN_CODE",
             "details": [{"raison": "UNKNOWN_CODE", "colonne": "Prestation", "valeur": "XX"}]},
            {"source_row": 9, "reason_code": "IMPOSSIBLE_DATE",
             "details": [{"raison": "IMPOSSIBLE_DATE", "colonne": "Date entretien", "valeur": "31/02/2025"}]},
        ],
        flagged=[{"source_row": 12, "column_name": "Commentaire", "reason_code": "UNKNOWN_CODE"}],
        received_at=datetime(2025, 4, 2, 8, 30), loaded_at=datetime(2025, 4, 2, 8, 31),
    )
    reports_dir = tmp_path / "reports"
    json_path, html_path = write_report(reports_dir, outcome)
    settings = dataclasses.replace(portal_fixture.settings, reports_dir=reports_dir)
    index = ReportIndex(settings)
    member = Account("a@b.fr", "membre", "ML001")
    other = Account("c@d.fr", "membre", "CIO023")
    [report] = index.visible(member)
    assert index.visible(other) == []
    assert index.lookup(other, "ML001", report.report_id) is None
    assert report.report_id == json_path.stem and report.html_path == html_path
    assert report.file_name == "ML001_2025-03.csv" and report.period == "2025-03"
    assert report.status_fr == "Fichier accepté"
    assert (report.rows_received, report.rows_loaded, report.rows_quarantined, report.rows_flagged) == (100, 98, 2, 1)
    codes = {(r["code"], r["kind"]): r for r in report.reasons}
    assert codes[("UNKNOWN_CODE", "ecartee")]["rows"] == "7"
    assert codes[("IMPOSSIBLE_DATE", "ecartee")]["columns"] == "Date entretien"
    assert codes[("UNKNOWN_CODE", "corrigee")]["rows"] == "12"
    assert all(r["label_fr"] and r["fix_fr"] for r in report.reasons)
    assert report.received_at.startswith("2025-04-02")
