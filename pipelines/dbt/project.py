"""The dbt project as Dagster sees it, and the preparation of its manifest.

Dagster reads dbt's manifest at import time. `DbtProject.prepare_if_dev()` only prepares it under
`dagster dev`, so tests and CLI runs call `prepare_manifest()` themselves: it re-parses only when a
file of the dbt project is newer than the manifest, which keeps re-runs fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import yaml
from dagster_dbt import DbtProject

from pipelines.config import Settings, load_settings

DBT_TARGET = "duckdb"


def put_interpreter_bin_on_path() -> None:
    """Make the `dbt` installed next to this interpreter findable.

    dagster-dbt looks `dbt` up on PATH (its manifest preparer offers no way to pass the executable),
    and `.venv/bin/python -m pytest` does not put `.venv/bin` on PATH.
    """
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


put_interpreter_bin_on_path()


def profile_for(settings: Settings) -> dict:
    """The dbt profile, with the warehouse path resolved.

    Written to a file rather than read with `env_var()` inside profiles.yml: an environment variable
    in the profile disables dbt's partial parsing, which would cost seconds on every invocation.
    DuckDB gets a memory limit and a thread count (pipelines.config): past the limit, its joins,
    sorts and aggregations spill to its temp directory (default: the database path + ".tmp"; dbt-duckdb
    applies the settings on each connection, and DuckDB refuses to move a temp directory in use).
    """
    return {
        "spro": {
            "target": DBT_TARGET,
            "outputs": {
                DBT_TARGET: {
                    "type": "duckdb",
                    "path": str(settings.duckdb_path),
                    "schema": "main",
                    # One model at a time: DuckDB already spreads each model over the cores, and two
                    # models at once would share one memory limit (an out-of-memory at ten years).
                    "threads": 1,
                    "settings": {
                        "memory_limit": settings.duckdb_memory_limit,
                        "threads": settings.duckdb_threads,
                    },
                }
            },
        }
    }


def write_profile(settings: Settings) -> Path:
    """Write profiles.yml only when it changes, so dbt's partial parse stays valid."""
    settings.dbt_profiles_dir.mkdir(parents=True, exist_ok=True)
    path = settings.dbt_profiles_dir / "profiles.yml"
    content = yaml.safe_dump(profile_for(settings), sort_keys=True)
    if not path.exists() or path.read_text() != content:
        path.write_text(content)
    return path


def build_dbt_project(settings: Settings | None = None) -> DbtProject:
    settings = settings or load_settings()
    write_profile(settings)
    return DbtProject(
        project_dir=settings.dbt_project_dir,
        profiles_dir=settings.dbt_profiles_dir,
        target=DBT_TARGET,
    )


def _newest_source_mtime(project_dir: Path) -> float:
    tracked = ("*.sql", "*.yml", "*.yaml", "*.csv", "*.md")
    newest = 0.0
    for pattern in tracked:
        for path in project_dir.rglob(pattern):
            if "target" in path.parts or "dbt_packages" in path.parts or "logs" in path.parts:
                continue
            newest = max(newest, path.stat().st_mtime)
    return newest


def manifest_is_stale(project: DbtProject) -> bool:
    manifest = Path(project.manifest_path)
    return not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime(Path(project.project_dir))


def prepare_manifest(project: DbtProject) -> Path:
    """Parse the dbt project when its manifest is missing or older than its sources."""
    if manifest_is_stale(project):
        project.preparer.prepare(project)
    return Path(project.manifest_path)


spro_dbt_project = build_dbt_project()
spro_dbt_project.prepare_if_dev()
