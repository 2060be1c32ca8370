"""Test helpers shared by the linkage tests: one throw-away key and the identity keys it gives."""

from __future__ import annotations

import secrets

import pandas as pd

from pipelines.privacy.pseudonymize import pseudonymize_values

KEY = secrets.token_bytes(32)


def with_identity_keys(ids: pd.DataFrame) -> pd.DataFrame:
    """The identities with their identity_key, the pseudonym of sender and member's person id."""
    ids = ids.copy()
    ids["identity_key"] = pseudonymize_values((ids["sender_code"] + ":" + ids["member_person_id"]).tolist(), KEY,
                                              "person_id")
    return ids
