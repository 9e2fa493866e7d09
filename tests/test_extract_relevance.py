"""Relevance (dry needling for a knee condition in people who have it), condition, technique, muscles."""

from __future__ import annotations

import pytest

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
