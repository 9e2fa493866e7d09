"""Exports for people who do not write SQL: a view as CSV or Parquet, its articles as RIS or BibTeX.

CSV and Parquet go through DuckDB's COPY (lists become '; '-joined text in CSV, stay lists in
Parquet). RIS and BibTeX cite the PMIDs of the view, in the view's order, from the articles and
authors tables: authors, title, journal, year, volume, issue, pages, DOI, PMID, abstract.
"""

from __future__ import annotations

import re
import sys
import tempfile
import unicodedata
from pathlib import Path
from typing import Any, Iterable, TextIO

import duckdb

from ..errors import EvidenceError
from .query import open_reader

FORMATS = ("csv", "parquet", "ris", "bibtex")
_BINARY = {"parquet"}
_TITLE_STOPWORDS = {"a", "an", "the", "of", "on", "in", "and", "for", "to", "with", "is", "are", "does", "do",
                    "effect", "effects", "effectiveness", "efficacy", "comparison", "use"}


def export(db: Path, fmt: str, view: str = "relevant_studies", out: str | Path | None = None,
           *, stream: TextIO | None = None) -> Path | None:
    """Export ``view`` (a view or table of the warehouse) as csv, parquet, ris or bibtex.

    Writes ``out`` and returns its path, or writes text formats to ``stream`` (default standard
    output) and returns None when ``out`` is None.
    """
    if fmt not in FORMATS:
        raise EvidenceError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    if out is None and fmt in _BINARY:
        raise EvidenceError(f"{fmt} is a binary format; give a file to write, e.g. --out {view}.{fmt}")
    con = open_reader(db)
    try:
        columns = _check_view(con, view)
        if fmt in ("csv", "parquet"):
            text = None
            path = Path(out) if out is not None else None
            if path is not None:
                _copy(con, view, columns, fmt, path)
            else:
                with tempfile.TemporaryDirectory() as tmp:
                    tmp_file = Path(tmp) / f"export.{fmt}"
                    _copy(con, view, columns, fmt, tmp_file)
                    text = tmp_file.read_text(encoding="utf-8")
        else:
            if "pmid" not in columns:
                raise EvidenceError(f"{view!r} has no pmid column, so it lists no articles to cite; export "
                                    "a view of studies (e.g. relevant_studies, rcts, ongoing_trials) as "
                                    "RIS or BibTeX, or this one as csv/parquet")
            records = citations(con, view)
            text = to_ris(records) if fmt == "ris" else to_bibtex(records)
            path = Path(out) if out is not None else None
    finally:
        con.close()
    if path is None:
        (stream or sys.stdout).write(text or "")
        return None
    if text is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return path


def exportable(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[str]]:
    """(views, tables) a reader may export."""
    views = [r[0] for r in con.execute(
        "SELECT view_name FROM duckdb_views() WHERE schema_name = 'main' AND database_name = current_database() "
        "AND NOT internal AND NOT temporary ORDER BY view_name").fetchall()]
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND database_name = current_database() "
        "AND NOT internal AND NOT temporary ORDER BY table_name").fetchall()]
    return views, tables


def _check_view(con: duckdb.DuckDBPyConnection, view: str) -> list[str]:
    views, tables = exportable(con)
    if view not in views and view not in tables:
        raise EvidenceError(f"no view or table named {view!r} in the warehouse; valid views: {', '.join(views)} "
                            "(tables can be exported too; `evidence schema` describes them all)")
    return [r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'main' AND database_name = current_database() "
        "AND table_name = ? ORDER BY column_index", [view]).fetchall()]


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _copy(con: duckdb.DuckDBPyConnection, view: str, columns: list[str], fmt: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        types = dict(con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = 'main' "
            "AND database_name = current_database() AND table_name = ?", [view]).fetchall())
        select = ", ".join(_csv_column(c, types.get(c, "")) for c in columns)
        options = "FORMAT csv, HEADER true"
    else:
        select = "*"
        options = "FORMAT parquet"
    target = str(path).replace("'", "''")
    try:
        con.execute(f"COPY (SELECT {select} FROM {_ident(view)}) TO '{target}' ({options})")
    except duckdb.IOException as exc:
        raise EvidenceError(f"cannot write {str(path)!r}: {exc}; check the folder exists and is writable") from None


def _csv_column(name: str, dtype: str) -> str:
    """Lists as '; '-joined text and structs as JSON, so a spreadsheet shows them plainly."""
    col = _ident(name)
    if dtype.endswith("[]"):
        return f"array_to_string({col}, '; ') AS {col}"
    if dtype.startswith(("STRUCT", "MAP")):
        return f"CAST(to_json({col}) AS VARCHAR) AS {col}"
    return col


# ------------------------------------------------------------------ citations


def citations(con: duckdb.DuckDBPyConnection, view: str) -> list[dict[str, Any]]:
    """One dict per distinct PMID of the view, in the view's order, with what a citation needs."""
    rows = con.execute(f"""
        WITH v AS (SELECT pmid, min(ordinal) AS ordinal
                   FROM (SELECT pmid, row_number() OVER () AS ordinal FROM {_ident(view)})
                   WHERE pmid IS NOT NULL GROUP BY pmid)
        SELECT a.pmid, a.title, a.journal_title, a.journal_iso, a.pub_year, a.volume, a.issue, a.pages,
               a.doi, a.abstract, a.language,
               (SELECT list({{'last': au.last_name, 'fore': au.fore_name, 'initials': au.initials,
                              'suffix': au.suffix, 'collective': au.collective_name}} ORDER BY au.position)
                  FROM authors au WHERE au.pmid = a.pmid) AS authors,
               f.is_retracted, f.has_erratum
        FROM v JOIN articles a USING (pmid) LEFT JOIN article_flags f USING (pmid)
        ORDER BY v.ordinal""").fetchall()
    keys = ["pmid", "title", "journal", "journal_iso", "year", "volume", "issue", "pages", "doi", "abstract",
            "language", "authors", "is_retracted", "has_erratum"]
    return [dict(zip(keys, r)) for r in rows]


def author_names(authors: Iterable[dict[str, Any]] | None) -> list[tuple[str, str]]:
    """(family, given) per author; group authors as (name, '')."""
    out = []
    for a in authors or []:
        if a.get("last"):
            given = a.get("fore") or a.get("initials") or ""
            family = a["last"] + (f" {a['suffix']}" if a.get("suffix") else "")
            out.append((family, given))
        elif a.get("collective"):
            out.append((a["collective"], ""))
    return out


def split_pages(pages: str | None) -> tuple[str | None, str | None]:
    """MEDLINE pages to (start, end): '123-30' -> ('123', '130'); 'e12345' -> ('e12345', None)."""
    if not pages:
        return None, None
    first = pages.split(",")[0].strip()
    m = re.fullmatch(r"([A-Za-z]*)(\d+)\s*[-–]\s*([A-Za-z]*)(\d+)", first)
    if not m:
        return first, None
    prefix, start, prefix2, end = m.groups()
    if len(end) < len(start):  # MEDLINE drops the leading digits the end page shares with the start
        end = start[: len(start) - len(end)] + end
    return prefix + start, (prefix2 or prefix) + end


def _one_line(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def to_ris(records: list[dict[str, Any]]) -> str:
    """RIS (TY JOUR ... ER) for reference managers (Zotero, EndNote, Mendeley)."""
    out: list[str] = []
    for r in records:
        lines = [("TY", "JOUR")]
        lines += [("AU", f"{fam}, {given}" if given else fam) for fam, given in author_names(r["authors"])]
        sp, ep = split_pages(r["pages"])
        lines += [("TI", _one_line(r["title"])), ("JO", _one_line(r["journal"])), ("JA", r["journal_iso"]),
                  ("PY", str(r["year"]) if r["year"] else None), ("VL", r["volume"]), ("IS", r["issue"]),
                  ("SP", sp), ("EP", ep), ("DO", r["doi"]), ("AN", r["pmid"]),
                  ("UR", f"https://pubmed.ncbi.nlm.nih.gov/{r['pmid']}/"), ("AB", _one_line(r["abstract"]))]
        notes = [n for n, on in (("RETRACTED ARTICLE", r.get("is_retracted")),
                                 ("An erratum is linked to this article", r.get("has_erratum"))) if on]
        lines += [("N1", n) for n in notes]
        out += [f"{tag}  - {value}" for tag, value in lines if value]
        out += ["ER  - ", ""]
    return "\n".join(out)


_BIB_ESCAPES = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "%": r"\%", "&": r"\&", "$": r"\$",
                "#": r"\#", "_": r"\_", "^": r"\^{}", "~": r"\~{}"}


def bibtex_escape(text: str) -> str:
    """Escape LaTeX's special characters (braces stay balanced, so any text is a valid field)."""
    return "".join(_BIB_ESCAPES.get(ch, ch) for ch in _one_line(text))


def _ascii_word(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower())


def bibtex_key(record: dict[str, Any]) -> str:
    """smith2025popliteus: first author's family name, year, first meaningful title word (ASCII)."""
    names = author_names(record["authors"])
    author = _ascii_word(names[0][0].split()[0]) if names else ""
    words = [_ascii_word(w) for w in re.split(r"[\s\-/:;,.()]+", record.get("title") or "")]
    word = next((w for w in words if w and w not in _TITLE_STOPWORDS and not w.isdigit()), "")
    return f"{author or 'anon'}{record.get('year') or 'nd'}{word or record['pmid']}"


def bibtex_keys(records: list[dict[str, Any]]) -> list[str]:
    """Keys for the records; on a clash the smallest PMID keeps the plain key, later ones get b, c, ...

    PMIDs grow with time, so a key already cited stays the same when a newer article joins the export.
    """
    base = [bibtex_key(r) for r in records]
    clash: dict[str, list[int]] = {}
    for i, k in enumerate(base):
        clash.setdefault(k, []).append(i)
    keys = list(base)
    for k, idx in clash.items():
        if len(idx) > 1:
            for n, i in enumerate(sorted(idx, key=lambda i: int(records[i]["pmid"]))):
                if n:
                    keys[i] = f"{k}{_suffix(n)}"
    return keys


def _suffix(n: int) -> str:
    """1 -> 'b', 2 -> 'c', ... (the first of a clash keeps the plain key, as if 'a')."""
    letters = ""
    while n:
        n, rem = divmod(n, 26)
        letters = chr(ord("a") + rem) + letters
    return letters


def to_bibtex(records: list[dict[str, Any]]) -> str:
    """BibTeX @article entries with stable keys and escaped fields."""
    entries = []
    for key, r in zip(bibtex_keys(records), records):
        sp, ep = split_pages(r["pages"])
        pages = f"{sp}--{ep}" if sp and ep else sp
        # a group author is braced so BibTeX does not read its words as given and family names
        authors = " and ".join(f"{bibtex_escape(fam)}, {bibtex_escape(given)}" if given else f"{{{bibtex_escape(fam)}}}"
                               for fam, given in author_names(r["authors"]))
        note = "; ".join(n for n, on in (("Retracted article", r.get("is_retracted")),
                                          ("An erratum is linked to this article", r.get("has_erratum"))) if on)
        fields = [("author", authors), ("title", bibtex_escape(r["title"] or "")),
                  ("journal", bibtex_escape(r["journal"] or "")), ("year", str(r["year"] or "")),
                  ("volume", bibtex_escape(r["volume"] or "")), ("number", bibtex_escape(r["issue"] or "")),
                  ("pages", bibtex_escape(pages or "")), ("doi", bibtex_escape(r["doi"] or "")),
                  ("pmid", r["pmid"]), ("url", f"https://pubmed.ncbi.nlm.nih.gov/{r['pmid']}/"),
                  ("abstract", bibtex_escape(r["abstract"] or "")), ("note", bibtex_escape(note))]
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
        entries.append(f"@article{{{key},\n{body}\n}}\n")
    return "\n".join(entries)
