"""The Dagster code location of the SPRO Grand Est warehouse (see workspace.yaml)."""

from __future__ import annotations

from dagster import AssetSelection, Definitions, define_asset_job, in_process_executor
from dagster_dbt import DbtCliResource

from pipelines.dbt.assets import spro_dbt_models
from pipelines.dbt.project import spro_dbt_project

# The main job: everything, in dependency order. Later layers (ingestion, publication) join it.
spro_main_job = define_asset_job(
    name="spro_main",
    selection=AssetSelection.all(),
    description="Construit tout l'entrepôt : référentiels, modèles dbt et leurs contrôles.",
)

defs = Definitions(
    assets=[spro_dbt_models],
    jobs=[spro_main_job],
    resources={"dbt": DbtCliResource(project_dir=spro_dbt_project)},
    # DuckDB allows one writer at a time: steps run one after another in one process.
    executor=in_process_executor,
)
