"""Worker processes prepare the files, the calling process writes: the same tables as the writer alone."""

from __future__ import annotations

import re
import shutil

import duckdb
import pytest

from tests.ingestion.conftest import RAW_TABLES, TINY_MONTH, ingest_all, table_snapshot, use_warehouse

FIXED_KEY = "ab" * 32
TABLES = RAW_TABLES + ("ops.identity_tokens",)
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?")


@pytest.fixture
def force_parallel(monkeypatch):
    """Workers even for a tiny inbox, many small windows, workers replaced after two windows."""
    from pipelines.ingestion import parallel, service

    monkeypatch.setattr(service, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(service, "PARALLEL_WINDOW_BYTES", 64 << 10)
    monkeypatch.setattr(parallel, "WINDOWS_PER_WORKER", 2)
    monkeypatch.setattr(parallel, "WORKER_CHUNK_ROWS", 50)   # several chunks per file in the workers


def _inbox_with_repeats(tiny_region, root):
    """The tiny region plus a same-content copy, a corrected version and an empty file."""
    inbox = root / "source_inbox"
    shutil.copytree(tiny_region["inbox"], inbox)
    activity = inbox / "activity"
    shutil.copy(activity / "CIO001_2025-01.csv", activity / "CIO001_2025-01_copie.csv")
    lines = (activity / "ML001_2025-01.csv").read_text(encoding="utf-8-sig").splitlines(keepends=True)
    (activity / "ML001_2025-01_v2.csv").write_text("\ufeff" + "".join(lines[:8]), encoding="utf-8")
    (activity / "AGEFIPH001_2025-01_v2.csv").write_bytes(b"")
    return inbox


def _state(settings) -> tuple[dict, dict]:
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        tables = {t: table_snapshot(con, t) for t in TABLES}
    reports = {str(p.relative_to(settings.reports_dir)): TIMESTAMP.sub("T", p.read_text(encoding="utf-8"))
               for p in sorted(settings.reports_dir.rglob("*")) if p.is_file()}
    return tables, reports


def _run(monkeypatch, root, inbox, workers: int):
    from pipelines.ingestion import service

    monkeypatch.setenv("SPRO_INGEST_WORKERS", str(workers))
    settings = use_warehouse(monkeypatch, root, inbox)
    assert settings.ingest_workers == workers
    runs = []
    for result in ingest_all(settings):
        runs.append((dict(service.LAST_RUN), [(o.file_name, o.status, o.version, o.rows_read, o.rows_loaded,
                                                o.rows_quarantined, o.rows_flagged) for o in result.outcomes]))
    return settings, runs


def test_workers_load_exactly_what_the_writer_alone_loads(tiny_region, tmp_path, monkeypatch, force_parallel):
    from pipelines.ingestion import loader

    monkeypatch.setenv("SPRO_PSEUDONYM_KEY", FIXED_KEY)
    inbox = _inbox_with_repeats(tiny_region, tmp_path)
    alone, alone_runs = _run(monkeypatch, tmp_path / "alone", inbox, workers=0)
    # Count the files the writer took from a worker's spill file: a worker that failed on every file
    # would leave the writer to do the work alone, with the very same tables.
    read_spill, spilled = loader.read_spill, []
    monkeypatch.setattr(loader, "read_spill", lambda path: (spilled.append(path), read_spill(path))[1])
    parallel, parallel_runs = _run(monkeypatch, tmp_path / "parallel", inbox, workers=2)
    loaded = sum(status == "loaded" for _, outcomes in parallel_runs for _, status, *_ in outcomes)
    assert loaded > 0 and len(spilled) >= loaded

    assert all(stats["workers"] == 0 for stats, _ in alone_runs)
    # the real parallel path ran: two workers, which reported their memory
    assert all(stats["workers"] == 2 for stats, _ in parallel_runs)
    assert max(stats["worker_peak_rss_mb"] for stats, _ in parallel_runs) > 0
    assert max(stats["worker_cpu_seconds"] for stats, _ in parallel_runs) > 0
    # files prepared by the workers were committed several per transaction (service.write_window)
    grouped = sum(stats["grouped_files"] for stats, _ in parallel_runs)
    assert grouped > sum(stats["group_commits"] for stats, _ in parallel_runs) > 0
    assert all(stats["group_commits"] == 0 for stats, _ in alone_runs)
    assert [outcomes for _, outcomes in parallel_runs] == [outcomes for _, outcomes in alone_runs]
    statuses = {status for _, outcomes in alone_runs for _, status, *_ in outcomes}
    assert {"loaded", "duplicate", "rejected"} <= statuses
    tables, reports = _state(parallel)
    expected_tables, expected_reports = _state(alone)
    assert tables["ops.identity_tokens"] and tables["ops.quarantine"]
    for table in TABLES:
        assert tables[table] == expected_tables[table], table
    assert reports == expected_reports
    # the spill files are gone
    assert not list(parallel.warehouse_dir.glob(".ingest-spill-*"))


def test_with_workers_a_failure_half_way_rolls_back_only_that_file(tiny_region, tmp_path, monkeypatch, force_parallel):
    from pipelines.ingestion import loader, service
    from pipelines.ingestion.service import ingest_partition

    monkeypatch.setenv("SPRO_PSEUDONYM_KEY", FIXED_KEY)
    monkeypatch.setenv("SPRO_INGEST_WORKERS", "2")
    settings = use_warehouse(monkeypatch, tmp_path / "w", tiny_region["inbox"])
    original = loader._insert_frame

    def failing(con, table, frame, columns):
        original(con, table, frame, columns)
        if table == "raw.activity_acts" and "CIO001" in str(frame.column("source_file")[0].as_py()):
            raise OSError("disque plein (simulé)")

    monkeypatch.setattr(loader, "_insert_frame", failing)
    calls = []     # (file, in its own transaction)
    process_file = service.process_file
    monkeypatch.setattr(service, "process_file", lambda con, f, ctx, prepared=None, own_transaction=True: (
        calls.append((f.name, own_transaction)), process_file(con, f, ctx, prepared, own_transaction))[1])
    result = ingest_partition(settings, "raw_member_activity", TINY_MONTH)
    statuses = {o.file_name: o.status for o in result.outcomes}
    assert statuses["activity/CIO001_2025-01.csv"] == "failed"
    # the failure happened in a transaction shared with other files (service.write_window): the group
    # was rolled back and its files written again, each in its own transaction
    failing_call = calls.index(("activity/CIO001_2025-01.csv", False))
    assert calls[failing_call - 1][1] is False          # a file before it in the same transaction
    assert calls[failing_call - 1][0] in [name for name, own in calls[failing_call + 1:] if own]
    assert ("activity/CIO001_2025-01.csv", True) in calls[failing_call + 1:]
    assert sum(status == "loaded" for status in statuses.values()) == len(statuses) - 1 - sum(
        status == "rejected" for status in statuses.values())
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        assert con.execute("select count(*) from raw.activity_acts where sender_code='CIO001'").fetchall()[0][0] == 0
        assert con.execute("select count(*) from raw.activity_acts").fetchall()[0][0] > 0
    monkeypatch.setattr(loader, "_insert_frame", original)
    retry = ingest_partition(settings, "raw_member_activity", TINY_MONTH)
    assert {o.file_name: o.status for o in retry.outcomes}["activity/CIO001_2025-01.csv"] == "loaded"
