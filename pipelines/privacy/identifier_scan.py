"""Scanner for direct identifiers in what analysts, the Region, the OREF and members can read.

Why: pseudonymisation at the door is only as good as the contracts that mark fields `personal`;
a member may put a phone number in a comment, a model may carry a birth date through. This scan is
the safety net run on every readable schema (and on extract files) before anything is shared.

A finding is (table, column, kind, count): how many scanned values contain that kind of identifier.
It NEVER carries a value: the report of a leak must not be a second leak.

What is checked (on each value, after masking 64-hex pseudonyms, which are never findings):
  email         local@domain.tld
  nir           French social security number: sex 1/2/3/4/7/8, year, month (01-12, 20, 30-99),
                département (2 digits or 2A/2B), commune (3), order (3), key (2), optional spaces;
                counted only when key == 97 - (n mod 97), n = the 13 first digits with 2A -> 19,
                2B -> 18 (Corsica). BIGINT/HUGEINT columns are checked for valid NIRs too.
  ine           Identifiant national élève, 11 characters: 10 digits + 1 letter (RNIE/BEA format
                before 2018) or 9 digits + 2 letters (since 2018). The check character's algorithm is
                not public, so this is a format check: any standalone token of that shape counts.
                Other historic forms (alphanumeric BEA variants, INE-SIFA) are not recognised.
  phone         French numbers: 0X XX XX XX XX with spaces, dots, dashes or nothing, and +33 / 0033
                forms (+33 6.., +33 (0)6..), not inside a longer run of digits or letters.
  address       a number (with bis/ter) followed by a street word: rue, avenue/av, boulevard/bd,
                chemin, allée, place, impasse/imp, route/rte, quai, square, faubourg/fbg, promenade,
                ruelle, esplanade, lieu-dit; 'cours' only when the next word is capitalised
                ('3 cours de maths' is ordinary French).
  birth_date    a full date after a birth cue (né/née le, naissance, DDN, date de naissance) in text;
                a VARCHAR column whose name says birth (naissance/birth/ddn/dob) holding full dates;
                a DATE/TIMESTAMP column whose name says birth, or whose values look like birth dates
                (>= 90 % of them put the person between 14 and 100 years old today, over >= 10
                distinct years). Event dates are not findings; a birth YEAR is not a full date.
  first_name / last_name / full_name
                a column whose short values (<= 4 words) look like person names: every word is in the
                Faker fr_FR first-name or surname lists (uppercased, accents stripped, ordinary words
                and Grand Est place names removed), or a dictionary first name plus one unknown word
                that is not an ordinary word. Flagged only when >= 30 % of the column's values (and at
                least 2) look like names, so a few 'Saint-Martin' or 'Fontaine' do not flag a column.
  name_in_text  a value containing a civility + capitalised word ('M. Dupont', 'Mme DURAND') or a
                'Prénom NOM' / 'NOM Prénom' pattern (dictionary first name next to an upper-case word
                or a dictionary surname), outside columns already flagged as name columns.

Cost: values are read as (distinct value, frequency) pairs, so repeated codes cost nothing; the
Python checks run at ~10,000 distinct free-text values/s and ~25,000 distinct short values/s here.
Tables larger than `sample_rows` (default 200,000) are scanned on a repeatable reservoir sample:
counts are then counts in the sample (Finding.sampled).
"""

from __future__ import annotations

import fnmatch
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from .normalize import _LIGATURES, NAME_PARTICLES, clean_name, parse_birth_date

KIND_LABELS_FR = {
    "email": "adresse e-mail",
    "phone": "numéro de téléphone",
    "nir": "NIR (numéro de sécurité sociale)",
    "ine": "INE (identifiant national élève)",
    "address": "adresse postale",
    "birth_date": "date de naissance complète",
    "first_name": "prénoms",
    "last_name": "noms de famille",
    "full_name": "noms et prénoms",
    "name_in_text": "nom de personne dans un texte libre",
}

# Schemas that only the pipeline reads (docs/architecture.md): not scanned unless asked for.
PIPELINE_ONLY_SCHEMAS = ("ops", "raw")
SYSTEM_SCHEMAS = ("information_schema", "pg_catalog")

NAME_SHARE_THRESHOLD = 0.30
NAME_MIN_COUNT = 2
SHORT_VALUE_MAX_WORDS = 4
DEFAULT_SAMPLE_ROWS = 200_000


@dataclass(frozen=True)
class Finding:
    """One kind of direct identifier found in one column. Never holds a value.

    count: scanned values (rows) that contain the kind; scanned: non-null values scanned;
    sampled: True when the table was larger than the sample and only a sample was read.
    """

    table: str
    column: str
    kind: str
    count: int
    scanned: int = 0
    sampled: bool = False

    @property
    def label_fr(self) -> str:
        return KIND_LABELS_FR.get(self.kind, self.kind)


# --------------------------------------------------------------------------------------------------
# Text preparation
# --------------------------------------------------------------------------------------------------


class _FoldTable(dict):
    """str.translate table filled on demand: one character -> one uppercase unaccented character."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        ch = ch.translate(_LIGATURES)[:1] or ch  # Œ -> O, Æ -> A, ß -> s: keep one character
        base = unicodedata.normalize("NFKD", ch)[0]
        up = base.upper()
        folded = up if len(up) == 1 else base
        self[code] = folded
        return folded


_FOLD = _FoldTable()
_DIGIT = re.compile(r"\d")


def fold_same_length(text: str) -> str:
    """Uppercase, accents stripped, SAME length as `text` (Œ -> O, ß -> S): positions found in the
    folded text can be looked up in the original (to check capitalisation)."""
    return text.upper() if text.isascii() else text.translate(_FOLD)


_HEX64 = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{64}(?![0-9A-Fa-f])")


def mask(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """Replace spans by spaces (same length), so later detectors do not see them again."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def is_pseudonym(value: str) -> bool:
    """A 64-hex keyed pseudonym: never a finding."""
    return len(value) == 64 and _HEX64.fullmatch(value) is not None


# --------------------------------------------------------------------------------------------------
# Pattern detectors (each returns the spans it matched, on the folded text)
# --------------------------------------------------------------------------------------------------

_EMAIL = re.compile(r"[A-Z0-9._%+\-]+@[A-Z0-9\-]+(?:\.[A-Z0-9\-]+)*\.[A-Z]{2,}")
_NIR = re.compile(
    r"(?<![0-9A-Z])([1-478])[ .]?(\d{2})[ .]?(0[1-9]|1[0-2]|20|[3-9]\d)[ .]?(\d{2}|2A|2B)[ .]?"
    r"(\d{3})[ .]?(\d{3})[ .]?(\d{2})(?![0-9A-Z])"
)
_INE = re.compile(r"(?<![0-9A-Z])(?:\d{10}[A-Z]|\d{9}[A-Z]{2})(?![0-9A-Z])")
_PHONE = re.compile(
    r"(?<![0-9A-Z+])(?:(?:\+|00)\s?33\s?(?:\(0\)\s?)?[1-9]|0[1-9])(?:[ .\-]?\d{2}){4}(?![0-9])"
)
_STREET_WORDS = (
    r"RUE|AVENUE|AV|BOULEVARD|BD|BLVD|CHEMIN|CHEM|ALLEE|PLACE|IMPASSE|IMP|ROUTE|RTE|QUAI|SQUARE|"
    r"FAUBOURG|FBG|PROMENADE|RUELLE|ESPLANADE|LIEU[ \-]DIT"
)
_ADDRESS = re.compile(
    r"(?<![0-9A-Z])\d{1,4}\s?(?:BIS|TER|QUATER|[A-D])?\s*,?\s*(?:" + _STREET_WORDS + r")\.?\s+"
    r"(?:(?:DE|DU|DES|D'|L'|LA|LE|LES)\s*)*[A-Z]{2,}"
)
_ADDRESS_COURS = re.compile(r"(?<![0-9A-Z])\d{1,4}\s?(?:BIS|TER)?\s*,?\s*COURS\s+(?:(?:DE|DU|DES|LA|LE)\s+)*([A-Z])")
_DATE_TEXT = (
    r"(\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2}|\d{1,2}(?:ER)?\s+(?:JANVIER|FEVRIER|MARS|"
    r"AVRIL|MAI|JUIN|JUILLET|AOUT|SEPTEMBRE|OCTOBRE|NOVEMBRE|DECEMBRE)\s+\d{4})"
)
_BIRTH_CUE = re.compile(
    r"(?<![A-Z])(?:NEE?S?|NAISSANCE|NAISS\.?|DDN|D\.D\.N\.?|DOB|BIRTH|DATE DE NAISSANCE)(?![A-Z])"
    r"[\s:,.\-]{0,5}(?:(?:LE|EN|DU)\s+)?" + _DATE_TEXT
)
_FULL_DATE_VALUE = re.compile(r"^\s*" + _DATE_TEXT + r"(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?\s*$")


def nir_key(first13: str) -> int:
    """NIR control key: 97 - (n mod 97), n the 13 first characters with 2A -> 19, 2B -> 18."""
    digits = first13.upper().replace(" ", "")
    digits = digits[:5] + digits[5:7].replace("2A", "19").replace("2B", "18") + digits[7:]
    return 97 - int(digits) % 97


def is_valid_nir(value: str) -> bool:
    """True for a 15-character NIR (spaces/dots allowed) whose key matches (Corsica handled)."""
    m = _NIR.fullmatch(fold_same_length(value.strip()))
    if not m:
        return False
    first13 = "".join(m.groups()[:6])
    return nir_key(first13) == int(m[7])


def _find_nir(folded: str) -> list[tuple[int, int]]:
    spans = []
    for m in _NIR.finditer(folded):
        if nir_key("".join(m.groups()[:6])) == int(m[7]):
            spans.append(m.span())
    return spans


def _find_address(folded: str, original: str) -> list[tuple[int, int]]:
    spans = [m.span() for m in _ADDRESS.finditer(folded)]
    for m in _ADDRESS_COURS.finditer(folded):
        if original[m.start(1)].isupper():
            spans.append(m.span())
    return spans


def _find_birth_in_text(folded: str) -> list[tuple[int, int]]:
    spans = []
    for m in _BIRTH_CUE.finditer(folded):
        if parse_birth_date(m[1]).ok:
            spans.append(m.span())
    return spans


def pattern_kinds(value: str) -> set[str]:
    """Kinds of identifiers matched by patterns in one value (names excluded, see below).

    Detectors run in a fixed order and each masks what it matched, so an e-mail's digits are not
    also a phone, a NIR's digits not also an INE or a phone.
    """
    folded = fold_same_length(value)
    folded = mask(folded, (m.span() for m in _HEX64.finditer(folded)))
    kinds: set[str] = set()
    if "@" in folded:
        spans = [m.span() for m in _EMAIL.finditer(folded)]
        if spans:
            kinds.add("email")
            folded = mask(folded, spans)
    if not _DIGIT.search(folded):
        return kinds
    for kind, finder in (
        ("nir", _find_nir),
        ("ine", lambda f: [m.span() for m in _INE.finditer(f)]),
        ("birth_date", _find_birth_in_text),
        ("phone", lambda f: [m.span() for m in _PHONE.finditer(f)]),
        ("address", lambda f: _find_address(f, value)),
    ):
        spans = finder(folded)
        if spans:
            kinds.add(kind)
            folded = mask(folded, spans)
    return kinds


# --------------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------------

# Dictionary names that are also ordinary French words, Grand Est place names or calendar words:
# never evidence of a person on their own.
AMBIGUOUS_NAME_TOKENS = frozenset(
    """
    PARIS BLANC PETIT ROCHE PARENT NORMAND MARIN BRUN GROS MERLE BARRE BARBE PAGES LAINE GAY MASSE
    BRETON MOULIN BERGER BOUCHER BOULANGER CHARPENTIER COUSIN VOISIN SAUVAGE CLERC NEVEU ROCHER
    MARCHAND MEUNIER LEBON LENOIR LEBLANC LEGROS LEJEUNE LEGRAND CHEVALIER FLEURY MARECHAL CARRE
    BARON LEGER JOLY HARDY LAMY LOISEAU LEBRUN LEROUX LECOQ POTIER BIGOT CAMUS VAILLANT COURTOIS
    BONNET ROUX RENARD PICARD GERMAIN LOMBARD BOURGEOIS PERRIER BEGUE CORDIER MILLET VALLEE FONTAINE
    RIVIERE BUISSON TOUSSAINT MARQUES MASSON COLIN GRENIER CHARRIER POULAIN CHAUVIN CHRETIEN MERCIER
    BARBIER RENAULT LACROIX LAPORTE LAGARDE LAROCHE DUPRE COSTA GROS MARTEL PASCAL CLEMENT NOEL MARIE
    CLAIRE CONSTANCE CLEMENCE AURORE VICTOIRE MARINE LORRAINE LUCE AIMEE AIME AUGUSTE CAPUCINE
    HORTENSE OLIVIER ALEXANDRIE ALEXANDRIA MARTINE JUSTE PARENT SALMON LECONTE MAURY MASSE COSTE
    NORMAND BAZIN LEDUC LEROY LEVEQUE BAILLY LEMAIRE LEMAITRE POTTIER BOULAY LOUIS ANDRE
    """.split()
)

# Ordinary words frequent in this domain's labels and comments, and main Grand Est towns: a word of
# this list next to a first name does not make a person's name.
COMMON_WORDS = frozenset(
    """
    FORUM SALON ATELIER MISSION LOCALE LOCAL CENTRE LYCEE COLLEGE ECOLE UNIVERSITE INSTITUT RUE PLACE
    AVENUE PARC ESPACE MAISON SAINT SAINTE PORTES PORTE OUVERTES JOURNEE JOURNEES VISITE ENTREPRISE
    ENTREPRISES METIERS METIER FORMATION FORMATIONS ORIENTATION CONSEIL ACCUEIL INFORMATION EMPLOI
    REGION REGIONAL REGIONALE AGENCE BASSIN SERVICE PUBLIC PROJET PARCOURS STAGE APPRENTISSAGE
    ALTERNANCE SEMAINE SOIREE RENCONTRE RENCONTRES LIGNE DISTANCE TELEPHONE VISIO MAIL PRESENTIEL
    GRAND EST NORD SUD OUEST HAUT BAS RHIN MOSELLE MEUSE MARNE AUBE ARDENNES VOSGES ALSACE CHAMPAGNE
    LORRAINE METZ NANCY REIMS TROYES EPINAL COLMAR MULHOUSE STRASBOURG VERDUN THIONVILLE LONGWY
    SAVERNE SELESTAT CHAUMONT HAGUENAU FORBACH SARREGUEMINES CHARLEVILLE MEZIERES SEDAN EPERNAY
    CHALONS VITRY DIZIER DUC BAR LUNEVILLE TOUL PONT MOUSSON REMIREMONT HAYANGE CREUTZWALD GUEBWILLER
    VACANCES NOEL PAQUES TOUSSAINT HIVER ETE PRINTEMPS AUTOMNE JANVIER FEVRIER MARS AVRIL MAI JUIN
    JUILLET AOUT SEPTEMBRE OCTOBRE NOVEMBRE DECEMBRE LUNDI MARDI MERCREDI JEUDI VENDREDI SAMEDI
    DIMANCHE AVEC POUR DANS SANS CHEZ PAR SUR SOUS ENTRE VERS AUX AU ET OU EN ROI REINE PRIX TROPHEE
    LABEL CITE HALL PALAIS CONGRES EXPO PARC ZENITH ARENA HOPITAL CLINIQUE POLE FRANCE TRAVAIL BTP
    NUMERIQUE INDUSTRIE AGRICULTURE ARTISANAT SANITAIRE SOCIAL BOIS COMMERCE TRANSPORT LOGISTIQUE
    """.split()
)

# Upper-case words that are acronyms of the domain, not surnames.
ACRONYMS = frozenset(
    """
    BTP CIO CAP BEP CFA CFAI ML PE APEC RQTH VAE CEP PSAD SPRO CV BAC BTS DUT BUT IUT CCI CMA CRMA
    ESS ONISEP OREF PJJ DISP CRIJ IJ AGEFIPH MDPH RSA CDI CDD SMIC PIJ BIJ GRETA AFPA CNAM UAI INE
    NIR RIO SIEI MLDS EPIDE E2C PAIO OPCO OPCA FONGECIF AFDAS FAFSEA FAFTT UNIFAF OPCALIM CHEOPS
    RDV TEL MAIL SMS DEMAT FACE INFO ACC CONS PRO BP BT MC CQP RNCP SNU DAQ FLE FOAD NEET
    """.split()
)

_PLACE_MARKERS = frozenset({"SAINT", "SAINTE", "ST", "STE", "SUR", "SOUS", "LES", "AUX", "LEZ", "EN"})
_CIVILITY = frozenset({"M", "MR", "MME", "MLLE", "MELLE", "MONSIEUR", "MADAME", "MADEMOISELLE"})


@lru_cache(maxsize=1)
def name_dictionaries() -> tuple[frozenset[str], frozenset[str]]:
    """(first-name tokens, surname tokens) from Faker's fr_FR lists, cleaned like identities,
    particles and ambiguous words removed. Loaded once per process."""
    from faker.providers.person.fr_FR import Provider

    def tokens(names: Iterable[str]) -> frozenset[str]:
        out = set()
        for name in names:
            out.update(t for t in clean_name(name).split() if t not in NAME_PARTICLES and len(t) >= 3)
        return frozenset(out - AMBIGUOUS_NAME_TOKENS - COMMON_WORDS)

    return tokens(Provider.first_names), tokens(Provider.last_names)


def name_shape(value: str) -> str | None:
    """'first', 'last' or 'full' when a short value looks like a person's name, else None."""
    if "@" in value or _DIGIT.search(value) or len(value.split()) > 2 * SHORT_VALUE_MAX_WORDS:
        return None
    words = clean_name(value).split()
    if not words or len(words) > SHORT_VALUE_MAX_WORDS + 2:
        return None
    if words[0] in _CIVILITY and len(words) > 1:
        words = words[1:]
    if any(w in _PLACE_MARKERS or w in COMMON_WORDS or w in ACRONYMS for w in words):
        return None
    words = [w for w in words if w not in NAME_PARTICLES]
    if not words or len(words) > SHORT_VALUE_MAX_WORDS:
        return None
    first, last = name_dictionaries()
    in_first = [w in first for w in words]
    in_last = [w in last for w in words]
    known = [f or la for f, la in zip(in_first, in_last)]
    if all(known):
        if all(in_first):
            return "first"
        if len(words) >= 2 and any(in_first):
            return "full"
        return "last"
    unknown = [w for w, k in zip(words, known) if not k]
    if len(words) >= 2 and any(in_first) and len(unknown) == 1 and len(unknown[0]) >= 3:
        return "full"
    return None


def _word_spans(original: str) -> list[tuple[str, str]]:
    """(original word, cleaned uppercase word) pairs, hyphens/apostrophes split like clean_name."""
    out = []
    for m in re.finditer(r"[^\W\d_]+|\.", original):
        word = m.group()
        out.append((word, clean_name(word) if word != "." else "."))
    return out


def _is_upper_word(word: str) -> bool:
    return len(word) >= 2 and word.isupper()


def _is_capitalised(word: str) -> bool:
    return word[:1].isupper()


def has_name_in_text(value: str) -> bool:
    """True when a text contains 'M./Mme X', 'Prénom NOM' or 'NOM Prénom' (see module docstring)."""
    first, last = name_dictionaries()
    words = _word_spans(value)
    for i, (word, clean) in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else None
        if nxt is not None and nxt[1] == "." and i + 2 < len(words):
            after_dot = words[i + 2]
        else:
            after_dot = None
        # Civility + capitalised word (M. Dupont, Mme DURAND, Madame Martin).
        if clean in _CIVILITY and _is_capitalised(word):
            candidate = after_dot if clean in ("M", "MR", "MME", "MLLE", "MELLE") and after_dot else nxt
            if candidate is not None and candidate[1] != "." and _is_capitalised(candidate[0]):
                cand = candidate[1]
                if cand not in COMMON_WORDS and cand not in NAME_PARTICLES and cand not in ACRONYMS:
                    if clean != "M" or after_dot is not None or _is_upper_word(candidate[0]) or cand in last:
                        return True
        if nxt is None or nxt[1] == ".":
            continue
        prev_clean = words[i - 1][1] if i > 0 else ""
        if prev_clean in _PLACE_MARKERS:
            continue
        # Prénom NOM / Prénom Nom (dictionary surname).
        if clean in first and _is_capitalised(word):
            w2, c2 = nxt
            if c2 in ACRONYMS or c2 in COMMON_WORDS or c2 in NAME_PARTICLES or c2 in _PLACE_MARKERS:
                continue
            if (_is_upper_word(w2) and len(c2) >= 3) or (_is_capitalised(w2) and c2 in last):
                return True
        # NOM Prénom (administrative order).
        if _is_upper_word(word) and len(clean) >= 3 and clean not in ACRONYMS and clean not in COMMON_WORDS:
            w2, c2 = nxt
            if c2 in first and _is_capitalised(w2) and not _is_upper_word(w2) and prev_clean not in _CIVILITY:
                return True
    return False


# --------------------------------------------------------------------------------------------------
# Column analysis (pure: takes (value, frequency) pairs)
# --------------------------------------------------------------------------------------------------

_BIRTH_COLUMN = re.compile(r"(naiss|birth|ddn|dob|date_nais|datenais)", re.IGNORECASE)


def is_birth_column_name(column: str) -> bool:
    return _BIRTH_COLUMN.search(column) is not None


def analyse_text_column(values: Iterable[tuple[str, int]], column: str = "") -> dict[str, int]:
    """Counts per kind for one VARCHAR column given its distinct values and their frequencies."""
    counts: dict[str, int] = {}
    name_counts = {"first": 0, "last": 0, "full": 0}
    text_name_short = 0  # name_in_text among values that are also name-shaped
    text_name_other = 0
    total = 0
    birth_column = is_birth_column_name(column)

    def add(kind: str, n: int) -> None:
        counts[kind] = counts.get(kind, 0) + n

    for value, n in values:
        if not isinstance(value, str):
            value = str(value)
        total += n
        if not value.strip() or is_pseudonym(value.strip()):
            continue
        kinds = pattern_kinds(value)
        if (
            birth_column
            and "birth_date" not in kinds
            and _FULL_DATE_VALUE.match(fold_same_length(value))
            and parse_birth_date(value).ok
        ):
            kinds.add("birth_date")
        for kind in kinds:
            add(kind, n)
        shape = name_shape(value)
        text_name = has_name_in_text(value)
        if shape:
            name_counts[shape] += n
            if text_name:
                text_name_short += n
        elif text_name:
            text_name_other += n

    name_total = sum(name_counts.values())
    if total and name_total >= NAME_MIN_COUNT and name_total / total >= NAME_SHARE_THRESHOLD:
        if name_counts["first"] >= 0.8 * name_total:
            kind = "first_name"
        elif name_counts["full"] >= 0.5 * name_total:
            kind = "full_name"
        else:
            kind = "last_name"
        add(kind, name_total)
        if text_name_other:
            add("name_in_text", text_name_other)
    elif text_name_short + text_name_other:
        add("name_in_text", text_name_short + text_name_other)
    return counts


def looks_like_birth_dates(values: Iterable[tuple[date, int]], today: date | None = None) -> bool:
    """>= 90 % of dates put the person between 14 and 100 years old today, over >= 10 distinct years."""
    today = today or date.today()
    total = plausible = 0
    years = set()
    for d, n in values:
        total += n
        age = today.year - d.year
        if 14 <= age <= 100:
            plausible += n
            years.add(d.year)
    return total > 0 and plausible / total >= 0.9 and len(years) >= 10


# --------------------------------------------------------------------------------------------------
# DuckDB scanning
# --------------------------------------------------------------------------------------------------

_TEXT_TYPES = ("VARCHAR",)
_DATE_TYPES = ("DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS")
_BIG_INT_TYPES = ("BIGINT", "HUGEINT", "UBIGINT", "UHUGEINT")


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _excluded(name: str, exclude: Sequence[str]) -> bool:
    lowered = name.lower()
    return any(fnmatch.fnmatchcase(lowered, pattern.lower()) for pattern in exclude)


def _source(relation: str, rows: int, sample_rows: int | None) -> tuple[str, bool]:
    if sample_rows is not None and rows > sample_rows:
        return f"(SELECT * FROM {relation} USING SAMPLE reservoir({int(sample_rows)} ROWS) REPEATABLE (42))", True
    return relation, False


def scan_relation(
    con,
    relation: str,
    label: str,
    columns: Sequence[tuple[str, str]],
    exclude: Sequence[str] = (),
    sample_rows: int | None = DEFAULT_SAMPLE_ROWS,
    today: date | None = None,
) -> list[Finding]:
    """Scan the columns ((name, DuckDB type) pairs) of one table/view/file reader expression."""
    findings: list[Finding] = []
    rows = con.execute(f"SELECT count(*) FROM {relation}").fetchone()[0]
    if rows == 0:
        return findings
    source, sampled = _source(relation, rows, sample_rows)
    for column, dtype in columns:
        if _excluded(f"{label}.{column}", exclude):
            continue
        col = _quote(column)
        dtype = dtype.upper()
        if dtype in _TEXT_TYPES:
            pairs = con.execute(
                f"SELECT {col}, count(*) FROM {source} WHERE {col} IS NOT NULL GROUP BY 1"
            ).fetchall()
            scanned = sum(n for _, n in pairs)
            for kind, count in sorted(analyse_text_column(pairs, column).items()):
                findings.append(Finding(label, column, kind, count, scanned, sampled))
        elif dtype in _DATE_TYPES:
            pairs = con.execute(
                f"SELECT CAST({col} AS DATE), count(*) FROM {source} WHERE {col} IS NOT NULL GROUP BY 1"
            ).fetchall()
            scanned = sum(n for _, n in pairs)
            if scanned and (is_birth_column_name(column) or looks_like_birth_dates(pairs, today)):
                findings.append(Finding(label, column, "birth_date", scanned, scanned, sampled))
        elif dtype in _BIG_INT_TYPES:
            pairs = con.execute(
                f"SELECT CAST({col} AS VARCHAR), count(*) FROM {source} "
                f"WHERE {col} BETWEEN 100000000000000 AND 899999999999999 GROUP BY 1"
            ).fetchall()
            count = sum(n for v, n in pairs if is_valid_nir(v))
            if count:
                scanned = con.execute(f"SELECT count({col}) FROM {source}").fetchone()[0]
                findings.append(Finding(label, column, "nir", count, scanned, sampled))
    return findings


def list_readable_tables(con, schemas: Sequence[str] | None = None) -> list[tuple[str, str]]:
    """(schema, table) of the current database: the given schemas, or every schema except the
    system ones and the pipeline-only ones (ops, raw)."""
    rows = con.execute(
        "SELECT DISTINCT table_schema, table_name FROM information_schema.tables "
        "WHERE table_catalog = current_database() ORDER BY 1, 2"
    ).fetchall()
    if schemas is not None:
        wanted = {s.lower() for s in schemas}
        return [(s, t) for s, t in rows if s.lower() in wanted]
    skip = {s.lower() for s in (*SYSTEM_SCHEMAS, *PIPELINE_ONLY_SCHEMAS)}
    return [(s, t) for s, t in rows if s.lower() not in skip]


def scan_duckdb(
    con,
    schemas: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
    sample_rows: int | None = DEFAULT_SAMPLE_ROWS,
    today: date | None = None,
) -> list[Finding]:
    """Scan every table and view of the given schemas (default: all readable ones) of a duckdb
    connection. exclude: glob patterns on 'schema.table' or 'schema.table.column'
    (case-insensitive). sample_rows: tables larger than this are scanned on a repeatable reservoir
    sample of that many rows; None scans everything."""
    findings: list[Finding] = []
    for schema, table in list_readable_tables(con, schemas):
        label = f"{schema}.{table}"
        if _excluded(label, exclude):
            continue
        columns = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_catalog = current_database() AND table_schema = ? AND table_name = ? "
            "ORDER BY ordinal_position",
            [schema, table],
        ).fetchall()
        relation = f"{_quote(schema)}.{_quote(table)}"
        findings.extend(scan_relation(con, relation, label, columns, exclude, sample_rows, today))
    return findings


def scan_files(
    paths: Iterable[str | Path],
    exclude: Sequence[str] = (),
    sample_rows: int | None = DEFAULT_SAMPLE_ROWS,
    today: date | None = None,
) -> list[Finding]:
    """Scan Parquet / CSV / JSON(L) files (e.g. extracts before they leave) with an in-memory DuckDB.
    Findings are labelled by file name; exclude globs apply to 'file.column'."""
    import duckdb

    con = duckdb.connect()
    findings: list[Finding] = []
    try:
        for path in paths:
            path = Path(path)
            literal = "'" + str(path).replace("'", "''") + "'"
            suffix = path.suffix.lower()
            if suffix == ".parquet":
                relation = f"read_parquet({literal})"
            elif suffix in (".csv", ".txt", ".tsv"):
                relation = f"read_csv({literal}, sample_size = -1)"
            elif suffix in (".json", ".jsonl", ".ndjson"):
                relation = f"read_json_auto({literal})"
            else:
                raise ValueError(f"Format de fichier non pris en charge par l'analyse : {path.name}")
            label = path.name
            if _excluded(label, exclude):
                continue
            columns = [(r[0], r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]
            findings.extend(scan_relation(con, relation, label, columns, exclude, sample_rows, today))
    finally:
        con.close()
    return findings


# --------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------


def _fr_int(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


def format_summary(findings: Sequence[Finding], tables_scanned: int | None = None) -> str:
    """French summary for operators and the DPO: one line per finding, never a value."""
    scope = f" dans {_fr_int(tables_scanned)} table(s) analysée(s)" if tables_scanned is not None else ""
    if not findings:
        return f"Analyse des identifiants directs : aucun identifiant direct détecté{scope}."
    tables = sorted({f.table for f in findings})
    out_of = f" (sur {_fr_int(tables_scanned)} analysée(s))" if tables_scanned is not None else ""
    lines = [
        f"Analyse des identifiants directs : {len(findings)} constat(s) dans {len(tables)} table(s)"
        f"{out_of}. Les valeurs ne sont jamais reproduites ici.",
    ]
    for f in sorted(findings, key=lambda f: (f.table, f.column, f.kind)):
        sample = " (échantillon)" if f.sampled else ""
        lines.append(
            f"- {f.table}.{f.column} : {f.label_fr} dans {_fr_int(f.count)} valeur(s)"
            f" sur {_fr_int(f.scanned)} analysée(s){sample}"
        )
    lines.append(
        "À faire : pseudonymiser ou retirer ces colonnes avant toute mise à disposition "
        "(contrat de données : champ « personal »), puis relancer l'analyse."
    )
    return "\n".join(lines)


__all__ = [
    "Finding",
    "KIND_LABELS_FR",
    "analyse_text_column",
    "fold_same_length",
    "format_summary",
    "has_name_in_text",
    "is_birth_column_name",
    "is_pseudonym",
    "is_valid_nir",
    "list_readable_tables",
    "looks_like_birth_dates",
    "name_dictionaries",
    "name_shape",
    "nir_key",
    "pattern_kinds",
    "scan_duckdb",
    "scan_files",
    "scan_relation",
]
