"""Ingest one month of the tiny synthetic region and measure against the generator's ground truth."""

from __future__ import annotations

import json

import duckdb
import pytest

from tests.ingestion.conftest import RAW_TABLES, TINY_MONTH, ingest_all, table_snapshot, use_warehouse
from tests.ingestion.truth_metrics import measure, read_defects

GENERATOR_KINDS = {"unknown_code", "impossible_date", "date_outside_month", "duplicate_row", "missing_column",
                   "renamed_column", "wrong_encoding", "negative_count", "comment_with_phone", "comment_with_name",
                   "unknown_member", "empty_file", "resent_corrected_file"}


@pytest.fixture(scope="module")
def ingested(tiny_region, tmp_path_factory):
    monkeypatch = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("truth_run")
    settings = use_warehouse(monkeypatch, root, tiny_region["inbox"])
    results = ingest_all(settings)
    con = duckdb.connect(str(settings.duckdb_path))
    yield {"settings": settings, "con": con, "results": results, "truth": tiny_region["truth"]}
    con.close()
    monkeypatch.undo()


def test_every_generator_defect_kind_is_present_and_caught(ingested):
    kinds = {d["kind"] for d in read_defects(ingested["truth"])}
    assert kinds == GENERATOR_KINDS
    metrics = measure(ingested["con"], ingested["truth"])
    print("\nby kind (caught, total):", metrics["by_kind"])
    assert all(caught == total for caught, total in metrics["by_kind"].values()), metrics["missed"]
    assert metrics["caught_share"] >= 0.99
    assert metrics["wrongly_quarantined_share"] < 0.001, metrics["wrongly_quarantined"]


def test_structural_failures_reject_the_whole_file_with_a_reason(ingested):
    rejected = dict(ingested["con"].execute(
        "select file_name, reason_code from ops.load_ledger where status = 'rejected'").fetchall())
    expected = {d["file"]: d["kind"] for d in read_defects(ingested["truth"])
                if d["kind"] in {"missing_column", "renamed_column", "wrong_encoding", "empty_file", "unknown_member"}}
    mapping = {"missing_column": {"MISSING_COLUMN"}, "renamed_column": {"MISSING_COLUMN", "UNEXPECTED_COLUMN"},
               "wrong_encoding": {"WRONG_ENCODING"}, "empty_file": {"EMPTY_FILE"}, "unknown_member": {"UNKNOWN_MEMBER"}}
    assert set(rejected) == set(expected)
    for name, kind in expected.items():
        assert rejected[name] in mapping[kind], (name, kind, rejected[name])


def test_conservation_per_file_and_per_table(ingested):
    con = ingested["con"]
    broken = con.execute("select count(*) from ops.load_ledger where status in ('loaded', 'replaced') "
                         "and rows_read <> rows_loaded + rows_quarantined").fetchall()[0][0]
    assert broken == 0
    loaded = con.execute("select table_name, sum(rows_loaded) from ops.load_ledger where status = 'loaded' "
                         "group by 1").fetchall()
    for table, expected in loaded:
        assert con.execute(f"select count(*) from raw.{table}").fetchall()[0][0] == expected
    from pipelines.ingestion.checks import run_checks
    from pipelines.ingestion.contracts import load_contracts
    from pipelines.reference import load_reference

    settings = ingested["settings"]
    for asset in ("raw_member_activity", "raw_rio", "raw_lorfolio", "raw_events"):
        outcomes = run_checks(con, asset, TINY_MONTH, load_contracts(settings), load_reference(settings))
        assert all(o.passed for o in outcomes), [(o.name, o.metadata) for o in outcomes if not o.passed]


def test_identity_tokens_hold_one_row_per_distinct_identity_weighed_by_its_rows(ingested):
    """Comparison tokens are stored once per distinct identity of a loaded chunk (they were most of
    what ingestion wrote): their row counts add up to the rows loaded, file by file, and no identity
    is stored twice for one file."""
    con = ingested["con"]
    per_file = con.execute(
        "select l.file_name, l.rows_loaded, t.tokens, t.rows from ops.load_ledger l join ("
        "  select source_file, file_sha256, count(*) as tokens, sum(row_count) as rows from ops.identity_tokens "
        "  group by all) t on t.source_file = l.file_name and t.file_sha256 = l.sha256 "
        "where l.status = 'loaded' and l.table_name = 'activity_acts'").fetchall()
    assert per_file, "no activity file carried identity tokens"
    assert all(rows == loaded for _, loaded, _, rows in per_file), per_file[:5]
    # fewer token rows than acts: a person's acts in one file repeat the same identity
    assert sum(t for _, _, t, _ in per_file) < sum(r for _, _, _, r in per_file)
    doubled = con.execute(
        "select count(*) from (select source_file, person_pseudo, ine_pseudo, surname_birth, first_name_1, "
        "birth_year, birth_month, birth_day, sex, commune, surname_deletions, first_name_deletions, count(*) as n "
        "from ops.identity_tokens group by all having n > 1)").fetchall()[0][0]
    assert doubled == 0


def test_linkage_reads_weighed_token_rows_as_it_read_one_row_per_raw_row(ingested):
    """The identity the linkage keeps per key (its most frequent token combination) is the same from
    the weighed rows as from the same rows repeated row_count times (the former one row per raw row),
    and so is the weight the linkage reads for each key (the tiny region has no key whose choice the
    weights change: tests/linkage/test_linkage.py checks that choice)."""
    from pipelines.linkage.link_warehouse import identities_from_tokens, token_rows_sql

    con = ingested["con"]
    expanded = duckdb.connect()
    try:
        expanded.execute("create schema ops")
        rows = con.execute("select * exclude (row_count), row_count from ops.identity_tokens").to_arrow_table()
        expanded.register("weighed", rows)
        expanded.execute("create table ops.identity_tokens as select * exclude (row_count, r) "
                         "from weighed, range(row_count) as t(r)")
        assert expanded.execute("select count(*) from ops.identity_tokens").fetchall()[0][0] == \
            con.execute("select sum(row_count) from ops.identity_tokens").fetchall()[0][0]
        from_weighed = identities_from_tokens(con)
        from_expanded = identities_from_tokens(expanded)
        weights = "select identity_key, sum(row_count) as n from ({}) group by 1 order by 1"
        weighed_rows = con.execute(weights.format(token_rows_sql(con))).fetchall()
        expanded_rows = expanded.execute(weights.format(token_rows_sql(expanded))).fetchall()
    finally:
        expanded.close()
    assert len(from_weighed) > 0
    assert from_weighed.equals(from_expanded)
    assert weighed_rows == expanded_rows


def test_corrected_file_replaces_the_earlier_version_and_the_ledger_keeps_both(ingested):
    con = ingested["con"]
    resent = [d["file"] for d in read_defects(ingested["truth"]) if d["kind"] == "resent_corrected_file"]
    assert resent
    for v2 in resent:
        rows = con.execute("select file_name, status, file_version, superseded_by_version from ops.load_ledger "
                           "where feed = (select feed from ops.load_ledger where file_name = ?) and sender_code = "
                           "(select sender_code from ops.load_ledger where file_name = ?) order by file_version",
                           [v2, v2]).fetchall()
        statuses = {name: status for name, status, _, _ in rows}
        assert statuses[v2] in ("loaded", "duplicate")
        if statuses[v2] == "loaded":
            v1 = v2.replace("_v2", "")
            assert statuses[v1] == "replaced"
            assert [r[3] for r in rows if r[0] == v1] == [2]
            table = con.execute("select table_name from ops.load_ledger where file_name = ?", [v2]).fetchall()[0][0]
            sources = {r[0] for r in con.execute(
                f"select distinct source_file from raw.{table} where sender_code = "
                f"(select sender_code from ops.load_ledger where file_name = ?)", [v2]).fetchall()}
            assert sources == {v2}


def test_no_personal_value_in_clear(ingested, tiny_region):
    con = ingested["con"]
    columns = {r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema = 'raw'").fetchall()}
    for clear in ("last_name", "first_names", "birth_name", "birth_date", "ine", "member_person_id", "email", "phone"):
        assert clear not in columns
        if clear != "phone":
            assert f"{clear}_pseudo" in columns
    pseudo = con.execute("select last_name_pseudo from raw.activity_acts where last_name_pseudo is not null "
                         "limit 1").fetchall()[0][0]
    assert len(pseudo) == 64 and int(pseudo, 16) >= 0
    # a name seen in an inbox file appears nowhere in the warehouse
    import csv

    path = next((tiny_region["inbox"] / "activity").glob("ML*_2025-01.csv"))
    with open(path, encoding="utf-8-sig") as handle:
        name = next(csv.DictReader(handle))["nom"]
    for table in ("raw.activity_acts", "ops.quarantine"):
        text = " ".join(str(row) for row in con.execute(f"select * from {table}").fetchall())
        assert name not in text
    tokens = con.execute("select count(*) from ops.identity_tokens").fetchall()[0][0]
    assert tokens > 0


def test_member_reports_in_french_json_and_html(ingested):
    con = ingested["con"]
    name, sender = con.execute("select file_name, sender_code from ops.load_ledger where status = 'loaded' "
                               "and rows_quarantined > 0 and feed = 'activity' order by 1 limit 1").fetchall()[0]
    folder = ingested["settings"].reports_dir / sender
    stem = name.split("/")[-1].rsplit(".", 1)[0]
    report = json.loads(next(folder.glob(f"{stem}__v*.json")).read_text(encoding="utf-8"))
    assert report["statut"] == "loaded" and report["lignes_ecartees"] > 0
    assert report["lignes_lues"] == report["lignes_acceptees"] + report["lignes_ecartees"]
    problem = report["lignes_rejetees"][0]["problemes"][0]
    assert problem["libelle"] and problem["comment_corriger"]
    html = next(folder.glob(f"{stem}__v*.html")).read_text(encoding="utf-8")
    assert "Compte rendu de réception" in html and "Comment corriger" in html
    rejected = con.execute("select file_name, sender_code from ops.load_ledger where status = 'rejected' "
                           "and reason_code = 'WRONG_ENCODING'").fetchall()[0]
    stem = rejected[0].split("/")[-1].rsplit(".", 1)[0]
    report = json.loads(next((ingested["settings"].reports_dir / rejected[1]).glob(f"{stem}__v*.json")).read_text())
    assert report["statut"] == "rejected" and report["motif_rejet"]["code"] == "WRONG_ENCODING"


def test_rerun_is_idempotent(ingested):
    con = ingested["con"]
    before = {t: table_snapshot(con, t) for t in RAW_TABLES}
    con.close()
    results = ingest_all(ingested["settings"])
    assert all(o.status == "already" for r in results for o in r.outcomes)
    ingested["con"] = con = duckdb.connect(str(ingested["settings"].duckdb_path))
    assert {t: table_snapshot(con, t) for t in RAW_TABLES} == before
