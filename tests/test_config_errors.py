"""Bad configuration is a clear message at start, before any work: exit 2 (3 when it is PubMed that
rejects the query), and nothing written -- no warehouse, no lock, no raw files."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conftest import SNAPSHOT
from evidence.cli import main as cli_main
from ncbi_server import Reply
from test_faults import EMAIL, flaky, sha  # noqa: F401


def tree(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}


@pytest.fixture
def user(tmp_path, monkeypatch):
    """A user's folder (cwd) with no settings in the environment; the warehouse would go under w/."""
    for key in ("EVIDENCE_CONFIG", "EVIDENCE_DB", "EVIDENCE_RAW", "EVIDENCE_PUBMED", "EVIDENCE_EUTILS_URL",
                "NCBI_EMAIL", "NCBI_API_KEY", "EVIDENCE_SCHEDULE", "EVIDENCE_TIMEZONE", "EVIDENCE_QUERY", "EVIDENCE_DEPLOYMENT",
                "EVIDENCE_TOPIC", "EVIDENCE_SNAPSHOT", "PREFECT_API_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("EVIDENCE_DB", str(tmp_path / "w" / "evidence.duckdb"))
    monkeypatch.setenv("EVIDENCE_SNAPSHOT", str(SNAPSHOT))
    monkeypatch.chdir(tmp_path)
    return tmp_path


BAD = [
    # (what, evidence.toml text or None, environment, command, exit code, message)
    ("unknown key in evidence.toml", 'colour = "blue"\nbatch_size = 50\n', {}, ["run", "--no-prefect"], 2,
     r"unknown setting\(s\) colour in 'evidence.toml'; known settings: .*batch_size"),
    ("not TOML", "batch_size = \n", {}, ["run", "--no-prefect"], 2, r"'evidence.toml' is not valid TOML"),
    ("invalid cron (serve)", None, {"EVIDENCE_SCHEDULE": "61 2 * * *"}, ["serve"], 2,
     r"schedule '61 2 \* \* \*' is not a valid cron expression .*e.g. '30 2 \* \* \*'"),
    ("invalid cron (run)", None, {"EVIDENCE_SCHEDULE": "every night"}, ["run", "--no-prefect"], 2,
     r"schedule 'every night' is not a valid cron expression"),
    ("deployment name with a slash (serve)", None, {"EVIDENCE_DEPLOYMENT": "knee/shoulder"}, ["serve"], 2,
     r"EVIDENCE_DEPLOYMENT 'knee/shoulder' is not a deployment name: .*e.g. 'shoulder'"),
    ("unknown time zone", None, {"EVIDENCE_TIMEZONE": "Mars/Olympus_Mons"}, ["serve"], 2,
     r"timezone 'Mars/Olympus_Mons' is not an IANA time zone name"),
    ("live mode without e-mail", None, {"EVIDENCE_PUBMED": "live"}, ["run", "--no-prefect"], 2,
     r"live mode needs a contact e-mail for NCBI: set NCBI_EMAIL="),
    ("not an e-mail", None, {"EVIDENCE_PUBMED": "live", "NCBI_EMAIL": "clinic"}, ["run", "--no-prefect"], 2,
     r"NCBI_EMAIL 'clinic' is not an e-mail address"),
    ("unknown mode", None, {"EVIDENCE_PUBMED": "online"}, ["run", "--no-prefect"], 2,
     r"EVIDENCE_PUBMED must be 'replay' or 'live', got 'online'"),
    ("batch size 0", None, {"EVIDENCE_BATCH_SIZE": "0"}, ["run", "--no-prefect"], 2,
     r"batch_size must be at least 1, got 0"),
    ("timeout not a number", None, {"EVIDENCE_TIMEOUT": "soon"}, ["run", "--no-prefect"], 2,
     r"timeout must be a number of seconds, got 'soon'"),
    ("E-utilities URL not http", None, {"EVIDENCE_EUTILS_URL": "ftp://example.org/"}, ["run", "--no-prefect"], 2,
     r"EVIDENCE_EUTILS_URL must start with http:// or https://"),
    ("config file missing", None, {"EVIDENCE_CONFIG": "prod.toml"}, ["run", "--no-prefect"], 2,
     r"config file 'prod.toml' does not exist"),
    ("topic file missing", None, {"EVIDENCE_TOPIC": "knee-topic.toml"}, ["run", "--no-prefect"], 2,
     r"topic file 'knee-topic.toml' does not exist"),
    ("topic without a query", "", {"EVIDENCE_TOPIC": "evidence.toml"}, ["run", "--no-prefect"], 2,
     r"has no query: add `query = \"...\"`"),
]


@pytest.mark.parametrize("what,toml,env,command,code,message", BAD, ids=[b[0] for b in BAD])
def test_bad_configuration_is_refused_before_any_work(what, toml, env, command, code, message, user,
                                                      monkeypatch, capsys):
    if toml is not None:
        (user / "evidence.toml").write_text(toml)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    before = tree(user)
    assert cli_main([*command, "-q"]) == code
    err = capsys.readouterr().err
    assert re.search(message, err), err
    assert err.startswith(f"evidence {command[0]}: error: ") and "Traceback" not in err
    assert tree(user) == before  # nothing written: no warehouse, no lock, no raw folder


def test_query_pubmed_rejects_fails_at_the_search_and_writes_no_data(user, flaky, monkeypatch, capsys,
                                                                     snapshot_warehouse):
    """A query PubMed refuses is a QueryError (exit 3) after one request -- no retries -- and the
    warehouse is left as it was; the attempt is journaled, and the next run records it."""
    server = flaky(esearch=[Reply(200, "<eSearchResult><Count>0</Count><ErrorList><FieldNotFound>kneee"
                                       "</FieldNotFound></ErrorList></eSearchResult>"),
                            Reply(200, "<eSearchResult><ERROR>Invalid query: unbalanced parentheses</ERROR>"
                                       "</eSearchResult>")])
    db = user / "w" / "evidence.duckdb"
    db.parent.mkdir()
    shutil.copyfile(snapshot_warehouse.db, db)
    for key, value in {"EVIDENCE_PUBMED": "live", "EVIDENCE_EUTILS_URL": server.url, "NCBI_EMAIL": EMAIL,
                       "EVIDENCE_QUERY": "dry needling[tiab] AND knee[kneee]"}.items():
        monkeypatch.setenv(key, value)
    before = sha(db)
    assert cli_main(["run", "--no-prefect", "-q"]) == 3
    assert cli_main(["run", "--no-prefect", "-q"]) == 3
    err = capsys.readouterr().err.splitlines()
    assert re.search(r"PubMed does not know the field tag\(s\) \['kneee'\] in the query .*fix the tag", err[0])
    assert re.search(r"PubMed rejected the query: 'Invalid query: unbalanced parentheses'; fix EVIDENCE_QUERY",
                     err[1])
    assert len(server.requests) == 2  # one request each: a rejected query is not retried
    assert sha(db) == before
    assert list((db.parent / "raw").rglob("*.xml.*")) == []
