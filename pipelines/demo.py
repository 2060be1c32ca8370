"""What `make demo` does, step by step, with a summary of where everything landed."""

from __future__ import annotations

import json

import click
import duckdb

from pipelines.config import Settings
from pipelines.runner import partition_range_tags, run_job

DEMO_SCALE = "small"
DEMO_SEED = 7
DEMO_START = "2025-01"
# Three months keep `make demo` within a few minutes on 2 cores (~300 member files a month) while
# giving the 30/90-day redirection windows and the monthly incremental models something to do.
DEMO_MONTHS = 3


def _generated_with(settings: Settings) -> dict | None:
    marker = settings.truth_dir / "generation.json"
    return json.loads(marker.read_text()) if marker.exists() else None


def generate_demo_feeds(settings: Settings, scale: str, months: int, start: str, seed: int) -> None:
    """Generate the synthetic region unless the inbox already holds exactly this generation."""
    from sources.generator.cli import generate_command

    previous = _generated_with(settings)
    wanted = {"scale": scale, "months": months, "start": start, "seed": seed}
    if previous and all(previous.get(k) == v for k, v in wanted.items()) and settings.inbox_dir.exists():
        click.echo(f"    flux déjà générés ({scale}, {months} mois depuis {start}) : réutilisés")
        return
    generate_command.main(
        ["--scale", scale, "--seed", str(seed), "--start", start, "--months", str(months),
         "--out", str(settings.inbox_dir), "--truth", str(settings.truth_dir), "--quiet"],
        standalone_mode=False,
    )


def run_demo(settings: Settings, scale: str = DEMO_SCALE, months: int = DEMO_MONTHS,
             start: str = DEMO_START, seed: int = DEMO_SEED) -> None:
    from pipelines.indicators.summary import french_summary
    from pipelines.ingestion.service import format_ledger_summary, ingest_inbox
    from pipelines.privacy.keys import load_key

    settings.ensure_dirs()
    key = load_key()
    click.echo(f"Clé de pseudonymisation : {key.message or f'{key.path} (empreinte {key.key_id})'}")

    click.echo(f"1/3 Génération d'une région synthétique ({scale}, {months} mois depuis {start}, graine {seed})…")
    generate_demo_feeds(settings, scale, months, start, seed)
    click.echo(f"    boîte de dépôt : {settings.inbox_dir} ; vérité terrain (hors pipeline) : {settings.truth_dir}")

    click.echo("2/3 Chargement de la boîte de dépôt via Dagster (job ingest_month, un run par mois)…")
    ingestion = ingest_inbox(settings)
    loaded_months = sorted(ingestion["runs"])
    click.echo(f"    mois chargés : {', '.join(loaded_months)}")

    click.echo("3/3 Construction des modèles, indicateurs et publications via Dagster (job spro_main)…")
    result = run_job("spro_main", settings, tags=partition_range_tags(loaded_months[0], loaded_months[-1]))
    click.echo(f"    run Dagster {result.run_id} : succès")

    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        click.echo("")
        click.echo(format_ledger_summary(con))
        click.echo("")
        click.echo(french_summary(con))
    from pipelines.publication.extracts import latest_version_dir
    from pipelines.publication.oref_snapshot import SNAPSHOT_FILE, current_snapshot

    extract = latest_version_dir(settings.exports_dir, loaded_months[-1])
    snapshot = current_snapshot(settings.oref_dir)
    click.echo("")
    click.echo(f"Extraction mensuelle Région ({loaded_months[-1]}) : {extract}")
    current = settings.oref_dir / "current" / SNAPSHOT_FILE
    click.echo(f"Instantané de l'OREF (lecture seule)   : {current if snapshot else '—'}")
    click.echo(f"Entrepôt DuckDB          : {settings.duckdb_path}")
    click.echo(f"Rapports aux membres     : {settings.reports_dir}")
    click.echo("Interface Dagster        : make ui  (http://127.0.0.1:3000)")
