"""Adverse events, direction of the findings and GRADE certainty."""

from __future__ import annotations

import pytest

from test_extract_helpers import extract_table, pick

KNEE = "Dry needling versus sham for knee osteoarthritis"
METHODS = ("METHODS", "Forty patients with knee osteoarthritis were randomized to dry needling or sham needling.")


def trial(*sections: tuple[str, str], title: str = KNEE) -> dict:
    return {"title": title, "sections": [METHODS, *sections]}


REVIEW = "Dry needling for knee pain: a systematic review and meta-analysis"
CASES = {
    "ae-none": (trial(("RESULTS", "No adverse events were reported.")), {"adverse_events": "none_reported"}),
    "ae-none-passive": (trial(("RESULTS", "Side effects were not observed in either group.")), {"adverse_events": "none_reported"}),
    "ae-some": (trial(("RESULTS", "Mild post-needling soreness occurred in 3 patients.")), {"adverse_events": "reported"}),
    "ae-planned": ({"title": "Dry needling for knee osteoarthritis: a trial protocol",
                    "sections": "Sixty patients will be randomized. Side effects will be recorded."},
                   {"adverse_events": "not_mentioned", "design": "protocol", "direction": "not_applicable"}),
    "ae-absent": (trial(("RESULTS", "Pain decreased in both groups.")), {"adverse_events": "not_mentioned"}),
    "favours": (trial(("CONCLUSIONS", "Dry needling was more effective than sham needling in reducing pain.")),
                {"direction": "favours_dry_needling"}),
    "no-difference": (trial(("RESULTS", "Pain improved within both groups."),
                            ("CONCLUSIONS", "There were no significant differences between groups.")),
                      {"direction": "no_difference"}),
    "mixed": (trial(("CONCLUSIONS", "Dry needling was superior for pain at 4 weeks, but no significant differences were found at 12 weeks.")),
              {"direction": "mixed"}),
    "favours-comparator": (trial(("CONCLUSIONS", "Shockwave therapy was more effective than dry needling."),
                                 title="Dry needling versus shockwave for knee osteoarthritis"),
                           {"direction": "favours_comparator"}),
    "cut-short": (trial(), {"direction": "unclear"}),
    "not-relevant": ({"title": "Dry needling for neck pain", "sections": [("CONCLUSIONS", "Dry needling was effective.")]},
                     {"direction": "not_applicable"}),
    "grade-low": ({"title": REVIEW, "sections": [("RESULTS", "Seven studies were included."),
                                                 ("CONCLUSIONS", "Low certainty evidence suggests that dry needling reduces knee pain.")]},
                  {"design": "meta_analysis", "certainty": "low", "direction": "favours_dry_needling"}),
    "grade-moderate": ({"title": REVIEW, "sections": [("RESULTS", "The quality of evidence was rated as moderate.")]},
                       {"certainty": "moderate"}),
    "grade-needed": ({"title": REVIEW, "sections": [("CONCLUSIONS", "High-quality trials are needed.")]}, {"certainty": None}),
    "trial-has-no-certainty": (trial(("RESULTS", "The quality of evidence was rated as moderate.")), {"certainty": None}),
}


@pytest.fixture(scope="module")
def rows():
    return extract_table({k: spec for k, (spec, _) in CASES.items()})


@pytest.mark.parametrize("case", CASES)
def test_results(rows, case):
    expected = CASES[case][1]
    assert pick(rows[case], expected) == expected


def test_an_abstract_cut_off_mid_sentence_is_unclear_not_a_result():
    from test_extract_helpers import article, frame
    from evidence.extract import extract_studies

    rows = [article("1", "Dry needling for patellofemoral pain", [(None, "Twenty runners with patellofemoral pain "
                     "were treated with dry needling of the vastus lateralis. Dry needling may help runners with")])]
    out = extract_studies(frame(rows)).row(0, named=True)
    assert out["direction"] == "unclear"
