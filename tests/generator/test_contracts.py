"""Each shape parses with its own contract, and the contracts are what the other parts expect."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from sources.generator.reference import contracts_dir, load_contract, read_seed

from tests.generator.conftest import read_data_rows

ACTIVITY_SHAPES = ["cio_per_act_csv", "ml_per_act_csv", "pe_per_act_csv", "cep_per_beneficiary_csv",
                   "aggregate_xlsx", "aggregate_csv"]
OTHER_SHAPES = ["rio_csv", "psad_followup_csv", "lorfolio_jsonl", "agenda_events_csv", "agenda_registrations_csv",
                "agenda_satisfaction_csv"]
SEED_OF_TARGET = {"service_level_code": ("ref_service_levels", "service_level_code"),
                  "channel_code": ("ref_channels", "channel_code"),
                  "public_status_code": ("ref_public_statuses", "status_code"),
                  "sex_code": ("ref_sexes", "sex_code"), "age_band_code": ("ref_age_bands", "age_band_code"),
                  "outcome_code": ("ref_psad_outcomes", "outcome_code"),
                  "followup_3m_outcome_code": ("ref_psad_outcomes", "outcome_code"),
                  "followup_6m_outcome_code": ("ref_psad_outcomes", "outcome_code"),
                  "event_type_code": ("ref_event_types", "event_type_code"),
                  "cot_sector_code": ("ref_cot_sectors", "cot_sector_code")}
ROW_KINDS_BREAKING_PARSE = {"unknown_code", "impossible_date"}


def parse_value(text: str, column: dict):
    """Parse one value as the contract says; raises ValueError when it does not fit."""
    if text == "":
        if not column.get("nullable", True):
            raise ValueError("empty")
        return None
    kind = column["type"]
    if kind in ("date", "datetime"):
        return dt.datetime.strptime(text, column["date_format"])
    if kind == "code":
        if text not in column["codes"]:
            raise ValueError(f"unknown code {text}")
        return column["codes"][text]
    if kind == "boolean":
        if text not in column["boolean_values"]:
            raise ValueError(text)
        return column["boolean_values"][text]
    if kind == "integer":
        return int(text)
    return text


def test_every_contract_exists_and_activity_names_match_ref_networks():
    names = {p.stem for p in contracts_dir().glob("*.yaml")}
    assert set(ACTIVITY_SHAPES + OTHER_SHAPES) <= names
    assert set(read_seed("ref_networks")["export_format"]) <= set(ACTIVITY_SHAPES)
    for name in names:
        assert load_contract(name)["contract"] == name


@pytest.mark.parametrize("name", ACTIVITY_SHAPES + OTHER_SHAPES)
def test_contract_codes_map_to_the_seeds(name):
    for column in load_contract(name)["columns"]:
        if column["type"] == "code" and column["target"] in SEED_OF_TARGET:
            seed, key = SEED_OF_TARGET[column["target"]]
            assert set(column["codes"].values()) <= set(read_seed(seed)[key]), column["source"]
        for mapping in ("codes", "boolean_values"):
            assert all(isinstance(k, str) for k in (column.get(mapping) or {})), (name, column["source"])


def test_shapes_really_differ():
    specs = [load_contract(n)["file"] for n in ACTIVITY_SHAPES]
    assert len({s.get("encoding") for s in specs if s["type"] == "csv"}) >= 3
    assert len({s.get("delimiter") for s in specs if s["type"] == "csv"}) >= 3
    assert load_contract("aggregate_xlsx")["file"]["header_row"] > 1
    sex_codes = {tuple(sorted(c["codes"])) for n in ACTIVITY_SHAPES for c in load_contract(n)["columns"]
                 if c["target"] == "sex_code"}
    assert len(sex_codes) >= 4
    cio_targets = {c["target"] for c in load_contract("cio_per_act_csv")["columns"]}
    assert "ine" in cio_targets
    for name in ACTIVITY_SHAPES[:4]:
        personal = {c["target"] for c in load_contract(name)["columns"] if c.get("personal")}
        assert {"last_name", "first_names", "birth_date", "member_person_id"} <= personal


@pytest.mark.parametrize("name", ACTIVITY_SHAPES + OTHER_SHAPES)
def test_each_shape_parses_with_its_own_contract(tiny_run, name):
    """Every row of every file parses, except exactly the rows the truth says are broken."""
    files, defects = tiny_run["files"], tiny_run["defects"]
    contract = load_contract(name)
    mine = files[files["contract"] == name]
    assert len(mine) > 0
    broken_files = set(defects.loc[defects["kind"].isin(
        ["missing_column", "renamed_column", "wrong_encoding", "empty_file"]), "file"])
    checked = 0
    for path in mine["path"]:
        if path in broken_files:
            continue
        header, rows = read_data_rows(tiny_run["inbox"] / path, contract)
        assert header == [c["source"] for c in contract["columns"]], path
        expected_bad = set(defects.loc[(defects["file"] == path) & defects["kind"].isin(ROW_KINDS_BREAKING_PARSE),
                                       "row_number"].astype(int))
        bad = set()
        for number, row in enumerate(rows, start=1):
            assert len(row) == len(header), (path, number)
            try:
                for text, column in zip(row, contract["columns"]):
                    parse_value(text, column)
            except ValueError:
                bad.add(number)
        assert bad == expected_bad, path
        checked += 1
    assert checked > 0


def test_file_level_defects_break_the_file_as_recorded(tiny_run):
    defects, files = tiny_run["defects"], tiny_run["files"]
    for _, defect in defects[defects["kind"].isin(["missing_column", "renamed_column", "wrong_encoding",
                                                   "empty_file"])].iterrows():
        path = tiny_run["inbox"] / defect["file"]
        contract = load_contract(files.set_index("path").at[defect["file"], "contract"])
        if defect["kind"] == "empty_file":
            assert path.stat().st_size == 0
            continue
        if defect["kind"] == "wrong_encoding":
            data = path.read_bytes()
            if contract["file"]["encoding"] == "cp1252":      # written as UTF-8: reads as mojibake
                assert data.decode("utf-8") != data.decode("cp1252")
            else:                                             # written as cp1252: not valid UTF-8
                with pytest.raises(UnicodeDecodeError):
                    data.decode("utf-8")
            continue
        header, _ = read_data_rows(path, contract)
        assert header != [c["source"] for c in contract["columns"]]


@pytest.fixture(scope="module")
def defect_heavy_month(tmp_path_factory):
    """One small month at twenty times the defect rates: many file-level defects and re-sends."""
    from sources.generator.config import GeneratorConfig
    from sources.generator.generate import generate

    root = tmp_path_factory.mktemp("defect-heavy")
    inbox, truth = root / "inbox", root / "truth"
    generate(GeneratorConfig(scale="small", seed=11, start="2025-01", months=1, defect_rate=20), inbox, truth)
    return (inbox, pd.read_csv(truth / "files.csv", dtype=str, keep_default_na=False),
            pd.read_csv(truth / "defects.csv", dtype=str, keep_default_na=False))


def test_wrong_encoding_is_recorded_only_where_the_bytes_differ(defect_heavy_month):
    """A file of pure ASCII is the same bytes in UTF-8 and CP1252: no reader can see a wrong
    encoding there, so the truth must not list one (a region run listed one on a codes-only
    aggregate export, and the ingestion check counted it as a missed defect). High defect rates
    on one small month give many wrongly encoded files, ASCII-only ones among them."""
    inbox, files, defects = defect_heavy_month
    recorded = set(defects.loc[defects["kind"] == "wrong_encoding", "file"])
    assert len(recorded) >= 5
    for name in recorded:
        data = (inbox / name).read_bytes()
        assert not data.isascii(), name
    contracts = files.set_index("path")["contract"]
    ascii_cp1252 = [name for name in contracts.index if name.endswith(".csv") and (inbox / name).exists()
                    and load_contract(contracts[name])["file"]["encoding"] == "cp1252"
                    and (inbox / name).read_bytes().isascii() and (inbox / name).stat().st_size > 0]
    assert ascii_cp1252, "no ASCII-only CP1252 file: the case this test is about did not occur"



def test_a_corrected_file_differs_from_the_one_it_replaces(defect_heavy_month):
    """A re-send that kept every defect was the same bytes: ingestion loads it as a duplicate of
    the first, so the defects the truth listed for it again could never be caught under its name."""
    inbox, files, defects = defect_heavy_month
    resent = files[files["supersedes"] != ""]
    assert len(resent) >= 5
    sha = files.set_index("path")["sha256"]
    with_defects = set(defects["file"])
    for row in resent.itertuples(index=False):
        if row.supersedes in with_defects:
            assert row.sha256 != sha[row.supersedes], row.path
