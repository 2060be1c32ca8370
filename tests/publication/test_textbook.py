"""Textbook cases of secondary cell suppression, with the source of each case."""

from __future__ import annotations

import numpy as np

from pipelines.publication import (
    STATUS_PRIMARY,
    STATUS_PUBLISHED,
    STATUS_SECONDARY,
    audit_problem,
    build_problem,
    compute_intervals,
    protect_tables,
)
from sdc_helpers import grid_table, hidden_cells, interval

# sdcTable (R package, sdcTools/sdcTable), tests/testthat/test-simpleheuristic.R: a 4 x 4 table
# with 9 cells suppressed, at least two in every row and column, where cell (w, b) can still be
# recomputed exactly: rows w + x minus columns a + c isolate it (value 47). The suppressed cells
# form two disjoint 4-cycles {w,x}x{a,c} and {y,z}x{b,d} joined by the single "bridge" (w, b) —
# the classic counter-example to "two suppressions per line are enough" (Cox 1980, JASA 75;
# Hundepool et al. 2012, Statistical Disclosure Control, ch. 4).
SDCTABLE_INNER = {
    ("w", "a"): 30, ("w", "b"): 47, ("w", "c"): 64, ("w", "d"): 89,
    ("x", "a"): 90, ("x", "b"): 124, ("x", "c"): 5, ("x", "d"): 31,
    ("y", "a"): 92, ("y", "b"): 100, ("y", "c"): 59, ("y", "d"): 85,
    ("z", "a"): 800, ("z", "b"): 991, ("z", "c"): 651, ("z", "d"): 685,
}  # fmt: skip
SDCTABLE_SUPPRESSED = {("w", "a"), ("w", "b"), ("w", "c"), ("x", "a"), ("x", "c"), ("y", "b"), ("y", "d"), ("z", "b"), ("z", "d")}


def _sdctable_case():
    table = grid_table(SDCTABLE_INNER, forced_primary_column="forced")
    table.frame["forced"] = [(r, c) in SDCTABLE_SUPPRESSED for r, c in zip(table.frame["r"], table.frame["c"])]
    return table


def test_audit_detects_the_bridge_cell_that_two_per_line_does_not_protect():
    """sdcTable's counter-example: the audit must find (w, b) = 47 exactly, and nothing else exact."""
    problem = build_problem(_sdctable_case())
    status = np.where(problem.forced_primary, STATUS_PRIMARY, STATUS_PUBLISHED)
    report = audit_problem(problem, status)
    assert not report.passed
    failures = report.failures
    assert list(failures["cell"]) == ["n[c=b, r=w]"]
    assert interval(report, "n[c=b, r=w]") == (47.0, 47.0)
    assert failures["reason"].iloc[0] == "valeur recalculable"
    # The two 4-cycles are genuinely free: e.g. (x, c) can go from 0 to 69.
    assert interval(report, "n[c=c, r=x]") == (0.0, 69.0)


def test_audit_matches_sdctable_attack_after_its_fix():
    """sdcTable's own fix hides (x, b); its attack() then reports (w, b) in [0, 141]. Ours agrees."""
    problem = build_problem(_sdctable_case())
    status = np.where(problem.forced_primary, STATUS_PRIMARY, STATUS_PUBLISHED).astype(object)
    status[problem.cell_keys.index(("n", (("c", "b"), ("r", "x"))))] = STATUS_SECONDARY
    report = audit_problem(problem, status)
    assert report.passed
    assert interval(report, "n[c=b, r=w]") == (0.0, 141.0)


def test_secondary_suppression_repairs_the_bridge_with_the_cheapest_cell():
    """Our repair closes a cycle through (w, b) at the lowest cost: (x, d) = 31 (sdcTable: (x, b) = 124).

    Cycle: (w,b)+ (y,b)- (y,d)+ (x,d)- (x,a)+ (w,a)-, every other cell of it already hidden.
    """
    result = protect_tables(_sdctable_case())
    assert result.audit.passed
    assert hidden_cells(result, "t", ["r", "c"]) == SDCTABLE_SUPPRESSED | {("x", "d")}
    assert result.counts() == {STATUS_PUBLISHED: 15, STATUS_PRIMARY: 9, STATUS_SECONDARY: 1}
    assert interval(result, "n[c=b, r=w]") == (0.0, 78.0)
    assert interval(result, "n[c=d, r=x]") == (0.0, 78.0)


# Hundepool et al. (2012), Statistical Disclosure Control, §4.3 ("secondary cell suppression"):
# in a two-way table with published margins, one sensitive cell needs three complementary
# suppressions forming a rectangle (two rows x two columns); the cheapest rectangle is chosen.
RECTANGLE_INNER = {
    ("x", "a"): 2, ("x", "b"): 40, ("x", "c"): 25,
    ("y", "a"): 30, ("y", "b"): 45, ("y", "c"): 20,
    ("z", "a"): 35, ("z", "b"): 50, ("z", "c"): 60,
}  # fmt: skip


def test_one_sensitive_cell_needs_a_rectangle_of_four():
    """x|a = 2 < 5: hidden with x|c (25), y|a (30), y|c (20), the cheapest rectangle; margins kept."""
    result = protect_tables(grid_table(RECTANGLE_INNER))
    assert hidden_cells(result, "t", ["r", "c"]) == {("x", "a"), ("x", "c"), ("y", "a"), ("y", "c")}
    t = result.table("t")
    assert (t.loc[(t["r"] == "T") | (t["c"] == "T"), "status"] == STATUS_PUBLISHED).all()
    # x|a + x|c = 27, x|a + y|a = 32, y|a + y|c = 50: x|a can be anything in [0, 27].
    assert interval(result, "n[c=a, r=x]") == (0.0, 27.0)
    assert interval(result, "n[c=a, r=y]") == (5.0, 32.0)
    assert interval(result, "n[c=c, r=y]") == (18.0, 45.0)


def test_two_small_cells_in_one_row_are_not_protected_by_each_other():
    """Two primaries 1 and 2 in the same row hide each other from the row but their sum (3) is
    published indirectly: both intervals are [0, 3], below the threshold. The engine must add
    cells (the "singleton"/sum problem of the tau-ARGUS manual, §2.3 on frequency tables)."""
    inner = {("x", "a"): 1, ("x", "b"): 2, ("x", "c"): 40, ("y", "a"): 30, ("y", "b"): 35, ("y", "c"): 50}
    table = grid_table(inner)
    problem = build_problem(table)
    naive = np.full(problem.n_cells, STATUS_PUBLISHED, dtype=object)
    for key in [("n", (("c", "a"), ("r", "x"))), ("n", (("c", "b"), ("r", "x"))), ("n", (("c", "a"), ("r", "y"))), ("n", (("c", "b"), ("r", "y")))]:
        naive[problem.cell_keys.index(key)] = STATUS_PRIMARY if key[1][1] == ("r", "x") else STATUS_SECONDARY
    lower, upper = compute_intervals(problem.A, problem.values, naive != STATUS_PUBLISHED)
    i = problem.cell_keys.index(("n", (("c", "a"), ("r", "x"))))
    assert (lower[i], upper[i]) == (0.0, 3.0)
    assert not audit_problem(problem, naive).passed
    result = protect_tables(table)
    assert result.audit.passed
    lo, hi = interval(result, "n[c=a, r=x]")
    assert hi >= 5 and hi - lo >= 5
