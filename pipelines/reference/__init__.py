"""Reference data (the dbt seeds) read straight from their CSV files.

Ingestion runs before dbt has built the `seeds` schema, so it reads the seed files themselves.
"""

from pipelines.reference.loader import Reference, load_reference, seeds_dir_for

__all__ = ["Reference", "load_reference", "seeds_dir_for"]
