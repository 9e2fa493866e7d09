"""History: every article version and every set of extracted facts is kept, with when and what.

A copy of the snapshot warehouse receives modified versions of one of its trials (written to
tmp_path): a new abstract under PMID Version 2, a RetractionIn link, a new MeSH heading, and an
extractor update. Each shows in article_history(pmid), changes and changed_since.
"""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest
from lxml import etree

import evidence.extract
from evidence.pipeline import ingest
from warehouse_helpers import TRIAL_ABSTRACT, copy_warehouse, query, snapshot_record, to_xml, write_set

NEW_SIZE = 60  # the sample size TRIAL_ABSTRACT states


def history(db, pmid: str) -> list[dict]:
    cols = ["changed_at", "change", "what", "details", "version", "extractor_version", "run_id", "run_kind"]
    return [dict(zip(cols, r)) for r in query(db, f"SELECT {', '.join(cols)} FROM article_history(?)", [pmid])]


def run_window(db, run_id: str) -> tuple[dt.datetime, dt.datetime]:
    return query(db, "SELECT started_at, finished_at FROM runs WHERE run_id = ?", [run_id])[0]


@pytest.fixture
def trial(snapshot_warehouse, tmp_path):
    """A private warehouse copy and the PMID of a snapshot RCT whose abstract states another sample size."""
    s = copy_warehouse(snapshot_warehouse, tmp_path)
    rows = query(s.db, "SELECT pmid, sample_size FROM rcts WHERE sample_size IS NOT NULL AND sample_size <> ? "
                       "ORDER BY pmid LIMIT 1", [NEW_SIZE])
    pmid, size = rows[0]
    return s, pmid, size


def new_version(pmid: str) -> etree._Element:
    """The snapshot record as PubMed's version 2, with a new abstract."""
    el = snapshot_record(pmid)
    el.find("MedlineCitation/PMID").set("Version", "2")
    abstract = el.find("MedlineCitation/Article/Abstract")
    for child in list(abstract):
        abstract.remove(child)
    etree.SubElement(abstract, "AbstractText").text = TRIAL_ABSTRACT
    return el


def add_comment(el: etree._Element, ref_type: str, ref_pmid: str) -> etree._Element:
    mc = el.find("MedlineCitation")
    lst = mc.find("CommentsCorrectionsList")
    if lst is None:
        lst = etree.SubElement(mc, "CommentsCorrectionsList")
    cc = etree.SubElement(lst, "CommentsCorrections", RefType=ref_type)
    etree.SubElement(cc, "RefSource").text = "Invented notice"
    etree.SubElement(cc, "PMID", Version="1").text = ref_pmid
    return el


def add_mesh(el: etree._Element, heading: str) -> etree._Element:
    mc = el.find("MedlineCitation")
    lst = mc.find("MeshHeadingList")
    if lst is None:
        lst = etree.SubElement(mc, "MeshHeadingList")
    mh = etree.SubElement(lst, "MeshHeading")
    etree.SubElement(mh, "DescriptorName", UI="D999999", MajorTopicYN="N").text = heading
    return el


def load(s, tmp_path, name: str, el: etree._Element):
    path = write_set(tmp_path / f"{name}.xml", to_xml(el))
    return ingest(s, [path])


def test_a_new_abstract_version_is_a_new_article_version_and_new_facts(trial, tmp_path):
    s, pmid, old_size = trial
    before = history(s.db, pmid)
    assert [h["change"] for h in before] == ["article new", "facts extracted"]
    report = load(s, tmp_path, "v2", new_version(pmid))
    assert report.updated == 1
    after = history(s.db, pmid)
    assert after[:2] == before
    article, facts = after[2:]
    start, end = run_window(s.db, report.run_id)
    assert article["change"] == "article updated" and article["version"] == 2
    assert {"version", "abstract"} <= set(article["details"])
    assert article["what"].startswith("changed: ") and "abstract" in article["what"]
    assert article["run_id"] == facts["run_id"] == report.run_id and article["run_kind"] == "ingest"
    assert start <= article["changed_at"] <= end
    assert facts["change"] == "facts extracted"
    assert f"sample_size: {old_size} -> {NEW_SIZE}" in facts["what"]
    assert query(s.db, "SELECT sample_size FROM studies WHERE pmid = ?", [pmid]) == [(NEW_SIZE,)]
    versions = query(s.db, "SELECT version FROM article_versions WHERE pmid = ? ORDER BY recorded_at", [pmid])
    assert versions == [(1,), (2,)]
    facts_rows = query(s.db, "SELECT facts FROM study_versions WHERE pmid = ? ORDER BY recorded_at", [pmid])
    assert [json.loads(f)["sample_size"] for (f,) in facts_rows] == [old_size, NEW_SIZE]


def test_a_retraction_link_added_later_shows_in_history_and_flags(trial, tmp_path):
    s, pmid, _ = trial
    load(s, tmp_path, "v2", new_version(pmid))
    assert query(s.db, "SELECT is_retracted FROM all_studies WHERE pmid = ?", [pmid]) == [(False,)]
    report = load(s, tmp_path, "retracted", add_comment(new_version(pmid), "RetractionIn", "99300001"))
    last = history(s.db, pmid)[-1]
    assert last["change"] == "article updated" and last["details"] == ["corrections"]
    assert last["what"] == "changed: corrections" and last["run_id"] == report.run_id
    assert query(s.db, "SELECT is_retracted FROM all_studies WHERE pmid = ?", [pmid]) == [(True,)]
    assert query(s.db, "SELECT ref_type, ref_pmid FROM retractions WHERE pmid = ?", [pmid]) == \
        [("RetractionIn", "99300001")]


def test_a_new_mesh_heading_is_an_article_change(trial, tmp_path):
    s, pmid, _ = trial
    load(s, tmp_path, "v2", new_version(pmid))
    report = load(s, tmp_path, "mesh", add_mesh(new_version(pmid), "Invented Heading"))
    last = history(s.db, pmid)[-1]
    assert (last["change"], last["details"], last["run_id"]) == ("article updated", ["mesh"], report.run_id)
    assert ("Invented Heading",) in query(s.db, "SELECT descriptor FROM mesh_terms WHERE pmid = ?", [pmid])


def test_the_same_record_again_adds_no_history(trial, tmp_path):
    s, pmid, _ = trial
    load(s, tmp_path, "v2", new_version(pmid))
    n = len(history(s.db, pmid))
    report = load(s, tmp_path, "v2-again", new_version(pmid))
    assert (report.updated, report.unchanged) == (0, 1)
    assert len(history(s.db, pmid)) == n


def test_an_extractor_update_records_new_facts_with_its_version(trial, tmp_path, monkeypatch):
    s, pmid, _ = trial
    load(s, tmp_path, "v2", new_version(pmid))
    original = evidence.extract.extract_studies

    def improved(articles: pl.DataFrame, conditions=None) -> pl.DataFrame:
        out = original(articles, conditions).with_columns(pl.lit("9999.1").alias("extractor_version"))
        return out.with_columns(pl.when(pl.col("pmid") == pmid).then(pl.col("sample_size") + 1)
                                .otherwise(pl.col("sample_size")).alias("sample_size"))

    monkeypatch.setattr(evidence.extract, "extract_studies", improved)
    monkeypatch.setattr(evidence.extract, "EXTRACTOR_VERSION", "9999.1")
    report = load(s, tmp_path, "v2-reextracted", new_version(pmid))
    assert (report.updated, report.extractor_version) == (0, "9999.1")
    last = history(s.db, pmid)[-1]
    assert last["change"] == "facts extracted" and last["extractor_version"] == "9999.1"
    # only the fact that changed is listed (re-extracting the same text must give the same facts)
    assert last["what"] == f"extractor 9999.1: sample_size: {NEW_SIZE} -> {NEW_SIZE + 1}"
    assert last["run_id"] == report.run_id
    changed = query(s.db, "SELECT changed_facts, previous_extractor_version FROM study_changes "
                          "WHERE pmid = ? ORDER BY changed_at DESC LIMIT 1", [pmid])
    assert changed[0][0] == ["sample_size"] and changed[0][1] != "9999.1"
    assert query(s.db, "SELECT extractor_version FROM runs WHERE run_id = ?", [report.run_id]) == [("9999.1",)]


def test_changed_since_lists_only_changes_from_that_time(trial, tmp_path):
    s, pmid, _ = trial
    report = load(s, tmp_path, "v2", new_version(pmid))
    start, _ = run_window(s.db, report.run_id)
    rows = query(s.db, "SELECT pmid, change, title FROM changed_since(?)", [start])
    assert [(p, c) for p, c, _ in rows] == [(pmid, "article updated"), (pmid, "facts extracted")]
    assert rows[0][2] == query(s.db, "SELECT title FROM articles WHERE pmid = ?", [pmid])[0][0]
    everything = query(s.db, "SELECT count(*) FROM changed_since('1900-01-01')")[0][0]
    assert everything == query(s.db, "SELECT (SELECT count(*) FROM article_versions) + "
                                     "(SELECT count(*) FROM study_versions)")[0][0]
