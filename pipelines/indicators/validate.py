"""Does every dbt indicator model agree with the catalogue? Lists every disagreement."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from pipelines.indicators.catalogue import FAMILIES, load_catalogue
from pipelines.indicators.render import DBT_DIR, stale_files

FAMILY_MACROS = DBT_DIR / "macros" / "spro_indicator_families.sql"
MODELS_YML = DBT_DIR / "models" / "indicators" / "_indicators__models.yml"
CALL = re.compile(r"spro_indicator_rows\(\s*'(?P<code>[A-Z0-9_]+)'\s*,\s*'(?P<family>[a-z]+)'")
MACRO = re.compile(r"{%-?\s*macro\s+spro_family_(?P<family>[a-z]+)\(")


def codes_in_family_macros(path: Path | None = None) -> dict[str, set[str]]:
    """family -> codes computed by its family macro (the SQL behind ind_<family> and its totals)."""
    text = (path or FAMILY_MACROS).read_text(encoding="utf-8")
    found: dict[str, set[str]] = {family: set() for family in FAMILIES}
    positions = [(m.start(), m.group("family")) for m in MACRO.finditer(text)]
    for index, (start, family) in enumerate(positions):
        end = positions[index + 1][0] if index + 1 < len(positions) else len(text)
        for call in CALL.finditer(text[start:end]):
            if call.group("family") != family:
                found.setdefault(f"{family}!{call.group('family')}", set()).add(call.group("code"))
            found.setdefault(family, set()).add(call.group("code"))
    return found


def documented_codes(path: Path | None = None) -> dict[str, set[str]]:
    """model -> codes listed in its meta.indicator_codes."""
    doc = yaml.safe_load((path or MODELS_YML).read_text(encoding="utf-8"))
    return {model["name"]: set((model.get("meta") or {}).get("indicator_codes") or [])
            for model in doc.get("models", [])}


def catalogue_problems() -> list[str]:
    problems: list[str] = []
    indicators = load_catalogue()
    for path in stale_files():
        problems.append(f"{path} is stale: run `python -m pipelines.indicators generate`")
    expected = {family: {i.code for i in indicators if i.family == family} for family in FAMILIES}
    computed = codes_in_family_macros()
    for key, codes in computed.items():
        if "!" in key:
            problems.append(f"spro_family_{key.split('!')[0]} computes {sorted(codes)} with another family")
    documented = documented_codes()
    for family in FAMILIES:
        missing = expected[family] - computed.get(family, set())
        extra = computed.get(family, set()) - expected[family]
        if missing:
            problems.append(f"ind_{family}: catalogue indicators not computed: {sorted(missing)}")
        if extra:
            problems.append(f"ind_{family}: computes indicators absent from the catalogue (or of another family): {sorted(extra)}")
        for model in (f"ind_{family}", f"ind_{family}_totals"):
            if documented.get(model) != expected[family]:
                problems.append(f"{model}: meta.indicator_codes {sorted(documented.get(model, set()))} "
                                f"!= catalogue {sorted(expected[family])}")
    return problems
