"""Load and validate the indicator catalogue (dbt_project/indicators/catalogue.yml)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipelines.config import REPO_ROOT

CATALOGUE_PATH = REPO_ROOT / "dbt_project" / "indicators" / "catalogue.yml"

FAMILIES = ("suivi", "qualite", "performance")
VALUE_TYPES = ("count", "rate", "median", "mean", "ratio")
UNITS = ("personnes", "actes", "jeunes", "comptes", "evenements", "inscriptions", "participants",
         "partenaires", "part", "jours", "note", "pour_1000")
FEEDS = ("activity", "rio", "psad_followup", "lorfolio", "events", "registrations", "satisfaction", "ledger")
PERIODS = ("month", "year", "campaign")
FINEST_GEO_LEVELS = ("member", "bassin", "psad_platform")
TOTAL_GEO_LEVELS = ("agency", "departement", "region")
AGGREGATE_MEMBERS = ("included", "excluded", "only")
# Breakdown name -> column of the indicator models' input relations.
DIMENSIONS = {
    "network": "network_code",
    "member": "member_code",
    "service_level": "service_level_code",
    "channel": "channel_code",
    "sex": "sex_code",
    "age_band": "age_band_code",
    "public_status": "public_status_code",
    "rqth": "rqth",
    "target_network": "target_network_code",
    "exit_reason": "exit_reason_code",
    "outcome": "outcome_code",
    "event_type": "event_type_code",
    "cot_sector": "cot_sector_code",
}
REQUIRED = ("code", "label_fr", "definition_fr", "formula", "unit", "value_type", "family", "feeds",
            "dimensions", "periods", "geo_levels", "disclosure_threshold", "people_counts",
            "aggregate_members", "aggregate_reason_fr")
CODE_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]+$")


@dataclass(frozen=True)
class Indicator:
    code: str
    label_fr: str
    definition_fr: str
    formula: str
    unit: str
    value_type: str
    family: str
    feeds: tuple[str, ...]
    dimensions: tuple[str, ...]
    periods: tuple[str, ...]
    geo_levels: tuple[str, ...]
    disclosure_threshold: int
    people_counts: tuple[str, ...]
    aggregate_members: str
    aggregate_reason_fr: str
    extra: dict = field(default_factory=dict)

    @property
    def model(self) -> str:
        """The dbt model holding the indicator at its finest grain."""
        return f"ind_{self.family}"

    @property
    def totals_model(self) -> str:
        return f"ind_{self.family}_totals"

    def as_dict(self) -> dict:
        return {
            "code": self.code, "label_fr": self.label_fr, "definition_fr": self.definition_fr,
            "formula": self.formula, "unit": self.unit, "value_type": self.value_type,
            "family": self.family, "feeds": list(self.feeds), "dimensions": list(self.dimensions),
            "periods": list(self.periods), "geo_levels": list(self.geo_levels),
            "disclosure_threshold": self.disclosure_threshold, "people_counts": list(self.people_counts),
            "aggregate_members": self.aggregate_members, "aggregate_reason_fr": self.aggregate_reason_fr,
        }


class CatalogueError(ValueError):
    """The catalogue is malformed (message in English for developers, listing every problem)."""


def validate_entries(raw: dict) -> list[str]:
    """Every problem of the catalogue, as readable messages (empty = valid)."""
    problems: list[str] = []
    entries = raw.get("indicators") or []
    if not entries:
        return ["the catalogue lists no indicator"]
    defaults = raw.get("defaults") or {}
    seen: set[str] = set()
    for position, entry in enumerate(entries, start=1):
        entry = {**defaults, **entry}
        code = entry.get("code", f"#{position}")
        for key in REQUIRED:
            if key not in entry or entry[key] is None or (isinstance(entry[key], str) and not entry[key].strip()):
                problems.append(f"{code}: missing {key}")
        if not CODE_PATTERN.match(str(code)):
            problems.append(f"{code}: code must be upper case letters, digits and underscores")
        if code in seen:
            problems.append(f"{code}: duplicate code")
        seen.add(code)
        checks = (
            ("family", FAMILIES), ("value_type", VALUE_TYPES), ("unit", UNITS),
            ("aggregate_members", AGGREGATE_MEMBERS),
        )
        for key, allowed in checks:
            if key in entry and entry[key] not in allowed:
                problems.append(f"{code}: {key} {entry[key]!r} not in {allowed}")
        for key, allowed in (("feeds", FEEDS), ("periods", PERIODS), ("geo_levels", FINEST_GEO_LEVELS),
                             ("dimensions", tuple(DIMENSIONS)), ("people_counts", ("numerator", "denominator"))):
            values = entry.get(key) or []
            if not isinstance(values, list):
                problems.append(f"{code}: {key} must be a list")
                continue
            for value in values:
                if value not in allowed:
                    problems.append(f"{code}: {key} value {value!r} not in {allowed}")
        if key_missing_list(entry, ("feeds", "periods", "geo_levels")):
            problems.append(f"{code}: feeds, periods and geo_levels need at least one value")
        threshold = entry.get("disclosure_threshold")
        if not isinstance(threshold, int) or threshold < 1:
            problems.append(f"{code}: disclosure_threshold must be a positive integer")
        if entry.get("value_type") == "rate" and entry.get("unit") != "part":
            problems.append(f"{code}: a rate is expressed as a part (0-1)")
    return problems


def key_missing_list(entry: dict, keys: tuple[str, ...]) -> bool:
    return any(not entry.get(key) for key in keys)


def load_catalogue(path: Path = CATALOGUE_PATH) -> list[Indicator]:
    """The catalogue's indicators, in file order; raises CatalogueError listing every problem."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    problems = validate_entries(raw)
    if problems:
        raise CatalogueError("invalid indicator catalogue:\n  " + "\n  ".join(problems))
    defaults = raw.get("defaults") or {}
    indicators = []
    known = set(REQUIRED)
    for entry in raw["indicators"]:
        entry = {**defaults, **entry}
        indicators.append(Indicator(
            code=entry["code"], label_fr=entry["label_fr"].strip(), definition_fr=" ".join(entry["definition_fr"].split()),
            formula=entry["formula"].strip(), unit=entry["unit"], value_type=entry["value_type"],
            family=entry["family"], feeds=tuple(entry["feeds"]), dimensions=tuple(entry["dimensions"]),
            periods=tuple(entry["periods"]), geo_levels=tuple(entry["geo_levels"]),
            disclosure_threshold=int(entry["disclosure_threshold"]), people_counts=tuple(entry["people_counts"]),
            aggregate_members=entry["aggregate_members"],
            aggregate_reason_fr=" ".join(entry["aggregate_reason_fr"].split()),
            extra={key: value for key, value in entry.items() if key not in known},
        ))
    return indicators


def by_code(indicators: list[Indicator] | None = None) -> dict[str, Indicator]:
    return {indicator.code: indicator for indicator in (indicators or load_catalogue())}
