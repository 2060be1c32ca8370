"""French identities and the ways member systems misspell them.

Name lists come from Faker's fr_FR provider modules (read once, sampled with numpy:
calling Faker per row is far too slow for a region-year). A person's spelling at a
member is derived from a hash of (seed, person, member), so the same member always
spells the same person the same way, month after month, without storing any state.
"""

from __future__ import annotations

import functools
import unicodedata

import numpy as np
import pandas as pd
from faker.providers.address import fr_FR as faker_address_fr
from faker.providers.person import fr_FR as faker_person_fr

# Names frequent in Alsace, Lorraine and Champagne-Ardenne, missing from Faker's national list.
GRAND_EST_LAST_NAMES = (
    "Muller", "Schmitt", "Meyer", "Weber", "Klein", "Schneider", "Fischer", "Wagner", "Hoffmann", "Becker",
    "Schmitz", "Zimmermann", "Koenig", "Braun", "Kieffer", "Jung", "Wolff", "Keller", "Hauser", "Stoeckel",
    "Haas", "Bauer", "Kuntz", "Metz", "Mathis", "Huber", "Schaeffer", "Ehrhart", "Wendling", "Heitz",
    "Lambert", "Colin", "François", "Thiébaut", "Thiéry", "Humbert", "Didier", "Mangin", "Gérard", "Jacquot",
    "Le Gall", "Da Silva", "De Oliveira", "Dos Santos", "Ben Ali", "Saint-Martin", "Le Bihan", "Van Damme",
)
COMPOUND_FIRST_NAMES_MALE = (
    "Jean-Pierre", "Jean-Claude", "Jean-Marc", "Jean-Luc", "Pierre-Yves", "Jean-François", "Jean-Baptiste",
    "Paul-Henri", "Marc-Antoine", "Jean-Michel",
)
COMPOUND_FIRST_NAMES_FEMALE = (
    "Marie-Claire", "Anne-Sophie", "Marie-Christine", "Anne-Laure", "Marie-Hélène", "Marie-Thérèse",
    "Anne-Marie", "Marie-Pierre", "Marie-Laure", "Lou-Anne",
)
EMAIL_DOMAINS = ("gmail.com", "orange.fr", "laposte.net", "hotmail.fr", "free.fr", "sfr.fr", "yahoo.fr",
                 "outlook.fr", "wanadoo.fr")
# Keys a typist hits instead of the right one (AZERTY neighbours).
AZERTY_NEIGHBOURS = {
    "a": "zq", "z": "aes", "e": "zrd", "r": "etf", "t": "ryg", "y": "tuh", "u": "yij", "i": "uok", "o": "ipl",
    "p": "om", "q": "asw", "s": "qdz", "d": "sfe", "f": "dgr", "g": "fht", "h": "gjy", "j": "hku", "k": "jli",
    "l": "kmo", "m": "lp", "w": "xq", "x": "wc", "c": "xv", "v": "cb", "b": "vn", "n": "bm",
}


@functools.lru_cache(maxsize=1)
def name_vocabulary() -> dict[str, np.ndarray]:
    """Every name the generator can give, as numpy object arrays indexed by the person table."""
    person = faker_person_fr.Provider
    male = sorted(set(person.first_names_male)) + list(COMPOUND_FIRST_NAMES_MALE)
    female = sorted(set(person.first_names_female)) + list(COMPOUND_FIRST_NAMES_FEMALE)
    last = list(dict.fromkeys(list(person.last_names) + list(GRAND_EST_LAST_NAMES)))
    fixed = np.random.default_rng(20180101)   # fixed: the vocabulary does not depend on the run's seed
    pairs = fixed.choice(len(person.last_names), size=(60, 2), replace=False if len(last) > 120 else True)
    last += [f"{person.last_names[a]}-{person.last_names[b]}" for a, b in pairs if a != b]
    return {
        "first_male": np.array(male, dtype=object),
        "first_female": np.array(female, dtype=object),
        "last": np.array(last, dtype=object),
        "street_prefixes": np.array(["rue", "rue", "rue", "avenue", "impasse", "chemin", "place", "allée",
                                     "boulevard", "route"], dtype=object),
        "street_names": np.array(
            [f"de la {w}" for w in ("Gare", "République", "Liberté", "Paix", "Forêt", "Fontaine", "Moselle")]
            + [f"des {w}" for w in ("Lilas", "Vosges", "Tilleuls", "Vignes", "Écoles", "Jardins", "Prés")]
            + [f"du {w}" for w in ("Général de Gaulle", "Maréchal Foch", "Moulin", "Château", "Stade")]
            + [f"{n}" for n in person.last_names[:60]], dtype=object),
        "regions_check": np.array(list(faker_address_fr.Provider.street_prefixes), dtype=object),
    }


# ---------------------------------------------------------------- hashing (stateless, vectorised)

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def splitmix64(values: np.ndarray) -> np.ndarray:
    """A fast, well-mixed 64-bit hash (SplitMix64 finaliser), wrapping arithmetic on purpose."""
    with np.errstate(over="ignore"):
        z = values.astype(np.uint64) + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def hash_keys(seed: int, *keys) -> np.ndarray:
    """Combine integer keys (scalars or arrays) into one uint64 hash per element."""
    with np.errstate(over="ignore"):
        state = splitmix64(np.asarray([seed], dtype=np.uint64))
        for key in keys:
            state = splitmix64(state ^ (np.asarray(key).astype(np.uint64) * _GOLDEN))
    return state


def hash_uniform(seed: int, *keys) -> np.ndarray:
    """A deterministic uniform in [0, 1) per element, from integer keys."""
    return (hash_keys(seed, *keys) >> np.uint64(11)).astype(np.float64) / float(1 << 53)


# ---------------------------------------------------------------- spelling variations

@functools.lru_cache(maxsize=100_000)
def strip_accents(text: str) -> str:
    """What systems without Latin-1 support keep of a name: 'Thiébaut' -> 'Thiebaut'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def swap_hyphen_space(text: str) -> str:
    """Compound names are typed with a hyphen by some and a space by others."""
    if "-" in text:
        return text.replace("-", " ")
    return text.replace(" ", "-")


def typo(text: str, u: float) -> str:
    """One realistic typing error (neighbour key, dropped or swapped letter), chosen by u."""
    letters = [i for i, ch in enumerate(text) if ch.isalpha()]
    if len(letters) < 3:
        return text
    kind = int(u * 3)
    pos = letters[1 + int((u * 997) % 1 * (len(letters) - 2))]   # never the first letter
    ch = text[pos]
    if kind == 0:
        options = AZERTY_NEIGHBOURS.get(ch.lower(), "e")
        new = options[int((u * 7919) % 1 * len(options))]
        new = new.upper() if ch.isupper() else new
        return text[:pos] + new + text[pos + 1:]
    if kind == 1:
        return text[:pos] + text[pos + 1:]
    if pos + 1 < len(text):
        return text[:pos] + text[pos + 1] + text[pos] + text[pos + 2:]
    return text[:pos] + text[pos - 1] + text[pos] if False else text[:-1]


def _apply_where(series: pd.Series, mask: np.ndarray, func) -> pd.Series:
    """Apply a string function to the masked rows only, through a cache of unique values."""
    if not mask.any():
        return series
    out = series.copy()
    subset = out[mask]
    uniques = pd.unique(subset)
    mapping = {value: func(value) for value in uniques}
    out[mask] = subset.map(mapping)
    return out


def spelled_identity(persons, person_idx: np.ndarray, system_key, seed: int,
                     rates: dict[str, float], *, marker_style: str | None = None,
                     marker_rows: np.ndarray | None = None) -> pd.DataFrame:
    """The identity of each row's person as one member system spells it.

    Returns columns last_name, birth_name, first_name, first_names_all, birth_date.
    `system_key` (one integer, or one per row) identifies the member (or PSAD, agenda...): variations are drawn once per
    (person, system) from a hash, so a system spells a person the same way every time.
    marker_style 'epouse' writes married women as 'BIRTH ÉPOUSE USAGE' or 'USAGE NÉE BIRTH'
    in the last-name field, as some systems do.
    """
    vocab = name_vocabulary()
    idx = np.asarray(person_idx, dtype=np.int64)
    u = {name: hash_uniform(seed, idx, system_key, salt)
         for salt, name in enumerate(("accents", "hyphen", "typo", "typo_pos", "swap", "usage", "daymonth",
                                       "typo_field", "marker"))}
    birth_last = pd.Series(vocab["last"][persons.last_idx[idx]], dtype=object)
    married_idx = persons.married_idx[idx]
    is_married = married_idx >= 0
    married_last = pd.Series(np.where(is_married, vocab["last"][np.where(is_married, married_idx, 0)],
                                      birth_last.to_numpy()), dtype=object)
    uses_usage = is_married & (u["usage"] < rates["usage_name"])
    last = pd.Series(np.where(uses_usage, married_last.to_numpy(), birth_last.to_numpy()), dtype=object)
    first = pd.Series(persons.first_name_strings(idx), dtype=object)
    second = pd.Series(persons.second_name_strings(idx), dtype=object)

    swap = (second.to_numpy() != "") & (u["swap"] < rates["swap_first_names"])
    first_out = pd.Series(np.where(swap, second.to_numpy(), first.to_numpy()), dtype=object)
    second_out = pd.Series(np.where(swap, first.to_numpy(), second.to_numpy()), dtype=object)

    accents = u["accents"] < rates["drop_accents"]
    hyphen = u["hyphen"] < rates["hyphen_space_swap"]
    for name in ("last", "birth", "first", "second"):
        series = {"last": last, "birth": birth_last, "first": first_out, "second": second_out}[name]
        series = _apply_where(series, accents, strip_accents)
        series = _apply_where(series, hyphen, swap_hyphen_space)
        if name == "last":
            last = series
        elif name == "birth":
            birth_last = series
        elif name == "first":
            first_out = series
        else:
            second_out = series

    typo_rows = np.flatnonzero(u["typo"] < rates["typo"])
    if typo_rows.size:
        typo_in_last = u["typo_field"][typo_rows] < 0.6
        last_values = last.to_numpy().copy()
        first_values = first_out.to_numpy().copy()
        for row, in_last in zip(typo_rows, typo_in_last):
            if in_last:
                last_values[row] = typo(last_values[row], u["typo_pos"][row])
            else:
                first_values[row] = typo(first_values[row], u["typo_pos"][row])
        last = pd.Series(last_values, dtype=object)
        first_out = pd.Series(first_values, dtype=object)

    if marker_style == "epouse" or marker_rows is not None:
        with_marker = uses_usage if marker_rows is None else (uses_usage & marker_rows)
        birth_first = u["marker"] < 0.5
        birth_vals, last_vals = birth_last.to_numpy(), last.to_numpy().copy()
        for row in np.flatnonzero(with_marker):
            if birth_first[row]:
                last_vals[row] = f"{birth_vals[row]} ÉPOUSE {last_vals[row]}"
            else:
                last_vals[row] = f"{last_vals[row]} NÉE {birth_vals[row]}"
        last = pd.Series(last_vals, dtype=object)

    birth = persons.birth_date[idx].astype("datetime64[D]")
    day = (birth - birth.astype("datetime64[M]")).astype(np.int64) + 1
    month = birth.astype("datetime64[M]").astype(np.int64) % 12 + 1
    swappable = (day <= 12) & (day != month) & (u["daymonth"] < rates["day_month_swap"])
    if swappable.any():
        years = birth.astype("datetime64[Y]").astype(np.int64) + 1970
        swapped = (np.array([f"{y:04d}-{d:02d}-{m:02d}" for y, m, d in
                             zip(years[swappable], month[swappable], day[swappable])], dtype="datetime64[D]"))
        birth = birth.copy()
        birth[swappable] = swapped

    all_first = first_out.where(second_out == "", first_out + " " + second_out)
    return pd.DataFrame({
        "last_name": last.to_numpy(),
        "birth_name": np.where(is_married, birth_last.to_numpy(), None),
        "first_name": first_out.to_numpy(),
        "first_names_all": all_first.to_numpy(),
        "birth_date": birth,
    })


def zfill(numbers: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal text of integers, as an object array (safe on empty input)."""
    return pd.Series(np.asarray(numbers, dtype=np.int64)).astype(str).str.zfill(width).to_numpy(dtype=object)


def ine_strings(seed: int, person_idx: np.ndarray) -> np.ndarray:
    """INE in the RNIE shape: 10 digits and a key letter (our key: number mod 23 over the alphabet
    without I, O, Q), stable per person."""
    number = (hash_keys(seed, np.asarray(person_idx, dtype=np.int64), 0x1E) % np.uint64(10**10)).astype(np.int64)
    alphabet = np.array(list("ABCDEFGHJKLMNPRSTUVWXYZ"), dtype=object)
    keys = alphabet[number % 23]
    digits = zfill(number, 10)
    return digits + keys


def email_strings(first: pd.Series, last: pd.Series, u: np.ndarray) -> np.ndarray:
    """prenom.nom@domaine, as people type them (no accents, no spaces)."""
    domains = np.array(EMAIL_DOMAINS, dtype=object)[(u * len(EMAIL_DOMAINS)).astype(int) % len(EMAIL_DOMAINS)]
    local = (first.map(strip_accents).str.lower().str.replace(r"[^a-z]", "", regex=True) + "."
             + last.map(strip_accents).str.lower().str.replace(r"[^a-z]", "", regex=True))
    return (local + "@" + pd.Series(domains)).to_numpy()


def phone_strings(u: np.ndarray) -> np.ndarray:
    """French mobile numbers written the French way: '06 12 34 56 78'."""
    numbers = (u * 10**8).astype(np.int64)
    prefix = np.where((numbers % 3) == 0, "07", "06")
    digits = zfill(numbers, 8)
    return np.array([f"{p} {d[0:2]} {d[2:4]} {d[4:6]} {d[6:8]}" for p, d in zip(prefix, digits)], dtype=object)
