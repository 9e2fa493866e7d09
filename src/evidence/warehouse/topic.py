"""The topic a warehouse was built for, kept in it: which conditions its relevant studies are about
and the body part's name (``fetch.query.Scope``), so that the briefs and the dashboard read them
from the same file as the studies. Each run writes them (``schema_info`` under ``topic``)."""

from __future__ import annotations

import json

import duckdb

KNEE_AREA = "knee"


def write_topic(con: duckdb.DuckDBPyConnection, conditions: tuple[str, ...], area: str) -> None:
    con.execute("INSERT OR REPLACE INTO schema_info VALUES ('topic', ?)",
                [json.dumps({"conditions": list(conditions), "area": area})])


def read_topic(con: duckdb.DuckDBPyConnection) -> tuple[tuple[str, ...], str]:
    """(conditions, area); the knee's for a warehouse written before topics were kept in it."""
    from ..extract.relevance import KNEE
    try:
        row = con.execute("SELECT value FROM schema_info WHERE key = 'topic'").fetchone()
    except duckdb.CatalogException:  # not a warehouse yet
        row = None
    if row is None:
        return KNEE, KNEE_AREA
    data = json.loads(row[0])
    return tuple(data["conditions"]), str(data["area"])
