"""What a linkage run leaves behind so that the next one can link only the new identities.

Tables (schema ops, next to ops.person_links; tokens and model parameters only, no clear name):
  ops.linkage_model                one row: the Splink model of the last full run (settings JSON with
                                   m/u probabilities), the fingerprint of the model definition it was
                                   trained with, and the counts the prior is rescaled from
                                   (identities, prior-rule pairs);
  ops.linkage_term_frequencies     identities per token value of the term-frequency columns, over all
                                   linked identities (an incremental run scores a biased subset whose
                                   own frequencies would be wrong);
  ops.person_key_changes           one row per person key that changed (merge by a bridging identity,
                                   or re-clustering by a full run), with the run time: downstream
                                   tables keyed by person_key know what to rewrite.

Kept in the warehouse rather than in a file: the model, the counts and ops.person_links are written in
one transaction, so they can never disagree after a failed run.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone

import duckdb
import pandas as pd

from pipelines.linkage import model

MODEL_TABLE = "ops.linkage_model"
TF_TABLE = "ops.linkage_term_frequencies"
CHANGES_TABLE = "ops.person_key_changes"
# Columns Splink adjusts by term frequency (model.comparisons); read from the settings so that a
# new tf column cannot be forgotten here.
TF_COLUMNS = sorted({lv["tf_adjustment_column"] for c in model.comparisons() for lv in c["comparison_levels"]
                     if lv.get("tf_adjustment_column")})


def now_utc() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def model_fingerprint(within_group: bool) -> str:
    """Hash of everything that defines the model (comparisons, blocking, EM and prior rules): a stored
    model trained under another definition must not be reused (the code changed: retrain)."""
    definition = {"settings": model.settings(within_group=within_group), "em": model.EM_RULES,
                  "prior": model.PRIOR_RULES, "recall": model.PRIOR_RULES_RECALL}
    return hashlib.sha256(json.dumps(definition, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class StoredModel:
    saved_at: datetime
    fingerprint: str
    within_sender: bool
    trained: bool
    prior_estimated: bool
    prior: float
    identities: int
    prior_rule_pairs: float
    settings: dict


def table_exists(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    schema, table = qualified.split(".")
    return bool(con.execute("select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                            [schema, table]).fetchall()[0][0])


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists ops")
    con.execute(f"create table if not exists {MODEL_TABLE} (saved_at timestamp, updated_at timestamp, "
                "fingerprint varchar, within_sender boolean, trained boolean, prior_estimated boolean, prior double, "
                "identities bigint, prior_rule_pairs double, settings_json varchar)")
    con.execute(f"create table if not exists {TF_TABLE} (column_name varchar, value varchar, n bigint)")
    con.execute(f"create table if not exists {CHANGES_TABLE} (changed_at timestamp, run_mode varchar, "
                "old_person_key varchar, new_person_key varchar, reason varchar, identities bigint)")


def load_model(con: duckdb.DuckDBPyConnection) -> StoredModel | None:
    if not table_exists(con, MODEL_TABLE):
        return None
    row = con.execute(f"select saved_at, fingerprint, within_sender, trained, prior_estimated, prior, identities, "
                      f"prior_rule_pairs, settings_json from {MODEL_TABLE} order by saved_at desc limit 1").fetchall()
    if not row:
        return None
    row = row[0]
    return StoredModel(saved_at=row[0], fingerprint=row[1], within_sender=bool(row[2]), trained=bool(row[3]),
                       prior_estimated=bool(row[4]), prior=float(row[5]), identities=int(row[6]),
                       prior_rule_pairs=float(row[7] or 0.0), settings=json.loads(row[8]))


def save_model(con: duckdb.DuckDBPyConnection, stored: StoredModel) -> None:
    """Replace the stored model (inside the caller's transaction)."""
    ensure_tables(con)
    con.execute(f"delete from {MODEL_TABLE}")
    con.execute(f"insert into {MODEL_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [stored.saved_at, stored.saved_at, stored.fingerprint, stored.within_sender, stored.trained,
                 stored.prior_estimated, stored.prior, stored.identities, stored.prior_rule_pairs,
                 json.dumps(stored.settings, default=float)])


def update_model_counts(con: duckdb.DuckDBPyConnection, identities: int, prior_rule_pairs: float, prior: float) -> None:
    con.execute(f"update {MODEL_TABLE} set identities = ?, prior_rule_pairs = ?, prior = ?, updated_at = ?",
                [identities, prior_rule_pairs, prior, now_utc()])


def prior_from_counts(prior_rule_pairs: float, identities: int) -> float:
    """Splink's estimate (estimate_probability_two_random_records_match): pairs found by the prior's
    deterministic rules / their recall / all pairs."""
    total = identities * (identities - 1) / 2
    if total <= 0:
        return 1e-6
    return min(max(prior_rule_pairs / model.PRIOR_RULES_RECALL / total, 1e-12), 0.5)


def prior_rule_pairs_from_prior(prior: float, identities: int) -> float:
    """The inverse: how many prior-rule pairs the full run's estimate counted."""
    return prior * model.PRIOR_RULES_RECALL * identities * (identities - 1) / 2


def tf_counts(records: pd.DataFrame) -> pd.DataFrame:
    """(column_name, value, n): identities per value of each tf column (nulls left out, as Splink)."""
    parts = []
    for column in TF_COLUMNS:
        counts = records[column].dropna().value_counts()
        parts.append(pd.DataFrame({"column_name": column, "value": counts.index.astype(str), "n": counts.to_numpy()}))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["column_name", "value", "n"])
    out["n"] = out["n"].astype("int64")
    return out


def replace_tf(con: duckdb.DuckDBPyConnection, counts: pd.DataFrame) -> None:
    ensure_tables(con)
    con.execute(f"delete from {TF_TABLE}")
    add_tf(con, counts)


def add_tf(con: duckdb.DuckDBPyConnection, counts: pd.DataFrame) -> None:
    """Add the counts of newly linked identities (an upsert by (column_name, value))."""
    if counts.empty:
        return
    con.register("_spro_tf_add", counts)
    con.execute(f"""
        update {TF_TABLE} t set n = t.n + a.n from _spro_tf_add a
        where t.column_name = a.column_name and t.value = a.value""")
    con.execute(f"""
        insert into {TF_TABLE} select a.column_name, a.value, a.n from _spro_tf_add a
        where not exists (select 1 from {TF_TABLE} t where t.column_name = a.column_name and t.value = a.value)""")
    con.unregister("_spro_tf_add")


def tf_lookup(con: duckdb.DuckDBPyConnection, column: str, values: pd.Series, new_counts: pd.DataFrame) -> pd.DataFrame:
    """Splink's term-frequency lookup ({column}, tf_{column}) for `values` (those of the records
    scored): stored counts plus the new identities' counts, over the stored total plus the new one.
    A value nobody had when the counts were made (an existing identity whose usual spelling changed
    since) counts as one."""
    values = pd.Series(pd.unique(values.dropna().astype(str)), name="value")
    new = new_counts[new_counts["column_name"] == column].set_index("value")["n"]
    con.register("_spro_tf_values", pd.DataFrame({"value": values}))
    stored = con.execute(f"select value, n from {TF_TABLE} where column_name = ? "
                         "and value in (select value from _spro_tf_values)", [column]).df().set_index("value")["n"]
    con.unregister("_spro_tf_values")
    total = con.execute(f"select coalesce(sum(n), 0) from {TF_TABLE} where column_name = ?", [column]).fetchall()[0][0]
    total = float(total) + float(new.sum())
    n = (stored.reindex(values).fillna(0).to_numpy() + new.reindex(values).fillna(0).to_numpy()).clip(min=1)
    return pd.DataFrame({column: values.to_numpy(), f"tf_{column}": n / max(total, float(n.sum()), 1.0)})


def record_changes(con: duckdb.DuckDBPyConnection, changes: pd.DataFrame, run_mode: str, changed_at: datetime) -> None:
    """changes: old_person_key, new_person_key, reason, identities."""
    ensure_tables(con)
    if changes.empty:
        return
    frame = changes[["old_person_key", "new_person_key", "reason", "identities"]].copy()
    frame["identities"] = frame["identities"].astype("int64")
    con.register("_spro_changes", frame)
    con.execute(f"insert into {CHANGES_TABLE} select ?, ?, old_person_key, new_person_key, reason, identities "
                "from _spro_changes", [changed_at, run_mode])
    con.unregister("_spro_changes")
