"""The foundation: Dagster loads the code location, dbt builds, the reference data holds together."""

from __future__ import annotations

import re

import duckdb
import pytest

from pipelines.config import load_settings


@pytest.fixture
def warehouse(demo_run):
    con = duckdb.connect(str(demo_run["settings"].duckdb_path), read_only=True)
    yield con
    con.close()


def test_definitions_load_with_every_layer_jobs_and_schedules():
    from pipelines.definitions import defs

    repository = defs.get_repository_def()
    asset_keys = {key.to_user_string() for key in repository.asset_graph.get_all_asset_keys()}
    assert {"seeds/ref_bassins", "seeds/ref_members", "raw_member_activity", "ops/person_links",
            "indicators/ind_suivi", "exports/region_extract_monthly", "exports/oref_snapshot"} <= asset_keys
    assert {job.name for job in defs.jobs} >= {"ingest_month", "spro_main", "region_extract_yearly", "retention_job"}
    # dbt tests on the seeds surface as Dagster asset checks.
    check_keys = repository.asset_graph.asset_check_keys
    assert any(check.asset_key.to_user_string() == "seeds/ref_bassins" for check in check_keys)


def test_a_backfill_of_many_months_is_one_run():
    """spro_main's partitioned assets all handle a partition range in one run (dbt's --vars window,
    one extract per month of the range): a backfill must not be split into one run per month."""
    from dagster import BackfillPolicy

    from pipelines.definitions import defs

    job = defs.resolve_job_def("spro_main")
    assert job.backfill_policy == BackfillPolicy.single_run()
    assert job.backfill_policy.max_partitions_per_run is None
    assert defs.resolve_job_def("region_extract_yearly").backfill_policy == BackfillPolicy.single_run()


def test_reference_counts_match_the_charter(warehouse):
    counts = {
        table: warehouse.execute(f"select count(*) from seeds.{table}").fetchone()[0]
        for table in ("ref_bassins", "ref_agencies", "ref_departements", "ref_academies", "ref_psad_platforms")
    }
    assert counts == {"ref_bassins": 43, "ref_agencies": 12, "ref_departements": 10, "ref_academies": 3,
                      "ref_psad_platforms": 33}
    assert warehouse.execute("select count(*) from seeds.ref_members").fetchone()[0] >= 100


def test_every_bassin_in_one_known_agency_and_departement(warehouse):
    orphans = warehouse.execute(
        """
        select count(*) from seeds.ref_bassins b
        left join seeds.ref_agencies a using (agency_code)
        left join seeds.ref_departements d using (departement_code)
        where a.agency_code is null or d.departement_code is null
        """
    ).fetchone()[0]
    assert orphans == 0
    agencies_without_bassin = warehouse.execute(
        "select count(*) from seeds.ref_agencies a where not exists "
        "(select 1 from seeds.ref_bassins b where b.agency_code = a.agency_code)"
    ).fetchone()[0]
    assert agencies_without_bassin == 0


def test_every_member_in_a_known_network_agency_and_bassin(warehouse):
    orphans = warehouse.execute(
        """
        select count(*) from seeds.ref_members m
        left join seeds.ref_networks n using (network_code)
        left join seeds.ref_agencies a using (agency_code)
        left join seeds.ref_bassins b using (bassin_code)
        where n.network_code is null or a.agency_code is null or b.bassin_code is null
        """
    ).fetchone()[0]
    assert orphans == 0
    assert warehouse.execute("select count(distinct network_code) from seeds.ref_members").fetchone()[0] == 13


def test_codes_are_unique_and_keep_leading_zeros(warehouse):
    for table, column in [("ref_bassins", "bassin_code"), ("ref_members", "member_code"),
                          ("ref_communes", "commune_insee"), ("ref_agencies", "agency_code")]:
        total, distinct = warehouse.execute(f"select count(*), count(distinct {column}) from seeds.{table}").fetchone()
        assert total == distinct, f"{table}.{column} has duplicates"
    assert warehouse.execute("select count(*) from seeds.ref_departements where departement_code = '08'").fetchone()[0] == 1


def test_seeds_hold_no_personal_contact_data():
    """The charter's annex 2 lists referents' names, e-mails and phones: none may be copied."""
    phone = re.compile(r"\b0[1-9](?:[ .-]?\d{2}){4}\b")
    for path in (load_settings().dbt_project_dir / "seeds").glob("*.csv"):
        text = path.read_text(encoding="utf-8")
        assert "@" not in text, path.name
        assert not phone.search(text), path.name
