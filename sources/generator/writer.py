"""Contract-driven writers: a frame in common-model terms goes out through the contract's inverse
mapping (common code -> member code, date -> the member's date format, column -> its source name),
so a contract and the files written under it can never disagree.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

FIXED_XLSX_TIMESTAMP = dt.datetime(2018, 1, 1, 0, 0, 0)   # fixed: identical bytes run after run
MONTH_NAMES_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
                  "octobre", "novembre", "décembre")


def inverse_codes(column: dict) -> dict:
    """common code -> list of the member codes that mean it (several: the member picks any)."""
    inverse: dict = {}
    for member_code, common in (column.get("codes") or {}).items():
        inverse.setdefault(common, []).append(member_code)
    return inverse


def format_dates(values, date_format: str) -> np.ndarray:
    """Dates to text in the member's format; each distinct date is formatted once."""
    array = np.asarray(pd.Series(values).astype("datetime64[s]").to_numpy())
    missing = np.isnat(array)
    out = np.full(array.size, "", dtype=object)
    if (~missing).any():
        uniques, inverse = np.unique(array[~missing], return_inverse=True)
        texts = np.array([pd.Timestamp(u).strftime(date_format) for u in uniques], dtype=object)
        out[~missing] = texts[inverse]
    return out


def _is_missing(value) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value)


def render_column(values, column: dict, rng: np.random.Generator) -> np.ndarray:
    """One column of a file, as text, from common-model values (plain numpy: files are many and small)."""
    kind = column["type"]
    if kind in ("date", "datetime"):
        return format_dates(values, column["date_format"])
    array = np.asarray(values, dtype=object)
    if kind == "code":
        inverse = inverse_codes(column)
        out = np.full(array.size, "", dtype=object)
        for common, member_codes in inverse.items():
            rows = np.flatnonzero(array == common)
            if rows.size == 0:
                continue
            if len(member_codes) == 1:
                out[rows] = member_codes[0]
            else:
                out[rows] = np.array(member_codes, dtype=object)[rng.integers(0, len(member_codes), rows.size)]
        unmapped = [v for v, o in zip(array, out) if o == "" and not _is_missing(v)]
        if unmapped:
            raise ValueError(f"{column['source']}: no member code for {set(unmapped)}")
        return out
    if kind == "boolean":
        inverse = {common: member for member, common in column["boolean_values"].items()}
        return np.array(["" if _is_missing(v) else inverse[bool(v)] for v in array], dtype=object)
    if kind == "integer":
        return np.array(["" if _is_missing(v) else str(int(v)) for v in array], dtype=object)
    return np.array(["" if _is_missing(v) else str(v) for v in array], dtype=object)


def render(frame: pd.DataFrame, contract: dict, rng: np.random.Generator) -> pd.DataFrame:
    """The file's table as text, columns named and ordered as the contract says."""
    out = {}
    for column in contract["columns"]:
        target = column["target"]
        values = frame[target].to_numpy() if target in frame.columns else np.full(len(frame), None, dtype=object)
        out[column["source"]] = render_column(values, column, rng)
    return pd.DataFrame(out, columns=[c["source"] for c in contract["columns"]], dtype=object)


def csv_bytes(table: pd.DataFrame, contract: dict, encoding: str | None = None) -> bytes:
    """CSV with the contract's separator, line ending and encoding (the csv module does the quoting)."""
    spec = contract["file"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=spec["delimiter"], lineterminator=spec.get("line_terminator", "\n"),
                        quoting=csv.QUOTE_MINIMAL)
    writer.writerow(list(table.columns))
    writer.writerows(table.to_numpy(dtype=object).tolist())
    return buffer.getvalue().encode(encoding or spec["encoding"], errors="replace")


def jsonl_bytes(table: pd.DataFrame, contract: dict) -> bytes:
    """One JSON object per line; integers stay numbers, empty values become null."""
    integer_columns = {c["source"] for c in contract["columns"] if c["type"] == "integer"}
    lines = []
    columns = list(table.columns)
    for row in table.itertuples(index=False, name=None):
        record = {}
        for key, value in zip(columns, row):
            if value == "":
                record[key] = None
            elif key in integer_columns:
                try:
                    record[key] = int(value)
                except ValueError:
                    record[key] = value
            else:
                record[key] = value
        lines.append(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
    return ("\n".join(lines) + ("\n" if lines else "")).encode("utf-8")


def xlsx_bytes(table: pd.DataFrame, contract: dict, title_lines: list[str]) -> bytes:
    """An Excel report as members make them: a merged title block, then the table at header_row."""
    spec = contract["file"]
    header_row = int(spec["header_row"]) - 1          # 0-based for xlsxwriter
    integer_columns = {c["source"] for c in contract["columns"] if c["type"] == "integer"}
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    workbook.set_properties({"created": FIXED_XLSX_TIMESTAMP, "author": "SPRO", "title": title_lines[0]})
    sheet = workbook.add_worksheet(spec.get("sheet") or "Feuil1")
    title = workbook.add_format({"bold": True, "font_size": 14, "align": "center"})
    subtitle = workbook.add_format({"italic": True, "align": "left"})
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    last_col = max(len(table.columns) - 1, 1)
    for i, line in enumerate(title_lines[:header_row]):
        if line:
            sheet.merge_range(i, 0, i, last_col, line, title if i == 0 else subtitle)
    for j, name in enumerate(table.columns):
        sheet.write_string(header_row, j, name, header)
        sheet.set_column(j, j, max(12, len(name) + 2))
    for i, row in enumerate(table.itertuples(index=False, name=None), start=header_row + 1):
        for j, (name, value) in enumerate(zip(table.columns, row)):
            if value == "":
                continue
            if name in integer_columns and _is_int(value):
                sheet.write_number(i, j, int(value))
            else:
                sheet.write_string(i, j, value)
    workbook.close()
    return buffer.getvalue()


def _is_int(value: str) -> bool:
    try:
        int(value)
        return True
    except ValueError:
        return False


def xlsx_title_lines(member_name: str, label: str, header_row: int) -> list[str]:
    """The title block above an aggregate XLSX table."""
    year, month = label.split("-")
    lines = ["Bilan mensuel d'activité SPRO Grand Est", f"Structure : {member_name}",
             f"Période : {MONTH_NAMES_FR[int(month) - 1]} {year}"]
    return (lines + [""] * header_row)[:header_row - 1]


def write_bytes(path: Path, payload: bytes) -> str:
    """Write a file and return its sha256 (the ledger's identity of a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(payload)
    return hashlib.sha256(payload).hexdigest()
