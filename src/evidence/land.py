"""Raw landing: every efetch body (and every ingested file) kept zstd-compressed before it is parsed.

Layout under the raw folder::

    <run_id>/batch-0001.xml.zst     one file per efetch response, written before parsing
    <run_id>/ingest-0001.xml.zst    one file per ingested PubMed XML file
    <run_id>/journal.jsonl          what the run did, one JSON event per line (stage, counts, errors)

Run ids start with the UTC start time, so sorting them sorts runs by time. Files are written to a
temporary name and renamed, so a crash never leaves half a raw file under its final name.

Files are standard zstd (``zstd -dc FILE | less`` reads one): one frame per ``BLOCK`` of XML,
compressed by pyarrow's zstd codec, for a third of the CPU time and disk of the gzip level 1 used
before. Landings written before zstd are ``.xml.gz`` (gzip) and are read as they are: ``raw_files``
lists both, and ``parse.open_xml`` tells them apart by their first bytes. Unlike gzip's CRC-32,
the frames carry no checksum of their content (pyarrow writes none): damage that breaks the zstd
structure or the XML is reported, a flipped bit inside a text may not be. So the size and SHA-256
of each file's XML are kept instead (``Landed``; the journal's ``fetch`` events; the warehouse's
``raw_files`` once loaded), and a rebuild or a recovery that reads a file whose XML no longer
matches refuses it (``RawFileChanged``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import secrets
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Iterator

from .errors import BadInputError
from .parse import Digest, compression, open_xml

SUFFIX = ".xml.zst"  # what land and land_file write
RAW_SUFFIXES = (SUFFIX, ".xml.gz")  # what raw_files lists: .xml.gz was written before zstd
_NAME = re.compile(r"-(\d+)\.xml\.(?:zst|gz)$")
# zstd level of landed files. Landing 606 MB of PubMed XML (100,000 records) on this machine takes
# 1.2 CPU s into 38 MB at level 3, 3.5 s into 116 MB with gzip level 1 (both with the SHA-256,
# ~0.45 s); zstd level 1 saves ~0.1 s but writes 50 MB.
ZSTD_LEVEL = 3
BLOCK = 4 << 20  # bytes read, checked for cancellation and compressed (one zstd frame) at a time


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


@dataclass(frozen=True)
class Body:
    """The size and SHA-256 recorded for a raw file's XML (its uncompressed content)."""

    bytes: int | None
    sha256: str


class RawFileChanged(BadInputError):
    """A raw file's XML is not what was recorded when it was landed or loaded."""


class RawFilesMissing(BadInputError):
    """Raw files the warehouse was loaded from are no longer in the raw folder."""


def check_body(path: Path, got: Digest, want: Body | None) -> None:
    """Raise ``RawFileChanged`` if the XML read from ``path`` (``got``) is not the ``want`` recorded."""
    if want is None or (got.sha256 == want.sha256 and want.bytes in (None, got.size)):
        return
    if path.name.startswith("ingest-"):
        again = "ingest the original file again"
    else:
        again = "run `evidence run --full` to fetch its records from PubMed again"
    recorded = "?" if want.bytes is None else f"{want.bytes:,}"
    raise RawFileChanged(
        f"{path}: the XML in this raw file is not the XML recorded for it when it was landed or loaded "
        f"(now {got.size:,} bytes, SHA-256 {got.sha256[:16]}...; recorded {recorded} bytes, SHA-256 "
        f"{want.sha256[:16]}...): the file was damaged (a disk or copy error) or edited since. Restore it "
        "from a backup of the raw folder and run `evidence rebuild`; without a backup, move it out of the "
        f"raw folder, run `evidence rebuild --forget-missing`, then {again}")


def landed_path(raw_dir: Path, run_id: str, batch: int, kind: str = "batch") -> Path:
    """Where ``land``/``land_file`` put a body: ``raw_dir/run_id/<kind>-<batch>.xml.zst``."""
    return raw_dir / run_id / f"{kind}-{batch:04d}{SUFFIX}"


def batch_number(path: Path) -> int | None:
    """The batch number in a landed file's name (``batch-0007.xml.zst`` or, landed before zstd, ``.xml.gz``)."""
    m = _NAME.search(path.name)
    return int(m.group(1)) if m else None


def _codec() -> Any:
    import pyarrow  # here, not at the top: ~90 ms to import, spent only by commands that land files
    return pyarrow.Codec("zstd", ZSTD_LEVEL)


@contextmanager
def _atomic(final: Path) -> Iterator[IO[bytes]]:
    """A temporary file beside ``final``: flushed, synced and renamed to ``final`` if the block
    succeeds, removed if it fails."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.tmp")
    try:
        with open(tmp, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def land(raw_dir: Path, run_id: str, batch: int, body: bytes, kind: str = "batch") -> Landed:
    """Write one body zstd-compressed under ``raw_dir/run_id/``, atomically."""
    final = landed_path(raw_dir, run_id, batch, kind)
    codec, view = _codec(), memoryview(body)
    with _atomic(final) as fh:
        for i in range(0, len(body), BLOCK):
            fh.write(codec.compress(view[i:i + BLOCK]))
    return Landed(final, f"{run_id}/{final.name}", run_id, batch, len(body), hashlib.sha256(body).hexdigest())


class UnreadableInput(BadInputError):
    """A local file given to ``land_file`` is empty or a damaged gzip or zstd file (the message
    names the file and says which)."""


class Cancelled(Exception):
    """``land_file`` was told to stop (its temporary file is removed)."""


def land_file(raw_dir: Path, run_id: str, batch: int, source: Path, kind: str = "ingest",
              cancel: threading.Event | None = None) -> Landed:
    """Land a local file without holding it in memory, as ``<kind>-<batch>.xml.zst``.

    A zstd file is checked (decompressed to the end) and copied as it is; plain XML and gzip are
    compressed to zstd while they are read (a gzip file is read decompressed anyway, to check it,
    and its zstd copy is smaller and cheaper to read back). ``Landed`` gives the size and SHA-256
    of the uncompressed XML. Raises ``UnreadableInput`` for an empty file (nothing but whitespace),
    a damaged compressed file or one whose reading fails (an OSError writing the copy is left to
    the caller: it is about the raw landing), and ``Cancelled`` soon after ``cancel`` is set (it is checked
    between blocks).
    """
    final = landed_path(raw_dir, run_id, batch, kind)
    with _reading(source):
        copy = compression(source) == "zstd"
        xml = open_xml(source)
    codec = None if copy else _codec()
    digest, content = Digest(), False

    def check() -> None:
        if cancel is not None and cancel.is_set():
            raise Cancelled(str(source))

    with _atomic(final) as fh, xml:
        check()
        for block in _blocks(xml, source):
            digest.update(block)
            content = content or bool(block.strip())
            if codec is not None:
                fh.write(codec.compress(block))
            check()
        if not content:
            raise UnreadableInput(f"{source}: the file is empty; expected a PubMed XML export (PubmedArticleSet)")
        if copy:
            with _reading(source):
                src = open(source, "rb")
            with src:
                for block in _blocks(src, source):
                    check()
                    fh.write(block)
    return Landed(final, f"{run_id}/{final.name}", run_id, batch, digest.size, digest.sha256)


@contextmanager
def _reading(source: Path) -> Iterator[None]:
    """An error reading the user's file is about that file, not the raw landing (an OSError
    writing the landing is, and ``pipeline`` reports it so): UnreadableInput naming it."""
    try:
        yield
    except BadInputError as exc:  # a damaged gzip or zstd file (see parse.open_xml)
        raise UnreadableInput(str(exc)) from None
    except OSError as exc:
        raise UnreadableInput(f"{source}: cannot be read ({exc.strerror or exc}); "
                              "check the file and its permissions, then ingest it again") from None


def _blocks(stream: IO[bytes], source: Path) -> Iterator[bytes]:
    """``stream`` in blocks of ``BLOCK`` bytes; a failing read raises UnreadableInput (``_reading``)."""
    while True:
        with _reading(source):
            block = stream.read(BLOCK)
        if not block:
            return
        yield block


def raw_files(raw_dir: Path) -> list[Path]:
    """Every landed file, zstd or (landed before zstd) gzip: oldest run first, then a run's batches
    in order, by number (``batch-10000`` after ``batch-9999``, though its name sorts before it),
    then what it fetched again by PMID (``refetch-*``)."""
    if not raw_dir.is_dir():
        return []
    return sorted((p for p in raw_dir.glob("*/*.xml.*")
                   if p.name.endswith(RAW_SUFFIXES) and not p.name.startswith(".")),  # not temporary files
                  key=_landing_order)


def _landing_order(path: Path) -> tuple[str, str, int, str]:
    """Run, kind (``batch`` before ``refetch``), batch number, name."""
    kind = path.name.rsplit("-", 1)[0]
    return path.parent.name, kind, batch_number(path) or 0, path.name


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


def journaled_bodies(raw_dir: Path, run_id: str | None = None) -> dict[str, Body]:
    """The size and SHA-256 of every file the journals of ``run_id`` (of every run if None) record
    landing, by path relative to the raw folder (runs from before they were journaled: none)."""
    out: dict[str, Body] = {}
    for rid in [run_id] if run_id is not None else run_ids(raw_dir):
        for event in read_journal(raw_dir, rid):
            if event.get("event") == "fetch" and isinstance(event.get("sha256"), str) and event.get("file"):
                out[event["file"]] = Body(event.get("bytes"), event["sha256"])
    return out


def read_body(path: Path) -> Digest:
    """The size and SHA-256 of a raw file's XML, read on its own (without parsing it)."""
    digest = Digest()
    with open_xml(path) as xml:
        while block := xml.read(BLOCK):
            digest.update(block)
    return digest


def run_ids(raw_dir: Path) -> Iterator[str]:
    if raw_dir.is_dir():
        yield from sorted(p.name for p in raw_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
