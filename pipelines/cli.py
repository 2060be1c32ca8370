"""`spro`: the one command-line entry point; each Makefile target calls a subcommand."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import click

from pipelines.config import load_settings


@click.group()
def main() -> None:
    """Entrepôt de statistiques partagées du SPRO Grand Est."""


@main.command()
def prepare() -> None:
    """Parse the dbt project into the manifest Dagster reads (only when it changed)."""
    from pipelines.dbt.project import prepare_manifest, spro_dbt_project

    path = prepare_manifest(spro_dbt_project)
    click.echo(f"dbt manifest: {path}")


@main.command()
@click.option("--scale", default="small", show_default=True, type=click.Choice(["tiny", "small", "region"]))
@click.option("--months", default=3, show_default=True, help="Number of months generated and loaded.")
@click.option("--start", default="2025-01", show_default=True, help="First month (YYYY-MM).")
@click.option("--seed", default=7, show_default=True)
def demo(scale: str, months: int, start: str, seed: int) -> None:
    """Run the whole warehouse end to end on a synthetic region and say where the outputs are."""
    from pipelines.demo import run_demo

    run_demo(load_settings(), scale=scale, months=months, start=start, seed=seed)


def _dagster_env(settings) -> dict[str, str]:
    return {**os.environ, "DAGSTER_HOME": str(settings.dagster_home)}


def _restore_sigint() -> None:
    """A process started from a background `make` inherits an ignored SIGINT: restore the default."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _webserver_command(settings, port: int) -> list[str]:
    return [
        os.path.join(os.path.dirname(sys.executable), "dagster-webserver"),
        "-h", "127.0.0.1", "-p", str(port), "-w", str(settings.home / "workspace.yaml"),
    ]


@main.command()
@click.option("--port", default=3000, show_default=True)
def ui(port: int) -> None:
    """Dagster's web UI on 127.0.0.1 (runs of `make demo` appear in its history)."""
    settings = load_settings()
    settings.ensure_dirs()
    click.echo(f"Interface Dagster : http://127.0.0.1:{port}  (Ctrl-C pour arrêter)")
    subprocess.run(_webserver_command(settings, port), env=_dagster_env(settings), check=False,
                   preexec_fn=_restore_sigint)


@main.command()
@click.option("--port", default=3000, show_default=True)
def serve(port: int) -> None:
    """Production mode: the web UI and the Dagster daemon (schedules, inbox sensor); stops cleanly.

    The two run as separate processes (not `dagster dev`, which ignores SIGTERM when started in the
    background); SIGTERM or Ctrl-C stops both.
    """
    settings = load_settings()
    settings.ensure_dirs()
    env = _dagster_env(settings)
    daemon_command = [
        os.path.join(os.path.dirname(sys.executable), "dagster-daemon"), "run",
        "-w", str(settings.home / "workspace.yaml"),
    ]
    processes = [
        subprocess.Popen(_webserver_command(settings, port), env=env, preexec_fn=_restore_sigint),
        subprocess.Popen(daemon_command, env=env, preexec_fn=_restore_sigint),
    ]
    click.echo(f"Interface Dagster : http://127.0.0.1:{port} ; démon Dagster démarré (planifications, capteur de la boîte de dépôt).")

    def stop(signum, frame):  # noqa: ARG001 - signal handler signature
        for process in processes:
            if process.poll() is None:
                process.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
    finally:
        stop(None, None)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    click.echo("Serveur arrêté.")


@main.command()
def docs() -> None:
    """Generate the dbt documentation site (lineage, columns, the indicators' definitions)."""
    from dagster_dbt import DbtCliResource

    from pipelines.dbt.project import prepare_manifest, spro_dbt_project
    from pipelines.indicators.render import write_generated

    write_generated()  # the catalogue's definitions as dbt docs blocks, so the site shows them
    prepare_manifest(spro_dbt_project)
    settings = load_settings()
    settings.ensure_dirs()
    target = settings.warehouse_dir / "dbt_docs"
    DbtCliResource(project_dir=spro_dbt_project).cli(
        ["docs", "generate"], target_path=target, raise_on_error=True
    ).wait()
    click.echo(f"Documentation dbt : {target / 'index.html'}")
    click.echo(
        "Pour la parcourir : .venv/bin/dbt docs serve --project-dir dbt_project "
        f"--profiles-dir {settings.dbt_profiles_dir} --target-path {target} --host 127.0.0.1"
    )


@main.command()
@click.option("--scale", default="region", show_default=True, type=click.Choice(["tiny", "small", "region"]))
@click.option("--months", default=12, show_default=True)
@click.option("--start", default="2025-01", show_default=True)
@click.option("--workdir", default="/tmp/spro-bench", show_default=True, type=click.Path())
@click.option("--history-years", default=0, show_default=True,
              help="Ajoute le banc dbt sur N années d'historique reconstituées (0 = sans).")
@click.option("--history-base", default=None, type=click.Path(exists=True, dir_okay=False),
              help="Entrepôt déjà chargé servant de base à l'historique (seul ce banc est alors lancé).")
def bench(scale: str, months: int, start: str, workdir: str, history_years: int, history_base: str | None) -> None:
    """Speed and memory ratios at region scale (generation, ingestion vs bare read, dbt, linkage)."""
    from pathlib import Path

    from pipelines.bench import run_bench

    run_bench(Path(workdir), scale, months, start, history_years=history_years,
              history_base=Path(history_base) if history_base else None)


def _register_feature_commands() -> None:
    """Subcommands that live with their feature's package."""
    from pipelines.linkage.cli import link_command
    from pipelines.portal.cli import accounts_group, portal_command
    from sources.generator.cli import generate_command

    main.add_command(generate_command, name="generate")
    main.add_command(accounts_group, name="accounts")
    main.add_command(portal_command, name="portal")
    main.add_command(link_command, name="link")


_register_feature_commands()

if __name__ == "__main__":
    main()
