"""The process killed (SIGKILL) at each stage in turn, and two runs started at once.

A child process runs the nightly run on the offline snapshot (26 records; 10 per efetch batch and,
with LOAD_CHUNK set to 10, 10 per load transaction) and kills itself with SIGKILL from the
pipeline's ``on_stage`` hook when it reaches the chosen stage -- deterministic, no timing. The
warehouse already holds 5 records from an earlier ingest. After the kill the published warehouse
must be byte for byte what it was; the next run must complete with every record exactly once, and
``runs`` must say where the killed run stopped.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from lxml import etree

from conftest import REPO, SNAPSHOT, make_settings
from evidence import land, pipeline
from test_faults import LEDGER, check_exactly_once, fault_ledger, q, reference, sha  # noqa: F401

CHILD = textwrap.dedent('''
    """Run the nightly run; SIGKILL this process at the N-th time it reaches STAGE."""
    import json, os, signal, sys, time
    from pathlib import Path
    from evidence import pipeline
    from evidence.settings import load_settings

    stage, nth, hold = sys.argv[1], int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else ""
    pipeline.LOAD_CHUNK = 10
    seen = {}

    def on_stage(name):
        seen[name] = seen.get(name, 0) + 1
        if name == stage and seen[name] == nth:
            if hold:  # wait at this stage until the test removes the hold file
                Path(hold + ".reached").touch()
                while Path(hold).exists():
                    time.sleep(0.05)
            else:
                os.kill(os.getpid(), signal.SIGKILL)

    report = pipeline.nightly(load_settings(), on_stage=on_stage)
    print(json.dumps({"status": report.status, "new": report.new, "recovered": report.recovered_runs}))
''')

# (stage the hook is told, which time it is reached, what that means)
STAGES = [
    ("search", 1, "after search"),
    ("fetch", 2, "in the middle of fetching (2 of 3 batches landed)"),
    ("load", 1, "after landing, before loading"),
    ("loaded-chunk", 1, "in the middle of loading (1 of 3 chunks loaded)"),
    ("swap", 1, "during publishing, just before the swap"),
]


def child_env(db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EVIDENCE_", "NCBI_"))}
    env.update(EVIDENCE_DB=str(db), EVIDENCE_SNAPSHOT=str(SNAPSHOT), EVIDENCE_BATCH_SIZE="10",
               PYTHONPATH=str(REPO / "src"))
    return env


def start_child(tmp: Path, db: Path, *args: str) -> subprocess.Popen:
    script = tmp / "child.py"
    script.write_text(CHILD)
    return subprocess.Popen([sys.executable, str(script), *args], cwd=tmp, env=child_env(db),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


@pytest.fixture(scope="module")
def five_records(tmp_path_factory) -> Path:
    """A warehouse (and its raw folder) holding 5 snapshot records from an ingest, built once."""
    folder = tmp_path_factory.mktemp("five")
    records = etree.parse(str(SNAPSHOT)).getroot().findall("PubmedArticle")[:5]
    xml = folder / "five.xml"
    xml.write_bytes(b"<PubmedArticleSet>" + b"".join(etree.tostring(r) for r in records) + b"</PubmedArticleSet>")
    pipeline.ingest(make_settings(folder / "w"), [xml])
    return folder / "w"


@pytest.fixture
def earlier(tmp_path, five_records):
    target = tmp_path / "w"
    shutil.copytree(five_records, target)
    return make_settings(target, batch_size=10)


@pytest.mark.parametrize("stage,nth,meaning", STAGES, ids=[s[0] for s in STAGES])
def test_killed_at_each_stage_the_next_run_completes(stage, nth, meaning, earlier, tmp_path, reference):
    s = earlier
    before = sha(s.db)
    child = start_child(tmp_path, s.db, stage, str(nth))
    out, err = child.communicate(timeout=120)
    assert child.returncode == -signal.SIGKILL, err.decode()[-2000:]
    assert sha(s.db) == before  # the published warehouse is exactly as it was
    killed = list(land.run_ids(s.raw_dir))[-1]
    landed = [p for p in land.raw_files(s.raw_dir) if p.parent.name == killed]

    report = pipeline.nightly(s)
    assert report.status == "success"
    assert report.recovered_runs == ([killed] if landed else [])
    (status, last_stage, message), = q(s.db, "SELECT status, last_stage, message FROM runs WHERE run_id = ?",
                                       [killed])
    assert (status, last_stage) == ("interrupted", "publish" if stage == "swap" else stage)
    assert "without publishing" in message
    assert q(s.db, "SELECT kind, status FROM runs ORDER BY run_id") == [
        ("ingest", "success"), ("run", "interrupted"), ("run", "success")]
    assert not list(s.db.parent.glob(".*.staging*"))
    LEDGER.add(f"SIGKILL {meaning}", 1, 1, *check_exactly_once(s.db, reference))


def test_killed_twice_in_a_row_while_loading(earlier, tmp_path, reference):
    """The second run dies while loading what the first had landed; the third loads both."""
    s = earlier
    for _ in range(2):
        child = start_child(tmp_path, s.db, "loaded-chunk", "1")
        child.communicate(timeout=120)
        assert child.returncode == -signal.SIGKILL
    ingest_run, first_killed, second_killed = land.run_ids(s.raw_dir)
    assert not [p for p in land.raw_files(s.raw_dir) if p.parent.name == second_killed]  # died recovering
    report = pipeline.nightly(s)
    assert report.status == "success" and report.recovered_runs == [first_killed]
    assert [r[0] for r in q(s.db, "SELECT status FROM runs ORDER BY run_id")] == [
        "success", "interrupted", "interrupted", "success"]
    LEDGER.add("SIGKILL twice in a row, both while loading", 2, 1, *check_exactly_once(s.db, reference))


def test_two_runs_at_once_one_refuses_clearly(earlier, tmp_path, reference):
    """The first run is held (by its stage hook) while it works; a second run started then exits 6."""
    s = earlier
    hold = tmp_path / "hold"
    hold.touch()
    first = start_child(tmp_path, s.db, "fetch", "1", str(hold))
    deadline = time.monotonic() + 120
    while not Path(f"{hold}.reached").exists():
        assert first.poll() is None, first.communicate()[1].decode()[-2000:]
        assert time.monotonic() < deadline
        time.sleep(0.05)
    second = subprocess.run([sys.executable, "-m", "evidence.cli", "run", "--no-prefect", "-q"], cwd=tmp_path,
                            env=child_env(s.db), capture_output=True, text=True, timeout=120)
    assert second.returncode == 6
    assert "another run is working on" in second.stderr and '"pid": %d' % first.pid in second.stderr
    hold.unlink()
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err.decode()[-2000:]
    assert json.loads(out.decode().strip().splitlines()[-1])["status"] == "success"
    assert q(s.db, "SELECT kind, status FROM runs ORDER BY run_id") == [("ingest", "success"), ("run", "success")]
    LEDGER.add("two runs started at once (second refused, exit 6)", 1, 1, *check_exactly_once(s.db, reference))


def test_a_second_run_can_wait_for_the_first(earlier, tmp_path):
    """``lock_wait``: the second run waits for the lock instead of refusing, then finds nothing new."""
    s = earlier
    hold = tmp_path / "hold"
    hold.touch()
    first = start_child(tmp_path, s.db, "search", "1", str(hold))
    while not Path(f"{hold}.reached").exists():
        assert first.poll() is None
        time.sleep(0.05)
    import threading
    threading.Timer(1.0, hold.unlink).start()
    report = pipeline.nightly(s, lock_wait=120)
    first.communicate(timeout=120)
    assert first.returncode == 0
    assert report.status == "success" and report.new == 0
