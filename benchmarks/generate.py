"""Scale the real corpus records to benchmark files of 1k, 10k, 100k (any N) PubMed records.

Reads ``shared/corpus/{snapshot,dev}/pubmed.xml`` in place (never copies it into the repo) and
writes ``benchmarks/data/pubmed-<N>.xml``: a ``PubmedArticleSet`` under the snapshot's own XML
declaration and DOCTYPE, one ``PubmedArticle`` per record, each built from a real record with

* a distinct PMID (10,000,001 + i), matching ``ArticleId[@IdType="pubmed"]`` and a distinct DOI;
* its abstract sentences shuffled with sentences of the same section kind from other records,
  and numbers (not years) scaled, so no two abstracts are alike and the extractors see varied N,
  weeks and scores;
* a new entrez/publication year (2000-2025), month and day;
* 1-12 authors drawn from the corpus' names and a list of common surnames, some with ORCID and
  affiliations; 0-12 MeSH headings, 0-6 keywords, MedlineJournalInfo and DateCompleted/Revised,
  so a record is as rich as a typical MEDLINE citation (the corpus records are sparser than most).

Elements keep the PubMed DTD's order. Deterministic for a given seed. Usage::

    python benchmarks/generate.py 1000 10000 100000 [--seed 7] [--out benchmarks/data]
"""

from __future__ import annotations

import argparse
import copy
import random
import re
from pathlib import Path

from lxml import etree

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CORPUS = REPO.parent / "shared" / "corpus"
SOURCES = [CORPUS / "snapshot" / "pubmed.xml", CORPUS / "dev" / "pubmed.xml"]
DATA = HERE / "data"
FIRST_PMID = 10_000_001

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")
_NUMBER = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)(?![\d.])")
_YEARISH = re.compile(r"^(19|20)\d\d$")

SURNAMES = ["Smith", "García", "Müller", "Rossi", "Kim", "Nguyen", "Ahmed", "Silva", "Kowalski", "Dubois",
            "Yilmaz", "Tanaka", "Hernández", "Cohen", "O'Brien", "Johansson", "Papadopoulos", "Singh",
            "Fernández-de-las-Peñas", "Calvo-Lobo", "Dunning", "Gattie", "Sánchez-Romero", "Rahou-El-Bachiri"]
FORENAMES = ["Ana", "James", "Mei", "Lucas", "Fatima", "Jan", "Sofia", "Omar", "Elena", "David", "Yuki",
             "Carlos", "Ingrid", "Raj", "Chloé", "Mehmet", "Laura", "Pablo", "Grace", "Ivan"]
PLACES = ["Department of Physical Therapy, University of Madrid, Madrid, Spain.",
          "School of Health Sciences, University of Newcastle, Australia.",
          "Faculty of Rehabilitation, Tehran University of Medical Sciences, Tehran, Iran.",
          "Department of Orthopaedics, Hospital Clínic, Barcelona, Spain.",
          "Physical Therapy Program, Northwestern University, Chicago, IL, USA.",
          "Department of Physiotherapy, Riphah International University, Lahore, Pakistan."]
MESH = [("D006801", "Humans"), ("D020370", "Osteoarthritis, Knee"), ("D000071418", "Dry Needling"),
        ("D059350", "Chronic Pain"), ("D010146", "Pain"), ("D010147", "Pain Measurement"),
        ("D016896", "Treatment Outcome"), ("D005260", "Female"), ("D008297", "Male"),
        ("D008875", "Middle Aged"), ("D000368", "Aged"), ("D026741", "Physical Therapy Modalities"),
        ("D007718", "Knee Joint"), ("D046348", "Patellofemoral Pain Syndrome"), ("D009208", "Myofascial Pain Syndromes"),
        ("D052058", "Trigger Points"), ("D019644", "Arthroplasty, Replacement, Knee"), ("D000328", "Adult")]
QUALIFIERS = [("Q000628", "therapy"), ("Q000453", "epidemiology"), ("Q000175", "diagnosis"),
              ("Q000503", "physiopathology"), ("Q000379", "methods")]
KEYWORDS = ["dry needling", "knee osteoarthritis", "myofascial trigger point", "physiotherapy", "pain",
            "WOMAC", "randomized controlled trial", "patellofemoral pain", "function", "sham needling"]
JOURNALS = [("Physiotherapy", "Physiotherapy", "0373-7780", "England", "0401323"),
            ("Clin Rehabil", "Clinical rehabilitation", "0269-2155", "England", "8802181"),
            ("J Bodyw Mov Ther", "Journal of bodywork and movement therapies", "1360-8592", "Scotland", "9710534"),
            ("Pain Med", "Pain medicine (Malden, Mass.)", "1526-2375", "England", "100894201")]


def _kind(label: str | None, category: str | None) -> str:
    """Which pool a section's sentences go to: its NLM category, else a guess from its label."""
    if category:
        return category.upper()
    lab = (label or "").upper()
    for key, kind in (("BACK", "BACKGROUND"), ("INTRO", "BACKGROUND"), ("PURPOSE", "OBJECTIVE"),
                      ("OBJ", "OBJECTIVE"), ("AIM", "OBJECTIVE"), ("METHOD", "METHODS"), ("DESIGN", "METHODS"),
                      ("RESULT", "RESULTS"), ("FINDING", "RESULTS"), ("CONCL", "CONCLUSIONS")):
        if key in lab:
            return kind
    return "UNASSIGNED"


class Corpus:
    """The real records and the pools of parts that generated records borrow from."""

    def __init__(self, sources: list[Path] = SOURCES) -> None:
        self.prolog = b""
        self.templates: list[etree._Element] = []
        self.sentences: dict[str, list[str]] = {}
        self.titles: list[str] = []
        self.authors: list[tuple[str, str, str]] = []
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        for path in sources:
            data = path.read_bytes()
            if not self.prolog:
                self.prolog = data[:data.find(b"<PubmedArticleSet")]
            root = etree.fromstring(data, parser)
            for art in root.iter("PubmedArticle"):
                self.templates.append(art)
                for t in art.iter("AbstractText"):
                    if len(t):  # inline markup: keep the section as written
                        continue
                    kind = _kind(t.get("Label"), t.get("NlmCategory"))
                    self.sentences.setdefault(kind, []).extend(_SENTENCE.split((t.text or "").strip()))
                title = art.findtext(".//ArticleTitle")
                if title:
                    self.titles.append(title)
                for a in art.iter("Author"):
                    last, fore, ini = a.findtext("LastName"), a.findtext("ForeName"), a.findtext("Initials")
                    if last:
                        self.authors.append((last, fore or "", ini or ""))
        if not self.templates:
            raise SystemExit(f"no PubmedArticle records found in {', '.join(map(str, sources))}")


def _vary_numbers(text: str, rng: random.Random) -> str:
    def sub(m: re.Match[str]) -> str:
        s = m.group(1)
        if _YEARISH.match(s):
            return s
        if "." in s:
            decimals = len(s.split(".")[1])
            return f"{float(s) * rng.uniform(0.6, 1.6):.{decimals}f}"
        n = int(s)
        if n <= 1:
            return s
        return str(max(2, round(n * rng.uniform(0.5, 2.0))))
    return _NUMBER.sub(sub, text)


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, tag, **attrs)
    if text is not None:
        el.text = text
    return el


def _date(parent: etree._Element, tag: str, y: int, m: int, d: int, **attrs: str) -> etree._Element:
    el = etree.Element(tag, **attrs)
    _sub(el, "Year", str(y))
    _sub(el, "Month", f"{m:02d}")
    _sub(el, "Day", f"{d:02d}")
    return el


def _insert_after(parent: etree._Element, new: etree._Element, after: tuple[str, ...]) -> None:
    """Put ``new`` right after the last child whose tag is in ``after`` (DTD order), else first."""
    idx = 0
    for i, child in enumerate(parent):
        if child.tag in after:
            idx = i + 1
    parent.insert(idx, new)


def make_record(corpus: Corpus, i: int, rng: random.Random) -> etree._Element:
    art = copy.deepcopy(corpus.templates[i % len(corpus.templates)])
    pmid = str(FIRST_PMID + i)
    mc = art.find("MedlineCitation")
    mc.set("Status", rng.choice(["MEDLINE", "MEDLINE", "PubMed-not-MEDLINE", "In-Process"]))
    mc.find("PMID").text = pmid
    year = rng.randint(2000, 2025)
    month, day = rng.randint(1, 12), rng.randint(1, 28)

    # DateCompleted / DateRevised right after PMID
    for tag in ("DateCompleted", "DateRevised"):
        old = mc.find(tag)
        if old is not None:
            mc.remove(old)
    pos = 1
    for tag, y in (("DateCompleted", year), ("DateRevised", min(year + rng.randint(0, 3), 2025))):
        mc.insert(pos, _date(mc, tag, y, rng.randint(1, 12), rng.randint(1, 28)))
        pos += 1

    article = mc.find("Article")
    journal = article.find("Journal")
    iso, jtitle, issn, country, nlm = rng.choice(JOURNALS)
    if journal is not None:
        if journal.find("ISSN") is None:
            journal.insert(0, etree.Element("ISSN", IssnType="Electronic"))
            journal[0].text = issn
        ji = journal.find("JournalIssue")
        if ji is not None:
            for tag, val in (("Volume", str(rng.randint(1, 60))), ("Issue", str(rng.randint(1, 12)))):
                if ji.find(tag) is None:
                    ji.insert(0 if tag == "Volume" else 1, etree.Element(tag))
                    ji.find(tag).text = val
            pd = ji.find("PubDate")
            if pd is not None:
                pd.clear()
                if rng.random() < 0.05:
                    _sub(pd, "MedlineDate", f"{year} {rng.choice(['Jan-Feb', 'Mar-Apr', 'Summer', 'Nov-Dec'])}")
                else:
                    _sub(pd, "Year", str(year))
                    if rng.random() < 0.8:
                        _sub(pd, "Month", rng.choice(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
                                                      "Sep", "Oct", "Nov", "Dec"]))
    title = article.find("ArticleTitle")
    if title is not None and title.text and not len(title):
        text = title.text
        if ":" in text and rng.random() < 0.5:
            other = rng.choice(corpus.titles)
            if ":" in other:
                text = text.split(":", 1)[0] + ":" + other.split(":", 1)[1]
        title.text = _vary_numbers(text, rng)
    for e in article.findall("ELocationID"):
        if e.get("EIdType") == "doi":
            e.text = f"10.5555/bench.{pmid}"

    ab = article.find("Abstract")
    if ab is not None:
        for t in ab.findall("AbstractText"):
            if len(t):
                continue
            own = _SENTENCE.split((t.text or "").strip())
            pool = corpus.sentences.get(_kind(t.get("Label"), t.get("NlmCategory"))) or own
            mixed = [s if rng.random() < 0.6 else rng.choice(pool) for s in own]
            if len(mixed) > 2:  # keep the opening sentence, shuffle the rest
                rest = mixed[1:]
                rng.shuffle(rest)
                mixed = mixed[:1] + rest
            t.text = _vary_numbers(" ".join(mixed), rng)

    # authors: replace the list (after Abstract / ELocationID / Pagination, before Language)
    old = article.find("AuthorList")
    if old is not None:
        article.remove(old)
    al = etree.Element("AuthorList", CompleteYN="Y")
    for _ in range(rng.randint(1, 12)):
        a = _sub(al, "Author", ValidYN="Y")
        if corpus.authors and rng.random() < 0.3:
            last, fore, ini = rng.choice(corpus.authors)
        else:
            last, fore = rng.choice(SURNAMES), rng.choice(FORENAMES)
            ini = fore[0]
        _sub(a, "LastName", last)
        if fore:
            _sub(a, "ForeName", fore)
        _sub(a, "Initials", ini or last[0])
        if rng.random() < 0.2:
            _sub(a, "Identifier", f"0000-000{rng.randint(1, 9)}-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
                 Source="ORCID")
        for _ in range(rng.choice([0, 1, 1, 1, 2])):
            _sub(_sub(a, "AffiliationInfo"), "Affiliation", rng.choice(PLACES))
    _insert_after(article, al, ("Journal", "ArticleTitle", "Pagination", "ELocationID", "Abstract"))

    # MedlineJournalInfo, MeshHeadingList, KeywordList in DTD order after Article
    for tag in ("MedlineJournalInfo", "MeshHeadingList", "KeywordList"):
        old = mc.find(tag)
        if old is not None:
            mc.remove(old)
    mji = etree.Element("MedlineJournalInfo")
    _sub(mji, "Country", country)
    _sub(mji, "MedlineTA", iso)
    _sub(mji, "NlmUniqueID", nlm)
    _sub(mji, "ISSNLinking", issn)
    _insert_after(mc, mji, ("Article",))
    n_mesh = rng.choice([0, 0, 4, 6, 8, 10, 12])
    if n_mesh:
        mhl = etree.Element("MeshHeadingList")
        for ui, name in rng.sample(MESH, min(n_mesh, len(MESH))):
            h = _sub(mhl, "MeshHeading")
            _sub(h, "DescriptorName", name, UI=ui, MajorTopicYN=rng.choice("NNY"))
            if rng.random() < 0.3:
                qui, qname = rng.choice(QUALIFIERS)
                _sub(h, "QualifierName", qname, UI=qui, MajorTopicYN=rng.choice("NY"))
        _insert_after(mc, mhl, ("Article", "MedlineJournalInfo", "ChemicalList", "CommentsCorrectionsList"))
    n_kw = rng.randint(0, 6)
    if n_kw:
        kl = etree.Element("KeywordList", Owner="NOTNLM")
        for kw in rng.sample(KEYWORDS, n_kw):
            _sub(kl, "Keyword", kw, MajorTopicYN="N")
        _insert_after(mc, kl, ("Article", "MedlineJournalInfo", "ChemicalList", "CommentsCorrectionsList",
                               "MeshHeadingList"))

    pdata = art.find("PubmedData")
    if pdata is not None:
        hist = pdata.find("History")
        if hist is None:
            hist = etree.Element("History")
            pdata.insert(0, hist)
        hist.clear()
        hist.text = "\n"
        for status in ("received", "accepted", "entrez", "pubmed", "medline"):
            hist.append(_date(hist, "PubMedPubDate", year, month, day, PubStatus=status))
        for a in pdata.iter("ArticleId"):
            if a.get("IdType") == "pubmed":
                a.text = pmid
            elif a.get("IdType") == "doi":
                a.text = f"10.5555/bench.{pmid}"
            elif a.get("IdType") == "pmc":
                a.text = f"PMC{pmid}"
            elif a.get("IdType") == "pii":
                a.text = f"S{pmid}"
    art.tail = "\n"
    return art


def generate(n: int, out: Path, *, seed: int = 7, corpus: Corpus | None = None) -> Path:
    """Write ``n`` records to ``out`` (written to a temporary name, then renamed)."""
    corpus = corpus or Corpus()
    rng = random.Random(seed * 1_000_003 + n)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(corpus.prolog)
        fh.write(b"<PubmedArticleSet>\n")
        for i in range(n):
            fh.write(etree.tostring(make_record(corpus, i, rng), encoding="utf-8", xml_declaration=False))
        fh.write(b"</PubmedArticleSet>\n")
    tmp.replace(out)
    return out


def path_for(n: int, data: Path = DATA) -> Path:
    return data / f"pubmed-{n}.xml"


def ensure(n: int, data: Path = DATA, *, seed: int = 7) -> Path:
    """The benchmark file of ``n`` records, generated when missing."""
    p = path_for(n, data)
    if not p.is_file():
        generate(n, p, seed=seed)
    return p


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sizes", nargs="*", type=int, default=[1000, 10_000, 100_000])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=DATA)
    args = ap.parse_args(argv)
    corpus = Corpus()
    for n in args.sizes:
        p = generate(n, path_for(n, args.out), seed=args.seed, corpus=corpus)
        print(f"{p}: {n} records, {p.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
