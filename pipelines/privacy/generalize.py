"""Generalisation helpers: turn precise personal attributes into the coarse ones the warehouse keeps.

Why: a full birth date plus a commune nearly identifies a young person; an age band plus a bassin
d'emploi does not. Ingestion computes these from the clear values at the door, then drops the clear
values (they live on only as keyed comparison tokens for linkage).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

import numpy as np
import pandas as pd

from .normalize import normalize_commune, parse_birth_date

# (code, lowest age included, French label). Upper bound = next band's lower bound - 1.
AGE_BANDS: tuple[tuple[str, int, str], ...] = (
    ("A00_15", 0, "moins de 16 ans"),
    ("A16_17", 16, "16-17 ans"),
    ("A18_25", 18, "18-25 ans"),
    ("A26_29", 26, "26-29 ans"),
    ("A30_44", 30, "30-44 ans"),
    ("A45_54", 45, "45-54 ans"),
    ("A55_PLUS", 55, "55 ans et plus"),
)
AGE_BAND_LABELS_FR = {code: label for code, _, label in AGE_BANDS}
_BAND_LOWER = np.array([low for _, low, _ in AGE_BANDS])
_BAND_CODES = np.array([code for code, _, _ in AGE_BANDS], dtype=object)


def _as_date(value: object) -> date | None:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    parsed = parse_birth_date(value, today=date.max)  # no 'future' rejection for event dates
    return parsed.value


def age_at(birth_date: object, event_date: object) -> int | None:
    """Age in completed years on the event date (None if a date is missing or the event precedes birth).

    Why at the event: an indicator by age band counts the age the person had when served, not today.
    """
    birth, event = _as_date(birth_date), _as_date(event_date)
    if birth is None or event is None or event < birth:
        return None
    return event.year - birth.year - ((event.month, event.day) < (birth.month, birth.day))


def age_band(age: int | None) -> str | None:
    """Band code of an age: A00_15 (<16), A16_17, A18_25, A26_29, A30_44, A45_54, A55_PLUS."""
    if age is None or age < 0:
        return None
    return str(_BAND_CODES[np.searchsorted(_BAND_LOWER, age, side="right") - 1])


def age_band_at(birth_date: object, event_date: object) -> str | None:
    """age_band(age_at(birth_date, event_date))."""
    return age_band(age_at(birth_date, event_date))


def age_at_series(birth_dates: pd.Series, event_dates: pd.Series) -> pd.Series:
    """Vectorised `age_at` over two aligned Series of dates (strings must be parsed beforehand).

    Returns nullable Int64; NA where a date is missing or the event precedes birth.
    """
    birth = pd.to_datetime(birth_dates, errors="coerce")
    event = pd.to_datetime(event_dates, errors="coerce")
    before_birthday = (event.dt.month < birth.dt.month) | (
        (event.dt.month == birth.dt.month) & (event.dt.day < birth.dt.day)
    )
    age = (event.dt.year - birth.dt.year - before_birthday.astype("int64")).astype("Int64")
    return age.mask(event < birth).astype("Int64")


def age_band_series(ages: pd.Series) -> pd.Series:
    """Vectorised `age_band` (object Series of codes, None where the age is missing or negative)."""
    values = pd.to_numeric(ages, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    valid = ~np.isnan(values) & (values >= 0)
    idx = np.searchsorted(_BAND_LOWER, np.where(valid, values, 0), side="right") - 1
    out = np.where(valid, _BAND_CODES[idx], None)
    return pd.Series(out, index=ages.index, dtype=object)


def bassin_of(commune: object, commune_to_bassin: Mapping[str, str]) -> str | None:
    """Bassin d'emploi of a commune through the reference mapping (INSEE code -> bassin code).

    The mapping is passed in (from the reference seeds) rather than read here, so this stays pure.
    """
    code = normalize_commune(commune)
    return commune_to_bassin.get(code) if code else None


def bassin_series(communes: pd.Series, commune_to_bassin: Mapping[str, str]) -> pd.Series:
    """Vectorised `bassin_of` (normalises each distinct commune code once)."""
    codes, uniques = pd.factorize(communes, use_na_sentinel=True)
    mapped = np.array([bassin_of(u, commune_to_bassin) for u in uniques] + [None], dtype=object)
    return pd.Series(mapped[codes], index=communes.index, dtype=object)


# Approximation of the 2019 qualification levels (décret 2019-14) from the first digit of the
# 8-character BCN 'code formation diplôme', which encodes the OLD level (nomenclature of 1969):
#   5 (niveau V: CAP, BEP)            -> 3
#   4 (niveau IV: bac, BP, BT)        -> 4
#   3 (niveau III: BTS, DUT)          -> 5
#   2 (niveau II: licence, maîtrise)  -> 6
#   1 (niveau I: master, ingénieur)   -> 7  (the old level I also held doctorates, level 8)
#   6 (niveau VI: CFG, pre-qualif.)   -> 2
#   codes starting 010 / 011 (mentions complémentaires of level V / IV) -> 3 / 4
# Anything else (0xx other than 010/011, 7, 8, 9, letters) -> None: not guessed. The BCN's own
# N_NIVEAU_FORMATION_DIPLOME table is the authority when it is loaded as a seed.
_BCN_OLD_TO_NEW = {"5": 3, "4": 4, "3": 5, "2": 6, "1": 7, "6": 2}
_BCN_PREFIX = {"010": 3, "011": 4}
QUALIFICATION_LEVEL_LABELS_FR = {
    2: "Niveau 2 (CFG, compétences de base)",
    3: "Niveau 3 (CAP, BEP)",
    4: "Niveau 4 (baccalauréat, BP)",
    5: "Niveau 5 (bac+2 : BTS, DUT)",
    6: "Niveau 6 (bac+3/4 : licence, BUT)",
    7: "Niveau 7 (bac+5 : master, ingénieur)",
    8: "Niveau 8 (doctorat)",
}


def qualification_level_from_bcn(code: object) -> int | None:
    """Approximate qualification level (3..7) of an 8-character BCN diploma code, or None."""
    if code is None or (isinstance(code, float) and code != code):
        return None
    text = str(code).strip().upper()
    if len(text) != 8 or not text[:3].isdigit():
        return None
    if text[:3] in _BCN_PREFIX:
        return _BCN_PREFIX[text[:3]]
    return _BCN_OLD_TO_NEW.get(text[0])


__all__ = [
    "AGE_BANDS",
    "AGE_BAND_LABELS_FR",
    "QUALIFICATION_LEVEL_LABELS_FR",
    "age_at",
    "age_at_series",
    "age_band",
    "age_band_at",
    "age_band_series",
    "bassin_of",
    "bassin_series",
    "qualification_level_from_bcn",
]
