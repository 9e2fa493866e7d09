"""The PubMed query of the warehouse's topic, and the date windows an incremental run adds to it.

The query lives in a TOML file (the packaged ``topic.toml`` unless ``settings.topic`` names
another), so a librarian can review and change it without touching code; ``settings.query``
replaces it outright.
"""

from __future__ import annotations

import tomllib
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..settings import Settings

# PubMed's own idiom for open date ranges: its oldest records date from 1781, "3000" means "now".
OPEN_START = date(1781, 1, 1)
OPEN_END = date(3000, 12, 31)
# The three dates a record can (re)enter a nightly window by: created, entered Entrez, revised.
WINDOW_FIELDS = ("crdt", "edat", "mdat")


def pubmed_date(d: date) -> str:
    """``2024/03/07``: the date form every PubMed date field accepts."""
    return f"{d.year:04d}/{d.month:02d}/{d.day:02d}"


def date_clause(field: str, start: date, end: date) -> str:
    """``("2024/01/01"[crdt] : "2024/01/31"[crdt])``, both ends included, as PubMed reads ranges."""
    return f'("{pubmed_date(start)}"[{field}] : "{pubmed_date(end)}"[{field}])'


def windowed_term(query: str, start: date | None, end: date | None) -> str:
    """The query limited to records created, entered or revised in [start, end].

    Revised (mdat) records are included because a correction or retraction changes a record the
    warehouse already holds. No window (both None) gives the query alone; one open end uses
    PubMed's open-range idiom.
    """
    if start is None and end is None:
        return query
    lo, hi = start or OPEN_START, end or OPEN_END
    if lo > hi:
        raise ConfigError(f"date window starts after it ends ({lo} > {hi}); swap the dates")
    window = " OR ".join(date_clause(f, lo, hi) for f in WINDOW_FIELDS)
    return f"({query}) AND ({window})"


def query_from_topic(data: dict[str, Any], where: str) -> str:
    """Build the query from a parsed topic file: ``query = "..."`` or ``[concepts]`` lists."""
    query = data.get("query")
    concepts = data.get("concepts")
    if query is not None and concepts is not None:
        raise ConfigError(f"{where} has both `query` and [concepts]; keep one of them")
    if query is not None:
        if not isinstance(query, str) or not query.strip():
            raise ConfigError(f"{where}: `query` must be a non-empty string (a PubMed query)")
        return query.strip()
    if not isinstance(concepts, dict) or not concepts:
        raise ConfigError(f"{where} has no query: add `query = \"...\"` or a [concepts] table of "
                          "lists of PubMed terms (terms ORed within a list, lists ANDed)")
    groups = []
    for name, terms in concepts.items():
        if (not isinstance(terms, list) or not terms
                or not all(isinstance(t, str) and t.strip() for t in terms)):
            raise ConfigError(f"{where}: concept {name!r} must be a non-empty list of PubMed terms (strings)")
        groups.append("(" + " OR ".join(t.strip() for t in terms) + ")")
    return " AND ".join(groups)


def load_topic(path: Path | None = None) -> str:
    """The query of a topic file, or of the packaged ``topic.toml`` when ``path`` is None."""
    if path is None:
        text = resources.files(__package__).joinpath("topic.toml").read_text(encoding="utf-8")
        where = "the packaged topic.toml"
    else:
        if not path.is_file():
            raise ConfigError(f"topic file {str(path)!r} does not exist; fix EVIDENCE_TOPIC or unset it "
                              "to use the packaged topic")
        text, where = path.read_text(encoding="utf-8"), f"topic file {str(path)!r}"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where} is not valid TOML: {exc}") from None
    return query_from_topic(data, where)


def topic_query(settings: Settings) -> str:
    """``settings.query``, else the query in ``settings.topic``, else the packaged topic's."""
    if settings.query:
        return settings.query
    return load_topic(settings.topic)
