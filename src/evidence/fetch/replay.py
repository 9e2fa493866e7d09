"""A local E-utilities replay: ``esearch.fcgi`` and ``efetch.fcgi`` over a PubMed XML snapshot.

It lets the offline default run the very same client and code path as live PubMed: the pipeline
only sees another base URL. What it does, and where it differs from NCBI:

* esearch: the *topic* part of the term (words, phrases, MeSH, field-tagged terms) is taken to
  match every record of the snapshot -- the snapshot *is* the topic's search result. Date clauses
  are honoured: ``"YYYY[/MM[/DD]]"[field]`` and ranges ``"from"[field] : "to"[field]`` on crdt
  and edat (the record's entrez date, else its pubmed date), mdat (DateRevised, else its latest
  history date) and dp (publication date); so are ``123[uid]``/``[pmid]`` clauses. AND, OR and
  NOT are read left to right like PubMed (no precedence) with parentheses; ``A NOT topic`` is
  taken as ``A`` (a topic clause excludes nothing). Results are sorted newest entrez date first.
  ``usehistory=y`` stores the result under a WebEnv/QueryKey; retstart/retmax; retmode xml or json.
* efetch: ``WebEnv``/``query_key`` with retstart/retmax, or ``id=`` a comma list; answers a
  PubmedArticleSet with the snapshot's records, each record's XML bytes verbatim, under the
  snapshot's own XML declaration and DOCTYPE. An unknown WebEnv gets an ``<ERROR>`` body.
* GET and POST (form-encoded) both work; there is no rate limit and no API-key check.
"""

from __future__ import annotations

import calendar
import json
import logging
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from ..errors import ConfigError
from ..parse import parse_all

log = logging.getLogger(__name__)

_RECORD = re.compile(rb"<PubmedArticle[\s>].*?</PubmedArticle>", re.S)
_PMID = re.compile(rb"<PMID[^>]*>\s*(\d+)\s*</PMID>")
_DEFAULT_PROLOG = (b'<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, '
                   b'1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n')
_ESEARCH_PROLOG = ('<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD '
                   'esearch 20060628//EN" "https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n')
_EFETCH_PROLOG = ('<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eFetchResult PUBLIC "-//NLM//DTD '
                  'efetch 20131226//EN" "https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20131226/efetch.dtd">\n')
_DATE_FIELDS = {"crdt": "crdt", "date - create": "crdt", "edat": "edat", "date - entry": "edat",
                "mdat": "mdat", "date - modification": "mdat", "dp": "dp", "pdat": "dp",
                "date - publication": "dp", "publication date": "dp"}
_UID_FIELDS = {"uid", "pmid", "pmid:noexp"}
_D = r'"?(\d{4}(?:/\d{1,2}(?:/\d{1,2})?)?)"?'
_TOKEN = re.compile(
    rf'(?P<range>{_D}(?:\[[^\]]+\])?\s*:\s*{_D}\[[^\]]+\])'
    r'|(?P<lp>\()|(?P<rp>\))'
    r'|(?P<atom>"[^"]*"(?:\[[^\]]*\])?|[^\s()"\[]+(?:\[[^\]]*\])?)'
    r'|(?P<other>\S)')
_RANGE = re.compile(rf'^{_D}(?:\[([^\]]+)\])?\s*:\s*{_D}\[([^\]]+)\]$')
_SINGLE = re.compile(rf'^{_D}\[([^\]]+)\]$')
_UID = re.compile(r'^"?(\d+)"?\[([^\]]+)\]$')


@dataclass(frozen=True)
class Record:
    """One snapshot record: its PMID, its original XML bytes, and the dates a search can ask about."""

    pmid: str
    xml: bytes
    dates: dict[str, date | None]


def _period(text: str) -> tuple[date, date]:
    """First and last day a PubMed date means: "2020" is the whole year, "2020/05" all of May."""
    parts = [int(p) for p in text.split("/")]
    y = parts[0]
    if len(parts) == 1:
        return date(y, 1, 1), date(y, 12, 31)
    m = min(max(parts[1], 1), 12)
    last = calendar.monthrange(y, m)[1]
    if len(parts) == 2:
        return date(y, m, 1), date(y, m, last)
    d = min(max(parts[2], 1), last)
    return date(y, m, d), date(y, m, d)


def load_snapshot(path: Path) -> tuple[bytes, list[Record]]:
    """The snapshot's prolog (XML declaration, DOCTYPE) and its records, XML kept byte for byte."""
    if not path.is_file():
        raise ConfigError(f"the PubMed snapshot {str(path)!r} does not exist (resolved: {path.resolve()}); "
                          "set EVIDENCE_SNAPSHOT to the PubMed XML file the replay should serve")
    data = path.read_bytes()
    articles, _, _ = parse_all(data)
    by_pmid = {a["pmid"]: a for a in articles}
    records = []
    for chunk in _RECORD.findall(data):
        found = _PMID.search(chunk)
        article = by_pmid.get(found.group(1).decode()) if found else None
        if article is None:
            continue
        history = {h["status"]: h["date"] for h in article["history"]}
        entered = history.get("entrez") or history.get("pubmed")
        revised = article["date_revised"] or max(history.values(), default=None)
        records.append(Record(article["pmid"], chunk, {
            "crdt": entered, "edat": entered, "mdat": revised, "dp": article["pub_date"]}))
    start = data.find(b"<PubmedArticleSet")
    prolog = data[:start] if start > 0 and b"<!DOCTYPE" in data[:start] else _DEFAULT_PROLOG
    return prolog, records


class _Query:
    """A PubMed term read just far enough to apply its date and uid clauses (see module doc)."""

    def __init__(self, term: str, records: list[Record]) -> None:
        self.records = records
        self.all = frozenset(range(len(records)))
        self.tokens: list[tuple[str, str]] = [
            (m.lastgroup or "other", m.group(0)) for m in _TOKEN.finditer(term)]
        self.pos = 0

    def matches(self) -> frozenset[int]:
        result, _ = self._expr(top=True)
        return result

    def _expr(self, top: bool = False) -> tuple[frozenset[int], bool]:
        value = self._operand()
        while self.pos < len(self.tokens):
            kind, text = self.tokens[self.pos]
            if kind == "rp":
                self.pos += 1
                if top:  # a stray ")": PubMed ignores it
                    continue
                return value
            op = "AND"
            if kind == "atom" and text in ("AND", "OR", "NOT"):
                op, self.pos = text, self.pos + 1
            right = self._operand()
            (a, pure_a), (b, pure_b) = value, right
            if op == "AND":
                value = (a & b, pure_a and pure_b)
            elif op == "OR":
                value = (a | b, pure_a and pure_b)
            else:
                value = (a if pure_b else a - b, pure_a and pure_b)
        return value

    def _operand(self) -> tuple[frozenset[int], bool]:
        if self.pos >= len(self.tokens):
            return self.all, True
        kind, text = self.tokens[self.pos]
        self.pos += 1
        if kind == "lp":
            return self._expr()
        if kind == "range":
            m = _RANGE.match(text)
            assert m is not None
            field = _DATE_FIELDS.get(m.group(4).strip().lower())
            if field:
                return self._dated(field, _period(m.group(1))[0], _period(m.group(3))[1]), False
        elif kind == "atom":
            single, uid = _SINGLE.match(text), _UID.match(text)
            if single and single.group(2).strip().lower() in _DATE_FIELDS:
                lo, hi = _period(single.group(1))
                return self._dated(_DATE_FIELDS[single.group(2).strip().lower()], lo, hi), False
            if uid and uid.group(2).strip().lower() in _UID_FIELDS:
                return frozenset(i for i, r in enumerate(self.records) if r.pmid == uid.group(1)), False
        return self.all, True

    def _dated(self, field: str, lo: date, hi: date) -> frozenset[int]:
        return frozenset(i for i, r in enumerate(self.records)
                         if (d := r.dates.get(field)) is not None and lo <= d <= hi)


class ReplayServer:
    """A threaded local HTTP server answering esearch/efetch from a snapshot; a context manager."""

    def __init__(self, snapshot_path: str | Path, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.snapshot_path = Path(snapshot_path)
        self.prolog, records = load_snapshot(self.snapshot_path)
        newest_first = sorted(records, key=lambda r: (r.dates["edat"] or date.min, int(r.pmid)), reverse=True)
        self.records = newest_first
        self._by_pmid = {r.pmid: r for r in records}
        self._history: dict[str, list[list[str]]] = {}
        self._lock = threading.Lock()
        self.requests: list[tuple[str, str, dict[str, str]]] = []  # (method, utility, params), for tests
        self._httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> "ReplayServer":
        # a short poll interval: stop() returns at once instead of after up to half a second
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="pubmed-replay",
                                        daemon=True)
        self._thread.start()
        log.info("PubMed replay of %s (%d records) at %s", self.snapshot_path, len(self.records), self.url)
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "ReplayServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the two utilities: (status, content type, body) ----------------------------------------

    def esearch(self, params: dict[str, str]) -> tuple[int, str, bytes]:
        term = params.get("term", "").strip()
        as_json = params.get("retmode", "xml").lower() == "json"
        if params.get("db", "pubmed") != "pubmed":
            return self._esearch_error(f"Invalid db name specified: {params['db']}", as_json)
        if not term:
            return self._esearch_error("Empty term and query_key - nothing todo", as_json)
        try:
            retstart, retmax = int(params.get("retstart", 0)), int(params.get("retmax", 20))
        except ValueError:
            return self._esearch_error("retstart and retmax must be whole numbers", as_json)
        hits = _Query(term, self.records).matches()
        pmids = [r.pmid for i, r in enumerate(self.records) if i in hits]
        webenv = query_key = None
        if params.get("usehistory", "").lower() == "y":
            with self._lock:
                webenv = params.get("WebEnv") if params.get("WebEnv") in self._history else None
                webenv = webenv or f"MCID_{secrets.token_hex(12)}"
                self._history.setdefault(webenv, []).append(pmids)
                query_key = str(len(self._history[webenv]))
        shown = pmids[retstart:retstart + retmax]
        if as_json:
            result: dict[str, Any] = {"count": str(len(pmids)), "retmax": str(len(shown)),
                                      "retstart": str(retstart), "idlist": shown, "translationset": [],
                                      "querytranslation": term}
            if webenv:
                result.update(querykey=query_key, webenv=webenv)
            return 200, "application/json", json.dumps(
                {"header": {"type": "esearch", "version": "0.3"}, "esearchresult": result}).encode()
        handle = f"<QueryKey>{query_key}</QueryKey><WebEnv>{webenv}</WebEnv>" if webenv else ""
        ids = "".join(f"<Id>{p}</Id>\n" for p in shown)
        body = (f"{_ESEARCH_PROLOG}<eSearchResult><Count>{len(pmids)}</Count><RetMax>{len(shown)}</RetMax>"
                f"<RetStart>{retstart}</RetStart>{handle}<IdList>\n{ids}</IdList><TranslationSet/>"
                f"<QueryTranslation>{escape(term)}</QueryTranslation></eSearchResult>\n")
        return 200, "text/xml; charset=UTF-8", body.encode()

    def efetch(self, params: dict[str, str]) -> tuple[int, str, bytes]:
        if params.get("db", "pubmed") != "pubmed":
            return self._efetch_error(f"Invalid db name specified: {params['db']}")
        try:
            retstart = int(params.get("retstart", 0))
            retmax = min(int(params.get("retmax", 10_000)), 10_000)
        except ValueError:
            return self._efetch_error("retstart and retmax must be whole numbers")
        if params.get("id", "").strip():
            wanted = list(dict.fromkeys(p for p in re.split(r"[\s,]+", params["id"]) if p))
            if "retmax" in params:
                wanted = wanted[retstart:retstart + retmax]
        elif params.get("WebEnv") or params.get("query_key"):
            webenv, key = params.get("WebEnv", ""), params.get("query_key", "")
            with self._lock:
                stored = self._history.get(webenv, [])
            if not key.isdigit() or not 1 <= int(key) <= len(stored):
                return self._efetch_error(f"Cannot retrieve history data. query_key: {key}, WebEnv: {webenv}, "
                                          f"retstart: {retstart}, retmax: {retmax}")
            wanted = stored[int(key) - 1][retstart:retstart + retmax]
        else:
            return self._efetch_error("Empty id list - nothing todo")
        found = [self._by_pmid[p].xml for p in wanted if p in self._by_pmid]
        body = self.prolog + b"<PubmedArticleSet>\n" + b"\n".join(found) + (b"\n" if found else b"") \
            + b"</PubmedArticleSet>\n"
        return 200, "text/xml; charset=UTF-8", body

    @staticmethod
    def _esearch_error(message: str, as_json: bool) -> tuple[int, str, bytes]:
        if as_json:
            return 200, "application/json", json.dumps({"esearchresult": {"ERROR": message}}).encode()
        body = f"{_ESEARCH_PROLOG}<eSearchResult><ERROR>{escape(message)}</ERROR></eSearchResult>\n"
        return 200, "text/xml; charset=UTF-8", body.encode()

    @staticmethod
    def _efetch_error(message: str) -> tuple[int, str, bytes]:
        body = f"{_EFETCH_PROLOG}<eFetchResult>\n\t<ERROR>{escape(message)}</ERROR>\n</eFetchResult>\n"
        return 400, "text/xml; charset=UTF-8", body.encode()


def _form(handler: BaseHTTPRequestHandler) -> tuple[str, dict[str, str]]:
    """The utility name and the parameters of a GET query string or a form-encoded POST body."""
    split = urlsplit(handler.path)
    pairs = parse_qs(split.query, keep_blank_values=True)
    if handler.command == "POST":
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode("utf-8", "replace")
        for key, values in parse_qs(body, keep_blank_values=True).items():
            pairs.setdefault(key, []).extend(values)
    return split.path.rsplit("/", 1)[-1], {k: v[-1] for k, v in pairs.items()}


def _handler_for(server: ReplayServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "evidence-replay"

        def _serve(self) -> None:
            utility, params = _form(self)
            with server._lock:
                server.requests.append((self.command, utility, params))
            if utility == "esearch.fcgi":
                status, ctype, body = server.esearch(params)
            elif utility == "efetch.fcgi":
                status, ctype, body = server.efetch(params)
            else:
                status, ctype = 404, "text/plain; charset=UTF-8"
                body = f"the replay serves esearch.fcgi and efetch.fcgi, not {utility!r}\n".encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:  # never to stderr; keys never logged
            log.debug("replay: %s", self.command)

    return Handler

