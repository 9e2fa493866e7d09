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
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

RAW_GLOB = "*/*.xml.gz"
# gzip level of landed files: level 1 writes ~115 MB/s of PubMed XML on this machine, level 5 ~65
# (a 100,000-record ingest is ~600 MB); the files are ~19% instead of ~15% of the XML.
COMPRESSLEVEL = 1
BLOCK = 4 << 20


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


def landed_path(raw_dir: Path, run_id: str, batch: int, kind: str = "batch") -> Path:
    """Where ``land``/``land_file`` put a body: ``raw_dir/run_id/<kind>-<batch>.xml.gz``."""
    return raw_dir / run_id / f"{kind}-{batch:04d}.xml.gz"


def land(raw_dir: Path, run_id: str, batch: int, body: bytes, kind: str = "batch") -> Landed:
    """Write one body gzip-compressed under ``raw_dir/run_id/``, atomically."""
    final = landed_path(raw_dir, run_id, batch, kind)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.tmp")
    with open(tmp, "wb") as fh:
        with gzip.GzipFile(fileobj=fh, mode="wb", compresslevel=COMPRESSLEVEL, mtime=0) as gz:
            gz.write(body)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, final)
    return Landed(final, f"{run_id}/{final.name}", run_id, batch, len(body), hashlib.sha256(body).hexdigest())


class UnreadableInput(ValueError):
    """A local file given to ``land_file`` is empty or a damaged gzip file (the message says which)."""


class Cancelled(Exception):
    """``land_file`` was told to stop (its temporary file is removed)."""


def land_file(raw_dir: Path, run_id: str, batch: int, source: Path, kind: str = "ingest",
              cancel: threading.Event | None = None) -> Landed:
    """Land a local file without holding it in memory: a gzip file is checked (decompressed to
    the end) and copied as it is, anything else is gzip-compressed while it is read. Raises
    ``UnreadableInput`` for an empty file (nothing but whitespace) or a damaged gzip file, and
    ``Cancelled`` soon after ``cancel`` is set (it is checked between blocks)."""
    final = landed_path(raw_dir, run_id, batch, kind)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.tmp")
    digest, size, content = hashlib.sha256(), 0, False

    def check() -> None:
        if cancel is not None and cancel.is_set():
            raise Cancelled(str(source))

    try:
        with open(source, "rb") as src, open(tmp, "wb") as fh:
            is_gzip = src.read(2) == b"\x1f\x8b"
            src.seek(0)
            if is_gzip:
                try:
                    with gzip.GzipFile(fileobj=src, mode="rb") as gz:
                        while block := gz.read(BLOCK):
                            check()
                            digest.update(block)
                            size += len(block)
                            content = content or bool(block.strip())
                except (EOFError, OSError, zlib.error) as exc:
                    raise UnreadableInput(f"the gzip file is damaged or cut short ({exc}); download it again") \
                        from None
                src.seek(0)
                while block := src.read(BLOCK):
                    fh.write(block)
            else:
                with gzip.GzipFile(fileobj=fh, mode="wb", compresslevel=COMPRESSLEVEL, mtime=0) as gz:
                    while block := src.read(BLOCK):
                        check()
                        digest.update(block)
                        size += len(block)
                        content = content or bool(block.strip())
                        gz.write(block)
            if not content:
                raise UnreadableInput("the file is empty; expected a PubMed XML export (PubmedArticleSet)")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return Landed(final, f"{run_id}/{final.name}", run_id, batch, size, digest.hexdigest())


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
