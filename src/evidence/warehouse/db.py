"""Connections, the SQL files in ``warehouse/``, and schema migrations."""

from __future__ import annotations

import hashlib
import logging
import re
from functools import lru_cache
from pathlib import Path

import duckdb

from ..errors import WarehouseError

log = logging.getLogger(__name__)
_STATEMENT_END = re.compile(r";\s*$", re.MULTILINE)


@lru_cache(maxsize=1)
def sql_dir() -> Path:
    """The ``warehouse/`` SQL folder: beside the package in a checkout, inside it in a wheel."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_warehouse", here.parent.parent / "warehouse"):
        if (candidate / "schema").is_dir():
            return candidate
    raise WarehouseError(f"the SQL folder warehouse/ was not found near {here}; reinstall the package")


@lru_cache(maxsize=None)
def sql_file(relative: str) -> str:
    return (sql_dir() / relative).read_text(encoding="utf-8")


def statements(sql: str) -> list[str]:
    """Split a SQL file into statements (each ends with ';' at the end of a line)."""
    parts = [p.strip() for p in _STATEMENT_END.split(sql)]
    out = []
    for p in parts:
        body = "\n".join(line for line in p.splitlines() if not line.strip().startswith("--")).strip()
        if body:
            out.append(p)
    return out


def run_sql(con: duckdb.DuckDBPyConnection, relative: str, params: dict | None = None, **fmt: str) -> None:
    text = sql_file(relative)
    if fmt:
        text = text.format(**fmt)
    for stmt in statements(text):
        used = {k: v for k, v in (params or {}).items() if f"${k}" in stmt}
        con.execute(stmt, used or None)


CHECKPOINT_THRESHOLD = "256MB"  # WAL size that triggers a checkpoint on the staging connection
MEMORY_LIMIT = "300MB"  # DuckDB's buffer pool on the staging connection; beyond it DuckDB spills to disk
ROW_GROUP_SIZE = 16384  # rows per row group a run writes (DuckDB's default: 122,880); see connect


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def connect(path: str | Path) -> duckdb.DuckDBPyConnection:
    """A read-write connection, used only on a run's private staging copy. That copy is thrown
    away if the run fails, so checkpointing after every load chunk (DuckDB's default threshold,
    16 MB) buys nothing: the threshold is raised (3x faster loads), though not so far that a
    100,000-record run leaves all of its data to one long checkpoint before publishing. DuckDB's
    memory is capped (``MEMORY_LIMIT``): uncapped, a 100,000-record run peaked at 2.4-3 GB (the
    full-text index build); capped, DuckDB spills to ``<staging>.tmp`` instead.

    The file is attached with row groups of ``ROW_GROUP_SIZE`` rows. DuckDB reads a table with one
    thread per row group, so with its default size every table of up to 122,880 rows (articles,
    studies, search_documents at 100,000 articles) was read by one thread; and a checkpoint rewrites
    every row group rows were added to, so each checkpoint during a load rewrote all of those tables.
    Smaller row groups are filled once and then left alone: loading 100,000 records takes ~20% less
    CPU in DuckDB, the index is built on every core, and the published file is ~4% bigger."""
    try:
        con = duckdb.connect()
        con.execute(f"ATTACH {_quoted(str(path))} AS warehouse (ROW_GROUP_SIZE {ROW_GROUP_SIZE})")
        con.execute("USE warehouse")
        con.execute(f"SET temp_directory = {_quoted(f'{path}.tmp')}")  # as for a file opened directly
        con.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
        con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        return con
    except duckdb.IOException as exc:
        raise WarehouseError(f"cannot open the warehouse {str(path)!r} for writing: {exc}") from None


def connect_readonly(path: str | Path) -> duckdb.DuckDBPyConnection:
    p = Path(path)
    if not p.is_file():
        raise WarehouseError(f"no warehouse at {str(p)!r}; run `evidence run` (or `make demo`) first, "
                             "or point --db / EVIDENCE_DB at an existing file")
    try:
        # ATTACH in a fresh in-memory instance, not duckdb.connect(path): DuckDB shares one instance
        # per path within a process, so a second connect() would see the file as it was when the
        # first was opened, even after a run swapped a new one in.
        con = duckdb.connect()
        con.execute(f"ATTACH {_quoted(str(p.resolve()))} AS warehouse (READ_ONLY)")
        con.execute("USE warehouse")
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot open the warehouse {str(p)!r} read-only: {exc}") from None
    current_views_for_session(con)
    return con


def current_views_for_session(con: duckdb.DuckDBPyConnection) -> None:
    """A warehouse published by an older version of evidence gets this version's views and macros
    as temporary ones, for this read-only session only (nothing is written; the next run stores
    them for good). Best effort: if the older tables cannot carry a new view, the stored views stay.
    """
    try:
        row = con.execute("SELECT value FROM schema_info WHERE key = 'fingerprint'").fetchone()
    except duckdb.CatalogException:
        row = None
    if row and row[0] == schema_fingerprint():
        return
    for f in sorted((sql_dir() / "views").glob("*.sql")):
        for stmt in statements(f.read_text(encoding="utf-8")):
            body = "\n".join(line for line in stmt.splitlines() if not line.strip().startswith("--")).strip()
            temp = re.sub(r"^CREATE OR REPLACE (VIEW|MACRO)", r"CREATE OR REPLACE TEMP \1", body)
            if temp == body:
                continue  # comments and the like: the stored ones serve
            try:
                con.execute(temp)
            except duckdb.Error as exc:
                log.warning("the warehouse predates this version's views (%s); run `evidence rebuild` "
                            "to bring it up to date", exc)
                return


def _schema_files() -> list[Path]:
    return [*sorted((sql_dir() / "schema").glob("*.sql")), *sorted((sql_dir() / "views").glob("*.sql"))]


def schema_fingerprint() -> str:
    h = hashlib.sha256()
    for f in _schema_files():
        h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Apply every schema file (idempotent), then (re)create the views — skipped when the SQL
    files are the same as when this warehouse was last migrated (a few hundred statements)."""
    con.execute("CREATE TABLE IF NOT EXISTS schema_info (key VARCHAR PRIMARY KEY, value VARCHAR)")
    for target, text in (("TABLE schema_info", "Fingerprint of the SQL files the warehouse was built with"),
                         ("COLUMN schema_info.key", "Name of the entry (fingerprint)"),
                         ("COLUMN schema_info.value", "SHA-256 of warehouse/schema and warehouse/views")):
        con.execute(f"COMMENT ON {target} IS '{text}'")
    fingerprint = schema_fingerprint()
    row = con.execute("SELECT value FROM schema_info WHERE key = 'fingerprint'").fetchone()
    if row and row[0] == fingerprint:
        return
    con.execute("BEGIN TRANSACTION")  # one commit instead of one per statement
    try:
        for f in sorted((sql_dir() / "schema").glob("*.sql")):
            for stmt in statements(f.read_text(encoding="utf-8")):
                con.execute(stmt)
        refresh_views(con)
        con.execute("INSERT OR REPLACE INTO schema_info VALUES ('fingerprint', ?)", [fingerprint])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def refresh_views(con: duckdb.DuckDBPyConnection) -> None:
    for f in sorted((sql_dir() / "views").glob("*.sql")):
        for stmt in statements(f.read_text(encoding="utf-8")):
            con.execute(stmt)
