"""The OREF's read-only snapshot of the consolidated warehouse.

DuckDB allows one read-write process or many read-only ones, never both: the observatory must never
open the file the pipeline writes. So each successful run copies the published schemas into a new
snapshot folder (a DuckDB file, Parquet files, the catalogue and the dbt docs), then switches the
`current` symbolic link to it in one atomic step. A reader that holds the previous snapshot open
keeps reading it undisturbed (the file is never written again); the next open sees the new one.
"""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import datetime, timezone
from pathlib import Path

import duckdb

# Schemas the OREF may read: reference data, marts and indicators. No raw, staging, intermediate or
# ops schema (person-level detail, ledger, identity tokens) ever leaves the warehouse.
PUBLISHED_SCHEMAS = ("seeds", "marts", "indicators")
SNAPSHOT_FILE = "spro_oref.duckdb"
CURRENT_LINK = "current"


def published_tables(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> list[tuple[str, str]]:
    catalog_filter = f"and table_catalog = '{catalog}'" if catalog else ""
    rows = con.execute(
        f"""
        select table_schema, table_name from information_schema.tables
        where table_schema in ({", ".join("'" + s + "'" for s in PUBLISHED_SCHEMAS)}) {catalog_filter}
        order by 1, 2
        """
    ).fetchall()
    return [(schema, table) for schema, table in rows]


def current_snapshot(oref_dir: Path) -> Path | None:
    link = oref_dir / CURRENT_LINK
    return link.resolve() if link.exists() else None


def _switch_current(oref_dir: Path, target: Path) -> None:
    temporary = oref_dir / f".{CURRENT_LINK}.{uuid.uuid4().hex}"
    os.symlink(target.relative_to(oref_dir), temporary)
    os.replace(temporary, oref_dir / CURRENT_LINK)


def _purge_old(oref_dir: Path, keep: int) -> list[Path]:
    current = current_snapshot(oref_dir)
    snapshots = sorted((oref_dir / "snapshots").iterdir())
    removed = []
    for folder in snapshots[:-keep]:
        if folder != current:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def publish_snapshot(
    con: duckdb.DuckDBPyConnection,
    oref_dir: Path,
    *,
    extra_files: dict[str, Path] | None = None,
    keep: int = 3,
    validate=None,
) -> Path:
    """Copy the published schemas from `con` (the warehouse) into a new snapshot and switch to it.

    `validate(folder)`, when given, inspects the snapshot before readers can see it and raises to
    stop the switch (the scan for direct identifiers); the rejected folder is removed.
    """
    # Microseconds make names sort in creation order, which the purge relies on.
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    folder = oref_dir / "snapshots" / f"{stamp}-{uuid.uuid4().hex[:6]}"
    (folder / "parquet").mkdir(parents=True)
    database = folder / SNAPSHOT_FILE
    tables = published_tables(con)
    con.execute(f"attach '{database}' as oref_snapshot")
    try:
        for schema, table in tables:
            con.execute(f'create schema if not exists oref_snapshot."{schema}"')
            con.execute(f'create table oref_snapshot."{schema}"."{table}" as select * from "{schema}"."{table}"')
            (folder / "parquet" / schema).mkdir(exist_ok=True)
            target = folder / "parquet" / schema / f"{table}.parquet"
            con.execute(f"copy \"{schema}\".\"{table}\" to '{target}' (format parquet, compression zstd)")
    finally:
        con.execute("detach oref_snapshot")
    for name, source in (extra_files or {}).items():
        if source.is_dir():
            shutil.copytree(source, folder / name)
        elif source.exists():
            shutil.copy2(source, folder / name)
    if validate is not None:
        try:
            validate(folder)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
    _switch_current(oref_dir, folder)
    _purge_old(oref_dir, keep)
    return folder
