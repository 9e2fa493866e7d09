"""Every example query in warehouse/queries/ answers its question on the snapshot warehouse,
checked against an independent computation with polars over the tables."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Callable

import duckdb
import polars as pl
import pytest

from evidence.warehouse.db import sql_dir
from evidence.warehouse.query import run_readonly

RCT = ["rct", "pilot_rct", "crossover_rct"]
QUERIES = sql_dir() / "queries"


@pytest.fixture(scope="module")
def tables(snapshot_warehouse) -> dict[str, pl.DataFrame]:
    con = duckdb.connect(str(snapshot_warehouse.db), read_only=True)
    try:
        return {t: con.execute(f"SELECT * FROM {t}").pl()
                for t in ("articles", "studies", "article_versions", "study_versions", "comments_corrections")}
    finally:
        con.close()


def run(db: Path, name: str) -> pl.DataFrame:
    columns, rows = run_readonly(db, (QUERIES / name).read_text(encoding="utf-8"))
    return pl.DataFrame(rows, schema=columns, orient="row", infer_schema_length=None)


def current_studies(t: dict[str, pl.DataFrame]) -> pl.DataFrame:
    live = t["articles"].filter(~pl.col("is_deleted")).select("pmid", "title", "pub_year", "is_retracted",
                                                               "has_erratum")
    return t["studies"].join(live, on="pmid")


def relevant(t: dict[str, pl.DataFrame]) -> pl.DataFrame:
    return current_studies(t).filter(pl.col("relevant"))


def check_rcts_knee_oa(got: pl.DataFrame, t: dict[str, pl.DataFrame]) -> None:
    want = relevant(t).filter(pl.col("design").is_in(RCT), pl.col("condition") == "knee_oa",
                              pl.col("max_follow_up_weeks") >= 26)
    assert want.height >= 1, "the snapshot holds a knee-OA trial with 6 months of follow-up"
    cols = ["pmid", "sample_size", "max_follow_up_weeks", "outcome_instruments", "is_retracted"]
    assert got.select(cols).sort("pmid").to_dicts() == want.select(cols).sort("pmid").to_dicts()
    assert got["sample_size"].null_count() == 0 and all(got["outcome_instruments"].list.len() > 0)


def check_womac(got: pl.DataFrame, t: dict[str, pl.DataFrame]) -> None:
    want = relevant(t).filter(pl.col("design").is_in(RCT), pl.col("outcome_instruments").list.contains("WOMAC"))
    assert want.height >= 1
    assert sorted(got["pmid"]) == sorted(want["pmid"])
    assert got["year"].to_list() == sorted(got["year"].to_list(), reverse=True)


def check_by_condition(got: pl.DataFrame, t: dict[str, pl.DataFrame]) -> None:
    r = relevant(t)
    primary = ~pl.col("design").is_in(["systematic_review", "meta_analysis", "protocol"])
    want = r.group_by("condition").agg(
        pl.len().alias("studies"),
        pl.col("design").is_in(RCT).sum().alias("randomised_trials"),
        pl.col("design").is_in(["systematic_review", "meta_analysis"]).sum().alias("reviews"),
        (pl.col("design") == "protocol").sum().alias("protocols"),
        pl.col("sample_size").filter(primary).sum().alias("participants"),
        pl.col("is_retracted").sum().alias("retracted"),
    )
    cols = ["condition", "studies", "randomised_trials", "reviews", "protocols", "retracted"]
    assert got.select(cols).sort("condition").to_dicts() == \
        want.select(cols).sort("condition").cast({c: pl.Int64 for c in cols[1:]}).to_dicts()
    for row in want.iter_rows(named=True):  # sum of nothing is null in SQL, 0 in polars
        assert (got.filter(pl.col("condition") == row["condition"])["participants"][0] or 0) == row["participants"]
    assert got["studies"].to_list() == sorted(got["studies"].to_list(), reverse=True)


def check_new_since(got: pl.DataFrame, t: dict[str, pl.DataFrame]) -> None:
    since = dt.datetime.combine(dt.date.today() - dt.timedelta(days=7), dt.time())
    n_articles = t["article_versions"].filter(pl.col("recorded_at") >= since).height
    n_facts = t["study_versions"].filter(pl.col("recorded_at") >= since).height
    assert n_articles == t["articles"].height  # the snapshot warehouse was built just now
    assert got.height == n_articles + n_facts
    assert got.filter(pl.col("change") == "article new")["pmid"].sort().to_list() == \
        t["articles"]["pmid"].sort().to_list()
    assert got["changed_at"].to_list() == sorted(got["changed_at"].to_list())


def check_retracted(got: pl.DataFrame, t: dict[str, pl.DataFrame]) -> None:
    a = t["articles"].filter(~pl.col("is_deleted"))
    flagged = set(a.filter(pl.col("is_retracted") | pl.col("has_erratum") | pl.col("is_notice"))["pmid"])
    linked = set(t["comments_corrections"].filter(pl.col("ref_type").str.contains(
        "^(Retraction|Erratum|ExpressionOfConcern|Update)"))["pmid"])
    assert flagged, "the snapshot holds a retracted article"
    assert set(got["pmid"]) == flagged | (linked & set(a["pmid"]))
    retracted = set(a.filter(pl.col("is_retracted"))["pmid"])
    assert set(got.filter(pl.col("link_kind") == "retraction")["pmid"]) >= retracted


def check_ongoing(got: pl.DataFrame, t: dict[str, pl.DataFrame]) -> None:
    want = relevant(t).filter(pl.col("design") == "protocol")
    assert want.height >= 1
    assert sorted(got["pmid"]) == sorted(want["pmid"])
    assert got.select("pmid", "planned_sample_size").sort("pmid").rows() == \
        want.select("pmid", "sample_size").sort("pmid").rows()


def check_search_muscle(got: pl.DataFrame, t: dict[str, pl.DataFrame]) -> None:
    a = t["articles"].filter(~pl.col("is_deleted"))
    text = pl.concat_str([pl.col("title").fill_null(""), pl.col("abstract").fill_null("")], separator=" ").str.to_lowercase()
    mentions = set(a.filter(text.str.contains("poplite"))["pmid"])
    word = set(a.filter(text.str.contains(r"\bpopliteus\b"))["pmid"])
    assert word, "the snapshot mentions the popliteus"
    assert word <= set(got["pmid"]) <= mentions
    assert got["score"].to_list() == sorted(got["score"].to_list(), reverse=True)
    assert got["pmid"].to_list() == [p for _, p in sorted(zip(got["score"], got["pmid"]), key=lambda x: (-x[0], int(x[1])))]
    assert all(s > 0 for s in got["score"])


def check_muscles(got: pl.DataFrame, t: dict[str, pl.DataFrame]) -> None:
    want = relevant(t).explode("muscles").drop_nulls("muscles").group_by("muscles").agg(pl.len().alias("studies"))
    assert want.height >= 1
    assert dict(got.select("muscle", "studies").rows()) == dict(want.rows())


def check_numbers(got: pl.DataFrame, t: dict[str, pl.DataFrame]) -> None:
    trials = relevant(t).filter(pl.col("design").is_in(RCT), pl.col("condition") == "knee_oa")
    assert trials.height >= 1 and set(got["pmid"]) == set(trials["pmid"])
    assert set(got["field"]) <= {"design", "sample_size", "max_follow_up_weeks", "outcome_instruments", "direction"}
    sizes = got.filter(pl.col("field") == "sample_size")
    for row in trials.iter_rows(named=True):
        hit = sizes.filter(pl.col("pmid") == row["pmid"])
        assert hit["value"].to_list() == [str(row["sample_size"])]
        assert hit["span"].to_list() == [row["sample_size_span"]]


def check_history(got: pl.DataFrame, t: dict[str, pl.DataFrame]) -> None:
    assert got["change"].to_list() == ["article new", "facts extracted"]
    assert got["run_kind"].to_list() == ["ingest", "ingest"]
    assert got["what"][0] == "added (version 1)"
    assert got["what"][1].startswith("first extraction")


CHECKS: dict[str, Callable[[pl.DataFrame, dict[str, pl.DataFrame]], None]] = {
    "rcts_knee_oa_6_months.sql": check_rcts_knee_oa,
    "trials_measuring_womac.sql": check_womac,
    "studies_by_condition.sql": check_by_condition,
    "new_since.sql": check_new_since,
    "retracted.sql": check_retracted,
    "ongoing.sql": check_ongoing,
    "search_muscle.sql": check_search_muscle,
    "studies_needling_muscle.sql": check_muscles,
    "where_numbers_come_from.sql": check_numbers,
    "article_history.sql": check_history,
}


def test_every_example_query_has_a_check():
    assert sorted(p.name for p in QUERIES.glob("*.sql")) == sorted(CHECKS)


def test_every_example_query_says_what_it_answers():
    for p in QUERIES.glob("*.sql"):
        assert p.read_text(encoding="utf-8").startswith("-- "), f"{p.name} needs a comment saying its question"


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_example_query_answers_its_question(name, snapshot_warehouse, tables):
    CHECKS[name](run(snapshot_warehouse.db, name), tables)
