"""Disclosure audit: what can an attacker deduce about each hidden cell from what is published?

The attacker knows every published value and every additive relation of the tables published
together (rows, columns, totals, hierarchies, months -> year, cells shared between tables), and
that counts are non-negative. For each hidden cell ``i`` the audit solves two linear programs with
HiGHS (``scipy.optimize.linprog(method="highs")``)::

    lower_i = min x_i    and    upper_i = max x_i
    subject to  A_H x_H = -A_P v_P   (every relation, published cells as constants)
                x_H >= 0

The hidden cells split into independent blocks (connected through relations that contain at least
two of them); each block is solved on its own, which keeps the programs small.

Protection rule (tau-ARGUS vocabulary: upper / lower / sliding protection levels)
-------------------------------------------------------------------------------
For a **primary** cell (a count ``v`` of people with ``v < t``, the table's threshold, or a cell
forced secret), with the feasible interval ``[lower, upper]``:

1. *upper protection*: ``upper >= t`` — the attacker cannot rule out that the cell reaches the
   publication threshold, i.e. cannot prove "fewer than t people" (UPL = t - v);
2. *sliding protection*: ``upper - lower >= W`` with ``W = t`` by default — the interval is at
   least as wide as the threshold, wherever it lies;
3. *lower protection* (optional, ``lower_margin = L > 0``): ``lower <= max(v - L, 0)``.

Rules 1 and 2 do not need the true value ``v``: an extract can be re-audited from its published
content and manifest alone (:func:`audit_published`). Rule 3 needs ``v`` and is off by default.

For a **secondary** cell: ``upper - lower >= secondary_min_width`` (default 1 for counts): no hidden
cell may be recomputed exactly, which is the brief's wording ("no hidden cell can be recomputed").

Limitations stated plainly: the audit is the continuous (LP) relaxation — an attacker who also
uses integrality of counts may narrow an interval by less than one unit at each end; and it
assumes the attacker does not exploit the fact that a primary cell is known to be below the
threshold (the usual tau-ARGUS/sdcTable attacker model).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from .lp import OBJECTIVE_SWEEP_OPTIONS, OPTIMAL, UNBOUNDED, WarmLP
from .disclosure_tables import DisclosureError, DisclosureTable, Dimension, JointProblem, build_problem

__all__ = [
    "STATUS_PUBLISHED",
    "STATUS_PRIMARY",
    "STATUS_SECONDARY",
    "HIDDEN_STATUSES",
    "ProtectionRule",
    "AuditReport",
    "compute_intervals",
    "audit_problem",
    "audit_published",
]

STATUS_PUBLISHED = "publie"
STATUS_PRIMARY = "secret_primaire"
STATUS_SECONDARY = "secret_secondaire"
HIDDEN_STATUSES = (STATUS_PRIMARY, STATUS_SECONDARY)
_TOL = 1e-6


@dataclass(frozen=True)
class ProtectionRule:
    """Protection required around hidden cells (see module docstring for the rationale).

    ``reach_threshold``: primary cells need ``upper >= threshold``.
    ``min_width``: sliding protection of primary cells; ``None`` means the cell's threshold.
    ``lower_margin``: if > 0, primary cells need ``lower <= max(value - lower_margin, 0)``.
    ``secondary_min_width``: minimum interval width of secondary cells (0 disables the check).
    """

    reach_threshold: bool = True
    min_width: float | None = None
    lower_margin: float = 0.0
    secondary_min_width: float = 1.0

    def requirements(self, values: np.ndarray, threshold: np.ndarray, primary: np.ndarray, hidden: np.ndarray):
        """Per cell: (need_upper, need_width, need_lower); -inf/0/+inf where nothing is required."""
        n = len(values)
        need_up = np.full(n, -np.inf)
        need_width = np.zeros(n)
        need_lo = np.full(n, np.inf)
        secondary = hidden & ~primary
        if self.reach_threshold:
            need_up[primary] = threshold[primary]
        need_width[primary] = threshold[primary] if self.min_width is None else self.min_width
        need_width[secondary] = self.secondary_min_width
        if self.lower_margin > 0:
            known = primary & ~np.isnan(values)
            need_lo[known] = np.maximum(values[known] - self.lower_margin, 0.0)
        return need_up, need_width, need_lo

    def as_dict(self) -> dict:
        return {
            "reach_threshold": self.reach_threshold,
            "min_width": self.min_width,
            "lower_margin": self.lower_margin,
            "secondary_min_width": self.secondary_min_width,
        }


def compute_intervals(
    A: sp.csr_matrix,
    values: np.ndarray,
    hidden: np.ndarray,
    targets: np.ndarray | None = None,
    force_linprog: bool = False,
    requirements: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Feasible interval of each target hidden cell given everything published (two LPs per cell).

    ``values`` only needs to be known on published cells (hidden ones may be NaN). Returns arrays
    ``(lower, upper)`` over all cells: published cells get their value, hidden cells outside
    ``targets`` get NaN, an unbounded maximum is ``inf``. ``force_linprog`` bypasses the
    warm-started model (:mod:`.lp`) and calls ``linprog`` for every program (slower, same result).

    ``requirements = (need_upper, need_width)`` switches to *certification* (used inside the
    suppression loop): a cell whose requirement is already met by feasible tables found while
    solving other cells gets no LP of its own, and its returned bounds are then inner bounds
    (true lower <= returned lower, true upper >= returned upper). Cells that fail are always solved
    exactly. The final audit never uses this mode.
    """
    n = A.shape[1]
    hidden = np.asarray(hidden, dtype=bool)
    H = np.flatnonzero(hidden)
    targets = H if targets is None else np.asarray(targets, dtype=np.int64)
    lower = np.where(hidden, np.nan, values)
    upper = lower.copy()
    if targets.size == 0:
        return lower, upper
    published = ~hidden
    if np.isnan(values[published]).any():
        raise DisclosureError("a published cell has no value")
    A = sp.csr_matrix(A)
    AH = A[:, H].tocsr()
    b = -(A[:, published] @ values[published])
    touched = np.diff(AH.indptr) > 0
    scale = np.maximum(1.0, abs(A[:, published]) @ values[published])
    if np.any(np.abs(b[~touched]) > 1e-6 * scale[~touched]):
        raise DisclosureError("published values do not satisfy the additive relations")
    AHt = AH[touched]
    bt = b[touched]
    nr = AHt.shape[0]
    pattern = (AHt != 0).astype(np.int8)
    graph = sp.bmat([[None, pattern], [pattern.T, None]], format="csr") if nr else sp.csr_matrix((len(H), len(H)))
    _, labels = connected_components(graph, directed=False)
    row_lab, col_lab = (labels[:nr], labels[nr:]) if nr else (np.array([], dtype=int), labels)
    pos = {int(h): k for k, h in enumerate(H)}
    target_cols = sorted({pos[int(t)] for t in targets if int(t) in pos})
    by_comp: dict[int, list[int]] = {}
    for k in target_cols:
        by_comp.setdefault(int(col_lab[k]), []).append(k)
    AHt_csc = AHt.tocsc()
    for comp, ks in sorted(by_comp.items()):
        cols = np.flatnonzero(col_lab == comp)
        rows = np.flatnonzero(row_lab == comp)
        if rows.size == 0:  # hidden cell in no relation: anything >= 0 is possible
            for k in ks:
                lower[H[k]], upper[H[k]] = 0.0, np.inf
            continue
        sub = AHt_csc[:, cols].tocsr()[rows]
        req = None if requirements is None else (requirements[0][H[ks]], requirements[1][H[ks]])
        lo_loc, hi_loc = _component_bounds(sub, bt[rows], [int(np.searchsorted(cols, k)) for k in ks], force_linprog, req)
        for k, lo_k, hi_k in zip(ks, lo_loc, hi_loc):
            lower[H[k]], upper[H[k]] = lo_k, hi_k
    return lower, upper


def _component_bounds(
    A_eq, b_eq, targets: list[int], force_linprog: bool = False, requirements=None
) -> tuple[list[float], list[float]]:
    """Min and max of each target variable over ``{x >= 0 : A_eq x = b_eq}`` (one block).

    All maxima are solved first on one warm-started model; every optimal solution is a feasible
    table, so a target that already took the value 0 in one of them has minimum 0 without an LP
    (most small cells), and only the other minima are solved. With ``requirements`` (certification
    mode, see :func:`compute_intervals`) a target already proved by those feasible tables is skipped.
    """
    n = A_eq.shape[1]
    lp = WarmLP(A_eq, b_eq, np.zeros(n), np.full(n, np.inf), force_linprog=force_linprog, options=OBJECTIVE_SWEEP_OPTIONS)
    seen_min = np.full(n, np.inf)
    seen_max = np.full(n, -np.inf)
    state = {"prev": None}

    def solve(j: int, sign: float) -> float:
        if state["prev"] is not None:
            lp.set_costs([state["prev"]], [0.0])
        lp.set_costs([j], [sign])
        state["prev"] = j
        status, obj, x = lp.solve()
        if status == UNBOUNDED and sign < 0:
            return np.inf
        if status != OPTIMAL:
            raise DisclosureError("audit LP failed; published data inconsistent with the relations?")
        np.minimum(seen_min, x, out=seen_min)
        np.maximum(seen_max, x, out=seen_max)
        return _snap(sign * obj)

    def proved(pos: int, j: int, hi_j: float, lo_j: float) -> bool:
        need_up, need_width = requirements[0][pos], requirements[1][pos]
        return hi_j >= need_up - 1e-9 and hi_j - lo_j >= need_width - 1e-9

    hi: list[float] = []
    exact_hi: list[bool] = []
    for pos, j in enumerate(targets):
        if requirements is not None and proved(pos, j, seen_max[j], seen_min[j]):
            hi.append(float(seen_max[j]))
            exact_hi.append(False)
            continue
        hi.append(solve(j, -1.0))
        exact_hi.append(True)
    lo: list[float] = []
    for pos, j in enumerate(targets):
        if seen_min[j] <= 1e-9:
            lo.append(0.0)
        elif requirements is not None and proved(pos, j, hi[pos], seen_min[j]):
            lo.append(float(seen_min[j]))
        else:
            lo.append(solve(j, 1.0))
    return lo, hi


def distinct_count_relations(A: sp.csr_matrix) -> tuple[sp.csr_matrix, int]:
    """The relations an attacker may use on counts of distinct people, as equalities with slacks.

    A person seen in two bassins counts once in their agency, so a published total is not the sum
    of its parts: it is at most their sum and at least the largest of them. Each relation
    ``parent - sum(children) = 0`` of ``A`` becomes ``parent - sum(children) + s = 0`` and, for each
    child, ``parent - child - t = 0``, with new variables ``s, t >= 0`` (always hidden, nothing
    required of them). Returns the new matrix (original cells first) and the number of slacks.
    """
    A = sp.csr_matrix(A)
    m, n = A.shape
    if m == 0:
        return A, 0
    parents, children = [], []
    for r in range(m):
        lo, hi = A.indptr[r], A.indptr[r + 1]
        cells, signs = A.indices[lo:hi], A.data[lo:hi]
        parent = cells[signs > 0][0]
        for child in cells[signs < 0]:
            parents.append(parent)
            children.append(child)
    k = len(parents)
    upper_slacks = sp.identity(m, format="csr")
    rows = np.arange(k)
    pairs = sp.csr_matrix((np.concatenate([np.ones(k), -np.ones(k)]),
                           (np.concatenate([rows, rows]), np.concatenate([parents, children]))), shape=(k, n))
    system = sp.bmat([[A, upper_slacks, None], [pairs, None, -sp.identity(k, format="csr")]], format="csr")
    return system, m + k


def _snap(val: float) -> float:
    r = round(val)
    return float(r) if abs(val - r) < 1e-7 else float(val)


@dataclass
class AuditReport:
    """Per-cell intervals and the verdict. ``cells`` has one row per cell of the joint problem."""

    cells: pd.DataFrame
    rule: ProtectionRule

    @property
    def passed(self) -> bool:
        return bool(self.cells["ok"].all())

    @property
    def failures(self) -> pd.DataFrame:
        return self.cells.loc[~self.cells["ok"]]

    @property
    def hidden(self) -> pd.DataFrame:
        return self.cells.loc[self.cells["status"] != STATUS_PUBLISHED]

    def summary(self) -> str:
        """One line for logs and asset-check metadata (French: it is read by the data team)."""
        n_hidden = len(self.hidden)
        if self.passed:
            return f"audit du secret statistique réussi : {n_hidden} cellules masquées, toutes protégées"
        f = self.failures
        return (
            f"audit du secret statistique en échec : {len(f)} cellule(s) insuffisamment protégée(s) "
            f"sur {n_hidden} masquées, ex. {f['cell'].iloc[0]} dans [{f['lower'].iloc[0]:g}, {f['upper'].iloc[0]:g}]"
        )


def audit_problem(
    problem: JointProblem,
    status: np.ndarray,
    rule: ProtectionRule = ProtectionRule(),
    known_published: np.ndarray | None = None,
) -> AuditReport:
    """Audit a joint problem whose cells carry a status (the engine's own proof step).

    ``known_published`` (standalone audit only) flags hidden cells whose value is nevertheless
    published elsewhere: they are failures by definition.
    """
    status = np.asarray(status, dtype=object)
    hidden = status != STATUS_PUBLISHED
    lower, upper = compute_intervals(problem.A, problem.values, hidden)
    return _report(problem, status, lower, upper, rule, known_published)


def _report(problem, status, lower, upper, rule, known_published=None) -> AuditReport:
    hidden = status != STATUS_PUBLISHED
    primary = status == STATUS_PRIMARY
    need_up, need_width, need_lo = rule.requirements(problem.values, problem.threshold, primary, hidden)
    width = upper - lower
    ok_up = ~(upper < need_up - _TOL)
    ok_width = ~(width < need_width - _TOL)
    ok_lo = ~(lower > need_lo + _TOL)
    ok = ~hidden | (ok_up & ok_width & ok_lo)
    reason = np.full(len(status), "", dtype=object)
    reason[hidden & ~ok_width] = "intervalle trop étroit"
    reason[hidden & ~ok_up] = "borne supérieure sous le seuil"
    reason[hidden & ~ok_lo] = "borne inférieure trop haute"
    reason[hidden & (width <= _TOL)] = "valeur recalculable"
    if known_published is not None and known_published.any():
        ok = ok & ~known_published
        reason[known_published] = "publiée dans une autre table"
    cells = pd.DataFrame(
        {
            "cell": [problem.key_label(i) for i in range(problem.n_cells)],
            "value": problem.values,
            "status": status,
            "threshold": problem.threshold,
            "lower": lower,
            "upper": upper,
            "width": width,
            "required_upper": np.where(hidden, need_up, np.nan),
            "required_width": np.where(hidden, need_width, np.nan),
            "ok": ok,
            "reason": reason,
        }
    )
    return AuditReport(cells, rule)


def audit_published(
    frames: pd.DataFrame | Sequence[pd.DataFrame],
    manifests: Mapping | Sequence[Mapping],
    rule: ProtectionRule | None = None,
    unknown_hidden_as: str = STATUS_PRIMARY,
    secret_marks: Sequence[str] = ("s",),
) -> AuditReport:
    """Re-audit published extracts from their content and manifest only (no confidential values).

    Each manifest (see :meth:`DisclosureTable.manifest`) holds ``name``, ``measure``, ``threshold``,
    ``dimensions`` (name + hierarchies as child -> parent maps + total, or name + categories +
    total), optionally ``measure_key``, ``status_column`` (default ``"status"``) and ``protection``
    (a :class:`ProtectionRule` as a dict). A cell is hidden when its status is not ``"publie"`` or
    its measure is missing or a secret mark (``"s"``). When an extract only carries ``"s"`` (no
    status column), hidden cells are audited as ``unknown_hidden_as`` — primary by default, the
    safe assumption. A manifest with ``"aggregation": "distinct"`` describes counts of distinct
    people, whose totals are not sums (see :func:`distinct_count_relations`).
    """
    frames = [frames] if isinstance(frames, pd.DataFrame) else list(frames)
    manifests = [manifests] if isinstance(manifests, Mapping) else list(manifests)
    if len(frames) != len(manifests):
        raise DisclosureError("one manifest per published frame is required")
    if rule is None:
        specs = {tuple(sorted(m.get("protection", {}).items())) for m in manifests}
        rule = ProtectionRule(**dict(specs.pop())) if len(specs) == 1 else ProtectionRule()
    tables, statuses = [], []
    for frame, m in zip(frames, manifests):
        dims = [Dimension.from_manifest(d) for d in m["dimensions"]]
        measure = m["measure"]
        df = frame.copy()
        raw = df[measure]
        marked = raw.astype(str).str.strip().isin(list(secret_marks)) | raw.isna()
        status_col = m.get("status_column", "status")
        if status_col in df.columns:
            st = df[status_col].astype(str).where(~marked | (df[status_col] != STATUS_PUBLISHED), unknown_hidden_as)
        else:
            st = pd.Series(np.where(marked, unknown_hidden_as, STATUS_PUBLISHED), index=df.index)
        hidden_rows = st != STATUS_PUBLISHED
        df[measure] = pd.to_numeric(raw.where(~hidden_rows), errors="coerce")
        tables.append(
            DisclosureTable(
                name=m["name"],
                frame=df,
                dimensions=dims,
                measure=measure,
                threshold=m.get("threshold", 5),
                zeros_sensitive=m.get("zeros_sensitive", False),
                measure_key=m.get("measure_key"),
                constant_coordinates=m.get("constant_coordinates"),
            )
        )
        statuses.append(st.to_numpy(dtype=object))
    aggregations = {m.get("aggregation", "sum") for m in manifests}
    if len(aggregations) > 1:
        raise DisclosureError("tables audited together must all be additive or all be distinct counts")
    distinct = aggregations == {"distinct"}
    problem = build_problem(tables, check_additivity=not distinct)
    n = problem.n_cells
    status = np.full(n, STATUS_PUBLISHED, dtype=object)
    hidden_somewhere = np.zeros(n, dtype=bool)
    for t, st in zip(tables, statuses):
        loc = problem.locations[t.name]
        hid = st != STATUS_PUBLISHED
        hidden_somewhere[loc[hid]] = True
        # primary wins over secondary when two tables disagree on a shared hidden cell
        for i, s in zip(loc[hid], st[hid]):
            if status[i] != STATUS_PRIMARY:
                status[i] = s
    known = ~np.isnan(problem.values)
    leaked = hidden_somewhere & known  # hidden in one extract, printed in another
    status[leaked] = np.where(status[leaked] == STATUS_PUBLISHED, STATUS_SECONDARY, status[leaked])
    hidden = status != STATUS_PUBLISHED
    values = np.where(hidden & ~leaked, np.nan, problem.values)
    # A leaked cell is known: audit it as published for the LP, then fail it explicitly.
    lp_hidden = hidden & ~leaked
    if distinct:
        A, extra = distinct_count_relations(problem.A)
        lower, upper = compute_intervals(A, np.concatenate([values, np.full(extra, np.nan)]),
                                         np.concatenate([lp_hidden, np.ones(extra, dtype=bool)]),
                                         targets=np.flatnonzero(lp_hidden))
        lower, upper = lower[:n], upper[:n]
    else:
        lower, upper = compute_intervals(problem.A, values, lp_hidden)
    lower[leaked] = upper[leaked] = problem.values[leaked]
    return _report(problem, status, lower, upper, rule, known_published=leaked)
