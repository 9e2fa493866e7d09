"""Loading with worker processes (evidence.workers) gives the same warehouse as loading in process,
a bad slice fails as cleanly as in process, and the fast full-text index scores like the extension's."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import sys
from pathlib import Path

import duckdb
import pyarrow
import pytest

from conftest import SNAPSHOT, make_settings, q, sha
from evidence import land, pipeline, workers
from evidence.errors import BadInputError
from evidence.parse import Deletion, Digest, compression, iter_records
from evidence.warehouse.db import migrate, run_sql
from evidence.warehouse.search import load_fts

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


# what a load stores, without the run ids and clocks that differ between two runs
TABLES = {
    "articles": "SELECT * EXCLUDE (first_run_id, last_changed_run_id, first_seen_at, last_changed_at) FROM articles",
    "studies": "SELECT * EXCLUDE (run_id, extracted_at) FROM studies",
    "authors": "SELECT * FROM authors", "mesh_terms": "SELECT * FROM mesh_terms",
    "abstract_sections": "SELECT * FROM abstract_sections", "keywords": "SELECT * FROM keywords",
    "history_dates": "SELECT * FROM history_dates", "article_ids": "SELECT * FROM article_ids",
    "article_versions": "SELECT pmid, version, change, changed_parts, content_hash FROM article_versions",
    "study_versions": "SELECT pmid, extractor_version, facts, facts_hash FROM study_versions",
    "raw_files": "SELECT regexp_replace(path, '^[^/]+/', ''), records, bytes, sha256 FROM raw_files",
}


def contents(db: Path) -> dict[str, list]:
    return {name: sorted(q(db, sql), key=repr) for name, sql in TABLES.items()}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    sys.path.insert(0, str(BENCH))
    import generate
    return generate.generate(300, tmp_path_factory.mktemp("gen") / "pubmed-300.xml", seed=5)


def pooled(monkeypatch, chunk: int = 64) -> None:
    """Load with the workers: pieces of ``chunk`` records, tasks of about three pieces."""
    monkeypatch.setattr(pipeline, "POOL_MIN_BYTES", 0)
    monkeypatch.setattr(pipeline, "POOL_MIN_CPUS", 2)  # the pool on this 2-core machine too
    monkeypatch.setattr(pipeline, "WORKERS", 2)
    monkeypatch.setattr(pipeline, "POOL_CHUNK", chunk)
    monkeypatch.setattr(pipeline, "POOL_TASK", 3 * chunk)


def no_workers_left() -> bool:
    """No ``python -m evidence.workers`` child of this process is alive (zombies included)."""
    me = str(os.getpid())
    for proc in Path("/proc").iterdir():
        try:
            ppid = (proc / "stat").read_text().rsplit(")", 1)[1].split()[1]
            cmd = (proc / "cmdline").read_bytes()
        except (OSError, IndexError):
            continue
        if ppid == me and b"evidence.workers" in cmd:
            return False
    return True


def test_split_file_cuts_on_record_boundaries_into_documents_that_parse_alike(generated, tmp_path):
    whole = [r if isinstance(r, Deletion) else r["pmid"] for r in iter_records(generated)]
    pieces = list(workers.split_file(generated, 50))
    assert len(pieces) == 6 and [p.records for p in pieces] == [50] * 6
    sliced = []
    for p in pieces:
        sliced += [r["pmid"] for r in iter_records(p.data)]
    assert sliced == whole
    # after a comment nothing is cut: the rest of the file is one piece
    text = generated.read_bytes()
    cut = text.index(b"</PubmedArticle>", len(text) // 3) + len(b"</PubmedArticle>")
    commented = tmp_path / "commented.xml"
    commented.write_bytes(text[:cut] + b"<!-- </PubmedArticle><PubmedArticle> -->" + text[cut:])
    pieces = list(workers.split_file(commented, 50))
    assert len(pieces) == 2 and pieces[-1].records > 200
    assert [r["pmid"] for p in pieces for r in iter_records(p.data)] == whole


@pytest.mark.parametrize("form", ["gzip", "zstd"])
def test_split_file_cuts_a_compressed_file_as_the_plain_one(form, generated, tmp_path, monkeypatch):
    """Raw files are zstd (several frames) or, landed before zstd, gzip: read in small blocks, they are
    cut exactly as the plain file; a file cut short is a BadInputError naming it."""
    monkeypatch.setattr(land, "BLOCK", 64 << 10)  # several zstd frames
    xml = generated.read_bytes()
    packed = tmp_path / "raw.xml"
    if form == "gzip":
        packed.write_bytes(gzip.compress(xml))
    else:
        packed.write_bytes(land.land(tmp_path, "run1", 1, xml).path.read_bytes())
    assert compression(packed) == form
    plain = [(p.data, p.records) for p in workers.split_file(generated, 50, block=4096)]
    assert len(plain) == 6
    assert [(p.data, p.records) for p in workers.split_file(packed, 50, block=4096)] == plain
    cut = tmp_path / "cut.xml"
    cut.write_bytes(packed.read_bytes()[: packed.stat().st_size // 2])
    with pytest.raises(BadInputError, match=rf"^{cut}: cannot be read as {form}-compressed XML"):
        list(workers.split_file(cut, 50, block=4096))


@pytest.mark.parametrize("form", ["plain", "gzip", "zstd", "not cut (a comment before the root)"])
def test_split_file_gives_the_size_and_hash_of_the_xml_it_read(form, generated, tmp_path):
    """What a pooled rebuild checks each raw file by: read as it is cut, or (a file left whole for a
    worker) read to its end here."""
    xml = generated.read_bytes()
    if form.startswith("not cut"):
        xml = xml.replace(b"<PubmedArticleSet>", b"<!-- a note --><PubmedArticleSet>", 1)
    stored = {"gzip": gzip.compress, "zstd": lambda x: land.land(tmp_path, "run1", 1, x).path.read_bytes()}.get(
        form, lambda x: x)(xml)
    path = tmp_path / "raw.xml"
    path.write_bytes(stored)
    digest = Digest()
    pieces = list(workers.split_file(path, 50, block=4096, digest=digest))
    assert len(pieces) == (1 if form.startswith("not cut") else 6)
    assert (digest.size, digest.sha256) == (len(xml), hashlib.sha256(xml).hexdigest())


def test_the_pool_threshold_counts_a_zstd_file_three_times_its_size(tmp_path, monkeypatch):
    """POOL_MIN_BYTES was set for gzip level 1 raw files; zstd ones of as many records are ~3x smaller."""
    monkeypatch.setattr(pipeline, "POOL_MIN_CPUS", 2)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    plain = SNAPSHOT
    zst = land.land(tmp_path, "run1", 1, SNAPSHOT.read_bytes()).path
    for path, counted in ((plain, plain.stat().st_size), (zst, 3 * zst.stat().st_size)):
        monkeypatch.setattr(pipeline, "POOL_MIN_BYTES", counted)
        assert pipeline._pool_size([path]) >= 2
        monkeypatch.setattr(pipeline, "POOL_MIN_BYTES", counted + 1)
        assert pipeline._pool_size([path]) == 0


def test_pool_gives_the_same_warehouse_as_loading_in_process(generated, tmp_path, monkeypatch):
    later = [r for r in iter_records(SNAPSHOT)][:5]
    assert later
    inproc, pool = make_settings(tmp_path / "in"), make_settings(tmp_path / "pool")
    monkeypatch.setattr(pipeline, "WORKERS", 0)
    first = pipeline.ingest(inproc, [generated, SNAPSHOT])
    monkeypatch.undo()
    pooled(monkeypatch)
    stages: list[str] = []
    second = pipeline.ingest(pool, [generated, SNAPSHOT], on_stage=stages.append)
    assert stages.count("loaded-chunk") >= 5  # one per slice: the hook and progress keep working
    assert (first.new, first.updated, first.unchanged) == (second.new, second.updated, second.unchanged) == (326, 0, 0)
    assert no_workers_left()
    assert contents(inproc.db) == contents(pool.db)
    search = "SELECT pmid, score FROM search_articles('dry needling knee pain') ORDER BY pmid"
    con_in, con_pool = duckdb.connect(str(inproc.db), read_only=True), duckdb.connect(str(pool.db), read_only=True)
    for con in (con_in, con_pool):
        load_fts(con)
    assert con_in.execute(search).fetchall() == con_pool.execute(search).fetchall() != []
    con_in.close()
    con_pool.close()
    # a rebuild from the raw landing with the pool: the same current state again
    report = pipeline.rebuild(pool)
    assert report.fetched == 326
    assert {k: v for k, v in contents(pool.db).items() if "versions" not in k} == \
           {k: v for k, v in contents(inproc.db).items() if "versions" not in k}


def test_chunks_extracted_together_give_the_same_studies_as_one_by_one(generated, tmp_path, monkeypatch):
    """In process, EXTRACT_CHUNKS load chunks share one extraction call; each gets its own studies back."""
    monkeypatch.setattr(pipeline, "WORKERS", 0)
    monkeypatch.setattr(pipeline, "LOAD_CHUNK", 70)  # 326 records: 5 chunks, the last batch of 3 short
    out = {}
    for together in (1, 3):
        monkeypatch.setattr(pipeline, "EXTRACT_CHUNKS", together)
        s = make_settings(tmp_path / str(together))
        stages: list[str] = []
        pipeline.ingest(s, [generated, SNAPSHOT], on_stage=stages.append)
        assert stages.count("loaded-chunk") == 5
        out[together] = contents(s.db)
    assert out[1]["studies"] == out[3]["studies"] and len(out[1]["studies"]) == 326
    assert out[1] == out[3]


def test_a_bad_slice_fails_like_in_process_and_loads_nothing(generated, tmp_path, monkeypatch):
    text = generated.read_text(encoding="utf-8")
    at = text.index("<PMID Version=\"1\">", len(text) * 2 // 3)  # a record in a later slice
    end = text.index("</PMID>", at)
    bad = tmp_path / "bad.xml"
    bad.write_text(text[:at] + '<PMID Version="1">12x45' + text[end:], encoding="utf-8")
    messages = []
    for mode in ("in process", "pool"):
        s = make_settings(tmp_path / mode.replace(" ", "-"))
        pipeline.ingest(s, [SNAPSHOT])
        before, raw_before = sha(s.db), land.raw_files(s.raw_dir)
        if mode == "pool":
            pooled(monkeypatch)
        with pytest.raises(BadInputError) as caught:
            pipeline.ingest(s, [bad])
        messages.append(str(caught.value))
        assert sha(s.db) == before and land.raw_files(s.raw_dir) == raw_before
        assert not list(s.db.parent.glob(".*.staging*"))
        assert no_workers_left()
    assert messages[0] == messages[1]
    assert str(bad) in messages[1] and "12x45" in messages[1] and "which is not a PubMed id" in messages[1]
    # malformed XML in a later slice: the line number is the file's, as in process
    broken = tmp_path / "broken.xml"
    broken.write_text(text[:at] + "<PMID Version=\"1\">1</PMD>" + text[end + len("</PMID>"):], encoding="utf-8")
    s = make_settings(tmp_path / "broken")
    with pytest.raises(BadInputError) as caught:
        pipeline.ingest(s, [broken])
    line = text[:at].count("\n") + 1
    assert f"{broken}: not well-formed XML at line {line}" in str(caught.value)
    assert no_workers_left() and not land.raw_files(s.raw_dir)


def test_a_pooled_rebuild_fills_and_checks_raw_files_like_one_in_process(generated, tmp_path, monkeypatch):
    """With the workers, a rebuild records each file's records, size and hash as in process (here
    into rows written before they were recorded), and refuses a file changed since, killing the
    workers and leaving the warehouse as it was."""
    s = make_settings(tmp_path)
    pipeline.ingest(s, [generated, SNAPSHOT])
    filled = contents(s.db)["raw_files"]
    con = duckdb.connect(str(s.db))
    con.execute("UPDATE raw_files SET records = NULL, bytes = NULL, sha256 = NULL")
    con.close()
    pooled(monkeypatch)
    assert pipeline.rebuild(s).fetched == 326
    assert contents(s.db)["raw_files"] == filled and filled[0][1:3] == (300, generated.stat().st_size)
    raw = land.raw_files(s.raw_dir)[0]  # the generated file, cut into several tasks
    xml = pyarrow.input_stream(str(raw), compression="zstd").read()
    at = xml.index(b"<ArticleTitle>", len(xml) // 2) + len(b"<ArticleTitle>")
    raw.write_bytes(pyarrow.Codec("zstd", 3).compress(xml[:at] + b"Changed: " + xml[at:], asbytes=True))
    before = sha(s.db)
    with pytest.raises(land.RawFileChanged, match=rf"^{raw}: the XML in this raw file is not .* Nothing was rebuilt"):
        pipeline.rebuild(s)
    assert sha(s.db) == before and no_workers_left()


def test_fast_index_scores_like_the_extensions_own_build(snapshot_warehouse, tmp_path):
    fast = tmp_path / "fast.duckdb"
    shutil.copyfile(snapshot_warehouse.db, fast)
    own = tmp_path / "own.duckdb"
    shutil.copyfile(snapshot_warehouse.db, own)
    a, b = duckdb.connect(str(own)), duckdb.connect(str(fast))
    for con in (a, b):
        load_fts(con)
        # text the fast tokenizer must split exactly as the extension does: accents, a combining mark,
        # the Greek question mark (';' once accents are stripped), tabs, newlines, form feed, CR, no-break
        # space, every separator of the class, digits inside words, and no text at all
        con.execute("INSERT INTO articles (pmid, version, title, abstract, content_hash) VALUES "
                    "('900000001', 1, 'Müller\u0301s café\u037eknee\tpain', 'a\u00a0b\nc\fd\re  f--g''h\"i`j', ''), "
                    "('900000002', 1, 'x1y2z!a@b#c$d%e^f&g*h(i)j_k+l=m{n}o[p]q:r;s<t>u,v.w?x~y\\\\z/a|b', NULL, ''), "
                    "('900000003', 1, NULL, 'Ångström ÆØÅ naïve ﬁbre ² ½ İstanbul', '')")
    # the extension's own build over the same documents search/index.sql indexes
    a.execute("DELETE FROM search_documents")
    a.execute("INSERT INTO search_documents SELECT pmid, coalesce(title, ''), coalesce(abstract, '') "
              "FROM articles WHERE NOT is_deleted")
    a.execute("PRAGMA create_fts_index('search_documents', 'pmid', 'title', 'abstract', stemmer = 'english', "
              "stopwords = 'english', overwrite = 1)")
    run_sql(b, "search/index.sql")
    for table in ("docs", "dict", "stats", "fields", "stopwords"):
        assert a.execute(f"DESCRIBE fts_main_search_documents.{table}").fetchall() == \
               b.execute(f"DESCRIBE fts_main_search_documents.{table}").fetchall()
    assert a.execute("SELECT * FROM fts_main_search_documents.stats").fetchall() == \
           b.execute("SELECT * FROM fts_main_search_documents.stats").fetchall()
    assert a.execute("SELECT term, df FROM fts_main_search_documents.dict ORDER BY term").fetchall() == \
           b.execute("SELECT term, df FROM fts_main_search_documents.dict ORDER BY term").fetchall()
    sql = ("SELECT pmid, round(fts_main_search_documents.match_bm25(pmid, ?), 9) AS s FROM search_documents "
           "WHERE s IS NOT NULL ORDER BY s DESC, pmid")
    for words in ("dry needling knee", "popliteus pain", "osteoarthritis randomized trial", "needles",
                  "trigger points weeks", "the of and", "Müller café", "knee pain", "muller cafe",
                  "f g h i j", "x y z a b c", "angstrom naive fibre istanbul"):
        assert a.execute(sql, [words]).fetchall() == b.execute(sql, [words]).fetchall(), words
    a.close()
    b.close()


def _index_contents(con: duckdb.DuckDBPyConnection) -> dict[str, list]:
    """The index as names and words (its docid and termid numbering aside)."""
    fts = "fts_main_search_documents"
    return {
        "docs": con.execute(f"SELECT name, len FROM {fts}.docs ORDER BY ALL").fetchall(),
        "dict": con.execute(f"SELECT term, df FROM {fts}.dict ORDER BY ALL").fetchall(),
        "stats": con.execute(f"SELECT * FROM {fts}.stats").fetchall(),
        "terms": con.execute(f"SELECT d.name, t.fieldid, w.term, count(*) FROM {fts}.terms t JOIN {fts}.docs d USING (docid) "
                             f"JOIN {fts}.dict w USING (termid) GROUP BY ALL ORDER BY ALL").fetchall(),
    }


def test_fast_index_splits_every_character_like_the_extension(tmp_path):
    """search/index.sql tokenizes each piece between ASCII separators on its own: the words must be the
    extension's for every character of the Basic Multilingual Plane, next to letters, separators,
    combining marks (which strip_accents removes, and which may turn a character into a separator,
    e.g. U+2260 into '=') and its own upper and lower case."""
    built = {}
    for name in ("own", "fast"):
        con = duckdb.connect(str(tmp_path / f"{name}.duckdb"))
        migrate(con)
        load_fts(con)
        con.execute(
            "INSERT INTO articles (pmid, version, title, abstract, content_hash) "
            "SELECT (range // 64)::VARCHAR, 1, "
            "       string_agg(c || 'x' || c || '-' || c || c || 'É' || c || chr(769) || ' ' || upper(c) || lower(c), ' '), "
            "       string_agg('<' || c || '=' || c || chr(824) || 'a' || chr(776) || c || ';' || c || 'İ', '.'), '' "
            "FROM (SELECT range, chr(range::INTEGER) AS c FROM range(1, 65536) WHERE range NOT BETWEEN 55296 AND 57343) "
            "GROUP BY range // 64")
        run_sql(con, "search/index.sql")
        if name == "own":  # the extension's own build over the same search_documents
            con.execute("PRAGMA create_fts_index('search_documents', 'pmid', 'title', 'abstract', stemmer = 'english', "
                        "stopwords = 'english', overwrite = 1)")
        built[name] = _index_contents(con)
        con.close()
    assert built["fast"]["docs"] and built["fast"]["terms"]
    assert built["fast"] == built["own"]
