"""Shared fixtures: paths to ../shared (read in place), settings on temporary warehouses,
one warehouse built from the offline snapshot and one Prefect test harness per test session
(per xdist worker)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from evidence.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SNAPSHOT = SHARED / "corpus" / "snapshot" / "pubmed.xml"
DEV_XML = SHARED / "corpus" / "dev" / "pubmed.xml"
DEV_GOLD = SHARED / "corpus" / "dev" / "gold.jsonl"
FIXTURES = SHARED / "fixtures" / "ncbi"
SCORER = SHARED / "tools" / "score_extraction.py"


def q(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of a query on a warehouse file, opened read-only and closed again."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_scorer():
    """The project's extraction scorer (../shared/tools/score_extraction.py), imported in place."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("score_extraction", SCORER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_settings(tmp: Path, **overrides) -> Settings:
    """Settings for a warehouse under ``tmp``, ignoring the developer's environment and evidence.toml."""
    base = {"db": tmp / "evidence.duckdb", "snapshot": SNAPSHOT, "briefs": tmp / "briefs",
            "dashboard": tmp / "dashboards" / "index.html"}
    base.update(overrides)
    return load_settings(env={}, config=None, **base) if not (tmp / "evidence.toml").exists() else \
        load_settings(env={}, config=tmp / "evidence.toml", **base)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture(scope="session")
def snapshot_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A warehouse holding the offline snapshot, loaded once; tests must only read it."""
    from evidence.pipeline import ingest

    s = make_settings(tmp_path_factory.mktemp("snapshot"))
    ingest(s, [SNAPSHOT])
    return s


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory: pytest.TempPathFactory):
    """Prefect's temporary local server, once per test session (per xdist worker), with its own
    PREFECT_HOME; for the few tests that run a real flow (most test the plain library functions)."""
    import os

    os.environ["PREFECT_HOME"] = str(tmp_path_factory.mktemp("prefect-home"))
    from prefect.testing.utilities import prefect_test_harness
    with prefect_test_harness(server_startup_timeout=60):
        yield
