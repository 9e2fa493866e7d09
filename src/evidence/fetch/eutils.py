"""NCBI E-utilities client: esearch with the history server, efetch of PubMed XML in batches.

Every call goes through one private request path (``EUtils._call``) that owns what NCBI asks of
a well-behaved tool: ``tool``/``email``/``api_key`` on every request, at most 3 requests/s (10
with an API key) across all calls of a client, POST for long id lists. It also owns the retries
(exponential back-off with jitter on dropped connections, timeouts, HTTP 429 and 5xx, honouring
``Retry-After``): they live here and nowhere else, so the Prefect tasks above do not retry
fetches again. Clock, sleep and randomness are injectable so tests check the waits without
waiting. The API key never reaches a log line or an exception message.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Iterator, Sequence, TypeVar
from urllib.parse import urlencode

import requests
from lxml import etree

from ..errors import NCBIError, QueryError
from ..settings import Settings
from .query import OPEN_START, date_clause, pubmed_date

log = logging.getLogger(__name__)
T = TypeVar("T")

ESEARCH = "esearch.fcgi"
EFETCH = "efetch.fcgi"
# NCBI: "if more than about 200 UIDs are to be provided, the request should be made using POST".
POST_OVER_IDS = 200
# Long queries make long URLs; past this length (well under the 8 KB many servers take) POST instead.
POST_OVER_CHARS = 4000
_TRANSIENT = re.compile(r"backend|temporar|unavailable|timed? ?out|try again|internal|busy", re.I)
_API_KEY = re.compile(r"(api[_-]key[\"']?\s*[=:]\s*[\"']?)[^&\s\"',}]+", re.I)


def redact(text: str, secret: str | None = None) -> str:
    """``text`` with any ``api_key=...`` value (and the secret itself, wherever it is) as ``***``."""
    text = _API_KEY.sub(r"\1***", text)
    return text.replace(secret, "***") if secret else text


class _RedactingFilter(logging.Filter):
    """urllib3 logs each request line, query string included, at DEBUG: keep the key out of it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "api_key" in message.lower() or "api-key" in message.lower():
            record.msg, record.args = redact(message), None
        return True


for _name in ("urllib3.connectionpool", __name__):
    if not any(isinstance(f, _RedactingFilter) for f in logging.getLogger(_name).filters):
        logging.getLogger(_name).addFilter(_RedactingFilter())


@dataclass(frozen=True)
class SearchResult:
    """One esearch: the count, the PMIDs (up to the cap) and the history-server handle.

    ``parts`` is non-empty when the result set was over the esearch cap and was searched again
    in create-date parts; then ``pmids`` is the union of the parts' and there is no handle (the
    records are fetched by id list).
    """

    term: str
    count: int
    pmids: tuple[str, ...]
    webenv: str | None
    query_key: str | None
    parts: tuple["SearchResult", ...] = ()


@dataclass(frozen=True)
class Batch:
    """One efetch answer: the raw PubMed XML and the PMIDs it was meant to hold (to check it did)."""

    index: int
    body: bytes
    requested: tuple[str, ...]


def _shorten(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), None if absent/unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, OverflowError):
        return None


def _json_error(body: bytes) -> str | None:
    """The message of NCBI's JSON error body (``{"error": "API rate limit exceeded", ...}``)."""
    if not body.lstrip().startswith(b"{"):
        return None
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(data, dict):
        err = data.get("error") or (data.get("esearchresult") or {}).get("ERROR")
        return str(err) if err else None
    return None


def _xml_errors(body: bytes) -> list[str]:
    """Texts of top-level ``<ERROR>`` elements (esearch, efetch and epost all answer errors so)."""
    return [m.decode("utf-8", "replace").strip()
            for m in re.findall(rb"<ERROR>(.*?)</ERROR>", body[:100_000], re.S)]


def _classify(message: str, utility: str, url: str, status: int | None, secret: str | None) -> NCBIError:
    """Turn an NCBI error message into the exception that says what to do about it."""
    message = redact(message, secret)
    low = message.lower()
    if "rate limit" in low:
        return NCBIError(f"NCBI says: {message!r} ({utility}); this client keeps to the limit, so another "
                         "program may be using the same API key or address", url=url, status=status,
                         retryable=True)
    if "api key" in low or "api_key" in low or "api-key" in low:
        return NCBIError(f"NCBI rejected the API key: {message!r}; check NCBI_API_KEY (or unset it to "
                         "run at 3 requests/s)", url=url, status=status)
    if _TRANSIENT.search(message):
        return NCBIError(f"NCBI had a transient failure in {utility}: {message!r}", url=url, status=status,
                         retryable=True)
    if utility == ESEARCH:
        return QueryError(f"PubMed rejected the query: {message!r}; fix EVIDENCE_QUERY or the topic file",
                          url=url, status=status)
    if "history" in low or "webenv" in low or "query_key" in low:
        return NCBIError(f"NCBI no longer has the search this {utility} refers to ({message!r}); the "
                         "history server keeps searches for a limited time: run the search again",
                         url=url, status=status)
    return NCBIError(f"NCBI answered {utility} with an error: {message!r}", url=url, status=status)


def parse_esearch(body: bytes, term: str = "", *, utility_url: str = "", secret: str | None = None
                  ) -> SearchResult:
    """An esearch answer (XML or JSON) as a SearchResult; NCBI's in-body errors as exceptions.

    A phrase PubMed does not know (``<ErrorList><PhraseNotFound>``) is a warning, not an error:
    with nothing else in the query it simply finds nothing. An unknown field tag
    (``FieldNotFound``) means PubMed searched a different query than the one written, so it is a
    QueryError.
    """
    err = _json_error(body)
    if err:
        raise _classify(err, ESEARCH, utility_url, None, secret)
    if body.lstrip().startswith(b"{"):
        return _esearch_json(body, term, utility_url, secret)
    try:
        # a parser per call: lxml parsers must not be shared between threads
        root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
    except etree.XMLSyntaxError:
        raise NCBIError(f"esearch answered with a body that is not XML ({len(body)} bytes, starting "
                        f"{body[:80]!r}); NCBI may be overloaded: try again later", url=utility_url,
                        retryable=True) from None
    if root.tag != "eSearchResult":
        raise NCBIError(f"esearch answered <{root.tag}>, not <eSearchResult>; NCBI may be under "
                        "maintenance: try again later", url=utility_url, retryable=True)
    errors = [e.text.strip() for e in root.findall("ERROR") if e.text and e.text.strip()]
    if errors:
        raise _classify("; ".join(errors), ESEARCH, utility_url, None, secret)
    error_list = root.find("ErrorList")
    problems = {} if error_list is None else {
        el.tag: [e.text for e in error_list.findall(el.tag)] for el in error_list}
    if problems.get("FieldNotFound"):
        raise QueryError(f"PubMed does not know the field tag(s) {problems['FieldNotFound']} in the query "
                         f"{_shorten(term, 120)!r}; fix the tag (PubMed Help lists the search field tags)",
                         url=utility_url)
    if problems:
        log.warning("PubMed reports %s for the query %r; the rest of the query was searched",
                    problems, _shorten(term, 120))
    for message in root.iterfind("WarningList/*"):
        log.info("PubMed warning for the query: %s", (message.text or "").strip())
    count = root.findtext("Count")
    if count is None or not count.strip().isdigit():
        raise NCBIError("esearch answered without a <Count>; try again later", url=utility_url, retryable=True)
    return SearchResult(term=term, count=int(count),
                        pmids=tuple(i.text.strip() for i in root.iterfind("IdList/Id") if i.text),
                        webenv=root.findtext("WebEnv"), query_key=root.findtext("QueryKey"))


def _esearch_json(body: bytes, term: str, url: str, secret: str | None) -> SearchResult:
    try:
        result = json.loads(body)["esearchresult"]
        count = int(result["count"])
    except (ValueError, KeyError, TypeError):
        shown = _shorten(body.decode("utf-8", "replace"), 120)
        raise NCBIError(f"esearch answered JSON without a result count ({shown}); try again later",
                        url=url, retryable=True) from None
    fields = (result.get("errorlist") or {}).get("fieldsnotfound") or []
    if fields:
        raise QueryError(f"PubMed does not know the field tag(s) {fields} in the query; fix the tag", url=url)
    return SearchResult(term=term, count=count, pmids=tuple(str(i) for i in result.get("idlist", [])),
                        webenv=result.get("webenv"), query_key=result.get("querykey"))


def check_efetch(body: bytes, *, utility_url: str = "", secret: str | None = None) -> bytes:
    """``body`` if it is a whole PubmedArticleSet; otherwise the error that says what came back.

    Maintenance pages (HTML), cut-off bodies and other XML are retryable: NCBI serves them while
    it is busy or restarting, and the next attempt usually gets the records.
    """
    err = _json_error(body)
    if err:
        raise _classify(err, EFETCH, utility_url, None, secret)
    text = body.strip()
    head = text[:4096]
    if not text:
        raise NCBIError("efetch answered with an empty body; NCBI may be overloaded: try again later",
                        url=utility_url, retryable=True)
    if b"<PubmedArticleSet" not in head:
        errors = _xml_errors(body)
        if errors:
            raise _classify("; ".join(errors), EFETCH, utility_url, None, secret)
        if re.search(rb"<html|<!doctype html", head, re.I):
            title = re.search(rb"<title[^>]*>(.*?)</title>", text, re.I | re.S)
            shown = title.group(1).decode("utf-8", "replace").strip() if title else "no title"
            raise NCBIError(f"efetch answered with an HTML page ({shown!r}) instead of PubMed XML, as NCBI "
                            "does during maintenance; try again later (see https://www.ncbi.nlm.nih.gov/ "
                            "for announcements)", url=utility_url, retryable=True)
        raise NCBIError(f"efetch answered with something other than PubMed XML ({len(body)} bytes, starting "
                        f"{text[:80]!r}); try again later", url=utility_url, retryable=True)
    if not (text.endswith(b"</PubmedArticleSet>") or re.search(rb"<PubmedArticleSet\s*/>$", text)):
        raise NCBIError(f"efetch answered with truncated PubMed XML ({len(body)} bytes, ending "
                        f"{text[-60:]!r} instead of </PubmedArticleSet>); the connection was probably cut: "
                        "try again later", url=utility_url, retryable=True)
    return body


RATE_MARGIN = 1.1  # spacing factor over NCBI's limit


class EUtils:
    """An E-utilities client for one base URL (NCBI, the local replay, or a test server)."""

    backoff_base = 1.0      # seconds: the first retry waits 0.5-1 s, then 1-2 s, 2-4 s, ...
    backoff_max = 60.0      # no single back-off longer than this
    retry_after_max = 300.0  # a Retry-After longer than this is shortened to it

    def __init__(self, settings: Settings, base_url: str, *, session: requests.Session | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 rng: Callable[[], float] = random.random) -> None:
        self.settings = settings
        self.base_url = base_url.rstrip("/") + "/"
        self.session = session if session is not None else requests.Session()
        self._own_session = session is None
        self._clock, self._sleep, self._rng = clock, sleep, rng
        self.rate = 10.0 if settings.ncbi_api_key else 3.0  # NCBI's limit, requests per second
        self.requests_made = 0
        self._next_start: float | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"EUtils({self.base_url!r}, rate={self.rate:g}/s, requests_made={self.requests_made})"

    def close(self) -> None:
        if self._own_session:
            self.session.close()

    def __enter__(self) -> "EUtils":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the E-utilities -----------------------------------------------------------------------

    def esearch(self, term: str, **params: Any) -> SearchResult:
        """Search PubMed on the history server; returns the count and up to ``retmax`` PMIDs.

        ``retmax`` defaults to the esearch cap, so one request gives the whole id list whenever
        the result fits under the cap; other E-utilities parameters pass through.
        """
        if not term or not term.strip():
            raise QueryError("the PubMed query is empty; set EVIDENCE_QUERY or fix the topic file")
        query = {"db": "pubmed", "term": term, "usehistory": "y", "retmax": self.settings.esearch_cap,
                 **params}
        return self._call(ESEARCH, query, lambda body, url: parse_esearch(
            body, term, utility_url=url, secret=self.settings.ncbi_api_key))

    def efetch(self, *, webenv: str | None = None, query_key: str | None = None,
               ids: Sequence[str] | None = None, retstart: int = 0, retmax: int | None = None) -> bytes:
        """PubMed XML (raw bytes) for a history-server result slice, or for an explicit id list."""
        params: dict[str, Any] = {"db": "pubmed", "retmode": "xml"}
        post = False
        if ids is not None:
            id_list = [str(i).strip() for i in ids if str(i).strip()]
            if not id_list:
                raise ValueError("efetch(ids=...) needs at least one PMID")
            params["id"] = ",".join(id_list)
            post = len(id_list) > POST_OVER_IDS
            if retmax is not None:
                params.update(retstart=retstart, retmax=retmax)
        elif webenv and query_key:
            params.update(WebEnv=webenv, query_key=query_key, retstart=retstart,
                          retmax=retmax if retmax is not None else self.settings.batch_size)
        else:
            raise ValueError("efetch needs webenv and query_key (from esearch), or ids")
        return self._call(EFETCH, params, lambda body, url: check_efetch(
            body, utility_url=url, secret=self.settings.ncbi_api_key), post=post)

    # -- the one request path ------------------------------------------------------------------

    def _throttle(self) -> None:
        """Wait until NCBI's rate limit allows the next request (shared by every call and retry),
        and count it."""
        with self._lock:
            self.requests_made += 1
            now = self._clock()
            if self._next_start is not None and now < self._next_start:
                self._sleep(self._next_start - now)
                now = self._next_start
            # 10% margin: requests that leave exactly 1/rate s apart can arrive closer together
            self._next_start = now + RATE_MARGIN / self.rate

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry ``attempt + 1``: ``Retry-After`` if the server sent one,
        else exponential back-off with "equal jitter" (half fixed, half random) so that clients
        failing together do not retry together."""
        if retry_after is not None:
            return min(retry_after, self.retry_after_max)
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** attempt)
        return ceiling / 2 + self._rng() * ceiling / 2

    def _call(self, utility: str, params: dict[str, Any], read: Callable[[bytes, str], T], *,
              post: bool = False) -> T:
        params = {**params, "tool": self.settings.tool}
        if self.settings.ncbi_email:
            params["email"] = self.settings.ncbi_email
        if self.settings.ncbi_api_key:
            params["api_key"] = self.settings.ncbi_api_key
        url = self.base_url + utility
        encoded = urlencode(params)
        method = "POST" if post or len(encoded) > POST_OVER_CHARS else "GET"
        shown = _shorten(redact(f"{url}?{encoded}", self.settings.ncbi_api_key))
        attempts = self.settings.max_retries + 1
        for attempt in range(attempts):
            self._throttle()
            log.debug("%s %s", method, shown)
            retry_after = None
            try:
                if method == "GET":
                    response = self.session.get(url, params=params, timeout=self.settings.timeout)
                else:
                    response = self.session.post(url, data=params, timeout=self.settings.timeout)
            except requests.Timeout:
                problem = NCBIError(f"{utility}: no answer within {self.settings.timeout:g} s", url=shown,
                                    retryable=True)
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                reason = _shorten(redact(str(exc), self.settings.ncbi_api_key), 200)
                problem = NCBIError(f"{utility}: connection failed ({reason})", url=shown, retryable=True)
            else:
                try:
                    return self._answer(utility, response, read, shown)
                except NCBIError as exc:
                    if not exc.retryable:
                        raise
                    problem = exc
                    retry_after = _retry_after(response.headers.get("Retry-After"))
            if attempt + 1 >= attempts:
                raise NCBIError(f"{problem} -- gave up after {attempts} attempt(s); NCBI may be busy or down: "
                                "try again later, or raise EVIDENCE_MAX_RETRIES / EVIDENCE_TIMEOUT",
                                url=shown, status=problem.status, retryable=True) from None
            delay = self.backoff(attempt, retry_after)
            log.warning("%s; retry %d of %d in %.1f s", problem, attempt + 1, attempts - 1, delay)
            self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _answer(self, utility: str, response: requests.Response, read: Callable[[bytes, str], T],
                shown: str) -> T:
        status, body = response.status_code, response.content
        if status == 429 or status >= 500:
            raise NCBIError(f"{utility} answered HTTP {status} {response.reason or ''}".rstrip(),
                            url=shown, status=status, retryable=True)
        if status >= 400:
            message = _json_error(body) or "; ".join(_xml_errors(body))
            if message:
                raise _classify(message, utility, shown, status, self.settings.ncbi_api_key)
            raise NCBIError(f"{utility} answered HTTP {status} {response.reason or ''}; the request was "
                            f"refused: {shown}", url=shown, status=status)
        return read(body, shown)


# Over the cap, the search walks back from today in create-date windows sized from the density
# of the window before: each aims at WINDOW_AIM of the cap (a window over the cap is one request
# lost), the first spans FIRST_WINDOW_DAYS, and a window grows at most WINDOW_GROWTH times.
WINDOW_AIM = 0.8
FIRST_WINDOW_DAYS = 365
WINDOW_GROWTH = 8


def search(client: EUtils, term: str, cap: int, *, today: date | None = None) -> SearchResult:
    """esearch ``term``; a result set over ``cap`` is searched again in create-date parts so nothing is cut.

    NCBI returns at most 10,000 PMIDs per search (and efetch through the history server stops
    there too), so a larger set is searched again in create-date ([crdt]) windows, newest first,
    each sized from how many records the one before held, until the records left fit in one last
    search back to the earliest date. Every record has exactly one create date, so the windows do
    not overlap and their union is the whole set. ``today`` (default: the machine's date) bounds
    the range.
    """
    first = client.esearch(term, retmax=cap)
    if first.count <= cap:
        return first
    log.info("%d records match, over the esearch cap of %d: searching them again by create date",
             first.count, cap)
    # NCBI dates records in US Eastern time: a margin keeps today's records inside the range.
    end = (today or date.today()) + timedelta(days=2)
    parts = _windows(client, term, cap, first.count, end)
    pmids = tuple(dict.fromkeys(p for part in parts for p in part.pmids))
    if len(pmids) != first.count:
        log.warning("the create-date searches found %d records, the first search %d (PubMed changed "
                    "in between); the create-date searches' records are used", len(pmids), first.count)
    return SearchResult(term=term, count=len(pmids), pmids=pmids, webenv=None, query_key=None,
                        parts=tuple(parts))


def _windows(client: EUtils, term: str, cap: int, total: int, end: date) -> list[SearchResult]:
    """The non-empty create-date windows of ``term`` from ``end`` back to ``OPEN_START``, each at
    most ``cap`` records; ``total`` (the first search's count) tells when the rest fits in one."""
    parts: list[SearchResult] = []
    found, hi, days = 0, end, FIRST_WINDOW_DAYS
    trust_total = True  # until the records left outgrow the count (PubMed added some meanwhile)
    while True:
        last = trust_total and total - found <= cap
        lo = OPEN_START if last else max(OPEN_START, hi - timedelta(days=days - 1))
        part = client.esearch(f"({term}) AND {date_clause('crdt', lo, hi)}", retmax=cap)
        span = (hi - lo).days + 1
        if part.count > cap:
            if lo == hi:
                raise NCBIError(f"{part.count} records were created on {pubmed_date(lo)} alone, over the esearch "
                                f"cap of {cap}; narrow the query, or raise EVIDENCE_ESEARCH_CAP if the server allows")
            if last:  # PubMed added records since the first search: go on window by window
                trust_total = False
            else:
                days = max(1, min(span - 1, int(span * cap * WINDOW_AIM / part.count)))
            continue
        if part.count:
            parts.append(part)
            found += part.count
        if lo == OPEN_START:
            return parts
        hi = lo - timedelta(days=1)
        days = max(1, min(span * WINDOW_GROWTH, int(span * cap * WINDOW_AIM / max(part.count, 1))))


def iter_batches(client: EUtils, result: SearchResult, batch_size: int) -> Iterator[Batch]:
    """efetch every record of ``result``, ``batch_size`` at a time, in order.

    Through the history server (WebEnv/query_key and a ``retstart`` loop) when the search has a
    handle; by id list otherwise, which includes a search made in create-date parts: its batches
    are then full across the parts' edges, so N records take ceil(N / batch_size) requests either
    way. ``Batch.requested`` is the slice of the search's id list the batch should hold, so the
    caller can check it did.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if result.webenv and result.query_key:
        for index, start in enumerate(range(0, result.count, batch_size)):
            body = client.efetch(webenv=result.webenv, query_key=result.query_key, retstart=start,
                                 retmax=batch_size)
            yield Batch(index, body, result.pmids[start:start + batch_size])
    else:
        for index, start in enumerate(range(0, len(result.pmids), batch_size)):
            chunk = result.pmids[start:start + batch_size]
            yield Batch(index, client.efetch(ids=chunk), chunk)


def fetch_ids(client: EUtils, pmids: Sequence[str], batch_size: int) -> Iterator[Batch]:
    """efetch the given PMIDs by id list (e.g. the ones a history-server fetch missed)."""
    ids = tuple(dict.fromkeys(str(p) for p in pmids))
    return iter_batches(client, SearchResult(term="", count=len(ids), pmids=ids, webenv=None,
                                             query_key=None), batch_size)
