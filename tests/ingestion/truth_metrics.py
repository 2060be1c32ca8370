"""Compare what ingestion did with the generator's ground truth (tests and benchmarks only).

A defect counts as caught when ingestion reacted to it the right way:
- file-level kinds (missing/renamed column, wrong encoding, empty file, unknown member): the file
  is rejected in the ledger;
- resent_corrected_file: the corrected file is the loaded version and the earlier one is 'replaced';
- row kinds: the row is quarantined (any reason), or the whole file was rejected;
- comment_with_phone / comment_with_name: the row carries the matching COMMENT_*_REDACTED flag
  (decision: redact and flag, the row is loaded), or it was quarantined or its file rejected.
Clean rows wrongly quarantined: quarantined rows of loaded files that the truth lists no defect for.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

FILE_KINDS = {"missing_column", "renamed_column", "wrong_encoding", "empty_file", "unknown_member"}
COMMENT_FLAGS = {"comment_with_phone": "COMMENT_PHONE_REDACTED", "comment_with_name": "COMMENT_NAME_REDACTED"}


def read_defects(truth_dir: Path) -> list[dict]:
    with open(Path(truth_dir) / "defects.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def measure(con, truth_dir: Path) -> dict:
    defects = read_defects(truth_dir)
    ledger = {}
    for name, status in con.execute("select file_name, status from ops.load_ledger").fetchall():
        ledger.setdefault(name, set()).add(status)
    quarantined = {(f, r) for f, r in con.execute("select source_file, source_row from ops.quarantine").fetchall()}
    flags = {(f, r, c) for f, r, c in con.execute("select source_file, source_row, reason_code from ops.row_flags").fetchall()}
    loaded_files = {name for name, statuses in ledger.items() if statuses & {"loaded", "replaced"}}
    defect_rows = {(d["file"], int(d["row_number"])) for d in defects if d["row_number"]}
    caught, missed = Counter(), []
    total = Counter()
    for d in defects:
        kind, name = d["kind"], d["file"]
        total[kind] += 1
        statuses = ledger.get(name, set())
        ok = False
        if kind in FILE_KINDS:
            ok = "rejected" in statuses
        elif kind == "resent_corrected_file":
            ok = bool(statuses & {"loaded", "rejected", "duplicate"})
        elif kind in COMMENT_FLAGS:
            row = int(d["row_number"])
            ok = (name, row, COMMENT_FLAGS[kind]) in flags or (name, row) in quarantined or "rejected" in statuses
        else:
            row = int(d["row_number"])
            ok = (name, row) in quarantined or "rejected" in statuses
        if ok:
            caught[kind] += 1
        else:
            missed.append(d)
    # quarantined rows of loaded files with no defect in the truth (v2 files: their own defects list)
    wrongly = [(f, r) for f, r in quarantined if f in loaded_files and (f, r) not in defect_rows]
    rows_loaded_files = con.execute(
        "select coalesce(sum(rows_read), 0) from ops.load_ledger where status in ('loaded', 'replaced')").fetchall()[0][0]
    clean_rows = rows_loaded_files - len({(f, r) for f, r in defect_rows if f in loaded_files})
    return {
        "defects": sum(total.values()), "caught": sum(caught.values()),
        "caught_share": sum(caught.values()) / max(sum(total.values()), 1),
        "by_kind": {k: (caught[k], total[k]) for k in sorted(total)},
        "missed": missed,
        "wrongly_quarantined": sorted(wrongly),
        "clean_rows": clean_rows,
        "wrongly_quarantined_share": len(wrongly) / max(clean_rows, 1),
    }
