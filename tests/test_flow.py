"""The Prefect flow, once end to end under Prefect's test harness (its own PREFECT_HOME)."""

from __future__ import annotations

import duckdb
import pytest

from conftest import SNAPSHOT


@pytest.fixture(scope="module")
def prefect_harness(tmp_path_factory):
    import os

    home = tmp_path_factory.mktemp("prefect-home")
    os.environ["PREFECT_HOME"] = str(home)
    from prefect.testing.utilities import prefect_test_harness
    with prefect_test_harness(server_startup_timeout=60):
        yield


def test_nightly_flow_end_to_end(prefect_harness, tmp_path, monkeypatch):
    from evidence.flowfile import load_nightly_flow

    for key, value in {"EVIDENCE_DB": tmp_path / "w" / "evidence.duckdb", "EVIDENCE_SNAPSHOT": SNAPSHOT,
                       "EVIDENCE_BRIEFS": tmp_path / "briefs",
                       "EVIDENCE_DASHBOARD": tmp_path / "dash" / "index.html"}.items():
        monkeypatch.setenv(key, str(value))
    monkeypatch.delenv("EVIDENCE_CONFIG", raising=False)
    nightly = load_nightly_flow()
    result = nightly()
    assert result["new"] == 26
    assert (tmp_path / "dash" / "index.html").is_file()
    assert any(p.endswith("overview.md") for p in result["briefs"])
    con = duckdb.connect(str(tmp_path / "w" / "evidence.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 26
        assert con.execute("SELECT count(*) FROM studies").fetchone()[0] == 26
    finally:
        con.close()
    again = nightly()
    assert again["new"] == 0 and "nothing new" in again["summary"]

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["nightly-summary"])))
    assert artifacts and "Nightly run" in artifacts[0].data
