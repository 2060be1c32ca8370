"""The Dagster code location of the SPRO Grand Est warehouse (see workspace.yaml).

Two jobs carry the monthly flow:
- `ingest_month` loads one month's received files into the raw tables (the inbox sensor starts it);
- `spro_main` builds everything downstream for a month or a range of months: the person key, the
  dbt models (the monthly ones over the run's window in one dbt call), the indicators, the Region's
  monthly extract and the OREF snapshot. A successful `ingest_month` run starts `spro_main` for
  the same month; the monthly schedule runs it for the previous month.
`region_extract_yearly` and `retention_job` run on their own schedules (pipelines/schedules.py).
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

from pipelines.dbt.assets import spro_dbt_models, spro_dbt_monthly_models
from pipelines.dbt.project import spro_dbt_project
from pipelines.ingestion.assets import RAW_ASSETS
from pipelines.ingestion.sensors import build_inbox_sensor
from pipelines.linkage.assets import person_links
from pipelines.publication.assets import (
    oref_snapshot,
    region_extract_monthly,
    region_extract_yearly,
)
from pipelines.retention.jobs import retention_job
from pipelines.schedules import build_schedules

INGESTION = AssetSelection.groups("ingestion")
YEARLY_EXTRACT = AssetSelection.assets(region_extract_yearly)

ingest_month_job = define_asset_job(
    name="ingest_month",
    selection=INGESTION,
    description="Charge les fichiers reçus d'un mois (partition) dans les tables brutes, contrôles compris.",
)

spro_main_job = define_asset_job(
    name="spro_main",
    selection=AssetSelection.all() - INGESTION - YEARLY_EXTRACT,
    description=(
        "Construit l'entrepôt pour un mois ou une plage de mois : clé personne, modèles dbt, "
        "indicateurs communs et publication."
    ),
)


region_extract_yearly_job = define_asset_job(
    name="region_extract_yearly",
    selection=YEARLY_EXTRACT,
    description="Extraction annuelle pour la Région (année précédente, ou toute année à la demande).",
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
    assets=[
        *RAW_ASSETS, person_links, spro_dbt_models, spro_dbt_monthly_models,
        region_extract_monthly, region_extract_yearly, oref_snapshot,
    ],
    jobs=[ingest_month_job, spro_main_job, region_extract_yearly_job, retention_job],
    schedules=build_schedules(spro_main_job, region_extract_yearly_job, retention_job),
    sensors=[build_inbox_sensor(ingest_month_job), build_after_ingestion],
    resources={"dbt": DbtCliResource(project_dir=spro_dbt_project)},
    # DuckDB allows one writer at a time: steps run one after another in one process.
    executor=in_process_executor,
)
