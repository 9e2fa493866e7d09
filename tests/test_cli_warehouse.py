"""The warehouse commands of the CLI: schema, search, sql, export (exit codes, stdout, stderr)."""

from __future__ import annotations

import csv
import io
import json

import pytest
import rispy

from evidence.cli import main
from evidence.warehouse.db import sql_dir
from warehouse_helpers import query


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No developer settings: no EVIDENCE_* variables and no ./evidence.toml."""
    import os
    for key in list(os.environ):
        if key.startswith(("EVIDENCE_", "NCBI_")):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_schema_from_the_file_and_from_the_sql(snapshot_warehouse, capsys):
    code, out, err = run(capsys, "schema", "--db", str(snapshot_warehouse.db))
    assert code == 0 and err == ""
    assert "VIEW rcts" in out and "TABLE articles" in out and "MACRO search_articles(q)" in out
    code, md, _ = run(capsys, "schema", "--from-sql", "--format", "markdown")
    assert code == 0 and md.startswith("# Warehouse schema") and "| `sample_size` |" in md


def test_schema_without_a_warehouse_points_to_from_sql(tmp_path, capsys):
    code, out, err = run(capsys, "schema", "--db", str(tmp_path / "none.duckdb"))
    assert code == 5 and out == ""
    assert "no warehouse at" in err and "--from-sql" in err


def test_search_prints_pmid_title_year_and_score(snapshot_warehouse, capsys):
    code, out, err = run(capsys, "search", "popliteus pain", "--db", str(snapshot_warehouse.db), "--limit", "3")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["score", "PMID", "year", "title"] and len(lines) == 4
    code, out, _ = run(capsys, "search", "popliteus", "--db", str(snapshot_warehouse.db), "--format", "json")
    hits = json.loads(out)
    assert hits and {"pmid", "title", "year", "score"} <= set(hits[0])


def test_sql_prints_a_table_and_reads_query_files(snapshot_warehouse, capsys):
    db = str(snapshot_warehouse.db)
    code, out, err = run(capsys, "sql", "SELECT pmid, sample_size FROM rcts ORDER BY pmid", "--db", db, "--format", "csv")
    assert code == 0 and err == ""
    assert list(csv.reader(io.StringIO(out)))[1:] == [
        [p, "" if n is None else str(n)] for p, n in query(snapshot_warehouse.db,
                                                           "SELECT pmid, sample_size FROM rcts ORDER BY pmid")]
    code, out, err = run(capsys, "sql", "--file", str(sql_dir() / "queries" / "studies_by_condition.sql"), "--db", db)
    assert code == 0 and out.splitlines()[0].split()[:2] == ["condition", "studies"]


@pytest.mark.parametrize("argv, code, says", [
    (["sql", "DELETE FROM articles"], 1, "evidence sql: error: evidence sql is read-only; "),
    (["sql", "SELEC 1"], 1, "syntax error"),
    (["sql"], 2, "give the SQL either as an argument or with --file"),
    (["sql", "--file", "missing.sql"], 2, "cannot read the SQL file"),
    (["export", "--format", "csv", "--view", "nope"], 1, "valid views: "),
    (["export", "--format", "parquet"], 1, "binary format"),
    (["search", " "], 1, "give some words"),
])
def test_errors_are_one_clear_line_and_an_exit_code(snapshot_warehouse, capsys, argv, code, says):
    got, out, err = run(capsys, *argv, "--db", str(snapshot_warehouse.db))
    assert (got, out) == (code, "")
    assert says in err and "Traceback" not in err and len(err.strip().splitlines()) <= 3  # message, LINE, caret


def test_export_to_stdout_and_to_a_file(snapshot_warehouse, tmp_path, capsys):
    db = str(snapshot_warehouse.db)
    code, out, _ = run(capsys, "export", "--format", "ris", "--view", "rcts", "--db", db)
    assert code == 0
    assert [e["accession_number"] for e in rispy.loads(out)] == [p for (p,) in query(snapshot_warehouse.db,
                                                                                       "SELECT pmid FROM rcts")]
    target = tmp_path / "studies.csv"
    code, out, _ = run(capsys, "export", "--format", "csv", "--out", str(target), "--db", db)
    assert code == 0 and out.strip() == str(target)
    assert len(list(csv.DictReader(target.open(encoding="utf-8")))) == \
        query(snapshot_warehouse.db, "SELECT count(*) FROM relevant_studies")[0][0]
