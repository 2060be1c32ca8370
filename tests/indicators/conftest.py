"""One dbt build of the hand-made warehouse, shared by the indicator tests of a module."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.config import load_settings
from pipelines.dbt.project import write_profile
from tests.indicators.fixture_data import build_raw_warehouse

DBT = str(Path(sys.executable).with_name("dbt"))


def run_dbt(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    """dbt in a subprocess against the fixture's profile; its own target/log paths (never the repo's)."""
    settings = load_settings()
    command = [DBT, *args, "--project-dir", str(settings.dbt_project_dir), "--profiles-dir", str(workdir),
               "--target-path", str(workdir / "target"), "--log-path", str(workdir / "logs")]
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}")
    return result


def fixture_warehouse(workdir: Path) -> Path:
    """Write the raw tables and a dbt profile pointing at them (pipelines.dbt.project.write_profile)."""
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "fixture.duckdb"
    build_raw_warehouse(str(path))
    settings = dataclasses.replace(load_settings(), duckdb_path=path, dbt_profiles_dir=workdir)
    write_profile(settings)
    return path


@pytest.fixture(scope="session")
def built_fixture(tmp_path_factory) -> Path:
    """The fixture warehouse after one full `dbt build` (models and every dbt test)."""
    workdir = tmp_path_factory.mktemp("indicators")
    path = fixture_warehouse(workdir)
    run_dbt(workdir, "build")
    return path


@pytest.fixture(scope="session")
def fixture_con(built_fixture):
    con = duckdb.connect(str(built_fixture), read_only=True)
    yield con
    con.close()
