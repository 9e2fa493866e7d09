"""Every fact keeps its true source: a span is a piece of the one field its ``F_source`` names, and
every value read from the text (all but the fallbacks) carries the span it was read from."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import DEV_XML, SNAPSHOT
from evidence.extract import FIELDS, LIST_FIELDS, extract_studies
from evidence.normalise import articles_frame
from evidence.parse import iter_records
from test_extract_helpers import article, frame

# values that are read from no span: the abstaining fallbacks
FALLBACKS = {"adverse_events": {"not_mentioned"}, "condition": {"other"}, "direction": {"unclear"}, "relevant": {False}}


def field_texts(art: dict) -> dict[str, str | None]:
    """The fields a span may come from, as the text a span must be part of."""
    join = lambda v, sep="; ": sep.join(v or []) or None  # noqa: E731
    return {"title": art["title"], "abstract": art["abstract"], "publication_types": join(art["publication_types"]),
            "mesh_terms": join(art["mesh_terms"]), "keywords": join(art["keywords"]),
            "databanks": join(art["registry_ids"], " ")}


def span_problems(articles: pl.DataFrame, studies: pl.DataFrame) -> list[tuple]:
    arts = {a["pmid"]: a for a in articles.iter_rows(named=True)}
    bad = []
    for row in studies.iter_rows(named=True):
        texts = field_texts(arts[row["pmid"]])
        for f in FIELDS:
            value, source, span = row[f], row[f"{f}_source"], row[f"{f}_span"]
            known = value is not None and value != []
            if span is not None:
                if not known:
                    bad.append((row["pmid"], f, "span without a value", span))
                elif texts.get(source) is None or span not in texts[source]:
                    bad.append((row["pmid"], f, f"span not in its source {source!r}", span))
            elif known and value not in FALLBACKS.get(f, ()) and not (f in LIST_FIELDS and not value):
                # "not applicable" follows from relevance; a record that names neither dry needling
                # nor a condition has no sentence to show for either
                if not (f == "direction" and value == "not_applicable" and row["relevant_span"] is None):
                    bad.append((row["pmid"], f, "value without a span", value))
            if known and source is None:
                bad.append((row["pmid"], f, "value without a source", value))
    return bad


@pytest.mark.parametrize("path", [SNAPSHOT, DEV_XML], ids=["snapshot", "dev"])
def test_spans_come_from_the_field_their_source_names(path):
    articles = articles_frame(iter_records(path))
    assert span_problems(articles, extract_studies(articles)) == []


KNEE_TITLE = "Shockwave therapy versus dry needling for knee osteoarthritis: a randomized controlled trial"


def test_facts_read_from_the_title_say_so():
    rows = [article("1", KNEE_TITLE, [("METHODS", "Forty patients were enrolled. Pain was measured at 4 weeks.")]),
            article("2", "Dry needling", [(None, "Forty patients with knee osteoarthritis were randomized. Trial NCT01234567.")]),
            article("3", "NCT01234567", "Knees were needled. dry")]
    out = {r["pmid"]: r for r in extract_studies(frame(rows)).iter_rows(named=True)}
    one = out["1"]
    for f in ("design", "comparator", "condition"):
        assert (one[f"{f}_source"], one[f"{f}_span"]) == ("title", KNEE_TITLE), f
    assert (one["sample_size_source"], one["max_follow_up_weeks_source"]) == ("abstract", "abstract")
    assert one["follow_up_points"] == ["4 weeks"] and one["follow_up_points_span"] == "Pain was measured at 4 weeks."
    assert (out["2"]["registration_source"], out["2"]["condition_source"]) == ("abstract", "abstract")
    # an id in the title: its span is the title alone, never the abstract's end running into it
    assert (out["3"]["registration"], out["3"]["registration_source"], out["3"]["registration_span"]) == \
        ("NCT01234567", "title", "NCT01234567")
    assert span_problems(frame(rows), extract_studies(frame(rows))) == []


def test_facts_read_from_index_fields_say_so():
    rows = [article("1", "Needling in athletes", "Twenty athletes were treated.", mesh_terms=["Dry Needling", "Knee Injuries"],
                    registry_ids=["NCT07654321"], publication_types=["Case Reports"], citation_status="MEDLINE"),
            article("2", "A report", "One patient was treated for knee pain with dry needling.", publication_types=["Case Reports"],
                    citation_status="MEDLINE")]
    arts = frame(rows)
    out = {r["pmid"]: r for r in extract_studies(arts).iter_rows(named=True)}
    assert (out["1"]["relevant_source"], out["1"]["relevant_span"]) == ("mesh_terms", "Dry Needling; Knee Injuries")
    assert (out["1"]["registration_source"], out["1"]["registration_span"]) == ("databanks", "NCT07654321")
    assert out["2"]["design"] == "case_report"
    assert (out["2"]["design_source"], out["2"]["design_span"]) == ("publication_types", "Case Reports")
    # a case report is one person, one arm, no control: each follows from the design and shows its span
    for f in ("sample_size", "groups", "comparator"):
        assert (out["2"][f"{f}_source"], out["2"][f"{f}_span"]) == ("publication_types", "Case Reports"), f
    assert span_problems(arts, extract_studies(arts)) == []


WORDS = ["dry needling", "knee", "osteoarthritis", "randomized", "patients", "NCT01234567", "12 weeks", "3 months",
         "follow-up", "at", "VAS", "sham", "versus", "no adverse events", "soreness", ".", ",", "(n = 12)", "case report",
         "systematic review", "quadriceps", "improved", "no significant difference", "Trial registration:", "ü", "—"]
TEXT = st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=8)), max_size=25).map(" ".join)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(st.lists(st.tuples(TEXT, TEXT, TEXT), min_size=1, max_size=8))
def test_no_span_runs_across_fields(batch):
    rows = [article(str(i), title or None, [("METHODS", a), ("RESULTS", b)] if a or b else None)
            for i, (title, a, b) in enumerate(batch)]
    arts = frame(rows)
    problems = [p for p in span_problems(arts, extract_studies(arts)) if p[2].startswith("span")]
    assert problems == []
