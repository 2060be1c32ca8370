"""The person key as a Dagster asset: linkage runs after ingestion, before the dbt models.

Mode (link_warehouse.choose_mode): incremental when a model is stored (ops.linkage_model, same
model definition), ops.person_links exists and the new identities are at most
INCREMENTAL_MAX_NEW_SHARE (25 %) of those already linked; full otherwise, or when the run's config
says mode: full (`spro link --full` from the command line).
"""

import duckdb
from dagster import AssetKey, Config, MaterializeResult, asset
from pydantic import Field

from pipelines.config import load_settings
from pipelines.ingestion.assets import RAW_ASSETS
from pipelines.linkage.link_warehouse import INCREMENTAL_MAX_NEW_SHARE, link_identities


class PersonLinksConfig(Config):
    mode: str = Field(default="auto", description="auto | full | incremental")


@asset(
    key=AssetKey(["ops", "person_links"]),
    deps=RAW_ASSETS,
    group_name="linkage",
    description=(
        "Clé personne pseudonyme : liens déterministes (INE) puis probabilistes (Fellegi-Sunter sur "
        "jetons chiffrés) entre les identités transmises par les membres. Incrémental (seules les "
        "nouvelles identités sont comparées, avec le modèle enregistré) quand les nouvelles identités "
        f"représentent au plus {INCREMENTAL_MAX_NEW_SHARE:.0%} des identités déjà appariées ; complet sinon."
    ),
)
def person_links(config: PersonLinksConfig) -> MaterializeResult:
    settings = load_settings()
    with duckdb.connect(str(settings.duckdb_path)) as con:
        table = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'ops' and table_name = 'identity_tokens'"
        ).fetchone()[0]
        if not table:
            return MaterializeResult(metadata={"identities": 0, "note": "aucune identité reçue"})
        summary = link_identities(con, mode=config.mode)
    metadata = {k: v for k, v in summary.as_dict().items() if isinstance(v, (int, float, str)) and v is not None}
    metadata["identities_total"] = summary.identities
    metadata["seconds"] = round(summary.seconds, 2)
    return MaterializeResult(metadata=metadata)
