"""The direct-identifier scan on a real DuckDB file: planted identifiers found with exact counts,
a clean table of pseudonyms/codes/counts/dates/ordinary French text gives no finding."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pandas as pd
import pytest

from pipelines.privacy.identifier_scan import (
    Finding,
    format_summary,
    has_name_in_text,
    is_valid_nir,
    name_dictionaries,
    nir_key,
    pattern_kinds,
    scan_duckdb,
    scan_files,
)
from pipelines.privacy.pseudonymize import pseudonymize_values

TODAY = date(2026, 11, 28)
N = 20


def _pad(values, n=N, filler=None):
    return list(values) + [filler] * (n - len(values))


def _nir(first13: str, spaced: bool = False) -> str:
    key = f"{nir_key(first13):02d}"
    if not spaced:
        return first13 + key
    d = first13 + key
    return " ".join([d[0], d[1:3], d[3:5], d[5:7], d[7:10], d[10:13], d[13:]])


EMAILS = ["jean.dupont@gmail.com", "julie_martin75@orange.fr", "contact.d@laposte.net",
          "a.b-c@univ-lorraine.fr", "Ecrire à lucas.petit@free.fr svp", "x@y.io", "PRENOM.NOM@EXEMPLE.COM"]
PHONES = ["06 12 34 56 78", "0612345678", "06.12.34.56.78", "03-87-12-34-56", "+33 6 12 34 56 78",
          "tél. +33 (0)3 88 12 34 56 le matin"]
VALID_NIRS = [_nir("2690549588157"), _nir("1850578006084", spaced=True), _nir("189052A004123"),
              _nir("289052B033456", spaced=True), "NIR : " + _nir("1070167463123")]
INVALID_NIRS = ["185057800608400", "2 69 05 49 588 157 81"]
INES = ["1234567890A", "123456789AB", "INE 0987654321Z", "ine: 555666777xy"]
ADDRESSES = ["12 rue de la Paix", "3 bis avenue Foch, 57000 Metz", "5, bd Haussmann", "8 chemin des Vignes",
             "27 allée des Tilleuls"]
OBSERVATIONS = ["Née le 12/03/2005 à Metz", "né le 3 mars 2004", "Date de naissance : 2006-07-14",
                "Rendez-vous le 12/03/2024 au CIO de Metz", "Atelier CV le 5 mars 2024",
                "Inscription au forum des métiers"]
FIRST_NAMES = ["Julie", "Nathalie", "Sébastien", "Émilie", "Jean-Pierre", "Françoise", "Timothée", "Anaïs",
               "Hélène", "Stéphane", "Gabrielle", "Jacqueline"]
LAST_NAMES = ["Dupont", "DURAND", "Lefebvre", "Moreau", "Garcia", "Le Gall", "Da Silva", "Fournier", "Girard",
              "Rousseau"]
FULL_NAMES = ["Julie MARTIN", "Sébastien Durand", "DUPONT Nathalie", "Émilie Lefebvre", "Jean-Pierre GIRARD",
              "Hélène Moreau", "Stéphane Fournier", "Anaïs Garcia"]
COMMENTS = ["Entretien avec Julie MARTIN ce jour", "M. Dupont absent au rendez-vous",
            "Appel de Mme DURAND pour son fils", "Dossier suivi par GIRARD Nathalie",
            "Premier conseil sur les métiers du BTP", "Orientation vers la Mission locale",
            "Projet de formation en alternance", "Atelier collectif au CIO", "Vu en visio",
            "Demande de VAE"]

CLEAN_TEXT = [
    "Premier conseil sur les métiers du BTP, orientation vers un CAP.",
    "Rendez-vous le 12/03/2024 au CIO de Metz pour un bilan.",
    "3 cours de remise à niveau prévus avant l'entrée en formation.",
    "2 places disponibles à l'atelier CV du 5 mars 2024.",
    "Le jeune souhaite travailler dans le numérique ; appel au 3949 conseillé.",
    "Réorientation vers la Mission locale de Saint-Louis.",
    "Participation au salon de l'apprentissage place Kléber à Strasbourg.",
    "Projet de VAE, dossier de recevabilité en cours (40 heures).",
    "Demande de CEP niveau 2 après la Toussaint.",
    "Claire motivation pour une formation en alternance, à revoir en juin.",
    "Entretien à distance par visio, durée 45 min.",
    "Orientation vers France Travail (agence de Thionville), code ROME M1607.",
    "Le jeune est né en 2007 et vit chez ses parents à Épinal.",
    "Sortie du lycée le 30/06/2023 sans diplôme.",
    "RDV pris avec la conseillère de la MDPH pour le 02/04/2024.",
    "Inscription en CAP Cuisine au CFA de Colmar, rentrée le 04/09/2024.",
    "Souhaite un BTS, niveau 5, bassin de Reims.",
    "Forum des métiers de Saint-Martin : 120 visiteurs, 14 entreprises.",
    "Vacances de la Toussaint : atelier découverte des métiers du bois.",
    "SIRET de l'entreprise d'accueil 12345678901234, UAI 0670001A, BCN 50033610.",
]
CLEAN_LABELS = ["Saint-Louis", "Metz", "Bar-le-Duc", "Charleville-Mézières", "Saint-Dizier",
                "Sainte-Marie-aux-Mines", "Mission locale de Metz", "CIO de Nancy", "Lorraine",
                "Journée portes ouvertes", "Vacances de la Toussaint", "Salon de l'apprentissage"]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    path = tmp_path_factory.mktemp("scan") / "warehouse.duckdb"
    key = b"s" * 32
    leak = pd.DataFrame(
        {
            "id": range(1, N + 1),
            "email": _pad(EMAILS, filler="non renseigné"),
            "telephone": _pad(PHONES, filler="non renseigné"),
            "nir": _pad(VALID_NIRS + INVALID_NIRS),
            "ine": _pad(INES),
            "adresse": _pad(ADDRESSES),
            "observations": _pad(OBSERVATIONS),
            "date_naissance": [date(1990, 1, 1) + timedelta(days=397 * i) for i in range(N)],
            "prenom": _pad(FIRST_NAMES),
            "nom": _pad(LAST_NAMES),
            "nom_complet": _pad(FULL_NAMES),
            "commentaire": _pad(COMMENTS),
            "person_pseudo": pseudonymize_values([str(i) for i in range(N)], key, "person_id:ML054"),
            "nir_num": _pad([int(_nir("2690549588157")), int(_nir("1850578006084")), int(_nir("1070167463123"))],
                            filler=120),
            "date_acte": [date(2024, 1, 1) + timedelta(days=9 * i) for i in range(N)],
            "annee_naissance": [1990 + i for i in range(N)],
        }
    )
    m = 30
    clean = pd.DataFrame(
        {
            "person_pseudo": pseudonymize_values([str(i) for i in range(m)], key, "person_id:CIO057"),
            "ine_pseudo": pseudonymize_values([f"{i:010d}A" for i in range(m)], key, "ine"),
            "member_code": ["ML054", "CIO057", "PE067"] * 10,
            "service_level_code": ["ACCUEIL", "INFO", "CONSEIL"] * 10,
            "channel_code": ["FACE", "DEMAT", "DISTANCE"] * 10,
            "sex_code": ["F", "M"] * 15,
            "age_band_code": ["A16_17", "A18_25", "A26_29", "A30_44", "A55_PLUS"] * 6,
            "residence_commune_insee": ["08105", "57463", "2A004", "67482", "68224", "54395"] * 5,
            "bassin_code": ["B08_CHARLEVILLE", "B57_METZ", "B67_STRASBOURG"] * 10,
            "last_training_bcn": ["50033610", "40031213", "32031102"] * 10,
            "last_school_uai": ["0670001A", "0570012B", "0080027C"] * 10,
            "acts_count": [i * 7 for i in range(m)],
            "people_count": [i * 3 for i in range(m)],
            "birth_year": [1990 + i % 20 for i in range(m)],
            "act_date": [date(2024, 1, 1) + timedelta(days=11 * i) for i in range(m)],
            "period_month": [date(2024, 1 + i % 12, 1) for i in range(m)],
            "comment": _pad(CLEAN_TEXT, m),
            "place_label": _pad(CLEAN_LABELS, m, filler="Metz"),
        }
    )
    con = duckdb.connect(str(path))
    for schema in ("main_marts", "main_indicators", "raw", "ops"):
        con.execute(f"CREATE SCHEMA {schema}")
    con.register("leak_df", leak)
    con.register("clean_df", clean)
    con.execute("CREATE TABLE main_marts.people_leak AS SELECT * FROM leak_df")
    con.execute("CREATE TABLE main_indicators.clean AS SELECT * FROM clean_df")
    con.execute("CREATE VIEW main_indicators.clean_view AS SELECT comment, act_date FROM main_indicators.clean")
    con.execute("CREATE TABLE raw.rio_entries AS SELECT email, telephone FROM leak_df")
    con.execute("CREATE TABLE ops.identity_tokens AS SELECT nom FROM leak_df")
    con.close()
    return path


EXPECTED_LEAK = {
    ("email", "email", 7),
    ("telephone", "phone", 6),
    ("nir", "nir", 5),
    ("ine", "ine", 4),
    ("adresse", "address", 5),
    ("observations", "birth_date", 3),
    ("date_naissance", "birth_date", N),
    ("prenom", "first_name", 12),
    ("nom", "last_name", 10),
    ("nom_complet", "full_name", 8),
    ("commentaire", "name_in_text", 4),
    ("nir_num", "nir", 3),
}


def test_planted_identifiers_found_with_exact_counts(warehouse):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        findings = scan_duckdb(con, schemas=["main_marts"], today=TODAY)
    finally:
        con.close()
    assert {(f.column, f.kind, f.count) for f in findings} == EXPECTED_LEAK
    assert all(f.table == "main_marts.people_leak" and not f.sampled for f in findings)
    assert all(f.scanned >= f.count for f in findings)
    # A finding never carries a value.
    assert set(Finding.__dataclass_fields__) == {"table", "column", "kind", "count", "scanned", "sampled"}


def test_clean_tables_give_no_finding(warehouse):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        findings = scan_duckdb(con, schemas=["main_indicators"], today=TODAY)
    finally:
        con.close()
    assert findings == [], format_summary(findings)
    assert format_summary(findings, tables_scanned=2).startswith(
        "Analyse des identifiants directs : aucun identifiant direct détecté dans 2 table(s)"
    )


def test_default_schemas_skip_pipeline_only_and_exclude_works(warehouse):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        default = scan_duckdb(con, today=TODAY)
        raw = scan_duckdb(con, schemas=["raw"], today=TODAY)
        excluded = scan_duckdb(
            con, schemas=["main_marts"], exclude=["main_marts.people_leak.e*", "*.nir_num"], today=TODAY
        )
        sampled = scan_duckdb(con, schemas=["main_marts"], sample_rows=5, today=TODAY)
    finally:
        con.close()
    assert {f.table for f in default} == {"main_marts.people_leak"}
    assert {(f.column, f.kind, f.count) for f in raw} == {("email", "email", 7), ("telephone", "phone", 6)}
    assert {(f.column, f.kind) for f in excluded} == {(c, k) for c, k, _ in EXPECTED_LEAK} - {
        ("email", "email"), ("nir_num", "nir")
    }
    assert sampled and all(f.sampled and f.scanned <= 5 for f in sampled)


def test_summary_in_french_without_values(warehouse):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        findings = scan_duckdb(con, schemas=["main_marts"], today=TODAY)
    finally:
        con.close()
    text = format_summary(findings)
    assert "main_marts.people_leak.email : adresse e-mail dans 7 valeur(s) sur 20 analysée(s)" in text
    assert "NIR (numéro de sécurité sociale)" in text and "À faire" in text
    for planted in EMAILS + PHONES + VALID_NIRS + INES + ADDRESSES + FIRST_NAMES + LAST_NAMES + FULL_NAMES:
        assert planted not in text
    assert "Dupont" not in text and "DURAND" not in text


def test_scan_files_parquet_and_csv(warehouse, tmp_path):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        con.execute(f"COPY main_marts.people_leak TO '{tmp_path / 'extract.parquet'}' (FORMAT parquet)")
        con.execute(f"COPY main_marts.people_leak TO '{tmp_path / 'extract.csv'}' (HEADER, DELIMITER ';')")
        con.execute(f"COPY main_indicators.clean TO '{tmp_path / 'clean.csv'}' (HEADER, DELIMITER ';')")
    finally:
        con.close()
    parquet = scan_files([tmp_path / "extract.parquet"], today=TODAY)
    assert {(f.column, f.kind, f.count) for f in parquet} == EXPECTED_LEAK
    csv = scan_files([tmp_path / "extract.csv"], today=TODAY)
    got = {(f.column, f.kind, f.count) for f in csv}
    assert {("email", "email", 7), ("nir", "nir", 5), ("date_naissance", "birth_date", N)} <= got
    assert scan_files([tmp_path / "clean.csv"], today=TODAY) == []


@pytest.mark.parametrize(
    "nir, valid",
    [
        ("2 69 05 49 588 157 80", True),
        ("269054958815780", True),
        ("2 55 08 14 168 025 38", True),
        ("2 55 08 14 168 025 39", False),
        ("269054958815781", False),
        ("1 89 05 2A 004 123 54", True),  # Corsica: 2A -> 19
        ("1 89 05 2B 004 123 81", True),  # Corsica: 2B -> 18
        ("1 89 05 2A 004 123 81", False),
        ("1 89 05 2B 004 123 54", False),
        ("5 69 05 49 588 157 80", False),  # impossible first digit
        ("26905495881578", False),  # 14 characters
    ],
)
def test_nir_key_validation(nir, valid):
    assert is_valid_nir(nir) is valid


def test_nir_key_formula():
    assert nir_key("2690549588157") == 80
    assert nir_key("189052A004123") == nir_key("1890519004123")
    assert nir_key("189052B004123") == nir_key("1890518004123")


@pytest.mark.parametrize(
    "text",
    [
        "a" * 64,
        "0123456789" * 6 + "abcd",  # 64 hex chars, digit runs inside
        "Rendez-vous le 12/03/2024",
        "3 cours de maths",
        "2 places disponibles",
        "Appel au 3949",
        "SIRET 12345678901234",
        "UAI 0670001A",
        "Né en 2007",
    ],
)
def test_no_pattern_in_ordinary_values(text):
    assert pattern_kinds(text) == set()
    assert not has_name_in_text(text)


def test_name_dictionaries_are_folded_and_filtered():
    first, last = name_dictionaries()
    assert {"JULIE", "HELENE", "SEBASTIEN", "TIMOTHEE"} <= first
    assert {"DUPONT", "DURAND", "LEFEBVRE", "SILVA", "GALL"} <= last
    assert not {"PARIS", "PETIT", "LORRAINE", "FONTAINE", "DA", "LE"} & (first | last)
