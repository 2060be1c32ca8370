"""Load one inbox file: read, type, check, pseudonymise, write, in ONE DuckDB transaction.

Nothing lost, nothing doubled:
- rows read = rows loaded + rows quarantined, asserted before commit and recorded in the ledger;
- the same content twice loads once (the ledger knows its sha256);
- a new content for the same feed, sender and month replaces the earlier version: its rows are
  deleted and the new ones inserted in the same transaction, the ledger keeps both entries;
- any failure rolls the transaction back: the partition stays as it was; a crash of the process
  leaves no committed half-load (DuckDB discards an uncommitted transaction), so a re-run redoes it.
  (With worker processes, service.write_window commits several prepared files in one transaction
  and, if one fails, rolls them all back and writes them again one transaction each.)

Two halves: chunk_payloads does the CPU-bound work that needs no database (read, cast, GE suites,
duplicate rows, redaction, pseudonyms, comparison tokens, the Arrow tables and quarantine records),
in a worker process (parallel.py) or here; process_file / load_rows make the ledger's decisions and
write, in the single writer process, adding what only the load knows (version, loaded_at).
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from pipelines.config import Settings
from pipelines.ingestion import ledger
from pipelines.ingestion.casting import UNMAPPED_PREFIX, CastResult, cast_chunk, cast_many, empty_issues, split_issues
from pipelines.ingestion.common_model import FEED_TABLE, stored_columns
from pipelines.ingestion.contracts import ContractSet
from pipelines.ingestion.expectations import duplicate_mask, prejudge, validate_chunk
from pipelines.ingestion.inbox import InboxFile
from pipelines.ingestion.pseudonymise_at_door import identity_tokens, key_id, pseudonymise_arrow, pseudonymise_frame
from pipelines.ingestion.readers import DEFAULT_CHUNK_ROWS, StructuralRejection, read_chunks
from pipelines.ingestion.reasons import primary
from pipelines.reference import Reference

log = logging.getLogger(__name__)

MASKED = "(valeur masquée : donnée personnelle)"
REPORT_ROW_LIMIT = 5_000     # rows detailed in a member report; the JSON says when it is cut


@dataclass
class IngestContext:
    settings: Settings
    contracts: ContractSet
    reference: Reference
    key: bytes
    run_id: str | None = None
    chunk_rows: int = DEFAULT_CHUNK_ROWS
    mode: str = "distinct"
    force: bool = False


@dataclass
class FileOutcome:
    file_name: str
    feed: str
    contract: str | None
    sender: str | None
    month: str | None
    sha256: str
    size_bytes: int
    version: int | None
    status: str               # loaded | rejected | duplicate | failed | already
    reason_code: str | None = None
    reason_detail: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_flagged: int = 0
    quarantined: list[dict] = field(default_factory=list)    # per row: source_row, reasons, details
    flagged: list[dict] = field(default_factory=list)
    received_at: datetime | None = None
    loaded_at: datetime | None = None
    truncated: bool = False


@dataclass
class PreparedFile:
    """A file read and typed ahead of its load (see prepare_files); used once, then dropped."""

    sha256: str
    # (text chunk, its cast, its pre-computed (suite issues, safety-net issues) or None); None: read at load time
    chunks: list[tuple[pd.DataFrame, CastResult, tuple | None]] | None = None
    # or: a file of the chunks' payloads, fully prepared by a worker process (see read_spill)
    spill: str | None = None
    # or: the chunks' payloads, computed with the window's other files (window_payloads)
    payloads: list | None = None


PREPARE_MAX_FILE_BYTES = 16 << 20    # larger files are streamed chunk by chunk at load time, as before


def sha256_of(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _month_start(month: str | None) -> pd.Timestamp | None:
    return pd.Timestamp(f"{month}-01") if month else None


def tables_of_feed(feed: str) -> list[str]:
    return sorted({table for (f, _), table in FEED_TABLE.items() if f == feed})


def delete_previous(con, feed: str, sender: str, month_date, sha: str) -> None:
    """Remove the rows of earlier versions of (feed, sender, month): the new version replaces them.

    ops.quarantine and ops.row_flags keep the history of replaced versions (they are keyed by the
    file's sha256); only a re-load of the same content clears its own earlier entries.
    """
    for table in tables_of_feed(feed):
        con.execute(f"delete from raw.{table} where sender_code = ? and period_month = ?", [sender, month_date]).fetchall()
    for ops_table in ("quarantine", "row_flags"):
        con.execute(f"delete from ops.{ops_table} where file_sha256 = ? and feed = ? and sender_code = ? "
                    "and period_month = ?", [sha, feed, sender, month_date]).fetchall()
    exists = con.execute("select count(*) from information_schema.tables where table_schema='ops' "
                         "and table_name='identity_tokens'").fetchall()[0][0]
    if exists:
        for table in tables_of_feed(feed):
            con.execute("delete from ops.identity_tokens where table_name = ? and sender_code = ? "
                        "and period_month = ?", [table, sender, month_date]).fetchall()


def _insert_frame(con, table: str, frame: pd.DataFrame, columns: list[str]) -> None:
    """Insert a frame's columns without a Python loop.

    Through an Arrow table read by DuckDB's replacement scan: no view is created and dropped in the
    catalog per insert, and DuckDB scans Arrow strings much faster than pandas ones. A frame Arrow
    cannot type (mixed Python objects in a column) goes through a registered pandas view, as before.
    `frame` may already be a pyarrow Table (raw rows, identity tokens): its columns are inserted as
    they are, and a column of `columns` it lacks is left NULL, as a None column of a frame would be.
    """
    quoted = ", ".join(f'"{c}"' for c in columns)
    if isinstance(frame, pa.Table):     # already Arrow (identity tokens): insert as it is
        _spro_arrow_chunk = frame.select([c for c in columns if c in frame.column_names])
        present = ", ".join(f'"{c}"' for c in _spro_arrow_chunk.column_names)
        con.execute(f"insert into {table} ({present}) select {present} from _spro_arrow_chunk").fetchall()
        return
    for column in columns:
        if column not in frame.columns:
            frame[column] = None
    selected = frame[columns]
    try:
        _spro_arrow_chunk = pa.Table.from_pandas(selected, preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError):
        con.register("_spro_chunk", selected)
        try:
            con.execute(f"insert into {table} ({quoted}) select {quoted} from _spro_chunk").fetchall()
        finally:
            con.unregister("_spro_chunk")
        return
    con.execute(f"insert into {table} ({quoted}) select {quoted} from _spro_arrow_chunk").fetchall()


def _with_columns(table: pa.Table, columns: dict) -> pa.Table:
    for name, array in columns.items():
        table = table.append_column(name, array)
    return table


# Lineage columns of raw.<table>: source_row comes with the rows (prepared in a worker or not), the
# others depend on the ledger's decision (version) or on the load itself (loaded_at), so the writer
# adds them. Same names and order as before the split.
LINEAGE_COLUMNS = ("source_row", "source_file", "file_sha256", "file_version", "period_month", "sender_code",
                   "loaded_at")


def _stored_arrow(good: pd.DataFrame, personal: set[str], sender: str | np.ndarray | None, key: bytes,
                  columns: list[str], source_rows: np.ndarray | None = None) -> pa.Table | None:
    """The rows as raw.<table> stores them (pseudonymised, with source_row but not the other lineage
    columns, see _with_lineage), as an Arrow table; None when a column cannot be typed by Arrow (the
    pandas path then handles it, as before). `sender` may give each row's sender and `source_rows`
    each row's line number (the rows of several files, window_payloads); by default the index."""
    try:
        stored = pseudonymise_arrow(good, personal, sender, key, columns)
    except (pa.ArrowException, TypeError, ValueError):
        return None
    if stored is None:
        return None
    # Lineage wins over a typed column of the same name (an aggregate's period_month), as assign did.
    stored = stored.drop_columns([name for name in LINEAGE_COLUMNS if name in stored.column_names])
    if "source_row" in columns:
        rows = good.index.to_numpy(dtype="int64") if source_rows is None else source_rows
        stored = stored.append_column("source_row", pa.array(rows))
    return stored


# Arrow types of the constant columns the writer adds (the tables' own types, or what pandas gave them).
CONSTANT_TYPES = {"source_file": pa.string(), "file_sha256": pa.string(), "file_version": pa.int64(),
                  "period_month": pa.date32(), "sender_code": pa.string(), "feed": pa.string(),
                  "table_name": pa.string(), "loaded_at": pa.timestamp("us"),
                  "quarantined_at": pa.timestamp("us"), "flagged_at": pa.timestamp("us")}


def _with_constants(rows, constants: dict):
    """rows (an Arrow table, or a DataFrame Arrow could not type) with one column per constant."""
    if not isinstance(rows, pa.Table):
        return rows.assign(**constants)
    n = rows.num_rows
    return _with_columns(rows, {name: pa.repeat(pa.scalar(value, CONSTANT_TYPES[name]), n)
                                for name, value in constants.items()})


def _with_lineage(stored: pa.Table, lineage: dict, columns: list[str]) -> pa.Table:
    """Append the lineage constants (all but source_row) of the file's load to its prepared rows."""
    return _with_constants(stored, {name: lineage[name] for name in LINEAGE_COLUMNS[1:] if name in columns})


def _as_arrow(frame: pd.DataFrame):
    """The frame as an Arrow table (what _insert_frame would convert it to), or itself if Arrow cannot."""
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError):
        return frame


def _code_safety_net(typed: pd.DataFrame, raw: pd.DataFrame, contract) -> pd.DataFrame:
    """Unknown member codes that no suite covered are still unknown codes (never loaded as '?X')."""
    found = []
    for spec in contract.columns:
        if spec.type == "code" and spec.target in typed.columns:
            values = typed[spec.target].astype("string")
            bad = values.str.startswith(UNMAPPED_PREFIX).fillna(False)
            if bad.any():
                rows = typed.index[bad.to_numpy()]
                found.append(pd.DataFrame({"source_row": np.asarray(rows, dtype="int64"), "reason_code": "UNKNOWN_CODE",
                                           "column": spec.source, "value": raw.loc[rows, spec.source].astype(str).to_numpy()}))
    return pd.concat(found, ignore_index=True) if found else empty_issues()


def row_issues(cast, raw, contract, ctx: IngestContext, month_start, seen,
               checked: tuple | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """All row-level issues of one chunk: casting, the GE suites, duplicates.

    `checked`: the suites' and the safety net's issues of this chunk, computed ahead (prepare_files).
    """
    if checked is None:
        checked = (validate_chunk(cast.typed, raw, contract, ctx.reference, month_start, ctx.mode),
                   _code_safety_net(cast.typed, raw, contract))
    parts = [cast.issues, *checked]
    dup, seen = duplicate_mask(cast.typed, raw, contract.table, seen)
    if dup.any():
        rows = cast.typed.index[dup.to_numpy()]
        parts.append(pd.DataFrame({"source_row": np.asarray(rows, dtype="int64"), "reason_code": "DUPLICATE_ROW",
                                   "column": "", "value": ""}))
    issues = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else empty_issues()
    return issues.drop_duplicates(["source_row", "reason_code", "column"]), seen


def quarantine_records(issues: pd.DataFrame, contract) -> list[dict]:
    """One record per quarantined row: primary reason, all reasons, details (personal values masked)."""
    personal_sources = {c.source for c in contract.columns if c.target and contract.is_personal(c.target)}
    records = []
    # A stable sort then one pass over plain lists: the same groups, in the same order (rows
    # ascending, issues in their order within a row) as a pandas groupby, without its per-group cost.
    order = np.argsort(issues["source_row"].to_numpy(dtype="int64"), kind="stable")
    rows = issues["source_row"].to_numpy(dtype="int64")[order].tolist()
    reasons = issues["reason_code"].to_numpy(dtype=object)[order].tolist()
    columns = issues["column"].to_numpy(dtype=object)[order].tolist()
    values = issues["value"].to_numpy(dtype=object)[order].tolist()
    start = 0
    while start < len(rows):
        end = start
        while end < len(rows) and rows[end] == rows[start]:
            end += 1
        codes = list(dict.fromkeys(reasons[start:end]))
        details = [{"colonne": col, "raison": code, "valeur": MASKED if col in personal_sources else val}
                   for code, col, val in zip(reasons[start:end], columns[start:end], values[start:end])]
        records.append({"source_row": rows[start], "reason_code": primary(codes), "reasons": codes, "details": details})
        start = end
    return records


def _typed_chunks(f: InboxFile, ctx: IngestContext, month_start, prepared: PreparedFile | None):
    """(text chunk, cast result, checked issues or None): the ones prepared ahead, or streamed now."""
    if prepared is not None and prepared.chunks is not None:
        chunks, prepared.chunks = prepared.chunks, None
        yield from chunks
        return
    for chunk in read_chunks(f.path, f.contract, ctx.chunk_rows):
        yield chunk, cast_chunk(chunk, f.contract, month_start), None


@dataclass
class ChunkPayload:
    """One chunk of a file judged and transformed, ready to be written: everything but the values the
    ledger decides at load time (version, loaded_at). Built in a worker process or in the writer."""

    rows_read: int
    source_rows: np.ndarray                 # the loaded rows' line numbers (int64)
    stored: pa.Table | pd.DataFrame         # raw.<table> rows, pseudonymised, without lineage (see _with_lineage)
    # Arrow tables (DataFrames if Arrow cannot type them), the writer adds the constant columns:
    quarantine: pa.Table | pd.DataFrame | None = None   # source_row, reason_code, reasons, details
    records: list[dict] = field(default_factory=list)   # quarantine records for the report (capped)
    n_records: int = 0
    flags: pa.Table | pd.DataFrame | None = None        # source_row, reason_code, column_name
    flag_records: list[dict] = field(default_factory=list)   # for the report (capped)
    n_flagged: int = 0
    tokens: pa.Table | None = None          # ops.identity_tokens rows, complete


def _file_columns(f: InboxFile, ctx: IngestContext) -> tuple[set[str], list[str]]:
    """(personal targets, stored columns of raw.<table>) for a file's contract."""
    contract = f.contract
    personal = ctx.contracts.personal_targets(contract.table) | {c.target for c in contract.columns
                                                                 if c.target and contract.is_personal(c.target)}
    return personal, [name for name, _ in stored_columns(contract.table, personal)]


def chunk_payloads(f: InboxFile, ctx: IngestContext, sha: str, prepared: PreparedFile | None = None):
    """The file's chunks, each read, typed, checked (GE suites, duplicates), redacted, pseudonymised and
    tokenised: the CPU-bound part of a load, which needs no database (workers run it, see parallel.py).
    Raises StructuralRejection for bad input, as the readers do. The payloads prepare_chunks computed
    with the window's other files (window_payloads) are used as they are."""
    if prepared is not None and prepared.payloads is not None:
        payloads, prepared.payloads = prepared.payloads, None
        yield from payloads
        return
    contract = f.contract
    table = contract.table
    month_start = _month_start(f.month)
    personal, columns = _file_columns(f, ctx)
    seen = np.empty(0, dtype=np.uint64)
    for chunk, cast, checked in _typed_chunks(f, ctx, month_start, prepared):
        issues, seen = row_issues(cast, chunk, contract, ctx, month_start, seen, checked)
        bad_rows = pd.Index(issues["source_row"].unique())
        good = cast.typed.drop(index=bad_rows)
        flags = _redact(good)
        identities = identity_tokens(good, table, ctx.key)
        source_rows = good.index.to_numpy(dtype="int64")
        stored = _stored_arrow(good, personal, f.sender, ctx.key, columns)
        if stored is None:      # a column Arrow cannot type: through pandas, as before
            stored = pseudonymise_frame(good, personal, f.sender, ctx.key)
            pseudo = pa.Table.from_pandas(stored[[c for c in stored.columns if c.endswith("_pseudo")]],
                                          preserve_index=False)
        else:
            pseudo = stored
        payload = ChunkPayload(len(chunk), source_rows, stored)
        _add_quarantine(payload, issues, contract)
        _add_flags(payload, flags)
        if identities is not None:
            tokens, firsts, counts = identities
            _add_tokens(payload, tokens, firsts, counts, pseudo, f, sha)
        yield payload


def _add_quarantine(payload: ChunkPayload, issues: pd.DataFrame, contract) -> None:
    """The chunk's quarantined rows (one record per row with all its reasons), if it has any."""
    if not len(issues):
        return
    records = quarantine_records(issues, contract)
    payload.quarantine = _as_arrow(pd.DataFrame({
        "source_row": [r["source_row"] for r in records],
        "reason_code": [r["reason_code"] for r in records],
        "reasons": [",".join(r["reasons"]) for r in records],
        "details": [json.dumps(r["details"], ensure_ascii=False) for r in records]}))
    payload.records, payload.n_records = records[:REPORT_ROW_LIMIT], len(records)


def _add_flags(payload: ChunkPayload, flags: pd.DataFrame) -> None:
    """The chunk's redacted comments (source_row, reason_code, column), if it has any."""
    if not len(flags):
        return
    payload.n_flagged = flags["source_row"].nunique()
    fl = flags.rename(columns={"column": "column_name"})[["source_row", "reason_code", "column_name"]]
    payload.flags, payload.flag_records = _as_arrow(fl), fl.to_dict("records")[:REPORT_ROW_LIMIT]


def _add_tokens(payload: ChunkPayload, tokens: pa.Table, firsts: np.ndarray, counts: np.ndarray, pseudo: pa.Table,
                f: InboxFile, sha: str) -> None:
    """ops.identity_tokens rows of the chunk: one per distinct identity (its first row, its row count)."""
    n = len(firsts)
    names = pseudo.column_names
    person = pseudo.column("member_person_id_pseudo") if "member_person_id_pseudo" in names else (
        pseudo.column("ine_pseudo") if "ine_pseudo" in names else None)
    # The INE pseudonym travels with the tokens: it is the deterministic link between the
    # CIO's acts and the RIO lists (same keyed domain on both sides).
    payload.tokens = _with_columns(tokens, {
        "table_name": pa.array([f.contract.table] * n, pa.string()),
        "source_file": pa.array([f.name] * n, pa.string()),
        "file_sha256": pa.array([sha] * n, pa.string()),
        "sender_code": pa.array([f.sender] * n, pa.string()),
        "period_month": pa.array([_month_start(f.month).date()] * n, pa.date32()),
        "source_row": pa.array(payload.source_rows[firsts]),
        "row_count": pa.array(counts, pa.int32()),
        "person_pseudo": person.take(firsts) if person is not None else pa.nulls(n, pa.string()),
        "ine_pseudo": (pseudo.column("ine_pseudo").take(firsts) if "ine_pseudo" in names
                       else pa.nulls(n, pa.string())),
    })


def _rows(table: pa.Table, start: int, stop: int) -> pa.Table:
    """Rows start..stop of an Arrow table as a table of their own: a slice would be pickled (spill
    files) with its parent's whole buffers."""
    return table.take(pa.array(np.arange(start, stop, dtype=np.int64)))


def window_payloads(members: list[tuple[InboxFile, PreparedFile, pd.DataFrame, CastResult, tuple]],
                    big: CastResult, ctx: IngestContext) -> list[ChunkPayload] | None:
    """chunk_payloads for the chunks of several files of one contract, month and header, at once.

    `members` are the chunks in the order they were cast together into `big` (cast_many), each with
    its file, its PreparedFile, its text and its own cast and checked issues; a file's chunks come in
    order. Why: a window holds ~25 member files of a contract, and each step (redaction, comparison
    tokens, pseudonyms, the Arrow tables) has a fixed cost per call of a few milliseconds, paid per
    chunk otherwise. Every step is row by row (identities are grouped within their own chunk,
    duplicates are still found file by file), so each chunk gets exactly the payload chunk_payloads
    gives it alone; tests compare the two. None when a step cannot be batched (a column Arrow cannot
    type): the files are then processed chunk by chunk.
    """
    f0 = members[0][0]
    contract, table = f0.contract, f0.contract.table
    month_start = _month_start(f0.month)
    personal, columns = _file_columns(f0, ctx)
    seen: dict = {}
    issues_of, positions, source_rows = [], [], []
    offset = 0
    for f, _, chunk, cast, checked in members:
        issues, seen[f.path] = row_issues(cast, chunk, contract, ctx, month_start,
                                          seen.get(f.path, np.empty(0, dtype=np.uint64)), checked)
        issues_of.append(issues)
        good_rows = np.flatnonzero(~cast.typed.index.isin(issues["source_row"].unique()))
        positions.append(offset + good_rows)
        source_rows.append(cast.typed.index.to_numpy(dtype="int64")[good_rows])
        offset += len(chunk)
    sizes = np.array([len(p) for p in positions], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    owner = np.repeat(np.arange(len(members)), sizes)
    source_rows = np.concatenate(source_rows)
    # the good rows of every chunk, with a positional index (source rows repeat from file to file)
    good = big.typed.iloc[np.concatenate(positions)].reset_index(drop=True)
    flags = _redact(good)
    identities = identity_tokens(good, table, ctx.key, within=owner)
    senders = np.repeat(np.array([m[0].sender for m in members], dtype=object), sizes)
    stored = _stored_arrow(good, personal, senders, ctx.key, columns, source_rows)
    if stored is None:
        return None
    flag_owner = owner[flags["source_row"].to_numpy(dtype="int64")] if len(flags) else np.empty(0, dtype=np.int64)
    if len(flags):
        flags = flags.assign(source_row=source_rows[flags["source_row"].to_numpy(dtype="int64")])
    if identities is not None:
        tokens, firsts, counts = identities
        token_owner = owner[firsts]
        token_starts = np.searchsorted(token_owner, np.arange(len(members) + 1))
    payloads = []
    for k, (f, item, chunk, _, _) in enumerate(members):
        start, stop = starts[k], starts[k + 1]
        payload = ChunkPayload(len(chunk), source_rows[start:stop], _rows(stored, start, stop))
        _add_quarantine(payload, issues_of[k], contract)
        if len(flags) and (flag_owner == k).any():
            _add_flags(payload, flags[flag_owner == k].reset_index(drop=True))
        if identities is not None and token_starts[k + 1] > token_starts[k]:
            lo, hi = token_starts[k], token_starts[k + 1]
            _add_tokens(payload, _rows(tokens, lo, hi), firsts[lo:hi] - start, counts[lo:hi], payload.stored, f,
                        item.sha256)
        payloads.append(payload)
    return payloads


def load_rows(con, f: InboxFile, ctx: IngestContext, sha: str, version: int, outcome: FileOutcome,
              prepared: PreparedFile | None = None, earlier_loads: bool = True) -> None:
    """Write the file's chunks into raw.<table> and ops.* (inside the caller's transaction): the
    payloads a worker prepared (prepared.spill), or computed here chunk by chunk; raise
    StructuralRejection if bad."""
    table = f.contract.table
    month_date = _month_start(f.month).date()
    _, columns = _file_columns(f, ctx)
    loaded_at = _now()
    lineage = {"source_file": f.name, "file_sha256": sha, "file_version": version,
               "period_month": month_date, "sender_code": f.sender, "loaded_at": loaded_at}
    common = {"source_file": f.name, "file_sha256": sha, "file_version": version, "sender_code": f.sender,
              "feed": f.feed, "table_name": table, "period_month": month_date}
    if earlier_loads:    # rows of (feed, sender, month) exist only if the ledger has loaded it before
        delete_previous(con, f.feed, f.sender, month_date, sha)
    if prepared is not None and prepared.spill is not None:
        payloads = read_spill(prepared.spill)
    else:
        payloads = chunk_payloads(f, ctx, sha, prepared)
    tokens_ready = False
    for payload in payloads:
        outcome.rows_read += payload.rows_read
        stored = payload.stored
        if isinstance(stored, pa.Table):
            _insert_frame(con, f"raw.{table}", _with_lineage(stored, lineage, columns), columns)
        else:
            _insert_frame(con, f"raw.{table}", stored.assign(source_row=payload.source_rows, **lineage), columns)
        outcome.rows_loaded += len(payload.source_rows)
        if payload.quarantine is not None:
            outcome.rows_quarantined += payload.n_records
            q = _with_constants(payload.quarantine, {"quarantined_at": loaded_at, **common})
            _insert_frame(con, "ops.quarantine", q, _column_names(q))
            room = REPORT_ROW_LIMIT - len(outcome.quarantined)
            outcome.quarantined.extend(payload.records[:max(room, 0)])
            outcome.truncated |= payload.n_records > room
        if payload.flags is not None:
            outcome.rows_flagged += payload.n_flagged
            fl = _with_constants(payload.flags, {"flagged_at": loaded_at, **common})
            _insert_frame(con, "ops.row_flags", fl, _column_names(fl))
            outcome.flagged.extend(payload.flag_records)
        if payload.tokens is not None:
            if not tokens_ready:
                ledger.ensure_tokens_table(con, [c for c in payload.tokens.column_names if c not in TOKEN_CONTEXT])
                tokens_ready = True
            _insert_frame(con, "ops.identity_tokens", payload.tokens, payload.tokens.column_names)
    # A header with no data row is accepted: a member with no activity that month says so. Only a file
    # without even a header (0 bytes) is an EMPTY_FILE rejection (raised by the readers).
    outcome.loaded_at = loaded_at


def _column_names(rows) -> list[str]:
    return rows.column_names if isinstance(rows, pa.Table) else list(rows.columns)


# Columns of ops.identity_tokens that are not comparison tokens (ensure_tokens_table creates them).
TOKEN_CONTEXT = ("table_name", "source_file", "file_sha256", "sender_code", "period_month", "source_row",
                 "row_count", "person_pseudo", "ine_pseudo")


def write_spill(path, payloads) -> None:
    """Pickle a file's chunk payloads one after the other (a worker's result, read back by the writer)."""
    with open(path, "wb") as handle:
        for payload in payloads:
            pickle.dump(payload, handle, protocol=pickle.HIGHEST_PROTOCOL)


def read_spill(path):
    """The payloads write_spill wrote, one chunk at a time (bounded memory in the writer)."""
    with open(path, "rb") as handle:
        while True:
            try:
                yield pickle.load(handle)
            except EOFError:
                return


def _redact(good: pd.DataFrame) -> pd.DataFrame:
    from pipelines.ingestion.redaction import redact_comments

    return redact_comments(good)


def check_conservation(outcome: FileOutcome) -> None:
    """rows read = rows loaded + rows quarantined, or the load must not be committed."""
    if outcome.rows_read != outcome.rows_loaded + outcome.rows_quarantined:
        raise AssertionError(
            f"conservation broken for {outcome.file_name}: read {outcome.rows_read} != loaded "
            f"{outcome.rows_loaded} + quarantined {outcome.rows_quarantined}")


def _entry(f: InboxFile, outcome: FileOutcome, ctx: IngestContext, status: str) -> dict:
    return {
        "ledger_id": uuid.uuid4().hex, "file_name": f.name, "feed": f.feed,
        "contract": f.contract.name if f.contract else None,
        "contract_version": f.contract.version if f.contract else None,
        "table_name": f.contract.table if f.contract else None, "sender_code": f.sender,
        "period_month": _month_start(f.month).date() if f.month else None, "file_version": outcome.version,
        "size_bytes": outcome.size_bytes, "sha256": outcome.sha256, "received_at": outcome.received_at,
        "loaded_at": outcome.loaded_at if status == "loaded" else None,
        "rows_read": outcome.rows_read, "rows_loaded": outcome.rows_loaded,
        "rows_quarantined": outcome.rows_quarantined, "rows_flagged": outcome.rows_flagged,
        "status": status, "reason_code": outcome.reason_code, "reason_detail": outcome.reason_detail,
        "superseded_by_version": None, "run_id": ctx.run_id, "key_id": key_id(ctx.key),
    }


def _reset_counts(outcome: FileOutcome) -> None:
    outcome.rows_loaded = outcome.rows_quarantined = outcome.rows_flagged = 0
    outcome.quarantined, outcome.flagged = [], []


def roll_back(con) -> None:
    """Roll the file's transaction back, if DuckDB has not already ended it.

    A commit that fails (a full disk) or an error that invalidates the transaction leaves none
    active: rollback() then raises "no transaction is active", which escaped the error handler and
    stopped every remaining file of the run (seen when the shared disk filled up).
    """
    try:
        con.rollback()
    except duckdb.TransactionException:
        pass


def process_file(con: duckdb.DuckDBPyConnection, f: InboxFile, ctx: IngestContext,
                 prepared: PreparedFile | None = None, own_transaction: bool = True) -> FileOutcome:
    """Ingest one file; never raises for bad input (the outcome says what happened).

    `prepared`: the file already read, typed and judged by prepare_files (same result, less work).
    `own_transaction=False`: the caller holds a transaction for several files (service.write_window)
    and commits it; a failure is then raised, not recorded, for the caller to roll back and write
    the files again one transaction each.
    """
    sha = prepared.sha256 if prepared is not None else sha256_of(f.path)
    stat = f.path.stat()
    outcome = FileOutcome(f.name, f.feed, f.contract.name if f.contract else None, f.sender, f.month, sha,
                          stat.st_size, None, "loaded",
                          received_at=datetime.fromtimestamp(stat.st_mtime, timezone.utc).replace(tzinfo=None))
    month_date = _month_start(f.month).date() if f.month else None
    receipts = ledger.month_receipts(con, f.feed, f.sender, month_date)
    prior = ledger.previous_receipts(receipts, sha)
    reload_current = ctx.force and any(status == "loaded" for _, status, _ in prior)
    if prior and not reload_current:
        settled = [(name, status, v) for name, status, v in prior if status != "failed"]
        if any(name == f.name for name, _, _ in settled):
            outcome.status = "already"
            return outcome
        if settled:
            outcome.status, outcome.version = "duplicate", settled[0][2]
            outcome.reason_detail = f"contenu identique à {settled[0][0]} (version {settled[0][2]}), non rechargé"
            ledger.insert_entry(con, _entry(f, outcome, ctx, "duplicate"))
            return outcome
    failed_versions = [v for _, status, v in prior if status in ("failed",) or (reload_current and status == "loaded")]
    next_version, n_loaded, n_earlier = ledger.month_state(receipts)
    outcome.version = failed_versions[0] if failed_versions else next_version
    if f.contract is None or f.reason_code:
        return _reject(con, f, ctx, outcome, StructuralRejection(f.reason_code or "UNKNOWN_FORMAT", f.reason_detail or ""))
    if f.month < ctx.settings.first_month:
        return _reject(con, f, ctx, outcome, StructuralRejection(
            "MONTH_OUT_OF_RANGE", f"mois {f.month} antérieur au premier mois accepté ({ctx.settings.first_month})"))
    if own_transaction:
        con.begin()
    try:
        load_rows(con, f, ctx, sha, outcome.version, outcome, prepared, earlier_loads=n_earlier > 0)
        check_conservation(outcome)
        if reload_current:         # otherwise no 'loaded' row of this content exists (see above)
            con.execute("delete from ops.load_ledger where sha256 = ? and feed = ? and sender_code = ? and "
                        "period_month = ? and status = 'loaded' and file_version = ?",
                        [sha, f.feed, f.sender, month_date, outcome.version]).fetchall()
        if n_loaded:
            ledger.mark_replaced(con, f.feed, f.sender, month_date, outcome.version)
        ledger.insert_entry(con, _entry(f, outcome, ctx, "loaded"))
        if own_transaction:
            con.commit()
        outcome.status = "loaded"
        return outcome
    except StructuralRejection as rejection:
        if not own_transaction:
            raise
        roll_back(con)
        _reset_counts(outcome)
        return _reject(con, f, ctx, outcome, rejection)
    except Exception as error:  # a bug or an I/O error: roll back, record, carry on with other files
        if not own_transaction:
            raise
        roll_back(con)
        _reset_counts(outcome)
        outcome.status, outcome.reason_code = "failed", "LOAD_FAILED"
        outcome.reason_detail = f"{type(error).__name__}: {error}"[:500]
        ledger.insert_entry(con, _entry(f, outcome, ctx, "failed"))
        return outcome


def _will_load(f: InboxFile, ctx: IngestContext) -> bool:
    return f.contract is not None and not f.reason_code and bool(f.month) and f.month >= ctx.settings.first_month


def to_read(con, f: InboxFile, ctx: IngestContext) -> str | None:
    """The file's sha256 if it will be read by process_file (as the ledger stands now), else None:
    not loadable, unreadable, or already loaded / a duplicate (then nothing is read)."""
    if not _will_load(f, ctx):
        return None
    try:
        sha = sha256_of(f.path)
    except OSError:
        return None
    prior = ledger.previous_receipts(ledger.month_receipts(con, f.feed, f.sender, _month_start(f.month).date()), sha)
    reload_current = ctx.force and any(status == "loaded" for _, status, _ in prior)
    if prior and not reload_current and any(status != "failed" for _, status, _ in prior):
        return None
    return sha


def prepare_files(con, files: list[InboxFile], ctx: IngestContext) -> dict:
    """Read, type and check ahead the files of a window that the ledger says will be read (see
    prepare_chunks); the writer's sequential path."""
    items = []
    for f in files:
        sha = to_read(con, f, ctx)
        if sha is not None:
            items.append((f, sha))
    return prepare_chunks(items, ctx)


def prepare_chunks(items: list[tuple[InboxFile, str]], ctx: IngestContext) -> dict:
    """Read, type, check and transform ahead the files of a window, all files of one contract and month at once.

    Casting (cast_many), great-expectations validation (one call per contract and month instead of
    one per file), the code safety net and the payloads (window_payloads: redaction, pseudonyms,
    comparison tokens) are row-by-row, so running them once on the rows of many files and splitting
    the result back gives each file exactly what it would get alone; the fixed cost per pandas/GE
    call, which dominated small member files, is paid once per window.
    Only caches are filled here: nothing is written (no database is needed: workers run this too),
    and a file that cannot be read is left to process_file, which reads it and records what happens
    exactly as before.
    """
    prepared: dict = {}
    groups: dict[tuple, list[tuple]] = {}   # (contract, month, header) -> (file, item, position, chunk)
    for f, sha in items:
        item = PreparedFile(sha)
        prepared[f.path] = item
        if ctx.mode != "distinct" or f.path.stat().st_size > PREPARE_MAX_FILE_BYTES:
            continue
        try:
            chunks = list(read_chunks(f.path, f.contract, ctx.chunk_rows))
        except Exception:              # rejected or failing files are handled by process_file
            continue
        item.chunks = [None] * len(chunks)
        for position, chunk in enumerate(chunks):
            key = (f.contract.name, f.month, tuple(chunk.columns))
            groups.setdefault(key, []).append((f, item, position, chunk))
    batched = []
    for (_, month, _), members in groups.items():
        contract = members[0][0].contract
        chunks = [chunk for _, _, _, chunk in members]
        try:
            big, checked = _prepare_group(chunks, contract, _month_start(month), ctx)
        except Exception:              # pragma: no cover - the files are then read and checked one by one
            log.exception("preparation of %s %s failed; its files are processed one by one", contract.name, month)
            for _, item, _, _ in members:
                item.chunks = None
            continue
        for (_, item, position, chunk), (cast, issues) in zip(members, checked):
            if item.chunks is not None:
                item.chunks[position] = (chunk, cast, issues)
        if big is not None:
            batched.append((members, big))
    for item in prepared.values():
        if item.chunks is not None and any(c is None for c in item.chunks):
            item.chunks = None
    for members, big in batched:
        _prepare_payloads(members, big, ctx)
    return prepared


def _prepare_payloads(members: list[tuple], big: CastResult, ctx: IngestContext) -> None:
    """PreparedFile.payloads of a group's files whose chunks are all in the group (window_payloads);
    the others keep their prepared chunks and get their payloads chunk by chunk at load time."""
    in_group = {id(chunk) for _, _, _, chunk in members}
    whole = [(f, item, position, chunk) for f, item, position, chunk in members
             if item.chunks is not None and all(id(c[0]) in in_group for c in item.chunks)]
    if len({f.path for f, _, _, _ in whole}) < 2:      # one file: nothing to share
        return
    if len(whole) < len(members):      # the rows of the files kept, in the order they were cast
        kept = {id(chunk) for _, _, _, chunk in whole}
        starts = np.cumsum([0] + [len(m[3]) for m in members])
        rows = np.concatenate([np.arange(starts[k], starts[k + 1]) for k, m in enumerate(members) if id(m[3]) in kept])
        big = CastResult(big.typed.iloc[rows], big.issues, big.raw)
    try:
        payloads = window_payloads([(f, item, chunk, *item.chunks[position][1:]) for f, item, position, chunk in whole],
                                   big, ctx)
    except Exception:                  # pragma: no cover - a bug: the files are transformed one by one
        log.exception("batched payloads failed; the files are processed one by one")
        return
    if payloads is None:
        return
    for (_, item, position, _), payload in zip(whole, payloads):
        if item.payloads is None:
            item.payloads = [None] * len(item.chunks)
        item.payloads[position] = payload
    for _, item, _, _ in whole:
        item.chunks = None


def _prepare_group(chunks: list[pd.DataFrame], contract, month_start, ctx: IngestContext) -> tuple:
    """(the chunks cast together or None, [(cast, (suite issues, code safety-net issues))] for each
    chunk) for the chunks of one contract, month and header."""
    big, casts = cast_many(chunks, contract, month_start)
    if big is None:                    # cast chunk by chunk: judge all their values in one GE call
        prejudge([c.typed for c in casts], contract, ctx.reference, month_start)
        return None, [(cast, None) for cast in casts]
    offsets = np.cumsum([0] + [len(c) for c in chunks])
    indexes = [c.index for c in chunks]
    suites = split_issues(validate_chunk(big.typed, big.raw, contract, ctx.reference, month_start, ctx.mode),
                          offsets, indexes)
    safety = split_issues(_code_safety_net(big.typed, big.raw, contract), offsets, indexes)
    return big, [(cast, (suites[k], safety[k])) for k, cast in enumerate(casts)]


def _reject(con, f: InboxFile, ctx: IngestContext, outcome: FileOutcome, rejection: StructuralRejection) -> FileOutcome:
    """The whole file is refused: the ledger says why; rows read are counted, none loaded.

    Rows of a rejected file are neither loaded nor quarantined: conservation is about accepted
    files. rows_read stays 0 because the file was not read through.
    """
    outcome.status, outcome.reason_code, outcome.reason_detail = "rejected", rejection.code, rejection.detail
    outcome.rows_read = 0
    ledger.insert_entry(con, _entry(f, outcome, ctx, "rejected"))
    return outcome
