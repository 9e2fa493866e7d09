"""Parse, normalise and extract in worker processes while the run's process loads DuckDB.

A large load (a 100,000-record ingest, a rebuild) spends most of its CPU time turning XML into
frames and studies, which needs no database: that work runs in ``workers`` child processes, one
slice of records at a time, while the run's own process only reads the raw files, cuts them into
slices and loads the finished frames into the staging copy -- in input order, so versions and
history come out exactly as with in-process loading.

* **Slices.** A raw file is cut after a record's end tag (``</PubmedArticle>`` followed by the next
  record), every slice wrapped in the file's own prolog and root start tag
  (declaration, DOCTYPE, ``<PubmedArticleSet>``) and closed with ``</PubmedArticleSet>``, so each
  slice is a PubMed XML document of its own. Small raw files (a nightly batch of 200) are grouped
  into one task instead. A file is never cut where that could change its meaning: not in a file
  whose root is not found in its first megabyte, and not after a comment, CDATA section or
  processing instruction has appeared in it (from there on, the rest of the file is one slice).
* **Workers** are plain ``python -m evidence.workers`` processes (not multiprocessing: nothing of
  the caller's ``__main__`` is re-imported, nothing is forked from a process holding DuckDB or
  polars threads). Tasks and results travel as length-prefixed pickles over their stdin/stdout; a
  worker exits at end of input, so it also goes away when the run's process is killed.
* **Errors** raised in a worker (``BadInputError`` for a bad file) are raised again in the run's
  process when their slice's turn comes, after the workers are stopped.
"""

from __future__ import annotations

import io
import logging
import os
import pickle
import queue
import re
import signal
import struct
import subprocess
import sys
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator

from .parse import Deletion, Digest, ParseStats, digesting, iter_records, open_xml, paused_gc

BLOCK = 8 << 20             # bytes read from a raw file at a time
HEADER_SEARCH = 1 << 20     # the root start tag must be within this many bytes of the start
_ROOT = re.compile(rb"<PubmedArticleSet(?:\s[^>]*)?>")
_END = b"</PubmedArticle>"
_CLOSE = b"</PubmedArticleSet>"
# what must follow a record's end tag where a file is cut: the next record
_NEXT = re.compile(rb"\s*<(?:PubmedArticle|DeleteCitation|PubmedBookArticle)[\s>]")
_LEN = struct.Struct("<Q")


# ---------------------------------------------------------------- slicing (the run's process)


@dataclass
class Piece:
    """One XML document a worker parses: a slice of a raw file (``data``), or a whole file (``path``)."""

    name: str                # the raw file's path, as error messages name it
    data: bytes | None = None
    path: str | None = None
    records: int = 0         # records (article end tags) in it, for grouping


@dataclass
class Task:
    pieces: list[Piece] = field(default_factory=list)
    done: list[Path] = field(default_factory=list)  # files whose last piece is in this task
    records: int = 0
    digests: dict[Path, Digest] = field(default_factory=dict)  # of the files done


def split_file(path: Path, size: int, block: int = BLOCK, digest: Digest | None = None) -> Iterator[Piece]:
    """Cut one raw file into pieces of about ``size`` records (see the module's docstring).
    ``digest``, if given, holds the size and SHA-256 of the file's XML once every piece was yielded."""
    name = str(path)
    with digesting(open_xml(path), digest) as fh:
        data = fh.read(block)
        eof = len(data) < block
        while not eof and len(data) < HEADER_SEARCH:
            more = fh.read(block)
            eof = len(more) < block
            data += more
        m = _ROOT.search(data, 0, HEADER_SEARCH)
        prolog = data[:m.start()] if m else b""
        if m is None or m.group().endswith(b"/>") or b"<!--" in prolog or b"<![CDATA[" in prolog:
            yield Piece(name, path=str(path))  # not cut: the worker reads the file as it is
            while not eof and digest is not None:  # (rare) the digest reads the rest here
                eof = not fh.read(block)
            return
        header = data[:m.end()]
        first, plain = True, True
        pos, n = m.end(), 0  # scan position, records since the last cut

        def piece(body: bytes, records: int, last: bool) -> Piece:
            return Piece(name, (b"" if first else header) + body + (b"" if last else _CLOSE), records=records)

        while True:
            i = data.find(_END, pos) if plain else -1
            if i >= 0:
                pos, n = i + len(_END), n + 1
                if n < size:
                    continue
                while not eof and len(data) - pos < 64:  # room to see what follows
                    more = fh.read(block)
                    eof = len(more) < block
                    data += more
                if not _NEXT.match(data, pos):
                    continue
                start = len(header) if first else 0
                if data.find(b"<!", start, pos) >= 0 or data.find(b"<?", start, pos) >= 0:
                    plain = False  # a comment, CDATA or processing instruction: the rest is one piece
                    continue
                yield piece(data[:pos], n, False)
                first, data, pos, n = False, data[pos:], 0, 0
                continue
            if eof:
                yield piece(data, n + (data.count(_END, pos) if not plain else 0), True)
                return
            keep = max(pos, len(data) - len(_END))  # an end tag may straddle two blocks
            more = fh.read(block)
            eof = len(more) < block
            data += more
            pos = keep if plain else pos


def plan(paths: Iterable[Path], size: int, piece: int | None = None) -> Iterator[Task]:
    """Tasks of about ``size`` records, in input order: big files cut into pieces of about ``piece``
    records (``size`` if not given), small files grouped. Each task gives the size and SHA-256 of
    the XML of the files it completes (``Task.digests``), read as they were cut."""
    task = Task()
    for path in paths:
        d = Digest()
        for p in split_file(Path(path), piece or size, digest=d):
            task.pieces.append(p)
            task.records += p.records
            if task.records >= size:
                yield task
                task = Task()
        task.done.append(Path(path))
        task.digests[Path(path)] = d
        if task.records >= size:
            yield task
            task = Task()
    if task.pieces or task.done:
        yield task


# ---------------------------------------------------------------- the work (a worker process)


@dataclass
class Result:
    """What one piece of a task gave: its frames and studies (None without records), in load order."""

    frames: dict[str, Any] | None
    studies: Any
    deletions: list[Deletion]
    stats: ParseStats
    records: int


def process(pieces: list[Piece], conditions: tuple[str, ...] | None = None) -> list[Result]:
    """What a worker does with one task: parse and normalise each piece, then extract once.

    Each piece becomes its own frames, loaded as its own transaction, as a chunk of the in-process
    path is (its records are freed as soon as its frames exist). Extraction runs once over the
    articles of all the pieces, for the topic's ``conditions`` (``extract.extract_each``: three
    1,000-record pieces extracted together cost ~15% less CPU than three calls).
    """
    from .extract import extract_each
    from .normalise import frames as make_frames
    results: list[Result] = []
    for p in pieces:
        stats = ParseStats()
        records: list[dict[str, Any]] = []
        deletions: list[Deletion] = []
        with paused_gc():  # parsed records hold no cycles; see parse.paused_gc
            if p.data is not None:
                src: Any = io.BytesIO(p.data)
                src.name = p.name
            else:
                src = Path(p.path or p.name)
            for rec in iter_records(src, stats):
                (deletions if isinstance(rec, Deletion) else records).append(rec)
            frames = make_frames(records) if records else None
        results.append(Result(frames, None, deletions, stats, len(records)))
        del records
    loaded = [r for r in results if r.frames is not None]
    for r, studies in zip(loaded, extract_each([r.frames["articles"] for r in loaded], conditions)):  # type: ignore[index]
        r.studies = studies
    return results


def _read_msg(fh: IO[bytes]) -> Any:
    head = fh.read(_LEN.size)
    if len(head) < _LEN.size:
        raise EOFError
    (n,) = _LEN.unpack(head)
    body = fh.read(n)
    if len(body) < n:
        raise EOFError
    return pickle.loads(body)


def _write_msg(fh: IO[bytes], obj: Any) -> None:
    body = pickle.dumps(obj, protocol=5)
    fh.write(_LEN.pack(len(body)))
    fh.write(body)
    fh.flush()


class _Collect(logging.Handler):
    """Keeps the library's log records of one task, to be logged again in the run's process
    (where the run's problem log counts warnings into its report)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.name, record.levelno, record.getMessage()))


def worker_main() -> int:
    """``python -m evidence.workers``: tasks in on stdin, results out on stdout, until end of input."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the run's process, which stops us
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but results may reach the pipe
    logs = _Collect()
    root = logging.getLogger("evidence")
    root.addHandler(logs)
    root.setLevel(logging.INFO)
    root.propagate = False
    while True:
        try:
            pieces, conditions = _read_msg(inp)
        except EOFError:
            return 0
        logs.records = []
        try:
            reply: tuple[str, Any, list] = ("ok", process(pieces, conditions), logs.records)
        except BaseException as exc:  # sent back, raised again in the run's process
            try:
                pickle.dumps(exc)
                reply = ("error", exc, logs.records)
            except Exception:
                reply = ("error", RuntimeError(f"{type(exc).__name__}: {exc}"), logs.records)
        _write_msg(out, reply)
        del reply
        trim_heap()  # the task's records and frames are freed: give the pages back while idle


def trim_heap() -> None:
    """``malloc_trim(0)``: glibc otherwise keeps a finished task's freed pages in the process."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


# ---------------------------------------------------------------- the pool (the run's process)


class WorkerError(RuntimeError):
    """A worker process died or answered with something unreadable."""


class _Worker:
    def __init__(self, env: dict[str, str], conditions: tuple[str, ...] | None = None) -> None:
        self.conditions = conditions
        self.proc = subprocess.Popen([sys.executable, "-m", "evidence.workers"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=env, close_fds=True)
        self.inbox: queue.Queue[Task | None] = queue.Queue()
        self.error: BaseException | None = None
        self.stopped = False
        self.feeder = threading.Thread(target=self._feed, daemon=True)
        self.feeder.start()

    def _feed(self) -> None:  # writes tasks while the run's process reads results and loads
        try:
            while (task := self.inbox.get()) is not None:
                _write_msg(self.proc.stdin, (task.pieces, self.conditions))  # type: ignore[arg-type]
                for p in task.pieces:  # sent: the run's process needs only their names from here on
                    p.data = None
            self.proc.stdin.close()  # type: ignore[union-attr]
        except BaseException as exc:  # the worker died; reported when its result is read
            self.error = exc

    def result(self) -> Any:
        try:
            status, value, logs = _read_msg(self.proc.stdout)  # type: ignore[arg-type]
        except (EOFError, pickle.UnpicklingError, OSError) as exc:
            code = self.proc.poll()
            raise WorkerError(f"a parse worker stopped unexpectedly (exit status {code}): {exc or self.error}; "
                              "run again (the published warehouse was left as it was)") from None
        for name, level, message in logs:
            logging.getLogger(name).log(level, "%s", message)
        if status == "error":
            raise value
        return value

    def stop(self, kill: bool) -> None:
        if self.stopped:
            return
        self.stopped = True
        self.inbox.put(None)
        if kill:
            self.proc.kill()
        try:
            self.proc.wait(timeout=None if not kill else 10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fh in (self.proc.stdout, self.proc.stdin):
            try:
                fh.close()  # type: ignore[union-attr]
            except OSError:
                pass


def _child_env(threads: int | None) -> dict[str, str]:
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    if threads:
        env["POLARS_MAX_THREADS"] = str(threads)
    # glibc keeps one malloc arena per thread that ever allocated (up to 8 per core), and returns
    # little of it; two arenas keep a worker's resident size close to what it actually holds
    env.setdefault("MALLOC_ARENA_MAX", "2")
    return env


def run_ordered(tasks: Iterable[Task], workers: int, *, ahead: int = 2, polars_threads: int | None = None,
                on_error: Callable[[Task, BaseException], None] | None = None,
                conditions: tuple[str, ...] | None = None) -> Iterator[tuple[Task, Result]]:
    """Process tasks in ``workers`` processes; yield (task, result) in input order.

    At most ``ahead`` tasks per worker are in flight, so memory stays bounded however big the
    input. Task i goes to worker i mod n (tasks are of similar size). If the caller stops early
    (an error while loading) or a task fails, the workers are killed; for a failed task
    ``on_error(task, exc)`` is called after that (it may raise an error of its own), then the
    task's error is raised. ``conditions``: the topic's, for the extraction (``extract_studies``).
    """
    pool = [_Worker(_child_env(polars_threads), conditions) for _ in range(workers)]
    pending: deque[tuple[Task, _Worker]] = deque()
    it = iter(tasks)
    ok = False
    try:
        k = 0
        exhausted = False
        while True:
            while not exhausted and len(pending) < workers * ahead:
                task = next(it, None)
                if task is None:
                    exhausted = True
                    break
                w = pool[k % workers]
                k += 1
                w.inbox.put(task)
                pending.append((task, w))
            if not pending:
                break
            task, w = pending.popleft()
            try:
                result = w.result()
            except BaseException as exc:
                for x in pool:
                    x.stop(kill=True)
                if on_error is not None:
                    on_error(task, exc)
                raise
            yield task, result
            del result  # not kept alive here while the next one is read
        ok = True
    finally:
        for w in pool:
            w.stop(kill=not ok)


if __name__ == "__main__":  # run as evidence.workers, so results pickle under that module's name
    from evidence.workers import worker_main as _main
    raise SystemExit(_main())
