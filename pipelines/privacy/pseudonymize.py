"""Keyed pseudonyms and comparison tokens.

Pseudonym = hex HMAC-SHA256(key, domain || 0x1F || normalised value).

Why keyed: a plain SHA-256 of a name or an INE is reversed by hashing every candidate. Why a domain:
the same string in two roles (an INE, a member's person number 'ML054:123', a surname) must give
unrelated pseudonyms, so that one table's pseudonyms cannot be joined to another's by accident, and
a member's own person numbers are namespaced by member ('person_id:ML054'). The 0x1F separator can
never appear in a domain (domains are checked against DOMAIN_PATTERN), so (domain, value) pairs are
encoded unambiguously.

Comparison tokens (for probabilistic linkage without clear names) are keyed hashes (the HMAC cut
to 72 bits, see TOKEN_BYTES) of each normalised identity part in shared domains: every surname form
(full, compact, phonetic) in the 'surname*' domains whether it is a birth or a usage name, so that a
birth name can match a married name; every first-name token; birth year; birth day AND month in the
same 'birth_daymonth' domain, so a day/month swap shows as token(day A) == token(month B); sex;
commune.

Typo-tolerant tokens (`surname_deletions`, `first_name_deletions`): a hash cannot say "one letter
off", so the tolerance is computed BEFORE hashing, as a deletion neighbourhood (symmetric-delete
trick): the normalised compact name itself plus every string obtained by deleting one character
('DUPONT' -> DUPONT, UPONT, DPONT, DUONT, DUPNT, DUPOT, DUPON). Two strings within edit distance 1
(one insertion, deletion or substitution) always share at least one element: DUPONT/DUPOND share
DUPON, MARTIN/MARTINE share MARTIN. Each element is hashed with the key in its own domain
('surname_del', 'first_name_del': a deletion token can never equal a full-name token), and the
field holds the sorted tuple of tokens; linkage compares two lists with list_has_any.
  - Keyed like every other token, so no dictionary attack: without the key, a list of hashes of
    'UPONT', 'DPONT'... is as opaque as the surname token itself. The list does reveal the length
    of the name (number of distinct elements), which the model can see anyway.
  - Cost: about n+1 HMACs per distinct name of n letters (~8 for a French surname), and the same
    number of 12-character tokens per stored row of ops.identity_tokens (VARCHAR[] columns).
  - Names shorter than MIN_DELETION_LENGTH letters keep only themselves (no deletions): 'LI' / 'LE'
    / 'LO' sharing 'L' would be noise, not evidence. An insertion into them ('ROY' -> 'ROYE') still
    matches, through the longer name's deletions.
  - surname_deletions is the union of the birth- and usage-name neighbourhoods (compact forms), so a
    typo in a married name still meets the other record's birth name, as the crossed levels do.
    first_name_deletions covers the primary first name only.

Measured rate (this 2-core machine, Python 3.11, while other jobs loaded it: load average ~6;
`python -m pipelines.privacy.pseudonymize` re-measures):
  pseudonymize_values     160,000-520,000 distinct values/s (RFC 2104 HMAC from copied SHA-256
                          states in a list comprehension; hmac.new(...).copy() per value measured
                          ~280,000/s, hmac.digest ~230,000/s on the same run);
  pseudonymize_series     ~150,000 rows/s when every value is distinct, ~300,000 rows/s for 1M rows
                          with 300k distinct INE, >5 million rows/s for low-cardinality columns
                          (each distinct value is normalised and hashed once);
  comparison_tokens_frame 11,000-34,000 distinct identities/s (normalisation in Python dominates;
                          repeated names hit the caches of normalize.py).
So a region-year (~5 million acts, ~1.5 million people) pseudonymises in well under a minute per
identifier column, and its comparison tokens take one to a few minutes. The deletion tokens
(below) cost about a third of that rate: 100,000 identities drawn from Faker's fr_FR names ran at
~60,000/s without them and 35,000-52,000/s with them (same machine, 2026-11-28).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from base64 import b64encode
from datetime import date
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from .generalize import (  # noqa: F401  (re-exported: the brief places them with pseudonyms)
    AGE_BANDS,
    age_at,
    age_at_series,
    age_band,
    age_band_at,
    age_band_series,
    bassin_of,
    bassin_series,
    qualification_level_from_bcn,
)
from .normalize import (
    NormalizedIdentity,
    clean_name,
    french_phonetic,  # noqa: F401  (re-exported)
    normalize_commune,
    normalize_identity,
    normalize_ine,
)

DOMAIN_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(?::[A-Za-z0-9_.-]+)?$")
_SEP = b"\x1f"

# Domains of the comparison tokens (shared by every member: that is what makes linkage possible).
D_SURNAME = "surname"
D_SURNAME_COMPACT = "surname_compact"
D_SURNAME_PHONETIC = "surname_phonetic"
D_FIRST_NAME = "first_name"
D_FIRST_NAMES_COMPACT = "first_names_compact"
D_FIRST_NAME_PHONETIC = "first_name_phonetic"
D_BIRTH_YEAR = "birth_year"
D_BIRTH_DAYMONTH = "birth_daymonth"
D_SEX = "sex"
D_COMMUNE = "commune"
D_SURNAME_DELETIONS = "surname_del"
D_FIRST_NAME_DELETIONS = "first_name_del"


def check_domain(domain: str) -> str:
    """Reject domains that could make (domain, value) encodings ambiguous."""
    if not DOMAIN_PATTERN.match(domain):
        raise ValueError(f"Domaine de pseudonymisation invalide : {domain!r} (attendu p. ex. 'ine', 'person_id:ML054').")
    return domain


def person_id_domain(member_code: str) -> str:
    """Domain of a member's own person numbers: two members' '123' are different people."""
    return check_domain(f"person_id:{member_code}")


def pseudonym(key: bytes, domain: str, value: str) -> str:
    """Hex HMAC-SHA256 of one already-normalised value in a domain."""
    return hmac.new(key, check_domain(domain).encode() + _SEP + value.encode("utf-8"), hashlib.sha256).hexdigest()


def _keyed_states(key: bytes, prefix: bytes) -> tuple["hashlib._Hash", "hashlib._Hash"]:
    """Inner and outer SHA-256 states of HMAC (RFC 2104) with the prefix already absorbed."""
    block = 64
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    inner.update(prefix)
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    return inner, outer


def _hmac_values(values: Iterable[str], key: bytes, domain: str, token: bool) -> list[str]:
    """HMAC-SHA256 of many normalised strings in one domain: hex pseudonyms, or comparison tokens.

    Computed as RFC 2104 HMAC from copies of the inner and outer SHA-256 states with the key and
    domain prefix already absorbed: about twice as fast as hmac.new(...).copy() per value, which
    matters at millions of rows.
    """
    inner, outer = _keyed_states(key, check_domain(domain).encode() + _SEP)

    def one(v: str) -> str:
        i = inner.copy()
        i.update(v.encode("utf-8"))
        o = outer.copy()
        o.update(i.digest())
        return b64encode(o.digest()[:TOKEN_BYTES]).decode("ascii") if token else o.hexdigest()

    return [one(v) for v in values]


def pseudonymize_values(values: Iterable[str], key: bytes, domain: str) -> list[str]:
    """Hash many normalised strings in one domain (no None: filter missing values first); same
    result as `pseudonym` (tested)."""
    return _hmac_values(values, key, domain, token=False)


# A comparison token is the first TOKEN_BYTES bytes of the value's HMAC, in base64: 72 bits in 12
# characters. Why not the 64-hex pseudonym: tokens are only ever compared for equality within their
# own domain, by the linkage, and at ~33 tokens per identity (the deletion lists) full pseudonyms
# were most of the bytes ingestion wrote (~2 KB per identity). 12 characters is what DuckDB stores
# inline in a string (no heap), and 72 bits keep accidental equality negligible: among 10 million
# distinct values of one domain, the expected number of colliding pairs is n^2 / 2^73, about 1e-8.
# A cut HMAC stays keyed and one-way, and reveals less than the pseudonym it is cut from. (RFC 2104,
# section 5, asks for at least 80 bits where the HMAC authenticates messages against forgery; a
# token authenticates nothing, so what bounds its length is accidental equality, above.) Stored
# 64-hex tokens convert in SQL (token_from_pseudonym_sql).
TOKEN_BYTES = 9


def comparison_token_values(values: Iterable[str], key: bytes, domain: str) -> list[str]:
    """Comparison tokens of many normalised strings in one domain (no None)."""
    return _hmac_values(values, key, domain, token=True)


def token_from_pseudonym(hex_pseudonym: str) -> str:
    """The comparison token of a value from its 64-hex pseudonym in the same domain."""
    return b64encode(bytes.fromhex(hex_pseudonym)[:TOKEN_BYTES]).decode("ascii")


def token_from_pseudonym_sql(expression: str) -> str:
    """DuckDB expression of token_from_pseudonym: converts tokens stored as 64-hex pseudonyms."""
    return f"to_base64(unhex(left({expression}, {2 * TOKEN_BYTES})))"


# --- value normalisers per domain kind (the part before ':') -------------------------------------


def _is_missing(value: object) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value)


def normalize_person_id(value: object) -> str | None:
    """A member's own person number: trimmed; 123.0 (spreadsheet float) -> '123'."""
    if _is_missing(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def normalize_email(value: object) -> str | None:
    if _is_missing(value):
        return None
    text = str(value).strip().lower()
    return text or None


def normalize_phone(value: object) -> str | None:
    """Digits only, +33 / 0033 -> 0: '+33 6 12 34 56 78' == '06.12.34.56.78'."""
    if _is_missing(value):
        return None
    digits = re.sub(r"\D", "", str(value))
    if digits.startswith("0033"):
        digits = "0" + digits[4:]
    elif digits.startswith("33") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits or None


def normalize_name_value(value: object) -> str | None:
    """A name pseudonymised on its own (e.g. registrations' last_name): the cleaned compact form."""
    text = clean_name(value).replace(" ", "")
    return text or None


def normalize_generic(value: object) -> str | None:
    if _is_missing(value):
        return None
    text = str(value).strip()
    return text or None


NORMALIZERS: dict[str, Callable[[object], str | None]] = {
    "ine": normalize_ine,
    "person_id": normalize_person_id,
    "name": normalize_name_value,
    "last_name": normalize_name_value,
    "first_names": normalize_name_value,
    "email": normalize_email,
    "phone": normalize_phone,
    "commune": normalize_commune,
}


def normalizer_for(domain: str) -> Callable[[object], str | None]:
    """The value normaliser of a domain kind ('person_id:ML054' -> normalize_person_id)."""
    return NORMALIZERS.get(domain.split(":", 1)[0], normalize_generic)


# Pseudonyms of raw texts already seen in this process, per (key, domain): person numbers, INE and
# names recur across a member's monthly files. Bounded in ALL domains together (SERIES_CACHE_LIMIT):
# each member has its own person-number domain, so a bound per domain let ~300 of them grow without
# limit, ~6 MB per window of files in an ingestion worker; that was the workers' memory creep.
_SERIES_CACHE: dict[tuple[bytes, str], dict[str, str | None]] = {}
SERIES_CACHE_LIMIT = 200_000


def pseudonymize_series(
    values: pd.Series,
    key: bytes,
    domain: str,
    normalize: Callable[[object], str | None] | None = None,
) -> pd.Series:
    """Pseudonyms of a column; missing or empty values stay missing (None).

    Why missing stays missing: hashing "" would give every person without an INE the same
    pseudonym, merging them into one 'person'. Each distinct value is normalised and hashed once.
    """
    codes, table = _pseudonym_codes(values, key, domain, normalize)
    return pd.Series(np.array(table, dtype=object)[codes], index=values.index, dtype=object, name=values.name)


def pseudonymize_arrow(values: pd.Series, key: bytes, domain: str,
                       normalize: Callable[[object], str | None] | None = None):
    """pseudonymize_series as a pyarrow string array (nulls where missing), for direct loading:
    each distinct pseudonym becomes an Arrow string once, rows are a `take` of them."""
    import pyarrow as pa

    codes, table = _pseudonym_codes(values, key, domain, normalize)
    codes = np.where(codes < 0, len(table) - 1, codes)
    return pa.array(table, type=pa.string()).take(pa.array(codes, type=pa.int64()))


def _pseudonym_codes(values: pd.Series, key: bytes, domain: str,
                     normalize: Callable[[object], str | None] | None) -> tuple[np.ndarray, list]:
    """(factorize codes of the values, pseudonym of each distinct value + a trailing None)."""
    # The memo (raw text -> pseudonym) is only used with the domain's own normaliser: a caller's
    # custom `normalize` could map the same text differently.
    memo = None
    if normalize is None:
        if sum(len(m) for m in _SERIES_CACHE.values()) > SERIES_CACHE_LIMIT:
            _SERIES_CACHE.clear()
        memo = _SERIES_CACHE.setdefault((key, domain), {})
    normalize = normalize or normalizer_for(domain)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    uniques = uniques.tolist()  # tolist: iterating an Arrow array is slow
    result: list[str | None] = [None] * len(uniques)
    todo = [i for i, u in enumerate(uniques) if memo is None or type(u) is not str or u not in memo]
    if memo is not None and len(todo) < len(uniques):
        for i, u in enumerate(uniques):
            if type(u) is str and u in memo:
                result[i] = memo[u]
    normalised = [normalize(uniques[i]) for i in todo]
    hashed = iter(pseudonymize_values([n for n in normalised if n is not None], key, domain))
    for i, n in zip(todo, normalised):
        result[i] = next(hashed) if n is not None else None
        if memo is not None and type(uniques[i]) is str:   # 1, 1.0 and True are one dict key
            memo[uniques[i]] = result[i]
    return codes, result + [None]   # code -1 (missing) -> the trailing None


def pseudonymize_frame(
    frame: pd.DataFrame,
    key: bytes,
    personal: Mapping[str, str],
    keep_clear: bool = False,
) -> pd.DataFrame:
    """Replace each personal column by `<column>_pseudo` (convention of docs/architecture.md).

    personal: column -> domain, e.g. {'ine': 'ine', 'member_person_id': 'person_id:ML054'}.
    Columns absent from the frame are ignored (optional columns of a contract).
    """
    out = frame.copy()
    for column, domain in personal.items():
        if column not in out.columns:
            continue
        out[f"{column}_pseudo"] = pseudonymize_series(out[column], key, domain)
        if not keep_clear:
            out = out.drop(columns=[column])
    return out


# --- comparison tokens ------------------------------------------------------------------------------

MAX_FIRST_NAMES = 3
# Names shorter than this keep only themselves in their deletion neighbourhood (module docstring).
MIN_DELETION_LENGTH = 4


@lru_cache(maxsize=200_000)  # names repeat a lot across identities
def deletion_neighbourhood(text: str | None, min_length: int = MIN_DELETION_LENGTH) -> tuple[str, ...] | None:
    """The string itself plus every string obtained by deleting one character (sorted, distinct).

    Two strings at edit distance <= 1 share at least one element: a deletion in one is the other
    itself; an insertion is the symmetric case; a substitution at position i gives the same string
    once position i is deleted from both. None for a missing or empty string.
    """
    if not text:
        return None
    if len(text) < min_length:
        return (text,)
    return tuple(sorted({text, *(text[:i] + text[i + 1:] for i in range(len(text)))}))


def _union_neighbourhoods(birth: str | None, usage: str | None) -> tuple[str, ...] | None:
    if not usage or usage == birth:
        return deletion_neighbourhood(birth)
    if not birth:
        return deletion_neighbourhood(usage)
    return tuple(sorted(set(deletion_neighbourhood(birth)) | set(deletion_neighbourhood(usage))))


@dataclass(frozen=True)
class ComparisonTokens:
    """Keyed tokens of one identity (None where the part is unknown). Only flags are in clear."""

    surname_birth: str | None
    surname_birth_compact: str | None
    surname_birth_phonetic: str | None
    surname_usage: str | None
    surname_usage_compact: str | None
    surname_usage_phonetic: str | None
    first_name_1: str | None
    first_name_2: str | None
    first_name_3: str | None
    first_names_compact: str | None
    first_name_phonetic: str | None
    birth_year: str | None
    birth_month: str | None
    birth_day: str | None
    birth_day_month_ambiguous: bool
    birth_date_reason: str | None  # reason code when the date was rejected (no personal content)
    sex: str | None
    commune: str | None
    # Typo-tolerant tokens: sorted tuples of tokens (None when the name is unknown).
    surname_deletions: tuple[str, ...] | None = None
    first_name_deletions: tuple[str, ...] | None = None


TOKEN_COLUMNS = tuple(ComparisonTokens.__dataclass_fields__)

# token column -> domain (flags excluded)
TOKEN_DOMAINS: dict[str, str] = {
    "surname_birth": D_SURNAME,
    "surname_birth_compact": D_SURNAME_COMPACT,
    "surname_birth_phonetic": D_SURNAME_PHONETIC,
    "surname_usage": D_SURNAME,
    "surname_usage_compact": D_SURNAME_COMPACT,
    "surname_usage_phonetic": D_SURNAME_PHONETIC,
    "first_name_1": D_FIRST_NAME,
    "first_name_2": D_FIRST_NAME,
    "first_name_3": D_FIRST_NAME,
    "first_names_compact": D_FIRST_NAMES_COMPACT,
    "first_name_phonetic": D_FIRST_NAME_PHONETIC,
    "birth_year": D_BIRTH_YEAR,
    "birth_month": D_BIRTH_DAYMONTH,
    "birth_day": D_BIRTH_DAYMONTH,
    "sex": D_SEX,
    "commune": D_COMMUNE,
    "surname_deletions": D_SURNAME_DELETIONS,
    "first_name_deletions": D_FIRST_NAME_DELETIONS,
}
# Token columns holding a sorted tuple of tokens (one per element of a deletion neighbourhood)
# rather than one token: stored as VARCHAR[] in DuckDB.
TOKEN_LIST_COLUMNS = ("surname_deletions", "first_name_deletions")


def clear_token_parts(identity: NormalizedIdentity) -> dict[str, object]:
    """The normalised clear strings that become tokens (in memory only, never stored)."""
    birth, usage, first = identity.birth_name, identity.usage_name, identity.first_names
    tokens = list(first.tokens[:MAX_FIRST_NAMES]) + [None] * (MAX_FIRST_NAMES - len(first.tokens[:MAX_FIRST_NAMES]))
    bd = identity.birth_date.value
    return {
        "surname_birth": birth.full if birth else None,
        "surname_birth_compact": birth.compact if birth else None,
        "surname_birth_phonetic": (birth.phonetic or None) if birth else None,
        "surname_usage": usage.full if usage else None,
        "surname_usage_compact": usage.compact if usage else None,
        "surname_usage_phonetic": (usage.phonetic or None) if usage else None,
        "first_name_1": tokens[0],
        "first_name_2": tokens[1],
        "first_name_3": tokens[2],
        "first_names_compact": first.compact or None,
        "first_name_phonetic": first.primary_phonetic or None,
        "birth_year": f"{bd.year:04d}" if bd else None,
        "birth_month": f"{bd.month:02d}" if bd else None,
        "birth_day": f"{bd.day:02d}" if bd else None,
        "birth_day_month_ambiguous": identity.birth_date.ambiguous_day_month,
        "birth_date_reason": identity.birth_date.reason,
        "sex": identity.sex,
        "commune": identity.commune,
        "surname_deletions": _union_neighbourhoods(birth.compact if birth else None, usage.compact if usage else None),
        "first_name_deletions": deletion_neighbourhood(first.primary),
    }


def comparison_tokens(identity: NormalizedIdentity, key: bytes) -> ComparisonTokens:
    """Keyed comparison tokens of one normalised identity."""
    parts = clear_token_parts(identity)
    for column, domain in TOKEN_DOMAINS.items():
        if parts[column] is None:
            continue
        if column in TOKEN_LIST_COLUMNS:
            parts[column] = tuple(sorted(comparison_token_values([str(v) for v in parts[column]], key, domain)))
        else:
            parts[column] = comparison_token_values([str(parts[column])], key, domain)[0]
    return ComparisonTokens(**parts)


DEFAULT_IDENTITY_COLUMNS = {
    "last_name": "last_name",
    "birth_name": "birth_name",
    "first_names": "first_names",
    "birth_date": "birth_date",
    "sex": "sex_code",
    "commune": "residence_commune_insee",
}


# Each token column depends on the arguments of ONE group only (see clear_token_parts: surname parts
# read only the split of last_name/birth_name, first-name parts only first_names, and so on). So the
# tokens are computed once per DISTINCT value of each group, not once per distinct whole identity:
# birth dates and communes make almost every identity distinct, whereas a region's names repeat
# massively. The result is the same, value for value (tests compare with the per-identity reference).
_TOKEN_GROUPS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("last_name", "birth_name"),
     ("surname_birth", "surname_birth_compact", "surname_birth_phonetic", "surname_usage",
      "surname_usage_compact", "surname_usage_phonetic", "surname_deletions")),
    (("first_names",),
     ("first_name_1", "first_name_2", "first_name_3", "first_names_compact", "first_name_phonetic",
      "first_name_deletions")),
    (("birth_date",), ("birth_year", "birth_month", "birth_day", "birth_day_month_ambiguous", "birth_date_reason")),
    (("sex",), ("sex",)),
    (("commune",), ("commune",)),
)
assert sorted(c for _, cols in _TOKEN_GROUPS for c in cols) == sorted(TOKEN_COLUMNS)

# Tokens already computed in this process, per (key, domain): the same surnames, first names,
# communes and deletion strings come back in every member file, so each is hashed once per run
# instead of once per file. Bounded: a domain's cache is emptied when it grows past the limit.
_TOKEN_CACHE: dict[tuple[bytes, str], dict[str, str]] = {}
PSEUDONYM_CACHE_LIMIT = 400_000   # per domain (a handful of domains)


def cached_tokens(values: list[str], key: bytes, domain: str) -> list[str]:
    """comparison_token_values with a per-process memo (same tokens; only the misses are hashed)."""
    cache = _TOKEN_CACHE.setdefault((key, domain), {})
    if len(cache) > PSEUDONYM_CACHE_LIMIT:
        cache.clear()
    missing = [v for v in dict.fromkeys(values) if v not in cache]
    if missing:
        cache.update(zip(missing, comparison_token_values(missing, key, domain)))
    return [cache[v] for v in values]


def _column_codes(frame: pd.DataFrame, source: str | None) -> tuple[np.ndarray, list]:
    """pd.factorize of one column: missing values (None, NaN, NA, NaT) get code -1, as _is_missing."""
    if source is None or source not in frame.columns:
        return np.full(len(frame), -1, dtype=np.intp), []
    codes, uniques = pd.factorize(frame[source], use_na_sentinel=True)
    return codes, uniques.tolist()   # tolist: plain Python values, as frame[col].tolist() gives


def _group_codes(frame: pd.DataFrame, sources: list[str | None]) -> tuple[np.ndarray, list[tuple]]:
    """Codes of each row's (group values) and the distinct tuples; a missing value is None, as
    normalize_identity gets it from the per-identity path. The LAST distinct tuple is all-None."""
    parts = [_column_codes(frame, source) for source in sources]
    if len(parts) == 1:
        codes, uniques = parts[0]
        distinct = [(u,) for u in uniques]
    else:   # combine the columns' codes into one code per distinct pair, then factorize that
        combined = np.zeros(len(frame), dtype=np.int64)
        for codes, uniques in parts:
            combined = combined * (len(uniques) + 1) + (codes + 1)
        codes, pairs = pd.factorize(combined)
        distinct = []
        for pair in pairs.tolist():
            values = []
            for codes_k, uniques in reversed(parts):
                pair, digit = divmod(pair, len(uniques) + 1)
                values.append(uniques[digit - 1] if digit else None)
            distinct.append(tuple(reversed(values)))
    distinct.append(tuple(None for _ in sources))
    codes = np.where(codes < 0, len(distinct) - 1, codes)
    return codes, distinct


# Token values already computed in this process, per (key, today, group): {distinct group values:
# the group's token values}. Names, dates and communes recur in file after file; only new ones are
# normalised and hashed. Only all-text keys are cached (1, 1.0 and True are equal dict keys).
_GROUP_CACHE: dict[tuple, dict[tuple, tuple]] = {}
GROUP_CACHE_LIMIT = 300_000


def _cacheable(values: tuple) -> bool:
    return all(v is None or type(v) is str for v in values)


def _token_tables(frame: pd.DataFrame, key: bytes, columns: Mapping[str, str] | None,
                  today: date | None) -> tuple[int, dict[str, tuple[np.ndarray, list]]]:
    """Per token column: (row codes, value of each distinct group tuple), hashed with the key."""
    mapping = {**DEFAULT_IDENTITY_COLUMNS, **(columns or {})}
    today = today or date.today()
    out: dict[str, tuple[np.ndarray, list]] = {}
    for group, (arguments, token_columns) in enumerate(_TOKEN_GROUPS):
        codes, distinct = _group_codes(frame, [mapping.get(a) for a in arguments])
        cache = _GROUP_CACHE.setdefault((key, today, group), {})
        if len(cache) > GROUP_CACHE_LIMIT:
            cache.clear()
        new = [values for values in distinct if not (_cacheable(values) and values in cache)]
        computed = dict(zip(new, _group_token_values(new, arguments, token_columns, key, today)))
        cache.update({values: tokens for values, tokens in computed.items() if _cacheable(values)})
        rows = [computed[values] if values in computed else cache[values] for values in distinct]
        for position, column in enumerate(token_columns):
            out[column] = (codes, [r[position] for r in rows])
    return len(frame), out


def _group_token_values(distinct: list[tuple], arguments: tuple[str, ...], token_columns: tuple[str, ...],
                        key: bytes, today: date) -> list[tuple]:
    """For each distinct tuple of one group's arguments: its token values (keyed), in token_columns order."""
    parts = [clear_token_parts(normalize_identity(**dict(zip(arguments, values)), today=today))
             for values in distinct]
    columns = []
    for column in token_columns:
        values = [p[column] for p in parts]
        domain = TOKEN_DOMAINS.get(column)
        if domain is not None and column in TOKEN_LIST_COLUMNS:
            elements = sorted({e for v in values if v is not None for e in v})
            hashed = dict(zip(elements, cached_tokens(elements, key, domain)))
            values = [tuple(sorted(hashed[e] for e in v)) if v is not None else None for v in values]
        elif domain is not None:
            texts = [str(v) for v in values if v is not None]
            hashed = dict(zip(texts, cached_tokens(texts, key, domain)))
            values = [hashed[str(v)] if v is not None else None for v in values]
        columns.append(values)
    return list(zip(*columns)) if columns else []


def comparison_tokens_frame(
    frame: pd.DataFrame,
    key: bytes,
    columns: Mapping[str, str] | None = None,
    today: date | None = None,
) -> pd.DataFrame:
    """Comparison tokens for every row of a frame (same index), one column per ComparisonTokens field.

    columns maps normalize_identity's arguments to the frame's columns (default: the common model,
    DEFAULT_IDENTITY_COLUMNS); a missing column counts as unknown. Each distinct value of each
    identity group (surnames, first names, birth date, sex, commune) is normalised once and each
    distinct clear part hashed once per domain (see _TOKEN_GROUPS).
    """
    n, tables = _token_tables(frame, key, columns, today)
    out: dict[str, np.ndarray] = {}
    for column in TOKEN_COLUMNS:
        codes, values = tables[column]
        out[column] = _expand(values, codes, n, len(values))
    return _tokens_frame(out, frame.index)


def comparison_tokens_arrow(
    frame: pd.DataFrame,
    key: bytes,
    columns: Mapping[str, str] | None = None,
    today: date | None = None,
):
    """The same tokens as comparison_tokens_frame, as a pyarrow Table (row order of the frame).

    Why: written to DuckDB, an object column of Python tuples costs a Python-level conversion per
    row; here each distinct value is converted once and the rows are an Arrow `take` of it.
    """
    import pyarrow as pa

    n, tables = _token_tables(frame, key, columns, today)
    arrays = []
    for column in TOKEN_COLUMNS:
        codes, values = tables[column]
        if column == "birth_day_month_ambiguous":
            kind = pa.bool_()
            values = [bool(v) if v is not None else False for v in values]
        elif column in TOKEN_LIST_COLUMNS:
            kind = pa.list_(pa.string())
        else:
            kind = pa.string()
        arrays.append(pa.array(values, type=kind).take(pa.array(codes, type=pa.int64())) if n
                      else pa.array([], type=kind))
    return pa.Table.from_arrays(arrays, names=list(TOKEN_COLUMNS))


def comparison_tokens_frame_per_identity(
    frame: pd.DataFrame,
    key: bytes,
    columns: Mapping[str, str] | None = None,
    today: date | None = None,
) -> pd.DataFrame:
    """Reference for comparison_tokens_frame (its former body): one normalisation per distinct WHOLE identity.

    Kept so tests can prove the per-group path gives byte-identical tokens; not used by the pipeline.

    columns maps normalize_identity's arguments to the frame's columns (default: the common model,
    DEFAULT_IDENTITY_COLUMNS); a missing column counts as unknown. Each distinct identity is
    normalised once and each distinct clear part hashed once per domain.
    """
    mapping = {**DEFAULT_IDENTITY_COLUMNS, **(columns or {})}
    today = today or date.today()
    n = len(frame)
    series = [
        [None if _is_missing(v) else v for v in frame[col].tolist()] if col in frame.columns else [None] * n
        for col in mapping.values()
    ]
    codes, uniques = pd.factorize(pd.Series(list(zip(*series)) if n else [], dtype=object))
    names = list(mapping)
    parts = [clear_token_parts(normalize_identity(**dict(zip(names, u)), today=today)) for u in uniques]

    out: dict[str, np.ndarray] = {}
    hash_cache: dict[tuple[str, str], str] = {}
    for column in TOKEN_COLUMNS:
        values = [p[column] for p in parts]
        domain = TOKEN_DOMAINS.get(column)
        if domain is not None and column in TOKEN_LIST_COLUMNS:
            distinct = set(values) - {None}   # one neighbourhood per distinct name, not per identity
            todo = sorted({e for v in distinct for e in v if (domain, e) not in hash_cache})
            hash_cache.update({(domain, v): h for v, h in zip(todo, comparison_token_values(todo, key, domain))})
            hashed = {v: tuple(sorted(hash_cache[(domain, e)] for e in v)) for v in distinct}
            values = [hashed[v] if v is not None else None for v in values]
        elif domain is not None:
            todo = sorted({str(v) for v in values if v is not None and (domain, str(v)) not in hash_cache})
            hash_cache.update({(domain, v): h for v, h in zip(todo, comparison_token_values(todo, key, domain))})
            values = [hash_cache[(domain, str(v))] if v is not None else None for v in values]
        out[column] = _expand(values, codes, n, len(values) + 1)
    return _tokens_frame(out, frame.index)


def _expand(values: list, codes: np.ndarray, n: int, size: int) -> np.ndarray:
    """Each row's value from the distinct values and the rows' codes into them."""
    table = np.empty(size, dtype=object)  # not np.array: tuples would become a 2-D array
    for i, value in enumerate(values):
        table[i] = value
    return table[codes] if n else np.array([], dtype=object)


def _tokens_frame(columns: dict[str, np.ndarray], index: pd.Index) -> pd.DataFrame:
    result = pd.DataFrame(columns, index=index)
    result["birth_day_month_ambiguous"] = result["birth_day_month_ambiguous"].fillna(False).astype(bool)
    return result


def tokens_as_dict(tokens: ComparisonTokens) -> dict[str, object]:
    return asdict(tokens)


# --- measured rate ------------------------------------------------------------------------------------


def benchmark(n: int = 1_000_000, key: bytes = b"k" * 32) -> dict[str, float]:
    """Rows per second of `pseudonymize_values` (all distinct) and `comparison_tokens_frame`."""
    values = [f"{i:011d}A" for i in range(n)]
    t0 = time.perf_counter()
    pseudonymize_values(values, key, "ine")
    rate_values = n / (time.perf_counter() - t0)
    # Realistic repetition: surnames and first names drawn from Faker's fr_FR lists, so distinct
    # identities are many but distinct name strings are few (as in members' files).
    from faker.providers.person.fr_FR import Provider

    rng = np.random.default_rng(0)
    m = max(n // 5, 1)
    last = np.array(Provider.last_names, dtype=object)[rng.integers(0, len(Provider.last_names), m)]
    usage = np.array(Provider.last_names, dtype=object)[rng.integers(0, len(Provider.last_names), m)]
    married = rng.random(m) < 0.2
    first = np.array(Provider.first_names, dtype=object)[rng.integers(0, len(Provider.first_names), m)]
    frame = pd.DataFrame(
        {
            "last_name": np.where(married, last + " épouse " + usage, last),
            "first_names": first,
            "birth_date": [f"{1 + i % 28:02d}/{1 + (i // 28) % 12:02d}/{1960 + i % 50}" for i in range(m)],
            "sex_code": rng.choice(["F", "H"], m),
            "residence_commune_insee": [f"{57000 + i % 700}" for i in range(m)],
        }
    )
    t0 = time.perf_counter()
    comparison_tokens_frame(frame, key)
    rate_tokens = m / (time.perf_counter() - t0)
    return {"pseudonymize_values_per_s": rate_values, "comparison_tokens_identities_per_s": rate_tokens}


__all__ = [
    # pseudonyms
    "DOMAIN_PATTERN",
    "check_domain",
    "person_id_domain",
    "pseudonym",
    "pseudonymize_values",
    "pseudonymize_series",
    "pseudonymize_arrow",
    "pseudonymize_frame",
    "normalizer_for",
    "NORMALIZERS",
    # comparison tokens
    "ComparisonTokens",
    "TOKEN_COLUMNS",
    "TOKEN_DOMAINS",
    "TOKEN_LIST_COLUMNS",
    "MIN_DELETION_LENGTH",
    "deletion_neighbourhood",
    "DEFAULT_IDENTITY_COLUMNS",
    "clear_token_parts",
    "comparison_tokens",
    "comparison_tokens_frame",
    "comparison_tokens_arrow",
    "TOKEN_BYTES",
    "cached_tokens",
    "comparison_token_values",
    "token_from_pseudonym",
    "french_phonetic",
    # generalisation (defined in generalize.py)
    "AGE_BANDS",
    "age_at",
    "age_at_series",
    "age_band",
    "age_band_at",
    "age_band_series",
    "bassin_of",
    "bassin_series",
    "qualification_level_from_bcn",
    "benchmark",
]


if __name__ == "__main__":  # python -m pipelines.privacy.pseudonymize
    for name, rate in benchmark().items():
        print(f"{name}: {rate:,.0f}")
