"""Study design from the text and from trusted publication types; protocols never carry results."""

from __future__ import annotations

import pytest

from test_extract_helpers import extract_table, pick

CASES = {
    "protocol": ({"title": "Dry needling for patellofemoral pain: a protocol for a randomised controlled trial",
                  "sections": [("METHODS", "A total of 60 participants will be randomised to dry needling or sham needling.")]},
                 {"design": "protocol", "direction": "not_applicable", "sample_size": 60}),
    "this-protocol": ({"title": "Dry needling and exercise for knee osteoarthritis",
                       "sections": "This protocol describes a trial in which 80 patients with knee osteoarthritis will be randomized."},
                      {"design": "protocol", "direction": "not_applicable", "sample_size": 80}),
    "rct": ({"title": "Dry needling for knee osteoarthritis: a randomized controlled trial",
             "sections": [("METHODS", "Fifty patients were randomly assigned to dry needling or sham."),
                          ("CONCLUSIONS", "Dry needling reduced pain more than sham.")]}, {"design": "rct"}),
    "pilot": ({"title": "Dry needling for knee pain: a pilot randomized trial",
               "sections": "Twenty patients were randomized to dry needling or exercise."}, {"design": "pilot_rct"}),
    "crossover": ({"title": "Dry needling for knee osteoarthritis: a randomized crossover trial",
                   "sections": "Twelve patients received both interventions in random order."}, {"design": "crossover_rct"}),
    "case-series": ({"title": "Dry needling after total knee arthroplasty: a case series",
                     "sections": "Fourteen patients with persistent knee pain were treated."},
                    {"design": "case_series", "sample_size": 14}),
    "systematic-review": ({"title": "Dry needling for knee pain: a systematic review",
                           "sections": "Five trials were included; pooling was not possible."}, {"design": "systematic_review"}),
    "publication-type-trusted": ({"title": "Dry needling in patellofemoral pain", "sections": "Patients were treated.",
                                  "publication_types": ["Randomized Controlled Trial"], "citation_status": "MEDLINE"},
                                 {"design": "rct", "design_source": "publication_types"}),
    "publication-type-automated": ({"title": "Dry needling in patellofemoral pain", "sections": "Patients were treated.",
                                    "publication_types": ["Randomized Controlled Trial"], "citation_status": "MEDLINE",
                                    "indexing_method": "Automated"}, {"design": None}),
    # one group because no control words: only with a sentence that says who was treated, the span
    "one-group-by-absence": ({"title": "Dry needling in patellofemoral pain", "sections": "Twelve patients were treated."},
                             {"design": "single_group_pre_post", "design_span": "Twelve patients were treated.",
                              "groups": 1, "comparator": "none"}),
}


@pytest.fixture(scope="module")
def rows():
    return extract_table({k: spec for k, (spec, _) in CASES.items()})


@pytest.mark.parametrize("case", CASES)
def test_design(rows, case):
    expected = CASES[case][1]
    assert pick(rows[case], expected) == expected
