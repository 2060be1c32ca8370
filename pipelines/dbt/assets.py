"""dbt models and seeds as Dagster assets; dbt tests surface as Dagster asset checks.

Two @dbt_assets over the same manifest, so that no job has a cycle between them:
- spro_dbt_models: seeds, staging and the whole-history models the monthly models read
  (everything that is neither incremental nor downstream of an incremental model);
- spro_dbt_monthly_models: the incremental models (config.materialized:incremental) and
  everything downstream of them, up to the indicator tables, one Dagster month partition each.
  A run of one or several partitions is one dbt invocation per calendar year of the run's
  partition window, with --vars {min_month, max_month} = that year's part of the window (first and
  last month starts; windows.py says why a year): a backfill of ten years pays dbt's start-up ten
  times, not 120, and each invocation one year's memory. Each model rebuilds what depends on those months: the facts their months
  (and the 90-day look-back of the redirections), the person summaries the people seen in them,
  the indicator tables the periods (months, years, campaigns) they fall in. The few downstream
  models that stay tables (PSAD journeys) are small and rebuilt whole in the same invocation.
"""


from dagster import AssetExecutionContext
from dagster_dbt import DbtCliResource, dbt_assets

from pipelines.dbt.project import prepare_manifest, spro_dbt_project
from pipelines.dbt.windows import MONTHLY_MODELS, month_window_vars, window_commands
from pipelines.ingestion.partitions import monthly_partitions

# Dagster loads the manifest at import: parse the project first when it changed (no-op otherwise).
prepare_manifest(spro_dbt_project)

MONTHLY_PARTITIONS = monthly_partitions()


@dbt_assets(
    manifest=spro_dbt_project.manifest_path,
    project=spro_dbt_project,
    exclude=MONTHLY_MODELS,
)
def spro_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource):
    """Reference data (seeds), staging and the models upstream of the monthly ones, with their tests."""
    yield from dbt.cli(["build"], context=context).stream()


@dbt_assets(
    manifest=spro_dbt_project.manifest_path,
    project=spro_dbt_project,
    select=MONTHLY_MODELS,
    partitions_def=MONTHLY_PARTITIONS,
    name="spro_dbt_monthly_models",
)
def spro_dbt_monthly_models(context: AssetExecutionContext, dbt: DbtCliResource):
    """The monthly incremental models and their dependants for the run's month(s), with their tests."""
    window = month_window_vars(context.partition_time_window.start, context.partition_time_window.end)
    *earlier, last = window_commands(window["min_month"], window["max_month"])
    for command in earlier:
        context.log.info("dbt %s", " ".join(command))
        dbt.cli(command, context=context).wait()
    yield from dbt.cli(last, context=context).stream()
