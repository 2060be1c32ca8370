"""Lorfolio usage logs: accounts (pseudonymous ids) and what their owners do in their portfolio."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sources.generator.config import (LORFOLIO_ACTIONS, LORFOLIO_EVENTS_PER_ACTIVE_MONTH, LORFOLIO_MONTHLY_RETENTION,
                                      LORFOLIO_SEASON)
from sources.generator.identity import hash_keys
from sources.generator.population import LORFOLIO_PREEXISTING, NO_ACCOUNT
from sources.generator.world import World, month_bounds

NEW_ACCOUNT_SHARE = 0.22           # share of a month's active accounts that were just created
PREEXISTING_ACCOUNTS_FACTOR = 2.5  # accounts opened before the period, x a month's actives
# People use their portfolio in the evening more than at night.
HOURLY_ACTIVITY = np.array([1, 0.5, 0.3, 0.2, 0.2, 0.3, 1, 2, 4, 6, 7, 7, 6, 6, 7, 7, 7, 8, 9, 10, 10, 8, 5, 2.5])


def account_ids(seed: int, persons: np.ndarray) -> np.ndarray:
    """Pseudonymous account id (what Lorfolio exports): not derivable from identity."""
    values = hash_keys(seed, np.asarray(persons, dtype=np.int64), 0x10F)
    return np.array([f"lf-{v:016x}" for v in values.tolist()], dtype=object)


def monthly_actives(world: World, label: str) -> float:
    season = np.array(LORFOLIO_SEASON)
    return (world.config.scale_spec.lorfolio_events_per_year / 12.0 * season[int(label[5:7]) - 1] / season.mean()
            / LORFOLIO_EVENTS_PER_ACTIVE_MONTH)


def eligible_owners(world: World, when: np.datetime64) -> np.ndarray:
    pop = world.population
    candidates = np.flatnonzero(pop.lorfolio_created == NO_ACCOUNT)
    ages = pop.age_at(candidates, np.full(candidates.size, when))
    return candidates[(ages >= 14) & (ages <= 60)]


def open_preexisting_accounts(world: World, rng: np.random.Generator) -> None:
    """Accounts that existed before the period, so the first month is not all creations."""
    first, _ = month_bounds(world.months[0])
    count = int(monthly_actives(world, world.months[0]) * PREEXISTING_ACCOUNTS_FACTOR)
    owners = eligible_owners(world, first)
    chosen = rng.choice(owners, size=min(count, owners.size), replace=False)
    world.population.lorfolio_created[chosen] = LORFOLIO_PREEXISTING
    world.population.lorfolio_last_active[chosen] = LORFOLIO_PREEXISTING


def plan_lorfolio_month(world: World, month_index: int, rng: np.random.Generator) -> pd.DataFrame:
    """The month's events, one row each, in time order; updates who has an account."""
    label = world.months[month_index]
    first, nxt = month_bounds(label)
    pop = world.population
    actives = int(rng.poisson(monthly_actives(world, label)))
    n_new = int(actives * NEW_ACCOUNT_SHARE)
    owners = eligible_owners(world, first)
    new = np.sort(rng.choice(owners, size=min(n_new, owners.size), replace=False)) if owners.size else np.array([], int)
    existing = np.flatnonzero(pop.lorfolio_created != NO_ACCOUNT)
    idle_months = month_index - pop.lorfolio_last_active[existing].astype(np.int64)
    weights = LORFOLIO_MONTHLY_RETENTION ** np.maximum(idle_months, 1)
    n_returning = min(actives - new.size, existing.size)
    returning = (np.sort(rng.choice(existing, size=n_returning, replace=False, p=weights / weights.sum()))
                 if n_returning > 0 else np.array([], dtype=np.int64))
    pop.lorfolio_created[new] = month_index
    active = np.concatenate([new, returning]).astype(np.int64)
    pop.lorfolio_last_active[active] = month_index
    is_new = np.concatenate([np.ones(new.size, bool), np.zeros(returning.size, bool)])
    counts = 1 + rng.poisson(LORFOLIO_EVENTS_PER_ACTIVE_MONTH - 1, active.size)
    owner = np.repeat(active, counts)
    owner_new = np.repeat(is_new, counts)
    first_of_owner = np.r_[True, owner[1:] != owner[:-1]]
    actions = np.array(list(LORFOLIO_ACTIONS), dtype=object)
    p = np.array(list(LORFOLIO_ACTIONS.values()))
    action = actions[rng.choice(len(actions), size=owner.size, p=p / p.sum())]
    seconds = int((nxt - first).astype(np.int64)) * 86400
    # The creation comes first: give each new owner's first event the owner's earliest time.
    days = rng.integers(0, seconds // 86400, owner.size)
    hours = rng.choice(24, size=owner.size, p=HOURLY_ACTIVITY / HOURLY_ACTIVITY.sum())
    within = days * 86400 + hours * 3600 + rng.integers(0, 3600, owner.size)
    times = first.astype("datetime64[s]") + within.astype("timedelta64[s]")
    frame = pd.DataFrame({"person": owner, "event_time": times, "is_creation": owner_new & first_of_owner,
                          "action": action})
    earliest = frame.groupby("person")["event_time"].transform("min")
    frame.loc[frame["is_creation"], "event_time"] = earliest[frame["is_creation"]]
    frame.loc[frame["is_creation"], "action"] = "ACCOUNT_CREATED"
    frame = frame.sort_values(["event_time", "person", "is_creation"], ascending=[True, True, False],
                              kind="stable")
    # Two draws can give one account the same action in the same second: identical log lines, which
    # ingestion rightly quarantines as a duplicate. The truth holds no such defect, so a clean log
    # must not have them (a region-scale month had one). Dropped after every draw: the rest of the
    # generation is unchanged.
    frame = frame.drop_duplicates(["person", "event_time", "action"]).reset_index(drop=True)
    return frame


def lorfolio_frame(world: World, events: pd.DataFrame) -> pd.DataFrame:
    """The log in common-model terms."""
    persons = events["person"].to_numpy()
    pop = world.population
    bassins = world.ref.bassins["bassin_code"].to_numpy(dtype=object)[pop.bassin_idx[persons]]
    birth_year = pop.birth_date[persons].astype("datetime64[Y]").astype(np.int64) + 1970
    return pd.DataFrame({
        "event_time": events["event_time"].to_numpy(),
        "account_id": account_ids(world.config.seed, persons),
        "action": events["action"].to_numpy(),
        "bassin_code": bassins,
        "birth_year": birth_year,
        "sex_code": np.where(pop.sex_female[persons], "F", "M"),
    })
