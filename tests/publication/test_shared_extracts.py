"""Extracts published at different times share cells: a monthly extract's all-network cells are
the month cells of the yearly extract. Protected one after the other, the later one must keep the
statuses the earlier one gave them, or an attacker holding both recomputes a hidden cell."""

from __future__ import annotations

import pandas as pd
import pytest

from pipelines.publication import (
    STATUS_PRIMARY,
    STATUS_PUBLISHED,
    DisclosureError,
    Dimension,
    DisclosureTable,
    audit_published,
    build_margins,
    protect_tables,
    render_machine,
)

GEO = Dimension.flat("geo", ["B1", "B2"], "R")
NETWORK = Dimension.flat("reseau", ["N1", "N2"], "TOUS")
MONTHS = Dimension.hierarchical("periode", {"2025-01": "2025", "2025-02": "2025"})

# March is not needed: two months and two bassins are enough to show the leak. In January, B1 has
# 2 people at N1 (primary) and 10 at N2; in February, B1 has 3 people (primary).
JANUARY = pd.DataFrame({"geo": ["B1", "B1", "B2", "B2"], "reseau": ["N1", "N2", "N1", "N2"], "n": [2, 10, 10, 12]})
YEAR_LEAVES = pd.DataFrame({"geo": ["B1", "B1", "B2", "B2"], "periode": ["2025-01", "2025-02"] * 2, "n": [12, 3, 22, 30]})


def _monthly() -> DisclosureTable:
    frame = build_margins(JANUARY, [GEO, NETWORK], "n")
    return DisclosureTable("janvier", frame, [GEO, NETWORK], "n", constant_coordinates={"periode": "2025-01"})


def _yearly(fixed: pd.DataFrame | None = None) -> DisclosureTable:
    frame = build_margins(YEAR_LEAVES, [GEO, MONTHS], "n")
    column = None
    if fixed is not None:
        lookup = fixed.set_index("geo")["status"]
        frame["fixed"] = [lookup.get(g) if p == "2025-01" else None for g, p in zip(frame["geo"], frame["periode"])]
        column = "fixed"
    return DisclosureTable("annee", frame, [GEO, MONTHS], "n", fixed_status_column=column)


def _joint_audit(monthly_result, yearly_result, yearly_table):
    extracts = [render_machine(monthly_result.table("janvier"), "n"), render_machine(yearly_result.table("annee"), "n")]
    return audit_published(extracts, [_monthly().manifest(), yearly_table.manifest()])


def test_yearly_protected_alone_leaks_a_cell_the_monthly_published():
    monthly = protect_tables(_monthly())
    january_totals = monthly.table("janvier").query("reseau == 'TOUS'").set_index("geo")["status"]
    assert january_totals["B1"] == STATUS_PUBLISHED  # the monthly published B1's January total (12)
    yearly = protect_tables(_yearly())
    year_b1 = yearly.table("annee").query("geo == 'B1'").set_index("periode")["status"]
    # Alone, the cheapest complement of B1's February (3) is B1's January (12)...
    assert year_b1["2025-02"] == STATUS_PRIMARY and year_b1["2025-01"] != STATUS_PUBLISHED
    # ...which the monthly extract printed: together they give February = year - 12.
    report = _joint_audit(monthly, yearly, _yearly())
    assert not report.passed
    assert "publiée dans une autre table" in set(report.failures["reason"])


def test_yearly_protected_with_the_monthly_statuses_fixed_passes_the_joint_audit():
    monthly = protect_tables(_monthly())
    fixed = monthly.table("janvier").query("reseau == 'TOUS'")[["geo", "status"]]
    table = _yearly(fixed)
    yearly = protect_tables(table)
    year = yearly.table("annee").set_index(["geo", "periode"])["status"]
    for geo, status in fixed.set_index("geo")["status"].items():
        assert (year[(geo, "2025-01")] == STATUS_PUBLISHED) == (status == STATUS_PUBLISHED)
    assert year[("B1", "2025-02")] == STATUS_PRIMARY
    report = _joint_audit(monthly, yearly, table)
    assert report.passed, report.summary()
    # B1's February is protected by hiding year totals instead: the interval reaches the threshold.
    row = report.cells[report.cells["cell"] == "n[geo=B1, periode=2025-02]"].iloc[0]
    assert row["upper"] >= 5 and row["upper"] - row["lower"] >= 5


def test_a_small_cell_whose_neighbours_are_all_public_already_is_refused():
    """Every cell around B1's February (3 people) was published by earlier extracts: it would be
    recomputable, so the engine refuses with an explanation instead of publishing the extract."""
    frame = build_margins(YEAR_LEAVES, [GEO, MONTHS], "n")
    frame["fixed"] = [None if (g, p) == ("B1", "2025-02") else STATUS_PUBLISHED
                      for g, p in zip(frame["geo"], frame["periode"])]
    table = DisclosureTable("annee", frame, [GEO, MONTHS], "n", fixed_status_column="fixed")
    with pytest.raises(DisclosureError, match="cannot protect"):
        protect_tables(table)
