"""The Dagster code location of the SPRO Grand Est warehouse (see workspace.yaml).

Two jobs carry the monthly flow:
- `ingest_month` loads one month's received files into the raw tables (the inbox sensor starts it);
- `spro_main` builds everything downstream for a month or a range of months: the person key, the
  dbt models (the monthly ones over the run's window in one dbt call), the indicators and their
  publication. A successful `ingest_month` run starts `spro_main` for the same month.
"""

from dagster import (
    AssetSelection,
    DagsterRunStatus,
    Definitions,
    RunRequest,
    define_asset_job,
    in_process_executor,
    run_status_sensor,
)
from dagster_dbt import DbtCliResource

from pipelines.dbt.assets import spro_dbt_indicator_models, spro_dbt_models, spro_dbt_monthly_models
from pipelines.dbt.project import spro_dbt_project
from pipelines.ingestion.assets import MONTHLY, RAW_ASSETS
from pipelines.ingestion.sensors import build_inbox_sensor
from pipelines.linkage.assets import person_links

INGESTION = AssetSelection.groups("ingestion")

ingest_month_job = define_asset_job(
    name="ingest_month",
    selection=INGESTION,
    partitions_def=MONTHLY,
    description="Charge les fichiers reçus d'un mois (partition) dans les tables brutes, contrôles compris.",
)

spro_main_job = define_asset_job(
    name="spro_main",
    selection=AssetSelection.all() - INGESTION,
    partitions_def=MONTHLY,
    description=(
        "Construit l'entrepôt pour un mois ou une plage de mois : clé personne, modèles dbt, "
        "indicateurs communs et publication."
    ),
)


@run_status_sensor(
    run_status=DagsterRunStatus.SUCCESS,
    monitored_jobs=[ingest_month_job],
    request_job=spro_main_job,
    name="build_after_ingestion",
    description="Après le chargement d'un mois, reconstruit les modèles et les indicateurs de ce mois.",
)
def build_after_ingestion(context):
    partition = context.dagster_run.tags.get("dagster/partition")
    if partition:
        return RunRequest(run_key=f"build:{context.dagster_run.run_id}", partition_key=partition)
    return None


defs = Definitions(
    assets=[*RAW_ASSETS, person_links, spro_dbt_models, spro_dbt_monthly_models, spro_dbt_indicator_models],
    jobs=[ingest_month_job, spro_main_job],
    sensors=[build_inbox_sensor(ingest_month_job), build_after_ingestion],
    resources={"dbt": DbtCliResource(project_dir=spro_dbt_project)},
    # DuckDB allows one writer at a time: steps run one after another in one process.
    executor=in_process_executor,
)
