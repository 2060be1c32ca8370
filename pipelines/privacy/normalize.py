"""Identity normalisation before keyed hashing.

Why: the same person is spelt differently by different members' information systems (accents,
ligatures, hyphens, apostrophes, particles, married names, several first names, day/month order).
A keyed hash of the raw string would make every spelling a different person. Each rule below is a
small pure function so it can be tested and reasoned about on its own; `normalize_identity` chains
them and returns dataclasses.

Rules (in order of application for a name):
  1. `fold_text`: expand ligatures (Œ->OE, Æ->AE, ß->SS, Ø->O, Ł->L, Đ->D), NFKD-decompose and drop
     combining marks (É->E, Ç->C, Ï->I), uppercase.
  2. `clean_name`: apostrophes, hyphens, dots, commas and any other non-letter become a space;
     multiple spaces collapse to one; strip. "D'Artagnan" -> "D ARTAGNAN", "Jean-Pierre" ->
     "JEAN PIERRE".
  3. Civility words at the start (M, MR, MME, MLLE, MONSIEUR, MADAME, MADEMOISELLE) are dropped.
  4. `split_married_name`: the markers EPOUSE/EPSE/EP (and EP.), VEUVE/VVE put the birth name on the
     left and the usage (married) name on the right; NEE/NE put the usage name on the left and the
     birth name on the right. A marker with nothing on one side leaves that side empty.
  5. Particles (DE, DU, DES, D, LE, LA, LES, L, VAN, VON, DER, DEN, DI, DA, DOS, DAS, DEL, DELLA,
     MAC, MC, ST, SAINT...) are kept as tokens with single spacing; the `compact` form (no spaces)
     makes "DE LA FONTAINE" == "DELAFONTAINE" == "de la Fontaine"; `core` drops leading particles
     ("FONTAINE") for a weaker comparison.
  6. First names: split on commas/slashes first (explicit list), then on spaces/hyphens: the ordered
     tokens are the first names, the first token is the primary one. So "Jean-Pierre, Marie",
     "JEAN PIERRE MARIE" and "Jean Pierre Marie" give the same tokens (JEAN, PIERRE, MARIE).
  7. `french_phonetic`: a simplified French phonetic reduction (see its docstring) computed on the
     compact form, BEFORE any hashing (a hash cannot be made phonetic afterwards).

Dates, sex and commune codes have their own small parsers below.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from dataclasses import dataclass, field
from datetime import date, datetime

# --------------------------------------------------------------------------------------------------
# Text folding
# --------------------------------------------------------------------------------------------------

# Ligatures and letters that NFKD does not decompose into base letter + combining mark.
_LIGATURES = str.maketrans(
    {
        "Œ": "OE", "œ": "oe", "Æ": "AE", "æ": "ae", "ß": "ss", "ẞ": "SS",
        "Ø": "O", "ø": "o", "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ð": "D", "ð": "d",
        "Þ": "TH", "þ": "th", "ı": "i",
    }
)

_NON_LETTER = re.compile(r"[^A-Z]+")
_NON_ALNUM = re.compile(r"[^0-9A-Z]+")
# Unicode combining-mark blocks (diacritics): removed after NFKD decomposition.
_COMBINING_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")
_SPACES = re.compile(r"\s+")


def strip_accents(text: str) -> str:
    """Expand ligatures, then remove diacritics (NFKD + drop combining marks).

    Why: members' systems differ in encoding (cp1252 exports often lose accents) and typists
    differ; the comparison must not depend on 'É' vs 'E' or 'Œ' vs 'OE'.
    """
    if text.isascii():
        return text
    text = text.translate(_LIGATURES)
    return _COMBINING_MARKS.sub("", unicodedata.normalize("NFKD", text))


def fold_text(text: str) -> str:
    """Ligatures expanded, accents stripped, uppercased (ß -> SS via the ligature table)."""
    return strip_accents(text).upper()


def clean_name(text: object) -> str:
    """Fold and turn every non-letter (apostrophe, hyphen, dot, digit...) into one space.

    Returns "" for missing values so callers never hash None/NaN by accident.
    """
    if not isinstance(text, str):
        return ""
    return _clean_str(text)


# Caches: names repeat a lot (a few thousand surnames cover most people), so each distinct
# spelling is cleaned / split / reduced once per process. All cached results are immutable.
_CACHE_SIZE = 262_144


@lru_cache(maxsize=_CACHE_SIZE)
def _clean_str(text: str) -> str:
    return _SPACES.sub(" ", _NON_LETTER.sub(" ", fold_text(text))).strip()


def compact(text: str) -> str:
    """The name without spaces: 'DE LA FONTAINE' -> 'DELAFONTAINE'."""
    return text.replace(" ", "")


# --------------------------------------------------------------------------------------------------
# Surnames: civility, married-name markers, particles
# --------------------------------------------------------------------------------------------------

CIVILITY_WORDS = frozenset({"M", "MR", "MM", "MME", "MMES", "MLLE", "MELLE", "MONSIEUR", "MADAME", "MADEMOISELLE"})

# marker -> which side of the marker is the birth name
_BIRTH_LEFT_MARKERS = frozenset({"EPOUSE", "EPSE", "EP", "VEUVE", "VVE"})
_BIRTH_RIGHT_MARKERS = frozenset({"NEE", "NE"})
MARRIED_NAME_MARKERS = _BIRTH_LEFT_MARKERS | _BIRTH_RIGHT_MARKERS

NAME_PARTICLES = frozenset(
    {
        "DE", "DU", "DES", "D", "LE", "LA", "LES", "L", "VAN", "VON", "DER", "DEN", "TER", "TEN",
        "DI", "DA", "DOS", "DAS", "DEL", "DELLA", "DELLE", "DEGLI", "MAC", "MC", "O", "ST", "STE",
        "SAINT", "SAINTE", "ZU", "ZUR", "VOM", "EL", "AL", "BEN", "IBN",
    }
)


def drop_civility(name: str) -> str:
    """Drop leading civility words ('MME DURAND' -> 'DURAND'), only if a name remains after them."""
    tokens = name.split()
    while len(tokens) > 1 and tokens[0] in CIVILITY_WORDS:
        tokens = tokens[1:]
    return " ".join(tokens)


@dataclass(frozen=True)
class NameForms:
    """One normalised surname in the forms the linkage compares.

    full: tokens joined by one space ('DE LA FONTAINE'); compact: no spaces ('DELAFONTAINE');
    core: compact without leading particles ('FONTAINE'); phonetic: `french_phonetic(compact)`.
    """

    full: str
    compact: str
    core: str
    phonetic: str

    @property
    def tokens(self) -> tuple[str, ...]:
        return tuple(self.full.split())


def strip_leading_particles(full: str) -> str:
    """'DE LA FONTAINE' -> 'FONTAINE'; a name made only of particles ('LE') is kept whole."""
    tokens = full.split()
    i = 0
    while i < len(tokens) - 1 and tokens[i] in NAME_PARTICLES:
        i += 1
    return "".join(tokens[i:])


def name_forms(cleaned: str) -> NameForms | None:
    """Build the comparison forms of an already cleaned surname (None when empty)."""
    full = _SPACES.sub(" ", cleaned).strip()
    if not full:
        return None
    comp = compact(full)
    return NameForms(full=full, compact=comp, core=strip_leading_particles(full), phonetic=french_phonetic(comp))


@dataclass(frozen=True)
class SurnameSplit:
    """Birth name and usage (married) name read from one 'last name' field.

    marker: the marker that was found (EPOUSE, EP, NEE, VEUVE...) or None. Without marker the whole
    field is taken as the birth name and usage is None: the linkage must compare any surname of one
    record with any surname of the other (birth <-> usage), because members do not agree on which
    name they record.
    """

    birth: NameForms | None
    usage: NameForms | None
    marker: str | None = None


def split_married_name(raw: object) -> SurnameSplit:
    """Split 'DUPONT ÉPOUSE MARTIN' (birth DUPONT, usage MARTIN) or 'MARTIN NÉE DUPONT'.

    The first marker found decides; text on each side is cleaned independently.
    """
    return _split_married_name(raw) if isinstance(raw, str) else SurnameSplit(birth=None, usage=None)


@lru_cache(maxsize=_CACHE_SIZE)
def _split_married_name(raw: str) -> SurnameSplit:
    name = drop_civility(clean_name(raw))
    tokens = name.split()
    for i, token in enumerate(tokens):
        if token in MARRIED_NAME_MARKERS:
            left = drop_civility(" ".join(tokens[:i]))
            right = " ".join(tokens[i + 1 :])
            # 'NE' alone is also a rare surname token: treat it as a marker only between two names.
            if token == "NE" and not (left and right):
                continue
            if token in _BIRTH_LEFT_MARKERS:
                return SurnameSplit(birth=name_forms(left), usage=name_forms(right), marker=token)
            return SurnameSplit(birth=name_forms(right), usage=name_forms(left), marker=token)
    return SurnameSplit(birth=name_forms(name), usage=None, marker=None)


# --------------------------------------------------------------------------------------------------
# First names
# --------------------------------------------------------------------------------------------------

_FIRST_NAME_LIST_SEP = re.compile(r"[,;/|]+")


@dataclass(frozen=True)
class FirstNames:
    """Ordered first-name tokens. tokens[0] is the primary first name.

    'JEAN-PIERRE' and 'JEAN PIERRE' both give ('JEAN', 'PIERRE'): a compound first name cannot be
    told apart from two first names once systems drop hyphens, so we compare tokens. `compact` joins
    every token ('JEANPIERREMARIE'); `groups` keeps the explicit comma-separated groups when the
    source had them ('JEAN PIERRE', 'MARIE'), for information only.
    """

    tokens: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()

    @property
    def primary(self) -> str | None:
        return self.tokens[0] if self.tokens else None

    @property
    def full(self) -> str:
        return " ".join(self.tokens)

    @property
    def compact(self) -> str:
        return "".join(self.tokens)

    @property
    def primary_phonetic(self) -> str | None:
        return french_phonetic(self.tokens[0]) if self.tokens else None


def split_first_names(raw: object) -> FirstNames:
    """'Jean-Pierre, Marie' / 'JEAN PIERRE MARIE' -> tokens ('JEAN', 'PIERRE', 'MARIE')."""
    if not isinstance(raw, str):
        return FirstNames()
    return _split_first_names(raw)


@lru_cache(maxsize=_CACHE_SIZE)
def _split_first_names(raw: str) -> FirstNames:
    groups = tuple(g for g in (clean_name(part) for part in _FIRST_NAME_LIST_SEP.split(raw)) if g)
    tokens = tuple(t for g in groups for t in g.split())
    if len(tokens) > 1 and tokens[0] in CIVILITY_WORDS:
        tokens = tokens[1:]
    return FirstNames(tokens=tokens, groups=groups)


# --------------------------------------------------------------------------------------------------
# French phonetic reduction
# --------------------------------------------------------------------------------------------------

# No phonetic library is in the pinned environment (no jellyfish/abydos in requirements.lock), and
# the classic Soundex is tuned for English. This is a simplified Soundex2/Phonex-style reduction
# for French names, applied in order on the compact A-Z form. It aims at the usual spelling
# variants (LEFEBVRE/LEFEVRE, DUPOND/DUPONT, SCHMITT/SCHMIDT, GAUTHIER/GAUTIER, MATHIEU/MATTHIEU,
# PHILIPPE/FILIPE, THIBAUT/THIBAULT, LAETITIA/LETICIA) and accepts some over-merging: it is only
# one comparison level among several in the probabilistic linkage, never a key on its own.
_PHONETIC_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        (r"[^A-Z]", ""),
        (r"^MAC", "MAK"),
        (r"^MC", "MAK"),
        (r"SCH", "CH"),
        (r"SH", "CH"),
        (r"CH([RL])", r"K\1"),       # CHRISTOPHE, CHLOE: hard CH
        (r"PH", "F"),
        (r"TH", "T"),
        (r"DT", "T"),
        (r"GU([EIY])", r"#\1"),      # GUE/GUI: hard G, protected from the soft-G rule
        (r"QU", "K"),
        (r"Q", "K"),
        (r"CK", "K"),
        (r"CC([EIY])", r"KS\1"),
        (r"C([EIY])", r"S\1"),
        (r"C(?!H)", "K"),
        (r"G([EIY])", r"J\1"),
        (r"GU", "G"),
        (r"#", "G"),
        (r"X", "KS"),
        (r"W", "V"),
        (r"Y", "I"),
        (r"Z", "S"),
        (r"([AEIOU])TI([AO])", r"\1SI\2"),  # LAETITIA -> LAETISIA (French -tia/-tion)
        (r"BV", "V"),
        (r"(?<=[^C])H|^H", ""),     # silent H, but keep CH
        (r"EAU", "O"),
        (r"AU", "O"),
        (r"OU", "U"),
        (r"(AIN|EIN)(?=[^AEIOU]|$)", "IN"),
        (r"(AN|AM|EN|EM)(?=[^AEIOU]|$)", "AN"),
        (r"(IN|IM|UN|UM)(?=[^AEIOU]|$)", "IN"),
        (r"OE", "E"),
        (r"AE", "E"),
        (r"AI", "E"),
        (r"EI", "E"),
        (r"EU", "E"),
        (r"(?<=..)(ER|EZ|ET|ES)$", "E"),
        (r"(.)\1+", r"\1"),         # doubled letters
        (r"(?<=..)E$", ""),         # silent final E
        (r"(?<=..)[DTSXP]$", ""),    # silent final consonants (DUPOND/DUPONT -> DUPON)
        (r"(?<=O)L$", ""),          # THIBAULT -> TIBO
    )
)


def french_phonetic(name: str) -> str:
    """Simplified French phonetic key of a name (A-Z, uppercase, accents stripped).

    Rules (in order): keep letters only; MAC/MC -> MAK; SCH/SH -> CH; CHR/CHL -> KR/KL; PH -> F;
    TH -> T; DT -> T; GUE/GUI keep a hard G; QU/Q/CK -> K; C before E/I/Y -> S, other C (not CH)
    -> K; G before E/I/Y -> J; X -> KS; W -> V; Y -> I; Z -> S; vowel+TIA/TIO -> SIA/SIO; BV -> V;
    silent H dropped (CH kept); EAU/AU -> O; OU -> U; AIN/EIN -> IN, AN/AM/EN/EM -> AN,
    IN/IM/UN/UM -> IN before a consonant or at the end; OE/AE/AI/EI/EU -> E; final ER/EZ/ET/ES ->
    E; doubled letters collapsed; then a final E, a final silent D/T/S/X/P, and a final L after O
    are dropped (never below 2 letters). Empty input gives "". A Ç lost by cleaning reads as K
    (FRANCOIS -> FRANKOI): spelling variants that keep or drop the cedilla do not merge.
    """
    return _french_phonetic(name) if name else ""


@lru_cache(maxsize=_CACHE_SIZE)
def _french_phonetic(name: str) -> str:
    key = fold_text(name)
    for pattern, repl in _PHONETIC_RULES:
        key = pattern.sub(repl, key)
    return key


# --------------------------------------------------------------------------------------------------
# Birth dates
# --------------------------------------------------------------------------------------------------

MIN_BIRTH_YEAR = 1900

# Reason codes -> French message for members' reports.
DATE_REASONS_FR = {
    "missing": "date de naissance absente",
    "unparseable": "date de naissance illisible (format non reconnu)",
    "impossible_date": "date de naissance impossible (jour ou mois inexistant, ex. 31/02)",
    "before_1900": "date de naissance antérieure à 1900",
    "in_future": "date de naissance dans le futur",
}

_MONTHS_FR = {
    "JANVIER": 1, "JANV": 1, "JAN": 1, "FEVRIER": 2, "FEVR": 2, "FEV": 2, "MARS": 3, "MAR": 3,
    "AVRIL": 4, "AVR": 4, "MAI": 5, "JUIN": 6, "JUILLET": 7, "JUIL": 7, "AOUT": 8, "AOU": 8,
    "SEPTEMBRE": 9, "SEPT": 9, "SEP": 9, "OCTOBRE": 10, "OCT": 10, "NOVEMBRE": 11, "NOV": 11,
    "DECEMBRE": 12, "DEC": 12,
}

_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DMY = re.compile(r"^(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{2}|\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?)?$")
_DIGITS8 = re.compile(r"^\d{8}$")
_TEXT_MONTH = re.compile(r"^(\d{1,2})(?:ER)? ([A-Z]+)\.? (\d{4})$")


@dataclass(frozen=True)
class BirthDate:
    """A parsed birth date.

    value: the date, or None when rejected; reason: a code of DATE_REASONS_FR when rejected;
    ambiguous_day_month: day and month both <= 12 and different, so a member may have swapped them:
    the linkage should also try `swapped`.
    """

    raw: str | None = field(repr=False)
    value: date | None = None
    reason: str | None = None
    ambiguous_day_month: bool = False
    swapped: date | None = None

    @property
    def ok(self) -> bool:
        return self.value is not None

    @property
    def reason_fr(self) -> str | None:
        return DATE_REASONS_FR.get(self.reason) if self.reason else None


def _two_digit_year(yy: int, today: date) -> int:
    """'05' -> 2005, '87' -> 1987: a birth year is never in the future."""
    year = 2000 + yy
    return year if year <= today.year else 1900 + yy


def _split_date(text: str, today: date) -> tuple[int, int, int] | None:
    """(year, month, day) from the common formats, without validating the calendar."""
    m = _ISO.match(text)
    if m:
        return int(m[1]), int(m[2]), int(m[3])
    m = _DMY.match(text)
    if m:
        year = int(m[3]) if len(m[3]) == 4 else _two_digit_year(int(m[3]), today)
        return year, int(m[2]), int(m[1])
    if _DIGITS8.match(text):
        # YYYYMMDD when it starts with a plausible year, else DDMMYYYY.
        if text[:2] in ("19", "20") and 1 <= int(text[4:6]) <= 12:
            return int(text[:4]), int(text[4:6]), int(text[6:])
        return int(text[4:]), int(text[2:4]), int(text[:2])
    m = _TEXT_MONTH.match(fold_text(text))
    if m and m[2] in _MONTHS_FR:
        return int(m[3]), _MONTHS_FR[m[2]], int(m[1])
    return None


def _is_missing(value: object) -> bool:
    """None, NaN, pandas NaT/NA, without importing pandas here."""
    if value is None:
        return True
    if isinstance(value, str):
        return False
    try:
        return bool(value != value)  # NaN, NaT
    except TypeError:  # pandas.NA refuses bool()
        return True


def parse_birth_date(raw: object, today: date | None = None) -> BirthDate:
    """Parse a birth date from a string (DD/MM/YYYY, DD-MM-YY, YYYY-MM-DD[ hh:mm:ss], YYYYMMDD,
    DDMMYYYY, '12 mars 2005') or a date/datetime/pandas Timestamp.

    Impossible dates (31/02), years before 1900 and dates after `today` are rejected with a reason
    code: the row is quarantined rather than linked on a wrong date.
    """
    today = today or date.today()
    if _is_missing(raw):
        return BirthDate(raw=None, reason="missing")
    if isinstance(raw, datetime):
        parts = (raw.year, raw.month, raw.day)
    elif isinstance(raw, date):
        parts = (raw.year, raw.month, raw.day)
    else:
        return _parse_birth_date_text(str(raw), today)
    return _check_birth_date(str(raw), parts, today)


@lru_cache(maxsize=_CACHE_SIZE)
def _parse_birth_date_text(raw: str, today: date) -> BirthDate:
    text = raw.strip()
    if not text or text.upper() in ("NAT", "NAN", "NONE", "NULL", "<NA>"):
        return BirthDate(raw=text or None, reason="missing")
    parts = _split_date(text, today)
    if parts is None:
        return BirthDate(raw=text, reason="unparseable")
    return _check_birth_date(raw, parts, today)


def _check_birth_date(raw_text: str, parts: tuple[int, int, int], today: date) -> BirthDate:
    """Calendar validity, 1900 floor, no future; ambiguity flag and swapped alternative."""
    year, month, day = parts
    try:
        value = date(year, month, day)
    except ValueError:
        return BirthDate(raw=raw_text, reason="impossible_date")
    if year < MIN_BIRTH_YEAR:
        return BirthDate(raw=raw_text, reason="before_1900")
    if value > today:
        return BirthDate(raw=raw_text, reason="in_future")
    ambiguous = day <= 12 and month <= 12 and day != month
    swapped = None
    if ambiguous:
        candidate = date(year, day, month)
        swapped = candidate if candidate <= today else None
    return BirthDate(raw=raw_text, value=value, ambiguous_day_month=ambiguous, swapped=swapped)


# --------------------------------------------------------------------------------------------------
# Sex and commune codes
# --------------------------------------------------------------------------------------------------

_SEX_CODES = {
    "F": "F", "FEMME": "F", "FEMININ": "F", "FEM": "F", "W": "F", "2": "F", "MME": "F",
    "MLLE": "F", "MADAME": "F", "MADEMOISELLE": "F", "FILLE": "F",
    "M": "M", "H": "M", "HOMME": "M", "MASCULIN": "M", "MASC": "M", "1": "M", "MR": "M",
    "MONSIEUR": "M", "GARCON": "M",
}


def normalize_sex(raw: object) -> str | None:
    """Common sex code 'F' or 'M' from the usual member codes (F/H/M/1/2/Femme/Homme/Mme/M.).

    Anything else (unknown, 'X', 'I', empty) gives None: never guessed.
    """
    if raw is None or (isinstance(raw, float) and raw != raw):
        return None
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        raw = str(int(raw)) if float(raw).is_integer() else str(raw)
    key = re.sub(r"[^A-Z0-9]", "", fold_text(str(raw)))
    return _SEX_CODES.get(key)


_COMMUNE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")


def normalize_commune(raw: object) -> str | None:
    """5-character INSEE commune code, keeping the leading zero ('8105' -> '08105', 8105 -> '08105',
    '08105.0' -> '08105'), Corsica '2A004'/'2b004' -> '2A004'. Invalid codes give None.

    Why: spreadsheets turn '08105' into the number 8105; département 08 (Ardennes) is in Grand Est.
    """
    if isinstance(raw, str):
        return _normalize_commune_str(raw)
    return _normalize_commune(raw)


def _normalize_commune(raw: object) -> str | None:
    if raw is None or (isinstance(raw, float) and raw != raw) or isinstance(raw, bool):
        return None
    if isinstance(raw, float):
        if not raw.is_integer():
            return None
        raw = int(raw)
    text = str(raw).strip().upper().replace(" ", "")
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    if text.isdigit() and len(text) == 4:
        text = "0" + text
    return text if _COMMUNE.match(text) else None


@lru_cache(maxsize=65_536)
def _normalize_commune_str(raw: str) -> str | None:
    return _normalize_commune(raw)


def normalize_ine(raw: object) -> str | None:
    """INE as stored before hashing: uppercase, spaces and separators removed; None when empty."""
    if not isinstance(raw, str):
        return None
    if raw.isascii() and raw.isalnum():
        return raw.upper()
    text = _NON_ALNUM.sub("", fold_text(raw))
    return text or None


# --------------------------------------------------------------------------------------------------
# The whole identity
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NormalizedIdentity:
    """Everything the linkage compares about one person, normalised, still in clear.

    Lives only in memory during ingestion: it is turned into keyed tokens
    (`pseudonymize.comparison_tokens`) and then dropped.
    """

    birth_name: NameForms | None
    usage_name: NameForms | None
    first_names: FirstNames
    birth_date: BirthDate
    sex: str | None
    commune: str | None
    marker: str | None = None
    extra_surnames: tuple[NameForms, ...] = field(default_factory=tuple)

    @property
    def surnames(self) -> tuple[NameForms, ...]:
        """Every distinct surname (birth, usage, extra), for any-to-any comparison."""
        seen: dict[str, NameForms] = {}
        for forms in (self.birth_name, self.usage_name, *self.extra_surnames):
            if forms is not None and forms.compact not in seen:
                seen[forms.compact] = forms
        return tuple(seen.values())


def normalize_identity(
    last_name: object = None,
    first_names: object = None,
    birth_date: object = None,
    sex: object = None,
    commune: object = None,
    birth_name: object = None,
    today: date | None = None,
) -> NormalizedIdentity:
    """Normalise one identity as members send it (common model fields `last_name`, `birth_name`,
    `first_names`, `birth_date`, `sex_code`, `residence_commune_insee`).

    A separate `birth_name` field wins over a birth name read from markers in `last_name`; then the
    `last_name` field (without marker) is the usage name when it differs from the birth name.
    """
    split = split_married_name(last_name)
    birth_forms, usage_forms = split.birth, split.usage
    extra: tuple[NameForms, ...] = ()
    separate = split_married_name(birth_name).birth if birth_name is not None else None
    if separate is not None:
        if split.marker is None:
            # last_name holds the usage name, birth_name the birth name.
            usage_forms = birth_forms if birth_forms and birth_forms.compact != separate.compact else None
        elif birth_forms is not None and birth_forms.compact != separate.compact:
            extra = (birth_forms,)
        birth_forms = separate
    return NormalizedIdentity(
        birth_name=birth_forms,
        usage_name=usage_forms,
        first_names=split_first_names(first_names),
        birth_date=parse_birth_date(birth_date, today=today),
        sex=normalize_sex(sex),
        commune=normalize_commune(commune),
        marker=split.marker,
        extra_surnames=extra,
    )


__all__ = [
    "BirthDate",
    "DATE_REASONS_FR",
    "FirstNames",
    "NameForms",
    "NormalizedIdentity",
    "SurnameSplit",
    "clean_name",
    "compact",
    "drop_civility",
    "fold_text",
    "french_phonetic",
    "name_forms",
    "normalize_commune",
    "normalize_identity",
    "normalize_ine",
    "normalize_sex",
    "parse_birth_date",
    "split_first_names",
    "split_married_name",
    "strip_accents",
    "strip_leading_particles",
]
