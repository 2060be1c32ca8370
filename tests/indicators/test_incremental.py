"""Monthly incremental models: a partition run rebuilds its month and the look-back windows only,
and gives what a full build gives."""

from __future__ import annotations

import json
import shutil
from datetime import datetime

import duckdb
import pytest

from tests.indicators.conftest import fixture_warehouse, run_dbt

FACTS = ("marts.fct_service_acts", "marts.fct_redirections", "intermediate.int_service_acts_unified",
         "intermediate.int_redirections_matched", "intermediate.int_episodes_grouped")


def _rows(con, table):
    return sorted(map(tuple, con.execute(f"select * from {table}").fetchall()), key=repr)


@pytest.fixture(scope="module")
def incremental_copy(built_fixture, tmp_path_factory):
    """A copy of the built fixture, tampered, then one incremental run for the partition 2025-05."""
    workdir = tmp_path_factory.mktemp("incremental")
    fixture_warehouse(workdir)  # profile + fresh raw file, replaced by the built copy below
    path = workdir / "fixture.duckdb"
    shutil.copy(built_fixture, path)
    con = duckdb.connect(str(path))
    # outside every window of May: January's acts (must stay as they are)
    con.execute("update marts.fct_service_acts set acts_count = 99 where service_row_key = 'ML001|A1'")
    # inside May's 90-day look-back (redirections of January to May are rebuilt)
    con.execute("update marts.fct_redirections set seen_within_90d = true where person_key = 'p9'")
    # May itself
    con.execute("update marts.fct_service_acts set acts_count = 77 where service_row_key = 'PE001|B3'")
    con.close()
    run_dbt(workdir, "run", "--select", "config.materialized:incremental",
            "--vars", json.dumps({"min_month": "2025-05-01", "max_month": "2025-05-01"}))
    return path


def test_partition_run_rebuilds_its_month_and_lookback_only(incremental_copy):
    con = duckdb.connect(str(incremental_copy), read_only=True)
    counts = dict(con.execute("select service_row_key, acts_count from marts.fct_service_acts "
                              "where service_row_key in ('ML001|A1', 'PE001|B3')").fetchall())
    assert counts == {"ML001|A1": 99, "PE001|B3": 1}
    seen = con.execute("select seen_within_90d from marts.fct_redirections where person_key = 'p9'").fetchall()
    assert seen == [(False,)]
    con.close()


def test_incremental_equals_full_build(built_fixture, incremental_copy):
    full = duckdb.connect(str(built_fixture), read_only=True)
    incremental = duckdb.connect(str(incremental_copy), read_only=True)
    for table in FACTS:
        expected = _rows(full, table)
        actual = _rows(incremental, table)
        if table == "marts.fct_service_acts":  # the January row tampered outside the window
            actual = [row for row in actual if row[0] != "ML001|A1"]
            expected = [row for row in expected if row[0] != "ML001|A1"]
        assert actual == expected, table
    full.close()
    incremental.close()


def test_month_window_vars_of_a_partition_range():
    from pipelines.dbt.assets import month_window_vars

    assert month_window_vars(datetime(2025, 3, 1), datetime(2025, 6, 1)) == {
        "min_month": "2025-03-01", "max_month": "2025-05-01"}
