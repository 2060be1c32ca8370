"""One tiny generation shared by the generator tests (it takes a few seconds)."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from sources.generator.config import GeneratorConfig
from sources.generator.generate import generate

TINY = dict(scale="tiny", seed=7, start="2025-01", months=3)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> dict:
    """Feeds in <tmp>/inbox, truth in <tmp>/truth, plus the truth tables already read."""
    base = tmp_path_factory.mktemp("tiny")
    inbox, truth = base / "inbox", base / "truth"
    stats = generate(GeneratorConfig(**TINY), inbox, truth)
    files = pd.read_csv(truth / "files.csv", dtype=str, keep_default_na=False)
    defects = pd.read_csv(truth / "defects.csv", dtype=str, keep_default_na=False)
    return {"inbox": inbox, "truth": truth, "stats": stats, "files": files, "defects": defects,
            "records": pd.read_parquet(truth / "record_persons.parquet"),
            "persons": pd.read_parquet(truth / "persons.parquet")}


def read_data_rows(path: Path, contract: dict, encoding: str | None = None) -> tuple[list[str], list[list]]:
    """A minimal independent reader of a file under its contract: header and data rows as text."""
    spec = contract["file"]
    if spec["type"] == "csv":
        with open(path, encoding=encoding or spec["encoding"], newline="") as handle:
            rows = list(csv.reader(handle, delimiter=spec["delimiter"]))
        return rows[0], rows[1:]
    if spec["type"] == "jsonl":
        import json
        records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
        header = [c["source"] for c in contract["columns"]]
        return header, [["" if r.get(k) is None else str(r.get(k)) for k in header] for r in records]
    import openpyxl
    sheet = openpyxl.load_workbook(path, read_only=True)[spec["sheet"]]
    rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    header_row = spec["header_row"]
    return rows[header_row - 1], rows[header_row:]
