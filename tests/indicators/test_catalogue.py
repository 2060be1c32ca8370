"""The catalogue is valid, covers the brief, and the dbt models agree with it."""

from __future__ import annotations

import copy

import yaml

from pipelines.indicators.catalogue import CATALOGUE_PATH, load_catalogue, validate_entries
from pipelines.indicators.validate import catalogue_problems


def test_catalogue_loads_with_at_least_25_indicators():
    indicators = load_catalogue()
    assert len(indicators) >= 25
    assert {i.family for i in indicators} == {"suivi", "qualite", "performance"}


def test_charter_values_are_in_the_catalogue():
    codes = {i.code for i in load_catalogue()}
    assert {"VAL_WOMEN_SHARE", "VAL_DISABILITY_SHARE", "VAL_TERRITORIAL_COVERAGE", "VAL_DATA_COMPLETENESS",
            "VAL_DATA_TIMELINESS"} <= codes


def test_models_and_generated_docs_agree_with_the_catalogue():
    assert catalogue_problems() == []


def test_a_broken_entry_is_reported():
    raw = yaml.safe_load(CATALOGUE_PATH.read_text(encoding="utf-8"))
    broken = copy.deepcopy(raw)
    broken["indicators"][0]["family"] = "autre"
    broken["indicators"][1]["dimensions"] = ["couleur"]
    del broken["indicators"][2]["label_fr"]
    problems = validate_entries(broken)
    assert any("family" in p for p in problems)
    assert any("couleur" in p for p in problems)
    assert any("label_fr" in p for p in problems)


def test_a_model_computing_an_unknown_code_is_reported(tmp_path, monkeypatch):
    from pipelines.indicators import validate

    text = validate.FAMILY_MACROS.read_text(encoding="utf-8").replace("'ACT_ACTS', 'suivi'", "'ACT_ACTES', 'suivi'")
    fake = tmp_path / "families.sql"
    fake.write_text(text, encoding="utf-8")
    monkeypatch.setattr(validate, "FAMILY_MACROS", fake)
    problems = validate.catalogue_problems()
    assert any("ACT_ACTS" in p for p in problems) and any("ACT_ACTES" in p for p in problems)
