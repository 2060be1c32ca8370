"""Small builders shared by the disclosure tests (kept out of conftest so they can be imported)."""

from __future__ import annotations

import pandas as pd

from pipelines.publication import Dimension, DisclosureTable, build_margins


def grid_table(inner: dict[tuple[str, str], int], name: str = "t", threshold: float = 5, **kw) -> DisclosureTable:
    """Two-way table ``rows x cols`` with totals ``T`` from a dict of interior cells."""
    rows = sorted({r for r, _ in inner})
    cols = sorted({c for _, c in inner})
    d1, d2 = Dimension.flat("r", rows, "T"), Dimension.flat("c", cols, "T")
    leaf = pd.DataFrame([(r, c, v) for (r, c), v in inner.items()], columns=["r", "c", "n"])
    frame = build_margins(leaf, [d1, d2], "n")
    return DisclosureTable(name, frame, [d1, d2], "n", threshold=threshold, **kw)


def status_of(result, table: str, **coords) -> str:
    t = result.table(table)
    mask = pd.Series(True, index=t.index)
    for k, v in coords.items():
        mask &= t[k] == v
    assert mask.sum() == 1, coords
    return t.loc[mask, "status"].iloc[0]


def hidden_cells(result, table: str, dims: list[str]) -> set[tuple]:
    t = result.table(table)
    h = t[t["status"] != "publie"]
    return set(map(tuple, h[dims].to_numpy()))


def interval(report_or_result, label: str) -> tuple[float, float]:
    cells = report_or_result.cells
    row = cells.loc[cells["cell"] == label]
    assert len(row) == 1, label
    return float(row["lower"].iloc[0]), float(row["upper"].iloc[0])
