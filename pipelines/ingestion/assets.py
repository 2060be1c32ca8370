"""The four raw feed layers as monthly-partitioned Dagster assets, with their asset checks.

Each asset partition loads the inbox files of its feeds for that month (one DuckDB transaction per
file), then computes its checks on what landed. The checks that protect the agreed definitions are
blocking: when one fails, downstream assets of the run do not materialise.
"""


import duckdb
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
)

from pipelines.config import load_settings
from pipelines.ingestion.checks import CHECK_SPECS, run_checks
from pipelines.ingestion.contracts import load_contracts
from pipelines.ingestion.partitions import monthly_partitions
from pipelines.reference import load_reference

MONTHLY = monthly_partitions()

RAW_ASSETS_DOC = {
    "raw_member_activity": "Activité des membres (actes et comptages mensuels) : raw.activity_acts, raw.activity_aggregates.",
    "raw_rio": "Listes SIEI/RIO des décrocheurs et suivi des PSAD : raw.rio_entries, raw.psad_followups.",
    "raw_lorfolio": "Journal d'usage de Lorfolio : raw.lorfolio_events.",
    "raw_events": "Agenda de l'orientation : raw.events, raw.event_registrations, raw.event_satisfaction.",
}


class IngestConfig(Config):
    """force_reload: reload the current version of every file of the month (delete + insert)."""

    force_reload: bool = False


def _metadata(result) -> dict:
    outcomes = [o for o in result.outcomes if o.status != "already"]
    return {
        "fichiers_traites": len(outcomes),
        "fichiers_charges": result.count("loaded"),
        "fichiers_refuses": result.count("rejected"),
        "fichiers_doublons": result.count("duplicate"),
        "fichiers_en_echec": result.count("failed"),
        "lignes_lues": sum(o.rows_read for o in outcomes),
        "lignes_chargees": sum(o.rows_loaded for o in outcomes),
        "lignes_ecartees": sum(o.rows_quarantined for o in outcomes),
        "detail": MetadataValue.md("\n".join(
            f"- `{o.file_name}` : {o.status}" + (f" ({o.reason_code})" if o.reason_code else "")
            for o in outcomes) or "aucun nouveau fichier"),
    }


def build_raw_asset(name: str):
    check_specs = [AssetCheckSpec(check, asset=name, blocking=blocking, description=description)
                   for check, (blocking, description) in CHECK_SPECS.items()]

    @asset(name=name, partitions_def=MONTHLY, group_name="ingestion", check_specs=check_specs,
           description=RAW_ASSETS_DOC[name], kinds={"duckdb", "python"})
    def _raw_asset(context: AssetExecutionContext, config: IngestConfig):
        from pipelines.ingestion.service import ingest_partition

        settings = load_settings()
        month = context.partition_key
        result = ingest_partition(settings, name, month, run_id=context.run_id, force=config.force_reload)
        yield MaterializeResult(metadata=_metadata(result))
        con = duckdb.connect(str(settings.duckdb_path))
        try:
            outcomes = run_checks(con, name, month, load_contracts(settings), load_reference(settings))
        finally:
            con.close()
        for outcome in outcomes:
            yield AssetCheckResult(check_name=outcome.name, passed=outcome.passed, asset_key=AssetKey(name),
                                   severity=AssetCheckSeverity.ERROR, description=outcome.description,
                                   metadata={k: MetadataValue.json(v) if isinstance(v, (dict, list)) else v
                                             for k, v in outcome.metadata.items()})

    return _raw_asset


RAW_ASSETS = [build_raw_asset(name) for name in RAW_ASSETS_DOC]
RAW_ASSET_KEYS = [AssetKey(name) for name in RAW_ASSETS_DOC]
