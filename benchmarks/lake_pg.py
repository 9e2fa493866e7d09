"""DuckLake with a PostgreSQL catalogue, running on one machine: ``python benchmarks/lake_pg.py FILE --work DIR``.

A DuckDB file has one writer: a process holding it open blocks every other writer. A DuckLake whose
catalogue lives in PostgreSQL (Parquet data files beside it) takes many writers and readers at once:

1. **Setup**: a throwaway PostgreSQL server (Debian's, 15 on bookworm) (``initdb`` into a temp dir under WORK, trust auth, TCP on
   a free localhost port; run as the ``postgres`` user when we are root, since PostgreSQL refuses root)
   holds the catalogue. The lake's tables (articles, studies, authors, mesh_terms) are created empty,
   their schema taken from the first partition.
2. **Writers**: several writer processes at once, each parsing + normalising + extracting its share of
   the partitions with the project's library and appending each partition to all four tables in one
   transaction, so one commit = one snapshot. Concurrent commits race for the next snapshot id; DuckLake
   settles non-conflicting appends itself (the losses show in the server log as snapshot primary-key
   violations); a conflict that still escapes is retried here and counted.
3. **Readers**, at the same time: ``readers`` processes count articles, and articles joined with studies,
   over and over. Every pair must be a whole-snapshot count (a sum of some partitions' sizes, as many
   studies as articles): readers only see committed snapshots and never wait for writers.
4. **After**: total articles against the partitions written, the snapshots, and time travel
   (``AT (VERSION => n)``) to each of them.

The extensions come from PyPI wheels (``duckdb-extension-postgres-scanner``, ``duckdb-extension-ducklake``)
and are loaded by path; nothing is downloaded. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent


def pg_bin() -> Path | None:
    """The folder of PostgreSQL's server programs: Debian's newest ``/usr/lib/postgresql/N/bin``, else
    wherever ``pg_ctl`` is on PATH (initdb and postgres sit beside it)."""
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
                    key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    if debian:
        return debian[-1].parent
    found = shutil.which("pg_ctl")
    return Path(found).resolve().parent if found else None


def pg_version(bin_dir: Path) -> str:
    """``PostgreSQL 15.18``, from the server's ``postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)``."""
    out = subprocess.run([str(bin_dir / "postgres"), "--version"], capture_output=True, text=True).stdout
    found = re.search(r"\)\s*(\d+(?:\.\d+)*)", out)
    return f"PostgreSQL {found.group(1)}" if found else "PostgreSQL"
COUNTS = ("SELECT (SELECT count(*) FROM lake.articles), "
          "(SELECT count(*) FROM lake.articles a JOIN lake.studies s USING (pmid))")


def extension_file(module: str, name: str) -> Path | None:
    """The ``.duckdb_extension`` file a PyPI extension wheel ships for this duckdb version."""
    try:
        import duckdb
        base = Path(importlib.import_module(module).__file__).parent
    except ImportError:
        return None
    found = sorted(base.glob(f"extensions/v{duckdb.__version__}/{name}.duckdb_extension"))
    return found[0] if found else None


def connect(cfg: dict, read_only: bool = False):  # -> duckdb.DuckDBPyConnection
    """An in-memory DuckDB with the lake attached (``cfg``: pg_ext, lake_ext, dsn, data)."""
    import duckdb
    con = duckdb.connect()
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    con.execute(f"LOAD '{cfg['pg_ext']}'")  # before ducklake: it provides the postgres catalogue
    con.execute(f"LOAD '{cfg['lake_ext']}'")
    mode = "READ_ONLY, " if read_only else ""
    con.execute(f"ATTACH 'ducklake:postgres:{cfg['dsn']}' AS lake ({mode}DATA_PATH '{cfg['data']}')")
    return con


def _frames(part: str) -> dict:
    """The four lake tables' rows for one raw partition (polars frames)."""
    from scale import partition_frames  # beside this file
    _, fr, studies = partition_frames(part)
    return {"articles": fr["articles"], "studies": studies, "authors": fr["authors"], "mesh_terms": fr["mesh_terms"]}


def writer(cfg_json: str, name: str, *parts: str) -> None:
    """Child process: append each partition to the lake in its own transaction; print a JSON report."""
    import duckdb
    cfg = json.loads(cfg_json)
    con = connect(cfg)
    con.execute("SET ducklake_max_retry_count = 20")  # many writers on a two-core box: be patient
    done, retries, t_parse, t_commit = [], 0, 0.0, 0.0
    for part in parts:
        t0 = time.perf_counter()
        rows = _frames(part)
        t_parse += time.perf_counter() - t0
        t0 = time.perf_counter()
        for attempt in range(6):
            try:
                con.execute("BEGIN")
                for table, df in rows.items():
                    con.register("batch", df)
                    con.execute(f"INSERT INTO lake.{table} SELECT * FROM batch")
                    con.unregister("batch")
                con.execute("CALL lake.set_commit_message(?, ?)", [name, Path(part).name])
                con.execute("COMMIT")
                break
            except duckdb.TransactionException:  # a conflict DuckLake could not settle itself
                with contextlib.suppress(duckdb.Error):
                    con.execute("ROLLBACK")
                if attempt == 5:
                    raise
                retries += 1
                time.sleep(0.1 * (attempt + 1))
        t_commit += time.perf_counter() - t0
        done.append(rows["articles"].height)
    print(json.dumps({"articles": done, "retries": retries,
                      "parse_seconds": round(t_parse, 2), "commit_seconds": round(t_commit, 2)}))


def reader(cfg_json: str, stop: str) -> None:
    """Child process: say ``ready``, then count (articles, articles joined with studies) until ``stop``
    exists, plus once more after; print a JSON report of every distinct pair seen."""
    con = connect(json.loads(cfg_json), read_only=True)
    print("ready", flush=True)
    seen, queries, errors, first_error, slowest = set(), 0, 0, None, 0.0
    while True:
        last = os.path.exists(stop)
        t0 = time.perf_counter()
        try:
            seen.add(tuple(con.execute(COUNTS).fetchone()))
            queries += 1
        except Exception as e:  # noqa: BLE001 - any failure is what we are counting
            errors += 1
            first_error = first_error or str(e).splitlines()[0]
        slowest = max(slowest, time.perf_counter() - t0)
        if last:
            break
        time.sleep(0.05)
    print(json.dumps({"seen": sorted(seen), "queries": queries, "errors": errors,
                      "first_error": first_error, "slowest_query_seconds": round(slowest, 3)}))


def _child(role: str, *args: str) -> subprocess.Popen:
    code = f"import sys; sys.path.insert(0, {str(HERE)!r}); import lake_pg; lake_pg.{role}(*sys.argv[1:])"
    return subprocess.Popen([sys.executable, "-c", code, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


class ServerError(RuntimeError):
    """The PostgreSQL server would not initialise or start."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def postgres(work: Path) -> Iterator[dict]:
    """A throwaway PostgreSQL server with an empty ``ducklake`` database; stopped and deleted on exit.
    Yields ``dsn``, ``start_seconds`` and ``log`` (the server log's path, readable until exit)."""
    bin_dir = pg_bin()
    if bin_dir is None:
        raise ServerError("PostgreSQL's server programs were not found (apt-get install postgresql)")
    as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    work.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="pg-", dir=work))
    if as_pg:
        shutil.chown(root, "postgres", "postgres")
        if subprocess.run([*as_pg, "test", "-w", str(root)]).returncode:  # WORK not reachable by postgres
            shutil.rmtree(root)
            root = Path(tempfile.mkdtemp(prefix="lake-pg-"))
            shutil.chown(root, "postgres", "postgres")
    data, log, port = root / "data", root / "server.log", _free_port()
    sockets = str(root) if len(str(root)) < 90 else "''"  # a Unix socket path must fit in 107 bytes

    def run(tool: str, *args: str) -> None:
        r = subprocess.run([*as_pg, str(bin_dir / tool), *args], capture_output=True, text=True)
        if r.returncode:
            tail = log.read_text(errors="replace")[-500:] if log.exists() else ""
            raise ServerError(f"{tool} failed: {(r.stderr or r.stdout).strip()[-500:]} {tail}".strip())

    try:
        t0 = time.perf_counter()
        run("initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
        # log_min_error_statement=panic: a lost commit race is logged without its (long) statement
        run("pg_ctl", "-D", str(data), "-l", str(log), "-w", "-t", "60", "start",
            "-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {sockets} -c log_min_error_statement=panic")
        run("createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "ducklake")
        yield {"dsn": f"dbname=ducklake host=127.0.0.1 port={port} user=postgres",
               "start_seconds": time.perf_counter() - t0, "log": log}
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run([*as_pg, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                           capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def _sums(sizes: list[int]) -> set[int]:
    """Every total a subset of the partitions can make."""
    out = {0}
    for n in sizes:
        out |= {s + n for s in out}
    return out


def ducklake_postgres_demo(parts: list[Path], work: Path, readers: int = 3, writers: int | None = None) -> dict:
    """Run the demo over ``parts`` (raw partitions, at least two); figures as a flat-ish JSON-able dict."""
    pg_ext = extension_file("duckdb_extension_postgres_scanner", "postgres_scanner")
    lake_ext = extension_file("duckdb_extension_ducklake", "ducklake")
    if pg_ext is None or lake_ext is None:
        return {"ran": False, "why": "pip install duckdb-extension-postgres-scanner==1.5.5 "
                                     "duckdb-extension-ducklake==1.5.5 (same version as duckdb)"}
    bin_dir = pg_bin()
    if bin_dir is None:
        return {"ran": False, "why": "PostgreSQL's server programs not found (apt-get install postgresql)"}
    if len(parts) < 2:
        return {"ran": False, "why": "needs at least two partitions (one per writer)"}
    writers = min(len(parts), writers or max(2, os.cpu_count() or 2))
    base = work / "lake-pg"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    stop = base / "stop"
    procs: list[subprocess.Popen] = []
    try:
        with postgres(base) as pg:
            cfg = {"pg_ext": str(pg_ext), "lake_ext": str(lake_ext), "dsn": pg["dsn"], "data": f"{base / 'data'}/"}
            t0 = time.perf_counter()
            con = connect(cfg)  # stays open throughout: it blocks nobody
            first = _frames(str(parts[0]))
            con.execute("BEGIN")
            for table, df in first.items():
                con.register("batch", df)
                con.execute(f"CREATE TABLE lake.{table} AS SELECT * FROM batch LIMIT 0")
            con.execute("COMMIT")
            created = con.execute("SELECT id FROM lake.current_snapshot()").fetchone()[0]
            t_schema = time.perf_counter() - t0

            cfg_json = json.dumps(cfg)
            rs = [_child("reader", cfg_json, str(stop)) for _ in range(readers)]
            procs += rs
            ready = sum(p.stdout.readline().strip() == "ready" for p in rs)
            t0 = time.perf_counter()
            ws = [_child("writer", cfg_json, f"writer-{i + 1}", *map(str, parts[i::writers])) for i in range(writers)]
            procs += ws
            w_out = [p.communicate() for p in ws]
            t_write = time.perf_counter() - t0
            stop.touch()
            r_out = [p.communicate() for p in rs]

            failed = [e.strip().splitlines()[-1] if e.strip() else f"exit {p.returncode}"
                      for (_, e), p in zip(w_out + r_out, ws + rs) if p.returncode]
            w_rep = [json.loads(o) for (o, _), p in zip(w_out, ws) if p.returncode == 0]
            r_rep = [json.loads(o) for (o, _), p in zip(r_out, rs) if p.returncode == 0]
            sizes = [n for w in w_rep for n in w["articles"]]
            valid = _sums(sizes)
            seen = sorted({tuple(x) for r in r_rep for x in r["seen"]})

            articles, joined = con.execute(COUNTS).fetchone()
            snaps = con.execute("SELECT snapshot_id, author, commit_message FROM lake.snapshots() "
                                "ORDER BY snapshot_id").fetchall()
            by_version = {v: con.execute(f"SELECT count(*) FROM lake.articles AT (VERSION => {v})").fetchone()[0]
                          for v, _, _ in snaps if v >= created}
            written = [v for v, author, _ in snaps if author]
            files = len(list((base / "data").rglob("*.parquet")))
            con.close()
            log = pg["log"].read_text(errors="replace")
            races = log.count('violates unique constraint "ducklake_snapshot_pkey"')
            start = pg["start_seconds"]
    except ServerError as e:
        return {"ran": False, "why": str(e)}
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(base, ignore_errors=True)
    return {
        "ran": True, "catalogue": f"{pg_version(bin_dir)} (local server)",
        "server_start_seconds": round(start, 2), "schema_seconds": round(t_schema, 2),
        "partitions": len(parts), "writers": writers, "readers": readers, "readers_ready": ready,
        "process_failures": failed,
        "writers_wall_seconds": round(t_write, 2),
        "writer_parse_seconds": [w["parse_seconds"] for w in w_rep],
        "writer_commit_seconds": [w["commit_seconds"] for w in w_rep],
        "commit_races_settled_by_ducklake": races,
        "commit_retries": sum(w["retries"] for w in w_rep),
        "partition_sizes": sizes, "articles_written": sum(sizes),
        "articles": articles, "articles_with_studies": joined,
        "articles_ok": articles == joined == sum(sizes) and len(sizes) == len(parts),
        "reader_queries": sum(r["queries"] for r in r_rep),
        "reader_errors": sum(r["errors"] for r in r_rep),
        "reader_first_error": next((r["first_error"] for r in r_rep if r["first_error"]), None),
        "reader_slowest_query_seconds": max((r["slowest_query_seconds"] for r in r_rep), default=None),
        "reader_counts_seen": [a for a, _ in seen],
        "reader_counts_consistent": bool(seen) and all(a == j and a in valid for a, j in seen),
        "snapshots": len(snaps), "writer_snapshots": len(written),
        "articles_by_version": by_version,
        "time_travel": {"version": written[0], "articles": by_version[written[0]]} if written else None,
        "data_files": files,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("file", type=Path)
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--partition", type=int, default=2000)
    ap.add_argument("--readers", type=int, default=3)
    ap.add_argument("--writers", type=int, default=None)
    args = ap.parse_args(argv)
    import logging
    logging.disable(logging.WARNING)
    sys.path.insert(0, str(HERE))
    from scale import split
    raw = args.work / "raw"
    try:
        parts = split(args.file, raw, args.partition)
        out = ducklake_postgres_demo(parts, args.work, args.readers, args.writers)
    finally:
        shutil.rmtree(raw, ignore_errors=True)
    json.dump(out, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
