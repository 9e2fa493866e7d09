"""HTTP efficiency against the local replay: requests per backfill and per quiet night, and the rate limit.

``python benchmarks/http_check.py FILE [--nightly]`` prints one JSON object.

* ``backfill``: ``search`` + ``iter_batches`` over every record of FILE through ``open_client``
  with a fake clock (the client's 1/3 s waits are counted, not slept), so any N is quick. The
  bound is ``ceil(N / batch_size) + 2``; over the esearch cap (10,000) the search is made again in
  create-date windows, which costs extra esearch calls (reported as ``searches``; ``least_possible``
  is the fewest requests any client needs when no search returns more than the cap).
* ``--nightly``: ``evidence.pipeline.nightly`` twice on a fresh warehouse, real clock, the replay
  serving FILE: a full backfill, then a night with nothing new (bound: 3 requests). The server
  stamps every request it receives; ``max_in_any_1s`` is the most requests inside any one-second
  window (NCBI allows 3 without a key).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path


class _Stamped(list):
    """The replay's request log, with the time each request arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def append(self, item: object) -> None:
        self.times.append(time.monotonic())
        super().append(item)


def max_in_window(times: list[float], window: float = 1.0) -> int:
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - window:
            j += 1
        best = max(best, i - j + 1)
    return best


def _settings(tmp: Path, snapshot: Path, url: str | None):
    from evidence.settings import load_settings
    return load_settings(env={}, config=None, db=tmp / "evidence.duckdb", snapshot=snapshot,
                         eutils_url=url, briefs=tmp / "briefs", dashboard=tmp / "dash.html")


def backfill(path: Path) -> dict:
    from evidence.fetch import ReplayServer, iter_batches, open_client, search, topic_query
    now = [0.0]

    def sleep(s: float) -> None:
        now[0] += s

    with tempfile.TemporaryDirectory() as tmp, ReplayServer(path) as replay:
        replay.requests = _Stamped()
        s = _settings(Path(tmp), path, replay.url)
        with open_client(s, clock=lambda: now[0], sleep=sleep) as client:
            result = search(client, topic_query(s), s.esearch_cap)
            got = sum(len(b.requested) for b in iter_batches(client, result, s.batch_size))
            n = len(replay.records)
            bound = math.ceil(n / s.batch_size) + 2
            # over the cap no search returns more than ``esearch_cap`` PMIDs: besides the first,
            # which finds the set is too big, at least ceil(n / cap) more are needed
            least = math.ceil(n / s.batch_size) + 1 + (math.ceil(n / s.esearch_cap) if n > s.esearch_cap else 0)
            searches = sum(1 for r in replay.requests if r[1].startswith("esearch"))
            return {"records": n, "fetched": got, "batch_size": s.batch_size, "requests": client.requests_made,
                    "server_requests": len(replay.requests), "searches": searches,
                    "efetches": len(replay.requests) - searches, "bound": bound,
                    "within_bound": client.requests_made <= bound, "least_possible": least,
                    "fake_clock_seconds": round(now[0], 1)}


def nightly(path: Path) -> dict:
    from evidence.fetch import ReplayServer
    from evidence.pipeline import nightly as run_nightly
    with tempfile.TemporaryDirectory() as tmp, ReplayServer(path) as replay:
        replay.requests = _Stamped()
        s = _settings(Path(tmp), path, replay.url)
        t0 = time.perf_counter()
        first = run_nightly(s, full=True)
        t1 = time.perf_counter()
        n_first = len(replay.requests)
        second = run_nightly(s)
        t2 = time.perf_counter()
        return {"records": len(replay.records), "backfill_requests": first.requests,
                "backfill_server_requests": n_first, "backfill_new": first.new,
                "backfill_bound": math.ceil(len(replay.records) / s.batch_size) + 2,
                "backfill_seconds": round(t1 - t0, 2),
                "quiet_night_requests": second.requests, "quiet_night_server_requests": len(replay.requests) - n_first,
                "quiet_night_new": second.new, "quiet_night_seconds": round(t2 - t1, 2),
                "max_in_any_1s": max_in_window(replay.requests.times),
                "min_gap_s": round(min((b - a for a, b in zip(replay.requests.times, replay.requests.times[1:])),
                                       default=0.0), 4),
                "rate_limit_ok": max_in_window(replay.requests.times) <= 3}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("file", type=Path)
    ap.add_argument("--nightly", action="store_true")
    args = ap.parse_args(argv)
    import logging
    logging.disable(logging.WARNING)
    out = nightly(args.file) if args.nightly else backfill(args.file)
    json.dump(out, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
