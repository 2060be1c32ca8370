"""What `make demo` does, step by step, with a summary of where everything landed."""

from __future__ import annotations

import duckdb
import click

from pipelines.config import Settings
from pipelines.runner import run_job

REFERENCE_TABLES = (
    "ref_academies", "ref_departements", "ref_agencies", "ref_bassins", "ref_communes",
    "ref_networks", "ref_members", "ref_psad_platforms",
)


def reference_counts(settings: Settings) -> dict[str, int]:
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        return {t: con.execute(f"select count(*) from seeds.{t}").fetchone()[0] for t in REFERENCE_TABLES}


def run_demo(settings: Settings) -> None:
    click.echo("1/1 Construction de l'entrepôt via Dagster (job spro_main)…")
    result = run_job("spro_main", settings)
    click.echo(f"    run Dagster {result.run_id} : succès")
    click.echo("\nRéférentiels chargés :")
    for table, count in reference_counts(settings).items():
        click.echo(f"  seeds.{table:<22} {count:>5} lignes")
    click.echo(f"\nEntrepôt DuckDB : {settings.duckdb_path}")
    click.echo("Interface : make ui  (http://127.0.0.1:3000)")
