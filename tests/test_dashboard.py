"""The dashboard's data and page: aggregates equal independent group-bys, escaping, offline, determinism."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from evidence.cli import main
from evidence.dashboard import collect_data, dashboard_html, write_dashboard
from evidence.dashboard.data import COMPARATORS, CONDITIONS, DESIGNS, DIRECTIONS, DOMAINS, FIELDS
from evidence.dashboard.render import render_html, script_json
from evidence.errors import WarehouseError
from evidence.warehouse.db import sql_dir

NASTY = 'Needling </script><script>alert("x")</script> & <b>bold</b> \'quoted\' <!-- \u2028 end'


def relevant(db: Path) -> pl.DataFrame:
    """The relevant studies, read straight from the warehouse view, independently of the dashboard."""
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql("SELECT * FROM relevant_studies").pl()


@pytest.fixture(scope="module")
def data(snapshot_warehouse):
    return collect_data(snapshot_warehouse.db)


@pytest.fixture(scope="module")
def html(snapshot_warehouse) -> str:
    return dashboard_html(snapshot_warehouse.db)


def test_snapshot_has_what_the_dashboard_needs(data):
    # The browser tests lean on these: several conditions and designs, a retracted study, facts.
    assert len(data["studies"]) >= 5
    assert len(data["map"]["conditions"]) >= 2 and len(data["map"]["designs"]) >= 2
    assert any(s["is_retracted"] for s in data["studies"])
    assert data["evidence"] and data["outcomes"] and data["runs"]["recent"]


def test_evidence_map_cells_equal_an_independent_group_by(snapshot_warehouse, data):
    expected = (relevant(snapshot_warehouse.db)
                .with_columns(pl.col("condition").fill_null("unknown"), pl.col("design").fill_null("unknown"))
                .group_by("condition", "design")
                .agg(studies=pl.len().cast(pl.Int64), participants=pl.col("sample_size").sum().cast(pl.Int64),
                     retracted=pl.col("is_retracted").sum().cast(pl.Int64),
                     any_size=pl.col("sample_size").is_not_null().any())
                .with_columns(participants=pl.when(pl.col("any_size")).then(pl.col("participants")))
                .drop("any_size")
                .sort("condition", "design"))
    cells = pl.DataFrame(data["map"]["cells"]).select(expected.columns).cast(expected.schema).sort("condition", "design")
    assert_frame_equal(cells, expected)
    # Rows: every condition once, the busiest first; columns: every design once, in design order.
    totals = expected.group_by("condition").agg(pl.col("studies").sum())
    by_condition = dict(totals.iter_rows())
    assert sorted(data["map"]["conditions"]) == sorted(by_condition)
    assert [by_condition[c] for c in data["map"]["conditions"]] == sorted(by_condition.values(), reverse=True)
    assert data["map"]["designs"] == [d for d in DESIGNS if d in set(expected["design"])]


def test_timeline_counts_studies_per_year_and_design_group(snapshot_warehouse, data):
    expected = (relevant(snapshot_warehouse.db).filter(pl.col("year").is_not_null())
                .group_by("year", "design_group").agg(studies=pl.len().cast(pl.Int64)).sort("year", "design_group"))
    got = pl.DataFrame(data["timeline"]["counts"]).cast(expected.schema).sort("year", "design_group")
    assert_frame_equal(got, expected)
    years = data["timeline"]["years"]
    assert years == list(range(expected["year"].min(), expected["year"].max() + 1))


def test_outcomes_count_randomised_trials_per_domain_by_result(snapshot_warehouse, data):
    trials = (relevant(snapshot_warehouse.db)
              .filter(pl.col("design").is_in(["rct", "pilot_rct", "crossover_rct"]) & ~pl.col("is_retracted"))
              .explode("outcome_domains").filter(pl.col("outcome_domains").is_not_null())
              .rename({"outcome_domains": "domain"}))
    named = ["favours_dry_needling", "no_difference", "mixed", "favours_comparator"]
    expected = (trials.group_by("domain")
                .agg(pl.len().alias("trials"),
                     *[(pl.col("direction") == d).sum().alias(d) for d in named],
                     (~pl.col("direction").is_in(named).fill_null(False)).sum().alias("other"))
                .with_columns(pl.exclude("domain").cast(pl.Int64)).sort("domain"))
    got = pl.DataFrame(data["outcomes"]).select(expected.columns).cast(expected.schema).sort("domain")
    assert_frame_equal(got, expected)


def test_studies_are_the_relevant_ones_and_retracted_are_marked(snapshot_warehouse, data):
    frame = relevant(snapshot_warehouse.db)
    assert sorted(s["pmid"] for s in data["studies"]) == sorted(frame["pmid"])
    assert {s["pmid"] for s in data["studies"] if s["is_retracted"]} == \
        set(frame.filter(pl.col("is_retracted"))["pmid"])
    assert data["totals"]["retracted"] == frame["is_retracted"].sum()
    assert data["totals"]["relevant"] == frame.height


def test_every_fact_keeps_its_source_sentence(snapshot_warehouse, data):
    with duckdb.connect(str(snapshot_warehouse.db), read_only=True) as con:
        expected = con.execute("""SELECT count(*) FROM study_evidence
                                  WHERE pmid IN (SELECT pmid FROM relevant_studies)""").fetchone()[0]
    facts = [f for fs in data["evidence"].values() for f in fs]
    assert len(facts) == expected
    assert all(set(f) == {"field", "value", "source", "span", "confidence"} for f in facts)
    assert all(f["field"] in FIELDS for f in facts)


def test_freshness_is_the_last_runs_time_from_the_data(snapshot_warehouse, data):
    with duckdb.connect(str(snapshot_warehouse.db), read_only=True) as con:
        finished = con.execute("SELECT max(finished_at) FROM runs WHERE status = 'success'").fetchone()[0]
    assert data["runs"]["last_success"]["finished_at"] == finished.strftime("%Y-%m-%d %H:%M")


def test_page_is_self_contained(html):
    assert html.startswith("<!doctype html>")
    assert not re.search(r"<(script|img|iframe|link|source|embed|object)\b[^>]*\b(src|href)\s*=", html, re.I)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert "@import" not in html and "url(" not in html
    assert len(re.findall(r"<script\b", html)) == 2 and len(re.findall(r"<style\b", html)) == 1
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp


def test_embedded_json_is_the_data(html, data):
    raw = re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', html, re.S).group(1)
    assert json.loads(raw) == json.loads(json.dumps(data))


def test_script_json_cannot_end_its_element():
    text = script_json({"title": NASTY, "n": 1})
    assert "</" not in text and "<!--" not in text and "\u2028" not in text
    assert json.loads(text) == {"title": NASTY, "n": 1}


def test_markup_in_titles_stays_text(snapshot_warehouse, tmp_path):
    db = tmp_path / "nasty.duckdb"
    shutil.copy(snapshot_warehouse.db, db)
    pmid = relevant(db)["pmid"][0]
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE articles SET title = ? WHERE pmid = ?", [NASTY, pmid])
    html = dashboard_html(db)
    assert "<b>bold</b>" not in html and 'alert("x")</script>' not in html
    assert len(re.findall(r"</script>", html)) == 2
    data = json.loads(re.search(r'id="dashboard-data">(.*?)</script>', html, re.S).group(1))
    assert any(s["title"] == NASTY for s in data["studies"])


def test_same_warehouse_same_page(snapshot_warehouse, html, tmp_path):
    assert dashboard_html(snapshot_warehouse.db) == html
    a = write_dashboard(snapshot_warehouse, out=tmp_path / "a.html")
    b = write_dashboard(snapshot_warehouse, out=tmp_path / "b" / "index.html")
    assert a.read_bytes() == b.read_bytes() == html.encode("utf-8")


def test_write_dashboard_defaults_to_the_setting(snapshot_warehouse, tmp_path):
    s = snapshot_warehouse.with_(dashboard=tmp_path / "dash" / "index.html")
    assert write_dashboard(s) == s.dashboard and s.dashboard.is_file()
    assert not list(s.dashboard.parent.glob(".*.tmp"))


def test_cli_writes_the_dashboard(snapshot_warehouse, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for var in ("EVIDENCE_CONFIG", "EVIDENCE_DB", "EVIDENCE_DASHBOARD"):
        monkeypatch.delenv(var, raising=False)
    out = tmp_path / "cli" / "dash.html"
    assert main(["dashboard", "--db", str(snapshot_warehouse.db), "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert out.read_text(encoding="utf-8") == dashboard_html(snapshot_warehouse.db)


def test_missing_warehouse_says_what_to_do(tmp_path):
    with pytest.raises(WarehouseError, match="evidence run"):
        dashboard_html(tmp_path / "nothing.duckdb")


def test_older_warehouse_without_dashboard_views_still_works(snapshot_warehouse, tmp_path):
    db = tmp_path / "old.duckdb"
    shutil.copy(snapshot_warehouse.db, db)
    with duckdb.connect(str(db)) as con:
        for view in ("evidence_map", "studies_by_year", "outcome_results", "article_abstracts"):
            con.execute(f"DROP VIEW {view}")
        con.execute("UPDATE schema_info SET value = 'built by an older version' WHERE key = 'fingerprint'")
    assert dashboard_html(db) == dashboard_html(snapshot_warehouse.db)


def test_empty_warehouse_gives_a_page(snapshot_warehouse, tmp_path):
    db = tmp_path / "empty.duckdb"
    shutil.copy(snapshot_warehouse.db, db)
    with duckdb.connect(str(db)) as con:
        for table in ("studies", "articles", "runs"):
            con.execute(f"DELETE FROM {table}")
    data = collect_data(db)
    assert data["studies"] == [] and data["map"]["cells"] == [] and data["runs"]["last_success"] is None
    assert "<!doctype html>" in render_html(data)


def test_dashboard_views_are_documented_in_sql():
    text = (sql_dir() / "views" / "40_dashboard.sql").read_text(encoding="utf-8")
    views = re.findall(r"CREATE OR REPLACE VIEW (\w+)", text)
    assert views and all(f"COMMENT ON VIEW {v} IS" in text for v in views)


@pytest.mark.parametrize("column, labels", [("design", DESIGNS), ("condition", CONDITIONS),
                                            ("comparator", COMPARATORS), ("direction", DIRECTIONS),
                                            ("outcome_domains", DOMAINS)])
def test_every_vocabulary_value_has_a_label(column, labels):
    schema = (sql_dir() / "schema" / "002_studies.sql").read_text(encoding="utf-8")
    comment = re.search(rf"COMMENT ON COLUMN studies\.{column} IS '([^']*)'", schema).group(1)
    values = re.findall(r"\b[a-z]+(?:_[a-z]+)*\b", comment.split(":", 1)[1].split("(")[0])
    assert values and set(values) <= set(labels)
