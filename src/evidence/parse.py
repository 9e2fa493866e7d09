"""PubMed XML (efetch or a user's export) to typed records, streaming.

One pass of lxml ``iterparse``; each record is turned into a plain dict (the shape of
``ARTICLE_FIELDS`` below) and its element freed, so memory stays flat however large the file.
Entities are never expanded and nothing is fetched (no DTD, no network): a hostile file cannot
make the parser read a URL or blow up memory.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Iterator

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
    s = _WS.sub(" ", "".join(el.itertext())).strip()
    return s or None


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


def _date_el(el: etree._Element | None) -> dt.date | None:
    if el is None:
        return None
    y = el.findtext("Year")
    if not (y and y.strip().isdigit()):
        return None
    d = el.findtext("Day")
    return _safe_date(int(y), _month(el.findtext("Month")), int(d) if d and d.strip().isdigit() else None)


def _pub_date(journal_issue: etree._Element | None) -> dict[str, Any]:
    pd = journal_issue.find("PubDate") if journal_issue is not None else None
    out: dict[str, Any] = {"pub_year": None, "pub_month": None, "pub_day": None, "pub_date": None,
                           "pub_date_text": None, "medline_date": None}
    if pd is None:
        return out
    md = pd.findtext("MedlineDate")
    if md is not None:
        y, m = medline_date(md)
        out.update(pub_year=y, pub_month=m, pub_date_text=md.strip(), medline_date=md.strip(),
                   pub_date=_safe_date(y, m, None))
        return out
    y = pd.findtext("Year")
    year = int(y) if y and y.strip().isdigit() else None
    month = _month(pd.findtext("Month"))
    season = pd.findtext("Season")
    if month is None and season:
        month = _SEASONS.get(season.strip().lower())
    d = pd.findtext("Day")
    day = int(d) if d and d.strip().isdigit() else None
    parts = [p for p in (y, pd.findtext("Month") or season, d) if p]
    out.update(pub_year=year, pub_month=month, pub_day=day, pub_date=_safe_date(year, month, day),
               pub_date_text=" ".join(p.strip() for p in parts) or None)
    return out


def _authors(article: etree._Element) -> list[dict[str, Any]]:
    out = []
    al = article.find("AuthorList")
    if al is None:
        return out
    for pos, a in enumerate(al.findall("Author"), 1):
        orcid = None
        for ident in a.findall("Identifier"):
            if (ident.get("Source") or "").upper() == "ORCID" and ident.text:
                orcid = ident.text.strip().rsplit("/", 1)[-1]
        out.append({
            "position": pos,
            "last_name": text_of(a.find("LastName")),
            "fore_name": text_of(a.find("ForeName")),
            "initials": text_of(a.find("Initials")),
            "suffix": text_of(a.find("Suffix")),
            "collective_name": text_of(a.find("CollectiveName")),
            "orcid": orcid,
            "affiliations": [t for t in (text_of(x) for x in a.iterfind("AffiliationInfo/Affiliation")) if t],
            "equal_contrib": a.get("EqualContrib") == "Y",
        })
    return out


def _abstract(article: etree._Element) -> tuple[list[dict[str, Any]], str | None, str | None]:
    ab = article.find("Abstract")
    if ab is None:
        return [], None, None
    sections = []
    for i, t in enumerate(ab.findall("AbstractText")):
        txt = text_of(t)
        if txt is None:
            continue
        sections.append({"position": i + 1, "label": t.get("Label"), "category": t.get("NlmCategory"),
                         "text": txt})
    plain = " ".join(s["text"] for s in sections) or None
    return sections, plain, text_of(ab.find("CopyrightInformation"))


def _mesh(mc: etree._Element) -> list[dict[str, Any]]:
    out = []
    for h in mc.iterfind("MeshHeadingList/MeshHeading"):
        d = h.find("DescriptorName")
        if d is None:
            continue
        out.append({
            "descriptor": text_of(d), "descriptor_ui": d.get("UI"), "major": d.get("MajorTopicYN") == "Y",
            "qualifiers": [{"name": text_of(q), "ui": q.get("UI"), "major": q.get("MajorTopicYN") == "Y"}
                           for q in h.findall("QualifierName")],
        })
    return out


def _article(el: etree._Element) -> dict[str, Any]:
    mc = el.find("MedlineCitation")
    pmid_el = mc.find("PMID") if mc is not None else None
    if pmid_el is None or not (pmid_el.text or "").strip():
        raise ValueError("record without a PMID")
    art = mc.find("Article")
    if art is None:
        art = etree.Element("Article")
    journal = art.find("Journal")
    ji = journal.find("JournalIssue") if journal is not None else None
    sections, plain, copyright_ = _abstract(art)
    pubdata = el.find("PubmedData")
    history = []
    ids: list[dict[str, str]] = []
    pub_status = None
    if pubdata is not None:
        for h in pubdata.iterfind("History/PubMedPubDate"):
            d = _date_el(h)
            if d is not None:
                history.append({"status": h.get("PubStatus"), "date": d})
        for a in pubdata.iterfind("ArticleIdList/ArticleId"):
            if a.text and a.text.strip():
                ids.append({"type": a.get("IdType"), "value": a.text.strip()})
        pub_status = pubdata.findtext("PublicationStatus")
    for e in art.findall("ELocationID"):
        if e.text and e.get("EIdType") == "doi" and not any(i["type"] == "doi" for i in ids):
            ids.append({"type": "doi", "value": e.text.strip()})
    by_type = {}
    for i in ids:
        by_type.setdefault(i["type"], i["value"])
    pagination = art.find("Pagination")
    pages = None
    if pagination is not None:
        pages = text_of(pagination.find("MedlinePgn")) or "-".join(
            filter(None, [pagination.findtext("StartPage"), pagination.findtext("EndPage")])) or None
    issn_el = journal.find("ISSN") if journal is not None else None
    mji = mc.find("MedlineJournalInfo")
    article_dates = [d for d in (_date_el(x) for x in art.findall("ArticleDate")) if d]
    record: dict[str, Any] = {
        "pmid": pmid_el.text.strip(),
        "version": int(pmid_el.get("Version") or 1),
        "citation_status": mc.get("Status"),
        "indexing_method": mc.get("IndexingMethod"),
        "owner": mc.get("Owner"),
        "date_completed": _date_el(mc.find("DateCompleted")),
        "date_revised": _date_el(mc.find("DateRevised")),
        "title": text_of(art.find("ArticleTitle")),
        "vernacular_title": text_of(art.find("VernacularTitle")),
        "abstract": plain,
        "abstract_sections": sections,
        "copyright": copyright_,
        "languages": [t.strip() for t in (x.text for x in art.findall("Language")) if t and t.strip()],
        "journal_title": text_of(journal.find("Title")) if journal is not None else None,
        "journal_iso": text_of(journal.find("ISOAbbreviation")) if journal is not None else None,
        "issn": text_of(issn_el),
        "issn_type": issn_el.get("IssnType") if issn_el is not None else None,
        "issn_linking": text_of(mji.find("ISSNLinking")) if mji is not None else None,
        "nlm_unique_id": text_of(mji.find("NlmUniqueID")) if mji is not None else None,
        "journal_country": text_of(mji.find("Country")) if mji is not None else None,
        "volume": text_of(ji.find("Volume")) if ji is not None else None,
        "issue": text_of(ji.find("Issue")) if ji is not None else None,
        "pages": pages,
        **_pub_date(ji),
        "article_date": article_dates[0] if article_dates else None,
        "publication_status": pub_status,
        "history": history,
        "authors": _authors(art),
        "publication_types": [{"ui": p.get("UI"), "name": text_of(p)}
                              for p in art.iterfind("PublicationTypeList/PublicationType") if text_of(p)],
        "mesh": _mesh(mc),
        "keywords": [{"keyword": text_of(k), "major": k.get("MajorTopicYN") == "Y",
                      "owner": kl.get("Owner")}
                     for kl in mc.findall("KeywordList") for k in kl.findall("Keyword") if text_of(k)],
        "chemicals": [{"name": text_of(c.find("NameOfSubstance")), "ui": c.find("NameOfSubstance").get("UI"),
                       "registry_number": text_of(c.find("RegistryNumber"))}
                      for c in mc.iterfind("ChemicalList/Chemical") if c.find("NameOfSubstance") is not None],
        "grants": [{"grant_id": text_of(g.find("GrantID")), "acronym": text_of(g.find("Acronym")),
                    "agency": text_of(g.find("Agency")), "country": text_of(g.find("Country"))}
                   for g in art.iterfind("GrantList/Grant")],
        "article_ids": ids,
        "doi": by_type.get("doi"),
        "pmc": by_type.get("pmc"),
        "pii": by_type.get("pii"),
        "databanks": [{"bank": text_of(db.find("DataBankName")), "accession": text_of(acc)}
                      for db in art.iterfind("DataBankList/DataBank")
                      for acc in db.iterfind("AccessionNumberList/AccessionNumber") if text_of(acc)],
        "comments_corrections": [
            {"ref_type": c.get("RefType"), "ref_pmid": (c.findtext("PMID") or "").strip() or None,
             "ref_source": text_of(c.find("RefSource"))}
            for c in mc.iterfind("CommentsCorrectionsList/CommentsCorrections")],
    }
    return record


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


def iter_records(source: str | Path | bytes | IO[bytes], stats: ParseStats | None = None
                 ) -> Iterator[dict[str, Any] | Deletion]:
    """Yield article dicts and ``Deletion``s from PubMed XML, streaming.

    Book records are skipped and counted in ``stats``. A file that is not PubMed XML raises
    BadInputError naming the file, the line and what was expected.
    """
    stats = stats if stats is not None else ParseStats()
    fh, name = _open(source)
    context = etree.iterparse(
        fh, events=("start", "end"), resolve_entities=False, no_network=True, load_dtd=False,
        huge_tree=True, remove_comments=True, remove_pis=True)
    depth = 0
    root_checked = False
    try:
        for event, el in context:
            if event == "start":
                depth += 1
                if not root_checked:
                    root_checked = True
                    if el.tag not in ROOTS:
                        raise BadInputError(
                            f"{name}: the root element is <{el.tag}>, not <PubmedArticleSet>; "
                            "expected PubMed XML (PubMed 'Save' > 'PubMed' format, or efetch retmode=xml)")
                continue
            depth -= 1
            if depth != 1:
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
                for p in el.findall("PMID"):
                    if p.text and p.text.strip():
                        stats.deleted += 1
                        stats.deleted_pmids.append(p.text.strip())
                        yield Deletion(p.text.strip(), int(p.get("Version") or 1))
            elif tag == "PubmedBookArticle":
                stats.books_skipped += 1
            elif isinstance(tag, str):
                stats.other_skipped += 1
            el.clear()
            parent = el.getparent()
            if parent is not None:
                while el.getprevious() is not None:
                    del parent[0]
        if not root_checked:
            raise BadInputError(f"{name}: no XML element found; expected a PubMed XML export")
    except etree.XMLSyntaxError as exc:
        line = f" at line {exc.lineno}" if getattr(exc, "lineno", None) else ""
        raise BadInputError(
            f"{name}: not well-formed XML{line} ({exc.msg if hasattr(exc, 'msg') else exc}); "
            "the file may be truncated or not PubMed XML — download it again") from None
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
