"""The data's way through the system, as plain functions: search → fetch → land → parse → extract → load → publish.

The Prefect flow (flows/nightly.py) calls these step by step as tasks; the CLI's ``ingest`` and
``rebuild`` call them directly (no Prefect start-up). A ``Run`` holds the warehouse lock, the
private staging copy and the run's journal; the published warehouse only changes when a run
finishes cleanly. A run that died is found by the next one, which loads what it had landed and
records it in ``runs`` as interrupted.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import duckdb

from . import land as landing
from .errors import BadInputError, EvidenceError
from .normalise import frames as make_frames
from .parse import Deletion, ParseStats, iter_records
from .settings import Settings
from .warehouse import LoadCounts, load_frames, mark_deleted, run_lock, stage
from .warehouse.db import run_sql

log = logging.getLogger(__name__)
Progress = Callable[[str], None]
LOAD_CHUNK = 5000  # records per load transaction: large enough to amortise SQL, small enough for memory
_PMID_IN_BODY = re.compile(rb"<MedlineCitation[^>]*>\s*<PMID[^>]*>\s*(\d+)\s*</PMID>")


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
        return " ".join(parts)


class Run:
    """One run's lock, staging copy, journal and report. Use as a context manager."""

    def __init__(self, settings: Settings, kind: str, *, progress: Progress | None = None,
                 fresh: bool = False, lock_wait: float = 0.0) -> None:
        self.settings = settings
        self.kind = kind
        self.progress = progress or (lambda msg: None)
        self.fresh = fresh
        self.lock_wait = lock_wait
        self.report = RunReport(landing.new_run_id(), kind,
                                "file" if kind != "run" else settings.pubmed)
        self._stack = ExitStack()
        self.con: duckdb.DuckDBPyConnection | None = None

    @property
    def raw_dir(self) -> Path:
        return self.settings.raw_dir

    @property
    def run_id(self) -> str:
        return self.report.run_id

    def __enter__(self) -> "Run":
        s = self.settings
        self._stack.enter_context(run_lock(s.db, wait=self.lock_wait))
        from .extract import EXTRACTOR_VERSION
        self.report.extractor_version = EXTRACTOR_VERSION
        staged = self._stack.enter_context(stage(s.db, fresh=self.fresh, before_publish=self._before_publish))
        self.con = staged.con
        self.journal("start", kind=self.kind, mode=self.report.mode)
        return self

    def journal(self, event: str, **data: Any) -> None:
        self.report.last_stage = event
        landing.journal(self.raw_dir, self.run_id, event, **data)

    def _before_publish(self, con: duckdb.DuckDBPyConnection) -> None:
        self.report.status = "success"
        self.report.finished_at = _utcnow()
        self.report.last_stage = "publish"
        record_run(con, self.report)
        from .warehouse.search import build_index
        build_index(con)

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            if exc is not None:
                self.report.status = "failed"
                self.report.message = str(exc)
                self.report.finished_at = _utcnow()
            return self._stack.__exit__(exc_type, exc, tb)
        finally:
            if exc is None:
                self.journal("published", summary=self.report.summary())
            else:
                landing.journal(self.raw_dir, self.run_id, "failed", stage=self.report.last_stage,
                                error=str(exc), error_type=type(exc).__name__)
                record_failure(self.settings, self.report)


def record_run(con: duckdb.DuckDBPyConnection, report: RunReport) -> None:
    row = {k: v for k, v in asdict(report).items()
           if k not in ("skipped_books", "skipped_other", "recovered_runs", "new_pmids")}
    cols = ", ".join(row)
    con.execute(f"INSERT OR REPLACE INTO runs ({cols}) VALUES ({', '.join('?' * len(row))})", list(row.values()))


def record_failure(settings: Settings, report: RunReport) -> None:
    """A failed run leaves the warehouse as it was; its record is added by the next run (see recover)."""
    log.error("run %s failed at %s: %s", report.run_id, report.last_stage, report.message)


# ---------------------------------------------------------------- recovery


def recover(run: Run) -> LoadCounts:
    """Record runs that died or failed, and load the raw files they landed but never published."""
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
            counts.add(load_files(run, pending))
            run.report.recovered_runs.append(rid)
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


def search_window(con: duckdb.DuckDBPyConnection, settings: Settings, *, full: bool = False,
                  since: dt.date | None = None, today: dt.date | None = None
                  ) -> tuple[dt.date | None, dt.date | None]:
    """The date window of an incremental run: the last successful run minus the overlap, to today."""
    today = today or dt.datetime.now(dt.timezone.utc).date()
    if full:
        return None, None
    if since is not None:
        return since, today
    last = con.execute("SELECT max(started_at) FROM runs WHERE kind = 'run' AND status = 'success'").fetchone()[0]
    if last is None:
        return None, None
    return last.date() - dt.timedelta(days=settings.overlap_days), today


def search(run: Run, client: Any, *, full: bool = False, since: dt.date | None = None) -> Any:
    from .fetch import search as es, topic_query, windowed_term
    start, end = search_window(run.con, run.settings, full=full, since=since)
    term = windowed_term(topic_query(run.settings), start, end)
    run.report.query, run.report.window_start, run.report.window_end = term, start, end
    run.progress(f"searching PubMed ({run.settings.pubmed}): "
                 + (f"records created or changed {start} to {end}" if start else "everything"))
    result = es(client, term, run.settings.esearch_cap)
    run.report.searched = result.count
    run.report.requests = client.requests_made
    run.journal("search", count=result.count, window_start=start, window_end=end)
    run.progress(f"search found {result.count} record(s)")
    return result


def fetch(run: Run, client: Any, result: Any) -> list[landing.Landed]:
    """Fetch every batch, land it before anything parses it, then fetch by id whatever went missing."""
    from .fetch import iter_batches
    landed: list[landing.Landed] = []
    got: set[str] = set()
    total = max(result.count, 1)
    for batch in iter_batches(client, result, run.settings.batch_size):
        item = landing.land(run.raw_dir, run.run_id, batch.index, batch.body)
        landed.append(item)
        pmids = {m.decode() for m in _PMID_IN_BODY.findall(batch.body)}
        got |= pmids
        run.journal("fetch", batch=batch.index, records=len(pmids), file=item.relative)
        run.progress(f"fetched batch {batch.index}: {len(got)}/{total} records")
    missing = sorted(set(result.pmids) - got)
    if missing:
        run.progress(f"{len(missing)} record(s) missing from the batches; fetching them by PMID")
        log.warning("efetch returned %d fewer records than searched; refetching by id", len(missing))
        run.report.errors += 1
        body = client.efetch(ids=missing)
        item = landing.land(run.raw_dir, run.run_id, len(landed) + 1, body)
        landed.append(item)
        got |= {m.decode() for m in _PMID_IN_BODY.findall(body)}
    run.report.fetched = len(got)
    run.report.requests = client.requests_made
    return landed


# ---------------------------------------------------------------- parse, extract, load


def _chunks(paths: Iterable[Path], stats: ParseStats, size: int) -> Iterator[tuple[list[dict], list[Deletion], list[Path]]]:
    records: list[dict] = []
    deletions: list[Deletion] = []
    done: list[Path] = []
    for path in paths:
        for rec in iter_records(path, stats):
            if isinstance(rec, Deletion):
                deletions.append(rec)
            else:
                records.append(rec)
                if len(records) >= size:
                    yield records, deletions, []
                    records, deletions = [], []
        done.append(path)
    yield records, deletions, done


def load_files(run: Run, paths: list[Path], *, history_run_id: str | None = None) -> LoadCounts:
    """Parse, extract and load raw files in order, in chunks; record them in ``raw_files``."""
    from .extract import extract_studies
    total = LoadCounts(new_pmids=[])
    stats = ParseStats()
    t0 = time.perf_counter()
    seen = 0
    for records, deletions, done in _chunks(paths, stats, LOAD_CHUNK):
        if records:
            frames = make_frames(records)
            studies = extract_studies(frames["articles"])
            total.add(load_frames(run.con, frames, studies, history_run_id or run.run_id))
            seen += len(records)
            rate = seen / max(time.perf_counter() - t0, 1e-9)
            run.progress(f"loaded {seen} records ({rate:,.0f}/s)")
        if deletions:
            total.deleted += mark_deleted(run.con, (d.pmid for d in deletions), run.run_id)
        for p in done:
            rel = landing.relative(run.raw_dir, p)
            run.con.execute("INSERT OR REPLACE INTO raw_files (path, run_id, batch, loaded_run_id, loaded_at) "
                            "VALUES (?, ?, ?, ?, ?)", [rel, p.parent.name, _batch_no(p), run.run_id, _utcnow()])
    run.report.skipped_books += stats.books_skipped
    run.report.skipped_other += stats.other_skipped
    return total


def _batch_no(p: Path) -> int | None:
    m = re.search(r"-(\d+)\.xml\.gz$", p.name)
    return int(m.group(1)) if m else None


def apply_counts(report: RunReport, counts: LoadCounts) -> None:
    report.new += counts.new
    report.updated += counts.updated
    report.unchanged += counts.unchanged
    report.deleted += counts.deleted
    report.new_pmids += counts.new_pmids or []


# ---------------------------------------------------------------- whole runs without Prefect


def nightly(settings: Settings, *, full: bool = False, since: dt.date | None = None,
            progress: Progress | None = None) -> RunReport:
    """The nightly run as one library call (the Prefect flow runs the same steps as tasks)."""
    from .fetch import open_client
    with Run(settings, "run", progress=progress) as run:
        apply_counts(run.report, recover(run))
        with open_client(settings) as client:
            result = search(run, client, full=full, since=since)
            landed = fetch(run, client, result) if result.count else []
        run.journal("load", files=len(landed))
        apply_counts(run.report, load_files(run, [x.path for x in landed]))
        run.journal("publish")
    return run.report


def ingest(settings: Settings, files: list[Path], *, progress: Progress | None = None) -> RunReport:
    """Load local PubMed XML files through the same parse/extract/load path; all or nothing."""
    with Run(settings, "ingest", progress=progress) as run:
        apply_counts(run.report, recover(run))
        landed = []
        for i, f in enumerate(files, 1):
            f = Path(f)
            if not f.is_file():
                raise BadInputError(f"{f}: no such file; give the path of a PubMed XML file")
            landed.append(landing.land(run.raw_dir, run.run_id, i, f.read_bytes(), kind="ingest").path)
            run.journal("land", file=str(f))
        try:
            counts = load_files(run, landed)
        except EvidenceError as exc:
            for p in landed:
                p.unlink(missing_ok=True)
            raise BadInputError(str(exc).replace(str(landed[0].parent), "input")) from None
        apply_counts(run.report, counts)
        run.report.fetched = counts.new + counts.updated + counts.unchanged
        run.journal("publish")
    return run.report


def rebuild(settings: Settings, *, progress: Progress | None = None) -> RunReport:
    """Re-parse, re-extract and re-load everything from the raw landing; no network."""
    with Run(settings, "rebuild", progress=progress) as run:
        files = landing.raw_files(run.raw_dir)
        if not files:
            raise EvidenceError(f"no raw files under {str(run.raw_dir)!r}; nothing to rebuild from "
                                "(run `evidence run` first, or set EVIDENCE_RAW)")
        run_sql(run.con, "load/clear_current.sql")
        run.progress(f"rebuilding from {len(files)} raw file(s)")
        counts = load_files(run, files)
        run.con.execute("DELETE FROM article_versions WHERE run_id = ?", [run.run_id])
        run.report.fetched = counts.new + counts.updated + counts.unchanged
        run.report.new = run.report.updated = 0
        run.report.unchanged = run.report.fetched
        run.report.deleted = counts.deleted
        run.journal("publish")
    return run.report
