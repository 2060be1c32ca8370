"""`make bench`: speed and memory at region scale, as ratios measured in one run.

The machine is shared and noisy: absolute times move, ratios measured in the same run hold. Each
step runs in its own process so that its peak resident memory is its own (os.wait4's rusage).
Everything is written under a throw-away folder (default /tmp/spro-bench), never in the repository.

Steps:
1. generation of the synthetic region (rows per second, peak memory);
2. ingestion of what was generated against DuckDB reading the same files bare (ratio, peak memory);
3. dbt: the full build over every generated month, then the incremental build of the last month
   alone (ratio), through Dagster as the pipeline runs them;
4. linkage precision and recall against the generator's ground truth.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import click


def _run_step(step: str, workdir: Path, *args: str) -> tuple[dict, float, float]:
    """Run one step in a child process; return (its JSON result, seconds, peak RSS in MB)."""
    out = workdir / f"{step}.json"
    env = {**os.environ, "SPRO_WAREHOUSE_DIR": str(workdir / "warehouse"),
           "SPRO_INBOX_DIR": str(workdir / "inbox"), "DAGSTER_HOME": str(workdir / "dagster_home")}
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "pipelines.bench", step, str(workdir), str(out), *args], env=env)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise click.ClickException(f"étape {step} en échec (code {os.waitstatus_to_exitcode(status)})")
    return json.loads(out.read_text()), seconds, usage.ru_maxrss / 1024.0


def _step_generate(workdir: Path, scale: str, months: str, start: str) -> dict:
    from sources.generator.cli import generate_command

    generate_command.main(["--scale", scale, "--months", months, "--start", start, "--seed", "7",
                           "--out", str(workdir / "inbox"), "--truth", str(workdir / "truth"), "--quiet"],
                          standalone_mode=False)
    files = json.loads((workdir / "truth" / "generation.json").read_text())
    rows = sum(1 for _ in open(workdir / "truth" / "files.csv")) - 1
    return {"files": rows, "generation": files}


def _step_ingest(workdir: Path) -> dict:
    from pipelines.ingestion.bench import bench_ingestion

    return bench_ingestion(workdir / "inbox", keep_warehouse=True)


def _step_dbt(workdir: Path, first: str, last: str) -> dict:
    """Ingest through Dagster, then time the full build and the incremental build of the last month."""
    from pipelines.config import load_settings
    from pipelines.ingestion.service import ingest_inbox
    from pipelines.runner import partition_range_tags, run_job

    settings = load_settings()
    started = time.perf_counter()
    ingest_inbox(settings)
    ingest_seconds = time.perf_counter() - started
    started = time.perf_counter()
    run_job("spro_main", settings, tags=partition_range_tags(first, last))
    full_seconds = time.perf_counter() - started
    started = time.perf_counter()
    run_job("spro_main", settings, partition_key=last)
    month_seconds = time.perf_counter() - started
    return {"ingest_via_dagster_s": ingest_seconds, "full_build_s": full_seconds,
            "one_month_build_s": month_seconds, "month_over_full": month_seconds / full_seconds}


def _step_linkage(workdir: Path) -> dict:
    from pipelines.linkage.evaluate import evaluate_on_generated

    metrics = evaluate_on_generated(workdir / "truth", workdir / "inbox")
    return {k: v for k, v in metrics.items() if k in ("threshold", "cluster", "by_kind", "timings")}


STEPS = {"generate": _step_generate, "ingest": _step_ingest, "dbt": _step_dbt, "linkage": _step_linkage}


def run_bench(workdir: Path, scale: str, months: int, start: str) -> dict:
    import shutil

    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    first = start
    year, month = (int(x) for x in start.split("-"))
    last_index = year * 12 + month - 1 + months - 1
    last = f"{last_index // 12:04d}-{last_index % 12 + 1:02d}"
    report = {"scale": scale, "months": months, "machine": f"{os.cpu_count()} coeurs"}
    click.echo(f"Banc d'essai : {scale}, {months} mois depuis {start}, dans {workdir}")
    result, seconds, peak = _run_step("generate", workdir, scale, str(months), start)
    report["generate"] = {"seconds": round(seconds, 1), "peak_mb": round(peak), "files": result["files"]}
    click.echo(f"  génération : {seconds:.1f} s, {result['files']} fichiers, pic mémoire {peak:.0f} Mo")
    result, seconds, peak = _run_step("ingest", workdir)
    report["ingest"] = {**result, "peak_mb_process": round(peak)}
    click.echo(f"  chargement : {json.dumps(result, ensure_ascii=False)}")
    result, seconds, peak = _run_step("dbt", workdir, first, last)
    report["dbt"] = {**{k: round(v, 3) for k, v in result.items()}, "peak_mb": round(peak)}
    click.echo(f"  dbt : construction complète {result['full_build_s']:.1f} s, un mois incrémental "
               f"{result['one_month_build_s']:.1f} s (ratio {result['month_over_full']:.2f}), pic mémoire {peak:.0f} Mo")
    result, seconds, peak = _run_step("linkage", workdir)
    report["linkage"] = {**result, "peak_mb": round(peak)}
    click.echo(f"  appariement : {json.dumps(result.get('cluster', {}), ensure_ascii=False, default=str)}")
    (workdir / "bench_report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    click.echo(f"Rapport : {workdir / 'bench_report.json'}")
    return report


if __name__ == "__main__":
    step, workdir, out, *args = sys.argv[1:]
    outcome = STEPS[step](Path(workdir), *args)
    Path(out).write_text(json.dumps(outcome, default=str))
