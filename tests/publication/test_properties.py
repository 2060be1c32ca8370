"""Properties that must hold for any table: proved protection, unchanged values, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.publication import (
    STATUS_PRIMARY,
    STATUS_PUBLISHED,
    Dimension,
    DisclosureTable,
    ProtectionRule,
    audit_published,
    build_margins,
    compute_intervals,
    protect_tables,
    render_machine,
)

GEO = Dimension.hierarchical(
    "geo",
    {"B1": "AG1", "B2": "AG1", "B3": "AG1", "B4": "AG2", "B5": "AG2", "AG1": "R", "AG2": "R"},
    {"B1": "D1", "B2": "D2", "B3": "D2", "B4": "D1", "B5": "D2", "D1": "R", "D2": "R"},
)
MONTHS = [f"2025-{m:02d}" for m in range(1, 7)]
PERIOD = Dimension.hierarchical("periode", {m: "S1" for m in MONTHS})
SEX = Dimension.flat("sexe", ["F", "M"])
DIMS = [GEO, PERIOD, SEX]


def random_table(seed: int, threshold: int = 5, zeros_sensitive: bool = False) -> DisclosureTable:
    rng = np.random.default_rng(seed)
    leaf = pd.MultiIndex.from_product([GEO.leaves, MONTHS, SEX.leaves], names=["geo", "periode", "sexe"]).to_frame(index=False)
    scale = rng.choice([1.5, 4.0, 12.0, 30.0], size=len(GEO.leaves))
    leaf["n"] = rng.poisson(np.repeat(scale, len(MONTHS) * 2))
    frame = build_margins(leaf, DIMS, "n")
    return DisclosureTable(f"t{seed}", frame, DIMS, "n", threshold=threshold, zeros_sensitive=zeros_sensitive)


@pytest.mark.parametrize("seed,threshold", [(1, 5), (2, 5), (3, 11), (4, 11)])
def test_protection_is_proved_and_values_unchanged(seed, threshold):
    table = random_table(seed, threshold)
    result = protect_tables(table)
    cells = result.cells
    assert result.audit.passed
    # Every count below the threshold (and above zero) is primary; nothing else is.
    v = cells["value"]
    assert ((cells["status"] == STATUS_PRIMARY) == ((v > 0) & (v < threshold))).all()
    # Protection rule, recomputed here from the intervals: upper >= t and width >= t for primaries,
    # width >= 1 for every hidden cell.
    prim = cells[cells["status"] == STATUS_PRIMARY]
    assert (prim["upper"] >= threshold).all() and (prim["width"] >= threshold).all()
    assert (cells.loc[cells["status"] != STATUS_PUBLISHED, "width"] >= 1).all()
    # The true value lies in its interval; values are flagged, never blanked or altered.
    hidden = cells[cells["status"] != STATUS_PUBLISHED]
    assert ((hidden["lower"] <= hidden["value"]) & (hidden["value"] <= hidden["upper"])).all()
    out = result.table(table.name)
    pd.testing.assert_series_equal(out["n"], table.frame["n"], check_names=False)
    # Published totals are exactly the input totals.
    grand = out.query("geo == 'R' and periode == 'S1' and sexe == 'TOTAL'")
    assert grand["status"].iloc[0] == STATUS_PUBLISHED
    assert grand["n"].iloc[0] == table.frame["n"][(table.frame["geo"].isin(GEO.leaves)) & table.frame["periode"].isin(MONTHS) & table.frame["sexe"].isin(["F", "M"])].sum()


def test_rerun_gives_the_same_pattern():
    a = protect_tables(random_table(3, 11)).table("t3")
    b = protect_tables(random_table(3, 11)).table("t3")
    assert a["status"].tolist() == b["status"].tolist()


def test_zeros_are_published_by_default_and_hidden_on_request():
    table = random_table(3)
    zeros = table.frame["n"] == 0
    assert zeros.sum() == 10
    default = protect_tables(table).table("t3")
    assert (default.loc[zeros, "status"] != STATUS_PRIMARY).all()
    sensitive = protect_tables(random_table(3, zeros_sensitive=True))
    assert sensitive.audit.passed
    assert (sensitive.table("t3").loc[zeros, "status"] == STATUS_PRIMARY).all()


def test_standalone_audit_from_the_extract_equals_the_internal_proof():
    """The extract (values nulled) + manifest is enough to reproduce every interval."""
    table = random_table(2)
    result = protect_tables(table)
    extract = render_machine(result.table(table.name), "n")
    assert extract.loc[extract["status"] != STATUS_PUBLISHED, "n"].isna().all()
    report = audit_published(extract, table.manifest())
    assert report.passed
    pd.testing.assert_frame_equal(
        report.cells[["cell", "status", "lower", "upper", "ok"]], result.cells[["cell", "status", "lower", "upper", "ok"]]
    )


def test_standalone_audit_of_a_french_extract_treats_every_s_as_primary():
    """With only "s" marks (no status), every hidden cell must meet the primary rule: stricter."""
    table = random_table(2)
    result = protect_tables(table)
    fr = result.table(table.name)
    fr["n"] = np.where(fr["status"] == STATUS_PUBLISHED, fr["n"].astype(str), "s")
    report = audit_published(fr.drop(columns="status"), table.manifest())
    assert set(report.hidden["status"]) == {STATUS_PRIMARY}
    assert len(report.hidden) == int((result.status != STATUS_PUBLISHED).sum())


def test_warm_started_solver_and_plain_linprog_agree():
    table = random_table(4, 11)
    result = protect_tables(table)
    p, hidden = result.problem, result.status != STATUS_PUBLISHED
    lo1, hi1 = compute_intervals(p.A, p.values, hidden)
    lo2, hi2 = compute_intervals(p.A, p.values, hidden, force_linprog=True)
    np.testing.assert_allclose(lo1[hidden], lo2[hidden], atol=1e-6)
    np.testing.assert_allclose(hi1[hidden], hi2[hidden], atol=1e-6)


def test_lower_protection_is_enforced_when_asked():
    """lower_margin = 2: a primary cell of 4 must also be able to be as low as 2."""
    rule = ProtectionRule(lower_margin=2)
    result = protect_tables(random_table(1), rule=rule)
    prim = result.cells[result.cells["status"] == STATUS_PRIMARY]
    assert (prim["lower"] <= np.maximum(prim["value"] - 2, 0) + 1e-9).all()
