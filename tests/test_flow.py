"""The Prefect flow, once end to end under Prefect's test harness (its own PREFECT_HOME)."""

from __future__ import annotations

import duckdb

from conftest import SNAPSHOT


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

    import httpx
    from prefect.settings import PREFECT_API_URL

    def artifacts(key: str) -> list[str]:
        found = httpx.post(f"{PREFECT_API_URL.value()}/artifacts/filter",
                           json={"artifacts": {"key": {"any_": [key]}}, "sort": "CREATED_DESC"}, timeout=10)
        assert found.status_code == 200, found.text
        return [a["data"] for a in found.json()]

    summaries = artifacts("nightly-summary")
    assert len(summaries) == 2 and "Nightly run" in summaries[0] and "nothing new" in summaries[0]
    briefs = artifacts("evidence-brief-overview")
    assert briefs and "PMID" in briefs[0]


def test_serve_names_the_deployment_after_the_setting(tmp_path, monkeypatch):
    """A second warehouse (another topic) served on the same Prefect server needs a deployment
    name of its own: ``EVIDENCE_DEPLOYMENT`` gives it; the schedule and limits stay."""
    import os

    from conftest import make_settings
    from evidence.flowfile import load_nightly_module

    module = load_nightly_module()
    served: list[dict] = []
    monkeypatch.setattr(os, "environ", dict(os.environ))  # serve_nightly exports the settings
    monkeypatch.setattr(module.nightly, "serve", lambda **kw: served.append(kw))
    module.serve_nightly(make_settings(tmp_path, deployment="shoulder", schedule="0 4 * * *", timezone="UTC"))
    module.serve_nightly(make_settings(tmp_path, timezone="UTC"))
    assert [(kw["name"], kw["schedule"].cron, kw["limit"]) for kw in served] == [
        ("shoulder", "0 4 * * *", 1), ("nightly", "30 2 * * *", 1)]
    assert os.environ["EVIDENCE_DEPLOYMENT"] == "nightly"
