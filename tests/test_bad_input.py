"""Malformed, hostile or odd XML given to `evidence ingest`: a clear message (exit 4) or a clean skip
with a count (exit 0) -- never a crash, never a partial load, entities never expanded or fetched.

Each case runs the real command line (``evidence.cli.main(["ingest", ...])``) on a warehouse that
already holds the snapshot; for errors the warehouse file and the raw landing must be unchanged.
"""

from __future__ import annotations

import datetime as dt
import re
import gzip
import shutil
import time
from pathlib import Path

import pyarrow
import pytest
from lxml import etree

from conftest import SNAPSHOT, q, sha
from evidence.cli import main as cli_main
from evidence import land
from ncbi_server import NCBIServer, Reply


def record(pmid: str, abstract: str = "Dry needling of the knee was studied.", version: int = 1) -> str:
    return (f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="{version}">{pmid}</PMID>'
            f"<Article><ArticleTitle>Dry needling for knee pain</ArticleTitle><Abstract><AbstractText>{abstract}"
            "</AbstractText></Abstract></Article></MedlineCitation></PubmedArticle>")


def article_set(*records: str, doctype: str = "") -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}<PubmedArticleSet>{"".join(records)}</PubmedArticleSet>'


def zstd(data: bytes) -> bytes:
    """``data`` as a .zst file holds it (one zstd frame)."""
    return pyarrow.Codec("zstd", 3).compress(data, asbytes=True)


LAUGHS = ("<!DOCTYPE PubmedArticleSet [\n<!ENTITY lol0 \"lol\">\n"
          + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">\n' for i in range(1, 10)) + "]>\n")




@pytest.fixture
def wh(tmp_path, snapshot_warehouse, monkeypatch):
    """A warehouse holding the snapshot, chosen through the environment as a user would."""
    db = tmp_path / "w" / "evidence.duckdb"
    db.parent.mkdir()
    shutil.copyfile(snapshot_warehouse.db, db)
    monkeypatch.setenv("EVIDENCE_DB", str(db))
    monkeypatch.delenv("EVIDENCE_CONFIG", raising=False)
    monkeypatch.delenv("EVIDENCE_RAW", raising=False)
    monkeypatch.chdir(tmp_path)
    return db


def ingest(*paths: Path) -> int:
    return cli_main(["ingest", "-q", *map(str, paths)])


# (name, file name, content, message on stderr)
REFUSED = [
    ("not XML", "notes.xml", b"PMID 12345 - dry needling, knee\n", "not well-formed XML"),
    ("wrong root", "search.xml", b"<eSearchResult><Count>3</Count></eSearchResult>",
     "the root element is <eSearchResult>, not <PubmedArticleSet>"),
    ("billion laughs", "laughs.xml", article_set(record("90000001", "&lol9;"), doctype=LAUGHS).encode(),
     "entity bomb.*amplification"),
    ("invalid UTF-8", "latin.xml", article_set(record("90000002", "caf\udcff")).encode("utf-8", "surrogateescape"),
     "not well-formed XML.*(encoding|UTF-8)"),
    ("empty file", "empty.xml", b"", "the file is empty"),
    ("truncated", "cut.xml", article_set(record("90000003")).encode()[:150], "not well-formed XML"),
    ("damaged gzip", "export.xml.gz", gzip.compress(article_set(record("90000004")).encode())[:60],
     r"cannot be read as gzip-compressed XML \(.*\); the file is damaged or not gzip"),
    ("damaged zstd", "export.xml.zst", (lambda z: z[:9000] + b"x" * 64 + z[9064:])(zstd(SNAPSHOT.read_bytes())),
     r"cannot be read as zstd-compressed XML \(.*\); the file is damaged — download it again"),
    ("truncated zstd", "export.xml.zst", zstd(SNAPSHOT.read_bytes())[:-100],
     r"cannot be read as zstd-compressed XML \(Truncated compressed stream\); the file is damaged"),
    ("empty zstd", "empty.xml.zst", zstd(b""), "the file is empty"),
    ("PMID not a number", "odd.xml", article_set(record("PMC12345")).encode(), "which is not a PubMed id"),
    ("HTML page", "page.xml", b"<html><head><title>PubMed</title></head><body>Sign in</body></html>",
     "the root element is <html>"),
]


@pytest.mark.parametrize("name,filename,content,message", REFUSED, ids=[r[0] for r in REFUSED])
def test_bad_file_is_refused_clearly_and_nothing_is_loaded(name, filename, content, message, wh, tmp_path, capsys):
    good = tmp_path / "good.xml"
    good.write_text(article_set(record("90000099")))
    bad = tmp_path / filename
    bad.write_bytes(content)
    before, raw_before = sha(wh), land.raw_files(wh.parent / "raw")
    started = time.perf_counter()
    assert ingest(good, bad) == 4
    assert time.perf_counter() - started < 30
    err = capsys.readouterr().err
    assert err.startswith("evidence ingest: error: ") and err.count("\n") == 1, err
    assert str(bad) in err
    import re
    assert re.search(message, err), err
    assert "Traceback" not in err
    assert sha(wh) == before  # not even the good file was loaded
    assert land.raw_files(wh.parent / "raw") == raw_before
    assert not list(wh.parent.glob(".*.staging*"))


def test_missing_file_is_refused_before_any_work(wh, tmp_path, capsys):
    before = sha(wh)
    assert ingest(SNAPSHOT, tmp_path / "nope.xml") == 4
    assert "nope.xml: no such file" in capsys.readouterr().err
    assert sha(wh) == before and not (wh.parent / "raw").exists()


def test_a_folder_is_refused_before_any_work_saying_what_to_give(wh, tmp_path, capsys):
    folder = tmp_path / "exports"
    folder.mkdir()
    before = sha(wh)
    assert ingest(SNAPSHOT, folder) == 4
    err = capsys.readouterr().err
    assert f"{folder}: a folder, not a file; give the PubMed XML files in it (e.g. {folder}/*.xml.gz)" in err, err
    assert sha(wh) == before and not (wh.parent / "raw").exists()


@pytest.fixture
def listener():
    """A local server that counts requests: an external entity or DTD must never be fetched."""
    server = NCBIServer(fallback=Reply(200, "<!ENTITY stolen 'FETCHED-FROM-NETWORK'>")).start()
    yield server
    server.stop()


def test_external_entities_and_dtds_are_neither_expanded_nor_fetched(wh, tmp_path, listener, capsys):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    doctype = (f'<!DOCTYPE PubmedArticleSet SYSTEM "{listener.url}pubmed.dtd" [\n'
               f'<!ENTITY file SYSTEM "file://{secret}">\n<!ENTITY web SYSTEM "{listener.url}entity">\n'
               f'<!ENTITY % remote SYSTEM "{listener.url}param"> %remote;\n]>\n')
    f = tmp_path / "xxe.xml"
    f.write_text(article_set(record("90000010", "before &file; middle &web; after"), doctype=doctype))
    assert ingest(f) == 0  # the record loads, its entity references left as they were written
    assert listener.requests == []  # nothing fetched: not the DTD, not the entities
    (abstract,), = q(wh, "SELECT abstract FROM articles WHERE pmid = '90000010'")
    assert "TOP-SECRET" not in abstract and "FETCHED" not in abstract
    assert abstract == "before &file; middle &web; after"


def test_ten_megabyte_abstract_loads_in_reasonable_time(wh, tmp_path, capsys):
    real = etree.parse(str(SNAPSHOT)).getroot().find("PubmedArticle//AbstractText")
    sentence = (real.text or "Dry needling reduced knee pain.") + " "
    huge = (sentence * (10_000_000 // len(sentence) + 1))[:10_000_000]
    f = tmp_path / "huge.xml"
    f.write_text(article_set(record("90000011", huge.replace("&", "&amp;").replace("<", "&lt;"))))
    started = time.perf_counter()
    assert ingest(f) == 0
    elapsed = time.perf_counter() - started
    with capsys.disabled():
        print(f"\n10 MB abstract: ingested (parse, extract, load, publish) in {elapsed:.1f} s")
    assert elapsed < 90
    (length, design), = q(wh, "SELECT length(a.abstract), s.design FROM articles a JOIN studies s USING (pmid) "
                              "WHERE pmid = '90000011'")
    assert length >= 9_000_000
    assert "1 new" in capsys.readouterr().out


def test_book_records_are_skipped_and_counted(wh, tmp_path, capsys):
    book = ('<PubmedBookArticle><BookDocument><PMID Version="1">90000020</PMID><Book><BookTitle>Knee pain'
            "</BookTitle></Book></BookDocument></PubmedBookArticle>")
    f = tmp_path / "book.xml"
    f.write_text(f"<PubmedArticleSet>{book}{record('90000021')}</PubmedArticleSet>")
    g = tmp_path / "books.xml"
    g.write_text(f"<PubmedBookArticleSet>{book}</PubmedBookArticleSet>")
    assert ingest(f, g) == 0
    out = capsys.readouterr().out
    assert "1 new" in out and "(2 book records and 0 other records skipped)" in out
    assert q(wh, "SELECT count(*) FROM articles WHERE pmid = '90000020'") == [(0,)]


def test_delete_citation_only_file_marks_the_deleted_records(wh, tmp_path, capsys):
    pmid = q(wh, "SELECT min(pmid) FROM articles")[0][0]
    f = tmp_path / "deletions.xml"
    f.write_text(f'<PubmedArticleSet><DeleteCitation><PMID Version="1">{pmid}</PMID>'
                 '<PMID Version="1">99999999</PMID></DeleteCitation></PubmedArticleSet>')
    assert ingest(f) == 0
    assert "0 new, 0 updated, 0 unchanged, 1 deleted" in capsys.readouterr().out
    assert q(wh, "SELECT is_deleted FROM articles WHERE pmid = ?", [pmid]) == [(True,)]
    assert q(wh, "SELECT count(*) FROM articles")[0][0] == 26


def test_gzip_export_without_gz_in_its_name_loads(wh, tmp_path, capsys):
    """Browsers save PubMed's gzip downloads under any name: the content decides, not the suffix."""
    f = tmp_path / "pubmed-export.xml"
    f.write_bytes(gzip.compress(article_set(record("90000032")).encode()))
    assert ingest(f) == 0
    assert "1 new" in capsys.readouterr().out
    assert q(wh, "SELECT count(*) FROM articles WHERE pmid = '90000032'") == [(1,)]


def test_gzip_export_and_odd_but_valid_records_load(wh, tmp_path, capsys):
    """A gzip export loads; a record without a PMID is skipped and counted; an empty set loads nothing."""
    f = tmp_path / "export.xml.gz"
    no_pmid = record("X").replace('<PMID Version="1">X</PMID>', "")
    f.write_bytes(gzip.compress(article_set(record("90000030"), no_pmid, record("90000031", "")).encode()))
    empty = tmp_path / "empty-set.xml"
    empty.write_text("<PubmedArticleSet/>")
    assert ingest(f, empty) == 0
    out = capsys.readouterr().out
    assert "2 new" in out and "1 other records skipped" in out
    assert q(wh, "SELECT count(*) FROM articles")[0][0] == 28


def test_absurd_dates_and_versions_load_or_are_skipped_and_counted(wh, tmp_path, capsys):
    """A Year or Day too large for any date reads as no date; an article whose PMID Version is not
    a version is skipped and counted; a deletion with one still deletes (PubMed withdrew the PMID)."""
    kept, garbled = (p for (p,) in q(wh, "SELECT pmid FROM articles ORDER BY pmid LIMIT 2"))
    absurd = record("90000040").replace(
        "<ArticleTitle>", "<Journal><JournalIssue><PubDate><Year>99999999999</Year><Month>Mar</Month></PubDate>"
        "</JournalIssue></Journal><ArticleDate><Year>2024</Year><Month>02</Month><Day>99999999999</Day></ArticleDate>"
        "<ArticleTitle>")
    deletions = (f'<DeleteCitation><PMID Version="1">{kept}</PMID><PMID Version="x">{garbled}</PMID>'
                 "</DeleteCitation>")
    f = tmp_path / "absurd.xml"
    f.write_text(article_set(absurd, record("90000041").replace('Version="1"', 'Version="99999999999"'), deletions))
    assert ingest(f) == 0
    out = capsys.readouterr().out
    assert "1 new, 0 updated, 0 unchanged, 2 deleted" in out and "1 other records skipped" in out
    # the skipped record is named (file, PMID, why) in the run's record, not only counted
    (message,), = q(wh, "SELECT message FROM runs ORDER BY started_at DESC LIMIT 1")
    assert re.search(r"absurd\.xml: a record \(PMID '90000041'\) was skipped: PMID Version '99999999999'", message)
    assert q(wh, "SELECT pub_year, pub_month, pub_date, pub_date_text, article_date FROM articles "
                 "WHERE pmid = '90000040'") == [(None, 3, None, "99999999999 Mar", dt.date(2024, 2, 1))]
    assert q(wh, "SELECT pmid, is_deleted FROM articles WHERE pmid IN (?, ?, '90000041') ORDER BY pmid",
             [kept, garbled]) == [(kept, True), (garbled, True)]


def test_zstd_export_loads_and_is_kept_as_it_was_given(wh, tmp_path, capsys):
    """A zstd file (under any name) loads like the plain XML; its raw copy is the file itself."""
    f = tmp_path / "pubmed-export.xml"
    f.write_bytes(zstd(article_set(record("90000033"), record("90000034")).encode()))
    assert ingest(f) == 0
    assert "2 new" in capsys.readouterr().out
    assert q(wh, "SELECT count(*) FROM articles WHERE pmid IN ('90000033', '90000034')") == [(2,)]
    copy, = land.raw_files(wh.parent / "raw")
    assert copy.name == "ingest-0001.xml.zst" and copy.read_bytes() == f.read_bytes()
