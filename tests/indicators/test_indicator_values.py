"""The indicators of the hand-made warehouse equal the values worked out by hand (fixture_data.py)."""

from __future__ import annotations

import math

import pytest

from pipelines.indicators.catalogue import load_catalogue
from tests.indicators.fixture_data import EXPECTED

TABLES = ("ind_suivi", "ind_suivi_totals", "ind_qualite", "ind_qualite_totals", "ind_performance",
          "ind_performance_totals")


def _value(con, key):
    code, grain, start, level, geo, breakdown, breakdown_value = key
    rows = []
    for table in TABLES:
        rows += con.execute(
            f"select value from indicators.{table} where indicator_code = ? and period_grain = ? "
            "and period_start = ? and geo_level = ? and geo_code = ? and breakdown = ? and breakdown_value = ?",
            [code, grain, start, level, geo, breakdown, breakdown_value]).fetchall()
    assert len(rows) == 1, f"{key}: {len(rows)} rows"
    return rows[0][0]


@pytest.mark.parametrize("key", list(EXPECTED), ids=lambda k: f"{k[0]}-{k[1]}-{k[3]}-{k[4]}-{k[6]}")
def test_indicator_equals_hand_computed_value(fixture_con, key):
    assert math.isclose(_value(fixture_con, key), EXPECTED[key], rel_tol=1e-9, abs_tol=1e-12)


def test_every_catalogue_indicator_is_produced(fixture_con):
    produced = set()
    for table in TABLES:
        produced |= {r[0] for r in fixture_con.execute(f"select distinct indicator_code from indicators.{table}").fetchall()}
    assert {i.code for i in load_catalogue()} == produced


def test_every_hand_checked_family_is_covered():
    families = {i.code: i.family for i in load_catalogue()}
    assert {families[key[0]] for key in EXPECTED} == {"suivi", "qualite", "performance"}
    assert len({key[0] for key in EXPECTED}) >= 30


def test_aggregate_members_shown_in_the_output(fixture_con):
    """Aggregate-only members count in acts, not in distinct people: each row says so."""
    rows = dict(fixture_con.execute(
        "select indicator_code, min(aggregate_members) from indicators.ind_suivi "
        "where indicator_code in ('ACT_ACTS', 'ACT_PEOPLE', 'ACT_PEOPLE_DECLARED') group by 1").fetchall())
    assert rows == {"ACT_ACTS": "included", "ACT_PEOPLE": "excluded", "ACT_PEOPLE_DECLARED": "only"}
    # CCI001 (aggregate-only) has acts and declared people but no distinct-people row
    members = dict(fixture_con.execute(
        "select indicator_code, count(*) from indicators.ind_suivi where geo_level = 'member' "
        "and geo_code = 'CCI001' group by 1").fetchall())
    assert members.get("ACT_ACTS", 0) > 0 and members.get("ACT_PEOPLE_DECLARED", 0) > 0
    assert "ACT_PEOPLE" not in members


def test_people_counts_carried_for_disclosure(fixture_con):
    row = fixture_con.execute(
        "select numerator_people, denominator_people, disclosure_threshold from indicators.ind_performance "
        "where indicator_code = 'PSAD_CONTACT_RATE' and period_grain = 'campaign' and geo_level = 'psad_platform' "
        "and breakdown = 'total'").fetchone()
    assert row == (3, 4, 11)


def test_region_totals_are_not_sums_of_members(fixture_con):
    """People seen by two members count once at region level (4), not 3 + 2."""
    members = fixture_con.execute(
        "select sum(value) from indicators.ind_suivi where indicator_code = 'ACT_PEOPLE' and period_grain = 'year' "
        "and geo_level = 'member' and breakdown = 'total'").fetchone()[0]
    assert members == 5
    assert _value(fixture_con, ("ACT_PEOPLE", "year", __import__("datetime").date(2025, 1, 1), "region", "44",
                                "total", "TOTAL")) == 4
