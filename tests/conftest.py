"""Test session setup: every test writes to a throw-away warehouse, never to ./warehouse.

The settings are read from the environment when `pipelines` modules are imported, so the variables
are set here, before any test module imports them.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

_SESSION_WAREHOUSE = Path(tempfile.mkdtemp(prefix="spro-test-warehouse-"))
os.environ["SPRO_WAREHOUSE_DIR"] = str(_SESSION_WAREHOUSE)
os.environ.pop("SPRO_DUCKDB_PATH", None)
os.environ["DAGSTER_HOME"] = str(_SESSION_WAREHOUSE / "dagster_home")
os.environ.setdefault("SPRO_ENV", "demo")


@pytest.fixture(scope="session")
def session_warehouse() -> Path:
    return _SESSION_WAREHOUSE
