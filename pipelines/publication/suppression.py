"""Primary and secondary cell suppression, proved by the LP audit.

Algorithm (deterministic, explainable, built for a few thousand cells):

0. **Primary suppression** — a count ``0 < v < threshold`` (or ``0 <= v`` when the table says zeros
   are sensitive), or a cell forced secret, is hidden with status ``secret_primaire``.
1. **Singleton closure** — a relation (``parent = sum of children``) with exactly one hidden cell
   gives it away by subtraction. For each such relation, in a fixed order, hide its cheapest other
   cell able to compensate (cost = the count by default, floored at 1; a sibling must be large
   enough to go down), counting in the cheapest cell needed to close any relation the candidate
   would then be alone in (one-step lookahead). Repeat to a fixed point. In a two-way table this builds the
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
Cells whose status an earlier publication already fixed (``fixed_status``, see
:class:`~.disclosure_tables.DisclosureTable`) take part as they are: a cell published elsewhere is
public, so it is never chosen as a complement and the repair may not move it; a cell hidden
elsewhere starts hidden and must end protected against *both* publications together.

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

from .audit import (
    STATUS_PRIMARY,
    STATUS_PUBLISHED,
    STATUS_SECONDARY,
    AuditReport,
    ProtectionRule,
    _report,
    compute_intervals,
)
from .lp import OPTIMAL, WarmLP
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


def singleton_closure(
    problem: JointProblem,
    hidden: np.ndarray,
    rank: np.ndarray | None = None,
    demand: np.ndarray | None = None,
    frozen: np.ndarray | None = None,
) -> list[int]:
    """Hide complements until no relation has exactly one hidden cell. Mutates ``hidden``.

    In a relation with a single hidden cell ``h``, the complement is the cheapest other cell that
    can *compensate* a movement of ``h`` by ``demand[h]`` (how far ``h`` must be able to rise):
    a cell on the other side of the equation (the parent of a hidden child, a child of a hidden
    parent) always can, as counts have no upper bound; a sibling must be able to go *down* by that
    much, so its count must be at least ``demand[h]``. Without a capable cell, the cheapest one is
    taken and the LP repair finishes the job. The chosen complement inherits the demand, since it
    must follow the same movement. ``frozen`` cells (published by an earlier publication) are never
    candidates. Returns the newly hidden cells in order (for explanations).
    """
    rank = _preference(problem) if rank is None else rank
    demand = np.zeros(problem.n_cells) if demand is None else demand
    frozen = np.zeros(problem.n_cells, dtype=bool) if frozen is None else frozen
    A = problem.A
    counts = np.asarray(abs(A) @ hidden.astype(np.int64)).ravel()
    heap = [int(r) for r in np.flatnonzero(counts == 1)]
    heapq.heapify(heap)
    added: list[int] = []
    values = problem.values
    while heap:
        r = heapq.heappop(heap)
        lo, hi = A.indptr[r], A.indptr[r + 1]
        members, signs = A.indices[lo:hi], A.data[lo:hi]
        hid = hidden[members]
        if hid.sum() != 1:
            continue
        h_pos = int(np.flatnonzero(hid)[0])
        h = int(members[h_pos])
        free = ~hid & ~frozen[members]
        if not free.any():
            continue  # only already-published cells around it: the LP repair will say it cannot be done
        cands = members[free]
        same_side = signs[free] == signs[h_pos]
        capable = ~same_side | (values[cands] >= demand[h])
        pool = cands[capable] if capable.any() else cands
        c = _cheapest_closure(problem, hidden, pool, r, rank)
        hidden[c] = True
        demand[c] = max(demand[c], demand[h])
        added.append(c)
        for r2 in problem.cell_relations(c):
            if hidden[problem.relation_members(r2)].sum() == 1:
                heapq.heappush(heap, int(r2))
    return added


def _cheapest_closure(problem: JointProblem, hidden: np.ndarray, pool: np.ndarray, current: int, rank: np.ndarray) -> int:
    """One-step lookahead: the candidate whose cost plus the cheapest cell closing each relation it
    would be alone in (hidden count 0 today) is the lowest; ties broken by preference rank.

    Without it the greedy picks a cell of 25 whose column then forces a cell of 2,020, instead of a
    cell of 40 closed by one of 45.
    """
    A, cost = problem.A, problem.cost
    best, best_key = -1, None
    for c in pool:
        c = int(c)
        extra = 0.0
        for r2 in problem.cell_relations(c):
            if r2 == current:
                continue
            members = A.indices[A.indptr[r2] : A.indptr[r2 + 1]]
            if hidden[members].any():
                continue
            others = members[members != c]
            extra += float(cost[others].min()) if others.size else 0.0
        key = (cost[c] + extra, rank[c])
        if best_key is None or key < best_key:
            best, best_key = c, key
    return best


class _Mover:
    """The repair LP of step 3.

    It is first solved on the cell's neighbourhood (cells at most ``hops`` relations away; cells
    outside are held fixed, so any solution is still a valid movement of the whole table), then on
    the whole table if no local movement exists. Repair cycles are local in practice (a rectangle,
    a cube, a sibling and its parent), and the local programs are ~10x smaller.
    """

    def __init__(self, problem: JointProblem, hops: int = 2, frozen: np.ndarray | None = None):
        self.problem = problem
        self.hops = hops
        # A cell published by an earlier publication cannot move: both its parts are bounded by 0.
        self.frozen = np.zeros(problem.n_cells, dtype=bool) if frozen is None else frozen
        self._full: WarmLP | None = None
        self._full_cost = np.zeros(2 * problem.n_cells)

    def _neighbourhood(self, i: int, hops: int) -> np.ndarray:
        p = self.problem
        cells = np.array([i])
        for _ in range(hops):
            rels = np.unique(p.AT[cells].indices)
            cells = np.unique(p.A[rels].indices)
        return cells

    def _upper(self, cols: np.ndarray) -> np.ndarray:
        """Bounds of the movement's (up, down) parts over ``cols``: frozen cells do not move."""
        up = np.where(self.frozen[cols], 0.0, np.inf)
        down = np.where(self.frozen[cols], 0.0, self.problem.values[cols].astype(float))
        return np.concatenate([up, down])

    def move(self, i: int, delta: float, hidden: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cells to hide so that cell ``i`` can move by ``delta`` (up if > 0, down if < 0).

        Returns ``(published cells to hide, movement vector over all cells)``.
        """
        p = self.problem
        cost = np.where(hidden, _HIDDEN_COST, p.cost)
        cost[i] = 0.0
        for hops in (self.hops, None):
            cols = np.arange(p.n_cells) if hops is None else self._neighbourhood(i, hops)
            k = int(np.searchsorted(cols, i))
            m = cols.size
            if hops is None:
                if self._full is None:
                    A = p.A.tocsc()
                    upper = self._upper(np.arange(m))
                    self._full = WarmLP(sp.hstack([A, -A], format="csc"), np.zeros(A.shape[0]), np.zeros(2 * m), upper)
                lp = self._full
                cc = np.concatenate([cost, cost])
                changed = np.flatnonzero(cc != self._full_cost)
                lp.set_costs(changed, cc[changed])
                self._full_cost = cc
            else:
                rows = np.unique(p.AT[cols].indices)
                A = p.A[rows][:, cols].tocsc()
                upper = self._upper(cols)
                lp = WarmLP(sp.hstack([A, -A], format="csc"), np.zeros(rows.size), np.zeros(2 * m), upper)
                lp.set_costs(np.arange(2 * m), np.concatenate([cost[cols], cost[cols]]))
            fix = (delta, 0.0) if delta > 0 else (0.0, -delta)
            lp.set_bounds([k, m + k], np.array(fix), np.array(fix))
            status, _, x = lp.solve()
            if hops is None:
                lp.set_bounds([k, m + k], np.zeros(2), np.array([np.inf, p.values[i]]))
            if status == OPTIMAL:
                d = np.zeros(p.n_cells)
                d[cols] = x[:m] - x[m:]
                d[np.abs(d) <= _MOVE_TOL] = 0.0
                return np.flatnonzero((d != 0) & ~hidden), d
        raise DisclosureError(f"cannot protect {p.key_label(i)}: no consistent movement of {delta:g} exists")


def _fixed_cells(problem: JointProblem, primary: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(frozen published cells, cells already hidden elsewhere, log lines) from the fixed statuses.

    A cell published earlier whose value is now below the threshold (a corrected file changed it)
    is hidden here like any small count: what was published cannot be taken back, but this
    publication must not repeat it.
    """
    n = problem.n_cells
    if problem.fixed_status is None:
        return np.zeros(n, dtype=bool), np.zeros(n, dtype=bool), []
    fixed = problem.fixed_status
    published = fixed == STATUS_PUBLISHED
    hidden = np.array([s is not None for s in fixed]) & ~published
    now_small = published & primary
    log = [f"{int(published.sum())} cellule(s) déjà publiée(s) et {int(hidden.sum())} déjà masquée(s) "
           "par une autre publication de la même période"]
    if now_small.any():
        log.append(f"{int(now_small.sum())} cellule(s) publiée(s) ailleurs désormais sous le seuil, masquée(s) ici")
    frozen = published & ~primary
    determined = _determined_by(problem, frozen, hidden | primary)
    if determined.any():
        log.append(f"{int(determined.sum())} cellule(s) déjà calculable(s) à partir des publications antérieures, publiée(s)")
    return frozen | determined, hidden, log


def _determined_by(problem: JointProblem, frozen: np.ndarray, secret: np.ndarray) -> np.ndarray:
    """Free cells that what is already public determines: the last unknown of a relation whose other
    cells are all published (repeated to a fixed point). Hiding them would protect nothing; a bassin
    whose months were all published has a public year total."""
    known = frozen.copy()
    determined = np.zeros(problem.n_cells, dtype=bool)
    A = abs(problem.A)
    while True:
        unknown_count = np.asarray(A @ (~known).astype(np.int64)).ravel()
        rows = np.flatnonzero(unknown_count == 1)
        new = set()
        for r in rows:
            members = problem.relation_members(int(r))
            last = int(members[~known[members]][0])
            if not secret[last]:
                new.add(last)
        if not new:
            return determined
        new_cells = np.fromiter(new, dtype=np.int64)
        known[new_cells] = True
        determined[new_cells] = True


def _widen(mover: _Mover, i: int, v: float, target_up: float, need_up: float, need_width: float,
           hidden: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cells to hide so that cell ``i``'s interval becomes wide enough.

    First try to lift it to ``target_up`` (its current lower bound plus the width). When it cannot
    rise that far (cells around it are already public, e.g. published by another extract), prove
    the width with two movements instead: up to the required upper bound only, and down far
    enough below it. Both feasible tables then exist once their cells are hidden.
    """
    try:
        return mover.move(i, target_up - v, hidden)
    except DisclosureError:
        up_to = max(need_up, v)
        down_to = up_to - need_width
        if down_to < -1e-9:
            raise
        cells_up, d_up = mover.move(i, up_to - v, hidden) if up_to > v + 1e-9 else (np.array([], dtype=np.int64), np.zeros(len(hidden)))
        with_up = hidden.copy()
        with_up[cells_up] = True
        cells_down, _ = mover.move(i, down_to - v, with_up) if down_to < v - 1e-9 else (np.array([], dtype=np.int64), None)
        return np.union1d(cells_up, cells_down).astype(np.int64), d_up


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
    frozen, hidden_before, log_fixed = _fixed_cells(problem, primary)
    if problem.fixed_status is not None:
        primary |= problem.fixed_status == STATUS_PRIMARY  # a primary secret elsewhere keeps its rule
    hidden = primary | hidden_before
    rank = _preference(problem)
    # How far each primary cell must be able to rise if its lower bound reaches 0 (see ProtectionRule).
    need_up0, need_width0, _ = rule.requirements(problem.values, problem.threshold, primary, primary)
    demand = np.where(primary, np.maximum(np.maximum(need_up0, need_width0) - problem.values, 1.0), 0.0)
    log = [f"{int(primary.sum())} cellules en secret primaire sur {problem.n_cells}", *log_fixed]
    mover: _Mover | None = None
    proved = np.zeros(problem.n_cells, dtype=bool)
    status = np.where(primary, STATUS_PRIMARY, STATUS_PUBLISHED).astype(object)
    rounds = 0
    for rounds in range(1, max_rounds + 1):
        added = singleton_closure(problem, hidden, rank, demand, frozen)
        if added:
            log.append(f"tour {rounds}: {len(added)} complément(s) par relation à une seule cellule masquée")
        status = np.where(primary, STATUS_PRIMARY, np.where(hidden, STATUS_SECONDARY, STATUS_PUBLISHED)).astype(object)
        targets = np.flatnonzero(hidden & ~proved)
        need_up, need_width, need_lo = rule.requirements(problem.values, problem.threshold, primary, hidden)
        need_cert = np.where(np.isfinite(need_lo), np.inf, need_up)  # lower protection: always solve exactly
        lower, upper = compute_intervals(problem.A, problem.values, hidden, targets, requirements=(need_cert, need_width))
        rep = _report(problem, status, lower, upper, rule)
        ok = rep.cells["ok"].to_numpy()
        proved[targets[ok[targets]]] = True
        failing = targets[~ok[targets]]
        if failing.size == 0:
            break
        log.append(f"tour {rounds}: {failing.size} cellule(s) insuffisamment protégée(s), réparation par LP")
        mover = mover or _Mover(problem, frozen=frozen)
        moves: list[np.ndarray] = []  # movements found this round: each is a feasible table shift
        for i in failing:
            i = int(i)
            v = problem.values[i]
            if lower[i] > need_lo[i] + 1e-9:
                cells, d = mover.move(i, -(v - need_lo[i]), hidden)
                hidden[cells] = True
                moves.append(d)
            target_up = max(need_up[i], lower[i] + need_width[i])
            # An earlier movement of this round that already lifts cell i far enough proves it.
            if upper[i] < target_up - 1e-9 and not any(v + d[i] >= target_up - 1e-9 for d in moves):
                cells, d = _widen(mover, i, v, target_up, need_up[i], need_width[i], hidden)
                hidden[cells] = True
                moves.append(d)
    else:
        raise DisclosureError(f"secondary suppression did not converge in {max_rounds} rounds")
    status = np.where(primary, STATUS_PRIMARY, np.where(hidden, STATUS_SECONDARY, STATUS_PUBLISHED)).astype(object)
    t_loop = time.perf_counter() - t0
    # The proof: a fresh, complete and exact audit of every hidden cell.
    lower, upper = compute_intervals(problem.A, problem.values, hidden)
    report = _report(problem, status, lower, upper, rule)
    log.append(f"durée : suppression {t_loop:.1f} s, audit final {time.perf_counter() - t0 - t_loop:.1f} s")
    if not report.passed:  # pragma: no cover - would be a bug in the repair step
        raise DisclosureError(report.summary())
    log.append(report.summary())
    return SuppressionResult(problem, status, report, rounds, time.perf_counter() - t0, log)
