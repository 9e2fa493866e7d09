"""The extractors measured on the labelled dev corpus with the project's scorer (targets of issue 3)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import load_scorer
from evidence.extract import extract_studies
from evidence.extract.export import export_records
from evidence.normalise import articles_frame
from evidence.parse import iter_records

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DEV = SHARED / "corpus" / "dev"
TARGETS = {
    "relevance_f1": 0.95, "design": 0.90, "design_coarse": 0.95, "sample_size": 0.90, "max_follow_up": 0.85,
    "outcome_domains": 0.90, "outcome_instruments": 0.85, "condition": 0.90, "comparator": 0.85,
    "adverse_events": 0.90, "direction": 0.80, "registration": 0.95,
}
AE_MENTION = re.compile(r"adverse|side[\s-]?effects?|complications?|soreness", re.I)



@pytest.fixture(scope="module")
def dev_frames():
    articles = articles_frame(iter_records(DEV / "pubmed.xml"))
    return articles, extract_studies(articles)


def test_dev_corpus_meets_targets(dev_frames, tmp_path, capsys):
    _, studies = dev_frames
    pred = tmp_path / "predictions.jsonl"
    pred.write_text("".join(json.dumps(r) + "\n" for r in export_records(studies)))
    scorer = load_scorer()
    argv = [str(DEV / "gold.jsonl"), str(pred), "--min", *[f"{k}={v}" for k, v in TARGETS.items()]]
    code = scorer.main(argv)
    out = capsys.readouterr().out
    with capsys.disabled():
        print("\n" + out)
    assert code == 0, out


def test_every_adverse_event_mention_is_caught(dev_frames):
    articles, studies = dev_frames
    joined = articles.select("pmid", "abstract").join(studies.select("pmid", "adverse_events"), on="pmid")
    missed = [r["pmid"] for r in joined.iter_rows(named=True)
              if r["abstract"] and AE_MENTION.search(r["abstract"]) and r["adverse_events"] == "not_mentioned"]
    assert missed == []


def test_protocols_are_never_trials_with_results(dev_frames):
    articles, studies = dev_frames
    joined = articles.select("pmid", "title", "abstract").join(studies.select("pmid", "design", "direction"), on="pmid")
    for r in joined.iter_rows(named=True):
        text = f"{r['title'] or ''} {r['abstract'] or ''}"
        if re.search(r"\bwill be (?:randomi[sz]ed|recruited)", text) or re.search(r"trial protocol|protocol for a", text, re.I):
            assert r["design"] == "protocol", r["pmid"]
            assert r["direction"] == "not_applicable", r["pmid"]
