"""docs/warehouse.md cannot drift: every example in it runs against the snapshot warehouse, and its
tables of query files and views match what exists."""

from __future__ import annotations

import re
from pathlib import Path
import shlex
import subprocess
import sys

import duckdb
import pytest

from conftest import REPO
from evidence.cli import main
from evidence.warehouse.db import sql_dir
from evidence.warehouse.search import fts_extension_path

DOC = (REPO / "docs" / "warehouse.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", DOC, flags=re.S)


def blocks(lang: str) -> list[str]:
    return [body for kind, body in BLOCKS if kind == lang]


@pytest.fixture
def in_tmp(monkeypatch, tmp_path):
    import os
    for key in list(os.environ):
        if key.startswith(("EVIDENCE_", "NCBI_")):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_walkthrough_has_sql_python_and_shell_examples():
    assert len(blocks("sql")) >= 5 and blocks("python") and len(blocks("sh")) >= 3


def test_every_sql_example_runs_in_a_plain_duckdb_session(snapshot_warehouse, in_tmp):
    con = duckdb.connect(str(snapshot_warehouse.db), read_only=True)
    con.execute("SET autoinstall_known_extensions = false")
    results = []
    try:
        for body in blocks("sql"):
            body = body.replace("<fts path>", str(fts_extension_path()))
            for stmt in con.extract_statements(body):
                cur = con.execute(stmt)
                results.append(cur.fetchall() if cur.description else None)
    finally:
        con.close()
    rcts, search = results[0], results[3]
    assert rcts and search, "the walkthrough finds a knee-OA trial and a popliteus hit in the snapshot"
    assert (in_tmp / "knee_oa_trials.csv").read_text().startswith("pmid,title,sample_size")


def test_the_python_example_runs(snapshot_warehouse, capsys):
    for body in blocks("python"):
        exec(body.replace("warehouse/evidence.duckdb", str(snapshot_warehouse.db)), {})
    assert "knee_oa" in capsys.readouterr().out


def test_every_shell_command_runs(snapshot_warehouse, in_tmp, capsys):
    ran = 0
    for body in blocks("sh"):
        for line in body.splitlines():
            argv = shlex.split(line.split(" #")[0])
            if not argv:
                continue
            if argv[0] == "evidence":
                argv = [a.replace("warehouse/queries/", f"{sql_dir() / 'queries'}/") for a in argv[1:]]
                assert main(argv + ["--db", str(snapshot_warehouse.db)]) == 0, line
                ran += 1
            elif argv[0].endswith("python"):
                out = subprocess.run([sys.executable, *argv[1:]], capture_output=True, text=True, check=True)
                assert out.stdout.strip() == str(fts_extension_path())
                ran += 1
            else:  # the DuckDB CLI the venv installs (duckdb-cli), opening the file read-only
                assert argv[0].endswith("duckdb") and argv[1] == "-readonly", line
                cli = str(Path(sys.executable).parent / "duckdb")
                args = [a.replace("warehouse/evidence.duckdb", str(snapshot_warehouse.db)) for a in argv[1:]]
                out = subprocess.run([cli, *args, "select count(*) from relevant_studies"],
                                     capture_output=True, text=True, timeout=60)
                assert out.returncode == 0 and out.stdout.strip(), out.stderr
                ran += 1
    assert ran >= 7
    assert (in_tmp / "rcts.ris").read_text(encoding="utf-8").startswith("TY  - JOUR")
    assert capsys.readouterr().out


def test_the_tables_of_query_files_and_views_match_the_warehouse(snapshot_warehouse):
    listed = set(re.findall(r"^\| `(\w+\.sql)` \|", DOC, flags=re.M))
    assert listed == {p.name for p in (sql_dir() / "queries").glob("*.sql")}
    views = set(re.findall(r"`(\w+)`", DOC.split("The views (all described")[1].split("Retracted articles")[0]))
    con = duckdb.connect(str(snapshot_warehouse.db), read_only=True)
    try:
        existing = {v for (v,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    finally:
        con.close()
    assert views and views <= existing
    mine = (sql_dir() / "views" / "10_studies.sql").read_text(encoding="utf-8")
    assert set(re.findall(r"CREATE OR REPLACE VIEW (\w+)", mine)) <= views, "document every view of 10_studies.sql"
