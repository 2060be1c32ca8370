"""The probabilistic (Fellegi-Sunter) person-linkage model: Splink settings over keyed tokens.

Every compared value is a keyed hash (pipelines.privacy.pseudonymize.comparison_tokens_frame), so
the only similarity a comparison can test is token equality: no Jaro-Winkler, no Levenshtein.
Spelling variation is absorbed by the normalisation done before hashing (accents, hyphens, case,
particles: identical tokens) and by weaker tokens computed before hashing (compact and phonetic
surname forms, first-name phonetic, every first-name token). A typing error is caught by the
deletion-neighbourhood tokens (surname_deletions, first_name_deletions: lists of keyed tokens of
the name and of every one-character deletion of it, computed before hashing): two names within
one edit (insertion, deletion, substitution) share at least one element, tested with
list_has_any. Beyond one edit, the other fields carry the pair.

Input records (one per identity key) have the columns of LINK_COLUMNS:
  unique_id (int), source_group (the sender, or 'left'/'right' for `spro link`), ine_pseudo,
  and the token columns of comparison_tokens_frame.

Comparisons (each a list of custom SQL levels, highest first):
  surname     birth names equal | any surname equal, birth and usage names crossed (married name)
              | any phonetic form equal (crossed too) | one edit apart (deletion tokens shared;
              birth and usage names are in one list, so crossed too) | else
  first_names all first names equal | first first-name equal | any of the first three equal
              (swapped first names) | first first-name phonetic equal | first first-name one edit
              apart | else
  birth_date  exact | day and month swapped | year and month | year | else
  sex         equal | else
  commune     equal | else
Nulls are their own level (weight 0): a missing value is no evidence either way.

Why the "one edit apart" levels: a typo in the surname (one letter) makes every exact surname
token differ; in "else" (-5 bits or so) the pair fell just under the threshold unless every other
field agreed (typo recall 0.27 on the generated region). "One edit apart" is positive evidence
instead. Why sex is kept although it rarely differs: it separates boy/girl twins.

Blocking (pairs that are scored at all) uses equi-joins only, each rule cheap at region scale:
  B1 full birth date + first first-name phonetic      (surname typos, married names)
  B2 birth year + month + birth-surname phonetic     (first-name typos and swaps)
  B3/B4 birth year + month + usage phonetic <-> birth phonetic, both directions (married names)
  B5 birth year + day/month swapped + birth-surname compact (day/month swaps)
  B6 full birth date + commune                        (typos in both names)
  B7 INE pseudonym                                    (the deterministic key, scored too)
Every rule also requires l.source_group <> r.source_group unless within-group links are asked
for: a member's own person number already separates that member's people.

Training (see `train`): u by random sampling; m by EM on three blocking rules, so that each
comparison is estimated in at least one session (a comparison whose columns are in the EM
blocking rule cannot be estimated in that session); the prior (probability that two random
records match) from deterministic rules with a stated recall. Starting values below are the
fallback when the data is too small for a session.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import pandas as pd

TOKEN_COLUMNS = [
    "surname_birth", "surname_birth_compact", "surname_birth_phonetic",
    "surname_usage", "surname_usage_compact", "surname_usage_phonetic",
    "first_name_1", "first_name_2", "first_name_3", "first_names_compact", "first_name_phonetic",
    "birth_year", "birth_month", "birth_day", "sex", "commune",
    "surname_deletions", "first_name_deletions",
]
# Token columns holding a list of tokens (VARCHAR[]; pseudonymize.TOKEN_LIST_COLUMNS).
LIST_TOKEN_COLUMNS = ["surname_deletions", "first_name_deletions"]
LINK_COLUMNS = ["unique_id", "source_group", "ine_pseudo", *TOKEN_COLUMNS]

# Threshold on match_probability at which a scored pair becomes a link (README.md of this package:
# chosen on the generated region's precision/recall curve, precision first). Rare levels whose m
# EM cannot estimate (day/month swaps: a few dozen true pairs in a region-month) keep a fixed m.
DEFAULT_THRESHOLD = 0.9
# Pairs below this probability are not even kept from predict() (keeps the pairs table small).
PREDICT_FLOOR = 0.05


def _level(sql: str, label: str, m: float | None = None, u: float | None = None, **extra) -> dict:
    level = {"sql_condition": sql, "label_for_charts": label, **extra}
    if m is not None:
        level["m_probability"] = m
    if u is not None:
        level["u_probability"] = u
    return level


def _null(sql: str) -> dict:
    return {"sql_condition": sql, "label_for_charts": "null", "is_null_level": True}


def _any_equal(left: list[str], right: list[str]) -> str:
    return "(" + " or ".join(f"{a}_l = {b}_r" for a in left for b in right) + ")"


SB, SU = "surname_birth_compact", "surname_usage_compact"
SBP, SUP = "surname_birth_phonetic", "surname_usage_phonetic"
FIRSTS = ["first_name_1", "first_name_2", "first_name_3"]


def comparisons(term_frequencies: bool = True) -> list[dict]:
    """The five comparisons as Splink comparison dicts (custom SQL levels)."""
    tf_surname = {"tf_adjustment_column": SB, "tf_adjustment_weight": 1.0} if term_frequencies else {}
    tf_first = {"tf_adjustment_column": "first_name_1", "tf_adjustment_weight": 1.0} if term_frequencies else {}
    surname = {
        "output_column_name": "surname",
        "comparison_levels": [
            _null(f"({SB}_l is null and {SU}_l is null) or ({SB}_r is null and {SU}_r is null)"),
            _level(f"{SB}_l = {SB}_r", "birth names equal", 0.80, 0.004, **tf_surname),
            _level(_any_equal([SB, SU], [SB, SU]), "surname equal, birth/usage crossed", 0.10, 0.004),
            _level(_any_equal([SBP, SUP], [SBP, SUP]), "surname phonetic equal", 0.04, 0.006),
            _level("list_has_any(surname_deletions_l, surname_deletions_r)", "surname one edit apart", 0.03, 0.001),
            _level("true", "else", 0.03, 0.985),
        ],
    }
    first_names = {
        "output_column_name": "first_names",
        "comparison_levels": [
            _null("first_name_1_l is null or first_name_1_r is null"),
            _level("first_names_compact_l = first_names_compact_r", "all first names equal", 0.75, 0.02),
            _level("first_name_1_l = first_name_1_r", "first first-name equal", 0.15, 0.005, **tf_first),
            _level(_any_equal(FIRSTS, FIRSTS), "any of the first three equal", 0.03, 0.002),
            _level("first_name_phonetic_l = first_name_phonetic_r", "first first-name phonetic", 0.02, 0.003),
            _level("list_has_any(first_name_deletions_l, first_name_deletions_r)", "first first-name one edit apart",
                   0.02, 0.002),
            _level("true", "else", 0.03, 0.968),
        ],
    }
    birth_date = {
        "output_column_name": "birth_date",
        "comparison_levels": [
            _null("birth_year_l is null or birth_year_r is null or birth_month_l is null "
                  "or birth_month_r is null or birth_day_l is null or birth_day_r is null"),
            _level("birth_year_l = birth_year_r and birth_month_l = birth_month_r and birth_day_l = birth_day_r",
                   "exact", 0.985, 0.00006),
            _level("birth_year_l = birth_year_r and birth_day_l = birth_month_r and birth_month_l = birth_day_r",
                   "day and month swapped", 0.004, 0.000005, fix_m_probability=True),
            _level("birth_year_l = birth_year_r and birth_month_l = birth_month_r", "year and month", 0.004, 0.0017),
            _level("birth_year_l = birth_year_r", "year", 0.004, 0.018),
            _level("true", "else", 0.003, 0.98),
        ],
    }
    sex = {
        "output_column_name": "sex",
        "comparison_levels": [
            _null("sex_l is null or sex_r is null"),
            _level("sex_l = sex_r", "equal", 0.999, 0.5),
            _level("true", "else", 0.001, 0.5),
        ],
    }
    commune = {
        "output_column_name": "commune",
        "comparison_levels": [
            _null("commune_l is null or commune_r is null"),
            _level("commune_l = commune_r", "equal", 0.97, 0.005),
            _level("true", "else", 0.03, 0.995),
        ],
    }
    return [surname, first_names, birth_date, sex, commune]


DOB = "l.birth_year = r.birth_year and l.birth_month = r.birth_month and l.birth_day = r.birth_day"
YM = "l.birth_year = r.birth_year and l.birth_month = r.birth_month"


def blocking_rules(within_group: bool = False) -> list[str]:
    """Equi-join blocking rules (see the module docstring); cross-group only by default."""
    rules = [
        f"{DOB} and l.first_name_phonetic = r.first_name_phonetic",
        f"{YM} and l.{SBP} = r.{SBP}",
        f"{YM} and l.{SUP} = r.{SBP}",
        f"{YM} and l.{SBP} = r.{SUP}",
        f"l.birth_year = r.birth_year and l.birth_day = r.birth_month and l.birth_month = r.birth_day "
        f"and l.{SB} = r.{SB}",
        f"{DOB} and l.commune = r.commune",
        "l.ine_pseudo = r.ine_pseudo",
    ]
    if within_group:
        return rules
    return [f"{rule} and l.source_group <> r.source_group" for rule in rules]


# EM sessions: each comparison is estimated in at least one of them.
EM_RULES = [
    f"{DOB} and l.first_name_1 = r.first_name_1",                            # surname, commune, sex
    f"l.{SB} = r.{SB} and l.first_name_1 = r.first_name_1 and l.commune = r.commune",  # birth date, sex
    f"{DOB} and l.{SB} = r.{SB}",                                            # first names, commune, sex
]
# Deterministic rules for the prior, and their recall measured on the generated region (the share
# of true pairs that agree on birth name, first first-name and full birth date).
PRIOR_RULES = [f"{DOB} and l.{SB} = r.{SB} and l.first_name_1 = r.first_name_1"]
PRIOR_RULES_RECALL = 0.80


def settings(within_group: bool = False, term_frequencies: bool = True) -> dict:
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "comparisons": comparisons(term_frequencies),
        "blocking_rules_to_generate_predictions": blocking_rules(within_group),
        "probability_two_random_records_match": 1e-6,
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
        "additional_columns_to_retain": ["source_group"],
        "max_iterations": 20,
        "em_convergence": 0.0005,
    }


@dataclass
class TrainingReport:
    """What training did (for the run's log and the report): no personal content."""

    records: int = 0
    u_pairs: float = 0.0
    prior: float | None = None
    em_sessions: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0


def with_group(rule: str, within_group: bool) -> str:
    return rule if within_group else f"{rule} and l.source_group <> r.source_group"


_with_group = with_group


def train(linker, records: int, within_group: bool = False, seed: int = 42) -> TrainingReport:
    """u by random sampling, m by EM, prior by deterministic rules; sessions that cannot run on this
    data (too few records or pairs) are skipped and the starting values kept."""
    import time

    started = time.perf_counter()
    report = TrainingReport(records=records)
    log = logging.getLogger(__name__)
    total_pairs = records * (records - 1) / 2
    report.u_pairs = float(min(5e6, max(total_pairs, 1.0)))
    if records >= 50:
        try:
            linker.training.estimate_u_using_random_sampling(max_pairs=report.u_pairs, seed=seed,
                                                             min_count_per_level=None, num_chunks=1)
        except Exception as error:  # noqa: BLE001 - keep the starting u values
            report.skipped.append(f"u: {type(error).__name__}")
            log.warning("u estimation skipped: %s", error)
        try:
            linker.training.estimate_probability_two_random_records_match(
                [_with_group(r, within_group) for r in PRIOR_RULES], recall=PRIOR_RULES_RECALL)
            report.prior = float(linker._settings_obj._probability_two_random_records_match)
        except Exception as error:  # noqa: BLE001
            report.skipped.append(f"prior: {type(error).__name__}")
            log.warning("prior estimation skipped: %s", error)
        for rule in EM_RULES:
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(
                    _with_group(rule, within_group), estimate_without_term_frequencies=True,
                    max_pairs=2e6 if records > 200_000 else None)
                report.em_sessions.append(rule)
            except Exception as error:  # noqa: BLE001
                report.skipped.append(f"em: {type(error).__name__}")
                log.warning("EM session skipped (%s): %s", rule, error)
    else:
        report.skipped.append("all: too few records")
    report.seconds = time.perf_counter() - started
    return report


def probability_to_weight(p: float) -> float:
    p = min(max(p, 1e-12), 1 - 1e-12)
    return math.log2(p / (1 - p))


def _as_token_list(value: object) -> tuple[str, ...] | None:
    """A list token value as a tuple of strings (None when missing or empty); a lone string is a
    one-element list (hand-made records)."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, str):
        return (value,)
    items = tuple(str(v) for v in value if v is not None)
    return items or None


def prepare_records(frame: pd.DataFrame) -> pd.DataFrame:
    """The linkage input: LINK_COLUMNS, string tokens (None for missing), tuples of strings for the
    list columns (LIST_TOKEN_COLUMNS), int unique_id."""
    out = pd.DataFrame(index=frame.index)
    out["unique_id"] = frame["unique_id"].astype("int64") if "unique_id" in frame else range(len(frame))
    out["source_group"] = frame["source_group"].astype(str) if "source_group" in frame else "all"
    for column in ["ine_pseudo", *TOKEN_COLUMNS]:
        values = frame[column] if column in frame.columns else pd.Series(None, index=frame.index, dtype=object)
        if column in LIST_TOKEN_COLUMNS:
            out[column] = pd.Series([_as_token_list(v) for v in values.tolist()], index=frame.index, dtype=object)
        else:
            out[column] = values.astype(object).where(values.notna(), None)
    return out.reset_index(drop=True)


def typed_records_sql(source: str) -> str:
    """SELECT of LINK_COLUMNS from a registered frame with the list columns cast to VARCHAR[] (a
    column that is missing everywhere would otherwise come in as DuckDB's NULL type, and
    list_has_any would not bind)."""
    casts = ", ".join(f"cast({c} as varchar[]) as {c}" for c in LIST_TOKEN_COLUMNS)
    return f"select * replace ({casts}) from {source}"
