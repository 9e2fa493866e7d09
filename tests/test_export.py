"""Exports: CSV and Parquet of any view, RIS and BibTeX citations of its articles, read back with
polars, rispy and bibtexparser."""

from __future__ import annotations

import csv
import io

import bibtexparser
import polars as pl
import pytest
import rispy
from bibtexparser.middlewares import LatexDecodingMiddleware

from conftest import make_settings
from evidence.errors import EvidenceError
from evidence.pipeline import ingest
from evidence.warehouse.export import bibtex_escape, bibtex_keys, export, split_pages
from warehouse_helpers import Article, query, write_set

FIRST, SECOND, GROUP, BARE, SAME_KEY = "99400001", "99400002", "99400003", "99400004", "99400005"


@pytest.fixture(scope="module")
def cited(tmp_path_factory):
    """Invented trials with every citation field, special characters, a group author, and a key clash."""
    tmp = tmp_path_factory.mktemp("cite")
    s = make_settings(tmp)
    write_set(tmp / "cite.xml",
              Article(FIRST, authors=[("O'Brien", "Seán", "S"), ("van der Berg", "Jan", "J")],
                      title="Popliteus dry needling & exercise in 50% of {knee} osteoarthritis: a randomized trial",
                      doi="10.1000/ex_1#2", pages="123-30", volume="12", issue="3", year=2024),
              Article(SECOND, authors=[("Smith", "Anna", "A")], pages="e12345", doi="10.1000/ex.2", year=2023),
              Article(GROUP, authors=[], collective="Knee Needling Study Group", pages="S10-S18", year=2022),
              Article(BARE, authors=[], volume=None, issue=None, pages=None, year=2021),
              Article(SAME_KEY, authors=[("Smith", "Bob", "B")], pages="1-9", year=2023))
    ingest(s, [tmp / "cite.xml"])
    return s


def test_csv_to_stdout_has_one_row_per_study_with_lists_joined(snapshot_warehouse, capsys):
    assert export(snapshot_warehouse.db, "csv") is None
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    want = query(snapshot_warehouse.db, "SELECT pmid, array_to_string(outcome_instruments, '; ') FROM relevant_studies")
    assert sorted((r["pmid"], r["outcome_instruments"]) for r in rows) == sorted(want)
    assert list(rows[0])[:2] == ["pmid", "title"]


def test_csv_and_parquet_files_hold_the_view(snapshot_warehouse, tmp_path):
    db = snapshot_warehouse.db
    path = export(db, "parquet", view="rcts", out=tmp_path / "out" / "rcts.parquet")
    assert path == tmp_path / "out" / "rcts.parquet"
    got = pl.read_parquet(path)
    want = query(db, "SELECT pmid, sample_size, outcome_instruments FROM rcts")
    assert sorted(got.select("pmid", "sample_size", "outcome_instruments").rows()) == sorted(want)
    assert got.schema["outcome_instruments"] == pl.List(pl.String)
    path = export(db, "csv", view="conditions_summary", out=tmp_path / "summary.csv")
    assert pl.read_csv(path).rows() == query(db, "SELECT * FROM conditions_summary")


def test_an_unknown_view_is_refused_with_the_valid_ones(snapshot_warehouse, tmp_path):
    with pytest.raises(EvidenceError, match=r"no view or table named 'rct' in the warehouse; valid views: .*\brcts\b.*\brelevant_studies\b"):
        export(snapshot_warehouse.db, "csv", view="rct", out=tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()
    with pytest.raises(EvidenceError, match="no view or table named"):
        export(snapshot_warehouse.db, "csv", view='rcts"; DROP TABLE articles; --')


def test_formats_that_cannot_go_to_stdout_or_have_no_articles_are_explained(snapshot_warehouse):
    with pytest.raises(EvidenceError, match="binary format; give a file"):
        export(snapshot_warehouse.db, "parquet")
    with pytest.raises(EvidenceError, match="no pmid column"):
        export(snapshot_warehouse.db, "ris", view="conditions_summary")
    with pytest.raises(EvidenceError, match="unknown export format 'xlsx'"):
        export(snapshot_warehouse.db, "xlsx")


def test_ris_imports_with_every_field(cited, tmp_path):
    path = export(cited.db, "ris", view="all_studies", out=tmp_path / "cite.ris")
    entries = {e["accession_number"]: e for e in rispy.loads(path.read_text(encoding="utf-8"))}
    assert set(entries) == {FIRST, SECOND, GROUP, BARE, SAME_KEY}
    first = entries[FIRST]
    assert first["type_of_reference"] == "JOUR"
    assert first["authors"] == ["O'Brien, Seán", "van der Berg, Jan"]
    assert first["title"] == "Popliteus dry needling & exercise in 50% of {knee} osteoarthritis: a randomized trial"
    assert first["journal_name"] == "Journal of Invented Physiotherapy & Rehabilitation"
    assert (first["year"], first["volume"], first["number"]) == ("2024", "12", "3")
    assert (first["start_page"], first["end_page"]) == ("123", "130")
    assert first["doi"] == "10.1000/ex_1#2"
    assert first["urls"] == [f"https://pubmed.ncbi.nlm.nih.gov/{FIRST}/"]
    assert first["abstract"].startswith("This randomized controlled trial")
    assert entries[GROUP]["authors"] == ["Knee Needling Study Group"]
    assert (entries[GROUP]["start_page"], entries[GROUP]["end_page"]) == ("S10", "S18")
    assert (entries[SECOND]["start_page"], entries[SECOND].get("end_page")) == ("e12345", None)
    assert "volume" not in entries[BARE] and "authors" not in entries[BARE]


def test_ris_of_the_snapshot_covers_the_views_pmids_in_order(snapshot_warehouse, capsys):
    export(snapshot_warehouse.db, "ris", view="rcts")
    entries = rispy.loads(capsys.readouterr().out)
    assert [e["accession_number"] for e in entries] == [p for (p,) in query(snapshot_warehouse.db,
                                                                               "SELECT pmid FROM rcts")]
    retracted = {p for (p,) in query(snapshot_warehouse.db, "SELECT pmid FROM rcts WHERE is_retracted")}
    assert retracted and {e["accession_number"] for e in entries if "RETRACTED ARTICLE" in e.get("notes", [])} \
        == retracted


def test_bibtex_parses_with_stable_keys_and_escaped_fields(cited, tmp_path):
    path = export(cited.db, "bibtex", view="all_studies", out=tmp_path / "cite.bib")
    text = path.read_text(encoding="utf-8")
    raw = bibtexparser.parse_string(text)
    assert raw.failed_blocks == []
    lib = bibtexparser.parse_string(text, append_middleware=[LatexDecodingMiddleware()])
    entries = {e.key: e for e in lib.entries}
    assert set(entries) == {"obrien2024popliteus", "smith2023dry", "smith2023dryb", "knee2022dry", "anon2021dry"}
    assert entries["smith2023dryb"]["pmid"] == SAME_KEY  # the larger PMID takes the suffix
    first = entries["obrien2024popliteus"]
    assert first.entry_type == "article"
    assert first["title"] == "Popliteus dry needling & exercise in 50% of {knee} osteoarthritis: a randomized trial"
    assert first["author"] == "O'Brien, Seán and van der Berg, Jan"
    assert first["journal"] == "Journal of Invented Physiotherapy & Rehabilitation"
    assert (first["year"], first["volume"], first["number"], first["pages"]) == ("2024", "12", "3", "123–130")
    assert first["doi"] == "10.1000/ex_1#2" and first["pmid"] == FIRST
    assert first["abstract"].startswith("This randomized controlled trial")
    assert "{Knee Needling Study Group}" in raw.entries_dict["knee2022dry"]["author"]
    assert "pages" not in entries["anon2021dry"].fields_dict


def test_bibtex_keys_are_stable_when_a_newer_article_clashes():
    rec = {"pmid": "100", "authors": [{"last": "Núñez"}], "year": 2025, "title": "The popliteus and knee pain"}
    newer = dict(rec, pmid="200")
    assert bibtex_keys([rec]) == ["nunez2025popliteus"]
    assert bibtex_keys([newer, rec]) == ["nunez2025popliteusb", "nunez2025popliteus"]


@pytest.mark.parametrize("pages, want", [("123-30", ("123", "130")), ("1234-45", ("1234", "1245")),
                                         ("e12345", ("e12345", None)), ("S10-S18", ("S10", "S18")),
                                         ("5-12, 20", ("5", "12")), (None, (None, None))])
def test_medline_pages_are_split_and_expanded(pages, want):
    assert split_pages(pages) == want


def test_bibtex_escape_keeps_braces_balanced():
    assert bibtex_escape(r"a{b}c\d%e&f$g#h_i^j~k") == \
        r"a\{b\}c\textbackslash{}d\%e\&f\$g\#h\_i\^{}j\~{}k"
