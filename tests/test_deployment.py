"""The nightly deployment on a real Prefect server, end to end, with the NCBI API key kept secret.

Starts ``prefect server start`` (its own PREFECT_HOME under tmp), then ``evidence serve`` (the
deployment ``nightly/nightly`` on its cron schedule, one run at a time), both as process groups;
triggers runs with ``prefect deployment run nightly/nightly --watch`` as an operator would; checks
the warehouse, the run summary artifact and the logs; then stops everything and checks nothing is
left running. The runs are live-mode runs against a local misbehaving NCBI (see test_faults.py)
with a known API key: one that meets a 503, a short page and a dropped connection and completes,
and one that NCBI refuses with an error quoting the key. Afterwards every file written -- the
warehouse folder, the raw landing, briefs, Prefect's home with its SQLite database, and every
process's captured output -- is searched for the key.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from conftest import REPO
from ncbi_server import Reply
from test_faults import (EMAIL, LEDGER, PASS, check_exactly_once, fault_ledger, flaky, q, reference,  # noqa: F401
                         sha, short_page)
from test_secrets import KEY, files_holding
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Group:
    """A subprocess in its own process group, its output in files; stop() ends the whole group."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], cwd: Path, logs: Path) -> None:
        self.out, self.err = logs / f"{name}.out", logs / f"{name}.err"
        self.proc = subprocess.Popen(args, env=env, cwd=cwd, stdout=self.out.open("wb"), stderr=self.err.open("wb"),
                                     start_new_session=True)
        self.pgid = self.proc.pid

    def text(self) -> str:
        return self.out.read_text(errors="replace") + self.err.read_text(errors="replace")

    def alive(self) -> bool:
        try:
            os.killpg(self.pgid, 0)
            return True
        except ProcessLookupError:
            return False

    def stop(self, grace: float = 20) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.pgid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.pgid, signal.SIGKILL)  # whatever the group still holds (flow run processes)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)
        deadline = time.monotonic() + 10
        while self.alive() and time.monotonic() < deadline:  # killed children take a moment to go
            time.sleep(0.1)


def wait_for(what: str, check, timeout: float, group: Group | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if group is not None and group.proc.poll() is not None:
            pytest.fail(f"{what}: the process exited ({group.proc.returncode}):\n{group.text()[-3000:]}")
        try:
            value = check()
        except httpx.HTTPError:
            value = None
        if value:
            return value
        time.sleep(0.3)
    pytest.fail(f"{what}: not within {timeout} s" + (f":\n{group.text()[-3000:]}" if group else ""))


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "EVIDENCE_", "NCBI_"))}


def test_nightly_deployment_on_a_real_prefect_server(tmp_path, flaky, reference):
    home, logs, work = tmp_path / "prefect-home", tmp_path / "logs", tmp_path / "work"
    for d in (home, logs, work):
        d.mkdir()
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    prefect_env = {**clean_env(), "PREFECT_HOME": str(home), "PREFECT_API_URL": api,
                   "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_UI_ENABLED": "false",
                   "DO_NOT_TRACK": "1"}
    ncbi = flaky(esearch=[Reply(503, headers={"Retry-After": "0"})],
                 efetch=[PASS, short_page(2), Reply(reset=True)])
    db = work / "w" / "evidence.duckdb"
    serve_env = {**prefect_env, "EVIDENCE_DB": str(db), "EVIDENCE_PUBMED": "live", "EVIDENCE_EUTILS_URL": ncbi.url,
                 "NCBI_EMAIL": EMAIL, "NCBI_API_KEY": KEY, "EVIDENCE_BATCH_SIZE": "10",
                 "EVIDENCE_BRIEFS": str(work / "briefs"), "EVIDENCE_DASHBOARD": str(work / "dash" / "index.html"),
                 "EVIDENCE_SCHEDULE": "15 3 * * *", "EVIDENCE_TIMEZONE": "Europe/Madrid",
                 "PYTHONPATH": str(REPO / "src")}
    groups: list[Group] = []
    try:
        server = Group("server", [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                       prefect_env, work, logs)
        groups.append(server)
        wait_for("prefect server healthy", lambda: httpx.get(f"{api}/health", timeout=2).status_code == 200,
                 120, server)

        serve = Group("serve", [sys.executable, "-m", "evidence.cli", "serve"], serve_env, work, logs)
        groups.append(serve)

        def deployment():
            r = httpx.get(f"{api}/deployments/name/nightly/nightly", timeout=5)
            return r.json() if r.status_code == 200 else None
        dep = wait_for("deployment nightly/nightly registered", deployment, 120, serve)
        schedule = dep["schedules"][0]["schedule"]
        assert (schedule["cron"], schedule["timezone"]) == ("15 3 * * *", "Europe/Madrid")
        assert dep["global_concurrency_limit"]["limit"] == 1
        assert dep["parameters"] == {}

        def trigger(name: str) -> subprocess.CompletedProcess:
            done = subprocess.run([str(BIN / "prefect"), "deployment", "run", "nightly/nightly", "--watch",
                                   "--watch-timeout", "180"], env=prefect_env, cwd=work, capture_output=True,
                                  timeout=240)
            (logs / f"{name}.out").write_bytes(done.stdout)
            (logs / f"{name}.err").write_bytes(done.stderr)
            return done

        first = trigger("run-1")
        assert first.returncode == 0, (first.stdout + first.stderr).decode()[-3000:] + serve.text()[-3000:]
        check_exactly_once(db, reference)
        assert {r.params.get("api_key") for r in ncbi.requests} == {KEY}  # the key was really sent
        (status, errors), = q(db, "SELECT status, errors FROM runs")
        assert status == "success" and errors >= 3  # the 503, the short page, the reset
        published = sha(db)

        ncbi.queue("esearch", Reply(400, json.dumps({"error": f"API key {KEY} invalid"})))
        second = trigger("run-2")
        assert second.returncode == 1 and b"Failed" in second.stdout + second.stderr
        assert sha(db) == published  # the failed run left the warehouse as it was

        found = httpx.post(f"{api}/artifacts/filter", json={"artifacts": {"key": {"any_": ["nightly-summary"]}},
                                                            "sort": "CREATED_DESC"}, timeout=10)
        assert found.status_code == 200, found.text
        texts = [a["data"] for a in reversed(found.json())]
        assert len(texts) == 2
        assert "26 new" in texts[0] and "Problems met" in texts[0] and "fewer records" in texts[0]
        assert "## Error" in texts[1] and "NCBI rejected the API key" in texts[1] and "***" in texts[1]
        logged = " ".join(r["message"] for r in httpx.post(f"{api}/logs/filter", json={"limit": 200},
                                                           timeout=10).json())
        assert "retry 1 of 5" in logged  # the library's warnings reach the flow run's log
        LEDGER.add("deployment: 503 + short page + reset, then key refused", ncbi.faults, 1, 0, 0)
    finally:
        for g in reversed(groups):
            g.stop()
    assert not any(g.alive() for g in groups)

    assert files_holding(tmp_path, KEY) == []  # raw files decompressed, the warehouse read table by table
    written = {p.relative_to(tmp_path).parts[0] for p in tmp_path.rglob("*") if p.is_file()}
    assert {"prefect-home", "logs", "work"} <= written
    assert any(p.name == "prefect.db" for p in home.rglob("*"))
