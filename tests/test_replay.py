"""The local E-utilities replay of the snapshot: what it finds for a term, what efetch returns,
and that open_client picks it (or not) from the settings."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
import requests
from ncbi_server import SNAPSHOT, fake_time  # noqa: F401

from evidence.errors import ConfigError, NCBIError, QueryError
from evidence.fetch import EUtils, ReplayServer, open_client, search, windowed_term
from evidence.fetch.eutils import parse_esearch
from evidence.parse import parse_all
from evidence.settings import NCBI_EUTILS_URL, Settings


@pytest.fixture(scope="module")
def replay():
    with ReplayServer(SNAPSHOT) as server:
        yield server


@pytest.fixture(scope="module")
def articles() -> list[dict]:
    return parse_all(SNAPSHOT)[0]


def entrez(article: dict) -> date:
    return next(h["date"] for h in article["history"] if h["status"] == "entrez")


def ask(replay, utility: str, method: str = "GET", **params) -> requests.Response:
    url = replay.url + utility
    if method == "GET":
        return requests.get(url, params=params, timeout=5)
    return requests.post(url, data=params, timeout=5)


def found(replay, term: str) -> set[str]:
    response = ask(replay, "esearch.fcgi", db="pubmed", term=term, retmax=1000)
    return set(parse_esearch(response.content, term).pmids)


def test_the_topic_part_of_a_term_matches_every_record(replay, articles):
    term = '("Dry Needling"[Mesh]) AND knee*[tiab]'
    response = ask(replay, "esearch.fcgi", db="pubmed", term=term, retmax=100)
    result = parse_esearch(response.content)
    assert result.count == len(articles) == 26
    assert sorted(result.pmids) == sorted(a["pmid"] for a in articles)
    newest_first = [entrez(next(a for a in articles if a["pmid"] == p)) for p in result.pmids]
    assert newest_first == sorted(newest_first, reverse=True)


@pytest.mark.parametrize("term, keep", [
    (windowed_term("dry needling", date(2020, 1, 1), date(2020, 12, 31)), lambda a: entrez(a).year == 2020),
    ('knee AND ("2016/01/01"[crdt] : "2018/06/30"[crdt])', lambda a: date(2016, 1, 1) <= entrez(a) <= date(2018, 6, 30)),
    ('"2021"[edat]', lambda a: entrez(a).year == 2021),
    ('knee AND ("2016"[dp] OR "2017"[dp])', lambda a: a["pub_year"] in (2016, 2017)),
    ('knee NOT ("2000/01/01"[crdt] : "2020/12/31"[crdt])', lambda a: entrez(a).year > 2020),
    ("knee NOT humans[mesh]", lambda a: True),  # a topic clause excludes nothing
    ('("2024"[mdat] OR "2007"[Date - Create]) AND 2024/01/01:2024/12/31[dp]', lambda a: entrez(a).year == 2024),
    ("39954145[uid] OR 36295010[pmid]", lambda a: a["pmid"] in ("39954145", "36295010")),
])
def test_date_and_uid_clauses_are_honoured(replay, articles, term, keep):
    expected = {a["pmid"] for a in articles if keep(a)}
    assert expected, "the test must select something"
    assert found(replay, term) == expected


def test_history_server_and_efetch_return_records_verbatim(replay):
    search_answer = parse_esearch(ask(replay, "esearch.fcgi", term="knee", usehistory="y", retmax=3).content)
    assert search_answer.webenv.startswith("MCID_") and search_answer.query_key == "1"
    assert len(search_answer.pmids) == 3 and search_answer.count == 26
    body = ask(replay, "efetch.fcgi", db="pubmed", retmode="xml", WebEnv=search_answer.webenv,
               query_key="1", retstart=2, retmax=5).content
    assert body.startswith(b'<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC')
    fetched = [a["pmid"] for a in parse_all(body)[0]]
    assert fetched[0] == search_answer.pmids[2] and len(fetched) == 5
    snapshot = SNAPSHOT.read_bytes()
    records = re.findall(rb"<PubmedArticle>.*?</PubmedArticle>", body, re.S)
    assert len(records) == 5 and all(r in snapshot for r in records)  # byte for byte


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_efetch_by_id_list_keeps_order_and_skips_unknown_ids(replay, method):
    body = ask(replay, "efetch.fcgi", method, db="pubmed", id="36295010,1,39954145,36295010").content
    assert [a["pmid"] for a in parse_all(body)[0]] == ["36295010", "39954145"]


def test_json_esearch(replay):
    data = json.loads(ask(replay, "esearch.fcgi", term='"2022"[crdt]', retmode="json", usehistory="y").content)
    result = data["esearchresult"]
    assert result["count"] == "2" and len(result["idlist"]) == 2 and result["webenv"].startswith("MCID_")
    assert parse_esearch(json.dumps(data).encode()).pmids == tuple(result["idlist"])


def test_unknown_webenv_and_empty_term_answer_like_ncbi(replay):
    response = ask(replay, "efetch.fcgi", WebEnv="MCID_nope", query_key="1")
    assert response.status_code == 400 and b"<ERROR>Cannot retrieve history data." in response.content
    assert b"<ERROR>Empty term and query_key - nothing todo</ERROR>" in ask(replay, "esearch.fcgi", term="").content
    assert ask(replay, "epost.fcgi").status_code == 404


def test_the_client_reports_replay_errors_clearly(replay, fake_time):
    client = EUtils(Settings(), replay.url, clock=fake_time.clock, sleep=fake_time.sleep)
    with pytest.raises(NCBIError, match="run the search again"):
        client.efetch(webenv="MCID_nope", query_key="1")
    with pytest.raises(QueryError, match="empty"):
        client.esearch(" ")


def test_a_missing_snapshot_names_the_path_and_the_setting(tmp_path):
    with pytest.raises(ConfigError, match=r"nope\.xml.*EVIDENCE_SNAPSHOT"):
        ReplayServer(tmp_path / "nope.xml")


def test_open_client_serves_the_snapshot_in_replay_mode(fake_time):
    settings = Settings(snapshot=SNAPSHOT, esearch_cap=10)
    with open_client(settings, clock=fake_time.clock, sleep=fake_time.sleep) as client:
        assert client.base_url.startswith("http://127.0.0.1:")
        result = search(client, "knee", settings.esearch_cap)
        assert len(result.pmids) == 26 and result.parts
    with pytest.raises(requests.ConnectionError):  # the replay stopped with the client
        requests.get(client.base_url + "esearch.fcgi", timeout=1)


@pytest.mark.parametrize("settings, url", [
    (Settings(pubmed="live", ncbi_email="a@b.example"), NCBI_EUTILS_URL),
    (Settings(pubmed="live", ncbi_email="a@b.example", eutils_url="http://mirror.example/eutils"),
     "http://mirror.example/eutils/"),
    (Settings(eutils_url="http://127.0.0.1:9/"), "http://127.0.0.1:9/"),  # an explicit URL wins in replay mode
])
def test_open_client_picks_the_url_from_the_settings(settings, url):
    with open_client(settings) as client:
        assert client.base_url == url and client.requests_made == 0
