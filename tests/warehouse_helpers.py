"""Helpers for the warehouse tests: synthetic PubMed records, modified snapshot records, warehouse copies.

Synthetic records are invented here (never corpus text); modified snapshot records are read from
../shared in place and changed in memory before being written to the test's tmp_path.
"""

from __future__ import annotations

import copy
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import duckdb
from lxml import etree

from conftest import SNAPSHOT, make_settings
from evidence.settings import Settings

SET_OPEN = '<?xml version="1.0" encoding="UTF-8"?>\n<PubmedArticleSet>\n'
SET_CLOSE = "</PubmedArticleSet>\n"

# An invented trial report: clearly a randomised trial of dry needling in knee osteoarthritis.
TRIAL_TITLE = "Dry needling of the popliteus plus exercise for knee osteoarthritis: a randomized controlled trial"
TRIAL_ABSTRACT = (
    "This randomized controlled trial tested dry needling for knee osteoarthritis. "
    "Sixty patients with knee osteoarthritis were randomized to dry needling plus exercise (n = 30) "
    "or sham dry needling plus exercise (n = 30). Pain (VAS) and function (WOMAC) were measured at "
    "baseline, 4 weeks and 6 months. Dry needling reduced pain and improved function more than sham "
    "needling at 6 months. No serious adverse events occurred.")


@dataclass
class Article:
    """One synthetic PubMed record; ``xml()`` gives its PubmedArticle element."""

    pmid: str
    title: str = TRIAL_TITLE
    abstract: str = TRIAL_ABSTRACT
    version: int = 1
    year: int = 2024
    journal: str = "Journal of Invented Physiotherapy & Rehabilitation"
    journal_iso: str = "J Invent Physiother Rehabil"
    volume: str | None = "12"
    issue: str | None = "3"
    pages: str | None = "123-30"
    doi: str | None = None
    authors: list[tuple[str, str, str]] = field(default_factory=lambda: [("Smith", "Anna", "A")])
    collective: str | None = None
    pub_types: list[str] = field(default_factory=lambda: ["Journal Article", "Randomized Controlled Trial"])
    comments: list[tuple[str, str | None]] = field(default_factory=list)  # (RefType, PMID)
    mesh: list[str] = field(default_factory=lambda: ["Dry Needling", "Osteoarthritis, Knee"])

    def xml(self) -> str:
        authors = "".join(f"<Author ValidYN=\"Y\"><LastName>{escape(last)}</LastName><ForeName>{escape(fore)}"
                          f"</ForeName><Initials>{escape(ini)}</Initials></Author>"
                          for last, fore, ini in self.authors)
        if self.collective:
            authors += f"<Author ValidYN=\"Y\"><CollectiveName>{escape(self.collective)}</CollectiveName></Author>"
        pts = "".join(f"<PublicationType UI=\"D000000\">{escape(p)}</PublicationType>" for p in self.pub_types)
        cc = "".join(f"<CommentsCorrections RefType=\"{t}\"><RefSource>Invented note</RefSource>"
                     + (f"<PMID Version=\"1\">{p}</PMID>" if p else "") + "</CommentsCorrections>"
                     for t, p in self.comments)
        mesh = "".join(f"<MeshHeading><DescriptorName UI=\"D{i:06d}\" MajorTopicYN=\"N\">{escape(m)}"
                       "</DescriptorName></MeshHeading>" for i, m in enumerate(self.mesh))
        doi = f"<ArticleId IdType=\"doi\">{escape(self.doi)}</ArticleId>" if self.doi else ""
        return f"""<PubmedArticle>
<MedlineCitation Status="MEDLINE" Owner="NLM">
<PMID Version="{self.version}">{self.pmid}</PMID>
<Article PubModel="Print">
<Journal><JournalIssue CitedMedium="Internet">{f'<Volume>{self.volume}</Volume>' if self.volume else ''}{f'<Issue>{self.issue}</Issue>' if self.issue else ''}<PubDate><Year>{self.year}</Year><Month>Mar</Month></PubDate></JournalIssue>
<Title>{escape(self.journal)}</Title><ISOAbbreviation>{escape(self.journal_iso)}</ISOAbbreviation></Journal>
<ArticleTitle>{escape(self.title)}</ArticleTitle>
{f'<Pagination><MedlinePgn>{self.pages}</MedlinePgn></Pagination>' if self.pages else ''}
<Abstract><AbstractText>{escape(self.abstract)}</AbstractText></Abstract>
{f'<AuthorList CompleteYN="Y">{authors}</AuthorList>' if authors else ''}
<Language>eng</Language>
<PublicationTypeList>{pts}</PublicationTypeList>
</Article>
{f'<CommentsCorrectionsList>{cc}</CommentsCorrectionsList>' if cc else ''}
{f'<MeshHeadingList>{mesh}</MeshHeadingList>' if mesh else ''}
</MedlineCitation>
<PubmedData><History><PubMedPubDate PubStatus="entrez"><Year>{self.year}</Year><Month>3</Month><Day>1</Day></PubMedPubDate></History>
<PublicationStatus>ppublish</PublicationStatus><ArticleIdList><ArticleId IdType="pubmed">{self.pmid}</ArticleId>{doi}</ArticleIdList></PubmedData>
</PubmedArticle>
"""


def write_set(path: Path, *articles: Article | str) -> Path:
    """A PubmedArticleSet file of synthetic articles or PubmedArticle XML strings."""
    body = "".join(a.xml() if isinstance(a, Article) else a for a in articles)
    path.write_text(SET_OPEN + body + SET_CLOSE, encoding="utf-8")
    return path


def snapshot_record(pmid: str) -> etree._Element:
    """A copy of one PubmedArticle of the snapshot (read in place), to modify in memory."""
    tree = etree.parse(str(SNAPSHOT))
    for el in tree.getroot().iterfind("PubmedArticle"):
        if el.findtext("MedlineCitation/PMID").strip() == pmid:
            return copy.deepcopy(el)
    raise LookupError(f"PMID {pmid} is not in the snapshot")


def to_xml(el: etree._Element) -> str:
    return etree.tostring(el, encoding="unicode")


def copy_warehouse(src: Settings, tmp: Path) -> Settings:
    """A private copy of a published warehouse (e.g. the session's snapshot warehouse) to change."""
    s = make_settings(tmp)
    shutil.copyfile(src.db, s.db)
    return s


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()
