"""`spro generate`: the synthetic Grand Est feeds and their ground truth."""

from __future__ import annotations

import os
import re
from pathlib import Path

import click

from sources.generator.config import SCALES, GeneratorConfig
from sources.generator.reference import repo_root


def default_inbox() -> Path:
    if os.environ.get("SPRO_INBOX_DIR"):
        return Path(os.environ["SPRO_INBOX_DIR"])
    warehouse = os.environ.get("SPRO_WAREHOUSE_DIR")
    return (Path(warehouse) if warehouse else repo_root() / "warehouse") / "inbox"


def default_truth() -> Path:
    warehouse = os.environ.get("SPRO_WAREHOUSE_DIR")
    return (Path(warehouse) if warehouse else repo_root() / "warehouse") / "truth"


def _check_month(ctx, param, value: str) -> str:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
        raise click.BadParameter("format attendu : AAAA-MM (ex. 2025-01)")
    return value


@click.command("generate")
@click.option("--scale", type=click.Choice(sorted(SCALES)), default="small", show_default=True,
              help="Volume : tiny (tests), small (démo), region (une région-année).")
@click.option("--seed", type=int, default=7, show_default=True, help="Graine : même graine, mêmes fichiers.")
@click.option("--start", default="2025-01", show_default=True, callback=_check_month, help="Premier mois (AAAA-MM).")
@click.option("--months", type=click.IntRange(1, 600), default=12, show_default=True, help="Nombre de mois.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Boîte de dépôt (défaut : $SPRO_INBOX_DIR ou warehouse/inbox).")
@click.option("--truth", "truth_dir", type=click.Path(path_type=Path), default=None,
              help="Vérité terrain, hors de la boîte de dépôt (défaut : warehouse/truth).")
@click.option("--defect-rate", type=click.FloatRange(0, 50), default=1.0, show_default=True,
              help="Multiplicateur des taux de défauts (0 = flux propres).")
@click.option("--quiet", is_flag=True, help="Sans affichage de la progression.")
def generate_command(scale, seed, start, months, out_dir, truth_dir, defect_rate, quiet):
    """Génère les flux synthétiques du SPRO Grand Est et leur vérité terrain."""
    from sources.generator.generate import generate

    out_dir = out_dir or default_inbox()
    truth_dir = truth_dir or default_truth()
    config = GeneratorConfig(scale=scale, seed=seed, start=start, months=months, defect_rate=defect_rate)
    progress = None if quiet else (lambda message: click.echo(message, err=True))
    try:
        stats = generate(config, out_dir, truth_dir, progress)
    except ValueError as error:
        raise click.ClickException(str(error))
    click.echo(f"{stats.files} fichiers, {stats.rows} lignes ({stats.acts} actes) en {stats.seconds:.1f} s "
               f"-> {out_dir} (vérité : {truth_dir})")
