"""Parser: every real NCBI fixture and the corpus, agreement with Biopython, odd and hostile input."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import re

import pyarrow
import pytest
from Bio import Entrez
from lxml import etree

from conftest import DEV_XML, FIXTURES, SNAPSHOT
from evidence.errors import BadInputError
from evidence.normalise import frames
from evidence.parse import (Deletion, Digest, ParseStats, compression, iter_records, medline_date, open_xml,
                            parse_all)

PUBMED_FILES = sorted(FIXTURES.glob("pubmed*.xml")) + [SNAPSHOT, DEV_XML]

# each compressed form: how to write it, and how to read it back as a stream (the reference)
FORMS = {
    "gzip": (gzip.compress, lambda data: gzip.open(io.BytesIO(data))),
    "zstd": (lambda data: pyarrow.Codec("zstd", 3).compress(data, asbytes=True),
             lambda data: pyarrow.input_stream(pyarrow.py_buffer(data), compression="zstd")),
}
DAMAGE = {
    "cut near the end": lambda z: z[:-200],
    "cut in half": lambda z: z[:len(z) // 2],
    "garbage in the middle": lambda z: z[:len(z) // 2] + b"x" * 64 + z[len(z) // 2 + 64:],
}


def flat(s: object) -> str:
    """Text without markup or whitespace, so Biopython's kept tags and our flattened text compare."""
    return re.sub(r"\s+", "", re.sub(r"</?[A-Za-z][\w:.-]*(\s[^<>]*)?/?>", "", str(s or "")))


@pytest.mark.parametrize("path", PUBMED_FILES, ids=lambda p: p.name)
def test_every_real_file_parses(path):
    stats = ParseStats()
    records = [r for r in iter_records(path, stats) if not isinstance(r, Deletion)]
    assert records and stats.articles == len(records)
    for r in records:
        assert r["pmid"].isdigit()
        assert r["version"] >= 1


def _bio_records(path):
    with open(path, "rb") as fh:
        return Entrez.read(fh)["PubmedArticle"]


def _bio_view(bio) -> dict:
    """The fields both parsers produce, read from Biopython's structure."""
    mc, pd = bio["MedlineCitation"], bio.get("PubmedData", {})
    art = mc["Article"]
    journal = art.get("Journal", {})
    ji = journal.get("JournalIssue", {})
    pubdate = ji.get("PubDate", {})
    abstract = art.get("Abstract", {}).get("AbstractText", [])
    authors = art.get("AuthorList", [])
    return {
        "pmid": str(mc["PMID"]),
        "version": int(mc["PMID"].attributes.get("Version", 1)),
        "citation_status": mc.attributes.get("Status"),
        "title": flat(art.get("ArticleTitle")) or None,
        "sections": [(a.attributes.get("Label"), a.attributes.get("NlmCategory"), flat(a)) for a in abstract
                     if flat(a)],
        "languages": [str(x) for x in art.get("Language", [])],
        "journal_title": str(journal.get("Title")) if journal.get("Title") else None,
        "journal_iso": str(journal.get("ISOAbbreviation")) if journal.get("ISOAbbreviation") else None,
        "issn": str(journal["ISSN"]) if journal.get("ISSN") else None,
        "volume": str(ji["Volume"]) if ji.get("Volume") else None,
        "issue": str(ji["Issue"]) if ji.get("Issue") else None,
        "pub_year": int(pubdate["Year"]) if pubdate.get("Year") else None,
        "medline_date": str(pubdate["MedlineDate"]) if pubdate.get("MedlineDate") else None,
        "authors": [(str(a.get("LastName") or "") or None, str(a.get("ForeName") or "") or None,
                     str(a.get("Initials") or "") or None, flat(a.get("CollectiveName")) or None,
                     [flat(x["Affiliation"]) for x in a.get("AffiliationInfo", [])]) for a in authors],
        "publication_types": [(p.attributes.get("UI"), str(p)) for p in art.get("PublicationTypeList", [])],
        "mesh": [(str(h["DescriptorName"]), h["DescriptorName"].attributes.get("UI"),
                  h["DescriptorName"].attributes.get("MajorTopicYN") == "Y",
                  [str(q) for q in h.get("QualifierName", [])]) for h in mc.get("MeshHeadingList", [])],
        "keywords": sorted(flat(k) for kl in mc.get("KeywordList", []) for k in kl),
        "chemicals": [str(c["NameOfSubstance"]) for c in mc.get("ChemicalList", [])],
        "grants": [(g.get("GrantID"), g.get("Agency"), g.get("Country")) for g in art.get("GrantList", [])],
        "article_ids": [(i.attributes.get("IdType"), str(i)) for i in pd.get("ArticleIdList", [])],
        "databanks": [(str(d["DataBankName"]), [str(a) for a in d.get("AccessionNumberList", [])])
                      for d in art.get("DataBankList", [])],
        "comments": [(c.attributes.get("RefType"), str(c["PMID"]) if c.get("PMID") else None)
                     for c in mc.get("CommentsCorrectionsList", [])],
        "history": [(h.attributes.get("PubStatus"), int(h["Year"]), int(h["Month"]), int(h["Day"]))
                    for h in pd.get("History", [])],
    }


def _our_view(r: dict) -> dict:
    return {
        "pmid": r["pmid"], "version": r["version"], "citation_status": r["citation_status"],
        "title": flat(r["title"]) or None,
        "sections": [(s["label"], s["category"], flat(s["text"])) for s in r["abstract_sections"]],
        "languages": r["languages"], "journal_title": r["journal_title"], "journal_iso": r["journal_iso"],
        "issn": r["issn"], "volume": r["volume"], "issue": r["issue"],
        "pub_year": None if r["medline_date"] else r["pub_year"],
        "medline_date": r["medline_date"],
        "authors": [(a["last_name"], a["fore_name"], a["initials"], flat(a["collective_name"]) or None,
                     [flat(x) for x in a["affiliations"]]) for a in r["authors"]],
        "publication_types": [(p["ui"], p["name"]) for p in r["publication_types"]],
        "mesh": [(m["descriptor"], m["descriptor_ui"], m["major"], [q["name"] for q in m["qualifiers"]])
                 for m in r["mesh"]],
        "keywords": sorted(flat(k["keyword"]) for k in r["keywords"]),
        "chemicals": [c["name"] for c in r["chemicals"]],
        "grants": [(g["grant_id"], g["agency"], g["country"]) for g in r["grants"]],
        "article_ids": [(i["type"], i["value"]) for i in r["article_ids"] if i.get("_from_elocation") is None],
        "databanks": _group_banks(r["databanks"]),
        "comments": [(c["ref_type"], c["ref_pmid"]) for c in r["comments_corrections"]],
        "history": [(h["status"], h["date"].year, h["date"].month, h["date"].day) for h in r["history"]],
    }


def _group_banks(banks: list[dict]) -> list:
    out: list = []
    for b in banks:
        if out and out[-1][0] == b["bank"]:
            out[-1][1].append(b["accession"])
        else:
            out.append((b["bank"], [b["accession"]]))
    return out


@pytest.mark.parametrize("path", PUBMED_FILES, ids=lambda p: p.name)
def test_agrees_with_biopython(path):
    """Differential test: on every real file, the fields both parsers produce are equal."""
    ours, _, _ = parse_all(path)
    theirs = _bio_records(path)
    assert [r["pmid"] for r in ours] == [str(b["MedlineCitation"]["PMID"]) for b in theirs]
    for mine, bio in zip(ours, theirs):
        expected = _bio_view(bio)
        got = _our_view(mine)
        # PubMed puts the DOI in ArticleIdList; we also take ELocationID when the list lacks it.
        got["article_ids"] = [i for i in got["article_ids"] if i in expected["article_ids"]] \
            if len(got["article_ids"]) > len(expected["article_ids"]) else got["article_ids"]
        assert got == expected, mine["pmid"]


def test_inline_markup_flattened_without_losing_words():
    xml = (b"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID Version='1'>1</PMID><Article>"
           b"<ArticleTitle>Effect of <i>dry</i> needling on VO<sub>2</sub>max and <sup>99m</sup>Tc uptake"
           b"</ArticleTitle><Abstract><AbstractText Label='RESULTS' NlmCategory='RESULTS'>Pain fell "
           b"(<i>p</i> &lt; 0.05) with <b>x</b><mml:math xmlns:mml='http://www.w3.org/1998/Math/MathML'>"
           b"<mml:mi>r</mml:mi><mml:mo>=</mml:mo><mml:mn>0.8</mml:mn></mml:math> overall.</AbstractText>"
           b"</Abstract></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>")
    (rec,), _, _ = parse_all(xml)
    assert rec["title"] == "Effect of dry needling on VO2max and 99mTc uptake"
    assert rec["abstract"] == "Pain fell (p < 0.05) with xr=0.8 overall."
    assert rec["abstract_sections"] == [{"position": 1, "label": "RESULTS", "category": "RESULTS",
                                         "text": rec["abstract"]}]


@pytest.mark.parametrize("text, expected", [
    ("2019 Nov-Dec", (2019, 11)), ("Summer 2018", (2018, 6)), ("1998 Dec-1999 Jan", (1998, 12)),
    ("2000 Spring", (2000, 3)), ("2007", (2007, None)), ("unknown", (None, None)),
    ("2015 Fall", (2015, 9)), ("2021 Jan 4-17", (2021, 1)),
])
def test_medline_dates_normalised(text, expected):
    assert medline_date(text) == expected


def test_medline_date_kept_as_written_and_as_a_date():
    xml = (b"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>7</PMID><Article><Journal><JournalIssue>"
           b"<PubDate><MedlineDate>2019 Nov-Dec</MedlineDate></PubDate></JournalIssue></Journal>"
           b"</Article></MedlineCitation></PubmedArticle></PubmedArticleSet>")
    (rec,), _, _ = parse_all(xml)
    assert (rec["pub_year"], rec["pub_month"], rec["pub_date"], rec["pub_date_text"]) == \
        (2019, 11, dt.date(2019, 11, 1), "2019 Nov-Dec")


def test_deletions_and_book_records_are_counted_not_crashed():
    xml = (b"<PubmedArticleSet><PubmedBookArticle><BookDocument><PMID>5</PMID></BookDocument>"
           b"</PubmedBookArticle><DeleteCitation><PMID Version='1'>11</PMID><PMID Version='2'>12</PMID>"
           b"</DeleteCitation></PubmedArticleSet>")
    arts, dels, stats = parse_all(xml)
    assert arts == [] and dels == [Deletion("11", 1), Deletion("12", 2)]
    assert (stats.books_skipped, stats.deleted) == (1, 2)


@pytest.mark.parametrize("body, message", [
    (b"this is not xml", "not well-formed"),
    (b"<html><body>NCBI is down for maintenance</body></html>", "root element is <html>"),
    (b"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID>", "not well-formed"),
    (b"<?xml version='1.0'?>", "not well-formed"),
])
def test_bad_input_gets_a_clear_error(body, message):
    with pytest.raises(BadInputError, match=message):
        parse_all(body)


def test_empty_file_is_reported(tmp_path):
    f = tmp_path / "empty.xml"
    f.write_bytes(b"")
    with pytest.raises(BadInputError, match="empty"):
        parse_all(f)


def test_entities_are_never_expanded_or_fetched(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    bomb = ("<?xml version='1.0'?><!DOCTYPE PubmedArticleSet [<!ENTITY a 'aaaaaaaaaa'>"
            + "".join(f"<!ENTITY {c} '{('&' + p + ';') * 10}'>" for p, c in zip("abcdefgh", "bcdefghi"))
            + f"<!ENTITY ext SYSTEM 'file://{secret}'>]>"
            "<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>3</PMID><Article>"
            "<ArticleTitle>&i;&ext;</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>")
    try:
        arts, _, _ = parse_all(bomb.encode())
    except BadInputError:
        return  # refusing the file is fine too
    title = arts[0]["title"] or ""
    assert "TOP-SECRET" not in title and len(title) < 1000


def test_invalid_pmid_is_named():
    xml = (b"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>12a4</PMID></MedlineCitation>"
           b"</PubmedArticle></PubmedArticleSet>")
    with pytest.raises(BadInputError, match="'12a4'.*not a PubMed id"):
        parse_all(xml)


@pytest.mark.parametrize("suffix", [".gz", ".zst"])
def test_damaged_compressed_file_is_bad_input_not_a_crash(suffix, tmp_path):
    """A cut .gz or .zst says what it could not read; a file named so that is not compressed is read
    as the XML it is (and refused as such)."""
    form = {".gz": "gzip", ".zst": "zstd"}[suffix]
    cut = tmp_path / f"cut.xml{suffix}"
    cut.write_bytes(FORMS[form][0](SNAPSHOT.read_bytes())[:3000])
    fake = tmp_path / f"fake.xml{suffix}"
    fake.write_bytes(b"not compressed at all")
    with pytest.raises(BadInputError, match=rf"^{re.escape(str(cut))}: cannot be read as {form}-compressed XML \("):
        parse_all(cut)
    with pytest.raises(BadInputError, match=rf"^{re.escape(str(fake))}: not well-formed XML"):
        parse_all(fake)


def test_entity_bomb_is_refused_with_its_name():
    bomb = ("<?xml version='1.0'?><!DOCTYPE PubmedArticleSet [<!ENTITY a 'aaaaaaaaaa'>"
            + "".join(f"<!ENTITY {c} '{('&' + p + ';') * 10}'>" for p, c in zip("abcdefgh", "bcdefghi"))
            + "]><PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>3</PMID><Article>"
            "<ArticleTitle>&i;</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>")
    with pytest.raises(BadInputError, match="entity bomb"):
        parse_all(bomb.encode())


# The piecewise reader (plain files, read ~64 KB at a time, each piece cut after a record's end
# tag) must yield exactly what the streaming parser yields, and fail exactly where it fails. A
# stream (file object) is always read by the streaming parser, so it is the reference here.

def _read(source, stats=None):
    """Items (as comparable tuples), the error if any, and the stats of one read."""
    stats = stats or ParseStats()
    items, error = [], None
    try:
        for r in iter_records(source, stats):
            items.append(("del", r.pmid, r.version) if isinstance(r, Deletion) else tuple(r.items()))
    except BadInputError as exc:
        error = str(exc)
    return items, error, stats


def _same_as_streaming(data: bytes, tmp_path) -> None:
    path = tmp_path / "in.xml"
    path.write_bytes(data)
    expected = _read(io.BytesIO(data))
    got = _read(path)
    assert got[0] == expected[0]
    assert got[1] == (expected[1].replace("<stream>", str(path)) if expected[1] else None)
    assert got[2] == expected[2]


@pytest.fixture
def small_pieces(monkeypatch):
    """Read 7 bytes at a time after a short head: many cuts, end tags split between reads."""
    import evidence.parse as parse
    monkeypatch.setattr(parse, "_HEAD", 300)
    monkeypatch.setattr(parse, "_PIECE", 7)


@pytest.fixture
def streamed(monkeypatch):
    """The names of the inputs the streaming parser read (directly or after the piecewise reader)."""
    import evidence.parse as parse
    names: list[str] = []
    real = parse._streaming

    def spy(fh, stats, name):
        names.append(name)
        return real(fh, stats, name)
    monkeypatch.setattr(parse, "_streaming", spy)
    return names


def _records_xml(n: int = 6) -> tuple[bytes, list[bytes]]:
    head = SNAPSHOT.read_bytes().split(b"<PubmedArticle>")[0]
    recs = [b"<PubmedArticle>" + r.split(b"</PubmedArticle>")[0] + b"</PubmedArticle>"
            for r in SNAPSHOT.read_bytes().split(b"<PubmedArticle>")[1:n + 1]]
    return head, recs


@pytest.mark.parametrize("path", PUBMED_FILES, ids=lambda p: p.name)
def test_piecewise_reading_is_the_streaming_reading(path, tmp_path, small_pieces, streamed):
    _same_as_streaming(path.read_bytes(), tmp_path)
    assert streamed == ["<stream>"]  # the file itself was read in pieces only


@pytest.mark.parametrize("between", [
    b"<!-- </PubmedArticle> -->", b"<?note </PubmedArticle> ?>", b"<Other><PubmedArticle/></Other>",
    b"<DeleteCitation><PMID Version='2'>12</PMID></DeleteCitation>",
    b"<PubmedBookArticle><BookDocument><PMID>5</PMID></BookDocument></PubmedBookArticle><Note/>",
])
def test_end_tags_that_are_not_cuts_fall_back_to_streaming(between, tmp_path, small_pieces):
    """A cut after an end tag in a comment, a processing instruction or a nested element does not
    parse: the input goes back to the streaming parser, which yields the same items and counts.
    Other top-level elements between records are cut after and counted alike."""
    head, recs = _records_xml()
    _same_as_streaming(head + b"".join(recs[:3]) + between + b"".join(recs[3:]) + b"</PubmedArticleSet>", tmp_path)


def test_end_tag_in_cdata_falls_back_to_streaming(tmp_path, small_pieces, streamed):
    head, recs = _records_xml()
    recs[2] = recs[2].replace(b"<ArticleTitle>", b"<ArticleTitle><![CDATA[a </PubmedArticle> b]]>")
    _same_as_streaming(head + b"".join(recs) + b"</PubmedArticleSet>", tmp_path)
    assert len(streamed) == 2  # the stream, and the file after its piece did not parse


@pytest.mark.parametrize("damage", [
    lambda x: x[: len(x) * 2 // 3],  # truncated
    lambda x: x.replace(b"</MedlineCitation>", b"</Medline>", 4),  # bad in the middle
    lambda x: x + b"<PubmedArticle/>",  # content after the root
    lambda x: x.replace(b"<PMID Version=\"1\">", b"<PMID Version=\"1\">x", 4),  # a PMID that is not one
])
def test_bad_file_fails_where_the_streaming_parser_fails(damage, tmp_path, small_pieces):
    head, recs = _records_xml(8)
    _same_as_streaming(damage(head + b"".join(recs) + b"</PubmedArticleSet>"), tmp_path)


@pytest.mark.parametrize("head", [
    b"<?xml version='1.0' encoding='ISO-8859-1'?><PubmedArticleSet>",  # another encoding
    b"<?xml version='1.0'?><!DOCTYPE PubmedArticleSet [<!ATTLIST Author EqualContrib CDATA 'Y'>]><PubmedArticleSet>",
    b"<PubmedArticleSet xmlns:mml='http://www.w3.org/1998/Math/MathML'>",  # the root declares a prefix
])
def test_heads_that_are_not_plain_are_read_by_the_streaming_parser(head, tmp_path):
    _, recs = _records_xml()
    recs[1] = recs[1].replace(b"<ArticleTitle>", b"<ArticleTitle>caf\xe9 " if b"8859" in head else
                              b"<ArticleTitle><mml:mi>x</mml:mi> ")
    _same_as_streaming(head + b"".join(recs) + b"</PubmedArticleSet>", tmp_path)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("damage", DAMAGE)
@pytest.mark.parametrize("head, piece", [(1 << 16, 1 << 16), (1 << 15, 1 << 15), (1 << 15, 3 << 15)])
def test_damaged_compressed_file_fails_where_the_streaming_parser_fails(form, damage, head, piece, tmp_path,
                                                                         monkeypatch):
    """Reads are whole multiples of iterparse's (32 KiB), so the piecewise reader never holds data
    the streaming parser could not read before the damage: it yields no more than that parser."""
    import evidence.parse as parse
    monkeypatch.setattr(parse, "_HEAD", head)
    monkeypatch.setattr(parse, "_PIECE", piece)
    compress, stream = FORMS[form]
    prolog, recs = _records_xml(1000)
    data = DAMAGE[damage](compress(prolog + b"".join(recs * 8) + b"</PubmedArticleSet>"))  # several reads long
    cut = tmp_path / "cut.xml"
    cut.write_bytes(data)
    expected = _read(stream(data))
    items, error, stats = _read(cut)
    assert items == expected[0] and stats == expected[2]
    if (form, damage) == ("gzip", "garbage in the middle"):  # inflated to bytes the XML parser refuses
        assert error.startswith(f"{cut}: not well-formed XML")  # before gzip's CRC, at the end, is met
    else:
        assert error.startswith(f"{cut}: cannot be read as {form}-compressed XML (")
        assert error.endswith("download it again or give the plain .xml")


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("path", PUBMED_FILES, ids=lambda p: p.name)
def test_a_compressed_file_reads_as_the_plain_one_and_in_pieces(form, path, tmp_path, streamed):
    """gzip and zstd are told by their first bytes (the name says nothing here), and read by the
    piecewise reader like the plain file: the same items and counts, no fallback to streaming."""
    copy = tmp_path / "export.xml"
    copy.write_bytes(FORMS[form][0](path.read_bytes()))
    assert _read(copy) == _read(path)
    assert streamed == []


@pytest.mark.parametrize("form", FORMS)
def test_open_xml_tells_the_form_by_the_first_bytes(form, tmp_path):
    data = SNAPSHOT.read_bytes()
    plain, packed = tmp_path / "a.xml.zst", tmp_path / "b.xml"  # names that lie
    plain.write_bytes(data)
    packed.write_bytes(FORMS[form][0](data))
    assert (compression(plain), compression(packed)) == (None, form)
    for path in (plain, packed):
        with open_xml(path) as fh:
            assert b"".join(iter(lambda: fh.read(4096), b"")) == data


@pytest.mark.parametrize("content", [b"\x28\xb5\x2f\xfd", b"\x28\xb5\x2f\xfd not zstd at all", b"\x1f\x8b not gzip"],
                         ids=["magic only", "zstd magic then junk", "gzip magic then junk"])
def test_a_file_that_only_starts_like_a_compressed_one_is_bad_input(content, tmp_path):
    path = tmp_path / "export.xml"
    path.write_bytes(content)
    form = "zstd" if content.startswith(b"\x28") else "gzip"
    with pytest.raises(BadInputError, match=rf"^{re.escape(str(path))}: cannot be read as {form}-compressed XML"):
        parse_all(path)


def test_stats_passed_in_keep_their_counts_when_reading_falls_back(tmp_path, small_pieces, streamed):
    head, recs = _records_xml()
    data = head + b"".join(recs[:3]) + b"<!-- </PubmedArticle> -->" + b"".join(recs[3:]) + b"</PubmedArticleSet>"
    path = tmp_path / "in.xml"
    path.write_bytes(data)
    stats = ParseStats(articles=10, deleted=1, other_skipped=2, deleted_pmids=["9"])
    items, _, _ = _read(path, stats)
    assert streamed == [str(path)] and len(items) == len(recs)
    assert stats == ParseStats(articles=10 + len(recs), deleted=1, other_skipped=2, deleted_pmids=["9"])


def _same(data: bytes) -> bytes:
    return data


# how the XML is changed, how it is stored, and whether the piecewise reader gives it back to the streaming one
DIGESTED = {
    "plain, in pieces": (_same, _same, False),
    "gzip, in pieces": (_same, FORMS["gzip"][0], False),
    "zstd, in pieces": (_same, FORMS["zstd"][0], False),
    "sent back to the streaming parser half-way": (lambda xml: xml.replace(
        b"</PubmedArticle>", b"</PubmedArticle><!-- </PubmedArticle> -->", 3), _same, True),
    "a head only the streaming parser reads": (lambda xml: xml.replace(
        b"<PubmedArticleSet>", b"<PubmedArticleSet xmlns:mml='http://www.w3.org/1998/Math/MathML'>"), _same, True),
}


@pytest.mark.parametrize("name", DIGESTED)
def test_the_digest_is_of_the_uncompressed_xml_however_it_was_read(name, tmp_path, small_pieces, streamed):
    """The size and SHA-256 come from the bytes the parser read: those of the XML, not of the file,
    and counted once even when the piecewise reader gave the input back and it was read again."""
    edit, store, falls_back = DIGESTED[name]
    head, recs = _records_xml()
    xml = edit(head + b"".join(recs) + b"</PubmedArticleSet>\n")
    path = tmp_path / "in.xml"
    path.write_bytes(store(xml))
    digest, stats = Digest(), ParseStats()
    assert len(list(iter_records(path, stats, digest))) == len(recs)
    assert (digest.size, digest.sha256) == (len(xml), hashlib.sha256(xml).hexdigest())
    assert (streamed == [str(path)]) is falls_back


def test_records_are_articles_books_and_deleted_pmids_skipped_or_not():
    """``ParseStats.records`` (what raw_files.records holds): PubmedArticle and PubmedBookArticle
    elements, an unreadable article too, and each PMID a DeleteCitation lists; not other elements."""
    head, recs = _records_xml(3)
    unreadable = recs[2].replace(b'<PMID Version="1">', b'<PMID Version="x">', 1)
    body = (head + recs[0] + recs[1] + unreadable + b"<Other/>"
            + b"<PubmedBookArticle><BookDocument><PMID>5</PMID></BookDocument></PubmedBookArticle>"
            + b"<DeleteCitation><PMID>11</PMID><PMID>12</PMID><PMID>13</PMID></DeleteCitation></PubmedArticleSet>")
    for source in (body, io.BytesIO(body)):  # read in pieces, and by the streaming parser
        _, error, stats = _read(source)
        assert error is None
        assert stats == ParseStats(articles=2, deleted=3, books_skipped=1, other_skipped=2, articles_skipped=1,
                                   deleted_pmids=["11", "12", "13"])
        assert stats.records == 2 + 1 + 1 + 3


# Numbers in a record that cannot be what they stand for (a Year of 11 digits, a Day of 0, a
# Version of "x"), on a real record of the dev corpus, mutated. A date that cannot be a real date
# is read as no date, as a Year that is not a number always was (numbers are ASCII digits: other
# scripts' digits and "²" are no number); an article's PMID Version that is not a version skips the
# article and counts it; a deletion still deletes. Nothing else escapes, and what is read normalises.

def _dev_article() -> etree._Element:
    """The first article of the dev corpus, with every kind of date the parser reads filled in."""
    rec = etree.parse(str(DEV_XML)).getroot().find("PubmedArticle")
    mc, art = rec.find("MedlineCitation"), rec.find("MedlineCitation/Article")
    ymd = "<Year>2024</Year><Month>02</Month><Day>03</Day>"
    art.append(etree.fromstring(f"<ArticleDate DateType='Electronic'>{ymd}</ArticleDate>"))
    mc.append(etree.fromstring(f"<DateCompleted>{ymd}</DateCompleted>"))
    mc.append(etree.fromstring(f"<DateRevised>{ymd}</DateRevised>"))
    pub = rec.find(".//JournalIssue/PubDate")
    pub.append(etree.fromstring("<Month>Mar</Month>"))
    pub.append(etree.fromstring("<Day>5</Day>"))
    rec.find(".//History/PubMedPubDate/Day").text = "9"
    return rec


_DATE_PATHS = {"pub": ".//JournalIssue/PubDate", "article_date": ".//ArticleDate", "date_completed": ".//DateCompleted",
               "date_revised": ".//DateRevised", "history": ".//History/PubMedPubDate"}


def _parse_one(rec: etree._Element) -> tuple[list, ParseStats]:
    stats = ParseStats()
    body = b"<PubmedArticleSet>" + etree.tostring(rec) + b"</PubmedArticleSet>"
    return list(iter_records(body, stats)), stats


def _with(where: str, part: str, value: str) -> dict:
    """The dev article with one part (Year, Day) of one of its dates set to ``value``, parsed."""
    rec = _dev_article()
    rec.find(_DATE_PATHS[where]).find(part).text = value
    (got,), stats = _parse_one(rec)
    assert stats == ParseStats(articles=1)
    assert frames([got])["articles"].height == 1  # and it fits the warehouse's columns
    return got


def test_the_dev_article_has_every_date():
    (rec,), _ = _parse_one(_dev_article())
    day = dt.date(2024, 2, 3)
    assert (rec["article_date"], rec["date_completed"], rec["date_revised"]) == (day, day, day)
    assert (rec["pub_year"], rec["pub_month"], rec["pub_day"], rec["pub_date"], rec["pub_date_text"]) == \
        (2025, 3, 5, dt.date(2025, 3, 5), "2025 Mar 5")
    assert rec["history"] == [{"status": "entrez", "date": dt.date(2025, 1, 9)}]


@pytest.mark.parametrize("year", ["99999999999", "10000", "0", "abc", "\u0662\u0660\u0662\u0664", "\u00b2"])
@pytest.mark.parametrize("where", list(_DATE_PATHS))
def test_a_year_that_cannot_be_a_date_is_no_date(where, year):
    """An absurd Year (beyond what a date can hold) reads as no date, like one that is no number;
    so does one in other digits than ASCII's (Arabic-Indic 2024, a superscript two)."""
    (expected,), _ = _parse_one(_dev_article())
    got = _with(where, "Year", year)
    if where == "pub":  # the numbers as unreadable as the date; the text as written
        expected.update(pub_year=None, pub_date=None, pub_date_text=f"{year} Mar 5")
    elif where == "history":
        expected["history"] = []
    else:
        expected[where] = None
    assert got == expected


@pytest.mark.parametrize("day", ["99999999999", "32", "0", "\u0663", "\u00b2"])
@pytest.mark.parametrize("where", list(_DATE_PATHS))
def test_a_day_that_cannot_be_a_day_is_left_out_of_the_date(where, day):
    """An absurd Day is read as no day (the first of the month), like a Day of 32 always was."""
    (expected,), _ = _parse_one(_dev_article())
    got = _with(where, "Day", day)
    if where == "pub":
        expected.update(pub_day=None, pub_date=dt.date(2025, 3, 1), pub_date_text=f"2025 Mar {day}")
    elif where == "history":
        expected["history"] = [{"status": "entrez", "date": dt.date(2025, 1, 1)}]
    else:
        expected[where] = dt.date(2024, 2, 1)
    assert got == expected


@pytest.mark.parametrize("version", ["x", "1.0", "0", "-1", "99999999999", "+2", "1_0", "\u0662"])
def test_an_article_whose_version_is_not_one_is_skipped_and_counted(version):
    rec = _dev_article()
    rec.find(".//PMID").set("Version", version)
    assert _parse_one(rec) == ([], ParseStats(other_skipped=1, articles_skipped=1))


def test_the_version_of_an_article_is_read():
    rec = _dev_article()
    rec.find(".//PMID").set("Version", " 2 ")
    (got,), _ = _parse_one(rec)
    assert got["version"] == 2
    rec.find(".//PMID").attrib.pop("Version")
    (got,), _ = _parse_one(rec)
    assert got["version"] == 1


@pytest.mark.parametrize("version", ["x", "1.0", "0", "-1", "99999999999"])
def test_a_deletion_whose_version_is_not_one_still_deletes(version, tmp_path, small_pieces):
    """PubMed withdrew the PMID whatever its Version says (nothing reads a deletion's version): it is
    read with version None, and the other PMIDs of the DeleteCitation too, in both readers."""
    deletions = (f"<DeleteCitation><PMID Version='1'>11</PMID><PMID Version='{version}'>12</PMID>"
                 "<PMID>13</PMID></DeleteCitation>")
    head, recs = _records_xml(2)
    body = head + recs[0] + deletions.encode() + recs[1] + b"</PubmedArticleSet>"
    items, error, stats = _read(body)
    assert error is None
    assert [i for i in items if i[0] == "del"] == [("del", "11", 1), ("del", "12", None), ("del", "13", 1)]
    assert (stats.articles, stats.deleted, stats.deleted_pmids, stats.other_skipped) == (2, 3, ["11", "12", "13"], 0)
    _same_as_streaming(body, tmp_path)


@pytest.mark.parametrize("pmid", ["x12", "\u0661\u0662", "1 2"])
def test_a_deletion_of_what_is_no_pmid_is_skipped_counted_and_named(pmid, tmp_path, small_pieces, caplog):
    """A DeleteCitation PMID that is not a PubMed id (ASCII digits) could delete nothing: it is
    skipped and counted, with a warning naming it, and the other PMIDs still delete, in both readers."""
    head, recs = _records_xml(2)
    body = (head + recs[0] + f"<DeleteCitation><PMID>11</PMID><PMID>{pmid}</PMID></DeleteCitation>".encode()
            + recs[1] + b"</PubmedArticleSet>")
    with caplog.at_level("WARNING", logger="evidence"):
        items, error, stats = _read(body)
    assert error is None
    assert [i for i in items if i[0] == "del"] == [("del", "11", 1)]
    assert (stats.articles, stats.deleted, stats.deleted_pmids, stats.other_skipped) == (2, 1, ["11"], 1)
    assert f"a deletion (PMID {pmid!r}) was skipped" in caplog.text
    _same_as_streaming(body, tmp_path)


def test_an_article_whose_pmid_is_in_other_digits_is_refused():
    """A PMID is ASCII digits: Arabic-Indic ones (which str.isdigit accepts) are no PubMed id."""
    rec = _dev_article()
    rec.find(".//PMID").text = "\u0661\u0662\u0663"
    with pytest.raises(BadInputError, match="not a PubMed id"):
        _parse_one(rec)


def test_a_skipped_item_is_warned_about_once_when_the_input_goes_back_to_the_streaming_reader(
        tmp_path, small_pieces, streamed, caplog):
    """The piecewise reader warns about a skipped record and a skipped deletion, then a later piece
    does not parse: the streaming reader reads them again, counting them once more from the start,
    but the warnings are not given twice. A skipped record after the hand-back is warned about."""
    head, recs = _records_xml()
    recs[0] = recs[0].replace(b"<PMID Version=\"1\">", b"<PMID Version=\"x\">", 1)
    recs[4] = recs[4].replace(b"<PMID Version=\"1\">", b"<PMID Version=\"0\">", 1)
    recs[3] = recs[3].replace(b"<ArticleTitle>", b"<ArticleTitle><![CDATA[a </PubmedArticle> b]]>")
    assert b'Version="x"' in recs[0] and b'Version="0"' in recs[4]
    body = (head + recs[0] + b"<DeleteCitation><PMID>1x</PMID></DeleteCitation>" + b"".join(recs[1:])
            + b"</PubmedArticleSet>")
    path = tmp_path / "in.xml"
    path.write_bytes(body)
    with caplog.at_level("WARNING", logger="evidence"):
        items, error, stats = _read(path)
    assert error is None and len(streamed) == 1  # the file went back to the streaming reader
    assert (stats.articles, stats.articles_skipped, stats.other_skipped) == (4, 2, 3)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 3, warnings
    assert [("was skipped" in w, "deletion" in w) for w in warnings] == [(True, False), (True, True), (True, False)]
