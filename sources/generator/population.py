"""The hidden population behind every feed, held as numpy arrays (1.5 million people fit easily).

Names are stored as indexes into the vocabulary (identity.py) rather than strings, so the
table stays small even for ten years of history. Everything else the feeds need about a
person (age at a date, status, home member of a network) is derived from these arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sources.generator.config import MARRIED_SHARE_WOMEN_25_PLUS, GeneratorConfig
from sources.generator.identity import hash_uniform, name_vocabulary
from sources.generator.reference import Reference

# Age mixture of the people the SPRO serves, at the start of the period: (min, max, share).
AGE_MIXTURE = ((11, 15, 0.20), (16, 17, 0.10), (18, 25, 0.28), (26, 29, 0.07), (30, 44, 0.20), (45, 62, 0.15))
STATUSES = ("ELEVE", "ETUDIANT", "APPRENTI", "DE", "SALARIE", "AUTRE")
BASE_RQTH_SHARE = 0.05
LORFOLIO_PREEXISTING = -1      # account created before the period
NO_ACCOUNT = -32768


@dataclass
class Population:
    """One row per person; arrays share the same index (= person_id)."""

    sex_female: np.ndarray        # bool
    birth_date: np.ndarray        # datetime64[D]
    commune_idx: np.ndarray       # int32, row of ref_communes
    bassin_idx: np.ndarray        # int32, row of ref_bassins
    first_idx: np.ndarray         # int32, into first_male/first_female by sex
    second_idx: np.ndarray        # int32, -1 = a single first name
    last_idx: np.ndarray          # int32, birth name
    married_idx: np.ndarray       # int32, usage (married) name, -1 = none
    status_u: np.ndarray          # float32, fixed draw that maps age to a status
    rqth: np.ndarray              # bool
    clientele: np.ndarray         # uint32 bitmask: networks that may serve the person
    lorfolio_created: np.ndarray  # int16 month index of account creation (NO_ACCOUNT, -1 = before)
    lorfolio_last_active: np.ndarray  # int16
    rio_month: np.ndarray         # int16 month index of the RIO listing, -1 = never
    networks_seen: np.ndarray     # uint32 bitmask filled while generating (truth: multi-network paths)

    @property
    def size(self) -> int:
        return self.sex_female.size

    def first_name_strings(self, idx: np.ndarray) -> np.ndarray:
        vocab = name_vocabulary()
        fem = self.sex_female[idx]
        first = self.first_idx[idx]
        return np.where(fem, vocab["first_female"][np.minimum(first, len(vocab["first_female"]) - 1)],
                        vocab["first_male"][np.minimum(first, len(vocab["first_male"]) - 1)])

    def second_name_strings(self, idx: np.ndarray) -> np.ndarray:
        vocab = name_vocabulary()
        fem = self.sex_female[idx]
        second = self.second_idx[idx]
        safe = np.maximum(second, 0)
        names = np.where(fem, vocab["first_female"][np.minimum(safe, len(vocab["first_female"]) - 1)],
                         vocab["first_male"][np.minimum(safe, len(vocab["first_male"]) - 1)])
        return np.where(second >= 0, names, "")

    def age_at(self, idx: np.ndarray, dates: np.ndarray) -> np.ndarray:
        """Age in whole years at the given dates (vectorised, birthday-exact)."""
        birth = self.birth_date[idx]
        years = dates.astype("datetime64[Y]").astype(np.int64) - birth.astype("datetime64[Y]").astype(np.int64)
        day_of_year_now = (dates - dates.astype("datetime64[Y]")).astype(np.int64)
        day_of_year_birth = (birth - birth.astype("datetime64[Y]")).astype(np.int64)
        return years - (day_of_year_now < day_of_year_birth)

    def status_at(self, idx: np.ndarray, ages: np.ndarray) -> np.ndarray:
        """Public status from age and the person's fixed draw: pupils become students, then workers."""
        u = self.status_u[idx]
        status = np.full(idx.size, "AUTRE", dtype=object)
        young = ages < 16
        status[young] = "ELEVE"
        teen = (ages >= 16) & (ages < 18)
        status[teen] = np.where(u[teen] < 0.80, "ELEVE", np.where(u[teen] < 0.95, "APPRENTI", "AUTRE"))
        youth = (ages >= 18) & (ages <= 25)
        cuts = np.array([0.30, 0.42, 0.72, 0.88])
        youth_status = np.array(["ETUDIANT", "APPRENTI", "DE", "SALARIE", "AUTRE"], dtype=object)
        status[youth] = youth_status[np.searchsorted(cuts, u[youth], side="right")]
        adult = ages > 25
        adult_cuts = np.array([0.50, 0.90])
        adult_status = np.array(["SALARIE", "DE", "AUTRE"], dtype=object)
        status[adult] = adult_status[np.searchsorted(adult_cuts, u[adult], side="right")]
        return status


def draw_ages(rng: np.random.Generator, size: int) -> np.ndarray:
    """Ages at the start of the period, from the SPRO's public mixture."""
    shares = np.array([share for _, _, share in AGE_MIXTURE])
    band = rng.choice(len(AGE_MIXTURE), size=size, p=shares / shares.sum())
    lows = np.array([low for low, _, _ in AGE_MIXTURE])[band]
    highs = np.array([high for _, high, _ in AGE_MIXTURE])[band]
    return lows + rng.random(size) * (highs - lows + 1)


def pool_size(config: GeneratorConfig) -> int:
    """People in the hidden population: a year's pool, plus turnover for longer periods."""
    spec = config.scale_spec
    extra_years = max(0.0, config.years - 1.0)
    return int(round(spec.people_pool * (1.0 + spec.pool_growth_per_year * extra_years)))


def build_population(config: GeneratorConfig, ref: Reference, start_date: np.datetime64,
                     commune_weights: np.ndarray | None = None) -> Population:
    """Draw the hidden population once; every feed samples from it."""
    rng = np.random.default_rng([config.seed, 0xB0B])
    size = pool_size(config)
    vocab = name_vocabulary()
    weights = ref.communes["population"].to_numpy(dtype=float) if commune_weights is None else commune_weights
    commune_idx = rng.choice(len(ref.communes), size=size, p=weights / weights.sum()).astype(np.int32)
    bassin_idx = ref.commune_bassin_idx[commune_idx]
    ages = draw_ages(rng, size)
    birth_date = (start_date - (ages * 365.25).astype(np.int64).astype("timedelta64[D]")).astype("datetime64[D]")
    female = rng.random(size) < 0.51

    n_male, n_female = len(vocab["first_male"]), len(vocab["first_female"])
    # Zipf-like popularity: a few first and last names are very common, as in real registers.
    first_rank_weights_m = 1.0 / np.arange(1, n_male + 1) ** 0.7
    first_rank_weights_f = 1.0 / np.arange(1, n_female + 1) ** 0.7
    first_m = rng.choice(n_male, size=size, p=first_rank_weights_m / first_rank_weights_m.sum())
    first_f = rng.choice(n_female, size=size, p=first_rank_weights_f / first_rank_weights_f.sum())
    first_idx = np.where(female, first_f, first_m).astype(np.int32)
    has_second = rng.random(size) < 0.45
    second_m = rng.integers(0, n_male, size)
    second_f = rng.integers(0, n_female, size)
    second_idx = np.where(has_second, np.where(female, second_f, second_m), -1).astype(np.int32)
    second_idx[second_idx == first_idx] = -1

    n_last = len(vocab["last"])
    last_weights = 1.0 / np.arange(1, n_last + 1) ** 0.5
    last_idx = rng.choice(n_last, size=size, p=last_weights / last_weights.sum()).astype(np.int32)
    married = female & (ages >= 25) & (rng.random(size) < MARRIED_SHARE_WOMEN_25_PLUS)
    married_idx = np.where(married, rng.choice(n_last, size=size, p=last_weights / last_weights.sum()), -1)
    married_idx[married_idx == last_idx] = -1

    return Population(
        sex_female=female,
        birth_date=birth_date,
        commune_idx=commune_idx,
        bassin_idx=bassin_idx.astype(np.int32),
        first_idx=first_idx,
        second_idx=second_idx,
        last_idx=last_idx,
        married_idx=married_idx.astype(np.int32),
        status_u=rng.random(size).astype(np.float32),
        rqth=rng.random(size) < BASE_RQTH_SHARE,
        clientele=np.zeros(size, dtype=np.uint32),
        lorfolio_created=np.full(size, NO_ACCOUNT, dtype=np.int16),
        lorfolio_last_active=np.full(size, NO_ACCOUNT, dtype=np.int16),
        rio_month=np.full(size, -1, dtype=np.int16),
        networks_seen=np.zeros(size, dtype=np.uint32),
    )


def assign_clientele(population: Population, network_bit: int, weights: np.ndarray, target_people: float,
                     seed: int) -> None:
    """Mark who may be served by a network: people drawn with probability proportional to
    the network's weights (age range, status, sex, disability), sized to its yearly public."""
    total = weights.sum()
    if total <= 0:
        return
    probability = np.minimum(1.0, weights * (target_people / total))
    # One refinement pass so that clipping at 1 does not shrink the clientele too much.
    expected = probability.sum()
    if 0 < expected < target_people:
        probability = np.minimum(1.0, probability * (target_people / expected))
    u = hash_uniform(seed, np.arange(population.size), 0xC11E, network_bit)
    chosen = u < probability
    population.clientele[chosen] |= np.uint32(1 << network_bit)
