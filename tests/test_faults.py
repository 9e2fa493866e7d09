"""Faults survived, nothing lost: the nightly run in live mode against a real local HTTP server that
misbehaves on purpose (429s, 5xx bursts, resets, stalls, cut-off and foreign bodies, in-body errors,
PubMed changing between pages), a full disk, and NCBI that never recovers.

The server (``FlakyNCBI``) answers from the offline snapshot through the replay's own esearch and
efetch, except where a test queues a fault for the next request to a utility. Back-off waits use
an injected clock, so nothing really waits. After each fault the warehouse must hold every record
exactly once -- compared table by table with a warehouse loaded cleanly from the snapshot -- or,
when NCBI never recovers, the run must fail clearly, leave the published warehouse as it was, and
the next run must complete.

Every test adds a line to ``LEDGER``; ``pytest tests/test_faults.py tests/test_kill.py -n0 -s``
prints the table and the totals quoted in docs/reliability.md.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest

from conftest import SNAPSHOT, make_settings, q, sha
from evidence import land, pipeline
from evidence.cli import main as cli_main
from evidence.errors import NCBIError, WarehouseError
from evidence.fetch.replay import ReplayServer
from ncbi_server import FakeTime, NCBIServer, Reply, Seen

TABLES = ["articles", "studies", "abstract_sections", "authors", "publication_types", "mesh_terms",
          "article_ids", "history_dates", "comments_corrections"]
PASS = "pass"  # in a fault queue: answer this request normally
EMAIL = "faults@clinic.example"


# -- the misbehaving server -----------------------------------------------------------------------

class FlakyNCBI:
    """A real HTTP server on 127.0.0.1 playing NCBI from the snapshot, with queued faults.

    ``esearch``/``efetch``: faults for the next requests to that utility, in order (a Reply, the
    string PASS, or a callable ``(flaky, seen) -> Reply``); ``always``: answer every request so
    (NCBI never recovers). ``faults`` counts the faulty answers given.
    """

    def __init__(self, *, esearch: list = (), efetch: list = (), always: Reply | None = None) -> None:
        self.replay = ReplayServer(SNAPSHOT)  # never started: only its answers are used
        self.queues: dict[str, list] = {"esearch.fcgi": list(esearch), "efetch.fcgi": list(efetch)}
        self.always = always
        self.faults = 0
        self.server = NCBIServer(fallback=self._answer).start()

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def requests(self) -> list[Seen]:
        return self.server.requests

    def queue(self, utility: str, *items: Any) -> None:
        self.queues[f"{utility}.fcgi"].extend(items)

    def normal(self, seen: Seen) -> Reply:
        status, ctype, body = getattr(self.replay, seen.utility.split(".")[0])(seen.params)
        return Reply(status, body, {"Content-Type": ctype})

    def _answer(self, seen: Seen) -> Reply:
        if self.always is not None:
            self.faults += 1
            return self.always
        queue = self.queues.get(seen.utility)
        item = queue.pop(0) if queue else PASS
        if item == PASS:
            return self.normal(seen)
        self.faults += 1
        return item(self, seen) if callable(item) else item

    def stop(self) -> None:
        self.server.stop()
        self.replay._httpd.server_close()


@pytest.fixture
def flaky():
    made: list[FlakyNCBI] = []

    def start(**faults: Any) -> FlakyNCBI:
        made.append(FlakyNCBI(**faults))
        return made[-1]

    yield start
    for f in made:
        f.stop()


def live_settings(tmp: Path, url: str, **overrides: Any):
    base = {"pubmed": "live", "eutils_url": url, "ncbi_email": EMAIL, "batch_size": 10, "max_retries": 5}
    return make_settings(tmp, **{**base, **overrides})


# -- faulty answers ---------------------------------------------------------------------------------

def truncated(flaky: FlakyNCBI, seen: Seen) -> Reply:
    body = flaky.normal(seen).body
    return Reply(200, body[: len(body) // 2])


def html_page(status: int = 200) -> Reply:
    return Reply(status, "<!DOCTYPE html><html><head><title>NCBI - Maintenance</title></head><body>"
                 "<h1>We are down for maintenance</h1></body></html>", {"Content-Type": "text/html"})


def short_page(drop: int) -> Callable[[FlakyNCBI, Seen], Reply]:
    """The page without its last ``drop`` records, as when PubMed changed since the search."""
    def answer(flaky: FlakyNCBI, seen: Seen) -> Reply:
        params = dict(seen.params)
        params["retmax"] = str(int(params["retmax"]) - drop)
        status, ctype, body = flaky.replay.efetch(params)
        return Reply(status, body, {"Content-Type": ctype})
    return answer


def long_page(extra_from: int, extra: int) -> Callable[[FlakyNCBI, Seen], Reply]:
    """The page plus ``extra`` records from later in the result set (they come again on their own page)."""
    def answer(flaky: FlakyNCBI, seen: Seen) -> Reply:
        params = dict(seen.params)
        params["retmax"] = str(int(params["retmax"]) + extra_from + extra)
        status, ctype, body = flaky.replay.efetch(params)
        head, _, _ = body.partition(b"</PubmedArticleSet>")
        records = head.split(b"<PubmedArticle>")
        keep = records[: 1 + int(seen.params["retmax"])] + records[1 + int(seen.params["retmax"]) + extra_from:]
        return Reply(status, b"<PubmedArticle>".join(keep) + b"</PubmedArticleSet>\n", {"Content-Type": ctype})
    return answer


# -- checks and the ledger ----------------------------------------------------------------------------



def counts(db: Path) -> dict[str, int]:
    return {t: q(db, f"SELECT count(*) FROM {t}")[0][0] for t in TABLES}


@dataclass
class Entry:
    test: str
    faults: int
    runs_completed: int
    lost: int
    duplicates: int


@dataclass
class Ledger:
    entries: list[Entry] = field(default_factory=list)
    printed: bool = False

    def add(self, test: str, faults: int, runs_completed: int, lost: int, duplicates: int) -> None:
        self.entries.append(Entry(test, faults, runs_completed, lost, duplicates))

    def table(self) -> str:
        lines = [f"{'test':58s} {'faults':>6s} {'runs ok':>7s} {'lost':>5s} {'dups':>5s}"]
        for e in self.entries:
            lines.append(f"{e.test[:58]:58s} {e.faults:6d} {e.runs_completed:7d} {e.lost:5d} {e.duplicates:5d}")
        total = Entry("TOTAL", *(sum(getattr(e, k) for e in self.entries)
                                 for k in ("faults", "runs_completed", "lost", "duplicates")))
        lines.append(f"{total.test:58s} {total.faults:6d} {total.runs_completed:7d} {total.lost:5d} "
                     f"{total.duplicates:5d}")
        return "\n".join(lines)


LEDGER = Ledger()


@pytest.fixture(scope="session", autouse=True)
def fault_ledger():
    """Prints the faults table at the end of the session (visible with -s, without xdist)."""
    yield LEDGER
    if LEDGER.entries and not LEDGER.printed:  # the fixture is imported by other modules: print once
        LEDGER.printed = True
        print("\n\nFaults injected and what the warehouse held afterwards:\n" + LEDGER.table())


@pytest.fixture(scope="session")
def reference(snapshot_warehouse) -> dict[str, Any]:
    """Row counts and PMIDs of a warehouse loaded cleanly from the snapshot, once."""
    return {"counts": counts(snapshot_warehouse.db),
            "pmids": {r[0] for r in q(snapshot_warehouse.db, "SELECT pmid FROM articles")}}


def check_exactly_once(db: Path, reference: dict[str, Any]) -> tuple[int, int]:
    """(records lost, duplicate rows) of ``db`` against the clean warehouse; asserts both are 0."""
    got = counts(db)
    present = {r[0] for r in q(db, "SELECT pmid FROM articles")}
    distinct = q(db, "SELECT count(DISTINCT pmid) FROM articles")[0][0]
    lost = len(reference["pmids"] - present)
    duplicates = (got["articles"] - distinct) + sum(max(0, got[t] - reference["counts"][t]) for t in TABLES)
    assert (lost, duplicates) == (0, 0), (got, reference["counts"])
    assert got == reference["counts"]
    return lost, duplicates


# -- NCBI misbehaves, then recovers -----------------------------------------------------------------

RECOVERING = {
    "429 for a while (Retry-After), then answers": dict(
        esearch=[Reply(429, '{"error":"API rate limit exceeded","count":"4"}', {"Retry-After": "2"})] * 3,
        efetch=[PASS, Reply(429, headers={"Retry-After": "2"}), Reply(429)]),
    "500/502/503 bursts": dict(
        esearch=[Reply(503)], efetch=[Reply(500), Reply(502), Reply(503), PASS, Reply(503), Reply(502)]),
    "connection resets": dict(esearch=[Reply(reset=True)], efetch=[Reply(reset=True), PASS, Reply(reset=True)]),
    "answer stalls past the timeout": dict(efetch=[PASS, Reply(delay=1.5)]),
    "truncated XML body": dict(efetch=[truncated, PASS, truncated]),
    "HTML maintenance page instead of XML": dict(
        esearch=[html_page()], efetch=[html_page(), PASS, html_page(503)]),
    "<ERROR> inside a 200 answer": dict(
        esearch=[Reply(200, "<eSearchResult><ERROR>Search Backend failed: read timeout</ERROR></eSearchResult>")],
        efetch=[Reply(200, "<eFetchResult><ERROR>Temporarily unavailable, try again</ERROR></eFetchResult>")]),
    "a page holds fewer records than the search listed": dict(efetch=[PASS, short_page(3)]),
    "a page holds more records (some again on a later page)": dict(efetch=[long_page(5, 3)]),
}


@pytest.mark.parametrize("name", list(RECOVERING))
def test_nightly_survives_a_misbehaving_ncbi(name, flaky, tmp_path, reference):
    server = flaky(**RECOVERING[name])
    s = live_settings(tmp_path, server.url, timeout=0.5)
    clock = FakeTime()
    report = pipeline.nightly(s, client_options={"clock": clock.clock, "sleep": clock.sleep})
    assert report.status == "success" and report.searched == 26 and report.new == 26
    assert server.faults >= 1 and report.errors >= server.faults - 1  # problems are counted, not hidden
    lost, dups = check_exactly_once(s.db, reference)
    assert q(s.db, "SELECT status, errors FROM runs") == [("success", report.errors)]
    LEDGER.add(f"fault: {name}", server.faults, 1, lost, dups)


def test_retry_after_is_honoured_and_backoff_grows(flaky, tmp_path):
    server = flaky(esearch=[Reply(429, headers={"Retry-After": "7"}), Reply(503), Reply(503), Reply(503)])
    s = live_settings(tmp_path, server.url)
    clock = FakeTime()
    pipeline.nightly(s, client_options={"clock": clock.clock, "sleep": clock.sleep, "rng": lambda: 1.0})
    waits = [w for w in clock.sleeps if w >= 1.0]  # the rest is rate-limit spacing (a fraction of a second)
    assert waits == [7.0, 2.0, 4.0, 8.0]
    LEDGER.add("fault: Retry-After honoured, back-off doubles", server.faults, 1, 0, 0)


def test_short_page_is_refetched_by_pmid(flaky, tmp_path, reference):
    server = flaky(efetch=[PASS, short_page(4)])
    s = live_settings(tmp_path, server.url)
    report = pipeline.nightly(s, client_options={"sleep": lambda s: None})
    by_id = [r for r in server.requests if r.utility == "efetch.fcgi" and "id" in r.params]
    assert len(by_id) == 1 and len(by_id[0].params["id"].split(",")) == 4
    assert [p.name for p in sorted((s.raw_dir / report.run_id).glob("refetch-*.xml.zst"))] == ["refetch-0000.xml.zst"]
    assert report.fetched == 26 and any("fewer records" in p for p in report.problems)
    LEDGER.add("fault: short page, missing PMIDs refetched", server.faults, 1, *check_exactly_once(s.db, reference))


def test_a_record_gone_from_pubmed_is_reported_not_invented(flaky, tmp_path):
    """A PMID the search listed that efetch never returns (withdrawn meanwhile) is named in the report."""
    def without_one(flaky_: FlakyNCBI, seen: Seen) -> Reply:
        reply = flaky_.normal(seen)
        first = reply.body.index(b"<PubmedArticle>")
        end = reply.body.index(b"</PubmedArticle>") + len(b"</PubmedArticle>")
        return Reply(200, reply.body[:first] + reply.body[end:])
    server = flaky(efetch=[without_one, PASS, PASS, without_one])
    s = live_settings(tmp_path, server.url)
    report = pipeline.nightly(s, client_options={"sleep": lambda s: None})
    assert report.status == "success" and report.new == 25 and report.fetched == 25
    assert any("could not be fetched even by PMID" in p for p in report.problems)
    assert q(s.db, "SELECT count(*), count(DISTINCT pmid) FROM articles")[0] == (25, 25)


def test_a_book_the_search_lists_is_fetched_once_and_skipped_not_reported_missing(flaky, tmp_path):
    """PubMed lists book chapters (StatPearls) among search results; efetch returns them as
    PubmedBookArticle. Such a record was fetched: it is skipped and counted, not fetched again by
    PMID and not reported as gone from PubMed."""
    def one_as_book(flaky_: FlakyNCBI, seen: Seen) -> Reply:
        reply = flaky_.normal(seen)
        first = reply.body.index(b"<PubmedArticle>")
        end = reply.body.index(b"</PubmedArticle>") + len(b"</PubmedArticle>")
        pmid = re.search(rb"<PMID[^>]*>(\d+)</PMID>", reply.body[first:end]).group(1)
        book = (b"<PubmedBookArticle><BookDocument><PMID Version=\"1\">" + pmid + b"</PMID>"
                b"<Book><BookTitle>Dry Needling</BookTitle></Book></BookDocument>"
                b"<PubmedBookData><History/><PublicationStatus>ppublish</PublicationStatus></PubmedBookData>"
                b"</PubmedBookArticle>")
        return Reply(200, reply.body[:first] + book + reply.body[end:])
    server = flaky(efetch=[one_as_book])
    s = live_settings(tmp_path, server.url)
    report = pipeline.nightly(s, client_options={"sleep": lambda s: None})
    by_id = [r for r in server.requests if r.utility == "efetch.fcgi" and "id" in r.params]
    assert report.status == "success" and report.new == 25 and report.skipped_books == 1
    assert by_id == [] and not any("could not be fetched" in p or "fewer records" in p for p in report.problems)


def test_the_first_live_run_on_the_demos_warehouse_searches_everything(flaky, tmp_path):
    """`make demo` fills the warehouse from the offline snapshot; the clinic then sets
    EVIDENCE_PUBMED=live. An incremental window from the demo's run would fetch only the last days
    of live PubMed and miss everything older: the first live run searches everything."""
    demo = pipeline.nightly(make_settings(tmp_path))
    assert (demo.mode, demo.new) == ("replay", 26)
    server = flaky()
    s = live_settings(tmp_path, server.url)
    first = pipeline.nightly(s, client_options={"sleep": lambda s: None})
    assert (first.mode, first.window_start, first.searched, first.unchanged) == ("live", None, 26, 26)
    second = pipeline.nightly(s, client_options={"sleep": lambda s: None})
    assert second.window_start == first.started_at.date() - dt.timedelta(days=s.overlap_days)


def test_a_fetch_cut_short_is_picked_up_where_it_stopped(flaky, tmp_path, reference):
    """NCBI goes down after two of a backfill's three batches: the run fails and publishes nothing.
    The next run loads the two batches it landed and fetches only the 6 records they lack, by id
    in one request, not all 26 again; every record is stored once."""
    down = Reply(503, "Service Unavailable", {"Retry-After": "0"})
    server = flaky(efetch=[PASS, PASS, down, down, down])
    s = live_settings(tmp_path, server.url, max_retries=2)
    with pytest.raises(NCBIError):
        pipeline.nightly(s, client_options={"sleep": lambda s: None})
    before = len(server.requests)
    second = pipeline.nightly(s, client_options={"sleep": lambda s: None})
    ids = [r.params.get("id", "(a page of the search's history)") for r in server.requests[before:]
           if r.utility == "efetch.fcgi"]
    assert len(ids) == 1 and len(ids[0].split(",")) == 6, ids
    assert len(second.recovered_runs) == 1 and (second.new, second.fetched) == (26, 6)
    assert second.requests == 2  # the search and one efetch
    LEDGER.add("fault: NCBI down mid-backfill, the next run fetches only the rest", 3, 1,
               *check_exactly_once(s.db, reference))


def test_an_old_interrupted_fetch_is_fetched_again(flaky, tmp_path, reference, monkeypatch):
    """What an interrupted run fetched longer ago than the overlap may have changed since beyond the
    next run's window: it is loaded, and fetched again all the same."""
    down = Reply(503, "Service Unavailable", {"Retry-After": "0"})
    server = flaky(efetch=[PASS, PASS, down, down, down])
    s = live_settings(tmp_path, server.url, max_retries=2)
    with pytest.raises(NCBIError):
        pipeline.nightly(s, client_options={"sleep": lambda s: None})
    (journal,) = s.raw_dir.glob("*/journal.jsonl")
    old = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=s.overlap_days, hours=1)).isoformat(timespec="seconds")
    journal.write_text(re.sub(r'"at": "[^"]+"', f'"at": "{old}"', journal.read_text()))
    before = len(server.requests)
    second = pipeline.nightly(s, client_options={"sleep": lambda s: None})
    efetches = [r for r in server.requests[before:] if r.utility == "efetch.fcgi"]
    assert len(efetches) == 3 and (second.new, second.fetched) == (26, 26)
    check_exactly_once(s.db, reference)


# -- NCBI never recovers ----------------------------------------------------------------------------

def test_ncbi_down_fails_clearly_keeps_the_warehouse_and_the_next_run_completes(
        flaky, tmp_path, monkeypatch, capsys, reference):
    server = flaky()
    s = live_settings(tmp_path, server.url, max_retries=2)
    first = pipeline.nightly(s)
    before = sha(s.db)
    server.always = Reply(503, "Service Unavailable", {"Retry-After": "0"})
    faults_before = server.faults
    for key, value in {"EVIDENCE_DB": s.db, "EVIDENCE_PUBMED": "live", "EVIDENCE_EUTILS_URL": server.url,
                       "NCBI_EMAIL": EMAIL, "EVIDENCE_MAX_RETRIES": "2"}.items():
        monkeypatch.setenv(key, str(value))
    monkeypatch.delenv("EVIDENCE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    assert cli_main(["run", "--no-prefect", "--full", "-q"]) == 3
    err = capsys.readouterr().err
    assert "esearch.fcgi answered HTTP 503" in err and "gave up after 3 attempt(s)" in err
    assert "try again later" in err
    assert sha(s.db) == before
    assert not list(tmp_path.glob(".*.staging*"))
    down_faults = server.faults - faults_before
    server.always = None
    second = pipeline.nightly(s, full=True)
    assert (first.new, second.unchanged) == (26, 26)
    runs = q(s.db, "SELECT status, last_stage FROM runs ORDER BY run_id")
    assert runs == [("success", "publish"), ("failed", "start"), ("success", "publish")]
    LEDGER.add("fault: NCBI down for a whole run (503 on every retry)", down_faults, 2,
               *check_exactly_once(s.db, reference))


def test_non_transient_error_mid_fetch_loses_nothing(flaky, tmp_path, reference):
    """An error a retry cannot cure, after one batch landed: the run fails; the next one loads the
    landed batch (recovery) and completes."""
    lost_history = Reply(400, "<eFetchResult><ERROR>Cannot retrieve history data. query_key: 1, "
                              "WebEnv: MCID_x</ERROR></eFetchResult>")
    server = flaky(efetch=[PASS, lost_history])
    s = live_settings(tmp_path, server.url)
    with pytest.raises(NCBIError, match="no longer has the search"):
        pipeline.nightly(s)
    assert not s.db.exists()  # nothing was ever published
    failed_run = next(land.run_ids(s.raw_dir))
    assert len(land.raw_files(s.raw_dir)) == 1
    report = pipeline.nightly(s)
    assert report.recovered_runs == [failed_run] and report.new == 26
    assert q(s.db, "SELECT status, last_stage FROM runs WHERE run_id = ?", [failed_run]) == [("failed", "fetch")]
    LEDGER.add("fault: non-retryable <ERROR> after a landed batch", server.faults, 1,
               *check_exactly_once(s.db, reference))


# -- the disk ---------------------------------------------------------------------------------------

def enospc(*args: Any, **kwargs: Any) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.fixture
def published(tmp_path, snapshot_warehouse):
    """A warehouse that already holds the snapshot (copied from the session's), and its settings."""
    s = make_settings(tmp_path, batch_size=10)
    shutil.copyfile(snapshot_warehouse.db, s.db)
    return s


@pytest.mark.parametrize("where", ["copying the warehouse to staging", "landing a raw batch",
                                   "loading a chunk", "swapping the staging copy in",
                                   "creating the lock file (unwritable folder)"])
def test_disk_full_is_a_clear_error_and_the_warehouse_stays(where, published, monkeypatch, reference):
    s = published
    before = sha(s.db)
    if where == "copying the warehouse to staging":
        monkeypatch.setattr(shutil, "copyfile", enospc)
    elif where == "landing a raw batch":
        monkeypatch.setattr(land, "land", enospc)
    elif where == "loading a chunk":
        monkeypatch.setattr(pipeline, "load_frames", enospc)
    elif where == "swapping the staging copy in":
        real = os.replace

        def replace(src, dst, *a, **k):
            if Path(dst) == s.db:
                enospc()
            return real(src, dst, *a, **k)
        monkeypatch.setattr("os.replace", replace)
    else:
        from evidence.warehouse import publish
        monkeypatch.setattr(publish, "lock_path", lambda db: Path("/proc/no-such-dir/lock"))
    with pytest.raises(WarehouseError) as caught:
        pipeline.nightly(s, full=True)
    message = str(caught.value)
    unwritable = where.startswith("creating the lock")
    assert ("cannot create the lock file" if unwritable else "the disk is full; free some space") in message
    assert "The published warehouse was left as it was." in message
    assert sha(s.db) == before
    assert not list(s.db.parent.glob(".*.staging*"))
    monkeypatch.undo()
    report = pipeline.nightly(s, full=True)  # space freed: the next run completes
    assert (report.status, report.new, report.updated) == ("success", 0, 0)
    # what the failed run fetched and landed is loaded from its raw files, not fetched again
    assert (report.unchanged, report.fetched) == (26, 0 if report.recovered_runs else 26)
    LEDGER.add(f"fault: {'' if unwritable else 'disk full while '}{where}", 1, 1,
               *check_exactly_once(s.db, reference))


def test_disk_full_exit_code(published, monkeypatch, capsys):
    monkeypatch.setattr(shutil, "copyfile", enospc)
    for key, value in {"EVIDENCE_DB": published.db, "EVIDENCE_SNAPSHOT": SNAPSHOT}.items():
        monkeypatch.setenv(key, str(value))
    monkeypatch.delenv("EVIDENCE_CONFIG", raising=False)
    monkeypatch.chdir(published.db.parent)
    assert cli_main(["run", "--no-prefect", "-q"]) == 5
    assert "the disk is full; free some space and run again" in capsys.readouterr().err
