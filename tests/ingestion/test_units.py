"""Unit tests of the ingestion engine's pure parts: contracts, reasons, readers, casting, redaction, sensor."""

from __future__ import annotations

import pandas as pd
import pytest

from pipelines.config import load_settings
from pipelines.ingestion.contracts import ContractError, load_contracts, parse_contract
from pipelines.ingestion.reasons import FILE, FLAG, REASONS, ROW


@pytest.fixture(scope="module")
def contracts():
    return load_contracts(load_settings())


def test_every_real_contract_loads_and_maps_to_a_raw_table(contracts):
    names = set(contracts.contracts)
    assert {"cio_per_act_csv", "ml_per_act_csv", "pe_per_act_csv", "cep_per_beneficiary_csv", "aggregate_xlsx",
            "aggregate_csv", "rio_csv", "psad_followup_csv", "lorfolio_jsonl", "agenda_events_csv",
            "agenda_registrations_csv", "agenda_satisfaction_csv"} <= names
    assert contracts.contracts["aggregate_xlsx"].table == "activity_aggregates"
    assert contracts.contracts["ml_per_act_csv"].table == "activity_acts"
    # personal in a contract => stored as a pseudonym (whatever the contracts declare personal today:
    # rio_csv no longer declares the commune personal since the PSAD indicators need it)
    for contract in contracts.contracts.values():
        for column in contract.columns:
            if column.target and column.personal:
                assert column.target in contracts.personal_targets(contract.table), (contract.name, column.target)
    assert {"ine", "last_name", "birth_date"} <= contracts.personal_targets("rio_entries")


def test_a_contract_with_an_unknown_target_is_refused():
    data = {"contract": "x", "feed": "activity", "grain": "act",
            "file": {"type": "csv", "filename_regex": r"^(?P<month>\d{4}-\d{2})\.csv$"},
            "columns": [{"source": "A", "target": "not_a_target", "type": "string"}]}
    with pytest.raises(ContractError, match="not in the common model"):
        parse_contract(data)


def test_every_reason_has_french_label_and_fix():
    assert {r.level for r in REASONS.values()} == {FILE, ROW, FLAG}
    for reason in REASONS.values():
        assert reason.label_fr and reason.fix_fr and reason.label_fr != reason.code


def test_cast_codes_dates_numbers_booleans(contracts):
    from pipelines.ingestion.casting import cast_chunk

    contract = contracts.contracts["pe_per_act_csv"]
    row = {c.source: "" for c in contract.columns}
    good = {**row, "REF_PRESTATION": "P1", "IDENTIFIANT": "7", "CIVILITE": "MME", "NOM_USAGE": "X",
            "PRENOMS": "Y", "DATE_NAISSANCE": "01.02.2001", "CATEGORIE": "A", "TH": "O",
            "DATE_PRESTATION": "15.01.25", "CODE_PRESTATION": "ACC", "CANAL": "1"}
    bad = {**good, "CIVILITE": "ZZ1", "DATE_NAISSANCE": "31.02.2001", "TH": "peut-être"}
    chunk = pd.DataFrame([good, bad], index=pd.RangeIndex(1, 3))
    result = cast_chunk(chunk, contract, pd.Timestamp("2025-01-01"))
    typed = result.typed
    assert typed.loc[1, "sex_code"] == "F" and typed.loc[2, "sex_code"] == "?ZZ1"
    assert typed.loc[1, "act_date"] == pd.Timestamp("2025-01-15")
    assert typed.loc[1, "age"] == 23
    assert sorted(result.issues["reason_code"]) == ["IMPOSSIBLE_DATE", "INVALID_BOOLEAN"]
    assert set(result.issues["source_row"]) == {2}


def test_encoding_sniff_rejects_utf8_declared_cp1252_and_the_reverse(tmp_path, contracts):
    from pipelines.ingestion.readers import StructuralRejection, sniff_encoding

    text = "Nom;Prénom\nÉlodie;Noël\n"
    utf8 = tmp_path / "a.csv"
    utf8.write_bytes(text.encode("utf-8"))
    cp = tmp_path / "b.csv"
    cp.write_bytes(text.encode("cp1252"))
    sniff_encoding(cp, "cp1252")
    sniff_encoding(utf8, "utf-8")
    for path, declared in ((utf8, "cp1252"), (cp, "utf-8")):
        with pytest.raises(StructuralRejection) as error:
            sniff_encoding(path, declared)
        assert error.value.code == "WRONG_ENCODING"


def test_header_check_names_missing_and_renamed_columns(contracts):
    from pipelines.ingestion.readers import StructuralRejection, check_header

    contract = contracts.contracts["ml_per_act_csv"]
    header = [c.source for c in contract.columns]
    assert check_header(["\ufeff" + header[0]] + header[1:], contract) == header
    renamed = [("DATE_NAISSANCE" if h == "date_naissance" else h) for h in header]
    with pytest.raises(StructuralRejection) as error:
        check_header(renamed, contract)
    assert error.value.code == "MISSING_COLUMN" and "DATE_NAISSANCE" in error.value.detail
    optional_renamed = [("COMMENT" if h == "commentaire" else h) for h in header]
    with pytest.raises(StructuralRejection) as error:
        check_header(optional_renamed, contract)
    assert error.value.code == "UNEXPECTED_COLUMN"


@pytest.mark.parametrize("comment, code", [
    ("Rappeler au 06 12 34 56 78", "COMMENT_PHONE_REDACTED"),
    ("Tél. portable : +33 6 12 34 56 78", "COMMENT_PHONE_REDACTED"),
    ("écrire à jean.dupont@example.fr", "COMMENT_EMAIL_REDACTED"),
    ("Voir avec M. DURAND (éducateur)", "COMMENT_NAME_REDACTED"),
    ("Dossier suivi par Christelle PARENT", "COMMENT_NAME_REDACTED"),
    ("Accompagné de sa mère, Mme LEFEVRE Marie", "COMMENT_NAME_REDACTED"),
])
def test_comments_with_identifiers_are_redacted(comment, code):
    from pipelines.ingestion.redaction import redact_comment

    text, found = redact_comment(comment, set())
    assert code in found
    assert "06 12" not in text and "DURAND" not in text and "PARENT" not in text and "@" not in text


@pytest.mark.parametrize("comment", ["Atelier CV proposé", "Information sur la VAE", "Souhaite travailler dans le BTP",
                                     "Recherche de stage de 3e", "Parcoursup : vœux à finaliser"])
def test_clean_comments_are_left_alone(comment):
    from pipelines.ingestion.redaction import redact_comment

    assert redact_comment(comment, set()) == (comment, [])


def test_the_row_own_name_is_redacted_from_its_comment():
    from pipelines.ingestion.redaction import redact_comments

    typed = pd.DataFrame({"last_name": ["Muller"], "first_names": ["Léa"], "comment": ["Léa viendra lundi"]},
                         index=[4])
    flags = redact_comments(typed)
    assert list(flags["reason_code"]) == ["COMMENT_NAME_REDACTED"]
    assert "Léa" not in typed.loc[4, "comment"]


def test_a_comment_seen_before_is_redacted_by_each_rows_own_names_only():
    """The patterns' result is remembered per comment text; the row's own names must still decide
    per row: the same comment is redacted for Léa Muller, left whole for someone else, and a phone
    number in it is redacted for both."""
    from pipelines.ingestion.redaction import redact_comments

    comment = "Léa rappellera au 06 12 34 56 78"
    typed = pd.DataFrame({"last_name": ["Muller", "Martin", "Muller"], "first_names": ["Léa", "Paul", "Léa"],
                          "comment": [comment, comment, comment]}, index=[1, 2, 3])
    flags = redact_comments(typed)
    assert sorted(map(tuple, flags[["source_row", "reason_code"]].to_numpy().tolist())) == [
        (1, "COMMENT_NAME_REDACTED"), (1, "COMMENT_PHONE_REDACTED"), (2, "COMMENT_PHONE_REDACTED"),
        (3, "COMMENT_NAME_REDACTED"), (3, "COMMENT_PHONE_REDACTED")]
    assert typed.loc[2, "comment"] == "Léa rappellera au [téléphone retiré]"
    assert typed.loc[1, "comment"] == typed.loc[3, "comment"] == "[nom retiré] rappellera au [téléphone retiré]"


def test_sorted_hash_set_operations_equal_numpys():
    """duplicate_mask keeps the hashes seen in a file sorted and tests them by searchsorted instead of
    np.isin/np.union1d (slow on 64-bit integers in numpy 2.4): same answers, repeats and empties included."""
    import numpy as np

    from pipelines.ingestion.expectations import in_sorted, sorted_union

    rng = np.random.default_rng(7)
    seen = np.empty(0, dtype=np.uint64)
    for size in (0, 1, 500, 3000, 0, 40):
        hashes = rng.integers(0, 2_000, size).astype(np.uint64)     # small range: many repeats
        assert np.array_equal(in_sorted(hashes, seen), np.isin(hashes, seen))
        union = sorted_union(seen, hashes)
        assert np.array_equal(union, np.union1d(seen, hashes)) and union.dtype == np.uint64
        seen = union
    assert len(seen) > 1_000


def test_distinct_identities_are_numbered_in_order_of_first_appearance_with_their_row_counts():
    """First row and row count of each identity, as np.unique(return_index, return_counts) gave them;
    `within` keeps the same identity of two chunks apart."""
    import numpy as np

    from pipelines.ingestion.pseudonymise_at_door import distinct_identities

    frame = pd.DataFrame({"last_name": ["Roy", "Dia", "Roy", "Roy", None, "Dia", None],
                          "first_names": ["Ana", "Eli", "Ana", "Ana", "Zoé", "Eli", "Zoé"],
                          "birth_date": pd.to_datetime(["2001-02-03"] * 7)})
    firsts, counts = distinct_identities(frame, "activity_acts")
    assert firsts.tolist() == [0, 1, 4] and counts.tolist() == [3, 2, 2]
    firsts, counts = distinct_identities(frame, "activity_acts", within=np.array([0, 0, 0, 1, 1, 1, 1]))
    assert firsts.tolist() == [0, 1, 3, 4, 5] and counts.tolist() == [2, 1, 1, 2, 1]


def test_sensor_plans_one_run_per_touched_month(tmp_path):
    from types import SimpleNamespace

    from pipelines.ingestion.sensors import fingerprint, plan_runs

    paths = []
    for name in ("a", "b", "c"):
        path = tmp_path / name
        path.write_text(name)
        paths.append(path)
    files = [SimpleNamespace(name="activity/a", path=paths[0], month="2025-01", asset="raw_member_activity"),
             SimpleNamespace(name="rio/b", path=paths[1], month="2025-01", asset="raw_rio"),
             SimpleNamespace(name="events/c", path=paths[2], month="1999-01", asset="raw_events")]
    runs, cursor, unplaced = plan_runs(files, {}, {"2025-01"})
    assert runs == {"2025-01": {"raw_member_activity", "raw_rio"}}
    assert unplaced == ["events/c"]
    again, _, _ = plan_runs(files, cursor, {"2025-01"})
    assert again == {}
    paths[1].write_text("changed!")
    changed, _, _ = plan_runs(files, {**cursor, "rio/b": "0:0"}, {"2025-01"})
    assert changed == {"2025-01": {"raw_rio"}}
    assert fingerprint(paths[0]).startswith("1:")


def test_tokens_table_stores_deletion_tokens_as_lists_and_upgrades_old_tables():
    import duckdb

    from pipelines.ingestion import ledger
    from pipelines.ingestion.loader import _insert_frame
    from pipelines.privacy.pseudonymize import TOKEN_COLUMNS, comparison_tokens_frame

    con = duckdb.connect(":memory:")
    con.execute("create schema ops")
    ledger.ensure_tokens_table(con, ["surname_birth"])          # a table made before the list columns
    tokens = comparison_tokens_frame(pd.DataFrame({"last_name": ["DUPONT", None], "first_names": ["Luc", None]}),
                                     b"k" * 32)
    ledger.ensure_tokens_table(con, list(tokens.columns))
    types = dict(con.execute("select column_name, data_type from information_schema.columns "
                             "where table_schema = 'ops' and table_name = 'identity_tokens'").fetchall())
    assert types["surname_deletions"] == "VARCHAR[]" and types["first_name_deletions"] == "VARCHAR[]"
    assert set(TOKEN_COLUMNS) <= set(types)
    _insert_frame(con, "ops.identity_tokens", tokens.assign(person_pseudo="p"), [*tokens.columns, "person_pseudo"])
    rows = con.execute("select len(surname_deletions), first_name_deletions from ops.identity_tokens "
                       "order by 1 nulls last").fetchall()
    assert rows[0][0] == 7 and rows[1] == (None, None)


def test_tokens_stored_as_64_hex_pseudonyms_convert_to_the_tokens_written_now(tmp_path):
    """A warehouse loaded before tokens were cut to TOKEN_BYTES: its tokens must become exactly the
    ones ingestion writes now for the same values, or the linkage would split each person in two."""
    import duckdb

    from pipelines.ingestion import ledger
    from pipelines.ingestion.loader import _insert_frame
    from pipelines.privacy import pseudonymize as ps

    key = b"k" * 32
    identities = pd.DataFrame({"last_name": ["DUPONT", "MARTIN épouse DURAND", None],
                               "first_names": ["Luc", "Anne Marie", None],
                               "birth_date": ["2007-03-01", None, None], "sex_code": ["M", "F", None],
                               "residence_commune_insee": ["54395", None, None]})
    now = ps.comparison_tokens_frame(identities, key)
    # the former tokens: the full 64-hex pseudonym of every element (what pseudonymize_values gave)
    original = ps.comparison_token_values
    caches = (ps._TOKEN_CACHE, ps._GROUP_CACHE)
    for cache in caches:
        cache.clear()
    try:
        ps.comparison_token_values = ps.pseudonymize_values
        before = ps.comparison_tokens_frame(identities, key)
    finally:
        ps.comparison_token_values = original
        for cache in caches:
            cache.clear()
    assert before["surname_birth"].str.len().max() == 64 and now["surname_birth"].str.len().max() == 12

    path = str(tmp_path / "old.duckdb")
    con = duckdb.connect(path)
    con.execute("create schema ops")
    con.execute("create table ops.identity_tokens (table_name VARCHAR, source_file VARCHAR, file_sha256 VARCHAR, "
                "sender_code VARCHAR, period_month DATE, source_row BIGINT, person_pseudo VARCHAR, "
                "ine_pseudo VARCHAR, row_count INTEGER, " + ", ".join(
                    f'"{c}" {ledger._token_column_type(c)}' for c in ps.TOKEN_COLUMNS) + ")")
    _insert_frame(con, "ops.identity_tokens", before.assign(person_pseudo=["p1", "p2", "p3"]),
                  [*before.columns, "person_pseudo"])
    # the incremental linkage's term frequencies, counted per token value
    con.execute("create table ops.linkage_term_frequencies (column_name varchar, value varchar, n bigint)")
    con.execute("insert into ops.linkage_term_frequencies values ('surname_birth', ?, 2), ('first_name_1', ?, 1)",
                [before["surname_birth"][0], before["first_name_1"][1]])
    con.close()

    con = duckdb.connect(path)
    assert ledger.convert_stored_tokens(con) == 2            # the row with no identity part has no token
    stored = con.execute("select * from ops.identity_tokens order by person_pseudo").df()
    def plain(value):
        if isinstance(value, (list, tuple)) or hasattr(value, "tolist"):
            return list(value)
        return None if pd.isna(value) else value

    for column in ps.TOKEN_DOMAINS:
        assert [plain(v) for v in stored[column]] == [plain(v) for v in now[column]], column
    assert stored["person_pseudo"].tolist() == ["p1", "p2", "p3"]     # lineage untouched
    assert con.execute("select value, n from ops.linkage_term_frequencies order by n desc").fetchall() == [
        (now["surname_birth"][0], 2), (now["first_name_1"][1], 1)]
    # done once: the table says so, and a second writer converts nothing
    assert ledger.convert_stored_tokens(con) == 0
    assert con.execute("select count(*) from ops.identity_tokens where length(surname_birth) = 12").fetchall() == [(2,)]
    # a table created now is marked as holding the current form from the start
    fresh = duckdb.connect(":memory:")
    fresh.execute("create schema ops")
    ledger.ensure_tokens_table(fresh, list(ps.TOKEN_COLUMNS))
    assert ledger.convert_stored_tokens(fresh) == 0
    assert fresh.execute("select comment from duckdb_tables() where table_name = 'identity_tokens'").fetchall() == [
        (ledger.TOKENS_FORM,)]


# --- the fast paths give what the row-by-row code gave ------------------------------------------


def _jsonl_reference(path, contract, chunk_rows):
    """The former reader: json.loads and one dict per row (kept here as the reference)."""
    import json

    from pipelines.ingestion.readers import _cell_text, _json_frame

    sources = [c.source for c in contract.columns]
    rows, frames, start = [], [], 1
    with path.open("r", encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                if not isinstance(obj, dict):
                    raise ValueError("not an object")
                row = {k: _cell_text(obj.get(k)) for k in sources}
            except ValueError:
                row = {"__malformed__": "1"}
            rows.append(row)
            if len(rows) >= chunk_rows:
                frames.append(_json_frame(rows, sources, start))
                start += len(rows)
                rows = []
    if rows:
        frames.append(_json_frame(rows, sources, start))
    return frames


def test_jsonl_reader_equals_the_row_by_row_reference(tmp_path, contracts):
    from pipelines.ingestion.readers import read_jsonl_chunks

    contract = contracts.contracts["lorfolio_jsonl"]
    lines = [
        '{"ts":"2025-01-01T00:04:19","compte":"lf-1","action":"connexion","bassin":"29","annee_naissance":1983,"sexe":"H"}',
        '{"ts":"2025-01-02T10:00:00","compte":"lf-2","action":"cv.generation","bassin":7,"annee_naissance":1990.0,"sexe":null}',
        '{"ts":"2025-01-03T10:00:00","compte":"lf-3","action":"x","bassin":"1","annee_naissance":NaN,"sexe":"F"}',
        '{"ts":"2025-01-03T11:00:00","compte":"lf-4","action":{"a":[1,2]},"bassin":true,"annee_naissance":1e3,"sexe":"F"}',
        '{"ts":"2025-01-03T12:00:00","compte":"lf-5","action":"y","bassin":"2","annee_naissance":123456789012345678901234567890,"sexe":"F"}',
        '{"ts":"2025-01-03T13:00:00","compte":"lf-\\ud800","action":"z","bassin":"3","annee_naissance":2000,"sexe":"H"}',
        "not json at all",
        "[1, 2, 3]",
        "",
        '{"ts":"2025-01-04T00:00:00","compte":"lf-6","action":"connexion","bassin":"29","annee_naissance":1983}',
        "   ",
        '{"ts":"2025-01-05T00:00:00","compte":"lf-7","action":"connexion","bassin":"29","annee_naissance":-0,"sexe":"H"}',
        '{"ts":"2025-01-05T00:00:01","compte":"lf-8","action":"c","bassin":1e400,"annee_naissance":-9223372036854775809}',
        '{"ts":"2025-01-05T00:00:02","compte":"lf-9","action":"c","bassin":"1","annee_naissance":-0.0,"sexe":"F","sexe":"H"}',
    ]
    path = tmp_path / "lorfolio_2025-01.jsonl"
    path.write_text("\n".join(lines) + "\r\n", encoding="utf-8")
    for chunk_rows in (3, 1000):
        try:
            expected = _jsonl_reference(path, contract, chunk_rows)
        except UnicodeEncodeError:       # the lone surrogate: the chunk could not be built, then or now
            with pytest.raises(UnicodeEncodeError):
                list(read_jsonl_chunks(path, contract, chunk_rows))
            lines.remove('{"ts":"2025-01-03T13:00:00","compte":"lf-\\ud800","action":"z","bassin":"3","annee_naissance":2000,"sexe":"H"}')
            path.write_text("\n".join(lines) + "\r\n", encoding="utf-8")
            expected = _jsonl_reference(path, contract, chunk_rows)
        got = list(read_jsonl_chunks(path, contract, chunk_rows))
        assert len(got) == len(expected)
        for a, b in zip(got, expected):
            pd.testing.assert_frame_equal(a, b)


def test_quarantine_records_equal_a_groupby_per_row():
    from pipelines.ingestion.loader import MASKED, quarantine_records
    from pipelines.ingestion.reasons import primary

    issues = pd.DataFrame({"source_row": [7, 3, 7, 3, 12, 7],
                           "reason_code": ["IMPOSSIBLE_DATE", "UNKNOWN_CODE", "DUPLICATE_ROW", "UNKNOWN_CODE",
                                           "MALFORMED_ROW", "IMPOSSIBLE_DATE"],
                           "column": ["DATE", "SEXE", "", "CANAL", "", "NOM"],
                           "value": ["31/02", "Z", "", "9", "", "Dupont"]})

    class Contract:
        columns = []

        def is_personal(self, target):
            return False

    expected = []
    for row, group in issues.groupby("source_row", sort=True):
        codes = list(dict.fromkeys(group["reason_code"]))
        details = [{"colonne": col, "raison": code, "valeur": val}
                   for code, col, val in zip(group["reason_code"], group["column"], group["value"])]
        expected.append({"source_row": int(row), "reason_code": primary(codes), "reasons": codes, "details": details})
    assert quarantine_records(issues, Contract()) == expected
    assert MASKED


def test_dates_as_text_once_per_distinct_value():
    from pipelines.ingestion.pseudonymise_at_door import _as_text

    series = pd.Series(pd.to_datetime(["2001-02-03", None, "1999-12-31", "2001-02-03"]), index=[5, 6, 7, 8], name="d")
    expected = series.dt.strftime("%Y-%m-%d").astype(object).where(series.notna(), None)
    assert _as_text(series).equals(expected) and _as_text(series).dtype == object
    assert _as_text(series.iloc[:0]).tolist() == []


def test_datetime_verdict_keys_match_the_same_rows_as_timestamps():
    from pipelines.ingestion.expectations import _cache_key, _cache_keys, _isin_keys

    series = pd.Series(pd.to_datetime(["2025-01-01 10:00:00", None, "2025-01-31 23:59:59", "1900-01-01 00:00:00"]),
                       index=[1, 2, 3, 4])
    keys = _cache_keys(series)
    assert keys[1] is None and len(set(keys)) == 4
    assert [k is None for k in keys] == [_cache_key(v) is None for v in series]
    for chosen in ([0], [2, 3], [0, 3]):
        as_int = _isin_keys(series, [keys[i] for i in chosen])
        as_timestamps = series.isin([series.iloc[i] for i in chosen])
        assert as_int.equals(as_timestamps)
        assert _isin_keys(series, [series.iloc[i] for i in chosen]).equals(as_timestamps)
    text = pd.Series(["a", None, "b"])
    assert _cache_keys(text) == [_cache_key(v) for v in text]


def test_member_codes_map_exactly_then_case_folded_and_unknown_codes_are_kept_marked():
    from pipelines.ingestion.casting import UNMAPPED_PREFIX, cast_column
    from pipelines.ingestion.contracts import ColumnSpec

    spec = ColumnSpec("canal", "channel_code", "code", codes={"Tel": "TEL", " Mail ": "MAIL"})
    text = pd.Series(["Tel", "TEL ", "mail", "fax", "", "  ", "Tel"], index=range(1, 8), dtype="string")
    typed, failed, reason = cast_column(text, spec)
    assert typed.tolist() == ["TEL", "TEL", "MAIL", f"{UNMAPPED_PREFIX}fax", pd.NA, pd.NA, "TEL"]
    assert str(typed.dtype) == "string" and list(typed.index) == list(range(1, 8))
    assert failed is None and reason is None      # unknown codes are judged by the code-list suite


def test_jsonl_read_by_pyarrow_gives_the_rows_and_texts_of_the_line_by_line_reader(tmp_path, monkeypatch):
    """The Lorfolio log is read by pyarrow when it is plain; the line-by-line reader stays the
    reference (and reads whatever pyarrow's path declines: floats, malformed lines, mixed types)."""
    from pipelines.ingestion import readers

    contract = load_contracts(load_settings()).contracts["lorfolio_jsonl"]
    line = '{{"ts":"2025-01-0{d}T10:00:00","compte":"lf-{d}","action":"connexion","bassin":"29",' \
           '"annee_naissance":{year},"sexe":"H"}}\n'
    plain = "".join(line.format(d=d, year=1980 + d) for d in range(1, 8)) + "\n  \n" + \
        '{"ts":"2025-01-09T10:00:00","compte":"lf-9","action":"connexion","annee_naissance":null}\n'
    declined = {"a float": plain + line.format(d=8, year="1988.5"),
                "a malformed line": plain + "{oops\n",
                "a text and a number in one column": plain + line.format(d=8, year='"1988"')}
    reference = readers._arrow_jsonl

    def both(path):
        fast = list(readers.read_jsonl_chunks(path, contract, 4))
        monkeypatch.setattr(readers, "_arrow_jsonl", lambda p, c: None)
        slow = list(readers.read_jsonl_chunks(path, contract, 4))
        monkeypatch.setattr(readers, "_arrow_jsonl", reference)
        return pd.concat(fast), pd.concat(slow)

    path = tmp_path / "lorfolio_2025-01.jsonl"
    path.write_text(plain, encoding="utf-8")
    assert readers._arrow_jsonl(path, contract) is not None
    fast, slow = both(path)
    pd.testing.assert_frame_equal(fast, slow)
    assert list(fast.index) == list(range(1, 9))                    # blank lines are not rows
    assert fast.loc[8, "annee_naissance"] == "" and fast.loc[8, "bassin"] == ""
    assert fast.loc[1, "annee_naissance"] == "1981" and fast.loc[1, "ts"] == "2025-01-01T10:00:00"
    for why, text in declined.items():
        path.write_text(text, encoding="utf-8")
        assert readers._arrow_jsonl(path, contract) is None, why
        fast, slow = both(path)
        pd.testing.assert_frame_equal(fast, slow)


def test_a_months_ledger_state_is_read_in_one_query_with_the_meaning_of_the_ledger():
    """month_state and previous_receipts answer from one month_receipts query (other senders' rows
    are not in it): next version (the highest non-duplicate version + 1), 'loaded' rows, 'loaded' or
    'replaced' rows, and the receipts of one content, as the ledger's rows say."""
    import duckdb

    from pipelines.ingestion import ledger

    con = duckdb.connect()
    ledger.ensure_schema(con, {})
    rows = [("a.csv", "replaced", 1, "s1"), ("b.csv", "loaded", 2, "s2"), ("c.csv", "duplicate", 5, "s2"),
            ("d.csv", "rejected", 3, "s3"), ("e.csv", "failed", None, "s4")]
    for number, (name, status, version, sha) in enumerate(rows):
        con.execute("insert into ops.load_ledger (ledger_id, file_name, feed, sender_code, period_month, "
                    "file_version, sha256, status) values (?, ?, 'activity', 'ML01', date '2025-01-01', ?, ?, ?)",
                    [str(number), name, version, sha, status])
    con.execute("insert into ops.load_ledger (ledger_id, file_name, feed, sender_code, period_month, file_version, "
                "sha256, status) values ('x', 'other.csv', 'activity', 'ML02', date '2025-01-01', 9, 's2', 'loaded')")
    month = pd.Timestamp("2025-01-01").date()
    receipts = ledger.month_receipts(con, "activity", "ML01", month)
    assert len(receipts) == 5
    assert ledger.month_state(receipts) == (4, 1, 2)
    assert ledger.previous_receipts(receipts, "s2") == [("b.csv", "loaded", 2), ("c.csv", "duplicate", 5)]
    assert ledger.previous_receipts(receipts, "s9") == []
    assert ledger.month_state(ledger.month_receipts(con, "activity", "ML03", month)) == (1, 0, 0)


def test_timestamps_judged_by_their_day_quarantine_exactly_the_rows_ge_rejects_one_by_one(contracts, monkeypatch):
    """An event log's timestamps are judged by a representative of their day (expectations._judged:
    midnight as itself, any other time as noon): at the month's edges, to the second, and for a strict
    or an inclusive maximum, the rows quarantined must be those great-expectations rejects when it
    sees every timestamp itself (mode="rows")."""
    from pipelines.config import load_settings
    from pipelines.ingestion import expectations
    from pipelines.ingestion.casting import cast_chunk
    from pipelines.reference import load_reference

    contract = contracts.contracts["lorfolio_jsonl"]
    reference = load_reference(load_settings())
    month = pd.Timestamp("2025-01-01")
    stamps = ["2024-12-31T23:59:59", "2025-01-01T00:00:00", "2025-01-01T00:00:01", "2025-01-15T12:30:00",
              "2025-01-31T23:59:59", "2025-02-01T00:00:00", "2025-02-01T00:00:01", "2024-12-31T00:00:00",
              "2025-01-31T23:59:59", "", "2025-01-15T08:00:00", "2025-01-15T18:45:10"]
    raw = pd.DataFrame({"ts": stamps, "compte": [f"lf-{i}" for i in range(len(stamps))],
                        "action": "connexion", "bassin": "29", "annee_naissance": "1990", "sexe": "F"},
                       index=pd.RangeIndex(2, 2 + len(stamps)))
    typed = cast_chunk(raw, contract, month).typed
    rule = next(r for r in expectations.rules_for(contract, reference, set(typed.columns))
                if r.column == "event_time" and r.type == "expect_column_values_to_be_between")
    assert dict(rule.kwargs)["strict_max"] is True
    assert expectations._judged_by_day(rule, typed["event_time"])
    # 10 distinct timestamps, 8 values judged: the three times of 15 January are one noon
    assert typed["event_time"].nunique() == 10 and expectations._column_values(typed, rule).nunique() == 8

    all_rules = expectations.rules_for(contract, reference, set(typed.columns))

    def outside(mode, judged_rule):
        expectations._VERDICTS.clear()
        rules = [judged_rule if r == rule else r for r in all_rules]
        monkeypatch.setattr(expectations, "rules_for", lambda *args: rules)
        issues = expectations.validate_chunk(typed, raw, contract, reference, month, mode)
        return sorted(issues.loc[issues["reason_code"] == "DATE_OUTSIDE_MONTH", "source_row"].tolist())

    # rows 2, 7, 8, 9: the last second of December, the first two seconds of February, a December midnight
    assert outside("rows", rule) == outside("distinct", rule) == [2, 7, 8, 9]
    # an inclusive maximum lets the February midnight (row 7) pass, and only it
    loose = expectations.Rule(rule.family, rule.type, rule.column,
                              tuple((k, False if k == "strict_max" else v) for k, v in rule.kwargs), rule.reason,
                              rule.blocking)
    assert expectations._judged_by_day(loose, typed["event_time"])
    assert outside("rows", loose) == outside("distinct", loose) == [2, 8, 9]
    # a bound that is not at midnight is compared with every value
    noon_bound = expectations.Rule(rule.family, rule.type, rule.column,
                                   tuple((k, "2025-01-15T12:00:00" if k == "min_value" else v) for k, v in rule.kwargs),
                                   rule.reason, rule.blocking)
    assert not expectations._judged_by_day(noon_bound, typed["event_time"])


def test_verdicts_published_by_one_worker_spare_the_other_a_great_expectations_call(contracts, monkeypatch, tmp_path):
    """A worker publishes the verdicts it judged (parallel.publish_verdicts); another reads them before
    its next window and quarantines the same rows without calling great-expectations for those values.
    Its own files are not read back, and a file is read once."""
    from pipelines.config import load_settings
    from pipelines.ingestion import expectations, parallel
    from pipelines.ingestion.casting import cast_chunk
    from pipelines.reference import load_reference

    contract = contracts.contracts["lorfolio_jsonl"]
    reference = load_reference(load_settings())
    month = pd.Timestamp("2025-01-01")
    raw = pd.DataFrame({"ts": ["2025-01-03T10:00:00", "2025-02-03T10:00:00", "2025-01-09T08:00:00"],
                        "compte": ["lf-1", "lf-2", "lf-3"], "action": ["connexion", "??", "connexion"],
                        "bassin": "29", "annee_naissance": ["1990", "1850", "1990"], "sexe": "F"},
                       index=pd.RangeIndex(1, 4))
    typed = cast_chunk(raw, contract, month).typed
    calls = []
    judge = expectations._judge_with_ge
    monkeypatch.setattr(expectations, "_judge_with_ge", lambda *a: calls.append(1) or judge(*a))
    monkeypatch.setattr(parallel, "_VERDICT_FILES_READ", set())
    monkeypatch.setattr(expectations, "_FRESH", None)          # restored after the test

    def quarantined():
        issues = expectations.validate_chunk(typed, raw, contract, reference, month)
        return sorted(map(tuple, issues[["source_row", "reason_code"]].to_numpy().tolist()))

    expectations._VERDICTS.clear()
    assert expectations.export_verdicts() == {}    # the writer collects nothing
    expectations.collect_verdicts()                # a worker: collects what it judges
    first = quarantined()
    assert len(calls) == 1 and {row for row, _ in first} == {2}
    published = expectations.export_verdicts()
    assert published and expectations.export_verdicts() == {}      # exported once

    parallel.publish_verdicts(str(tmp_path), published)
    assert parallel.read_published_verdicts(str(tmp_path)) == 1     # this worker's own file: skipped
    expectations._VERDICTS.clear()                 # another worker, with a cold cache
    own = next((tmp_path / "verdicts").glob("*.pickle"))
    own.rename(own.with_name("1-1.pickle"))
    assert parallel.read_published_verdicts(str(tmp_path)) == 1
    assert parallel.read_published_verdicts(str(tmp_path)) == 0
    assert quarantined() == first and len(calls) == 1               # no new GE call
    expectations._VERDICTS.clear()


@pytest.mark.parametrize("spec_kwargs,texts", [
    ({"type": "date", "date_format": "%d/%m/%Y"}, ["03/01/2025", "31/02/2025", "", " 04/01/2025 ", "x", None]),
    ({"type": "integer"}, ["1", "1.5", " 2 ", "1\u00a0000", "", "abc", "12345678901234"]),
    ({"type": "decimal"}, ["1,5", "2", "", "3.25", "n/a"]),
    ({"type": "decimal"}, ["1", "2", ""]),                                 # all whole: int64, not float64
    ({"type": "boolean", "boolean_values": {"oui": True, "non": False}}, ["oui", "NON", " Oui ", "", "peut-être"]),
    ({"type": "string", "target": "residence_commune_insee"}, ["8105", "67482", " 1004 ", "", "2A004"]),
    ({"type": "date", "date_format": "%d/%m/%Y"}, ["", " "]),             # nothing parses: the empty dtype
])
def test_a_column_cast_once_per_distinct_text_equals_the_cast_of_every_row(spec_kwargs, texts, monkeypatch):
    """Columns with few distinct texts are cast per distinct text then spread back to their rows
    (casting.cast_column): values, dtypes, failures and reasons must be those of casting every row."""
    import numpy as np

    from pipelines.ingestion import casting
    from pipelines.ingestion.contracts import ColumnSpec

    spec = ColumnSpec(**{"source": "x", "target": "x", **spec_kwargs})
    rows = 3 * casting.DISTINCT_CAST_MIN_ROWS
    text = pd.Series(np.resize(np.array(texts, dtype=object), rows), index=pd.RangeIndex(5, 5 + rows), dtype="str")
    every_row = casting._cast_values
    cast_sizes = []
    monkeypatch.setattr(casting, "_cast_values", lambda t, s: cast_sizes.append(len(t)) or every_row(t, s))
    values, failed, reason = casting.cast_column(text, spec)
    assert cast_sizes == [len(set(texts))]        # the distinct texts only (None once), not the rows
    expected_values, expected_failed, expected_reason = every_row(text, spec)
    pd.testing.assert_series_equal(values, expected_values, check_names=False)
    assert reason == expected_reason
    if expected_failed is None:
        assert failed is None
    else:
        pd.testing.assert_series_equal(failed, expected_failed, check_names=False)
