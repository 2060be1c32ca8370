"""SIEI/RIO dropout lists per PSAD platform and month, and the PSAD follow-up of those young people."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sources.generator.config import PSAD_OUTCOMES, RIO_SEEN_BY_ML_SHARE
from sources.generator.identity import zfill, hash_uniform, ine_strings, name_vocabulary, phone_strings, spelled_identity
from sources.generator.world import World, month_bounds, stable_key

RIO_SEASON = (1.0, 1.2, 0.9, 0.8, 0.7, 0.6, 0.8, 0.7, 1.0, 1.4, 1.5, 1.4)   # lists swell after la rentrée
EXIT_REASONS = {"ABANDON": 0.45, "ECHEC_EXAMEN": 0.25, "NON_AFFECTE": 0.12, "EXCLUSION": 0.05,
                "DEMENAGEMENT": 0.05, "AUTRE": 0.08}
# Last training followed: BCN-like 8-digit codes (CAP, bac pro, BEP-era, seconde, BTS...).
BCN_CODES = ("50021106", "50022133", "50023211", "50025003", "50031210", "50033602", "40025005", "40025410",
             "40031213", "40033003", "40023203", "40022106", "24000001", "24000002", "32031208", "32033412",
             "45025516", "56X00000".replace("X", "0"))
SOLUTIONS = ("FORM_INIT", "APPRENTISSAGE", "FORM_PRO", "EMPLOI", "SERVICE_CIVIQUE", "ACCOMP_ML")
UAI_KEYS = np.array(list("ABCDEFGHJKLMNPRSTUVWXYZ"), dtype=object)


def psad_of_people(world: World, person_idx: np.ndarray) -> np.ndarray:
    """The platform in charge of a young person: same bassin, else same département, else any (hash)."""
    psad = world.psad
    bassin_codes = world.ref.bassins["bassin_code"].to_numpy(dtype=object)[world.population.bassin_idx[person_idx]]
    dept_codes = world.ref.bassins["departement_code"].to_numpy(dtype=object)[world.population.bassin_idx[person_idx]]
    result = (person_idx % len(psad)).astype(np.int64)
    by_dept = {d: np.flatnonzero(psad["departement_code"].to_numpy() == d) for d in set(dept_codes)}
    by_bassin = {b: np.flatnonzero(psad["bassin_code"].to_numpy() == b) for b in set(bassin_codes)}
    for i in range(person_idx.size):
        options = by_bassin.get(bassin_codes[i])
        if options is None or options.size == 0:
            options = by_dept.get(dept_codes[i])
        if options is not None and options.size:
            result[i] = options[person_idx[i] % options.size]
    return result


def plan_rio_month(world: World, month_index: int, rng: np.random.Generator) -> pd.DataFrame:
    """The young people listed this month (each person is listed once in the period)."""
    label = world.months[month_index]
    first, _ = month_bounds(label)
    pop = world.population
    expected = world.config.scale_spec.rio_per_year / 12.0 * RIO_SEASON[int(label[5:7]) - 1] / np.mean(RIO_SEASON)
    n = int(rng.poisson(expected))
    candidates = np.flatnonzero(pop.rio_month < 0)
    ages = pop.age_at(candidates, np.full(candidates.size, first))
    candidates = candidates[(ages >= 16) & (ages <= 21)]
    if n == 0 or candidates.size == 0:
        return pd.DataFrame()
    persons = np.sort(rng.choice(candidates, size=min(n, candidates.size), replace=False))
    pop.rio_month[persons] = month_index
    return pd.DataFrame({"person": persons, "psad_idx": psad_of_people(world, persons)})


def rio_frame(world: World, entries: pd.DataFrame, label: str, rng: np.random.Generator) -> pd.DataFrame:
    """A RIO list in common-model terms: direct identifiers, last school, training and exit."""
    seed = world.config.seed
    persons = entries["person"].to_numpy()
    pop = world.population
    identity = spelled_identity(pop, persons, stable_key("SIEI-RIO"), seed, world.config.identity_rates)
    vocab = name_vocabulary()
    communes = world.ref.communes
    commune_rows = pop.commune_idx[persons]
    n = persons.size
    numbers = rng.integers(1, 120, n)
    streets = vocab["street_names"][rng.integers(0, len(vocab["street_names"]), n)]
    prefixes = vocab["street_prefixes"][rng.integers(0, len(vocab["street_prefixes"]), n)]
    address = pd.Series(numbers.astype(str)) + " " + pd.Series(prefixes) + " " + pd.Series(streets)
    dept = communes["departement_code"].to_numpy(dtype=object)[commune_rows]
    school_number = (hash_keys_int(seed, persons, 0x0A1) % 10_000)
    uai_digits = pd.Series(dept).str.zfill(3).to_numpy(object) + zfill(school_number, 4)
    uai = uai_digits + UAI_KEYS[(school_number + dept.astype(int)) % 23]
    first, _ = month_bounds(label)
    exit_date = first - rng.integers(20, 300, n).astype("timedelta64[D]")
    reasons = np.array(list(EXIT_REASONS), dtype=object)
    reason_p = np.array(list(EXIT_REASONS.values()))
    ine = ine_strings(seed, persons)
    return pd.DataFrame({
        "ine": np.where(rng.random(n) < 0.03, None, ine),
        "last_name": identity["last_name"].str.upper(),
        "first_names": identity["first_name"].str.upper(),
        "birth_date": identity["birth_date"].astype("datetime64[s]"),
        "sex_code": np.where(pop.sex_female[persons], "F", "M"),
        "address": np.where(rng.random(n) < 0.02, None, address.to_numpy(object)),
        "postal_code": communes["postal_code"].to_numpy(dtype=object)[commune_rows],
        "commune_insee": communes["commune_insee"].to_numpy(dtype=object)[commune_rows],
        "phone": np.where(rng.random(n) < 0.12, None, phone_strings(hash_uniform(seed, persons, 0x9F))),
        "last_school_uai": uai,
        "last_training_bcn": np.array(BCN_CODES, dtype=object)[rng.integers(0, len(BCN_CODES), n)],
        "exit_date": exit_date.astype("datetime64[s]"),
        "exit_reason_code": reasons[rng.choice(len(reasons), size=n, p=reason_p / reason_p.sum())],
    })


def hash_keys_int(seed: int, persons: np.ndarray, salt: int) -> np.ndarray:
    from sources.generator.identity import hash_keys
    return (hash_keys(seed, persons, salt) % np.uint64(2**31)).astype(np.int64)


def next_situation(rng: np.random.Generator, current: np.ndarray) -> np.ndarray:
    """Where a young person is three months later: most solutions hold, some break, some start."""
    n = current.size
    out = current.copy()
    u = rng.random(n)
    solution = np.isin(current, SOLUTIONS)
    broke = solution & (u < 0.18)
    out[broke] = "SANS_SOLUTION"
    stuck = current == "SANS_SOLUTION"
    found = stuck & (u < 0.35)
    out[found] = np.array(SOLUTIONS, dtype=object)[rng.integers(0, len(SOLUTIONS), found.sum())]
    lost = current == "INJOIGNABLE"
    out[lost] = None
    return out


def followup_frame(world: World, entries: pd.DataFrame, label: str, rng: np.random.Generator) -> pd.DataFrame:
    """The platform's follow-up of the month's list: contact attempts, solution, 3/6-month situation."""
    persons = entries["person"].to_numpy()
    n = persons.size
    first, _ = month_bounds(label)
    identified = np.busday_offset(first, rng.integers(0, 8, n), roll="forward")
    attempt = np.busday_offset(identified, rng.integers(1, 15, n), roll="forward")
    outcomes = np.array(list(PSAD_OUTCOMES), dtype=object)
    weights = np.array(list(PSAD_OUTCOMES.values()))
    outcome = outcomes[rng.choice(len(outcomes), size=n, p=weights / weights.sum())]
    unreachable = outcome == "INJOIGNABLE"
    contact = np.busday_offset(attempt, rng.integers(0, 12, n), roll="forward")
    outcome_date = np.busday_offset(contact, rng.integers(0, 40, n), roll="forward")
    followup_3m = next_situation(rng, outcome)
    followup_6m = next_situation(rng, followup_3m.astype(object))
    ml = world.networks.get("ML")
    referred = np.full(n, None, dtype=object)
    if ml is not None:
        home_ml = world.member_code(world.home_members(ml, persons))
        referred = np.where(outcome == "ACCOMP_ML", home_ml, None)
    contact_col = pd.Series(contact.astype("datetime64[s]"))
    contact_col[unreachable] = pd.NaT
    outcome_col = pd.Series(outcome_date.astype("datetime64[s]"))
    outcome_col[unreachable] = pd.NaT
    return pd.DataFrame({
        "ine": ine_strings(world.config.seed, persons),
        "identified_date": identified.astype("datetime64[s]"),
        "contact_attempt_date": attempt.astype("datetime64[s]"),
        "contact_date": contact_col.to_numpy(),
        "outcome_code": outcome,
        "outcome_date": outcome_col.to_numpy(),
        "followup_3m_outcome_code": followup_3m,
        "followup_6m_outcome_code": followup_6m,
        "referred_member_code": referred,
        "_person": persons,
    })


def handover_visits(world: World, followup: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Young people the platform sends to a Mission locale (and some who go on their own) show up there."""
    ml = world.networks.get("ML")
    if ml is None or followup.empty:
        return pd.DataFrame()
    outcome = followup["outcome_code"].to_numpy()
    goes = (outcome == "ACCOMP_ML") | ((outcome != "INJOIGNABLE") & (rng.random(len(followup)) < RIO_SEEN_BY_ML_SHARE))
    persons = followup["_person"].to_numpy()[goes]
    base = pd.Series(followup["outcome_date"].to_numpy()[goes]).fillna(
        pd.Series(followup["contact_attempt_date"].to_numpy()[goes])).to_numpy().astype("datetime64[D]")
    dates = base + rng.integers(3, 45, persons.size).astype("timedelta64[D]")
    return pd.DataFrame({"person": persons, "member_idx": world.home_members(ml, persons).astype(np.int32),
                         "date": dates.astype("datetime64[s]"), "origin": "psad"})
