"""Free-text comments may leak identifiers: find phone numbers, e-mails and names, and redact them.

Decision: a comment with an identifier is REDACTED and FLAGGED, the row is loaded. Why not
quarantine: the act itself is valid and needed for the statistics; only the comment is wrong. The
member is told (reason COMMENT_*_REDACTED in the report) and the clear text never reaches DuckDB.
Names are found two ways: the person's own names from the same row (when the format carries them,
before they are pseudonymised), and a civility word followed by a capitalised word ("Mme Durand").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import numpy as np
import pandas as pd

PHONE = re.compile(r"(?<!\d)(?:(?:\+|00)\s?33[\s.-]?(?:\(0\))?\s?[1-9]|0[1-9])(?:[\s.-]?\d{2}){4}(?!\d)")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
CIVILITY_NAME = re.compile(
    r"\b(?:M\.|Mr\.?|Mme\.?|Mlle\.?|Monsieur|Madame|Mademoiselle|Me|Dr\.?)\s+"
    r"(?:[A-ZÀ-ÖØ-Þ][\w'’-]+)(?:\s+[A-ZÀ-ÖØ-Þ][\w'’-]+)?"
)
# "Christelle PARENT": a capitalised word then a word in capitals, as French forms write a name.
FIRST_LAST = re.compile(r"\b([A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ]+(?:-[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ]+)?)\s+([A-ZÀ-ÖØ-Þ]{2,}(?:[-' ][A-ZÀ-ÖØ-Þ]{2,})*)\b")
# Capitals that are not names: acronyms of the field, kept as they are.
ACRONYMS = frozenset({"CV", "VAE", "BTP", "CPE", "CIO", "ML", "PE", "RQTH", "CAP", "BEP", "BTS", "DUT", "BUT", "CEP",
                      "APEC", "CFA", "IJ", "PSAD", "RIO", "SIEI", "BAC", "CCI", "CMA", "ESS", "MDPH", "PMSMP",
                      "AFPA", "GRETA", "CAF", "RSA", "POEI", "CPF", "FLE", "BAFA", "CDD", "CDI", "ONISEP", "SPRO"})
NAME_TARGETS = ("last_name", "birth_name", "first_names")
PLACEHOLDER = {"COMMENT_PHONE_REDACTED": "[téléphone retiré]", "COMMENT_EMAIL_REDACTED": "[courriel retiré]",
               "COMMENT_NAME_REDACTED": "[nom retiré]"}
MIN_NAME_LENGTH = 3


@lru_cache(maxsize=200_000)   # the same words and names come back in every comment of every file
def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _name_tokens(values: list[str | None]) -> set[str]:
    tokens: set[str] = set()
    for value in values:
        if value is not None and not pd.isna(value) and str(value):
            for token in re.split(r"[\s,'’-]+", _fold(str(value))):
                if len(token) >= MIN_NAME_LENGTH and token not in {"epouse", "nee", "veuve"}:
                    tokens.add(token)
    return tokens


def _hashable(value):
    return None if value is None or pd.isna(value) else value


@lru_cache(maxsize=100_000)   # a person's names come back on each of their acts
def _row_name_tokens(names: tuple) -> frozenset[str]:
    return frozenset(_name_tokens(list(names)))


def redact_comment(comment: str, own_names: set[str]) -> tuple[str, list[str]]:
    """(redacted text, reason codes found) for one comment."""
    text, found, name_hit, words, folded = _redacted_by_patterns(comment)
    found = list(found)
    if own_names and not folded.isdisjoint(own_names):
        words = list(words)
        for i, word in enumerate(words):
            if word and _fold(word) in own_names:
                words[i] = PLACEHOLDER["COMMENT_NAME_REDACTED"]
                name_hit = True
        text = "".join(words)
    if name_hit:
        found.append("COMMENT_NAME_REDACTED")
    return text, found


@lru_cache(maxsize=20_000)   # the same comments come back ("RAS", "entretien de suivi", ...)
def _redacted_by_patterns(comment: str) -> tuple[str, tuple[str, ...], bool, tuple[str, ...], frozenset[str]]:
    """What redact_comment finds in a comment whatever the row: (text with phones, e-mails and
    civility or first-last names redacted, phone/e-mail reasons, whether a name was redacted, the
    text's words and separators, its words folded). Only the row's own names then differ per row."""
    found: list[str] = []
    text = comment
    if PHONE.search(text):
        text = PHONE.sub(PLACEHOLDER["COMMENT_PHONE_REDACTED"], text)
        found.append("COMMENT_PHONE_REDACTED")
    if EMAIL.search(text):
        text = EMAIL.sub(PLACEHOLDER["COMMENT_EMAIL_REDACTED"], text)
        found.append("COMMENT_EMAIL_REDACTED")
    name_hit = False
    if CIVILITY_NAME.search(text):
        text = CIVILITY_NAME.sub(PLACEHOLDER["COMMENT_NAME_REDACTED"], text)
        name_hit = True

    def first_last(match: re.Match) -> str:
        nonlocal name_hit
        if all(part in ACRONYMS for part in re.split(r"[-' ]", match.group(2))):
            return match.group(0)
        name_hit = True
        return PLACEHOLDER["COMMENT_NAME_REDACTED"]

    text = FIRST_LAST.sub(first_last, text)
    words = tuple(re.split(r"(\W+)", text))
    return text, tuple(found), name_hit, words, frozenset(_fold(w) for w in words if w)


def redact_comments(typed: pd.DataFrame) -> pd.DataFrame:
    """Redact the `comment` column in place; return the flags (source_row, reason_code, column, value).

    The cheap vectorised pre-filter (digits, '@', capitals after a civility, or any name of the row
    appearing) keeps the per-comment Python work to the few suspicious comments.
    """
    empty = pd.DataFrame(columns=["source_row", "reason_code", "column", "value"])
    if "comment" not in typed.columns:
        return empty
    comments = typed["comment"]
    present = comments.notna()
    if not present.any():
        return empty
    text = comments[present].astype(str)
    suspicious = text.str.contains(r"\d{2}|@|\b(?:M\.|Mr|Mme|Mlle|Monsieur|Madame|Mademoiselle|Me|Dr)\b|[A-ZÀ-Þ]{2,}", regex=True)
    name_columns = [c for c in NAME_TARGETS if c in typed.columns]
    if name_columns:
        suspicious = suspicious | pd.Series(True, index=text.index)
    flags = []
    # Plain lists, not one pandas lookup per row and column (that lookup cost more than the regexes).
    chosen = suspicious.to_numpy()
    rows = text.index[chosen]
    comment_values = text[chosen].tolist()
    name_values = [typed[c].loc[rows].tolist() for c in name_columns]
    for i, row in enumerate(rows):
        own = _row_name_tokens(tuple(_hashable(values[i]) for values in name_values)) if name_columns else set()
        redacted, found = redact_comment(comment_values[i], own)
        if found:
            typed.at[row, "comment"] = redacted
            for code in found:
                flags.append((int(row), code, "comment", redacted))
    if not flags:
        return empty
    return pd.DataFrame(flags, columns=["source_row", "reason_code", "column", "value"])
