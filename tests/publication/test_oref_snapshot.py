"""The OREF snapshot: only published schemas, atomic switch, readers undisturbed."""

from __future__ import annotations

import duckdb

from pipelines.publication.oref_snapshot import SNAPSHOT_FILE, current_snapshot, publish_snapshot


def _warehouse(path, people: int) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    for schema in ("marts", "indicators", "staging", "ops"):
        con.execute(f"create schema if not exists {schema}")
    con.execute(f"create or replace table indicators.ind_activity as select {people} as people_served")
    con.execute("create or replace table marts.dim_bassin as select '37' as bassin_code")
    con.execute("create or replace table staging.stg_identities as select 'abc' as identity_key")
    con.execute("create or replace table ops.load_ledger as select 1 as file_id")
    return con


def test_snapshot_holds_only_published_schemas(tmp_path):
    con = _warehouse(tmp_path / "w.duckdb", 10)
    folder = publish_snapshot(con, tmp_path / "oref")
    with duckdb.connect(str(folder / SNAPSHOT_FILE), read_only=True) as reader:
        schemas = {row[0] for row in reader.execute(
            "select distinct table_schema from information_schema.tables").fetchall()}
    assert schemas == {"marts", "indicators"}
    assert (folder / "parquet" / "indicators" / "ind_activity.parquet").exists()
    assert not (folder / "parquet" / "staging").exists()


def test_reader_holding_the_snapshot_is_not_disturbed_and_then_sees_the_new_one(tmp_path):
    oref = tmp_path / "oref"
    con = _warehouse(tmp_path / "w.duckdb", 10)
    publish_snapshot(con, oref)
    reader = duckdb.connect(str(oref / "current" / SNAPSHOT_FILE), read_only=True)
    assert reader.execute("select people_served from indicators.ind_activity").fetchone()[0] == 10

    con.execute("create or replace table indicators.ind_activity as select 25 as people_served")
    publish_snapshot(con, oref)  # a second run while the reader is open
    assert reader.execute("select people_served from indicators.ind_activity").fetchone()[0] == 10
    reader.close()

    with duckdb.connect(str(oref / "current" / SNAPSHOT_FILE), read_only=True) as fresh:
        assert fresh.execute("select people_served from indicators.ind_activity").fetchone()[0] == 25


def test_old_snapshots_are_purged_but_current_is_kept(tmp_path):
    oref = tmp_path / "oref"
    con = _warehouse(tmp_path / "w.duckdb", 1)
    for _ in range(5):
        publish_snapshot(con, oref, keep=2)
    assert len(list((oref / "snapshots").iterdir())) == 2
    assert current_snapshot(oref) in list((oref / "snapshots").iterdir())
