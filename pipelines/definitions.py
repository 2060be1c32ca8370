"""The Dagster code location of the SPRO Grand Est warehouse (see workspace.yaml)."""

from __future__ import annotations

from dagster import AssetSelection, Definitions, define_asset_job, in_process_executor
from dagster_dbt import DbtCliResource

from pipelines.dbt.assets import spro_dbt_models
from pipelines.dbt.project import spro_dbt_project
from pipelines.ingestion.assets import MONTHLY, RAW_ASSETS
from pipelines.ingestion.sensors import build_inbox_sensor

INGESTION = AssetSelection.groups("ingestion")

# The main job: everything, in dependency order. Later layers (ingestion, publication) join it.
# The raw layer is partitioned by month and runs through `ingest_month` (one run per month), so the
# unpartitioned main job selects everything else.
spro_main_job = define_asset_job(
    name="spro_main",
    selection=AssetSelection.all() - INGESTION,
    description="Construit tout l'entrepôt : référentiels, modèles dbt et leurs contrôles.",
)

# Ingestion of one month: the four raw feed layers of that partition, with their asset checks.
ingest_month_job = define_asset_job(
    name="ingest_month",
    selection=INGESTION,
    partitions_def=MONTHLY,
    description="Charge les fichiers reçus d'un mois (partition) dans les tables brutes, contrôles compris.",
)

defs = Definitions(
    assets=[spro_dbt_models, *RAW_ASSETS],
    jobs=[spro_main_job, ingest_month_job],
    sensors=[build_inbox_sensor(ingest_month_job)],
    resources={"dbt": DbtCliResource(project_dir=spro_dbt_project)},
    # DuckDB allows one writer at a time: steps run one after another in one process.
    executor=in_process_executor,
)
