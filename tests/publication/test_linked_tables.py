"""Tables published together share cells: one joint problem, one joint audit."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.publication import (
    STATUS_PRIMARY,
    STATUS_PUBLISHED,
    STATUS_SECONDARY,
    Dimension,
    DisclosureTable,
    audit_published,
    build_margins,
    protect_tables,
    render_machine,
)
from sdc_helpers import interval

GEO = Dimension.flat("geo", ["B1", "B2", "B3"], "R")
SEX = Dimension.flat("sexe", ["F", "M"], "TOTAL")
AGE = Dimension.flat("age", ["A16", "A18", "A26"], "TOTAL")


def _tables():
    rng = np.random.default_rng(7)
    people = pd.DataFrame(
        {
            "geo": rng.choice(["B1", "B2", "B3"], 300, p=[0.05, 0.45, 0.5]),
            "sexe": rng.choice(["F", "M"], 300),
            "age": rng.choice(["A16", "A18", "A26"], 300, p=[0.1, 0.3, 0.6]),
        }
    )
    people["n"] = 1
    by_sex = build_margins(people, [GEO, SEX], "n")
    by_age = build_margins(people, [GEO, AGE], "n")
    return (
        DisclosureTable("par_sexe", by_sex, [GEO, SEX], "n"),
        DisclosureTable("par_age", by_age, [GEO, AGE], "n"),
    )


def test_bassin_totals_are_one_variable_in_both_tables():
    t_sex, t_age = _tables()
    result = protect_tables([t_sex, t_age])
    assert result.audit.passed
    # 3 bassins + region, shared: 4 x 3 + 4 x 4 - 4 distinct cells.
    assert result.problem.n_cells == 24
    s = result.table("par_sexe").query("sexe == 'TOTAL'").set_index("geo")["status"]
    a = result.table("par_age").query("age == 'TOTAL'").set_index("geo")["status"]
    assert s.to_dict() == a.to_dict()
    # Re-auditing the two machine extracts together, from their manifests only, passes too.
    extracts = [render_machine(result.table(t.name), "n") for t in (t_sex, t_age)]
    report = audit_published(extracts, [t_sex.manifest(), t_age.manifest()])
    assert report.passed
    assert report.cells["lower"].equals(result.audit.cells["lower"])
    assert report.cells["upper"].equals(result.audit.cells["upper"])


def _leaky_extracts():
    """Hand-made per-table patterns, each safe on its own (1-D bassin table; bassin x sex table).

    T1 (bassins): B1 = 3 primary, B2 = 30 hidden as its complement; B3 = 20 and R = 53 published.
    T2 (bassin x sex): B1's cells primary, B3's cells as complements; B2 (total 30) published.
    B2 is the same cell in both; T2 prints it, so T1's B1 = 53 - 30 - 20 = 3.
    """
    geo = Dimension.flat("geo", ["B1", "B2", "B3"], "R")
    t1 = pd.DataFrame({"geo": ["B1", "B2", "B3", "R"], "n": [3, 30, 20, 53]})
    t1["status"] = [STATUS_PRIMARY, STATUS_SECONDARY, STATUS_PUBLISHED, STATUS_PUBLISHED]
    leaf = pd.DataFrame(
        {"geo": ["B1", "B1", "B2", "B2", "B3", "B3"], "sexe": ["F", "M"] * 3, "n": [1, 2, 15, 15, 10, 10]}
    )
    t2 = build_margins(leaf, [geo, SEX], "n")
    hidden2 = t2["geo"].isin(["B1", "B3"])
    t2["status"] = np.where(t2["geo"] == "B1", STATUS_PRIMARY, np.where(hidden2, STATUS_SECONDARY, STATUS_PUBLISHED))
    m1 = DisclosureTable("bassins", t1, [geo], "n").manifest()
    m2 = DisclosureTable("bassins_sexe", t2, [geo, SEX], "n").manifest()
    return (t1, m1), (t2, m2), geo


def test_per_table_suppression_leaks_through_the_shared_margin_and_joint_audit_catches_it():
    (t1, m1), (t2, m2), geo = _leaky_extracts()
    e1, e2 = render_machine(t1, "n"), render_machine(t2, "n")
    assert audit_published(e1, m1).passed  # each table alone looks safe
    assert audit_published(e2, m2).passed
    joint = audit_published([e1, e2], [m1, m2])
    assert not joint.passed
    failed = dict(zip(joint.failures["cell"], joint.failures["reason"]))
    assert failed["n[geo=B2]"] == "publiée dans une autre table"
    assert failed["n[geo=B1]"] == "valeur recalculable"
    assert interval(joint, "n[geo=B1]") == (3.0, 3.0)


def test_joint_protection_of_the_same_tables_is_safe():
    (t1, _), (t2, _), geo = _leaky_extracts()
    tables = [
        DisclosureTable("bassins", t1.drop(columns="status"), [geo], "n"),
        DisclosureTable("bassins_sexe", t2.drop(columns="status"), [geo, SEX], "n"),
    ]
    result = protect_tables(tables)
    assert result.audit.passed
    b2 = [result.table(n).query("geo == 'B2'") for n in ("bassins", "bassins_sexe")]
    assert b2[0]["status"].iloc[0] == b2[1].query("sexe == 'TOTAL'")["status"].iloc[0]
    extracts = [render_machine(result.table(t.name), "n") for t in tables]
    assert audit_published(extracts, [t.manifest() for t in tables]).passed
