"""Connections, the SQL files in ``warehouse/``, and schema migrations."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import duckdb

from ..errors import WarehouseError

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


def connect(path: str | Path) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(path))
    except duckdb.IOException as exc:
        raise WarehouseError(f"cannot open the warehouse {str(path)!r} for writing: {exc}") from None


def connect_readonly(path: str | Path) -> duckdb.DuckDBPyConnection:
    p = Path(path)
    if not p.is_file():
        raise WarehouseError(f"no warehouse at {str(p)!r}; run `evidence run` (or `make demo`) first, "
                             "or point --db / EVIDENCE_DB at an existing file")
    try:
        return duckdb.connect(str(p), read_only=True)
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot open the warehouse {str(p)!r} read-only: {exc}") from None


def migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Apply every schema file (idempotent), then (re)create the views."""
    for f in sorted((sql_dir() / "schema").glob("*.sql")):
        for stmt in statements(f.read_text(encoding="utf-8")):
            con.execute(stmt)
    refresh_views(con)


def refresh_views(con: duckdb.DuckDBPyConnection) -> None:
    for f in sorted((sql_dir() / "views").glob("*.sql")):
        for stmt in statements(f.read_text(encoding="utf-8")):
            con.execute(stmt)
