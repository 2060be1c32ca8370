"""Asset checks of the raw layer, computed in SQL on the loaded partition.

great-expectations validates pandas chunks at the door (it cannot validate DuckDB tables here); these
checks re-assert the same agreed definitions on what actually landed, so that a bug in the door
cannot pass silently. They read the same expectations/*.yaml suites.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipelines.ingestion.common_model import ASSET_FEEDS, FEED_TABLE, LINEAGE_COLUMNS, stored_columns
from pipelines.ingestion.contracts import ContractSet
from pipelines.ingestion.expectations import _DATE_LITERAL, load_families, expectations_dir, uniqueness_keys
from pipelines.ingestion.redaction import EMAIL, PHONE
from pipelines.reference import Reference


@dataclass
class CheckOutcome:
    name: str
    passed: bool
    description: str
    metadata: dict


def tables_of_asset(asset: str) -> list[str]:
    feeds = ASSET_FEEDS[asset]
    return sorted({t for (f, _), t in FEED_TABLE.items() if f in feeds})


def _table_columns(con, table: str) -> set[str]:
    return {r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema='raw' and table_name=?",
        [table]).fetchall()}


def check_conservation(con, asset: str, month_date) -> CheckOutcome:
    """Per file: read = loaded + quarantined; per table: rows present = rows the ledger says loaded."""
    feeds = list(ASSET_FEEDS[asset])
    marks = ",".join("?" for _ in feeds)
    broken = con.execute(
        f"select file_name from ops.load_ledger where status='loaded' and period_month=? and feed in ({marks}) "
        "and rows_read <> rows_loaded + rows_quarantined", [month_date, *feeds]).fetchall()
    mismatches = []
    for table in tables_of_asset(asset):
        present = con.execute(f"select count(*) from raw.{table} where period_month=?", [month_date]).fetchall()[0][0]
        expected = con.execute(
            f"select coalesce(sum(rows_loaded),0) from ops.load_ledger where status='loaded' and period_month=? "
            f"and table_name=?", [month_date, table]).fetchall()[0][0]
        if present != expected:
            mismatches.append(f"{table}: {present} lignes présentes, {expected} attendues")
        quarantined = con.execute(
            "select count(*) from ops.quarantine q where period_month=? and table_name=? and exists (select 1 "
            "from ops.load_ledger l where l.status='loaded' and l.sha256=q.file_sha256 and l.file_name=q.source_file)",
            [month_date, table]).fetchall()[0][0]
        expected_q = con.execute(
            "select coalesce(sum(rows_quarantined),0) from ops.load_ledger where status='loaded' and period_month=? "
            "and table_name=?", [month_date, table]).fetchall()[0][0]
        if quarantined != expected_q:
            mismatches.append(f"{table}: {quarantined} lignes en quarantaine, {expected_q} attendues")
    passed = not broken and not mismatches
    return CheckOutcome("conservation", passed, "lues = chargées + écartées, par fichier et par table",
                        {"fichiers_en_defaut": [b[0] for b in broken], "ecarts": mismatches})


def _sql_literal(value) -> str:
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _bound(value, params: dict) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and value.startswith("$"):
        return f"TIMESTAMP '{params[value[1:]]}'"
    if isinstance(value, str) and _DATE_LITERAL.match(value):
        return f"TIMESTAMP '{value}'"
    return _sql_literal(value)


def check_agreed_definitions(con, asset: str, month_date, contracts: ContractSet, reference: Reference) -> CheckOutcome:
    """No loaded row breaks a code list, a range, the declared month or a count rule (SQL translation)."""
    start = pd.Timestamp(month_date)
    nxt = start + pd.offsets.MonthBegin(1)
    params = {"month_start": start, "next_month_start": nxt, "month_end": nxt - pd.Timedelta(days=1),
              "horizon_end": nxt + pd.DateOffset(years=1)}
    violations = {}
    for table in tables_of_asset(asset):
        columns = _table_columns(con, table)
        for family, suite in load_families(expectations_dir()).items():
            for item in suite.get("expectations", []) if family != "uniqueness" else []:
                column = "age" if item["column"] == "_age" else item["column"]
                if column not in columns or column.startswith("$"):
                    continue
                if item["type"] == "expect_column_values_to_be_in_set":
                    value_set = item["value_set"]
                    if value_set == "$contract":
                        codes = set()
                        for c in contracts.contracts.values():
                            if c.table == table and column in c.targets:
                                codes |= set((c.targets[column].codes or {}).values())
                    elif str(value_set).startswith("$ref:"):
                        codes = set(reference.codes(value_set[5:]))
                    else:
                        codes = set(value_set)
                    if not codes:
                        continue
                    condition = f'"{column}" not in ({", ".join(_sql_literal(c) for c in sorted(codes))})'
                elif item["type"] == "expect_column_values_to_be_between":
                    low, high = _bound(item.get("min_value"), params), _bound(item.get("max_value"), params)
                    parts = []
                    if low:
                        parts.append(f'"{column}" < {low}')
                    if high:
                        parts.append(f'"{column}" {">=" if item.get("strict_max") else ">"} {high}')
                    condition = " or ".join(parts)
                else:
                    continue
                count = con.execute(
                    f'select count(*) from raw.{table} where period_month=? and "{column}" is not null and ({condition})',
                    [month_date]).fetchall()[0][0]
                if count:
                    violations[f"{table}.{column} ({family})"] = int(count)
    return CheckOutcome("agreed_definitions", not violations, "définitions communes respectées par les lignes chargées",
                        {"violations": violations})


def check_no_duplicates(con, asset: str, month_date) -> CheckOutcome:
    """No duplicate act: the uniqueness key of each table, per sender and month."""
    lineage = {name for name, _ in LINEAGE_COLUMNS}
    duplicates = {}
    for table in tables_of_asset(asset):
        key = uniqueness_keys().get(table, ["*"])
        columns = _table_columns(con, table)
        if key == ["*"]:
            key = sorted(columns - lineage)
        key = [k for k in key if k in columns]
        if not key:
            continue
        quoted = ", ".join(f'"{k}"' for k in key)
        count = con.execute(
            f"select coalesce(sum(n - 1), 0) from (select count(*) n from raw.{table} where period_month=? "
            f"group by sender_code, {quoted} having count(*) > 1)", [month_date]).fetchall()[0][0]
        if count:
            duplicates[table] = int(count)
    return CheckOutcome("no_duplicate_rows", not duplicates, "aucun acte en double", {"doublons": duplicates})


def check_no_clear_personal_data(con, asset: str, month_date, contracts: ContractSet) -> CheckOutcome:
    """Personal targets exist only as <field>_pseudo, and comments carry no phone number or e-mail."""
    problems = []
    for table in tables_of_asset(asset):
        columns = _table_columns(con, table)
        for name in contracts.personal_targets(table):
            if name in columns:
                problems.append(f"{table}.{name} en clair")
        if "comment" in columns:
            leaks = con.execute(
                f"select count(*) from raw.{table} where period_month=? and "
                f"(regexp_matches(comment, ?) or regexp_matches(comment, ?))",
                [month_date, PHONE.pattern.replace("(?<!\\d)", "").replace("(?!\\d)", ""), EMAIL.pattern]).fetchall()[0][0]
            if leaks:
                problems.append(f"{table}.comment : {leaks} commentaire(s) avec coordonnées")
    return CheckOutcome("no_clear_personal_data", not problems, "aucune donnée personnelle en clair", {"problemes": problems})


def check_files_processed(con, asset: str, month_date) -> CheckOutcome:
    """No file of the partition is left in technical failure (a failed load is retried, not skipped)."""
    feeds = list(ASSET_FEEDS[asset])
    marks = ",".join("?" for _ in feeds)
    failed = con.execute(
        f"select file_name, reason_detail from ops.load_ledger l where status='failed' and period_month=? "
        f"and feed in ({marks}) and not exists (select 1 from ops.load_ledger k where k.sha256=l.sha256 "
        f"and k.status <> 'failed')", [month_date, *feeds]).fetchall()
    rejected = con.execute(
        f"select count(*) from ops.load_ledger where status='rejected' and period_month=? and feed in ({marks})",
        [month_date, *feeds]).fetchall()[0][0]
    return CheckOutcome("files_processed", not failed, "aucun fichier en échec technique",
                        {"en_echec": [f"{a}: {b}" for a, b in failed], "refuses": int(rejected)})


def run_checks(con, asset: str, month: str, contracts: ContractSet, reference: Reference) -> list[CheckOutcome]:
    month_date = pd.Timestamp(f"{month}-01").date()
    return [
        check_conservation(con, asset, month_date),
        check_agreed_definitions(con, asset, month_date, contracts, reference),
        check_no_duplicates(con, asset, month_date),
        check_no_clear_personal_data(con, asset, month_date, contracts),
        check_files_processed(con, asset, month_date),
    ]


CHECK_SPECS = {
    # name: (blocking, description)
    "conservation": (True, "Rien de perdu, rien de doublé : lues = chargées + écartées (registre et tables)."),
    "agreed_definitions": (True, "Les lignes chargées respectent les définitions communes (codes, dates, mois, effectifs)."),
    "no_duplicate_rows": (True, "Aucun acte en double dans la partition."),
    "no_clear_personal_data": (True, "Aucune donnée personnelle en clair (pseudonymes seulement, commentaires expurgés)."),
    "files_processed": (True, "Aucun fichier du mois laissé en échec technique."),
}
