"""PubMed XML (efetch or a user's export) to typed records, streaming.

A plain file is parsed ~64 KB at a time (see ``_pieces``), anything else in one pass of lxml
``iterparse``; each record is turned into a plain dict (the keys of ``_RECORD`` below) and its
element freed, so memory stays flat however large the file. Entities are never expanded and
nothing is fetched (no DTD, no network): a hostile file cannot make the parser read a URL or
blow up memory.
"""

from __future__ import annotations

import datetime as dt
import gc
import gzip
import hashlib
import io
import itertools
import logging
import re
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

from lxml import etree

from .errors import BadInputError

log = logging.getLogger(__name__)

ROOTS = {"PubmedArticleSet", "PubmedBookArticleSet"}
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_SEASONS = {"spring": 3, "summer": 6, "fall": 9, "autumn": 9, "winter": 12}
_WS = re.compile(r"\s+")
_YEAR = re.compile(r"\b(1[89][0-9]{2}|20[0-9]{2})\b")  # ASCII digits: \d would take any script's
_WORD = re.compile(r"[A-Za-z]+")


@dataclass
class ParseStats:
    """What one file held, for progress lines and run records."""

    articles: int = 0
    deleted: int = 0
    books_skipped: int = 0
    other_skipped: int = 0
    articles_skipped: int = 0  # of other_skipped, the PubmedArticle records that could not be read
    deleted_pmids: list[str] = field(default_factory=list)
    # warnings about skipped items, and how many of them not to give again: those the piecewise
    # reader gave before handing the input back to the streaming one, which reads them again
    warnings: int = field(default=0, compare=False, repr=False)
    quiet_until: int = field(default=0, compare=False, repr=False)

    @property
    def records(self) -> int:
        """PubMed records met: PubmedArticle and PubmedBookArticle elements (skipped ones included)
        and the PMIDs listed in DeleteCitation elements (``raw_files.records``)."""
        return self.articles + self.articles_skipped + self.books_skipped + self.deleted


@dataclass(frozen=True)
class Deletion:
    """A ``DeleteCitation`` entry: PubMed withdrew this PMID."""

    pmid: str
    version: int | None  # None: the Version attribute was not a version (the deletion still applies)


def text_of(el: etree._Element | None) -> str | None:
    """All text under an element (inline <i>, <sup>, MathML flattened), whitespace folded."""
    if el is None:
        return None
    s = "".join(el.itertext()) if len(el) else el.text
    if not s:
        return None
    return _fold(s)


def _fold(s: str) -> str | None:
    """Runs of whitespace (what regex \\s matches) to one space, none at the ends; None if empty."""
    # Most text (abstracts, titles, affiliations) has no whitespace but single spaces: then only
    # the ends need trimming, ~10x faster than splitting it into words and joining them on long
    # text, and already faster from ~16 characters (measured: 180 vs 340 ns on affiliations).
    # ASCII text is checked for the other whitespace it can hold (\v, \f and \x1c-\x1f cannot
    # occur in XML, not even as &#...; references); any other text with isprintable(), which is
    # False for every whitespace character but the space (they are all Unicode "Other" or "Separator").
    if len(s) > 16 and "  " not in s and (
            ("\n" not in s and "\t" not in s and "\r" not in s) if s.isascii() else s.isprintable()):
        return s.strip(" ") or None
    # str.split() splits on exactly the characters regex \s matches, and is several times faster
    return " ".join(s.split()) or None


def _number(text: str | None) -> int | None:
    """The whole number written in ASCII digits (spaces around allowed); None for anything else.
    ``str.isdigit`` alone would let through other scripts' digits (``١٢``) and ``²``, which
    ``int`` refuses."""
    if text:
        text = text.strip()
        if text.isascii() and text.isdigit():
            return int(text)
    return None


def _is_pmid(text: str) -> bool:
    """A PubMed id: ASCII digits only (``str.isdigit`` alone takes other scripts' digits too)."""
    return text.isascii() and text.isdigit()


def _month(value: str | None) -> int | None:
    if not value:
        return None
    value = value.strip()
    m = _number(value)
    if m is not None:
        return m if 1 <= m <= 12 else None
    return _MONTHS.get(value[:3].lower())


def _safe_date(y: int | None, m: int | None, d: int | None) -> dt.date | None:
    """The date, the first of the month if the day is not one of it; None if the year is not one.
    A number too large for date() at all (a Year or Day of 11 digits) raises OverflowError, not
    ValueError: it is read the same way as any other that cannot be."""
    if y is None:
        return None
    try:
        return dt.date(y, m or 1, d or 1)
    except (ValueError, OverflowError):
        try:
            return dt.date(y, m or 1, 1)
        except (ValueError, OverflowError):
            return None


# the warehouse's INTEGER (articles.version): a larger Version could not be stored
_MAX_VERSION = 2**31 - 1


def _version(value: str | None) -> int:
    """A PMID's Version attribute (1 when absent); ValueError (the record is skipped) when it is
    not a whole number from 1 to what the warehouse can hold."""
    if not value:
        return 1
    version = _number(value)
    if version is None or not 0 < version <= _MAX_VERSION:
        raise ValueError(f"PMID Version {value!r} is not a version")
    return version


def medline_date(text: str) -> tuple[int | None, int | None]:
    """Year and month from a free-text ``MedlineDate``: "2019 Nov-Dec", "Summer 2018", "1998 Dec-1999 Jan"."""
    y = _YEAR.search(text)
    month = None
    for word in _WORD.findall(text):
        w = word.lower()
        if w[:3] in _MONTHS and (len(w) == 3 or w in {"june", "july", "sept"} or len(w) > 3):
            month = _MONTHS[w[:3]]
            break
        if w in _SEASONS:
            month = _SEASONS[w]
            break
    return (int(y.group(1)) if y else None), month


# The readers below walk each element's children once and dispatch on the tag, instead of one
# find()/findtext() per field: a record is read in one pass over the parts it needs. They keep
# the ElementPath meaning the field always had: the first child of a tag for single fields
# (find), every child for repeated ones (findall), every list's items for "List/Item" paths.
# They loop over ``el[:]`` (the children as a list, built in C) rather than ``el``: lxml's child
# iterator costs more per element than the list (measured: ~5% of parsing).
# A single field is read when its first element is met; what can raise (a date, a Version: a
# ValueError skips the record) is read in the order it always was, so a bad record fails alike.

_UNSET: Any = object()  # a first-of field not seen yet (a seen one may be None: empty)


def _text(el: etree._Element) -> str | None:
    """text_of() of an element that exists."""
    s = el.text if not len(el) else "".join(el.itertext())
    return _fold(s) if s else None


def _short(el: etree._Element) -> str | None:
    """text_of() of an element that exists and holds short text (a name, a term)."""
    s = el.text if not len(el) else "".join(el.itertext())
    if not s:
        return None
    # letters only (most names and initials) need no folding, and isalpha() costs a third of it
    return s if s.isalpha() else " ".join(s.split()) or None


_DATES: dict[tuple[str | None, str | None, str | None], dt.date | None] = {}


def _first_ymd(cs: list[etree._Element]) -> tuple[str | None, str | None, str | None]:
    """Raw text of the first Year, Month and Day ("" if empty, None if absent)."""
    y = m = d = None
    for c in cs:
        t = c.tag
        if t == "Year":
            if y is None:
                y = c.text or ""
        elif t == "Month":
            if m is None:
                m = c.text or ""
        elif t == "Day":
            if d is None:
                d = c.text or ""
    return y, m, d  # None (absent) and "" (empty) give the same date, so both shapes share keys


def _date_el(el: etree._Element) -> dt.date | None:
    """The date of a Year/Month/Day element (ArticleDate, PubMedPubDate, DateCompleted, ...)."""
    cs = el[:]
    if len(cs) >= 3:  # the usual shape (Hour and Minute may follow): no search for the first of each
        ye, me, de = cs[:3]
        key = (ye.text, me.text, de.text) if ye.tag == "Year" and me.tag == "Month" and de.tag == "Day" \
            else _first_ymd(cs)
    else:
        key = _first_ymd(cs)
    try:
        return _DATES[key]  # records share few distinct dates: build each once
    except KeyError:
        pass
    y, m, d = key
    year = _number(y)
    value = None if year is None else _safe_date(year, _month(m), _number(d))
    if len(_DATES) < 50_000:
        _DATES[key] = value
    return value


def _pub_date(pd: etree._Element | None) -> tuple[Any, ...]:
    """pub_year, pub_month, pub_day, pub_date, pub_date_text, medline_date of a PubDate."""
    if pd is None:
        return None, None, None, None, None, None
    md = y = month_text = season = d = None  # the first of each (raw text, "" if empty)
    for c in pd[:]:
        t = c.tag
        if t == "Year":
            if y is None:
                y = c.text or ""
        elif t == "Month":
            if month_text is None:
                month_text = c.text or ""
        elif t == "Day":
            if d is None:
                d = c.text or ""
        elif t == "MedlineDate":
            if md is None:
                md = c.text or ""
        elif t == "Season":
            if season is None:
                season = c.text or ""
    if md is not None:
        year, month = medline_date(md)
        md = md.strip()
        return year, month, None, _safe_date(year, month, None), md, md
    year = _number(y)
    if year is not None and not dt.MINYEAR <= year <= dt.MAXYEAR:  # no date has it (0, 10000, ...):
        year = None  # as unreadable as a Year that is no number (and it may not fit an INTEGER)
    month = _month(month_text)
    if month is None and season:
        month = _SEASONS.get(season.strip().lower())
    day = _number(d)
    if day is not None and not 1 <= day <= 31:  # no month has it: no day, as a Month of 13 is no month
        day = None
    parts = [p for p in (y, month_text or season, d) if p]
    return (year, month, day, _safe_date(year, month, day),
            " ".join(p.strip() for p in parts) or None, None)


def _author(pos: int, a: etree._Element) -> dict[str, Any]:
    last = fore = initials = suffix = collective = _UNSET  # the first of each part counts
    orcid = None
    affiliations = []
    for c in a[:]:
        t = c.tag
        if t == "LastName":
            if last is _UNSET:
                last = _short(c)
        elif t == "ForeName":
            if fore is _UNSET:
                fore = _short(c)
        elif t == "Initials":
            if initials is _UNSET:
                initials = _short(c)
        elif t == "AffiliationInfo":
            for x in c[:]:
                if x.tag == "Affiliation":
                    s = x.text if not len(x) else "".join(x.itertext())
                    if s:
                        s = _fold(s)
                        if s:
                            affiliations.append(s)
        elif t == "Identifier":
            if (c.get("Source") or "").upper() == "ORCID":
                s = c.text
                if s:
                    orcid = s.strip().rsplit("/", 1)[-1]
        elif t == "Suffix":
            if suffix is _UNSET:
                suffix = _short(c)
        elif t == "CollectiveName":
            if collective is _UNSET:
                collective = _short(c)
    return {
        "position": pos,
        "last_name": None if last is _UNSET else last,
        "fore_name": None if fore is _UNSET else fore,
        "initials": None if initials is _UNSET else initials,
        "suffix": None if suffix is _UNSET else suffix,
        "collective_name": None if collective is _UNSET else collective,
        "orcid": orcid,
        "affiliations": affiliations,
        "equal_contrib": a.get("EqualContrib") == "Y",
    }


def _abstract(ab: etree._Element) -> tuple[list[dict[str, Any]], str | None, str | None]:
    sections = []
    texts = []
    copyright_ = _UNSET
    i = 0
    for t in ab[:]:
        tag = t.tag
        if tag == "AbstractText":
            i += 1
            s = t.text if not len(t) else "".join(t.itertext())
            if s:
                s = _fold(s)
                if s:
                    texts.append(s)
                    sections.append({"position": i, "label": t.get("Label"), "category": t.get("NlmCategory"),
                                     "text": s})
        elif tag == "CopyrightInformation" and copyright_ is _UNSET:
            copyright_ = _text(t)
    return sections, " ".join(texts) or None, None if copyright_ is _UNSET else copyright_


def _mesh_heading(h: etree._Element) -> dict[str, Any] | None:
    d = None
    qualifiers = []
    for c in h[:]:
        t = c.tag
        if t == "DescriptorName":
            if d is None:
                d = c
        elif t == "QualifierName":
            qualifiers.append({"name": _short(c), "ui": c.get("UI"), "major": c.get("MajorTopicYN") == "Y"})
    if d is None:
        return None
    return {"descriptor": _short(d), "descriptor_ui": d.get("UI"), "major": d.get("MajorTopicYN") == "Y",
            "qualifiers": qualifiers}


def _journal(j: etree._Element | None) -> tuple[Any, ...]:
    """title, iso, issn, issn_type, volume, issue, pub-date tuple of a Journal."""
    title = iso = issn = _UNSET
    issn_type = volume = issue = ji = pd = None
    if j is not None:
        for c in j[:]:
            t = c.tag
            if t == "ISSN":
                if issn is _UNSET:
                    issn = _text(c)
                    issn_type = c.get("IssnType")
            elif t == "JournalIssue":
                if ji is None:
                    ji = c
            elif t == "Title":
                if title is _UNSET:
                    title = _text(c)
            elif t == "ISOAbbreviation":
                if iso is _UNSET:
                    iso = _text(c)
    if ji is not None:
        volume = issue = _UNSET
        for c in ji[:]:
            t = c.tag
            if t == "Volume":
                if volume is _UNSET:
                    volume = _text(c)
            elif t == "Issue":
                if issue is _UNSET:
                    issue = _text(c)
            elif t == "PubDate":
                if pd is None:
                    pd = c
        volume = None if volume is _UNSET else volume
        issue = None if issue is _UNSET else issue
    return (None if title is _UNSET else title, None if iso is _UNSET else iso,
            None if issn is _UNSET else issn, issn_type, volume, issue, _pub_date(pd))


def _journal_info(mji: etree._Element | None) -> tuple[str | None, str | None, str | None]:
    """issn_linking, nlm_unique_id, country of a MedlineJournalInfo."""
    linking = nlm = country = _UNSET
    if mji is not None:
        for c in mji[:]:
            t = c.tag
            if t == "Country":
                if country is _UNSET:
                    country = _text(c)
            elif t == "NlmUniqueID":
                if nlm is _UNSET:
                    nlm = _text(c)
            elif t == "ISSNLinking":
                if linking is _UNSET:
                    linking = _text(c)
    return (None if linking is _UNSET else linking, None if nlm is _UNSET else nlm,
            None if country is _UNSET else country)


def _pages(pagination: etree._Element) -> str | None:
    medline = start = end = _UNSET
    for c in pagination[:]:
        t = c.tag
        if t == "MedlinePgn":
            if medline is _UNSET:
                medline = _text(c)
        elif t == "StartPage":
            if start is _UNSET:
                start = c.text or ""
        elif t == "EndPage":
            if end is _UNSET:
                end = c.text or ""
    return (None if medline is _UNSET else medline) or "-".join(
        p for p in (start, end) if p and p is not _UNSET) or None


def _firsts(el: etree._Element, tags: tuple[str, ...]) -> dict[str, etree._Element]:
    out: dict[str, etree._Element] = {}
    for c in el[:]:
        t = c.tag
        if t in tags and t not in out:
            out[t] = c
    return out


def _chemical(ch: etree._Element) -> dict[str, Any] | None:
    f = _firsts(ch, ("NameOfSubstance", "RegistryNumber"))
    name = f.get("NameOfSubstance")
    if name is None:
        return None
    return {"name": _text(name), "ui": name.get("UI"), "registry_number": text_of(f.get("RegistryNumber"))}


def _comment(cc: etree._Element) -> dict[str, Any]:
    f = _firsts(cc, ("PMID", "RefSource"))
    ref = f.get("PMID")
    return {"ref_type": cc.get("RefType"), "ref_pmid": ((ref.text or "") if ref is not None else "").strip() or None,
            "ref_source": text_of(f.get("RefSource"))}


def _grant(g: etree._Element) -> dict[str, Any]:
    f = _firsts(g, ("GrantID", "Acronym", "Agency", "Country"))
    return {"grant_id": text_of(f.get("GrantID")), "acronym": text_of(f.get("Acronym")),
            "agency": text_of(f.get("Agency")), "country": text_of(f.get("Country"))}


def _databank(db: etree._Element, out: list[dict[str, Any]]) -> None:
    bank_el = None
    accs = []
    for x in db[:]:
        if x.tag == "DataBankName":
            if bank_el is None:
                bank_el = x
        elif x.tag == "AccessionNumberList":
            accs.extend(a for a in x if a.tag == "AccessionNumber")
    bank = text_of(bank_el)
    for acc in accs:
        value = _text(acc)
        if value:
            out.append({"bank": bank, "accession": value})


# The keys of a record, in their order (normalise builds hash inputs in this order). A record is a
# copy of this, filled in: half the instructions of a 44-key dict display, which grows as it fills.
_RECORD: dict[str, Any] = dict.fromkeys((
    "pmid", "version", "citation_status", "indexing_method", "owner", "date_completed", "date_revised",
    "title", "vernacular_title", "abstract", "abstract_sections", "copyright", "languages",
    "journal_title", "journal_iso", "issn", "issn_type", "issn_linking", "nlm_unique_id",
    "journal_country", "volume", "issue", "pages", "pub_year", "pub_month", "pub_day", "pub_date",
    "pub_date_text", "medline_date", "article_date", "publication_status", "history", "authors",
    "publication_types", "mesh", "keywords", "chemicals", "grants", "article_ids", "doi", "pmc", "pii",
    "databanks", "comments_corrections"))


def _article(el: etree._Element) -> dict[str, Any]:
    mc = pubdata = None
    for c in el[:]:
        t = c.tag
        if t == "MedlineCitation":
            if mc is None:
                mc = c
        elif t == "PubmedData":
            if pubdata is None:
                pubdata = c
    if mc is None:
        raise ValueError("record without a PMID")
    pmid_el = art = mji = date_completed = date_revised = None
    mesh: list[dict[str, Any]] = []
    keywords: list[dict[str, Any]] = []
    chemicals: list[dict[str, Any]] = []
    comments: list[dict[str, Any]] = []
    for c in mc[:]:
        t = c.tag
        if t == "PMID":
            if pmid_el is None:
                pmid_el = c
        elif t == "DateCompleted":
            if date_completed is None:
                date_completed = c
        elif t == "DateRevised":
            if date_revised is None:
                date_revised = c
        elif t == "Article":
            if art is None:
                art = c
        elif t == "MedlineJournalInfo":
            if mji is None:
                mji = c
        elif t == "MeshHeadingList":
            for h in c[:]:
                if h.tag == "MeshHeading":
                    m = _mesh_heading(h)
                    if m is not None:
                        mesh.append(m)
        elif t == "KeywordList":
            owner = c.get("Owner")
            for k in c[:]:
                if k.tag == "Keyword":
                    kw = _text(k)
                    if kw:
                        keywords.append({"keyword": kw, "major": k.get("MajorTopicYN") == "Y", "owner": owner})
        elif t == "ChemicalList":
            for ch in c[:]:
                if ch.tag == "Chemical":
                    chem = _chemical(ch)
                    if chem is not None:
                        chemicals.append(chem)
        elif t == "CommentsCorrectionsList":
            for cc in c[:]:
                if cc.tag == "CommentsCorrections":
                    comments.append(_comment(cc))
    if pmid_el is None:
        raise ValueError("record without a PMID")
    pmid = (pmid_el.text or "").strip()
    if not pmid:
        raise ValueError("record without a PMID")

    title = vtitle = ab = _UNSET
    journal = pagination = None
    languages: list[str] = []
    elocations: list[etree._Element] = []
    article_date = None
    authors: list[dict[str, Any]] = []
    pub_types: list[dict[str, Any]] = []
    grants: list[dict[str, Any]] = []
    databanks: list[dict[str, Any]] = []
    author_list = None
    if art is not None:
        for c in art[:]:
            t = c.tag
            if t == "AuthorList":
                if author_list is None:  # the first list only (as find() read it)
                    author_list = c
                    pos = 0
                    for a in c[:]:
                        if a.tag == "Author":
                            pos += 1
                            authors.append(_author(pos, a))
            elif t == "Abstract":
                if ab is _UNSET:
                    ab = _abstract(c)
            elif t == "ArticleTitle":
                if title is _UNSET:
                    title = _text(c)
            elif t == "Journal":
                if journal is None:
                    journal = c
            elif t == "Language":
                s = c.text
                if s:
                    s = s.strip()
                    if s:
                        languages.append(s)
            elif t == "ELocationID":
                elocations.append(c)
            elif t == "PublicationTypeList":
                for p in c[:]:
                    if p.tag == "PublicationType":
                        name = _text(p)
                        if name:
                            pub_types.append({"ui": p.get("UI"), "name": name})
            elif t == "Pagination":
                if pagination is None:
                    pagination = c
            elif t == "ArticleDate":
                d = _date_el(c)  # every one is read: one that raises skips the record, as it always did
                if article_date is None:  # the first that is a date
                    article_date = d
            elif t == "GrantList":
                for g in c[:]:
                    if g.tag == "Grant":
                        grants.append(_grant(g))
            elif t == "DataBankList":
                for db in c[:]:
                    if db.tag == "DataBank":
                        _databank(db, databanks)
            elif t == "VernacularTitle":
                if vtitle is _UNSET:
                    vtitle = _text(c)
    sections, plain, copyright_ = ([], None, None) if ab is _UNSET else ab

    history = []
    ids: list[dict[str, str]] = []
    pub_status = None
    if pubdata is not None:
        status_seen = False
        for c in pubdata[:]:
            t = c.tag
            if t == "History":
                for h in c[:]:
                    if h.tag == "PubMedPubDate":
                        d = _date_el(h)
                        if d is not None:
                            history.append({"status": h.get("PubStatus"), "date": d})
            elif t == "ArticleIdList":
                for a in c[:]:
                    if a.tag == "ArticleId":
                        s = a.text
                        if s:
                            s = s.strip()
                            if s:
                                ids.append({"type": a.get("IdType"), "value": s})
            elif t == "PublicationStatus" and not status_seen:
                status_seen = True
                pub_status = c.text or ""
    if elocations:
        has_doi = any(i["type"] == "doi" for i in ids)
        for e in elocations:
            if not has_doi and e.text and e.get("EIdType") == "doi":
                ids.append({"type": "doi", "value": e.text.strip()})
                has_doi = True
    by_type: dict[str, str] = {}
    for i in ids:
        by_type.setdefault(i["type"], i["value"])
    # what can raise (a ValueError skips the record) is read in the order it always was
    version = _version(pmid_el.get("Version"))
    completed = None if date_completed is None else _date_el(date_completed)
    revised = None if date_revised is None else _date_el(date_revised)
    journal_title, journal_iso, issn, issn_type, volume, issue, pub = _journal(journal)
    issn_linking, nlm_unique_id, journal_country = _journal_info(mji)
    rec = _RECORD.copy()
    rec["pmid"] = pmid
    rec["version"] = version
    rec["citation_status"] = mc.get("Status")
    rec["indexing_method"] = mc.get("IndexingMethod")
    rec["owner"] = mc.get("Owner")
    rec["date_completed"] = completed
    rec["date_revised"] = revised
    rec["title"] = None if title is _UNSET else title
    rec["vernacular_title"] = None if vtitle is _UNSET else vtitle
    rec["abstract"] = plain
    rec["abstract_sections"] = sections
    rec["copyright"] = copyright_
    rec["languages"] = languages
    rec["journal_title"] = journal_title
    rec["journal_iso"] = journal_iso
    rec["issn"] = issn
    rec["issn_type"] = issn_type
    rec["issn_linking"] = issn_linking
    rec["nlm_unique_id"] = nlm_unique_id
    rec["journal_country"] = journal_country
    rec["volume"] = volume
    rec["issue"] = issue
    rec["pages"] = None if pagination is None else _pages(pagination)
    rec["pub_year"] = pub[0]
    rec["pub_month"] = pub[1]
    rec["pub_day"] = pub[2]
    rec["pub_date"] = pub[3]
    rec["pub_date_text"] = pub[4]
    rec["medline_date"] = pub[5]
    rec["article_date"] = article_date
    rec["publication_status"] = pub_status
    rec["history"] = history
    rec["authors"] = authors
    rec["publication_types"] = pub_types
    rec["mesh"] = mesh
    rec["keywords"] = keywords
    rec["chemicals"] = chemicals
    rec["grants"] = grants
    rec["article_ids"] = ids
    rec["doi"] = by_type.get("doi")
    rec["pmc"] = by_type.get("pmc")
    rec["pii"] = by_type.get("pii")
    rec["databanks"] = databanks
    rec["comments_corrections"] = comments
    return rec


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a block that builds many small objects.

    Parsed records and frames hold no reference cycles, so plain reference counting frees them;
    the collector would only re-scan every live record again and again while a chunk grows
    (measured: ~35% of parse-into-a-chunk time, ~55% of ``normalise.frames``). The previous
    state is restored on exit.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"  # every zstd frame starts so (RFC 8878, 3.1.1)
_DAMAGED = {
    "gzip": "the file is damaged or not gzip — download it again or give the plain .xml",
    "zstd": "the file is damaged — download it again or give the plain .xml",
}


def compression(path: Path) -> str | None:
    """"gzip" or "zstd" if the file is compressed so, else None (plain XML). Told by its first bytes,
    since a download may be saved under any name."""
    with open(path, "rb") as fh:
        head = fh.read(len(ZSTD_MAGIC))
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    return "zstd" if head == ZSTD_MAGIC else None


class _Wrapper:
    """A binary reader over another one (``_fh``); closing it closes that one."""

    _fh: Any

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> "_Wrapper":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Decompressed(_Wrapper):
    """A compressed file read decompressed; a read that fails (damaged, cut short, not really that
    format) raises BadInputError naming the file instead of the decompressor's own error."""

    def __init__(self, stream: Any, name: str, kind: str) -> None:
        self._fh, self.name, self.kind = stream, name, kind

    def read(self, n: int = -1) -> bytes:
        try:
            return self._fh.read() if n is None or n < 0 else self._fh.read(n)
        except (EOFError, OSError, zlib.error) as exc:  # gzip raises all three, pyarrow OSError
            raise BadInputError(f"{self.name}: cannot be read as {self.kind}-compressed XML ({exc}); "
                                f"{_DAMAGED[self.kind]}") from None


def open_xml(path: Path) -> IO[bytes]:
    """A file's bytes, decompressed if it is gzip or zstd (see ``compression``): a binary file
    object with ``read(n)`` and ``close()``. Reading a damaged compressed file raises BadInputError."""
    kind = compression(path)
    if kind is None:
        return open(path, "rb")
    if kind == "gzip":
        stream: Any = gzip.open(path, "rb")
    else:
        import pyarrow  # here, not at the top: ~90 ms to import, spent only when a zstd file is read
        stream = pyarrow.input_stream(str(path), compression="zstd")
    return _Decompressed(stream, str(path), kind)  # type: ignore[return-value]


class Digest:
    """The size and SHA-256 of the bytes a reader returned: a file's uncompressed XML, once it was
    read to its end. ``iter_records(path, stats, digest)`` fills one from the very bytes it parses,
    so a raw file is checked without being decompressed a second time (hashing 606 MB costs ~0.34
    CPU s; decompressing it again would cost more)."""

    __slots__ = ("size", "_sha")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.size = 0
        self._sha = hashlib.sha256()

    def update(self, data: bytes) -> None:
        self.size += len(data)
        self._sha.update(data)

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()


class _Digesting(_Wrapper):
    """A reader that passes every byte it returns through a ``Digest``."""

    def __init__(self, fh: IO[bytes], digest: Digest) -> None:
        self._fh, self._digest = fh, digest

    def read(self, n: int = -1) -> bytes:
        data = self._fh.read(n)
        self._digest.update(data)
        return data


def digesting(fh: IO[bytes], digest: Digest | None) -> IO[bytes]:
    """``fh``, its bytes passed through ``digest`` (reset first: it covers this reading from the
    start) as they are read; ``fh`` itself if None."""
    if digest is None:
        return fh
    digest.reset()
    return _Digesting(fh, digest)  # type: ignore[return-value]


def check_input_file(path: Path) -> None:
    """Raise BadInputError unless ``path`` is a file (saying what it is instead and what to give)."""
    if path.is_dir():
        raise BadInputError(f"{path}: a folder, not a file; give the PubMed XML files in it "
                            f"(e.g. {path / '*.xml.gz'})")
    if not path.is_file():
        raise BadInputError(f"{path}: no such file; give the path of a PubMed XML file")


def _open(source: str | Path | bytes | IO[bytes]) -> tuple[IO[bytes], str]:
    if isinstance(source, bytes):
        return io.BytesIO(source), "<bytes>"
    if isinstance(source, (str, Path)):
        p = Path(source)
        check_input_file(p)
        if p.stat().st_size == 0:
            raise BadInputError(f"{p}: the file is empty; expected a PubMed XML export (PubmedArticleSet)")
        return open_xml(p), str(p)
    return source, getattr(source, "name", "<stream>")


_TOP = ("PubmedArticle", "DeleteCitation", "PubmedBookArticle")
_PARSER_OPTIONS: dict[str, Any] = dict(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True,
                                       remove_comments=True, remove_pis=True)


def _check_root(root: etree._Element | None, name: str) -> None:
    if root is None:
        raise BadInputError(f"{name}: no XML element found; expected a PubMed XML export")
    if root.tag not in ROOTS:
        raise BadInputError(
            f"{name}: the root element is <{root.tag}>, not <PubmedArticleSet>; "
            "expected PubMed XML (PubMed 'Save' > 'PubMed' format, or efetch retmode=xml)")


def _count_others(stats: ParseStats, elements: Iterable[etree._Element]) -> None:
    for e in elements:
        if isinstance(e.tag, str) and e.tag not in _TOP:
            stats.other_skipped += 1


def _warn(stats: ParseStats, msg: str, *args: object) -> None:
    """Log a skipped item's warning, unless the piecewise reader already gave it (ParseStats.quiet_until)."""
    stats.warnings += 1
    if stats.warnings > stats.quiet_until:
        log.warning(msg, *args)


def _read_article(el: etree._Element, stats: ParseStats, name: str) -> dict[str, Any] | None:
    """The record of a top-level PubmedArticle, counted; None (counted as skipped) without a PMID."""
    try:
        rec = _article(el)
    except ValueError as exc:
        stats.other_skipped += 1
        stats.articles_skipped += 1
        pmid = (el.findtext("MedlineCitation/PMID") or "").strip()
        _warn(stats, "%s: a record (%s) was skipped: %s; fix or remove it and ingest the file again to load it",
              name, f"PMID {pmid[:40]!r}" if pmid else "no PMID", exc)
        return None
    if not _is_pmid(rec["pmid"]):
        raise BadInputError(
            f"{name}: record {stats.articles + 1} has PMID {rec['pmid'][:40]!r}, which is not a "
            "PubMed id (digits only); fix or remove that record and ingest the file again")
    stats.articles += 1
    return rec


def _deletions(el: etree._Element, stats: ParseStats, name: str) -> Iterator[Deletion]:
    """The PMIDs of a top-level DeleteCitation, counted. PubMed withdrew every one of them, so a
    Version that is not a version (nothing reads a deletion's version) still deletes: it is None.
    A PMID that is not a PubMed id could delete nothing: it is skipped, counted and named."""
    for p in el:
        if p.tag == "PMID" and p.text and p.text.strip():
            pmid = p.text.strip()
            if not _is_pmid(pmid):
                stats.other_skipped += 1
                _warn(stats, "%s: a deletion (PMID %r) was skipped: it is not a PubMed id (digits only)",
                      name, pmid[:40])
                continue
            try:
                version: int | None = _version(p.get("Version"))
            except ValueError:
                version = None
            stats.deleted += 1
            stats.deleted_pmids.append(pmid)
            yield Deletion(pmid, version)


# Reading in pieces. libxml2 parses a whole document in memory (etree.fromstring) faster than
# bytes fed to it (iterparse), and a record read right after its piece was parsed is still in the
# CPU cache. So a plain file is read 64 KiB at a time, each piece cut right after the end tag of a
# top-level element, wrapped in the file's own head and root end tag and parsed whole (measured:
# ~12% fewer instructions on pubmed-1000.xml, ~13% less CPU on pubmed-10000.xml than iterparse).
# A piece that does not parse (a bad file, or a cut that was not between two top-level elements:
# an end tag in a comment, say) or a read that fails (a damaged .gz or .zst) sends the whole input
# back to the streaming parser, which yields what it yields and fails where it fails: the items
# already yielded are read again and skipped. Reads are whole multiples of iterparse's 32 KiB, so
# the piecewise reader never holds bytes the streaming parser could not read before a failing read.

# A plain head: an XML declaration (UTF-8), comments, a DOCTYPE naming only an external DTD (never
# loaded), then the bare root tag. Each piece parsed after it is read in the same context as in
# the whole file: no internal DTD subset (entities, attribute defaults), one encoding.
_PLAIN_HEAD = re.compile(rb"""
    (?:\xef\xbb\xbf)?
    (?:<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(?:"1\.[0-9]+"|'1\.[0-9]+')
        (?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(?:"(?i:utf-8)"|'(?i:utf-8)'))?
        (?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(?:"(?:yes|no)"|'(?:yes|no)'))?[ \t\r\n]*\?>)?
    (?:[ \t\r\n]|<!--(?:[^-]|-[^-])*-->)*
    (?:<!DOCTYPE[ \t\r\n]+[A-Za-z_][\w.:-]*
        (?:[ \t\r\n]+(?:PUBLIC[ \t\r\n]+(?:"[^"]*"|'[^']*')[ \t\r\n]+|SYSTEM[ \t\r\n]+)(?:"[^"]*"|'[^']*'))?
        [ \t\r\n]*>
       (?:[ \t\r\n]|<!--(?:[^-]|-[^-])*-->)*)?
    <PubmedArticleSet>""", re.X)
_HEAD = 1 << 16  # bytes read first, to find the root tag
_PIECE = 1 << 16  # bytes read at a time: 32-64 KiB measured fastest (a piece's tree stays in cache)
_ENDS = (b"</PubmedArticle>", b"</DeleteCitation>", b"</PubmedBookArticle>")
_TAIL = max(map(len, _ENDS)) - 1  # bytes of an end tag that can lie in the previous read
_ROOT_END = b"</PubmedArticleSet>"


class _NotPlain(Exception):
    """This input is read by the streaming parser instead (see _pieces)."""


def _cut(data: bytes, tail: bytes) -> int:
    """Where the last top-level end tag in ``data`` ends (0: none); ``tail`` is what came before
    ``data`` since the last cut, so that a tag split between two reads is found."""
    for end in _ENDS:  # the first nearly always matches (the others: files of deletions or books)
        i = data.rfind(end)
        if i >= 0:
            return i + len(end)
        i = (tail + data[:len(end) - 1]).rfind(end)
        if i >= 0 and i + len(end) > len(tail):
            return i + len(end) - len(tail)
    return 0


def _cuts(fh: IO[bytes], data: bytes) -> Iterator[tuple[list[bytes | memoryview], bool]]:
    """The input after the root tag as pieces of whole top-level elements, each cut right after an
    end tag of a record; the last (flagged True) runs to the end of the input."""
    pending: list[bytes | memoryview] = []
    tail = b""  # the last bytes since the last cut
    while True:
        if data:
            cut = _cut(data, tail)
            if cut:
                pending.append(memoryview(data)[:cut])
                yield pending, False
                pending, tail, data = [], b"", data[cut:]
            pending.append(data)
            tail = (tail + data[-_TAIL:])[-_TAIL:]
        try:
            data = fh.read(_PIECE)
        except (BadInputError, OSError):  # a damaged .gz or .zst: the streaming parser reports it
            raise _NotPlain from None
        if not data:
            yield pending, True
            return


def _pieces(fh: IO[bytes], stats: ParseStats, name: str) -> Iterator[dict[str, Any] | Deletion]:
    """What iter_records yields, for a plain file: see the notes above."""
    try:
        head = fh.read(_HEAD)
    except (BadInputError, OSError):
        raise _NotPlain from None
    m = _PLAIN_HEAD.match(head)
    if m is None:
        raise _NotPlain
    prolog = head[:m.end()]
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    others = 0  # other top-level elements: counted after the next record, as the streaming parser does
    for parts, last in _cuts(fh, head[m.end():]):
        try:
            root = etree.fromstring(b"".join((prolog, *parts) if last else (prolog, *parts, _ROOT_END)), parser)
        except etree.XMLSyntaxError:
            raise _NotPlain from None
        for el in root[:]:
            tag = el.tag
            if tag == "PubmedArticle":
                rec = _read_article(el, stats, name)
                if rec is not None:
                    yield rec
            elif tag == "DeleteCitation":
                yield from _deletions(el, stats, name)
            elif tag == "PubmedBookArticle":
                stats.books_skipped += 1
            else:
                if isinstance(tag, str):
                    others += 1
                continue
            el.clear()
            if others:
                stats.other_skipped += others
                others = 0
    stats.other_skipped += others


def _streaming(fh: IO[bytes], stats: ParseStats, name: str) -> Iterator[dict[str, Any] | Deletion]:
    """What iter_records yields, for any input: one iterparse pass over it."""
    # Only the record elements reach Python (libxml2 does the rest in C); other top-level
    # elements are counted as they are freed, the root is checked at the first record.
    context = etree.iterparse(fh, events=("end",), tag=_TOP, **_PARSER_OPTIONS)
    root: etree._Element | None = None
    for _event, el in context:
        parent = el.getparent()
        if root is None:
            root = parent if parent is not None else el
            _check_root(root, name)
        if parent is not root:  # a record nested below the top level is not one
            continue
        tag = el.tag
        if tag == "PubmedArticle":
            rec = _read_article(el, stats, name)
            if rec is not None:
                yield rec
        elif tag == "DeleteCitation":
            yield from _deletions(el, stats, name)
        else:
            stats.books_skipped += 1
        el.clear()
        first = root[0]
        while first is not el:  # free what came before (other top-level elements counted)
            if first.tag not in _TOP:
                _count_others(stats, (first,))
            del root[0]
            first = root[0]
    if root is None:
        _check_root(getattr(context, "root", None), name)
    else:
        _count_others(stats, root)


def iter_records(source: str | Path | bytes | IO[bytes], stats: ParseStats | None = None,
                 digest: Digest | None = None) -> Iterator[dict[str, Any] | Deletion]:
    """Yield article dicts and ``Deletion``s from PubMed XML, streaming.

    Book records are skipped and counted in ``stats``. A file that is not PubMed XML raises
    BadInputError naming the file, the line and what was expected. ``digest``, if given, holds
    the size and SHA-256 of the (uncompressed) input once every record was read.
    """
    stats = stats if stats is not None else ParseStats()
    done = 0  # items yielded by the piecewise reader, before it gave the input back
    if isinstance(source, (str, Path, bytes)):  # inputs that can be read again from the start
        counts = (stats.articles, stats.deleted, stats.books_skipped, stats.other_skipped, stats.articles_skipped,
                  len(stats.deleted_pmids), stats.warnings)
        fh, name = _open(source)
        fh = digesting(fh, digest)
        try:
            for item in _pieces(fh, stats, name):
                yield item
                done += 1
            return
        except _NotPlain:  # counted (and digested) again from the start, as the items are read again
            (stats.articles, stats.deleted, stats.books_skipped, stats.other_skipped,
             stats.articles_skipped) = counts[:5]
            del stats.deleted_pmids[counts[5]:]
            stats.quiet_until, stats.warnings = stats.warnings, counts[6]  # the items' warnings were given
        finally:
            fh.close()
    fh, name = _open(source)
    fh = digesting(fh, digest)
    try:
        yield from itertools.islice(_streaming(fh, stats, name), done, None)
    except etree.XMLSyntaxError as exc:
        line = f" at line {exc.lineno}" if getattr(exc, "lineno", None) else ""
        msg = exc.msg if hasattr(exc, "msg") else str(exc)
        if re.search(r"entit(y|ies)", msg, re.I) and re.search(r"loop|amplification|depth|huge|limit", msg, re.I):
            raise BadInputError(
                f"{name}: refused{line}: the file defines entities that would expand without limit "
                f"(an 'entity bomb': {msg}); PubMed XML never does this — check where the file came from") from None
        raise BadInputError(
            f"{name}: not well-formed XML{line} ({msg}); "
            "the file may be truncated or not PubMed XML — download it again") from None
    except (EOFError, OSError, zlib.error) as exc:  # a compressed file's damage is a BadInputError (open_xml)
        raise BadInputError(f"{name}: cannot be read ({exc}); check the file and its permissions") from None
    finally:
        if isinstance(source, (str, Path)):
            fh.close()


def parse_all(source: str | Path | bytes | IO[bytes]) -> tuple[list[dict[str, Any]], list[Deletion], ParseStats]:
    """Every record of one source, read completely (so a bad file fails before anything is loaded)."""
    stats = ParseStats()
    arts: list[dict[str, Any]] = []
    dels: list[Deletion] = []
    for r in iter_records(source, stats):
        (dels if isinstance(r, Deletion) else arts).append(r)
    return arts, dels, stats
