"""Month windows handed to the monthly dbt models, one calendar year at most per dbt invocation.

A window of many years in one invocation makes each indicator model one query over the whole
range: its grouping sets and distinct counts then hold every year's hash tables at once, spill to
disk and slow down more than linearly (three region years took five times one year, then filled
the disk). Built one year after the other, each invocation reads and aggregates one year (the
years and campaigns a window touches are recomputed whole, the 90-day look-back reaches into the
year before), so a ten-year history costs about ten years, in one year's memory. Years, not
months: a month's invocation recomputes its whole year's distinct counts, so monthly steps would
pay for each year twelve times.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

# The dbt selection of the monthly models: the incremental ones and everything downstream of them
# (the partitioned dbt asset); the other models make the unpartitioned one.
MONTHLY_MODELS = "config.materialized:incremental+"


def month_window_vars(start, end) -> dict[str, str]:
    """dbt vars for a partition time window [start, end): inclusive first and last month starts."""
    last = (end - timedelta(days=1)).replace(day=1)
    return {"min_month": start.strftime("%Y-%m-01"), "max_month": last.strftime("%Y-%m-01")}


def _month_start(value) -> date:
    if isinstance(value, str):
        value = datetime.strptime(value[:7], "%Y-%m")
    return date(value.year, value.month, 1)


def yearly_windows(min_month, max_month) -> list[dict[str, str]]:
    """The window [min_month, max_month] (month starts, inclusive) cut at calendar years, in order.

    >>> yearly_windows("2024-11-01", "2026-02-01")
    [{'min_month': '2024-11-01', 'max_month': '2024-12-01'}, {'min_month': '2025-01-01', 'max_month': '2025-12-01'}, {'min_month': '2026-01-01', 'max_month': '2026-02-01'}]
    """
    first, last = _month_start(min_month), _month_start(max_month)
    if last < first:
        raise ValueError(f"fenêtre de mois vide : {min_month} > {max_month}")
    windows = []
    for year in range(first.year, last.year + 1):
        start = max(first, date(year, 1, 1))
        end = min(last, date(year, 12, 1))
        windows.append({"min_month": start.isoformat(), "max_month": end.isoformat()})
    return windows


def window_commands(min_month, max_month, selection: tuple[str, ...] = ()) -> list[list[str]]:
    """The dbt commands that build the months [min_month, max_month], one calendar year each: the
    years before the last are `run` (models only), the last is `build`, whose tests run once, on the
    final tables (a Dagster run streams only that one: its events are the run's materialisations)."""
    *earlier, last = yearly_windows(min_month, max_month)
    commands = [["run", *selection, "--vars", json.dumps(window)] for window in earlier]
    return commands + [["build", *selection, "--vars", json.dumps(last)]]
