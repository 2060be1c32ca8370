"""A small cached loader of the reference CSVs (dbt_project/seeds/*.csv).

Why CSVs and not DuckDB: ingestion must work on a fresh warehouse, before `dbt seed` ran, and it
must not hold a DuckDB connection just to look codes up. The cache is keyed on the files' mtimes so a
test or a deployment that edits a seed sees the change without restarting the process.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pipelines.config import Settings

# Nomenclature seeds: file stem -> the column holding the code (None = first column ending in _code).
NOMENCLATURES = (
    "ref_service_levels",
    "ref_channels",
    "ref_public_statuses",
    "ref_psad_outcomes",
    "ref_event_types",
    "ref_cot_sectors",
    "ref_sexes",
    "ref_age_bands",
    "ref_bassins",
    "ref_communes",
    "ref_members",
    "ref_networks",
    "ref_psad_platforms",
    "ref_agencies",
    "ref_departements",
)

# Fixed code lists of the common model that have no seed (docs/architecture.md).
FIXED_CODE_LISTS: dict[str, frozenset[str]] = {
    "ref_lorfolio_actions": frozenset(
        {"ACCOUNT_CREATED", "JOURNEY_ENTRY", "SKILL_ADDED", "PROOF_ADDED", "CV_GENERATED",
         "SITE_PUBLISHED", "PROJECT_STEP", "DOCUMENT_STORED", "LOGIN"}
    ),
}


@dataclass(frozen=True)
class Reference:
    """The code lists and registries ingestion checks against."""

    seeds_dir: Path
    code_sets: dict[str, frozenset[str]] = field(default_factory=dict)
    member_network: dict[str, str] = field(default_factory=dict)     # member_code -> network_code
    network_format: dict[str, str] = field(default_factory=dict)     # network_code -> export_format

    def codes(self, name: str) -> frozenset[str]:
        """The accepted codes of one reference list; empty when the seed is missing."""
        return self.code_sets.get(name, frozenset())

    def has(self, name: str) -> bool:
        return name in self.code_sets and bool(self.code_sets[name])

    def contract_for_member(self, member_code: str) -> str | None:
        """member -> network -> export format (= contract name), per docs/architecture.md."""
        network = self.member_network.get(member_code)
        return self.network_format.get(network) if network else None


def seeds_dir_for(settings: Settings) -> Path:
    """Where the seeds are; SPRO_REFERENCE_DIR lets tests point at a hand-made registry."""
    override = os.environ.get("SPRO_REFERENCE_DIR")
    return Path(override) if override else settings.dbt_project_dir / "seeds"


def _read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _code_column(rows: list[dict[str, str]], stem: str) -> str | None:
    if not rows:
        return None
    columns = list(rows[0].keys())
    preferred = {"ref_communes": "commune_insee", "ref_members": "member_code",
                 "ref_networks": "network_code", "ref_psad_platforms": "psad_code"}.get(stem)
    if preferred in columns:
        return preferred
    coded = [c for c in columns if c.endswith("_code")]
    return coded[0] if coded else columns[0]


def _signature(seeds_dir: Path) -> tuple:
    if not seeds_dir.exists():
        return ()
    return tuple(sorted((p.name, p.stat().st_mtime_ns) for p in seeds_dir.glob("ref_*.csv")))


@lru_cache(maxsize=8)
def _load(seeds_dir: Path, signature: tuple) -> Reference:
    code_sets: dict[str, frozenset[str]] = dict(FIXED_CODE_LISTS)
    member_network: dict[str, str] = {}
    network_format: dict[str, str] = {}
    for stem in NOMENCLATURES:
        path = seeds_dir / f"{stem}.csv"
        if not path.exists():
            continue
        rows = _read_rows(path)
        column = _code_column(rows, stem)
        if column:
            code_sets[stem] = frozenset(r[column].strip() for r in rows if r.get(column, "").strip())
        if stem == "ref_members":
            member_network = {r["member_code"]: r.get("network_code", "") for r in rows}
        if stem == "ref_networks":
            network_format = {r["network_code"]: r.get("export_format", "") for r in rows}
    return Reference(seeds_dir, code_sets, member_network, network_format)


def load_reference(seeds_dir: Path | Settings) -> Reference:
    """The reference data, re-read only when a seed file changed."""
    if isinstance(seeds_dir, Settings):
        seeds_dir = seeds_dir_for(seeds_dir)
    seeds_dir = Path(seeds_dir)
    return _load(seeds_dir, _signature(seeds_dir))
