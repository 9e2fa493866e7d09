"""The change-detection hashes normalise computes stay what warehouses have stored all along.

``content_hash`` and ``facet_hashes`` are kept in every warehouse and compared on each load: if
they drifted, every article would be recorded as updated. normalise builds the strings it hashes
with f-strings for speed; they must equal ``repr()`` of the same record parts. The reference
below is the definition, written the plain way (blake2b of ``repr``), checked on every real record
of the corpus and the NCBI fixtures and on generated records with odd values.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
from pathlib import Path

import pytest

from conftest import DEV_XML, FIXTURES, SNAPSHOT
from evidence.normalise import FACETS, frames
from evidence.parse import Deletion, iter_records

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def h(value) -> str:
    return hashlib.blake2b(repr(value).encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def reference(rec: dict) -> tuple[str, dict[str, str]]:
    pts = [p["name"] for p in rec["publication_types"]]
    facets = {
        "citation": h((rec["title"], rec["journal_title"], rec["volume"], rec["issue"], rec["pages"],
                       rec["pub_date_text"], rec["languages"], rec["citation_status"])),
        "abstract": h(rec["abstract_sections"]),
        "authors": h(rec["authors"]),
        "mesh": h((rec["mesh"], rec["keywords"], rec["chemicals"])),
        "publication_types": h(pts),
        "corrections": h(rec["comments_corrections"]),
        "ids": h((rec["article_ids"], rec["databanks"], rec["grants"])),
    }
    return h((rec["version"], sorted(facets.items()), rec["date_revised"], rec["history"])), facets


def records(path: Path) -> list[dict]:
    return [r for r in iter_records(path) if not isinstance(r, Deletion)]


def assert_hashes_match(recs: list[dict]) -> None:
    arts = frames(recs)["articles"]
    got = {row["pmid"]: (row["content_hash"], row["facet_hashes"]) for row in arts.iter_rows(named=True)}
    latest = {}
    for rec in recs:  # the latest version of a PMID is the one frames keeps
        if rec["pmid"] not in latest or rec["version"] >= latest[rec["pmid"]]["version"]:
            latest[rec["pmid"]] = rec
    assert set(got) == set(latest)
    for pmid, rec in latest.items():
        content, facets = reference(rec)
        assert got[pmid][1] == {f: facets[f] for f in FACETS}, pmid
        assert got[pmid][0] == content, pmid


@pytest.mark.parametrize("path", [DEV_XML, SNAPSHOT, *sorted(FIXTURES.glob("pubmed*.xml"))], ids=lambda p: p.name)
def test_hashes_are_blake2b_of_repr_on_real_records(path):
    recs = records(path)
    assert recs
    assert_hashes_match(recs)


def test_hashes_on_generated_records_with_odd_values(tmp_path):
    sys.path.insert(0, str(BENCH))
    import generate
    recs = records(generate.generate(200, tmp_path / "gen.xml", seed=11))
    # values whose repr differs from str or needs escaping, in every part the f-strings render
    recs[0]["title"] = "Quote's \"both\" \\ back\nslash"
    recs[0]["authors"] = [dict(a, last_name="O'Brien", fore_name=None, affiliations=["a'b", 'c"d'])
                          for a in recs[0]["authors"]] or recs[0]["authors"]
    recs[1]["mesh"] = [dict(m, qualifiers=[{"name": "x'y", "ui": None, "major": True}]) for m in recs[1]["mesh"]]
    recs[2]["history"] = [{"status": "entrez", "date": dt.date(2020, 1, 2)}, {"status": "x'", "date": None}]
    recs[3]["abstract_sections"] = [{"position": 0, "label": None, "category": "x'", "text": "\u00e9\t\u200b"}]
    recs[4]["date_revised"] = None
    assert_hashes_match(recs)
