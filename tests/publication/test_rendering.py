"""Rendering for French extracts and machine formats; rates and means."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.publication import (
    SECRET_MARK,
    STATUS_PRIMARY,
    STATUS_PUBLISHED,
    STATUS_SECONDARY,
    protect_ratios,
    protect_tables,
    ratio_status,
    render_fr,
    render_machine,
)
from sdc_helpers import grid_table

INNER = {("x", "a"): 2, ("x", "b"): 40, ("x", "c"): 25, ("y", "a"): 30, ("y", "b"): 45, ("y", "c"): 2020}


def test_french_rendering_prints_s_and_french_numbers_without_status():
    result = protect_tables(grid_table(INNER))
    t = result.table("t")
    fr = render_fr(t, "n")
    assert "status" not in fr.columns
    hidden = t["status"] != STATUS_PUBLISHED
    assert (fr.loc[hidden, "n"] == SECRET_MARK).all()
    assert fr.loc[(t["r"] == "T") & (t["c"] == "T"), "n"].iloc[0] == "2\u202f162"
    # The internal result still holds every value.
    # The internal result still holds every value (the cheapest rectangle: 2, 40, 30, 45 — not the
    # 2,020 cell that a plain greedy would have taken after picking 25).
    assert t.loc[hidden, "n"].tolist() == [2, 40, 30, 45]


def test_machine_rendering_nulls_hidden_values_and_keeps_status():
    result = protect_tables(grid_table(INNER))
    t = result.table("t")
    m = render_machine(t, "n")
    hidden = t["status"] != STATUS_PUBLISHED
    assert m.loc[hidden, "n"].isna().all()
    assert (m.loc[~hidden, "n"] == t.loc[~hidden, "n"]).all()
    assert set(m["status"]) == {STATUS_PUBLISHED, STATUS_PRIMARY, STATUS_SECONDARY}


def test_ratio_hidden_when_numerator_or_denominator_hidden():
    num = [STATUS_PUBLISHED, STATUS_PRIMARY, STATUS_PUBLISHED, STATUS_SECONDARY]
    den = [STATUS_PUBLISHED, STATUS_PUBLISHED, STATUS_SECONDARY, STATUS_PRIMARY]
    assert ratio_status(num, den).tolist() == [STATUS_PUBLISHED, STATUS_PRIMARY, STATUS_SECONDARY, STATUS_PRIMARY]
    # A mean has one count: the number of people it is computed on.
    assert ratio_status(np.array(num)).tolist() == [STATUS_PUBLISHED, STATUS_PRIMARY, STATUS_PUBLISHED, STATUS_SECONDARY]


def test_protect_ratios_joins_the_protected_counts():
    registered = pd.DataFrame({"geo": ["B1", "B2", "B3"], "status": [STATUS_PUBLISHED, STATUS_PUBLISHED, STATUS_SECONDARY]})
    attended = pd.DataFrame({"geo": ["B1", "B2", "B3"], "status": [STATUS_PRIMARY, STATUS_PUBLISHED, STATUS_PUBLISHED]})
    rates = pd.DataFrame({"geo": ["B1", "B2", "B3", "B4"], "taux": [0.5, 0.8, 0.7, 0.9]})
    out = protect_ratios(rates, ["geo"], attended, registered)
    assert out["status"].tolist() == [STATUS_PRIMARY, STATUS_PUBLISHED, STATUS_SECONDARY, STATUS_SECONDARY]
    assert out["taux"].tolist() == [0.5, 0.8, 0.7, 0.9]  # flagged, not blanked
