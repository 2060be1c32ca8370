"""Every tunable of the generator in one place: scales, rates, network profiles.

Kept as plain dataclasses and dicts so that `generation.json` can record the exact
settings of a run, and tests can state tolerances against the same numbers.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

CODE_VERSION = "1.0.0"


@dataclass(frozen=True)
class Scale:
    """Yearly volumes of one scale; the period's volumes are these times months/12."""

    name: str
    people_pool: int              # hidden population for one year of history
    acts_per_year: int            # member activity acts (per-act and aggregate networks)
    rio_per_year: int             # RIO entries, all PSAD
    lorfolio_events_per_year: int
    events_per_year: int          # agenda events
    registrations_per_year: int
    members_per_network: int | None = None   # None = every member of ref_members
    psad_count: int | None = None            # None = every PSAD platform
    pool_growth_per_year: float = 0.5         # extra people per additional year (turnover)


SCALES: dict[str, Scale] = {
    "tiny": Scale("tiny", people_pool=2_000, acts_per_year=6_000, rio_per_year=240,
                  lorfolio_events_per_year=4_000, events_per_year=48, registrations_per_year=2_400,
                  members_per_network=2, psad_count=3),
    "small": Scale("small", people_pool=36_000, acts_per_year=100_000, rio_per_year=1_600,
                   lorfolio_events_per_year=60_000, events_per_year=120, registrations_per_year=6_000),
    "region": Scale("region", people_pool=1_650_000, acts_per_year=5_000_000, rio_per_year=16_000,
                    lorfolio_events_per_year=3_000_000, events_per_year=3_000,
                    registrations_per_year=300_000),
}

# Row-level defect kinds: rate = share of data rows of an eligible file.
ROW_DEFECT_RATES: dict[str, float] = {
    "unknown_code": 0.004,
    "impossible_date": 0.002,
    "date_outside_month": 0.003,
    "duplicate_row": 0.004,
    "negative_count": 0.01,
    "comment_with_phone": 0.003,
    "comment_with_name": 0.003,
}
# File-level defect kinds: rate = share of eligible files.
FILE_DEFECT_RATES: dict[str, float] = {
    "missing_column": 0.01,
    "renamed_column": 0.01,
    "wrong_encoding": 0.01,
    "empty_file": 0.005,
    "resent_corrected_file": 0.03,
    "unknown_member": 0.002,   # per month: chance of one stray file per activity file sent
}
ROW_DEFECT_KINDS = tuple(ROW_DEFECT_RATES)
FILE_DEFECT_KINDS = tuple(FILE_DEFECT_RATES)
ALL_DEFECT_KINDS = ROW_DEFECT_KINDS + FILE_DEFECT_KINDS

# How each member system spells a person (chosen once per person and member).
IDENTITY_VARIATION_RATES: dict[str, float] = {
    "drop_accents": 0.10,
    "hyphen_space_swap": 0.30,    # among compound names only
    "typo": 0.03,
    "swap_first_names": 0.02,     # among people with two first names or more
    "usage_name": 0.70,           # among married women: the member records the married name
    "day_month_swap": 0.005,      # among birth dates with day <= 12
}

# Share of married women among women aged 25+ (they have a usage name).
MARRIED_SHARE_WOMEN_25_PLUS = 0.40


@dataclass(frozen=True)
class NetworkProfile:
    """How a network's activity looks: who comes, when, through which channel, for what."""

    acts_weight: float                     # share of the region's acts (normalised over networks)
    acts_per_episode: float                # mean acts per person-visit episode in a month
    season: tuple[float, ...]              # 12 monthly weights, January first
    channels: dict[str, float]             # channel_code -> share
    first_levels: dict[str, float]         # level of the first act of an episode
    next_levels: dict[str, float]          # level of the following acts
    female_share: float                    # mixité differs by network
    status_weights: dict[str, float]       # how much each status is drawn (x population share)
    redirect_share: float                  # episodes ending with a ré-aiguillage
    redirect_targets: dict[str, float]     # network_code -> weight
    rqth_share: float = 0.04


FLAT = (1.0,) * 12
SCHOOL_SEASON = (1.3, 1.5, 1.6, 1.3, 1.2, 1.1, 0.3, 0.2, 0.9, 1.1, 1.0, 0.8)  # Parcoursup, orientation peaks
JOB_SEASON = (1.1, 1.0, 1.0, 1.0, 1.0, 1.0, 0.8, 0.5, 1.2, 1.2, 1.1, 0.8)
YOUTH_SEASON = (1.0, 1.0, 1.0, 0.9, 0.9, 1.0, 0.9, 0.6, 1.3, 1.3, 1.1, 0.8)

_ADVICE = {"CONSEIL1": 0.55, "ACCOMP": 0.45}
_FIRST = {"ACCUEIL": 0.45, "INFO": 0.35, "CONSEIL1": 0.20}

# Keyed by ref_networks.network_code; unknown networks fall back to the profile of their export format.
NETWORK_PROFILES: dict[str, NetworkProfile] = {
    "CIO": NetworkProfile(0.16, 1.6, SCHOOL_SEASON, {"FACE": 0.74, "TEL": 0.16, "VISIO": 0.04, "MAIL": 0.06},
                          {"ACCUEIL": 0.3, "INFO": 0.4, "CONSEIL1": 0.3}, {"CONSEIL1": 0.6, "ACCOMP": 0.4},
                          0.54, {"ELEVE": 6.0, "ETUDIANT": 1.5, "APPRENTI": 0.7, "DE": 0.3, "SALARIE": 0.1, "AUTRE": 0.5},
                          0.06, {"ML": 0.5, "IJ": 0.3, "UNIV": 0.2}, 0.03),
    "ML": NetworkProfile(0.30, 2.6, YOUTH_SEASON, {"FACE": 0.68, "TEL": 0.22, "VISIO": 0.04, "MAIL": 0.06},
                         _FIRST, _ADVICE, 0.48,
                         {"ELEVE": 0.2, "ETUDIANT": 0.3, "APPRENTI": 0.6, "DE": 4.0, "SALARIE": 0.8, "AUTRE": 2.0},
                         0.10, {"PE": 0.4, "CMA": 0.2, "CCI": 0.2, "CAPEMPLOI": 0.2}, 0.05),
    "PE": NetworkProfile(0.32, 1.8, JOB_SEASON, {"FACE": 0.42, "TEL": 0.26, "VISIO": 0.14, "MAIL": 0.04, "DEMAT": 0.14},
                         _FIRST, {"CONSEIL1": 0.6, "ACCOMP": 0.37, "VAE": 0.03}, 0.50,
                         {"ELEVE": 0.0, "ETUDIANT": 0.1, "APPRENTI": 0.1, "DE": 8.0, "SALARIE": 0.5, "AUTRE": 0.5},
                         0.08, {"ML": 0.3, "OPACIF": 0.3, "CAPEMPLOI": 0.2, "APEC": 0.2}, 0.07),
    "APEC": NetworkProfile(0.04, 1.7, JOB_SEASON, {"FACE": 0.40, "TEL": 0.15, "VISIO": 0.45},
                           {"CEP1": 1.0}, {"CEP1": 0.45, "CEP2": 0.55}, 0.42,
                           {"ELEVE": 0.0, "ETUDIANT": 0.2, "APPRENTI": 0.0, "DE": 1.0, "SALARIE": 4.0, "AUTRE": 0.2},
                           0.03, {"OPACIF": 1.0}, 0.02),
    "OPACIF": NetworkProfile(0.04, 1.8, JOB_SEASON, {"FACE": 0.50, "TEL": 0.20, "VISIO": 0.30},
                             {"CEP1": 1.0}, {"CEP1": 0.4, "CEP2": 0.6}, 0.58,
                             {"ELEVE": 0.0, "ETUDIANT": 0.0, "APPRENTI": 0.1, "DE": 0.3, "SALARIE": 6.0, "AUTRE": 0.2},
                             0.03, {"PE": 1.0}, 0.05),
    "CAPEMPLOI": NetworkProfile(0.03, 2.2, JOB_SEASON, {"FACE": 0.60, "TEL": 0.30, "VISIO": 0.10},
                          {"CEP1": 0.7, "ACCUEIL": 0.3}, {"CEP1": 0.4, "CEP2": 0.6}, 0.45,
                          {"ELEVE": 0.0, "ETUDIANT": 0.1, "APPRENTI": 0.1, "DE": 4.0, "SALARIE": 1.0, "AUTRE": 0.5},
                          0.04, {"PE": 1.0}, 0.95),
}

# Profiles by export format, for networks without an entry above (chambers, IJ, universities...).
FORMAT_PROFILES: dict[str, NetworkProfile] = {
    "cio_per_act_csv": NETWORK_PROFILES["CIO"],
    "ml_per_act_csv": NETWORK_PROFILES["ML"],
    "pe_per_act_csv": NETWORK_PROFILES["PE"],
    "cep_per_beneficiary_csv": NETWORK_PROFILES["OPACIF"],
    "aggregate_xlsx": NetworkProfile(0.012, 1.3, JOB_SEASON, {"FACE": 0.70, "TEL": 0.25, "MAIL": 0.05},
                                     {"ACCUEIL": 0.5, "INFO": 0.5}, {"CONSEIL1": 0.7, "VAE": 0.3}, 0.38,
                                     {"ELEVE": 0.5, "ETUDIANT": 0.5, "APPRENTI": 3.0, "DE": 1.0, "SALARIE": 1.5, "AUTRE": 0.5},
                                     0.05, {"PE": 1.0}, 0.03),
    "aggregate_csv": NetworkProfile(0.012, 1.2, SCHOOL_SEASON, {"FACE": 0.55, "TEL": 0.15, "MAIL": 0.05, "DEMAT": 0.25},
                                    {"ACCUEIL": 0.5, "INFO": 0.5}, {"CONSEIL1": 0.8, "ACCOMP": 0.2}, 0.56,
                                    {"ELEVE": 2.0, "ETUDIANT": 3.0, "APPRENTI": 1.0, "DE": 0.8, "SALARIE": 0.3, "AUTRE": 1.0},
                                    0.05, {"ML": 0.5, "CIO": 0.5}, 0.03),
}

# Specific weights for well-known aggregate networks (mixité differs by sector).
NETWORK_FEMALE_SHARE: dict[str, float] = {"CA": 0.30, "CMA": 0.36, "CCI": 0.44, "IJ": 0.57, "UNIV": 0.58,
                                          "CRESS": 0.66, "AGEFIPH": 0.45}

# Share of redirected people who really show up at the target member, and the delay.
REDIRECT_FOLLOWUP_SHARE = 0.60
REDIRECT_DELAY_MEAN_DAYS = 21.0
# Share of RIO young people seen later by a Mission locale (outcome ACCOMP_ML always is).
RIO_SEEN_BY_ML_SHARE = 0.35

PSAD_OUTCOMES: dict[str, float] = {"FORM_INIT": 0.17, "APPRENTISSAGE": 0.10, "FORM_PRO": 0.09, "EMPLOI": 0.08,
                                   "SERVICE_CIVIQUE": 0.04, "ACCOMP_ML": 0.17, "SANS_SOLUTION": 0.15,
                                   "INJOIGNABLE": 0.20}

LORFOLIO_ACTIONS: dict[str, float] = {"LOGIN": 0.38, "JOURNEY_ENTRY": 0.14, "SKILL_ADDED": 0.14, "PROOF_ADDED": 0.07,
                                      "CV_GENERATED": 0.08, "SITE_PUBLISHED": 0.02, "PROJECT_STEP": 0.08,
                                      "DOCUMENT_STORED": 0.09}
LORFOLIO_EVENTS_PER_ACTIVE_MONTH = 6.0
LORFOLIO_MONTHLY_RETENTION = 0.55   # chance an account active last month is active again
LORFOLIO_SEASON = (1.1, 1.0, 1.1, 1.0, 1.0, 1.0, 0.7, 0.6, 1.3, 1.2, 1.1, 0.9)

EVENT_TYPES: dict[str, float] = {"FORUM": 0.18, "SALON": 0.07, "PORTES_OUVERTES": 0.22, "VISITE_ENTREPRISE": 0.18,
                                 "ATELIER": 0.25, "CONFERENCE": 0.10}
EVENT_SEASON = (1.5, 1.7, 1.6, 1.0, 0.8, 0.6, 0.2, 0.1, 0.7, 1.2, 1.4, 0.9)
EVENT_ONLINE_SHARE = 0.22
EVENT_ATTENDANCE_RATE = 0.72
SATISFACTION_RESPONSE_RATE = 0.35


@dataclass
class GeneratorConfig:
    """One run of the generator: what to produce and how dirty."""

    scale: str = "tiny"
    seed: int = 7
    start: str = "2025-01"          # first month, YYYY-MM
    months: int = 3
    defect_rate: float = 1.0        # multiplier on every defect rate (0 = clean feeds)
    force_every_defect_kind: bool | None = None   # None = only at tiny scale
    row_defect_rates: dict[str, float] = field(default_factory=lambda: dict(ROW_DEFECT_RATES))
    file_defect_rates: dict[str, float] = field(default_factory=lambda: dict(FILE_DEFECT_RATES))
    identity_rates: dict[str, float] = field(default_factory=lambda: dict(IDENTITY_VARIATION_RATES))
    redirect_followup_share: float = REDIRECT_FOLLOWUP_SHARE

    @property
    def scale_spec(self) -> Scale:
        return SCALES[self.scale]

    @property
    def forces_every_kind(self) -> bool:
        """Tiny runs feed the ingestion tests, which need every defect kind at least once."""
        if self.force_every_defect_kind is None:
            return self.scale == "tiny" and self.defect_rate > 0
        return self.force_every_defect_kind

    @property
    def years(self) -> float:
        return self.months / 12.0

    def month_list(self) -> list[str]:
        """The YYYY-MM labels of the period, in order."""
        year, month = (int(part) for part in self.start.split("-"))
        labels = []
        for offset in range(self.months):
            total = (year * 12 + month - 1) + offset
            labels.append(f"{total // 12:04d}-{total % 12 + 1:02d}")
        return labels

    def as_record(self) -> dict:
        """What generation.json records about the run."""
        record = dataclasses.asdict(self)
        record["scale_spec"] = dataclasses.asdict(self.scale_spec)
        record["code_version"] = CODE_VERSION
        record["redirect_delay_mean_days"] = REDIRECT_DELAY_MEAN_DAYS
        record["rio_seen_by_ml_share"] = RIO_SEEN_BY_ML_SHARE
        record["married_share_women_25_plus"] = MARRIED_SHARE_WOMEN_25_PLUS
        return record
