"""Run one linkage: train the model, score blocked pairs, add deterministic INE links, cluster.

Splink runs on its own in-memory DuckDB connection (never on the warehouse file, so none of its
__splink__ work tables land in spro.duckdb). Its input holds keyed tokens only.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from pipelines.linkage import model
from pipelines.linkage.deterministic import INE_METHOD, ine_conflict, ine_edges

PROBABILISTIC_METHOD = "probabilistic"


@dataclass
class LinkageResult:
    """pairs: every scored pair kept (>= predict floor) and every INE edge, with `accepted`;
    clusters: unique_id -> cluster_id (smallest unique_id of the component), link_method, link_score."""

    pairs: pd.DataFrame
    clusters: pd.DataFrame
    threshold: float
    training: model.TrainingReport
    timings: dict[str, float] = field(default_factory=dict)


def _splink_logging_quiet() -> None:
    for name in ("splink", "splink.internals"):
        logging.getLogger(name).setLevel(logging.ERROR)


@dataclass
class PretrainedModel:
    """A stored model to predict with, without training (incremental linkage).

    settings: the Splink settings dict saved by a full run (`save_model_to_json`), whose blocking
    rules are replaced by `model.blocking_rules` restricted to pairs with at least one new side
    (records carry a boolean `is_new`); prior: probability_two_random_records_match to use (the
    stored one rescaled to today's number of identities by the caller); tf_tables: column ->
    frame (value column, tf_<column>) of term frequencies over ALL identities, since the records
    scored are a biased subset (new identities and their candidates) whose own frequencies would
    be wrong."""

    settings: dict
    prior: float | None = None
    tf_tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    # Instead of the records frame: loader(con) creates table spro_identities (model.LINK_COLUMNS +
    # is_new) in Splink's connection and returns {"prior": float | None, "tf_tables": {column:
    # table name}}. Lets the caller stream the records from the warehouse (Arrow batches) instead of
    # holding them as Python objects: the token lists cost several times their size in pandas.
    loader: Callable[[duckdb.DuckDBPyConnection], dict] | None = None


def _restricted_to_new(rules: list[str]) -> list[str]:
    # Only pairs with at least one new identity: pairs of two existing identities were scored by
    # earlier runs and their decision is already in ops.person_links.
    return [f"{rule} and (l.is_new or r.is_new)" for rule in rules]


def count_prior_rule_pairs(con: duckdb.DuckDBPyConnection, table: str, within_group: bool,
                           new_only: bool) -> int:
    """Pairs meeting the prior's deterministic rules (what Splink's prior estimate counts), among
    pairs with a new side when new_only: added to the stored count, it gives the count a full run
    would make without joining the history."""
    rules = [model.with_group(rule, within_group) for rule in model.PRIOR_RULES]
    extra = " and (l.is_new or r.is_new)" if new_only else ""
    union = " union ".join(
        f"select l.unique_id as a, r.unique_id as b from {table} l join {table} r "
        f"on {rule} and l.unique_id < r.unique_id{extra}" for rule in rules)
    return int(con.execute(f"select count(*) from ({union})").fetchall()[0][0])


def score_pairs(records: pd.DataFrame, within_group: bool = False, train: bool = True,
                predict_floor: float = model.PREDICT_FLOOR, threads: int | None = None,
                pretrained: PretrainedModel | None = None, info: dict | None = None
                ) -> tuple[pd.DataFrame, model.TrainingReport, dict[str, float]]:
    """Train and predict with Splink on `records` (model.LINK_COLUMNS). Returns the scored pairs
    (unique_id_l, unique_id_r, match_probability, match_weight, gamma_*, source_group_l/_r,
    ine_pseudo_l/_r), the training report and timings.

    With `pretrained`, nothing is trained: the stored model predicts pairs with at least one new
    record (`is_new`). `info`, when given, receives the model as a JSON-able dict ("model")."""
    from splink import DuckDBAPI, Linker

    _splink_logging_quiet()
    timings: dict[str, float] = {}
    con = duckdb.connect(":memory:")
    if threads:
        con.execute(f"set threads = {int(threads)}")
    try:
        db_api = DuckDBAPI(con)
        columns = list(model.LINK_COLUMNS)
        if pretrained is not None:
            settings = copy.deepcopy(pretrained.settings)
            settings["blocking_rules_to_generate_predictions"] = _restricted_to_new(model.blocking_rules(within_group))
            if pretrained.prior is not None:
                settings["probability_two_random_records_match"] = float(pretrained.prior)
            columns.append("is_new")
        else:
            settings = model.settings(within_group=within_group)
        settings["additional_columns_to_retain"] = ["source_group", "ine_pseudo"]
        loaded: dict = {}
        if pretrained is not None and pretrained.loader is not None:
            loaded = pretrained.loader(con)
            if loaded.get("prior") is not None:
                settings["probability_two_random_records_match"] = float(loaded["prior"])
        else:
            con.register("_spro_records", records[columns])
            con.execute(f"create table spro_identities as {model.typed_records_sql('_spro_records')}")
            con.unregister("_spro_records")
        table = db_api.register("spro_identities", table_name="identities")
        linker = Linker(table, settings, log_level=None)
        started = time.perf_counter()
        if pretrained is not None:
            report = model.TrainingReport(records=len(records), skipped=["stored model"],
                                          prior=settings.get("probability_two_random_records_match"))
            tf_names = dict(loaded.get("tf_tables", {}))
            for column, frame in pretrained.tf_tables.items():
                tf_names[column] = f"spro_tf_{column}"
                con.register("_spro_tf", frame)
                con.execute(f"create table {tf_names[column]} as select * from _spro_tf")
                con.unregister("_spro_tf")
            for column, name in tf_names.items():
                linker.table_management.register_term_frequency_lookup(db_api.register(name), column)
        elif train:
            report = model.train(linker, len(records), within_group=within_group)
        else:
            report = model.TrainingReport(records=len(records), skipped=["training disabled"])
        timings["train_s"] = time.perf_counter() - started
        if info is not None:
            info["model"] = linker.misc.save_model_to_json()
        started = time.perf_counter()
        predictions = linker.inference.predict(threshold_match_probability=predict_floor, warning_mode="never")
        pairs = predictions.as_pandas_dataframe()
        timings["predict_s"] = time.perf_counter() - started
        linker.table_management.delete_tables_created_by_splink_from_db()
    finally:
        con.close()
    keep = ["unique_id_l", "unique_id_r", "match_probability", "match_weight", "source_group_l", "source_group_r",
            "ine_pseudo_l", "ine_pseudo_r", *[c for c in pairs.columns if c.startswith("gamma_")]]
    pairs = pairs[[c for c in keep if c in pairs.columns]].copy()
    pairs["unique_id_l"] = pairs["unique_id_l"].astype("int64")
    pairs["unique_id_r"] = pairs["unique_id_r"].astype("int64")
    return pairs, report, timings


def connected_components(n_nodes_ids: np.ndarray, edges: pd.DataFrame) -> pd.Series:
    """cluster_id (smallest unique_id of the component) per unique_id, with Splink's connected
    components solver on an in-memory DuckDB."""
    from splink import DuckDBAPI
    from splink.clustering import cluster_pairwise_predictions_at_threshold

    nodes = pd.DataFrame({"unique_id": np.asarray(n_nodes_ids, dtype="int64")})
    if edges.empty:
        return pd.Series(nodes["unique_id"].to_numpy(), index=nodes["unique_id"].to_numpy(), name="cluster_id")
    con = duckdb.connect(":memory:")
    try:
        db_api = DuckDBAPI(con)
        e = edges[["unique_id_l", "unique_id_r"]].astype("int64").copy()
        e["match_probability"] = 1.0
        cc = cluster_pairwise_predictions_at_threshold(nodes, e, db_api=db_api, node_id_column_name="unique_id",
                                                       threshold_match_probability=0.5)
        out = cc.as_pandas_dataframe()
    finally:
        con.close()
    # Splink's representative is one node of the component; normalise to the smallest id.
    out["unique_id"] = out["unique_id"].astype("int64")
    smallest = out.groupby("cluster_id")["unique_id"].transform("min")
    return pd.Series(smallest.to_numpy(), index=out["unique_id"].to_numpy(), name="cluster_id").sort_index()


def link_records(records: pd.DataFrame, threshold: float = model.DEFAULT_THRESHOLD, within_group: bool = False,
                 train: bool = True, deterministic: bool = True, predict_floor: float | None = None,
                 threads: int | None = None, pretrained: PretrainedModel | None = None,
                 info: dict | None = None) -> LinkageResult:
    """The whole linkage of prepared records (model.prepare_records).

    With `pretrained` (incremental linkage), records carry `is_new`; only pairs with a new side are
    scored, and only INE edges with a new side are kept (see score_pairs). With pretrained.loader,
    `records` need only unique_id, source_group, ine_pseudo and is_new: the loader puts the tokens
    in Splink's connection."""
    is_new = records["is_new"].astype(bool).to_numpy() if pretrained is not None else None
    records = model.prepare_records(records)
    if is_new is not None:
        records["is_new"] = is_new
    floor = min(model.PREDICT_FLOOR, threshold) if predict_floor is None else predict_floor
    started = time.perf_counter()
    if len(records) >= 2:
        pairs, report, timings = score_pairs(records, within_group=within_group, train=train,
                                             predict_floor=floor, threads=threads, pretrained=pretrained,
                                             info=info)
    else:
        pairs, report, timings = pd.DataFrame(columns=["unique_id_l", "unique_id_r", "match_probability",
                                                       "match_weight"]), model.TrainingReport(records=len(records)), {}
    pairs["link_method"] = PROBABILISTIC_METHOD
    vetoed = ine_conflict(pairs)
    pairs["ine_conflict"] = vetoed
    pairs["accepted"] = (pairs["match_probability"] >= threshold) & ~vetoed
    edges_ine = ine_edges(records) if deterministic else ine_edges(records.iloc[0:0])
    if is_new is not None and len(edges_ine):
        new_ids = records.loc[records["is_new"], "unique_id"]
        edges_ine = edges_ine[edges_ine["unique_id_l"].isin(new_ids) | edges_ine["unique_id_r"].isin(new_ids)]
    if len(edges_ine):
        edges_ine["accepted"] = True
        edges_ine["ine_conflict"] = False
    all_pairs = pd.concat([pairs, edges_ine], ignore_index=True) if len(edges_ine) else pairs
    accepted = all_pairs[all_pairs["accepted"]]
    started_cc = time.perf_counter()
    cluster = connected_components(records["unique_id"].to_numpy(), accepted)
    timings["cluster_s"] = time.perf_counter() - started_cc

    # Per identity: how it was linked and the best score of its accepted links.
    ends = pd.concat([
        accepted[["unique_id_l", "match_probability", "link_method"]].rename(columns={"unique_id_l": "unique_id"}),
        accepted[["unique_id_r", "match_probability", "link_method"]].rename(columns={"unique_id_r": "unique_id"}),
    ], ignore_index=True)
    clusters = pd.DataFrame({"unique_id": records["unique_id"].to_numpy()})
    clusters["cluster_id"] = cluster.reindex(clusters["unique_id"]).to_numpy()
    if len(ends):
        score = ends.groupby("unique_id")["match_probability"].max()
        methods = ends.groupby("unique_id")["link_method"].agg(lambda s: "+".join(sorted(set(s))))
        clusters["link_score"] = score.reindex(clusters["unique_id"]).to_numpy()
        clusters["link_method"] = methods.reindex(clusters["unique_id"]).fillna("unlinked").to_numpy()
    else:
        clusters["link_score"] = np.nan
        clusters["link_method"] = "unlinked"
    timings["total_s"] = time.perf_counter() - started
    return LinkageResult(pairs=all_pairs, clusters=clusters, threshold=threshold, training=report, timings=timings)


__all__ = ["INE_METHOD", "PROBABILISTIC_METHOD", "LinkageResult", "PretrainedModel", "count_prior_rule_pairs", "connected_components", "link_records", "score_pairs"]
