"""What a faster parser could buy at most: ``python floor.py MODE FILE --work DIR``.

The 5,000 records/s target would need a parser in compiled code (``docs/performance.md``). Before
anyone writes one, this measures the end-to-end ingest with the work such a parser would replace
made free: the file's records are parsed and normalised (and, in the last mode, extracted)
*before* the clock starts, held in memory, and handed to the unchanged pipeline as it asks for
them. Everything else is the real ``evidence.pipeline.ingest``: landing the zstd copy, hashing the
file (fed the file's bytes in 1 MiB blocks, as the parser's reader would), loading, the full-text
index and the publish.

Modes (one per process, so that none inherits another's caches or heap):

* ``full``: the ordinary ingest, for comparison in the same conditions;
* ``free-parse``: parse + normalise cost nothing (a compiled parser writing the frames directly);
* ``free-parse-extract``: extraction costs nothing too: what is left is landing, DuckDB and publish.

Prints one JSON object: records, wall and CPU seconds of the ingest alone, records/s, the 1-minute
load average at the start, and when the run last reached each stage (``stages``: the last
chunk loaded, the full-text index, the publish). Memory is not a figure here (every frame is held in memory on purpose).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Iterator

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # benchmarks/, for stages.py
from stages import Timer, _settings  # noqa: E402

_BLOCK = 1 << 20


def _precompute(path: Path, extract: bool) -> list[tuple[int, Any, Any]]:
    """Every chunk's (record count, frames, studies or None), as the pipeline would make them."""
    from evidence.extract import extract_studies
    from evidence.normalise import frames
    from evidence.parse import Deletion, iter_records, paused_gc
    from evidence.pipeline import LOAD_CHUNK

    chunks, records = [], []
    with paused_gc():
        for rec in iter_records(path):
            if isinstance(rec, Deletion):
                raise SystemExit("the experiment expects a file without DeleteCitation entries")
            records.append(rec)
            if len(records) == LOAD_CHUNK:
                chunks.append(records)
                records = []
    if records:
        chunks.append(records)
    out = []
    for recs in chunks:
        fr = frames(recs)
        out.append((len(recs), fr, extract_studies(fr["articles"]) if extract else None))
    return out


def _install(chunks: list[tuple[int, Any, Any]]) -> None:
    """Hand the precomputed chunks to the pipeline in place of parse, normalise (and extract)."""
    import evidence.extract
    import evidence.pipeline as pipeline

    pending = list(chunks)
    studies_of: dict[int, Any] = {}
    original_extract = evidence.extract.extract_studies

    class _Token:  # one per record; the normalise step below swaps a chunk of them for frames
        __slots__ = ()

    token = _Token()

    def fake_iter_records(source: Any, stats: Any, digest: Any) -> Iterator[Any]:
        with open(source, "rb") as fh:  # the bytes a parser would read, hashed as it would hash them
            for block in iter(lambda: fh.read(_BLOCK), b""):
                digest.update(block)
        for n, _, _ in chunks:
            stats.articles += n
            for _ in range(n):
                yield token

    def fake_frames(records: list) -> dict:
        n, fr, studies = pending.pop(0)
        assert n == len(records), (n, len(records))
        if studies is not None:
            studies_of[id(fr["articles"])] = studies
        return fr

    def fake_extract(articles: Any) -> Any:
        found = studies_of.pop(id(articles), None)
        return found if found is not None else original_extract(articles)

    pipeline.iter_records = fake_iter_records
    pipeline.make_frames = fake_frames
    evidence.extract.extract_studies = fake_extract


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=("full", "free-parse", "free-parse-extract"))
    ap.add_argument("file", type=Path)
    ap.add_argument("--work", type=Path, required=True)
    args = ap.parse_args(argv)
    import logging
    logging.disable(logging.WARNING)

    from evidence.pipeline import ingest
    if args.mode != "full":
        _install(_precompute(args.file, extract=args.mode == "free-parse-extract"))
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    load = os.getloadavg()[0]
    t, marks = Timer(), {}
    t0 = time.perf_counter()

    def on_stage(name: str) -> None:  # when each stage was last reached (seconds from the start)
        marks[name] = round(time.perf_counter() - t0, 2)

    with t:
        report = ingest(_settings(args.work), [args.file], on_stage=on_stage)
    n = report.new + report.updated + report.unchanged
    size = _settings(args.work).db.stat().st_size
    shutil.rmtree(args.work, ignore_errors=True)
    json.dump({"mode": args.mode, "records": n, "seconds": round(t.wall, 2), "cpu_seconds": round(t.cpu, 2),
               "per_second": round(n / t.wall), "load_average": round(load, 2),
               "at": time.strftime("%H:%M:%S"), "stages": marks,
               "warehouse_mb": round(size / 1e6, 1)}, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
