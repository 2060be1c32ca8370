"""Re-run the disclosure audit of a written Region extract from its own files only.

What the issue promises a reader: holding the extract folder (CSV files and manifest.json), anyone
can check that no hidden cell can be narrowed below its protection. Nothing here reads the
warehouse: the published values and statuses come from the CSV files, the tables' structure
(dimensions, totals, hierarchies, thresholds, how a row maps onto a cell) from the manifest.

Totals of people are counts of distinct people, so the audit uses the relations an attacker can
really rely on: a total is at most the sum of its parts and at least the largest of them
(:func:`pipelines.publication.audit.distinct_count_relations`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from pipelines.publication.audit import AuditReport, audit_published
from pipelines.publication.disclosure_tables import Dimension


def table_frame(published: pd.DataFrame, table: dict) -> pd.DataFrame:
    """The rows of the published CSV that are the cells of one protection table, with its codes."""
    rows = published
    for column, value in table.get("rows", {}).items():
        rows = rows[rows[column] == value]
    for name, value in table.get("constant_coordinates", {}).items():
        rows = rows[rows[name] == value]
    coding = table["territory_code"]
    level_column, code_column = coding["columns"]
    frame = rows.copy()
    frame["geo"] = [
        coding["region"] if coding["prefixes"][level] == "" else coding["prefixes"][level] + code
        for level, code in zip(rows[level_column], rows[code_column])
    ]
    # A cell without a row is a published zero (the extract lists what was counted): complete the grid.
    dimensions = [Dimension.from_manifest(spec) for spec in table["dimensions"]]
    names = [d.name for d in dimensions]
    grid = pd.MultiIndex.from_product([sorted(d.codes) for d in dimensions], names=names).to_frame(index=False)
    frame = grid.merge(frame[[*names, table["measure"], table["status_column"]]], on=names, how="left")
    absent = frame[table["status_column"]].isna()
    frame.loc[absent, table["measure"]] = "0"
    frame.loc[absent, table["status_column"]] = "publie"
    return frame


def audit_extract_folder(*folders: Path | str) -> dict[str, AuditReport]:
    """{dataset name: audit report} for every dataset with count tables, over one or several extracts.

    Given several folders (the monthly extracts of a year and the yearly one), their tables are
    audited together, as an attacker holding all of them would: a cell they share is one unknown,
    and a cell published in one and hidden in another fails.
    """
    frames: dict[str, list[pd.DataFrame]] = {}
    manifests: dict[str, list[dict]] = {}
    for folder in map(Path, folders):
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        for dataset in manifest["datasets"]:
            tables = dataset.get("dimensions") or []
            if not tables:
                continue
            published = pd.read_csv(folder / dataset["files"]["csv"], dtype=str, keep_default_na=False)
            for table in tables:
                frames.setdefault(dataset["name"], []).append(table_frame(published, table))
                manifests.setdefault(dataset["name"], []).append({**table, "name": f"{table['name']}@{manifest['period']}"})
    return {name: audit_published(frames[name], manifests[name]) for name in frames}


def small_counts_published(folder: Path | str) -> dict[str, int]:
    """{dataset/indicator: number of published counts of people below their threshold} (should be empty)."""
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    found = {}
    for dataset in manifest["datasets"]:
        published = pd.read_csv(folder / dataset["files"]["csv"], dtype=str, keep_default_na=False)
        for table in dataset.get("dimensions") or []:
            rows = published[(published["indicateur"] == table["name"]) & (published["statut"] == "publie")]
            values = pd.to_numeric(rows["valeur"], errors="coerce")
            small = int(((values > 0) & (values < table["threshold"])).sum())
            if small:
                found[f"{dataset['name']}/{table['name']}"] = small
    return found
