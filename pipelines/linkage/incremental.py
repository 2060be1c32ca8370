"""Incremental linkage: link the identities that are not yet in ops.person_links, without retraining
and without scoring the history against itself.

1. New identities = keys of ops.identity_tokens not in ops.person_links; purged identities = rows
   of ops.person_links whose key left ops.identity_tokens (retention): their rows are deleted.
2. Candidates = existing identities sharing at least one blocking key with a new identity (the
   model's blocking rules, joined from the new identities' records to the rows of
   ops.identity_tokens: a small build side, so memory follows the new identities). Only the new
   identities and these candidates get a record (most frequent spelling) and go to Splink.
3. Splink predicts with the stored model (ops.linkage_model) and the same blocking rules plus
   "at least one side is new"; term frequencies come from ops.linkage_term_frequencies (all
   identities) plus the new ones; the prior is rescaled to today's number of identities the way a
   full run would estimate it: (stored prior-rule pairs + those with a new side) / recall / all
   pairs. Then the same threshold, the INE veto and the INE links (those with a new side).
4. Union-find over persons: an existing identity stands for its person (its person_key), a new one
   for itself. A component with no existing person is a new person keyed by its smallest identity
   key (the full run's rule); with one, the new identities join it and its key stays; with several
   (a new identity bridges them), they merge into the smallest of their keys, and every other key
   is recorded in ops.person_key_changes (reason 'merge'). A new identity whose key is already a
   person key (its identity was purged and the member sent the same person number again) joins
   that person.
5. One transaction: rows of purged identities deleted, rows of new and re-keyed identities written
   (and of existing identities that gained a link: link_method and link_score), counts of the
   stored model and term frequencies updated.

Existing persons are never split and pairs of two existing identities never re-scored: that is
what a full run (`spro link --full`, or auto mode when many identities are new) is for.
"""

from __future__ import annotations

import time

import duckdb
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from pipelines.linkage import model, state
from pipelines.linkage.engine import PretrainedModel, count_prior_rule_pairs, link_records
from pipelines.linkage.link_warehouse import (
    PERSON_LINKS_DDL,
    LinkSummary,
    WarehouseLinkResult,
    _person_links_frame,
    identities_sql,
    token_rows_sql,
)


def candidate_keys_sql(within_sender: bool) -> str:
    """Existing identity keys whose rows share a blocking key with a new identity's record
    (_spro_new_records): each blocking rule as a join, l = token rows, r = new records. The INE rule
    is taken without the sender condition: INE links are deterministic whatever the sender."""
    rules = model.blocking_rules(within_group=within_sender)[:-1] + ["l.ine_pseudo = r.ine_pseudo"]
    joins = " union ".join(f"select l.identity_key from _spro_token_rows l join _spro_new_records r on {rule}"
                           for rule in rules)
    return (f"select distinct identity_key from ({joins}) where identity_key not in "
            "(select identity_key from _spro_new_keys)")


def _combine_methods(old: str | None, new: str | None) -> str:
    parts = {p for text in (old, new) if isinstance(text, str) for p in text.split("+")} - {"unlinked", ""}
    return "+".join(sorted(parts)) if parts else "unlinked"


def link_new_identities(con: duckdb.DuckDBPyConnection, threshold: float, within_sender: bool = False,
                        keep_result: bool = False, threads: int | None = None) -> LinkSummary:
    """The incremental run (module docstring). Expects choose_mode's temp table _spro_present."""
    started = time.perf_counter()
    timings: dict[str, float] = {}
    stored = state.load_model(con)
    if stored is None:
        raise RuntimeError("appariement incrémental impossible : aucun modèle enregistré")

    con.execute("create or replace temp table _spro_new_keys as select identity_key from _spro_present "
                "where identity_key not in (select identity_key from ops.person_links where identity_key is not null)")
    purged = con.execute("select count(*) from ops.person_links where identity_key not in "
                         "(select identity_key from _spro_present)").fetchall()[0][0]
    n_new = con.execute("select count(*) from _spro_new_keys").fetchall()[0][0]
    total = con.execute("select count(*) from _spro_present").fetchall()[0][0]
    summary = LinkSummary(mode="incremental", threshold=threshold, identities=int(total), identities_new=int(n_new),
                          identities_purged=int(purged), prior=stored.prior)
    if n_new == 0 and purged == 0:
        # Nothing to do: the table is left exactly as it is (idempotent re-run).
        _finish_counts(con, summary)
        summary.seconds = time.perf_counter() - started
        return summary

    # --- keys of the new identities and of their candidates (records stay in DuckDB: see _loader)
    t = time.perf_counter()
    # Blocking rules compare source_group (the sender, '?' when unknown, as in the records).
    con.execute("create or replace temp view _spro_token_rows as select *, coalesce(sender_code, '?') as source_group "
                f"from ({token_rows_sql(con)})")
    con.execute("create or replace temp table _spro_new_records as select *, coalesce(sender_code, '?') as source_group "
                f"from ({identities_sql(con, '_spro_new_keys')})")
    con.execute("create or replace temp table _spro_candidate_keys as " + candidate_keys_sql(within_sender))
    # unique_id in identity-key order, so that a run is reproducible.
    con.execute("""create or replace temp table _spro_inc_keys as
        select identity_key, is_new, cast(row_number() over (order by identity_key) - 1 as bigint) as unique_id
        from (select identity_key, true as is_new from _spro_new_keys
              union all select identity_key, false as is_new from _spro_candidate_keys)""")
    light = con.execute("""
        select k.unique_id, k.identity_key, k.is_new, coalesce(m.sender_code, '?') as source_group, m.ine_pseudo
        from _spro_inc_keys k join (
            select identity_key, min(sender_code) as sender_code, max(ine_pseudo) as ine_pseudo from _spro_token_rows
            where identity_key in (select identity_key from _spro_inc_keys) group by identity_key) m using (identity_key)
        order by k.unique_id""").df()
    timings["candidates_s"] = time.perf_counter() - t
    keys = pd.Series(light["identity_key"].to_numpy(), index=light["unique_id"].to_numpy())
    summary.records_scored = len(light)

    # --- score with the stored model
    new_tf = con.execute(" union all ".join(
        f"select '{c}' as column_name, {c} as value, count(*) as n from _spro_new_records "
        f"where {c} is not null group by {c}" for c in state.TF_COLUMNS)).df()
    new_tf["n"] = new_tf["n"].astype("int64")
    loaded: dict = {"new_tf": new_tf, "prior_pairs": stored.prior_rule_pairs, "prior": stored.prior}
    result = None
    links = pd.DataFrame(columns=["identity_key", "person_key", "link_method", "link_score"])
    changes = pd.DataFrame(columns=["old_person_key", "new_person_key", "reason", "identities"])
    if n_new:
        pretrained = PretrainedModel(settings=stored.settings,
                                     loader=_loader(con, stored, int(total), within_sender, loaded))
        result = link_records(light[["unique_id", "source_group", "ine_pseudo", "is_new"]], threshold=threshold,
                              within_group=within_sender, threads=threads, pretrained=pretrained)
        timings.update(result.timings)
        t = time.perf_counter()
        links, changes = _merge_into_persons(con, result, light, keys)
        timings["merge_s"] = time.perf_counter() - t
    prior_pairs, prior = loaded["prior_pairs"], loaded["prior"]
    summary.prior = prior

    run_at = state.now_utc()
    con.execute("begin transaction")
    try:
        con.execute(PERSON_LINKS_DDL)
        con.execute("delete from ops.person_links where identity_key not in (select identity_key from _spro_present)")
        if len(links):
            frame = _person_links_frame(links)
            con.register("_spro_links_update", frame)
            con.execute("delete from ops.person_links where identity_key in "
                        "(select identity_key from _spro_links_update)")
            con.execute("insert into ops.person_links (identity_key, person_key, link_method, link_score) "
                        "select identity_key, person_key, link_method, link_score from _spro_links_update")
            con.unregister("_spro_links_update")
        state.record_changes(con, changes, "incremental", run_at)
        state.update_model_counts(con, int(total), prior_pairs, prior)
        state.add_tf(con, new_tf)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise

    if result is not None:
        accepted = result.pairs[result.pairs["accepted"]] if len(result.pairs) else result.pairs
        summary.deterministic_links = int((accepted["link_method"] != "probabilistic").sum()) if len(accepted) else 0
        summary.probabilistic_links = int((accepted["link_method"] == "probabilistic").sum()) if len(accepted) else 0
        summary.pairs_scored = int((result.pairs["link_method"] == "probabilistic").sum()) if len(result.pairs) else 0
        summary.ine_conflicts_vetoed = int(result.pairs.get("ine_conflict", pd.Series(dtype=bool))
                                           .fillna(False).astype(bool).sum())
        if keep_result:
            summary.result = WarehouseLinkResult(linkage=result, identity_keys=keys)
    summary.person_key_changes = len(changes)
    summary.persons_merged = int(changes["old_person_key"].nunique()) if len(changes) else 0
    _finish_counts(con, summary)
    summary.timings = timings
    summary.seconds = time.perf_counter() - started
    return summary


def _records_sql(con: duckdb.DuckDBPyConnection) -> str:
    """The records (model.LINK_COLUMNS + is_new) of _spro_inc_keys: the new identities' records
    already made, the candidates' made now."""
    tokens = ", ".join(f"r.{c}" for c in model.TOKEN_COLUMNS)
    return f"""
        select k.unique_id, coalesce(r.sender_code, '?') as source_group, r.ine_pseudo, {tokens}, k.is_new
        from (select * exclude (source_group) from _spro_new_records
              union all select * from ({identities_sql(con, '_spro_candidate_keys')})) r
        join _spro_inc_keys k using (identity_key)"""


def _loader(con: duckdb.DuckDBPyConnection, stored: state.StoredModel, total: int, within_sender: bool,
            out: dict):
    """PretrainedModel.loader: stream the records from the warehouse into Splink's connection as
    Arrow batches, then compute there what the stored model needs for this run: term-frequency
    lookups (stored counts + the new identities', for the values present), and the prior rescaled
    with the prior-rule pairs that have a new side (every such pair is among the records: the
    prior's rule implies blocking rule B1). Results for the write step go to `out`."""

    def load(splink_con: duckdb.DuckDBPyConnection) -> dict:
        reader = con.sql(_records_sql(con)).to_arrow_reader(50_000)
        splink_con.register("_spro_reader", reader)
        splink_con.execute(f"create table spro_identities as {model.typed_records_sql('_spro_reader')}")
        splink_con.unregister("_spro_reader")
        del reader
        new_tf = out["new_tf"]
        tf_tables = {}
        for column in state.TF_COLUMNS:
            values = splink_con.execute(f"select distinct {column} as value from spro_identities "
                                        f"where {column} is not null").df()
            frame = state.tf_lookup(con, column, values["value"], new_tf)
            splink_con.register("_spro_tf", frame)
            splink_con.execute(f"create table spro_tf_{column} as select * from _spro_tf")
            splink_con.unregister("_spro_tf")
            tf_tables[column] = f"spro_tf_{column}"
        prior = stored.prior
        if stored.prior_estimated:
            out["prior_pairs"] = stored.prior_rule_pairs + count_prior_rule_pairs(
                splink_con, "spro_identities", within_sender, new_only=True)
            prior = state.prior_from_counts(out["prior_pairs"], total)
        out["prior"] = prior
        return {"prior": prior, "tf_tables": tf_tables}

    return load


def _merge_into_persons(con: duckdb.DuckDBPyConnection, result, records: pd.DataFrame,
                        keys: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Union-find of new identities and existing persons (module docstring, step 4). Returns the
    ops.person_links rows to write (new identities, identities of merged persons, existing
    identities whose method/score changed) and the key changes."""
    is_new = pd.Series(records["is_new"].astype(bool).to_numpy(), index=records["unique_id"].to_numpy())
    new_keys = keys[is_new.reindex(keys.index).to_numpy()]
    candidate_keys = keys[~is_new.reindex(keys.index).to_numpy()]
    con.register("_spro_candidates_now", pd.DataFrame({"identity_key": candidate_keys.to_numpy()}))
    old = con.execute("select identity_key, person_key, link_method, link_score from ops.person_links "
                      "where identity_key in (select identity_key from _spro_candidates_now)").df()
    con.unregister("_spro_candidates_now")
    person_of = old.set_index("identity_key")["person_key"]
    con.register("_spro_new_now", pd.DataFrame({"identity_key": new_keys.to_numpy()}))
    reused = {k for (k,) in con.execute("select distinct person_key from ops.person_links where person_key in "
                                        "(select identity_key from _spro_new_now)").fetchall()}
    con.unregister("_spro_new_now")

    # uid -> union-find node, with plain dicts: per-element pandas lookups cost seconds at region scale.
    person_dict = dict(zip(person_of.index, person_of.to_numpy()))
    node = {uid: ("i", key) if new else ("p", person_dict.get(key, key))
            for uid, key, new in zip(keys.index.tolist(), keys.tolist(), is_new.reindex(keys.index).tolist())}

    accepted = result.pairs[result.pairs["accepted"]]
    edges = [(("i", key), ("p", key)) for key in new_keys.tolist() if key in reused]
    edges += [(node[a], node[b]) for a, b in zip(accepted["unique_id_l"].astype("int64").tolist(),
                                                 accepted["unique_id_r"].astype("int64").tolist())]
    groups = _components([("i", key) for key in new_keys.tolist()], edges)
    person_for: dict = {}          # node -> final person key
    merges = []                    # (old key, new key)
    for members in groups:
        persons = sorted(k for kind, k in members if kind == "p")
        identities = sorted(k for kind, k in members if kind == "i")
        if not identities:
            continue                # only existing persons (can't happen: edges have a new side)
        final = persons[0] if persons else identities[0]
        for m in members:
            person_for[m] = final
        merges.extend((p, final) for p in persons[1:])

    clusters = result.clusters.set_index("unique_id")
    new_rows = pd.DataFrame({"identity_key": new_keys.to_numpy()})
    new_rows["person_key"] = [person_for[("i", k)] for k in new_rows["identity_key"]]
    new_uids = new_keys.index.to_numpy()
    new_rows["link_method"] = clusters["link_method"].reindex(new_uids).to_numpy()
    new_rows["link_score"] = clusters["link_score"].reindex(new_uids).to_numpy()

    # Existing identities that gained a link keep their person (or its merged key) and combine
    # method and best score with what they had.
    cand_uids = candidate_keys.index.to_numpy()
    gained = clusters.reindex(cand_uids)
    gained = gained[gained["link_method"] != "unlinked"]
    touched = pd.DataFrame({"identity_key": keys.reindex(gained.index).to_numpy(),
                            "new_method": gained["link_method"].to_numpy(),
                            "new_score": gained["link_score"].to_numpy()}).merge(old, on="identity_key", how="left")
    touched["link_method"] = [_combine_methods(o, n) for o, n in zip(touched["link_method"], touched["new_method"])]
    touched["link_score"] = np.fmax(touched["link_score"].astype("float64").to_numpy(),
                                    touched["new_score"].astype("float64").to_numpy())
    touched = touched[["identity_key", "person_key", "link_method", "link_score"]]

    changes = pd.DataFrame(merges, columns=["old_person_key", "new_person_key"])
    rekeyed = pd.DataFrame(columns=["identity_key", "person_key", "link_method", "link_score"])
    if len(changes):
        con.register("_spro_merged", changes)
        rekeyed = con.execute("select l.identity_key, l.person_key as old_person_key, m.new_person_key as person_key, "
                              "l.link_method, l.link_score "
                              "from ops.person_links l join _spro_merged m on l.person_key = m.old_person_key "
                              "where l.identity_key in (select identity_key from _spro_present)").df()
        con.unregister("_spro_merged")
        counts = rekeyed.groupby("old_person_key").size()
        rekeyed = rekeyed.drop(columns=["old_person_key"])
        changes["identities"] = counts.reindex(changes["old_person_key"]).fillna(0).astype("int64").to_numpy()
        changes["reason"] = "merge"
        # Existing identities touched this run take their merged key too.
        merged_to = changes.set_index("old_person_key")["new_person_key"]
        touched["person_key"] = touched["person_key"].map(lambda k: merged_to.get(k, k))
    else:
        changes["identities"] = pd.Series(dtype="int64")
        changes["reason"] = pd.Series(dtype=object)

    # One row per identity: touched rows (method/score updated) win over plain re-keyed ones.
    rows = pd.concat([new_rows, touched, rekeyed], ignore_index=True).drop_duplicates("identity_key", keep="first")
    return rows, changes[["old_person_key", "new_person_key", "reason", "identities"]]


def _components(nodes: list, edges: list[tuple]) -> list[list]:
    """The connected components of a graph over hashable nodes (every node of an edge included)."""
    index: dict = {}
    for n in nodes + [n for edge in edges for n in edge]:
        index.setdefault(n, len(index))
    rows = [index[a] for a, _ in edges]
    cols = [index[b] for _, b in edges]
    graph = sp.csr_matrix((np.ones(len(edges)), (rows, cols)), shape=(len(index), len(index)))
    _, labels = connected_components(graph, directed=False)
    groups: dict[int, list] = {}
    for n, label in zip(index, labels):
        groups.setdefault(int(label), []).append(n)
    return list(groups.values())


def _finish_counts(con: duckdb.DuckDBPyConnection, summary: LinkSummary) -> None:
    """Persons and linked identities after the run (one aggregate over ops.person_links)."""
    if not state.table_exists(con, "ops.person_links"):
        return
    persons, linked = con.execute(
        "select count(*), coalesce(sum(case when n > 1 then n else 0 end), 0) from "
        "(select person_key, count(*) as n from ops.person_links group by person_key)").fetchall()[0]
    summary.persons = int(persons)
    summary.linked_identities = int(linked)
    summary.identities = int(con.execute("select count(*) from ops.person_links").fetchall()[0][0])
