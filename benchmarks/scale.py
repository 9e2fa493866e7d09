"""Scale-out demos that can run on one machine: ``python benchmarks/scale.py FILE --work DIR``.

1. **Dask**: FILE is split into partitions shaped like the raw landing (zstd PubMed XML files of
   ``--partition`` records); parse + normalise + extract runs over them serially, then on a Dask
   ``LocalCluster`` (one worker process per core, one thread each). Only counts travel back;
   at scale each worker would write its frames to Parquet for the loader. Needs ``dask`` and
   ``distributed`` (skipped, and said so, when they are not installed).
2. **Prefect on Dask**: the same partitions as tasks of a Prefect flow whose task runner is
   prefect-dask's ``DaskTaskRunner`` given the ``address`` of a running Dask scheduler (a
   ``LocalCluster`` of the same shape, warmed the same way), under Prefect's temporary local
   server with its own ``PREFECT_HOME``: what a work pool's worker runs against a real cluster's
   scheduler. Needs ``prefect-dask``.
3. **DuckLake**: the ducklake extension ships in the PyPI package ``duckdb-extension-ducklake``
   (same version as duckdb); a warehouse ingested from the first partition is copied into a lake
   (DuckDB-file catalogue, Parquet data files), then several reader processes query it at once.
4. **DuckLake on PostgreSQL** (``lake_pg.py``): the catalogue in a throwaway local PostgreSQL
   server; writer processes append the partitions at once while reader processes query, every
   reader count checked to be a whole snapshot's. Needs PostgreSQL's server binaries and
   ``duckdb-extension-postgres-scanner``.

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

_RECORD = re.compile(rb"<PubmedArticle>.*?</PubmedArticle>\s*", re.S)


def split(path: Path, out: Path, size: int) -> list[Path]:
    """Partitions of ``size`` records, each a complete PubmedArticleSet, landed as the raw landing's
    files are (``out/partitions/batch-0001.xml.zst``, ...)."""
    data = path.read_bytes()
    head = data[:data.find(b"<PubmedArticleSet")] + b"<PubmedArticleSet>\n"
    out.mkdir(parents=True, exist_ok=True)
    parts, batch, k = [], [], 0
    for m in _RECORD.finditer(data):
        batch.append(m.group(0))
        if len(batch) == size:
            parts.append(_write(out, k, head, batch))
            batch, k = [], k + 1
    if batch:
        parts.append(_write(out, k, head, batch))
    return parts


def _write(out: Path, k: int, head: bytes, records: list[bytes]) -> Path:
    from evidence import land
    return land.land(out, "partitions", k + 1, head + b"".join(records) + b"</PubmedArticleSet>\n").path


def partition_frames(path: str) -> tuple[int, dict, Any]:
    """parse -> normalise -> extract one raw file: its record count, table frames and studies."""
    from evidence.extract import extract_studies
    from evidence.normalise import frames
    from evidence.parse import Deletion, iter_records, paused_gc
    with paused_gc():
        records = [r for r in iter_records(path) if not isinstance(r, Deletion)]
    fr = frames(records)
    return len(records), fr, extract_studies(fr["articles"])


def process_partition(path: str) -> tuple[int, int]:
    """What a Prefect task or Dask worker runs on one raw file; only the counts travel back."""
    n, _, studies = partition_frames(path)
    return n, studies.height


def dask_demo(parts: list[Path], serial: list[tuple[int, int]], t_serial: float) -> dict:
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        return {"ran": False, "why": "dask/distributed not installed (pip install dask distributed)",
                "serial_seconds": round(t_serial, 2)}
    workers = os.cpu_count() or 2
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        client.submit(process_partition, str(parts[0])).result()  # warm the workers' imports
        t0 = time.perf_counter()
        results = client.gather(client.map(process_partition, [str(p) for p in parts], pure=False))
        t_dask = time.perf_counter() - t0
    n = sum(r[0] for r in serial)
    assert results == serial, "Dask and serial runs disagree"
    return {"ran": True, "records": n, "partitions": len(parts), "workers": workers,
            "serial_seconds": round(t_serial, 2), "serial_per_second": round(n / t_serial, 1),
            "dask_seconds": round(t_dask, 2), "dask_per_second": round(n / t_dask, 1),
            "speedup": round(t_serial / t_dask, 2)}


def prefect_dask_demo(parts: list[Path], serial: list[tuple[int, int]], work: Path, *,
                      own_server: bool = True, baseline: bool = True) -> dict:
    """``process_partition`` mapped over the partitions by a Prefect flow on a ``DaskTaskRunner``.

    ``own_server``: start Prefect's temporary local server (its own ``PREFECT_HOME`` under ``work``)
    rather than use the API already configured (the tests' harness). ``baseline``: also time the
    same flow with tasks that do nothing, Prefect's own cost."""
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError:
        return {"ran": False, "why": "prefect-dask not installed (pip install prefect-dask)"}
    if own_server:
        home = work / "prefect-home"
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        os.environ["PREFECT_HOME"] = str(home)
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

    from dask.distributed import Client, LocalCluster
    from prefect import flow, task
    from prefect.testing.utilities import prefect_test_harness

    workers = os.cpu_count() or 2
    partition_task = task(process_partition, name="parse-normalise-extract", retries=1)
    empty_task = task(_nothing, name="nothing")
    paths = [str(p) for p in parts]
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as client:  # warm the workers' imports, as in the plain Dask demo
            client.submit(process_partition, paths[0]).result()

        runner = DaskTaskRunner(address=cluster.scheduler_address)

        @flow(name="fan-out", task_runner=runner)
        def fan_out(paths: list[str]) -> list[tuple[int, int]]:
            return [f.result() for f in partition_task.map(paths)]

        @flow(name="fan-out-empty", task_runner=runner)
        def fan_out_empty(paths: list[str]) -> list[tuple[int, int]]:
            return [f.result() for f in empty_task.map(paths)]

        t0 = time.perf_counter()
        with prefect_test_harness(server_startup_timeout=60) if own_server else contextlib.nullcontext():
            t_server = time.perf_counter() - t0
            t_empty = []
            for _ in range(2 if baseline else 0):  # the first flow run of a process also pays for its API client
                t0 = time.perf_counter()
                fan_out_empty(paths)
                t_empty.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            results = fan_out(paths)
            t_flow = time.perf_counter() - t0
    assert [tuple(r) for r in results] == serial, "the Prefect flow and the serial run disagree"
    n = sum(r[0] for r in serial)
    return {"ran": True, "records": n, "partitions": len(parts), "workers": workers,
            "server_start_seconds": round(t_server, 2) if own_server else None,
            "flow_seconds": round(t_flow, 2), "flow_per_second": round(n / t_flow, 1),
            "task_runs": len(results),
            "same_flow_no_work_seconds": [round(t, 2) for t in t_empty],
            "load_average": round(os.getloadavg()[0], 1)}


def _nothing(path: str) -> tuple[int, int]:
    """The Prefect demo's empty task: the flow's own cost, with the same task runs and no work."""
    return 0, 0


_READER = """
import sys, time, duckdb
ext, lake, data = sys.argv[1:4]
con = duckdb.connect()
con.execute("SET autoinstall_known_extensions = false")
con.execute(f"LOAD '{ext}'")
con.execute(f"ATTACH 'ducklake:{lake}' AS lake (READ_ONLY, DATA_PATH '{data}')")
t = time.perf_counter()
n = 0
for _ in range(20):
    n = con.execute("SELECT count(*) FROM lake.articles a JOIN lake.studies s USING (pmid) "
                    "WHERE s.design IS NOT NULL").fetchone()[0]
print(n, round(time.perf_counter() - t, 3))
"""


def ducklake_demo(part: Path, work: Path, readers: int = 4) -> dict:
    from lake_pg import extension_file  # beside this file
    ext = extension_file("duckdb_extension_ducklake", "ducklake")
    if ext is None:
        return {"ran": False, "why": "duckdb-extension-ducklake not installed"}
    import duckdb

    from evidence.pipeline import ingest
    from evidence.settings import load_settings
    wh = work / "wh"
    shutil.rmtree(wh, ignore_errors=True)
    s = load_settings(env={}, config=None, db=wh / "evidence.duckdb", briefs=wh / "b", dashboard=wh / "d.html")
    ingest(s, [part])
    lake, data = work / "lake" / "catalog.ducklake", work / "lake" / "data"
    shutil.rmtree(lake.parent, ignore_errors=True)
    lake.parent.mkdir(parents=True)
    con = duckdb.connect()
    con.execute("SET autoinstall_known_extensions = false")
    con.execute(f"LOAD '{ext}'")
    con.execute(f"ATTACH 'ducklake:{lake}' AS lake (DATA_PATH '{data}/')")
    con.execute(f"ATTACH '{s.db}' AS wh (READ_ONLY)")
    t0 = time.perf_counter()
    for table in ("articles", "studies", "authors", "mesh_terms"):
        con.execute(f"CREATE TABLE lake.{table} AS SELECT * FROM wh.main.{table}")
    t_copy = time.perf_counter() - t0
    rows = con.execute("SELECT count(*) FROM lake.articles").fetchone()[0]
    snapshots = con.execute("SELECT count(*) FROM lake.snapshots()").fetchone()[0]
    con.close()
    t0 = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", _READER, str(ext), str(lake), f"{data}/"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(readers)]
    outs = [p.communicate() for p in procs]
    t_read = time.perf_counter() - t0
    ok = all(p.returncode == 0 for p in procs)
    return {"ran": True, "articles": rows, "snapshots": snapshots, "copy_seconds": round(t_copy, 2),
            "readers": readers, "queries_per_reader": 20, "readers_ok": ok,
            "readers_wall_seconds": round(t_read, 2),
            "reader_errors": [e.strip().splitlines()[-1] for (_, e), p in zip(outs, procs) if p.returncode][:2],
            "catalogue": "DuckDB file (single writer; many read-only readers)"}


def main(argv: list[str] | None = None) -> int:
    from lake_pg import ducklake_postgres_demo  # beside this file
    ap = argparse.ArgumentParser()
    ap.add_argument("file", type=Path)
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--partition", type=int, default=2000)
    args = ap.parse_args(argv)
    import logging
    logging.disable(logging.WARNING)
    parts = split(args.file, args.work / "raw", args.partition)
    t0 = time.perf_counter()
    serial = [process_partition(str(p)) for p in parts]
    t_serial = time.perf_counter() - t0
    out = {"dask": dask_demo(parts, serial, t_serial),
           "prefect_dask": prefect_dask_demo(parts, serial, args.work),
           "ducklake": ducklake_demo(parts[0], args.work),
           "ducklake_postgres": ducklake_postgres_demo(parts, args.work)}
    shutil.rmtree(args.work, ignore_errors=True)
    json.dump(out, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
