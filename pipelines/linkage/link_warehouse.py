"""The warehouse step: ops.identity_tokens -> linkage -> ops.person_links.

`link_identities(con)` is what the Dagster asset calls. It
  1. reads ops.identity_tokens (one row per raw row) and keeps one record per identity key: the
     most frequent combination of tokens of that key (a member spells a person the same way
     almost always; a missing commune on one act does not win over the usual one);
  2. links them (engine.link_records: INE links, then Splink scoring, threshold, components);
  3. replaces ops.person_links(identity_key, person_key, link_method, link_score) in ONE
     transaction (delete + insert): a re-run gives the same table, readers never see it half
     written. Every identity key gets a row; unlinked ones have person_key = identity_key and
     link_method 'unlinked', which is what dbt's coalesce(person_key, identity_key) expects.

person_key = the smallest identity key of the cluster: already a keyed pseudonym (nothing new to
protect), stable as long as the cluster's smallest member stays, and equal to the identity key for
a person seen once. (It changes when a new identity with a smaller key joins the cluster: indicators
are rebuilt from scratch by dbt, so nothing stores old person keys.)

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

from pipelines.linkage import model
from pipelines.linkage.engine import LinkageResult, link_records

INE_TABLES = ("rio_entries", "psad_followups")


@dataclass
class WarehouseLinkResult:
    linkage: LinkageResult
    identity_keys: pd.Series      # unique_id -> identity_key


@dataclass
class LinkSummary:
    """Counts of one linkage run (no personal content): what the asset reports as metadata."""

    identities: int = 0
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


def identities_from_tokens(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One record per identity key from ops.identity_tokens (see the module docstring)."""
    columns = _columns(con, "ops", "identity_tokens")
    if not columns:
        return pd.DataFrame(columns=["identity_key", "sender_code", "ine_pseudo", *model.TOKEN_COLUMNS])
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
    names = model.TOKEN_COLUMNS
    nonnull = " + ".join(f"({c} is not null)::int" for c in names)
    sql = f"""
        with base as (
            select {key} as identity_key, {sender} as sender_code, {ine} as ine_pseudo, {', '.join(tokens)}
            from ops.identity_tokens where {key} is not null
        ),
        meta as (
            select identity_key, min(sender_code) as sender_code, max(ine_pseudo) as ine_pseudo
            from base group by identity_key
        ),
        counted as (
            select identity_key, {', '.join(names)}, count(*) as n, {nonnull} as filled
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
    return con.execute(sql).df()


def write_person_links(con: duckdb.DuckDBPyConnection, links: pd.DataFrame) -> None:
    """Replace ops.person_links in one transaction."""
    frame = links[["identity_key", "person_key", "link_method", "link_score"]].copy()
    frame["link_score"] = frame["link_score"].astype("float64")
    con.execute("begin transaction")
    try:
        con.execute("create schema if not exists ops")
        con.execute("create table if not exists ops.person_links (identity_key varchar, person_key varchar, "
                    "link_method varchar, link_score double)")
        con.execute("delete from ops.person_links")
        con.register("_spro_person_links", frame)
        con.execute("insert into ops.person_links (identity_key, person_key, link_method, link_score) "
                    "select identity_key, person_key, link_method, link_score from _spro_person_links")
        con.unregister("_spro_person_links")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def link_identities(con: duckdb.DuckDBPyConnection, threshold: float | None = None, within_sender: bool = False,
                    keep_result: bool = False, threads: int | None = None, train: bool = True) -> LinkSummary:
    """Read ops.identity_tokens, link, write ops.person_links; return counts (see module docstring)."""
    started = time.perf_counter()
    threshold = model.DEFAULT_THRESHOLD if threshold is None else threshold
    identities = identities_from_tokens(con)
    records = identities.rename(columns={"sender_code": "source_group"}).copy()
    records["source_group"] = records["source_group"].fillna("?")
    records["unique_id"] = range(len(records))
    result = link_records(records, threshold=threshold, within_group=within_sender, threads=threads, train=train)
    keys = pd.Series(identities["identity_key"].to_numpy(), index=records["unique_id"].to_numpy())

    clusters = result.clusters.copy()
    clusters["identity_key"] = keys.reindex(clusters["unique_id"]).to_numpy()
    clusters["person_key"] = clusters.groupby("cluster_id")["identity_key"].transform("min")
    write_person_links(con, clusters)

    accepted = result.pairs[result.pairs["accepted"]] if len(result.pairs) else result.pairs
    sizes = clusters.groupby("cluster_id")["unique_id"].transform("size")
    summary = LinkSummary(
        identities=len(clusters), persons=int(clusters["cluster_id"].nunique()),
        linked_identities=int((sizes > 1).sum()),
        deterministic_links=int((accepted["link_method"] != "probabilistic").sum()) if len(accepted) else 0,
        probabilistic_links=int((accepted["link_method"] == "probabilistic").sum()) if len(accepted) else 0,
        pairs_scored=int((result.pairs["link_method"] == "probabilistic").sum()) if len(result.pairs) else 0,
        ine_conflicts_vetoed=int(result.pairs.get("ine_conflict", pd.Series(dtype=bool)).fillna(False).astype(bool).sum()),
        threshold=threshold, prior=result.training.prior, em_sessions=len(result.training.em_sessions),
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
