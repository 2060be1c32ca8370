"""The common model's raw tables: which feed lands where, with which typed columns.

Contracts map members' columns onto these targets; the tables' shapes are fixed here so that every
contract of a feed lands in the same table (a new member format is a contract, not a new table).
Personal targets are stored as `<target>_pseudo` (hex HMAC-SHA256), never in clear.
"""

from __future__ import annotations

from dataclasses import dataclass

# Columns every raw row carries (docs/architecture.md).
LINEAGE_COLUMNS: list[tuple[str, str]] = [
    ("source_file", "VARCHAR"),
    ("source_row", "BIGINT"),
    ("file_sha256", "VARCHAR"),
    ("file_version", "INTEGER"),
    ("period_month", "DATE"),
    ("sender_code", "VARCHAR"),
    ("loaded_at", "TIMESTAMP"),
]

# Common-model target type -> DuckDB type.
DUCKDB_TYPES = {
    "string": "VARCHAR", "code": "VARCHAR", "integer": "BIGINT", "decimal": "DOUBLE",
    "date": "DATE", "datetime": "TIMESTAMP", "boolean": "BOOLEAN", "month": "DATE",
}


@dataclass(frozen=True)
class Target:
    name: str
    type: str
    personal: bool = False


def _t(spec: str) -> Target:
    """'name:type[:personal]' -> Target; keeps the table listings below readable."""
    parts = spec.split(":")
    return Target(parts[0], parts[1], len(parts) > 2 and parts[2] == "personal")


TABLES: dict[str, list[Target]] = {
    "activity_acts": [_t(s) for s in (
        "act_id:string", "member_person_id:string:personal", "act_date:date", "service_level_code:code",
        "channel_code:code", "sex_code:code", "birth_date:date:personal", "last_name:string:personal",
        "birth_name:string:personal", "first_names:string:personal", "ine:string:personal",
        "public_status_code:code", "rqth:boolean", "residence_commune_insee:code",
        "redirected_to_member_code:code", "comment:string", "age:integer",
    )],
    "activity_aggregates": [_t(s) for s in (
        "period_month:month", "service_level_code:code", "channel_code:code", "sex_code:code",
        "age_band_code:code", "public_status_code:code", "bassin_code:code", "acts_count:integer",
        "people_count:integer",
    )],
    "rio_entries": [_t(s) for s in (
        "ine:string:personal", "last_name:string:personal", "first_names:string:personal",
        "birth_date:date:personal", "sex_code:code", "address:string:personal",
        "postal_code:string:personal", "commune_insee:code", "phone:string:personal",
        "last_school_uai:string", "last_training_bcn:string", "exit_date:date", "exit_reason_code:code",
        "birth_year:integer",
    )],
    "psad_followups": [_t(s) for s in (
        "ine:string:personal", "identified_date:date", "contact_attempt_date:date", "contact_date:date",
        "outcome_code:code", "outcome_date:date", "followup_3m_outcome_code:code",
        "followup_6m_outcome_code:code", "referred_member_code:code", "comment:string",
    )],
    "lorfolio_events": [_t(s) for s in (
        "event_time:datetime", "account_id:string:personal", "action:code", "bassin_code:code",
        "birth_year:integer", "sex_code:code",
    )],
    "events": [_t(s) for s in (
        "event_id:string", "event_date:date", "event_type_code:code", "channel_code:code",
        "cot_sector_code:code", "bassin_code:code", "organiser_member_code:code", "capacity:integer",
        "partner_companies_count:integer", "partner_branches_count:integer", "title:string",
    )],
    "event_registrations": [_t(s) for s in (
        "registration_id:string", "event_id:string", "registered_at:datetime", "attended:boolean",
        "public_status_code:code", "sex_code:code", "birth_year:integer",
        "last_name:string:personal", "first_names:string:personal", "email:string:personal",
    )],
    "event_satisfaction": [_t(s) for s in (
        "registration_id:string", "event_id:string", "score:integer", "would_recommend:boolean",
        "comment:string",
    )],
}

# Contract feed (+ grain) -> raw table.
FEED_TABLE = {
    ("activity", "act"): "activity_acts",
    ("activity", "aggregate"): "activity_aggregates",
    ("rio", None): "rio_entries",
    ("psad_followup", None): "psad_followups",
    ("lorfolio", None): "lorfolio_events",
    ("events", None): "events",
    ("registrations", None): "event_registrations",
    ("satisfaction", None): "event_satisfaction",
}

# Dagster asset (feed layer) -> contract feeds it loads.
ASSET_FEEDS: dict[str, tuple[str, ...]] = {
    "raw_member_activity": ("activity",),
    "raw_rio": ("rio", "psad_followup"),
    "raw_lorfolio": ("lorfolio",),
    "raw_events": ("events", "registrations", "satisfaction"),
}
FEED_ASSET = {feed: asset for asset, feeds in ASSET_FEEDS.items() for feed in feeds}

# Personal targets that are not in a table's list above are still refused in clear.
PERSONAL_TARGETS = frozenset(
    t.name for targets in TABLES.values() for t in targets if t.personal
) | {"email", "phone", "address"}


def table_for(feed: str, grain: str | None) -> str:
    """The raw table a contract lands in."""
    return FEED_TABLE.get((feed, grain)) or FEED_TABLE[(feed, None)]


def stored_columns(table: str, personal: set[str] | frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """(column, duckdb type) of a raw table, personal targets replaced by their pseudonym.

    `personal` adds the targets some contract declares personal (e.g. RIO's commune): the stricter
    declaration wins, so a clear column can never receive a personal value.
    """
    columns = []
    for target in TABLES[table]:
        if target.personal or target.name in personal:
            columns.append((f"{target.name}_pseudo", "VARCHAR"))
        else:
            columns.append((target.name, DUCKDB_TYPES[target.type]))
    names = {name for name, _ in columns}
    # an aggregate's own period_month IS the lineage period_month (the suite checks they agree)
    return columns + [(name, kind) for name, kind in LINEAGE_COLUMNS if name not in names]


def create_table_sql(table: str, personal: set[str] | frozenset[str] = frozenset()) -> str:
    body = ", ".join(f'"{name}" {kind}' for name, kind in stored_columns(table, personal))
    return f"create table if not exists raw.{table} ({body})"
