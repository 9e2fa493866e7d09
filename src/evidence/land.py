"""Raw landing: every efetch body (and every ingested file) kept gzip-compressed before it is parsed.

Layout under the raw folder::

    <run_id>/batch-0001.xml.gz     one file per efetch response, written before parsing
    <run_id>/ingest-0001.xml.gz    one file per ingested PubMed XML file
    <run_id>/journal.jsonl         what the run did, one JSON event per line (stage, counts, errors)

Run ids start with the UTC start time, so sorting them sorts runs by time. Files are written to a
temporary name and renamed, so a crash never leaves half a raw file under its final name.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

RAW_GLOB = "*/*.xml.gz"


def new_run_id(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.timezone.utc)
    return now.strftime("%Y%m%dT%H%M%S%fZ")[:-4] + "Z-" + secrets.token_hex(3)


@dataclass(frozen=True)
class Landed:
    path: Path
    relative: str
    run_id: str
    batch: int
    bytes: int
    sha256: str


def land(raw_dir: Path, run_id: str, batch: int, body: bytes, kind: str = "batch") -> Landed:
    """Write one body gzip-compressed under ``raw_dir/run_id/``, atomically."""
    folder = raw_dir / run_id
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{kind}-{batch:04d}.xml.gz"
    final = folder / name
    tmp = folder / f".{name}.tmp"
    with open(tmp, "wb") as fh:
        with gzip.GzipFile(fileobj=fh, mode="wb", compresslevel=5, mtime=0) as gz:
            gz.write(body)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, final)
    return Landed(final, f"{run_id}/{name}", run_id, batch, len(body), hashlib.sha256(body).hexdigest())


def raw_files(raw_dir: Path) -> list[Path]:
    """Every landed file, oldest run first, batches in order."""
    if not raw_dir.is_dir():
        return []
    return sorted(p for p in raw_dir.glob(RAW_GLOB) if not p.name.startswith("."))


def relative(raw_dir: Path, path: Path) -> str:
    return path.relative_to(raw_dir).as_posix()


def journal(raw_dir: Path, run_id: str, event: str, **data: Any) -> None:
    """Append one event to the run's journal (flushed, so it survives a kill)."""
    folder = raw_dir / run_id
    folder.mkdir(parents=True, exist_ok=True)
    rec = {"at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "event": event, **data}
    with open(folder / "journal.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(rec, default=str) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def read_journal(raw_dir: Path, run_id: str) -> list[dict[str, Any]]:
    path = raw_dir / run_id / "journal.jsonl"
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:  # a line cut short by a kill
            continue
    return out


def run_ids(raw_dir: Path) -> Iterator[str]:
    if raw_dir.is_dir():
        yield from sorted(p.name for p in raw_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
