"""Registry ids from the text, else from PubMed's DataBank list."""

from __future__ import annotations

import pytest

from test_extract_helpers import extract_table, pick

TITLE = "Dry needling for knee osteoarthritis"
CASES = {
    "nct": ({"title": TITLE, "sections": [("TRIAL REGISTRATION", "ClinicalTrials.gov NCT01234567.")]},
            {"registration": "NCT01234567", "registration_source": "abstract"}),
    "irct": ({"title": TITLE, "sections": "The trial was registered (IRCT20170912036136N1)."},
             {"registration": "IRCT20170912036136N1"}),
    "prospero": ({"title": "Dry needling for knee pain: a systematic review", "sections": "PROSPERO CRD42020123456."},
                 {"registration": "CRD42020123456"}),
    "anzctr": ({"title": TITLE, "sections": "Registered with ANZCTR: ACTRN12618000123456."},
               {"registration": "ACTRN12618000123456"}),
    "spaced": ({"title": TITLE, "sections": "Registration: NCT 01234567."}, {"registration": "NCT01234567"}),
    "databank": ({"title": TITLE, "sections": "Patients were treated.", "registry_ids": ["NCT07654321"]},
                 {"registration": "NCT07654321", "registration_source": "databanks"}),
    "databank-not-a-trial": ({"title": TITLE, "sections": "Patients were treated.", "registry_ids": ["GSE12345"]},
                             {"registration": None}),
    "none": ({"title": TITLE, "sections": "Patients were treated for 12345678 seconds."}, {"registration": None}),
}


@pytest.fixture(scope="module")
def rows():
    return extract_table({k: spec for k, (spec, _) in CASES.items()})


@pytest.mark.parametrize("case", CASES)
def test_registration(rows, case):
    expected = CASES[case][1]
    assert pick(rows[case], expected) == expected
