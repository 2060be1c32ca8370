"""The indicator catalogue: load it, check that the dbt models agree with it, render it for dbt.

The catalogue (dbt_project/indicators/catalogue.yml) is the single source of truth for every common
indicator. From it this package generates:

- ``dbt_project/macros/spro_catalogue.sql``: a macro returning the catalogue to dbt, which the
  indicator models use to know each indicator's family, periods, territories and breakdowns;
- ``dbt_project/models/indicators/catalogue.md``: one ``{% docs %}`` block per indicator (label,
  definition, formula, unit, dimensions, threshold, aggregate members) that the dbt docs site shows.

``python -m pipelines.indicators generate`` rewrites both; ``check`` fails when they are stale or when a
model and the catalogue disagree (tests/indicators runs it).
"""

from pipelines.indicators.catalogue import (  # noqa: F401
    CATALOGUE_PATH,
    Indicator,
    load_catalogue,
)
