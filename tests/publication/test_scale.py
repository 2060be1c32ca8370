"""Scale: 43 bassins x 12 months x 2 sexes, two non-nesting geographies, in seconds."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from pipelines.publication import (
    STATUS_PRIMARY,
    Dimension,
    DisclosureTable,
    audit_published,
    build_margins,
    check_nesting,
    geography_dimension,
    protect_tables,
    render_machine,
)

DEPARTEMENTS = ["D08", "D10", "D51", "D52", "D54", "D55", "D57", "D67", "D68", "D88"]


def grand_est_like_reference() -> pd.DataFrame:
    """43 bassins, 12 agencies, 10 départements; like the real map, some agencies span two."""
    ref = pd.DataFrame({"bassin_code": [f"B{i:02d}" for i in range(1, 44)]})
    ref["agency_code"] = [f"AG{(i * 12) // 43 + 1:02d}" for i in range(43)]
    ref["departement_code"] = [DEPARTEMENTS[(i * 10) // 43] for i in range(43)]
    ref["region_code"] = "R44"
    return ref


def test_43_bassins_12_months_2_sexes_in_seconds():
    ref = grand_est_like_reference()
    assert check_nesting(ref, "agency_code", "departement_code")  # they do not nest
    geo = geography_dimension(ref)
    months = [f"2025-{m:02d}" for m in range(1, 13)]
    period = Dimension.hierarchical("periode", {m: "2025" for m in months})
    sex = Dimension.flat("sexe", ["F", "M"])
    rng = np.random.default_rng(0)
    leaf = pd.MultiIndex.from_product([geo.leaves, months, sex.leaves], names=["geo", "periode", "sexe"]).to_frame(index=False)
    leaf["n"] = rng.poisson(np.repeat(rng.lognormal(3.0, 1.0, 43), 24))
    frame = build_margins(leaf, [geo, period, sex], "n")
    assert len(frame) == 66 * 13 * 3  # 43 + 12 + 10 + 1 geography codes
    table = DisclosureTable("bassin_mois_sexe", frame, [geo, period, sex], "n", threshold=5)

    cpu = time.process_time()
    result = protect_tables(table)
    cpu = time.process_time() - cpu
    assert result.audit.passed
    counts = result.counts()
    assert counts[STATUS_PRIMARY] == int(((frame["n"] > 0) & (frame["n"] < 5)).sum())
    assert cpu < 15, f"protection took {cpu:.1f} s of CPU"
    report = audit_published(render_machine(result.table(table.name), "n"), table.manifest())
    assert report.passed
