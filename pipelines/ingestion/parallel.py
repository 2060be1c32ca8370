"""The CPU-bound part of ingestion in worker processes; the calling process stays the only DuckDB writer.

A worker takes a window of consecutive inbox files (service.windows) and, for each file the ledger
said will be read, does everything that needs no database: read, cast, great-expectations
validation (one call per contract and month of the window), duplicate rows, redaction, pseudonyms,
comparison tokens, the Arrow tables to insert and the quarantine records (loader.chunk_payloads).
It writes each file's chunk payloads to a spill file (loader.write_spill) and returns their paths:
the writer reads them back one chunk at a time, so memory stays bounded whatever the file sizes.
The great-expectations verdicts a worker gives are published for the others (publish_verdicts), so a
value is judged once per run rather than once per worker.

The writer (service.ingest_files) makes every ledger decision (already loaded, duplicate, version,
rejection) at the file's turn, in the same order as the sequential path, and writes each file in one
transaction, exactly as before; a prepared payload is only a cache of what it would compute itself.
A file a worker could not prepare (bad input, any error, a crashed worker) is processed by the
writer alone, which then reads it and records what happens exactly as in the sequential path.

Workers start with the 'forkserver' method (the writer holds an open DuckDB connection: it is never
forked); the server preloads this module and great-expectations (PRELOADED), so each worker starts
with pandas and GE imported.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
import pickle
import resource
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from pipelines.ingestion.expectations import collect_verdicts, export_verdicts, import_verdicts
from pipelines.ingestion.inbox import InboxFile
from pipelines.ingestion.loader import IngestContext, PreparedFile, chunk_payloads, prepare_chunks, write_spill

log = logging.getLogger(__name__)

_CONTEXT: IngestContext | None = None

# A worker is replaced by a fresh one after this many windows: its caches (pseudonyms, tokens, GE
# verdicts) grow as it meets new values, and the writer plus two workers must stay under 2 GB. Not
# more often: a fresh worker re-warms GE and those caches (a few seconds; every 4 windows cost ~30 s
# on a region's two months). The pseudonym memo used to grow without bound (one domain per member,
# see pseudonymize.SERIES_CACHE_LIMIT), which forced 12; with it bounded, on a region-year: 24
# windows peaked at 1,838 MB (PSS, writer + workers + fork server), never replacing them at 2,111 MB.
WINDOWS_PER_WORKER = 24


# Rows per chunk in a worker (at most): a chunk's text, typed and payload copies are a worker's
# working set. The tables do not depend on the chunking (duplicates are tracked across chunks, the
# suites judge each row alone), only memory does.
WORKER_CHUNK_ROWS = 50_000


# Modules the fork server imports once, so that each worker (a fork of it) has them. This module
# imports great-expectations only when a suite is first validated (expectations._batch_definition):
# without it here, every worker imported GE anew, 4.3 s of CPU each, ~13 times over a region-year
# (workers are replaced every WINDOWS_PER_WORKER windows). Importing it starts no thread.
PRELOADED = [__name__, "great_expectations"]


def _init_worker(ctx: IngestContext) -> None:
    global _CONTEXT
    _CONTEXT = dataclasses.replace(ctx, chunk_rows=min(ctx.chunk_rows, WORKER_CHUNK_ROWS))
    collect_verdicts()      # for publish_verdicts


# Great-expectations verdicts shared between workers (expectations.export_verdicts): each window's
# new verdicts are one file in the pool's spill folder, written whole then renamed (a reader never
# sees half a file), named by its worker and time; before each window, a worker reads the files it
# has not read yet.
# Files rather than the task's arguments: a window's arguments would carry every verdict known so
# far (a pool cannot tell which worker takes a task), a file is read once per worker.
_VERDICT_FILES_READ: set[str] = set()


def _verdicts_dir(spill_dir: str) -> Path:
    return Path(spill_dir) / "verdicts"


def publish_verdicts(spill_dir: str, verdicts: dict) -> None:
    """One window's new verdicts, for the other workers (and this one's replacement)."""
    if not verdicts:
        return
    folder = _verdicts_dir(spill_dir)
    folder.mkdir(exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".verdicts-", dir=folder)
    with os.fdopen(handle, "wb") as out:
        pickle.dump(verdicts, out, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(temporary, folder / f"{os.getpid()}-{time.monotonic_ns()}.pickle")


def read_published_verdicts(spill_dir: str) -> int:
    """The verdicts other workers published since this worker last looked, into its cache; how many
    files were read."""
    folder = _verdicts_dir(spill_dir)
    if not folder.exists():
        return 0
    new = sorted(p for p in os.listdir(folder) if p.endswith(".pickle") and p not in _VERDICT_FILES_READ)
    for name in new:
        _VERDICT_FILES_READ.add(name)
        if name.startswith(f"{os.getpid()}-"):       # its own
            continue
        try:
            with open(folder / name, "rb") as handle:
                import_verdicts(pickle.load(handle))
        except (OSError, EOFError, pickle.UnpicklingError):    # pragma: no cover - a cache only
            log.warning("verdicts file %s unreadable; its values are judged again", name)
    return len(new)


def peak_rss_mb() -> float:
    """This process's peak resident size so far, in MB (Linux reports ru_maxrss in KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _pss_mb(pid: int) -> float:
    """Proportional set size of a process (Linux smaps_rollup): its private pages plus its share of
    the pages it shares (the workers share the fork server's libraries), so the PSS of a group of
    processes sums to the memory they hold together; its RSS when the kernel does not report PSS."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        pass
    return _rss_mb(pid)


def _rss_mb(pid: int) -> float:
    """Current resident size of a process (Linux /proc; 0 elsewhere or once it has exited)."""
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / (1 << 20)
    except (OSError, ValueError, IndexError):
        return 0.0


def prepare_window(items: list[tuple[InboxFile, str]], spill_dir: str) -> tuple[dict, float, float]:
    """(PreparedFile by path, with its spill file or nothing; this worker's peak RSS in MB; the CPU
    seconds the window took)."""
    ctx = _CONTEXT
    cpu_start = time.process_time()
    read_published_verdicts(spill_dir)
    prepared = prepare_chunks(items, ctx)
    out = {}
    for f, sha in items:
        handle, spill = tempfile.mkstemp(prefix="payload-", suffix=".pickle", dir=spill_dir)
        os.close(handle)
        try:
            write_spill(spill, chunk_payloads(f, ctx, sha, prepared.pop(f.path, None)))
        except Exception:        # bad input or a bug: the writer processes the file alone, as before
            os.unlink(spill)
            out[f.path] = PreparedFile(sha)
            continue
        out[f.path] = PreparedFile(sha, spill=spill)
    del prepared
    publish_verdicts(spill_dir, export_verdicts())
    release_free_memory()
    return out, peak_rss_mb(), time.process_time() - cpu_start


def release_free_memory() -> None:
    """Give the memory a window freed back to the system, between windows.

    Why: Arrow's allocator (mimalloc) and glibc's malloc keep freed memory for reuse; measured on a
    worker after 10 and 20 windows of a region-year, Arrow alone held 80-90 MB it no longer used.
    A worker is held to the memory budget by its resident size, so what it keeps without using is
    as costly as what it uses. Both calls take a few milliseconds.
    """
    import pyarrow

    pyarrow.default_memory_pool().release_unused()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):       # not glibc: nothing to trim
        pass


class WorkerPool:
    """A ProcessPoolExecutor of `workers` processes and the peak RSS they reported."""

    def __init__(self, workers: int, ctx: IngestContext, spill_parent: Path):
        spill_parent.mkdir(parents=True, exist_ok=True)
        self.spill_dir = tempfile.mkdtemp(prefix=".ingest-spill-", dir=spill_parent)
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        context = multiprocessing.get_context(method)
        if method == "forkserver":
            context.set_forkserver_preload(PRELOADED)
        self.executor = ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=(ctx,),
                                            max_tasks_per_child=WINDOWS_PER_WORKER)
        self.workers = workers
        self.peak_rss_mb = 0.0           # the largest peak a worker reported
        self.peak_total_rss_mb = 0.0     # the largest sum, sampled, of this process's and the workers' RSS
        self.peak_total_pss_mb = 0.0     # the same for the PSS of this process, the workers and the fork server
        self.cpu_seconds = 0.0           # the workers' CPU time, summed over the windows they prepared
        self.wait_seconds = 0.0          # time the writer spent waiting for a window to be ready
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, name="ingest-rss-sampler", daemon=True)
        self._sampler.start()

    def _sample(self, every: float = 0.2) -> None:
        """Keep the maximum of two sums: the resident sizes of this process and of the live workers
        (pages they share count once per process), and the PSS of those and of the fork server the
        workers come from (the memory they hold together)."""
        from multiprocessing import forkserver

        tick = 0
        while not self._stop.wait(every):
            pids = [os.getpid(), *list(getattr(self.executor, "_processes", None) or {})]
            self.peak_total_rss_mb = max(self.peak_total_rss_mb, sum(_rss_mb(pid) for pid in pids))
            tick += 1
            if tick % 5:        # PSS every second: the kernel walks the pages (~3 ms per GB), RSS is free
                continue
            # a private attribute of the standard library's fork server, hence the guard
            server = getattr(getattr(forkserver, "_forkserver", None), "_forkserver_pid", None)
            pss = sum(_pss_mb(pid) for pid in pids + ([server] if server else []))
            self.peak_total_pss_mb = max(self.peak_total_pss_mb, pss)

    def submit(self, items: list[tuple[InboxFile, str]]):
        """A future of prepare_window, or None if the pool is broken (the writer then does the work)."""
        if not items:
            return None
        try:
            return self.executor.submit(prepare_window, items, self.spill_dir)
        except Exception:                # pragma: no cover - a broken pool: sequential from here
            log.exception("ingestion worker pool unavailable; files are processed by the writer")
            return None

    def result(self, future) -> dict:
        if future is None:
            return {}
        waited = time.perf_counter()
        try:
            prepared, peak, cpu = future.result()
        except Exception:                # a worker died or could not pickle: the writer does the work
            log.exception("an ingestion worker failed; its files are processed by the writer")
            return {}
        finally:
            self.wait_seconds += time.perf_counter() - waited
        self.peak_rss_mb = max(self.peak_rss_mb, peak)
        self.cpu_seconds += cpu
        return prepared

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
        self._stop.set()
        self._sampler.join()
        import shutil

        shutil.rmtree(self.spill_dir, ignore_errors=True)
