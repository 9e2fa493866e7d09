"""One measurement per process: ``python benchmarks/stages.py STAGE FILE [--cache DIR] [--work DIR] [--duckdb-memory SIZE]``.

Prints one JSON object: records, seconds (the stage alone, wall clock), CPU seconds (this process
and the load's worker processes), peak memory of the whole process (``getrusage(RUSAGE_SELF).ru_maxrss``,
which includes the interpreter and imports), ``tree_peak_rss_mb`` (this process plus its worker
processes, sampled every 50 ms: what the machine must hold), and ``baseline_rss_mb``, the resident size just before the timed work starts, so the stage's own share
is visible. run.py starts a fresh interpreter for each, so no stage inherits another's peak.

Stages (chunks are ``evidence.pipeline.LOAD_CHUNK`` records, as the pipeline loads them):

* ``parse``: XML -> record dicts (``evidence.parse.iter_records``), streaming;
* ``normalise``: records -> per-table polars frames (``evidence.normalise.frames``), per chunk;
  parsing is done but not timed. Also writes every chunk's frames to ``--cache`` (parquet);
* ``extract``: articles frame -> studies (``evidence.extract.extract_studies``), per chunk, read
  from the cache (not timed); writes the studies to the cache;
* ``load``: frames + studies -> DuckDB (``evidence.warehouse.load_frames``) on a fresh warehouse,
  per chunk, read from the cache (not timed);
* ``ingest``: end to end, ``evidence.pipeline.ingest`` of the file into a fresh warehouse under
  ``--work`` (landing, parse, normalise, extract, load, full-text index, publish);
* ``rebuild``: ``evidence.pipeline.rebuild`` of the warehouse ``ingest`` left under ``--work``;
* ``land``: ``evidence.land.land_file`` of FILE (the raw copy ``ingest`` writes) under ``--work``/landed;
  ``parse`` of that copy then measures reading it back;
* ``bio_read`` / ``bio_parse``: Biopython ``Entrez.read`` / ``Entrez.parse`` (iterating records);
* ``pubmed_parser``: ``pubmed_parser.parse_medline_xml`` (returns a list of dicts).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path


class NotApplicable(Exception):
    """The tool cannot run this measurement (reported, not a failure)."""


def cpu_s() -> float:
    """CPU seconds of this process and of its children that have finished (the load workers)."""
    r, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime + c.ru_utime + c.ru_stime


def _tree_rss_kb(pid: int) -> int:
    """Resident KiB of a process and all its descendants, from /proc."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                total += next((int(line.split()[1]) for line in fh if line.startswith("VmRSS:")), 0)
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(x) for x in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


class TreePeak:
    """Peak resident memory of this process plus its worker processes, sampled every 50 ms."""

    def __init__(self) -> None:
        import os
        import threading
        self.peak_kb = 0
        self.phase = "start"  # the run's last stage (ingest: on_stage), to see where the peak is
        self.phases: dict[str, list[int]] = {}  # phase -> [peak KiB of this process, of the tree]
        self._stop = threading.Event()
        self._pid = os.getpid()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            tree, own = _tree_rss_kb(self._pid), int(rss_mb() * 1024)
            self.peak_kb = max(self.peak_kb, tree)
            seen = self.phases.setdefault(self.phase, [0, 0])
            seen[0], seen[1] = max(seen[0], own), max(seen[1], tree)
            self._stop.wait(0.05)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_kb / 1024


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class Timer:
    """Wall-clock and CPU seconds (all threads) spent inside ``with timer:`` blocks, summed."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0

    def __enter__(self) -> "Timer":
        self._w, self._c = time.perf_counter(), cpu_s()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall += time.perf_counter() - self._w
        self.cpu += cpu_s() - self._c


def _chunk_dirs(cache: Path) -> list[Path]:
    return sorted(p for p in cache.glob("chunk-*") if p.is_dir())


def stage_parse(path: Path, **_: object) -> tuple[int, Timer, float]:
    from evidence.parse import iter_records
    base, t = rss_mb(), Timer()
    with t:
        n = sum(1 for _ in iter_records(path))
    return n, t, base


def stage_normalise(path: Path, cache: Path, **_: object) -> tuple[int, Timer, float]:
    import shutil

    from evidence.normalise import frames
    from evidence.parse import Deletion, iter_records
    from evidence.pipeline import LOAD_CHUNK
    shutil.rmtree(cache, ignore_errors=True)
    base, t = rss_mb(), Timer()
    n, k, chunk = 0, 0, []

    def flush(records: list) -> None:
        nonlocal k
        with t:
            out = frames(records)
        d = cache / f"chunk-{k:04d}"
        d.mkdir(parents=True)
        for name, df in out.items():
            df.write_parquet(d / f"{name}.parquet")
        k += 1

    for rec in iter_records(path):
        if isinstance(rec, Deletion):
            continue
        chunk.append(rec)
        n += 1
        if len(chunk) >= LOAD_CHUNK:
            flush(chunk)
            chunk = []
    if chunk:
        flush(chunk)
    return n, t, base


def stage_extract(path: Path, cache: Path, **_: object) -> tuple[int, Timer, float]:
    import polars as pl

    from evidence.extract import extract_studies
    base, t = rss_mb(), Timer()
    n = 0
    for d in _chunk_dirs(cache):
        arts = pl.read_parquet(d / "articles.parquet")
        with t:
            studies = extract_studies(arts)
        n += arts.height
        studies.write_parquet(d / "studies.parquet")
    return n, t, base


def stage_load(path: Path, cache: Path, work: Path, **_: object) -> tuple[int, Timer, float]:
    import shutil

    import polars as pl

    from evidence.normalise import CHILDREN
    from evidence.warehouse import load_frames
    from evidence.warehouse.db import connect, migrate
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    con = connect(work / "load.duckdb")
    migrate(con)
    base, t = rss_mb(), Timer()
    n = 0
    for d in _chunk_dirs(cache):
        fr = {name: pl.read_parquet(d / f"{name}.parquet") for name in ["articles", *CHILDREN]}
        studies = pl.read_parquet(d / "studies.parquet")
        with t:
            load_frames(con, fr, studies, "bench")
        n += fr["articles"].height
    with t:
        con.execute("CHECKPOINT")
    con.close()
    return n, t, base


def _settings(work: Path):
    from evidence.settings import load_settings
    return load_settings(env={}, config=None, db=work / "evidence.duckdb", briefs=work / "briefs",
                         dashboard=work / "dash.html")


def stage_ingest(path: Path, work: Path, **_: object) -> tuple[int, Timer, float]:
    import shutil

    from evidence.pipeline import ingest
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    s = _settings(work)
    base, t = rss_mb(), Timer()
    def on_stage(name: str) -> None:
        if TREE is not None:
            TREE.phase = {"loaded-chunk": "load", "land": "land", "publish": "index+publish"}.get(name, TREE.phase)

    with t:
        report = ingest(s, [path], on_stage=on_stage)
    return report.new + report.updated + report.unchanged, t, base


def stage_land(path: Path, work: Path, **_: object) -> tuple[int, Timer, float]:
    """``land_file`` of FILE to ``--work``/landed/run/ingest-0001.xml.zst (the raw copy ingest writes,
    outside the raw folder a rebuild reads); its records are counted afterwards, not timed."""
    import shutil

    from evidence.land import land_file
    from evidence.parse import Deletion, iter_records
    shutil.rmtree(work / "landed", ignore_errors=True)
    base, t = rss_mb(), Timer()
    with t:
        landed = land_file(work / "landed", "run", 1, path)
    return sum(1 for r in iter_records(landed.path) if not isinstance(r, Deletion)), t, base


def stage_rebuild(path: Path, work: Path, **_: object) -> tuple[int, Timer, float]:
    from evidence.pipeline import rebuild
    s = _settings(work)
    base, t = rss_mb(), Timer()
    with t:
        report = rebuild(s)
    return report.fetched, t, base


def stage_bio_read(path: Path, **_: object) -> tuple[int, Timer, float]:
    from Bio import Entrez
    base, t = rss_mb(), Timer()
    with t, open(path, "rb") as fh:
        n = len(Entrez.read(fh)["PubmedArticle"])
    return n, t, base


def stage_bio_parse(path: Path, **_: object) -> tuple[int, Timer, float]:
    from Bio import Entrez
    base, t = rss_mb(), Timer()
    with t, open(path, "rb") as fh:
        try:
            n = sum(1 for _ in Entrez.parse(fh))
        except ValueError as exc:  # Biopython reads a PubmedArticleSet as a dict, not a list
            raise NotApplicable(str(exc)) from None
    return n, t, base


def stage_pubmed_parser(path: Path, **_: object) -> tuple[int, Timer, float]:
    import pubmed_parser as pp
    base, t = rss_mb(), Timer()
    with t:
        n = sum(1 for _ in pp.parse_medline_xml(str(path)))  # a generator in 0.5
    return n, t, base


TREE: TreePeak | None = None  # the running sampler (main sets it)
STAGES = {name[len("stage_"):]: fn for name, fn in globals().items() if name.startswith("stage_")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("stage", choices=sorted(STAGES))
    ap.add_argument("file", type=Path)
    ap.add_argument("--cache", type=Path, default=None)
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--duckdb-memory", metavar="SIZE", default=None,
                    help="DuckDB's memory_limit on the run's connection (evidence.warehouse.db.MEMORY_LIMIT), "
                         "e.g. 250MB; to weigh peak memory against time")
    args = ap.parse_args(argv)
    if args.duckdb_memory:
        import duckdb

        from evidence.warehouse import db
        try:
            duckdb.connect().execute(f"SET memory_limit = '{args.duckdb_memory}'")
        except duckdb.Error as exc:
            ap.error(f"--duckdb-memory {args.duckdb_memory!r} is not a size DuckDB reads (e.g. 250MB, 1GB): {exc}")
        db.MEMORY_LIMIT = args.duckdb_memory
    import logging
    logging.disable(logging.WARNING)  # pubmed_parser and prefect-free library logs are not measured
    global TREE
    tree = TREE = TreePeak()
    try:
        n, t, base = STAGES[args.stage](args.file, cache=args.cache, work=args.work)
    except NotApplicable as exc:
        json.dump({"stage": args.stage, "error": str(exc)}, sys.stdout)
        print()
        return 0
    tree_peak = tree.stop()
    json.dump({"stage": args.stage, "records": n, "seconds": round(t.wall, 4), "cpu_seconds": round(t.cpu, 3),
               "per_second": round(n / t.wall, 1) if t.wall else None,
               "peak_rss_mb": round(peak_mb(), 1), "tree_peak_rss_mb": round(max(tree_peak, peak_mb()), 1),
               "baseline_rss_mb": round(base, 1),
               "phase_peaks_mb": {k: {"process": round(v[0] / 1024), "tree": round(v[1] / 1024)}
                                  for k, v in tree.phases.items()}}, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
