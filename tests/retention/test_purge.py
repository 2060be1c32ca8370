"""The retention purge removes exactly what is past due, records it, and is idempotent."""

from __future__ import annotations

import os
from datetime import date

import duckdb
import pytest

from pipelines.retention.purge import apply_retention, cutoff_date, default_rules, purge_archive

TODAY = date(2026, 11, 28)


@pytest.fixture
def con(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create schema raw")
    con.execute("""create table raw.rio_entries (ine_pseudo varchar, exit_date date, period_month date)""")
    con.execute("""create table raw.psad_followups (ine_pseudo varchar, identified_date date, contact_attempt_date date,
                   contact_date date, outcome_date date, period_month date)""")
    con.execute("create table raw.activity_acts (identity_key varchar, act_date date, period_month date)")
    con.execute("create schema marts")
    con.execute("create table marts.fct_service_acts (person_key varchar, act_date date, period_month date, acts_count bigint)")
    # An old act of a person (past due) and an old aggregate row of an aggregate-only member (kept).
    con.execute("""insert into marts.fct_service_acts values
        ('p1', date '2020-01-15', date '2020-01-01', 1), (null, null, date '2020-01-01', 42),
        ('p2', date '2025-06-01', date '2025-06-01', 1)""")
    # Young person A: listed in 2023, last contact 2024-02-10 -> past due (cutoff 2024-11-28).
    # Young person B: listed in 2023 too, but still contacted in 2025 -> whole history kept.
    con.execute("""insert into raw.rio_entries values
        ('A', date '2023-06-30', date '2023-09-01'), ('B', date '2023-06-30', date '2023-09-01'),
        ('B', date '2023-06-30', date '2025-01-01')""")
    con.execute("""insert into raw.psad_followups values
        ('A', date '2023-09-05', date '2023-09-10', date '2023-09-12', date '2024-02-10', date '2023-09-01'),
        ('B', date '2023-09-05', date '2023-09-10', date '2023-09-12', date '2023-10-01', date '2023-09-01'),
        ('B', date '2025-01-05', null, date '2025-03-01', null, date '2025-01-01')""")
    # Acts: 2 older than 5 years (cutoff 2021-11-28), 1 recent.
    con.execute("""insert into raw.activity_acts values
        ('x', date '2020-01-15', date '2020-01-01'), ('y', date '2021-11-27', date '2021-11-01'),
        ('z', date '2021-11-28', date '2021-11-01')""")
    # Linkage tokens: A's RIO identity (past due with A), an old act (past due), a recent act of A
    # through the INE (kept: acts follow the 5-year rule, not the PSAD one).
    con.execute("create schema ops")
    con.execute("create table ops.identity_tokens (table_name varchar, period_month date, ine_pseudo varchar, person_pseudo varchar)")
    con.execute("""insert into ops.identity_tokens values
        ('rio_entries', date '2023-09-01', 'A', 'ta'), ('rio_entries', date '2025-01-01', 'B', 'tb'),
        ('activity_acts', date '2020-01-01', null, 'tx'), ('activity_acts', date '2023-09-01', 'A', 'tA-act')""")
    yield con
    con.close()


def test_linkage_tokens_follow_their_feed_rule(con):
    audit = apply_retention(con, default_rules(other_years=5), TODAY)
    deleted = {row["rule"]: row["rows_deleted"] for row in audit}
    assert deleted["identity_tokens_psad"] == 1 and deleted["identity_tokens_other"] == 1
    kept = {r[0] for r in con.execute("select person_pseudo from ops.identity_tokens").fetchall()}
    assert kept == {"tb", "tA-act"}


def test_cutoff_handles_leap_day():
    assert cutoff_date(date(2028, 2, 29), 2) == date(2026, 2, 28)
    assert cutoff_date(TODAY, 2) == date(2024, 11, 28)


def test_purge_removes_exactly_what_is_past_due_and_records_it(con):
    audit = apply_retention(con, default_rules(other_years=5), TODAY)
    deleted = {row["rule"]: row["rows_deleted"] for row in audit}
    assert deleted["psad_rio"] == 1 and deleted["psad_followups"] == 1
    assert deleted["activity_acts"] == 2
    assert deleted["event_registrations"] == 0  # table absent: recorded, nothing done
    assert con.execute("select distinct ine_pseudo from raw.rio_entries").fetchall() == [("B",)]
    assert con.execute("select count(*) from raw.psad_followups where ine_pseudo = 'B'").fetchone()[0] == 2
    assert con.execute("select identity_key from raw.activity_acts").fetchall() == [("z",)]
    assert deleted["dbt_fct_service_acts"] == 1
    assert con.execute("select count(*), sum(acts_count) from marts.fct_service_acts").fetchone() == (2, 43)
    recorded = con.execute("select rule, rows_deleted, cutoff from ops.retention_audit order by rule").fetchall()
    assert ("activity_acts", 2, date(2021, 11, 28)) in recorded


def test_incremental_person_summaries_follow_the_last_contact(con):
    """A person's summary row (rebuilt only when the person comes back) goes once their latest act is past due."""
    con.execute("create schema if not exists intermediate")
    con.execute("create table intermediate.int_persons_summarised "
                "(person_key varchar, first_contact_date date, last_contact_date date)")
    con.execute("""insert into intermediate.int_persons_summarised values
        ('gone', date '2019-03-01', date '2021-11-27'), ('back', date '2019-03-01', date '2025-06-01')""")
    audit = apply_retention(con, default_rules(other_years=5), TODAY)
    assert {row["rule"]: row["rows_deleted"] for row in audit}["dbt_int_persons_summarised"] == 1
    assert con.execute("select person_key from intermediate.int_persons_summarised").fetchall() == [("back",)]
    assert {row["table_name"] for row in audit} >= {
        "marts.fct_person_paths", "intermediate.int_lorfolio_account_months", "marts.fct_lorfolio_account_months"}


def test_second_run_deletes_nothing_but_is_recorded(con):
    apply_retention(con, default_rules(other_years=5), TODAY)
    again = apply_retention(con, default_rules(other_years=5), TODAY)
    assert sum(row["rows_deleted"] for row in again) == 0
    runs = con.execute("select count(distinct run_at) from ops.retention_audit").fetchone()[0]
    assert runs == 2


def test_archive_files_past_the_psad_horizon_are_deleted(tmp_path):
    archive = tmp_path / "archive" / "rio"
    archive.mkdir(parents=True)
    old = archive / "PSAD01_2024-10_rio.csv"
    recent = archive / "PSAD01_2024-11_rio.csv"
    for path in (old, recent):
        path.write_text("ine;nom\n")
        os.chmod(path, 0o600)
    removed = purge_archive(tmp_path / "archive", TODAY)
    assert removed == [old]
    assert recent.exists() and not old.exists()
