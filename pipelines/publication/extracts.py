"""The Region's extracts: one versioned, atomically written folder per period.

Layout and columns are described in docs/architecture.md ("Publication"). A reader never sees half an
extract: everything is written into a hidden temporary folder beside the final one, then renamed in
one step, and `LATEST` is replaced atomically afterwards. A re-run whose content is identical to the
newest version adds nothing; a different content becomes a new version, the old ones stay.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from pipelines.publication.extract_formats import (
    DATASET_COLUMNS,
    table_schema,
    write_csv,
    write_parquet,
)
from pipelines.publication.workbook import write_workbook

LATEST_FILE = "LATEST"
CONTENT_DIGEST_KEY = "content_sha256"


@dataclass(frozen=True)
class Dataset:
    """One published table of an extract, in the long format of docs/architecture.md."""

    name: str
    family: str
    label_fr: str
    frame: pd.DataFrame
    dimensions: list[dict] = field(default_factory=list)
    thresholds: dict[str, int] = field(default_factory=dict)


def extract_root(exports_dir: Path, period: str) -> Path:
    return exports_dir / "region" / period


def latest_version_dir(exports_dir: Path, period: str) -> Path | None:
    """The newest complete version of a period's extract, or None."""
    root = extract_root(exports_dir, period)
    pointer = root / LATEST_FILE
    if not pointer.exists():
        return None
    return root / pointer.read_text().strip()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def content_digest(datasets: list[Dataset]) -> str:
    """A fingerprint of what is published (not of how files are encoded), to detect re-runs."""
    digest = hashlib.sha256()
    for dataset in sorted(datasets, key=lambda d: d.name):
        digest.update(dataset.name.encode())
        digest.update(dataset.frame[DATASET_COLUMNS].to_csv(index=False).encode())
    return digest.hexdigest()


def _next_version_name(root: Path) -> str:
    existing = sorted(p.name for p in root.glob("v[0-9][0-9][0-9]") if p.is_dir())
    number = int(existing[-1][1:]) + 1 if existing else 1
    return f"v{number:03d}"


def _replace_pointer(root: Path, version: str) -> None:
    temporary = root / f".{LATEST_FILE}.{uuid.uuid4().hex}"
    temporary.write_text(version + "\n")
    os.replace(temporary, root / LATEST_FILE)


def write_extract(
    datasets: list[Dataset],
    *,
    period: str,
    kind: str,
    indicators: list[dict],
    exports_dir: Path,
    code_version: str,
    generated_at: datetime | None = None,
    validate=None,
) -> tuple[Path, bool]:
    """Write the extract of `period`; return (version folder, whether a new version was written).

    `validate(folder)`, when given, inspects the complete extract before it becomes visible and
    raises to stop its publication (the disclosure audit of the written files).
    """
    root = extract_root(exports_dir, period)
    root.mkdir(parents=True, exist_ok=True)
    digest = content_digest(datasets)
    latest = latest_version_dir(exports_dir, period)
    if latest is not None:
        previous = json.loads((latest / "manifest.json").read_text())
        if previous.get(CONTENT_DIGEST_KEY) == digest:
            return latest, False

    staging = root / f".tmp-{uuid.uuid4().hex}"
    staging.mkdir()
    try:
        manifest_datasets = []
        for dataset in datasets:
            files = {
                "csv": write_csv(dataset.frame, staging / f"{dataset.name}.csv"),
                "parquet": write_parquet(dataset.frame, staging / f"{dataset.name}.parquet"),
            }
            schema_path = staging / f"{dataset.name}.schema.json"
            schema_path.write_text(
                json.dumps(table_schema(dataset.frame, dataset.label_fr), ensure_ascii=False, indent=2)
            )
            files["schema"] = schema_path
            manifest_datasets.append(
                {
                    "name": dataset.name,
                    "family": dataset.family,
                    "label_fr": dataset.label_fr,
                    "files": {key: path.name for key, path in files.items()},
                    "rows": int(len(dataset.frame)),
                    "sha256": {path.name: _sha256(path) for path in files.values()},
                    "dimensions": dataset.dimensions,
                    "measures": [
                        {
                            "column": "valeur",
                            "status_column": "statut",
                            "thresholds": dataset.thresholds,
                        }
                    ],
                }
            )
        workbook = staging / f"spro_{period}_indicateurs.xlsx"
        write_workbook(workbook, datasets, indicators, period=period)
        version = _next_version_name(root)
        generated = generated_at or datetime.now(timezone.utc)
        manifest = {
            "period": period,
            "kind": kind,
            "version": version,
            "generated_at": generated.isoformat(timespec="seconds"),
            "code_version": code_version,
            CONTENT_DIGEST_KEY: digest,
            "workbook": {"file": workbook.name, "sha256": _sha256(workbook)},
            "datasets": manifest_datasets,
            "indicators": indicators,
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
        if validate is not None:
            validate(staging)
        final = root / version
        os.rename(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _replace_pointer(root, version)
    return final, True
