"""Counts of distinct people: a total is at most the sum of its parts and at least the largest.

The re-audit from the published files alone (no warehouse) must use these relations: with
equalities, a real extract (region = 45 distinct people, bassins 3 + 20 + 30) is "inconsistent"."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.publication import Dimension, DisclosureError, audit_published

GEO = Dimension.flat("geo", ["B1", "B2", "B3"], "R")


def _manifest(aggregation: str) -> dict:
    return {"name": "n", "measure": "n", "threshold": 5, "status_column": "status",
            "dimensions": [GEO.to_manifest()], "aggregation": aggregation}


def _frame(values: dict[str, float | None], hidden: set[str]) -> pd.DataFrame:
    return pd.DataFrame({
        "geo": list(values),
        "n": [None if g in hidden else v for g, v in values.items()],
        "status": ["secret_primaire" if g in hidden else "publie" for g in values],
    })


def test_equalities_reject_a_distinct_total_that_the_inequalities_accept():
    frame = _frame({"B1": 3, "B2": 20, "B3": 30, "R": 45}, hidden={"B1"})
    with pytest.raises(DisclosureError):
        audit_published(frame, _manifest("sum"))
    report = audit_published(frame, _manifest("distinct"))
    row = report.cells[report.cells["cell"] == "n[geo=B1]"].iloc[0]
    # 45 <= B1 + 50 and B1 <= 45: the attacker only learns B1 is between 0 and the region total.
    assert (row["lower"], row["upper"]) == (0.0, 45.0)
    assert report.passed


def test_a_part_equal_to_its_total_is_recomputed_under_the_inequalities_too():
    """The other bassins are 0: B1 is at least 12 - 0 and at most 12, so it is known exactly."""
    frame = _frame({"B1": 12, "B2": 0, "B3": 0, "R": 12}, hidden={"B1"})
    report = audit_published(frame, _manifest("distinct"))
    assert not report.passed
    failure = report.failures.iloc[0]
    assert failure["cell"] == "n[geo=B1]" and failure["reason"] == "valeur recalculable"
    assert np.isclose(failure["lower"], 12) and np.isclose(failure["upper"], 12)
