"""Fixtures of the ingestion tests: a tiny synthetic region from the real generator, isolated warehouses."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

TINY_MONTH = "2025-01"


@pytest.fixture(scope="session")
def tiny_region(tmp_path_factory) -> dict[str, Path]:
    """One month of the tiny scale (every defect kind is forced in the first month), generated in-process."""
    from click.testing import CliRunner

    from sources.generator.cli import generate_command

    root = tmp_path_factory.mktemp("tiny_region")
    result = CliRunner().invoke(generate_command, [
        "--scale", "tiny", "--months", "1", "--start", TINY_MONTH, "--seed", "7",
        "--out", str(root / "inbox"), "--truth", str(root / "truth"), "--quiet"])
    assert result.exit_code == 0, result.output
    return {"inbox": root / "inbox", "truth": root / "truth"}


def use_warehouse(monkeypatch, root: Path, inbox: Path | None = None):
    """Point the settings at a fresh warehouse (and optionally a copy of an inbox)."""
    from pipelines.config import load_settings

    monkeypatch.setenv("SPRO_WAREHOUSE_DIR", str(root / "warehouse"))
    monkeypatch.delenv("SPRO_DUCKDB_PATH", raising=False)
    target = root / "inbox"
    if inbox is not None and not target.exists():
        shutil.copytree(inbox, target)
    target.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("SPRO_INBOX_DIR", str(target))
    return load_settings()


def ingest_all(settings, months=(TINY_MONTH,), **options):
    from pipelines.ingestion.common_model import ASSET_FEEDS
    from pipelines.ingestion.service import ingest_partition

    results = []
    for month in months:
        for asset in ASSET_FEEDS:
            results.append(ingest_partition(settings, asset, month, **options))
    return results


def table_snapshot(con, table: str) -> list[tuple]:
    """A table's rows without the columns that legitimately differ between runs (times, ids)."""
    columns = [r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
        table.split(".")).fetchall()]
    kept = [c for c in columns if c not in ("loaded_at", "quarantined_at", "flagged_at", "ledger_id", "run_id",
                                             "received_at")]
    quoted = ", ".join(f'"{c}"' for c in kept)
    return con.execute(f"select {quoted} from {table} order by all").fetchall()


RAW_TABLES = ("raw.activity_acts", "raw.activity_aggregates", "raw.rio_entries", "raw.psad_followups",
              "raw.lorfolio_events", "raw.events", "raw.event_registrations", "raw.event_satisfaction",
              "ops.quarantine", "ops.row_flags", "ops.load_ledger")
