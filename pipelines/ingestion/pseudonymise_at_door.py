"""Pseudonymise personal columns at the door, before anything is written to DuckDB.

A narrow adapter: ingestion asks for (a) the deployment key, (b) `<field>_pseudo` columns in place
of the clear ones, (c) linkage comparison tokens. It delegates to pipelines.privacy (keys.load_key,
pseudonymize.pseudonymize_frame / comparison_tokens_frame) and keeps a minimal HMAC fallback only
so that ingestion still imports if that package changes shape.
TODO(privacy): drop the fallback once pipelines.privacy's interface is frozen.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from functools import lru_cache

import numpy as np
import pandas as pd

from pipelines.config import Settings

try:  # the privacy team's module (the normal path)
    from pipelines.privacy import keys as _keys
    from pipelines.privacy import pseudonymize as _pseudo
except ImportError:  # pragma: no cover - fallback while the package is being written
    _keys = None
    _pseudo = None


@lru_cache(maxsize=4)
def _key_for(warehouse_dir: str, environment: str, key_env: str | None, key_file: str | None) -> bytes:
    import os

    environ = dict(os.environ)
    environ["SPRO_WAREHOUSE_DIR"] = warehouse_dir
    environ["SPRO_ENV"] = environment
    if _keys is None:
        raise RuntimeError("pipelines.privacy.keys is required to load the pseudonymisation key")
    return _keys.load_key(environ).key


def load_key(settings: Settings) -> bytes:
    """The HMAC key (demo: created on first use; production: refused when absent)."""
    import os

    return _key_for(str(settings.warehouse_dir), settings.environment,
                    os.environ.get("SPRO_PSEUDONYM_KEY"), os.environ.get("SPRO_KEY_FILE"))


def key_id(key: bytes) -> str:
    """A one-way fingerprint recorded in the ledger: which key produced the pseudonyms."""
    if _keys is not None and hasattr(_keys, "key_fingerprint"):
        return _keys.key_fingerprint(key)
    return hashlib.sha256(b"spro-key-id" + key).hexdigest()[:16]


# Targets whose pseudonym domain depends on the sender (domain_for).
PER_SENDER_TARGETS = ("member_person_id",)


def domain_for(target: str, sender_code: str) -> str:
    """The pseudonym domain of a target: a member's person numbers are namespaced by member."""
    if target in PER_SENDER_TARGETS:
        return _pseudo.person_id_domain(sender_code) if _pseudo else f"person_id:{sender_code}"
    return target


def _as_text(series: pd.Series) -> pd.Series:
    """Dates become ISO text before hashing, so one date has one pseudonym whatever its format."""
    if pd.api.types.is_datetime64_any_dtype(series):
        # strftime once per distinct date (pandas formats dates one by one in Python)
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        texts = np.array(list(pd.DatetimeIndex(uniques).strftime("%Y-%m-%d")) + [None], dtype=object)
        return pd.Series(texts[codes], index=series.index, name=series.name, dtype=object)
    return series.astype(object).where(series.notna(), None)


def pseudonymise_frame(frame: pd.DataFrame, personal: set[str], sender_code: str, key: bytes) -> pd.DataFrame:
    """Replace each personal column by `<column>_pseudo`; the clear column is dropped."""
    present = [c for c in personal if c in frame.columns]
    if not present:
        return frame
    mapping: Mapping[str, str] = {c: domain_for(c, sender_code) for c in present}
    if _pseudo is not None and hasattr(_pseudo, "pseudonymize_series"):
        # pseudonymize_frame's own loop (one pseudonymize_series per column), without its copy of
        # the whole frame at every column: same columns, same values.
        hashed = {f"{c}_pseudo": _pseudo.pseudonymize_series(_as_text(frame[c]), key, d) for c, d in mapping.items()}
        return frame.drop(columns=present).assign(**hashed)
    texts = frame.assign(**{c: _as_text(frame[c]) for c in present})
    if _pseudo is not None:
        return _pseudo.pseudonymize_frame(texts, key, mapping)
    out = texts.copy()  # pragma: no cover - fallback
    for column, domain in mapping.items():
        out[f"{column}_pseudo"] = out[column].map(
            lambda v, d=domain: None if v is None else hmac.new(key, d.encode() + b"\x1f" + str(v).strip().encode(),
                                                                 hashlib.sha256).hexdigest())
        out = out.drop(columns=[column])
    return out


def pseudonymise_arrow(frame: pd.DataFrame, personal: set[str], sender_code: str | np.ndarray, key: bytes,
                       keep: list[str]):
    """pseudonymise_frame(frame[...]) restricted to the `keep` columns, as a pyarrow Table.

    Same values as pseudonymise_frame: the clear personal columns are left out, `<column>_pseudo`
    are added. Arrow because the table goes straight to DuckDB, and each distinct pseudonym then
    becomes an Arrow string once instead of once per row. Raises what pa.Table.from_pandas raises
    on a column Arrow cannot type (the caller then loads through pandas as before).

    `sender_code` may also give each row's sender (the rows of several members' files at once): a
    column whose domain depends on the sender (PER_SENDER_TARGETS) is then hashed sender by sender.
    """
    import pyarrow as pa

    if _pseudo is None or not hasattr(_pseudo, "pseudonymize_arrow"):
        return None
    wanted = set(keep)
    present = [c for c in personal if c in frame.columns]
    plain = [c for c in frame.columns if c in wanted and c not in present]
    table = pa.Table.from_pandas(frame[plain], preserve_index=False)
    for column in present:
        if f"{column}_pseudo" in wanted:
            values = frame[column]
            # A text column is factorised as it is: its distinct values and missing ones are those
            # of _as_text's object copy, which cost more than the hashing here.
            texts = values if isinstance(values.dtype, pd.StringDtype) else _as_text(values)
            if isinstance(sender_code, str) or column not in PER_SENDER_TARGETS:
                sender = sender_code if isinstance(sender_code, str) else ""
                array = _pseudo.pseudonymize_arrow(texts, key, domain_for(column, sender))
            else:
                array = _per_sender_pseudonyms(texts, np.asarray(sender_code, dtype=object), key, column)
            table = table.append_column(f"{column}_pseudo", array)
    return table


def _per_sender_pseudonyms(texts: pd.Series, senders: np.ndarray, key: bytes, column: str):
    """The pseudonyms of a column whose domain is the row's sender: each sender's rows hashed in its
    own domain, put back in row order."""
    import pyarrow as pa

    codes, names = pd.factorize(senders)
    order = np.argsort(codes, kind="stable")           # each sender's rows together, in row order
    bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
    parts = [_pseudo.pseudonymize_arrow(texts.iloc[order[bounds[k]:bounds[k + 1]]], key, domain_for(column, name))
             for k, name in enumerate(names)]
    ordered = pa.concat_arrays(parts) if parts else pa.array([], pa.string())
    return ordered.take(pa.array(np.argsort(order, kind="stable"), type=pa.int64()))


IDENTITY_COLUMNS = {
    "activity_acts": {"last_name": "last_name", "birth_name": "birth_name", "first_names": "first_names",
                      "birth_date": "birth_date", "sex": "sex_code", "commune": "residence_commune_insee"},
    "rio_entries": {"last_name": "last_name", "first_names": "first_names", "birth_date": "birth_date",
                    "sex": "sex_code", "commune": "commune_insee"},
}


# The clear columns whose pseudonyms travel with the tokens (person_pseudo, ine_pseudo).
TOKEN_PERSON_COLUMNS = ("member_person_id", "ine")


def distinct_identities(frame: pd.DataFrame, table: str,
                        within: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """(position of the first row of each distinct identity, number of rows of each), in order of
    first appearance; None when the table carries no identity.

    The identity is every column the tokens and their person pseudonyms are computed from, so two
    rows of one identity get the same token row. `within` (one label per row, e.g. the chunk a row
    comes from) keeps equal identities of different labels apart.
    """
    columns = IDENTITY_COLUMNS.get(table)
    if columns is None:
        return None
    by = [c for c in (*columns.values(), *TOKEN_PERSON_COLUMNS) if c in frame.columns]
    if not by or frame.empty:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    keys = [frame[c] for c in by]
    if within is not None:
        keys.insert(0, pd.Series(within, index=frame.index, name="__within__"))
    # ngroup(sort=False) numbers the groups 0, 1, 2... in order of first appearance: a row is its
    # group's first exactly where the running maximum of the numbers grows (np.unique with
    # return_index gives the same, sorting all rows to do it).
    groups = frame.groupby(keys, dropna=False, sort=False).ngroup().to_numpy(dtype=np.int64)
    running = np.maximum.accumulate(groups)
    firsts = np.flatnonzero(np.concatenate([[True], running[1:] > running[:-1]])).astype(np.int64)
    return firsts, np.bincount(groups, minlength=len(firsts)).astype(np.int64)


def identity_tokens(frame: pd.DataFrame, table: str, key: bytes, within: np.ndarray | None = None):
    """(comparison tokens of each distinct identity of the frame, position of its first row, its
    number of rows), or None when the table carries no identity or the frame no name.

    Why one row per distinct identity: a person's acts in one member file repeat the same identity
    (1.7 rows per identity on a region's activity files), and the tokens are ~2 KB per row, most of
    what ingestion writes to DuckDB. Weighed by its row count, one row per identity tells the
    linkage exactly what one row per raw row told it (link_warehouse.identities_sql).
    """
    identities = distinct_identities(frame, table, within)
    if identities is None:
        return None
    firsts, counts = identities
    tokens = comparison_tokens(frame.iloc[firsts], table, key)
    if tokens is None or not tokens.num_rows:
        return None
    return tokens, firsts, counts


def comparison_tokens(frame: pd.DataFrame, table: str, key: bytes):
    """Keyed comparison tokens for linkage, as a pyarrow Table in the frame's row order (None when
    the table carries no identity). Arrow because it goes straight to DuckDB: see
    pseudonymize.comparison_tokens_arrow."""
    columns = IDENTITY_COLUMNS.get(table)
    if _pseudo is None or columns is None or not hasattr(_pseudo, "comparison_tokens_arrow"):
        return None
    if not any(c in frame.columns for c in ("last_name", "first_names")):
        return None
    texts = frame[[c for c in columns.values() if c in frame.columns]].copy()
    if "birth_date" in texts.columns:
        texts["birth_date"] = _as_text(texts["birth_date"])
    return _pseudo.comparison_tokens_arrow(texts, key, columns=columns)
