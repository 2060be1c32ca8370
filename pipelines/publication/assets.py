"""Publication assets: the Region's monthly and yearly extracts and the OREF's snapshot.

Each asset refuses to make anything visible that fails its checks (the disclosure audit of the
written files, the scan for direct identifiers); the blocking asset checks record the outcome in
Dagster so a failure stops whatever comes after.
"""

from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    BackfillPolicy,
    MaterializeResult,
    TimeWindowPartitionsDefinition,
    asset,
)

from pipelines.config import load_settings
from pipelines.dbt.assets import spro_dbt_monthly_models
from pipelines.ingestion.assets import MONTHLY
from pipelines.publication.service import PublicationRefused, publish_oref, publish_region_extract

YEARLY = TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1 *", start=load_settings().first_month[:4], fmt="%Y", end_offset=0
)
INDICATOR_TABLES = list(spro_dbt_monthly_models.keys)  # the indicator tables are built there
MONTHLY_EXTRACT = AssetKey(["exports", "region_extract_monthly"])
YEARLY_EXTRACT = AssetKey(["exports", "region_extract_yearly"])
OREF_SNAPSHOT = AssetKey(["exports", "oref_snapshot"])
AUDIT_CHECK = "extract_passes_disclosure_audit"
SCAN_CHECK = "snapshot_holds_no_direct_identifier"
AUDIT_CHECK_DESCRIPTION = (
    "Every hidden cell of the written extract keeps an interval at least as wide as its threshold "
    "(LP audit over bassins, agencies, départements, region, networks and months), no count of people "
    "under its threshold is published, and no direct identifier appears in its files. The audit is run twice: "
    "on the warehouse's values and, as any reader can, on the written files alone together with the year's "
    "other extracts (distinct-count totals: a total lies between its largest part and the sum of its parts)."
)


def _publish_periods(context: AssetExecutionContext, periods: list[str]):
    settings = load_settings()
    settings.ensure_dirs()
    outcomes = {}
    for period in periods:
        try:
            outcome = publish_region_extract(settings, period)
        except PublicationRefused as refusal:
            # Nothing of this period was made visible; the blocking check stops the run.
            yield MaterializeResult(metadata={"refus": str(refusal), "periode": period})
            yield AssetCheckResult(check_name=AUDIT_CHECK, passed=False, metadata={"motif": str(refusal)})
            return
        context.log.info(f"extraction {period} : {outcome.folder} ({'nouvelle version' if outcome.created else 'inchangée'})")
        outcomes[period] = outcome
    last = outcomes[periods[-1]]
    hidden = sum(family["hidden_primary"] + family["hidden_secondary"] for family in last.audit.values())
    yield MaterializeResult(metadata={
        "dossiers": ", ".join(str(o.folder) for o in outcomes.values()),
        "nouvelles_versions": sum(o.created for o in outcomes.values()),
        "cellules_masquees_derniere_periode": hidden,
    })
    yield AssetCheckResult(
        check_name=AUDIT_CHECK,
        passed=all(family["passed"] for o in outcomes.values() for family in o.audit.values()),
        metadata={
            **{period: "; ".join(f["summary"] for f in o.audit.values()) for period, o in outcomes.items()},
            **{f"{period} (fichiers)": "; ".join(o.file_audit.values()) or "extraction inchangée"
               for period, o in outcomes.items()},
        },
    )


def build_extract_asset(key: AssetKey, partitions_def, description: str):
    """The Region's extract for each partition (month or year) of a run, with its blocking audit.

    One run publishes every period of its partition range (context.partition_keys), so a backfill
    is one run, like the monthly dbt asset's: with a multi-run policy here, Dagster would split
    every spro_main backfill into one run per month and pay dbt's start-up each time.
    """

    @asset(
        key=key,
        partitions_def=partitions_def,
        backfill_policy=BackfillPolicy.single_run(),
        deps=INDICATOR_TABLES,
        group_name="publication",
        check_specs=[AssetCheckSpec(AUDIT_CHECK, asset=key, blocking=True, description=AUDIT_CHECK_DESCRIPTION)],
        description=description,
    )
    def _extract(context: AssetExecutionContext):
        yield from _publish_periods(context, context.partition_keys)

    return _extract


region_extract_monthly = build_extract_asset(
    MONTHLY_EXTRACT, MONTHLY,
    "Extraction mensuelle des indicateurs pour la Région (XLSX, CSV, Parquet, manifeste), sous secret statistique.",
)
region_extract_yearly = build_extract_asset(
    YEARLY_EXTRACT, YEARLY,
    "Extraction annuelle des indicateurs pour la Région (mois et année), sous secret statistique.",
)


@asset(
    key=OREF_SNAPSHOT,
    deps=INDICATOR_TABLES,
    group_name="publication",
    check_specs=[AssetCheckSpec(SCAN_CHECK, asset=OREF_SNAPSHOT, blocking=True,
                                description="No table of the snapshot holds names, e-mails, phones, NIR, INE, addresses or birth dates.")],
    description="Instantané en lecture seule de l'entrepôt consolidé pour l'OREF (DuckDB + Parquet + catalogue + doc dbt).",
)
def oref_snapshot(context: AssetExecutionContext):
    settings = load_settings()
    settings.ensure_dirs()
    try:
        folder, tables = publish_oref(settings)
    except PublicationRefused as refusal:
        # The previous snapshot stays the current one; the blocking check stops the run.
        yield MaterializeResult(metadata={"refus": str(refusal)})
        yield AssetCheckResult(check_name=SCAN_CHECK, passed=False, metadata={"motif": str(refusal)})
        return
    yield MaterializeResult(metadata={"dossier": str(folder), "tables": tables})
    yield AssetCheckResult(check_name=SCAN_CHECK, passed=True, metadata={"tables_scannees": tables})
