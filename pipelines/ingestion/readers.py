"""Read member files (csv, xlsx, jsonl) by contract, as chunks of strings, with bounded memory.

Everything is read as text: typing is the next step (casting.py) so that a bad value becomes a
row-level reason instead of a crash. Structural problems (encoding, header, empty file) raise
StructuralRejection: the whole file is rejected with a reason code.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from pipelines.ingestion.contracts import Contract

DEFAULT_CHUNK_ROWS = 200_000
SNIFF_BYTES = 4 * 1024 * 1024


class StructuralRejection(Exception):
    """The file cannot be read as its contract says: rejected whole, with a reason code."""

    def __init__(self, code: str, detail: str, column: str | None = None):
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.column = column


def _python_encoding(encoding: str) -> str:
    return {"utf8": "utf-8", "utf-8-sig": "utf-8-sig", "latin1": "latin-1"}.get(encoding.lower(), encoding.lower())


def sniff_encoding(path: Path, declared: str) -> None:
    """Reject a file whose bytes do not match the declared encoding.

    Why a sniff: a UTF-8 file read as cp1252 decodes without error into mojibake ("Ã©"), so a
    cp1252 declaration is checked the other way round: non-ASCII bytes that form valid UTF-8 mean
    the member sent UTF-8. Genuine cp1252 French text is almost never valid UTF-8.
    """
    with path.open("rb") as handle:
        sample = handle.read(SNIFF_BYTES)
    encoding = _python_encoding(declared)
    if encoding.startswith("utf-8"):
        try:
            codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        except UnicodeDecodeError as error:
            raise StructuralRejection(
                "WRONG_ENCODING", f"octets invalides en UTF-8 (position {error.start}) : le fichier n'est pas en UTF-8"
            ) from error
        return
    try:
        sample.decode(encoding)
    except UnicodeDecodeError as error:
        raise StructuralRejection("WRONG_ENCODING", f"octets invalides pour l'encodage {declared}") from error
    if any(b > 127 for b in sample):
        try:
            codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        except UnicodeDecodeError:
            return
        raise StructuralRejection(
            "WRONG_ENCODING", f"le fichier est en UTF-8 alors que l'encodage convenu est {declared}"
        )


def check_header(header: list[str], contract: Contract) -> list[str]:
    """The header against the contract: missing required column or unknown column -> rejection.

    Unknown columns reject the file too (unless the contract allows extras): a renamed column is a
    missing one plus an unknown one, and loading the rest would silently drop its values.
    """
    header = [h.strip().lstrip("\ufeff").strip() for h in header]
    if not any(header):
        raise StructuralRejection("EMPTY_FILE", "aucune ligne d'en-tête")
    expected = [c.source for c in contract.columns]
    present = set(header)
    missing = [c.source for c in contract.columns if c.required and c.source not in present]
    unknown = [h for h in header if h not in set(expected)]
    if missing:
        hint = f" ; colonne(s) inattendue(s) : {', '.join(unknown)} (renommée ?)" if unknown else ""
        raise StructuralRejection("MISSING_COLUMN", f"colonne(s) absente(s) : {', '.join(missing)}{hint}", missing[0])
    if unknown and not contract.file.allow_extra_columns:
        raise StructuralRejection("UNEXPECTED_COLUMN", f"colonne(s) inconnue(s) : {', '.join(unknown)}", unknown[0])
    if len(header) != len(present):
        raise StructuralRejection("UNREADABLE_FILE", "une colonne apparaît deux fois dans l'en-tête")
    return header


def _csv_header(path: Path, contract: Contract) -> list[str]:
    encoding = _python_encoding(contract.file.encoding)
    with path.open("r", encoding=encoding, newline="", errors="strict") as handle:
        try:
            line = handle.readline()
        except UnicodeDecodeError as error:
            raise StructuralRejection("WRONG_ENCODING", "en-tête illisible dans l'encodage convenu") from error
    if not line.strip():
        raise StructuralRejection("EMPTY_FILE", "fichier vide")
    return next(csv.reader([line], delimiter=contract.file.delimiter))


def read_csv_chunks(path: Path, contract: Contract, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """Stream a CSV as string DataFrames indexed by the 1-based data row number.

    pyarrow's streaming reader keeps memory bounded by its block size, and is several times faster
    than pandas' own chunked reader.
    """
    if path.stat().st_size == 0:
        raise StructuralRejection("EMPTY_FILE", "fichier de 0 octet")
    sniff_encoding(path, contract.file.encoding)
    header = check_header(_csv_header(path, contract), contract)
    encoding = _python_encoding(contract.file.encoding)
    arrow_encoding = "utf8" if encoding.startswith("utf-8") else encoding
    malformed: list[int] = []

    def on_invalid(row) -> str:
        malformed.append(row.number if row.number is not None else -1)
        return "skip"

    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(
            encoding=arrow_encoding, column_names=header, skip_rows=1, block_size=16 << 20
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=contract.file.delimiter, newlines_in_values=True, invalid_row_handler=on_invalid
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in header}, strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    yield from _rebatch(_arrow_batches(reader), chunk_rows, malformed)


def _arrow_batches(reader) -> Iterator[pd.DataFrame]:
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            return
        except (pa.ArrowInvalid, UnicodeDecodeError) as error:
            text = str(error)
            if "UTF8" in text or "decode" in text.lower() or isinstance(error, UnicodeDecodeError):
                raise StructuralRejection("WRONG_ENCODING", "caractères illisibles dans l'encodage convenu") from error
            raise StructuralRejection("UNREADABLE_FILE", "fichier CSV mal formé") from error
        yield batch.to_pandas()


def _rebatch(frames: Iterator[pd.DataFrame], chunk_rows: int, malformed: list[int]) -> Iterator[pd.DataFrame]:
    """Regroup reader batches into chunks of about chunk_rows, numbering rows 1..n across chunks.

    Rows the CSV parser skipped (wrong number of fields) are re-inserted as all-empty rows marked
    `__malformed__` so that they are counted as read and quarantined, never silently lost.
    """
    next_row = 1
    pending: list[pd.DataFrame] = []
    size = 0
    for frame in frames:
        pending.append(frame)
        size += len(frame)
        if size >= chunk_rows:
            chunk = pd.concat(pending, ignore_index=True)
            chunk.index = pd.RangeIndex(next_row, next_row + len(chunk))
            next_row += len(chunk)
            pending, size = [], 0
            yield chunk
    chunk = pd.concat(pending, ignore_index=True) if pending else None
    if chunk is not None and len(chunk):
        chunk.index = pd.RangeIndex(next_row, next_row + len(chunk))
        next_row += len(chunk)
        yield chunk
    if malformed:
        extra = pd.DataFrame({"__malformed__": ["1"] * len(malformed)},
                             index=pd.RangeIndex(next_row, next_row + len(malformed)))
        yield extra


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y")
    return str(value)


def read_xlsx_chunks(path: Path, contract: Contract, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """Stream an XLSX sheet (read-only mode) below its header row; blank rows are not data rows."""
    import openpyxl
    from zipfile import BadZipFile

    if path.stat().st_size == 0:
        raise StructuralRejection("EMPTY_FILE", "fichier de 0 octet")
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, OSError, KeyError, ValueError) as error:
        raise StructuralRejection("UNREADABLE_FILE", "classeur Excel illisible") from error
    try:
        sheet_name = contract.file.sheet
        if sheet_name and sheet_name not in workbook.sheetnames:
            raise StructuralRejection("UNREADABLE_FILE", f"feuille « {sheet_name} » absente du classeur")
        sheet = workbook[sheet_name] if sheet_name else workbook.worksheets[0]
        header_row = contract.file.header_row or 1
        rows = sheet.iter_rows(min_row=header_row, values_only=True)
        try:
            raw_header = next(rows)
        except StopIteration:
            raise StructuralRejection("EMPTY_FILE", "feuille vide") from None
        width = len(raw_header)
        while width and raw_header[width - 1] in (None, ""):
            width -= 1
        header = check_header([_cell_text(v) for v in raw_header[:width]], contract)
        buffer: list[list[str]] = []
        next_row = 1
        for values in rows:
            cells = [_cell_text(v) for v in values[:width]]
            if not any(c.strip() for c in cells):
                continue
            buffer.append(cells + [""] * (width - len(cells)))
            if len(buffer) >= chunk_rows:
                yield pd.DataFrame(buffer, columns=header, index=pd.RangeIndex(next_row, next_row + len(buffer)))
                next_row += len(buffer)
                buffer = []
        if buffer:
            yield pd.DataFrame(buffer, columns=header, index=pd.RangeIndex(next_row, next_row + len(buffer)))
    finally:
        workbook.close()


try:  # a C JSON parser, ~5x faster per line than the standard library's
    import orjson as _orjson
except ImportError:  # pragma: no cover - the standard library alone gives the same rows
    _orjson = None


# orjson reads an integer beyond 64 bits as a float (json.loads keeps it exact): such lines, which
# hold a run of 19+ digits, are left to json.loads.
_LONG_DIGITS = re.compile(r"\d{19}")


def _json_line(line: str):
    """json.loads(line), through orjson when it accepts the line.

    orjson is stricter (no NaN/Infinity literals, no lone surrogates, no out-of-range numbers): a
    line it refuses goes to json.loads, so every line parses (or fails) exactly as with json.loads.
    """
    if _orjson is not None and not _LONG_DIGITS.search(line):
        try:
            return _orjson.loads(line)
        except _orjson.JSONDecodeError:
            pass
    return json.loads(line)


def read_jsonl_chunks(path: Path, contract: Contract, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """Stream JSON lines; an unparsable line is a malformed row (quarantined), not a crash.

    Rows are gathered column by column (plain lists), not as one dict per row: the frame is then
    built without pandas inspecting half a million dicts.
    """
    if path.stat().st_size == 0:
        raise StructuralRejection("EMPTY_FILE", "fichier de 0 octet")
    sniff_encoding(path, contract.file.encoding or "utf-8")
    table = _arrow_jsonl(path, contract)
    if table is not None:
        yield from _arrow_json_frames(table, contract, chunk_rows)
        return
    sources = [c.source for c in contract.columns]
    next_row = 1
    checked = False
    keys_seen: set[str] = set()
    with path.open("r", encoding=_python_encoding(contract.file.encoding or "utf-8"), errors="strict") as handle:
        columns: list[list[str]] = [[] for _ in sources]
        malformed: list[str] = []
        try:
            for line in handle:
                if not line.strip():
                    continue
                try:
                    obj = _json_line(line)
                    if not isinstance(obj, dict):
                        raise ValueError("not an object")
                    cells = [v if type(v) is str else _cell_text(v) for v in map(obj.get, sources)]
                except ValueError:
                    cells = None
                if cells is None:
                    for column in columns:
                        column.append("")
                    malformed.append("1")
                else:
                    for column, cell in zip(columns, cells):
                        column.append(cell)
                    malformed.append("")
                    if not checked:
                        keys_seen.update(obj.keys())
                if len(malformed) >= chunk_rows:
                    if not checked:
                        _check_json_key_set(keys_seen, contract)
                        checked = True
                    yield _json_columns_frame(columns, malformed, sources, next_row)
                    next_row += len(malformed)
                    columns, malformed = [[] for _ in sources], []
        except UnicodeDecodeError as error:
            raise StructuralRejection("WRONG_ENCODING", "caractères illisibles en UTF-8") from error
        if malformed:
            if not checked:
                _check_json_key_set(keys_seen, contract)
            yield _json_columns_frame(columns, malformed, sources, next_row)


ARROW_JSONL_MAX_BYTES = 256 << 20       # larger files are streamed line by line (bounded memory)
_INFERRED_TYPES = ("integer", "decimal", "boolean")   # not declared as text to pyarrow


def _arrow_jsonl(path: Path, contract: Contract) -> pa.Table | None:
    """The file read by pyarrow's JSON reader when that gives exactly the rows and texts of the line
    by line path, else None (that path then reads it, and judges malformed lines and keys).

    Why: a region's monthly Lorfolio log is half a million lines, and parsing them one by one in
    Python was a worker's largest single cost after great-expectations. Only the plain case is taken
    here: UTF-8, every line a JSON object, no key outside the contract, every contract key present
    somewhere, values that are strings, or integers (their decimal text is what the line path
    gives). Anything else (a malformed line, a float, a nested value, a lone surrogate) falls back.
    """
    if _python_encoding(contract.file.encoding or "utf-8") != "utf-8" or path.stat().st_size > ARROW_JSONL_MAX_BYTES:
        return None
    import pyarrow.json as pajson

    # Text columns are declared as text (pyarrow would otherwise make ISO dates timestamps); the
    # numeric ones are inferred, then must come out as int64 (or all null).
    declared = pa.schema([(c.source, pa.string()) for c in contract.columns if c.type not in _INFERRED_TYPES])
    try:
        table = pajson.read_json(path, parse_options=pajson.ParseOptions(
            explicit_schema=declared, unexpected_field_behavior="infer", newlines_in_values=False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError):
        return None
    sources = {c.source for c in contract.columns}
    if set(table.column_names) - sources:
        return None                    # an unknown key: the line path decides (rejection or extra)
    for name in table.column_names:
        column = table.column(name)
        if column.null_count == len(column) and len(column):
            return None                # absent everywhere, or always null: the line path tells which
        if not (pa.types.is_string(column.type) or pa.types.is_int64(column.type)):
            return None
    missing_required = [c.source for c in contract.columns if c.required and c.source not in table.column_names]
    if missing_required:
        return None
    # rows = non-blank lines: pyarrow skips blank lines as the line path does, but would read a line
    # holding two objects as two rows where the line path sees one malformed row.
    with path.open("rb") as handle:
        lines = sum(1 for line in handle if line.strip())
    if lines != table.num_rows:
        return None
    return table


def _arrow_json_frames(table: pa.Table, contract: Contract, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Chunks as the line path builds them: text columns ("" where absent), row numbers 1..n; the
    texts stay in Arrow memory (pandas' `str` dtype), never one Python object per value."""
    sources = [c.source for c in contract.columns]
    for start in range(0, table.num_rows, chunk_rows):
        part = table.slice(start, chunk_rows)
        columns = []
        for source in sources:
            if source in part.column_names:
                column = part.column(source)
                if not pa.types.is_string(column.type):
                    column = column.cast(pa.string())
                columns.append(column.fill_null(""))
            else:
                columns.append(pa.array([""] * part.num_rows, pa.string()))
        columns.append(pa.array([""] * part.num_rows, pa.string()))
        frame = pd.DataFrame({name: pd.Series(column, dtype="str") for name, column in
                              zip(sources + ["__malformed__"], columns)})
        frame.index = pd.RangeIndex(start + 1, start + 1 + part.num_rows)
        yield frame


def _check_json_keys(rows: list[dict], contract: Contract) -> None:
    """A required key absent from every object of the first chunk = a missing column."""
    seen: set[str] = set()
    for row in rows:
        seen.update(row.get("__keys__", ()))
    _check_json_key_set(seen, contract)


def _check_json_key_set(seen: set[str], contract: Contract) -> None:
    if not seen:
        return
    missing = [c.source for c in contract.columns if c.required and c.source not in seen]
    if missing:
        raise StructuralRejection("MISSING_COLUMN", f"clé(s) absente(s) : {', '.join(missing)}", missing[0])
    unknown = sorted(seen - {c.source for c in contract.columns})
    if unknown and not contract.file.allow_extra_columns:
        raise StructuralRejection("UNEXPECTED_COLUMN", f"clé(s) inconnue(s) : {', '.join(unknown)}", unknown[0])


def _json_columns_frame(columns: list[list[str]], malformed: list[str], sources: list[str], start: int) -> pd.DataFrame:
    """The chunk as _json_frame builds it from row dicts: text columns, "" where absent."""
    data = dict(zip(sources, columns))
    data["__malformed__"] = malformed
    # pandas' `str` dtype (texts in Arrow memory, not a Python object per value: hashing and casting
    # them cost less): a text Arrow cannot hold (a lone surrogate from a JSON escape) fails here as
    # it did with from_records + astype.
    frame = pd.DataFrame(data).astype("str")
    frame.index = pd.RangeIndex(start, start + len(malformed))
    return frame


def _json_frame(rows: list[dict], sources: list[str], start: int) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows, columns=sources + ["__malformed__"]).astype(object)
    frame = frame.where(frame.notna(), "").astype("str")
    frame.index = pd.RangeIndex(start, start + len(frame))
    return frame


def read_chunks(path: Path, contract: Contract, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """Dispatch on the contract's file type."""
    readers = {"csv": read_csv_chunks, "xlsx": read_xlsx_chunks, "jsonl": read_jsonl_chunks}
    return readers[contract.file.type](Path(path), contract, chunk_rows)
