"""Member activity: who visits which member when, for what, and the files members send about it.

A month is planned for all members at once (episodes of visits drawn from each network's
clientele, plus visits carried from earlier months: people redirected by another member,
young people handed over by a PSAD), then split member by member into files.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sources.generator.identity import zfill, hash_uniform, ine_strings, spelled_identity
from sources.generator.world import Network, World, month_bounds, rng_for, stable_key

GAP_MEAN_DAYS = 7.0
CLEAN_COMMENT_SHARE = 0.08
CLEAN_COMMENTS = (
    "Projet de reconversion à préciser", "Demande d'information sur l'apprentissage", "Parcoursup : vœux à finaliser",
    "Orientation vers une formation qualifiante", "Rendez-vous à reprogrammer", "Bilan de compétences envisagé",
    "Recherche de stage de 3e", "Information sur la VAE", "Souhaite travailler dans le BTP",
    "Intérêt pour les métiers du numérique", "Documentation remise", "Atelier CV proposé",
    "Besoin de mobilité : permis de conduire", "Suivi de la démarche de réorientation",
)
AGE_BAND_EDGES = np.array([16, 18, 26, 30, 45, 55])
AGE_BAND_CODES = np.array(["A00_15", "A16_17", "A18_25", "A26_29", "A30_44", "A45_54", "A55_PLUS"], dtype=object)


@dataclass
class ActivityCarry:
    """What one month hands to the next: visits already decided, redirections still being watched."""

    pending: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        {"person": pd.Series(dtype=np.int64), "member_idx": pd.Series(dtype=np.int32),
         "date": pd.Series(dtype="datetime64[s]"), "origin": pd.Series(dtype=object)}))
    redirects: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        {"person": pd.Series(dtype=np.int64), "source_member_idx": pd.Series(dtype=np.int32),
         "target_member_idx": pd.Series(dtype=np.int32), "date": pd.Series(dtype="datetime64[s]"),
         "month": pd.Series(dtype=object), "followup_planned": pd.Series(dtype=bool),
         "seen_date": pd.Series(dtype="datetime64[s]")}))

    def add_pending(self, frame: pd.DataFrame) -> None:
        if len(frame):
            self.pending = pd.concat([self.pending, frame], ignore_index=True)


def business_days(label: str) -> np.ndarray:
    """Weekdays of the month (members do not work at weekends)."""
    first, nxt = month_bounds(label)
    days = np.arange(first, nxt, dtype="datetime64[D]")
    return days[np.is_busday(days)]


def choose_codes(rng: np.random.Generator, weights: dict[str, float], size: int) -> np.ndarray:
    codes = np.array(list(weights), dtype=object)
    p = np.array(list(weights.values()), dtype=float)
    return codes[rng.choice(len(codes), size=size, p=p / p.sum())]


def age_bands(ages: np.ndarray) -> np.ndarray:
    return AGE_BAND_CODES[np.searchsorted(AGE_BAND_EDGES, ages, side="right")]


def draw_episodes(world: World, network: Network, label: str, month_index: int,
                  rng: np.random.Generator) -> pd.DataFrame:
    """A network's visit episodes of the month, drawn from its clientele within its age range."""
    profile = network.profile
    season = np.array(profile.season)
    month_number = int(label[5:7])
    expected_acts = network.acts_per_year / 12.0 * season[month_number - 1] / season.mean()
    n_episodes = int(rng.poisson(expected_acts / profile.acts_per_episode))
    pop = world.population
    eligible = np.flatnonzero(pop.clientele & np.uint32(1 << network.bit))
    first, nxt = month_bounds(label)
    mid = first + np.timedelta64(14, "D")
    ages = pop.age_at(eligible, np.full(eligible.size, mid))
    eligible = eligible[(ages >= network.min_age) & (ages <= network.max_age)]
    if n_episodes == 0 or eligible.size == 0:
        return pd.DataFrame()
    persons = rng.choice(eligible, size=n_episodes)
    days = business_days(label)
    start = days[rng.integers(0, days.size, n_episodes)]
    return pd.DataFrame({
        "person": persons.astype(np.int64),
        "member_idx": world.home_members(network, persons).astype(np.int32),
        "start": start.astype("datetime64[s]"),
        "n_acts": 1 + rng.poisson(profile.acts_per_episode - 1.0, n_episodes),
        "origin": "spontaneous",
    })


def pending_episodes(carry: ActivityCarry, label: str, rng: np.random.Generator) -> pd.DataFrame:
    """Visits decided in earlier months (redirections, PSAD hand-overs) that fall in this month."""
    first, nxt = month_bounds(label)
    pending = carry.pending
    due = (pending["date"] >= first) & (pending["date"] < nxt)
    chosen = pending[due]
    carry.pending = pending[pending["date"] >= nxt].reset_index(drop=True)
    if chosen.empty:
        return pd.DataFrame()
    dates = chosen["date"].to_numpy().astype("datetime64[D]")
    dates = np.busday_offset(dates, 0, roll="forward")
    keep = dates < nxt
    chosen, dates = chosen[keep], dates[keep]
    return pd.DataFrame({
        "person": chosen["person"].to_numpy(np.int64),
        "member_idx": chosen["member_idx"].to_numpy(np.int32),
        "start": dates.astype("datetime64[s]"),
        "n_acts": 1 + rng.poisson(0.8, len(chosen)),
        "origin": chosen["origin"].to_numpy(object),
    })


def expand_acts(episodes: pd.DataFrame, label: str, rng: np.random.Generator) -> pd.DataFrame:
    """One row per act: the first on the episode's start, the next ones a few days apart."""
    _, nxt = month_bounds(label)
    counts = episodes["n_acts"].to_numpy()
    episode_of_act = np.repeat(np.arange(len(episodes)), counts)
    rank = np.arange(episode_of_act.size) - np.repeat(np.cumsum(counts) - counts, counts)
    gaps = np.where(rank == 0, 0, rng.geometric(1.0 / GAP_MEAN_DAYS, episode_of_act.size))
    offsets = pd.Series(gaps).groupby(episode_of_act).cumsum().to_numpy()
    start = episodes["start"].to_numpy().astype("datetime64[D]")[episode_of_act]
    dates = np.busday_offset(start + offsets.astype("timedelta64[D]"), 0, roll="forward")
    keep = dates < nxt
    acts = pd.DataFrame({
        "episode": episode_of_act[keep],
        "rank": rank[keep],
        "person": episodes["person"].to_numpy()[episode_of_act][keep],
        "member_idx": episodes["member_idx"].to_numpy()[episode_of_act][keep],
        "act_date": dates[keep].astype("datetime64[s]"),
        "origin": episodes["origin"].to_numpy()[episode_of_act][keep],
    })
    return acts


def plan_month(world: World, month_index: int, carry: ActivityCarry) -> pd.DataFrame:
    """Every act of the month, all members together, with the truth about each one."""
    label = world.months[month_index]
    seed = world.config.seed
    rng = rng_for(seed, "activity-plan", label)
    parts = [draw_episodes(world, network, label, month_index, rng) for network in world.networks.values()]
    parts.append(pending_episodes(carry, label, rng))
    episodes = pd.concat([p for p in parts if len(p)], ignore_index=True)
    if episodes.empty:
        return pd.DataFrame()
    acts = expand_acts(episodes, label, rng)

    member_network = world.members["network_code"].to_numpy(dtype=object)
    acts["network"] = member_network[acts["member_idx"].to_numpy()]
    n = len(acts)
    level = np.empty(n, dtype=object)
    channel = np.empty(n, dtype=object)
    for code, network in world.networks.items():
        rows = np.flatnonzero(acts["network"].to_numpy() == code)
        if rows.size == 0:
            continue
        first_rows = rows[acts["rank"].to_numpy()[rows] == 0]
        next_rows = rows[acts["rank"].to_numpy()[rows] > 0]
        level[first_rows] = choose_codes(rng, network.levels_first, first_rows.size)
        level[next_rows] = choose_codes(rng, network.levels_next, next_rows.size)
        channel[rows] = choose_codes(rng, network.channels, rows.size)
    acts["service_level_code"] = level
    acts["channel_code"] = channel
    persons = acts["person"].to_numpy()
    dates = acts["act_date"].to_numpy().astype("datetime64[D]")
    ages = world.population.age_at(persons, dates)
    acts["age"] = ages
    acts["public_status_code"] = world.population.status_at(persons, ages)
    acts["rqth"] = world.population.rqth[persons]
    acts["redirected_to_member_idx"] = -1
    plan_redirections(world, acts, label, rng, carry)
    acts = acts.sort_values(["member_idx", "act_date", "person", "rank"], kind="stable").reset_index(drop=True)
    return acts


def plan_redirections(world: World, acts: pd.DataFrame, label: str, rng: np.random.Generator,
                      carry: ActivityCarry) -> None:
    """Some episodes end with a ré-aiguillage; a stated share of those people then really go."""
    last_of_episode = ~acts["episode"].duplicated(keep="last").to_numpy()
    spontaneous = acts["origin"].to_numpy() == "spontaneous"
    network_codes = acts["network"].to_numpy()
    redirect_rows = []
    targets = []
    for code, network in world.networks.items():
        available = {t: w for t, w in network.profile.redirect_targets.items() if t in world.networks and t != code}
        if not available:
            continue
        rows = np.flatnonzero(last_of_episode & spontaneous & (network_codes == code))
        rows = rows[rng.random(rows.size) < network.profile.redirect_share]
        if rows.size == 0:
            continue
        target_codes = choose_codes(rng, available, rows.size)
        # Nobody sends a 13-year-old to a Mission locale: the target must serve the person's age.
        ages = acts["age"].to_numpy()[rows]
        fits = np.array([world.networks[t].min_age <= a <= world.networks[t].max_age
                         for t, a in zip(target_codes, ages)], dtype=bool)
        rows, target_codes = rows[fits], target_codes[fits]
        if rows.size == 0:
            continue
        target_members = np.empty(rows.size, dtype=np.int32)
        for target_code in np.unique(target_codes):
            mask = target_codes == target_code
            target_members[mask] = world.home_members(world.networks[target_code],
                                                      acts["person"].to_numpy()[rows[mask]])
        redirect_rows.append(rows)
        targets.append(target_members)
    if not redirect_rows:
        return
    rows = np.concatenate(redirect_rows)
    target_members = np.concatenate(targets)
    acts.loc[rows, "redirected_to_member_idx"] = target_members
    goes = rng.random(rows.size) < world.config.redirect_followup_share
    delays = 1 + rng.exponential(21.0, rows.size).astype(np.int64)
    dates = acts["act_date"].to_numpy()[rows].astype("datetime64[D]") + delays.astype("timedelta64[D]")
    carry.add_pending(pd.DataFrame({
        "person": acts["person"].to_numpy()[rows][goes], "member_idx": target_members[goes],
        "date": dates[goes].astype("datetime64[s]"), "origin": "redirect"}))
    new_redirects = pd.DataFrame({
        "person": acts["person"].to_numpy()[rows], "source_member_idx": acts["member_idx"].to_numpy()[rows],
        "target_member_idx": target_members, "date": acts["act_date"].to_numpy()[rows],
        "month": label, "followup_planned": goes, "seen_date": pd.NaT})
    new_redirects["seen_date"] = new_redirects["seen_date"].astype("datetime64[s]")
    carry.redirects = pd.concat([carry.redirects, new_redirects], ignore_index=True)


# ---------------------------------------------------------------- rendering one member's file

def member_person_ids(person: np.ndarray, member_codes: np.ndarray, style: str) -> np.ndarray:
    """The member's own person number: a bijection of the person id, so it is stable and unique."""
    salts = pd.Series(member_codes).map(lambda code: stable_key(code) % 10**8).to_numpy(dtype=np.int64)
    number = (person.astype(np.int64) * 48271 + salts) % 10**8
    text = zfill(number, 8)
    if style == "cio":
        return "EL" + text
    if style == "pe":
        letters = np.array(list("ABCDEFGHJKLMNPRSTUVWXYZ"), dtype=object)
        return pd.Series(text).str[1:].to_numpy(dtype=object) + letters[number % 23]
    if style == "cep":
        return "BEN-" + text
    return number.astype(str).astype(object)


def act_ids(label: str, month_index: int, member_codes: np.ndarray, member_idx: np.ndarray, style: str) -> np.ndarray:
    """The member's own act numbers, in sequence within the member's month, unique across months."""
    seq = pd.Series(member_idx).groupby(member_idx).cumcount().to_numpy() + 1
    yyyymm = f"{label[0:4]}{label[5:7]}"
    if style == "cio":
        return f"{label[2:4]}{label[5:7]}-" + zfill(seq, 5)
    if style == "ml":
        prefixes = pd.Series(member_codes).map(lambda code: str(stable_key(code) % 90 + 10)).to_numpy(dtype=object)
        return prefixes + f"{month_index:03d}" + zfill(seq, 5)
    if style == "pe":
        return f"P{yyyymm}" + zfill(seq, 6)
    return f"S{yyyymm}-" + zfill(seq, 4)


SHAPE_STYLE = {"cio_per_act_csv": "cio", "ml_per_act_csv": "ml", "pe_per_act_csv": "pe",
               "cep_per_beneficiary_csv": "cep"}


def per_act_frame(world: World, acts: pd.DataFrame, export_format: str, label: str, month_index: int,
                  rng: np.random.Generator) -> pd.DataFrame:
    """Per-act rows (of every member sharing an export shape) in common-model terms, each spelt the way
    its member's system spells people."""
    style = SHAPE_STYLE[export_format]
    persons = acts["person"].to_numpy()
    member_idx = acts["member_idx"].to_numpy()
    member_codes = world.members["member_code"].to_numpy(dtype=object)[member_idx]
    system_keys = world.member_keys[member_idx]
    identity = spelled_identity(world.population, persons, system_keys, world.config.seed,
                                world.config.identity_rates, marker_style="epouse" if style == "cep" else None)
    last = identity["last_name"].str.upper() if style in ("cio", "pe", "cep") else identity["last_name"]
    n = len(acts)
    frame = pd.DataFrame({
        "act_id": act_ids(label, month_index, member_codes, member_idx, style),
        "member_person_id": member_person_ids(persons, member_codes, style),
        "last_name": last.to_numpy(dtype=object),
        "birth_date": identity["birth_date"].to_numpy().astype("datetime64[s]"),
        "sex_code": np.where(world.population.sex_female[persons], "F", "M").astype(object),
        "public_status_code": acts["public_status_code"].to_numpy(),
        "rqth": acts["rqth"].to_numpy(),
        "act_date": acts["act_date"].to_numpy(),
        "service_level_code": acts["service_level_code"].to_numpy(),
        "channel_code": acts["channel_code"].to_numpy(),
    })
    if style == "pe":
        frame["first_names"] = identity["first_names_all"].str.upper().to_numpy(dtype=object)
        frame["birth_name"] = identity["birth_name"].fillna(identity["last_name"]).str.upper().to_numpy(dtype=object)
    else:
        frame["first_names"] = identity["first_name"].to_numpy(dtype=object)
        birth_name = identity["birth_name"].to_numpy(dtype=object)
        frame["birth_name"] = np.where(birth_name == identity["last_name"].to_numpy(dtype=object), None, birth_name)
    if style == "cio":
        ine = ine_strings(world.config.seed, persons)
        missing = hash_uniform(world.config.seed, persons, 0x1E1) < 0.08
        frame["ine"] = np.where(missing, None, ine)
    communes = world.ref.communes["commune_insee"].to_numpy(dtype=object)[world.population.commune_idx[persons]]
    frame["residence_commune_insee"] = np.where(rng.random(n) < 0.015, None, communes)
    redirected = acts["redirected_to_member_idx"].to_numpy()
    codes = world.members["member_code"].to_numpy(dtype=object)
    frame["redirected_to_member_code"] = np.where(redirected >= 0, codes[np.maximum(redirected, 0)], None)
    comments = np.array(CLEAN_COMMENTS, dtype=object)[rng.integers(0, len(CLEAN_COMMENTS), n)]
    frame["comment"] = np.where(rng.random(n) < CLEAN_COMMENT_SHARE, comments, None)
    return frame


def aggregate_frame(world: World, acts: pd.DataFrame, label: str, with_bassin: bool) -> pd.DataFrame:
    """Monthly counts of acts and distinct people per cell (per member), as networks that only count send them."""
    persons = acts["person"].to_numpy()
    keys = pd.DataFrame({
        "member_idx": acts["member_idx"].to_numpy(),
        "service_level_code": acts["service_level_code"].to_numpy(dtype=object),
        "channel_code": acts["channel_code"].to_numpy(dtype=object),
        "sex_code": np.where(world.population.sex_female[persons], "F", "M").astype(object),
        "age_band_code": age_bands(acts["age"].to_numpy()),
        "public_status_code": acts["public_status_code"].to_numpy(dtype=object),
        "person": persons,
    })
    group_cols = ["member_idx", "service_level_code", "channel_code", "sex_code", "age_band_code",
                  "public_status_code"]
    if with_bassin:
        keys["bassin_code"] = world.ref.bassins["bassin_code"].to_numpy(dtype=object)[
            world.population.bassin_idx[persons]]
        group_cols = ["member_idx", "bassin_code"] + group_cols[1:]
    grouped = keys.groupby(group_cols, sort=True).agg(acts_count=("person", "size"),
                                                       people_count=("person", "nunique")).reset_index()
    grouped.insert(1, "period_month", np.datetime64(label + "-01", "s"))
    return grouped
