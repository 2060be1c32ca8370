"""Render the catalogue for dbt: a macro that returns it, and the docs blocks of the docs site."""

from __future__ import annotations

import json
from pathlib import Path

from pipelines.config import REPO_ROOT
from pipelines.indicators.catalogue import CATALOGUE_PATH, Indicator, load_catalogue

DBT_DIR = REPO_ROOT / "dbt_project"
MACRO_PATH = DBT_DIR / "macros" / "spro_catalogue.sql"
DOCS_PATH = DBT_DIR / "models" / "indicators" / "catalogue.md"

FAMILY_LABELS = {
    "suivi": "Indicateurs de suivi (que s'est-il passé ?)",
    "qualite": "Indicateurs de qualité (a-t-on bien fait ?)",
    "performance": "Indicateurs de performance (comment faire mieux ?)",
}
AGGREGATE_LABELS = {
    "included": "inclus (leurs comptes s'additionnent exactement)",
    "excluded": "exclus (l'indicateur exige des données à l'acte)",
    "only": "seuls concernés",
}
HEADER = "generated from dbt_project/indicators/catalogue.yml by `python -m pipelines.indicators generate`: do not edit"


def render_macro(indicators: list[Indicator]) -> str:
    payload = json.dumps({"indicators": [i.as_dict() for i in indicators]}, ensure_ascii=False, indent=1)
    return (
        f"{{#- {HEADER}. -#}}\n"
        "{#- The indicator catalogue as a dict: {'indicators': [{code, label_fr, family, ...}]}. -#}\n"
        "{% macro spro_catalogue() -%}\n"
        "{%- set catalogue_json -%}{% raw %}\n"
        f"{payload}\n"
        "{% endraw %}{%- endset -%}\n"
        "{{ return(fromjson(catalogue_json)) }}\n"
        "{%- endmacro %}\n"
    )


def _docs_block(name: str, body: str) -> str:
    return f"{{% docs {name} %}}\n{body.strip()}\n{{% enddocs %}}\n"


def render_docs(indicators: list[Indicator]) -> str:
    blocks = [f"<!-- {HEADER} -->\n"]
    details: dict[str, str] = {}
    for indicator in indicators:
        dims = ", ".join(indicator.dimensions) or "aucune"
        body = f"""
**{indicator.code} — {indicator.label_fr}** ({FAMILY_LABELS[indicator.family]})

{indicator.definition_fr}

| | |
|---|---|
| Formule | `{indicator.formula}` |
| Unité | {indicator.unit} ({indicator.value_type}) |
| Ventilations | {dims} |
| Périodes | {", ".join(indicator.periods)} |
| Territoires | {", ".join(indicator.geo_levels)} ; totaux par agence, département et région |
| Sources | {", ".join(indicator.feeds)} |
| Seuil de diffusion | {indicator.disclosure_threshold} personnes |
| Membres en agrégats | {AGGREGATE_LABELS[indicator.aggregate_members]} — {indicator.aggregate_reason_fr} |
"""
        details[indicator.code] = body.strip()
        blocks.append(_docs_block(f"ind_{indicator.code.lower()}", body))
    for family, label in FAMILY_LABELS.items():
        rows = [f"| `{i.code}` | {i.label_fr} | {i.unit} | {AGGREGATE_LABELS[i.aggregate_members].split(' ')[0]} |"
                for i in indicators if i.family == family]
        body = (f"{label}, au grain le plus fin publiable (membre, bassin ou plateforme PSAD ; mois, année ou "
                "campagne). Une ligne par indicateur, période, territoire et ventilation ; numérateurs et "
                "dénominateurs en nombres de personnes pour le secret statistique appliqué à la publication.\n\n"
                "| code | libellé | unité | membres en agrégats |\n|---|---|---|---|\n" + "\n".join(rows)
                + "\n\n" + "\n\n---\n\n".join(details[i.code] for i in indicators if i.family == family))
        blocks.append(_docs_block(f"ind_family_{family}", body))
    overview = [f"| `{i.code}` | {i.family} | {i.label_fr} | {AGGREGATE_LABELS[i.aggregate_members].split(' ')[0]} |"
                for i in indicators]
    blocks.append(_docs_block(
        "ind_catalogue_overview",
        "Le catalogue des indicateurs communs du SPRO Grand Est (source : `dbt_project/indicators/catalogue.yml`).\n\n"
        "| code | famille | libellé | membres en agrégats |\n|---|---|---|---|\n" + "\n".join(overview),
    ))
    return "\n".join(blocks)


def generated_files(path: Path = CATALOGUE_PATH) -> dict[Path, str]:
    indicators = load_catalogue(path)
    return {MACRO_PATH: render_macro(indicators), DOCS_PATH: render_docs(indicators)}


def write_generated(path: Path = CATALOGUE_PATH) -> list[Path]:
    """Write the generated files that changed (unchanged files keep their mtime: dbt partial parse)."""
    written = []
    for target, content in generated_files(path).items():
        if not target.exists() or target.read_text(encoding="utf-8") != content:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
            written.append(target)
    return written


def stale_files(path: Path = CATALOGUE_PATH) -> list[Path]:
    return [target for target, content in generated_files(path).items()
            if not target.exists() or target.read_text(encoding="utf-8") != content]
