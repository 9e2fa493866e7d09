"""The benchmark kit works: the generator writes valid PubMed XML with distinct PMIDs, and the
harness runs every stage on ~200 records (not timed: the numbers are only checked to exist)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DEV_XML, SNAPSHOT
from evidence.parse import Deletion, ParseStats, iter_records

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))



@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import generate
    return generate.generate(200, tmp_path_factory.mktemp("bench") / "pubmed-200.xml", seed=3)


def test_generator_writes_valid_pubmed_xml_with_distinct_pmids(generated):
    from Bio import Entrez

    stats = ParseStats()
    records = [r for r in iter_records(generated, stats) if not isinstance(r, Deletion)]
    assert len(records) == stats.articles == 200 and stats.other_skipped == 0
    assert len({r["pmid"] for r in records}) == 200
    assert len({r["abstract"] for r in records}) > 150  # shuffled text, not copies
    assert all(r["authors"] and r["pub_year"] and r["history"] for r in records)
    with open(generated, "rb") as fh:  # Biopython validates the element structure against the DTD
        assert len(Entrez.read(fh)["PubmedArticle"]) == 200


def test_generator_is_deterministic(generated, tmp_path):
    import generate
    again = generate.generate(200, tmp_path / "again.xml", seed=3)
    assert again.read_bytes() == generated.read_bytes()


@pytest.mark.parametrize("stage", ["parse", "normalise", "extract", "load", "ingest", "land", "bio_read"])
def test_harness_runs_each_stage(generated, tmp_path, stage):
    cache, work = tmp_path.parent / "cache", tmp_path.parent / "work"
    if stage in ("extract", "load") and not (cache / "chunk-0000" / "articles.parquet").is_file():
        _run("normalise", generated, cache, work)
    if stage == "load" and not (cache / "chunk-0000" / "studies.parquet").is_file():
        _run("extract", generated, cache, work)
    out = _run(stage, generated, cache, work)
    assert out["records"] == 200 and out["seconds"] > 0 and out["peak_rss_mb"] > 0


def _run(stage: str, path: Path, cache: Path, work: Path) -> dict:
    proc = subprocess.run([sys.executable, str(BENCH / "stages.py"), stage, str(path), "--cache", str(cache),
                           "--work", str(work)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_http_counts_on_the_replay(generated):
    import http_check
    out = http_check.backfill(generated)
    assert out["fetched"] == 200 and out["within_bound"] and out["requests"] == 2  # 1 esearch + 1 efetch


def test_rate_window_counting():
    import http_check
    assert http_check.max_in_window([0.0, 0.34, 0.68, 1.02, 1.36]) == 3
    assert http_check.max_in_window([0.0, 0.33, 0.66, 0.99]) == 4
