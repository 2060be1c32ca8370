"""The scheduled retention job (see purge.py for the rules)."""

from datetime import date

import duckdb
from dagster import OpExecutionContext, job, op

from pipelines.config import load_settings
from pipelines.retention.purge import apply_retention, default_rules, purge_archive


@op(description="Supprime les données personnelles pseudonymisées arrivées à échéance et trace la purge.")
def purge_past_due(context: OpExecutionContext) -> None:
    settings = load_settings()
    today = date.today()
    with duckdb.connect(str(settings.duckdb_path)) as con:
        audit = apply_retention(con, default_rules(settings.retention_years), today)
    removed = purge_archive(settings.archive_dir, today)
    for row in audit:
        context.log.info(f"{row['rule']}: {row['rows_deleted']} lignes supprimées (avant le {row['cutoff']})")
    context.log.info(f"archive : {len(removed)} fichiers nominatifs supprimés")


@job(description="Purge de rétention (RGPD) : PSAD 2 ans après le dernier contact, autres données selon la durée configurée.")
def retention_job():
    purge_past_due()
