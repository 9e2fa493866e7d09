"""The nightly flow: search → fetch → land → parse → extract → load → publish → briefs → dashboard.

Thin wiring of library calls (evidence.pipeline) into Prefect tasks. HTTP retries live in the
E-utilities client only (with backoff that honours Retry-After), so the search and fetch tasks
are not retried by Prefect as well; the brief and dashboard tasks, which only read the published
warehouse, are retried once. Settings are read here, at the edge, and never passed as flow
parameters, so the NCBI API key never reaches Prefect's database.

``serve_nightly`` serves the flow as the deployment ``nightly/<deployment setting>`` (default
``nightly/nightly``) on the configured cron schedule and time zone, one run at a time
(``evidence serve`` calls it; see docs/operations.md).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from evidence import pipeline
from evidence.fetch import open_client
from evidence.land import Landed
from evidence.settings import SETTINGS, Settings, load_settings, local_timezone


@task(name="recover", cache_policy=NO_CACHE)
def recover_task(run: pipeline.Run) -> pipeline.LoadCounts:
    return pipeline.recover(run)


@task(name="search", cache_policy=NO_CACHE)
def search_task(run: pipeline.Run, client: Any, full: bool, since: dt.date | None) -> Any:
    return pipeline.search(run, client, full=full, since=since)


@task(name="fetch-and-land", cache_policy=NO_CACHE)
def fetch_task(run: pipeline.Run, client: Any, result: Any) -> list[Landed]:
    return pipeline.fetch(run, client, result)


@task(name="parse-extract-load", cache_policy=NO_CACHE)
def load_task(run: pipeline.Run, landed: list[Landed]) -> pipeline.LoadCounts:
    return pipeline.load_landed(run, landed)


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
    for key in ("status", "mode", "last_stage", "window_start", "window_end", "searched", "fetched", "new",
                "updated", "unchanged", "deleted", "requests", "errors", "extractor_version"):
        lines.append(f"| {key} | {getattr(report, key)} |")
    if report.status == "failed":
        lines += ["", "## Error", "", f"The run failed at **{report.last_stage}**; the published warehouse "
                  "was left as it was, and the next run loads whatever this one had landed.", "",
                  "```", report.message, "```"]
    if report.problems:
        lines += ["", f"## Problems met ({report.errors})", ""]
        lines += [f"- {p}" for p in report.problems]
    if report.recovered_runs:
        lines += ["", "Loaded what interrupted run(s) had landed: " + ", ".join(report.recovered_runs)]
    if report.new_pmids:
        lines += ["", "New articles: " + ", ".join(
            f"[{p}](https://pubmed.ncbi.nlm.nih.gov/{p}/)" for p in report.new_pmids[:50])]
    if briefs:
        lines += ["", "Briefs: " + ", ".join(f"`{b}`" for b in briefs)]
    if dashboard:
        lines += ["", f"Dashboard: `{dashboard}`"]
    return "\n".join(lines)


@contextmanager
def library_logs_to_prefect() -> Iterator[None]:
    """Send the library's warnings (retries, refetches) to the flow run's log in the Prefect UI,
    as PREFECT_LOGGING_EXTRA_LOGGERS=evidence would."""
    target = logging.getLogger("evidence")
    added = [h for h in logging.getLogger("prefect.extra").handlers if h not in target.handlers]
    for handler in added:
        target.addHandler(handler)
    try:
        yield
    finally:
        for handler in added:
            target.removeHandler(handler)


@flow(name="nightly", log_prints=False)
def nightly(full: bool = False, since: str | None = None) -> dict[str, Any]:
    """Fetch what changed in PubMed, load it, publish the warehouse, write briefs and the dashboard."""
    settings = load_settings()
    logger = get_run_logger()
    since_date = dt.date.fromisoformat(since) if since else None
    pipeline.preflight(settings)
    run = pipeline.Run(settings, "run", progress=logger.info)
    with library_logs_to_prefect():
        try:
            with run:
                pipeline.apply_counts(run.report, recover_task(run))
                with open_client(settings) as client:
                    result = search_task(run, client, full, since_date)
                    landed = fetch_task(run, client, result) if result.count else []
                pipeline.apply_counts(run.report, load_task(run, landed))
                run.journal("publish")
        except Exception as exc:
            report = run.report
            if report.status != "failed":  # refused before it started (e.g. another run holds the lock)
                report.status, report.message = "failed", str(exc)
            logger.error(report.summary())
            create_markdown_artifact(key="nightly-summary", markdown=summary_markdown(report, [], None),
                                     description="What the nightly run did (it failed)")
            raise
    report = run.report
    logger.info(report.summary())
    briefs = brief_task(settings)
    dashboard = dashboard_task(settings)
    create_markdown_artifact(key="nightly-summary", markdown=summary_markdown(report, briefs, dashboard),
                             description="What the nightly run did")
    from evidence.brief import overview_markdown
    create_markdown_artifact(key="evidence-brief-overview", markdown=overview_markdown(settings),
                             description="The overview evidence brief for the blog writers")
    return {"summary": report.summary(), "run_id": report.run_id, "new": report.new, "updated": report.updated,
            "deleted": report.deleted, "errors": report.errors, "briefs": briefs, "dashboard": dashboard}


def settings_environment(settings: Settings) -> dict[str, str]:
    """The settings as the environment variables that give them back, paths made absolute, so a
    flow run started by the serve process (in another process, maybe another folder) loads the
    very settings `evidence serve` was started with."""
    env: dict[str, str] = {}
    for s in SETTINGS:
        value = getattr(settings, s.key)
        if value is None or value == "":
            continue
        env[s.env] = str(Path(value).resolve()) if isinstance(value, Path) else str(value)
    return env


def serve_nightly(settings: Settings | None = None) -> None:
    """Serve the flow as deployment ``nightly/<settings.deployment>`` until stopped (Ctrl-C / SIGTERM).

    The cron schedule and time zone come from the settings (``schedule``, ``timezone``, default the
    machine's zone). At most one run at a time: the deployment's concurrency limit is 1 and this
    process runs one flow run at a time; a run triggered while one is going waits its turn.
    """
    from prefect.schedules import Cron

    settings = settings or load_settings()
    os.environ.update(settings_environment(settings))
    module = sys.modules.get(__name__)
    if module is not None and __name__ != "__main__":
        # Served runs start in a fresh process that gets the flow by value: this file is loaded by
        # path (evidence.flowfile), not importable by name there.
        import cloudpickle
        cloudpickle.register_pickle_by_value(module)
    nightly.serve(
        name=settings.deployment,
        schedule=Cron(settings.schedule, timezone=settings.timezone or local_timezone()),
        global_limit=1,
        limit=1,
        description="Nightly PubMed update of the evidence warehouse, then briefs and dashboard",
        tags=["evidence"],
    )


if __name__ == "__main__":
    if sys.argv[1:] == ["serve"]:
        serve_nightly()
    else:
        nightly()
