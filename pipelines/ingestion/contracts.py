"""Load and validate the data contracts (sources/contracts/<contract>.yaml).

A contract says how one member format maps onto the common model. Validating it when it is loaded
means a wrong contract fails loudly at start-up, not as thousands of quarantined rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from pipelines.config import Settings
from pipelines.ingestion.common_model import PERSONAL_TARGETS, TABLES, table_for

VALID_TYPES = {"string", "integer", "decimal", "date", "datetime", "boolean", "code"}
VALID_FILE_TYPES = {"csv", "xlsx", "jsonl"}
# Senders of the feeds whose file names carry no sender code.
DEFAULT_SENDERS = {"lorfolio": "LORFOLIO", "events": "AGENDA", "registrations": "AGENDA", "satisfaction": "AGENDA"}


class ContractError(ValueError):
    """A contract file is malformed: a configuration error, not bad member data."""


@dataclass(frozen=True)
class ColumnSpec:
    source: str
    target: str | None
    type: str
    required: bool = True
    nullable: bool = True
    personal: bool = False
    date_format: str | None = None
    codes: dict[str, str] | None = None
    boolean_values: dict[str, bool] | None = None


@dataclass(frozen=True)
class FileSpec:
    folder: str
    filename_regex: re.Pattern
    type: str
    encoding: str = "utf-8"
    delimiter: str = ","
    decimal: str = "."
    header_row: int | None = 1
    sheet: str | None = None
    period_month_from: str | None = None     # "filename": the month is not a column of the file
    allow_extra_columns: bool = False


@dataclass(frozen=True)
class Contract:
    name: str
    version: int
    feed: str
    grain: str | None
    description_fr: str
    file: FileSpec
    columns: tuple[ColumnSpec, ...]
    path: Path | None = None
    unique_key: tuple[str, ...] | None = None

    @property
    def table(self) -> str:
        return table_for(self.feed, self.grain)

    @property
    def targets(self) -> dict[str, ColumnSpec]:
        return {c.target: c for c in self.columns if c.target}

    def is_personal(self, target: str) -> bool:
        """Personal if the contract says so or the common model says so (the stricter wins)."""
        spec = self.targets.get(target)
        return bool(spec and spec.personal) or target in PERSONAL_TARGETS

    def default_sender(self) -> str | None:
        return DEFAULT_SENDERS.get(self.feed)


@dataclass
class ContractSet:
    contracts: dict[str, Contract] = field(default_factory=dict)

    def by_folder(self, folder: str) -> list[Contract]:
        return [c for c in self.contracts.values() if c.file.folder == folder]

    def personal_targets(self, table: str) -> set[str]:
        """Targets stored as pseudonyms in a table: personal in the common model or in any contract."""
        names = {t.name for t in TABLES[table] if t.personal}
        for contract in self.contracts.values():
            if contract.table == table:
                names |= {c.target for c in contract.columns if c.target and c.personal}
        return names


def _column(raw: dict, where: str) -> ColumnSpec:
    if "source" not in raw or "type" not in raw:
        raise ContractError(f"{where}: every column needs 'source' and 'type'")
    if raw["type"] not in VALID_TYPES:
        raise ContractError(f"{where}: unknown type {raw['type']!r}")
    if raw["type"] in ("date", "datetime") and not raw.get("date_format"):
        raise ContractError(f"{where}: a {raw['type']} column needs date_format")
    if raw["type"] == "code" and not raw.get("codes"):
        raise ContractError(f"{where}: a code column needs its codes mapping")
    if raw["type"] == "boolean" and not raw.get("boolean_values"):
        raise ContractError(f"{where}: a boolean column needs boolean_values")
    codes = {str(k): str(v) for k, v in (raw.get("codes") or {}).items()} or None
    booleans = {str(k): bool(v) for k, v in (raw.get("boolean_values") or {}).items()} or None
    return ColumnSpec(
        source=str(raw["source"]), target=raw.get("target"), type=raw["type"],
        required=bool(raw.get("required", True)), nullable=bool(raw.get("nullable", True)),
        personal=bool(raw.get("personal", False)), date_format=raw.get("date_format"),
        codes=codes, boolean_values=booleans,
    )


def parse_contract(data: dict, path: Path | None = None) -> Contract:
    """A validated Contract from the YAML mapping; raises ContractError with what is wrong."""
    where = str(path or data.get("contract", "?"))
    for key in ("contract", "feed", "file", "columns"):
        if key not in data:
            raise ContractError(f"{where}: missing key {key!r}")
    f = data["file"]
    if f.get("type") not in VALID_FILE_TYPES:
        raise ContractError(f"{where}: file.type must be one of {sorted(VALID_FILE_TYPES)}")
    try:
        regex = re.compile(f["filename_regex"])
    except (KeyError, re.error) as error:
        raise ContractError(f"{where}: bad filename_regex ({error})") from error
    if "month" not in regex.groupindex:
        raise ContractError(f"{where}: filename_regex needs a (?P<month>...) group")
    file_spec = FileSpec(
        folder=f.get("folder", data["feed"]), filename_regex=regex, type=f["type"],
        encoding=f.get("encoding") or "utf-8", delimiter=f.get("delimiter") or ",",
        decimal=f.get("decimal") or ".", header_row=f.get("header_row", 1), sheet=f.get("sheet"),
        period_month_from=f.get("period_month_from"),
        allow_extra_columns=bool(f.get("allow_extra_columns", False)),
    )
    columns = tuple(_column(c, f"{where} column {i + 1}") for i, c in enumerate(data["columns"]))
    contract = Contract(
        name=data["contract"], version=int(data.get("version", 1)), feed=data["feed"],
        grain=data.get("grain"), description_fr=data.get("description_fr", ""), file=file_spec,
        columns=columns, path=path,
        unique_key=tuple(data["unique_key"]) if data.get("unique_key") else None,
    )
    try:
        table = contract.table
    except KeyError as error:
        raise ContractError(f"{where}: unknown feed/grain {contract.feed}/{contract.grain}") from error
    known = {t.name for t in TABLES[table]}
    unknown = [c.target for c in columns if c.target and c.target not in known]
    if unknown:
        raise ContractError(f"{where}: targets not in the common model table {table}: {unknown}")
    sources = [c.source for c in columns]
    if len(sources) != len(set(sources)):
        raise ContractError(f"{where}: a source column is listed twice")
    return contract


def load_contract(path: Path) -> Contract:
    with Path(path).open(encoding="utf-8") as handle:
        return parse_contract(yaml.safe_load(handle), Path(path))


def contracts_dir_for(settings: Settings) -> Path:
    return settings.home / "sources" / "contracts"


def _signature(folder: Path) -> tuple:
    return tuple(sorted((p.name, p.stat().st_mtime_ns) for p in folder.glob("*.yaml"))) if folder.exists() else ()


@lru_cache(maxsize=8)
def _load_all(folder: Path, signature: tuple) -> ContractSet:
    contracts = {}
    for path in sorted(folder.glob("*.yaml")):
        contract = load_contract(path)
        contracts[contract.name] = contract
    return ContractSet(contracts)


def load_contracts(folder: Path | Settings) -> ContractSet:
    """All contracts of a folder, cached until a file changes."""
    if isinstance(folder, Settings):
        folder = contracts_dir_for(folder)
    folder = Path(folder)
    return _load_all(folder, _signature(folder))
