"""The nightly run end to end on the offline snapshot, through the same E-utilities client as live."""

from __future__ import annotations

import datetime as dt
import hashlib
import math

import duckdb
import pyarrow

from conftest import SNAPSHOT, make_settings, q
from evidence import land, pipeline
from evidence.parse import parse_all


def test_first_run_loads_the_snapshot_and_the_second_adds_nothing(tmp_path):
    s = make_settings(tmp_path, batch_size=10)
    first = pipeline.nightly(s)
    assert (first.status, first.searched, first.fetched, first.new) == ("success", 26, 26, 26)
    assert first.requests == 1 + math.ceil(26 / 10)  # one esearch, then efetch batches
    assert first.window_start is None  # the first run takes everything
    second = pipeline.nightly(s)
    assert second.window_start == dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=s.overlap_days)
    assert (second.searched, second.new, second.updated) == (0, 0, 0)
    assert second.requests <= 3
    assert "nothing new" in second.summary()
    con = duckdb.connect(str(s.db), read_only=True)
    try:
        assert con.execute("SELECT count(*), count(DISTINCT pmid) FROM articles").fetchone() == (26, 26)
        runs = con.execute("SELECT status, searched, new FROM runs ORDER BY run_id").fetchall()
        assert runs == [("success", 26, 26), ("success", 0, 0)]
    finally:
        con.close()
    raw = sorted(p.name for p in s.raw_dir.glob("*/batch-*.xml.zst"))
    assert len(raw) == 3  # every efetch body landed


def test_full_refetch_finds_everything_unchanged(tmp_path):
    s = make_settings(tmp_path)
    pipeline.nightly(s)
    again = pipeline.nightly(s, full=True)
    assert (again.searched, again.new, again.unchanged) == (26, 0, 26)


def test_since_sets_the_window(tmp_path):
    s = make_settings(tmp_path)
    report = pipeline.nightly(s, since=dt.date(2025, 1, 1))
    assert report.window_start == dt.date(2025, 1, 1)
    assert 0 < report.searched < 26


def test_each_fetched_batch_is_recorded_with_its_records_size_and_hash(tmp_path):
    """raw_files holds, for every efetch body landed, the records in it and the size and SHA-256 of
    its XML, which the run's journal recorded when it landed it."""
    s = make_settings(tmp_path, batch_size=10)
    report = pipeline.nightly(s)
    files = land.raw_files(s.raw_dir)
    xml = [pyarrow.input_stream(str(f), compression="zstd").read() for f in files]
    expected = [(land.relative(s.raw_dir, f), n, len(x), hashlib.sha256(x).hexdigest(), report.run_id)
                for f, n, x in zip(files, [10, 10, 6], xml)]
    assert q(s.db, "SELECT path, records, bytes, sha256, loaded_run_id FROM raw_files ORDER BY path") == expected
    journaled = [(e["file"], e["records"], e["bytes"], e["sha256"], report.run_id)
                 for e in land.read_journal(s.raw_dir, report.run_id) if e["event"] == "fetch"]
    assert journaled == expected


def test_after_the_topic_changes_the_first_run_searches_everything_the_new_query_finds(tmp_path):
    """An incremental window after a topic change would find only recent records of the new
    query and never the older ones: the first run of a new query searches everything; the next
    run of it is incremental again."""
    s = make_settings(tmp_path)
    everything = pipeline.nightly(s)  # the packaged topic: the 26 records of the snapshot
    two = q(s.db, "SELECT pmid FROM articles ORDER BY pmid LIMIT 2")
    narrow = make_settings(tmp_path, query=" OR ".join(f"{p}[uid]" for (p,) in two))
    first = pipeline.nightly(narrow)
    assert (first.window_start, first.searched, first.unchanged) == (None, 2, 2)
    again = pipeline.nightly(narrow)
    assert again.window_start is not None and again.searched == 0
    back = pipeline.nightly(s)  # the packaged topic again: incremental from its own last run
    assert back.window_start == everything.started_at.date() - dt.timedelta(days=s.overlap_days)


def test_a_widened_topic_fetches_the_older_records_it_now_finds(tmp_path):
    """The clinic starts with a narrow query, then widens it (a new synonym, a new condition):
    the records only the wider query finds are fetched, however old they are."""
    s = make_settings(tmp_path)
    pmids = sorted(r["pmid"] for r in parse_all(SNAPSHOT)[0])
    narrow = make_settings(tmp_path, query=" OR ".join(f"{p}[uid]" for p in pmids[:3]))
    assert pipeline.nightly(narrow).new == 3
    wide = pipeline.nightly(s)
    assert (wide.window_start, wide.searched, wide.new, wide.unchanged) == (None, 26, 23, 3)
    assert q(s.db, "SELECT count(*) FROM articles")[0][0] == 26
