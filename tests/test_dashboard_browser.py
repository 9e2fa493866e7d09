"""The dashboard in headless Chromium: offline, no errors, filters and map cells give the right studies.

Counts are checked against the warehouse read independently (DuckDB + polars), not against the
dashboard's own data. Set UPDATE_SCREENSHOT=1 to refresh dashboards/screenshot.png for the README.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from browser import open_page
from evidence.dashboard import write_dashboard

REPO = Path(__file__).resolve().parents[1]
NASTY = 'Needling </script><script>alert("x")</script> & <b>bold</b> "quoted"'


def relevant(db: Path) -> pl.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql("SELECT * FROM relevant_studies").pl()


@pytest.fixture(scope="module")
def page_file(snapshot_warehouse, tmp_path_factory) -> Path:
    return write_dashboard(snapshot_warehouse, out=tmp_path_factory.mktemp("dashboard") / "index.html")


def shown(page) -> int:
    return int(page.get_attribute("#result-count", "data-count"))


def listed(page) -> set[str]:
    return set(page.locator("#study-rows tr.study").evaluate_all("rows => rows.map(r => r.dataset.pmid)"))


def pmids(frame: pl.DataFrame) -> set[str]:
    return set(frame["pmid"])


def ready(page) -> None:
    page.wait_for_selector("html[data-ready=true]", timeout=10_000)


def test_filters_and_map_cells_select_the_right_studies(snapshot_warehouse, page_file):
    studies = relevant(snapshot_warehouse.db)
    busiest = studies.group_by("condition").len().sort("len", "condition", descending=[True, False])["condition"][0]
    by_cell = studies.group_by("condition", "design").len().sort("len", "condition", "design",
                                                                 descending=[True, False, False])
    with open_page(page_file) as (page, log):
        ready(page)
        assert shown(page) == studies.height == len(listed(page))

        page.select_option("#f-condition", busiest)
        expected = studies.filter(pl.col("condition") == busiest)
        assert shown(page) == expected.height < studies.height
        assert listed(page) == pmids(expected)

        size = int(expected["sample_size"].drop_nulls().median())
        page.fill("#f-size", str(size))
        expected = expected.filter(pl.col("sample_size") >= size)
        assert listed(page) == pmids(expected) and shown(page) == expected.height

        page.click("#f-reset")
        assert shown(page) == studies.height
        page.select_option("#f-followup", "13")
        assert listed(page) == pmids(studies.filter(pl.col("max_follow_up_weeks") >= 13))
        page.select_option("#f-followup", "")
        page.select_option("#f-domain", "pain")
        assert listed(page) == pmids(studies.filter(pl.col("outcome_domains").list.contains("pain")))
        page.click("#f-reset")

        # A click on an evidence-map cell lists exactly that cell's studies and marks the cell.
        condition, design, n = by_cell.row(0)
        cell = page.locator(f'.cell[data-condition="{condition}"][data-design="{design}"]')
        assert cell.inner_text().strip() == str(n)
        cell.click()
        expected = studies.filter((pl.col("condition") == condition) & (pl.col("design") == design))
        assert shown(page) == n == expected.height and listed(page) == pmids(expected)
        assert cell.get_attribute("aria-pressed") == "true"
        assert page.input_value("#f-condition") == condition and page.input_value("#f-design") == design

        # Keyboard: Enter on another cell does the same.
        condition, design, n = by_cell.row(-1)
        other = page.locator(f'.cell[data-condition="{condition}"][data-design="{design}"]')
        other.focus()
        page.keyboard.press("Enter")
        expected = studies.filter((pl.col("condition") == condition) & (pl.col("design") == design))
        assert listed(page) == pmids(expected) and cell.get_attribute("aria-pressed") == "false"
        page.keyboard.press("Enter")  # the same cell again clears the filter
        assert shown(page) == studies.height and other.get_attribute("aria-pressed") == "false"

        # Search narrows by words in the title.
        page.click("#f-reset")
        title = studies.filter(pl.col("title").is_not_null())["title"][0]
        word = max(title.split(), key=len).strip(":,.;()").lower()
        page.fill("#f-search", word)
        assert listed(page) >= pmids(studies.filter(pl.col("title").str.to_lowercase().str.contains(word, literal=True)))
        assert shown(page) < studies.height or all(word in (t or "").lower() for t in studies["title"])

        # Every filter control has a label.
        unlabelled = page.evaluate("""() => [...document.querySelectorAll('#filters select, #filters input')]
            .filter(c => !c.labels || c.labels.length === 0).map(c => c.id)""")
        assert unlabelled == []
        assert log.console_errors == [] and log.page_errors == [] and log.network == []


def test_a_study_opens_with_its_source_sentences_and_links(snapshot_warehouse, page_file):
    with duckdb.connect(str(snapshot_warehouse.db), read_only=True) as con:
        pmid, field, span = con.execute("""
            SELECT e.pmid, e.field, e.span FROM study_evidence e JOIN article_abstracts a USING (pmid)
            WHERE e.pmid IN (SELECT pmid FROM relevant_studies) AND contains(a.abstract, e.span)
            ORDER BY e.field = 'direction' DESC, e.pmid, e.field LIMIT 1""").fetchone()
        doi = con.execute("SELECT doi FROM relevant_studies WHERE pmid = ?", [pmid]).fetchone()[0]
    with open_page(page_file) as (page, log):
        ready(page)
        detail = page.locator(f"#detail-{pmid}")
        assert detail.is_hidden()
        button = page.locator(f'tr.study[data-pmid="{pmid}"] .title-btn')
        button.click()
        assert detail.is_visible() and button.get_attribute("aria-expanded") == "true"
        marks = detail.locator(".abstract mark").all_inner_texts()
        assert any(span in m for m in marks)
        assert any(span in q for q in detail.locator("table.facts q").all_inner_texts())
        assert detail.locator(f'a[href="https://pubmed.ncbi.nlm.nih.gov/{pmid}/"]').count() == 1
        if doi:
            assert detail.locator("a[href^='https://doi.org/']").count() == 1
        # Enter on the focused title closes it again.
        button.focus()
        page.keyboard.press("Enter")
        assert detail.is_hidden()
        assert log.console_errors == [] and log.page_errors == [] and log.network == []


def test_retracted_articles_are_marked_and_titles_stay_text(snapshot_warehouse, tmp_path):
    db = tmp_path / "nasty.duckdb"
    shutil.copy(snapshot_warehouse.db, db)
    studies = relevant(db)
    retracted = pmids(studies.filter(pl.col("is_retracted")))
    assert retracted, "the snapshot holds a retracted article"
    target = sorted(pmids(studies) - retracted)[0]
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE articles SET title = ? WHERE pmid = ?", [NASTY, target])
    page_file = write_dashboard(snapshot_warehouse.with_(db=db), out=tmp_path / "index.html")
    with open_page(page_file) as (page, log):
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.reload()
        ready(page)
        for pmid in retracted:
            row = page.locator(f'tr.study[data-pmid="{pmid}"]')
            assert "retracted" in row.get_attribute("class").split()
            badge = row.locator(".badge.retracted")
            assert badge.count() == 1 and badge.inner_text().strip().lower() == "retracted"
            assert row.locator(".title-text").evaluate("e => getComputedStyle(e).textDecorationLine") == "line-through"
        assert page.locator(f'tr.study[data-pmid="{target}"] .title-text').inner_text() == NASTY
        assert page.locator("#study-rows b").count() == 0
        assert dialogs == [] and log.console_errors == [] and log.page_errors == [] and log.network == []


def test_screenshot(page_file, tmp_path):
    with open_page(page_file, viewport=(1280, 900)) as (page, log):
        ready(page)
        shot = tmp_path / "dashboard.png"
        page.screenshot(path=str(shot))
        assert shot.stat().st_size > 10_000
        assert log.console_errors == [] and log.page_errors == [] and log.network == []
    if os.environ.get("UPDATE_SCREENSHOT"):
        shutil.copy(shot, REPO / "dashboards" / "screenshot.png")
