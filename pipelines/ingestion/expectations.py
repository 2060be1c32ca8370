"""The agreed definitions as great-expectations suites, validated on pandas chunks.

The suites live in expectations/*.yaml (one family per file); this module turns them into one GE
ExpectationSuite per contract (only the expectations whose column the contract fills), validates
chunks, and maps GE's unexpected values back to rows with the suite's reason code.

Speed: GE's cost is per expectation and per row. Every agreed definition here is a single-column
predicate (in a set, between bounds, not null), so validating the DISTINCT values of each column is
equivalent to validating every row, and a 200,000-row chunk becomes a few hundred distinct values.
`mode="rows"` validates every row instead (same result, slower; tests compare the two).
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from pipelines.config import REPO_ROOT
from pipelines.ingestion.contracts import Contract
from pipelines.reference import Reference

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
logging.getLogger("great_expectations").setLevel(logging.ERROR)

EXPECTATIONS_DIR = REPO_ROOT / "expectations"
SUITE_FILES = ("codes", "ranges", "period", "territory", "registry", "counts", "completeness")


@dataclass(frozen=True)
class Rule:
    """One expectation of a family, bound to a column."""

    family: str
    type: str
    column: str
    kwargs: tuple            # sorted (name, value) pairs, hashable
    reason: str
    blocking: bool


def expectations_dir() -> Path:
    override = os.environ.get("SPRO_EXPECTATIONS_DIR")
    return Path(override) if override else EXPECTATIONS_DIR


@lru_cache(maxsize=4)
def load_families(folder: Path) -> dict[str, dict]:
    """The suite files of expectations/ (YAML), by family name."""
    families = {}
    for name in SUITE_FILES + ("uniqueness",):
        path = folder / f"{name}.yaml"
        if path.exists():
            families[name] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return families


def uniqueness_keys() -> dict[str, list[str]]:
    return load_families(expectations_dir()).get("uniqueness", {}).get("keys", {})


def _resolve_value_set(value, column: str, contract: Contract, reference: Reference):
    if value == "$contract":
        spec = contract.targets.get(column)
        return sorted(set((spec.codes or {}).values())) if spec else None
    if isinstance(value, str) and value.startswith("$ref:"):
        name = value[len("$ref:"):]
        return sorted(reference.codes(name)) if reference.has(name) else None
    return value


def rules_for(contract: Contract, reference: Reference, columns: set[str]) -> list[Rule]:
    """The rules that apply to a contract's typed columns (a missing seed skips its rule)."""
    rules: list[Rule] = []
    for family, suite in load_families(expectations_dir()).items():
        if family == "uniqueness":
            continue
        blocking = bool(suite.get("blocking", True))
        for item in suite.get("expectations", []):
            targets = [item["column"]]
            if item["column"] == "$non_nullable":
                targets = [c.target for c in contract.columns if c.target and not c.nullable]
            for column in targets:
                if column not in columns:
                    continue
                kwargs = {k: v for k, v in item.items() if k not in ("type", "column", "reason")}
                if "value_set" in kwargs:
                    kwargs["value_set"] = _resolve_value_set(kwargs["value_set"], column, contract, reference)
                    if kwargs["value_set"] is None:
                        continue
                    kwargs["value_set"] = tuple(kwargs["value_set"])
                rules.append(Rule(family, item["type"], column, tuple(sorted(kwargs.items())), item["reason"], blocking))
    return rules


# ------------------------------------------------------------------------------------------------
# great-expectations objects, built once per process
# ------------------------------------------------------------------------------------------------

_DATE_LITERAL = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _param_name(value: str) -> str:
    return "lit_" + value.replace("-", "_") if _DATE_LITERAL.match(value) else value.lstrip("$")


@lru_cache(maxsize=1)
def _batch_definition():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    try:
        context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    except Exception:  # pragma: no cover - cosmetic only
        pass
    source = context.data_sources.add_pandas("spro_chunks")
    asset = source.add_dataframe_asset("chunk")
    return asset.add_batch_definition_whole_dataframe("whole_chunk")


_SUITES: dict[tuple, object] = {}


def _ge_expectation(rule: Rule, index: int):
    import great_expectations.expectations as gxe

    classes = {
        "expect_column_values_to_be_in_set": gxe.ExpectColumnValuesToBeInSet,
        "expect_column_values_to_be_between": gxe.ExpectColumnValuesToBeBetween,
        "expect_column_values_to_not_be_null": gxe.ExpectColumnValuesToNotBeNull,
    }
    kwargs = dict(rule.kwargs)
    if "value_set" in kwargs:
        kwargs["value_set"] = list(kwargs["value_set"])
    for bound in ("min_value", "max_value"):
        value = kwargs.get(bound)
        if isinstance(value, str) and (value.startswith("$") or _DATE_LITERAL.match(value)):
            kwargs[bound] = {"$PARAMETER": _param_name(value)}
    meta = {"reason_code": rule.reason, "family": rule.family, "rule_index": index}
    return classes[rule.type](column=rule.column, meta=meta, **kwargs)


def suite_for(contract: Contract, rules: list[Rule]):
    """One GE suite per (contract, rules): built once, reused for every chunk of every file."""
    import great_expectations as gx

    key = (contract.name, tuple(rules))
    if key not in _SUITES:
        suite = gx.ExpectationSuite(name=f"spro_{contract.name}_{len(_SUITES)}")
        for index, rule in enumerate(rules):
            suite.add_expectation(_ge_expectation(rule, index))
        _SUITES[key] = suite
    return _SUITES[key]


def month_parameters(month_start: pd.Timestamp, rules: list[Rule]) -> dict:
    """Values of the $PARAMETERs: the declared month's bounds and the literal dates of the suites."""
    next_month = month_start + pd.offsets.MonthBegin(1)
    params = {
        "month_start": month_start,
        "next_month_start": next_month,
        "month_end": next_month - pd.Timedelta(days=1),
        "horizon_end": next_month + pd.DateOffset(years=1),
    }
    for rule in rules:
        for name, value in rule.kwargs:
            if name in ("min_value", "max_value") and isinstance(value, str) and _DATE_LITERAL.match(value):
                params[_param_name(value)] = pd.Timestamp(value)
    return params


# ------------------------------------------------------------------------------------------------
# validation
# ------------------------------------------------------------------------------------------------


def _for_ge(series: pd.Series) -> pd.Series:
    """Plain numpy/object dtypes: GE's pandas metrics are written for them, not for nullable ones."""
    if isinstance(series.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(series):
        return series
    if pd.api.types.is_integer_dtype(series) or pd.api.types.is_float_dtype(series):
        return series.astype("float64")
    return series.astype(object).where(series.notna(), None)


def distinct_frame(typed: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """Each column's distinct values side by side, padded by repeating the first value."""
    uniques = {c: pd.Series(typed[c].unique()) for c in columns}
    length = max((len(u) for u in uniques.values()), default=0)
    data = {}
    for column, values in uniques.items():
        pad = length - len(values)
        padded = pd.concat([values, pd.Series([values.iloc[0]] * pad)], ignore_index=True) if pad else values
        data[column] = _for_ge(padded.astype(typed[column].dtype))
    return pd.DataFrame(data), uniques


# Verdict cache: (rule, month) -> {value: passed}. A value great-expectations has judged for a rule
# and a month is not sent again: after the first files, most chunks have no new value at all and
# skip GE entirely. Bounded per rule, so memory stays flat on long runs.
_VERDICTS: dict[tuple, dict] = {}
VERDICT_CACHE_LIMIT = 200_000


def _uses_month(rule: Rule) -> bool:
    return any(isinstance(v, str) and v.startswith("$") for _, v in rule.kwargs)


def _verdict_key(rule: Rule, month_start: pd.Timestamp) -> tuple:
    return rule, month_start if _uses_month(rule) else None


def _verdicts(rule: Rule, month_start: pd.Timestamp) -> dict:
    return _cache_for(_verdict_key(rule, month_start))


def _cache_for(key: tuple) -> dict:
    """The verdict cache of a (rule, month or None), emptied once it has passed its bound."""
    cache = _VERDICTS.setdefault(key, {})
    if len(cache) > VERDICT_CACHE_LIMIT:
        cache.clear()
    return cache


# Verdicts great-expectations gave in this process since the last export_verdicts: each ingestion
# worker publishes them after each window and reads those the others published (parallel.py), so a
# value judged by one worker is not judged again by the other, nor by a worker's replacement. On a
# region-year, GE took 22 % of the workers' CPU (1,224 calls, six workers each judging the values
# anew). A verdict depends only on the rule, the month and the value, not on who judged it.
# None: not collected (the writer's own validations, which nobody exports).
_FRESH: dict[tuple, dict] | None = None


def collect_verdicts() -> None:
    """From now on, remember the verdicts judged here for export_verdicts (an ingestion worker)."""
    global _FRESH
    _FRESH = {}


def export_verdicts() -> dict[tuple, dict]:
    """The verdicts judged here since the last call ({(rule, month or None): {value key: passed}});
    empty unless collect_verdicts was called."""
    global _FRESH
    if _FRESH is None:
        return {}
    fresh, _FRESH = _FRESH, {}
    return fresh


def import_verdicts(verdicts: dict[tuple, dict]) -> None:
    """Verdicts judged elsewhere (export_verdicts of another process) into this process's cache."""
    for key, values in verdicts.items():
        _cache_for(key).update(values)


def _cache_key(value):
    return None if pd.isna(value) else value


_EXACT_US_UNITS = ("datetime64[s]", "datetime64[ms]", "datetime64[us]")


def _cache_keys(values: pd.Series) -> list:
    """[_cache_key(v) for v in values] in one pass (timestamps columns have ~all-distinct values).

    A naive datetime column of second, milli- or microsecond resolution is keyed by its integer
    microseconds since the epoch (exact for those units) instead of one pandas Timestamp object per
    value, which cost more than GE's own check on event logs. Nanosecond columns keep Timestamps:
    the two kinds of keys never compare equal, so at worst a value is judged again;
    _issues_from_bad_values matches rows against both kinds.
    """
    missing = values.isna().to_numpy()
    if str(values.dtype) in _EXACT_US_UNITS:
        micros = values.to_numpy().astype("datetime64[us]").view("int64").tolist()
        return [None if m else v for v, m in zip(micros, missing)]
    return [None if m else v for v, m in zip(values.astype(object).tolist(), missing)]


def _isin_keys(series: pd.Series, keys: list) -> pd.Series:
    """series.isin(keys) where keys may hold integer microseconds for a datetime column (_cache_keys)."""
    if str(series.dtype) in _EXACT_US_UNITS:
        micros = [k for k in keys if type(k) is int]
        others = [k for k in keys if type(k) is not int]
        mask = np.isin(series.to_numpy().astype("datetime64[us]").view("int64"), np.array(micros, dtype=np.int64))
        mask &= ~series.isna().to_numpy()
        result = pd.Series(mask, index=series.index)
        return result | series.isin(others) if others else result
    return series.isin(keys)


def _judge_with_ge(contract, rules: list[Rule], values: dict[Rule, pd.Series], month_start) -> dict[Rule, set]:
    """Run GE on the distinct new values of each rule's column; return the failing values per rule."""
    columns = sorted({r.column for r in rules})
    length = max(len(values[r]) for r in rules)
    data = {}
    per_column: dict[str, pd.Series] = {}
    for rule in rules:
        per_column.setdefault(rule.column, values[rule])
    for column in columns:
        vals = per_column[column]
        for rule in rules:
            if rule.column == column and len(values[rule]) > len(vals):
                vals = values[rule]
        per_column[column] = vals
    for column, vals in per_column.items():
        pad = length - len(vals)
        padded = pd.concat([vals, pd.Series([vals.iloc[0]] * pad, dtype=vals.dtype)], ignore_index=True) if pad else vals.reset_index(drop=True)
        data[column] = _for_ge(padded)
    frame = pd.DataFrame(data)
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(suite_for(contract, rules), result_format={"result_format": "COMPLETE"},
                            expectation_parameters=month_parameters(month_start, rules))
    failing: dict[Rule, set] = {r: set() for r in rules}
    for item in result.results:
        rule = rules[item.expectation_config.meta["rule_index"]]
        column_values = per_column[rule.column]
        if item.expectation_config.type == "expect_column_values_to_not_be_null":
            if not item.success:
                failing[rule].add(None)
            continue
        if not item.success:
            positions = np.asarray(item.result.get("unexpected_index_list") or [], dtype=np.int64)
            if len(positions):
                positions = np.where(positions < len(column_values), positions, 0)
                failing[rule].update(_cache_keys(column_values.iloc[positions]))
    return failing


def _judged_by_day(rule: Rule, series: pd.Series) -> bool:
    """Whether a rule on a datetime column may judge a representative of each value's day (_judged)
    instead of the value itself.

    Why: an event log's or a registration list's timestamps are almost all distinct, so judging
    distinct values still sent great-expectations nearly every row (a Lorfolio month: ~45 % of its
    CPU, in GE's per-value datetime comparison). Allowed for a `between` rule whose bounds are all at
    midnight (every month parameter and date literal of the suites is, month_parameters), whatever
    their strictness: see _judged.
    """
    if rule.type != "expect_column_values_to_be_between" or not pd.api.types.is_datetime64_any_dtype(series):
        return False
    kwargs = dict(rule.kwargs)
    bounds = [kwargs[b] for b in ("min_value", "max_value") if kwargs.get(b) is not None]
    return all(isinstance(b, str) and (b.startswith("$") or _DATE_LITERAL.match(b)) for b in bounds)


NOON = pd.Timedelta(hours=12)


def _judged(typed: pd.DataFrame, rule: Rule) -> pd.Series:
    """The values great-expectations judges for a rule: the column, or (_judged_by_day) each value's
    day representative: a midnight stays itself, any other time becomes its day's noon.

    Exact for bounds at midnight, strict or not: a time v strictly inside day d lies strictly between
    two consecutive midnights, and so does d's noon, so for every midnight X, X <= v <=> X <= noon and
    v <= X <=> noon <= X (and the same for < ); a midnight is compared as itself. A month of
    timestamps then has at most two values per day to judge.
    """
    series = typed[rule.column]
    if not _judged_by_day(rule, series):
        return series
    day = series.dt.floor("D")
    return day.where(series == day, day + NOON)


def _column_values(typed: pd.DataFrame, rule: Rule) -> pd.Series:
    """The values a rule judges in a chunk: the column's distinct values (or just None for not-null)."""
    uniques = pd.Series(_judged(typed, rule).unique())
    if rule.type == "expect_column_values_to_not_be_null":
        uniques = pd.Series([None]) if typed[rule.column].isna().any() else uniques.iloc[0:0]
    return uniques


def _unknown(uniques: pd.Series, cache: dict) -> tuple[list, pd.Series | None]:
    """(cache keys of the values, the values the cache has no verdict for yet, or None)."""
    keys = _cache_keys(uniques)
    unknown = [i for i, k in enumerate(keys) if k not in cache]
    return keys, (uniques.iloc[unknown].reset_index(drop=True) if unknown else None)


def _judge_and_remember(contract, to_judge: dict[Rule, pd.Series], month_start) -> dict[Rule, set]:
    """One great-expectations validation of the new values of each rule; the verdicts are cached."""
    judged_rules = list(to_judge)
    failing = _judge_with_ge(contract, judged_rules, to_judge, month_start)
    for rule in judged_rules:
        cache = _verdicts(rule, month_start)
        fresh = _FRESH.setdefault(_verdict_key(rule, month_start), {}) if _FRESH is not None else {}
        bad = failing[rule]
        for key in _cache_keys(to_judge[rule]):
            cache[key] = fresh[key] = key not in bad
    return failing


def prejudge(typed_chunks: list[pd.DataFrame], contract: Contract, reference: Reference,
             month_start: pd.Timestamp) -> int:
    """Fill the verdict cache with the new distinct values of MANY chunks of one contract and month.

    The ingestion of a partition reads its files ahead and calls this once per (contract, month):
    one great-expectations validation judges every value the files bring, instead of one validation
    per file (GE's fixed cost per call dominates small files). Verdicts are per value, so judging a
    value together with other files' values gives the same verdict as judging it alone; the per-file
    validate_chunk then finds every verdict cached. Returns the number of values judged.
    """
    chunks = [t for t in typed_chunks if not t.empty]
    if not chunks:
        return 0
    columns = set(chunks[0].columns)
    for typed in chunks[1:]:
        columns &= set(typed.columns)
    rules = rules_for(contract, reference, columns)
    to_judge: dict[Rule, pd.Series] = {}
    for rule in rules:
        cache = _verdicts(rule, month_start)
        parts = [_column_values(typed, rule) for typed in chunks]
        parts = [p for p in parts if len(p)]
        if not parts:
            continue
        if rule.type == "expect_column_values_to_not_be_null":
            uniques = pd.Series([None])
        else:
            uniques = pd.Series(pd.concat(parts, ignore_index=True).unique())
        _, unknown = _unknown(uniques, cache)
        if unknown is not None:
            to_judge[rule] = unknown
    if not to_judge:
        return 0
    _judge_and_remember(contract, to_judge, month_start)
    return sum(len(v) for v in to_judge.values())


def validate_chunk(typed: pd.DataFrame, raw: pd.DataFrame, contract: Contract, reference: Reference,
                   month_start: pd.Timestamp, mode: str = "distinct") -> pd.DataFrame:
    """Row issues (source_row, reason_code, column, value) found by the suites on one typed chunk."""
    rules = rules_for(contract, reference, set(typed.columns))
    empty = pd.DataFrame(columns=["source_row", "reason_code", "column", "value"])
    if not rules or typed.empty:
        return empty
    if mode == "rows":
        return _validate_rows(typed, raw, contract, rules, month_start)
    bad_values: dict[Rule, set] = {}
    to_judge: dict[Rule, pd.Series] = {}
    for rule in rules:
        cache = _verdicts(rule, month_start)
        keys, unknown = _unknown(_column_values(typed, rule), cache)
        bad_values[rule] = {k for k in keys if cache.get(k) is False}
        if unknown is not None:
            to_judge[rule] = unknown
    if to_judge:
        failing = _judge_and_remember(contract, to_judge, month_start)
        for rule in to_judge:
            bad_values[rule] |= failing[rule]
    return _issues_from_bad_values(typed, raw, contract, bad_values)


def _issues_from_bad_values(typed, raw, contract, bad_values: dict[Rule, set]) -> pd.DataFrame:
    sources = {c.target: c.source for c in contract.columns if c.target}
    found = []
    for rule, values in bad_values.items():
        if not values:
            continue
        column = rule.column
        if rule.type == "expect_column_values_to_not_be_null":
            mask = typed[column].isna()
            source = sources.get(column)
            if source in raw.columns:   # a value that failed to parse already has its own reason
                mask &= raw[source].astype(str).str.strip() == ""
        else:
            mask = _isin_keys(_judged(typed, rule), [v for v in values if v is not None])
        if mask.any():
            rows = typed.index[mask.to_numpy()]
            source = sources.get(column, column)
            shown = raw.loc[rows, source] if source in raw.columns else typed.loc[rows, column]
            found.append(pd.DataFrame({"source_row": np.asarray(rows, dtype="int64"),
                                       "reason_code": rule.reason, "column": source,
                                       "value": shown.astype(str).to_numpy()}))
    if not found:
        return pd.DataFrame(columns=["source_row", "reason_code", "column", "value"])
    return pd.concat(found, ignore_index=True)


def _validate_rows(typed, raw, contract, rules, month_start) -> pd.DataFrame:
    """Every row through GE (no distinct values, no cache): the reference the fast path is tested against."""
    used = sorted({r.column for r in rules})
    frame = pd.DataFrame({c: _for_ge(typed[c]) for c in used}).reset_index(drop=True)
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(suite_for(contract, rules), result_format={"result_format": "COMPLETE"},
                            expectation_parameters=month_parameters(month_start, rules))
    bad_values: dict[Rule, set] = {}
    for item in result.results:
        rule = rules[item.expectation_config.meta["rule_index"]]
        if item.success:
            continue
        if rule.type == "expect_column_values_to_not_be_null":
            bad_values[rule] = {None}
        else:
            positions = item.result.get("unexpected_index_list") or []
            judged = _judged(typed, rule)      # a failing timestamp's day fails whole (_judged_by_day)
            bad_values[rule] = {_cache_key(judged.iloc[p]) for p in positions}
    return _issues_from_bad_values(typed, raw, contract, bad_values)


def duplicate_mask(typed: pd.DataFrame, raw: pd.DataFrame, table: str, seen: np.ndarray) -> tuple[pd.Series, np.ndarray]:
    """Rows whose key already appeared earlier in the file (keep the first), and the updated seen keys.

    Hashes of the key are kept across chunks (8 bytes per row) so duplicates in different chunks of
    a large file are found too.
    """
    key = uniqueness_keys().get(table, ["*"])
    if key == ["*"]:
        frame = raw.drop(columns=[c for c in raw.columns if c.startswith("__")], errors="ignore")
    else:
        present = [c for c in key if c in typed.columns]
        if not present:
            return pd.Series(False, index=typed.index), seen
        frame = typed[present]
    hashes = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    within = pd.Series(hashes).duplicated(keep="first").to_numpy()
    mask = pd.Series(within | in_sorted(hashes, seen), index=typed.index)
    return mask, sorted_union(seen, hashes)


# Set operations on 64-bit hashes by sorting, written by hand: numpy 2.4's np.isin and np.union1d
# go through np.unique, which hashes integers into a table, and that measured ~0.7 us per value
# here (230 ms for 350,000 uint64) against 5 ms to sort them: on a Lorfolio month (275,000 rows in 6
# chunks) they were 0.6 s of the 1.0 s the duplicate rows cost.


def in_sorted(values: np.ndarray, sorted_values: np.ndarray) -> np.ndarray:
    """np.isin(values, sorted_values) for a sorted array without repeats."""
    if not len(sorted_values):
        return np.zeros(len(values), dtype=bool)
    positions = np.minimum(np.searchsorted(sorted_values, values), len(sorted_values) - 1)
    return sorted_values[positions] == values


def sorted_union(sorted_values: np.ndarray, values: np.ndarray) -> np.ndarray:
    """np.union1d(sorted_values, values): sorted, without repeats."""
    merged = np.concatenate([sorted_values, values])
    merged.sort()
    if len(merged) < 2:
        return merged
    return merged[np.concatenate([[True], merged[1:] != merged[:-1]])]
