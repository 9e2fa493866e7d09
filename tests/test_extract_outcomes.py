"""Outcome instruments (canonical short names, spelled-out forms included) and outcome domains."""

from __future__ import annotations

import pytest

from test_extract_helpers import extract_table

# spelled-out or abbreviated form -> canonical name (corpus vocabulary)
SYNONYMS = {
    "a visual analogue scale": "VAS", "the visual analog scale": "VAS", "the numeric pain rating scale": "NPRS",
    "the numerical rating scale (NRS)": "NPRS", "the Western Ontario and McMaster Universities Osteoarthritis Index": "WOMAC",
    "the Knee injury and Osteoarthritis Outcome Score": "KOOS", "the Knee Society Score": "KSS", "the Lysholm score": "Lysholm",
    "the Kujala questionnaire": "Kujala", "the Anterior Knee Pain Scale": "Kujala", "the AKPS": "Kujala",
    "the VISA-P questionnaire": "VISA-P", "the Tegner activity scale": "Tegner",
    "the International Knee Documentation Committee form": "IKDC", "the Lower Extremity Functional Scale": "LEFS",
    "the Timed Up and Go test": "TUG", "the six-minute walk test": "6MWT", "the 6MWT": "6MWT",
    "the star excursion balance test": "SEBT", "the modified Star Excursion Balance Test": "SEBT",
    "pressure pain thresholds": "PPT", "algometry": "PPT", "conditioned pain modulation": "CPM",
    "goniometry": "ROM", "knee range of motion": "ROM", "hand-held dynamometry": "strength",
    "manual muscle testing": "strength", "surface electromyography": "EMG", "ultrasonography": "ultrasound",
    "the SF-36": "SF-36", "the Short Form-12": "SF-12", "the EQ-5D": "EQ-5D", "the Tampa Scale of Kinesiophobia": "TSK",
    "the Pain Catastrophizing Scale": "PCS", "the global rating of change": "GROC",
    "the Patient-Specific Functional Scale": "PSFS", "analgesic consumption": "medication_use",
}
DOMAINS = {
    "pain-function": ("Pain intensity and physical function were assessed with the WOMAC.", {"pain", "function"}),
    "stiffness": ("Stiffness and quality of life were measured.", {"stiffness", "quality_of_life"}),
    "psych": ("Kinesiophobia was measured with the Tampa Scale of Kinesiophobia.", {"psychological"}),
    "ppt-rom": ("Pressure pain thresholds and knee range of motion were recorded.", {"pressure_pain_threshold", "range_of_motion"}),
    "gait": ("Gait speed and walking speed were recorded.", {"gait"}),
}
TITLE = "Dry needling for knee osteoarthritis"


@pytest.fixture(scope="module")
def rows():
    cases = {f"syn{i}": {"title": TITLE, "sections": [("METHODS", f"The outcome was measured with {form}.")]}
             for i, form in enumerate(SYNONYMS)}
    cases |= {k: {"title": TITLE, "sections": [("METHODS", text)]} for k, (text, _) in DOMAINS.items()}
    cases["guided"] = {"title": TITLE, "sections": [("METHODS", "Ultrasound-guided dry needling was applied. Pain was rated on a VAS.")]}
    cases["background"] = {"title": TITLE, "sections": [("BACKGROUND", "The WOMAC is widely used in osteoarthritis."),
                                                        ("METHODS", "Pain was rated on a VAS.")]}
    return extract_table(cases)


@pytest.mark.parametrize("form", SYNONYMS)
def test_instrument_names(rows, form):
    row = rows[f"syn{list(SYNONYMS).index(form)}"]
    assert row["outcome_instruments"] == [SYNONYMS[form]]


@pytest.mark.parametrize("case", DOMAINS)
def test_domains(rows, case):
    assert DOMAINS[case][1] <= set(rows[case]["outcome_domains"])


def test_needle_guidance_and_background_are_not_outcomes(rows):
    assert rows["guided"]["outcome_instruments"] == ["VAS"]
    assert rows["background"]["outcome_instruments"] == ["VAS"]


# an outcome named by its construct: the domain always, the instrument only when the text names one
CONSTRUCTS = {
    "kinesiophobia-alone": ("Pain, strength, range of motion and kinesiophobia were evaluated at baseline.",
                            ["strength", "ROM"], {"pain", "strength", "range_of_motion", "psychological"}),
    "kinesiophobia-scale": ("Fear of movement was measured with the scale of kinesiophobia (TSK-11).", ["TSK"], {"psychological"}),
    "catastrophizing-alone": ("Pain catastrophizing and anxiety were recorded.", [], {"psychological"}),
    "strength-training": ("Both groups followed strength training and stretching for 6 weeks.", [], set()),
    "strength-of-evidence": ("The strength of evidence was rated with GRADE.", [], set()),
}


@pytest.fixture(scope="module")
def construct_rows():
    return extract_table({k: {"title": TITLE, "sections": [("METHODS", text)]} for k, (text, _, _) in CONSTRUCTS.items()})


@pytest.mark.parametrize("case", CONSTRUCTS)
def test_outcomes_named_by_construct(construct_rows, case):
    _, instruments, domains = CONSTRUCTS[case]
    row = construct_rows[case]
    assert row["outcome_instruments"] == instruments
    assert domains <= set(row["outcome_domains"])
