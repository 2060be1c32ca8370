"""Benchmark: full ingestion of an inbox (e.g. one region-year) against DuckDB reading the same files bare.

`bench_ingestion(year_dir)` is wired into `make bench` (not `make test`). The bare read is DuckDB's
read_csv / read_json with every column as text and no check at all: the floor the pipeline's own
overhead is measured against (`ratio`, the target). It is a scan (`count(*)`); a bare load, the
same reads stored in a DuckDB file, is timed too and reported beside it (`ratio_to_bare_load`).
Peak memory: the process's maximum resident set size (the DuckDB writer), the largest one its
ingestion worker processes reported (pipelines/ingestion/parallel.py), the sampled peak of their
sum, the sampled peak of the PSS of the writer, the workers and the fork server they come from
(the memory they hold together), and the sum of the peaks (an upper bound).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from pipelines.ingestion.parallel import peak_rss_mb


def _bare_sql(f) -> str | None:
    """DuckDB's reader of one routable file, every column as text, no check (None: xlsx, read apart)."""
    spec = f.contract.file
    path = str(f.path).replace("'", "''")
    if spec.type == "csv":
        encoding = "latin-1" if spec.encoding.lower() in ("cp1252", "windows-1252") else "utf-8"
        delimiter = spec.delimiter.replace("'", "''")
        return (f"read_csv('{path}', delim='{delimiter}', header=true, all_varchar=true, "
                f"encoding='{encoding}', ignore_errors=true, strict_mode=false)")
    if spec.type == "jsonl":
        return f"read_json('{path}', format='newline_delimited', ignore_errors=true)"
    return None


def bare_read(files, into: Path | None = None) -> tuple[float, int]:
    """Seconds and rows for DuckDB reading every routable file with no typing and no checks.

    `into` None: a scan (`count(*)`, the strictest floor: DuckDB need not even build the values).
    `into` a database file: a bare load, each file's rows stored as text in a table of that file
    (what ingestion does minus every check, pseudonym and ledger entry): reported beside the scan.
    """
    con = duckdb.connect(str(into) if into else ":memory:")
    rows = 0
    start = time.perf_counter()
    for number, f in enumerate(files):
        if f.contract is None or f.path.stat().st_size == 0:
            continue
        source = _bare_sql(f)
        if source is None:
            import openpyxl

            spec = f.contract.file
            workbook = openpyxl.load_workbook(f.path, read_only=True)
            rows += max(sum(1 for _ in workbook.worksheets[0].iter_rows(values_only=True)) - (spec.header_row or 1), 0)
            workbook.close()
            continue
        try:
            if into is None:
                rows += con.execute(f"select count(*) from {source}").fetchall()[0][0]
            else:
                con.execute(f"create table file_{number} as select * from {source}")
                rows += con.execute(f"select count(*) from file_{number}").fetchall()[0][0]
        except duckdb.Error:
            continue
    con.close()
    return time.perf_counter() - start, rows


def _cpu_seconds() -> float:
    """This process's CPU time so far (user + system, all its threads)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _in_child(function, *args):
    """function(*args) in a child process: the bare reads' DuckDB memory must not count in this
    process's peak, which is the ingestion writer's (ru_maxrss never goes down)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def bench_ingestion(year_dir: Path | str, keep_warehouse: bool = False) -> dict:
    """Time the full ingestion of the inbox `year_dir` in a throw-away warehouse, and the bare read.

    Returns seconds, the ratio ingestion / bare read, rows, and the peak resident memory (MB).
    `year_dir` itself is left as it was: ingestion moves nominative files (RIO, PSAD) out of its
    inbox into the restricted archive, so it reads a copy; the steps of `make bench` that follow
    (dbt, linkage) need every generated file.
    """
    from pipelines.config import load_settings
    from pipelines.ingestion.service import LAST_RUN, files_for, ingest_files, make_context

    year_dir = Path(year_dir)
    warehouse = Path(tempfile.mkdtemp(prefix="spro-bench-"))
    saved = {k: os.environ.get(k) for k in ("SPRO_WAREHOUSE_DIR", "SPRO_INBOX_DIR", "SPRO_DUCKDB_PATH")}
    os.environ["SPRO_WAREHOUSE_DIR"] = str(warehouse)
    inbox = warehouse / "inbox"
    shutil.copytree(year_dir, inbox)
    os.environ["SPRO_INBOX_DIR"] = str(inbox)
    os.environ.pop("SPRO_DUCKDB_PATH", None)
    try:
        settings = load_settings()
        files = files_for(settings)
        bare_seconds, bare_rows = _in_child(bare_read, files)
        load_seconds, _ = _in_child(bare_read, files, warehouse / "bare_load.duckdb")
        rss_before = peak_rss_mb()
        cpu_before = _cpu_seconds()
        start = time.perf_counter()
        ctx = make_context(settings)
        outcomes = ingest_files(settings, files, ctx)
        ingest_seconds = time.perf_counter() - start
        writer_cpu = _cpu_seconds() - cpu_before
        return {
            "files": len(files),
            "rows_read": sum(o.rows_read for o in outcomes),
            "rows_loaded": sum(o.rows_loaded for o in outcomes),
            "rows_quarantined": sum(o.rows_quarantined for o in outcomes),
            "bare_rows": bare_rows,
            "bare_seconds": round(bare_seconds, 2),
            "ingest_seconds": round(ingest_seconds, 2),
            "ratio": round(ingest_seconds / bare_seconds, 1) if bare_seconds else None,
            # the same files stored as text by DuckDB with no check (see bare_read): a second floor
            "bare_load_seconds": round(load_seconds, 2),
            "ratio_to_bare_load": round(ingest_seconds / load_seconds, 1) if load_seconds else None,
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "peak_rss_mb_before_ingestion": round(rss_before, 1),
            "workers": LAST_RUN["workers"],
            "worker_peak_rss_mb": LAST_RUN["worker_peak_rss_mb"],
            # sampled every 0.2 s: the writer's and the workers' resident sizes summed (0 without workers)
            "peak_rss_mb_writer_plus_workers": LAST_RUN["peak_total_rss_mb"],
            # sampled likewise: the PSS of the writer, the workers and their fork server, i.e. the memory
            # they hold together (a page shared by n of them counts 1/n in each)
            "peak_pss_mb_writer_workers_fork_server": LAST_RUN["peak_total_pss_mb"],
            # the sum of the processes' own peaks (an upper bound: they need not coincide)
            "peak_rss_mb_bound": round(peak_rss_mb() + LAST_RUN["workers"] * LAST_RUN["worker_peak_rss_mb"], 1),
            # Where the time goes: the writer's CPU (DuckDB's threads included) and the workers', and
            # the writer's wall time spent waiting for a prepared window. With 2 cores, the wall time
            # cannot fall below (writer + workers CPU) / 2 nor below the writer's busy time.
            "writer_cpu_seconds": round(writer_cpu, 1),
            "worker_cpu_seconds": LAST_RUN["worker_cpu_seconds"],
            "writer_wait_seconds": LAST_RUN["writer_wait_seconds"],
            # files the writer committed several per transaction (service.write_window), and those commits
            "grouped_files": LAST_RUN["grouped_files"],
            "group_commits": LAST_RUN["group_commits"],
            "target": "ratio <= 3 and peak memory (writer + workers + fork server) < 2048 MB",
        }
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if not keep_warehouse:
            shutil.rmtree(warehouse, ignore_errors=True)
