"""Relevance (dry needling for a knee condition in people who have it, or for the conditions of
another topic), condition, technique, muscles."""

from __future__ import annotations

import pytest

from evidence.extract import EXTRACTOR_VERSION, KNEE, extractor_version
from test_extract_helpers import extract_table, pick

CASES = {
    "knee-dn": ({"title": "Dry needling of the vastus medialis in knee osteoarthritis",
                 "sections": "Patients received trigger point dry needling of the vastus medialis and the hamstrings."},
                {"relevant": True, "condition": "knee_oa", "muscles": ["vastus medialis", "hamstring"]}),
    "ims": ({"title": "Intramuscular stimulation for patellofemoral pain syndrome", "sections": "Runners were treated."},
            {"relevant": True, "condition": "pfps"}),
    "jumpers-knee": ({"title": "Dry needling for jumper's knee", "sections": "Athletes were treated."},
                     {"relevant": True, "condition": "patellar_tendinopathy"}),
    "acupuncture": ({"title": "Acupuncture for knee osteoarthritis", "sections": "Patients received acupuncture at classical acupoints."},
                    {"relevant": False}),
    "electroacupuncture": ({"title": "Electroacupuncture versus sham electroacupuncture for knee osteoarthritis",
                            "sections": "Electroacupuncture was compared with sham."}, {"relevant": False}),
    "injection": ({"title": "Dry needling with lidocaine injection for knee pain",
                   "sections": "Dry needling and lidocaine injection were combined in each session."}, {"relevant": False}),
    "electrolysis-alone": ({"title": "Percutaneous electrolysis for patellar tendinopathy",
                            "sections": "Patients received percutaneous electrolysis (EPI)."}, {"relevant": False}),
    "neck": ({"title": "Dry needling of the upper trapezius for neck pain", "sections": "Patients with neck pain were treated."},
             {"relevant": False, "condition": "neck_pain"}),
    "heel": ({"title": "Dry needling for plantar heel pain", "sections": "Patients with plantar fasciitis were treated."},
             {"relevant": False, "condition": "plantar_heel_pain"}),
    "healthy": ({"title": "Dry needling of the quadriceps and knee extension strength",
                 "sections": "Thirty healthy volunteers received dry needling of the quadriceps."}, {"relevant": False}),
    "cadaver": ({"title": "Needle placement for dry needling of the popliteus around the knee",
                 "sections": "Dry needling was simulated in ten cadavers."}, {"relevant": False}),
    "mesh-only": ({"title": "A case", "sections": "We describe one patient treated twice.",
                   "mesh_terms": ["Dry Needling", "Osteoarthritis, Knee"]},
                  {"relevant": True, "condition": "knee_oa", "condition_source": "mesh_terms"}),
    "keywords-only": ({"title": "Needling in practice", "sections": "One patient was treated.",
                       "keywords": ["dry needling", "anterior knee pain"]},
                      {"relevant": True, "condition": "pfps", "condition_source": "keywords"}),
}


@pytest.fixture(scope="module")
def rows():
    return extract_table({k: spec for k, (spec, _) in CASES.items()})


@pytest.mark.parametrize("case", CASES)
def test_relevance(rows, case):
    expected = CASES[case][1]
    assert pick(rows[case], expected) == expected


# The same records read for a shoulder topic (``conditions = ["shoulder_pain"]`` in its topic file).
SHOULDER_CASES = {
    "shoulder-dn": ({"title": "Dry needling of the infraspinatus for shoulder impingement",
                     "sections": "Patients with subacromial pain received dry needling of the infraspinatus."},
                    {"relevant": True, "condition": "shoulder_pain"}),
    # neck comes before shoulder in the vocabulary: the topic's own conditions are read first
    "neck-and-shoulder": ({"title": "Dry needling for neck pain and shoulder impingement in office workers",
                           "sections": "Office workers with neck pain and shoulder pain were needled."},
                          {"relevant": True, "condition": "shoulder_pain"}),
    "knee-dn": (CASES["knee-dn"][0], {"relevant": False, "condition": "knee_oa"}),
    "shoulder-acupuncture": ({"title": "Acupuncture for frozen shoulder",
                              "sections": "Patients received acupuncture at classical acupoints."},
                             {"relevant": False, "condition": "shoulder_pain"}),
    "shoulder-healthy": ({"title": "Dry needling of the supraspinatus and shoulder strength",
                          "sections": "Thirty healthy volunteers without shoulder pain received dry needling."},
                         {"relevant": False}),
}


@pytest.fixture(scope="module")
def shoulder_rows():
    return extract_table({k: spec for k, (spec, _) in SHOULDER_CASES.items()}, conditions=["shoulder_pain"])


@pytest.mark.parametrize("case", SHOULDER_CASES)
def test_relevance_follows_the_topics_conditions(shoulder_rows, case):
    expected = SHOULDER_CASES[case][1]
    assert pick(shoulder_rows[case], expected) == expected


def test_the_knee_topic_reads_the_same_records_as_before(rows):
    knee = extract_table({k: CASES[k][0] for k in ("neck", "knee-dn")}, conditions=list(reversed(KNEE)))
    assert pick(knee["neck"], {"relevant": 0, "condition": 0}) == {"relevant": False, "condition": "neck_pain"}
    assert knee["knee-dn"] == rows["knee-dn"]


def test_facts_read_for_other_conditions_carry_them_in_their_version(shoulder_rows, rows):
    assert rows["knee-dn"]["extractor_version"] == EXTRACTOR_VERSION == extractor_version(KNEE)
    assert shoulder_rows["knee-dn"]["extractor_version"] == f"{EXTRACTOR_VERSION}+shoulder_pain"
    assert extractor_version(["shoulder_pain", "neck_pain", "shoulder_pain"]) == f"{EXTRACTOR_VERSION}+neck_pain+shoulder_pain"


def test_the_dev_corpus_records_on_other_conditions_are_relevant_for_their_own_topic_only():
    """Four dry-needling studies of the dev corpus are about the neck, a shoulder and low backs (their
    titles say so; labelled not relevant for the knee): each is relevant under its own topic only."""
    import polars as pl

    from conftest import DEV_XML
    from evidence.extract import extract_studies
    from evidence.normalise import articles_frame
    from evidence.parse import parse_all
    records, _, _ = parse_all(DEV_XML)
    own = {"28923050": "shoulder_pain", "28690077": "low_back_pain", "38484853": "low_back_pain", "38364664": "neck_pain"}
    articles = articles_frame([r for r in records if r["pmid"] in own])
    for topic in (None, ["shoulder_pain"], ["low_back_pain"], ["neck_pain"]):
        got = dict(extract_studies(articles, topic).select("pmid", "relevant").rows())
        assert got == {pmid: topic is not None and cond in topic for pmid, cond in own.items()}, topic
