"""Data model of the disclosure control engine: dimensions, tables and the joint additive problem.

Representation chosen (one for every table the publication pipeline hands over):

* A table is a pandas DataFrame in **long format**: one row per published cell, one column per
  dimension, one count column (the *measure*). The frame holds rows at **every level** of every
  dimension — leaves and aggregates, all in the same dimension column (e.g. column ``geo`` holds
  bassin codes, agency codes, département codes and the region code). The level of a row is not a
  separate column: it is implied by the code, so codes must be unique across the levels of one
  dimension (prefix them, e.g. ``B01`` / ``AG03`` / ``D57`` / ``R44``, since bassin ``08`` and
  département ``08`` would otherwise collide). :func:`build_margins` builds such a frame from a
  leaf-level frame by summing, so callers rarely assemble aggregates themselves.
* A :class:`Dimension` is described by one or more **hierarchies**, each a ``child -> parent``
  mapping. A flat dimension (sex, age band) is a one-level hierarchy ``category -> TOTAL``.
  Several hierarchies over the same leaves are allowed and are all enforced: the agency and
  département partitions of the 43 bassins do not nest (the agency "Thionville/Longwy" spans the
  Moselle and the Meurthe-et-Moselle), so the geography is *two* hierarchies,
  ``bassin -> agency -> region`` and ``bassin -> département -> region``
  (see :func:`geography_dimension`, which decides it from the reference data).
* The **additive relations** are derived, not declared: for every dimension ``d``, every
  hierarchy of ``d`` and every parent ``p`` in it, and every combination of the other dimensions'
  codes present in the frame, ``cell(p, rest) = sum(cell(c, rest) for c in children(p))``.
  They are stored as one sparse matrix ``A`` with ``A @ x = 0`` (``+1`` on the parent, ``-1`` on the
  children), which both the suppression and the LP audit reuse.
* Tables published together form **one joint problem**: a cell is identified by its measure key and
  its *non-total* coordinates, so ``(geo=B01, sexe=TOTAL)`` in a bassin x sex table and
  ``(geo=B01, age=TOTAL)`` in a bassin x age table are the same variable. Otherwise an attacker
  could combine the two tables through their shared margin (see the tests).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = [
    "DisclosureError",
    "Dimension",
    "DisclosureTable",
    "JointProblem",
    "build_margins",
    "build_problem",
    "check_nesting",
    "geography_dimension",
]

_ABS_TOL = 1e-6


class DisclosureError(ValueError):
    """A table cannot be protected or audited as described (bad structure, inconsistent data)."""


class Dimension:
    """One classification variable of a table and its additive structure.

    ``hierarchies`` is a list of ``child -> parent`` mappings over the same leaves. ``total`` is the
    code meaning "all categories" (the common root). It is what makes cells of different tables
    comparable: a coordinate at the total is dropped from the cell identity, so the bassin totals of
    a bassin x sex table and of a bassin x age table are recognised as the same cells.
    """

    def __init__(self, name: str, hierarchies: Sequence[Mapping[str, str]], total: str | None = None):
        if not hierarchies:
            raise DisclosureError(f"dimension {name!r}: at least one hierarchy is required")
        self.name = str(name)
        self.hierarchies: tuple[dict[str, str], ...] = tuple(
            {str(c): str(p) for c, p in h.items()} for h in hierarchies
        )
        for h in self.hierarchies:
            _check_acyclic(self.name, h)
        # Parent -> sorted children, per hierarchy.
        self.children: tuple[dict[str, tuple[str, ...]], ...] = tuple(_invert(h) for h in self.hierarchies)
        leaf_sets = [set(h) - set(h.values()) for h in self.hierarchies]
        if any(ls != leaf_sets[0] for ls in leaf_sets[1:]):
            raise DisclosureError(
                f"dimension {self.name!r}: every hierarchy must cover the same leaves "
                f"(differences: {sorted(set.union(*leaf_sets) - set.intersection(*leaf_sets))[:10]})"
            )
        parents = set().union(*(set(h.values()) for h in self.hierarchies))
        all_children = set().union(*(set(h) for h in self.hierarchies))
        self.leaves: tuple[str, ...] = tuple(sorted(leaf_sets[0]))
        if any(p in leaf_sets[0] for p in parents):
            raise DisclosureError(f"dimension {self.name!r}: a code is a leaf in one hierarchy, a parent in another")
        self.codes: tuple[str, ...] = tuple(sorted(all_children | parents))
        roots = sorted(parents - all_children)
        if total is None:
            total = roots[0] if len(roots) == 1 else None
        elif str(total) not in roots:
            raise DisclosureError(f"dimension {self.name!r}: total {total!r} is not the root of its hierarchies {roots}")
        self.total: str | None = None if total is None else str(total)
        self._ancestors: dict[str, tuple[str, ...]] = {}

    # -- constructors -----------------------------------------------------------------------
    @classmethod
    def flat(cls, name: str, categories: Iterable[str], total: str = "TOTAL") -> Dimension:
        """A flat classification (sex, age band): every category adds up to ``total``."""
        cats = [str(c) for c in categories]
        if str(total) in cats:
            raise DisclosureError(f"dimension {name!r}: the total code {total!r} is also a category")
        return cls(name, [{c: str(total) for c in cats}], total=total)

    @classmethod
    def hierarchical(cls, name: str, *child_to_parent: Mapping[str, str], total: str | None = None) -> Dimension:
        """A dimension with one or more hierarchies, each a ``child -> parent`` map (all levels)."""
        return cls(name, list(child_to_parent), total=total)

    @classmethod
    def from_manifest(cls, spec: Mapping) -> Dimension:
        """Rebuild a dimension from its manifest entry (see :meth:`to_manifest`)."""
        if "hierarchies" in spec:
            return cls(spec["name"], spec["hierarchies"], total=spec.get("total"))
        return cls.flat(spec["name"], spec["categories"], total=spec.get("total", "TOTAL"))

    def to_manifest(self) -> dict:
        """JSON-able description stored in an extract manifest, enough to audit the extract."""
        return {"name": self.name, "hierarchies": [dict(h) for h in self.hierarchies], "total": self.total}

    # -- queries ----------------------------------------------------------------------------
    def ancestors(self, code: str) -> tuple[str, ...]:
        """Every code above ``code`` in any hierarchy (deduplicated, sorted)."""
        code = str(code)
        if code not in self._ancestors:
            found: set[str] = set()
            for h in self.hierarchies:
                c = code
                while c in h:
                    c = h[c]
                    found.add(c)
            self._ancestors[code] = tuple(sorted(found))
        return self._ancestors[code]

    def level_of(self, code: str) -> int:
        """Depth below the root (0 = root/total, larger = finer), the longest path in any hierarchy."""
        depth = 0
        for h in self.hierarchies:
            d, c = 0, str(code)
            while c in h:
                c, d = h[c], d + 1
            depth = max(depth, d)
        return depth

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Dimension({self.name!r}, {len(self.codes)} codes, {len(self.hierarchies)} hierarchies, total={self.total!r})"


def _invert(h: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for c, p in h.items():
        out.setdefault(p, []).append(c)
    return {p: tuple(sorted(cs)) for p, cs in sorted(out.items())}


def _check_acyclic(name: str, h: Mapping[str, str]) -> None:
    for start in h:
        seen, c = {start}, start
        while c in h:
            c = h[c]
            if c in seen:
                raise DisclosureError(f"dimension {name!r}: cycle in hierarchy at {start!r}")
            seen.add(c)


@dataclass
class DisclosureTable:
    """One table to publish, with its disclosure parameters.

    ``frame`` is long-format (see module docstring) and must hold every level of every dimension.
    ``threshold`` is the minimum count of people that may be published (11 for PSAD data about
    minors, 5 elsewhere, per the brief). ``zeros_sensitive`` is False by default: a true zero is
    published (French practice; an empty cell reveals nothing about a person), set it to True for
    tables where "nobody in this group" is itself sensitive. ``cost_column`` optionally names a
    column with the information-loss weight of hiding each cell (default: the count, floored at 1).
    ``forced_primary_column`` optionally names a boolean column of cells that must be hidden
    whatever their value (manual confidentiality, dominance rules computed upstream).
    ``measure_key`` identifies *what* is counted when joining tables: two tables share cells only if
    their measure keys are equal (default: the measure column name).
    ``constant_coordinates`` names coordinates every cell of the table shares without a dimension
    column (e.g. ``{"periode": "2025-03"}`` for a monthly table): they join its cells to the same
    cells of a table where they do vary (the months of a yearly table).
    ``fixed_status_column`` optionally names a column holding a status already given to a cell by
    an earlier publication (``publie``, ``secret_primaire``, ``secret_secondaire``; empty = free):
    what was published stays published (it is public), what was hidden stays hidden.
    """

    name: str
    frame: pd.DataFrame
    dimensions: Sequence[Dimension]
    measure: str
    threshold: float = 5
    zeros_sensitive: bool = False
    cost_column: str | None = None
    forced_primary_column: str | None = None
    measure_key: str | None = None
    constant_coordinates: Mapping[str, str] | None = None
    fixed_status_column: str | None = None

    def __post_init__(self) -> None:
        self.dimensions = tuple(self.dimensions)
        names = [d.name for d in self.dimensions]
        if len(set(names)) != len(names):
            raise DisclosureError(f"table {self.name!r}: duplicate dimension names {names}")
        missing = [c for c in [*names, self.measure] if c not in self.frame.columns]
        if missing:
            raise DisclosureError(f"table {self.name!r}: missing columns {missing}")
        if self.measure_key is None:
            self.measure_key = self.measure
        self.constant_coordinates = {str(k): str(v) for k, v in (self.constant_coordinates or {}).items()}
        clash = set(self.constant_coordinates) & set(names)
        if clash:
            raise DisclosureError(f"table {self.name!r}: {sorted(clash)} both constant and a dimension")
        frame = self.frame.reset_index(drop=True).copy()
        for d in self.dimensions:
            frame[d.name] = frame[d.name].astype(str)
            unknown = sorted(set(frame[d.name]) - set(d.codes))
            if unknown:
                raise DisclosureError(f"table {self.name!r}: unknown codes in {d.name!r}: {unknown[:10]}")
        dup = frame.duplicated(subset=names)
        if dup.any():
            raise DisclosureError(f"table {self.name!r}: {int(dup.sum())} duplicated cells, e.g. {frame.loc[dup, names].iloc[0].to_dict()}")
        self.frame = frame

    @property
    def dimension_names(self) -> list[str]:
        return [d.name for d in self.dimensions]

    def manifest(self, status_column: str = "status", rule=None) -> dict:
        """The structure an extract manifest must carry for :func:`audit_published` to re-check it.

        ``rule`` (a :class:`~pipelines.publication.audit.ProtectionRule`) is recorded when the
        extract was protected with a non-default rule, so the re-audit applies the same one.
        """
        out = {
            "name": self.name,
            "measure": self.measure,
            "measure_key": self.measure_key,
            "threshold": self.threshold,
            "zeros_sensitive": self.zeros_sensitive,
            "status_column": status_column,
            "dimensions": [d.to_manifest() for d in self.dimensions],
        }
        if self.constant_coordinates:
            out["constant_coordinates"] = dict(self.constant_coordinates)
        if rule is not None:
            out["protection"] = rule.as_dict()
        return out


def build_margins(
    leaf_frame: pd.DataFrame,
    dimensions: Sequence[Dimension],
    measures: str | Sequence[str],
    complete: bool = True,
) -> pd.DataFrame:
    """Build the full long-format frame (leaves + every aggregate) from leaf-level counts by summing.

    ``complete=True`` first fills missing leaf combinations with 0: a combination absent from the
    data is a true zero, and the additive relations need every child cell to exist. Aggregates are
    sums over the leaves (never over intermediate levels), so they are exact whatever the number of
    hierarchies.
    """
    measures = [measures] if isinstance(measures, str) else list(measures)
    names = [d.name for d in dimensions]
    df = leaf_frame[names + measures].copy()
    for d in dimensions:
        df[d.name] = df[d.name].astype(str)
        bad = sorted(set(df[d.name]) - set(d.leaves))
        if bad:
            raise DisclosureError(f"build_margins: {d.name!r} codes are not leaves: {bad[:10]}")
    df = df.groupby(names, as_index=False, sort=True)[measures].sum()
    if complete:
        if len(dimensions) == 1:  # a one-level MultiIndex would not align with a plain Index
            grid = pd.Index(list(dimensions[0].leaves), name=names[0])
        else:
            grid = pd.MultiIndex.from_product([list(d.leaves) for d in dimensions], names=names)
        df = df.set_index(names if len(names) > 1 else names[0]).reindex(grid, fill_value=0).reset_index()
    for d in dimensions:
        up = {c: [c, *d.ancestors(c)] for c in d.leaves}
        df[d.name] = df[d.name].map(up)
        df = df.explode(d.name)
    out = df.groupby(names, as_index=False, sort=True)[measures].sum()
    return out.reset_index(drop=True)


def check_nesting(reference: pd.DataFrame, fine: str, coarse: str) -> dict[str, list[str]]:
    """Codes of ``fine`` that span several ``coarse`` codes in the reference (empty dict = nests).

    Example: ``check_nesting(ref_bassins, "agency_code", "departement_code")`` lists the agencies
    whose bassins lie in more than one département; if any, agency and département cannot be one
    chain bassin -> agency -> département.
    """
    pairs = reference[[fine, coarse]].dropna().astype(str).drop_duplicates()
    multi = pairs.groupby(fine)[coarse].agg(lambda s: sorted(set(s)))
    return {k: v for k, v in multi.items() if len(v) > 1}


def geography_dimension(
    reference: pd.DataFrame,
    name: str = "geo",
    leaf: str = "bassin_code",
    levels: Sequence[str] = ("agency_code", "departement_code"),
    root: str = "region_code",
) -> Dimension:
    """Build the geography dimension from the bassin reference (one row per bassin).

    Levels are given finest-first. A level is chained under the previous one only when the previous
    one nests in it (checked with :func:`check_nesting`); otherwise it starts a separate hierarchy
    from the leaves. For the Grand Est agencies and départements this yields two hierarchies,
    ``bassin -> agency -> region`` and ``bassin -> département -> region``, both enforced.
    Codes must be unique across levels (prefix them in the reference if needed).
    """
    ref = reference[[leaf, *levels, root]].astype(str)
    if ref[leaf].duplicated().any():
        raise DisclosureError("geography_dimension: a bassin appears twice in the reference")
    seen: dict[str, str] = {}
    for col in [leaf, *levels, root]:
        for code in ref[col].unique():
            if seen.setdefault(code, col) != col:
                raise DisclosureError(f"geography_dimension: code {code!r} used by {seen[code]!r} and {col!r}; prefix the codes")
    for col in levels:
        # Every level must nest in the root (one region), or the root is not a total.
        if check_nesting(ref, col, root):
            raise DisclosureError(f"geography_dimension: {col!r} does not nest in {root!r}")
    chains: list[list[str]] = []
    for col in levels:
        for chain in chains:
            if not check_nesting(ref, chain[-1], col):
                chain.append(col)
                break
        else:
            chains.append([leaf, col])
    hierarchies = []
    for chain in chains or [[leaf]]:
        chain = [*chain, root]
        h: dict[str, str] = {}
        for lo, hi in zip(chain, chain[1:]):
            h.update(dict(zip(ref[lo], ref[hi])))
        hierarchies.append(h)
    return Dimension(name, hierarchies)


# ---------------------------------------------------------------------------------------------
# Joint problem
# ---------------------------------------------------------------------------------------------


@dataclass
class JointProblem:
    """All cells of the tables published together, and every additive relation between them.

    ``A`` (relations x cells, CSR) encodes ``A @ values = 0``. ``cell_keys[i]`` is the identity of
    cell ``i``; ``locations[t]`` maps each row of table ``t`` to its cell index. Cells are ordered by
    key so every run processes them in the same order (determinism).
    """

    tables: tuple[DisclosureTable, ...]
    cell_keys: list[tuple]
    values: np.ndarray  # float; NaN where unknown (audit of published data)
    threshold: np.ndarray
    zeros_sensitive: np.ndarray
    cost: np.ndarray
    forced_primary: np.ndarray
    A: sp.csr_matrix
    locations: dict[str, np.ndarray]
    fixed_status: np.ndarray | None = None  # object; None where the cell's status is free
    _AT: sp.csr_matrix | None = field(default=None, repr=False)

    @property
    def n_cells(self) -> int:
        return len(self.cell_keys)

    @property
    def AT(self) -> sp.csr_matrix:
        """Cells x relations (CSR): which relations each cell belongs to."""
        if self._AT is None:
            self._AT = self.A.T.tocsr()
        return self._AT

    def relation_members(self, r: int) -> np.ndarray:
        return self.A.indices[self.A.indptr[r] : self.A.indptr[r + 1]]

    def cell_relations(self, i: int) -> np.ndarray:
        AT = self.AT
        return AT.indices[AT.indptr[i] : AT.indptr[i + 1]]

    def key_label(self, i: int) -> str:
        """Readable identity of a cell, for reports: ``measure[dim=code, ...]``."""
        measure, coords = self.cell_keys[i]
        return f"{measure}[" + ", ".join(f"{d}={c}" for d, c in coords) + "]"


def _cell_key(measure_key: str, dims: Sequence[Dimension], codes: Sequence[str],
              constants: Mapping[str, str] | None = None) -> tuple:
    varying = [(d.name, c) for d, c in zip(dims, codes) if c != d.total]
    return (measure_key, tuple(sorted(varying + list((constants or {}).items()))))


def build_problem(tables: Sequence[DisclosureTable] | DisclosureTable, check_additivity: bool = True) -> JointProblem:
    """Merge tables into one problem: shared cells become one variable, relations are derived.

    Raises :class:`DisclosureError` when a table is incomplete (an aggregate without all its
    children or a child without its parent), when two tables disagree on a shared cell, or when the
    known values do not add up (that would make the audit meaningless).
    """
    if isinstance(tables, DisclosureTable):
        tables = [tables]
    tables = tuple(tables)
    if len({t.name for t in tables}) != len(tables):
        raise DisclosureError("tables published together need distinct names")

    # 1. Cell identities.
    per_table_keys: list[list[tuple]] = []
    for t in tables:
        codes = t.frame[t.dimension_names].to_numpy(dtype=object)
        per_table_keys.append([_cell_key(t.measure_key, t.dimensions, row, t.constant_coordinates) for row in codes])
    all_keys = sorted(set(itertools.chain.from_iterable(per_table_keys)), key=repr)
    index = {k: i for i, k in enumerate(all_keys)}
    n = len(all_keys)

    values = np.full(n, np.nan)
    threshold = np.zeros(n)
    zeros_sensitive = np.zeros(n, dtype=bool)
    cost = np.full(n, np.nan)
    forced = np.zeros(n, dtype=bool)
    fixed_status = np.full(n, None, dtype=object)
    locations: dict[str, np.ndarray] = {}
    for t, keys in zip(tables, per_table_keys):
        loc = np.fromiter((index[k] for k in keys), dtype=np.int64, count=len(keys))
        locations[t.name] = loc
        v = pd.to_numeric(t.frame[t.measure], errors="coerce").to_numpy(dtype=float)
        if np.any(v[~np.isnan(v)] < 0):
            raise DisclosureError(f"table {t.name!r}: negative counts")
        known = ~np.isnan(v)
        clash = known & ~np.isnan(values[loc]) & (np.abs(values[loc] - v) > _ABS_TOL)
        if clash.any():
            i = int(loc[clash][0])
            raise DisclosureError(
                f"table {t.name!r} disagrees with another table on shared cell {all_keys[i]}: {v[clash][0]} vs {values[i]}"
            )
        values[loc[known]] = v[known]
        threshold[loc] = np.maximum(threshold[loc], float(t.threshold))
        zeros_sensitive[loc] |= bool(t.zeros_sensitive)
        if t.cost_column is not None:
            c = pd.to_numeric(t.frame[t.cost_column], errors="coerce").to_numpy(dtype=float)
            cost[loc] = np.where(np.isnan(cost[loc]), c, np.fmax(cost[loc], c))
        if t.forced_primary_column is not None:
            forced[loc] |= t.frame[t.forced_primary_column].fillna(False).astype(bool).to_numpy()
        if t.fixed_status_column is not None:
            _merge_fixed_status(t, loc, fixed_status, all_keys)
    default_cost = np.maximum(np.nan_to_num(values, nan=1.0), 1.0)
    cost = np.where(np.isnan(cost), default_cost, cost)

    # 2. Relations (deduplicated across tables: a shared margin gives the same relation twice).
    relations: dict[tuple, None] = {}
    for t in tables:
        for parent_id, child_ids in _table_relations(t, locations[t.name]):
            relations[(int(parent_id), tuple(sorted(int(c) for c in child_ids)))] = None
    rel_list = sorted(relations)
    rows, cols, data = [], [], []
    for r, (p, children) in enumerate(rel_list):
        rows.append(r)
        cols.append(p)
        data.append(1.0)
        rows.extend([r] * len(children))
        cols.extend(children)
        data.extend([-1.0] * len(children))
    A = sp.csr_matrix((data, (rows, cols)), shape=(len(rel_list), n))
    A.sum_duplicates()

    problem = JointProblem(tables, all_keys, values, threshold, zeros_sensitive, cost, forced, A, locations,
                           fixed_status if any(s is not None for s in fixed_status) else None)
    if check_additivity:
        _check_additivity(problem)
    return problem


def _merge_fixed_status(t: DisclosureTable, loc: np.ndarray, fixed_status: np.ndarray, keys: list) -> None:
    """Carry a table's already-given statuses onto its cells; two publications must agree on a cell
    being published or hidden (which secret kind may differ: primary wins)."""
    given = t.frame[t.fixed_status_column].to_numpy(dtype=object)
    for i, s in zip(loc, given):
        if s is None or (isinstance(s, float) and np.isnan(s)) or s == "":
            continue
        s = str(s)
        old = fixed_status[i]
        if old is not None and (old == "publie") != (s == "publie"):
            raise DisclosureError(f"cell {keys[i]} is published in one publication and hidden in another")
        if old is None or s == "secret_primaire":
            fixed_status[i] = s


def _table_relations(t: DisclosureTable, loc: np.ndarray) -> Iterable[tuple[int, np.ndarray]]:
    """Yield ``(parent cell, child cells)`` for every additive relation of one table."""
    names = t.dimension_names
    cells = t.frame[names].copy()
    cells["_cid"] = loc
    for d in t.dimensions:
        others = [o for o in names if o != d.name]
        for h, kids in zip(d.hierarchies, d.children):
            link = pd.DataFrame({d.name: list(h.keys()), "_parent": list(h.values())})
            child_rows = cells.merge(link, on=d.name, how="inner")
            parents = cells.rename(columns={d.name: "_parent", "_cid": "_pid"})
            joined = child_rows.merge(parents, on=[*others, "_parent"], how="left")
            if joined["_pid"].isna().any():
                bad = joined.loc[joined["_pid"].isna()].iloc[0]
                raise DisclosureError(
                    f"table {t.name!r}: cell {bad[names].to_dict()} has no parent {bad['_parent']!r} in {d.name!r}; "
                    "the frame must hold every level (use build_margins)"
                )
            joined["_pid"] = joined["_pid"].astype(np.int64)
            # Every parent cell present must have all its children present.
            expected = cells[cells[d.name].isin(kids.keys())]
            got = joined.groupby("_pid").size()
            exp_n = expected[d.name].map({p: len(c) for p, c in kids.items()})
            got_n = expected["_cid"].map(got).fillna(0)
            short = got_n.to_numpy() != exp_n.to_numpy()
            if short.any():
                bad = expected.loc[short].iloc[0]
                raise DisclosureError(
                    f"table {t.name!r}: aggregate {bad[names].to_dict()} lacks some of its children in {d.name!r}"
                )
            for pid, grp in joined.groupby("_pid", sort=True)["_cid"]:
                yield int(pid), grp.to_numpy()


def _check_additivity(problem: JointProblem) -> None:
    """Known values must satisfy every relation whose cells are all known."""
    v = problem.values
    known = ~np.isnan(v)
    A = problem.A
    full = np.asarray((abs(A) @ (~known).astype(float)) == 0).ravel()
    resid = A @ np.nan_to_num(v)
    bad = np.flatnonzero(full & (np.abs(resid) > 1e-6 * np.maximum(1.0, abs(A) @ np.nan_to_num(v))))
    if bad.size:
        r = int(bad[0])
        row = A.getrow(r)
        parent = int(row.indices[row.data > 0][0])
        raise DisclosureError(
            f"{bad.size} additive relations do not hold, e.g. "
            f"{problem.key_label(parent)} != sum of its children (residual {resid[r]:g})"
        )
