"""Defects injected into rendered files, each recorded in the ground truth.

Row-level defects are planned on the clean table (one defect per row at most, so that counts
per kind are exact), then applied; planning and applying are separate so that a corrected
re-send can apply only the defects the member did not fix. File-level defects change the
whole file (a column dropped or renamed, the wrong encoding, no content at all).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sources.generator.identity import name_vocabulary, phone_strings, strip_accents

MONTH_DATE_TARGETS = {"act_date", "event_date", "event_time"}
COUNT_TARGETS = {"acts_count", "people_count"}
PHONE_COMMENTS = ("Rappeler au {phone}", "Tél. portable : {phone}", "joignable au {phone} après 17h",
                  "Numéro de la mère : {phone}")
NAME_COMMENTS = ("Accompagné de sa mère, Mme {last} {first}", "Voir avec M. {last} (éducateur)",
                 "Dossier suivi par {first} {last}", "Orienté par {first} {last}, CPE")


@dataclass(frozen=True)
class RowDefect:
    """One planned row defect: which clean row, what kind, and the exact change."""

    row: int
    kind: str
    column: str | None
    value: str | None
    detail: str


def eligible_row_kinds(contract: dict) -> list[str]:
    """The row-level defect kinds that make sense for a shape."""
    types = {c["type"] for c in contract["columns"]}
    targets = {c["target"] for c in contract["columns"]}
    kinds = ["duplicate_row"]
    if "code" in types:
        kinds.append("unknown_code")
    if types & {"date", "datetime"} and contract["grain"] != "aggregate":
        kinds.append("impossible_date")
    if targets & MONTH_DATE_TARGETS:
        kinds.append("date_outside_month")
    if targets & COUNT_TARGETS:
        kinds.append("negative_count")
    if "comment" in targets:
        kinds += ["comment_with_phone", "comment_with_name"]
    return kinds


def impossible_date_text(date_format: str, year: int, rng: np.random.Generator) -> str:
    """A date that cannot exist, written in the member's own format (31 February, month 13...)."""
    day, month = [("31", "02"), ("30", "02"), ("31", "04"), ("15", "13"), ("00", "06"), ("31", "11")][
        int(rng.integers(0, 6))]
    replacements = {"%d": day, "%m": month, "%Y": f"{year:04d}", "%y": f"{year % 100:02d}", "%H": "10",
                    "%M": "30", "%S": "00"}
    text = date_format
    for token, value in replacements.items():
        text = text.replace(token, value)
    return text


def date_outside_month_text(date_format: str, label: str, rng: np.random.Generator) -> str:
    """A valid date in the month before or after the file's month."""
    month = np.datetime64(label, "M") + (1 if rng.random() < 0.4 else -1)
    day = month.astype("datetime64[D]") + int(rng.integers(0, 28))
    stamp = pd.Timestamp(day) + pd.Timedelta(hours=int(rng.integers(8, 19)), minutes=int(rng.integers(0, 60)))
    return stamp.strftime(date_format)


def plan_row_defects(table: pd.DataFrame, contract: dict, label: str, rates: dict[str, float],
                     multiplier: float, rng: np.random.Generator, force_kinds: bool) -> list[RowDefect]:
    """Choose the defective rows of one file and the exact change to each."""
    n = len(table)
    kinds = eligible_row_kinds(contract)
    if n == 0 or not kinds:
        return []
    probabilities = np.array([rates.get(kind, 0.0) * multiplier for kind in kinds])
    u = rng.random(n)
    edges = np.cumsum(probabilities)
    choice = np.searchsorted(edges, u, side="right")      # == len(kinds) means no defect
    assigned = {int(row): kinds[int(k)] for row, k in enumerate(choice) if k < len(kinds)}
    if force_kinds:
        free = [row for row in rng.permutation(n).tolist() if row not in assigned]
        for kind in kinds:
            if kind not in assigned.values() and free:
                assigned[free.pop()] = kind
    columns = contract["columns"]
    vocab = name_vocabulary()
    defects = []
    year = int(label[:4])
    for row in sorted(assigned):
        kind = assigned[row]
        defect = None
        if kind == "duplicate_row":
            defect = RowDefect(row, kind, None, None, "ligne répétée à l'identique")
        elif kind == "unknown_code":
            candidates = [c for c in columns if c["type"] == "code" and table.iat[row, _pos(table, c)] != ""]
            if candidates:
                column = candidates[int(rng.integers(0, len(candidates)))]
                value = "ZZ" + str(int(rng.integers(1, 99)))
                defect = RowDefect(row, kind, column["source"], value, f"{column['source']}={value}")
        elif kind == "impossible_date":
            candidates = [c for c in columns if c["type"] in ("date", "datetime")
                          and table.iat[row, _pos(table, c)] != ""]
            if candidates:
                column = candidates[int(rng.integers(0, len(candidates)))]
                value = impossible_date_text(column["date_format"], year, rng)
                defect = RowDefect(row, kind, column["source"], value, f"{column['source']}={value}")
        elif kind == "date_outside_month":
            column = next(c for c in columns if c["target"] in MONTH_DATE_TARGETS)
            value = date_outside_month_text(column["date_format"], label, rng)
            defect = RowDefect(row, kind, column["source"], value, f"{column['source']}={value}")
        elif kind == "negative_count":
            column = next(c for c in columns if c["target"] in COUNT_TARGETS)
            current = table.iat[row, _pos(table, column)]
            value = "-" + (current if current not in ("", "0") else "1")
            defect = RowDefect(row, kind, column["source"], value, f"{column['source']}={value}")
        elif kind in ("comment_with_phone", "comment_with_name"):
            column = next(c for c in columns if c["target"] == "comment")
            current = table.iat[row, _pos(table, column)]
            if kind == "comment_with_phone":
                phone = phone_strings(rng.random(1))[0]
                text = PHONE_COMMENTS[int(rng.integers(0, len(PHONE_COMMENTS)))].format(phone=phone)
            else:
                last = str(vocab["last"][int(rng.integers(0, len(vocab["last"])))]).upper()
                first = str(vocab["first_female"][int(rng.integers(0, len(vocab["first_female"])))])
                text = NAME_COMMENTS[int(rng.integers(0, len(NAME_COMMENTS)))].format(last=last, first=first)
            value = f"{current}. {text}" if current else text
            defect = RowDefect(row, kind, column["source"], value, "commentaire libre avec "
                               + ("un numéro de téléphone" if kind == "comment_with_phone" else "un nom"))
        if defect is not None:
            defects.append(defect)
    return defects


def _pos(table: pd.DataFrame, column: dict) -> int:
    return table.columns.get_loc(column["source"])


def apply_row_defects(table: pd.DataFrame, defects: list[RowDefect]) -> tuple[pd.DataFrame, list[tuple], np.ndarray]:
    """Apply planned defects. Returns the dirty table, (row_number, kind, detail) per defect with
    1-based data-row numbers in the dirty file, and for each dirty row the clean row it comes from."""
    n = len(table)
    values = table.to_numpy(dtype=object, copy=True)
    is_duplicate = np.zeros(n, dtype=np.int64)
    for defect in defects:
        if defect.kind == "duplicate_row":
            is_duplicate[defect.row] = 1
        else:
            values[defect.row, table.columns.get_loc(defect.column)] = defect.value
    source_index = np.repeat(np.arange(n), 1 + is_duplicate)
    dirty = pd.DataFrame(values[source_index], columns=table.columns)
    duplicates_before = np.cumsum(is_duplicate) - is_duplicate
    first_position = np.arange(n) + duplicates_before          # 0-based
    records = []
    for defect in defects:
        position = first_position[defect.row] + (1 if defect.kind == "duplicate_row" else 0)
        records.append((int(position) + 1, defect.kind, defect.detail))
    return dirty, sorted(records), source_index


def renamed_header(name: str) -> str:
    """How a header drifts when someone edits the export: accents lost, spaces to underscores, case."""
    renamed = strip_accents(name).replace(" ", "_").replace("'", "")
    if renamed == name:
        renamed = name.lower() if name.upper() == name else name.upper()
    if renamed == name:
        renamed = name + "_2"
    return renamed
