"""The ingestion benchmark of `make bench` measures without consuming the inbox it measures."""

from __future__ import annotations

import shutil


def _files(folder) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_bench_ingestion_leaves_every_generated_file_for_the_steps_after_it(tiny_region, tmp_path):
    """Ingestion moves RIO and PSAD files to the restricted archive once loaded. The benchmark ran it
    on the generated inbox itself, so the dbt and linkage steps of `make bench` that follow ran
    without any dropout list or PSAD follow-up; it must read a copy."""
    from pipelines.ingestion.bench import bench_ingestion

    inbox = tmp_path / "inbox"
    shutil.copytree(tiny_region["inbox"], inbox)
    before = _files(inbox)
    nominative = [name for name in before if name.startswith(("rio/", "psad/"))]
    assert nominative, "the tiny region should hold RIO lists and PSAD follow-ups"

    report = bench_ingestion(inbox)

    assert _files(inbox) == before
    assert report["files"] == len(before)
    assert report["rows_read"] == report["rows_loaded"] + report["rows_quarantined"] > 0
    assert report["bare_seconds"] > 0 and report["ratio"] > 0
    assert report["bare_load_seconds"] > 0 and report["ratio_to_bare_load"] > 0
