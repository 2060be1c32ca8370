"""The agenda de l'orientation: events, registrations with attendance, satisfaction answers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sources.generator.config import (EVENT_ATTENDANCE_RATE, EVENT_ONLINE_SHARE, EVENT_SEASON, EVENT_TYPES,
                                      SATISFACTION_RESPONSE_RATE)
from sources.generator.identity import email_strings, hash_uniform, spelled_identity
from sources.generator.world import World, month_bounds, stable_key

TYPE_SIZE = {"FORUM": 2.6, "SALON": 3.2, "PORTES_OUVERTES": 0.7, "VISITE_ENTREPRISE": 0.25, "ATELIER": 0.35,
             "CONFERENCE": 0.9}
TYPE_PARTNERS = {"FORUM": (10, 60), "SALON": (20, 120), "PORTES_OUVERTES": (0, 2), "VISITE_ENTREPRISE": (1, 2),
                 "ATELIER": (0, 4), "CONFERENCE": (0, 6)}
ALWAYS_IN_PERSON = {"VISITE_ENTREPRISE", "PORTES_OUVERTES"}
SATISFACTION_COMMENTS = ("Très instructif", "Bien organisé", "Trop de monde", "J'ai trouvé mon stage",
                         "Manque d'entreprises de mon secteur", "Intervenants disponibles", "Salle trop petite",
                         "Je recommande", "Horaires peu pratiques", "Découverte de métiers que je ne connaissais pas")


def plan_events(world: World, month_index: int, rng: np.random.Generator) -> pd.DataFrame:
    """The month's agenda: type, format, sector, bassin, organiser, capacity, partners."""
    label = world.months[month_index]
    season = np.array(EVENT_SEASON)
    expected = world.config.scale_spec.events_per_year / 12.0 * season[int(label[5:7]) - 1] / season.mean()
    n = int(rng.poisson(expected))
    if n == 0:
        return pd.DataFrame()
    first, nxt = month_bounds(label)
    days = np.arange(first, nxt, dtype="datetime64[D]")
    weekdays = days[np.is_busday(days, weekmask="1111110")]
    types = np.array(list(EVENT_TYPES), dtype=object)
    p = np.array(list(EVENT_TYPES.values()))
    event_type = types[rng.choice(len(types), size=n, p=p / p.sum())]
    online = (rng.random(n) < EVENT_ONLINE_SHARE) & ~np.isin(event_type, list(ALWAYS_IN_PERSON))
    bassins = world.ref.bassins
    weights = bassins["population_15_29"].to_numpy(dtype=float)
    bassin_idx = rng.choice(len(bassins), size=n, p=weights / weights.sum())
    bassin_codes = bassins["bassin_code"].to_numpy(dtype=object)[bassin_idx]
    members = world.members
    organiser = np.empty(n, dtype=object)
    for i, code in enumerate(bassin_codes):
        local = np.flatnonzero(members["bassin_code"].to_numpy() == code)
        pool = local if local.size else np.arange(len(members))
        organiser[i] = members["member_code"].iat[int(pool[rng.integers(0, pool.size)])]
    organiser[rng.random(n) < 0.1] = None
    size = np.array([TYPE_SIZE[t] for t in event_type])
    mean_regs = world.config.scale_spec.registrations_per_year / max(world.config.scale_spec.events_per_year, 1)
    mean_regs /= float(np.dot(p / p.sum(), [TYPE_SIZE[t] for t in types]))
    registrations = rng.poisson(mean_regs * size)
    capacity = np.maximum(10, (registrations * rng.uniform(1.0, 1.6, n)).astype(int) // 10 * 10)
    low = np.array([TYPE_PARTNERS[t][0] for t in event_type])
    high = np.array([TYPE_PARTNERS[t][1] for t in event_type])
    companies = low + (rng.random(n) * (high - low + 1)).astype(int)
    return pd.DataFrame({
        "event_id": [f"EVT{label[:4]}{label[5:7]}{i:04d}" for i in range(1, n + 1)],
        "event_date": np.sort(weekdays[rng.integers(0, weekdays.size, n)]).astype("datetime64[s]"),
        "event_type_code": event_type,
        "channel_code": np.where(online, "DEMAT", "FACE"),
        "cot_sector_code": np.array(world.ref.cot_sectors, dtype=object)[rng.integers(0, len(world.ref.cot_sectors), n)],
        "bassin_code": bassin_codes,
        "organiser_member_code": organiser,
        "capacity": capacity,
        "partner_companies_count": companies,
        "partner_branches_count": rng.integers(0, 4, n),
        "_registrations": registrations,
        "_bassin_idx": bassin_idx,
    })


def plan_registrations(world: World, events: pd.DataFrame, label: str, rng: np.random.Generator) -> pd.DataFrame:
    """Who registers (mostly young people living in the event's bassin) and who actually comes."""
    if events.empty or events["_registrations"].sum() == 0:
        return pd.DataFrame()
    first, _ = month_bounds(label)
    pop = world.population
    candidates = np.arange(pop.size)
    ages = pop.age_at(candidates, np.full(candidates.size, first))
    keep = (ages >= 13) & (ages <= 45) & ((ages <= 25) | (rng.random(candidates.size) < 0.3))
    candidates = candidates[keep]
    order = np.argsort(pop.bassin_idx[candidates], kind="stable")
    candidates = candidates[order]
    bassin_of = pop.bassin_idx[candidates]
    n_bassins = len(world.ref.bassins)
    starts = np.searchsorted(bassin_of, np.arange(n_bassins))
    ends = np.searchsorted(bassin_of, np.arange(n_bassins), side="right")
    counts = events["_registrations"].to_numpy()
    event_row = np.repeat(np.arange(len(events)), counts)
    bassin = events["_bassin_idx"].to_numpy()[event_row]
    local = (rng.random(event_row.size) < 0.75) & (ends[bassin] > starts[bassin])
    pick = np.where(local, starts[bassin] + (rng.random(event_row.size) * (ends[bassin] - starts[bassin])).astype(int),
                    rng.integers(0, candidates.size, event_row.size))
    persons = candidates[pick]
    event_dates = events["event_date"].to_numpy()[event_row].astype("datetime64[s]")
    before = rng.integers(1, 30, event_row.size) * 86400 - rng.integers(7 * 3600, 23 * 3600, event_row.size)
    registered_at = event_dates - before.astype("timedelta64[s]")
    online = events["channel_code"].to_numpy()[event_row] == "DEMAT"
    attended = rng.random(event_row.size) < np.where(online, EVENT_ATTENDANCE_RATE - 0.15, EVENT_ATTENDANCE_RATE)
    frame = pd.DataFrame({"event_row": event_row, "person": persons, "registered_at": registered_at,
                          "attended": attended})
    frame = frame.sort_values(["event_row", "registered_at", "person"], kind="stable").reset_index(drop=True)
    frame["registration_id"] = [f"INS{label[:4]}{label[5:7]}{i:06d}" for i in range(1, len(frame) + 1)]
    return frame


def registrations_frame(world: World, events: pd.DataFrame, registrations: pd.DataFrame,
                        rng: np.random.Generator) -> pd.DataFrame:
    """Registrations as the agenda exports them: identity typed by the registrant, e-mail."""
    persons = registrations["person"].to_numpy()
    pop = world.population
    identity = spelled_identity(pop, persons, stable_key("AGENDA"), world.config.seed, world.config.identity_rates)
    event_dates = registrations["registered_at"].to_numpy().astype("datetime64[D]")
    ages = pop.age_at(persons, event_dates)
    status = pop.status_at(persons, ages)
    email = email_strings(identity["first_name"], identity["last_name"], hash_uniform(world.config.seed, persons, 0xE3))
    return pd.DataFrame({
        "registration_id": registrations["registration_id"].to_numpy(),
        "event_id": events["event_id"].to_numpy()[registrations["event_row"].to_numpy()],
        "registered_at": registrations["registered_at"].to_numpy(),
        "attended": registrations["attended"].to_numpy(),
        "public_status_code": np.where(rng.random(len(persons)) < 0.04, None, status),
        "sex_code": np.where(pop.sex_female[persons], "F", "M"),
        "birth_year": pop.birth_date[persons].astype("datetime64[Y]").astype(np.int64) + 1970,
        "last_name": identity["last_name"].to_numpy(),
        "first_names": identity["first_name"].to_numpy(),
        "email": np.where(rng.random(len(persons)) < 0.05, None, email),
    })


def satisfaction_frame(events: pd.DataFrame, registrations: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Answers to the satisfaction survey, from a share of the people who came."""
    came = registrations[registrations["attended"].to_numpy()]
    answered = came[rng.random(len(came)) < SATISFACTION_RESPONSE_RATE]
    n = len(answered)
    score = rng.choice(np.arange(1, 6), size=n, p=[0.03, 0.07, 0.20, 0.40, 0.30])
    recommend_p = np.select([score >= 4, score == 3], [0.92, 0.5], 0.1)
    comments = np.array(SATISFACTION_COMMENTS, dtype=object)[rng.integers(0, len(SATISFACTION_COMMENTS), n)]
    return pd.DataFrame({
        "registration_id": answered["registration_id"].to_numpy(),
        "event_id": events["event_id"].to_numpy()[answered["event_row"].to_numpy()],
        "score": score,
        "would_recommend": rng.random(n) < recommend_p,
        "comment": np.where(rng.random(n) < 0.3, comments, None),
        "_person": answered["person"].to_numpy(),
    })
