"""Cast a chunk of text columns to the common model's typed columns, with row-level reasons.

Vectorised on purpose (one pandas operation per column, not per value): great-expectations then
sees typed columns and only has to judge them. What cannot be typed (a date that does not exist, a
number with letters, a yes/no outside the contract's values) gets its reason here, because a value
that failed to parse is no longer visible to an expectation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.ingestion.contracts import ColumnSpec, Contract

UNMAPPED_PREFIX = "?"   # an unknown member code is kept as "?<raw>" so the code-list suite flags it

# Code-like string targets whose leading zeros spreadsheets drop: (width).
ZERO_PADDED = {"residence_commune_insee": 5, "commune_insee": 5, "bassin_code": 2}
UPPER_CODES = {"redirected_to_member_code", "organiser_member_code", "referred_member_code"}


@dataclass
class CastResult:
    typed: pd.DataFrame          # index = source_row, columns = targets (+ derived)
    issues: pd.DataFrame         # source_row, reason_code, column, value
    raw: pd.DataFrame            # the text chunk (for reports: the member's own values)


def _issues(rows: pd.Index, code: str, column: str, values: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"source_row": np.asarray(rows, dtype="int64"), "reason_code": code,
                         "column": column, "value": values.astype(str).to_numpy()})


def _blank_to_na(series: pd.Series) -> pd.Series:
    text = series.astype("string").str.strip()
    return text.mask(text == "")


def _pad(series: pd.Series, width: int) -> pd.Series:
    numeric = series.str.fullmatch(r"\d+").fillna(False)
    short = numeric & (series.str.len() < width)
    return series.mask(short, series.str.zfill(width))


def _map_codes(value: pd.Series, mapping: dict) -> pd.Series:
    """Member codes onto the common model's codes; an unknown code is kept as "?<code>".

    A code that differs only by case or surrounding spaces is the same code. Looked up once per
    distinct value (a column holds a handful of codes): Series.map converted every row to a Python
    string first, which cost more than the rest of the casting.
    """
    codes, uniques = pd.factorize(value, use_na_sentinel=True)
    folded = None
    mapped = []
    for raw in uniques.tolist():
        code = mapping.get(raw)
        if code is None:     # second chance: case and spaces folded
            if folded is None:
                folded = {k.strip().casefold(): v for k, v in mapping.items()}
            code = folded.get(raw.casefold())
        mapped.append(UNMAPPED_PREFIX + raw if code is None else code)
    values = np.array(mapped + [None], dtype=object)[codes]     # code -1 (missing) -> the trailing None
    return pd.Series(values, index=value.index, dtype="string")


# A column is cast once per distinct text when it has at most this share of distinct values, then
# spread back to its rows: a month's act dates, sexes, statuses or yes/no answers are a handful of
# texts over hundreds of thousands of rows. Casting is value by value, and the dtype a cast chooses
# (int64 or float64, a date's unit) depends only on the set of texts, the same either way.
DISTINCT_CAST_SHARE = 0.25
DISTINCT_CAST_MIN_ROWS = 1_000


def cast_column(text: pd.Series, spec: ColumnSpec) -> tuple[pd.Series, pd.Series | None, str | None]:
    """(typed values, mask of rows that failed to cast, reason code of that failure)."""
    if _cast_per_distinct_text(spec) and len(text) >= DISTINCT_CAST_MIN_ROWS:
        codes, uniques = pd.factorize(text, use_na_sentinel=False)
        if len(uniques) <= DISTINCT_CAST_SHARE * len(text):
            values, failed, reason = _cast_values(pd.Series(uniques, dtype=text.dtype), spec)
            values = pd.Series(values.array.take(codes), index=text.index)
            failed = None if failed is None else pd.Series(failed.array.take(codes), index=text.index)
            return values, failed, reason
    return _cast_values(text, spec)


def _cast_per_distinct_text(spec: ColumnSpec) -> bool:
    """Not for codes (mapped per distinct value already), timestamps and plain texts (names, ids,
    comments, event times: nearly all distinct, where factorizing would only add its own cost)."""
    if spec.type == "string":
        return spec.target in ZERO_PADDED or spec.target in UPPER_CODES
    return spec.type in ("date", "integer", "decimal", "boolean")


def _cast_values(text: pd.Series, spec: ColumnSpec) -> tuple[pd.Series, pd.Series | None, str | None]:
    value = _blank_to_na(text)
    present = value.notna()
    if spec.type == "string":
        if spec.target in ZERO_PADDED:
            value = _pad(value, ZERO_PADDED[spec.target])
        if spec.target in UPPER_CODES:
            value = value.str.upper()
        return value, None, None
    if spec.type == "code":
        return _map_codes(value, spec.codes or {}), None, None
    if spec.type in ("date", "datetime"):
        parsed = pd.to_datetime(value, format=spec.date_format, errors="coerce")
        if spec.type == "date":
            parsed = parsed.dt.normalize()
        failed = present & parsed.isna()
        return parsed, failed, "IMPOSSIBLE_DATE"
    if spec.type in ("integer", "decimal"):
        cleaned = value.str.replace("\u00a0", "", regex=False).str.replace(" ", "", regex=False)
        if spec.type == "decimal":
            cleaned = cleaned.str.replace(",", ".", regex=False)
        number = pd.to_numeric(cleaned, errors="coerce")
        if spec.type == "integer":
            not_whole = number.notna() & (number % 1 != 0)
            number = number.mask(not_whole)
            number = number.astype("Int64")
        failed = present & number.isna()
        return number, failed, "INVALID_NUMBER"
    if spec.type == "boolean":
        mapping = spec.boolean_values or {}
        folded = {str(k).strip().casefold(): v for k, v in mapping.items()}
        result = value.str.casefold().map(folded)
        failed = present & result.isna()
        return result.astype("boolean"), failed, "INVALID_BOOLEAN"
    raise ValueError(f"unknown type {spec.type}")


def cast_chunk(chunk: pd.DataFrame, contract: Contract, month_start: pd.Timestamp) -> CastResult:
    """Typed common-model columns of one chunk, the casting reasons, and derived columns."""
    typed: dict[str, pd.Series] = {}
    issues: list[pd.DataFrame] = []
    for spec in contract.columns:
        if not spec.target:
            continue
        text = chunk[spec.source] if spec.source in chunk.columns else pd.Series("", index=chunk.index)
        values, failed, code = cast_column(text, spec)
        typed[spec.target] = values
        if failed is not None and failed.any():
            issues.append(_issues(chunk.index[failed.to_numpy()], code, spec.source, text[failed]))
    frame = pd.DataFrame(typed, index=chunk.index)
    if contract.table == "activity_aggregates" and "period_month" not in frame.columns:
        frame["period_month"] = month_start       # month declared by the file name (xlsx exports)
    elif "period_month" in frame.columns:
        frame["period_month"] = frame["period_month"].dt.to_period("M").dt.to_timestamp()
    frame = add_derived(frame, month_start)
    if "__malformed__" in chunk.columns:
        bad = chunk["__malformed__"].fillna("").astype(str) == "1"
        if bad.any():
            issues.append(_issues(chunk.index[bad.to_numpy()], "MALFORMED_ROW", "", pd.Series([""] * int(bad.sum()))))
    all_issues = pd.concat(issues, ignore_index=True) if issues else empty_issues()
    return CastResult(frame, all_issues, chunk)


def add_derived(frame: pd.DataFrame, month_start: pd.Timestamp) -> pd.DataFrame:
    """Non-identifying attributes computed before the clear identity is dropped.

    `age` (at the act) keeps age-band statistics possible once birth_date is only a pseudonym;
    `_age` is the age the range suite checks, from a birth date or a birth year.
    """
    if "birth_date" in frame.columns:
        reference = frame["act_date"] if "act_date" in frame.columns else pd.Series(month_start, index=frame.index)
        birth = frame["birth_date"]
        before = (reference.dt.month < birth.dt.month) | (
            (reference.dt.month == birth.dt.month) & (reference.dt.day < birth.dt.day))
        age = (reference.dt.year - birth.dt.year - before.astype("Int64")).astype("Int64")
        frame["_age"] = age
        if "act_date" in frame.columns:
            frame["age"] = age
        if "birth_year" not in frame.columns:
            frame["birth_year"] = birth.dt.year.astype("Int64")
    elif "birth_year" in frame.columns:
        frame["_age"] = (month_start.year - frame["birth_year"]).astype("Int64")
    return frame


def empty_issues() -> pd.DataFrame:
    return pd.DataFrame({"source_row": pd.Series(dtype="int64"), "reason_code": pd.Series(dtype=object),
                         "column": pd.Series(dtype=object), "value": pd.Series(dtype=object)})


# ------------------------------------------------------------------------------------------------
# several chunks at once
# ------------------------------------------------------------------------------------------------

# An integer written with this many characters may lose precision when a chunk mixing it with a
# decimal value goes through float: such batches are cast chunk by chunk instead.
_LONG_NUMBER = 16


def _batch_safe(big: pd.DataFrame, contract: Contract) -> bool:
    """Casting is row by row, so casting chunks together gives each row the value it gets alone, except
    where a column's dtype depends on its neighbours: decimals (int64 or float64) and very long integers."""
    for spec in contract.columns:
        if not spec.target or spec.source not in big.columns:
            continue
        if spec.type == "decimal":
            return False
        if spec.type == "integer" and (big[spec.source].astype(str).str.len() >= _LONG_NUMBER).any():
            return False
    return True


def split_issues(issues: pd.DataFrame, offsets: np.ndarray, indexes: list[pd.Index]) -> list[pd.DataFrame]:
    """Issues of a concatenated frame (source_row = position) back to each chunk (its own row numbers).

    Order is kept within each chunk: the per-chunk frames are what each chunk alone would give.
    """
    out = [issues.iloc[0:0] for _ in indexes]
    if not len(issues):
        return out
    positions = issues["source_row"].to_numpy(dtype="int64")
    owner = np.searchsorted(offsets, positions, side="right") - 1
    for k in np.unique(owner):
        part = issues[owner == k].reset_index(drop=True)
        local = positions[owner == k] - offsets[k]
        part["source_row"] = np.asarray(indexes[k], dtype="int64")[local]
        out[k] = part
    return out


def cast_many(chunks: list[pd.DataFrame], contract: Contract,
              month_start: pd.Timestamp) -> tuple[CastResult | None, list[CastResult]]:
    """cast_chunk on each of several chunks with the same columns, done in ONE pass over their rows.

    Returns the cast of the concatenation (index = position, None when cast chunk by chunk) and each
    chunk's own CastResult, equal to cast_chunk(chunk) (values, dtypes, issues and their order): the
    per-call cost of pandas dominates small member files, one pass for a whole window removes it.
    """
    if len(chunks) == 1:
        return None, [cast_chunk(chunks[0], contract, month_start)]
    big_raw = pd.concat(chunks, ignore_index=True)
    if not _batch_safe(big_raw, contract):
        return None, [cast_chunk(c, contract, month_start) for c in chunks]
    big = cast_chunk(big_raw, contract, month_start)
    # A column with no value at all in a chunk gets the dtype an all-empty chunk gets (e.g. dates:
    # datetime64[s] when nothing parsed, datetime64[us] otherwise).
    probe = cast_chunk(pd.DataFrame({c: [""] for c in chunks[0].columns}), contract, month_start).typed.dtypes
    offsets = np.cumsum([0] + [len(c) for c in chunks])
    issues = split_issues(big.issues, offsets, [c.index for c in chunks])
    results = []
    for k, chunk in enumerate(chunks):
        typed = big.typed.iloc[offsets[k]:offsets[k + 1]].copy()
        typed.index = chunk.index
        for column in typed.columns:
            wanted = probe.get(column)
            if wanted is not None and typed[column].dtype != wanted and typed[column].isna().all():
                typed[column] = typed[column].astype(wanted)
        results.append(CastResult(typed, issues[k], chunk))
    return big, results
