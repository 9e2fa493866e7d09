"""Idempotent loads of normalised frames and extracted studies, keyed by PMID and version."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

import duckdb
import polars as pl

from ..normalise import ARTICLE_TABLE_COLUMNS, CHILDREN
from .db import run_sql, sql_file, statements


@dataclass
class LoadCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    older: int = 0
    deleted: int = 0
    new_pmids: list[str] | None = None

    def add(self, other: "LoadCounts") -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.older += other.older
        self.deleted += other.deleted
        self.new_pmids = (self.new_pmids or []) + (other.new_pmids or [])


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def load_frames(con: duckdb.DuckDBPyConnection, frames: dict[str, pl.DataFrame], studies: pl.DataFrame,
                run_id: str) -> LoadCounts:
    """Load one batch in one transaction: articles and children replaced where changed, history kept."""
    params = {"run_id": run_id, "now": _now()}
    arts = frames["articles"].select(ARTICLE_TABLE_COLUMNS + ["facet_hashes"])
    con.execute("BEGIN TRANSACTION")
    try:
        con.register("incoming_articles", arts.to_arrow())
        run_sql(con, "load/changes.sql", params)
        updated, changed, total = con.execute(
            "SELECT count(*) FILTER (WHERE change = 'updated'), count(*) FILTER (WHERE change IN ('new', 'updated')), "
            "count(*) FROM batch_changes").fetchone()
        delete, insert = statements(sql_file("load/replace_child.sql"))
        for table in CHILDREN:
            # A new PMID has no child rows, so there is nothing to delete unless the batch updates
            # articles; when every article is new or updated, the frame goes in without a filter.
            # (Each child table would otherwise be scanned once per chunk: quadratic in a big load.)
            if updated:
                con.execute(delete.format(table=table))
            if not changed:
                continue
            con.register(f"incoming_{table}", frames[table].to_arrow())
            if changed == total:
                run_sql(con, "load/insert_child.sql", table=table)
            else:
                con.execute(insert.format(table=table))
            con.unregister(f"incoming_{table}")  # its Arrow buffers can go now
        con.register("incoming_studies", studies.to_arrow())
        run_sql(con, "load/studies.sql", params)
        rows = con.execute("SELECT change, count(*), list(pmid ORDER BY pmid) FILTER (WHERE change = 'new') "
                           "FROM batch_changes GROUP BY change").fetchall()
        con.execute("COMMIT")
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except duckdb.TransactionException:  # a failed COMMIT leaves no transaction: its error is the one to report
            pass
        raise
    finally:
        for name in ["incoming_articles", "incoming_studies", *(f"incoming_{t}" for t in CHILDREN)]:
            try:
                con.unregister(name)
            except duckdb.Error:
                pass
    counts = LoadCounts(new_pmids=[])
    for change, n, pmids in rows:
        setattr(counts, change, n)
        if change == "new":
            counts.new_pmids = list(pmids or [])
    return counts


def mark_deleted(con: duckdb.DuckDBPyConnection, pmids: Iterable[str], run_id: str) -> int:
    pmids = sorted(set(pmids))
    if not pmids:
        return 0
    before = con.execute("SELECT count(*) FROM articles WHERE is_deleted").fetchone()[0]
    con.register("incoming_deletions", pl.DataFrame({"pmid": pmids}).to_arrow())
    try:
        run_sql(con, "load/deletions.sql", {"run_id": run_id, "now": _now()})
    finally:
        con.unregister("incoming_deletions")
    return con.execute("SELECT count(*) FROM articles WHERE is_deleted").fetchone()[0] - before
