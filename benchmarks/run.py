"""The benchmark suite: ``make bench`` (or ``python benchmarks/run.py [--sizes 1000 10000 100000]``).

For each size it generates (once) ``benchmarks/data/pubmed-<N>.xml`` from the real corpus, then
runs every measurement in a fresh interpreter (``benchmarks/stages.py``) so each reports its own
peak memory: parse, normalise, extract, load, end-to-end ingest, rebuild, and on the same file
Biopython ``Entrez.read`` / ``Entrez.parse`` and ``pubmed_parser.parse_medline_xml``. Then the
``evidence ingest`` CLI against Entrez.read on 20,000 records, the HTTP checks against the local
replay (``benchmarks/http_check.py``) and the scale-out demos (``benchmarks/scale.py``).

Writes ``benchmarks/results/latest.json`` and ``latest.md`` (the table docs/performance.md quotes).
Numbers are wall clock on this machine; ``cpu_seconds`` and the load average are recorded beside
them, because a busy machine slows wall clock but not CPU time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import generate  # noqa: E402

RESULTS = HERE / "results"
PY = sys.executable
OURS = ["parse", "normalise", "extract", "load", "ingest", "rebuild"]
THEIRS = ["bio_read", "bio_parse", "pubmed_parser"]


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def measure(stage: str, path: Path, *, cache: Path | None = None, work: Path | None = None,
            timeout: float = 1800) -> dict:
    cmd = [PY, str(HERE / "stages.py"), stage, str(path)]
    if cache:
        cmd += ["--cache", str(cache)]
    if work:
        cmd += ["--work", str(work)]
    load_before = os.getloadavg()[0]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=REPO)
    if proc.returncode != 0:
        return {"stage": stage, "error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["load_avg_1m"] = round(max(load_before, os.getloadavg()[0]), 2)
    return out


def gz_copy(path: Path) -> Path:
    gz = path.with_name(path.name + ".gz")
    if not gz.is_file() or gz.stat().st_mtime < path.stat().st_mtime:
        with open(path, "rb") as src, gzip.open(gz, "wb", compresslevel=5) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    return gz


def median_run(runs: list[dict]) -> dict:
    """The run with the median wall time, with every run's seconds beside it."""
    ok = sorted((m for m in runs if "error" not in m), key=lambda m: m["seconds"])
    if not ok:
        return runs[-1]
    return {**ok[(len(ok) - 1) // 2], "runs_seconds": [m["seconds"] for m in runs if "error" not in m],
            "runs_cpu_seconds": [m.get("cpu_seconds") for m in runs if "error" not in m]}


def run_size(n: int, tmp: Path, skip: set[str], repeat: int = 1) -> dict:
    path = generate.ensure(n)
    gz = gz_copy(path)
    res: dict = {"records": n, "file_mb": round(path.stat().st_size / 1e6, 1), "stages": {}}
    cache, work = tmp / f"cache-{n}", tmp / f"work-{n}"
    for stage in OURS + THEIRS:
        if stage in skip:
            continue
        log(f"{n:>7} records: {stage}")
        target = gz if stage == "pubmed_parser" else path  # pubmed_parser opens files with gzip.open
        res["stages"][stage] = measure(stage, target, cache=cache, work=work)
        if stage == "pubmed_parser":
            res["stages"]["parse_gz"] = measure("parse", gz)
        log(f"         {json.dumps(res['stages'][stage])}")
    # parse and Entrez.read again, taking turns, so that a busy spell of a shared machine weighs on
    # both sides of their ratio alike; each reports its median run
    paired = [s for s in ("parse", "bio_read") if s not in skip]
    if repeat > 1 and len(paired) == 2:
        runs = {s: [res["stages"][s]] for s in paired}
        for i in range(2, repeat + 1):
            for stage in paired:
                log(f"{n:>7} records: {stage} (run {i} of {repeat})")
                runs[stage].append(measure(stage, path))
        for stage in paired:
            res["stages"][stage] = median_run(runs[stage])
    shutil.rmtree(cache, ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)
    st = res["stages"]

    def rate(k: str) -> float | None:
        return (st.get(k) or {}).get("per_second")

    pipe = [st.get(k, {}).get("seconds") for k in ("parse", "normalise", "extract", "load")]
    if all(isinstance(s, (int, float)) for s in pipe):
        res["parse_extract_load_per_second"] = round(n / sum(pipe), 1)
    ratios = {}
    for ours, theirs, name in (("parse", "bio_read", "parse_vs_entrez_read"),
                               ("parse", "bio_parse", "parse_vs_entrez_parse"),
                               ("parse_gz", "pubmed_parser", "parse_vs_pubmed_parser"),
                               ("ingest", "bio_read", "ingest_vs_entrez_read")):
        if rate(ours) and rate(theirs):
            ratios[name] = round(rate(ours) / rate(theirs), 2)
    res["ratios"] = ratios
    return res


def cli_vs_biopython(n: int, tmp: Path) -> dict:
    """`evidence ingest` as a user runs it (a new process, wall clock) against Entrez.read alone."""
    path = generate.ensure(n)
    work = tmp / "cli"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    exe = Path(PY).with_name("evidence")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EVIDENCE_", "NCBI_"))}
    import resource

    def children_cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_CHILDREN)
        return r.ru_utime + r.ru_stime

    c0, t0 = children_cpu(), time.perf_counter()
    proc = subprocess.run([str(exe), "ingest", str(path), "--db", str(work / "evidence.duckdb"), "--quiet"],
                          capture_output=True, text=True, cwd=work, env=env)
    cli, cli_cpu = time.perf_counter() - t0, children_cpu() - c0
    c0, t0 = children_cpu(), time.perf_counter()
    bio = subprocess.run([PY, "-c", "import sys; from Bio import Entrez; "
                          "print(len(Entrez.read(open(sys.argv[1], 'rb'))['PubmedArticle']))", str(path)],
                         capture_output=True, text=True)
    bio_s, bio_cpu = time.perf_counter() - t0, children_cpu() - c0
    shutil.rmtree(work, ignore_errors=True)
    return {"records": n, "cli_ingest_seconds": round(cli, 2), "cli_cpu_seconds": round(cli_cpu, 2),
            "cli_ok": proc.returncode == 0,
            "cli_error": proc.stderr.strip()[-300:] if proc.returncode else None,
            "entrez_read_seconds": round(bio_s, 2), "entrez_read_cpu_seconds": round(bio_cpu, 2),
            "entrez_read_ok": bio.returncode == 0,
            "ratio": round(cli / bio_s, 2), "met": proc.returncode == 0 and cli <= bio_s,
            "load_avg_1m": round(os.getloadavg()[0], 2)}


def http(n: int, nightly: bool) -> dict:
    path = generate.ensure(n)
    cmd = [PY, str(HERE / "http_check.py"), str(path)] + (["--nightly"] if nightly else [])
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=1800)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def scale(n: int, tmp: Path) -> dict:
    cmd = [PY, str(HERE / "scale.py"), str(generate.ensure(n)), "--work", str(tmp / "scale")]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=3600)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _f(v: object, digits: int = 0) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def markdown(r: dict) -> str:
    lines = [f"Run {r['started']} on {r['machine']} (load average at start {r['load_avg_start']}).", "",
             "| records | stage | seconds (wall) | CPU s | records/s | peak RSS MB | with workers MB | RSS before MB |",
             "|---:|---|---:|---:|---:|---:|---:|---:|"]
    for size in r["sizes"]:
        for stage, m in size["stages"].items():
            if "error" in m:
                lines.append(f"| {size['records']:,} | {stage} | n/a: {m['error'][:90]} | | | | | |")
                continue
            lines.append(f"| {size['records']:,} | {stage} | {_f(m['seconds'], 2)} | {_f(m.get('cpu_seconds'), 2)} "
                         f"| {_f(m['per_second'])} | {_f(m['peak_rss_mb'])} | {_f(m.get('tree_peak_rss_mb'))} "
                         f"| {_f(m['baseline_rss_mb'])} |")
    lines += ["", "| records | parse+normalise+extract+load records/s | parse ÷ Entrez.read | parse ÷ Entrez.parse "
              "| parse (.gz) ÷ pubmed_parser (.gz) | ingest ÷ Entrez.read |", "|---:|---:|---:|---:|---:|---:|"]
    for size in r["sizes"]:
        ra = size["ratios"]
        lines.append(f"| {size['records']:,} | {_f(size.get('parse_extract_load_per_second'))} "
                     f"| {_f(ra.get('parse_vs_entrez_read'), 2)}× | {_f(ra.get('parse_vs_entrez_parse'), 2)} "
                     f"| {_f(ra.get('parse_vs_pubmed_parser'), 2)}× | {_f(ra.get('ingest_vs_entrez_read'), 2)}× |")
    for size in r["sizes"]:
        p, b = size["stages"].get("parse", {}), size["stages"].get("bio_read", {})
        if p.get("runs_seconds") and b.get("runs_seconds"):
            lines += ["", f"{size['records']:,} records: parse and Entrez.read ran {len(p['runs_seconds'])} times each, "
                      f"taking turns; the tables give the median run (parse {p['runs_seconds']} s, "
                      f"Entrez.read {b['runs_seconds']} s)."]
    if r.get("cli"):
        c = r["cli"]
        lines += ["", f"`evidence ingest` (CLI, new process) on {c['records']:,} records: {c['cli_ingest_seconds']} s "
                  f"({c.get('cli_cpu_seconds')} CPU s with its workers); "
                  f"Entrez.read alone on the same file (new process): {c['entrez_read_seconds']} s "
                  f"({c.get('entrez_read_cpu_seconds')} CPU s) "
                  f"(ratio {c['ratio']}; target ≤ 1: {'met' if c['met'] else 'not met'})."]
    if r.get("http"):
        lines += ["", "| records | backfill requests | bound ceil(N/200)+2 | esearch | efetch | within |",
                  "|---:|---:|---:|---:|---:|---|"]
        for h in r["http"]["backfill"]:
            if "error" in h:
                lines.append(f"| | error: {h['error']} | | | | |")
                continue
            lines.append(f"| {h['records']:,} | {h['requests']} | {h['bound']} | {h['searches']} | {h['efetches']} "
                         f"| {'yes' if h['within_bound'] else 'no'} |")
        for h in r["http"].get("nightly", []):
            if "error" in h:
                lines.append(f"\nnightly: error {h['error']}")
                continue
            lines += ["", f"pipeline.nightly on {h['records']:,} records (real clock): backfill "
                      f"{h['backfill_requests']} requests (bound {h['backfill_bound']}), then a night with nothing "
                      f"new: {h['quiet_night_requests']} request(s) (bound 3). Most requests the server saw in any "
                      f"1 s window: {h['max_in_any_1s']} (limit 3); smallest gap between arrivals {h['min_gap_s']} s."]
    if r.get("scale"):
        lines += ["", "Scale-out demo: " + json.dumps(r["scale"])]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", nargs="*", type=int, default=[1000, 10_000, 100_000])
    ap.add_argument("--cli-size", type=int, default=20_000)
    ap.add_argument("--http-sizes", nargs="*", type=int, default=[1000, 10_000, 100_000])
    ap.add_argument("--nightly-size", type=int, default=1000)
    ap.add_argument("--scale-size", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of parse and of Entrez.read, taking turns; the median of each is reported")
    ap.add_argument("--skip", nargs="*", default=[], help="stages or parts to skip (e.g. cli http scale bio_read)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    skip = set(args.skip)
    r: dict = {"started": dt.datetime.now().isoformat(timespec="seconds"),
               "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
               "load_avg_start": round(os.getloadavg()[0], 2), "sizes": []}
    with tempfile.TemporaryDirectory(prefix="evidence-bench-") as t:
        tmp = Path(t)
        for n in args.sizes:
            r["sizes"].append(run_size(n, tmp, skip, args.repeat))
            _write(r, args.out)
        if "cli" not in skip and args.cli_size:
            log(f"CLI ingest vs Entrez.read on {args.cli_size} records")
            r["cli"] = cli_vs_biopython(args.cli_size, tmp)
            _write(r, args.out)
        if "http" not in skip:
            r["http"] = {"backfill": [], "nightly": []}
            for n in args.http_sizes:
                log(f"HTTP backfill count on {n} records")
                r["http"]["backfill"].append(http(n, False))
            if args.nightly_size:
                log(f"pipeline.nightly twice on {args.nightly_size} records")
                r["http"]["nightly"].append(http(args.nightly_size, True))
            _write(r, args.out)
        if "scale" not in skip and args.scale_size:
            log(f"scale-out demo on {args.scale_size} records")
            r["scale"] = scale(args.scale_size, tmp)
    r["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    _write(r, args.out)
    print(markdown(r))
    return 0


def _write(r: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json.tmp").write_text(json.dumps(r, indent=1, default=str))
    (out / "latest.json.tmp").replace(out / "latest.json")
    (out / "latest.md").write_text(markdown(r))


if __name__ == "__main__":
    raise SystemExit(main())
