"""The nightly run end to end on the offline snapshot, through the same E-utilities client as live."""

from __future__ import annotations

import datetime as dt
import hashlib
import math

import duckdb
import pyarrow

from conftest import make_settings, q
from evidence import land, pipeline


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
