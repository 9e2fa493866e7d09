"""The E-utilities client against real local HTTP servers: the requests it builds, NCBI's rate
limit, retries and back-off, NCBI's in-body errors, batching, the esearch cap, key redaction."""

from __future__ import annotations

import logging
import math
import sys
from datetime import date
from pathlib import Path

import pytest
from ncbi_server import (FIXTURES, SNAPSHOT, FakeTime, Reply, esearch_xml, fake_time,  # noqa: F401
                         ncbi_server, pubmed_xml)

from evidence.errors import NCBIError, QueryError
from evidence.fetch import EUtils, ReplayServer, SearchResult, fetch_ids, iter_batches, redact, search, windowed_term
from evidence.fetch.eutils import RATE_MARGIN, WINDOW_AIM, parse_esearch
from evidence.parse import parse_all
from evidence.settings import Settings

KEY = "0123456789abcdefSECRETKEY"
OK_SEARCH = esearch_xml(3, ["3", "2", "1"])


def make_client(server, fake: FakeTime, rng=lambda: 0.5, **settings) -> EUtils:
    defaults = {"ncbi_email": "team@clinic.example", "tool": "evidence-test", "max_retries": 3, "timeout": 5.0}
    return EUtils(Settings(**{**defaults, **settings}), server.url, clock=fake.clock, sleep=fake.sleep, rng=rng)


# -- the request built ------------------------------------------------------------------------------

def test_esearch_sends_history_tool_and_email_without_key(ncbi_server, fake_time):
    server = ncbi_server(Reply(body=OK_SEARCH))
    result = make_client(server, fake_time).esearch("dry needling AND knee")
    assert result == SearchResult("dry needling AND knee", 3, ("3", "2", "1"), "MCID_test", "1")
    [seen] = server.requests
    assert (seen.method, seen.utility) == ("GET", "esearch.fcgi")
    assert seen.params == {"db": "pubmed", "term": "dry needling AND knee", "usehistory": "y",
                           "retmax": "10000", "tool": "evidence-test", "email": "team@clinic.example"}


def test_api_key_is_sent_on_every_call_when_set(ncbi_server, fake_time):
    server = ncbi_server(Reply(body=OK_SEARCH), Reply(body=pubmed_xml(["3", "2", "1"])),
                         Reply(body=pubmed_xml(["7"])))
    client = make_client(server, fake_time, ncbi_api_key=KEY)
    result = client.esearch("knee")
    client.efetch(webenv=result.webenv, query_key=result.query_key, retstart=0, retmax=3)
    client.efetch(ids=["7"])
    assert [s.params.get("api_key") for s in server.requests] == [KEY] * 3
    assert all(s.params["tool"] == "evidence-test" and s.params["email"] == "team@clinic.example"
               for s in server.requests)


def test_efetch_reads_the_history_server_slice(ncbi_server, fake_time):
    server = ncbi_server(Reply(body=pubmed_xml(["5", "6"])))
    body = make_client(server, fake_time).efetch(webenv="MCID_abc", query_key="2", retstart=400, retmax=200)
    assert body == pubmed_xml(["5", "6"]).encode()
    assert server.requests[0].params == {"db": "pubmed", "retmode": "xml", "WebEnv": "MCID_abc", "query_key": "2",
                                         "retstart": "400", "retmax": "200", "tool": "evidence-test",
                                         "email": "team@clinic.example"}


@pytest.mark.parametrize("n, method", [(200, "GET"), (201, "POST")])
def test_long_id_lists_are_posted(ncbi_server, fake_time, n, method):
    ids = [str(10_000_000 + i) for i in range(n)]
    server = ncbi_server(Reply(body=pubmed_xml(ids)))
    make_client(server, fake_time).efetch(ids=ids)
    [seen] = server.requests
    assert seen.method == method
    assert seen.params["id"] == ",".join(ids)
    assert (seen.form != {}) == (method == "POST") and (seen.query == {}) == (method == "POST")


# -- NCBI's rate limit ------------------------------------------------------------------------------

@pytest.mark.parametrize("api_key, interval", [(None, RATE_MARGIN / 3), (KEY, RATE_MARGIN / 10)])
def test_rate_limit_spaces_all_calls_of_a_client(ncbi_server, fake_time, api_key, interval):
    server = ncbi_server(*[Reply(body=OK_SEARCH)] * 4 + [Reply(body=pubmed_xml(["1"]))] * 3)
    client = make_client(server, fake_time, ncbi_api_key=api_key)
    for _ in range(4):
        client.esearch("knee")
    for _ in range(3):
        client.efetch(ids=["1"])
    assert fake_time.sleeps == pytest.approx([interval] * 6)
    assert sum(fake_time.sleeps) == pytest.approx(6 * interval)  # 7 calls at 3/s: 2 s (+10% margin); at 10/s: 0.6 s
    assert client.requests_made == 7


def test_rate_limit_does_not_wait_when_time_has_passed(ncbi_server, fake_time):
    server = ncbi_server(Reply(body=OK_SEARCH), Reply(body=OK_SEARCH), Reply(body=OK_SEARCH))
    client = make_client(server, fake_time)
    client.esearch("knee")
    fake_time.now += 0.25  # 1/12 s short of the interval
    client.esearch("knee")
    fake_time.now += 5
    client.esearch("knee")
    assert fake_time.sleeps == pytest.approx([RATE_MARGIN / 3 - 0.25])


# -- retries ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_throttling_and_server_errors_are_retried_then_succeed(ncbi_server, fake_time, status):
    server = ncbi_server(Reply(status), Reply(status), Reply(body=OK_SEARCH))
    client = make_client(server, fake_time)
    assert client.esearch("knee").count == 3
    assert client.requests_made == len(server.requests) == 3
    assert fake_time.sleeps == [0.75, 1.5]  # rng 0.5: half fixed + half of the random part of 1 s, 2 s


def test_retry_after_is_honoured(ncbi_server, fake_time):
    server = ncbi_server(Reply(429, headers={"Retry-After": "7"}), Reply(body=OK_SEARCH))
    make_client(server, fake_time).esearch("knee")
    assert fake_time.sleeps == [7.0]


@pytest.mark.parametrize("rng_value", [0.0, 0.999])
def test_backoff_grows_exponentially_within_jitter_bounds(ncbi_server, fake_time, rng_value):
    server = ncbi_server(*[Reply(503)] * 5, Reply(body=OK_SEARCH))
    client = make_client(server, fake_time, rng=lambda: rng_value, max_retries=5)
    client.esearch("knee")
    assert len(fake_time.sleeps) == 5
    for attempt, delay in enumerate(fake_time.sleeps):
        assert 2 ** attempt / 2 <= delay < 2 ** attempt
    assert fake_time.sleeps[0] == pytest.approx(0.5 + rng_value * 0.5)
    assert client.backoff(20) < client.backoff_max + 1e-9  # capped


def test_gives_up_after_max_retries_with_a_clear_error(ncbi_server, fake_time):
    server = ncbi_server(fallback=Reply(503))
    client = make_client(server, fake_time, max_retries=2)
    with pytest.raises(NCBIError) as err:
        client.esearch("knee")
    assert len(server.requests) == 3 and client.requests_made == 3
    assert err.value.retryable and err.value.status == 503
    assert "HTTP 503" in str(err.value) and "gave up after 3 attempt(s)" in str(err.value)
    assert "try again later" in str(err.value)


def test_a_reset_connection_is_retried(ncbi_server, fake_time):
    server = ncbi_server(Reply(reset=True), Reply(body=OK_SEARCH))
    assert make_client(server, fake_time).esearch("knee").count == 3
    assert len(server.requests) == 2 and len(fake_time.sleeps) == 1


def test_a_stall_past_the_timeout_is_retried(ncbi_server, fake_time):
    server = ncbi_server(Reply(delay=2.0, body=OK_SEARCH), Reply(body=OK_SEARCH))
    assert make_client(server, fake_time, timeout=0.2).esearch("knee").count == 3
    assert len(server.requests) == 2


def test_a_stall_every_time_names_the_timeout(ncbi_server, fake_time):
    server = ncbi_server(fallback=Reply(delay=2.0, body=OK_SEARCH))
    with pytest.raises(NCBIError, match=r"no answer within 0\.2 s .*gave up after 2 attempt"):
        make_client(server, fake_time, timeout=0.2, max_retries=1).esearch("knee")


# -- NCBI's errors in the body ------------------------------------------------------------------------

def test_in_body_error_elements_are_raised_without_retry(ncbi_server, fake_time):
    server = ncbi_server(Reply(body=(FIXTURES / "epost3.xml").read_bytes()))
    with pytest.raises(NCBIError, match="Empty ID list; Nothing to store") as err:
        make_client(server, fake_time).efetch(ids=["1"])
    assert not err.value.retryable and len(server.requests) == 1


def test_phrase_not_found_is_an_empty_result_not_an_error(ncbi_server, fake_time, caplog):
    server = ncbi_server(Reply(body=(FIXTURES / "esearch8.xml").read_bytes()))
    client = make_client(server, fake_time)
    with caplog.at_level(logging.WARNING, logger="evidence.fetch"):
        result = search(client, "abcXYZ", 10_000)
    assert (result.count, result.pmids, result.parts) == (0, (), ())
    assert list(iter_batches(client, result, 200)) == []
    assert client.requests_made == 1  # nothing new: one request, no efetch
    assert "abcXYZ" in caplog.text


@pytest.mark.parametrize("body", [
    "<eSearchResult><ERROR>Invalid query syntax</ERROR></eSearchResult>",
    "<eSearchResult><Count>0</Count><RetMax>0</RetMax><RetStart>0</RetStart><IdList/>"
    "<ErrorList><FieldNotFound>meshh</FieldNotFound></ErrorList></eSearchResult>",
    '{"esearchresult": {"ERROR": "Invalid query syntax"}}',
])
def test_a_rejected_query_raises_query_error(ncbi_server, fake_time, body):
    server = ncbi_server(Reply(body=body))
    with pytest.raises(QueryError, match="query") as err:
        make_client(server, fake_time).esearch("knee[meshh]")
    assert not err.value.retryable and len(server.requests) == 1


@pytest.mark.parametrize("status", [200, 429])
def test_json_rate_limit_error_is_retried(ncbi_server, fake_time, status):
    server = ncbi_server(Reply(status, '{"error":"API rate limit exceeded","count":"11"}',
                               {"Content-Type": "application/json"}), Reply(body=OK_SEARCH))
    assert make_client(server, fake_time).esearch("knee").count == 3
    assert len(server.requests) == 2


def test_invalid_api_key_is_not_retried_and_not_shown(ncbi_server, fake_time):
    body = f'{{"error":"API key invalid","api-key":"{KEY}","type":"api-key","status":"unknown"}}'
    server = ncbi_server(Reply(400, body))
    with pytest.raises(NCBIError, match="NCBI_API_KEY") as err:
        make_client(server, fake_time, ncbi_api_key=KEY).esearch("knee")
    assert not err.value.retryable and len(server.requests) == 1
    assert KEY not in str(err.value) and KEY not in (err.value.url or "")


HTML = ("<!DOCTYPE html><html><head><title>NCBI Maintenance</title></head>"
        "<body>The site is down for maintenance.</body></html>")
TRUNCATED = pubmed_xml(["1", "2"])[:-40]


@pytest.mark.parametrize("bad, says", [(HTML, "HTML page ('NCBI Maintenance')"),
                                       (TRUNCATED, "truncated PubMed XML"),
                                       (esearch_xml(1, ["1"]), "something other than PubMed XML"),
                                       ("", "empty body")])
def test_unusable_efetch_bodies_are_retried_then_explained(ncbi_server, fake_time, bad, says):
    server = ncbi_server(Reply(body=bad), Reply(body=pubmed_xml(["1", "2"])))
    client = make_client(server, fake_time, max_retries=1)
    assert client.efetch(ids=["1", "2"]) == pubmed_xml(["1", "2"]).encode()
    server.add(Reply(body=bad), Reply(body=bad))
    with pytest.raises(NCBIError) as err:
        client.efetch(ids=["1", "2"])
    assert says in str(err.value) and "try again later" in str(err.value) and err.value.retryable
    assert len(server.requests) == 4


def test_an_expired_webenv_says_to_search_again(ncbi_server, fake_time):
    body = "<eFetchResult><ERROR>Cannot retrieve history data. query_key: 1, WebEnv: MCID_x</ERROR></eFetchResult>"
    server = ncbi_server(Reply(400, body))
    with pytest.raises(NCBIError, match="run the search again") as err:
        make_client(server, fake_time).efetch(webenv="MCID_x", query_key="1")
    assert err.value.status == 400 and not err.value.retryable


@pytest.mark.parametrize("name, count, n_ids, first, last, webenv, query_key", [
    ("esearch1.xml", 63, 20, "41282813", "37810457", None, None),
    ("esearch2.xml", 42249, 100, "41297076", "41296368", "MCID_6927d6e7fee3e90f880ec190", "1"),
    ("esearch3.xml", 2651, 6, "11121077", "11121072", None, None),
    ("esearch5.xml", 5, 5, "6540636", "3443459", None, None),
    ("esearch6.xml", 1018, 20, "3069587804", "2274792553", None, None),
    ("esearch7.xml", 330, 20, "3108048616", "2174081062", None, None),
    ("esearch8.xml", 0, 0, None, None, None, None),
])
def test_real_esearch_answers_parse(name, count, n_ids, first, last, webenv, query_key):
    r = parse_esearch((FIXTURES / name).read_bytes(), "t")
    assert (r.count, len(r.pmids), r.pmids[0] if r.pmids else None, r.pmids[-1] if r.pmids else None,
            r.webenv, r.query_key) == (count, n_ids, first, last, webenv, query_key)


# -- batches and the esearch cap, on the replay of the snapshot ----------------------------------------

@pytest.fixture(scope="module")
def replay():
    with ReplayServer(SNAPSHOT) as server:
        yield server


@pytest.fixture(scope="module")
def snapshot_pmids() -> set[str]:
    return {a["pmid"] for a in parse_all(SNAPSHOT)[0]}


def pmids_in(body: bytes) -> list[str]:
    return [a["pmid"] for a in parse_all(body)[0]]


def test_a_backfill_is_one_search_and_a_retstart_loop(replay, fake_time, snapshot_pmids):
    client = make_client(replay, fake_time)
    before = len(replay.requests)
    result = search(client, "dry needling", 10_000)
    batches = list(iter_batches(client, result, 10))
    assert [b.index for b in batches] == [0, 1, 2]
    efetches = [p for _, u, p in replay.requests[before:] if u == "efetch.fcgi"]
    assert [(p["retstart"], p["retmax"], p["WebEnv"]) for p in efetches] == [
        (s, "10", result.webenv) for s in ("0", "10", "20")]
    assert client.requests_made == 1 + math.ceil(26 / 10)
    assert [pmids_in(b.body) for b in batches] == [list(b.requested) for b in batches]
    assert {p for b in batches for p in b.requested} == snapshot_pmids


def test_results_over_the_cap_are_split_by_create_date(replay, fake_time, snapshot_pmids):
    client = make_client(replay, fake_time)
    result = search(client, "dry needling", 10, today=date(2026, 1, 1))
    assert len(result.parts) > 1 and all(0 < p.count <= 10 for p in result.parts)
    assert all('[crdt] : "' in p.term and p.term.startswith("(dry needling) AND (") for p in result.parts)
    assert sorted(result.pmids) == sorted(snapshot_pmids) and result.count == 26
    searched = client.requests_made
    batches = list(iter_batches(client, result, 4))
    fetched = [p for b in batches for p in pmids_in(b.body)]
    assert sorted(fetched) == sorted(snapshot_pmids)  # all 26, none twice
    assert [b.index for b in batches] == list(range(len(batches)))
    # fetched by id list across the parts' edges: full batches, ceil(26 / 4) requests
    assert [len(b.requested) for b in batches] == [4] * 6 + [2]
    assert client.requests_made - searched == math.ceil(26 / 4)


@pytest.fixture(scope="module")
def thousands(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2,000 generated records (the benchmarks' generator: real corpus text, dates spread over decades)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import generate
    return generate.generate(2000, tmp_path_factory.mktemp("gen") / "pubmed-2000.xml", seed=5)


def test_a_search_ten_times_over_the_cap_takes_few_searches(thousands, fake_time):
    """At 10x the cap (as 100,000 records are at NCBI's 10,000), the create-date windows are sized
    from the records the window before held: a few searches more than the 1 + 10 it takes at least,
    where halving the date range took 3x as many."""
    with ReplayServer(thousands) as server:
        client = make_client(server, fake_time)
        result = search(client, "knee", 200, today=date(2026, 11, 21))
        searches = client.requests_made
        batches = list(iter_batches(client, result, 20))
        pmids = [p for b in batches for p in pmids_in(b.body)]
    assert result.count == 2000 and len(set(result.pmids)) == 2000 and sorted(pmids) == sorted(result.pmids)
    assert all(0 < p.count <= 200 for p in result.parts)
    assert searches <= 1 + math.ceil(2000 / (WINDOW_AIM * 200)) + 2
    assert client.requests_made == searches + 2000 // 20


def test_records_added_during_the_windows_are_searched_too(replay, fake_time, snapshot_pmids, caplog):
    """The first search's count tells when the rest fits in one last search; if PubMed added records
    meanwhile, that search is over the cap and the walk goes on window by window."""
    client = make_client(replay, fake_time)
    real = client.esearch

    def fewer_at_first(term: str, **kw):  # as if 12 of the 26 records arrived after the first search
        found = real(term, **kw)
        return found if "[crdt]" in term else SearchResult(term, found.count - 12, found.pmids[:-12], None, None)

    client.esearch = fewer_at_first
    with caplog.at_level(logging.WARNING, logger="evidence"):
        result = search(client, "dry needling", 10, today=date(2026, 1, 1))
    assert sorted(result.pmids) == sorted(snapshot_pmids) and all(0 < p.count <= 10 for p in result.parts)
    assert "the create-date searches found 26 records, the first search 14" in caplog.text


def test_one_day_over_the_cap_cannot_be_split(replay, fake_time):
    client = make_client(replay, fake_time)
    with pytest.raises(NCBIError, match="created on 2020/01/01 alone, over the esearch cap of 2"):
        search(client, '"2020/01/01"[crdt]', 2)


def test_a_nightly_run_with_nothing_new_is_one_request(replay, fake_time):
    client = make_client(replay, fake_time)
    result = search(client, windowed_term("dry needling", date(2030, 1, 1), date(2030, 1, 4)), 10_000)
    assert result.count == 0 and list(iter_batches(client, result, 200)) == []
    assert client.requests_made == 1


def test_missing_records_are_fetched_by_id_list(replay, fake_time):
    client = make_client(replay, fake_time)
    wanted = sorted(a["pmid"] for a in parse_all(SNAPSHOT)[0])[:5]
    [batch] = fetch_ids(client, wanted + wanted[:1], 200)
    assert pmids_in(batch.body) == wanted and batch.requested == tuple(wanted)


# -- the API key never shows ------------------------------------------------------------------------------

def test_api_key_is_redacted_in_errors_and_logs(ncbi_server, fake_time, caplog):
    server = ncbi_server(fallback=Reply(503))
    client = make_client(server, fake_time, ncbi_api_key=KEY, max_retries=1)
    with caplog.at_level(logging.DEBUG), pytest.raises(NCBIError) as err:
        client.esearch("knee")
    assert server.requests[0].params["api_key"] == KEY  # sent...
    shown = str(err.value) + (err.value.url or "") + caplog.text
    assert KEY not in shown  # ...never shown
    assert "api_key=***" in (err.value.url or "") and "api_key=***" in caplog.text
    assert "urllib3" in caplog.text  # the library's own request lines were checked too


def test_redact_hides_keys_in_urls_and_json():
    assert redact("http://x/e.fcgi?term=a&api_key=abc123&tool=t") == "http://x/e.fcgi?term=a&api_key=***&tool=t"
    assert redact('{"api-key":"abc123"}') == '{"api-key":"***"}'
    assert redact("key abc123 leaked", "abc123") == "key *** leaked"
