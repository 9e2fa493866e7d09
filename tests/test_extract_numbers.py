"""Sample size, arms and included studies, from synthetic sentences."""

from __future__ import annotations

import pytest

from test_extract_helpers import extract_table, pick

KNEE = "Dry needling for knee osteoarthritis"
CASES = {
    "word-number": ({"title": KNEE, "sections": "Forty-two patients with knee osteoarthritis were randomized to dry needling or sham."},
                    {"sample_size": 42}),
    "spaced-word-number": ({"title": KNEE, "sections": "In total, twenty four participants were enrolled and randomly assigned to two groups."},
                           {"sample_size": 24, "groups": 2}),
    "per-arm-sum": ({"title": KNEE, "sections": "Participants were randomly allocated to dry needling (n = 18) or sham needling (n = 20)."},
                    {"sample_size": 38, "groups": 2}),
    "randomised-not-completers": ({"title": KNEE, "sections": "Sixty patients were randomised and 52 completed the study."},
                                  {"sample_size": 60}),
    "completers-only-abstains": ({"title": KNEE, "sections": "Fifty-two patients completed the study and were analysed."},
                                 {"sample_size": None}),
    "total-of": ({"title": KNEE, "sections": "A total of 1,024 adults with knee pain were recruited."}, {"sample_size": 1024}),
    "three-arms": ({"title": KNEE, "sections": "Patients were randomized into three groups: dry needling, exercise, or both."},
                   {"groups": 3}),
    "review-studies": ({"title": "Dry needling for knee pain: a systematic review and meta-analysis",
                        "sections": [("RESULTS", "Seven studies involving 291 patients were included in the meta-analysis.")]},
                       {"design": "meta_analysis", "n_studies": 7, "groups": None}),
    # found by tests/test_fuzz.py: a count of zero is no sample size
    "zero-is-no-count": ({"title": None, "sections": "0 patients with knee osteoarthritis were randomized to dry needling or sham."},
                         {"sample_size": None}),
    "case-report-is-one": ({"title": "Dry needling of the knee after total knee arthroplasty: a case report",
                            "sections": "We report a 63-year-old woman treated with dry needling."},
                           {"design": "case_report", "sample_size": 1}),
}


@pytest.fixture(scope="module")
def rows():
    return extract_table({k: spec for k, (spec, _) in CASES.items()})


@pytest.mark.parametrize("case", CASES)
def test_counts(rows, case):
    expected = CASES[case][1]
    assert pick(rows[case], expected) == expected
