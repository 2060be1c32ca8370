"""Monthly incremental models: a partition run rebuilds its month and the windows that depend on
it only (look-back, year to date, people seen), and gives what a full build gives."""

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
    # indicators: February's month row is outside May's periods (kept), the year 2025 is inside (recomputed)
    for grain, start in (("month", "2025-02-01"), ("year", "2025-01-01")):
        con.execute("update indicators.ind_suivi_totals set value = -1 where indicator_code = 'ACT_ACTS' "
                    f"and period_grain = '{grain}' and period_start = date '{start}' and geo_level = 'region' "
                    "and breakdown = 'total'")
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


def test_partition_run_recomputes_the_periods_of_its_month_only(incremental_copy):
    con = duckdb.connect(str(incremental_copy), read_only=True)

    def region_acts(grain, start):
        return con.execute(
            "select value from indicators.ind_suivi_totals where indicator_code = 'ACT_ACTS' and geo_level = 'region' "
            "and breakdown = 'total' and period_grain = ? and period_start = ?", [grain, start]).fetchone()[0]

    month_value = region_acts("month", "2025-02-01")
    year_value = region_acts("year", "2025-01-01")
    # the year re-reads its months from the table (January's tampered 99 included): 27 - 1 + 99
    year_acts = con.execute("select sum(acts_count) from marts.fct_service_acts "
                            "where period_month >= date '2025-01-01'").fetchone()[0]
    con.close()
    assert month_value == -1
    assert year_value == year_acts == 125


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
    from pipelines.dbt.windows import month_window_vars

    assert month_window_vars(datetime(2025, 3, 1), datetime(2025, 6, 1)) == {
        "min_month": "2025-03-01", "max_month": "2025-05-01"}


def _comparable(con, table):
    """Rows of a table in a stable order, doubles rounded (summation order may differ by an ulp)."""
    rows = con.execute(f"select * from {table}").fetchall()
    return sorted((tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in rows), key=repr)


def _month_stamped_tables(con) -> list[str]:
    """The raw and ops tables that ingestion fills month by month (they carry period_month)."""
    return [f"{schema}.{table}" for schema, table in con.execute(
        "select table_schema, table_name from information_schema.columns "
        "where table_schema in ('raw', 'ops') and column_name = 'period_month' order by 1, 2").fetchall()]


# Month windows as Dagster would pass them: one partition, one more, then a range of three.
WINDOWS = (("2025-01-01", "2025-01-01"), ("2025-02-01", "2025-02-01"), ("2025-03-01", "2025-05-01"))


@pytest.fixture(scope="module")
def built_month_by_month(tmp_path_factory):
    """The fixture's months handed to dbt as ingestion would load them, one window at a time.

    Identity tokens and person links are the final ones from the start (linkage is not under test).
    """
    workdir = tmp_path_factory.mktemp("month_by_month")
    path = fixture_warehouse(workdir)
    con = duckdb.connect(str(path))
    con.execute("create schema held")
    tables = [t for t in _month_stamped_tables(con) if t != "ops.identity_tokens"]
    for table in tables:
        held = "held." + table.replace(".", "__")
        con.execute(f"create table {held} as select * from {table}")
        con.execute(f"delete from {table}")
    con.close()
    for first, last in WINDOWS:
        con = duckdb.connect(str(path))
        for table in tables:
            held = "held." + table.replace(".", "__")
            con.execute(f"insert into {table} select * from {held} "
                        f"where period_month >= date '{first}' and period_month <= date '{last}'")
        con.close()
        # the first window loads the seeds; the last one also runs every dbt test on the result
        command = "build" if (first, last) in (WINDOWS[0], WINDOWS[-1]) else "run"
        run_dbt(workdir, command, "--vars", json.dumps({"min_month": first, "max_month": last}))
    return path


def _assert_same_built_tables(expected_path, actual_path, ignore: set[str] = frozenset()) -> None:
    """Every indicator, mart and intermediate table of actual_path equals expected_path's."""
    full = duckdb.connect(str(expected_path), read_only=True)
    other = duckdb.connect(str(actual_path), read_only=True)
    tables = {f"{schema}.{name}" for schema, name in full.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema in ('indicators', 'marts', 'intermediate') and table_type = 'BASE TABLE'").fetchall()}
    assert {"indicators.ind_suivi", "indicators.ind_performance_totals", "marts.fct_person_paths"} <= tables
    for table in sorted(tables - set(ignore)):
        assert _comparable(other, table) == _comparable(full, table), table
    full.close()
    other.close()


def test_month_by_month_equals_full_refresh(built_fixture, built_month_by_month):
    """Every indicator table, and every incremental table, equals a full build of the same data."""
    _assert_same_built_tables(built_fixture, built_month_by_month)


@pytest.fixture(scope="module")
def built_window_by_window(tmp_path_factory):
    """Every month loaded from the start, the monthly models built from nothing one window after the
    other, as a backfill of many years does it (one calendar year per dbt invocation; two windows of
    the fixture's five months here). Returns the warehouse and the months built by the first window."""
    from pipelines.dbt.windows import MONTHLY_MODELS

    workdir = tmp_path_factory.mktemp("window_by_window")
    path = fixture_warehouse(workdir)
    run_dbt(workdir, "build", "--exclude", MONTHLY_MODELS)
    run_dbt(workdir, "run", "--select", MONTHLY_MODELS,
            "--vars", json.dumps({"min_month": "2025-01-01", "max_month": "2025-02-01"}))
    with duckdb.connect(str(path), read_only=True) as con:
        first_months = [str(m) for (m,) in con.execute(
            "select distinct period_month from marts.fct_service_acts order by 1").fetchall()]
    run_dbt(workdir, "build", "--select", MONTHLY_MODELS,
            "--vars", json.dumps({"min_month": "2025-03-01", "max_month": "2025-05-01"}))
    return path, first_months


def test_a_first_build_with_a_window_builds_that_window_only(built_window_by_window):
    """The first window of a backfill reads and aggregates its own months, not the whole history
    (which made a ten-year backfill one query over ten years)."""
    _, first_months = built_window_by_window
    assert first_months == ["2025-01-01", "2025-02-01"]


def test_window_by_window_equals_full_refresh(built_fixture, built_window_by_window):
    _assert_same_built_tables(built_fixture, built_window_by_window[0])


def test_yearly_windows_cut_a_backfill_at_calendar_years():
    from pipelines.dbt.windows import yearly_windows

    assert yearly_windows("2024-11-01", "2026-02-01") == [
        {"min_month": "2024-11-01", "max_month": "2024-12-01"},
        {"min_month": "2025-01-01", "max_month": "2025-12-01"},
        {"min_month": "2026-01-01", "max_month": "2026-02-01"}]
    assert yearly_windows("2025-03-01", "2025-03-01") == [{"min_month": "2025-03-01", "max_month": "2025-03-01"}]
    with pytest.raises(ValueError, match="fenêtre de mois vide"):
        yearly_windows("2025-04-01", "2025-03-01")


def test_window_commands_run_the_years_before_the_last_and_build_the_last():
    from pipelines.dbt.windows import window_commands

    commands = window_commands("2024-11-01", "2025-02-01", ("--select", "x+"))
    assert [command[:3] for command in commands] == [["run", "--select", "x+"], ["build", "--select", "x+"]]
    assert [json.loads(command[-1]) for command in commands] == [
        {"min_month": "2024-11-01", "max_month": "2024-12-01"}, {"min_month": "2025-01-01", "max_month": "2025-02-01"}]


def _merge_m3_into_p1(path) -> None:
    """What the linkage step leaves when it finds that m3 (one act, in January) is P1's person:
    the new link, and the key change it records (pipelines/linkage/state.py)."""
    from pipelines.linkage.state import ensure_tables

    with duckdb.connect(str(path)) as con:
        ensure_tables(con)
        con.execute("insert into ops.person_links values ('m3', 'P1', 'probabilistic', 0.97)")
        con.execute("insert into ops.person_key_changes values "
                    "(timestamp '2025-06-20 10:00:00', 'incremental', 'm3', 'P1', 'merge', 1)")


def _january_people(con) -> float:
    return con.execute(
        "select value from indicators.ind_suivi_totals where indicator_code = 'ACT_PEOPLE' and period_grain = 'month' "
        "and period_start = date '2025-01-01' and geo_level = 'region' and breakdown = 'total'").fetchone()[0]


@pytest.fixture(scope="module")
def relinked_after_build(built_fixture, tmp_path_factory):
    """The fixture built in full, then linkage merges m3 into P1, then May's month run as Dagster's
    spro_main job does it (the whole-history models, then the monthly ones with May's window).
    Returns the warehouse, January's people before, and the stale rows the run found."""
    from pipelines.dbt.windows import MONTHLY_MODELS

    workdir = tmp_path_factory.mktemp("relinked")
    fixture_warehouse(workdir)
    path = workdir / "fixture.duckdb"
    shutil.copy(built_fixture, path)
    with duckdb.connect(str(path), read_only=True) as con:
        january_before = _january_people(con)
    _merge_m3_into_p1(path)
    run_dbt(workdir, "build", "--exclude", MONTHLY_MODELS)
    with duckdb.connect(str(path), read_only=True) as con:
        stale = con.execute("select cast(period_month as varchar), stale_person_key "
                            "from intermediate.int_person_keys_relinked").fetchall()
    run_dbt(workdir, "build", "--select", MONTHLY_MODELS,
            "--vars", json.dumps({"min_month": "2025-05-01", "max_month": "2025-05-01"}))
    return path, january_before, stale


@pytest.fixture(scope="module")
def built_with_the_merge(tmp_path_factory):
    """A full build of the same data with the merged links from the start."""
    workdir = tmp_path_factory.mktemp("relinked_full")
    path = fixture_warehouse(workdir)
    _merge_m3_into_p1(path)
    run_dbt(workdir, "build")
    return path


def test_a_merge_reopens_the_months_built_with_the_old_key(relinked_after_build):
    """May's run rebuilds January, built before the merge with m3's own key, and nothing else."""
    path, january_before, stale = relinked_after_build
    assert stale == [("2025-01-01", "m3")]
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("select person_key from marts.fct_service_acts "
                           "where service_row_key = 'ML001|A4'").fetchall() == [("P1",)]
        assert con.execute("select count(*) from marts.fct_person_paths where person_key = 'm3'").fetchone()[0] == 0
        # January's people: m1 and p1 (P1), m2 (P2) and m3 were three people; m3 is P1 now.
        assert (january_before, _january_people(con)) == (3, 2)


def test_a_month_run_after_a_merge_equals_a_full_refresh(relinked_after_build, built_with_the_merge):
    """The requirement a monthly run answers to: the same tables as a full build of the same data and
    links. int_person_keys_relinked is the run's plan (what was stale when it started), not data."""
    _assert_same_built_tables(built_with_the_merge, relinked_after_build[0],
                              ignore={"intermediate.int_person_keys_relinked"})
