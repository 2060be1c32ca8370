"""Read-only access to what the Region has published: the extracts under `exports/region/`.

Why a separate reader rather than the warehouse: the portal may only show disclosure-controlled
tables, and must keep working while the pipeline writes (DuckDB allows one writer or many readers,
never both). Extracts are written to a temporary folder, renamed, then pointed to by `LATEST`
(docs/architecture.md, "Publication"), so reading `LATEST` and then its folder always sees a complete
version. Anything else in those folders (temporary folders, older versions, stray files) is ignored.

Files are only ever reached through an allow-list built from the manifest: a URL names an entry of
that list, never a path.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import yaml

from pipelines.config import Settings

PERIOD_RE = re.compile(r"^\d{4}(?:-(?:0[1-9]|1[0-2]))?$")
VERSION_RE = re.compile(r"^v\d{3,}$")
FILE_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,120}$")
COLUMNS = [
    "indicateur", "periode", "niveau_territoire", "code_territoire", "libelle_territoire",
    "reseau", "valeur", "statut", "unite",
]
LEVEL_ORDER = {"region": 0, "departement": 1, "agence": 2, "bassin": 3}
LEVEL_LABELS = {"region": "Région", "departement": "Département", "agence": "Agence", "bassin": "Bassin d'emploi"}
STATUS_LABELS = {
    "publie": "Publié",
    "secret_primaire": "Secret statistique (effectif sous le seuil)",
    "secret_secondaire": "Secret statistique (masqué pour protéger une autre case)",
}
FORMAT_LABELS = {"csv": "CSV", "parquet": "Parquet", "schema": "Schéma (JSON)", "xlsx": "Classeur XLSX"}
# Indicators shown first on the home page, when published.
HEADLINE_CODES = [
    "ACT_PEOPLE", "ACT_ACTS", "ACT_DISTANCE_SHARE", "PSAD_IDENTIFIED", "LOR_ACCOUNTS_CREATED",
    "EVT_PARTICIPANTS",
]


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    label_fr: str
    parquet: str | None
    csv: str | None
    rows: int


@dataclass(frozen=True)
class DownloadFile:
    name: str
    format: str
    label_fr: str
    path: Path
    size: int


@dataclass(frozen=True)
class Extract:
    """One complete, published version of a period's extract."""

    period: str
    kind: str
    version: str
    generated_at: str
    folder: Path
    datasets: list[DatasetInfo]
    indicators: dict[str, dict]
    files: dict[str, DownloadFile] = field(default_factory=dict)  # the download allow-list

    def dataset(self, name: str) -> DatasetInfo | None:
        return next((d for d in self.datasets if d.name == name), None)


def _plain_file(folder: Path, name: object) -> Path | None:
    """`folder/name` if `name` is a plain file name of a regular file directly inside `folder`."""
    if not isinstance(name, str) or not FILE_NAME_RE.match(name) or ".." in name:
        return None
    path = folder / name
    if path.is_symlink() or not path.is_file() or path.resolve().parent != folder.resolve():
        return None
    return path


@lru_cache(maxsize=64)
def _read_manifest(path: str, mtime_ns: int) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


@lru_cache(maxsize=128)
def _read_dataset(path: str, mtime_ns: int) -> pd.DataFrame:
    frame = pq.read_table(path).to_pandas()
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: colonnes manquantes {missing}")
    frame = frame[COLUMNS].copy()
    for column in COLUMNS:
        if column != "valeur":
            frame[column] = frame[column].astype("string").fillna("")
    frame["valeur"] = pd.to_numeric(frame["valeur"], errors="coerce").astype("float64")
    # Defence in depth: a hidden cell never shows a value, even if a file carried one.
    frame.loc[frame["statut"] != "publie", "valeur"] = float("nan")
    return frame


class Reference:
    """Public reference labels and the bassin -> agency hierarchy (dbt seeds)."""

    def __init__(self, settings: Settings):
        seeds = settings.dbt_project_dir / "seeds"
        self.agencies = self._pairs(seeds / "ref_agencies.csv", "agency_code", "agency_name")
        self.networks = self._pairs(seeds / "ref_networks.csv", "network_code", "network_name")
        self.bassins: dict[str, str] = {}
        self.bassin_agency: dict[str, str] = {}
        with (seeds / "ref_bassins.csv").open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                self.bassins[row["bassin_code"]] = row["bassin_name"]
                self.bassin_agency[row["bassin_code"]] = row["agency_code"]

    @staticmethod
    def _pairs(path: Path, key: str, value: str) -> dict[str, str]:
        with path.open(encoding="utf-8", newline="") as handle:
            return {row[key]: row[value] for row in csv.DictReader(handle)}

    def bassins_of(self, agency_code: str) -> list[str]:
        return sorted(code for code, agency in self.bassin_agency.items() if agency == agency_code)


class Publications:
    """The published extracts of the Region, read on every request (cheap: cached by mtime)."""

    def __init__(self, settings: Settings):
        self.root = settings.exports_dir / "region"
        self.catalogue = self._load_catalogue(settings.dbt_project_dir / "indicators" / "catalogue.yml")

    @staticmethod
    def _load_catalogue(path: Path) -> dict[str, dict]:
        """The indicator catalogue, used when a manifest lacks a definition (older extracts)."""
        if not path.exists():
            return {}
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}
        return {item["code"]: item for item in document.get("indicators", []) if "code" in item}

    def periods(self) -> list[str]:
        """Published periods, newest first (months before the year they belong to)."""
        if not self.root.is_dir():
            return []
        found = [
            p.name for p in self.root.iterdir()
            if PERIOD_RE.match(p.name) and p.is_dir() and not p.is_symlink() and self._version_dir(p) is not None
        ]
        return sorted(found, key=lambda p: (p[:4], p[5:] if len(p) > 4 else "99"), reverse=True)

    def latest_monthly_period(self) -> str | None:
        periods = self.periods()
        monthly = [p for p in periods if len(p) == 7]
        return (monthly or periods or [None])[0]

    @staticmethod
    def _version_dir(period_dir: Path) -> Path | None:
        """The folder named by LATEST; if LATEST is unreadable, the highest complete version."""
        pointer = period_dir / "LATEST"
        try:
            name = pointer.read_text(encoding="utf-8").strip()
        except OSError:
            name = ""
        candidates = [name] if VERSION_RE.match(name) else []
        if not candidates:
            candidates = sorted(
                (p.name for p in period_dir.iterdir() if VERSION_RE.match(p.name)),
                key=lambda v: int(v[1:]), reverse=True,
            )
        for candidate in candidates:
            folder = period_dir / candidate
            if folder.is_dir() and not folder.is_symlink() and (folder / "manifest.json").is_file():
                return folder
        return None

    def extract(self, period: str | None) -> Extract | None:
        if not period or not PERIOD_RE.match(period):
            return None
        period_dir = self.root / period
        if not period_dir.is_dir():
            return None
        folder = self._version_dir(period_dir)
        if folder is None:
            return None
        manifest_path = folder / "manifest.json"
        manifest = _read_manifest(str(manifest_path), manifest_path.stat().st_mtime_ns)
        files: dict[str, DownloadFile] = {}
        datasets: list[DatasetInfo] = []
        for entry in manifest.get("datasets", []):
            name = entry.get("name", "")
            label = entry.get("label_fr") or name
            declared = entry.get("files", {}) or {}
            resolved: dict[str, str] = {}
            for fmt in ("csv", "parquet", "schema"):
                path = _plain_file(folder, declared.get(fmt))
                if path is not None:
                    resolved[fmt] = path.name
                    files[path.name] = DownloadFile(
                        path.name, fmt, f"{label} — {FORMAT_LABELS[fmt]}", path, path.stat().st_size
                    )
            datasets.append(
                DatasetInfo(name, label, resolved.get("parquet"), resolved.get("csv"), int(entry.get("rows", 0)))
            )
        workbook = manifest.get("workbook") or {}
        workbook_name = workbook.get("file") if isinstance(workbook, dict) else workbook
        path = _plain_file(folder, workbook_name or f"spro_{period}_indicateurs.xlsx")
        if path is not None and path.suffix == ".xlsx":
            files[path.name] = DownloadFile(
                path.name, "xlsx", "Classeur complet (toutes les familles, définitions)", path, path.stat().st_size
            )
        indicators = {code: dict(item) for code, item in self.catalogue.items()}
        for item in manifest.get("indicators", []):
            if isinstance(item, dict) and item.get("code"):
                indicators[item["code"]] = {**indicators.get(item["code"], {}), **item}
        return Extract(
            period=period,
            kind=manifest.get("kind", "annuel" if len(period) == 4 else "mensuel"),
            version=folder.name,
            generated_at=str(manifest.get("generated_at", "")),
            folder=folder,
            datasets=datasets,
            indicators=indicators,
            files=files,
        )

    @staticmethod
    def frame(extract: Extract, dataset: DatasetInfo) -> pd.DataFrame:
        """The published long table of a dataset (hidden cells without value)."""
        if dataset.parquet is None:
            return pd.DataFrame(columns=COLUMNS)
        path = extract.folder / dataset.parquet
        return _read_dataset(str(path), path.stat().st_mtime_ns)

    def all_rows(self, extract: Extract) -> pd.DataFrame:
        frames = [self.frame(extract, d) for d in extract.datasets if d.parquet]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)


def sort_territories(frame: pd.DataFrame) -> pd.DataFrame:
    order = frame["niveau_territoire"].map(LEVEL_ORDER).fillna(9)
    return frame.assign(_order=order).sort_values(["_order", "code_territoire"]).drop(columns="_order")


def select_territories(
    frame: pd.DataFrame, reference: Reference, agence: str | None, bassin: str | None
) -> pd.DataFrame:
    """Rows to show: the chosen bassin or agency (with its bassins) beside the region for comparison;
    with no territory chosen, the region and its 12 agencies."""
    level, code = frame["niveau_territoire"], frame["code_territoire"]
    region = level == "region"
    if bassin:
        agency = reference.bassin_agency.get(bassin, "")
        mask = region | ((level == "agence") & (code == agency)) | ((level == "bassin") & (code == bassin))
    elif agence:
        mask = region | ((level == "agence") & (code == agence)) | (
            (level == "bassin") & code.isin(reference.bassins_of(agence))
        )
    else:
        mask = region | (level == "agence")
    return sort_territories(frame[mask])


def chart_rows(rows: pd.DataFrame, unit: str) -> pd.DataFrame:
    """Rows drawn in the chart: for counts, only the finest level shown (a region total beside its
    agencies would flatten every other bar); for rates, every row, since they compare directly."""
    if unit in ("taux", "part") or rows.empty:
        return rows
    finest = max(rows["niveau_territoire"], key=lambda level: LEVEL_ORDER.get(level, -1))
    finer = rows[rows["niveau_territoire"] == finest]
    return finer if len(finer) >= 2 else rows


def format_value(value: float | None, unit: str) -> str:
    """French number formatting; shares (0-1) as percentages."""
    if value is None or pd.isna(value):
        return "s"
    if unit in ("taux", "part") and abs(value) <= 1.0:
        return f"{value * 100:.1f}".replace(".", ",") + "\u00a0%"
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", "\u202f")
    return f"{value:,.1f}".replace(",", "\u202f").replace(".", ",")


def chart_value(value: float | None, unit: str) -> float | None:
    if value is None or pd.isna(value):
        return None
    if unit in ("taux", "part") and abs(value) <= 1.0:
        return round(value * 100, 2)
    return float(value)


UNIT_LABELS = {"taux": "%", "part": "%"}
