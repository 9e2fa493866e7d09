"""Retractions and errata are flagged wherever a study is listed, from either side of the link."""

from __future__ import annotations

import duckdb
import pytest

from conftest import make_settings
from evidence.pipeline import ingest
from evidence.warehouse.query import search
from warehouse_helpers import Article, query, write_set

OWN_LINK, NOTICE_ONLY, PUB_TYPE, ERRATUM, ERRATUM_NOTICE_ONLY, CLEAN = (
    "99200001", "99200002", "99200003", "99200004", "99200005", "99200006")
RETRACTION_1, RETRACTION_2, ERRATUM_1, ERRATUM_2 = "99200101", "99200102", "99200103", "99200104"
RETRACTED = {OWN_LINK, NOTICE_ONLY, PUB_TYPE}
CORRECTED = {ERRATUM, ERRATUM_NOTICE_ONLY}
TRIALS = RETRACTED | CORRECTED | {CLEAN}

# Views that list studies, and the macros that do.
STUDY_VIEWS = ["all_studies", "relevant_studies", "rcts", "study_outcomes", "study_domains", "study_muscles",
               "study_evidence"]


def notice(pmid: str, kind: str, target: str) -> Article:
    pub_type = {"RetractionOf": "Retraction of Publication", "ErratumFor": "Published Erratum"}[kind]
    return Article(pmid, title=f"Invented notice {pmid}", abstract="This notice concerns an earlier article.",
                   pub_types=[pub_type], comments=[(kind, target)], mesh=[], pages=None)


@pytest.fixture(scope="module")
def flagged(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("flags")
    s = make_settings(tmp)
    write_set(tmp / "flags.xml",
              Article(OWN_LINK, comments=[("RetractionIn", RETRACTION_1)]),
              Article(NOTICE_ONLY),
              Article(PUB_TYPE, pub_types=["Journal Article", "Randomized Controlled Trial", "Retracted Publication"]),
              Article(ERRATUM, comments=[("ErratumIn", ERRATUM_1)]),
              Article(ERRATUM_NOTICE_ONLY),
              Article(CLEAN),
              notice(RETRACTION_1, "RetractionOf", OWN_LINK),
              notice(RETRACTION_2, "RetractionOf", NOTICE_ONLY),
              notice(ERRATUM_1, "ErratumFor", ERRATUM),
              notice(ERRATUM_2, "ErratumFor", ERRATUM_NOTICE_ONLY))
    ingest(s, [tmp / "flags.xml"])
    assert {p for (p,) in query(s.db, "SELECT pmid FROM rcts")} == TRIALS, "the invented trials read as relevant RCTs"
    return s


@pytest.mark.parametrize("view", STUDY_VIEWS)
def test_every_study_listing_carries_the_flags(flagged, view):
    rows = query(flagged.db, f"SELECT DISTINCT pmid, is_retracted, has_erratum FROM {view} WHERE pmid LIKE '992000%'")
    assert rows, view
    for pmid, is_retracted, has_erratum in rows:
        assert is_retracted == (pmid in RETRACTED), (view, pmid)
        assert has_erratum == (pmid in CORRECTED), (view, pmid)


def test_macros_carry_the_flags(flagged):
    rows = query(flagged.db, "SELECT DISTINCT pmid, is_retracted, has_erratum FROM changed_since('2000-01-01') "
                             "WHERE pmid LIKE '992000%'")
    assert {p for p, r, _ in rows if r} == RETRACTED and {p for p, _, e in rows if e} == CORRECTED
    hits = {h["pmid"]: h for h in search(flagged.db, "popliteus", limit=50)}
    assert {p for p, h in hits.items() if h["is_retracted"]} == RETRACTED
    assert {p for p, h in hits.items() if h["has_erratum"]} == CORRECTED


def test_conditions_summary_counts_retracted_studies(flagged):
    assert query(flagged.db, "SELECT retracted FROM conditions_summary WHERE condition = 'knee_oa'") == [(3,)]


def test_retractions_links_each_article_to_its_notice_both_ways(flagged):
    rows = query(flagged.db, "SELECT pmid, link_kind, ref_type, ref_pmid, linked_title, relevant FROM retractions "
                             "WHERE pmid LIKE '992000%' ORDER BY pmid")
    assert [(p, k, t, r) for p, k, t, r, _, _ in rows] == [
        (OWN_LINK, "retraction", "RetractionIn", RETRACTION_1),
        (NOTICE_ONLY, "retraction", "RetractionIn", RETRACTION_2),
        (PUB_TYPE, "retraction", None, None),
        (ERRATUM, "erratum", "ErratumIn", ERRATUM_1),
        (ERRATUM_NOTICE_ONLY, "erratum", "ErratumIn", ERRATUM_2),
    ]
    assert [t for *_, t, _ in rows if t] == [f"Invented notice {p}" for p in
                                             (RETRACTION_1, RETRACTION_2, ERRATUM_1, ERRATUM_2)]
    assert all(rel for *_, rel in rows)
    notices = query(flagged.db, "SELECT pmid, is_notice, ref_type, ref_pmid FROM retractions "
                                "WHERE pmid LIKE '992001%' ORDER BY pmid")
    assert notices == [(RETRACTION_1, True, "RetractionOf", OWN_LINK), (RETRACTION_2, True, "RetractionOf", NOTICE_ONLY),
                       (ERRATUM_1, True, "ErratumFor", ERRATUM), (ERRATUM_2, True, "ErratumFor", ERRATUM_NOTICE_ONLY)]


def test_a_clean_trial_is_not_in_retractions(flagged):
    assert query(flagged.db, "SELECT count(*) FROM retractions WHERE pmid = ?", [CLEAN]) == [(0,)]


def test_a_deleted_notice_no_longer_flags_its_article(flagged, tmp_path):
    import shutil
    db = tmp_path / "copy.duckdb"
    shutil.copyfile(flagged.db, db)
    con = duckdb.connect(str(db))
    con.execute("UPDATE articles SET is_deleted = true WHERE pmid = ?", [RETRACTION_2])
    con.close()
    assert query(db, "SELECT is_retracted FROM relevant_studies WHERE pmid = ?", [NOTICE_ONLY]) == [(False,)]
