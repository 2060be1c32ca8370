"""Hierarchies: bassin -> agency -> region, two non-nesting geographies, months -> year."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.publication import (
    STATUS_PRIMARY,
    STATUS_PUBLISHED,
    STATUS_SECONDARY,
    Dimension,
    DisclosureError,
    DisclosureTable,
    audit_problem,
    build_margins,
    build_problem,
    check_nesting,
    geography_dimension,
    protect_tables,
)
from sdc_helpers import hidden_cells, interval, status_of

AGENCIES = {"B1": "AG1", "B2": "AG1", "B3": "AG1", "B4": "AG2", "B5": "AG2", "B6": "AG3", "AG1": "R", "AG2": "R", "AG3": "R"}
COUNTS = {"B1": 3, "B2": 40, "B3": 25, "B4": 50, "B5": 60, "B6": 30}


def _geo_table(counts, hierarchy=AGENCIES, threshold=5):
    geo = Dimension.hierarchical("geo", hierarchy)
    leaf = pd.DataFrame({"geo": list(counts), "n": list(counts.values())})
    return DisclosureTable("geo", build_margins(leaf, [geo], "n"), [geo], "n", threshold=threshold)


def test_small_bassin_hides_its_cheapest_sibling_not_the_agency():
    """B1 = 3 in AG1 = B1 + B2 + B3 (68): the cheapest sibling able to absorb the movement, B3 (25),
    is hidden; the agency and region stay published and B1 lies anywhere in [0, 28]."""
    result = protect_tables(_geo_table(COUNTS))
    assert hidden_cells(result, "geo", ["geo"]) == {("B1",), ("B3",)}
    assert status_of(result, "geo", geo="B1") == STATUS_PRIMARY
    assert status_of(result, "geo", geo="B3") == STATUS_SECONDARY
    assert status_of(result, "geo", geo="AG1") == STATUS_PUBLISHED
    assert interval(result, "n[geo=B1]") == (0.0, 28.0)


def test_small_bassin_alone_in_its_agency_hides_the_agency_and_another_branch():
    """B6 is the only bassin of AG3, so AG3 = B6: the agency is hidden too, then the region relation
    needs another agency (AG1, the cheapest at 68) and that agency one of its bassins."""
    counts = dict(COUNTS, B1=30, B6=4)
    result = protect_tables(_geo_table(counts))
    hidden = hidden_cells(result, "geo", ["geo"])
    assert {("B6",), ("AG3",), ("AG1",)} <= hidden
    assert len(hidden & {("B1",), ("B2",), ("B3",)}) == 1
    assert status_of(result, "geo", geo="R") == STATUS_PUBLISHED
    lo, hi = interval(result, "n[geo=B6]")
    assert lo == 0.0 and hi >= 5


# Reference shaped like the Grand Est: the agency "Thionville/Longwy" spans Moselle (57) and
# Meurthe-et-Moselle (54), so agencies do not nest in départements.
REFERENCE = pd.DataFrame(
    {
        "bassin_code": ["B_THI", "B_LGW", "B_MTZ", "B_NCY", "B_LUN"],
        "agency_code": ["AG_THL", "AG_THL", "AG_MTZ", "AG_NCY", "AG_NCY"],
        "departement_code": ["D57", "D54", "D57", "D54", "D54"],
        "region_code": ["R44"] * 5,
    }
)


def test_agencies_spanning_departements_give_two_hierarchies():
    assert check_nesting(REFERENCE, "agency_code", "departement_code") == {"AG_THL": ["D54", "D57"]}
    geo = geography_dimension(REFERENCE)
    assert len(geo.hierarchies) == 2
    assert geo.hierarchies[0]["B_LGW"] == "AG_THL" and geo.hierarchies[1]["B_LGW"] == "D54"
    assert geo.total == "R44"
    # A nesting reference gives a single chain bassin -> agency -> département -> region.
    nested = REFERENCE.assign(agency_code=["AG_THI", "AG_LGW", "AG_MTZ", "AG_NCY", "AG_NCY"])
    chain = geography_dimension(nested)
    assert len(chain.hierarchies) == 1 and chain.hierarchies[0]["AG_LGW"] == "D54"


def test_colliding_codes_across_levels_are_refused():
    ref = REFERENCE.assign(departement_code=["B_THI", "D54", "B_THI", "D54", "D54"])
    with pytest.raises(DisclosureError, match="prefix"):
        geography_dimension(ref)


def test_departement_totals_leak_what_agency_only_suppression_hides():
    """Hiding B_LGW (small) with its agency sibling B_THI protects it inside AG_THL, but
    D54 = B_LGW + B_NCY + B_LUN is published with B_NCY and B_LUN: B_LGW is recomputed. The audit
    must use both hierarchies, and the engine must protect in both."""
    geo = geography_dimension(REFERENCE)
    leaf = pd.DataFrame({"geo": REFERENCE["bassin_code"], "n": [40, 3, 50, 60, 20]})
    table = DisclosureTable("g", build_margins(leaf, [geo], "n"), [geo], "n")
    problem = build_problem(table)
    naive = np.full(problem.n_cells, STATUS_PUBLISHED, dtype=object)
    naive[problem.cell_keys.index(("n", (("geo", "B_LGW"),)))] = STATUS_PRIMARY
    naive[problem.cell_keys.index(("n", (("geo", "B_THI"),)))] = STATUS_SECONDARY
    report = audit_problem(problem, naive)
    assert not report.passed
    assert interval(report, "n[geo=B_LGW]") == (3.0, 3.0)
    result = protect_tables(table)
    assert result.audit.passed
    lo, hi = interval(result, "n[geo=B_LGW]")
    assert lo == 0.0 and hi >= 5


MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]


def test_small_month_hides_another_month_not_the_year():
    """months -> year: March = 2 is hidden with the cheapest month able to compensate (Aug = 9)."""
    period = Dimension.hierarchical("periode", {m: "2025" for m in MONTHS})
    values = [20, 15, 2, 30, 18, 22, 25, 9, 40, 33, 28, 12]
    leaf = pd.DataFrame({"periode": MONTHS, "n": values})
    table = DisclosureTable("mois", build_margins(leaf, [period], "n"), [period], "n")
    result = protect_tables(table)
    assert hidden_cells(result, "mois", ["periode"]) == {("2025-03",), ("2025-08",)}
    assert status_of(result, "mois", periode="2025") == STATUS_PUBLISHED
    assert interval(result, "n[periode=2025-03]") == (0.0, 11.0)


def test_incomplete_frame_is_refused():
    """A frame without its aggregates would hide relations from the audit: refuse it."""
    period = Dimension.hierarchical("periode", {m: "2025" for m in MONTHS})
    leaf = pd.DataFrame({"periode": MONTHS, "n": range(12)})
    with pytest.raises(DisclosureError, match="no parent"):
        build_problem(DisclosureTable("x", leaf, [period], "n"))
    full = build_margins(leaf, [period], "n")
    full.loc[full["periode"] == "2025", "n"] += 1
    with pytest.raises(DisclosureError, match="do not hold"):
        build_problem(DisclosureTable("x", full, [period], "n"))
