"""Parsed records to polars frames, one per warehouse table, with explicit schemas.

``frames(records)`` gives every table a batch of records touches; ``articles`` also carries the
list columns the extractors read (publication types, MeSH terms, keywords, registry numbers,
abstract sections), which the warehouse keeps in child tables instead.
"""

from __future__ import annotations

import hashlib
from typing import Any, Iterable

import polars as pl

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


def _h(value: Any) -> str:
    return hashlib.blake2b(repr(value).encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def _history(rec: dict[str, Any], status: str) -> Any:
    for h in rec["history"]:
        if h["status"] == status:
            return h["date"]
    return None


def article_row(rec: dict[str, Any]) -> dict[str, Any]:
    pts = [p["name"] for p in rec["publication_types"]]
    refs = {c["ref_type"] for c in rec["comments_corrections"]}
    facets = {
        "citation": _h((rec["title"], rec["journal_title"], rec["volume"], rec["issue"], rec["pages"],
                        rec["pub_date_text"], rec["languages"], rec["citation_status"])),
        "abstract": _h(rec["abstract_sections"]),
        "authors": _h(rec["authors"]),
        "mesh": _h((rec["mesh"], rec["keywords"], rec["chemicals"])),
        "publication_types": _h(pts),
        "corrections": _h(rec["comments_corrections"]),
        "ids": _h((rec["article_ids"], rec["databanks"], rec["grants"])),
    }
    row = {k: rec.get(k) for k in ARTICLES if k in rec}
    row.update(
        language=rec["languages"][0] if rec["languages"] else None,
        entrez_date=_history(rec, "entrez"),
        pubmed_date=_history(rec, "pubmed"),
        is_retracted=bool(RETRACTED_TYPES & set(pts)) or "RetractionIn" in refs,
        is_notice=bool(NOTICE_TYPES & set(pts)) or bool({"RetractionOf", "ErratumFor"} & refs),
        has_erratum="ErratumIn" in refs,
        facet_hashes=facets,
        content_hash=_h((rec["version"], sorted(facets.items()), rec["date_revised"], rec["history"])),
        publication_types=pts,
        mesh_terms=[m["descriptor"] for m in rec["mesh"] if m["descriptor"]],
        keywords=[k["keyword"] for k in rec["keywords"]],
        registry_ids=[d["accession"] for d in rec["databanks"]],
    )
    return row


def frames(records: Iterable[dict[str, Any]]) -> dict[str, pl.DataFrame]:
    """One frame per table for a batch of parsed records (the latest record wins per PMID)."""
    latest: dict[str, dict[str, Any]] = {}
    for rec in records:
        old = latest.get(rec["pmid"])
        if old is None or rec["version"] >= old["version"]:
            latest[rec["pmid"]] = rec
    recs = list(latest.values())
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in CHILDREN}
    arts = []
    for rec in recs:
        pmid = rec["pmid"]
        arts.append(article_row(rec))
        rows["abstract_sections"] += [{"pmid": pmid, **s} for s in rec["abstract_sections"]]
        rows["authors"] += [{"pmid": pmid, **a} for a in rec["authors"]]
        rows["publication_types"] += [{"pmid": pmid, **p} for p in rec["publication_types"]]
        rows["mesh_terms"] += [{"pmid": pmid, "descriptor": m["descriptor"], "descriptor_ui": m["descriptor_ui"],
                                "major": m["major"], "qualifiers": [q["name"] for q in m["qualifiers"]],
                                "major_qualifiers": [q["name"] for q in m["qualifiers"] if q["major"]]}
                               for m in rec["mesh"]]
        rows["keywords"] += [{"pmid": pmid, **k} for k in rec["keywords"]]
        rows["chemicals"] += [{"pmid": pmid, **c} for c in rec["chemicals"]]
        rows["grants"] += [{"pmid": pmid, **g} for g in rec["grants"]]
        rows["article_ids"] += [{"pmid": pmid, "id_type": i["type"], "value": i["value"]}
                                for i in rec["article_ids"]]
        rows["databanks"] += [{"pmid": pmid, **d} for d in rec["databanks"]]
        rows["comments_corrections"] += [{"pmid": pmid, **c} for c in rec["comments_corrections"]]
        rows["history_dates"] += [{"pmid": pmid, **h} for h in rec["history"]]
    out = {"articles": pl.DataFrame(arts, schema=ARTICLES, orient="row") if arts
           else pl.DataFrame(schema=ARTICLES)}
    for name, schema in CHILDREN.items():
        out[name] = pl.DataFrame(rows[name], schema=schema) if rows[name] else pl.DataFrame(schema=schema)
    return out


def articles_frame(records: Iterable[dict[str, Any]]) -> pl.DataFrame:
    """The articles frame alone (what the extractors read)."""
    return frames(records)["articles"]
