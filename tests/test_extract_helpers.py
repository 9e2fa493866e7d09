"""Building blocks for the extraction tests: synthetic article frames and one extraction per table.

Not a test module itself (it holds no tests); named ``test_extract_*`` to live with the tests it serves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from evidence.extract import extract_studies
from evidence.normalise import ARTICLES

Sections = Sequence[tuple[str | None, str]]


def article(pmid: str, title: str | None, sections: Sections | str | None = None, **kw) -> dict:
    """An ``articles_frame`` row: a plain string is one unlabelled abstract paragraph."""
    if isinstance(sections, str):
        sections = [(None, sections)]
    sections = sections or []
    secs = [{"position": i + 1, "label": lab, "category": None, "text": txt} for i, (lab, txt) in enumerate(sections)]
    return {"pmid": pmid, "title": title, "abstract": " ".join(t for _, t in sections) or None,
            "abstract_sections": secs, "publication_types": kw.get("publication_types", []),
            "citation_status": kw.get("citation_status"), "indexing_method": kw.get("indexing_method"),
            "mesh_terms": kw.get("mesh_terms", []), "keywords": kw.get("keywords", []),
            "registry_ids": kw.get("registry_ids", [])}


def frame(rows: Sequence[dict]) -> pl.DataFrame:
    full = [{k: r.get(k) for k in ARTICLES} for r in rows]
    return pl.DataFrame(full, schema=ARTICLES, orient="row") if full else pl.DataFrame(schema=ARTICLES)


def extract_table(cases: Mapping[str, dict], conditions=None) -> dict[str, dict]:
    """Extract every case in one call (the per-call overhead dominates tiny frames); rows by case id.
    ``conditions``: the topic's (``extract_studies``), the knee's when None."""
    rows = [article(case_id, **spec) for case_id, spec in cases.items()]
    out = extract_studies(frame(rows), conditions)
    return {r["pmid"]: r for r in out.iter_rows(named=True)}


def pick(row: dict, expected: Mapping) -> dict:
    """The fields of ``row`` named in ``expected``, to compare whole records at once."""
    return {k: row[k] for k in expected}
