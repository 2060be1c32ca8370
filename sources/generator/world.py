"""The generator's world: reference data, the members in play, network profiles and the population.

Built once per run; every feed module reads from it. Holding the per-network lookups here
keeps the feed modules to pure "draw this month" functions.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sources.generator.config import (FORMAT_PROFILES, NETWORK_FEMALE_SHARE, NETWORK_PROFILES, GeneratorConfig,
                                      NetworkProfile)
from sources.generator.population import STATUSES, Population, assign_clientele, build_population
from sources.generator.reference import Reference, load_contract, load_reference

EPISODES_PER_PERSON_YEAR = 1.8


def stable_key(text: str) -> int:
    """A stable integer for a string (Python's hash() changes between processes)."""
    return zlib.crc32(text.encode("utf-8"))


def rng_for(seed: int, *parts) -> np.random.Generator:
    """The random stream of one (feed, sender, month): files are independent and reproducible."""
    keys = [seed] + [part if isinstance(part, int) else stable_key(str(part)) for part in parts]
    return np.random.default_rng(keys)


def month_bounds(label: str) -> tuple[np.datetime64, np.datetime64]:
    """First day of the month and first day of the next one."""
    first = np.datetime64(label, "M")
    return first.astype("datetime64[D]"), (first + 1).astype("datetime64[D]")


def profile_for(network_code: str, export_format: str) -> NetworkProfile:
    """The network's own profile, else the one of its export format, with its sector's mixité."""
    profile = NETWORK_PROFILES.get(network_code) or FORMAT_PROFILES[export_format]
    if network_code in NETWORK_FEMALE_SHARE:
        from dataclasses import replace
        profile = replace(profile, female_share=NETWORK_FEMALE_SHARE[network_code])
    return profile


def contract_codes(contract_name: str, target: str) -> set[str]:
    """Common codes a contract can express for a target (the generator never draws others)."""
    for column in load_contract(contract_name)["columns"]:
        if column["target"] == target:
            return set((column.get("codes") or {}).values())
    return set()


def restrict(weights: dict[str, float], allowed: set[str]) -> dict[str, float]:
    """Keep only the codes a contract can express, renormalised."""
    kept = {code: w for code, w in weights.items() if code in allowed}
    if not kept:
        kept = {sorted(allowed)[0]: 1.0}
    total = sum(kept.values())
    return {code: w / total for code, w in kept.items()}


@dataclass
class Network:
    """One network as the generator uses it."""

    code: str
    bit: int
    export_format: str
    min_age: int
    max_age: int
    profile: NetworkProfile
    member_idx: np.ndarray                 # rows of World.members
    home_table: np.ndarray = field(default=None)   # [bassin, k] candidate members, padded
    home_counts: np.ndarray = field(default=None)
    levels_first: dict = field(default_factory=dict)
    levels_next: dict = field(default_factory=dict)
    channels: dict = field(default_factory=dict)
    acts_per_year: float = 0.0

    @property
    def is_aggregate(self) -> bool:
        return self.export_format.startswith("aggregate")


@dataclass
class World:
    config: GeneratorConfig
    ref: Reference
    members: pd.DataFrame                  # the members in play (subset at tiny scale)
    networks: dict[str, Network]
    psad: pd.DataFrame
    population: Population
    months: list[str]
    start_date: np.datetime64

    @property
    def member_keys(self) -> np.ndarray:
        """Stable integer per member: the key of its spelling of people."""
        return self.members["member_code"].map(stable_key).to_numpy(dtype=np.int64)

    def member_code(self, member_idx: np.ndarray) -> np.ndarray:
        return self.members["member_code"].to_numpy(dtype=object)[member_idx]

    def home_members(self, network: Network, person_idx: np.ndarray) -> np.ndarray:
        """The member of a network that serves a person: one in their bassin, else their
        département, else anywhere; chosen by a hash so it never changes."""
        bassins = self.population.bassin_idx[person_idx]
        counts = network.home_counts[bassins]
        pick = (person_idx * 2654435761 + network.bit * 97) % np.maximum(counts, 1)
        return network.home_table[bassins, pick]


def select_members(ref: Reference, per_network: int | None) -> pd.DataFrame:
    """All members, or the first few of each network (tiny scale keeps every export shape)."""
    members = ref.members.sort_values("member_code").reset_index(drop=True)
    if per_network is None:
        return members
    return members.groupby("network_code", sort=False).head(per_network).sort_values("member_code") \
        .reset_index(drop=True)


def build_home_table(members: pd.DataFrame, member_idx: np.ndarray, bassins: pd.DataFrame) -> tuple:
    """Candidate members per bassin: same bassin, else same département, else all of the network."""
    rows = []
    for _, bassin in bassins.iterrows():
        here = member_idx[members["bassin_code"].to_numpy()[member_idx] == bassin["bassin_code"]]
        if here.size == 0:
            here = member_idx[members["departement_code"].to_numpy()[member_idx] == bassin["departement_code"]]
        if here.size == 0:
            here = member_idx
        rows.append(here)
    width = max(len(r) for r in rows)
    table = np.zeros((len(rows), width), dtype=np.int32)
    for i, candidates in enumerate(rows):
        table[i, :len(candidates)] = candidates
    return table, np.array([len(r) for r in rows], dtype=np.int64)


def clientele_weights(population: Population, network: Network, mid_date: np.datetime64) -> np.ndarray:
    """How likely each person is to be served by a network: its age range, statuses, sex ratio, RQTH."""
    idx = np.arange(population.size)
    ages = population.age_at(idx, np.full(idx.size, mid_date))
    in_range = (ages >= network.min_age) & (ages <= network.max_age)
    status = population.status_at(idx, ages)
    status_weight = pd.Series(status).map(network.profile.status_weights).fillna(0.0).to_numpy(dtype=float)
    share_f = network.profile.female_share
    sex_weight = np.where(population.sex_female, share_f / 0.51, (1 - share_f) / 0.49)
    base = 0.05
    target = network.profile.rqth_share
    rqth_weight = np.where(population.rqth, target / base, (1 - target) / (1 - base))
    return in_range * status_weight * sex_weight * rqth_weight


def build_world(config: GeneratorConfig) -> World:
    """Everything a run draws from, built deterministically from the seed."""
    ref = load_reference()
    months = config.month_list()
    start_date, _ = month_bounds(months[0])
    members = select_members(ref, config.scale_spec.members_per_network)
    psad = ref.psad.sort_values("psad_code").reset_index(drop=True)
    if config.scale_spec.psad_count is not None:
        psad = psad.head(config.scale_spec.psad_count).reset_index(drop=True)
    population = build_population(config, ref, start_date)

    networks: dict[str, Network] = {}
    total_weight = 0.0
    for bit, row in enumerate(ref.networks.itertuples(index=False)):
        member_idx = np.flatnonzero(members["network_code"].to_numpy() == row.network_code).astype(np.int32)
        if member_idx.size == 0:
            continue
        profile = profile_for(row.network_code, row.export_format)
        levels = contract_codes(row.export_format, "service_level_code")
        channels = contract_codes(row.export_format, "channel_code")
        network = Network(row.network_code, bit, row.export_format, row.min_age, row.max_age, profile, member_idx,
                          levels_first=restrict(profile.first_levels, levels),
                          levels_next=restrict(profile.next_levels, levels),
                          channels=restrict(profile.channels, channels))
        network.home_table, network.home_counts = build_home_table(members, member_idx, ref.bassins)
        networks[row.network_code] = network
        total_weight += profile.acts_weight

    mid_date = start_date + np.timedelta64(int(config.months * 15), "D")
    turnover = 1.0 + config.scale_spec.pool_growth_per_year * max(0.0, config.years - 1.0)
    for network in networks.values():
        network.acts_per_year = config.scale_spec.acts_per_year * network.profile.acts_weight / total_weight
        target_people = network.acts_per_year / (network.profile.acts_per_episode * EPISODES_PER_PERSON_YEAR)
        assign_clientele(population, network.bit, clientele_weights(population, network, mid_date),
                         target_people * 1.15 * turnover, config.seed)
    return World(config, ref, members, networks, psad, population, months, start_date)


STATUS_CODES = STATUSES
