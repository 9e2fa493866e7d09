"""What a brief needs from the warehouse, read from its views (read-only) into plain dicts."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from ..errors import WarehouseError
from ..warehouse.db import connect_readonly
from ..warehouse.topic import read_topic

# The columns a brief uses: relevant_studies joined with brief_details (warehouse/views/30_brief.sql).
COLUMNS = [
    "pmid", "title", "journal", "journal_iso", "volume", "issue", "pages", "year", "pub_date_text", "doi", "pmc",
    "is_retracted", "has_erratum", "design", "sample_size", "n_studies", "groups", "condition", "intervention",
    "comparator", "muscles", "treatment_duration_weeks", "max_follow_up_weeks", "follow_up_points",
    "outcome_instruments", "outcome_domains", "adverse_events", "direction", "registration", "certainty",
    "key_sentence", "adverse_events_sentence", "comparator_sentence", "entrez_date",
    "abstract_missing", "abstract_cut_short", "author_count", "key_sentence_source", "comparator_sentence_source",
    "adverse_events_sentence_source",
]


@dataclass(frozen=True)
class Warehouse:
    """The facts of every relevant study and the date of the data, as read at one moment."""

    studies: list[dict[str, Any]]
    data_date: dt.date | None
    extractor_version: str | None
    conditions: tuple[str, ...] = ()  # the topic's (``warehouse.topic``)
    area: str = "knee"


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, list):
        return [v for v in (_clean(x) for x in value) if v is not None]
    return value


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [{k: _clean(v) for k, v in zip(names, row)} for row in cur.fetchall()]


def data_date(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The date of the data: the newest entrez date, else the last successful run's day (never the clock)."""
    day = con.execute("SELECT max(entrez_date) FROM all_studies").fetchone()[0]
    if day is None:
        day = con.execute("SELECT max(CAST(coalesce(finished_at, started_at) AS DATE)) FROM run_health "
                          "WHERE status = 'success'").fetchone()[0]
    return day


def read_warehouse(db_path: str | Path) -> Warehouse:
    """Read every relevant study (with its authors and any retraction notice) and the data date."""
    con = connect_readonly(db_path)
    try:
        try:
            studies = _rows(con, f"SELECT {', '.join(COLUMNS)} FROM relevant_studies "
                                "JOIN brief_details USING (pmid) ORDER BY pmid")
        except (duckdb.CatalogException, duckdb.BinderException):
            raise WarehouseError(
                f"the warehouse {str(db_path)!r} has older views than this version of the briefs needs; "
                "run `evidence rebuild` (or any run) to refresh its views, then write the briefs again") from None
        authors: dict[str, list[str]] = {}
        for row in _rows(con, "SELECT pmid, name FROM brief_authors ORDER BY pmid, position"):
            authors.setdefault(row["pmid"], []).append(row["name"])
        notices: dict[str, list[str]] = {}
        for row in _rows(con, "SELECT DISTINCT pmid, ref_pmid FROM retractions "
                              "WHERE ref_type = 'RetractionIn' AND ref_pmid IS NOT NULL ORDER BY pmid, ref_pmid"):
            notices.setdefault(row["pmid"], []).append(row["ref_pmid"])
        version = con.execute("SELECT max(extractor_version) FROM all_studies").fetchone()[0]
        date = data_date(con)
        topic = read_topic(con)
    finally:
        con.close()
    for s in studies:
        s["authors"] = authors.get(s["pmid"], [])
        s["retraction_notices"] = notices.get(s["pmid"], [])
        if s["entrez_date"] is not None:
            s["entrez_date"] = s["entrez_date"].isoformat()
    return Warehouse(studies=studies, data_date=date, extractor_version=version, conditions=topic.conditions, area=topic.area)
