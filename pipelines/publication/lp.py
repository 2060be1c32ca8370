"""A small re-solvable LP over HiGHS, for the many closely related programs of the audit.

Why: the audit solves two LPs per hidden cell over the *same* constraints, only the objective
changes. ``scipy.optimize.linprog`` rebuilds and presolves the model every call (~15 ms for a
thousand hidden cells); keeping one HiGHS model and changing only costs/bounds lets the simplex
restart from the previous optimal basis, which is an order of magnitude faster. It uses the HiGHS
binding that ships inside SciPy (``scipy.optimize._highspy._core``, the engine behind
``linprog(method="highs")``). That module is private, so if it is missing or its API moves,
:class:`WarmLP` silently falls back to ``linprog(method="highs")`` with identical results.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

try:  # pragma: no cover - exercised implicitly; fallback tested via force_linprog
    from scipy.optimize._highspy import _core as _hc

    _HAVE_CORE = all(hasattr(_hc, n) for n in ("_Highs", "HighsLp", "MatrixFormat", "HighsModelStatus"))
except Exception:  # pragma: no cover
    _hc = None
    _HAVE_CORE = False

OPTIMAL, UNBOUNDED, INFEASIBLE = "optimal", "unbounded", "infeasible"

#: For a sequence of programs that differ only in their objective: the previous optimal basis stays
#: primal feasible, so the primal simplex restarts from it in a handful of iterations (measured:
#: ~2.5 ms instead of ~15 ms per program on a 1,300 x 1,200 block); unscaled, counts are well scaled.
OBJECTIVE_SWEEP_OPTIONS = {"simplex_strategy": 4, "simplex_scale_strategy": 0}


class WarmLP:
    """``min c @ x  s.t.  A_eq x = b_eq,  lower <= x <= upper``, re-solved after small changes."""

    def __init__(
        self,
        A_eq: sp.spmatrix,
        b_eq: np.ndarray,
        lower: np.ndarray,
        upper: np.ndarray,
        force_linprog: bool = False,
        options: dict | None = None,
    ):
        self.A = sp.csc_matrix(A_eq)
        self.A.sort_indices()
        self.b = np.asarray(b_eq, dtype=float)
        self.lower = np.asarray(lower, dtype=float).copy()
        self.upper = np.asarray(upper, dtype=float).copy()
        self.cost = np.zeros(self.A.shape[1])
        self.use_core = _HAVE_CORE and not force_linprog
        self.options = dict(options or {})
        if self.use_core:
            try:
                self._build()
            except Exception:  # pragma: no cover - private API changed
                self.use_core = False

    # -- HiGHS model kept in memory ------------------------------------------------------------
    def _build(self) -> None:
        m, n = self.A.shape
        h = _hc._Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("random_seed", 0)
        h.setOptionValue("threads", 1)
        for k, v in self.options.items():
            h.setOptionValue(k, v)
        lp = _hc.HighsLp()
        lp.num_col_, lp.num_row_ = n, m
        lp.col_cost_ = self.cost
        lp.col_lower_ = self.lower
        lp.col_upper_ = np.where(np.isinf(self.upper), h.getInfinity(), self.upper)
        lp.row_lower_ = self.b
        lp.row_upper_ = self.b
        lp.a_matrix_.format_ = _hc.MatrixFormat.kColwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n, m
        lp.a_matrix_.start_ = self.A.indptr.astype(np.int32)
        lp.a_matrix_.index_ = self.A.indices.astype(np.int32)
        lp.a_matrix_.value_ = self.A.data.astype(float)
        h.passModel(lp)
        self._h = h
        self._inf = h.getInfinity()

    def set_costs(self, idx: np.ndarray, values: np.ndarray) -> None:
        idx = np.asarray(idx, dtype=np.int32)
        values = np.asarray(values, dtype=float)
        self.cost[idx] = values
        if self.use_core and idx.size:
            self._h.changeColsCost(idx.size, idx, values)

    def set_bounds(self, idx: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        idx = np.asarray(idx, dtype=np.int32)
        self.lower[idx] = lower
        self.upper[idx] = upper
        if self.use_core and idx.size:
            up = np.where(np.isinf(self.upper[idx]), self._inf, self.upper[idx])
            self._h.changeColsBounds(idx.size, idx, self.lower[idx].copy(), up)

    def solve(self) -> tuple[str, float, np.ndarray | None]:
        """Return (status, objective, x); x is None unless optimal."""
        if self.use_core:
            h = self._h
            h.run()
            st = h.getModelStatus()
            S = _hc.HighsModelStatus
            if st == S.kOptimal:
                x = np.asarray(h.getSolution().col_value, dtype=float)
                return OPTIMAL, float(self.cost @ x), x
            if st in (S.kUnbounded, S.kUnboundedOrInfeasible):
                return UNBOUNDED, -np.inf, None
            if st == S.kInfeasible:
                return INFEASIBLE, np.nan, None
            # Anything else (time limit, numerical trouble): retry from scratch with linprog.
        bounds = np.column_stack([self.lower, np.where(np.isinf(self.upper), None, self.upper)])
        res = linprog(self.cost, A_eq=self.A, b_eq=self.b, bounds=bounds, method="highs")
        if res.status == 0:
            return OPTIMAL, float(res.fun), np.asarray(res.x)
        if res.status == 3:
            return UNBOUNDED, -np.inf, None
        return INFEASIBLE, np.nan, None
