"""dbt models and seeds as Dagster assets; dbt tests surface as Dagster asset checks.

Two @dbt_assets over the same manifest, so that no job has a cycle between them:
- spro_dbt_models: seeds, staging and the whole-history models the monthly models read
  (everything that is neither incremental nor downstream of an incremental model);
- spro_dbt_monthly_models: the incremental models (config.materialized:incremental) and
  everything downstream of them, up to the indicator tables, one Dagster month partition each.
  A run of one or several partitions is ONE dbt invocation with --vars {min_month, max_month} =
  the run's partition window (first and last month starts), so a backfill of many months pays
  dbt's start-up once. Each model rebuilds what depends on those months: the facts their months
  (and the 90-day look-back of the redirections), the person summaries the people seen in them,
  the indicator tables the periods (months, years, campaigns) they fall in. The few downstream
  models that stay tables (PSAD journeys) are small and rebuilt whole in the same invocation.
"""


import json
from datetime import timedelta

from dagster import AssetExecutionContext
from dagster_dbt import DbtCliResource, dbt_assets

from pipelines.dbt.project import prepare_manifest, spro_dbt_project
from pipelines.ingestion.partitions import monthly_partitions

# Dagster loads the manifest at import: parse the project first when it changed (no-op otherwise).
prepare_manifest(spro_dbt_project)

DOWNSTREAM_OF_INCREMENTAL = "config.materialized:incremental+"
MONTHLY_PARTITIONS = monthly_partitions()


@dbt_assets(
    manifest=spro_dbt_project.manifest_path,
    project=spro_dbt_project,
    exclude=DOWNSTREAM_OF_INCREMENTAL,
)
def spro_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource):
    """Reference data (seeds), staging and the models upstream of the monthly ones, with their tests."""
    yield from dbt.cli(["build"], context=context).stream()


def month_window_vars(start, end) -> dict[str, str]:
    """dbt vars for a partition time window [start, end): inclusive first and last month starts."""
    last = (end - timedelta(days=1)).replace(day=1)
    return {"min_month": start.strftime("%Y-%m-01"), "max_month": last.strftime("%Y-%m-01")}


@dbt_assets(
    manifest=spro_dbt_project.manifest_path,
    project=spro_dbt_project,
    select=DOWNSTREAM_OF_INCREMENTAL,
    partitions_def=MONTHLY_PARTITIONS,
    name="spro_dbt_monthly_models",
)
def spro_dbt_monthly_models(context: AssetExecutionContext, dbt: DbtCliResource):
    """The monthly incremental models and their dependants for the run's month(s), with their tests."""
    window = context.partition_time_window
    dbt_vars = month_window_vars(window.start, window.end)
    yield from dbt.cli(["build", "--vars", json.dumps(dbt_vars)], context=context).stream()
