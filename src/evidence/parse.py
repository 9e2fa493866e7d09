"""PubMed XML (efetch or a user's export) to typed records, streaming.

One pass of lxml ``iterparse``; each record is turned into a plain dict (the shape of
``ARTICLE_FIELDS`` below) and its element freed, so memory stays flat however large the file.
Entities are never expanded and nothing is fetched (no DTD, no network): a hostile file cannot
make the parser read a URL or blow up memory.
"""

from __future__ import annotations

import datetime as dt
import gc
import io
import re
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

from lxml import etree

from .errors import BadInputError

ROOTS = {"PubmedArticleSet", "PubmedBookArticleSet"}
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_SEASONS = {"spring": 3, "summer": 6, "fall": 9, "autumn": 9, "winter": 12}
_WS = re.compile(r"\s+")
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_WORD = re.compile(r"[A-Za-z]+")


@dataclass
class ParseStats:
    """What one file held, for progress lines and run records."""

    articles: int = 0
    deleted: int = 0
    books_skipped: int = 0
    other_skipped: int = 0
    deleted_pmids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Deletion:
    """A ``DeleteCitation`` entry: PubMed withdrew this PMID."""

    pmid: str
    version: int


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
    # Most long text (abstracts, titles, affiliations) has no whitespace but single spaces: then
    # only the ends need trimming, ~10x faster than splitting it into words and joining them.
    # ASCII text is checked for the other whitespace it can hold (\v, \f and \x1c-\x1f cannot
    # occur in XML, not even as &#...; references); any other text with isprintable(), which is
    # False for every whitespace character but the space (they are all Unicode "Other" or "Separator").
    if len(s) > 64 and "  " not in s and (
            ("\n" not in s and "\t" not in s and "\r" not in s) if s.isascii() else s.isprintable()):
        return s.strip(" ") or None
    # str.split() splits on exactly the characters regex \s matches, and is several times faster
    return " ".join(s.split()) or None


def _month(value: str | None) -> int | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        m = int(value)
        return m if 1 <= m <= 12 else None
    return _MONTHS.get(value[:3].lower())


def _safe_date(y: int | None, m: int | None, d: int | None) -> dt.date | None:
    if y is None:
        return None
    try:
        return dt.date(y, m or 1, d or 1)
    except ValueError:
        try:
            return dt.date(y, m or 1, 1)
        except ValueError:
            return None


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

def _first_texts(el: etree._Element, tags: frozenset[str]) -> dict[str, str | None]:
    """Raw ``.text`` of the first child of each tag in ``tags`` (what findtext() gives)."""
    out: dict[str, str | None] = {}
    for c in el[:]:
        t = c.tag
        if t in tags and t not in out:
            out[t] = c.text or ""
    return out


_DATES: dict[tuple[str | None, str | None, str | None], dt.date | None] = {}


def _date_el(el: etree._Element | None) -> dt.date | None:
    if el is None:
        return None
    y = m = d = None
    for c in el[:]:
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
    key = (y, m, d)
    try:
        return _DATES[key]  # records share few distinct dates: build each once
    except KeyError:
        pass
    if not (y and y.strip().isdigit()):
        value = None
    else:
        value = _safe_date(int(y), _month(m), int(d) if d and d.strip().isdigit() else None)
    if len(_DATES) < 50_000:
        _DATES[key] = value
    return value


_PUBDATE = frozenset(("MedlineDate", "Year", "Month", "Season", "Day"))


def _pub_date(pd: etree._Element | None) -> dict[str, Any]:
    out: dict[str, Any] = {"pub_year": None, "pub_month": None, "pub_day": None, "pub_date": None,
                           "pub_date_text": None, "medline_date": None}
    if pd is None:
        return out
    f = _first_texts(pd, _PUBDATE)
    md = f.get("MedlineDate")
    if md is not None:
        y, m = medline_date(md)
        out.update(pub_year=y, pub_month=m, pub_date_text=md.strip(), medline_date=md.strip(),
                   pub_date=_safe_date(y, m, None))
        return out
    y = f.get("Year")
    year = int(y) if y and y.strip().isdigit() else None
    month_text = f.get("Month")
    month = _month(month_text)
    season = f.get("Season")
    if month is None and season:
        month = _SEASONS.get(season.strip().lower())
    d = f.get("Day")
    day = int(d) if d and d.strip().isdigit() else None
    parts = [p for p in (y, month_text or season, d) if p]
    out.update(pub_year=year, pub_month=month, pub_day=day, pub_date=_safe_date(year, month, day),
               pub_date_text=" ".join(p.strip() for p in parts) or None)
    return out


_NAME_PARTS = frozenset(("LastName", "ForeName", "Initials", "Suffix", "CollectiveName"))

# The readers below inline text_of() where most text is read (names, affiliations, MeSH, abstract
# sections; ~40 times per record), saving the call: s = el.text if not len(el) else
# "".join(el.itertext()), then _fold(s) (or, for short text, its last line) if s else None.


_UNSET: Any = object()  # a name part not seen yet (a seen one may be None: empty)


def _author(pos: int, a: etree._Element) -> dict[str, Any]:
    last = fore = initials = suffix = collective = _UNSET  # the first of each part counts
    orcid = None
    affiliations = []
    for c in a[:]:
        t = c.tag
        if t in _NAME_PARTS:
            s = c.text if not len(c) else "".join(c.itertext())
            s = (" ".join(s.split()) or None) if s else None
            if t == "LastName":
                if last is _UNSET:
                    last = s
            elif t == "ForeName":
                if fore is _UNSET:
                    fore = s
            elif t == "Initials":
                if initials is _UNSET:
                    initials = s
            elif t == "Suffix":
                if suffix is _UNSET:
                    suffix = s
            elif collective is _UNSET:
                collective = s
        elif t == "AffiliationInfo":
            for x in c[:]:
                if x.tag == "Affiliation":
                    s = x.text if not len(x) else "".join(x.itertext())
                    if s:
                        s = _fold(s)
                        if s:
                            affiliations.append(s)
        elif t == "Identifier":
            if (c.get("Source") or "").upper() == "ORCID" and c.text:
                orcid = c.text.strip().rsplit("/", 1)[-1]
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


def _abstract(ab: etree._Element | None) -> tuple[list[dict[str, Any]], str | None, str | None]:
    if ab is None:
        return [], None, None
    sections = []
    texts = []
    copyright_el = None
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
        elif tag == "CopyrightInformation" and copyright_el is None:
            copyright_el = t
    return sections, " ".join(texts) or None, text_of(copyright_el)


def _mesh_heading(h: etree._Element) -> dict[str, Any] | None:
    d = None
    qualifiers = []
    for c in h[:]:
        t = c.tag
        if t == "DescriptorName":
            if d is None:
                d = c
        elif t == "QualifierName":
            s = c.text if not len(c) else "".join(c.itertext())
            qualifiers.append({"name": (" ".join(s.split()) or None) if s else None, "ui": c.get("UI"),
                               "major": c.get("MajorTopicYN") == "Y"})
    if d is None:
        return None
    s = d.text if not len(d) else "".join(d.itertext())
    return {"descriptor": (" ".join(s.split()) or None) if s else None, "descriptor_ui": d.get("UI"),
            "major": d.get("MajorTopicYN") == "Y", "qualifiers": qualifiers}


def _firsts(el: etree._Element | None, tags: tuple[str, ...]) -> dict[str, etree._Element]:
    out: dict[str, etree._Element] = {}
    if el is not None:
        for c in el[:]:
            t = c.tag
            if t in tags and t not in out:
                out[t] = c
    return out


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
        elif t == "Article":
            if art is None:
                art = c
        elif t == "MedlineJournalInfo":
            if mji is None:
                mji = c
        elif t == "DateCompleted":
            if date_completed is None:
                date_completed = c
        elif t == "DateRevised":
            if date_revised is None:
                date_revised = c
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
                    kw = text_of(k)
                    if kw:
                        keywords.append({"keyword": kw, "major": k.get("MajorTopicYN") == "Y", "owner": owner})
        elif t == "ChemicalList":
            for ch in c[:]:
                if ch.tag != "Chemical":
                    continue
                f = _firsts(ch, ("NameOfSubstance", "RegistryNumber"))
                name = f.get("NameOfSubstance")
                if name is not None:
                    chemicals.append({"name": text_of(name), "ui": name.get("UI"),
                                      "registry_number": text_of(f.get("RegistryNumber"))})
        elif t == "CommentsCorrectionsList":
            for cc in c[:]:
                if cc.tag != "CommentsCorrections":
                    continue
                f = _firsts(cc, ("PMID", "RefSource"))
                ref = f.get("PMID")
                comments.append({"ref_type": cc.get("RefType"),
                                 "ref_pmid": ((ref.text or "") if ref is not None else "").strip() or None,
                                 "ref_source": text_of(f.get("RefSource"))})
    if pmid_el is None or not (pmid_el.text or "").strip():
        raise ValueError("record without a PMID")

    journal = ab = pagination = title = vtitle = None
    languages: list[str] = []
    elocations: list[etree._Element] = []
    article_dates: list[dt.date] = []
    authors: list[dict[str, Any]] = []
    pub_types: list[dict[str, Any]] = []
    grants: list[dict[str, Any]] = []
    databanks: list[dict[str, Any]] = []
    author_list = None
    if art is not None:
        for c in art[:]:
            t = c.tag
            if t == "Journal":
                if journal is None:
                    journal = c
            elif t == "ArticleTitle":
                if title is None:
                    title = c
            elif t == "Abstract":
                if ab is None:
                    ab = c
            elif t == "Language":
                if c.text and c.text.strip():
                    languages.append(c.text.strip())
            elif t == "ELocationID":
                elocations.append(c)
            elif t == "Pagination":
                if pagination is None:
                    pagination = c
            elif t == "ArticleDate":
                d = _date_el(c)
                if d:
                    article_dates.append(d)
            elif t == "AuthorList":
                if author_list is None:  # the first list only (as find() read it)
                    author_list = c
                    pos = 0
                    for a in c[:]:
                        if a.tag == "Author":
                            pos += 1
                            authors.append(_author(pos, a))
            elif t == "PublicationTypeList":
                for p in c[:]:
                    if p.tag == "PublicationType":
                        name = text_of(p)
                        if name:
                            pub_types.append({"ui": p.get("UI"), "name": name})
            elif t == "GrantList":
                for g in c[:]:
                    if g.tag == "Grant":
                        f = _firsts(g, ("GrantID", "Acronym", "Agency", "Country"))
                        grants.append({"grant_id": text_of(f.get("GrantID")), "acronym": text_of(f.get("Acronym")),
                                       "agency": text_of(f.get("Agency")), "country": text_of(f.get("Country"))})
            elif t == "DataBankList":
                for db in c[:]:
                    if db.tag != "DataBank":
                        continue
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
                        value = text_of(acc)
                        if value:
                            databanks.append({"bank": bank, "accession": value})
            elif t == "VernacularTitle":
                if vtitle is None:
                    vtitle = c
    sections, plain, copyright_ = _abstract(ab)

    history = []
    ids: list[dict[str, str]] = []
    pub_status = None
    if pubdata is not None:
        status_el = None
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
                    if a.tag == "ArticleId" and a.text and a.text.strip():
                        ids.append({"type": a.get("IdType"), "value": a.text.strip()})
            elif t == "PublicationStatus" and status_el is None:
                status_el = c
                pub_status = c.text or ""
    for e in elocations:
        if e.text and e.get("EIdType") == "doi" and not any(i["type"] == "doi" for i in ids):
            ids.append({"type": "doi", "value": e.text.strip()})
    by_type: dict[str, str] = {}
    for i in ids:
        by_type.setdefault(i["type"], i["value"])
    pages = None
    if pagination is not None:
        f = _firsts(pagination, ("MedlinePgn", "StartPage", "EndPage"))
        sp, ep = f.get("StartPage"), f.get("EndPage")
        pages = text_of(f.get("MedlinePgn")) or "-".join(
            filter(None, [(sp.text or "") if sp is not None else None,
                          (ep.text or "") if ep is not None else None])) or None
    jf = _firsts(journal, ("ISSN", "Title", "ISOAbbreviation", "JournalIssue"))
    issn_el = jf.get("ISSN")
    jif = _firsts(jf.get("JournalIssue"), ("Volume", "Issue", "PubDate"))
    mf = _firsts(mji, ("ISSNLinking", "NlmUniqueID", "Country"))
    pmid = pmid_el.text.strip()
    record: dict[str, Any] = {
        "pmid": pmid,
        "version": int(pmid_el.get("Version") or 1),
        "citation_status": mc.get("Status"),
        "indexing_method": mc.get("IndexingMethod"),
        "owner": mc.get("Owner"),
        "date_completed": _date_el(date_completed),
        "date_revised": _date_el(date_revised),
        "title": text_of(title),
        "vernacular_title": text_of(vtitle),
        "abstract": plain,
        "abstract_sections": sections,
        "copyright": copyright_,
        "languages": languages,
        "journal_title": text_of(jf.get("Title")),
        "journal_iso": text_of(jf.get("ISOAbbreviation")),
        "issn": text_of(issn_el),
        "issn_type": issn_el.get("IssnType") if issn_el is not None else None,
        "issn_linking": text_of(mf.get("ISSNLinking")),
        "nlm_unique_id": text_of(mf.get("NlmUniqueID")),
        "journal_country": text_of(mf.get("Country")),
        "volume": text_of(jif.get("Volume")),
        "issue": text_of(jif.get("Issue")),
        "pages": pages,
        **_pub_date(jif.get("PubDate")),
        "article_date": article_dates[0] if article_dates else None,
        "publication_status": pub_status,
        "history": history,
        "authors": authors,
        "publication_types": pub_types,
        "mesh": mesh,
        "keywords": keywords,
        "chemicals": chemicals,
        "grants": grants,
        "article_ids": ids,
        "doi": by_type.get("doi"),
        "pmc": by_type.get("pmc"),
        "pii": by_type.get("pii"),
        "databanks": databanks,
        "comments_corrections": comments,
    }
    return record


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


def _open(source: str | Path | bytes | IO[bytes]) -> tuple[IO[bytes], str]:
    if isinstance(source, bytes):
        return io.BytesIO(source), "<bytes>"
    if isinstance(source, (str, Path)):
        p = Path(source)
        if not p.is_file():
            raise BadInputError(f"{p}: no such file; give the path of a PubMed XML file")
        if p.stat().st_size == 0:
            raise BadInputError(f"{p}: the file is empty; expected a PubMed XML export (PubmedArticleSet)")
        if p.suffix == ".gz":
            import gzip
            return gzip.open(p, "rb"), str(p)
        return open(p, "rb"), str(p)
    return source, getattr(source, "name", "<stream>")


_TOP = ("PubmedArticle", "DeleteCitation", "PubmedBookArticle")


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


def iter_records(source: str | Path | bytes | IO[bytes], stats: ParseStats | None = None
                 ) -> Iterator[dict[str, Any] | Deletion]:
    """Yield article dicts and ``Deletion``s from PubMed XML, streaming.

    Book records are skipped and counted in ``stats``. A file that is not PubMed XML raises
    BadInputError naming the file, the line and what was expected.
    """
    stats = stats if stats is not None else ParseStats()
    fh, name = _open(source)
    # Only the record elements reach Python (libxml2 does the rest in C); other top-level
    # elements are counted as they are freed, the root is checked at the first record.
    context = etree.iterparse(
        fh, events=("end",), tag=_TOP, resolve_entities=False, no_network=True, load_dtd=False,
        huge_tree=True, remove_comments=True, remove_pis=True)
    root: etree._Element | None = None
    try:
        for _event, el in context:
            parent = el.getparent()
            if root is None:
                root = parent if parent is not None else el
                _check_root(root, name)
            if parent is not root:  # a record nested below the top level is not one
                continue
            tag = el.tag
            if tag == "PubmedArticle":
                try:
                    rec = _article(el)
                except ValueError:
                    stats.other_skipped += 1
                else:
                    if not rec["pmid"].isdigit():
                        raise BadInputError(
                            f"{name}: record {stats.articles + 1} has PMID {rec['pmid'][:40]!r}, which is not a "
                            "PubMed id (digits only); fix or remove that record and ingest the file again")
                    stats.articles += 1
                    yield rec
            elif tag == "DeleteCitation":
                for p in el:
                    if p.tag == "PMID" and p.text and p.text.strip():
                        stats.deleted += 1
                        stats.deleted_pmids.append(p.text.strip())
                        yield Deletion(p.text.strip(), int(p.get("Version") or 1))
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
    except (EOFError, OSError, zlib.error) as exc:  # a .gz cut short or not gzip at all
        if not str(name).endswith(".gz"):
            raise BadInputError(f"{name}: cannot be read ({exc}); check the file and its permissions") from None
        raise BadInputError(f"{name}: cannot be read as gzip-compressed XML ({exc}); "
                            "the file is damaged or not gzip — download it again or give the plain .xml") from None
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
