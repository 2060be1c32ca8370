"""Every path and setting of the warehouse, in one place.

Each value comes from an environment variable with a default relative to the repository, so that
a newcomer runs everything with no configuration, and a deployment moves any piece elsewhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def _path(variable: str, default: Path) -> Path:
    value = os.environ.get(variable)
    return Path(value).expanduser().resolve() if value else default


@dataclass(frozen=True)
class Settings:
    """Resolved settings; build with `load_settings()` so environment changes are seen (tests)."""

    home: Path
    warehouse_dir: Path
    duckdb_path: Path
    inbox_dir: Path
    archive_dir: Path
    reports_dir: Path
    exports_dir: Path
    oref_dir: Path
    truth_dir: Path
    dagster_home: Path
    dbt_project_dir: Path
    dbt_profiles_dir: Path
    environment: str
    first_month: str
    retention_years: int
    # DuckDB's own limits inside dbt: above the memory limit it spills to its temp directory. The
    # indicators' distinct counts by grouping sets keep one hash table per thread that does not
    # spill: two threads ran out of 2 GB when ten years were one query (small scale), so one thread
    # was the default. Since a backfill builds one calendar year per dbt call (dbt/windows.py), two
    # threads built a region-year in 397 s against 585 s with one, peaking at 2,265 MB against
    # 2,241 MB (whole dbt process).
    duckdb_memory_limit: str = "2GB"
    duckdb_threads: int = 2
    # Worker processes of ingestion (read, cast, GE, pseudonyms, tokens; the calling process stays
    # the only DuckDB writer); 0 or 1: everything in the calling process.
    ingest_workers: int = 0

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    def ensure_dirs(self) -> None:
        """Create the run-time folders (all git-ignored under warehouse/)."""
        for folder in (
            self.warehouse_dir,
            self.inbox_dir,
            self.archive_dir,
            self.reports_dir,
            self.exports_dir,
            self.oref_dir,
            self.dagster_home,
            self.dbt_profiles_dir,
        ):
            folder.mkdir(parents=True, exist_ok=True)
        self.duckdb_path.parent.mkdir(parents=True, exist_ok=True)


def load_settings() -> Settings:
    home = _path("SPRO_HOME", REPO_ROOT)
    warehouse = _path("SPRO_WAREHOUSE_DIR", home / "warehouse")
    return Settings(
        home=home,
        warehouse_dir=warehouse,
        duckdb_path=_path("SPRO_DUCKDB_PATH", warehouse / "spro.duckdb"),
        inbox_dir=_path("SPRO_INBOX_DIR", warehouse / "inbox"),
        archive_dir=_path("SPRO_ARCHIVE_DIR", warehouse / "archive"),
        reports_dir=_path("SPRO_REPORTS_DIR", warehouse / "reports"),
        exports_dir=_path("SPRO_EXPORTS_DIR", warehouse / "exports"),
        oref_dir=_path("SPRO_OREF_DIR", warehouse / "oref"),
        truth_dir=_path("SPRO_TRUTH_DIR", warehouse / "truth"),
        dagster_home=_path("DAGSTER_HOME", warehouse / "dagster_home"),
        dbt_project_dir=home / "dbt_project",
        dbt_profiles_dir=_path("SPRO_DBT_PROFILES_DIR", warehouse / "dbt_profiles"),
        environment=os.environ.get("SPRO_ENV", "demo"),
        # First month of the monthly partitions (YYYY-MM): the oldest month the warehouse accepts.
        first_month=os.environ.get("SPRO_FIRST_MONTH", "2024-01"),
        # Pseudonymised person-level data other than PSAD (whose 2 years are fixed by the CNIL).
        retention_years=int(os.environ.get("SPRO_RETENTION_YEARS", "5")),
        # Ten years of history must build on one ordinary machine: bounded memory, spilled to disk.
        duckdb_memory_limit=os.environ.get("SPRO_DUCKDB_MEMORY_LIMIT", "2GB"),
        duckdb_threads=int(os.environ.get("SPRO_DUCKDB_THREADS", str(min(2, os.cpu_count() or 1)))),
        ingest_workers=int(os.environ.get("SPRO_INGEST_WORKERS", str(min(2, os.cpu_count() or 1)))),
    )
