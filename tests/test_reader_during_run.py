"""A clinician's read-only session stays open through a whole run: the run succeeds, the reader
never errors and keeps seeing the old snapshot; a new connection after the run sees the new rows."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import duckdb

from conftest import DEV_XML, SNAPSHOT, make_settings
from evidence.pipeline import ingest

COUNTS = """SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM studies),
                   (SELECT count(*) FROM relevant_studies), (SELECT count(*) FROM article_versions),
                   (SELECT count(*) FROM runs), (SELECT count(*) FROM search_documents)"""

# The reader: opens the published file read-only once, then answers each "q" line on stdin with
# the counts of five repeated queries (or the error), until "stop".
READER = textwrap.dedent(f"""
    import json, sys, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    SQL = {COUNTS!r}
    print(json.dumps({{"ready": con.execute(SQL).fetchone()}}), flush=True)
    for line in sys.stdin:
        if line.strip() == "stop":
            break
        try:
            print(json.dumps({{"counts": [con.execute(SQL).fetchone() for _ in range(5)]}}), flush=True)
        except Exception as exc:
            print(json.dumps({{"error": f"{{type(exc).__name__}}: {{exc}}"}}), flush=True)
    con.close()
""")


def counts(db) -> list:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return list(con.execute(COUNTS).fetchone())
    finally:
        con.close()


def test_a_reader_holds_the_warehouse_open_through_a_run(tmp_path):
    s = make_settings(tmp_path)
    ingest(s, [SNAPSHOT])
    old = counts(s.db)
    reader = subprocess.Popen([sys.executable, "-c", READER, str(s.db)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    answers: list[dict] = []

    def ask() -> dict:
        reader.stdin.write("q\n")
        reader.stdin.flush()
        answers.append(json.loads(reader.stdout.readline()))
        return answers[-1]

    try:
        assert json.loads(reader.stdout.readline()) == {"ready": old}
        during: list[str] = []
        fresh: list[list] = []

        def progress(msg: str) -> None:  # called inside the run, while the staging copy is being written
            during.append(msg)
            ask()
            fresh.append(counts(s.db))  # a reader that connects mid-run gets the old warehouse too

        report = ingest(s, [DEV_XML], progress=progress)
        assert report.status == "success" and report.new > 0
        assert len(during) >= 1  # the reader was asked at least once mid-run
        ask()  # after the publish, in the same session
        reader.stdin.write("stop\n")
        reader.stdin.flush()
        assert reader.wait(timeout=30) == 0, reader.stderr.read()
    finally:
        if reader.poll() is None:
            reader.kill()
            reader.wait()
    assert [a for a in answers if "error" in a] == []
    assert all(c == old for a in answers for c in a["counts"])  # one consistent old snapshot, never half a run
    assert fresh and all(c == old for c in fresh)
    new = counts(s.db)
    assert new[0] == old[0] + report.new and new[4] == old[4] + 1
    assert new[5] == new[0]  # the search index was rebuilt for the new rows

