"""The ground truth, written apart from the feeds (never under the inbox).

The pipeline must never read it; tests and benchmarks do. It says who is behind each row,
which defects were injected where, which file supersedes which, and the true values of the
main indicators computed on clean data.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

FILES_COLUMNS = ["path", "feed", "sender_code", "month", "contract", "version", "supersedes", "rows", "sha256"]
DEFECTS_COLUMNS = ["file", "row_number", "kind", "detail"]
RECORD_SCHEMA = pa.schema([("file", pa.string()), ("row_number", pa.int32()), ("person_id", pa.int64())])
# Row defects after which the row cannot be used as it is (quarantined by a correct pipeline).
UNUSABLE_ROW_KINDS = {"unknown_code", "impossible_date", "date_outside_month", "negative_count", "duplicate_row"}
# File defects after which nothing in the file can be loaded.
REJECTED_FILE_KINDS = {"missing_column", "renamed_column", "wrong_encoding", "empty_file", "unknown_member"}


class TruthRecorder:
    """Collects the truth while the feeds are written; streams the per-row mapping to Parquet."""

    def __init__(self, truth_dir: Path):
        self.dir = Path(truth_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.files: list[dict] = []
        self.defects: list[tuple] = []
        self.indicators: dict = defaultdict(list)
        self._record_writer = pq.ParquetWriter(self.dir / "record_persons.parquet", RECORD_SCHEMA,
                                               compression="zstd", write_statistics=False)

    def add_file(self, **row) -> None:
        self.files.append(row)

    def add_defects(self, path: str, records: list[tuple]) -> None:
        """records: (row_number or None, kind, detail)."""
        for row_number, kind, detail in records:
            self.defects.append((path, row_number, kind, detail))

    def add_record_persons(self, path: str, person_ids: np.ndarray) -> None:
        """Row i (1-based) of the file is person_ids[i-1]."""
        if len(person_ids) == 0:
            return
        table = pa.table({"file": pa.array([path] * len(person_ids), pa.string()),
                          "row_number": pa.array(np.arange(1, len(person_ids) + 1, dtype=np.int32)),
                          "person_id": pa.array(np.asarray(person_ids, dtype=np.int64))}, schema=RECORD_SCHEMA)
        self._record_writer.write_table(table)

    def add_indicator_rows(self, section: str, rows: list[dict]) -> None:
        self.indicators[section].extend(rows)

    def close(self, generation: dict, extra_indicators: dict, persons: pd.DataFrame) -> None:
        self._record_writer.close()
        with open(self.dir / "files.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, FILES_COLUMNS)
            writer.writeheader()
            writer.writerows(self.files)
        with open(self.dir / "defects.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(DEFECTS_COLUMNS)
            for path, row_number, kind, detail in self.defects:
                writer.writerow([path, "" if row_number is None else row_number, kind, detail])
        indicators = dict(self.indicators)
        indicators.update(extra_indicators)
        indicators["defects"] = self.defect_summary()
        with open(self.dir / "indicators.json", "w", encoding="utf-8") as handle:
            json.dump(indicators, handle, ensure_ascii=False, indent=1, sort_keys=True, default=_json_default)
        with open(self.dir / "generation.json", "w", encoding="utf-8") as handle:
            json.dump(generation, handle, ensure_ascii=False, indent=1, sort_keys=True, default=_json_default)
        table = pa.Table.from_pandas(persons, preserve_index=False).replace_schema_metadata(None)
        pq.write_table(table, self.dir / "persons.parquet", compression="zstd", write_statistics=False)

    def defect_summary(self) -> dict:
        """Counts per kind, and the rows/files a correct pipeline cannot use as they are."""
        by_kind = Counter(kind for _, _, kind, _ in self.defects)
        unusable = Counter(path for path, row, kind, _ in self.defects if row is not None and kind in UNUSABLE_ROW_KINDS)
        rejected = sorted({path for path, row, kind, _ in self.defects if kind in REJECTED_FILE_KINDS})
        superseded = sorted(f["supersedes"] for f in self.files if f["supersedes"])
        return {"by_kind": dict(sorted(by_kind.items())), "unusable_rows_by_file": dict(sorted(unusable.items())),
                "rejected_files": rejected, "superseded_files": superseded}


def _json_default(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(type(value))
