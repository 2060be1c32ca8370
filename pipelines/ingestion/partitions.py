"""The monthly partitions of the raw layer, starting at settings.first_month."""

from __future__ import annotations

from datetime import datetime

from dagster import MonthlyPartitionsDefinition

from pipelines.config import Settings, load_settings


def monthly_partitions(settings: Settings | None = None) -> MonthlyPartitionsDefinition:
    """One partition per month from first_month; end_offset=1 so the current month is loadable."""
    settings = settings or load_settings()
    year, month = (int(part) for part in settings.first_month.split("-"))
    return MonthlyPartitionsDefinition(start_date=datetime(year, month, 1), end_offset=1, fmt="%Y-%m")


def partition_keys(settings: Settings | None = None) -> list[str]:
    return monthly_partitions(settings).get_partition_keys()
