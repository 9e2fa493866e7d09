"""The pipeline on real records: idempotent loads, versions, deletions, bad input, locking, recovery."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import threading
from pathlib import Path

import duckdb
import pyarrow
import pytest
from lxml import etree

from conftest import DEV_XML, SNAPSHOT, make_settings, q, sha
from evidence import land, pipeline
from evidence.errors import BadInputError, RunLockedError, WarehouseError
from evidence.warehouse import db, run_lock

CHILD_TABLES = ["abstract_sections", "authors", "publication_types", "mesh_terms", "article_ids",
                "history_dates", "comments_corrections"]



def snapshot_records() -> list[etree._Element]:
    return etree.parse(str(SNAPSHOT)).getroot().findall("PubmedArticle")


def write_set(path: Path, records: list[etree._Element], extra: str = "") -> Path:
    body = b"".join(etree.tostring(r) for r in records)
    path.write_bytes(b"<PubmedArticleSet>" + body + extra.encode() + b"</PubmedArticleSet>")
    return path


def unzstd(path: Path) -> bytes:
    """A zstd file's content, read by pyarrow, after checking it starts as a zstd frame does."""
    data = path.read_bytes()
    assert data[:4] == bytes.fromhex("28b52ffd")
    return pyarrow.input_stream(pyarrow.py_buffer(data), compression="zstd").read()


def body_facts(xml: bytes) -> tuple[int, str]:
    return len(xml), hashlib.sha256(xml).hexdigest()


def edit_raw(path: Path, old: bytes, new: bytes) -> bytes:
    """Rewrite a landed .xml.zst with ``old`` replaced once by ``new``, validly compressed (as an
    edit, or damage zstd cannot see, would leave it); returns the original file's bytes."""
    original = path.read_bytes()
    xml = unzstd(path)
    assert xml.count(old) >= 1
    path.write_bytes(pyarrow.Codec("zstd", 3).compress(xml.replace(old, new, 1), asbytes=True))
    return original


def table_counts(path: Path) -> dict[str, int]:
    return {t: q(path, f"SELECT count(*) FROM {t}")[0][0] for t in ["articles", "studies", *CHILD_TABLES]}



def test_loading_twice_changes_nothing(settings):
    first = pipeline.ingest(settings, [SNAPSHOT])
    counts = table_counts(settings.db)
    second = pipeline.ingest(settings, [SNAPSHOT])
    assert (first.new, second.new, second.updated, second.unchanged) == (26, 0, 0, 26)
    assert table_counts(settings.db) == counts
    assert q(settings.db, "SELECT count(*), count(DISTINCT pmid) FROM articles")[0] == (26, 26)
    assert q(settings.db, "SELECT count(*) FROM article_versions")[0][0] == 26
    assert "nothing new" in second.summary()


def test_newer_version_replaces_older_and_history_says_what_changed(settings, tmp_path):
    pipeline.ingest(settings, [SNAPSHOT])
    rec = snapshot_records()[0]
    pmid = rec.findtext("MedlineCitation/PMID")
    rec.find("MedlineCitation/PMID").set("Version", "2")
    text = rec.find(".//Abstract/AbstractText")
    text.text = (text.text or "") + " An added sentence in version two."
    report = pipeline.ingest(settings, [write_set(tmp_path / "v2.xml", [rec])])
    assert (report.new, report.updated) == (0, 1)
    assert q(settings.db, "SELECT version FROM articles WHERE pmid = ?", [pmid]) == [(2,)]
    (change, parts), = q(settings.db, "SELECT change, changed_parts FROM article_versions "
                                      "WHERE pmid = ? AND change = 'updated'", [pmid])
    assert set(parts) == {"version", "abstract"}
    assert q(settings.db, "SELECT count(*) FROM articles")[0][0] == 26
    # an older version arriving later does not win
    rec.find("MedlineCitation/PMID").set("Version", "1")
    report = pipeline.ingest(settings, [write_set(tmp_path / "v1.xml", [rec])])
    assert report.updated == 0
    assert q(settings.db, "SELECT version FROM articles WHERE pmid = ?", [pmid]) == [(2,)]


def test_deleted_pmid_is_flagged_not_dropped(settings, tmp_path):
    pipeline.ingest(settings, [SNAPSHOT])
    pmid = snapshot_records()[1].findtext("MedlineCitation/PMID")
    f = write_set(tmp_path / "del.xml", [], f"<DeleteCitation><PMID Version='1'>{pmid}</PMID></DeleteCitation>")
    report = pipeline.ingest(settings, [f])
    assert report.deleted == 1
    assert q(settings.db, "SELECT is_deleted FROM articles WHERE pmid = ?", [pmid]) == [(True,)]
    assert q(settings.db, "SELECT count(*) FROM relevant_studies WHERE pmid = ?", [pmid]) == [(0,)]
    assert q(settings.db, "SELECT change FROM article_versions WHERE pmid = ? ORDER BY recorded_at", [pmid]) == \
        [("new",), ("deleted",)]


@pytest.mark.parametrize("body", [b"not xml at all", b"<html><body>Maintenance</body></html>",
                                  b"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID>"])
def test_bad_file_loads_nothing_and_leaves_the_warehouse_intact(settings, tmp_path, body):
    pipeline.ingest(settings, [SNAPSHOT])
    before = sha(settings.db)
    raw_before = land.raw_files(settings.raw_dir)
    good = write_set(tmp_path / "good.xml", snapshot_records()[:1])
    bad = tmp_path / "bad.xml"
    bad.write_bytes(body)
    with pytest.raises(BadInputError, match="bad.xml|input"):
        pipeline.ingest(settings, [good, bad])
    assert sha(settings.db) == before
    assert land.raw_files(settings.raw_dir) == raw_before
    assert not (settings.db.parent / f".{settings.db.name}.staging").exists()


def test_one_run_at_a_time(settings):
    with run_lock(settings.db):
        with pytest.raises(RunLockedError, match="another run is working"):
            pipeline.ingest(settings, [SNAPSHOT])
    assert pipeline.ingest(settings, [SNAPSHOT]).new == 26


def test_interrupted_run_is_recorded_and_its_landed_files_loaded(settings):
    """A run killed after landing (simulated: raw files and journal, no publish) is picked up next time."""
    dead = land.new_run_id()
    land.journal(settings.raw_dir, dead, "start", kind="run", mode="replay")
    landed = land.land(settings.raw_dir, dead, 1, SNAPSHOT.read_bytes())
    land.journal(settings.raw_dir, dead, "fetch", batch=1, file=landed.relative, bytes=landed.bytes,
                 sha256=landed.sha256)
    f = settings.db.parent / "one.xml"
    write_set(f, snapshot_records()[:1])
    report = pipeline.ingest(settings, [f])
    assert report.recovered_runs == [dead]
    assert report.new == 26
    (status, stage, message), = q(settings.db, "SELECT status, last_stage, message FROM runs WHERE run_id = ?", [dead])
    assert (status, stage) == ("interrupted", "fetch") and "loaded by run" in message
    assert q(settings.db, "SELECT records, bytes, sha256, loaded_run_id FROM raw_files WHERE path = ?",
             [landed.relative]) == [(26, *body_facts(SNAPSHOT.read_bytes()), report.run_id)]
    again = pipeline.ingest(settings, [f])
    assert again.recovered_runs == [] and again.new == 0


def test_rebuild_from_raw_gives_the_same_warehouse(settings, tmp_path):
    pipeline.ingest(settings, [SNAPSHOT])
    rec = snapshot_records()[2]
    rec.find("MedlineCitation/PMID").set("Version", "3")
    pipeline.ingest(settings, [write_set(tmp_path / "v3.xml", [rec])])
    cols = "pmid, version, title, abstract, content_hash"
    before = q(settings.db, f"SELECT {cols} FROM articles ORDER BY pmid")
    studies = q(settings.db, "SELECT * EXCLUDE (run_id, extracted_at) FROM studies ORDER BY pmid")
    history = q(settings.db, "SELECT pmid, change FROM article_versions ORDER BY pmid, recorded_at")
    report = pipeline.rebuild(settings)
    assert report.status == "success"
    assert q(settings.db, f"SELECT {cols} FROM articles ORDER BY pmid") == before
    assert q(settings.db, "SELECT * EXCLUDE (run_id, extracted_at) FROM studies ORDER BY pmid") == studies
    assert q(settings.db, "SELECT pmid, change FROM article_versions ORDER BY pmid, recorded_at") == history


def test_gzip_landings_of_an_older_version_are_recovered_and_rebuilt_with_the_new_zstd_ones(settings, tmp_path,
                                                                                             monkeypatch):
    """Raw folders from before zstd hold .xml.gz: an interrupted old run's gzip landing is loaded by
    the next run, and a rebuild reads it and the new .xml.zst ones in run order -- the old body first,
    so the newer text of a record (same version, changed abstract) is the one kept."""
    old = land.new_run_id(dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc))
    land.journal(settings.raw_dir, old, "start", kind="run", mode="replay")
    (settings.raw_dir / old / "batch-0001.xml.gz").write_bytes(gzip.compress(SNAPSHOT.read_bytes(), compresslevel=1,
                                                                            mtime=0))
    land.journal(settings.raw_dir, old, "fetch", batch=1)
    rec = snapshot_records()[4]
    pmid = rec.findtext("MedlineCitation/PMID")
    text = rec.find(".//Abstract/AbstractText")
    text.text = "Rewritten in the newer record."
    report = pipeline.ingest(settings, [write_set(tmp_path / "newer.xml", [rec])])
    assert report.recovered_runs == [old] and (report.new, report.updated) == (26, 1)
    assert q(settings.db, "SELECT path, batch FROM raw_files ORDER BY path") == [
        (f"{old}/batch-0001.xml.gz", 1), (f"{report.run_id}/ingest-0001.xml.zst", 1)]
    read: list[str] = []
    real = pipeline.iter_records
    monkeypatch.setattr(pipeline, "iter_records",
                        lambda path, stats, digest: (read.append(path.name), real(path, stats, digest))[1])
    rebuilt = pipeline.rebuild(settings)
    assert (rebuilt.status, rebuilt.fetched) == ("success", 26)
    assert read == ["batch-0001.xml.gz", "ingest-0001.xml.zst"]
    assert q(settings.db, "SELECT path, records, bytes, sha256 FROM raw_files ORDER BY path") == [
        (f"{old}/batch-0001.xml.gz", 26, *body_facts(SNAPSHOT.read_bytes())),
        (f"{report.run_id}/ingest-0001.xml.zst", 1, *body_facts((tmp_path / "newer.xml").read_bytes()))]
    assert q(settings.db, "SELECT count(*) FROM articles")[0][0] == 26
    (abstract,), = q(settings.db, "SELECT abstract FROM articles WHERE pmid = ?", [pmid])
    assert abstract.startswith("Rewritten in the newer record. ")


def test_rebuild_refuses_a_raw_file_changed_since_it_was_loaded_and_keeps_the_warehouse(settings, tmp_path):
    """One PMID's title changed in a landed file, validly compressed (zstd frames carry no checksum):
    the rebuild stops naming the file and what to do, and the published warehouse is as it was;
    with the file restored (from a backup), the rebuild completes."""
    pipeline.ingest(settings, [write_set(tmp_path / "one.xml", snapshot_records()[:3])])
    pipeline.ingest(settings, [SNAPSHOT])
    first, second = land.raw_files(settings.raw_dir)
    title = snapshot_records()[1].findtext("MedlineCitation/Article/ArticleTitle").encode()
    original = edit_raw(second, title, title.replace(b"e", b"a", 1))
    before = sha(settings.db)
    with pytest.raises(land.RawFileChanged) as caught:
        pipeline.rebuild(settings)
    message = str(caught.value)
    assert message.startswith(f"{second}: the XML in this raw file is not the XML recorded for it")
    size, digest = body_facts(SNAPSHOT.read_bytes())  # an edit of one letter: the size is the same
    assert f"(now {size:,} bytes, SHA-256 " in message and f"; recorded {size:,} bytes, SHA-256 {digest[:16]}...)" in message
    assert "Restore it from a backup of the raw folder and run `evidence rebuild`" in message
    assert "move it out of the raw folder, run `evidence rebuild --forget-missing`, then ingest the original file again" in message
    assert message.endswith("Nothing was rebuilt: the published warehouse is as it was.")
    assert sha(settings.db) == before
    assert not list(settings.db.parent.glob(".*.staging*"))
    second.write_bytes(original)
    assert pipeline.rebuild(settings).status == "success"
    assert q(settings.db, "SELECT count(*) FROM articles")[0][0] == 26


def test_rebuild_refuses_when_a_raw_file_it_was_loaded_from_is_gone_unless_told_to_forget_it(settings, tmp_path):
    """A raw file deleted from the raw folder: the records only it held would silently leave the
    warehouse, so the rebuild stops, naming it and what to do, with the warehouse as it was. Told
    to forget it, the rebuild goes on without it and names it in the run's problems."""
    pipeline.ingest(settings, [write_set(tmp_path / "three.xml", snapshot_records()[:3])])
    pipeline.ingest(settings, [write_set(tmp_path / "rest.xml", snapshot_records()[3:])])
    first, second = land.raw_files(settings.raw_dir)
    gone = land.relative(settings.raw_dir, first)
    first.unlink()
    before = sha(settings.db)
    with pytest.raises(land.RawFilesMissing) as caught:
        pipeline.rebuild(settings)
    message = str(caught.value)
    assert f"1 raw file(s) the warehouse was loaded from are missing from {str(settings.raw_dir)!r}: {gone}." in message
    assert "`evidence rebuild --forget-missing` rebuilds without them" in message
    assert message.endswith("Nothing was rebuilt: the published warehouse is as it was.")
    assert sha(settings.db) == before
    assert q(settings.db, "SELECT count(*) FROM articles")[0][0] == 26

    report = pipeline.rebuild(settings, forget_missing=True)
    assert (report.status, report.fetched) == ("success", 23)
    assert q(settings.db, "SELECT count(*) FROM articles")[0][0] == 23
    assert q(settings.db, "SELECT path FROM raw_files") == [(land.relative(settings.raw_dir, second),)]
    (message,), = q(settings.db, "SELECT message FROM runs WHERE run_id = ?", [report.run_id])
    assert f"rebuilding without 1 raw file(s) missing from {settings.raw_dir} (--forget-missing): {gone}" in message
    assert pipeline.rebuild(settings).status == "success"  # the warehouse no longer names it


def test_a_warehouse_from_before_the_hashes_rebuilds_and_gets_them(settings):
    """raw_files rows written before evidence recorded the files' XML (NULL records, bytes and
    sha256) are no reason to refuse a rebuild: it reads the files as before and fills them in."""
    pipeline.ingest(settings, [SNAPSHOT])
    filled = q(settings.db, "SELECT path, records, bytes, sha256 FROM raw_files")
    assert filled == [(filled[0][0], 26, *body_facts(SNAPSHOT.read_bytes()))]
    con = duckdb.connect(str(settings.db))
    con.execute("UPDATE raw_files SET records = NULL, bytes = NULL, sha256 = NULL")
    con.close()
    report = pipeline.rebuild(settings)
    assert (report.status, report.fetched) == ("success", 26)
    assert q(settings.db, "SELECT path, records, bytes, sha256 FROM raw_files") == filled


def test_a_landed_file_changed_before_recovery_is_not_loaded_and_a_rebuild_refuses_it(settings, tmp_path):
    """A run died after landing a batch, which then changed: the next run checks it against the
    size and SHA-256 the journal recorded at landing, loads nothing of it and says why; it stays in
    the raw folder, and a rebuild refuses it in the same words."""
    dead = land.new_run_id()
    land.journal(settings.raw_dir, dead, "start", kind="run", mode="replay")
    landed = land.land(settings.raw_dir, dead, 1, SNAPSHOT.read_bytes())
    land.journal(settings.raw_dir, dead, "fetch", batch=1, file=landed.relative, bytes=landed.bytes,
                 sha256=landed.sha256)
    title = snapshot_records()[0].findtext("MedlineCitation/Article/ArticleTitle").encode()
    edit_raw(landed.path, title, b"An edited title")
    report = pipeline.ingest(settings, [write_set(tmp_path / "one.xml", snapshot_records()[5:6])])
    assert report.recovered_runs == [] and report.new == 1
    assert any(f"{landed.path}: the XML in this raw file is not the XML recorded" in p and
               "then run `evidence run --full` to fetch its records from PubMed again" in p for p in report.problems)
    assert q(settings.db, "SELECT count(*) FROM articles")[0][0] == 1
    assert q(settings.db, "SELECT count(*) FROM raw_files WHERE path = ?", [landed.relative]) == [(0,)]
    before = sha(settings.db)
    with pytest.raises(land.RawFileChanged, match=f"^{landed.path}: the XML in this raw file is not"):
        pipeline.rebuild(settings)
    assert sha(settings.db) == before


def test_ingest_keeps_a_raw_copy_of_each_file_and_records_the_copy(settings, tmp_path):
    """The user's files are read in place while their zstd copies are written; raw_files names the copies."""
    one = write_set(tmp_path / "one.xml", snapshot_records()[:3])
    two = write_set(tmp_path / "two.xml", snapshot_records()[3:5])
    report = pipeline.ingest(settings, [one, two, tmp_path / "." / "one.xml"])  # the same file twice: once
    assert report.new == 5
    copies = land.raw_files(settings.raw_dir)
    assert [p.name for p in copies] == ["ingest-0001.xml.zst", "ingest-0002.xml.zst"]
    assert [unzstd(p) for p in copies] == [one.read_bytes(), two.read_bytes()]
    assert q(settings.db, "SELECT path, run_id, records, bytes, sha256 FROM raw_files ORDER BY path") == [
        (land.relative(settings.raw_dir, p), report.run_id, n, *body_facts(f.read_bytes()))
        for p, n, f in zip(copies, [3, 2], [one, two])]
    assert not list(settings.raw_dir.glob("*/.*.tmp"))


def test_a_file_that_changes_during_ingest_is_refused(settings, tmp_path):
    pipeline.ingest(settings, [SNAPSHOT])
    before = sha(settings.db)
    f = write_set(tmp_path / "growing.xml", snapshot_records()[:3])

    def append(stage: str) -> None:  # another program still writing the file
        if stage == "loaded-chunk":
            with open(f, "ab") as fh:
                fh.write(b"\n")

    with pytest.raises(BadInputError, match="growing.xml: the file changed while it was being ingested"):
        pipeline.ingest(settings, [f], on_stage=append)
    assert sha(settings.db) == before
    assert len(land.raw_files(settings.raw_dir)) == 1  # the first ingest's copy only


def test_a_file_rewritten_in_place_during_ingest_is_refused_though_size_and_time_stay(settings, tmp_path,
                                                                                    monkeypatch):
    """The copy and the load read the file apart: if they read different XML of the same size (the
    file rewritten in place between them, its time kept), the copy is not what was loaded: refused."""
    pipeline.ingest(settings, [SNAPSHOT])
    before = sha(settings.db)
    f = write_set(tmp_path / "rewritten.xml", snapshot_records()[:3])
    xml = f.read_bytes()
    i = xml.index(b"<ArticleTitle>") + len(b"<ArticleTitle>")
    other = xml[:i] + (b"Z" if xml[i:i + 1] == b"Y" else b"Y") + xml[i + 1:]  # one letter of a title
    assert len(other) == len(xml) and other != xml

    class Rewritten:  # what the copy reads: the other XML
        def __init__(self, path):
            import io
            self.fh = io.BytesIO(other)

        def read(self, n):
            return self.fh.read(n)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            pass

    monkeypatch.setattr(land, "open_xml", Rewritten)  # the copy's reads only: the load reads through parse
    with pytest.raises(BadInputError, match="rewritten.xml: the file changed while it was being ingested"):
        pipeline.ingest(settings, [f])
    assert sha(settings.db) == before
    assert len(land.raw_files(settings.raw_dir)) == 1  # the first ingest's copy only


def test_a_read_error_while_the_copy_is_written_is_about_the_users_file(settings, tmp_path, monkeypatch):
    """The copy thread reads the user's file too: its read error names that file (a BadInputError),
    not the raw landing; nothing is published or landed."""
    from test_land import FailingRead
    f = write_set(tmp_path / "export.xml", snapshot_records())
    monkeypatch.setattr(land, "open_xml", FailingRead)  # the copy's reads only: the load reads through parse
    monkeypatch.setattr(land, "BLOCK", 16 << 10)
    with pytest.raises(BadInputError, match=r"export.xml: cannot be read \(Input/output error\)") as err:
        pipeline.ingest(settings, [f])
    assert "raw landing" not in str(err.value)
    assert land.raw_files(settings.raw_dir) == []
    assert not settings.db.exists()


def test_a_failed_load_stops_the_copy_and_leaves_no_raw_files(settings, tmp_path, monkeypatch):
    f = write_set(tmp_path / "big.xml", snapshot_records())
    copying, outcome = threading.Event(), []
    real = land.land_file

    def slow_land_file(*args, **kwargs):
        copying.set()
        if kwargs["cancel"].wait(30):  # told to stop: the real copy stops at its first block
            try:
                return real(*args, **kwargs)
            except land.Cancelled:
                outcome.append("cancelled")
                raise

    def fail(stage: str) -> None:
        if stage == "loaded-chunk":
            assert copying.wait(30)
            raise RuntimeError("disk pulled out")

    monkeypatch.setattr(land, "land_file", slow_land_file)
    with pytest.raises(RuntimeError, match="disk pulled out"):
        pipeline.ingest(settings, [f], on_stage=fail)
    assert outcome == ["cancelled"]
    assert land.raw_files(settings.raw_dir) == []
    assert not list(settings.raw_dir.glob("*/.*.tmp"))
    assert not settings.db.exists()


def test_unwritable_warehouse_path_is_a_clear_error(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the warehouse folder should be")
    s = make_settings(tmp_path, db=blocker / "evidence.duckdb", raw=tmp_path / "raw")
    with pytest.raises(WarehouseError, match="cannot .*not-a-folder.*(EVIDENCE_DB|writable|path)"):
        pipeline.ingest(s, [SNAPSHOT])


def test_a_reader_opened_after_a_run_sees_the_new_file_even_in_the_same_process(settings, tmp_path):
    from evidence.warehouse import connect_readonly

    pipeline.ingest(settings, [write_set(tmp_path / "one.xml", snapshot_records()[:1])])
    held = duckdb.connect(str(settings.db), read_only=True)  # e.g. a notebook left open
    try:
        pipeline.ingest(settings, [SNAPSHOT])
        assert held.execute("SELECT count(*) FROM articles").fetchone()[0] == 1  # its old snapshot
        fresh = connect_readonly(settings.db)
        assert fresh.execute("SELECT count(*) FROM articles").fetchone()[0] == 26
        fresh.close()
    finally:
        held.close()


def test_changes_left_in_a_write_ahead_log_are_kept_not_replayed_later(settings, tmp_path):
    """Someone opened the warehouse read-write and died: their WAL is folded in before the copy."""
    import subprocess
    import sys

    pipeline.ingest(settings, [write_set(tmp_path / "one.xml", snapshot_records()[:1])])
    script = ("import duckdb, os, sys; con = duckdb.connect(sys.argv[1]); "
              "con.execute(\"SET checkpoint_threshold = '1GB'\"); "
              "con.execute(\"UPDATE articles SET journal_title = 'edited by hand'\"); os._exit(0)")
    subprocess.run([sys.executable, "-c", script, str(settings.db)], check=True)
    assert Path(f"{settings.db}.wal").exists()
    pipeline.ingest(settings, [SNAPSHOT])
    assert not Path(f"{settings.db}.wal").exists()
    rows = q(settings.db, "SELECT journal_title FROM articles WHERE journal_title = 'edited by hand'")
    assert len(rows) == 1  # kept, once, and the run's new rows are all there
    assert q(settings.db, "SELECT count(*) FROM articles")[0][0] == 26


def test_a_warehouse_for_another_topic_calls_relevant_what_its_topic_file_lists(settings, tmp_path):
    """Knee first; then the topic file says neck, and a rebuild reads the facts again for it."""
    from dataclasses import replace

    from evidence.extract import EXTRACTOR_VERSION
    neck_trial, knee_review = "38364664", "39954145"  # labelled neck_pain and knee_oa in the dev corpus
    relevant = "SELECT pmid, relevant, condition, extractor_version FROM studies WHERE pmid IN (?, ?) ORDER BY pmid"
    pipeline.ingest(settings, [DEV_XML])
    assert q(settings.db, relevant, [neck_trial, knee_review]) == [
        (neck_trial, False, "neck_pain", EXTRACTOR_VERSION), (knee_review, True, "knee_oa", EXTRACTOR_VERSION)]

    topic = tmp_path / "neck.toml"
    topic.write_text('conditions = ["neck_pain"]\narea = "neck"\nquery = "\\"Dry Needling\\"[Mesh] AND neck*[tiab]"\n')
    neck = replace(settings, topic=topic)
    report = pipeline.rebuild(neck)
    version = f"{EXTRACTOR_VERSION}+neck_pain"
    assert report.extractor_version == version
    assert q(settings.db, relevant, [neck_trial, knee_review]) == [
        (neck_trial, True, "neck_pain", version), (knee_review, False, "knee_oa", version)]
    assert q(settings.db, "SELECT DISTINCT extractor_version FROM studies") == [(version,)]
    assert q(settings.db, "SELECT extractor_version FROM runs WHERE run_id = ?", [report.run_id]) == [(version,)]


def test_loading_narrows_duckdb_and_puts_back_the_connections_own_settings(tmp_path, monkeypatch):
    """While workers or threads parse, DuckDB gets fewer threads and (pool) less memory; the full-text
    index after the load gets back the cap ``db.connect`` set, ``db.MEMORY_LIMIT`` as it is at run time."""
    monkeypatch.setattr(db, "MEMORY_LIMIT", "222MB")
    con = db.connect(tmp_path / "w.duckdb")

    def setting(name: str) -> object:
        return con.execute(f"SELECT current_setting('{name}')").fetchone()[0]

    def as_duckdb_shows(size: str) -> str:
        scratch = duckdb.connect()
        scratch.execute(f"SET memory_limit = '{size}'")
        shown = scratch.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        scratch.close()
        return shown

    own = (setting("threads"), setting("memory_limit"))
    assert own[1] == as_duckdb_shows("222MB")
    with pipeline._loading(con, memory_limit="100MB"):
        assert (setting("threads"), setting("memory_limit")) == (pipeline.POOL_THREADS, as_duckdb_shows("100MB"))
    assert (setting("threads"), setting("memory_limit")) == own
    con.close()
