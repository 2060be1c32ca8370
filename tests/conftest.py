"""Test session setup: every test writes to a throw-away warehouse, never to ./warehouse.

The settings are read from the environment when `pipelines` modules are imported, so the variables
are set here, before any test module imports them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_SESSION_WAREHOUSE = Path(tempfile.mkdtemp(prefix="spro-test-warehouse-"))
os.environ["SPRO_WAREHOUSE_DIR"] = str(_SESSION_WAREHOUSE)
os.environ.pop("SPRO_DUCKDB_PATH", None)
os.environ["DAGSTER_HOME"] = str(_SESSION_WAREHOUSE / "dagster_home")
os.environ.setdefault("SPRO_ENV", "demo")


def pytest_sessionfinish(session, exitstatus):
    """Remove the session's warehouse: each run left ~70 MB in the temp folder (200 runs filled a
    shared disk). SPRO_KEEP_TEST_WAREHOUSE=1 keeps it, to look into a failure."""
    if not os.environ.get("SPRO_KEEP_TEST_WAREHOUSE"):
        shutil.rmtree(_SESSION_WAREHOUSE, ignore_errors=True)


@pytest.fixture(scope="session")
def session_warehouse() -> Path:
    return _SESSION_WAREHOUSE


@pytest.fixture(scope="session")
def demo_run(session_warehouse):
    """The whole pipeline once, as `make demo` runs it, on a tiny synthetic region of two months.

    Generation -> `ingest_month` runs -> one `spro_main` run over both months (linkage, dbt,
    indicators, the Region's extracts, the OREF snapshot). Shared by the end-to-end tests.
    """
    from pipelines.config import load_settings
    from pipelines.demo import generate_demo_feeds
    from pipelines.ingestion.service import ingest_inbox
    from pipelines.runner import partition_range_tags, run_job

    settings = load_settings()
    settings.ensure_dirs()
    generate_demo_feeds(settings, scale="tiny", months=2, start="2025-01", seed=11)
    ingestion = ingest_inbox(settings)
    months = sorted(ingestion["runs"])
    result = run_job("spro_main", settings, tags=partition_range_tags(months[0], months[-1]))
    return {"settings": settings, "months": months, "ingestion": ingestion, "result": result}
