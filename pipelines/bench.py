"""`make bench`: speed and memory at region scale, as ratios measured in one run.

The machine is shared and noisy: absolute times move, ratios measured in the same run hold. Each
step runs in its own process so that its peak resident memory is its own (os.wait4's rusage).
Everything is written under a throw-away folder (default /tmp/spro-bench), never in the repository.

Steps:
1. generation of the synthetic region (rows per second, peak memory);
2. ingestion of what was generated against DuckDB reading the same files bare (ratio, peak memory);
3. dbt: the full build over every generated month, then the incremental build of the last month
   alone (ratio), through Dagster as the pipeline runs them;
4. linkage precision and recall against the generator's ground truth, then the incremental
   linkage of the last month on top of the months before it against a full linkage of them all
   (pipelines/linkage/bench_incremental.py: seconds, peak memory, precision and recall of both);
5. (--history-years N) dbt over N years of history without generating N years: the raw and ops
   tables of the warehouse built above (or of --history-base) are replicated, shifted by the span
   of their months with distinct ids, into 1 and N years; then the full dbt build of 1 year and of
   N years (the last month held back), and the incremental build of that last month on top of the
   N years, each in its own process (time and peak memory of dbt and DuckDB).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import click


def run_step(step: str, workdir: Path, *args: str, env: dict | None = None,
              name: str | None = None) -> tuple[dict, float, float]:
    """Run one step in a child process; return (its JSON result, seconds, peak RSS in MB).

    The peak is the largest of the child and its descendants (dbt runs in a grandchild): Linux
    folds the waited-for descendants' peak into the child's rusage.
    """
    out = workdir / f"{name or step}.json"
    env = {**os.environ, "SPRO_WAREHOUSE_DIR": str(workdir / "warehouse"),
           "SPRO_INBOX_DIR": str(workdir / "inbox"), "DAGSTER_HOME": str(workdir / "dagster_home"),
           **(env or {})}
    started = time.perf_counter()
    # dbt's own log of a step goes to a file beside its result, not to the terminal.
    log = open(workdir / f"{name}.log", "w") if name else None
    try:
        process = subprocess.Popen([sys.executable, "-m", "pipelines.bench", step, str(workdir), str(out), *args],
                                   env=env, stdout=log, stderr=subprocess.STDOUT if log else None)
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        if log:
            log.close()
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        where = f" (journal : {workdir / f'{name}.log'})" if name else ""
        raise click.ClickException(f"étape {step} en échec (code {os.waitstatus_to_exitcode(status)}){where}")
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


def _step_linkage_incremental(workdir: Path) -> dict:
    from pipelines.linkage.bench_incremental import run

    report = run(workdir / "truth", workdir / "inbox", workdir / "linkage_incremental", last_months=1)
    quality = report["quality"]
    summary = {name: {"seconds": round(report[step]["seconds"], 1), "peak_mb": round(report[step]["peak_mb"]),
                      "precision": round(quality[q]["precision"], 5), "recall": round(quality[q]["recall"], 5)}
               for name, step, q in (("full", "full", "full"), ("incremental", "incremental", "inc"))}
    summary["incremental"]["new_identities"] = report["incremental"].get("identities_new")
    summary["identities"] = report["identities"]
    summary["incremental_over_full"] = round(report["incremental"]["seconds"] / report["full"]["seconds"], 3)
    return summary


def _step_link(workdir: Path, db: str, mode: str) -> dict:
    from pipelines.linkage.bench_incremental import link_step

    return link_step(Path(db), mode)


# ------------------------------------------------------------------------------- dbt over history
# The tables dbt reads (models/staging/_sources.yml); identity_tokens without its comparison tokens,
# which only the linkage step reads.
HISTORY_TABLES = {
    "raw": ("activity_acts", "activity_aggregates", "rio_entries", "psad_followups", "lorfolio_events",
            "events", "event_registrations", "event_satisfaction"),
    "ops": ("load_ledger", "person_links"),
}
IDENTITY_TOKEN_COLUMNS = ("table_name", "source_file", "file_sha256", "sender_code", "period_month",
                          "source_row", "person_pseudo")
# Columns that identify a person, an account, an act, an event or a file: made distinct per copy.
_ID_NAMES = {"identity_key", "person_key", "source_file", "file_sha256", "sha256", "file_name", "ledger_id"}


def _is_id_column(name: str, data_type: str) -> bool:
    return data_type == "VARCHAR" and (name in _ID_NAMES or name.endswith(("_pseudo", "_id")))


def _copy_expression(name: str, data_type: str, shift_months: int) -> str:
    """Column `name` of copy k (k = 0 is the original): dates moved by k spans, ids suffixed."""
    if data_type == "DATE":
        return f"cast({name} + to_months(k * {shift_months}) as date) as {name}"
    if data_type.startswith("TIMESTAMP"):
        return f"cast({name} + to_months(k * {shift_months}) as {data_type}) as {name}"
    if _is_id_column(name, data_type):
        return f"case when k = 0 then {name} else {name} || '~' || cast(k as varchar) end as {name}"
    return name


def replicate_history(base: Path, target: Path, years: int, hold_back_last_month: bool = False) -> dict:
    """Write `target`: the raw and ops tables of `base` repeated to cover `years` years.

    The base covers `span` consecutive months (a generated year, or fewer): copy k is shifted by
    k * span months, so the copies tile the calendar without overlap; every id (person pseudonym,
    act, account, event, file...) gets a per-copy suffix, so copies never link to each other and
    the history holds as many distinct people as that many real periods would. With
    hold_back_last_month, the rows of the last month move to schema `held` (see restore_held_month).
    """
    import duckdb

    target.unlink(missing_ok=True)
    con = duckdb.connect(str(target))
    con.execute(f"attach '{base}' as base (read_only)")
    first, last = con.execute("select min(period_month), max(period_month) from base.raw.activity_acts").fetchone()
    span = (last.year - first.year) * 12 + last.month - first.month + 1
    copies = -(-years * 12 // span)
    rows = {}
    tables = [(schema, table, None) for schema, names in HISTORY_TABLES.items() for table in names]
    tables.append(("ops", "identity_tokens", IDENTITY_TOKEN_COLUMNS))
    for schema, table, only in tables:
        columns = con.execute(
            "select column_name, data_type from information_schema.columns where table_catalog = 'base' "
            "and table_schema = ? and table_name = ? order by ordinal_position", [schema, table]).fetchall()
        if not columns:
            continue
        columns = [(n, t) for n, t in columns if only is None or n in only]
        select = ", ".join(_copy_expression(n, t, span) for n, t in columns)
        con.execute(f"create schema if not exists {schema}")
        con.execute(f"create table {schema}.{table} as select {select} "
                    f"from base.{schema}.{table} cross join range({copies}) as copies(k) order by k")
        rows[f"{schema}.{table}"] = con.execute(f"select count(*) from {schema}.{table}").fetchone()[0]
    last_month = con.execute("select max(period_month) from raw.activity_acts").fetchone()[0]
    if hold_back_last_month:
        con.execute("create schema held")
        for schema, table in _month_stamped(con):
            con.execute(f"create table held.{schema}__{table} as select * from {schema}.{table} "
                        f"where period_month = date '{last_month}'")
            con.execute(f"delete from {schema}.{table} where period_month = date '{last_month}'")
    con.execute("detach base")
    con.close()
    return {"base_months": span, "copies": copies, "months": copies * span, "last_month": str(last_month),
            "rows": rows, "acts": rows.get("raw.activity_acts", 0)}


def _month_stamped(con) -> list[tuple[str, str]]:
    return con.execute(
        "select table_schema, table_name from information_schema.columns where table_catalog = current_database() "
        "and table_schema in ('raw', 'ops') and column_name = 'period_month' order by 1, 2").fetchall()


def restore_held_month(path: Path) -> str:
    """Hand the held-back month over, as ingestion would load a new month; returns the month."""
    import duckdb

    con = duckdb.connect(str(path))
    month = None
    for schema, table in _month_stamped(con):
        con.execute(f"insert into {schema}.{table} select * from held.{schema}__{table}")
        month = month or con.execute(f"select max(period_month) from held.{schema}__{table}").fetchone()[0]
        con.execute(f"drop table held.{schema}__{table}")
    con.close()
    return str(month)


def _step_history(workdir: Path, base: str, years: str) -> dict:
    history = workdir / "history"
    folders = {"one_year": (history / "year_1", 1, False),
               "many_years": (history / f"years_{years}", int(years), True)}
    if int(years) == 1:  # the one-year build is then the many-year one, last month held back
        folders.pop("one_year")
    result = {}
    for key, (folder, count, hold_back) in folders.items():
        folder.mkdir(parents=True, exist_ok=True)
        result[key] = replicate_history(Path(base), folder / "spro.duckdb", count, hold_back_last_month=hold_back)
    return result


def _step_dbt_history(workdir: Path, mode: str, month: str = "") -> dict:
    """dbt on the warehouse of SPRO_DUCKDB_PATH: `full`, every month built from scratch the way a
    backfill of all months does it, or `month`, the held-back month on top."""
    import dagster_dbt

    from pipelines.config import load_settings
    from pipelines.dbt.project import build_dbt_project, prepare_manifest

    settings = load_settings()
    project = build_dbt_project(settings)
    prepare_manifest(project)
    import duckdb

    from pipelines.dbt.windows import MONTHLY_MODELS, window_commands

    if mode == "month":
        month = restore_held_month(settings.duckdb_path)
        invocations = [["build", "--vars", json.dumps({"min_month": month, "max_month": month})]]
    else:
        # As the two dbt assets of a Dagster backfill of every month do it (pipelines/dbt/assets.py):
        # the whole-history models, then the monthly ones one calendar year per invocation.
        with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
            first, last = con.execute("select min(period_month), max(period_month) from raw.activity_acts").fetchone()
        invocations = [["build", "--full-refresh", "--exclude", MONTHLY_MODELS],
                       *window_commands(str(first), str(last), ("--select", MONTHLY_MODELS))]
    dbt = dagster_dbt.DbtCliResource(project_dir=project)
    started = time.perf_counter()
    for args in invocations:
        dbt.cli(args, target_path=settings.warehouse_dir / "dbt_target", raise_on_error=True).wait()
    seconds = time.perf_counter() - started

    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        acts = con.execute("select count(*) from marts.fct_service_acts").fetchone()[0]
        indicator_rows = sum(con.execute(f"select count(*) from indicators.{t}").fetchone()[0] for t in (
            "ind_suivi", "ind_suivi_totals", "ind_qualite", "ind_qualite_totals", "ind_performance",
            "ind_performance_totals"))
    return {"dbt_s": seconds, "month": month, "fct_service_acts_rows": acts, "indicator_rows": indicator_rows}


def run_history_bench(workdir: Path, base: Path, years: int) -> dict:
    """Full dbt build of 1 and `years` years, then one new month on top of `years` years."""
    click.echo(f"  historique dbt : {years} ans reconstitués à partir de {base}")
    result, seconds, peak = run_step("history", workdir, str(base), str(years), name="history")
    many = result["many_years"]
    click.echo(f"    réplication : {seconds:.0f} s, {many['acts']} actes sur {many['months']} mois "
               f"(dernier mois {many['last_month']} mis de côté)")
    report = {"replication": {"seconds": round(seconds, 1), **result}}
    runs = (("full_1_year", "year_1", "full"), (f"full_{years}_years", f"years_{years}", "full"),
            (f"one_month_on_{years}_years", f"years_{years}", "month"))
    if years == 1:
        runs = runs[1:]
    for label, folder, mode in runs:
        warehouse = workdir / "history" / folder
        env = {"SPRO_WAREHOUSE_DIR": str(warehouse), "SPRO_DUCKDB_PATH": str(warehouse / "spro.duckdb"),
               "SPRO_DBT_PROFILES_DIR": str(warehouse / "dbt_profiles")}
        result, seconds, peak = run_step("dbt_history", workdir, mode, env=env, name=label)
        report[label] = {"seconds": round(result["dbt_s"], 1), "peak_mb": round(peak),
                         "fct_service_acts_rows": result["fct_service_acts_rows"],
                         "indicator_rows": result["indicator_rows"]}
        click.echo(f"    {label} : {result['dbt_s']:.1f} s, pic mémoire {peak:.0f} Mo, "
                   f"{result['fct_service_acts_rows']} lignes d'activité")
    full, month = report[f"full_{years}_years"], report[f"one_month_on_{years}_years"]
    report["month_over_full"] = round(month["seconds"] / full["seconds"], 3)
    report["targets"] = "month_over_full < 0.1 ; peak_mb < 3072 à 10 ans"
    click.echo(f"    un mois sur {years} ans / construction complète {years} ans : {report['month_over_full']:.3f}")
    return report


STEPS = {"generate": _step_generate, "ingest": _step_ingest, "dbt": _step_dbt, "linkage": _step_linkage,
         "linkage_incremental": _step_linkage_incremental, "link": _step_link,
         "history": _step_history, "dbt_history": _step_dbt_history}


def run_bench(workdir: Path, scale: str, months: int, start: str, history_years: int = 0,
              history_base: Path | None = None) -> dict:
    import shutil

    if history_base is not None:
        # Only the history benchmark, from an existing warehouse (raw and ops tables loaded).
        workdir.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(workdir / "history", ignore_errors=True)
        report = {"history_base": str(history_base), "machine": f"{os.cpu_count()} coeurs",
                  "dbt_history": run_history_bench(workdir, history_base, history_years or 10)}
        (workdir / "bench_history_report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str))
        click.echo(f"Rapport : {workdir / 'bench_history_report.json'}")
        return report
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    first = start
    year, month = (int(x) for x in start.split("-"))
    last_index = year * 12 + month - 1 + months - 1
    last = f"{last_index // 12:04d}-{last_index % 12 + 1:02d}"
    report = {"scale": scale, "months": months, "machine": f"{os.cpu_count()} coeurs"}
    click.echo(f"Banc d'essai : {scale}, {months} mois depuis {start}, dans {workdir}")
    result, seconds, peak = run_step("generate", workdir, scale, str(months), start)
    report["generate"] = {"seconds": round(seconds, 1), "peak_mb": round(peak), "files": result["files"]}
    click.echo(f"  génération : {seconds:.1f} s, {result['files']} fichiers, pic mémoire {peak:.0f} Mo")
    result, seconds, peak = run_step("ingest", workdir)
    report["ingest"] = {**result, "peak_mb_process": round(peak)}
    click.echo(f"  chargement : {json.dumps(result, ensure_ascii=False)}")
    result, seconds, peak = run_step("dbt", workdir, first, last)
    report["dbt"] = {**{k: round(v, 3) for k, v in result.items()}, "peak_mb": round(peak)}
    click.echo(f"  dbt : construction complète {result['full_build_s']:.1f} s, un mois incrémental "
               f"{result['one_month_build_s']:.1f} s (ratio {result['month_over_full']:.2f}), pic mémoire {peak:.0f} Mo")
    result, seconds, peak = run_step("linkage", workdir)
    report["linkage"] = {**result, "peak_mb": round(peak)}
    click.echo(f"  appariement : {json.dumps(result.get('cluster', {}), ensure_ascii=False, default=str)}")
    result, seconds, peak = run_step("linkage_incremental", workdir, name="linkage_incremental")
    report["linkage_incremental"] = result
    full, inc = result["full"], result["incremental"]
    click.echo(f"  appariement incrémental du dernier mois ({inc['new_identities']} identités nouvelles sur "
               f"{result['identities']}) : {inc['seconds']} s, pic {inc['peak_mb']} Mo, précision {inc['precision']}, "
               f"rappel {inc['recall']} ; complet : {full['seconds']} s, pic {full['peak_mb']} Mo, précision "
               f"{full['precision']}, rappel {full['recall']} (ratio {result['incremental_over_full']})")
    if history_years:
        # The warehouse of the dbt step holds the raw tables and the person links of the months generated.
        report["dbt_history"] = run_history_bench(workdir, workdir / "warehouse" / "spro.duckdb", history_years)
    (workdir / "bench_report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    click.echo(f"Rapport : {workdir / 'bench_report.json'}")
    return report


if __name__ == "__main__":
    step, workdir, out, *args = sys.argv[1:]
    outcome = STEPS[step](Path(workdir), *args)
    Path(out).write_text(json.dumps(outcome, default=str))
