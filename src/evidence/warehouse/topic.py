"""The topic a warehouse was built for, kept in it: which conditions its relevant studies are about,
the body part's name and the topic's title (``fetch.query.Scope``), so that the briefs and the
dashboard read them from the same file as the studies. Each run writes them (``schema_info`` under
``topic``)."""

from __future__ import annotations

import json

import duckdb

from ..fetch.query import Scope

KNEE_AREA = "knee"


def write_topic(con: duckdb.DuckDBPyConnection, scope: Scope) -> None:
    con.execute("INSERT OR REPLACE INTO schema_info VALUES ('topic', ?)",
                [json.dumps({"conditions": list(scope.conditions), "area": scope.area, "title": scope.title})])


def read_topic(con: duckdb.DuckDBPyConnection) -> Scope:
    """The warehouse's topic: the knee's for a warehouse written before topics were kept in it, and
    the default title ("Dry needling for {area} conditions") for one written before titles were."""
    from ..extract.relevance import KNEE
    try:
        row = con.execute("SELECT value FROM schema_info WHERE key = 'topic'").fetchone()
    except duckdb.CatalogException:  # not a warehouse yet
        row = None
    if row is None:
        return Scope(KNEE, KNEE_AREA)
    data = json.loads(row[0])
    return Scope(tuple(data["conditions"]), str(data["area"]), str(data.get("title") or ""))
