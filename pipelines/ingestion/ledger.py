"""ops.load_ledger and the other ops tables ingestion writes: DDL and the few queries on them.

The ledger records every file received, one row per (file content, file name) with its version for
(feed, sender, month). Versions are decided by content (sha256), not by the file name: the same
bytes sent twice are one version; new bytes for the same feed, sender and month are the next one.
"""

from __future__ import annotations

import duckdb

from pipelines.ingestion.common_model import TABLES, create_table_sql, stored_columns

from pipelines.privacy.pseudonymize import TOKEN_BYTES, TOKEN_DOMAINS, TOKEN_LIST_COLUMNS, token_from_pseudonym_sql

LEDGER_DDL = """
create table if not exists ops.load_ledger (
    ledger_id VARCHAR primary key,
    file_name VARCHAR not null,          -- path relative to the inbox
    feed VARCHAR,
    contract VARCHAR,
    contract_version INTEGER,
    table_name VARCHAR,
    sender_code VARCHAR,
    period_month DATE,
    file_version INTEGER,
    size_bytes BIGINT,
    sha256 VARCHAR not null,
    received_at TIMESTAMP,
    loaded_at TIMESTAMP,
    rows_read BIGINT,
    rows_loaded BIGINT,
    rows_quarantined BIGINT,
    rows_flagged BIGINT,
    status VARCHAR not null,              -- loaded | replaced | rejected | duplicate | failed
    reason_code VARCHAR,
    reason_detail VARCHAR,
    superseded_by_version INTEGER,
    run_id VARCHAR,
    key_id VARCHAR
)
"""

QUARANTINE_DDL = """
create table if not exists ops.quarantine (
    source_file VARCHAR, file_sha256 VARCHAR, file_version INTEGER, sender_code VARCHAR,
    feed VARCHAR, table_name VARCHAR, period_month DATE, source_row BIGINT,
    reason_code VARCHAR, reasons VARCHAR, details VARCHAR, quarantined_at TIMESTAMP
)
"""

FLAGS_DDL = """
create table if not exists ops.row_flags (
    source_file VARCHAR, file_sha256 VARCHAR, file_version INTEGER, sender_code VARCHAR,
    feed VARCHAR, table_name VARCHAR, period_month DATE, source_row BIGINT,
    reason_code VARCHAR, column_name VARCHAR, flagged_at TIMESTAMP
)
"""

LOADED_STATUSES = ("loaded", "replaced", "rejected", "duplicate")


def ensure_schema(con: duckdb.DuckDBPyConnection, personal_by_table: dict[str, set[str]]) -> None:
    """Create ops.* and raw.* (idempotent); add columns a new contract needs to an existing table."""
    con.execute("create schema if not exists ops")
    con.execute("create schema if not exists raw")
    con.execute(LEDGER_DDL)
    con.execute(QUARANTINE_DDL)
    con.execute(FLAGS_DDL)
    for table in TABLES:
        personal = personal_by_table.get(table, set())
        con.execute(create_table_sql(table, personal))
        existing = {r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_schema='raw' and table_name=?",
            [table]).fetchall()}
        for name, kind in stored_columns(table, personal):
            if name not in existing:
                con.execute(f'alter table raw.{table} add column "{name}" {kind}')


def _token_column_type(column: str) -> str:
    if column == "birth_day_month_ambiguous":
        return "BOOLEAN"
    if column in TOKEN_LIST_COLUMNS:   # typo-tolerant tokens: a list of tokens per row
        return "VARCHAR[]"
    return "VARCHAR"


def _tokens_table_columns(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Column names of ops.identity_tokens in this database (empty when it does not exist)."""
    return {r[0] for r in con.execute(
        "select column_name from duckdb_columns() where database_name = current_database() and schema_name = 'ops' "
        "and table_name = 'identity_tokens'"
    ).fetchall()}


def ensure_tokens_table(con: duckdb.DuckDBPyConnection, token_columns: list[str]) -> None:
    """Create ops.identity_tokens; add token columns a newer pseudonymize.py produces to an existing
    table (e.g. the typo-tolerant list columns), so that older warehouses keep loading.

    One row per distinct identity of a loaded chunk: source_row is the first raw row carrying it and
    row_count the number of raw rows that carry it (the linkage weighs token combinations by it)."""
    existing = _tokens_table_columns(con)
    if existing and existing >= {"ine_pseudo", "row_count", *token_columns}:
        return          # the usual case, once per loaded file: one catalog lookup, no DDL
    columns = ", ".join(f'"{c}" {_token_column_type(c)}' for c in token_columns)
    con.execute(
        "create table if not exists ops.identity_tokens (table_name VARCHAR, source_file VARCHAR, "
        "file_sha256 VARCHAR, sender_code VARCHAR, period_month DATE, source_row BIGINT, "
        f"person_pseudo VARCHAR, ine_pseudo VARCHAR, row_count INTEGER, {columns})"
    )
    if not existing:
        con.execute(f"comment on table ops.identity_tokens is '{TOKENS_FORM}'")
    existing = _tokens_table_columns(con)
    if "ine_pseudo" not in existing:
        con.execute("alter table ops.identity_tokens add column ine_pseudo VARCHAR")
    if "row_count" not in existing:   # rows written before were one per raw row (see link_warehouse)
        con.execute("alter table ops.identity_tokens add column row_count INTEGER default 1")
    for column in token_columns:
        if column not in existing:
            con.execute(f'alter table ops.identity_tokens add column "{column}" {_token_column_type(column)}')


# Recorded as ops.identity_tokens' comment: the form of the tokens it holds. A table without it holds
# tokens written before TOKEN_BYTES, as 64-hex pseudonyms (convert_stored_tokens).
TOKENS_FORM = f"comparison tokens: HMAC-SHA256 cut to {TOKEN_BYTES} bytes, base64"


def _ops_table_comments(con: duckdb.DuckDBPyConnection) -> dict[str, str | None]:
    """{table name: its comment} of the ops schema of this database (one catalog lookup)."""
    return dict(con.execute("select table_name, comment from duckdb_tables() where database_name = current_database() "
                            "and schema_name = 'ops'").fetchall())


def convert_stored_tokens(con: duckdb.DuckDBPyConnection) -> int:
    """Convert the tokens an older version stored as 64-hex pseudonyms to the current form, in place.

    Why: a token written now must equal the token of the same value written before, or the linkage
    would see one person as two. The current token is a function of the old one (its first bytes,
    see pseudonymize.TOKEN_BYTES), so no clear value and no key is needed. Run once when a writer
    opens the warehouse; the table's comment records that it is done (one catalog lookup after
    that). Returns the number of rows converted.
    """
    comments = _ops_table_comments(con)
    if comments.get("identity_tokens", TOKENS_FORM) == TOKENS_FORM:     # no table, or done already
        return 0
    columns = _tokens_table_columns(con)
    scalars = [c for c in TOKEN_DOMAINS if c in columns and c not in TOKEN_LIST_COLUMNS]
    lists = [c for c in TOKEN_LIST_COLUMNS if c in columns]
    assignments = [f'"{c}" = ' + token_from_pseudonym_sql(f'"{c}"') for c in scalars]
    # a list stays sorted, as pseudonymize writes it
    assignments += [f'"{c}" = list_sort(list_transform("{c}", lambda t: {token_from_pseudonym_sql("t")}))' for c in lists]
    converted = 0
    if assignments:
        old_form = " or ".join([f'length("{c}") = 64' for c in scalars] + [f'length("{c}"[1]) = 64' for c in lists])
        converted = con.execute(f"update ops.identity_tokens set {', '.join(assignments)} where {old_form}").fetchall()[0][0]
    # The incremental linkage's term frequencies are counted per token value (pipelines/linkage/state.py):
    # left in the old form, no new token would find its frequency.
    if "linkage_term_frequencies" in comments:
        con.execute(f"update ops.linkage_term_frequencies set value = {token_from_pseudonym_sql('value')} "
                    "where length(value) = 64").fetchall()
    con.execute(f"comment on table ops.identity_tokens is '{TOKENS_FORM}'")
    return converted


def month_receipts(con, feed: str, sender: str, month) -> list[tuple]:
    """Ledger rows (file_name, status, file_version, sha256) of (feed, sender, month), in table order.

    One query answers both questions a load asks before writing (previous_receipts, month_state):
    the per-statement cost of DuckDB, not the table's size, made these lookups 8-15 % of the
    writer's time on a region-year.
    """
    return con.execute(
        "select file_name, status, file_version, sha256 from ops.load_ledger "
        "where feed = ? and sender_code is not distinct from ? and period_month is not distinct from ?",
        [feed, sender, month],
    ).fetchall()


def previous_receipts(receipts: list[tuple], sha256: str) -> list[tuple]:
    """The (file_name, status, file_version) of month_receipts' rows with the same content."""
    return [(name, status, version) for name, status, version, sha in receipts if sha == sha256]


def month_state(receipts: list[tuple]) -> tuple[int, int, int]:
    """(next version, ledger rows 'loaded', rows 'loaded' or 'replaced') of month_receipts' rows.

    The counts let the loader skip the deletes and the update that can only touch earlier loads:
    raw and ops rows of (feed, sender, month) are written in the same transaction as a 'loaded'
    ledger row, so without such a row (even if later 'replaced') there is nothing to delete.
    The next version follows the highest one that is not a duplicate's.
    """
    versions = [version for _, status, version, _ in receipts if status != "duplicate" and version is not None]
    loaded = sum(1 for _, status, _, _ in receipts if status == "loaded")
    earlier = sum(1 for _, status, _, _ in receipts if status in ("loaded", "replaced"))
    return max(versions, default=0) + 1, loaded, earlier


def insert_entry(con, entry: dict) -> None:
    columns = list(entry)
    placeholders = ", ".join("?" for _ in columns)
    con.execute(f"insert into ops.load_ledger ({', '.join(columns)}) values ({placeholders})",
                [entry[c] for c in columns]).fetchall()


def mark_replaced(con, feed: str, sender: str, month, new_version: int) -> None:
    """Earlier loaded versions stay in the ledger as history, flagged as replaced."""
    con.execute(
        "update ops.load_ledger set status = 'replaced', superseded_by_version = ? "
        "where feed = ? and sender_code is not distinct from ? and period_month is not distinct from ? "
        "and status = 'loaded'",
        [new_version, feed, sender, month],
    ).fetchall()
