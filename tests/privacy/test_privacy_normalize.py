"""Identity normalisation on French examples."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from pipelines.privacy.normalize import (
    clean_name,
    french_phonetic,
    normalize_commune,
    normalize_identity,
    normalize_ine,
    normalize_sex,
    parse_birth_date,
    split_first_names,
    split_married_name,
)

TODAY = date(2026, 11, 28)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Lætitia", "LAETITIA"),
        ("Œillet", "OEILLET"),
        ("Strauß", "STRAUSS"),
        ("Élodie", "ELODIE"),
        ("François", "FRANCOIS"),
        ("Anaïs", "ANAIS"),
        ("D'Artagnan", "D ARTAGNAN"),
        ("d’Artagnan", "D ARTAGNAN"),
        ("  Jean--Pierre  ", "JEAN PIERRE"),
        ("Le  Gall", "LE GALL"),
        ("dupont.", "DUPONT"),
        (None, ""),
        (float("nan"), ""),
    ],
)
def test_clean_name_accents_ligatures_separators(raw, expected):
    assert clean_name(raw) == expected


def test_hyphenated_and_spaced_first_names_are_equal():
    assert split_first_names("Jean-Pierre").tokens == split_first_names("JEAN PIERRE").tokens == ("JEAN", "PIERRE")
    assert split_first_names("Jean-Pierre").compact == "JEANPIERRE"


def test_several_first_names_ordered_primary_first():
    a = split_first_names("Jean-Pierre, Marie")
    b = split_first_names("JEAN PIERRE MARIE")
    assert a.tokens == b.tokens == ("JEAN", "PIERRE", "MARIE")
    assert a.primary == b.primary == "JEAN"
    assert a.groups == ("JEAN PIERRE", "MARIE")
    assert split_first_names("Lætitia").tokens == split_first_names("LAETITIA").tokens
    assert split_first_names(None).tokens == ()
    assert split_first_names(None).primary is None


def test_particles_spacing_and_compact_variant():
    a = split_married_name("de la Fontaine").birth
    b = split_married_name("DELAFONTAINE").birth
    c = split_married_name("De La  FONTAINE").birth
    assert a.full == c.full == "DE LA FONTAINE"
    assert a.compact == b.compact == c.compact == "DELAFONTAINE"
    assert a.core == "FONTAINE"
    assert split_married_name("d'Artagnan").birth.compact == split_married_name("DARTAGNAN").birth.compact
    assert split_married_name("Van der Berg").birth.full == "VAN DER BERG"
    assert split_married_name("Le").birth.core == "LE"


@pytest.mark.parametrize(
    "raw, birth, usage, marker",
    [
        ("MARTIN ÉPOUSE DURAND", "MARTIN", "DURAND", "EPOUSE"),
        ("Martin épouse Durand", "MARTIN", "DURAND", "EPOUSE"),
        ("DUPONT ÉPOUSE MARTIN", "DUPONT", "MARTIN", "EPOUSE"),
        ("DUPONT EP. MARTIN", "DUPONT", "MARTIN", "EP"),
        ("DUPONT EP MARTIN", "DUPONT", "MARTIN", "EP"),
        ("Dupont ep.Martin", "DUPONT", "MARTIN", "EP"),
        ("DUPONT Epse MARTIN", "DUPONT", "MARTIN", "EPSE"),
        ("DUPONT VEUVE MARTIN", "DUPONT", "MARTIN", "VEUVE"),
        ("DUPONT VVE MARTIN", "DUPONT", "MARTIN", "VVE"),
        ("MARTIN NÉE DUPONT", "DUPONT", "MARTIN", "NEE"),
        ("Mme DURAND née MARTIN", "MARTIN", "DURAND", "NEE"),
        ("Madame Durand nee Martin", "MARTIN", "DURAND", "NEE"),
        ("de la Fontaine épouse Le Gall", "DE LA FONTAINE", "LE GALL", "EPOUSE"),
        ("DURAND", "DURAND", None, None),
        ("Mme DURAND", "DURAND", None, None),
    ],
)
def test_married_name_markers(raw, birth, usage, marker):
    split = split_married_name(raw)
    assert (split.birth.full if split.birth else None) == birth
    assert (split.usage.full if split.usage else None) == usage
    assert split.marker == marker


def test_marker_with_one_side_only():
    split = split_married_name("ÉPOUSE MARTIN")
    assert split.birth is None and split.usage.full == "MARTIN"
    split = split_married_name("née DUPONT")
    assert split.birth.full == "DUPONT" and split.usage is None


def test_separate_birth_name_field():
    ident = normalize_identity(last_name="DURAND", birth_name="Martin", first_names="Julie")
    assert ident.birth_name.full == "MARTIN"
    assert ident.usage_name.full == "DURAND"
    same = normalize_identity(last_name="MARTIN", birth_name="MARTIN")
    assert same.usage_name is None
    assert {s.full for s in ident.surnames} == {"MARTIN", "DURAND"}


def test_impossible_dates_rejected_with_reason():
    bd = parse_birth_date("31/02/2005", today=TODAY)
    assert not bd.ok and bd.reason == "impossible_date"
    assert "impossible" in bd.reason_fr
    assert parse_birth_date("2005-13-01", today=TODAY).reason == "impossible_date"
    assert parse_birth_date("29/02/2004", today=TODAY).ok  # leap year
    assert parse_birth_date("29/02/2005", today=TODAY).reason == "impossible_date"


def test_out_of_range_and_unreadable_dates():
    assert parse_birth_date("31/12/1899", today=TODAY).reason == "before_1900"
    assert parse_birth_date("01/01/2027", today=TODAY).reason == "in_future"
    assert parse_birth_date("29/11/2026", today=TODAY).reason == "in_future"
    assert parse_birth_date("28/11/2026", today=TODAY).ok
    assert parse_birth_date("hier", today=TODAY).reason == "unparseable"
    assert parse_birth_date(None).reason == "missing"
    assert parse_birth_date("", today=TODAY).reason == "missing"
    assert parse_birth_date(pd.NaT).reason == "missing"
    assert parse_birth_date(pd.NA).reason == "missing"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("25/03/2005", date(2005, 3, 25)),
        ("25-03-2005", date(2005, 3, 25)),
        ("25.03.2005", date(2005, 3, 25)),
        ("2005-03-25", date(2005, 3, 25)),
        ("2005-03-25 00:00:00", date(2005, 3, 25)),
        ("20050325", date(2005, 3, 25)),
        ("25032005", date(2005, 3, 25)),
        ("25/03/05", date(2005, 3, 25)),
        ("25/03/87", date(1987, 3, 25)),
        ("25 mars 2005", date(2005, 3, 25)),
        ("1er août 2005", date(2005, 8, 1)),
        (date(2005, 3, 25), date(2005, 3, 25)),
        (pd.Timestamp("2005-03-25"), date(2005, 3, 25)),
    ],
)
def test_common_date_formats(raw, expected):
    assert parse_birth_date(raw, today=TODAY).value == expected


def test_ambiguous_day_month_flagged_with_swap():
    bd = parse_birth_date("03/12/2005", today=TODAY)
    assert bd.value == date(2005, 12, 3)
    assert bd.ambiguous_day_month and bd.swapped == date(2005, 3, 12)
    assert not parse_birth_date("25/03/2005", today=TODAY).ambiguous_day_month
    assert not parse_birth_date("05/05/2005", today=TODAY).ambiguous_day_month  # swap changes nothing
    assert "31/02" not in repr(parse_birth_date("31/02/2005"))  # raw value kept out of repr


@pytest.mark.parametrize(
    "raw, expected",
    [("F", "F"), ("f", "F"), ("Femme", "F"), ("2", "F"), (2, "F"), ("Mme", "F"), ("H", "M"), ("M", "M"),
     ("Homme", "M"), ("masculin", "M"), ("1", "M"), (1.0, "M"), ("X", None), ("", None), (None, None)],
)
def test_sex_codes(raw, expected):
    assert normalize_sex(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [("08105", "08105"), ("8105", "08105"), (8105, "08105"), (8105.0, "08105"), ("08105.0", "08105"),
     (" 57463 ", "57463"), ("2a004", "2A004"), ("2B033", "2B033"), ("123", None), ("ABCDE", None),
     ("571234", None), (None, None), (float("nan"), None)],
)
def test_commune_codes_keep_leading_zero(raw, expected):
    assert normalize_commune(raw) == expected


def test_ine_normalisation():
    assert normalize_ine(" 1234567890a ") == "1234567890A"
    assert normalize_ine("123 456 789 ab") == "123456789AB"
    assert normalize_ine("") is None and normalize_ine(None) is None


@pytest.mark.parametrize(
    "a, b",
    [("LEFEBVRE", "LEFEVRE"), ("DUPOND", "DUPONT"), ("SCHMITT", "SCHMIDT"), ("GAUTHIER", "GAUTIER"),
     ("MATHIEU", "MATTHIEU"), ("PHILIPPE", "FILIPE"), ("THIBAUT", "THIBAULT"), ("LAETITIA", "LETICIA"),
     ("Lætitia", "Laetitia"), ("ROUSSEAU", "ROUSSO"), ("CATHERINE", "KATHERINE"), ("GUERIN", "GUERAIN"),
     ("CHRISTOPHE", "CRISTOPHE"), ("GERARD", "JERARD"), ("MARTIN", "MARTAIN")],
)
def test_french_phonetic_merges_spelling_variants(a, b):
    assert french_phonetic(a) == french_phonetic(b) != ""


@pytest.mark.parametrize("a, b", [("DUPONT", "DURAND"), ("MARTIN", "MORIN"), ("LEROY", "LEROUX")])
def test_french_phonetic_keeps_different_names_apart(a, b):
    assert french_phonetic(a) != french_phonetic(b)
