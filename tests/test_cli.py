"""The CLI: every command has help and is documented; errors are one clear line with a trusted exit code."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import DEV_XML, SNAPSHOT
from evidence.cli import build_parser, main

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def commands() -> list[str]:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return sorted(sub.choices)


@pytest.mark.parametrize("name", commands())
def test_every_command_has_help(name, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([name, "--help"])
    assert exit_.value.code == 0
    assert "--db" in capsys.readouterr().out


@pytest.mark.parametrize("name", commands())
def test_every_command_is_in_the_readme(name):
    assert re.search(rf"`evidence {name}\b", README), f"`evidence {name}` is not documented in README.md"


def test_ingest_then_studies_jsonl_is_the_export_contract(tmp_path, capsys):
    db = tmp_path / "w.duckdb"
    assert main(["ingest", str(DEV_XML), "--db", str(db), "-q"]) == 0
    capsys.readouterr()
    assert main(["studies", "--format", "jsonl", "--db", str(db)]) == 0
    lines = capsys.readouterr().out.splitlines()
    recs = [json.loads(x) for x in lines]
    assert len(recs) == 41 and len({r["pmid"] for r in recs}) == 41
    for r in recs:
        assert isinstance(r["relevant"], bool)
        assert r["sample_size"] is None or isinstance(r["sample_size"], int)
        assert isinstance(r["outcome_domains"], list)


def test_status_reports_counts_and_runs(tmp_path, capsys):
    db = tmp_path / "w.duckdb"
    main(["ingest", str(SNAPSHOT), "--db", str(db), "-q"])
    capsys.readouterr()
    assert main(["status", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "articles: 26" in out and "ingest" in out and str(db.resolve()) in out


@pytest.mark.parametrize("argv, code, message", [
    (["ingest", "/nonexistent/file.xml"], 4, "no such file"),
    (["status", "--config", "/nonexistent/evidence.toml"], 2, "does not exist"),
    (["studies"], 5, "no warehouse at"),
])
def test_errors_are_one_clear_line_and_an_exit_code(tmp_path, capsys, argv, code, message):
    argv = argv + (["--db", str(tmp_path / "none" / "w.duckdb")] if "--db" not in argv else [])
    assert main(argv) == code
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_bad_date_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--since", "last week"])
    assert exit_.value.code == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_live_mode_without_email_stops_before_any_work(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EVIDENCE_PUBMED", "live")
    monkeypatch.delenv("NCBI_EMAIL", raising=False)
    db = tmp_path / "w.duckdb"
    assert main(["run", "--no-prefect", "--db", str(db)]) == 2
    assert "NCBI_EMAIL" in capsys.readouterr().err
    assert not db.exists() and not (tmp_path / "raw").exists()


def test_the_duckdb_command_reads_the_warehouse(snapshot_warehouse):
    """The quick start's `duckdb -readonly ... "select count(*) from articles"`, with the CLI the venv installs."""
    import subprocess
    import sys

    duckdb_cli = Path(sys.executable).parent / "duckdb"
    done = subprocess.run([str(duckdb_cli), "-readonly", "-csv", str(snapshot_warehouse.db),
                           "select count(*) from articles"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["count_star()", "26"]
