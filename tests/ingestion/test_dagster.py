"""Ingestion through Dagster: the ingest_month job, its asset checks, ingest_inbox and the French summary."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from tests.ingestion.conftest import TINY_MONTH, use_warehouse


@pytest.mark.slow
def test_ingest_month_job_materialises_the_four_raw_assets_with_passing_checks(tiny_region, tmp_path, monkeypatch):
    from pipelines.ingestion.service import format_ledger_summary, ingest_inbox
    from pipelines.runner import run_job

    inbox = tmp_path / "source_inbox"
    for folder in ("activity", "rio", "psad", "lorfolio", "events"):
        (inbox / folder).mkdir(parents=True)
    for pattern in ("activity/ML001_*", "activity/CIO001_*", "rio/PSAD01_*", "psad/PSAD01_*", "lorfolio/*",
                    "events/*"):
        for path in tiny_region["inbox"].glob(pattern):
            shutil.copy(path, inbox / path.relative_to(tiny_region["inbox"]))
    settings = use_warehouse(monkeypatch, tmp_path, inbox)
    result = run_job("ingest_month", settings, partition_key=TINY_MONTH)
    assert result.success
    materialised = {m.asset_key.to_user_string() for m in result.get_asset_materialization_events()
                    for m in [m.event_specific_data.materialization]}
    assert materialised == {"raw_member_activity", "raw_rio", "raw_lorfolio", "raw_events"}
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == 4 * 5
    assert all(e.passed for e in evaluations), [(e.asset_key, e.check_name, e.metadata) for e in evaluations
                                                if not e.passed]
    from pipelines.definitions import defs

    specs = defs.get_repository_def().asset_graph.get_check_spec
    assert all(specs(e.asset_check_key).blocking for e in evaluations)

    summary = ingest_inbox(settings)          # second pass: everything already loaded, through Dagster
    assert summary["months"] == [TINY_MONTH] and TINY_MONTH in summary["runs"]
    assert summary["rows_read"] == summary["rows_loaded"] + summary["rows_quarantined"] > 0
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        text = format_ledger_summary(con)
    assert "Fichiers reçus" in text and "Conservation lues = chargées + écartées : oui" in text
