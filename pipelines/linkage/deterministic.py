"""Deterministic links: identities that share a strong identifier (the INE between the CIO and the
RIO lists) are the same person, whatever their names say.

The INE arrives pseudonymised on both sides with the same key and domain ('ine'), so equal
pseudonyms mean equal (normalised) INEs. Each group of identities sharing an INE pseudonym is
turned into a star of edges towards its smallest unique_id (enough for connected components).
"""

from __future__ import annotations

import pandas as pd

INE_METHOD = "deterministic_ine"


def ine_edges(records: pd.DataFrame, column: str = "ine_pseudo") -> pd.DataFrame:
    """Edges (unique_id_l < unique_id_r, match_probability 1.0) between identities sharing an INE."""
    columns = ["unique_id_l", "unique_id_r", "match_probability", "match_weight", "link_method"]
    if column not in records.columns:
        return pd.DataFrame(columns=columns)
    known = records.loc[records[column].notna(), ["unique_id", column]]
    if known.empty:
        return pd.DataFrame(columns=columns)
    first = known.groupby(column)["unique_id"].transform("min")
    edges = pd.DataFrame({"unique_id_l": first.to_numpy(), "unique_id_r": known["unique_id"].to_numpy()})
    edges = edges[edges["unique_id_l"] != edges["unique_id_r"]].drop_duplicates()
    edges["match_probability"] = 1.0
    edges["match_weight"] = float("inf")
    edges["link_method"] = INE_METHOD
    return edges[columns].reset_index(drop=True)


def ine_conflict(pairs: pd.DataFrame) -> pd.Series:
    """True where both sides of a scored pair carry an INE and the INEs differ: two different
    pupils for the national register, whatever the names say (a veto on probabilistic links)."""
    if "ine_pseudo_l" not in pairs.columns:
        return pd.Series(False, index=pairs.index)
    return pairs["ine_pseudo_l"].notna() & pairs["ine_pseudo_r"].notna() & (pairs["ine_pseudo_l"] != pairs["ine_pseudo_r"])
