"""Precision and recall of the person linkage against a known truth.

Pairwise metrics over identities: a true pair is two identities of the same true person; a
predicted pair is two identities with the same person_key (cluster level) or a scored pair above
the threshold (edge level, before clustering). precision = TP / predicted, recall = TP / true.
Broken down by the kinds of spelling variation of the two sides (a pair counts under every kind
either side carries; 'clean' = neither side varies from the true identity).

`evaluate_on_generated(truth_dir, inbox_dir)` runs the whole warehouse path on the synthetic
generator's feeds: it reads the per-act activity files and the RIO lists MINIMALLY (pandas with the
contract's encoding, delimiter and column names; no quarantine, no version resolution: every
file whose identity columns parse is read, a re-sent file only repeats identities), builds one
identity per (member, member person number) and per RIO INE (RIO rows without an INE are left
out), computes the keyed tokens with comparison_tokens_frame, writes them to an in-memory
ops.identity_tokens, runs `link_identities` and compares ops.person_links with
record_persons.parquet. The variation kinds of each identity are found by comparing, in memory
only, its clear spelling with persons.parquet; clear names never reach DuckDB.
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

KIND_ORDER = ["clean", "accents", "hyphen", "typo", "swap_first", "usage_name", "marker", "day_month",
              "no_commune", "first_names_subset"]


# ------------------------------------------------------------------------------------------ metrics

def _pairs_within(groups: pd.Series) -> pd.DataFrame:
    """All unordered pairs (a < b) of index labels sharing a group value."""
    frame = pd.DataFrame({"id": groups.index.to_numpy(), "g": groups.to_numpy()})
    frame = frame[frame["g"].notna()]
    sizes = frame.groupby("g")["id"].transform("size")
    frame = frame[sizes > 1]
    merged = frame.merge(frame, on="g", suffixes=("_a", "_b"))
    merged = merged[merged["id_a"] < merged["id_b"]]
    return merged[["id_a", "id_b"]].reset_index(drop=True)


def _count_pairs(sizes: Iterable[int]) -> int:
    return int(sum(int(s) * (int(s) - 1) // 2 for s in sizes))


def pairwise_metrics(truth: pd.Series, predicted: pd.Series) -> dict:
    """truth, predicted: identity -> true person / person_key (same index). Cluster-level counts."""
    both = pd.DataFrame({"t": truth, "p": predicted.reindex(truth.index)}).dropna()
    true_pairs = _count_pairs(both.groupby("t").size())
    predicted_pairs = _count_pairs(both.groupby("p").size())
    tp = _count_pairs(both.groupby(["t", "p"]).size())
    precision = tp / predicted_pairs if predicted_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    persons = both["t"].nunique()
    clusters = both["p"].nunique()
    pure = both.groupby("p")["t"].nunique()
    complete = both.groupby("t")["p"].nunique()
    return {"identities": len(both), "true_persons": int(persons), "clusters": int(clusters),
            "true_pairs": true_pairs, "predicted_pairs": predicted_pairs, "true_positive_pairs": tp,
            "precision": precision, "recall": recall, "f1": f1,
            "pure_cluster_share": float((pure == 1).mean()) if len(pure) else 1.0,
            "complete_person_share": float((complete == 1).mean()) if len(complete) else 1.0,
            "exact_cluster_share": _exact_share(both),
            "largest_cluster": int(both.groupby("p").size().max()) if len(both) else 0}


def _exact_share(both: pd.DataFrame) -> float:
    """Share of true persons whose identities form exactly one cluster and nothing else."""
    if both.empty:
        return 1.0
    person_sizes = both.groupby("t").size()
    cluster_sizes = both.groupby("p").size()
    joint = both.groupby(["t", "p"]).size().reset_index(name="n")
    joint["ps"] = joint["t"].map(person_sizes)
    joint["cs"] = joint["p"].map(cluster_sizes)
    exact = joint[(joint["n"] == joint["ps"]) & (joint["n"] == joint["cs"])]
    return float(len(exact) / len(person_sizes))


def _kinds_of_pairs(pairs: pd.DataFrame, kinds: pd.Series) -> pd.DataFrame:
    """Explode pairs into (pair index, kind) rows: the union of both sides' kinds, or 'clean'."""
    sets = kinds.fillna("").map(lambda s: frozenset(k for k in s.split(",") if k))
    a = pairs["id_a"].map(sets)
    b = pairs["id_b"].map(sets)
    union = [sorted(x | y) or ["clean"] for x, y in zip(a, b)]
    exploded = pd.DataFrame({"pair": np.repeat(np.arange(len(pairs)), [len(u) for u in union]),
                             "kind": [k for u in union for k in u]})
    return exploded


def metrics_by_kind(truth: pd.Series, predicted: pd.Series, kinds: pd.Series) -> pd.DataFrame:
    """Pairwise precision/recall per variation kind (cluster level)."""
    true_pairs = _pairs_within(truth)
    pred_pairs = _pairs_within(predicted.reindex(truth.index))
    true_pairs["is_pred"] = _pair_member(true_pairs, pred_pairs)
    pred_pairs["is_true"] = _pair_member(pred_pairs, true_pairs)
    tk = _kinds_of_pairs(true_pairs, kinds)
    tk["hit"] = true_pairs["is_pred"].to_numpy()[tk["pair"].to_numpy()]
    pk = _kinds_of_pairs(pred_pairs, kinds)
    pk["hit"] = pred_pairs["is_true"].to_numpy()[pk["pair"].to_numpy()]
    rec = tk.groupby("kind")["hit"].agg(["size", "sum"]).rename(columns={"size": "true_pairs", "sum": "found"})
    pre = pk.groupby("kind")["hit"].agg(["size", "sum"]).rename(columns={"size": "predicted_pairs", "sum": "correct"})
    out = rec.join(pre, how="outer").fillna(0).astype("int64")
    out["recall"] = out["found"] / out["true_pairs"].where(out["true_pairs"] > 0)
    out["precision"] = out["correct"] / out["predicted_pairs"].where(out["predicted_pairs"] > 0)
    order = [k for k in KIND_ORDER if k in out.index] + [k for k in out.index if k not in KIND_ORDER]
    return out.loc[order]


def _pair_member(pairs: pd.DataFrame, other: pd.DataFrame) -> np.ndarray:
    if pairs.empty:
        return np.zeros(0, dtype=bool)
    if other.empty:
        return np.zeros(len(pairs), dtype=bool)
    keys = pd.MultiIndex.from_frame(pairs[["id_a", "id_b"]])
    other_keys = pd.MultiIndex.from_frame(other[["id_a", "id_b"]])
    return keys.isin(other_keys)


def edge_metrics(pairs: pd.DataFrame, truth: pd.Series, thresholds: Iterable[float]) -> pd.DataFrame:
    """Edge-level precision/recall of scored pairs (before clustering) across thresholds.

    pairs: unique_id_l, unique_id_r, match_probability (identities indexed like truth)."""
    true_total = _count_pairs(truth.dropna().groupby(truth.dropna()).size())
    t_l = truth.reindex(pairs["unique_id_l"]).to_numpy()
    t_r = truth.reindex(pairs["unique_id_r"]).to_numpy()
    correct = (t_l == t_r) & pd.notna(t_l)
    rows = []
    for threshold in thresholds:
        kept = pairs["match_probability"].to_numpy() >= threshold
        n = int(kept.sum())
        tp = int((kept & correct).sum())
        rows.append({"threshold": threshold, "match_weight": _weight(threshold), "pairs": n, "true_positive": tp,
                     "precision": tp / n if n else 1.0, "recall": tp / true_total if true_total else 1.0})
    return pd.DataFrame(rows)


def _weight(p: float) -> float:
    p = min(max(p, 1e-12), 1 - 1e-12)
    return float(np.log2(p / (1 - p)))


# --------------------------------------------------------------------------- variation kinds

def _ascii(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _key(text: object) -> str:
    """Case, accents and hyphen/space folded: what normalisation makes equal anyway."""
    if not isinstance(text, str):
        return ""
    return re.sub(r"[^A-Z]+", " ", _ascii(text).upper()).strip()


def variation_kinds(identities: pd.DataFrame, persons: pd.DataFrame) -> pd.Series:
    """Kinds of variation of each identity's spelling against its true person (clear, in memory).

    identities: last_name, birth_name, first_names, birth_date (datetime or text), residence_commune_insee,
    person_id.
    persons: person_id, last_name (usage), birth_name, first_names, birth_date, commune_insee.
    """
    truth = persons.set_index("person_id").reindex(identities["person_id"].to_numpy())
    out = []
    marker = re.compile(r"\b(ÉPOUSE|EPOUSE|NÉE|NEE|EP|VEUVE)\b", re.IGNORECASE)
    for idn, tru in zip(identities.itertuples(index=False), truth.itertuples(index=False)):
        kinds = []
        last = idn.last_name if isinstance(idn.last_name, str) else ""
        firsts = idn.first_names if isinstance(idn.first_names, str) else ""
        t_birth, t_usage = str(tru.birth_name), str(tru.last_name)
        t_firsts = str(tru.first_names)
        clear = " ".join(x for x in (last, firsts, idn.birth_name if isinstance(idn.birth_name, str) else "") if x)
        truth_text = " ".join([t_birth, t_usage, t_firsts])
        if clear and clear == _ascii(clear) and truth_text != _ascii(truth_text):
            kinds.append("accents")
        has_marker = bool(marker.search(last))
        if has_marker:
            kinds.append("marker")
        elif t_usage != t_birth and _key(last) == _key(t_usage):
            kinds.append("usage_name")
        for mine, true_names in ((last, [t_birth, t_usage]), (firsts, t_firsts.split(" "))):
            if any(("-" in t and " " in mine and _key(t) in _key(mine)) or
                   (" " in t and "-" in mine and _key(t) in _key(mine)) for t in true_names):
                kinds.append("hyphen")
                break
        surname_keys = {_key(t_birth), _key(t_usage)}
        last_parts = [p for p in re.split(marker, last) if p and not marker.fullmatch(p)]
        if last and not all(_key(p) in surname_keys for p in last_parts):
            kinds.append("typo")
        t_first_tokens = t_firsts.split(" ")
        my_first = _key(firsts).split(" ") if firsts else []
        true_first_keys = [_key(t) for t in t_first_tokens]
        my_first_groups = [_key(x) for x in firsts.split(" ")] if firsts else []
        if my_first_groups and true_first_keys:
            if my_first_groups[0] != true_first_keys[0]:
                if len(true_first_keys) > 1 and my_first_groups[0] == true_first_keys[1]:
                    kinds.append("swap_first")
                elif "typo" not in kinds:
                    kinds.append("typo")
            elif len(my_first_groups) < len(true_first_keys):
                kinds.append("first_names_subset")
        del my_first
        mine_date, true_date = pd.Timestamp(idn.birth_date), pd.Timestamp(tru.birth_date)
        if pd.notna(mine_date) and pd.notna(true_date) and mine_date.normalize() != true_date.normalize():
            kinds.append("day_month")
        if not isinstance(idn.residence_commune_insee, str) or not idn.residence_commune_insee:
            kinds.append("no_commune")
        out.append(",".join(dict.fromkeys(kinds)))
    return pd.Series(out, index=identities.index, dtype=object)


def identity_keys(identities: pd.DataFrame, key: bytes) -> pd.Series:
    """Identity keys as ingestion makes them: the member's person number pseudonym (namespaced by
    member), or for RIO identities the INE pseudonym itself."""
    from pipelines.privacy.pseudonymize import pseudonymize_series, pseudonymize_values

    out = pd.Series(None, index=identities.index, dtype=object)
    rio = identities["source_kind"] == "rio"
    out[rio] = pseudonymize_series(identities.loc[rio, "ine"], key, "ine")
    act = ~rio
    out[act] = pseudonymize_values((identities.loc[act, "sender_code"] + ":" + identities.loc[act, "member_person_id"]
                                    ).tolist(), key, "person_id")
    return out


def report_markdown(result: dict) -> str:
    """A short French/English-neutral table of the evaluation, for the report."""
    lines = [f"identities {result['cluster']['identities']:,}, true persons {result['cluster']['true_persons']:,}, "
             f"threshold {result['threshold']}",
             f"cluster level: precision {result['cluster']['precision']:.4f}, recall {result['cluster']['recall']:.4f}"]
    return "\n".join(lines)


__all__ = ["edge_metrics", "evaluate_on_generated", "metrics_by_kind", "pairwise_metrics", "variation_kinds"]


def evaluate_on_generated(truth_dir: str | Path, inbox_dir: str | Path, threshold: float | None = None,
                          key: bytes | None = None, thresholds: Iterable[float] | None = None,
                          out_json: str | Path | None = None) -> dict:
    """See the module docstring. Returns a dict of metrics (overall, per kind, threshold sweep, timings)."""
    import duckdb

    from pipelines.linkage import model
    from pipelines.linkage.generated import read_generated_identities
    from pipelines.linkage.link_warehouse import link_identities, tokens_table_from_identities

    threshold = model.DEFAULT_THRESHOLD if threshold is None else threshold
    if key is None:
        import secrets

        key = secrets.token_bytes(32)   # a throw-away key: the evaluation needs no stable pseudonyms
    timings: dict[str, float] = {}
    started = time.perf_counter()
    identities = read_generated_identities(Path(truth_dir), Path(inbox_dir))
    timings["read_s"] = time.perf_counter() - started

    started = time.perf_counter()
    persons = pd.read_parquet(Path(truth_dir) / "persons.parquet",
                              columns=["person_id", "last_name", "birth_name", "first_names", "birth_date"])
    kinds = variation_kinds(identities, persons)
    timings["kinds_s"] = time.perf_counter() - started

    started = time.perf_counter()
    identities["identity_key"] = identity_keys(identities, key)
    tokens = tokens_table_from_identities(identities, key)
    timings["tokens_s"] = time.perf_counter() - started

    con = duckdb.connect(":memory:")
    try:
        con.execute("create schema ops")
        con.register("_tokens", tokens)
        con.execute("create table ops.identity_tokens as select * from _tokens")
        con.unregister("_tokens")
        started = time.perf_counter()
        summary = link_identities(con, threshold=threshold, keep_result=True)
        timings["link_s"] = time.perf_counter() - started
        links = con.execute("select identity_key, person_key from ops.person_links").df()
    finally:
        con.close()

    by_key = identities.set_index("identity_key")
    truth = by_key["person_id"]
    predicted = links.set_index("identity_key")["person_key"].reindex(truth.index)
    kinds.index = identities["identity_key"].to_numpy()
    overall = pairwise_metrics(truth, predicted)
    per_kind = metrics_by_kind(truth, predicted, kinds)

    result = summary.result
    uid_to_key = result.identity_keys
    pairs = result.linkage.pairs
    truth_by_uid = pd.Series(truth.reindex(uid_to_key.to_numpy()).to_numpy(), index=uid_to_key.index)
    sweep = edge_metrics(pairs[pairs["link_method"] == "probabilistic"], truth_by_uid,
                         thresholds or [0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 0.9999])
    # Edge-level with INE edges too, at the chosen threshold.
    out = {
        "threshold": threshold, "cluster": overall,
        "by_kind": per_kind.reset_index().to_dict("records"),
        "edge_sweep": sweep.to_dict("records"),
        "kinds_identity_counts": kinds.str.split(",").explode().replace("", "clean").value_counts().to_dict(),
        "identities_by_source": identities["source_kind"].value_counts().to_dict(),
        "summary": summary.as_dict(), "timings": {**timings, **{f"linkage_{k}": v for k, v in result.linkage.timings.items()}},
        "training": {"prior": result.linkage.training.prior, "em_sessions": len(result.linkage.training.em_sessions),
                     "skipped": result.linkage.training.skipped, "u_pairs": result.linkage.training.u_pairs},
    }
    if out_json:
        Path(out_json).write_text(json.dumps(out, indent=1, default=float))
    return out


# ------------------------------------------------------------------ incremental vs full linkage

def generated_tokens(truth_dir: str | Path, inbox_dir: str | Path, key: bytes) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(identities, tokens) of the generator's feeds: identities with identity_key, person_id and
    first_month (clear names stay in this frame, in memory); tokens = ops.identity_tokens rows, one
    per identity, with period_month = the identity's first month."""
    from pipelines.linkage.generated import read_generated_identities
    from pipelines.linkage.link_warehouse import tokens_table_from_identities

    identities = read_generated_identities(Path(truth_dir), Path(inbox_dir))
    identities["identity_key"] = identity_keys(identities, key)
    # A RIO identity (key = INE pseudonym) can also be an activity identity's INE: one key, one row.
    identities = identities.drop_duplicates("identity_key").reset_index(drop=True)
    tokens = tokens_table_from_identities(identities, key)
    tokens["period_month"] = identities["first_month"].to_numpy()
    return identities, tokens


def _link_in_memory(tokens: pd.DataFrame, mode: str, con=None):
    import duckdb

    from pipelines.linkage.link_warehouse import link_identities

    con = con or duckdb.connect(":memory:")
    con.execute("create schema if not exists ops")
    con.register("_tokens", tokens)
    if con.execute("select count(*) from information_schema.tables where table_schema='ops' "
                   "and table_name='identity_tokens'").fetchall()[0][0]:
        con.execute("insert into ops.identity_tokens select * from _tokens")
    else:
        con.execute("create table ops.identity_tokens as select * from _tokens")
    con.unregister("_tokens")
    started = time.perf_counter()
    summary = link_identities(con, mode=mode)
    return con, summary, time.perf_counter() - started


def evaluate_incremental_on_generated(truth_dir: str | Path, inbox_dir: str | Path, last_months: int = 1,
                                     key: bytes | None = None) -> dict:
    """Full linkage of all months vs full linkage of the months before the last `last_months` then an
    incremental run for them: cluster precision/recall of both against the truth, the agreement of
    the two partitions (the full one taken as truth), and the seconds of each linking step. In one
    process (peak memory: see bench_incremental)."""
    if key is None:
        import secrets

        key = secrets.token_bytes(32)
    identities, tokens = generated_tokens(truth_dir, inbox_dir, key)
    months = sorted(m for m in identities["first_month"].dropna().unique())
    cut = months[-last_months]
    before = tokens["period_month"] < cut
    truth = identities.set_index("identity_key")["person_id"]

    con, full_summary, full_s = _link_in_memory(tokens, "full")
    full_links = con.execute("select identity_key, person_key from ops.person_links").df().set_index("identity_key")
    con.close()
    con, base_summary, base_s = _link_in_memory(tokens[before], "full")
    con, inc_summary, inc_s = _link_in_memory(tokens[~before], "incremental", con)
    inc_links = con.execute("select identity_key, person_key from ops.person_links").df().set_index("identity_key")
    changes = con.execute("select count(*) from ops.person_key_changes").fetchall()[0][0]
    con.close()
    full_pk = full_links["person_key"].reindex(truth.index)
    inc_pk = inc_links["person_key"].reindex(truth.index)
    return {
        "months": len(months), "cut": cut, "identities": len(truth), "identities_new": int((~before).sum()),
        "full": {**pairwise_metrics(truth, full_pk), "seconds": full_s},
        "base_full": {"identities": base_summary.identities, "seconds": base_s},
        "incremental": {**pairwise_metrics(truth, inc_pk), "seconds": inc_s, "mode": inc_summary.mode,
                        "records_scored": inc_summary.records_scored, "person_key_changes": int(changes),
                        "persons_merged": inc_summary.persons_merged, "prior": inc_summary.prior},
        "full_prior": full_summary.prior,
        "agreement": pairwise_metrics(full_pk.rename("t"), inc_pk),
    }
