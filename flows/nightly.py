"""The nightly flow: search → fetch → land → parse → extract → load → publish → briefs → dashboard.

Thin wiring of library calls (evidence.pipeline) into Prefect tasks. HTTP retries live in the
E-utilities client only (with backoff that honours Retry-After), so the search and fetch tasks
are not retried by Prefect as well; the brief and dashboard tasks, which only read the published
warehouse, are retried once. Settings are read here, at the edge, and never passed as flow
parameters, so the NCBI API key never reaches Prefect's database.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from evidence import pipeline
from evidence.fetch import open_client
from evidence.settings import Settings, load_settings


@task(name="recover", cache_policy=NO_CACHE)
def recover_task(run: pipeline.Run) -> pipeline.LoadCounts:
    return pipeline.recover(run)


@task(name="search", cache_policy=NO_CACHE)
def search_task(run: pipeline.Run, client: Any, full: bool, since: dt.date | None) -> Any:
    return pipeline.search(run, client, full=full, since=since)


@task(name="fetch-and-land", cache_policy=NO_CACHE)
def fetch_task(run: pipeline.Run, client: Any, result: Any) -> list[Path]:
    return [x.path for x in pipeline.fetch(run, client, result)]


@task(name="parse-extract-load", cache_policy=NO_CACHE)
def load_task(run: pipeline.Run, paths: list[Path]) -> pipeline.LoadCounts:
    return pipeline.load_files(run, paths)


@task(name="briefs", cache_policy=NO_CACHE, retries=1)
def brief_task(settings: Settings) -> list[str]:
    from evidence.brief import write_briefs
    return [str(p) for p in write_briefs(settings, progress=get_run_logger().info)]


@task(name="dashboard", cache_policy=NO_CACHE, retries=1)
def dashboard_task(settings: Settings) -> str:
    from evidence.dashboard import write_dashboard
    return str(write_dashboard(settings))


def summary_markdown(report: pipeline.RunReport, briefs: list[str], dashboard: str | None) -> str:
    lines = [f"# Nightly run {report.run_id}", "", f"**{report.summary()}**", "",
             "| | |", "|---|---|"]
    for key in ("status", "mode", "window_start", "window_end", "searched", "fetched", "new", "updated",
                "unchanged", "deleted", "requests", "errors", "extractor_version"):
        lines.append(f"| {key} | {getattr(report, key)} |")
    if report.new_pmids:
        lines += ["", "New articles: " + ", ".join(
            f"[{p}](https://pubmed.ncbi.nlm.nih.gov/{p}/)" for p in report.new_pmids[:50])]
    if briefs:
        lines += ["", "Briefs: " + ", ".join(f"`{b}`" for b in briefs)]
    if dashboard:
        lines += ["", f"Dashboard: `{dashboard}`"]
    return "\n".join(lines)


@flow(name="nightly", log_prints=False)
def nightly(full: bool = False, since: str | None = None) -> dict[str, Any]:
    """Fetch what changed in PubMed, load it, publish the warehouse, write briefs and the dashboard."""
    settings = load_settings()
    logger = get_run_logger()
    since_date = dt.date.fromisoformat(since) if since else None
    with pipeline.Run(settings, "run", progress=logger.info) as run:
        pipeline.apply_counts(run.report, recover_task(run))
        with open_client(settings) as client:
            result = search_task(run, client, full, since_date)
            paths = fetch_task(run, client, result) if result.count else []
        pipeline.apply_counts(run.report, load_task(run, paths))
        run.journal("publish")
    report = run.report
    logger.info(report.summary())
    briefs = brief_task(settings)
    dashboard = dashboard_task(settings)
    create_markdown_artifact(key="nightly-summary", markdown=summary_markdown(report, briefs, dashboard),
                             description="What the nightly run did")
    return {"summary": report.summary(), "run_id": report.run_id, "new": report.new, "updated": report.updated,
            "deleted": report.deleted, "briefs": briefs, "dashboard": dashboard}


if __name__ == "__main__":
    nightly()
