"""Retention of person-level data: what is past due is deleted, and the deletion is recorded.

Rules (docs/architecture.md, ../shared/BRIEF.md "Personal data"):
- nominative PSAD data (RIO entries and PSAD follow-ups): 2 years after the person's LAST contact
  (CNIL's referential for social support) — the horizon runs per person, not per row, so a young
  person still being followed keeps their whole history;
- other pseudonymised person-level data (service acts, registrations, Lorfolio events): a
  configurable number of years after the row's date (`SPRO_RETENTION_YEARS`, default 5);
- the linkage's comparison tokens (ops.identity_tokens) follow their feed's rule;
- aggregates (monthly counts, indicators) are kept;
- the incremental dbt tables that hold person-level rows (monthly facts, person summaries, Lorfolio
  account-months) follow the same horizon (the other dbt tables are rebuilt from the raw tables at
  every run; the indicator tables are aggregates, kept).
The restricted archive of received nominative files follows the PSAD rule by file month.

Every run writes one row per rule into `ops.retention_audit` (rows deleted, cutoff, run time), even
when nothing was due, so the audit proves that the purge ran. A second run deletes nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb

AUDIT_TABLE = "ops.retention_audit"
PSAD_YEARS = 2


@dataclass(frozen=True)
class RetentionRule:
    """A table's retention: rows whose reference date is before the cutoff are deleted.

    `person_column` makes the reference date the person's latest date across `person_dates_sql`
    (one row per person with columns person, last_date), instead of the row's own date.
    """

    name: str
    table: str
    years: int
    date_sql: str
    person_column: str | None = None
    person_dates_sql: str | None = None
    description_fr: str = ""
    where_sql: str | None = None  # restricts the rule to some rows of a table shared by several feeds


def _psad_last_contact_sql() -> str:
    """Each young person's last contact, across the RIO lists and the PSAD follow-ups."""
    return """
        select person, max(last_date) as last_date from (
            select ine_pseudo as person,
                   greatest(coalesce(contact_date, date '1900-01-01'), coalesce(outcome_date, date '1900-01-01'),
                            coalesce(contact_attempt_date, date '1900-01-01'), coalesce(identified_date, date '1900-01-01'),
                            period_month) as last_date
            from raw.psad_followups
            union all
            select ine_pseudo as person, greatest(coalesce(exit_date, date '1900-01-01'), period_month) as last_date
            from raw.rio_entries
        ) group by person
    """


_PERSON_ACT_DATE = "case when person_key is not null then coalesce(act_date, period_month) end"


def default_rules(other_years: int) -> list[RetentionRule]:
    psad = _psad_last_contact_sql()
    return [
        # The linkage's comparison tokens follow the rows they were computed from (the linkage then
        # drops the purged identities' links at its next run). First: the PSAD rule reads the last
        # contact from the raw PSAD tables, which the next rules purge.
        RetentionRule("identity_tokens_psad", "ops.identity_tokens", PSAD_YEARS, "period_month", "ine_pseudo", psad,
                      "Jetons de comparaison des listes RIO et du suivi PSAD : 2 ans après le dernier contact",
                      where_sql="table_name in ('rio_entries', 'psad_followups')"),
        RetentionRule("identity_tokens_other", "ops.identity_tokens", other_years, "period_month",
                      description_fr=f"Jetons de comparaison des autres flux : {other_years} ans",
                      where_sql="table_name not in ('rio_entries', 'psad_followups')"),
        RetentionRule("psad_rio", "raw.rio_entries", PSAD_YEARS, "period_month", "ine_pseudo", psad,
                      "Listes RIO nominatives : 2 ans après le dernier contact"),
        RetentionRule("psad_followups", "raw.psad_followups", PSAD_YEARS, "period_month", "ine_pseudo", psad,
                      "Suivi PSAD : 2 ans après le dernier contact"),
        RetentionRule("activity_acts", "raw.activity_acts", other_years, "coalesce(act_date, period_month)",
                      description_fr=f"Actes de service pseudonymisés : {other_years} ans"),
        RetentionRule("event_registrations", "raw.event_registrations", other_years, "period_month",
                      description_fr=f"Inscriptions aux événements : {other_years} ans"),
        RetentionRule("lorfolio_events", "raw.lorfolio_events", other_years, "period_month",
                      description_fr=f"Journaux Lorfolio : {other_years} ans"),
        # The monthly incremental dbt tables keep past months until a full refresh: they are purged
        # by the same horizon. Aggregate rows (no person) have a null date here and are kept.
        *[
            RetentionRule(f"dbt_{table.split('.')[1]}", table, other_years, date_sql,
                          description_fr=f"Table dbt incrémentale {table} : {other_years} ans")
            for table, date_sql in (
                ("intermediate.int_service_acts_unified", _PERSON_ACT_DATE),
                ("marts.fct_service_acts", _PERSON_ACT_DATE),
                ("intermediate.int_episodes_grouped", "period_month"),
                ("intermediate.int_redirections_matched", "redirect_date"),
                ("marts.fct_redirections", "redirect_date"),
                # One row per person, rebuilt only when the person is seen again: the row goes
                # once the person's latest act is past the horizon.
                ("intermediate.int_persons_summarised", "last_contact_date"),
                ("marts.fct_person_paths", "last_contact_date"),
                ("intermediate.int_lorfolio_account_months", "activity_month"),
                ("marts.fct_lorfolio_account_months", "activity_month"),
            )
        ],
    ]


def cutoff_date(today: date, years: int) -> date:
    """Same day `years` earlier (29 February falls back to the 28th)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def _table_exists(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    schema, table = qualified.split(".")
    return bool(con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table]).fetchone()[0])


def _due_predicate(rule: RetentionRule, cutoff: date) -> str:
    if rule.person_column:
        due = (f"{rule.person_column} in (select person from ({rule.person_dates_sql}) "
               f"where last_date < date '{cutoff.isoformat()}')")
    else:
        due = f"{rule.date_sql} < date '{cutoff.isoformat()}'"
    return f"({rule.where_sql}) and {due}" if rule.where_sql else due


def ensure_audit_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists ops")
    con.execute(
        f"""create table if not exists {AUDIT_TABLE} (
            run_at timestamp, rule varchar, table_name varchar, cutoff date, years integer,
            rows_deleted bigint, description_fr varchar)"""
    )


def apply_retention(
    con: duckdb.DuckDBPyConnection, rules: list[RetentionRule], today: date
) -> list[dict]:
    """Delete what is past due in one transaction and record it; returns the audit rows."""
    ensure_audit_table(con)
    run_at = datetime.now(timezone.utc).replace(tzinfo=None)
    audit = []
    con.execute("begin transaction")
    try:
        for rule in rules:
            cutoff = cutoff_date(today, rule.years)
            deleted = 0
            if _table_exists(con, rule.table) and (
                rule.person_dates_sql is None or _psad_tables_exist(con)
            ):
                predicate = _due_predicate(rule, cutoff)
                deleted = con.execute(f"select count(*) from {rule.table} where {predicate}").fetchone()[0]
                if deleted:
                    con.execute(f"delete from {rule.table} where {predicate}")
            row = {"run_at": run_at, "rule": rule.name, "table_name": rule.table, "cutoff": cutoff,
                   "years": rule.years, "rows_deleted": int(deleted), "description_fr": rule.description_fr}
            con.execute(f"insert into {AUDIT_TABLE} values (?, ?, ?, ?, ?, ?, ?)", list(row.values()))
            audit.append(row)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return audit


def _psad_tables_exist(con: duckdb.DuckDBPyConnection) -> bool:
    return _table_exists(con, "raw.psad_followups") and _table_exists(con, "raw.rio_entries")


def purge_archive(archive_dir: Path, today: date, years: int = PSAD_YEARS) -> list[Path]:
    """Delete archived nominative files whose month (from the file name) is past the horizon."""
    import re

    cutoff = cutoff_date(today, years)
    removed = []
    month_pattern = re.compile(r"_(\d{4})-(\d{2})")
    for path in sorted(archive_dir.rglob("*")) if archive_dir.exists() else []:
        match = month_pattern.search(path.name)
        if path.is_file() and match and date(int(match[1]), int(match[2]), 1) < cutoff.replace(day=1):
            path.unlink()
            removed.append(path)
    return removed
