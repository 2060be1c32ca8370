"""Run the warehouse's jobs through Dagster from the command line and the tests.

Runs go through a persistent Dagster instance (DAGSTER_HOME under warehouse/) so that what
`make demo` did shows up in the web UI's run history afterwards.
"""

from __future__ import annotations

import os

from dagster import DagsterInstance, ExecuteInProcessResult

from pipelines.config import Settings, load_settings


DAGSTER_YAML = """# Dagster instance of the warehouse (created by `spro`): local storage under this folder.
telemetry:
  enabled: false
"""


def dagster_instance(settings: Settings) -> DagsterInstance:
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    config = settings.dagster_home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
    return DagsterInstance.get()


PARTITION_RANGE_START = "dagster/asset_partition_range_start"
PARTITION_RANGE_END = "dagster/asset_partition_range_end"


def partition_range_tags(first: str, last: str) -> dict[str, str]:
    """Tags that make one run cover a range of partitions (one dbt call for all its months)."""
    return {PARTITION_RANGE_START: first, PARTITION_RANGE_END: last}


def run_job(job_name: str, settings: Settings | None = None, **kwargs) -> ExecuteInProcessResult:
    """Execute a job of the code location in this process and raise if it fails."""
    settings = settings or load_settings()
    settings.ensure_dirs()
    from pipelines.definitions import defs  # imported late: it parses the dbt manifest

    job = defs.resolve_job_def(job_name)
    # The full event log is in the run history (make ui); the terminal only gets warnings and errors.
    kwargs.setdefault("run_config", {"loggers": {"console": {"config": {"log_level": "WARNING"}}}})
    result = job.execute_in_process(instance=dagster_instance(settings), **kwargs)
    if not result.success:
        raise RuntimeError(f"Dagster job {job_name!r} failed (run {result.run_id})")
    return result
