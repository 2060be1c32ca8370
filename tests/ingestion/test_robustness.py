"""Nothing lost, nothing doubled: re-loads, corrected versions, a failure half-way, a crash of the process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections import Counter

import duckdb
import pandas as pd
import pytest

from pipelines.config import REPO_ROOT
from tests.ingestion.conftest import RAW_TABLES, TINY_MONTH, table_snapshot, use_warehouse

FIXED_KEY = "ab" * 32
FILES = ("activity/ML001_2025-01.csv", "activity/CIO001_2025-01.csv", "activity/AGEFIPH001_2025-01.csv")


@pytest.fixture
def small_inbox(tiny_region, tmp_path, monkeypatch):
    """A three-file inbox (two per-act members, one aggregate) copied from the tiny region."""
    monkeypatch.setenv("SPRO_PSEUDONYM_KEY", FIXED_KEY)
    inbox = tmp_path / "source_inbox"
    for name in FILES:
        (inbox / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(tiny_region["inbox"] / name, inbox / name)
    return inbox


def _activity(settings, **options):
    from pipelines.ingestion.service import ingest_partition

    return ingest_partition(settings, "raw_member_activity", TINY_MONTH, **options)


def _snapshot(settings) -> dict:
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        return {t: table_snapshot(con, t) for t in RAW_TABLES}


def test_same_file_twice_loads_once_even_under_another_name(small_inbox, tmp_path, monkeypatch):
    settings = use_warehouse(monkeypatch, tmp_path / "w", small_inbox)
    first = _activity(settings)
    assert [o.status for o in first.outcomes] == ["loaded"] * 3
    before = _snapshot(settings)
    shutil.copy(settings.inbox_dir / FILES[0], settings.inbox_dir / FILES[0].replace(".csv", "_v2.csv"))
    second = _activity(settings)
    statuses = sorted(o.status for o in second.outcomes)
    assert statuses == ["already", "already", "already", "duplicate"]
    after = _snapshot(settings)
    assert after["raw.activity_acts"] == before["raw.activity_acts"]
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        assert con.execute("select count(*) from ops.load_ledger where status='duplicate'").fetchall()[0][0] == 1


def test_corrected_version_replaces_rows_and_keeps_history(small_inbox, tmp_path, monkeypatch):
    settings = use_warehouse(monkeypatch, tmp_path / "w", small_inbox)
    _activity(settings)
    path = settings.inbox_dir / FILES[0]
    lines = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    corrected = path.with_name(path.name.replace(".csv", "_v2.csv"))
    corrected.write_text("\ufeff" + "".join(lines[:11]), encoding="utf-8")   # header + 10 rows
    result = _activity(settings)
    assert [o.status for o in result.outcomes if o.status != "already"] == ["loaded"]
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        rows = con.execute("select file_name, status, file_version, superseded_by_version from ops.load_ledger "
                           "where sender_code = 'ML001' order by file_version").fetchall()
        assert rows == [(FILES[0], "replaced", 1, 2), (str(corrected.relative_to(settings.inbox_dir)), "loaded", 2, None)]
        sources = con.execute("select source_file, count(*) from raw.activity_acts where sender_code='ML001' "
                              "group by 1").fetchall()
        loaded = con.execute("select rows_loaded from ops.load_ledger where status='loaded' and sender_code='ML001'"
                             ).fetchall()[0][0]
        assert sources == [(str(corrected.relative_to(settings.inbox_dir)), loaded)]
        # the other members' rows are untouched
        assert con.execute("select count(*) from raw.activity_acts where sender_code='CIO001'").fetchall()[0][0] > 0


def test_a_rejected_correction_keeps_the_loaded_version(small_inbox, tmp_path, monkeypatch):
    settings = use_warehouse(monkeypatch, tmp_path / "w", small_inbox)
    _activity(settings)
    before = _snapshot(settings)["raw.activity_acts"]
    bad = settings.inbox_dir / FILES[0].replace(".csv", "_v2.csv")
    bad.write_bytes(b"")
    result = _activity(settings)
    assert [(o.status, o.reason_code) for o in result.outcomes if o.status != "already"] == [("rejected", "EMPTY_FILE")]
    assert _snapshot(settings)["raw.activity_acts"] == before


def _first_source_file(frame) -> str:
    """The source_file of an insert's first row (raw rows are inserted as Arrow tables, ops rows as frames)."""
    if hasattr(frame, "column_names"):
        return str(frame.column("source_file")[0].as_py()) if "source_file" in frame.column_names and frame.num_rows else ""
    return str(frame.get("source_file", pd.Series([""])).iloc[0])


def test_failure_half_way_leaves_the_partition_as_it_was_and_other_files_load(small_inbox, tmp_path, monkeypatch):
    from pipelines.ingestion import loader

    settings = use_warehouse(monkeypatch, tmp_path / "w", small_inbox)
    original = loader._insert_frame
    calls = {"n": 0}

    def failing(con, table, frame, columns):
        original(con, table, frame, columns)
        if table == "raw.activity_acts" and "CIO001" in _first_source_file(frame):
            raise OSError("disque plein (simulé)")

    monkeypatch.setattr(loader, "_insert_frame", failing)
    result = _activity(settings)
    statuses = {o.file_name: o.status for o in result.outcomes}
    assert statuses == {FILES[0]: "loaded", FILES[1]: "failed", FILES[2]: "loaded"}
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        assert con.execute("select count(*) from raw.activity_acts where sender_code='CIO001'").fetchall()[0][0] == 0
        assert con.execute("select count(*) from ops.quarantine where sender_code='CIO001'").fetchall()[0][0] == 0
    monkeypatch.setattr(loader, "_insert_frame", original)
    retry = _activity(settings)
    assert {o.file_name: o.status for o in retry.outcomes}[FILES[1]] == "loaded"
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        assert con.execute("select count(*) from ops.load_ledger where status='failed'").fetchall()[0][0] == 1
        assert con.execute("select count(*) from raw.activity_acts where sender_code='CIO001'").fetchall()[0][0] > 0



def test_a_transaction_duckdb_already_ended_fails_that_file_only(small_inbox, tmp_path, monkeypatch):
    """A failed commit (full disk) leaves no transaction to roll back: the file is recorded as
    failed and the next files still load."""
    from pipelines.ingestion import loader

    settings = use_warehouse(monkeypatch, tmp_path / "w", small_inbox)
    original = loader._insert_frame

    def ending_the_transaction(con, table, frame, columns):
        original(con, table, frame, columns)
        if table == "raw.activity_acts" and "CIO001" in _first_source_file(frame):
            con.rollback()            # what DuckDB does itself when a commit cannot be written
            raise duckdb.IOException("No space left on device (simulé)")

    monkeypatch.setattr(loader, "_insert_frame", ending_the_transaction)
    result = _activity(settings)
    outcomes = {o.file_name: o for o in result.outcomes}
    assert {name: o.status for name, o in outcomes.items()} == {FILES[0]: "loaded", FILES[1]: "failed", FILES[2]: "loaded"}
    assert "No space left on device" in outcomes[FILES[1]].reason_detail
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        assert con.execute("select count(*) from raw.activity_acts where sender_code='CIO001'").fetchall()[0][0] == 0
        assert con.execute("select count(*) from raw.activity_acts where sender_code='ML001'").fetchall()[0][0] > 0

CRASH_SCRIPT = textwrap.dedent("""
    import os
    from pipelines.config import load_settings
    from pipelines.ingestion import loader
    original = loader._insert_frame
    seen = []
    def crashing(con, table, frame, columns):
        original(con, table, frame, columns)
        if table.startswith("raw."):
            seen.append(table)
            if len(seen) == 2:   # the second file's rows are inserted, its transaction not committed
                os._exit(17)
    loader._insert_frame = crashing
    from pipelines.ingestion.service import ingest_partition
    ingest_partition(load_settings(), "raw_member_activity", "2025-01")
""")


def test_crash_of_the_process_then_rerun_equals_a_clean_run(small_inbox, tmp_path, monkeypatch):
    clean = use_warehouse(monkeypatch, tmp_path / "clean", small_inbox)
    _activity(clean)
    expected = _snapshot(clean)

    crashed = use_warehouse(monkeypatch, tmp_path / "crashed", small_inbox)
    crashed.warehouse_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.run([sys.executable, "-c", CRASH_SCRIPT], env=env, cwd=REPO_ROOT,
                             capture_output=True, text=True, timeout=120)
    assert process.returncode == 17, process.stderr[-2000:]
    with duckdb.connect(str(crashed.duckdb_path), read_only=True) as con:
        half = con.execute("select count(*) from ops.load_ledger").fetchall()[0][0]
        assert half == 1   # only the first file was committed
    _activity(crashed)
    assert _snapshot(crashed) == expected


def test_distinct_value_validation_equals_row_by_row_validation(small_inbox, tmp_path, monkeypatch):
    settings = use_warehouse(monkeypatch, tmp_path / "a", small_inbox)
    _activity(settings, mode="rows", chunk_rows=7)
    rows_mode = _snapshot(settings)
    other = use_warehouse(monkeypatch, tmp_path / "b", small_inbox)
    _activity(other, mode="distinct")
    distinct_mode = _snapshot(other)
    for table in ("raw.activity_acts", "raw.activity_aggregates", "ops.quarantine"):
        strip = (lambda rows: rows) if table != "ops.quarantine" else (lambda rows: [r[:-1] for r in rows])
        assert strip(rows_mode[table]) == strip(distinct_mode[table]), table


def test_casting_many_files_at_once_equals_casting_each(tiny_region):
    """cast_many (one pass over a window's files) gives each chunk what cast_chunk gives it alone."""
    from collections import defaultdict

    from pipelines.config import load_settings
    from pipelines.ingestion.casting import cast_chunk, cast_many
    from pipelines.ingestion.contracts import load_contracts
    from pipelines.ingestion.inbox import scan_inbox
    from pipelines.ingestion.readers import StructuralRejection, read_chunks
    from pipelines.reference import load_reference

    settings = load_settings()
    groups = defaultdict(list)
    for f in scan_inbox(tiny_region["inbox"], load_contracts(settings), load_reference(settings)):
        if f.contract is None or f.reason_code:
            continue
        try:
            chunks = list(read_chunks(f.path, f.contract, 200_000))
        except StructuralRejection:
            continue
        for chunk in chunks:
            groups[(f.contract.name, f.month, tuple(chunk.columns))].append((f.contract, chunk))
    assert any(len(items) > 1 for items in groups.values())
    for (_, month, _), items in groups.items():
        month_start = pd.Timestamp(f"{month}-01")
        _, casts = cast_many([chunk for _, chunk in items], items[0][0], month_start)
        for (contract, chunk), cast in zip(items, casts):
            alone = cast_chunk(chunk, contract, month_start)
            pd.testing.assert_frame_equal(alone.typed, cast.typed)
            assert alone.issues.astype(str).values.tolist() == cast.issues.astype(str).values.tolist()


@pytest.mark.parametrize("chunk_rows", [None, 7])
def test_reading_ahead_changes_nothing(tiny_region, tmp_path, monkeypatch, chunk_rows):
    """Files prepared ahead by window (batched casting, GE, redaction, pseudonyms and comparison
    tokens) load exactly as files read one by one: raw rows, quarantine, flags and identity tokens.
    With 7-row chunks, spreadsheets span several chunks: duplicates across chunks, identities per chunk."""
    options = {"chunk_rows": chunk_rows} if chunk_rows else {}
    from pipelines.ingestion import expectations, service
    from tests.ingestion.conftest import ingest_all

    monkeypatch.setenv("SPRO_PSEUDONYM_KEY", FIXED_KEY)
    settings = use_warehouse(monkeypatch, tmp_path / "ahead", tiny_region["inbox"])
    from pipelines.ingestion import loader

    batched = []     # chunks whose payloads were computed with other files' (window_payloads)
    real = loader.window_payloads
    monkeypatch.setattr(loader, "window_payloads",
                        lambda members, big, ctx: batched.extend(members) or real(members, big, ctx))

    def snapshot(settings) -> dict:
        with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
            return {t: table_snapshot(con, t) for t in (*RAW_TABLES, "ops.identity_tokens")}

    expectations._VERDICTS.clear()
    ingest_all(settings, **options)
    ahead = snapshot(settings)
    assert len({f.path for f, *_ in batched}) >= 10 and len({f.sender for f, *_ in batched}) >= 5
    if chunk_rows:      # some files were batched as several chunks
        assert max(Counter(f.path for f, *_ in batched).values()) > 1
    assert ahead["ops.row_flags"] and ahead["ops.identity_tokens"] and ahead["ops.quarantine"]
    monkeypatch.setattr(service, "prepare_files", lambda con, files, ctx: {})
    expectations._VERDICTS.clear()
    other = use_warehouse(monkeypatch, tmp_path / "one_by_one", tiny_region["inbox"])
    ingest_all(other, **options)
    assert snapshot(other) == ahead
