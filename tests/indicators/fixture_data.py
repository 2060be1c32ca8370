"""A hand-made warehouse: small raw tables of known content, and the indicator values they must give.

The raw tables are created with the ingestion engine's own DDL (pipelines.ingestion.ledger), so the
fixture breaks as soon as dbt and ingestion disagree on a column. Every expected value below is
worked out by hand in the comments next to it.

People (identity keys are the pseudonyms ingestion writes; person links as the linkage step would):
  ML001 (Mission locale, bassin 07, agency AG01): m1, m2, m3        PE001 (Pôle emploi, bassin 01): p1, p9
  links: m1 + p1 -> P1 (same woman at two networks), m2 + RIO INE i2 -> P2
  CCI001 (CCI, aggregate-only member, bassin 07) sends monthly cells, no person.
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb

from pipelines.ingestion import ledger

MONTH = {m: date(2025, m, 1) for m in range(1, 13)}
LOADED = datetime(2025, 6, 15, 12, 0)
C = "08105"  # Charleville-Mézières, bassin 07


def _lineage(file: str, row: int, version: int, month: int, sender: str) -> dict:
    return {"source_file": file, "source_row": row, "file_sha256": f"sha-{file}-{version}",
            "file_version": version, "period_month": MONTH[month], "sender_code": sender, "loaded_at": LOADED}


# (act_id, person, date, level, channel, sex, age, status, rqth, redirected_to), per (file, version, month, sender)
ACTS = {
    ("ML001_2025-01.csv", 1, 1, "ML001"): [
        # version 1, replaced by version 2: this act must not count
        ("A0", "m1", date(2025, 1, 2), "INFO", "FACE", "F", 20, "DE", False, None),
    ],
    ("ML001_2025-01_v2.csv", 2, 1, "ML001"): [
        ("A1", "m1", date(2025, 1, 10), "ACCUEIL", "FACE", "F", 20, "DE", False, "PE001"),
        ("A2", "m1", date(2025, 1, 20), "CONSEIL1", "TEL", "F", 20, "DE", False, None),
        ("A3", "m2", date(2025, 1, 15), "INFO", "FACE", "M", 17, "ELEVE", True, None),
        ("A3", "m2", date(2025, 1, 15), "INFO", "FACE", "M", 17, "ELEVE", True, None),  # duplicate row
        ("A4", "m3", date(2025, 1, 16), "ACCUEIL", "VISIO", "F", 24, "DE", None, "CCI001"),
    ],
    ("ML001_2025-02.csv", 1, 2, "ML001"): [
        ("A5", "m2", date(2025, 2, 3), "CONSEIL1", "FACE", "M", 17, "ELEVE", True, None),
    ],
    ("PE001_2025-02.csv", 1, 2, "PE001"): [
        ("B1", "p1", date(2025, 2, 5), "CONSEIL1", "FACE", "F", 20, "DE", False, None),
        ("B2", "p9", date(2025, 2, 10), "ACCUEIL", "MAIL", "M", 40, "SALARIE", False, "ML001"),
    ],
    ("PE001_2025-05.csv", 1, 5, "PE001"): [
        ("B3", "p9", date(2025, 5, 2), "INFO", "FACE", "M", 40, "SALARIE", False, None),
    ],
}

# (level, channel, sex, age band, status, bassin, acts, people)
AGGREGATES = {
    ("CCI001_2025-01.csv", 1, 1, "CCI001"): [
        ("INFO", "FACE", "F", "A16_17", "ELEVE", None, 10, 8),
        ("INFO", "TEL", "M", "A18_25", "APPRENTI", None, 5, 5),
    ],
    ("CCI001_2025-02.csv", 1, 2, "CCI001"): [
        ("ACCUEIL", "FACE", "F", "A16_17", "ELEVE", None, 4, 4),
    ],
}

PERSON_LINKS = [("m1", "P1"), ("p1", "P1"), ("m2", "P2"), ("i2", "P2")]

# RIO lists of PSAD01: (ine pseudo, sex, exit reason) per month
RIO = {1: [("i1", "F", "ABANDON"), ("i2", "M", "ABANDON"), ("i3", "F", "EXCLUSION")],
       2: [("i1", "F", "ABANDON"), ("i4", "M", "ABANDON")]}
# PSAD01 follow-up: (ine, identified, attempt, contact, outcome, 3m, 6m) per month (the latest wins)
FOLLOWUPS = {
    1: [("i1", date(2025, 1, 5), date(2025, 1, 8), None, None, None, None)],
    2: [("i1", date(2025, 1, 5), date(2025, 1, 8), date(2025, 1, 15), "APPRENTISSAGE", "APPRENTISSAGE", "SANS_SOLUTION"),
        ("i2", date(2025, 1, 6), date(2025, 1, 20), date(2025, 1, 26), "SANS_SOLUTION", None, None),
        ("i3", date(2025, 1, 7), date(2025, 1, 9), None, "INJOIGNABLE", None, None),
        ("i4", date(2025, 2, 3), date(2025, 2, 4), date(2025, 2, 5), "ACCOMP_ML", "EMPLOI", None)],
}

LORFOLIO = [  # (time, account, action)
    (datetime(2025, 1, 3, 9), "A", "ACCOUNT_CREATED"), (datetime(2025, 1, 4, 9), "A", "LOGIN"),
    (datetime(2025, 1, 5, 9), "A", "CV_GENERATED"), (datetime(2025, 1, 5, 10), "A", "SKILL_ADDED"),
    (datetime(2025, 1, 5, 11), "A", "SKILL_ADDED"), (datetime(2025, 1, 10, 9), "B", "LOGIN"),
    (datetime(2025, 1, 10, 10), "B", "DOCUMENT_STORED"), (datetime(2025, 2, 1, 9), "A", "LOGIN"),
    (datetime(2025, 2, 1, 10), "A", "SITE_PUBLISHED"), (datetime(2025, 2, 2, 9), "C", "ACCOUNT_CREATED"),
    (datetime(2025, 2, 2, 10), "C", "PROOF_ADDED"),
]

EVENTS = [  # id, date, type, channel, sector, bassin, organiser, capacity, companies, branches
    ("E1", date(2025, 1, 20), "FORUM", "FACE", "BTP", "07", "ML001", 100, 3, 1),
    ("E2", date(2025, 2, 10), "ATELIER", "DEMAT", "NUMERIQUE", "07", None, 30, 0, 0),
]
REGISTRATIONS = [  # id, event, attended, status, sex
    ("R1", "E1", True, "ELEVE", "F"), ("R2", "E1", True, "ELEVE", "M"),
    ("R3", "E1", False, "DE", "F"), ("R4", "E2", True, "ETUDIANT", "F"),
]
SATISFACTION = [("R1", "E1", 5, True), ("R2", "E1", 3, False), ("R4", "E2", 4, True)]

# ops.load_ledger rows of the activity feed: (sender, month, version, received, status)
LEDGER = [
    ("ML001", 1, 1, datetime(2025, 2, 3), "replaced"), ("ML001", 1, 2, datetime(2025, 2, 20), "loaded"),
    ("ML001", 2, 1, datetime(2025, 3, 5), "loaded"), ("PE001", 2, 1, datetime(2025, 3, 25), "loaded"),
    ("PE001", 5, 1, datetime(2025, 6, 10), "loaded"), ("CCI001", 1, 1, datetime(2025, 2, 10), "loaded"),
    ("CCI001", 2, 1, datetime(2025, 3, 10), "loaded"), ("ML002", 3, 1, datetime(2025, 4, 2), "rejected"),
]

POPULATION_BASSIN_07 = 21300  # ref_bassins.population_15_29 of bassin 07

# (indicator, period grain, period start, geo level, geo code, breakdown, breakdown value) -> value
# Year 2025 unless stated; '44' = the region.
Y = date(2025, 1, 1)
CAMPAIGN = date(2024, 9, 1)
EXPECTED = {
    # acts: 8 per-act acts (A0 replaced, A3 duplicated once) + 19 declared by CCI001 = 27
    ("ACT_ACTS", "year", Y, "region", "44", "total", "TOTAL"): 27,
    ("ACT_ACTS", "year", Y, "member", "CCI001", "total", "TOTAL"): 19,
    ("ACT_ACTS", "year", Y, "member", "ML001", "total", "TOTAL"): 5,
    # people: P1 (m1 = p1), P2 (m2), m3, p9 = 4 (5 without linkage); aggregate members excluded
    ("ACT_PEOPLE", "year", Y, "region", "44", "total", "TOTAL"): 4,
    ("ACT_PEOPLE", "year", Y, "member", "ML001", "total", "TOTAL"): 3,
    ("ACT_PEOPLE", "year", Y, "member", "PE001", "total", "TOTAL"): 2,
    ("ACT_PEOPLE", "month", MONTH[1], "region", "44", "total", "TOTAL"): 3,
    ("ACT_PEOPLE", "month", MONTH[2], "region", "44", "total", "TOTAL"): 3,
    ("ACT_PEOPLE", "year", Y, "region", "44", "sex", "F"): 2,
    ("ACT_PEOPLE", "year", Y, "region", "44", "age_band", "A16_17"): 1,
    ("ACT_PEOPLE", "year", Y, "agency", "AG01", "total", "TOTAL"): 3,
    ("ACT_PEOPLE", "year", Y, "agency", "AG12", "total", "TOTAL"): 2,
    ("ACT_PEOPLE_DECLARED", "year", Y, "region", "44", "total", "TOTAL"): 17,
    ("ACT_PEOPLE_DECLARED", "year", Y, "member", "CCI001", "sex", "F"): 12,
    # distance acts: A2 TEL, A4 VISIO, B2 MAIL + CCI001's 5 TEL = 8 of 27
    ("ACT_DISTANCE_SHARE", "year", Y, "region", "44", "total", "TOTAL"): 8 / 27,
    # women among people: P1, m3 of P1, P2, m3, p9
    ("VAL_WOMEN_SHARE", "year", Y, "region", "44", "total", "TOTAL"): 0.5,
    # RQTH known for P1 (no), P2 (yes), p9 (no); m3 unknown
    ("VAL_DISABILITY_SHARE", "year", Y, "region", "44", "total", "TOTAL"): 1 / 3,
    # everyone lives in bassin 07: 4 people per 21,300 residents aged 15-29
    ("VAL_TERRITORIAL_COVERAGE", "year", Y, "bassin", "07", "total", "TOTAL"): 1000 * 4 / POPULATION_BASSIN_07,
    # expected member-months: ML001 Jan-May 5, PE001 Feb-May 4, CCI001 Jan-May 5 = 14; received 6
    ("VAL_DATA_COMPLETENESS", "year", Y, "region", "44", "total", "TOTAL"): 6 / 14,
    # first receipts: 3, 5, 25 (late), 10, 10, 10 days after month end
    ("VAL_DATA_TIMELINESS", "year", Y, "region", "44", "total", "TOTAL"): 5 / 6,
    # redirections: P1 ML001->PE001, m3 ML001->CCI001 (aggregate target), p9 PE001->ML001
    ("PATH_REDIRECTED_PEOPLE", "year", Y, "region", "44", "total", "TOTAL"): 3,
    # observable and closed (data end 2025-05-31): P1 seen after 26 days, p9 never
    ("PATH_SEEN_30D", "year", Y, "region", "44", "total", "TOTAL"): 0.5,
    ("PATH_SEEN_90D", "year", Y, "region", "44", "total", "TOTAL"): 0.5,
    ("PATH_SEEN_90D", "year", Y, "member", "ML001", "total", "TOTAL"): 1.0,
    # first contact -> first advice: P1 10 days, P2 19 days
    ("PATH_DAYS_TO_ADVICE", "year", Y, "region", "44", "total", "TOTAL"): 14.5,
    ("PATH_MULTI_NETWORK_PEOPLE", "year", Y, "region", "44", "total", "TOTAL"): 1,
    # PSAD01, campaign 2024-2025: i1..i4 (i1 listed twice)
    ("PSAD_IDENTIFIED", "campaign", CAMPAIGN, "psad_platform", "PSAD01", "total", "TOTAL"): 4,
    ("PSAD_CONTACT_RATE", "campaign", CAMPAIGN, "psad_platform", "PSAD01", "total", "TOTAL"): 0.75,
    ("PSAD_CONTACT_DELAY", "campaign", CAMPAIGN, "psad_platform", "PSAD01", "total", "TOTAL"): 10,
    ("PSAD_SOLUTION_RATE", "campaign", CAMPAIGN, "psad_platform", "PSAD01", "total", "TOTAL"): 0.5,
    ("PSAD_SOLUTION_RATE", "campaign", CAMPAIGN, "psad_platform", "PSAD01", "outcome", "APPRENTISSAGE"): 0.25,
    ("PSAD_REENGAGED_3M", "campaign", CAMPAIGN, "psad_platform", "PSAD01", "total", "TOTAL"): 1.0,
    ("PSAD_REENGAGED_6M", "campaign", CAMPAIGN, "psad_platform", "PSAD01", "total", "TOTAL"): 0.0,
    # i2 is m2 (P2), served by ML001 on 2025-01-15, after identification on 2025-01-06
    ("PSAD_SEEN_BY_MEMBER", "campaign", CAMPAIGN, "psad_platform", "PSAD01", "total", "TOTAL"): 0.25,
    ("PSAD_IDENTIFIED", "campaign", CAMPAIGN, "region", "44", "total", "TOTAL"): 4,
    ("LOR_ACCOUNTS_CREATED", "year", Y, "bassin", "07", "total", "TOTAL"): 2,
    ("LOR_ACTIVE_ACCOUNTS", "year", Y, "bassin", "07", "total", "TOTAL"): 3,
    ("LOR_ACTIVE_ACCOUNTS", "month", MONTH[1], "bassin", "07", "total", "TOTAL"): 2,
    ("LOR_CVS", "year", Y, "bassin", "07", "total", "TOTAL"): 1,
    ("LOR_SITES", "year", Y, "bassin", "07", "total", "TOTAL"): 1,
    ("LOR_SKILLS", "year", Y, "bassin", "07", "total", "TOTAL"): 3,
    ("LOR_DOCUMENTS", "year", Y, "region", "44", "total", "TOTAL"): 1,
    ("EVT_EVENTS", "year", Y, "bassin", "07", "total", "TOTAL"): 2,
    ("EVT_REGISTRATIONS", "year", Y, "bassin", "07", "total", "TOTAL"): 4,
    ("EVT_PARTICIPANTS", "year", Y, "bassin", "07", "total", "TOTAL"): 3,
    ("EVT_PARTICIPANTS", "year", Y, "bassin", "07", "sex", "F"): 2,
    ("EVT_BUSINESS_PARTNERS", "year", Y, "region", "44", "total", "TOTAL"): 4,
    ("EVT_ATTENDANCE_RATE", "year", Y, "bassin", "07", "total", "TOTAL"): 0.75,
    ("EVT_SATISFACTION_SCORE", "year", Y, "bassin", "07", "total", "TOTAL"): 4.0,
    ("EVT_RECOMMEND_SHARE", "year", Y, "bassin", "07", "total", "TOTAL"): 2 / 3,
    ("VAL_WOMEN_SHARE_EVENTS", "year", Y, "bassin", "07", "total", "TOTAL"): 2 / 3,
}


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    if not rows:
        return
    columns = list(rows[0])
    placeholders = ", ".join("?" for _ in columns)
    con.executemany(f"insert into {table} ({', '.join(columns)}) values ({placeholders})",
                    [[row[c] for c in columns] for row in rows])


def build_raw_warehouse(path: str) -> None:
    """Create the raw/ops tables with ingestion's DDL and fill them with the rows above."""
    con = duckdb.connect(path)
    ledger.ensure_schema(con, {})
    ledger.ensure_tokens_table(con, ["surname_birth"])
    acts, aggregates = [], []
    for (file, version, month, sender), rows in ACTS.items():
        for i, (act_id, person, day, level, channel, sex, age, status, rqth, redirect) in enumerate(rows, 1):
            acts.append({"act_id": act_id, "member_person_id_pseudo": person, "act_date": day,
                         "service_level_code": level, "channel_code": channel, "sex_code": sex, "age": age,
                         "public_status_code": status, "rqth": rqth, "residence_commune_insee": C,
                         "redirected_to_member_code": redirect, **_lineage(file, i, version, month, sender)})
    for (file, version, month, sender), rows in AGGREGATES.items():
        for i, (level, channel, sex, band, status, bassin, n_acts, n_people) in enumerate(rows, 1):
            aggregates.append({"service_level_code": level, "channel_code": channel, "sex_code": sex,
                               "age_band_code": band, "public_status_code": status, "bassin_code": bassin,
                               "acts_count": n_acts, "people_count": n_people,
                               **_lineage(file, i, version, month, sender)})
    _insert(con, "raw.activity_acts", acts)
    _insert(con, "raw.activity_aggregates", aggregates)
    _insert(con, "ops.identity_tokens", [
        {"table_name": "activity_acts", "source_file": "x", "sender_code": person[0], "person_pseudo": person,
         "period_month": MONTH[1], "source_row": 1}
        for person in ("m1", "m2", "m3", "p1", "p9")])
    con.execute("create table if not exists ops.person_links (identity_key varchar, person_key varchar, "
                "link_method varchar, link_score double)")
    _insert(con, "ops.person_links", [
        {"identity_key": key, "person_key": person, "link_method": "probabilistic", "link_score": 0.99}
        for key, person in PERSON_LINKS])
    _insert(con, "raw.rio_entries", [
        {"ine_pseudo": ine, "sex_code": sex, "commune_insee": C, "exit_reason_code": reason,
         "exit_date": date(2024, 12, 20), **_lineage(f"PSAD01_2025-{m:02d}_rio.csv", i, 1, m, "PSAD01")}
        for m, rows in RIO.items() for i, (ine, sex, reason) in enumerate(rows, 1)])
    _insert(con, "raw.psad_followups", [
        {"ine_pseudo": ine, "identified_date": ident, "contact_attempt_date": attempt, "contact_date": contact,
         "outcome_code": outcome, "outcome_date": contact, "followup_3m_outcome_code": f3,
         "followup_6m_outcome_code": f6, **_lineage(f"PSAD01_2025-{m:02d}_suivi.csv", i, 1, m, "PSAD01")}
        for m, rows in FOLLOWUPS.items() for i, (ine, ident, attempt, contact, outcome, f3, f6) in enumerate(rows, 1)])
    _insert(con, "raw.lorfolio_events", [
        {"event_time": t, "account_id_pseudo": account, "action": action, "bassin_code": "07", "birth_year": 2005,
         "sex_code": "F", **_lineage(f"lorfolio_2025-{t.month:02d}.jsonl", i, 1, t.month, "REGION")}
        for i, (t, account, action) in enumerate(LORFOLIO, 1)])
    _insert(con, "raw.events", [
        {"event_id": e, "event_date": d, "event_type_code": kind, "channel_code": channel, "cot_sector_code": sector,
         "bassin_code": bassin, "organiser_member_code": org, "capacity": cap, "partner_companies_count": comp,
         "partner_branches_count": branch, **_lineage(f"agenda_2025-{d.month:02d}_evenements.csv", i, 1, d.month, "REGION")}
        for i, (e, d, kind, channel, sector, bassin, org, cap, comp, branch) in enumerate(EVENTS, 1)])
    event_month = {e[0]: e[1].month for e in EVENTS}
    _insert(con, "raw.event_registrations", [
        {"registration_id": r, "event_id": e, "registered_at": datetime(2025, 1, 5), "attended": attended,
         "public_status_code": status, "sex_code": sex, "birth_year": 2007, "email_pseudo": f"mail-{r}",
         **_lineage(f"agenda_2025-{event_month[e]:02d}_inscriptions.csv", i, 1, event_month[e], "REGION")}
        for i, (r, e, attended, status, sex) in enumerate(REGISTRATIONS, 1)])
    _insert(con, "raw.event_satisfaction", [
        {"registration_id": r, "event_id": e, "score": score, "would_recommend": recommend,
         **_lineage(f"agenda_2025-{event_month[e]:02d}_satisfaction.csv", i, 1, event_month[e], "REGION")}
        for i, (r, e, score, recommend) in enumerate(SATISFACTION, 1)])
    _insert(con, "ops.load_ledger", [
        {"ledger_id": f"L{i}", "file_name": f"activity/{sender}_2025-{m:02d}.csv", "feed": "activity",
         "sender_code": sender, "period_month": MONTH[m], "file_version": version, "sha256": f"s{i}",
         "received_at": received, "loaded_at": received, "status": status}
        for i, (sender, m, version, received, status) in enumerate(LEDGER, 1)])
    con.close()
