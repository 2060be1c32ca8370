"""The whole pipeline on a tiny synthetic region, checked against the generator's ground truth."""

from __future__ import annotations

import json
from datetime import datetime

import duckdb
import openpyxl
import pandas as pd
import pytest
from frictionless import Resource, Schema

from pipelines.publication.extracts import latest_version_dir
from pipelines.publication.oref_snapshot import SNAPSHOT_FILE, current_snapshot


@pytest.fixture(scope="module")
def run(demo_run):
    return demo_run


@pytest.fixture
def warehouse(run):
    """Opened per test: a job that writes (retention) cannot run while this process holds a read-only one."""
    con = duckdb.connect(str(run["settings"].duckdb_path), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def truth(run):
    folder = run["settings"].truth_dir
    return {
        "indicators": json.loads((folder / "indicators.json").read_text()),
        "files": pd.read_csv(folder / "files.csv", dtype=str),
        "defects": pd.read_csv(folder / "defects.csv", dtype=str),
    }


def _clean_activity_files(truth) -> pd.DataFrame:
    """Activity files with no injected defect and not superseded: their content is the truth's."""
    files = truth["files"][truth["files"]["feed"] == "activity"]
    defective = set(truth["defects"]["file"])
    superseded = set(truth["files"]["supersedes"].dropna())
    return files[~files["path"].isin(defective | superseded) & files["supersedes"].isna()]


def test_acts_per_member_and_month_equal_the_truth_on_clean_files(truth, warehouse):
    """Exact: no linkage is involved in counting acts."""
    expected = {(r["member_code"], r["month"]): r["acts"] for r in truth["indicators"]["activity_by_member_month"]}
    clean = _clean_activity_files(truth)
    assert len(clean) >= 10
    loaded = dict(
        ((member, month.strftime("%Y-%m")), int(acts))
        for member, month, acts in warehouse.execute(
            "select member_code, period_month, sum(acts_count) from marts.fct_service_acts group by 1, 2").fetchall()
    )
    compared = 0
    for row in clean.itertuples():
        key = (row.sender_code, row.month)
        if key in expected:
            assert loaded.get(key, 0) == expected[key], key
            compared += 1
    assert compared >= 10


def test_people_served_within_the_linkage_error(run, truth, warehouse):
    """Distinct people depend on linkage: the warehouse's person keys against the true persons behind
    the loaded per-act rows (rejected files excluded), within 5 %."""
    records = pd.read_parquet(run["settings"].truth_dir / "record_persons.parquet")
    files = truth["files"]
    per_act = files[(files["feed"] == "activity") & files["contract"].str.contains("per_")]
    rejected = set(truth["indicators"]["defects"]["rejected_files"])
    usable = records[records["file"].isin(set(per_act["path"]) - rejected)]
    true_people = usable["person_id"].nunique()
    measured = warehouse.execute(
        "select count(distinct person_key) from marts.fct_service_acts where source_grain = 'act'").fetchone()[0]
    assert true_people * 0.95 <= measured <= true_people * 1.05, (measured, true_people)


def test_every_file_is_accounted_for_in_the_ledger(truth, warehouse):
    received = warehouse.execute("select count(distinct file_name) from ops.load_ledger").fetchone()[0]
    assert received == len(truth["files"])
    read, loaded, quarantined = warehouse.execute(
        "select sum(rows_read), sum(rows_loaded), sum(rows_quarantined) from ops.load_ledger where status = 'loaded'"
    ).fetchone()
    assert read == loaded + quarantined


def test_monthly_extract_is_written_audited_and_readable(run):
    settings = run["settings"]
    folder = latest_version_dir(settings.exports_dir, run["months"][-1])
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["kind"] == "mensuel" and {d["name"] for d in manifest["datasets"]} >= {"suivi"}
    suivi = pd.read_csv(folder / "suivi.csv", dtype={"code_territoire": str})
    hidden = suivi[suivi["statut"] != "publie"]
    assert len(hidden) > 0 and hidden["valeur"].isna().all()
    people = suivi[(suivi["indicateur"] == "ACT_PEOPLE") & (suivi["statut"] == "publie")]
    assert (people["valeur"].dropna() >= 5).all(), "no published count of people under the threshold"
    schema = Schema.from_descriptor(json.loads((folder / "suivi.schema.json").read_text()))
    report = Resource(path="suivi.csv", basepath=str(folder), schema=schema).validate()
    assert report.valid
    book = openpyxl.load_workbook(folder / manifest["workbook"]["file"])
    assert "Définitions" in book.sheetnames and "Indicateurs de suivi" in book.sheetnames
    marks = [c.value for row in book["Indicateurs de suivi"].iter_rows(min_row=2) for c in row if c.value == "s"]
    assert marks, "hidden cells appear as 's' in the workbook"


def test_written_extract_passes_the_independent_reaudit(run):
    from pipelines.publication.datasets import Period, audit_written_extract

    settings = run["settings"]
    folder = latest_version_dir(settings.exports_dir, run["months"][-1])
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        assert audit_written_extract(con, folder, Period(run["months"][-1])) == {}
    # Anyone holding the extract alone can re-run the audit: manifest + CSV, no warehouse.
    from pipelines.publication.reaudit import audit_extract_folder, small_counts_published

    reports = audit_extract_folder(folder)
    assert set(reports) >= {"suivi"} and all(report.passed for report in reports.values())
    assert sum(len(report.hidden) for report in reports.values()) > 20
    assert small_counts_published(folder) == {}


def test_reaudit_catches_a_tampered_extract(run, tmp_path):
    """Publishing one hidden cell of ACT_PEOPLE makes the audit fail: the check can fail."""
    import shutil

    from pipelines.publication.datasets import Period, audit_written_extract

    settings = run["settings"]
    source = latest_version_dir(settings.exports_dir, run["months"][-1])
    tampered = tmp_path / "v001"
    shutil.copytree(source, tampered)
    suivi = pd.read_csv(tampered / "suivi.csv", dtype=str, keep_default_na=False)
    target = suivi.index[(suivi["indicateur"] == "ACT_PEOPLE") & (suivi["statut"] == "secret_primaire")][0]
    suivi.loc[target, "statut"] = "publie"
    suivi.to_csv(tampered / "suivi.csv", index=False)
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        failures = audit_written_extract(con, tampered, Period(run["months"][-1]))
    assert "suivi/ACT_PEOPLE" in failures


def test_oref_snapshot_holds_marts_and_indicators_and_no_identifier(run):
    from pipelines.privacy.identifier_scan import scan_duckdb

    folder = current_snapshot(run["settings"].oref_dir)
    with duckdb.connect(str(folder / SNAPSHOT_FILE), read_only=True) as snapshot:
        schemas = {r[0] for r in snapshot.execute("select distinct table_schema from information_schema.tables").fetchall()}
        assert schemas == {"seeds", "marts", "indicators"}
        assert scan_duckdb(snapshot) == []
    assert (folder / "catalogue_indicateurs.yml").exists()


def test_schedules_ask_for_the_previous_month_and_year():
    from dagster import build_schedule_context

    from pipelines.definitions import defs

    schedules = {schedule.name: schedule for schedule in defs.schedules}
    monthly, yearly = schedules["monthly_region_extract"], schedules["yearly_region_extract"]
    assert monthly.job_name == "spro_main" and yearly.job_name == "region_extract_yearly"
    assert monthly(build_schedule_context(scheduled_execution_time=datetime(2026, 12, 5, 6))).partition_key == "2026-11"
    assert monthly(build_schedule_context(scheduled_execution_time=datetime(2027, 1, 5, 6))).partition_key == "2026-12"
    assert yearly(build_schedule_context(scheduled_execution_time=datetime(2027, 1, 15, 6))).partition_key == "2026"


def test_yearly_extract_job_produces_the_extract(run):
    """The run the yearly schedule asks for on 15 January 2026 (job, partition, tags) writes the extract."""
    from dagster import build_schedule_context

    from pipelines.definitions import defs
    from pipelines.runner import run_job

    schedule = next(s for s in defs.schedules if s.name == "yearly_region_extract")
    request = schedule(build_schedule_context(scheduled_execution_time=datetime(2026, 1, 15, 6)))
    assert request.partition_key == "2025"
    result = run_job(schedule.job_name, run["settings"], partition_key=request.partition_key,
                     tags={k: v for k, v in request.tags.items() if not k.startswith("dagster/partition")})
    assert result.success
    folder = latest_version_dir(run["settings"].exports_dir, "2025")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["kind"] == "annuel"
    suivi = pd.read_csv(folder / "suivi.csv", dtype=str)
    assert set(run["months"]) | {"2025"} <= set(suivi["periode"])
    _assert_shared_cells_agree_with_the_monthly_extracts(run, folder)


def _assert_shared_cells_agree_with_the_monthly_extracts(run, yearly_folder):
    """The yearly extract publishes a month's all-network cell exactly when the monthly one did, and
    the attacker holding every extract of the year recomputes no hidden cell; a tampered status fails."""
    import shutil

    from pipelines.publication.datasets import Period, audit_written_extract, statuses_published_elsewhere
    from pipelines.publication.reaudit import audit_extract_folder

    settings = run["settings"]

    def elsewhere(period):
        return statuses_published_elsewhere(settings.exports_dir, period)

    monthly_folders = [latest_version_dir(settings.exports_dir, month) for month in run["months"]]
    key = ["indicateur", "periode", "niveau_territoire", "code_territoire"]
    yearly = pd.read_csv(yearly_folder / "suivi.csv", dtype=str, keep_default_na=False)
    shared = 0
    for month in run["months"]:
        monthly = pd.read_csv(latest_version_dir(settings.exports_dir, month) / "suivi.csv", dtype=str,
                              keep_default_na=False)
        both = monthly[monthly["reseau"] == "TOUS"].merge(yearly, on=key, suffixes=("_m", "_y"))
        assert len(both) > 0
        shared += len(both)
        disagree = both[(both["statut_m"] == "publie") != (both["statut_y"] == "publie")]
        assert disagree.empty, disagree[key + ["statut_m", "statut_y"]].head().to_string()
    hidden_shared = yearly[(yearly["periode"] == run["months"][0]) & (yearly["statut"] != "publie")
                           & (yearly["indicateur"] == "ACT_PEOPLE")]
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        assert audit_written_extract(con, yearly_folder, Period("2025"), elsewhere(Period("2025"))) == {}
        for month in run["months"]:
            folder = latest_version_dir(settings.exports_dir, month)
            assert audit_written_extract(con, folder, Period(month), elsewhere(Period(month))) == {}
        assert len(hidden_shared) > 0, "tiny data always hides some bassin-month counts of people"
        tampered = yearly_folder.parent / ".tampered-test"
        shutil.copytree(yearly_folder, tampered)
        try:
            yearly.loc[hidden_shared.index[0], "statut"] = "publie"
            yearly.to_csv(tampered / "suivi.csv", index=False)
            failures = audit_written_extract(con, tampered, Period("2025"), elsewhere(Period("2025")))
            # The same check from the published files alone (manifests + CSV, no warehouse).
            yearly.loc[hidden_shared.index[0], "valeur"] = "3"
            yearly.to_csv(tampered / "suivi.csv", index=False)
            tampered_files = audit_extract_folder(*monthly_folders, tampered)["suivi"]
        finally:
            shutil.rmtree(tampered)
        assert "suivi/ACT_PEOPLE" in failures
        assert not tampered_files.passed
        assert "publiée dans une autre table" in set(tampered_files.failures["reason"])
    assert shared > 100
    report = audit_extract_folder(*monthly_folders, yearly_folder)["suivi"]
    assert report.passed, report.summary()
    assert len(report.hidden) > 50


def test_retention_job_runs_and_records_its_purge(run):
    from pipelines.runner import run_job

    assert run_job("retention_job", run["settings"]).success
    with duckdb.connect(str(run["settings"].duckdb_path), read_only=True) as con:
        rules = {r[0] for r in con.execute("select rule from ops.retention_audit").fetchall()}
    assert {"psad_rio", "psad_followups", "activity_acts"} <= rules


def test_reader_holding_the_oref_snapshot_is_undisturbed_by_a_full_run(run):
    """The OREF keeps its snapshot open while the pipeline runs a month again, then sees the new one."""
    from pipelines.runner import run_job

    settings = run["settings"]
    before = current_snapshot(settings.oref_dir)
    reader = duckdb.connect(str(settings.oref_dir / "current" / SNAPSHOT_FILE), read_only=True)
    rows = reader.execute("select count(*) from indicators.ind_suivi").fetchone()[0]
    assert run_job("spro_main", settings, partition_key=run["months"][-1]).success
    assert reader.execute("select count(*) from indicators.ind_suivi").fetchone()[0] == rows
    reader.close()
    after = current_snapshot(settings.oref_dir)
    assert after != before, "the run published a new snapshot"
    with duckdb.connect(str(settings.oref_dir / "current" / SNAPSHOT_FILE), read_only=True) as fresh:
        assert fresh.execute("select count(*) from indicators.ind_suivi").fetchone()[0] > 0


def test_nominative_files_left_the_inbox_for_the_restricted_archive(run, truth):
    """RIO lists and PSAD follow-ups are not kept in the inbox once processed (owner-only archive)."""
    settings = run["settings"]
    assert not list((settings.inbox_dir / "rio").glob("*.csv"))
    assert not list((settings.inbox_dir / "psad").glob("*.csv"))
    archived = sorted((settings.archive_dir / "rio").glob("*.csv"))
    expected = truth["files"][truth["files"]["feed"] == "rio"]
    assert len(archived) == len(expected)
    assert all(path.stat().st_mode & 0o077 == 0 for path in archived)
    assert (settings.archive_dir / "rio").stat().st_mode & 0o077 == 0
    assert list((settings.inbox_dir / "activity").glob("*")), "member activity files are not nominative: kept"


def test_cio_acts_and_rio_lists_link_through_the_ine_pseudonym(warehouse):
    """The INE's keyed pseudonym reaches the identity tokens on both sides: deterministic links exist."""
    carried = warehouse.execute(
        "select count(*) from ops.identity_tokens where table_name = 'activity_acts' and ine_pseudo is not null"
    ).fetchone()[0]
    assert carried > 0
    deterministic = warehouse.execute(
        "select count(*) from ops.person_links where link_method like 'deterministic_ine%'").fetchone()[0]
    assert deterministic > 0


def test_member_reports_hold_no_direct_identifier(run):
    """What members download about their files (quarantined rows included) passes the identifier scan."""
    from pipelines.privacy.identifier_scan import scan_files

    reports = sorted(run["settings"].reports_dir.rglob("*.json"))
    assert len(reports) > 50
    assert scan_files(reports) == []


def _indicator_rows(settings) -> list[tuple]:
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        rows = con.execute("select * from indicators.ind_suivi_totals").fetchall()
    return sorted((tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in rows), key=repr)


def test_a_backfill_across_years_runs_one_dbt_invocation_per_year(run):
    """The monthly dbt asset over December 2024 to the demo's last month, through Dagster: December
    2024 is dbt-run on its own (its year), then 2025 is built; the same data give the same indicators."""
    from dagster import materialize
    from dagster_dbt import DbtCliResource

    from pipelines.dbt.assets import spro_dbt_monthly_models
    from pipelines.dbt.project import spro_dbt_project
    from pipelines.runner import dagster_instance, partition_range_tags

    settings = run["settings"]
    before = _indicator_rows(settings)
    instance = dagster_instance(settings)
    result = materialize([spro_dbt_monthly_models], instance=instance,
                         resources={"dbt": DbtCliResource(project_dir=spro_dbt_project)},
                         tags=partition_range_tags("2024-12", run["months"][-1]))
    assert result.success
    runs = [entry.user_message for entry in instance.all_logs(result.run_id)
            if entry.user_message.startswith("dbt run ")]
    assert len(runs) == 1, "only the years before the last are run apart; the last year is built"
    assert '"min_month": "2024-12-01", "max_month": "2024-12-01"' in runs[0]
    assert len(before) > 100
    assert _indicator_rows(settings) == before
