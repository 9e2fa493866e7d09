"""The data's way through the system, as plain functions: search → fetch → land → parse → extract → load → publish.

The Prefect flow (flows/nightly.py) calls these step by step as tasks; the CLI's ``ingest`` and
``rebuild`` call them directly (no Prefect start-up). A ``Run`` holds the warehouse lock, the
private staging copy and the run's journal; the published warehouse only changes when a run
finishes cleanly. A run that died is found by the next one, which loads what it had landed and
records it in ``runs`` as interrupted.

``Run(on_stage=...)`` is told the name of every stage as the run reaches it (each journal event,
among them ``loaded-chunk`` after each load transaction, and ``swap`` just before the staging copy
replaces the published warehouse): a progress hook for callers, and how the tests stop a run at an exact point.
"""

from __future__ import annotations

import datetime as dt
import errno
import logging
import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import duckdb

from . import land as landing
from .errors import BadInputError, EvidenceError, WarehouseError
from .normalise import frames as make_frames
from .parse import Deletion, Digest, ParseStats, check_input_file, compression, iter_records, paused_gc
from .settings import Settings
from .warehouse import LoadCounts, load_frames, mark_deleted, run_lock, stage
from .warehouse import db

log = logging.getLogger(__name__)
Progress = Callable[[str], None]
StageHook = Callable[[str], None]
MAX_PROBLEMS = 50  # problems kept word for word in a run's report; more are only counted
LOAD_CHUNK = 2000  # records per load transaction: large enough to amortise SQL, small enough for memory
EXTRACT_CHUNKS = 2  # load chunks extracted in one call (extract.extract_each: a call has a fixed cost)
WORKERS = 4  # at most this many worker processes parse and extract while the run's process loads (0: never)
POOL_MIN_CPUS = 4  # fewer cores: the overlapped in-process load is as fast and ~250 MB smaller (docs/performance.md)
POOL_CHUNK = 1000  # records per piece a worker parses (and per load transaction) when loading with the workers
POOL_TASK = 3000  # records per worker task: its pieces are extracted together (see workers.process)
POOL_AHEAD = 2  # tasks in flight per worker (the one it works on, the next one queued)
POOL_THREADS = 1  # polars threads in each worker; DuckDB threads here while workers or threads parse and extract
POOL_DUCKDB_MEMORY = "150MB"  # DuckDB's memory_limit here while the workers run, so the three fit 1 GB
POOL_MIN_BYTES = 4 << 20  # raw files of at least this size, as gzip level 1, load with the workers (~4,000 records)
# zstd raw files (level 3) are ~3x smaller than the gzip level 1 ones POOL_MIN_BYTES was set for
# (38 vs 116 MB for 100,000 records): they count 3x, so a load of as many records uses the workers
_SIZE_AS_GZIP = {"zstd": 3}
# the PMID of each record in an efetch body: an article's, or a book's (PubMed lists StatPearls and
# other book chapters in search results; they are fetched, then skipped by the parser and counted)
_PMID_IN_BODY = re.compile(rb"<(?:MedlineCitation|BookDocument)[^>]*>\s*<PMID[^>]*>\s*(\d+)\s*</PMID>")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


@dataclass
class RunReport:
    """What a run did: stored in ``runs``, logged, and shown by the CLI and the Prefect artifact."""

    run_id: str
    kind: str
    mode: str
    status: str = "running"
    started_at: dt.datetime = field(default_factory=_utcnow)
    finished_at: dt.datetime | None = None
    query: str | None = None
    window_start: dt.date | None = None
    window_end: dt.date | None = None
    searched: int = 0
    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    requests: int = 0
    errors: int = 0
    last_stage: str = "start"
    message: str = ""
    extractor_version: str | None = None
    skipped_books: int = 0
    skipped_other: int = 0
    recovered_runs: list[str] = field(default_factory=list)
    new_pmids: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.status not in ("success", "running"):
            return f"run {self.run_id} {self.status} at {self.last_stage}: {self.message}"
        parts = [f"{self.kind} {self.run_id}:"]
        if self.kind == "run":
            parts.append(f"searched {self.searched}, fetched {self.fetched};")
        parts.append(f"{self.new} new, {self.updated} updated, {self.unchanged} unchanged, {self.deleted} deleted")
        if self.skipped_books or self.skipped_other:
            parts.append(f"({self.skipped_books} book records and {self.skipped_other} other records skipped)")
        if self.recovered_runs:
            parts.append(f"; loaded what interrupted run(s) {', '.join(self.recovered_runs)} had landed")
        if self.new == self.updated == self.deleted == 0:
            parts.append("— nothing new")
        if self.errors:
            parts.append(f"({self.errors} problem(s) met and overcome (retries, refetches, skipped records); "
                         "see the run's log)")
        return " ".join(parts)


class _ProblemLog(logging.Handler):
    """Collects the warnings the library logs during a run (retries, refetches) into its report."""

    def __init__(self, report: RunReport, secret: str | None) -> None:
        super().__init__(logging.WARNING)
        self.report, self.secret = report, secret

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # a bad log call must not break the run
            message = str(record.msg)
        if self.secret:
            message = message.replace(self.secret, "***")
        self.report.errors += 1
        if len(self.report.problems) < MAX_PROBLEMS:
            self.report.problems.append(message)


@contextmanager
def _raw_io(raw_dir: Path) -> Iterator[None]:
    """Turn an OSError writing the raw landing (disk full, permissions) into a clear WarehouseError."""
    try:
        yield
    except OSError as exc:
        hint = {errno.ENOSPC: "the disk is full; free some space and run again",
                errno.EACCES: "permission denied; make it writable or set EVIDENCE_RAW to a writable folder",
                errno.EROFS: "the file system is read-only; set EVIDENCE_RAW to a writable folder",
                }.get(exc.errno or 0, "check the path and free space, then run again")
        raise WarehouseError(f"cannot write the raw landing under {str(raw_dir)!r}: {exc.strerror or exc}; "
                             f"{hint}. The published warehouse was left as it was.") from None


class Run:
    """One run's lock, staging copy, journal and report. Use as a context manager."""

    def __init__(self, settings: Settings, kind: str, *, progress: Progress | None = None,
                 fresh: bool = False, lock_wait: float = 0.0, on_stage: StageHook | None = None) -> None:
        from .fetch.query import topic_scope
        self.settings = settings
        self.scope = topic_scope(settings)  # the topic's conditions: what the extraction calls relevant
        self.kind = kind
        self.progress = progress or (lambda msg: None)
        self.fresh = fresh
        self.lock_wait = lock_wait
        self.on_stage = on_stage
        self.report = RunReport(landing.new_run_id(), kind,
                                "file" if kind != "run" else settings.pubmed)
        self._lock = ExitStack()    # released last, after the run's outcome is journaled
        self._staged = ExitStack()  # publishes (or discards) the staging copy
        self._problems = _ProblemLog(self.report, settings.ncbi_api_key)
        self.con: duckdb.DuckDBPyConnection | None = None
        # PMIDs an interrupted run fetched recently enough that recover() loaded them and this run's
        # fetch need not fetch them again (see recover)
        self.resumed: set[str] = set()

    @property
    def raw_dir(self) -> Path:
        return self.settings.raw_dir

    @property
    def run_id(self) -> str:
        return self.report.run_id

    def __enter__(self) -> "Run":
        s = self.settings
        self._lock.enter_context(run_lock(s.db, wait=self.lock_wait))
        try:
            from .extract import extractor_version
            self.report.extractor_version = extractor_version(self.scope.conditions)
            staged = self._staged.enter_context(stage(s.db, fresh=self.fresh, before_publish=self._before_publish))
            self.con = staged.con
            logging.getLogger("evidence").addHandler(self._problems)
            self.journal("start", kind=self.kind, mode=self.report.mode)
        except BaseException as exc:
            self.__exit__(type(exc), exc, exc.__traceback__)
            raise
        return self

    def stage(self, name: str) -> None:
        """Tell the caller's ``on_stage`` hook that the run reached ``name``."""
        if self.on_stage is not None:
            self.on_stage(name)

    def journal(self, event: str, **data: Any) -> None:
        self.report.last_stage = event
        with _raw_io(self.raw_dir):
            landing.journal(self.raw_dir, self.run_id, event, **data)
        self.stage(event)

    def _before_publish(self, con: duckdb.DuckDBPyConnection) -> None:
        self.report.status = "success"
        self.report.finished_at = _utcnow()
        self.report.last_stage = "publish"
        self.report.message = self.report.summary()
        if self.report.problems:
            self.report.message += " Problems: " + " | ".join(self.report.problems[:5])
        record_run(con, self.report)
        from .warehouse.topic import write_topic
        write_topic(con, self.scope)  # read by the briefs and the dashboard
        from .warehouse.search import build_index
        build_index(con)
        self.stage("swap")

    def __exit__(self, exc_type, exc, tb) -> bool:
        logging.getLogger("evidence").removeHandler(self._problems)
        try:
            try:
                self._staged.__exit__(exc_type, exc, tb)  # publish on success, discard on error
            except BaseException as final:  # the error as the warehouse layer explained it
                self._failed(final)
                raise
            if exc is not None:
                self._failed(exc)
            else:
                self._journal_quietly("published", summary=self.report.summary())
                self.stage("published")
            return False
        finally:
            self._lock.close()

    def _failed(self, exc: BaseException) -> None:
        r = self.report
        r.status = "failed"
        r.message = str(exc) or type(exc).__name__
        r.finished_at = _utcnow()
        self._journal_quietly("failed", stage=r.last_stage, error=r.message, error_type=type(exc).__name__)
        # the warehouse is as it was; the next run adds this run's record (see recover), and the
        # caller reports the error itself (the CLI prints it, the flow logs it)
        log.info("run %s failed at %s: %s", r.run_id, r.last_stage, r.message)

    def _journal_quietly(self, event: str, **data: Any) -> None:
        """Journal the run's outcome; if even that fails (disk full), the run's own error wins."""
        try:
            landing.journal(self.raw_dir, self.run_id, event, **data)
        except OSError as exc:
            log.error("could not write the journal of run %s (%s); the next run will record it as "
                      "interrupted", self.run_id, exc)


def record_run(con: duckdb.DuckDBPyConnection, report: RunReport) -> None:
    row = {k: v for k, v in asdict(report).items()
           if k not in ("skipped_books", "skipped_other", "recovered_runs", "new_pmids", "problems")}
    cols = ", ".join(row)
    con.execute(f"INSERT OR REPLACE INTO runs ({cols}) VALUES ({', '.join('?' * len(row))})", list(row.values()))


# ---------------------------------------------------------------- recovery


def _resumable(run: Run, events: list[dict[str, Any]], loaded: set[str]) -> set[str]:
    """The PMIDs an interrupted nightly run fetched into ``loaded`` files (journaled with them) that
    this run need not fetch again: fetched in the same mode within the overlap (``overlap_days``)
    before now, so that any change PubMed made to them since falls in the next run's window."""
    first = events[0] if events else {}
    if first.get("kind") != "run" or first.get("mode") != run.report.mode:
        return set()
    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=run.settings.overlap_days)
    out: set[str] = set()
    for e in events:
        if e.get("event") != "fetch" or e.get("file") not in loaded or not isinstance(e.get("pmids"), list):
            continue
        try:
            at = dt.datetime.fromisoformat(str(e.get("at")))
        except ValueError:
            continue
        if at.tzinfo is not None and at >= since:
            out.update(str(p) for p in e["pmids"])
    return out


def recover(run: Run) -> LoadCounts:
    """Record runs that died or failed, and load the raw files they landed but never published.

    A nightly run that died part-way through its fetch is picked up where it stopped: the PMIDs it
    fetched (recently) are kept in ``run.resumed``, and ``fetch`` does not fetch them again."""
    con = run.con
    known = {r[0] for r in con.execute("SELECT run_id FROM runs").fetchall()}
    loaded = {r[0] for r in con.execute("SELECT path FROM raw_files").fetchall()}
    counts = LoadCounts(new_pmids=[])
    for rid in landing.run_ids(run.raw_dir):
        if rid == run.run_id or rid in known:
            continue
        events = landing.read_journal(run.raw_dir, rid)
        pending = [p for p in landing.raw_files(run.raw_dir)
                   if p.parent.name == rid and landing.relative(run.raw_dir, p) not in loaded]
        if pending:
            run.progress(f"loading {len(pending)} raw file(s) landed by earlier run {rid}")
            try:
                # files whose landing was journaled are checked before any of them is loaded: a
                # changed one is found only at its end, when its first records would be loaded already
                journaled = landing.journaled_bodies(run.raw_dir, rid)
                for p in pending:
                    if (want := journaled.get(landing.relative(run.raw_dir, p))) is not None:
                        landing.check_body(p, landing.read_body(p), want)
                counts.add(load_files(run, pending))
            except BadInputError as exc:  # one unreadable or changed file (a damaged .gz or .zst too)
                # must not stop every later run
                log.warning("could not load what interrupted run %s landed (%s); its raw files stay "
                            "under %s for `evidence rebuild` after a fix", rid, exc, run.raw_dir / rid)
            else:
                run.report.recovered_runs.append(rid)
                run.resumed |= _resumable(run, events, {landing.relative(run.raw_dir, p) for p in pending})
        first = events[0] if events else {}
        last = events[-1] if events else {}
        failed = last.get("event") == "failed"
        stage_ = last.get("stage") if failed else last.get("event", "start")
        msg = (f"failed: {last.get('error')}" if failed else
               f"the process stopped after '{stage_}' without publishing")
        if pending:
            msg += f"; its {len(pending)} landed file(s) were loaded by run {run.run_id}"
        con.execute(
            "INSERT OR REPLACE INTO runs (run_id, kind, status, started_at, finished_at, mode, last_stage, message, "
            "errors) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [rid, first.get("kind"), "failed" if failed else "interrupted",
             first.get("at"), last.get("at") if failed else None, first.get("mode"), stage_, msg, 1])
    return counts


# ---------------------------------------------------------------- search and fetch


def last_run_of(con: duckdb.DuckDBPyConnection, topic: str, mode: str) -> dt.datetime | None:
    """When the last successful nightly run that searched ``topic`` (the query without its date
    window) in ``mode`` (the offline snapshot, or live PubMed) started; None if none did."""
    from .fetch import windowed_term
    for started, query, start, end in con.execute(
            "SELECT started_at, query, window_start, window_end FROM runs WHERE kind = 'run' "
            "AND status = 'success' AND mode = ? ORDER BY started_at DESC", [mode]).fetchall():
        if query == windowed_term(topic, start, end):
            return started
    return None


def search_window(con: duckdb.DuckDBPyConnection, settings: Settings, *, full: bool = False,
                  since: dt.date | None = None, today: dt.date | None = None
                  ) -> tuple[dt.date | None, dt.date | None]:
    """The date window of an incremental run: from the last successful run that searched the same
    topic query in the same place (the snapshot, or live PubMed), minus the overlap, to today. None,
    None (everything) when no run did: the first run, the first after the topic changed, or the
    first live run on a warehouse the offline demo made (a window would miss the older records)."""
    from .fetch import topic_query
    today = today or dt.datetime.now(dt.timezone.utc).date()
    if full:
        return None, None
    if since is not None:
        return since, today
    last = last_run_of(con, topic_query(settings), settings.pubmed)
    if last is None:
        return None, None
    return last.date() - dt.timedelta(days=settings.overlap_days), today


def search(run: Run, client: Any, *, full: bool = False, since: dt.date | None = None) -> Any:
    from .fetch import search as es, topic_query, windowed_term
    start, end = search_window(run.con, run.settings, full=full, since=since)
    term = windowed_term(topic_query(run.settings), start, end)
    run.report.query, run.report.window_start, run.report.window_end = term, start, end
    changed = start is None and not full and run.con.execute(
        "SELECT count(*) FROM runs WHERE kind = 'run' AND status = 'success'").fetchone()[0] > 0
    run.progress(f"searching PubMed ({run.settings.pubmed}): "
                 + (f"records created or changed {start} to {end}" if start else "everything")
                 + (f" (no earlier {run.settings.pubmed} run searched this topic query, so not only "
                    "recent records)" if changed else ""))
    result = es(client, term, run.settings.esearch_cap)
    run.report.searched = result.count
    run.report.requests = client.requests_made
    run.journal("search", count=result.count, window_start=start, window_end=end)
    run.progress(f"search found {result.count} record(s)")
    return result


def fetch(run: Run, client: Any, result: Any) -> list[landing.Landed]:
    """Fetch every batch, land it before anything parses it, then fetch by id whatever went missing.

    PubMed changes while a run pages through it: a page can come back short (records withdrawn or
    re-indexed since the search) or hold records the search did not list. Missing PMIDs are
    fetched again by id; extra records are loaded like any other (loads are keyed by PMID, so a
    record seen twice is stored once).
    """
    from .fetch import fetch_ids, iter_batches
    landed: list[landing.Landed] = []
    got: set[str] = set()  # the PMIDs this run fetched
    total = max(result.count, 1)

    def keep(batch: Any, kind: str) -> None:
        with _raw_io(run.raw_dir):
            item = landing.land(run.raw_dir, run.run_id, batch.index, batch.body, kind=kind)
        landed.append(item)
        pmids = {m.decode() for m in _PMID_IN_BODY.findall(batch.body)}
        got.update(pmids)
        run.journal("fetch", batch=batch.index, records=len(pmids), file=item.relative, bytes=item.bytes,
                    sha256=item.sha256, pmids=sorted(pmids))

    listed = set(result.pmids)
    have = run.resumed & listed  # an interrupted run fetched these and recover() loaded them
    if have:
        rest = [p for p in result.pmids if p not in have]
        run.progress(f"{len(have)} record(s) an interrupted run fetched are loaded already; "
                     f"fetching the other {len(rest)}")
        batches = fetch_ids(client, rest, run.settings.batch_size)
    else:
        batches = iter_batches(client, result, run.settings.batch_size)
    for batch in batches:
        keep(batch, "batch")
        run.progress(f"fetched batch {batch.index}: {len(got | have)}/{total} records")
    extra = got - listed
    if extra and listed:
        log.info("efetch returned %d record(s) the search did not list (PubMed changed during the run); "
                 "they are loaded too", len(extra))
    missing = sorted(listed - got - have)
    if missing:
        run.progress(f"{len(missing)} record(s) missing from the batches; fetching them by PMID")
        log.warning("efetch returned %d fewer records than the search listed (PubMed changed during the "
                    "run?); fetching them again by PMID", len(missing))
        for batch in fetch_ids(client, missing, run.settings.batch_size):
            keep(batch, "refetch")
        gone = sorted(listed - got - have)
        if gone:
            log.warning("%d record(s) the search listed could not be fetched even by PMID (withdrawn from "
                        "PubMed since?): %s", len(gone), ", ".join(gone[:20]))
    run.report.fetched = len(got)
    run.report.requests = client.requests_made
    return landed


# ---------------------------------------------------------------- parse, extract, load


@dataclass(frozen=True)
class _Read:
    """A file a load has read to its end: the records in it and its XML's size and SHA-256."""

    path: Path
    records: int
    body: Digest


class _Bodies:
    """The XML of the files a load reads, hashed from the bytes the parser reads and checked against
    the size and SHA-256 recorded for them (``expected``, by path relative to the raw folder)."""

    def __init__(self, raw_dir: Path, expected: dict[str, landing.Body] | None) -> None:
        self.raw_dir, self.expected = raw_dir, expected or {}

    def check(self, path: Path, digest: Digest) -> None:
        if self.expected:
            landing.check_body(path, digest, self.expected.get(landing.relative(self.raw_dir, path)))


def _chunks(paths: Iterable[Path], stats: ParseStats, size: int, bodies: _Bodies
            ) -> Iterator[tuple[list[dict], list[Deletion], list[_Read]]]:
    records: list[dict] = []
    deletions: list[Deletion] = []
    done: list[_Read] = []
    with paused_gc():  # a growing chunk of parsed records holds no cycles; see parse.paused_gc
        for path in paths:
            before, digest = stats.records, Digest()
            for rec in iter_records(path, stats, digest):
                if isinstance(rec, Deletion):
                    deletions.append(rec)
                else:
                    records.append(rec)
                    if len(records) >= size:
                        yield records, deletions, []
                        records, deletions = [], []
            bodies.check(path, digest)
            done.append(_Read(path, stats.records - before, digest))
    yield records, deletions, done


def _pool_size(paths: list[Path]) -> int:
    """Worker processes for a load: none (in process) for small loads or fewer than ``POOL_MIN_CPUS``
    cores; else one per core but the one this process loads on, at most ``WORKERS``."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if WORKERS < 2 or cpus < max(POOL_MIN_CPUS, 2):
        return 0
    size = 0
    for p in paths:
        try:
            size += p.stat().st_size * _SIZE_AS_GZIP.get(compression(p) or "", 1)
        except OSError:
            return 0  # the in-process path reports the missing file as before
    return max(2, min(WORKERS, cpus - 1)) if size >= POOL_MIN_BYTES else 0


def load_files(run: Run, paths: list[Path], *, history_run_id: str | None = None,
               raw_paths: dict[Path, Path] | None = None, expected: dict[str, landing.Body] | None = None
               ) -> LoadCounts:
    """Parse, extract and load raw files in order, in chunks; record them in ``raw_files``
    (as ``raw_paths`` names them, if given: the landed copies of files read from elsewhere).

    Each file's row holds the records read from it and the size and SHA-256 of its XML, hashed
    from the bytes the parser reads (for ``raw_paths``, those of the file read, which ``ingest``
    compares with its copy's). A file whose XML is not the one ``expected`` records for it
    (by path relative to the raw folder) raises ``landing.RawFileChanged``, a BadInputError.

    Reading, extraction and loading overlap in threads of this process (``evidence.overlap``); on
    machines with ``POOL_MIN_CPUS`` cores or more, large loads (``POOL_MIN_BYTES`` of raw files or
    more) parse and extract in worker processes (``evidence.workers``) instead. The result is the
    same warehouse either way.
    """
    total = LoadCounts(new_pmids=[])
    stats = ParseStats()
    progress = _Progress(run, total, history_run_id or run.run_id, raw_paths or {})
    bodies = _Bodies(run.raw_dir, expected=expected)
    workers = _pool_size(paths)
    if workers:
        _load_pooled(run, paths, stats, progress, workers, bodies)
    else:
        _load_overlapped(run, paths, stats, progress, bodies)
    run.report.skipped_books += stats.books_skipped
    run.report.skipped_other += stats.other_skipped
    return total


class _Progress:
    """Loads one chunk's frames, deletions and finished files; journals and reports progress."""

    def __init__(self, run: Run, total: LoadCounts, history_run_id: str, raw_paths: dict[Path, Path]) -> None:
        self.run, self.total, self.history_run_id, self.raw_paths = run, total, history_run_id, raw_paths
        self.t0 = time.perf_counter()
        self.seen = 0

    def load(self, frames: dict | None, studies: Any, n: int, deletions: list[Deletion], done: list[_Read]) -> None:
        run = self.run
        if frames is not None and n:
            self.total.add(load_frames(run.con, frames, studies, self.history_run_id))
            self.seen += n
            rate = self.seen / max(time.perf_counter() - self.t0, 1e-9)
            run.progress(f"loaded {self.seen} records ({rate:,.0f}/s)")
            run.journal("loaded-chunk", records=self.seen)
        if deletions:
            self.total.deleted += mark_deleted(run.con, (d.pmid for d in deletions), run.run_id)
        for read in done:
            p = self.raw_paths.get(read.path, read.path)
            run.con.execute("INSERT OR REPLACE INTO raw_files (path, run_id, batch, records, bytes, sha256, "
                            "loaded_run_id, loaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            [landing.relative(run.raw_dir, p), p.parent.name, landing.batch_number(p), read.records,
                             read.body.size, read.body.sha256, run.run_id, _utcnow()])


@contextmanager
def _loading(con: duckdb.DuckDBPyConnection, memory_limit: str | None = None) -> Iterator[None]:
    """DuckDB on ``POOL_THREADS`` threads (and a smaller ``memory_limit``) while other threads or
    processes parse and extract on the cores; both put back afterwards, for the full-text index."""
    con.execute(f"SET threads = {POOL_THREADS}")
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    try:
        yield
    finally:
        try:
            con.execute("RESET threads")
            con.execute(f"SET memory_limit = '{db.MEMORY_LIMIT}'")  # as db.connect set it
        except duckdb.Error:  # the load's own error is the one to report
            pass


def _load_overlapped(run: Run, paths: list[Path], stats: ParseStats, progress: "_Progress", bodies: _Bodies) -> None:
    """``load_files`` in this process: chunks are parsed, normalised and extracted in threads of
    their own while this thread loads the ones before (``evidence.overlap``); ``EXTRACT_CHUNKS``
    chunks at a time are extracted in one call."""
    from .extract import extract_each
    from .overlap import Batched, overlapped
    conditions = run.scope.conditions

    def normalise(chunk: tuple[list[dict], list[Deletion], list[_Read]]) -> tuple[Any, int, list[Deletion], list[_Read]]:
        records, deletions, done = chunk
        return (make_frames(records) if records else None), len(records), deletions, done

    Normalised = tuple[Any, int, list[Deletion], list[_Read]]

    def extract(items: list[Normalised]) -> list[tuple[Any, Any, int, list[Deletion], list[_Read]]]:
        # the articles of EXTRACT_CHUNKS chunks in one call (extract_each)
        studies = iter(extract_each([frames["articles"] for frames, *_ in items if frames is not None], conditions))
        return [(frames, next(studies) if frames is not None else None, n, deletions, done)
                for frames, n, deletions, done in items]

    with _loading(run.con):
        for frames, studies, n, deletions, done in overlapped(_chunks(paths, stats, LOAD_CHUNK, bodies), normalise,
                                                              Batched(extract, EXTRACT_CHUNKS)):
            progress.load(frames, studies, n, deletions, done)
            del frames, studies


def _load_pooled(run: Run, paths: list[Path], stats: ParseStats, progress: _Progress, workers: int,
                 bodies: _Bodies) -> None:
    """``load_files`` with parse/normalise/extract in worker processes, loads here, in order."""
    from . import workers as pool

    def canonical_error(task: pool.Task, exc: BaseException) -> None:
        # The same message as in-process loading: parse the failing file(s) here from the start
        # (a worker's message gives its slice's line and record numbers, not the file's).
        if isinstance(exc, BadInputError):
            for name in dict.fromkeys(p.name for p in task.pieces):
                for _ in iter_records(Path(name)):
                    pass

    def checked(tasks: Iterable[pool.Task]) -> Iterator[pool.Task]:
        # each file is checked once this process has read it to its end (cutting it into pieces),
        # before the task that completes it is handed to a worker
        for task in tasks:
            for path, digest in task.digests.items():
                bodies.check(path, digest)
            yield task

    records: dict[str, int] = {}  # records read so far from each file, by name (a piece's name)
    # while the workers hold ~200 MB each, DuckDB here is kept smaller than the connection's own limit
    # (it spills to the staging copy's .tmp beyond it)
    with _loading(run.con, memory_limit=POOL_DUCKDB_MEMORY):
        tasks = checked(pool.plan(paths, POOL_TASK, min(LOAD_CHUNK, POOL_CHUNK)))
        for i, (task, results) in enumerate(pool.run_ordered(tasks, workers, ahead=POOL_AHEAD, polars_threads=POOL_THREADS,
                                                             on_error=canonical_error,
                                                             conditions=run.scope.conditions), 1):
            for piece in task.pieces:  # one result per piece, in order
                result = results.pop(0)  # each dropped once loaded
                for name in ("articles", "deleted", "books_skipped", "other_skipped", "articles_skipped"):
                    setattr(stats, name, getattr(stats, name) + getattr(result.stats, name))
                stats.deleted_pmids += result.stats.deleted_pmids
                records[piece.name] = records.get(piece.name, 0) + result.stats.records
                progress.load(result.frames, result.studies, result.records, result.deletions, [])
                del result
            # the files whose last piece this was
            progress.load(None, None, 0, [], [_Read(p, records.pop(str(p), 0), task.digests[p])
                                              for p in task.done])
            if i % 3 == 0:  # give freed result frames' pages back to the system
                pool.trim_heap()


def apply_counts(report: RunReport, counts: LoadCounts) -> None:
    report.new += counts.new
    report.updated += counts.updated
    report.unchanged += counts.unchanged
    report.deleted += counts.deleted
    report.new_pmids += counts.new_pmids or []


# ---------------------------------------------------------------- whole runs without Prefect


def preflight(settings: Settings) -> None:
    """Check what can be checked before any work (the topic file, its query and its conditions):
    ConfigError if not."""
    from .fetch import topic_query, topic_scope
    topic_query(settings)
    topic_scope(settings)


def nightly(settings: Settings, *, full: bool = False, since: dt.date | None = None,
            progress: Progress | None = None, client_options: dict[str, Any] | None = None,
            on_stage: StageHook | None = None, lock_wait: float = 0.0) -> RunReport:
    """The nightly run as one library call (the Prefect flow runs the same steps as tasks).

    ``client_options`` go to the E-utilities client (e.g. an injected ``clock``/``sleep``);
    ``on_stage`` is the Run's stage hook; ``lock_wait`` is how long to wait for another run.
    """
    from .fetch import open_client
    preflight(settings)
    with Run(settings, "run", progress=progress, on_stage=on_stage, lock_wait=lock_wait) as run:
        apply_counts(run.report, recover(run))
        with open_client(settings, **(client_options or {})) as client:
            result = search(run, client, full=full, since=since)
            landed = fetch(run, client, result) if result.count else []
        run.journal("load", files=len(landed))
        apply_counts(run.report, load_landed(run, landed))
        run.journal("publish")
    return run.report


def ingest(settings: Settings, files: list[Path], *, progress: Progress | None = None,
           on_stage: StageHook | None = None) -> RunReport:
    """Load local PubMed XML files (plain, gzip or zstd) through the same parse/extract/load path.

    All or nothing: if any file cannot be read as PubMed XML, nothing is loaded and the files this
    run landed are removed again, so no later run picks them up.
    """
    files = list({Path(f).resolve(): Path(f) for f in files}.values())  # each file once
    for f in files:
        check_input_file(f)
    with Run(settings, "ingest", progress=progress, on_stage=on_stage) as run:
        apply_counts(run.report, recover(run))
        # The raw copies kept for rebuilds are written (zstd) in a thread while the user's own files
        # are parsed and loaded, so the two overlap on the cores (the copy of 100,000 records takes
        # ~1 s); nothing is published before every copy is complete.
        raw = {f: landing.landed_path(run.raw_dir, run.run_id, i, "ingest") for i, f in enumerate(files, 1)}
        before = [_file_state(f) for f in files]
        cancel = threading.Event()
        try:
            with ThreadPoolExecutor(1, thread_name_prefix="evidence-land") as pool:
                copying = pool.submit(_land_files, run, files, cancel)
                try:
                    counts = load_files(run, files, raw_paths=raw)
                except BadInputError:
                    copying.result()  # a file the copy found unreadable (empty, damaged .gz/.zst): its own message
                    raise
                except BaseException:
                    cancel.set()  # stop copying (leaving the pool waits until it has)
                    raise
                copies = copying.result()
            # the XML the load read (its size and SHA-256 in the copies' raw_files rows) must be the
            # XML the copy holds, and the file must not have changed since (a file still being written)
            loaded = dict(run.con.execute("SELECT path, sha256 FROM raw_files WHERE run_id = ?",
                                          [run.run_id]).fetchall())
            for f, state, c in zip(files, before, copies):
                if _file_state(f) != state or loaded.get(c.relative) != c.sha256:
                    raise BadInputError(f"{f}: the file changed while it was being ingested (is it still being "
                                        "written?); ingest it again once it is complete")
        except BaseException:
            for p in raw.values():  # no later run must pick up the copies of a refused ingest
                p.unlink(missing_ok=True)
            raise
        run.journal("land", files=len(files))
        apply_counts(run.report, counts)
        run.report.fetched = counts.new + counts.updated + counts.unchanged
        run.journal("publish")
    return run.report


def _land_files(run: Run, files: list[Path], cancel: threading.Event) -> list[landing.Landed]:
    """Land each of the user's files as ``ingest-<n>.xml.zst`` (``ingest``'s copying thread); an
    empty or damaged file raises ``landing.UnreadableInput``, a BadInputError naming it."""
    copies = []
    for i, f in enumerate(files, 1):
        with _raw_io(run.raw_dir):  # streamed: a 600 MB file is never held in memory
            copies.append(landing.land_file(run.raw_dir, run.run_id, i, f, kind="ingest", cancel=cancel))
    return copies


def _file_state(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def load_landed(run: Run, landed: list[landing.Landed]) -> LoadCounts:
    """``load_files`` of what this run fetched and landed, each file checked against the size and
    SHA-256 of the XML it was landed with."""
    return load_files(run, [x.path for x in landed],
                      expected={x.relative: landing.Body(x.bytes, x.sha256) for x in landed})


def recorded_bodies(run: Run) -> dict[str, landing.Body]:
    """The size and SHA-256 recorded for each raw file's XML: in ``raw_files`` when it was loaded,
    else in the journal of the run that landed it (a file an interrupted run landed)."""
    bodies = landing.journaled_bodies(run.raw_dir)
    for path, size, sha256 in run.con.execute(
            "SELECT path, bytes, sha256 FROM raw_files WHERE sha256 IS NOT NULL").fetchall():
        bodies[path] = landing.Body(size, sha256)
    return bodies


def missing_raw_files(run: Run) -> list[str]:
    """The raw files ``raw_files`` says the warehouse was loaded from that are not in the raw folder
    (paths relative to it)."""
    paths = [p for (p,) in run.con.execute("SELECT path FROM raw_files ORDER BY path").fetchall()]
    return [p for p in paths if not (run.raw_dir / p).is_file()]


def rebuild(settings: Settings, *, progress: Progress | None = None, forget_missing: bool = False) -> RunReport:
    """Re-parse, re-extract and re-load everything from the raw landing; no network.

    Each raw file's XML is checked against the size and SHA-256 recorded for it (``recorded_bodies``):
    one that changed stops the rebuild (``landing.RawFileChanged``) and the warehouse stays as it was.
    Files with nothing recorded (loaded before evidence recorded it) are loaded and recorded now.
    A raw file the warehouse was loaded from that is gone from the raw folder stops it too
    (``landing.RawFilesMissing``): the records only it held would silently leave the warehouse.
    With ``forget_missing`` the rebuild goes on without such files, and names them in its problems.
    """
    with Run(settings, "rebuild", progress=progress) as run:
        files = landing.raw_files(run.raw_dir)
        missing = missing_raw_files(run)
        if missing and not forget_missing:
            named = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
            raise landing.RawFilesMissing(
                f"{len(missing)} raw file(s) the warehouse was loaded from are missing from {str(run.raw_dir)!r}: "
                f"{named}. Restore them from a backup of the raw folder (or set EVIDENCE_RAW to the folder that "
                "holds them) and run `evidence rebuild` again; if they are lost, `evidence rebuild "
                "--forget-missing` rebuilds without them, and the records only they held leave the warehouse. "
                "Nothing was rebuilt: the published warehouse is as it was.")
        if missing:
            log.warning("rebuilding without %d raw file(s) missing from %s (--forget-missing): %s; the records "
                        "only they held left the warehouse", len(missing), run.raw_dir, ", ".join(missing))
        if not files:
            raise EvidenceError(f"no raw files under {str(run.raw_dir)!r}; nothing to rebuild from "
                                "(run `evidence run` first, or set EVIDENCE_RAW)")
        expected = recorded_bodies(run)
        db.run_sql(run.con, "load/clear_current.sql")
        # written out now: the deleted rows would otherwise stay in memory (and the WAL) through the
        # whole reload (~150 MB at 100,000 records)
        run.con.execute("CHECKPOINT")
        run.progress(f"rebuilding from {len(files)} raw file(s)")
        try:
            counts = load_files(run, files, expected=expected)
        except landing.RawFileChanged as exc:
            raise landing.RawFileChanged(f"{exc}. Nothing was rebuilt: the published warehouse is as it was.") from None
        run.con.execute("DELETE FROM article_versions WHERE run_id = ?", [run.run_id])
        run.report.fetched = counts.new + counts.updated + counts.unchanged
        run.report.new = run.report.updated = 0
        run.report.unchanged = run.report.fetched
        run.report.deleted = counts.deleted
        run.journal("publish")
    return run.report
