"""Idempotent loads of normalised frames and extracted studies, keyed by PMID and version."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterable, Iterator

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


@contextmanager
def _arrow_view(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> Iterator[None]:
    """``frame`` as the view ``name`` for the statements inside; unregistered after, so its Arrow
    buffers can go at once."""
    con.register(name, frame.to_arrow())
    try:
        yield
    finally:
        try:
            con.unregister(name)
        except duckdb.Error:  # the load's own error, if any, is the one to report
            pass


def load_frames(con: duckdb.DuckDBPyConnection, frames: dict[str, pl.DataFrame], studies: pl.DataFrame,
                run_id: str) -> LoadCounts:
    """Load one batch in one transaction: articles and children replaced where changed, history kept."""
    params = {"run_id": run_id, "now": _now()}
    con.execute("BEGIN TRANSACTION")
    try:
        with _arrow_view(con, "incoming_articles", frames["articles"].select(ARTICLE_TABLE_COLUMNS + ["facet_hashes"])):
            run_sql(con, "load/changes.sql", params)
        rows = con.execute("SELECT change, count(*), list(pmid ORDER BY pmid) FILTER (WHERE change = 'new') "
                           "FROM batch_changes GROUP BY change").fetchall()
        by_change = {change: n for change, n, _ in rows}
        updated, total = by_change.get("updated", 0), sum(by_change.values())
        changed = updated + by_change.get("new", 0)
        delete, insert = statements(sql_file("load/replace_child.sql"))
        for table in CHILDREN:
            # A new PMID has no child rows, so there is nothing to delete unless the batch updates
            # articles; when every article is new or updated, the frame goes in without a filter.
            # (Each child table would otherwise be scanned once per chunk: quadratic in a big load.)
            if updated:
                con.execute(delete.format(table=table))
            if not changed or not frames[table].height:  # an empty frame would cost ~1.5 ms of statements
                continue
            with _arrow_view(con, f"incoming_{table}", frames[table]):
                if changed == total:
                    run_sql(con, "load/insert_child.sql", table=table)
                else:
                    con.execute(insert.format(table=table))
        with _arrow_view(con, "incoming_studies", studies):
            run_sql(con, "load/studies.sql", params)
        con.execute("COMMIT")
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except duckdb.TransactionException:  # a failed COMMIT leaves no transaction: its error is the one to report
            pass
        raise
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
