"""A small synthetic identity set with known truth, for fast tests and quick checks of the model.

Invented names only (no register of real people). Each person gets 2 or 3 records from different
senders; each record is spelt with variations of the kinds the regional generator injects, and
records which kinds it got (relative to the person's true identity):
  accents      accents dropped            hyphen      hyphen <-> space in compound names
  typo         one letter wrong/dropped/swapped (surname or first name)
  swap_first   first names swapped        usage_name  married woman recorded under her married name
  marker       'BIRTH ÉPOUSE USAGE' in the last-name field      day_month   day and month swapped
  no_commune   commune missing
Records of one person never share a sender (as with members' own person numbers).
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd

SURNAMES = [
    "Müller", "Schmitt", "Meyer", "Weber", "Klein", "Lefèvre", "Thiébaut", "Hoffmann", "Zimmermann", "Koenig",
    "Le Gall", "Da Silva", "Saint-Martin", "Gérard", "Jacquot", "Wendling", "Stoeckel", "Mangin", "Humbert",
    "Colin", "Didier", "François", "Kieffer", "Schaeffer", "Bécker", "Wolff", "Lambert", "Hauser", "Ehrhart",
    "Mathis", "Dupont-Moretti", "Van Damme", "De La Fontaine", "Béranger", "Léonard", "Noël", "Perrin",
    "Rousseau", "Garnier", "Chevallier", "Ménard", "Boucher", "Royer", "Fabre", "Brun", "Renaud", "Masson",
]
FIRST_F = ["Marie", "Anne-Sophie", "Élodie", "Chloé", "Léa", "Camille", "Inès", "Manon", "Sarah", "Jade",
           "Zoé", "Hélène", "Céline", "Margaux", "Louise", "Emma", "Anaïs", "Noémie", "Laure", "Agathe"]
FIRST_M = ["Jean-Pierre", "Lucas", "Hugo", "Théo", "Louis", "Nathan", "Jérôme", "Mathéo", "Gaël", "Noé",
           "Raphaël", "Maxime", "Thomas", "Julien", "Enzo", "Loïc", "Benoît", "Rémi", "Antoine", "Paul"]
COMMUNES = ["67482", "57463", "54395", "51454", "68224", "10387", "08105", "88160", "52448", "55029",
            "67180", "57672", "68066", "54547", "51108"]
SENDERS = ["ML001", "PE002", "CIO003", "CAP004", "ML005", "RIO006"]
KINDS = ["accents", "hyphen", "typo", "swap_first", "usage_name", "marker", "day_month", "no_commune"]


def _strip(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _typo(text: str, rng: np.random.Generator) -> str:
    letters = [i for i, ch in enumerate(text) if ch.isalpha()]
    if len(letters) < 4:
        return text + "e"
    pos = letters[int(rng.integers(1, len(letters) - 1))]
    kind = int(rng.integers(0, 3))
    if kind == 0:
        repl = "z" if text[pos].lower() != "z" else "s"
        return text[:pos] + (repl.upper() if text[pos].isupper() else repl) + text[pos + 1:]
    if kind == 1:
        return text[:pos] + text[pos + 1:]
    return text[:pos] + text[pos + 1] + text[pos] + text[pos + 2:] if pos + 1 < len(text) else text[:-1]


def make_people(n: int, seed: int = 1) -> pd.DataFrame:
    """n invented people: names, birth date, sex, commune, an INE for about half of them."""
    rng = np.random.default_rng(seed)
    female = rng.random(n) < 0.5
    first = np.where(female, rng.choice(FIRST_F, n), rng.choice(FIRST_M, n))
    second = np.where(rng.random(n) < 0.45, np.where(female, rng.choice(FIRST_F, n), rng.choice(FIRST_M, n)), "")
    second = np.where(second == first, "", second)
    birth = rng.choice(SURNAMES, n)
    married = female & (rng.random(n) < 0.3)
    usage = np.where(married, rng.choice(SURNAMES, n), birth)
    usage = np.where(usage == birth, birth, usage)
    days = rng.integers(0, 365 * 45, n)
    birth_date = (np.datetime64("1965-01-01") + days.astype("timedelta64[D]")).astype("datetime64[D]")
    ine = np.array([f"{int(x):010d}{'ABCDEFGHJK'[int(x) % 10]}" for x in rng.integers(0, 10**10, n)], dtype=object)
    ine = np.where(rng.random(n) < 0.5, ine, None)
    return pd.DataFrame({
        "person_id": np.arange(n), "first": first, "second": second, "birth_name": birth, "usage_name": usage,
        "married": married & (usage != birth), "birth_date": birth_date, "sex": np.where(female, "F", "M"),
        "commune": rng.choice(COMMUNES, n), "ine": ine,
    })


def spell_records(people: pd.DataFrame, seed: int = 2, rates: dict[str, float] | None = None,
                  min_records: int = 2, max_records: int = 3) -> pd.DataFrame:
    """2-3 records per person from distinct senders, with variations; columns in common-model terms
    (member_person_id, last_name, birth_name, first_names, birth_date, sex_code,
    residence_commune_insee, ine) plus truth: person_id, kinds (comma-separated)."""
    rates = {"accents": 0.15, "hyphen": 0.3, "typo": 0.06, "swap_first": 0.05, "usage_name": 0.6,
             "marker": 0.15, "day_month": 0.03, "no_commune": 0.03, **(rates or {})}
    rng = np.random.default_rng(seed)
    rows = []
    for person in people.itertuples(index=False):
        count = int(rng.integers(min_records, max_records + 1))
        for sender in rng.choice(SENDERS, count, replace=False):
            kinds = []
            first, second = person.first, person.second
            if second and rng.random() < rates["swap_first"]:
                first, second = second, first
                kinds.append("swap_first")
            last, birth_name = person.birth_name, None
            if person.married:
                if rng.random() < rates["usage_name"]:
                    if rng.random() < rates["marker"]:
                        last = f"{person.birth_name} ÉPOUSE {person.usage_name}"
                        kinds.append("marker")
                    else:
                        last = person.usage_name
                        birth_name = person.birth_name if rng.random() < 0.5 else None
                        kinds.append("usage_name")
            names = [last, birth_name, first, second]
            if rng.random() < rates["accents"]:
                stripped = [_strip(x) if x else x for x in names]
                if stripped != names:
                    kinds.append("accents")
                names = stripped
            if rng.random() < rates["hyphen"]:
                swapped = [x.replace("-", " ") if x and "-" in x else x for x in names]
                if swapped != names:
                    kinds.append("hyphen")
                names = swapped
            if rng.random() < rates["typo"]:
                which = 0 if rng.random() < 0.6 else 2
                names[which] = _typo(names[which], rng)
                kinds.append("typo")
            last, birth_name, first, second = names
            bd = pd.Timestamp(person.birth_date)
            if bd.day <= 12 and bd.day != bd.month and rng.random() < rates["day_month"]:
                bd = pd.Timestamp(year=bd.year, month=bd.day, day=bd.month)
                kinds.append("day_month")
            commune = person.commune
            if rng.random() < rates["no_commune"]:
                commune = None
                kinds.append("no_commune")
            with_all = sender.startswith("PE")
            first_names = f"{first} {second}".strip() if with_all else first
            if sender.startswith(("CIO", "PE")):
                last = last.upper()
                first_names = first_names.upper()
            rows.append({
                "sender_code": str(sender), "member_person_id": f"{sender}-{person.person_id}",
                "last_name": last, "birth_name": birth_name, "first_names": first_names,
                "birth_date": bd.strftime("%d/%m/%Y"), "sex_code": person.sex, "residence_commune_insee": commune,
                "ine": person.ine if sender.startswith(("CIO", "RIO")) else None,
                "person_id": person.person_id, "kinds": ",".join(kinds),
            })
    return pd.DataFrame(rows)


def synthetic_identities(n_people: int = 300, seed: int = 1) -> pd.DataFrame:
    return spell_records(make_people(n_people, seed), seed=seed + 1)
