"""Fetch: PubMed E-utilities (live, the local replay of the snapshot, or any server) over one client.

``open_client(settings)`` picks the base URL; the rest of the pipeline never knows which it got.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from ..settings import NCBI_EUTILS_URL, Settings
from .eutils import Batch, EUtils, SearchResult, fetch_ids, iter_batches, redact, search
from .query import Scope, topic_query, topic_scope, windowed_term
from .replay import ReplayServer

__all__ = ["Batch", "EUtils", "ReplayServer", "Scope", "SearchResult", "fetch_ids", "iter_batches", "open_client",
           "redact", "search", "topic_query", "topic_scope", "windowed_term"]


@contextmanager
def open_client(settings: Settings, **client_options: Any) -> Iterator[EUtils]:
    """An E-utilities client for the configured source, closed (and its replay stopped) on exit.

    ``settings.eutils_url`` wins in every mode; otherwise live mode talks to NCBI and replay mode
    starts a ReplayServer on 127.0.0.1 (a free port) over ``settings.snapshot``. ``client_options``
    (session, clock, sleep, rng) go to EUtils, e.g. for tests.
    """
    if settings.eutils_url or settings.live:
        with EUtils(settings, settings.eutils_url or NCBI_EUTILS_URL, **client_options) as client:
            yield client
        return
    with ReplayServer(settings.snapshot) as replay, EUtils(settings, replay.url, **client_options) as client:
        yield client
