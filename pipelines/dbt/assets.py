"""dbt models and seeds as Dagster assets; dbt tests surface as Dagster asset checks."""

# No `from __future__ import annotations` here: Dagster inspects the `context` annotation at runtime.


from dagster import AssetExecutionContext
from dagster_dbt import DbtCliResource, dbt_assets

from pipelines.dbt.project import prepare_manifest, spro_dbt_project

# Dagster loads the manifest at import: parse the project first when it changed (no-op otherwise).
prepare_manifest(spro_dbt_project)

INCREMENTAL_SELECTOR = "config.materialized:incremental"


@dbt_assets(
    manifest=spro_dbt_project.manifest_path,
    project=spro_dbt_project,
    exclude=INCREMENTAL_SELECTOR,
)
def spro_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource):
    """Reference data (seeds) and the non-incremental models, built with their tests."""
    yield from dbt.cli(["build"], context=context).stream()
