"""Keyed pseudonyms, comparison tokens and generalisation helpers."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

import numpy as np
import pandas as pd
import pytest

from pipelines.privacy.normalize import DATE_REASONS_FR, normalize_identity
from pipelines.privacy.pseudonymize import (
    TOKEN_COLUMNS,
    age_at,
    age_at_series,
    age_band,
    age_band_at,
    age_band_series,
    bassin_of,
    bassin_series,
    clear_token_parts,
    comparison_tokens,
    deletion_neighbourhood,
    comparison_tokens_frame,
    person_id_domain,
    pseudonym,
    pseudonymize_frame,
    pseudonymize_series,
    pseudonymize_values,
    token_from_pseudonym,
    qualification_level_from_bcn,
)

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
TODAY = date(2026, 11, 28)


def _bits(hexdigest: str) -> np.ndarray:
    return np.unpackbits(np.frombuffer(bytes.fromhex(hexdigest), dtype=np.uint8))


def test_pseudonym_is_hmac_sha256_of_domain_and_value():
    expected = hmac.new(KEY, b"ine\x1f1234567890A", hashlib.sha256).hexdigest()
    assert pseudonym(KEY, "ine", "1234567890A") == expected
    assert len(expected) == 64


@pytest.mark.parametrize("key", [KEY, b"k" * 100, b"x" * 64])
def test_fast_batch_equals_reference_hmac(key):
    values = ["", "DUPONT", "Élodie", "1234567890A", "x" * 200]
    assert pseudonymize_values(values, key, "name") == [pseudonym(key, "name", v) for v in values]


def test_different_key_gives_unrelated_pseudonyms():
    values = [f"{i:010d}A" for i in range(1000)]
    a = pseudonymize_values(values, KEY, "ine")
    b = pseudonymize_values(values, OTHER_KEY, "ine")
    assert not set(a) & set(b)
    bits_a = np.array([_bits(h) for h in a])
    bits_b = np.array([_bits(h) for h in b])
    differing = (bits_a != bits_b).sum(axis=1)
    # Independent 256-bit strings differ on ~128 bits (sd 8): no pair should look related...
    assert 118 < differing.mean() < 138 and differing.min() > 80
    # ...and it is not a fixed transform (a constant XOR would give one distinct difference).
    xors = {bytes(np.packbits(x != y)) for x, y in zip(bits_a, bits_b)}
    assert len(xors) == len(values)
    # Each bit position agrees about half of the time.
    agreement = (bits_a == bits_b).mean(axis=0)
    assert agreement.min() > 0.35 and agreement.max() < 0.65


def test_domain_separation():
    value = "123"
    ids = {
        pseudonym(KEY, "ine", value),
        pseudonym(KEY, "name", value),
        pseudonym(KEY, person_id_domain("ML054"), value),
        pseudonym(KEY, person_id_domain("ML055"), value),
    }
    assert len(ids) == 4
    diff = (_bits(pseudonym(KEY, "ine", value)) != _bits(pseudonym(KEY, "name", value))).sum()
    assert 80 < diff < 176
    # ('a', 'b:c') and ('a:b', 'c') cannot be confused: ':' belongs to the domain grammar, \x1f ends it.
    for bad in ("Ine", "ine\x1f", "", "a:b:c", "person id"):
        with pytest.raises(ValueError):
            pseudonym(KEY, bad, value)


def test_pseudonymize_series_keeps_missing_missing_and_normalises():
    s = pd.Series([" 1234567890a ", "1234567890A", None, "", float("nan"), "123456789AB"], index=list("abcdef"))
    out = pseudonymize_series(s, KEY, "ine")
    assert list(out.index) == list("abcdef")
    assert out["a"] == out["b"] == pseudonym(KEY, "ine", "1234567890A")
    assert out[["c", "d", "e"]].isna().all()
    assert out["f"] == pseudonym(KEY, "ine", "123456789AB")
    phones = pseudonymize_series(pd.Series(["+33 6 12 34 56 78", "06.12.34.56.78"]), KEY, "phone")
    assert phones[0] == phones[1]


def test_pseudonymize_frame_replaces_personal_columns():
    df = pd.DataFrame({"member_person_id": [123.0, 124.0], "ine": ["1234567890A", None], "sex_code": ["F", "M"]})
    out = pseudonymize_frame(df, KEY, {"member_person_id": person_id_domain("ML054"), "ine": "ine", "absent": "ine"})
    assert list(out.columns) == ["sex_code", "member_person_id_pseudo", "ine_pseudo"]
    assert out.loc[0, "member_person_id_pseudo"] == pseudonym(KEY, "person_id:ML054", "123")
    assert pd.isna(out.loc[1, "ine_pseudo"])


def _tokens(**kwargs):
    return comparison_tokens(normalize_identity(today=TODAY, **kwargs), KEY)


def test_same_identity_spelt_two_ways_gets_same_tokens():
    a = _tokens(last_name="Dupont épouse Martin", first_names="Jean-Pierre, Marie", birth_date="25/03/1985",
                sex="F", commune=8105)
    b = _tokens(last_name="DUPONT EP. MARTIN", first_names="JEAN PIERRE MARIE", birth_date="1985-03-25",
                sex="2", commune="08105")
    assert a == b
    c = _tokens(last_name="MARTIN née DUPONT", first_names="Jean Pierre Marie", birth_date="25.03.1985",
                sex="Femme", commune="8105")
    assert c == a
    d = _tokens(last_name="Lætitia", first_names="Lætitia")
    e = _tokens(last_name="LAETITIA", first_names="Laetitia")
    assert d == e
    f = _tokens(last_name="de la Fontaine", first_names="Élodie")
    g = _tokens(last_name="DELAFONTAINE", first_names="ELODIE")
    assert f.surname_birth_compact == g.surname_birth_compact and f.surname_birth != g.surname_birth
    assert f.first_name_1 == g.first_name_1


def test_birth_name_matches_married_name_across_records():
    married = _tokens(last_name="DURAND", birth_name="MARTIN")
    maiden = _tokens(last_name="MARTIN")
    assert married.surname_birth == maiden.surname_birth
    assert married.surname_usage is not None and maiden.surname_usage is None


def test_day_month_swap_is_matchable_and_phonetic_tokens():
    a = _tokens(last_name="LEFEBVRE", first_names="Mathieu", birth_date="03/12/2005")
    b = _tokens(last_name="LEFEVRE", first_names="Matthieu", birth_date="12/03/2005")
    assert a.birth_day == b.birth_month and a.birth_month == b.birth_day
    assert a.birth_day_month_ambiguous and b.birth_day_month_ambiguous
    assert a.birth_year == b.birth_year
    assert a.surname_birth != b.surname_birth
    assert a.surname_birth_phonetic == b.surname_birth_phonetic
    assert a.first_name_phonetic == b.first_name_phonetic
    bad = _tokens(last_name="X", birth_date="31/02/2005")
    assert bad.birth_year is None and bad.birth_date_reason == "impossible_date"


def test_tokens_frame_matches_row_tokens_and_holds_no_clear_value():
    df = pd.DataFrame(
        {
            "last_name": ["Dupont épouse Martin", "DUPONT EP MARTIN", None, "Lætitia"],
            "first_names": ["Jean-Pierre, Marie", "JEAN PIERRE MARIE", "Luc", None],
            "birth_date": ["25/03/1985", "1985-03-25", "31/02/2005", None],
            "sex_code": ["F", "2", "H", None],
            "residence_commune_insee": ["8105", "08105", "57463", None],
        },
        index=[10, 11, 12, 13],
    )
    out = comparison_tokens_frame(df, KEY, today=TODAY)
    assert list(out.index) == [10, 11, 12, 13] and tuple(out.columns) == TOKEN_COLUMNS
    assert out.loc[10].equals(out.loc[11])
    row = comparison_tokens(
        normalize_identity(last_name="Lætitia", first_names=None, birth_date=None, sex=None, commune=None, today=TODAY),
        KEY,
    )
    as_row = {k: (None if not isinstance(v, (bool, np.bool_)) and pd.isna(v) else v) for k, v in out.loc[13].items()}
    assert as_row == row.__dict__
    clear = set()
    for _, r in df.iterrows():
        parts = clear_token_parts(
            normalize_identity(r["last_name"], r["first_names"], r["birth_date"], r["sex_code"],
                               r["residence_commune_insee"], today=TODAY)
        )
        clear |= {str(v) for v in parts.values() if isinstance(v, str)}
        clear |= {str(e) for v in parts.values() if isinstance(v, tuple) for e in v}
    clear -= set(DATE_REASONS_FR)  # reason codes are the only clear strings, and hold nothing personal
    values = {str(v) for v in out.to_numpy().ravel() if isinstance(v, str)}
    values |= {str(e) for v in out.to_numpy().ravel() if isinstance(v, tuple) for e in v}
    assert not values & clear
    assert comparison_tokens_frame(df.iloc[:0], KEY).empty


def test_deletion_neighbourhood():
    assert deletion_neighbourhood("DUPONT") == ("DPONT", "DUONT", "DUPNT", "DUPON", "DUPONT", "DUPOT", "UPONT")
    assert deletion_neighbourhood("ANNA") == ("ANA", "ANN", "ANNA", "NNA")  # distinct only
    assert deletion_neighbourhood("LI") == ("LI",)  # too short: no deletions
    assert deletion_neighbourhood("") is None and deletion_neighbourhood(None) is None


def _shares(a: tuple[str, ...] | None, b: tuple[str, ...] | None) -> bool:
    return bool(a and b and set(a) & set(b))


def test_deletion_tokens_tolerate_one_edit():
    dupont = _tokens(last_name="Dupont", first_names="Martin")
    dupond = _tokens(last_name="DUPOND", first_names="Martine")           # substitution at the end
    dupomt = _tokens(last_name="DUPOMT", first_names="MARTIN")            # substitution inside
    durand = _tokens(last_name="DURAND", first_names="Paul")
    assert dupont.surname_birth_compact != dupond.surname_birth_compact
    assert _shares(dupont.surname_deletions, dupond.surname_deletions)
    assert _shares(dupont.surname_deletions, dupomt.surname_deletions)
    assert not _shares(dupont.surname_deletions, durand.surname_deletions)
    # insertion: MARTIN / MARTINE (surname and first name)
    assert _shares(_tokens(last_name="MARTIN").surname_deletions, _tokens(last_name="MARTINE").surname_deletions)
    assert _shares(dupont.first_name_deletions, dupond.first_name_deletions)
    assert not _shares(dupont.first_name_deletions, durand.first_name_deletions)
    # sorted tokens, in their own domain (never equal to a full-name token)
    assert list(dupont.surname_deletions) == sorted(dupont.surname_deletions)
    assert all(len(t) == 12 for t in dupont.surname_deletions)
    assert dupont.surname_birth_compact not in dupont.surname_deletions
    assert token_from_pseudonym(pseudonym(KEY, "surname_del", "DUPON")) in dupont.surname_deletions
    # usage and birth names both contribute (a typo in a married name meets the birth name)
    married = _tokens(last_name="DURANT épouse DUPONT")
    assert _shares(married.surname_deletions, durand.surname_deletions)
    assert _shares(married.surname_deletions, dupont.surname_deletions)
    # another key: unrelated tokens
    other = comparison_tokens(normalize_identity(last_name="Dupont", first_names="Martin", today=TODAY), OTHER_KEY)
    assert not _shares(other.surname_deletions, dupont.surname_deletions)
    assert not _shares(other.first_name_deletions, dupont.first_name_deletions)
    assert _tokens(last_name=None, first_names=None).surname_deletions is None


def test_deletion_tokens_frame_matches_row_tokens():
    df = pd.DataFrame({"last_name": ["Dupont", "DUPOND", None], "first_names": ["Martin", "Martine", None]})
    out = comparison_tokens_frame(df, KEY, today=TODAY)
    for i, name in enumerate(["Dupont", "DUPOND"]):
        row = _tokens(last_name=name, first_names=df.loc[i, "first_names"])
        assert out.loc[i, "surname_deletions"] == row.surname_deletions
        assert out.loc[i, "first_name_deletions"] == row.first_name_deletions
    assert out.loc[2, "surname_deletions"] is None


@pytest.mark.parametrize(
    "age, band",
    [(0, "A00_15"), (15, "A00_15"), (16, "A16_17"), (17, "A16_17"), (18, "A18_25"), (25, "A18_25"),
     (26, "A26_29"), (29, "A26_29"), (30, "A30_44"), (44, "A30_44"), (45, "A45_54"), (54, "A45_54"),
     (55, "A55_PLUS"), (90, "A55_PLUS"), (None, None), (-1, None)],
)
def test_age_bands(age, band):
    assert age_band(age) == band


def test_age_at_event_date():
    assert age_at(date(2008, 3, 25), date(2024, 3, 24)) == 15
    assert age_at(date(2008, 3, 25), date(2024, 3, 25)) == 16
    assert age_at("25/03/2008", "2024-03-25") == 16
    assert age_at(date(2008, 3, 25), date(2007, 1, 1)) is None
    assert age_band_at("29/02/2008", "2024-02-28") == "A00_15"
    assert age_band_at("29/02/2008", "2024-02-29") == "A16_17"
    births = pd.Series(pd.to_datetime(["2008-03-25", "2008-03-25", None, "1960-01-01"]))
    events = pd.Series(pd.to_datetime(["2024-03-24", "2024-03-25", "2024-01-01", "2024-06-30"]))
    ages = age_at_series(births, events)
    assert ages.tolist()[:2] == [15, 16] and pd.isna(ages[2]) and ages[3] == 64
    assert age_band_series(ages).tolist() == ["A00_15", "A16_17", None, "A55_PLUS"]


def test_bassin_mapping_and_bcn_levels():
    mapping = {"08105": "B_CHARLEVILLE", "57463": "B_METZ"}
    assert bassin_of(8105, mapping) == "B_CHARLEVILLE"
    assert bassin_of("99999", mapping) is None and bassin_of(None, mapping) is None
    assert bassin_series(pd.Series(["8105", "57463", None]), mapping).tolist() == ["B_CHARLEVILLE", "B_METZ", None]
    assert qualification_level_from_bcn("50033610") == 3  # CAP
    assert qualification_level_from_bcn("40031213") == 4  # bac pro
    assert qualification_level_from_bcn("32031102") == 5  # BTS
    assert qualification_level_from_bcn("25021002") == 6
    assert qualification_level_from_bcn("13531001") == 7
    assert qualification_level_from_bcn("01025001") == 3  # mention complémentaire niveau V
    assert qualification_level_from_bcn("01125001") == 4
    assert qualification_level_from_bcn("9999999") is None
    assert qualification_level_from_bcn("ABCDEFGH") is None
    assert qualification_level_from_bcn(None) is None


# --- the per-group token path equals the per-identity one, byte for byte ------------------------


def _messy_identities(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    surnames = ["Dupont", "DUPONT", "Dupont épouse Martin", "MARTIN née DUPONT", "de la Fontaine", "Lætitia",
                "N'Diaye", "Müller-Schmidt", "LI", "", None, float("nan"), "  Le Goff ", "O'BRIEN vve DURAND"]
    births = ["Durand", "DUPONT", None, "", "Fontaine"]
    firsts = ["Jean-Pierre, Marie", "JEAN PIERRE MARIE", "Élodie", "Zoé-Lou", "", None, "Anne  Sophie", "Luc"]
    dates = ["25/03/1985", "1985-03-25", "31/02/2005", "03/25/1985", "12/05/99", "", None, "2030-01-01", "1/2/2003"]
    sexes = ["F", "H", "2", "1", "M", None, "x"]
    communes = ["8105", "08105", "57463", "2A004", None, ""]
    pick = lambda values: [values[i] for i in rng.integers(0, len(values), n)]  # noqa: E731
    return pd.DataFrame({"last_name": pick(surnames), "birth_name": pick(births), "first_names": pick(firsts),
                         "birth_date": pick(dates), "sex_code": pick(sexes), "residence_commune_insee": pick(communes)},
                        index=range(100, 100 + n))


def _plain(value):
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (tuple, list)):
        return tuple(value)
    return None if pd.isna(value) else value


@pytest.mark.parametrize("key", [KEY, OTHER_KEY])
def test_token_groups_equal_per_row_tokens_byte_for_byte(key):
    from pipelines.privacy.pseudonymize import comparison_tokens_arrow, comparison_tokens_frame_per_identity

    df = _messy_identities()
    for _ in range(2):   # the second pass is served by the process caches: same bytes
        out = comparison_tokens_frame(df, key, today=TODAY)
        reference = comparison_tokens_frame_per_identity(df, key, today=TODAY)
        arrow = comparison_tokens_arrow(df, key, today=TODAY)
        assert list(out.index) == list(df.index) and tuple(out.columns) == TOKEN_COLUMNS
        assert (out.dtypes == reference.dtypes).all()
        for column in TOKEN_COLUMNS:
            assert [_plain(v) for v in out[column]] == [_plain(v) for v in reference[column]], column
            assert [_plain(v) for v in arrow.column(column).to_pylist()] == [_plain(v) for v in out[column]], column
    for position, (_, row) in enumerate(df.iloc[:60].iterrows()):
        values = {k: (None if not isinstance(v, str) and pd.isna(v) else v) for k, v in row.items()}
        expected = comparison_tokens(normalize_identity(
            last_name=values["last_name"], first_names=values["first_names"], birth_date=values["birth_date"],
            sex=values["sex_code"], commune=values["residence_commune_insee"], birth_name=values["birth_name"],
            today=TODAY), key)
        assert {c: _plain(out[c].iloc[position]) for c in TOKEN_COLUMNS} == {
            c: _plain(v) for c, v in expected.__dict__.items()}


def test_pseudonym_memo_and_arrow_give_the_same_pseudonyms():
    from pipelines.privacy.pseudonymize import pseudonymize_arrow

    values = pd.Series(["123", None, " 123", 123.0, 123, True, "abc", "123", float("nan"), ""])
    expected = [None if v is None or (isinstance(v, float) and v != v) or not str(v).strip()
                else pseudonym(KEY, "person_id:ML054", "1" if v is True else str(v).strip().removesuffix(".0"))
                for v in values]
    expected[5] = pseudonym(KEY, "person_id:ML054", "True")
    for _ in range(2):   # the second call reads the memo
        out = pseudonymize_series(values, KEY, person_id_domain("ML054"))
        assert out.tolist() == expected
        assert pseudonymize_arrow(values, KEY, person_id_domain("ML054")).to_pylist() == expected
    assert pseudonymize_series(values, OTHER_KEY, person_id_domain("ML054")).tolist()[0] != expected[0]


def test_pseudonym_memo_is_bounded_across_all_domains(monkeypatch):
    """The memo of pseudonyms is bounded in all domains together: each member has its own
    person-number domain, and a bound per domain let an ingestion worker's memory grow without limit.
    Values stay right after the memo is emptied."""
    from pipelines.privacy import pseudonymize

    monkeypatch.setattr(pseudonymize, "_SERIES_CACHE", {})
    monkeypatch.setattr(pseudonymize, "SERIES_CACHE_LIMIT", 100)
    values = pd.Series([f"P{i:04d}" for i in range(30)])
    for member in range(20):        # 20 members x 30 person numbers = 600 values met
        domain = pseudonymize.person_id_domain(f"ML{member:03d}")
        hashed = pseudonymize.pseudonymize_series(values, KEY, domain)
        assert hashed.tolist() == [pseudonym(KEY, domain, v) for v in values]
        assert sum(len(memo) for memo in pseudonymize._SERIES_CACHE.values()) <= 100 + len(values)
    assert pseudonymize._SERIES_CACHE      # still memoising
