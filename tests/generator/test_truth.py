"""The ground truth matches what the files contain: rows, defects, people per member, overlaps."""

from __future__ import annotations

import json

import pandas as pd

from sources.generator.config import ALL_DEFECT_KINDS
from sources.generator.identity import strip_accents
from sources.generator.reference import load_contract

from tests.generator.conftest import read_data_rows


def test_truth_is_written_apart_from_the_inbox(tiny_run):
    inbox_names = {p.name for p in tiny_run["inbox"].rglob("*")}
    for name in ("persons.parquet", "record_persons.parquet", "defects.csv", "files.csv", "indicators.json",
                 "generation.json"):
        assert (tiny_run["truth"] / name).exists()
        assert name not in inbox_names


def test_every_defect_kind_occurs_at_tiny_scale(tiny_run):
    kinds = set(tiny_run["defects"]["kind"])
    assert kinds == set(ALL_DEFECT_KINDS)


def test_row_defects_have_row_numbers_and_file_defects_do_not(tiny_run):
    defects = tiny_run["defects"]
    file_level = {"missing_column", "renamed_column", "wrong_encoding", "empty_file", "unknown_member",
                  "resent_corrected_file"}
    assert (defects.loc[defects["kind"].isin(file_level), "row_number"] == "").all()
    row_level = defects[~defects["kind"].isin(file_level)]
    assert (row_level["row_number"] != "").all()
    assert not row_level.duplicated(["file", "row_number"]).any(), "one defect per row at most"


def test_row_counts_and_record_persons_match_the_files(tiny_run):
    files, records = tiny_run["files"], tiny_run["records"]
    per_file = records.groupby("file").size()
    broken = set(tiny_run["defects"].loc[tiny_run["defects"]["kind"].isin(
        ["missing_column", "renamed_column", "wrong_encoding", "empty_file"]), "file"])
    for _, row in files.iterrows():
        if row["path"] in broken:
            continue
        _, rows = read_data_rows(tiny_run["inbox"] / row["path"], load_contract(row["contract"]))
        assert len(rows) == int(row["rows"]), row["path"]
        if row["path"] in per_file.index:
            assert per_file[row["path"]] == len(rows), row["path"]


def test_duplicates_are_really_duplicated_rows(tiny_run):
    defects, files = tiny_run["defects"], tiny_run["files"].set_index("path")
    for _, defect in defects[defects["kind"] == "duplicate_row"].iterrows():
        contract = load_contract(files.at[defect["file"], "contract"])
        try:
            _, rows = read_data_rows(tiny_run["inbox"] / defect["file"], contract)
        except UnicodeDecodeError:
            continue
        number = int(defect["row_number"])
        assert rows[number - 1] == rows[number - 2], defect["file"]


def test_resent_file_supersedes_v1(tiny_run):
    files = tiny_run["files"]
    v2 = files[files["version"] == "2"]
    assert len(v2) >= 1
    for _, row in v2.iterrows():
        assert row["supersedes"] in set(files["path"])
        assert row["path"].endswith("_v2" + row["path"][-4:] if row["path"].endswith(".csv") else "_v2.xlsx") \
            or "_v2." in row["path"]
        v1 = files.set_index("path").loc[row["supersedes"]]
        assert (v1["sender_code"], v1["month"]) == (row["sender_code"], row["month"])
        d = tiny_run["defects"]
        assert (d["file"] == row["path"]).sum() <= (d["file"] == row["supersedes"]).sum() + 1


def test_people_and_acts_per_member_match_record_persons(tiny_run):
    indicators = json.loads((tiny_run["truth"] / "indicators.json").read_text())
    files, records, defects = tiny_run["files"], tiny_run["records"], tiny_run["defects"]
    v1_act_files = files[(files["feed"] == "activity") & (files["version"] == "1")
                         & ~files["contract"].str.startswith("aggregate")]
    truth = {(r["member_code"], r["month"]): r for r in indicators["activity_by_member_month"]}
    checked = 0
    for _, f in v1_act_files.iterrows():
        key = (f["sender_code"], f["month"])
        if key not in truth:      # unknown member
            continue
        rows = records[records["file"] == f["path"]]
        if len(rows) == 0:
            continue
        duplicates = ((defects["file"] == f["path"]) & (defects["kind"] == "duplicate_row")).sum()
        assert rows["person_id"].nunique() == truth[key]["people"], key
        assert len(rows) - duplicates == truth[key]["acts"], key
        checked += 1
    assert checked >= 10


def test_aggregate_files_sum_to_the_true_acts(tiny_run):
    indicators = json.loads((tiny_run["truth"] / "indicators.json").read_text())
    truth = {(r["member_code"], r["month"]): r for r in indicators["activity_by_member_month"]}
    files, defects = tiny_run["files"], tiny_run["defects"]
    clean = files[(files["contract"] == "aggregate_csv") & ~files["path"].isin(defects["file"])]
    assert len(clean) > 0
    for _, f in clean.iterrows():
        _, rows = read_data_rows(tiny_run["inbox"] / f["path"], load_contract("aggregate_csv"))
        assert sum(int(r[-1]) for r in rows) == truth[(f["sender_code"], f["month"])]["acts"]


def test_overlaps_people_cross_members_and_feeds(tiny_run):
    records, files = tiny_run["records"], tiny_run["files"].set_index("path")
    records = records.assign(feed=files.loc[records["file"], "feed"].to_numpy(),
                             sender=files.loc[records["file"], "sender_code"].to_numpy())
    activity = records[records["feed"] == "activity"]
    members_per_person = activity.groupby("person_id")["sender"].nunique()
    assert (members_per_person > 1).sum() > 0.02 * len(members_per_person)
    rio_people = set(records.loc[records["feed"] == "rio", "person_id"])
    ml_people = set(activity.loc[activity["sender"].str.startswith("ML"), "person_id"])
    assert rio_people & ml_people, "some RIO young people show up at a Mission locale"
    registrants = set(records.loc[records["feed"] == "registrations", "person_id"])
    assert registrants & set(activity["person_id"])
    indicators = json.loads((tiny_run["truth"] / "indicators.json").read_text())
    redirections = indicators["redirections_by_month"]
    redirected = sum(r["redirected_people"] for r in redirections)
    seen = sum(r["people_seen_within_90_days"] for r in redirections)
    assert redirected > 0 and 0.2 < seen / redirected < 1.0


def test_spelling_varies_at_realistic_rates(tiny_run):
    """Names in per-act files mostly equal the true name (after case), but not always."""
    records, persons = tiny_run["records"], tiny_run["persons"].set_index("person_id")
    files = tiny_run["files"].set_index("path")
    broken = set(tiny_run["defects"].loc[tiny_run["defects"]["row_number"] == "", "file"])
    rows, ids = [], []
    for path in files.index:
        if files.at[path, "contract"] == "ml_per_act_csv" and path not in broken:
            rows += read_data_rows(tiny_run["inbox"] / path, load_contract("ml_per_act_csv"))[1]
            ids += records.loc[records["file"] == path, "person_id"].tolist()
    assert len(rows) == len(ids) > 100
    true_first = persons.loc[ids, "first_names"].str.split(" ").str[0].to_numpy()
    same = sum(r[4] == t for r, t in zip(rows, true_first)) / len(rows)
    same_folded = sum(strip_accents(r[4]).replace(" ", "-") == strip_accents(t).replace(" ", "-")
                      for r, t in zip(rows, true_first)) / len(rows)
    assert 0.6 < same < 1.0 or same_folded > same
    assert same_folded > 0.85
