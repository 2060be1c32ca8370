"""Statistical disclosure control for SPRO publications: the entry point the pipeline calls.

Why: the brief ("Personal data") forbids publishing a count of people under the indicator's
threshold (11 for PSAD data about minors, 5 elsewhere) and requires secondary suppression so that
no hidden cell can be recomputed from totals and margins; hidden cells are flagged, not blanked.

Typical use::

    geo = geography_dimension(ref_bassins)                 # two hierarchies if they do not nest
    periode = Dimension.hierarchical("periode", {m: "2025" for m in months})
    sexe = Dimension.flat("sexe", ["F", "M"])
    frame = build_margins(leaf_counts, [geo, periode, sexe], "people_count")
    table = DisclosureTable("suivi_bassin_mois_sexe", frame, [geo, periode, sexe], "people_count", threshold=11)
    result = protect_tables([table])                      # joint, audited, deterministic
    extract = render_fr(result.table(table.name), "people_count")     # "s" for hidden cells
    machine = render_machine(result.table(table.name), "people_count")  # value null + status column
    manifest = table.manifest()                           # lets audit_published() re-check the extract

Statuses (column ``status``): ``"publie"``, ``"secret_primaire"`` (the cell itself is too small or
forced secret), ``"secret_secondaire"`` (hidden so that a primary cell cannot be recomputed).
Machine formats carry that column as is; French extracts print ``"s"`` for both kinds of secret
with the footnote :data:`SECRET_FOOTNOTE_FR` (distinguishing them would tell the reader which cells
are small).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .audit import (
    HIDDEN_STATUSES,
    STATUS_PRIMARY,
    STATUS_PUBLISHED,
    STATUS_SECONDARY,
    AuditReport,
    ProtectionRule,
    audit_problem,
    audit_published,
    compute_intervals,
)
from .disclosure_tables import (
    Dimension,
    DisclosureError,
    DisclosureTable,
    JointProblem,
    build_margins,
    build_problem,
    check_nesting,
    geography_dimension,
)
from .suppression import SuppressionResult, primary_suppression, protect_tables, singleton_closure

__all__ = [
    "STATUS_PUBLISHED",
    "STATUS_PRIMARY",
    "STATUS_SECONDARY",
    "HIDDEN_STATUSES",
    "SECRET_MARK",
    "SECRET_FOOTNOTE_FR",
    "STATUS_LABELS_FR",
    "AuditReport",
    "Dimension",
    "DisclosureError",
    "DisclosureTable",
    "JointProblem",
    "ProtectionRule",
    "SuppressionResult",
    "audit_problem",
    "audit_published",
    "build_margins",
    "build_problem",
    "check_nesting",
    "compute_intervals",
    "geography_dimension",
    "primary_suppression",
    "protect_tables",
    "singleton_closure",
    "render_fr",
    "render_machine",
    "ratio_status",
    "protect_ratios",
]

SECRET_MARK = "s"
SECRET_FOOTNOTE_FR = "s : secret statistique (effectif inférieur au seuil de diffusion ou permettant de le recalculer)"
STATUS_LABELS_FR = {
    STATUS_PUBLISHED: "publié",
    STATUS_PRIMARY: "secret statistique (primaire)",
    STATUS_SECONDARY: "secret statistique (secondaire)",
}


def render_fr(
    frame: pd.DataFrame,
    value_column: str,
    status_column: str = "status",
    decimals: int = 0,
    keep_status: bool = False,
) -> pd.DataFrame:
    """French extract: the value column becomes text, ``"s"`` for hidden cells, French decimal comma.

    The status column is dropped by default: a French reader sees ``"s"`` and the footnote, never
    the primary/secondary distinction (that would point at the small cells).
    """
    out = frame.copy()
    hidden = out[status_column].isin(HIDDEN_STATUSES).to_numpy()
    num = pd.to_numeric(out[value_column], errors="coerce")
    text = num.map(lambda x: "" if pd.isna(x) else f"{x:,.{decimals}f}".replace(",", "\u202f").replace(".", ","))
    out[value_column] = np.where(hidden, SECRET_MARK, text.to_numpy(dtype=object))
    if not keep_status:
        out = out.drop(columns=[status_column])
    return out


def render_machine(frame: pd.DataFrame, value_columns: str | Sequence[str], status_column: str = "status") -> pd.DataFrame:
    """Machine format (CSV/Parquet for the OREF, the Region): hidden values null, status column kept.

    Nulling is mandatory here: an extract that kept the value next to a "secret" flag would
    disclose it. The internal result (``SuppressionResult.table``) keeps the values.
    """
    cols = [value_columns] if isinstance(value_columns, str) else list(value_columns)
    out = frame.copy()
    hidden = out[status_column].isin(HIDDEN_STATUSES)
    for c in cols:
        out[c] = pd.to_numeric(out[c], errors="coerce").astype("Float64").mask(hidden)
    return out


def ratio_status(numerator_status: pd.Series | np.ndarray, denominator_status: pd.Series | np.ndarray | None = None) -> np.ndarray:
    """Status of a rate or mean from the statuses of the counts it is computed on.

    A rate published next to its published denominator gives the numerator back
    (numerator = rate x denominator), and a mean over a small group describes that small group: so a
    ratio is hidden whenever its numerator or denominator count is hidden. It is primary when one of
    them is primary (the ratio itself is about a small group), secondary otherwise.
    """
    num = np.asarray(numerator_status, dtype=object)
    den = num if denominator_status is None else np.asarray(denominator_status, dtype=object)
    primary = (num == STATUS_PRIMARY) | (den == STATUS_PRIMARY)
    hidden = np.isin(num, HIDDEN_STATUSES) | np.isin(den, HIDDEN_STATUSES)
    return np.where(primary, STATUS_PRIMARY, np.where(hidden, STATUS_SECONDARY, STATUS_PUBLISHED)).astype(object)


def protect_ratios(
    ratios: pd.DataFrame,
    keys: Sequence[str],
    numerator: pd.DataFrame | None,
    denominator: pd.DataFrame,
    status_column: str = "status",
) -> pd.DataFrame:
    """Attach a ``status`` to a frame of rates/means from the protected count tables.

    ``numerator`` / ``denominator`` are protected tables (``SuppressionResult.table(...)``) keyed by
    ``keys``; pass ``numerator=None`` for a mean (e.g. a satisfaction score) whose only count is the
    number of respondents. A ratio whose count is missing from the protected tables is hidden: no
    proof, no publication.
    """
    keys = list(keys)
    out = ratios.copy()
    for k in keys:
        out[k] = out[k].astype(str)

    def lookup(table: pd.DataFrame) -> np.ndarray:
        t = table[keys + [status_column]].copy()
        for k in keys:
            t[k] = t[k].astype(str)
        merged = out[keys].merge(t, on=keys, how="left", validate="many_to_one")
        return merged[status_column].fillna(STATUS_SECONDARY).to_numpy(dtype=object)

    den = lookup(denominator)
    num = den if numerator is None else lookup(numerator)
    out[status_column] = ratio_status(num, den)
    return out
