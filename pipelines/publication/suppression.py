"""Primary and secondary cell suppression, proved by the LP audit.

Algorithm (deterministic, explainable, built for a few thousand cells):

0. **Primary suppression** — a count ``0 < v < threshold`` (or ``0 <= v`` when the table says zeros
   are sensitive), or a cell forced secret, is hidden with status ``secret_primaire``.
1. **Singleton closure** — a relation (``parent = sum of children``) with exactly one hidden cell
   gives it away by subtraction. For each such relation, in a fixed order, hide its cheapest other
   cell (cost = the count by default, floored at 1; non-zero cells are preferred because an empty
   cell cannot go down to compensate). Repeat to a fixed point. In a two-way table this builds the
   classic rectangle of four suppressions.
2. **LP audit** of the cells not yet proved safe (intervals, see :mod:`.audit`).
3. **Repair** — for each cell still insufficiently protected, solve one small LP that finds the
   cheapest *movement* able to shift it by the missing amount while every relation still holds::

       min  sum_j cost_j (u_j + w_j)          (hidden cells are nearly free)
       s.t. A (u - w) = 0,  u_i - w_i = delta,  0 <= w_j <= v_j,  u_j >= 0

   Every published cell the movement touches is hidden (``secret_secondaire``). Because
   ``v + u - w`` is then a table consistent with everything still published, the attacker's upper
   bound for the cell is at least ``v + delta``: the repair provably fixes that cell. This is the
   brief's "hide the cheapest published cell sharing a relation with it that widens its interval",
   generalised to the cheapest *set* of cells, because in 2-D and hierarchical tables a single extra
   cell only helps once the cycle through it is closed (the sdcTable counter-example in the tests).
4. Back to 1 until the audit passes. Hiding more cells only enlarges the attacker's feasible set,
   so a cell once proved safe stays safe; only new or failing cells are re-audited. A final full
   audit, from scratch, is the proof returned to the caller.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import linprog

from .audit import (
    STATUS_PRIMARY,
    STATUS_PUBLISHED,
    STATUS_SECONDARY,
    AuditReport,
    ProtectionRule,
    _report,
    compute_intervals,
)
from .disclosure_tables import DisclosureError, DisclosureTable, JointProblem, build_problem

__all__ = ["SuppressionResult", "primary_suppression", "singleton_closure", "protect_tables"]

_HIDDEN_COST = 1e-3  # moving an already hidden cell costs (almost) nothing
_MOVE_TOL = 1e-7


def primary_suppression(problem: JointProblem) -> np.ndarray:
    """Cells that may not be published on their own: small counts and forced secrets."""
    v = problem.values
    small = v < problem.threshold
    positive = (v > 0) | problem.zeros_sensitive
    return problem.forced_primary | (small & positive)


def _preference(problem: JointProblem) -> np.ndarray:
    """Rank of every cell as a complement candidate: non-zero first, then cheapest, then key order."""
    order = np.lexsort((np.arange(problem.n_cells), problem.cost, problem.values <= 0))
    rank = np.empty(problem.n_cells, dtype=np.int64)
    rank[order] = np.arange(problem.n_cells)
    return rank


def singleton_closure(problem: JointProblem, hidden: np.ndarray, rank: np.ndarray | None = None) -> list[int]:
    """Hide complements until no relation has exactly one hidden cell. Mutates ``hidden``.

    Returns the newly hidden cells, in the order they were hidden (for explanations).
    """
    rank = _preference(problem) if rank is None else rank
    A = problem.A
    counts = np.asarray(abs(A) @ hidden.astype(np.int64)).ravel()
    heap = [int(r) for r in np.flatnonzero(counts == 1)]
    heapq.heapify(heap)
    added: list[int] = []
    while heap:
        r = heapq.heappop(heap)
        members = problem.relation_members(r)
        hid = hidden[members]
        if hid.sum() != 1:
            continue
        cands = members[~hid]
        c = int(cands[np.argmin(rank[cands])])
        hidden[c] = True
        added.append(c)
        for r2 in problem.cell_relations(c):
            if hidden[problem.relation_members(r2)].sum() == 1:
                heapq.heappush(heap, int(r2))
    return added


class _Mover:
    """The repair LP of step 3, with the constraint matrix ``[A, -A]`` built once and reused."""

    def __init__(self, problem: JointProblem):
        self.problem = problem
        A = problem.A.tocsc()
        self.A_eq = sp.hstack([A, -A], format="csc")
        self.b_eq = np.zeros(A.shape[0])

    def move(self, i: int, delta: float, hidden: np.ndarray) -> np.ndarray:
        """Published cells to hide so that cell ``i`` can move by ``delta`` (up if > 0, down if < 0)."""
        p = self.problem
        n = p.n_cells
        cost = np.where(hidden, _HIDDEN_COST, p.cost)
        cost[i] = 0.0
        c = np.concatenate([cost, cost])
        up = np.stack([np.zeros(n), np.full(n, np.inf)], axis=1)
        down = np.stack([np.zeros(n), p.values.astype(float)], axis=1)
        if delta > 0:
            up[i] = (delta, delta)
            down[i] = (0.0, 0.0)
        else:
            up[i] = (0.0, 0.0)
            down[i] = (-delta, -delta)
        res = linprog(c, A_eq=self.A_eq, b_eq=self.b_eq, bounds=np.vstack([up, down]), method="highs")
        if res.status != 0:
            raise DisclosureError(
                f"cannot protect {p.key_label(i)}: no consistent movement of {delta:g} exists ({res.message})"
            )
        moved = (res.x[:n] > _MOVE_TOL) | (res.x[n:] > _MOVE_TOL)
        return np.flatnonzero(moved & ~hidden)


@dataclass
class SuppressionResult:
    """Outcome of :func:`protect_tables`: the status of every cell and the audit that proves it.

    Values are kept as they are; hidden cells are only *flagged* (``status``). Blanking happens
    when rendering an extract (:func:`pipelines.publication.disclosure.render_machine` /
    :func:`~pipelines.publication.disclosure.render_fr`).
    """

    problem: JointProblem
    status: np.ndarray
    audit: AuditReport
    rounds: int
    seconds: float
    log: list[str] = field(default_factory=list)

    def table(self, name: str, with_intervals: bool = False) -> pd.DataFrame:
        """The table's own frame plus a ``status`` column (and audit bounds if asked)."""
        t = next(t for t in self.problem.tables if t.name == name)
        loc = self.problem.locations[name]
        out = t.frame.copy()
        out["status"] = self.status[loc]
        if with_intervals:
            out["audit_lower"] = self.audit.cells["lower"].to_numpy()[loc]
            out["audit_upper"] = self.audit.cells["upper"].to_numpy()[loc]
        return out

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return {t.name: self.table(t.name) for t in self.problem.tables}

    @property
    def cells(self) -> pd.DataFrame:
        """Joint cells with value, status, interval and verdict (one row per distinct cell)."""
        return self.audit.cells

    def counts(self) -> dict[str, int]:
        s = pd.Series(self.status).value_counts()
        return {k: int(s.get(k, 0)) for k in (STATUS_PUBLISHED, STATUS_PRIMARY, STATUS_SECONDARY)}


def protect_tables(
    tables: DisclosureTable | Sequence[DisclosureTable],
    rule: ProtectionRule = ProtectionRule(),
    max_rounds: int = 50,
) -> SuppressionResult:
    """Apply primary and secondary suppression jointly to tables published together.

    Raises :class:`DisclosureError` if the tables are inconsistent or the audit cannot be made to
    pass (it always can when every cell may be hidden, so this signals a bug or impossible rule).
    """
    t0 = time.perf_counter()
    problem = build_problem(tables)
    if np.isnan(problem.values).any():
        raise DisclosureError("protect_tables needs every value (NaN found)")
    primary = primary_suppression(problem)
    hidden = primary.copy()
    rank = _preference(problem)
    log = [f"{int(primary.sum())} cellules en secret primaire sur {problem.n_cells}"]
    mover: _Mover | None = None
    proved = np.zeros(problem.n_cells, dtype=bool)
    status = np.where(primary, STATUS_PRIMARY, STATUS_PUBLISHED).astype(object)
    rounds = 0
    for rounds in range(1, max_rounds + 1):
        added = singleton_closure(problem, hidden, rank)
        if added:
            log.append(f"tour {rounds}: {len(added)} complément(s) par relation à une seule cellule masquée")
        status = np.where(primary, STATUS_PRIMARY, np.where(hidden, STATUS_SECONDARY, STATUS_PUBLISHED)).astype(object)
        targets = np.flatnonzero(hidden & ~proved)
        lower, upper = compute_intervals(problem.A, problem.values, hidden, targets)
        rep = _report(problem, status, lower, upper, rule)
        ok = rep.cells["ok"].to_numpy()
        proved[targets[ok[targets]]] = True
        failing = targets[~ok[targets]]
        if failing.size == 0:
            break
        log.append(f"tour {rounds}: {failing.size} cellule(s) insuffisamment protégée(s), réparation par LP")
        mover = mover or _Mover(problem)
        need_up, need_width, need_lo = rule.requirements(problem.values, problem.threshold, primary, hidden)
        for i in failing:
            i = int(i)
            v = problem.values[i]
            if lower[i] > need_lo[i] + 1e-9:
                hidden[mover.move(i, -(v - need_lo[i]), hidden)] = True
            target_up = max(need_up[i], lower[i] + need_width[i])
            if upper[i] < target_up - 1e-9:
                hidden[mover.move(i, target_up - v, hidden)] = True
    else:
        raise DisclosureError(f"secondary suppression did not converge in {max_rounds} rounds")
    status = np.where(primary, STATUS_PRIMARY, np.where(hidden, STATUS_SECONDARY, STATUS_PUBLISHED)).astype(object)
    # The proof: a fresh, complete audit of every hidden cell.
    lower, upper = compute_intervals(problem.A, problem.values, hidden)
    report = _report(problem, status, lower, upper, rule)
    if not report.passed:  # pragma: no cover - would be a bug in the repair step
        raise DisclosureError(report.summary())
    log.append(report.summary())
    return SuppressionResult(problem, status, report, rounds, time.perf_counter() - t0, log)
