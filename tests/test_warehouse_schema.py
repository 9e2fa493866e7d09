"""Schema as documentation: every table, view, column and macro described, in the file and in docs/schema.md."""

from __future__ import annotations

import pytest

from conftest import REPO
from evidence.warehouse.query import Relation, schema_markdown, schema_relations, schema_text, undocumented

SCHEMA_DOC = REPO / "docs" / "schema.md"
REGENERATE = ('.venv/bin/python -c "from evidence.warehouse.query import write_schema_doc; '
              "write_schema_doc('docs/schema.md')\"")


@pytest.fixture(scope="module")
def from_sql() -> list[Relation]:
    return schema_relations(None)


def test_every_table_view_column_and_macro_has_a_description(from_sql):
    missing = undocumented(from_sql)
    assert missing == [], ("add COMMENT ON TABLE/VIEW/COLUMN/MACRO TABLE for these in warehouse/*.sql: "
                           + ", ".join(missing))


def test_the_schema_covers_the_core_tables_views_and_macros(from_sql):
    rels = {(r.kind, r.name) for r in from_sql}
    for table in ("articles", "authors", "studies", "study_versions", "article_versions", "runs", "search_documents"):
        assert ("table", table) in rels
    for view in ("relevant_studies", "rcts", "study_outcomes", "study_domains", "conditions_summary", "changes",
                 "retractions", "ongoing_trials", "study_evidence", "run_health", "study_changes", "study_muscles"):
        assert ("view", view) in rels
    for macro in ("changed_since", "article_history", "search_articles"):
        assert ("macro", macro) in rels


def test_docs_schema_md_is_generated_from_the_sql():
    assert SCHEMA_DOC.read_text(encoding="utf-8") == schema_markdown(), \
        f"docs/schema.md is stale; regenerate it: {REGENERATE}"


def test_the_published_warehouse_describes_itself_like_the_sql(snapshot_warehouse, from_sql):
    from_file = schema_relations(snapshot_warehouse.db)
    assert {(r.kind, r.name, r.description, r.columns) for r in from_file} == \
           {(r.kind, r.name, r.description, r.columns) for r in from_sql}


def test_text_and_markdown_list_every_column_with_its_description(from_sql):
    rels = from_sql
    text = schema_text(None, "text")
    md = schema_text(None, "markdown")
    for r in rels:
        assert f"{r.kind.upper()} {r.name}" in text
        assert f"`{r.name}" in md
        for c in r.columns:
            assert f"| `{c.name}` | {c.type.replace('|', chr(92) + '|')} | " in md
            assert any(line.split()[:1] == [c.name] and (c.description or "(no description)") in line
                       for line in text.splitlines()), c.name
