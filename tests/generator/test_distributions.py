"""Distributions look like the region, within stated tolerances."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from sources.generator.activity import ActivityCarry, plan_month
from sources.generator.config import NETWORK_PROFILES, SCALES, GeneratorConfig
from sources.generator.reference import read_seed
from sources.generator.world import build_world

from tests.generator.conftest import TINY


def indicators(tiny_run) -> dict:
    return json.loads((tiny_run["truth"] / "indicators.json").read_text())


def test_volumes_follow_the_scale(tiny_run):
    acts = sum(r["acts"] for r in indicators(tiny_run)["activity_by_member_month"])
    expected = SCALES["tiny"].acts_per_year * TINY["months"] / 12
    assert 0.6 * expected < acts < 1.4 * expected          # winter months are below the yearly mean


def test_network_publics_respect_age_ranges(tiny_run):
    records, persons, files = tiny_run["records"], tiny_run["persons"], tiny_run["files"].set_index("path")
    networks = read_seed("ref_networks").set_index("network_code")
    members = read_seed("ref_members").set_index("member_code")
    activity = records[files.loc[records["file"], "feed"].to_numpy() == "activity"]
    senders = files.loc[activity["file"], "sender_code"].to_numpy()
    known = pd.Series(senders).isin(members.index).to_numpy()
    activity, senders = activity[known], senders[known]
    network = members.loc[senders, "network_code"].to_numpy()
    birth = pd.to_datetime(persons.set_index("person_id").loc[activity["person_id"], "birth_date"]).to_numpy()
    age = (np.datetime64("2025-02-15") - birth).astype("timedelta64[D]").astype(int) / 365.25
    for code in ("ML", "CIO", "APEC"):
        mask = network == code
        assert mask.any()
        assert age[mask].min() >= int(networks.at[code, "min_age"]) - 1.5
        assert age[mask].max() <= int(networks.at[code, "max_age"]) + 1.5


def test_mixite_and_channels_by_network(tiny_run):
    rows = pd.DataFrame(indicators(tiny_run)["activity_by_network_month"])
    by_net = rows.groupby("network_code").apply(
        lambda g: pd.Series({"female": np.average(g["female_act_share"], weights=g["acts"]),
                             "distance": np.average(g["distance_share"], weights=g["acts"]),
                             "acts": g["acts"].sum()}), include_groups=False)
    for code in ("ML", "PE", "CIO"):
        profile = NETWORK_PROFILES[code]
        assert abs(by_net.at[code, "female"] - profile.female_share) < 0.12, code
        expected_distance = 1 - profile.channels.get("FACE", 0)
        assert abs(by_net.at[code, "distance"] - expected_distance) < 0.12, code


def test_population_follows_bassin_weights(tiny_run):
    persons = tiny_run["persons"]
    communes = read_seed("ref_communes")
    share = persons["bassin_code"].value_counts(normalize=True)
    expected = communes.assign(population=communes["population"].astype(int)) \
        .groupby("bassin_code")["population"].sum()
    expected = expected / expected.sum()
    top = expected.sort_values().index[-5:]
    for bassin in top:
        assert abs(share.get(bassin, 0) - expected[bassin]) < 0.35 * expected[bassin] + 0.01


def test_school_orientation_peaks_in_spring():
    """CIO acts in March are well above August (Parcoursup and orientation season)."""
    world = build_world(GeneratorConfig(scale="tiny", seed=3, start="2025-01", months=12))
    counts = {}
    for month_index in (2, 7):
        acts = plan_month(world, month_index, ActivityCarry())
        counts[month_index] = int((acts["network"] == "CIO").sum())
    assert counts[2] > 3 * counts[7]


def test_psad_outcomes_and_lorfolio(tiny_run):
    ind = indicators(tiny_run)
    entries = sum(r["entries"] for r in ind["rio_by_psad_month"])
    contacted = sum(r["contacted"] for r in ind["rio_by_psad_month"])
    assert entries > 0 and 0.6 < contacted / entries < 0.95
    lorfolio = ind["lorfolio_by_month"]
    assert all(r["accounts_created"] > 0 and r["active_accounts"] > r["accounts_created"] for r in lorfolio)
    events = ind["events_by_month"]
    attended = sum(r["attended"] for r in events)
    registered = sum(r["registrations"] for r in events)
    assert 0.55 < attended / registered < 0.85
