"""NCBI_API_KEY never reaches disk, logs or error messages.

Live-mode runs with a known key against a local misbehaving NCBI (a 503, a dropped connection, a
short page; NCBI refusing the key in an error that quotes it; NCBI gone), through the library and
the command line, with every logger at DEBUG (urllib3 logs each request line, query string and
all). Then every file written is searched for the key -- gzip and zstd files decompressed, the DuckDB
warehouse read table by table -- and so are the logs, the output and every error message. The
key must really have been sent, or the test proves nothing. Prefect's own database is checked by
tests/test_deployment.py, which runs the deployment on a real Prefect server with the same key.
"""

from __future__ import annotations

import gzip
import json
import logging
from pathlib import Path

import duckdb
import pyarrow
import pytest

from evidence import pipeline
from evidence.cli import main as cli_main
from evidence.errors import NCBIError
from ncbi_server import Reply
from test_faults import EMAIL, PASS, flaky, live_settings, short_page  # noqa: F401

KEY = "KEY-do-not-leak-1234"


def file_text(path: Path) -> bytes:
    """What a file holds, readable: gzip and zstd decompressed, a DuckDB file dumped table by table."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(data)
        except (OSError, EOFError):
            return data
    if data[:4] == b"\x28\xb5\x2f\xfd":  # the raw landing
        try:
            return pyarrow.input_stream(pyarrow.py_buffer(data), compression="zstd").read()
        except OSError:
            return data
    if path.suffix == ".duckdb":
        con = duckdb.connect(str(path), read_only=True)
        try:
            tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables()").fetchall()
            return data + "".join(str(con.execute(f'SELECT * FROM "{s}"."{t}"').fetchall())
                                  for s, t in tables).encode()
        finally:
            con.close()
    return data


def files_holding(root: Path, secret: str) -> list[str]:
    return [str(p.relative_to(root)) for p in sorted(root.rglob("*"))
            if p.is_file() and secret.encode() in file_text(p)]


def test_api_key_never_reaches_disk_logs_or_errors(flaky, tmp_path, caplog, capsys, monkeypatch):
    caplog.set_level(logging.DEBUG)
    server = flaky(esearch=[Reply(503)], efetch=[Reply(reset=True), PASS, short_page(2)])
    s = live_settings(tmp_path, server.url, ncbi_api_key=KEY, max_retries=2)
    no_wait = {"sleep": lambda seconds: None}
    report = pipeline.nightly(s, client_options=no_wait)
    assert report.status == "success" and report.errors >= 3
    assert {r.params.get("api_key") for r in server.requests} == {KEY}  # the key was really used

    errors: list[BaseException] = []
    server.queue("esearch", Reply(400, json.dumps({"error": f"API key {KEY} invalid"})))
    with pytest.raises(NCBIError, match="NCBI rejected the API key") as refused:
        pipeline.nightly(s, client_options=no_wait)
    errors.append(refused.value)
    server.always = Reply(reset=True)  # NCBI gone: requests' own message carries the URL
    with pytest.raises(NCBIError, match="connection failed") as gone:
        pipeline.nightly(s, client_options=no_wait)
    errors.append(gone.value)
    server.always = None

    for key, value in {"EVIDENCE_DB": s.db, "EVIDENCE_PUBMED": "live", "EVIDENCE_EUTILS_URL": server.url,
                       "NCBI_EMAIL": EMAIL, "NCBI_API_KEY": KEY, "EVIDENCE_BATCH_SIZE": "10"}.items():
        monkeypatch.setenv(key, str(value))
    monkeypatch.delenv("EVIDENCE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    server.queue("esearch", Reply(400, json.dumps({"error": f"API key {KEY} invalid"})))
    assert cli_main(["run", "--no-prefect", "-v"]) == 3
    assert cli_main(["config"]) == 0
    assert cli_main(["run", "--no-prefect", "-v", "--full"]) == 0  # records the failed runs in `runs`
    out = capsys.readouterr()

    con = duckdb.connect(str(s.db), read_only=True)
    try:
        statuses = [r[0] for r in con.execute("SELECT status FROM runs ORDER BY run_id").fetchall()]
    finally:
        con.close()
    assert statuses == ["success", "failed", "failed", "failed", "success"]
    assert "***" in str(refused.value) and "api_key=***" in caplog.text  # redacted, not dropped
    assert "<set>" in out.out  # `evidence config` shows that a key is set, not the key

    texts = {"log": caplog.text, "stdout": out.out, "stderr": out.err, "settings": repr(s)}
    for i, e in enumerate(errors):
        texts[f"error {i}"] = f"{e} {e!r} {getattr(e, 'url', '')} {e.__cause__!r} {e.__context__!r}"
    assert [name for name, text in texts.items() if KEY in text] == []
    assert files_holding(tmp_path, KEY) == []
    assert len(list(tmp_path.rglob("*.xml.zst"))) >= 6 and s.db.is_file()  # the search covered real files
