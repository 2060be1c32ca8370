"""The warehouse step: ops.identity_tokens -> linkage -> ops.person_links.

`link_identities(con, mode='auto')` is what the Dagster asset calls. It chooses the mode
(`choose_mode`: incremental when a model is stored and few identities are new, see
incremental.py), and in full mode
  1. reads ops.identity_tokens (one row per distinct identity of a loaded chunk, with the number of
     raw rows it stands for) and keeps one record per identity key: the most frequent combination
     of tokens of that key, weighed by those numbers (a member spells a person the same way almost
     always; a missing commune on one act does not win over the usual one);
  2. links them (engine.link_records: INE links, then Splink training and scoring, threshold,
     components);
  3. replaces ops.person_links(identity_key, person_key, link_method, link_score) in ONE
     transaction (delete + insert) together with the stored model (state.py): a re-run gives the
     same table, readers never see it half written. Every identity key gets a row; unlinked ones
     have person_key = identity_key and link_method 'unlinked', which is what dbt's
     coalesce(person_key, identity_key) expects.

person_key = on a first run, the smallest identity key of the cluster: already a keyed pseudonym
(nothing new to protect), equal to the identity key for a person seen once. Later runs keep the
keys in use (incremental: a person keeps its key when new identities join it; full:
stable_person_keys); a key that changes (merge, re-clustering) is recorded in ops.person_key_changes.

Column names read from ops.identity_tokens: the identity key is `identity_key` (architecture) or
`person_pseudo` (what ingestion writes today); the INE pseudonym is `ine_pseudo` when present, and for
RIO/PSAD rows (table_name rio_entries/psad_followups) the identity key itself, which IS the INE
pseudonym by the architecture's rule. The sender is `sender_code`.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import duckdb
import pandas as pd

from pipelines.linkage import model, state
from pipelines.linkage.engine import LinkageResult, link_records

INE_TABLES = ("rio_entries", "psad_followups")


@dataclass
class WarehouseLinkResult:
    linkage: LinkageResult
    identity_keys: pd.Series      # unique_id -> identity_key


@dataclass
class LinkSummary:
    """Counts of one linkage run (no personal content): what the asset reports as metadata."""

    mode: str = "full"            # 'full' or 'incremental'
    mode_reason: str = ""
    identities: int = 0           # identities linked in ops.person_links after the run (total)
    identities_new: int = 0       # identities not in ops.person_links before the run
    identities_purged: int = 0    # rows of ops.person_links whose identity left ops.identity_tokens
    records_scored: int = 0       # records given to Splink (all, or new + candidates)
    persons_merged: int = 0       # existing persons merged into another by a bridging identity
    person_key_changes: int = 0   # rows written to ops.person_key_changes
    persons: int = 0
    linked_identities: int = 0
    deterministic_links: int = 0
    probabilistic_links: int = 0
    pairs_scored: int = 0
    ine_conflicts_vetoed: int = 0
    threshold: float = model.DEFAULT_THRESHOLD
    prior: float | None = None
    em_sessions: int = 0
    seconds: float = 0.0
    timings: dict = field(default_factory=dict)
    result: WarehouseLinkResult | None = field(default=None, repr=False)

    def as_dict(self) -> dict:
        out = asdict(self) if self.result is None else {k: v for k, v in self.__dict__.items() if k != "result"}
        out.pop("result", None)
        return out


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    return [r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
        "order by ordinal_position", [schema, table]).fetchall()]


def token_rows_sql(con: duckdb.DuckDBPyConnection) -> str | None:
    """SELECT of ops.identity_tokens' rows under the linkage's names (identity_key, sender_code,
    ine_pseudo, token columns; missing token columns as nulls); None when there is no such table."""
    columns = _columns(con, "ops", "identity_tokens")
    if not columns:
        return None
    key = "identity_key" if "identity_key" in columns else "person_pseudo"
    if key not in columns:
        raise KeyError("ops.identity_tokens n'a ni identity_key ni person_pseudo / has no identity key column")
    ine_parts = []
    if "ine_pseudo" in columns:
        ine_parts.append("ine_pseudo")
    if "table_name" in columns:
        ine_parts.append(f"case when table_name in {INE_TABLES!r} then {key} end")
    ine = f"coalesce({', '.join(ine_parts)})" if ine_parts else "cast(null as varchar)"
    sender = "sender_code" if "sender_code" in columns else "cast(null as varchar)"
    tokens = [c if c in columns else
              f"cast(null as {'varchar[]' if c in model.LIST_TOKEN_COLUMNS else 'varchar'}) as {c}"
              for c in model.TOKEN_COLUMNS]
    # Ingestion writes one row per distinct identity of a chunk with the number of raw rows it stands
    # for (row_count); tables written before that (or by tests and the evaluation) have a row per raw row.
    rows = "coalesce(row_count, 1)" if "row_count" in columns else "1"
    return (f"select {key} as identity_key, {sender} as sender_code, {ine} as ine_pseudo, {', '.join(tokens)}, "
            f"{rows} as row_count from ops.identity_tokens where {key} is not null")


def identities_sql(con: duckdb.DuckDBPyConnection, keys_table: str | None = None) -> str | None:
    """SQL of one record per identity key (see the module docstring), restricted to the identity
    keys of `keys_table` (a table with an identity_key column) when given: an incremental run
    reads the rows of the new identities and their candidates only."""
    rows = token_rows_sql(con)
    if rows is None:
        return None
    names = model.TOKEN_COLUMNS
    nonnull = " + ".join(f"({c} is not null)::int" for c in names)
    where = f" where identity_key in (select identity_key from {keys_table})" if keys_table else ""
    return f"""
        with base as (
            select * from ({rows}){where}
        ),
        meta as (
            select identity_key, min(sender_code) as sender_code, max(ine_pseudo) as ine_pseudo
            from base group by identity_key
        ),
        counted as (
            select identity_key, {', '.join(names)}, sum(row_count) as n, {nonnull} as filled
            from base group by all
        ),
        ranked as (
            select *, row_number() over (partition by identity_key
                order by n desc, filled desc, {', '.join(f'{c} nulls last' for c in names)}) as rk
            from counted
        )
        select meta.identity_key, meta.sender_code, meta.ine_pseudo, {', '.join(f'ranked.{c}' for c in names)}
        from ranked join meta using (identity_key)
        where rk = 1
        order by meta.identity_key
    """


def identities_from_tokens(con: duckdb.DuckDBPyConnection, keys_table: str | None = None) -> pd.DataFrame:
    """One record per identity key from ops.identity_tokens (see the module docstring)."""
    sql = identities_sql(con, keys_table)
    if sql is None:
        return pd.DataFrame(columns=["identity_key", "sender_code", "ine_pseudo", *model.TOKEN_COLUMNS])
    return con.execute(sql).df()


PERSON_LINKS_DDL = ("create table if not exists ops.person_links (identity_key varchar, person_key varchar, "
                    "link_method varchar, link_score double)")


def _person_links_frame(links: pd.DataFrame) -> pd.DataFrame:
    frame = links[["identity_key", "person_key", "link_method", "link_score"]].copy()
    frame["link_score"] = frame["link_score"].astype("float64")
    return frame


def write_person_links(con: duckdb.DuckDBPyConnection, links: pd.DataFrame, in_transaction: bool = False) -> None:
    """Replace ops.person_links in one transaction (the caller's when in_transaction)."""
    frame = _person_links_frame(links)
    if not in_transaction:
        con.execute("begin transaction")
    try:
        con.execute("create schema if not exists ops")
        con.execute(PERSON_LINKS_DDL)
        con.execute("delete from ops.person_links")
        con.register("_spro_person_links", frame)
        con.execute("insert into ops.person_links (identity_key, person_key, link_method, link_score) "
                    "select identity_key, person_key, link_method, link_score from _spro_person_links")
        con.unregister("_spro_person_links")
        if not in_transaction:
            con.execute("commit")
    except Exception:
        if not in_transaction:
            con.execute("rollback")
        raise


def existing_links(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """ops.person_links as it is (empty frame when the table does not exist yet)."""
    if not state.table_exists(con, "ops.person_links"):
        return pd.DataFrame(columns=["identity_key", "person_key", "link_method", "link_score"])
    return con.execute("select identity_key, person_key, link_method, link_score from ops.person_links").df()


def stable_person_keys(clusters: pd.DataFrame, old: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    """person_key per cluster for a full run that keeps the keys already in use.

    clusters: identity_key, cluster_id; old: identity_key, person_key (the previous ops.person_links).
    A cluster takes the old person key that most of its identities had (ties: the smallest key), and
    each old key goes to one cluster only (the one holding most of its identities), so that a full
    re-link changes no key where the clustering did not change. Clusters with no old key (all new
    identities, or their old key went to a bigger part) take their smallest identity key that is not
    an old person key (the rule of a first run). Returns (person_key by cluster_id, changes: rows
    old_person_key, new_person_key, reason, identities for every old key whose identities now carry
    another key)."""
    by_cluster = clusters.groupby("cluster_id")["identity_key"].min()
    if old.empty:
        return by_cluster.rename("person_key"), pd.DataFrame(columns=["old_person_key", "new_person_key", "reason",
                                                                     "identities"])
    joined = clusters[["identity_key", "cluster_id"]].merge(old[["identity_key", "person_key"]], on="identity_key",
                                                            how="inner")
    joint = joined.groupby(["cluster_id", "person_key"]).size().rename("n").reset_index()
    joint = joint.sort_values(["n", "person_key", "cluster_id"], ascending=[False, True, True], kind="stable")
    taken_clusters: set = set()
    taken_keys: set = set()
    assigned: dict = {}
    for cluster_id, key in zip(joint["cluster_id"].to_numpy(), joint["person_key"].to_numpy()):
        if cluster_id in taken_clusters or key in taken_keys:
            continue
        assigned[cluster_id] = key
        taken_clusters.add(cluster_id)
        taken_keys.add(key)
    old_keys = set(old["person_key"].dropna())
    free = clusters[~clusters["cluster_id"].isin(taken_clusters)]
    if len(free):
        usable = free[~free["identity_key"].isin(old_keys)].groupby("cluster_id")["identity_key"].min()
        fallback = free.groupby("cluster_id")["identity_key"].min()
        for cluster_id, key in fallback.items():
            assigned[cluster_id] = usable.get(cluster_id, key)
    person_key = pd.Series(assigned, name="person_key").reindex(by_cluster.index)
    joined["new_person_key"] = person_key.reindex(joined["cluster_id"]).to_numpy()
    moved = joined[joined["person_key"] != joined["new_person_key"]]
    changes = (moved.groupby(["person_key", "new_person_key"]).size().rename("identities").reset_index()
               .rename(columns={"person_key": "old_person_key"}))
    changes["reason"] = "full_relink"
    return person_key, changes[["old_person_key", "new_person_key", "reason", "identities"]]


def _present_keys(con: duckdb.DuckDBPyConnection) -> None:
    """Temp table _spro_present(identity_key): every identity key of ops.identity_tokens (one column
    scanned, the cheap part of deciding what is new)."""
    rows = token_rows_sql(con)
    con.execute("create or replace temp table _spro_present as select distinct identity_key from "
                f"({rows}) where identity_key is not null" if rows else
                "create or replace temp table _spro_present (identity_key varchar)")


def choose_mode(con: duckdb.DuckDBPyConnection, within_sender: bool, mode: str) -> tuple[str, str, dict]:
    """('full' | 'incremental', the reason in French, counts). See INCREMENTAL_MAX_NEW_SHARE."""
    _present_keys(con)
    present = con.execute("select count(*) from _spro_present").fetchall()[0][0]
    has_links = state.table_exists(con, "ops.person_links")
    linked = new = 0
    if has_links:
        linked = con.execute("select count(*) from ops.person_links where identity_key in "
                             "(select identity_key from _spro_present)").fetchall()[0][0]
        new = con.execute("select count(*) from _spro_present where identity_key not in "
                          "(select identity_key from ops.person_links where identity_key is not null)").fetchall()[0][0]
    else:
        new = present
    counts = {"identities_total": int(present), "identities_new": int(new), "identities_linked_before": int(linked)}
    if mode == "full":
        return "full", "relink complet demandé", counts
    stored = state.load_model(con)
    problem = None
    if stored is None:
        problem = "aucun modèle enregistré"
    elif stored.fingerprint != state.model_fingerprint(within_sender) or stored.within_sender != within_sender:
        problem = "le modèle enregistré ne correspond plus à la définition du modèle"
    elif linked == 0:
        problem = "aucun lien existant"
    if problem:
        if mode == "incremental":
            raise RuntimeError(f"appariement incrémental impossible : {problem}")
        return "full", problem, counts
    if mode == "auto" and new > INCREMENTAL_MAX_NEW_SHARE * linked:
        return "full", (f"{new} nouvelles identités pour {linked} déjà appariées "
                        f"(plus de {INCREMENTAL_MAX_NEW_SHARE:.0%})"), counts
    return "incremental", f"{new} nouvelles identités pour {linked} déjà appariées", counts


# Auto mode links incrementally when the new identities are at most this share of those already
# linked. Beyond it, (a) the stored model was trained on a population that no longer dominates the
# data, so retraining is worth its cost, and (b) the new identities' candidates are most of the
# history anyway, so incremental would save little. At 25 % the first months of a warehouse are
# linked in full (each adds about as many identities as exist), and a monthly load on a year or
# more of history (1/12 or less) incrementally.
INCREMENTAL_MAX_NEW_SHARE = 0.25


def link_identities(con: duckdb.DuckDBPyConnection, threshold: float | None = None, within_sender: bool = False,
                    keep_result: bool = False, threads: int | None = None, train: bool = True,
                    mode: str = "auto") -> LinkSummary:
    """Read ops.identity_tokens, link, write ops.person_links; return counts (see module docstring).

    mode: 'auto' (incremental when a stored model and links exist and few identities are new, see
    choose_mode), 'full' (train and link everything) or 'incremental' (error when impossible)."""
    if mode not in ("auto", "full", "incremental"):
        raise ValueError(f"mode inconnu : {mode}")
    started = time.perf_counter()
    threshold = model.DEFAULT_THRESHOLD if threshold is None else threshold
    chosen, reason, counts = choose_mode(con, within_sender, mode)
    if chosen == "incremental":
        from pipelines.linkage.incremental import link_new_identities

        summary = link_new_identities(con, threshold=threshold, within_sender=within_sender, keep_result=keep_result,
                                      threads=threads)
    else:
        summary = link_all_identities(con, threshold=threshold, within_sender=within_sender, keep_result=keep_result,
                                      threads=threads, train=train)
    summary.mode_reason = reason
    summary.identities_new = counts["identities_new"]
    summary.seconds = time.perf_counter() - started
    return summary


def link_all_identities(con: duckdb.DuckDBPyConnection, threshold: float, within_sender: bool = False,
                        keep_result: bool = False, threads: int | None = None, train: bool = True) -> LinkSummary:
    """Full mode: train on all identities, link them all, store the model for later incremental runs."""
    started = time.perf_counter()
    identities = identities_from_tokens(con)
    records = identities.rename(columns={"sender_code": "source_group"}).copy()
    records["source_group"] = records["source_group"].fillna("?")
    records["unique_id"] = range(len(records))
    info: dict = {}
    result = link_records(records, threshold=threshold, within_group=within_sender, threads=threads, train=train,
                          info=info)
    keys = pd.Series(identities["identity_key"].to_numpy(), index=records["unique_id"].to_numpy())

    clusters = result.clusters.copy()
    clusters["identity_key"] = keys.reindex(clusters["unique_id"]).to_numpy()
    old = existing_links(con)
    person_key, changes = stable_person_keys(clusters, old)
    clusters["person_key"] = person_key.reindex(clusters["cluster_id"]).to_numpy()

    run_at = state.now_utc()
    n = len(records)
    prior = result.training.prior
    stored = state.StoredModel(
        saved_at=run_at, fingerprint=state.model_fingerprint(within_sender), within_sender=within_sender,
        trained=train, prior_estimated=prior is not None,
        prior=float(prior if prior is not None else info.get("model", {}).get("probability_two_random_records_match",
                                                                              1e-6)),
        identities=n, prior_rule_pairs=state.prior_rule_pairs_from_prior(prior, n) if prior is not None else 0.0,
        settings=info.get("model") or model.settings(within_group=within_sender))
    con.execute("begin transaction")
    try:
        write_person_links(con, clusters, in_transaction=True)
        state.save_model(con, stored)
        state.replace_tf(con, state.tf_counts(records))
        state.record_changes(con, changes, "full", run_at)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise

    accepted = result.pairs[result.pairs["accepted"]] if len(result.pairs) else result.pairs
    sizes = clusters.groupby("cluster_id")["unique_id"].transform("size")
    summary = LinkSummary(
        mode="full", identities=len(clusters), persons=int(clusters["cluster_id"].nunique()),
        linked_identities=int((sizes > 1).sum()),
        deterministic_links=int((accepted["link_method"] != "probabilistic").sum()) if len(accepted) else 0,
        probabilistic_links=int((accepted["link_method"] == "probabilistic").sum()) if len(accepted) else 0,
        pairs_scored=int((result.pairs["link_method"] == "probabilistic").sum()) if len(result.pairs) else 0,
        ine_conflicts_vetoed=int(result.pairs.get("ine_conflict", pd.Series(dtype=bool)).fillna(False).astype(bool).sum()),
        threshold=threshold, prior=result.training.prior, em_sessions=len(result.training.em_sessions),
        identities_purged=int((~old["identity_key"].isin(set(identities["identity_key"]))).sum()) if len(old) else 0,
        person_key_changes=len(changes), records_scored=n,
        seconds=time.perf_counter() - started, timings=result.timings,
    )
    if keep_result:
        summary.result = WarehouseLinkResult(linkage=result, identity_keys=keys)
    return summary


def tokens_table_from_identities(identities: pd.DataFrame, key: bytes, columns: dict | None = None) -> pd.DataFrame:
    """ops.identity_tokens rows (identity_key, sender_code, ine_pseudo, tokens) for identities given in
    clear (common-model columns): used by the evaluation and the tests to play ingestion's part.
    `identities` needs identity_key and sender_code (and optionally ine)."""
    from pipelines.privacy.pseudonymize import comparison_tokens_frame, pseudonymize_series

    tokens = comparison_tokens_frame(identities, key, columns=columns)
    out = pd.DataFrame({"identity_key": identities["identity_key"].to_numpy(),
                        "sender_code": identities["sender_code"].to_numpy()})
    if "ine" in identities.columns:
        out["ine_pseudo"] = pseudonymize_series(identities["ine"].reset_index(drop=True), key, "ine").to_numpy()
    else:
        out["ine_pseudo"] = None
    for column in model.TOKEN_COLUMNS:
        out[column] = tokens[column].to_numpy()
    return out
