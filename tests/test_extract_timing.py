"""Treatment length, latest follow-up (weeks from baseline) and follow-up points as written."""

from __future__ import annotations

import pytest

from test_extract_helpers import extract_table, pick

KNEE = "Dry needling for knee osteoarthritis"


def methods(text: str) -> dict:
    return {"title": KNEE, "sections": [("METHODS", text)]}


CASES = {
    "and-list": (methods("Pain was assessed at baseline and at 3- and 6-month follow-up."),
                 {"max_follow_up_weeks": 26.0, "follow_up_points": ["3- and 6-month follow-up"]}),
    "week-and-month": (methods("Pain was measured at baseline and at 1 week, 1 month after treatment."),
                       {"max_follow_up_weeks": 4.345, "follow_up_points": ["1 week", "1 month"]}),
    "after-programme": (methods("Dry needling was given for 3 weeks. Pain was assessed 3 months after the end of treatment."),
                        {"treatment_duration_weeks": 3.0, "max_follow_up_weeks": 16.0}),
    "single-session": (methods("Participants received a single session of dry needling. Pain was measured immediately after the intervention."),
                       {"treatment_duration_weeks": 0.0, "max_follow_up_weeks": 0.0}),
    "text-order": (methods("Outcomes were measured at week 4 and at the 3-month follow-up."),
                   {"max_follow_up_weeks": 13.0, "follow_up_points": ["week 4", "3-month follow-up"]}),
    "word-numbers": (methods("Pain was evaluated at four weeks and at twelve weeks."),
                     {"max_follow_up_weeks": 12.0, "follow_up_points": ["4 weeks", "12 weeks"]}),
    "sessions-per-week": (methods("Dry needling was applied once a week for 4 sessions."), {"treatment_duration_weeks": 4.0}),
    # 1 month = 4.345 weeks, but whole quarters are 13 weeks: 3, 6, 9, 12, 24 months = 13, 26, 39, 52, 104
    "two-months": (methods("Pain was assessed at 2 months."), {"max_follow_up_weeks": 8.69}),
    "nine-months": (methods("Pain was assessed at 1, 9 and 4 months."), {"max_follow_up_weeks": 39.0}),
    "twelve-months": (methods("Pain was assessed at the 12-month follow-up."), {"max_follow_up_weeks": 52.0}),
    "twenty-four-months": (methods("Outcomes were measured at twenty-four months."), {"max_follow_up_weeks": 104.0}),
    "one-year": (methods("Outcomes were measured at 1 year follow-up."), {"max_follow_up_weeks": 52.0}),
    "half-month": (methods("Pain was assessed at 1.5 months."), {"max_follow_up_weeks": 6.518}),
    # found by tests/test_fuzz.py: "0 weeks" is no follow-up time
    "zero-is-no-time": ({"title": None, "sections": "Pain and function were measured at baseline, 0 weeks and 0 months."},
                        {"max_follow_up_weeks": None}),
    "not-times": (methods("Patients aged 40-65 years with pain for at least 3 months walked in the 6-minute walk test."),
                  {"max_follow_up_weeks": None, "follow_up_points": []}),
}


@pytest.fixture(scope="module")
def rows():
    return extract_table({k: spec for k, (spec, _) in CASES.items()})


@pytest.mark.parametrize("case", CASES)
def test_times(rows, case):
    expected = CASES[case][1]
    assert pick(rows[case], expected) == expected
