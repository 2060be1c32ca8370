"""Publication as the pipeline runs it: the Region's extract of a period, the OREF snapshot."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.config import Settings
from pipelines.indicators.catalogue import CATALOGUE_PATH, load_catalogue
from pipelines.privacy.identifier_scan import format_summary, scan_duckdb, scan_files
from pipelines.publication.datasets import Period, audit_written_extract, build_datasets, statuses_published_elsewhere
from pipelines.publication.extracts import latest_version_dir, write_extract
from pipelines.publication.reaudit import audit_extract_folder, small_counts_published
from pipelines.publication.oref_snapshot import SNAPSHOT_FILE, publish_snapshot


class PublicationRefused(RuntimeError):
    """A publication failed its disclosure audit or its identifier scan: nothing was made visible."""


def code_version(settings: Settings) -> str:
    """The commit the extract was computed with (recorded in every manifest)."""
    try:
        out = subprocess.run(["git", "-C", str(settings.home), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, check=True, timeout=10)
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "inconnue"


@dataclass(frozen=True)
class ExtractOutcome:
    folder: Path
    created: bool
    audit: dict
    file_audit: dict  # {dataset: summary} of the re-audit from the written files alone


def _audit_from_files(settings: Settings, sources: list[str], folder: Path) -> dict[str, str]:
    """The re-audit a reader can run: this extract's files and those of the year's other extracts
    it was protected with (``sources``; manifests + CSV, no warehouse). Raises if a hidden cell is exposed."""
    folders = [latest_version_dir(settings.exports_dir, source) for source in sources] + [folder]
    reports = audit_extract_folder(*folders)
    small = small_counts_published(folder)
    failed = {name: report.summary() for name, report in reports.items() if not report.passed}
    if failed or small:
        raise PublicationRefused("ré-audit des fichiers publiés en échec : " + "; ".join(
            [f"{name} : {text}" for name, text in failed.items()]
            + [f"{name} : {n} effectif(s) sous le seuil publié(s)" for name, n in small.items()]))
    return {name: report.summary() for name, report in reports.items()}


def publish_region_extract(settings: Settings, period_label: str) -> ExtractOutcome:
    """Protect, write, re-audit and publish the Region's extract of one month or year."""
    period = Period(period_label)
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        # Read once: the statuses the year's other extracts gave to the cells this one shares.
        elsewhere = statuses_published_elsewhere(settings.exports_dir, period)
        datasets, audit = build_datasets(con, period, elsewhere)
        if not datasets:
            raise PublicationRefused(f"aucun indicateur calculé pour la période {period_label}")
        file_audit: dict[str, str] = {}

        def validate(folder: Path) -> None:
            failures = audit_written_extract(con, folder, period, elsewhere)
            findings = scan_files(sorted(folder.glob("*.csv")))
            if failures:
                raise PublicationRefused("audit du secret statistique en échec : " + "; ".join(
                    f"{name} : {text}" for name, text in failures.items()))
            if findings:
                raise PublicationRefused("identifiants directs dans l'extraction : " + format_summary(findings))
            file_audit.update(_audit_from_files(settings, sorted(elsewhere["source"].unique()), folder))

        folder, created = write_extract(
            datasets, period=period.label, kind=period.kind,
            indicators=[indicator.as_dict() for indicator in load_catalogue()],
            exports_dir=settings.exports_dir, code_version=code_version(settings), validate=validate,
        )
    return ExtractOutcome(folder, created, audit, file_audit)


def publish_oref(settings: Settings) -> tuple[Path, int]:
    """Publish the OREF snapshot after scanning it for direct identifiers; returns (folder, tables)."""

    def validate(folder: Path) -> None:
        with duckdb.connect(str(folder / SNAPSHOT_FILE), read_only=True) as snapshot:
            findings = scan_duckdb(snapshot, schemas=None)
        if findings:
            raise PublicationRefused("identifiants directs dans l'instantané de l'OREF : " + format_summary(findings))

    extra = {"catalogue_indicateurs.yml": CATALOGUE_PATH, "documentation_dbt": settings.warehouse_dir / "dbt_docs"}
    with duckdb.connect(str(settings.duckdb_path)) as con:
        folder = publish_snapshot(con, settings.oref_dir, extra_files=extra, validate=validate)
    with duckdb.connect(str(folder / SNAPSHOT_FILE), read_only=True) as snapshot:
        tables = snapshot.execute("select count(*) from information_schema.tables").fetchone()[0]
    return folder, tables
