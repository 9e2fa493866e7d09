"""The PubMed query of the warehouse's topic, and the date windows an incremental run adds to it.

The query lives in a TOML file (the packaged ``topic.toml`` unless ``settings.topic`` names
another), so a librarian can review and change it without touching code; ``settings.query``
replaces it outright.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
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
    misplaced = [k for k in ("conditions", "area", "title") if k in concepts]
    if misplaced:  # TOML puts every key after a [table] header into that table
        raise ConfigError(f"{where}: `{misplaced[0]}` is inside [concepts], where TOML puts every key written "
                          f"below the [concepts] header; move it above [concepts], to the top of the file")
    groups = []
    for name, terms in concepts.items():
        if (not isinstance(terms, list) or not terms
                or not all(isinstance(t, str) and t.strip() for t in terms)):
            raise ConfigError(f"{where}: concept {name!r} must be a non-empty list of PubMed terms (strings)")
        groups.append("(" + " OR ".join(t.strip() for t in terms) + ")")
    return " AND ".join(groups)


def _read_topic(path: Path | None) -> tuple[dict[str, Any], str]:
    """The parsed topic file (the packaged ``topic.toml`` when ``path`` is None) and how to name it."""
    if path is None:
        text = resources.files(__package__).joinpath("topic.toml").read_text(encoding="utf-8")
        where = "the packaged topic.toml"
    else:
        if not path.is_file():
            raise ConfigError(f"topic file {str(path)!r} does not exist; fix EVIDENCE_TOPIC or unset it "
                              "to use the packaged topic")
        text, where = path.read_text(encoding="utf-8"), f"topic file {str(path)!r}"
    try:
        return tomllib.loads(text), where
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where} is not valid TOML: {exc}") from None


def load_topic(path: Path | None = None) -> str:
    """The query of a topic file, or of the packaged ``topic.toml`` when ``path`` is None."""
    data, where = _read_topic(path)
    return query_from_topic(data, where)


@dataclass(frozen=True)
class Scope:
    """What a study must be about to be relevant: one of ``conditions`` (labels of the extractor's
    condition vocabulary, ``extract.relevance.LABELS``), in the body part ``area`` names ("knee";
    the briefs say "knee problems", "a knee condition not named"); ``title`` heads the dashboard."""

    conditions: tuple[str, ...]
    area: str
    title: str = ""

    def __post_init__(self) -> None:
        if not self.title:
            object.__setattr__(self, "title", f"Dry needling for {self.area} conditions")


def scope_from_topic(data: dict[str, Any], where: str) -> Scope:
    """``conditions = [...]``, ``area = "..."`` and ``title = "..."`` of a parsed topic file (top-level
    keys, above its [concepts] table); the knee's conditions and "knee" when it has neither, and
    "Dry needling for {area} conditions" without a title."""
    from ..extract.relevance import KNEE, LABELS
    conditions = data.get("conditions", list(KNEE))
    if (not isinstance(conditions, list) or not conditions
            or not all(isinstance(c, str) for c in conditions)):
        raise ConfigError(f"{where}: `conditions` must be a non-empty list of condition labels, e.g. "
                          f"conditions = [\"shoulder_pain\"]; the labels are {', '.join(LABELS)}")
    unknown = [c for c in conditions if c not in LABELS]
    if unknown:
        raise ConfigError(f"{where}: unknown condition label(s) {', '.join(map(repr, unknown))} in `conditions`; "
                          f"the labels are {', '.join(LABELS)}")
    knee_only = set(conditions) <= set(KNEE)
    area = data.get("area", "knee" if knee_only else None)
    if area is None:
        raise ConfigError(f"{where}: `conditions` lists conditions outside the knee, so the briefs need the "
                          f"body part in words: add a top-level `area = \"...\"` (e.g. area = \"shoulder\")")
    if not isinstance(area, str) or not area.strip():
        raise ConfigError(f"{where}: `area` must be a non-empty string naming the body part (e.g. \"shoulder\")")
    title = data.get("title", "")
    if not isinstance(title, str):
        raise ConfigError(f"{where}: `title` must be a string (the dashboard's heading), e.g. "
                          f"title = \"Dry needling for shoulder conditions\"")
    return Scope(tuple(dict.fromkeys(conditions)), area.strip(), title.strip())


def topic_query(settings: Settings) -> str:
    """``settings.query``, else the query in ``settings.topic``, else the packaged topic's."""
    if settings.query:
        return settings.query
    return load_topic(settings.topic)


def topic_scope(settings: Settings) -> Scope:
    """The conditions and area of ``settings.topic``, else of the packaged topic (``EVIDENCE_QUERY``
    replaces the topic file's query, not its conditions)."""
    return scope_from_topic(*_read_topic(settings.topic))
