"""`evidence sql` underneath: read-only queries, clear refusals and DuckDB's own message for bad SQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from evidence.errors import EvidenceError, WarehouseError
from evidence.warehouse.query import format_table, run_readonly
from warehouse_helpers import query


def test_a_select_returns_columns_and_rows(snapshot_warehouse):
    columns, rows = run_readonly(snapshot_warehouse.db, "SELECT pmid, design FROM rcts ORDER BY pmid")
    assert columns == ["pmid", "design"]
    assert rows == query(snapshot_warehouse.db, "SELECT pmid, design FROM rcts ORDER BY pmid")
    assert rows


@pytest.mark.parametrize("sql, kind", [
    ("DELETE FROM articles", "DELETE"),
    ("UPDATE studies SET relevant = false", "UPDATE"),
    ("CREATE TABLE notes (x INTEGER)", "CREATE"),
    ("DROP VIEW rcts", "DROP"),
    ("INSERT INTO runs (run_id) VALUES ('x')", "INSERT"),
    ("ATTACH 'elsewhere.duckdb' AS other", "ATTACH"),
    ("COPY articles TO 'articles.csv'", "COPY"),
    ("SELECT 1; DELETE FROM articles", "DELETE"),
])
def test_writes_are_refused_and_nothing_changes(snapshot_warehouse, sql, kind):
    before = query(snapshot_warehouse.db, "SELECT count(*) FROM articles")
    with pytest.raises(EvidenceError, match=f"^evidence sql is read-only; .*not {kind}\\b"):
        run_readonly(snapshot_warehouse.db, sql)
    assert query(snapshot_warehouse.db, "SELECT count(*) FROM articles") == before


@pytest.mark.parametrize("sql, says", [
    ("SELEC pmid FROM articles", "syntax error"),
    ("SELECT nope FROM articles", "nope"),
    ("SELECT * FROM no_such_view", "no_such_view"),
])
def test_a_malformed_query_gives_duckdbs_message(snapshot_warehouse, sql, says):
    with pytest.raises(EvidenceError, match=says) as info:
        run_readonly(snapshot_warehouse.db, sql)
    assert type(info.value) is EvidenceError


def test_describe_show_and_the_search_macro_are_allowed(snapshot_warehouse):
    cols, rows = run_readonly(snapshot_warehouse.db, "DESCRIBE rcts")
    assert "column_name" in cols and ("pmid",) in [(r[0],) for r in rows]
    _, rows = run_readonly(snapshot_warehouse.db, "SELECT pmid FROM search_articles('popliteus')")
    assert rows


def test_no_warehouse_and_no_sql_are_explained(tmp_path, snapshot_warehouse):
    with pytest.raises(WarehouseError, match="no warehouse at"):
        run_readonly(tmp_path / "missing.duckdb", "SELECT 1")
    with pytest.raises(EvidenceError, match="no SQL given"):
        run_readonly(snapshot_warehouse.db, "   ")


def test_format_table_text_csv_json():
    columns = ["pmid", "muscles", "when", "size", "note"]
    rows = [("1", ["popliteus", "vastus medialis"], dt.date(2025, 1, 2), 40, None),
            ("2", [], dt.date(2024, 5, 6), None, "x" * 200)]
    text = format_table(columns, rows, "text").splitlines()
    assert text[0].split() == columns and set(text[1].replace(" ", "")) == {"-"}
    assert "popliteus; vastus medialis" in text[2] and "2025-01-02" in text[2]
    assert len(text[3]) < 150 and text[3].endswith("…") and text[-1] == "(2 rows)"
    assert list(csv.reader(io.StringIO(format_table(columns, rows, "csv")))) == [
        columns, ["1", "popliteus; vastus medialis", "2025-01-02", "40", ""], ["2", "", "2024-05-06", "", "x" * 200]]
    assert json.loads(format_table(columns, rows, "json")) == [
        {"pmid": "1", "muscles": ["popliteus", "vastus medialis"], "when": "2025-01-02", "size": 40, "note": None},
        {"pmid": "2", "muscles": [], "when": "2024-05-06", "size": None, "note": "x" * 200}]
    with pytest.raises(EvidenceError, match="unknown format"):
        format_table(columns, rows, "xml")
