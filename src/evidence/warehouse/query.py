"""Read-only questions to the published warehouse: study export, search, SQL, schema.

Every function here opens the warehouse file read-only, so it works while a run is working (the
run writes a private staging copy) and can never change the warehouse.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

import duckdb

from ..errors import EvidenceError, WarehouseError
from .db import connect_readonly, migrate

# Statement types `evidence sql` runs; anything else is refused before it reaches DuckDB.
_READ_STATEMENTS = {"SELECT", "EXPLAIN", "PRAGMA", "CALL"}
_TEXT_CELL = 80  # widest cell in the text table; full values are in csv/json


def iter_study_records(db: Path, *, relevant_only: bool = False) -> Iterator[dict[str, Any]]:
    """One dict per article: pmid and the study fields (the `evidence studies --format jsonl` contract)."""
    from ..extract import FIELDS
    from ..extract.export import export_records
    con = connect_readonly(db)
    try:
        cols = ", ".join(["pmid", "extractor_version", *FIELDS])
        where = "WHERE relevant" if relevant_only else ""
        frame = con.execute(f"SELECT {cols} FROM studies {where} ORDER BY pmid").pl()
    finally:
        con.close()
    yield from export_records(frame)


def open_reader(db: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection with the fts extension loaded when it is installed (for search_articles)."""
    from .search import load_fts
    con = connect_readonly(db)
    try:
        load_fts(con)
    except (duckdb.Error, EvidenceError):
        pass  # plain SQL still works; search_articles then fails with DuckDB's own message
    return con


# ------------------------------------------------------------------ search


def search(db: Path, text: str, limit: int = 20) -> list[dict[str, Any]]:
    """Articles whose title or abstract match the words, best BM25 score first.

    Each hit: pmid, title, year, score, is_retracted, has_erratum, relevant, design, condition.
    """
    if not text or not text.strip():
        raise EvidenceError('give some words to search for, e.g. evidence search "popliteus pain"')
    if limit < 1:
        raise EvidenceError(f"limit must be at least 1, got {limit}")
    from .search import load_fts
    con = connect_readonly(db)
    try:
        load_fts(con)
        try:
            cur = con.execute("SELECT * FROM search_articles(?) LIMIT ?", [text, limit])
        except duckdb.CatalogException as exc:
            raise WarehouseError(f"the warehouse {str(db)!r} has no full-text index ({exc}); it is built by "
                                 "every run: run `evidence rebuild` to add it") from None
        columns = [d[0] for d in cur.description]
        return [dict(zip(columns, row)) for row in cur.fetchall()]
    finally:
        con.close()


def format_hits(hits: list[dict[str, Any]], fmt: str = "text") -> str:
    """Search hits as a readable list (text), CSV or JSON."""
    if fmt == "json":
        return json.dumps([{k: _plain(v) for k, v in h.items()} for h in hits], ensure_ascii=False, indent=2)
    if fmt == "csv":
        columns = list(hits[0]) if hits else ["pmid", "title", "year", "score"]
        return format_table(columns, [tuple(h.get(c) for c in columns) for h in hits], "csv")
    if fmt != "text":
        raise EvidenceError(f"unknown format {fmt!r}; use text, csv or json")
    if not hits:
        return "no articles match; try fewer or other words"
    lines = [f"{'score':>7}  {'PMID':<9} {'year':<4}  title"]
    for h in hits:
        flags = "".join([" [RETRACTED]" if h.get("is_retracted") else "",
                         " [erratum]" if h.get("has_erratum") else ""])
        year = str(h.get("year") or "")
        lines.append(f"{h['score']:>7.3f}  {h['pmid']:<9} {year:<4}  {h.get('title') or '(no title)'}{flags}")
    return "\n".join(lines)


# ------------------------------------------------------------------ SQL


def run_readonly(db: Path, sql: str) -> tuple[list[str], list[tuple]]:
    """Run SQL on a read-only connection; return the last statement's (columns, rows).

    Writes are refused with a message saying so; a bad query raises EvidenceError with DuckDB's
    message (never a traceback).
    """
    if not sql or not sql.strip():
        raise EvidenceError('no SQL given; e.g. evidence sql "SELECT * FROM rcts LIMIT 5"')
    con = open_reader(db)
    try:
        try:
            parsed = con.extract_statements(sql)
        except duckdb.Error as exc:
            raise EvidenceError(f"the query is not valid SQL: {_compact(exc)}") from None
        for stmt in parsed:
            kind = stmt.type.name
            if kind not in _READ_STATEMENTS:
                raise EvidenceError(
                    f"evidence sql is read-only; it runs SELECT (and EXPLAIN, PRAGMA, CALL, DESCRIBE, SHOW), not "
                    f"{kind}. The warehouse changes only through runs (`evidence run`, `evidence ingest`); "
                    "to save a result use `evidence export` or `COPY (...) TO` in your own DuckDB session")
        columns: list[str] = []
        rows: list[tuple] = []
        for stmt in parsed:
            try:
                cur = con.execute(stmt)
            except duckdb.Error as exc:
                msg = _compact(exc)
                if "read-only" in msg:
                    raise EvidenceError(f"evidence sql is read-only; {msg}") from None
                raise EvidenceError(f"the query failed: {msg}") from None
            if cur.description:
                columns = [d[0] for d in cur.description]
                rows = cur.fetchall()
        return columns, rows
    finally:
        con.close()


def _compact(exc: Exception) -> str:
    """DuckDB's message without its blank lines (the LINE/caret pointer stays)."""
    return "\n".join(line for line in str(exc).splitlines() if line.strip())


def _plain(value: Any) -> Any:
    """A JSON-ready value."""
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    return value


def _cell(value: Any) -> str:
    """A value as text in one cell: lists joined with '; ', structs as JSON, null as empty."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "; ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(_plain(value), ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    return str(value)


def format_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str = "text") -> str:
    """Rows as an aligned text table (long cells cut), CSV (full values) or JSON (list of objects)."""
    if fmt == "json":
        return json.dumps([{c: _plain(v) for c, v in zip(columns, r)} for r in rows], ensure_ascii=False, indent=2)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(columns)
        w.writerows([_cell(v) for v in r] for r in rows)
        return buf.getvalue().rstrip("\n")
    if fmt != "text":
        raise EvidenceError(f"unknown format {fmt!r}; use text, csv or json")
    if not columns:
        return "(no result)"
    cells = [[_cut(_cell(v).replace("\n", " ")) for v in r] for r in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    line = lambda vals: "  ".join(v.ljust(w) for v, w in zip(vals, widths)).rstrip()  # noqa: E731
    out = [line(columns), line(["-" * w for w in widths])] + [line(r) for r in cells]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


def _cut(text: str) -> str:
    return text if len(text) <= _TEXT_CELL else text[:_TEXT_CELL - 1] + "…"


# ------------------------------------------------------------------ schema


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str | None


@dataclass(frozen=True)
class Relation:
    """A table, view or table macro of the warehouse, with its description and columns."""

    kind: str  # "table", "view" or "macro"
    name: str
    description: str | None
    columns: tuple[Column, ...] = ()
    parameters: tuple[str, ...] = ()


def describe(con: duckdb.DuckDBPyConnection) -> list[Relation]:
    """Every table, view and macro a reader can use (the main schema; fts internals left out)."""
    cols: dict[str, list[Column]] = {}
    for table, name, dtype, comment in con.execute(
            "SELECT table_name, column_name, data_type, comment FROM duckdb_columns() "
            "WHERE schema_name = 'main' AND database_name = current_database() AND NOT internal "
            "ORDER BY table_name, column_index").fetchall():
        cols.setdefault(table, []).append(Column(name, dtype, comment or None))
    out: list[Relation] = []
    for name, comment in con.execute(
            "SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = 'main' "
            "AND database_name = current_database() AND NOT temporary AND NOT internal ORDER BY table_oid").fetchall():
        out.append(Relation("table", name, comment or None, tuple(cols.get(name, ()))))
    for name, comment in con.execute(
            "SELECT view_name, comment FROM duckdb_views() WHERE schema_name = 'main' "
            "AND database_name = current_database() AND NOT temporary AND NOT internal ORDER BY view_oid").fetchall():
        out.append(Relation("view", name, comment or None, tuple(cols.get(name, ()))))
    for name, comment, params in con.execute(
            "SELECT function_name, comment, parameters FROM duckdb_functions() WHERE schema_name = 'main' "
            "AND database_name = current_database() AND function_type IN ('macro', 'table_macro') "
            "AND NOT internal ORDER BY function_oid").fetchall():
        out.append(Relation("macro", name, comment or None, parameters=tuple(params or ())))
    return out


def schema_from_sql() -> duckdb.DuckDBPyConnection:
    """An empty in-memory warehouse built from warehouse/*.sql (schema, views, search index and macros)."""
    from .search import build_index
    con = duckdb.connect()
    migrate(con)
    build_index(con)
    return con


def schema_relations(db: Path | None = None) -> list[Relation]:
    """The relations of the warehouse file ``db``, or of the SQL in ``warehouse/`` when ``db`` is None."""
    if db is None:
        con = schema_from_sql()
    else:
        con = open_reader(db)
    try:
        return describe(con)
    finally:
        con.close()


def undocumented(relations: list[Relation]) -> list[str]:
    """Names of relations and columns that have no description (should be empty)."""
    missing = [f"{r.kind} {r.name}" for r in relations if not r.description]
    missing += [f"{r.name}.{c.name}" for r in relations for c in r.columns if not c.description]
    return missing


_KIND_TITLES = {"table": "Tables", "view": "Views", "macro": "Macros (table functions)"}
_NO_DESCRIPTION = "(no description)"


def schema_markdown(db: Path | None = None, *, level: int = 1) -> str:
    """The schema as Markdown: docs/schema.md and the README's schema section (``level`` = top heading level)."""
    h = "#" * level
    rels = schema_relations(db)
    lines = [f"{h} Warehouse schema", "",
             "Generated from `warehouse/*.sql` by `evidence schema --format markdown --from-sql` "
             "(`evidence.warehouse.query.schema_markdown`); do not edit by hand.", "",
             "Tables hold the data; clinicians, briefs and the dashboard read the views. "
             "`search_articles` needs the fts extension loaded (see docs/warehouse.md)."]
    for kind in ("table", "view", "macro"):
        group = [r for r in rels if r.kind == kind]
        if not group:
            continue
        lines += ["", f"{h}# {_KIND_TITLES[kind]}"]
        for r in group:
            title = f"{r.name}({', '.join(r.parameters)})" if kind == "macro" else r.name
            lines += ["", f"{h}## `{title}`", "", _md(r.description or _NO_DESCRIPTION)]
            if r.columns:
                lines += ["", "| column | type | description |", "|---|---|---|"]
                lines += [f"| `{c.name}` | {_md(c.type)} | {_md(c.description or _NO_DESCRIPTION)} |"
                          for c in r.columns]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def schema_text(db: Path | None, fmt: str = "text") -> str:
    """`evidence schema`: every table, view and macro with its columns and descriptions.

    ``db`` None describes the SQL in ``warehouse/`` (no warehouse file needed).
    """
    if fmt == "markdown":
        return schema_markdown(db).rstrip("\n")
    if fmt != "text":
        raise EvidenceError(f"unknown format {fmt!r}; use text or markdown")
    lines: list[str] = []
    for r in schema_relations(db):
        title = f"{r.name}({', '.join(r.parameters)})" if r.kind == "macro" else r.name
        lines += [f"{r.kind.upper()} {title}", f"  {r.description or _NO_DESCRIPTION}"]
        if r.columns:
            name_w = max(len(c.name) for c in r.columns)
            type_w = min(max(len(c.type) for c in r.columns), 24)
            lines += [f"    {c.name:<{name_w}}  {c.type:<{type_w}}  {c.description or _NO_DESCRIPTION}"
                      for c in r.columns]
        lines.append("")
    return "\n".join(lines).rstrip("\n")


def write_schema_doc(path: Path) -> Path:
    """Regenerate docs/schema.md (or any file) from the SQL in warehouse/."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(schema_markdown(), encoding="utf-8")
    return path
