"""Evidence briefs: the snapshot's knee-OA card, golden files, what is new, determinism, reading level,
and the HTML in headless Chromium.

Golden files (tests/golden/brief_*.md, brief_*.html) come from SYNTHETIC records written below, not
from the corpus. When a change to the brief (or to the extractor) is intended, regenerate them with

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q tests/test_brief.py -k golden

and read the diff before committing. ``UPDATE_SCREENSHOT=1`` rewrites docs/brief-screenshot.png
(it is also written when missing).
"""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import REPO, make_settings
from evidence.brief import (load_state, overview_markdown, reading_grades, render_brief, write_briefs)
from evidence.brief import rules as R
from evidence.brief.model import Citation, vancouver_authors
from evidence.errors import EvidenceError
from evidence.pipeline import ingest

GOLDEN = Path(__file__).parent / "golden"
POPLITEUS = "41413069"

# ------------------------------------------------------------------ synthetic PubMed records


def _record(pmid: str, *, title: str | None, abstract: list[tuple[str, str]] | str, year: int | None,
            entrez: str, journal: tuple[str, str] | None = ("Journal of Synthetic Physiotherapy", "J Synth Physiother"),
            authors: list[tuple[str, str]] = (), types: list[str] = ("Journal Article",), volume: str | None = None,
            issue: str | None = None, pages: str | None = None, doi: str | None = None,
            retraction_in: str | None = None) -> str:
    """One made-up PubmedArticle in efetch's shape (only the fields the parser reads)."""
    if isinstance(abstract, str):
        abstract = [("", abstract)]
    texts = "".join(f'<AbstractText{f" Label={chr(34)}{lab}{chr(34)}" if lab else ""}>{txt}</AbstractText>'
                    for lab, txt in abstract)
    jtitle = f"<Title>{journal[0]}</Title><ISOAbbreviation>{journal[1]}</ISOAbbreviation>" if journal else ""
    issue_xml = (f"<Volume>{volume}</Volume>" if volume else "") + (f"<Issue>{issue}</Issue>" if issue else "")
    pubdate = f"<PubDate><Year>{year}</Year></PubDate>" if year else "<PubDate></PubDate>"
    author_xml = ("<AuthorList>" + "".join(f"<Author><LastName>{last}</LastName><Initials>{ini}</Initials></Author>"
                                            for last, ini in authors) + "</AuthorList>") if authors else ""
    types_xml = "".join(f"<PublicationType>{t}</PublicationType>" for t in types)
    corr = (f'<CommentsCorrectionsList><CommentsCorrections RefType="RetractionIn"><RefSource>Retraction notice'
            f'</RefSource><PMID Version="1">{retraction_in}</PMID></CommentsCorrections></CommentsCorrectionsList>'
            if retraction_in else "")
    y, m, d = entrez.split("-")
    ids = f'<ArticleId IdType="pubmed">{pmid}</ArticleId>' + (f'<ArticleId IdType="doi">{doi}</ArticleId>' if doi else "")
    return f"""<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{pmid}</PMID>
<Article PubModel="Print"><Journal><JournalIssue CitedMedium="Internet">{issue_xml}{pubdate}</JournalIssue>{jtitle}</Journal>
<ArticleTitle>{title or ""}</ArticleTitle>{f"<Pagination><MedlinePgn>{pages}</MedlinePgn></Pagination>" if pages else ""}
<Abstract>{texts}</Abstract>{author_xml}<Language>eng</Language><PublicationTypeList>{types_xml}</PublicationTypeList>
</Article>{corr}</MedlineCitation><PubmedData><History><PubMedPubDate PubStatus="entrez"><Year>{y}</Year><Month>{m}</Month>
<Day>{d}</Day></PubMedPubDate></History><PublicationStatus>ppublish</PublicationStatus><ArticleIdList>{ids}</ArticleIdList>
</PubmedData></PubmedArticle>"""


TREES = [("Alder", "A"), ("Birch", "B"), ("Cedar", "C"), ("Dogwood", "D"), ("Elm", "E"), ("Fir", "F"), ("Gum", "G")]

RCT = dict(
    pmid="90000101",
    title="Dry needling of the vastus medialis added to exercise for knee osteoarthritis: a randomized controlled trial",
    abstract=[("BACKGROUND", "Knee osteoarthritis is a common cause of pain in older adults."),
              ("METHODS", "Sixty participants with knee osteoarthritis were randomly assigned to dry needling of the "
                          "vastus medialis plus exercise (n = 30) or sham dry needling plus exercise (n = 30). "
                          "Treatment lasted 6 weeks. Pain (VAS) and function (WOMAC) were measured at baseline, "
                          "6 weeks and 12 months."),
              ("RESULTS", "The dry needling group had greater reductions in pain and better function than the sham "
                          "group at 12 months (p &lt; 0.01). No adverse events were reported."),
              ("CONCLUSIONS", "Dry needling added to exercise reduced pain and improved function more than sham "
                              "needling in people with knee osteoarthritis.")],
    year=2024, entrez="2024-05-10", authors=TREES, types=["Journal Article", "Randomized Controlled Trial"],
    volume="12", issue="3", pages="101-110", doi="10.9999/jsp.2024.101")
PILOT = dict(
    pmid="90000102", title="Electrical dry needling for knee osteoarthritis: a pilot randomised trial",
    abstract="Twenty adults with knee osteoarthritis were randomised to electrical dry needling of the gastrocnemius "
             "plus physiotherapy or physiotherapy alone. Pain intensity (NPRS) and the Timed Up and Go test were "
             "measured at 2 weeks. There were no significant differences between groups in pain or function. Two "
             "participants reported mild bruising after needling. This pilot trial found no difference between "
             "groups, and a larger trial is feasible.",
    year=2023, entrez="2023-09-01", authors=[("Hazel", "H"), ("Ivy", "I")],
    types=["Journal Article", "Randomized Controlled Trial"], volume="4", pages="e55", doi="10.9999/pilot.55")
PROTOCOL = dict(
    pmid="90000103", title="Dry needling versus sham for knee osteoarthritis: protocol for a randomised controlled trial",
    abstract="This study protocol describes a randomised controlled trial. A total of 80 participants with knee "
             "osteoarthritis will be randomly allocated to dry needling or sham needling. Pain and function will be "
             "assessed at 3 and 6 months. The trial is registered at ClinicalTrials.gov (NCT09999991).",
    year=2025, entrez="2025-02-03", authors=[("Juniper", "J")], types=["Journal Article"])
RETRACTED = dict(
    pmid="90000104", title="Dry needling of the rectus femoris for patellofemoral pain: a randomized clinical trial",
    abstract="Forty-five patients with patellofemoral pain syndrome were randomized to dry needling of the rectus "
             "femoris with stretching or stretching alone for 4 weeks. Pain (VAS) and the Kujala score were assessed "
             "at 4 weeks and 3 months. Dry needling reduced pain more than stretching alone at 3 months.",
    year=2022, entrez="2022-03-15", authors=[("Kapok", "K"), ("Larch", "L")],
    types=["Journal Article", "Randomized Controlled Trial", "Retracted Publication"], retraction_in="90000199")
BARE = dict(
    pmid="90000105", title=None, journal=None, authors=[],
    abstract="Eight runners with anterior knee pain received three sessions of dry needling to the vastus lateralis "
             "over one week. Pain on stairs (NPRS) decreased after treatment and at 4 weeks. No control group was "
             "included and no side effects were reported. Dry needling may help runners with",
    year=None, entrez="2021-06-01")
REVIEW = dict(
    pmid="90000106", title="Dry needling for knee osteoarthritis: a systematic review and meta-analysis",
    abstract="We searched five databases for randomised trials of dry needling in knee osteoarthritis. Nine trials with "
             "512 participants were included in the meta-analysis. Dry needling reduced pain compared with control "
             "in the short term, with low certainty evidence.",
    year=2025, entrez="2025-01-15", authors=[("Maple", "M"), ("Oak", "O")],
    types=["Journal Article", "Systematic Review", "Meta-Analysis"], volume="30", pages="1-9", doi="10.9999/rev.1")
NOT_RELEVANT = dict(
    pmid="90000107", title="Acupuncture for chronic knee osteoarthritis pain: a randomized trial",
    abstract="One hundred adults with knee osteoarthritis were randomised to acupuncture or sham acupuncture for "
             "8 weeks. Acupuncture reduced pain more than sham acupuncture.",
    year=2024, entrez="2024-11-20", authors=[("Pine", "P")], types=["Journal Article", "Randomized Controlled Trial"])
NEW_TKA = dict(
    pmid="90000108", title="Dry needling after total knee arthroplasty: a randomized controlled trial",
    abstract="Fifty patients after total knee arthroplasty were randomized to dry needling plus physiotherapy or "
             "physiotherapy alone for 4 weeks. Pain (VAS) and range of motion were measured at 4 weeks and 3 months. "
             "Dry needling reduced pain more than physiotherapy alone. No adverse events occurred.",
    year=2025, entrez="2025-03-01", authors=[("Rowan", "R")], types=["Journal Article", "Randomized Controlled Trial"])

FIRST = [RCT, PILOT, PROTOCOL, RETRACTED, BARE, REVIEW, NOT_RELEVANT]


def pubmed_xml(records: list[dict]) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<PubmedArticleSet>\n'
            + "\n".join(_record(**r) for r in records) + "\n</PubmedArticleSet>\n")


def _ingest(tmp: Path, records: list[dict], name: str = "synthetic.xml"):
    s = make_settings(tmp)
    f = tmp / name
    f.write_text(pubmed_xml(records), encoding="utf-8")
    ingest(s, [f])
    return s


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory):
    return _ingest(tmp_path_factory.mktemp("synthetic"), FIRST)


# ------------------------------------------------------------------ helpers


class _Text(HTMLParser):
    """Visible text of one element (by id) of an HTML page."""

    def __init__(self, element_id: str) -> None:
        super().__init__()
        self.element_id, self.depth, self.parts = element_id, 0, []

    def handle_starttag(self, tag, attrs):
        if self.depth:
            self.depth += 1 if tag not in ("meta", "link", "br") else 0
        elif dict(attrs).get("id") == self.element_id:
            self.depth = 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.parts.append(data)


def html_card(html: str, pmid: str) -> str:
    p = _Text(f"pmid-{pmid}")
    p.feed(html)
    return re.sub(r"\s+", " ", "".join(p.parts)).strip()


def md_card(md: str, pmid: str) -> str:
    cards = [c for c in re.split(r"\n(?=### )", md) if f"PMID: {pmid}" in c]
    assert len(cards) == 1, f"no single card for PMID {pmid}"
    return re.sub(r"\s+", " ", cards[0].replace("\\", ""))


# ------------------------------------------------------------------ the snapshot's popliteus trial


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_snapshot_popliteus_card_carries_the_trials_facts(snapshot_warehouse, fmt):
    text = render_brief(snapshot_warehouse.db, "knee_oa", fmt)
    card = md_card(text, POPLITEUS) if fmt == "md" else html_card(text, POPLITEUS)
    expected = {
        "participants": "38 people with knee osteoarthritis",
        "what was compared": "Dry needling of the popliteus with exercise, compared with sham (pretend) needling "
                             "with exercise",
        "treatment": "Treatment lasted 3 weeks",
        "follow-up": "followed up to 6 months",
        "outcomes": "pain, function",
        "strength": "strength",
        "kinesiophobia": "kinesiophobia",
        "result": "Results favoured dry needling",
        "missing title": "Title not given in PubMed",
        "citation": "[Title not given in PubMed]. Sci Rep. 2025. doi: 10.1038/s41598-025-27821-0. PMID: 41413069.",
        "pubmed link": "PubMed",
    }
    missing = {k: v for k, v in expected.items() if v not in card}
    assert not missing, f"the {fmt} card of PMID {POPLITEUS} lacks {missing}:\n{card}"
    link = f"https://pubmed.ncbi.nlm.nih.gov/{POPLITEUS}/"
    assert link in text and "https://doi.org/10.1038/s41598-025-27821-0" in text


# ------------------------------------------------------------------ golden files


def _check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing; run with UPDATE_GOLDEN=1 to create it"
    assert text == path.read_text(encoding="utf-8"), (
        f"{name} differs from the golden file; if the change is intended, rerun with UPDATE_GOLDEN=1 and review the diff")


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_golden_briefs_from_synthetic_records(synthetic, tmp_path, fmt):
    paths = write_briefs(synthetic, formats=[fmt], out=tmp_path / "briefs")
    assert [p.name for p in paths] == [f"knee_oa.{fmt}", f"pfps.{fmt}", f"overview.{fmt}"]
    for p in paths:
        _check_golden(f"brief_{p.name}", p.read_text(encoding="utf-8"))


def test_synthetic_briefs_say_what_the_records_hold(synthetic):
    md = render_brief(synthetic.db, "knee_oa", "md")
    assert "90000107" not in md, "the acupuncture trial is not about dry needling"
    rct = md_card(md, "90000101")
    assert "Alder A, Birch B, Cedar C, Dogwood D, Elm E, Fir F, et al." in rct
    assert "J Synth Physiother. 2024;12(3):101-110. doi: 10.9999/jsp.2024.101. PMID: 90000101." in rct
    assert "pilot" in md_card(md, "90000102")
    assert "trial plan, no results yet" in md_card(md, "90000103")
    pfps = render_brief(synthetic.db, "pfps", "md")
    assert "RETRACTED. Do not cite this study." in md_card(pfps, "90000104")
    assert "Retraction notice: [PMID 90000199]" in md_card(pfps, "90000104")
    bare = md_card(pfps, "90000105")
    for note in ("Title not given in PubMed", "Journal not given in PubMed", "Year not given in PubMed",
                 "Authors not given in PubMed", "cut short"):
        assert note in bare
    # order: the review first, then trials, the plan last
    order = re.findall(r"PMID: (\d+)\.", md)
    assert order[0] == "90000106" and order[-1] == "90000103"
    assert "data up to **3 February 2025**" in md  # the newest entrez date, not today
    # self-contained HTML: inline CSS, no scripts, links only to PubMed, DOI or the sibling briefs
    html = render_brief(synthetic.db, None, "html")
    assert "<style>" in html and "<script" not in html and "stylesheet" not in html
    for url in re.findall(r'(?:href|src)="([^"]+)"', html):
        assert re.match(r"https://pubmed\.ncbi\.nlm\.nih\.gov/\d+/$|https://doi\.org/|[a-z_]+\.html$|data:,$", url), url


# ------------------------------------------------------------------ what is new, determinism


def test_same_warehouse_same_bytes_and_state_kept(synthetic, tmp_path):
    out = tmp_path / "briefs"
    first = {p.name: p.read_bytes() for p in write_briefs(synthetic, out=out)}
    again = {p.name: p.read_bytes() for p in write_briefs(synthetic, out=out)}
    assert first == again
    assert b"This is the first brief" in first["knee_oa.md"]
    state = load_state(out, "knee_oa")
    assert state["data_date"] == "2025-02-03" and "90000101" in state["studies"]
    assert (out / ".state" / "overview.json").is_file()


def test_whats_new_lists_new_changed_and_retracted_studies(tmp_path):
    s = _ingest(tmp_path, FIRST)
    out = tmp_path / "briefs"
    write_briefs(s, out=out)
    second = [dict(RCT, types=RCT["types"] + ["Retracted Publication"]),
              dict(PILOT, abstract=PILOT["abstract"].replace("Twenty adults", "Twenty-four adults")), NEW_TKA]
    f = tmp_path / "update.xml"
    f.write_text(pubmed_xml(second), encoding="utf-8")
    ingest(s, [f])
    messages: list[str] = []
    paths = write_briefs(s, out=out, progress=messages.append)
    assert "tka.md" in [p.name for p in paths]
    knee = (out / "knee_oa.md").read_text(encoding="utf-8")
    new = knee.split("## Bottom line")[0]
    assert "Since the brief of 3 February 2025:" in new
    assert "**Retracted**" in new and "[PMID 90000101]" in new
    assert "**Changed facts**" in new and "people: 20 → 24" in new
    overview = (out / "overview.md").read_text(encoding="utf-8").split("## Bottom line")[0]
    assert "**New studies**" in overview and "[PMID 90000108]" in overview
    # writing again from the same warehouse repeats the same comparison, byte for byte
    before = {p.name: p.read_bytes() for p in paths}
    assert before == {p.name: p.read_bytes() for p in write_briefs(s, out=out)}
    assert overview_markdown(s.with_(briefs=out)) == (out / "overview.md").read_text(encoding="utf-8")
    assert any(re.fullmatch(r"knee_oa\.md: reading grade \d+\.\d", m) for m in messages)


# ------------------------------------------------------------------ reading level, API edges


def test_snapshot_briefs_read_at_grade_ten_or_below(snapshot_warehouse, tmp_path):
    grades = reading_grades(snapshot_warehouse)
    assert "knee_oa" in grades and "overview" in grades
    assert all(g <= 10 for g in grades.values()), grades
    messages: list[str] = []
    write_briefs(snapshot_warehouse, out=tmp_path, progress=messages.append)
    assert f"knee_oa.md: reading grade {grades['knee_oa']}" in messages


def test_unknown_condition_and_format_say_what_exists(synthetic, tmp_path):
    with pytest.raises(EvidenceError, match=r"no relevant study for condition 'itbs'.*knee_oa, pfps"):
        write_briefs(synthetic, condition="itbs", out=tmp_path)
    with pytest.raises(EvidenceError, match="use one of: md, html"):
        write_briefs(synthetic, formats=["pdf"], out=tmp_path)
    only = write_briefs(synthetic, condition="pfps", formats=["md"], out=tmp_path)
    assert [p.name for p in only] == ["pfps.md"]


def test_cli_brief_writes_the_files(synthetic, tmp_path, capsys):
    from evidence.cli import main
    assert main(["brief", "--db", str(synthetic.db), "--out", str(tmp_path), "--format", "md", "-q"]) == 0
    assert capsys.readouterr().out.split() == [str(tmp_path / n) for n in ("knee_oa.md", "pfps.md", "overview.md")]


@pytest.mark.parametrize("weeks, text", [
    (3, "3 weeks"), (26, "6 months"), (26.07, "6 months"), (13.035, "3 months"), (52, "1 year"),
    (4.345, "1 month"), (1 / 7, "1 day"), (0.429, "3 days"), (0, "the end of a single session"),
    (14.035, "about 14 weeks"), (None, None)])
def test_weeks_in_plain_words(weeks, text):
    assert R.weeks_text(weeks) == text


def test_citation_marks_what_pubmed_does_not_give():
    assert vancouver_authors([f"A{i} B" for i in range(8)]) == "A0 B, A1 B, A2 B, A3 B, A4 B, A5 B, et al."
    c = Citation(authors=None, title=None, journal=None, year=None, volume=None, issue=None, pages=None,
                 doi=None, pmid="1")
    assert c.text == ("[Authors not given in PubMed]. [Title not given in PubMed]. [Journal not given in PubMed]. "
                      "[year not given]. PMID: 1.")


# ------------------------------------------------------------------ the HTML in a browser


def test_html_brief_renders_offline_without_errors(snapshot_warehouse, tmp_path):
    from browser import open_page
    write_briefs(snapshot_warehouse, formats=["html"], out=tmp_path)
    for name in ("knee_oa.html", "overview.html"):
        with open_page(tmp_path / name) as (page, log):
            assert page.locator("h1").inner_text().startswith("Dry needling for knee")
            shot = tmp_path / f"{name}.png"
            page.screenshot(path=str(shot), full_page=True)
            if name == "knee_oa.html":
                assert page.locator(f"#pmid-{POPLITEUS}").count() == 1
                docs = REPO / "docs" / "brief-screenshot.png"
                if os.environ.get("UPDATE_SCREENSHOT") or not docs.exists():
                    docs.parent.mkdir(exist_ok=True)
                    page.screenshot(path=str(docs), full_page=False)
        assert shot.stat().st_size > 10_000
        assert log.console_errors == [] and log.page_errors == [], (log.console_errors, log.page_errors)
        assert log.network == [], f"{name} made network requests: {log.network}"


def test_a_warehouse_for_another_topic_writes_briefs_and_a_dashboard_about_it(tmp_path):
    """A neck topic (its topic file lists neck_pain): its briefs and dashboard speak of the neck."""
    from dataclasses import replace

    from conftest import DEV_XML
    from evidence.dashboard import dashboard_html
    topic = tmp_path / "neck.toml"
    topic.write_text('conditions = ["neck_pain"]\narea = "neck"\nquery = "\\"Dry Needling\\"[Mesh] AND neck*[tiab]"\n')
    s = replace(make_settings(tmp_path), topic=topic)
    ingest(s, [DEV_XML])
    paths = write_briefs(s, formats=["md"], out=tmp_path / "briefs")
    assert sorted(p.name for p in paths if p.suffix == ".md") == ["neck_pain.md", "overview.md"]
    overview = render_brief(s.db, None, "md")
    assert "Dry needling for neck problems (overview)" in overview
    assert "Do not say trigger points cause most neck pain." in overview
    assert "knee" not in render_brief(s.db, "neck_pain", "md").lower().replace("kneeling", "")
    page = dashboard_html(s.db)
    assert "<h1>Dry needling for neck conditions</h1>" in page and "knee conditions" not in page
    # a title in the topic file heads the dashboard from the next run on (escaped)
    topic.write_text('title = "Neck pain & dry needling"\n' + topic.read_text())
    ingest(s, [DEV_XML])
    page = dashboard_html(s.db)
    assert "<title>Neck pain &amp; dry needling: evidence dashboard</title>" in page and "<h1>Neck pain &amp; dry needling</h1>" in page
