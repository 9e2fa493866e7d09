"""Parsed records to polars frames, one per warehouse table, with explicit schemas.

``frames(records)`` gives every table a batch of records touches; ``articles`` also carries the
list columns the extractors read (publication types, MeSH terms, keywords, registry numbers,
abstract sections), which the warehouse keeps in child tables instead.
"""

from __future__ import annotations

import hashlib
from itertools import chain
from operator import itemgetter
from typing import Any, Iterable

import polars as pl

from .parse import paused_gc

RETRACTED_TYPES = {"Retracted Publication"}
NOTICE_TYPES = {"Retraction of Publication", "Published Erratum", "Expression of Concern"}

SECTION = pl.Struct({"position": pl.Int32, "label": pl.String, "category": pl.String, "text": pl.String})

ARTICLES = {
    "pmid": pl.String, "version": pl.Int32, "title": pl.String, "vernacular_title": pl.String,
    "abstract": pl.String, "copyright": pl.String, "language": pl.String,
    "journal_title": pl.String, "journal_iso": pl.String, "issn": pl.String, "issn_linking": pl.String,
    "nlm_unique_id": pl.String, "journal_country": pl.String,
    "volume": pl.String, "issue": pl.String, "pages": pl.String,
    "pub_year": pl.Int32, "pub_month": pl.Int32, "pub_day": pl.Int32, "pub_date": pl.Date,
    "pub_date_text": pl.String, "article_date": pl.Date, "entrez_date": pl.Date, "pubmed_date": pl.Date,
    "doi": pl.String, "pmc": pl.String, "pii": pl.String,
    "citation_status": pl.String, "indexing_method": pl.String, "owner": pl.String,
    "publication_status": pl.String, "date_completed": pl.Date, "date_revised": pl.Date,
    "is_retracted": pl.Boolean, "is_notice": pl.Boolean, "has_erratum": pl.Boolean,
    "content_hash": pl.String, "facet_hashes": pl.Struct({f: pl.String for f in (
        "citation", "abstract", "authors", "mesh", "publication_types", "corrections", "ids")}),
    # list columns for the extractors (the warehouse keeps these in child tables)
    "abstract_sections": pl.List(SECTION),
    "publication_types": pl.List(pl.String),
    "mesh_terms": pl.List(pl.String),
    "keywords": pl.List(pl.String),
    "registry_ids": pl.List(pl.String),
}
ARTICLE_TABLE_COLUMNS = [c for c in ARTICLES if c not in (
    "abstract_sections", "publication_types", "mesh_terms", "keywords", "registry_ids", "facet_hashes")]

CHILDREN: dict[str, dict[str, pl.DataType]] = {
    "abstract_sections": {"pmid": pl.String, "position": pl.Int32, "label": pl.String,
                          "category": pl.String, "text": pl.String},
    "authors": {"pmid": pl.String, "position": pl.Int32, "last_name": pl.String, "fore_name": pl.String,
                "initials": pl.String, "suffix": pl.String, "collective_name": pl.String, "orcid": pl.String,
                "affiliations": pl.List(pl.String), "equal_contrib": pl.Boolean},
    "publication_types": {"pmid": pl.String, "ui": pl.String, "name": pl.String},
    "mesh_terms": {"pmid": pl.String, "descriptor": pl.String, "descriptor_ui": pl.String,
                   "major": pl.Boolean, "qualifiers": pl.List(pl.String),
                   "major_qualifiers": pl.List(pl.String)},
    "keywords": {"pmid": pl.String, "keyword": pl.String, "major": pl.Boolean, "owner": pl.String},
    "chemicals": {"pmid": pl.String, "name": pl.String, "ui": pl.String, "registry_number": pl.String},
    "grants": {"pmid": pl.String, "grant_id": pl.String, "acronym": pl.String, "agency": pl.String,
               "country": pl.String},
    "article_ids": {"pmid": pl.String, "id_type": pl.String, "value": pl.String},
    "databanks": {"pmid": pl.String, "bank": pl.String, "accession": pl.String},
    "comments_corrections": {"pmid": pl.String, "ref_type": pl.String, "ref_pmid": pl.String,
                             "ref_source": pl.String},
    "history_dates": {"pmid": pl.String, "status": pl.String, "date": pl.Date},
}


def _digest(text: str) -> str:
    """The hash of a record part: ``_digest(repr(part))`` (see _hashes)."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


# The hashes are stored in warehouses to detect changes, so what they hash must stay exactly
# repr() of the same parts of the record. The _r_* functions below build those strings for the
# parser's dict shapes (its keys, in its order) ~20-30% faster than repr(): repr() of a dict
# renders every key again and guards against recursion, while these f-strings hold the keys as
# constants and render only the values. (Lists of strings are left to repr(), which is faster.)

_DATE_REPRS: dict[Any, str] = {None: "None"}


def _r_date(d: Any) -> str:
    """repr() of a date (or None); records share few distinct dates, so each is rendered once."""
    try:
        return _DATE_REPRS[d]
    except KeyError:
        text = repr(d)
        if len(_DATE_REPRS) < 100_000:
            _DATE_REPRS[d] = text
        return text


def _r_sections(sections: list[dict[str, Any]]) -> str:
    return "[" + ", ".join([f"{{'position': {p!r}, 'label': {lb!r}, 'category': {c!r}, 'text': {t!r}}}"
                            for p, lb, c, t in map(dict.values, sections)]) + "]"


def _r_authors(authors: list[dict[str, Any]]) -> str:
    return "[" + ", ".join([
        f"{{'position': {pos!r}, 'last_name': {last!r}, 'fore_name': {fore!r}, 'initials': {ini!r}, "
        f"'suffix': {suffix!r}, 'collective_name': {coll!r}, 'orcid': {orcid!r}, "
        f"'affiliations': {affs!r}, 'equal_contrib': {equal!r}}}"
        for pos, last, fore, ini, suffix, coll, orcid, affs, equal in map(dict.values, authors)]) + "]"


def _r_qualifiers(qualifiers: list[dict[str, Any]]) -> str:
    return "[" + ", ".join([f"{{'name': {n!r}, 'ui': {ui!r}, 'major': {major!r}}}"
                            for n, ui, major in map(dict.values, qualifiers)]) + "]"


def _r_mesh(mesh: list[dict[str, Any]]) -> str:
    return "[" + ", ".join([
        f"{{'descriptor': {d!r}, 'descriptor_ui': {ui!r}, 'major': {major!r}, "
        f"'qualifiers': {_r_qualifiers(qs) if qs else '[]'}}}"
        for d, ui, major, qs in map(dict.values, mesh)]) + "]"


def _r_history(history: list[dict[str, Any]]) -> str:
    return "[" + ", ".join([f"{{'status': {status!r}, 'date': {_r_date(d)}}}"
                            for status, d in map(dict.values, history)]) + "]"


FACETS = tuple(ARTICLES["facet_hashes"].to_schema())  # type: ignore[attr-defined]
# repr(sorted(facets.items())), as content_hash has always hashed it, to fill in with str.format
_SORTED_FACETS = "[" + ", ".join(f"({f!r}, '{{{f}}}')" for f in sorted(FACETS)) + "]"


def _hashes(rec: dict[str, Any], pts: list[str]) -> tuple[str, ...]:
    """content_hash, then the facet hashes in ``FACETS`` order, for one record.

    The text hashed is exactly repr() of, per facet: citation, the tuple (title, journal_title,
    volume, issue, pages, pub_date_text, languages, citation_status); abstract, abstract_sections;
    authors; mesh, (mesh, keywords, chemicals); publication_types, their names; corrections,
    comments_corrections; ids, (article_ids, databanks, grants); and content_hash, (version,
    sorted(facets.items()), date_revised, history).
    """
    r = repr  # lists of strings, and lists of dicts that are usually empty or short, keep plain repr()
    f = {
        "citation": _digest(
            f"({rec['title']!r}, {rec['journal_title']!r}, {rec['volume']!r}, {rec['issue']!r}, "
            f"{rec['pages']!r}, {rec['pub_date_text']!r}, {rec['languages']!r}, "
            f"{rec['citation_status']!r})"),
        "abstract": _digest(_r_sections(rec["abstract_sections"])),
        "authors": _digest(_r_authors(rec["authors"])),
        "mesh": _digest(f"({_r_mesh(rec['mesh'])}, {r(rec['keywords'])}, {r(rec['chemicals'])})"),
        "publication_types": _digest(repr(pts)),
        "corrections": _digest(r(rec["comments_corrections"])),
        "ids": _digest(f"({r(rec['article_ids'])}, {r(rec['databanks'])}, {r(rec['grants'])})"),
    }
    content = _digest(f"({rec['version']!r}, {_SORTED_FACETS.format(**f)}, "
                      f"{_r_date(rec['date_revised'])}, {_r_history(rec['history'])})")
    return (content, *(f[name] for name in FACETS))


# The article columns taken from the record as they are (the other columns are derived below).
_SCALARS = ("pmid", "version", "title", "vernacular_title", "abstract", "copyright", "journal_title",
            "journal_iso", "issn", "issn_linking", "nlm_unique_id", "journal_country", "volume", "issue",
            "pages", "pub_year", "pub_month", "pub_day", "pub_date", "pub_date_text", "article_date", "doi",
            "pmc", "pii", "citation_status", "indexing_method", "owner", "publication_status",
            "date_completed", "date_revised")
_DERIVED = ("language", "entrez_date", "pubmed_date", "is_retracted", "is_notice", "has_erratum",
            "content_hash")


def _derived(rec: dict[str, Any]) -> tuple[Any, ...]:
    """One article's derived values: ``_DERIVED`` in order, then the ``FACETS`` hashes in order."""
    pts = [p["name"] for p in rec["publication_types"]]
    refs = {c["ref_type"] for c in rec["comments_corrections"]}
    entrez = pubmed = None
    for h in rec["history"]:  # the first date of each status
        status = h["status"]
        if status == "entrez":
            if entrez is None:
                entrez = h["date"]
        elif status == "pubmed" and pubmed is None:
            pubmed = h["date"]
    languages = rec["languages"]
    return (
        languages[0] if languages else None,
        entrez,
        pubmed,
        bool(RETRACTED_TYPES.intersection(pts)) or "RetractionIn" in refs,
        bool(NOTICE_TYPES.intersection(pts)) or "RetractionOf" in refs or "ErratumFor" in refs,
        "ErratumIn" in refs,
        *_hashes(rec, pts),
    )


# Child tables: (record key, {column: field of the item}); "pmid" is added.
_CHILD_FIELDS: dict[str, tuple[str, dict[str, str]]] = {
    "abstract_sections": ("abstract_sections", {c: c for c in ("position", "label", "category", "text")}),
    "authors": ("authors", {c: c for c in ("position", "last_name", "fore_name", "initials", "suffix",
                                           "collective_name", "orcid", "affiliations", "equal_contrib")}),
    "publication_types": ("publication_types", {"ui": "ui", "name": "name"}),
    "mesh_terms": ("mesh", {"descriptor": "descriptor", "descriptor_ui": "descriptor_ui", "major": "major",
                            "qualifiers": "qualifiers"}),
    "keywords": ("keywords", {"keyword": "keyword", "major": "major", "owner": "owner"}),
    "chemicals": ("chemicals", {"name": "name", "ui": "ui", "registry_number": "registry_number"}),
    "grants": ("grants", {c: c for c in ("grant_id", "acronym", "agency", "country")}),
    "article_ids": ("article_ids", {"id_type": "type", "value": "value"}),
    "databanks": ("databanks", {"bank": "bank", "accession": "accession"}),
    "comments_corrections": ("comments_corrections", {"ref_type": "ref_type", "ref_pmid": "ref_pmid",
                                                      "ref_source": "ref_source"}),
    "history_dates": ("history", {"status": "status", "date": "date"}),
}
# Columns whose items are lists, kept flat with each item's count (see _nest): the fields of the
# list's dicts, or () for a list of plain values.
_NESTED: dict[str, tuple[str, ...]] = {"affiliations": (), "qualifiers": ("name", "major")}

# Records are read in blocks of this many: everything a block gives (hashes, article columns,
# child rows) is taken while its objects are still in the CPU cache. A pass over the whole batch
# per table reads every record from memory again each time (measured: ~25% slower).
_BLOCK = 64


def _getter(fields: tuple[str, ...]) -> Any:
    """itemgetter giving a tuple for any number of fields."""
    if len(fields) == 1:
        one = itemgetter(fields[0])
        return lambda x: (one(x),)
    return itemgetter(*fields)


def _extend(cols: list[list[Any]], rows: Iterable[tuple[Any, ...]]) -> None:
    """Append rows (tuples) to column lists, transposed by zip (the loop runs in C)."""
    for col, values in zip(cols, zip(*rows)):
        col.extend(values)


class _Table:
    """One child table's columns, gathered block by block from the records' lists of dicts."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.key, fields = _CHILD_FIELDS[name]
        self.columns = list(fields)
        self._items = itemgetter(self.key)
        self._get = _getter(tuple(fields.values()))
        self.values: list[list[Any]] = [[] for _ in fields]
        self.lengths: list[int] = []  # items per record
        # nested columns: (column index, flat items, items per row, sub-field getter, sub-field columns)
        self.nested = [(self.columns.index(c), [], [], _getter(sub) if sub else None, [[] for _ in sub])
                       for c, sub in _NESTED.items() if c in fields]

    def add(self, block: list[dict[str, Any]]) -> None:
        lists = list(map(self._items, block))
        self.lengths += map(len, lists)
        start = len(self.values[0])
        _extend(self.values, map(self._get, chain.from_iterable(lists)))
        for i, flat, counts, get, sub in self.nested:
            new = self.values[i][start:]
            counts += map(len, new)
            if get is None:
                flat += chain.from_iterable(new)
            else:
                _extend(sub, map(get, chain.from_iterable(new)))

    def frame(self, pmids: pl.Series) -> pl.DataFrame:
        schema = CHILDREN[self.name]
        if not self.values[0]:
            return pl.DataFrame(schema=schema)
        # each record's PMID once per item (a record without items gives no row)
        cols: dict[str, Any] = {"pmid": pmids.to_frame().select(
            pl.col("pmid").repeat_by(pl.Series(self.lengths, dtype=pl.UInt32)).explode(empty_as_null=False)
        ).to_series()}
        cols.update(zip(self.columns, self.values))
        for i, flat, counts, _, sub in self.nested:
            col = self.columns[i]
            if col == "affiliations":
                cols[col] = _nest(pl.Series(flat, dtype=pl.String), counts)
            else:  # MeSH qualifiers: their names, and the names of the major ones
                q = pl.DataFrame(dict(zip(("name", "major"), sub)), schema={"name": pl.String, "major": pl.Boolean})
                cols["qualifiers"] = _nest(q["name"], counts)
                majors = _nest(q["major"], counts).list.sum().cast(pl.Int64)  # major ones per heading
                cols["major_qualifiers"] = _nest(q.filter("major")["name"], majors)
        return pl.DataFrame(cols, schema=schema)


def _nest(flat: pl.Series, lengths: list[int] | pl.Series) -> pl.Series:
    """A List column: row i holds the next ``lengths[i]`` items of ``flat``.

    Each row gathers its range of the one flat column, all in polars: converting nested Python
    lists costs ~20 µs per row, grouping the items by row number (or list.slice) 2-3x more than this.
    """
    n = pl.Series(lengths, dtype=pl.Int64)
    if not len(n):
        return pl.Series([], dtype=pl.List(flat.dtype))
    ends = n.cum_sum()
    return (pl.DataFrame({"start": ends - n, "end": ends})
            .select(pl.lit(flat).implode().list.gather(pl.int_ranges("start", "end")))
            .to_series())


def frames(records: Iterable[dict[str, Any]]) -> dict[str, pl.DataFrame]:
    """One frame per table for a batch of parsed records (the latest record wins per PMID)."""
    with paused_gc():
        return _frames(records)


def _frames(records: Iterable[dict[str, Any]]) -> dict[str, pl.DataFrame]:
    latest: dict[str, dict[str, Any]] = {}
    for rec in records:
        old = latest.get(rec["pmid"])
        if old is None or rec["version"] >= old["version"]:
            latest[rec["pmid"]] = rec
    recs = list(latest.values())
    if not recs:
        return {"articles": pl.DataFrame(schema=ARTICLES),
                **{name: pl.DataFrame(schema=schema) for name, schema in CHILDREN.items()}}
    scalars: list[list[Any]] = [[] for _ in _SCALARS]
    derived: list[list[Any]] = [[] for _ in (*_DERIVED, *FACETS)]
    get_scalars = itemgetter(*_SCALARS)
    tables = [_Table(name) for name in _CHILD_FIELDS]
    for i in range(0, len(recs), _BLOCK):
        block = recs[i:i + _BLOCK]
        _extend(derived, map(_derived, block))
        _extend(scalars, map(get_scalars, block))
        for table in tables:
            table.add(block)
    cols = dict(zip(_SCALARS, scalars))
    cols.update(zip(_DERIVED, derived))
    cols["facet_hashes"] = pl.DataFrame(dict(zip(FACETS, derived[len(_DERIVED):])),
                                        schema={f: pl.String for f in FACETS}).to_struct("facet_hashes")
    pmids = pl.Series("pmid", cols["pmid"], dtype=pl.String)
    out = {t.name: t.frame(pmids) for t in tables}
    lengths = {t.name: t.lengths for t in tables}
    # the extractors' list columns: the child tables' rows, nested back per article
    cols["abstract_sections"] = _nest(out["abstract_sections"].select(
        pl.struct("position", "label", "category", "text")).to_series(), lengths["abstract_sections"])
    for col, name, field in (("publication_types", "publication_types", "name"),
                             ("mesh_terms", "mesh_terms", "descriptor"),
                             ("keywords", "keywords", "keyword"),
                             ("registry_ids", "databanks", "accession")):
        cols[col] = _nest(out[name][field], lengths[name])
    cols["mesh_terms"] = cols["mesh_terms"].list.drop_nulls()  # descriptors are None or non-empty
    return {"articles": pl.DataFrame({k: cols[k] for k in ARTICLES}, schema=ARTICLES), **out}


def articles_frame(records: Iterable[dict[str, Any]]) -> pl.DataFrame:
    """The articles frame alone (what the extractors read)."""
    return frames(records)["articles"]
