"""Full-text search (BM25 via DuckDB fts loaded by path): the library call, the SQL macro, the output formats."""

from __future__ import annotations

import csv
import io
import json

import duckdb
import pytest

from conftest import make_settings
from evidence.errors import EvidenceError, WarehouseError
from evidence.pipeline import ingest
from evidence.warehouse.db import migrate
from evidence.warehouse.query import format_hits, search
from evidence.warehouse.search import fts_extension_path
from warehouse_helpers import Article, query, write_set


def test_search_ranks_articles_that_mention_the_words(snapshot_warehouse):
    hits = search(snapshot_warehouse.db, "popliteus pain", limit=5)
    assert 1 <= len(hits) <= 5
    assert list(hits[0]) == ["pmid", "title", "year", "score", "is_retracted", "has_erratum", "relevant",
                             "design", "condition"]
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True) and scores[-1] > 0
    top_text = query(snapshot_warehouse.db, "SELECT lower(coalesce(title, '') || ' ' || coalesce(abstract, '')) "
                     "FROM articles WHERE pmid = ?", [hits[0]["pmid"]])[0][0]
    assert "popliteus" in top_text  # the rare word outweighs the common one


def test_search_finds_stemmed_forms_and_respects_the_limit(snapshot_warehouse):
    db = snapshot_warehouse.db
    needled = {h["pmid"] for h in search(db, "needles", limit=100)}
    mentions = {p for (p,) in query(db, "SELECT pmid FROM articles WHERE lower(coalesce(title, '') || ' ' || "
                                        "coalesce(abstract, '')) SIMILAR TO '.*\\bneedl(e|es|ed|ing)\\b.*'")}
    assert mentions and mentions <= needled
    assert len(search(db, "needling", limit=3)) == 3


def test_no_hits_is_an_empty_list_and_says_so(snapshot_warehouse):
    assert search(snapshot_warehouse.db, "zzyzzyx") == []
    assert format_hits([], "text").startswith("no articles match")
    assert json.loads(format_hits([], "json")) == []


def test_empty_search_text_is_refused(snapshot_warehouse):
    with pytest.raises(EvidenceError, match="give some words"):
        search(snapshot_warehouse.db, "  ")


def test_a_warehouse_without_the_index_says_how_to_add_it(tmp_path):
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    migrate(con)
    con.close()
    with pytest.raises(WarehouseError, match="evidence rebuild"):
        search(db, "knee")


def test_hits_as_text_csv_and_json(snapshot_warehouse):
    hits = search(snapshot_warehouse.db, "popliteus", limit=3)
    text = format_hits(hits, "text").splitlines()
    assert text[0].split() == ["score", "PMID", "year", "title"]
    first = hits[0]
    assert first["pmid"] in text[1] and str(first["year"]) in text[1] and f"{first['score']:.3f}" in text[1]
    rows = list(csv.DictReader(io.StringIO(format_hits(hits, "csv"))))
    assert [r["pmid"] for r in rows] == [h["pmid"] for h in hits]
    assert [float(r["score"]) for r in rows] == [h["score"] for h in hits]
    assert json.loads(format_hits(hits, "json")) == hits


def test_retracted_hits_are_flagged_in_text(snapshot_warehouse):
    retracted = query(snapshot_warehouse.db, "SELECT pmid, title FROM articles WHERE is_retracted")
    assert retracted
    pmid, title = retracted[0]
    word = max((w for w in title.split() if w.isalpha()), key=len)
    hits = [h for h in search(snapshot_warehouse.db, word, limit=50) if h["pmid"] == pmid]
    assert hits and hits[0]["is_retracted"]
    assert "[RETRACTED]" in format_hits(hits, "text")


def test_a_plain_duckdb_reader_loads_fts_by_path_then_calls_the_macro(snapshot_warehouse):
    """What docs/warehouse.md tells a clinician to do in their own DuckDB session."""
    con = duckdb.connect(str(snapshot_warehouse.db), read_only=True)
    try:
        con.execute("SET autoinstall_known_extensions = false")
        with pytest.raises(duckdb.Error):
            con.execute("SELECT * FROM search_articles('popliteus')").fetchall()
        con.execute(f"LOAD '{fts_extension_path()}'")
        rows = con.execute("SELECT pmid, title, year, score FROM search_articles('popliteus')").fetchall()
    finally:
        con.close()
    assert [r[0] for r in rows] == [h["pmid"] for h in search(snapshot_warehouse.db, "popliteus")]


def test_tied_scores_are_ordered_by_pmid_as_a_number_every_time(tmp_path):
    """Articles with the same text score the same: they come by PMID (as numbers: 9000010 before
    90000009 before 100000001), however the file ordered them and however often one searches."""
    same = dict(title="Popliteus release for posterolateral knee pain",
                abstract="The popliteus was released in runners with posterolateral knee pain.")
    tied = ["90000011", "100000001", "90000009", "9000010", "90000100"]
    better = Article("90000200", title="Popliteus knee pain", abstract="Popliteus knee pain.")  # shorter: scores more
    worse = Article("1000", title="Knee pain in runners", abstract="Runners with posterolateral knee pain.")
    s = make_settings(tmp_path)
    ingest(s, [write_set(tmp_path / "tied.xml", worse, *(Article(p, **same) for p in tied), better)])
    expected = ["90000200", "9000010", "90000009", "90000011", "90000100", "100000001", "1000"]
    runs = [search(s.db, "popliteus knee pain") for _ in range(5)]
    for hits in runs:
        assert [h["pmid"] for h in hits] == expected
        assert len({h["score"] for h in hits if h["pmid"] in tied}) == 1  # tied as shown, too
    assert all(hits == runs[0] for hits in runs)
    con = duckdb.connect(str(s.db), read_only=True)
    try:  # a reader's own session, and a query that orders the macro's rows again
        con.execute(f"LOAD '{fts_extension_path()}'")
        assert [p for (p,) in con.execute("SELECT pmid FROM search_articles('popliteus knee pain')").fetchall()] \
            == expected
        assert con.execute("SELECT pmid FROM search_articles('popliteus knee pain') "
                           "ORDER BY score DESC, pmid::BIGINT").fetchall() == [(p,) for p in expected]
    finally:
        con.close()
