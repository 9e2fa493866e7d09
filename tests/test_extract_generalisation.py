"""The extractors on a synthetic generalisation set, scored with the project's scorer.

``tests/data/generalisation.jsonl`` holds 32 abstracts written for this test (not taken from any
corpus), labelled by the corpus README's definitions, with phrasings unlike the dev set: other
ways to give sample sizes and follow-up times, other designs and comparators, and look-alikes
(acupuncture, injections, other body regions, healthy volunteers, cadavers). The floors are the
figures reached when the rules were generalised, rounded down a little.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from evidence.extract import extract_studies
from evidence.extract.export import export_records

from test_extract_helpers import article, frame

DATA = Path(__file__).resolve().parent / "data" / "generalisation.jsonl"
SCORER = Path(__file__).resolve().parents[1].parent / "shared" / "tools" / "score_extraction.py"
FLOORS = {
    "relevance_f1": 0.95, "design": 0.95, "design_coarse": 0.95, "sample_size": 0.95, "max_follow_up": 0.90,
    "outcome_domains": 0.95, "outcome_instruments": 0.95, "condition": 0.95, "comparator": 0.90,
    "adverse_events": 0.95, "direction": 0.90, "registration": 0.95,
}

pytestmark = pytest.mark.skipif(not SCORER.is_file(), reason="shared scorer not present")


def _scorer():
    spec = importlib.util.spec_from_file_location("score_extraction", SCORER)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _records() -> list[dict]:
    return [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_generalisation_set_meets_floors(tmp_path, capsys):
    records = _records()
    rows = [article(r["pmid"], r["title"], [tuple(s) for s in r["sections"]],
                    publication_types=r["publication_types"]) for r in records]
    studies = extract_studies(frame(rows))
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps({"pmid": r["pmid"], "gold": r["gold"]}) + "\n" for r in records))
    pred = tmp_path / "predictions.jsonl"
    pred.write_text("".join(json.dumps(r) + "\n" for r in export_records(studies)))
    argv = [str(gold), str(pred), "--min", *[f"{k}={v}" for k, v in FLOORS.items()]]
    code = _scorer().main(argv)
    out = capsys.readouterr().out
    with capsys.disabled():
        print("\n" + out)
    assert code == 0, out


def test_generalisation_set_is_well_formed():
    records = _records()
    assert len({r["pmid"] for r in records}) == len(records) >= 30
    for r in records:
        assert set(r) == {"pmid", "title", "sections", "publication_types", "gold"}
        assert len(r["gold"]) == 17
