"""`spro`: the one command-line entry point; each Makefile target calls a subcommand."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

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
def demo() -> None:
    """Run the whole warehouse end to end on the demo data and say where the outputs are."""
    from pipelines.demo import run_demo

    run_demo(load_settings())


@main.command()
@click.option("--port", default=3000, show_default=True)
def ui(port: int) -> None:
    """Dagster's web UI on 127.0.0.1 (runs of `make demo` appear in its history)."""
    settings = load_settings()
    settings.ensure_dirs()
    env = {**os.environ, "DAGSTER_HOME": str(settings.dagster_home)}
    command = [
        os.path.join(os.path.dirname(sys.executable), "dagster-webserver"),
        "-h", "127.0.0.1", "-p", str(port), "-w", str(settings.home / "workspace.yaml"),
    ]
    click.echo(f"Interface Dagster : http://127.0.0.1:{port}  (Ctrl-C pour arrêter)")
    # A background `make` may have inherited an ignored SIGINT: restore it so Ctrl-C works.
    subprocess.run(command, env=env, check=False, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


@main.command()
def docs() -> None:
    """Generate the dbt documentation site (lineage, columns, the indicators' definitions)."""
    from pipelines.dbt.project import prepare_manifest, spro_dbt_project
    from dagster_dbt import DbtCliResource

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


if __name__ == "__main__":
    main()
