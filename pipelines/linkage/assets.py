"""The person key as a Dagster asset: linkage runs after ingestion, before the dbt models."""

import duckdb
from dagster import AssetKey, MaterializeResult, asset

from pipelines.config import load_settings
from pipelines.ingestion.assets import RAW_ASSETS
from pipelines.linkage.link_warehouse import link_identities


@asset(
    key=AssetKey(["ops", "person_links"]),
    deps=RAW_ASSETS,
    group_name="linkage",
    description=(
        "Clé personne pseudonyme : liens déterministes (INE) puis probabilistes (Fellegi-Sunter sur "
        "jetons chiffrés) entre les identités transmises par les membres."
    ),
)
def person_links() -> MaterializeResult:
    settings = load_settings()
    with duckdb.connect(str(settings.duckdb_path)) as con:
        table = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'ops' and table_name = 'identity_tokens'"
        ).fetchone()[0]
        if not table:
            return MaterializeResult(metadata={"identities": 0, "note": "aucune identité reçue"})
        summary = link_identities(con)
    metadata = {k: v for k, v in summary.as_dict().items() if isinstance(v, (int, float, str))}
    return MaterializeResult(metadata=metadata)
