"""A real local HTTP server that plays NCBI badly on purpose, and the fixtures built on it.

``NCBIServer`` answers each request with the next item of its script -- a ``Reply`` (status,
headers, body, or a stall, or a dropped connection) or a callable that gets the ``Seen`` request
and returns a Reply -- and records every request (method, utility, parameters), so tests assert
on the exact request the client built. When the script runs out it answers HTTP 418, which the
client reports at once: a test that makes more requests than it scripted fails loudly.

Import the fixtures explicitly in a test module: ``from ncbi_server import ncbi_server, fake_time``.
"""

from __future__ import annotations

import socket
import struct
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

# ../shared beside the repository (read in place, never copied in)
SHARED = Path(__file__).resolve().parents[2] / "shared"
FIXTURES = SHARED / "fixtures" / "ncbi"
SNAPSHOT = SHARED / "corpus" / "snapshot" / "pubmed.xml"


@dataclass
class Reply:
    """One scripted answer. ``delay`` stalls before answering; ``reset`` drops the connection."""

    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    reset: bool = False


@dataclass(frozen=True)
class Seen:
    """One request as the server got it. ``params`` merges the query string and a POST form."""

    method: str
    utility: str
    query: dict[str, str]
    form: dict[str, str]

    @property
    def params(self) -> dict[str, str]:
        return {**self.query, **self.form}


Script = Reply | Callable[[Seen], Reply]


class NCBIServer:
    """Threaded HTTP server on 127.0.0.1 answering from a script; a context manager."""

    def __init__(self, script: Iterable[Script] = (), *, fallback: Script | None = None) -> None:
        self.script: list[Script] = list(script)
        self.fallback = fallback
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/"

    def add(self, *replies: Script) -> None:
        with self._lock:
            self.script.extend(replies)

    def start(self) -> "NCBIServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "NCBIServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _next(self, seen: Seen) -> Reply:
        with self._lock:
            self.requests.append(seen)
            item = self.script.pop(0) if self.script else self.fallback
        if item is None:
            return Reply(418, f"test server: no scripted reply left for request {len(self.requests)}")
        return item(seen) if callable(item) else item


def _one(values: dict[str, list[str]]) -> dict[str, str]:
    return {k: v[-1] for k, v in values.items()}


def _handler(server: NCBIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            split = urlsplit(self.path)
            form: dict[str, str] = {}
            if self.command == "POST":
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                form = _one(parse_qs(raw.decode(), keep_blank_values=True))
            seen = Seen(self.command, split.path.rsplit("/", 1)[-1],
                        _one(parse_qs(split.query, keep_blank_values=True)), form)
            reply = server._next(seen)
            if reply.delay:
                server._stopping.wait(reply.delay)
            if reply.reset:  # RST instead of an answer: the client sees "connection reset"
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True
                return
            body = reply.body.encode() if isinstance(reply.body, str) else reply.body
            try:
                self.send_response(reply.status)
                headers = {"Content-Type": "text/xml; charset=UTF-8", **reply.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:  # the client gave up (timeout) before the stalled answer came
                pass

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


# -- bodies ---------------------------------------------------------------------------------------

def esearch_xml(count: int, ids: Iterable[str] = (), webenv: str | None = "MCID_test", query_key: str = "1"
                ) -> str:
    """An esearch answer in NCBI's shape."""
    ids = list(ids)
    handle = f"<QueryKey>{query_key}</QueryKey><WebEnv>{webenv}</WebEnv>" if webenv else ""
    id_list = "".join(f"<Id>{i}</Id>\n" for i in ids)
    return ('<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch '
            '20060628//EN" "https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
            f"<eSearchResult><Count>{count}</Count><RetMax>{len(ids)}</RetMax>"
            f"<RetStart>0</RetStart>{handle}<IdList>\n{id_list}</IdList><TranslationSet/>"
            "<QueryTranslation>test</QueryTranslation></eSearchResult>\n")


def pubmed_xml(pmids: Iterable[str]) -> str:
    """A minimal efetch answer holding synthetic records with these PMIDs."""
    records = "".join(f"<PubmedArticle><MedlineCitation><PMID Version=\"1\">{p}</PMID></MedlineCitation>"
                      "</PubmedArticle>\n" for p in pmids)
    return f'<?xml version="1.0" ?>\n<PubmedArticleSet>\n{records}</PubmedArticleSet>\n'


# -- fixtures -------------------------------------------------------------------------------------

class FakeTime:
    """An injected clock: ``sleep`` records the wait and moves the clock, nothing really waits."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def ncbi_server() -> Iterator[Callable[..., NCBIServer]]:
    """Start scripted servers: ``server = ncbi_server(Reply(503), Reply(200, body))``; stopped after the test."""
    servers: list[NCBIServer] = []

    def start(*script: Script, fallback: Script | None = None) -> NCBIServer:
        server = NCBIServer(script, fallback=fallback).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
