"""Ingestion as the rest of the code base calls it: one partition, the whole inbox, the summary.

`ingest_partition` is what each Dagster asset runs; `ingest_inbox` (used by `spro demo`) goes
through Dagster too, one `ingest_month` run per month found in the inbox; `format_ledger_summary`
prints the ledger in French. `ingest_files` uses worker processes for the CPU-bound part when
there is enough input (settings.ingest_workers, env SPRO_INGEST_WORKERS; see parallel.py); the
calling process stays the only DuckDB writer. A script that ingests must guard its entry point with
`if __name__ == "__main__":` (workers start with 'forkserver' and import the main module).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

import duckdb

from pipelines.config import Settings
from pipelines.ingestion import ledger
from pipelines.ingestion.archive import archive_file, should_archive
from pipelines.ingestion.contracts import load_contracts
from pipelines.ingestion.inbox import InboxFile, scan_inbox
from pipelines.ingestion.loader import (FileOutcome, IngestContext, PreparedFile, prepare_files, process_file,
                                        roll_back, to_read)
from pipelines.ingestion.pseudonymise_at_door import load_key
from pipelines.ingestion.readers import DEFAULT_CHUNK_ROWS
from pipelines.ingestion.reports import write_report
from pipelines.reference import load_reference

log = logging.getLogger(__name__)


@dataclass
class PartitionResult:
    asset: str
    month: str
    outcomes: list[FileOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


def make_context(settings: Settings, run_id: str | None = None, force: bool = False,
                 chunk_rows: int = DEFAULT_CHUNK_ROWS, mode: str = "distinct") -> IngestContext:
    return IngestContext(settings=settings, contracts=load_contracts(settings),
                         reference=load_reference(settings), key=load_key(settings), run_id=run_id,
                         chunk_rows=chunk_rows, mode=mode, force=force)


def files_for(settings: Settings, asset: str | None = None, month: str | None = None) -> list[InboxFile]:
    files = scan_inbox(settings.inbox_dir, load_contracts(settings), load_reference(settings))
    return [f for f in files if (asset is None or f.asset == asset) and (month is None or f.month == month)]


CHECKPOINT_THRESHOLD = "1GB"
WRITER_MEMORY_LIMIT = "500MB"


def open_warehouse(settings: Settings, ctx: IngestContext) -> duckdb.DuckDBPyConnection:
    """A read-write connection with ops.* and raw.* in place (one writer at a time: close it after)."""
    settings.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(settings.duckdb_path))
    # DuckDB checkpoints the WAL into the database file whenever it passes 16 MB by default, i.e.
    # every few files here, each time rewriting the tables' last row groups: most of the commit
    # time of a partition. Each commit is still durable (the WAL is synced at commit, replayed after
    # a crash); the database file is checkpointed when the connection closes (or past 1 GB of WAL,
    # which also bounds the checkpoint's memory: a lower threshold measured a higher peak RSS).
    con.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
    # The committed rows wait in memory for that checkpoint: a memory limit lets DuckDB page them out
    # (to its temp directory) rather than grow to ~1.6 GB on a region's two months; with the worker
    # processes alongside, the machine's peak must stay under 2 GB.
    con.execute(f"SET memory_limit = '{WRITER_MEMORY_LIMIT}'")
    from pipelines.ingestion.common_model import TABLES

    ledger.ensure_schema(con, {t: ctx.contracts.personal_targets(t) for t in TABLES})
    ledger.convert_stored_tokens(con)
    return con


# Files are read and judged ahead in windows of about this many bytes of input (bounded memory: the
# typed chunks of one window are held until each file's own transaction has written them).
PREPARE_WINDOW_BYTES = 32 << 20
# With worker processes, windows are smaller (the two cores share the work more evenly; a worker's
# memory is one window's), and the pool is only started when the files are worth its start-up
# (a few seconds): a partition of a few member files is processed by the writer alone.
PARALLEL_WINDOW_BYTES = 4 << 20
PARALLEL_MIN_BYTES = 24 << 20
# DuckDB threads of the writer while worker processes run: the workers already keep both cores busy,
# and a second DuckDB thread then only adds its synchronisation. Measured on a region's two months,
# back to back: the writer's CPU 21.4-22.9 s with one thread against 25.1-28.4 s with two, the
# ingestion 40.2-43.4 s against 41.5-46.5 s, the same peak memory. Alone, the writer keeps its threads.
WRITER_THREADS_WITH_WORKERS = 1
# Windows submitted to the workers and not yet written, per worker: the workers keep busy while the
# writer writes; the payloads wait on disk (spill files), not in memory.
WINDOWS_AHEAD_PER_WORKER = 2


def _size(f: InboxFile) -> int:
    try:
        return f.path.stat().st_size
    except OSError:
        return 0


def windows(files: list[InboxFile], budget: int = PREPARE_WINDOW_BYTES):
    """Consecutive runs of files (processing order kept) of at most `budget` bytes (or one file)."""
    window, size = [], 0
    for f in files:
        length = _size(f)
        if window and size + length > budget:
            yield window
            window, size = [], 0
        window.append(f)
        size += length
    if window:
        yield window


def worker_count(settings: Settings, files: list[InboxFile]) -> int:
    """Worker processes for these files: settings.ingest_workers, 0 (the writer alone) below 2 or for
    less than PARALLEL_MIN_BYTES of input."""
    workers = settings.ingest_workers
    if workers < 2 or sum(_size(f) for f in files) < PARALLEL_MIN_BYTES:
        return 0
    return workers


# The last ingest_files call's worker figures (bench.py reports them).
_NO_RUN = {"workers": 0, "worker_peak_rss_mb": 0.0, "peak_total_rss_mb": 0.0, "peak_total_pss_mb": 0.0,
           "worker_cpu_seconds": 0.0, "writer_wait_seconds": 0.0, "group_commits": 0, "grouped_files": 0}
LAST_RUN = dict(_NO_RUN)


def ingest_files(settings: Settings, files: list[InboxFile], ctx: IngestContext) -> list[FileOutcome]:
    """Process files one by one (in the given order, each all or nothing) on one connection; one
    file's bad input or failure never stops the others.

    Files are read and validated ahead by windows: one great-expectations call per contract and month
    instead of one per file. With workers (settings.ingest_workers, SPRO_INGEST_WORKERS), the windows
    are prepared in worker processes (parallel.py) while this process writes, several prepared files
    per transaction (write_window); otherwise here (prepare_files), one transaction per file. Either
    way this process is the only DuckDB writer and decides everything the ledger decides, so the
    tables are the same.
    """
    workers = worker_count(settings, files)
    LAST_RUN.update(_NO_RUN, workers=workers)
    outcomes = []
    con = open_warehouse(settings, ctx)
    try:
        if workers:
            _ingest_parallel(settings, con, files, ctx, workers, outcomes)
        else:
            for window in windows(files):
                prepared = prepare_files(con, window, ctx)
                for f in window:
                    outcomes.append(_ingest_one(settings, con, f, ctx, prepared.pop(f.path, None)))
    finally:
        con.close()
    return outcomes


def _ingest_parallel(settings: Settings, con, files: list[InboxFile], ctx: IngestContext, workers: int,
                     outcomes: list[FileOutcome]) -> None:
    """Windows prepared by the workers, a few ahead; written here in order as their results come."""
    from collections import deque

    from pipelines.ingestion.parallel import WorkerPool

    con.execute(f"SET threads = {WRITER_THREADS_WITH_WORKERS}")
    pool = WorkerPool(workers, ctx, settings.warehouse_dir)
    pending: deque = deque()
    remaining = iter(windows(files, PARALLEL_WINDOW_BYTES))

    def submit_next() -> None:
        window = next(remaining, None)
        if window is not None:
            # The ledger as it stands: a file loaded by a window still in flight is prepared for
            # nothing, and process_file then records it as a duplicate, as in the sequential path.
            items = [(f, sha) for f in window if (sha := to_read(con, f, ctx)) is not None]
            pending.append((window, pool.submit(items)))

    try:
        for _ in range(workers * WINDOWS_AHEAD_PER_WORKER):
            submit_next()
        while pending:
            window, future = pending.popleft()
            prepared = pool.result(future)
            submit_next()
            write_window(settings, con, [(f, prepared.pop(f.path, None)) for f in window], ctx, outcomes)
    finally:
        pool.close()
        try:     # the setting belongs to the database instance, which another connection may share
            con.execute("RESET threads")
        except duckdb.Error:     # pragma: no cover - a connection DuckDB has already invalidated
            pass
        LAST_RUN["worker_peak_rss_mb"] = round(pool.peak_rss_mb, 1)
        LAST_RUN["peak_total_rss_mb"] = round(pool.peak_total_rss_mb, 1)
        LAST_RUN["peak_total_pss_mb"] = round(pool.peak_total_pss_mb, 1)
        LAST_RUN["worker_cpu_seconds"] = round(pool.cpu_seconds, 1)
        LAST_RUN["writer_wait_seconds"] = round(pool.wait_seconds, 1)


def write_window(settings: Settings, con, window: list[tuple[InboxFile, PreparedFile | None]], ctx: IngestContext,
                 outcomes: list[FileOutcome]) -> None:
    """Write a window's files in order; consecutive files a worker prepared share ONE transaction.

    Why: a commit costs the writer a few milliseconds whatever the file's size, and a region-year
    has ~3,700 mostly small files. Each file stays all or nothing: if any file of the group fails
    (or the commit does), the group is rolled back and its files are written again one transaction
    each, exactly as the sequential path writes them, so a failure leaves only its own file unloaded.
    Reports and archiving wait for the commit; a crash before it loses the whole group, which a
    re-run loads again (nothing of it was committed). A file a worker could not prepare (likely bad
    input) is written alone, between groups.
    """
    group: list[tuple[InboxFile, PreparedFile, FileOutcome]] = []

    def one_by_one(items) -> None:
        for f, item in items:
            try:
                outcomes.append(_ingest_one(settings, con, f, ctx, item))
            finally:
                _drop_spill(item)

    def commit_group() -> None:
        if not group:
            return
        try:
            con.commit()
        except Exception:        # e.g. a full disk: each file again in its own transaction
            log.exception("a group commit failed; its files are written one by one")
            roll_back(con)
            one_by_one([(f, item) for f, item, _ in group])
        else:
            LAST_RUN["group_commits"] += 1
            LAST_RUN["grouped_files"] += len(group)
            for f, item, outcome in group:
                outcomes.append(_finish(settings, f, outcome))
                _drop_spill(item)
        group.clear()

    for f, item in window:
        if item is None or item.spill is None:
            commit_group()
            one_by_one([(f, item)])
            continue
        if not group:
            con.begin()
        try:
            group.append((f, item, process_file(con, f, ctx, item, own_transaction=False)))
        except Exception:        # bad input or a failure: roll the group back, write it file by file
            roll_back(con)
            one_by_one([(g, g_item) for g, g_item, _ in group] + [(f, item)])
            group.clear()
    commit_group()


def _drop_spill(item: PreparedFile | None) -> None:
    if item is not None and item.spill is not None and os.path.exists(item.spill):
        os.unlink(item.spill)


def _ingest_one(settings: Settings, con, f: InboxFile, ctx: IngestContext, prepared) -> FileOutcome:
    return _finish(settings, f, process_file(con, f, ctx, prepared))


def _finish(settings: Settings, f: InboxFile, outcome: FileOutcome) -> FileOutcome:
    """What follows a file's commit: its report, its archiving, the log line."""
    if outcome.status != "already":
        write_report(settings.reports_dir, outcome)
    if should_archive(f.feed, outcome.status) and f.path.exists():
        archive_file(f.path, f.name, settings.archive_dir)
    log.info("%s: %s (%s lues, %s chargées, %s écartées)", f.name, outcome.status,
             outcome.rows_read, outcome.rows_loaded, outcome.rows_quarantined)
    return outcome


def ingest_partition(settings: Settings, asset: str, month: str, run_id: str | None = None,
                     force: bool = False, **options) -> PartitionResult:
    """Load every inbox file of one feed layer and one month (what one asset partition does)."""
    ctx = make_context(settings, run_id=run_id, force=force, **options)
    files = files_for(settings, asset=asset, month=month)
    return PartitionResult(asset, month, ingest_files(settings, files, ctx))


def months_in_inbox(settings: Settings) -> list[str]:
    return sorted({f.month for f in files_for(settings) if f.month})


def ingest_inbox(settings: Settings) -> dict:
    """Ingest everything in the inbox through Dagster (job `ingest_month`, one run per month).

    Months before settings.first_month have no partition: their files are recorded as rejected
    (MONTH_OUT_OF_RANGE) directly, so nothing in the inbox goes unrecorded.
    """
    from pipelines.ingestion.partitions import partition_keys
    from pipelines.runner import run_job

    settings.ensure_dirs()
    keys = set(partition_keys(settings))
    months = months_in_inbox(settings)
    runs = {}
    for month in months:
        if month in keys:
            result = run_job("ingest_month", settings, partition_key=month)
            runs[month] = result.run_id
    outside = [f for f in files_for(settings) if not f.month or f.month not in keys]
    if outside:
        ingest_files(settings, outside, make_context(settings))
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        summary = ledger_summary(con)
    summary["runs"] = runs
    summary["months"] = months
    return summary


def ledger_summary(con) -> dict:
    """Totals of the ledger by status and by feed (current versions)."""
    by_status = dict(con.execute("select status, count(*) from ops.load_ledger group by 1").fetchall())
    totals = con.execute(
        "select coalesce(sum(rows_read),0), coalesce(sum(rows_loaded),0), coalesce(sum(rows_quarantined),0), "
        "coalesce(sum(rows_flagged),0) from ops.load_ledger where status = 'loaded'").fetchall()[0]
    return {"files_by_status": by_status, "rows_read": int(totals[0]), "rows_loaded": int(totals[1]),
            "rows_quarantined": int(totals[2]), "rows_flagged": int(totals[3])}


STATUS_LABELS = {"loaded": "chargés", "replaced": "remplacés par une version corrigée", "rejected": "refusés",
                 "duplicate": "doublons ignorés", "failed": "en échec (à relancer)"}


def format_ledger_summary(con) -> str:
    """The ledger in a few French lines: files by status, rows, top reasons, per feed."""
    from pipelines.ingestion.reasons import REASONS

    summary = ledger_summary(con)
    lines = ["Registre des chargements (ops.load_ledger)"]
    total = sum(summary["files_by_status"].values())
    lines.append(f"  Fichiers reçus : {total}")
    for status in ("loaded", "replaced", "rejected", "duplicate", "failed"):
        if summary["files_by_status"].get(status):
            lines.append(f"    {STATUS_LABELS[status]:<38} {summary['files_by_status'][status]:>6}")
    lines.append(f"  Lignes lues (versions en vigueur) : {summary['rows_read']:>10}")
    lines.append(f"    chargées                         : {summary['rows_loaded']:>10}")
    lines.append(f"    mises de côté (quarantaine)      : {summary['rows_quarantined']:>10}")
    lines.append(f"    commentaires expurgés            : {summary['rows_flagged']:>10}")
    conserved = summary["rows_read"] == summary["rows_loaded"] + summary["rows_quarantined"]
    lines.append(f"  Conservation lues = chargées + écartées : {'oui' if conserved else 'NON'}")
    feeds = con.execute(
        "select feed, count(*), sum(rows_loaded), sum(rows_quarantined) from ops.load_ledger "
        "where status = 'loaded' group by 1 order by 1").fetchall()
    if feeds:
        lines.append("  Par flux (fichiers, lignes chargées, écartées) :")
        for feed, files, loaded, quarantined in feeds:
            lines.append(f"    {feed:<16} {files:>5} {int(loaded or 0):>10} {int(quarantined or 0):>8}")
    rejected = con.execute(
        "select reason_code, count(*) from ops.load_ledger where status = 'rejected' group by 1 order by 2 desc").fetchall()
    if rejected:
        lines.append("  Fichiers refusés, par motif :")
        for code, n in rejected:
            label = REASONS[code].label_fr if code in REASONS else code
            lines.append(f"    {n:>4}  {label}")
    reasons = con.execute(
        "select q.reason_code, count(*) from ops.quarantine q join ops.load_ledger l on l.sha256 = q.file_sha256 "
        "and l.file_name = q.source_file and l.status = 'loaded' group by 1 order by 2 desc limit 10").fetchall()
    if reasons:
        lines.append("  Lignes écartées, par motif principal :")
        for code, n in reasons:
            label = REASONS[code].label_fr if code in REASONS else code
            lines.append(f"    {n:>6}  {label}")
    return "\n".join(lines)
