"""extract_studies never fails and always returns STUDIES_SCHEMA, whatever the text."""

from __future__ import annotations

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence.extract import EXTRACTOR_VERSION, FIELDS, STUDIES_SCHEMA, extract_studies
from evidence.extract.export import export_records
from evidence.normalise import ARTICLES


def frame(rows: list[dict]) -> pl.DataFrame:
    full = [{k: r.get(k) for k in ARTICLES} for r in rows]
    return pl.DataFrame(full, schema=ARTICLES, orient="row") if full else pl.DataFrame(schema=ARTICLES)


def article(pmid: str, title: str | None, sections: list[tuple[str | None, str]] | None = None, **kw) -> dict:
    sections = sections or []
    secs = [{"position": i + 1, "label": lab, "category": None, "text": txt} for i, (lab, txt) in enumerate(sections)]
    return {"pmid": pmid, "title": title, "abstract": " ".join(t for _, t in sections) or None,
            "abstract_sections": secs, "publication_types": kw.get("publication_types", []),
            "citation_status": kw.get("citation_status"), "indexing_method": kw.get("indexing_method"),
            "mesh_terms": [], "keywords": [], "registry_ids": kw.get("registry_ids", [])}


def test_schema_columns_are_value_source_span_confidence():
    names = list(STUDIES_SCHEMA.names())
    assert names[:2] == ["pmid", "extractor_version"]
    assert names[2:] == [f"{f}{s}" for f in FIELDS for s in ("", "_source", "_span", "_confidence")]


def test_empty_frame_gives_empty_studies():
    out = extract_studies(frame([]))
    assert out.schema == STUDIES_SCHEMA
    assert out.height == 0


def test_record_without_title_or_abstract_abstains():
    out = extract_studies(frame([article("1", None)]))
    assert out.schema == STUDIES_SCHEMA
    row = out.row(0, named=True)
    assert row["extractor_version"] == EXTRACTOR_VERSION
    assert row["relevant"] is False
    for f in ("design", "sample_size", "condition", "max_follow_up_weeks", "direction", "registration"):
        assert row[f] is None, f
    assert row["outcome_instruments"] == [] and row["muscles"] == []
    assert export_records(out) == [{"pmid": "1", **{f: row[f] for f in FIELDS}}]


texts = st.one_of(st.none(), st.text(max_size=300),
                  st.sampled_from(["", " ", ".", "n = ", "Forty-two patients (n = 20) or (n = ", "3- and 6-month",
                                   "dry needling knee osteoarthritis randomized", "NCT", "’±≤ ünïcödé 患者"]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(texts, st.lists(st.tuples(st.one_of(st.none(), st.text(max_size=20)), st.text(max_size=200)),
                                          max_size=4)), max_size=5))
def test_never_crashes_and_keeps_schema(rows):
    arts = [article(str(i), t, secs) for i, (t, secs) in enumerate(rows)]
    out = extract_studies(frame(arts))
    assert out.schema == STUDIES_SCHEMA
    assert out["pmid"].to_list() == [str(i) for i in range(len(rows))]
    for rec in export_records(out):
        assert set(rec) == {"pmid", *FIELDS}
