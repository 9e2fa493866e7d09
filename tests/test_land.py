"""Raw landing: zstd files any zstd reader reads, written atomically and streaming; plain, gzip
and zstd input; empty or damaged input refused; old gzip landings still listed, in order."""

from __future__ import annotations

import datetime as dt
import errno
import gzip
import hashlib
import subprocess
import threading
from pathlib import Path

import pyarrow
import pytest

from conftest import DEV_XML, SNAPSHOT
from evidence import land

ZSTD_MAGIC = bytes.fromhex("28b52ffd")


def zstd_bytes(data: bytes) -> bytes:
    """``data`` as one zstd frame, written by pyarrow (as a user's .zst would be by any tool)."""
    return pyarrow.Codec("zstd", 3).compress(data, asbytes=True)


def unzstd(path: Path) -> bytes:
    data = path.read_bytes()
    assert data[:4] == ZSTD_MAGIC, f"{path.name} does not start with a zstd frame: {data[:4].hex()}"
    return pyarrow.input_stream(pyarrow.py_buffer(data), compression="zstd").read()


def landed_files(raw: Path) -> list[str]:
    """Every file under the raw folder, temporary ones included."""
    return sorted(p.relative_to(raw).as_posix() for p in raw.rglob("*") if p.is_file())


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of 16 KB: the snapshot lands as several zstd frames, cancellation is checked often."""
    monkeypatch.setattr(land, "BLOCK", 16 << 10)


def test_a_body_lands_as_zstd_with_the_size_and_hash_of_the_xml(tmp_path, small_blocks):
    body = SNAPSHOT.read_bytes()
    got = land.land(tmp_path, "run1", 7, body)
    assert got == land.Landed(tmp_path / "run1" / "batch-0007.xml.zst", "run1/batch-0007.xml.zst", "run1", 7,
                              len(body), hashlib.sha256(body).hexdigest())
    assert unzstd(got.path) == body
    assert got.path.read_bytes().count(ZSTD_MAGIC) >= len(body) // (16 << 10)  # one frame per block
    assert landed_files(tmp_path) == ["run1/batch-0007.xml.zst"]  # no temporary file left


def test_the_zstd_command_reads_a_landed_file(tmp_path, small_blocks):
    """What the docs tell a user to do with a raw file: ``zstd -dc FILE | less``."""
    got = land.land_file(tmp_path, "run1", 1, DEV_XML)
    out = subprocess.run(["zstd", "-dc", str(got.path)], capture_output=True, check=True).stdout
    assert out == DEV_XML.read_bytes()


@pytest.mark.parametrize("form", ["plain", "gzip", "zstd"])
def test_a_file_lands_as_zstd_whatever_its_form(form, tmp_path, small_blocks):
    """Plain XML and gzip are compressed to zstd as they are read; a zstd file is copied as it is.
    The form is told by the content, not the name."""
    xml = DEV_XML.read_bytes()
    given = {"plain": xml, "gzip": gzip.compress(xml), "zstd": zstd_bytes(xml)}[form]
    source = tmp_path / "export.xml"  # no suffix says what it is
    source.write_bytes(given)
    got = land.land_file(tmp_path / "raw", "run1", 2, source)
    assert (got.path.name, got.bytes, got.sha256) == ("ingest-0002.xml.zst", len(xml), hashlib.sha256(xml).hexdigest())
    assert unzstd(got.path) == xml
    if form == "zstd":
        assert got.path.read_bytes() == given
    assert landed_files(tmp_path / "raw") == ["run1/ingest-0002.xml.zst"]


# (name, content): what land_file refuses, and the words of its message
REFUSED = [
    ("empty", b"", "the file is empty"),
    ("whitespace", b" \n\t\n", "the file is empty"),
    ("empty zstd", zstd_bytes(b""), "the file is empty"),
    ("empty gzip", gzip.compress(b"\n"), "the file is empty"),
    ("truncated zstd", zstd_bytes(SNAPSHOT.read_bytes())[:5000],
     r"cannot be read as zstd-compressed XML \(Truncated compressed stream\); the file is damaged"),
    ("damaged zstd", (lambda z: z[:9000] + b"x" * 64 + z[9064:])(zstd_bytes(SNAPSHOT.read_bytes())),
     r"cannot be read as zstd-compressed XML \(.*\); the file is damaged — download it again"),
    ("truncated gzip", gzip.compress(SNAPSHOT.read_bytes())[:5000],
     r"cannot be read as gzip-compressed XML \(.*\); the file is damaged or not gzip"),
]


@pytest.mark.parametrize("name,content,message", REFUSED, ids=[r[0] for r in REFUSED])
def test_empty_or_damaged_input_is_refused_naming_the_file_and_nothing_lands(name, content, message, tmp_path):
    source = tmp_path / "export.xml"
    source.write_bytes(content)
    with pytest.raises(land.UnreadableInput, match=message) as caught:
        land.land_file(tmp_path / "raw", "run1", 1, source)
    assert str(caught.value).startswith(f"{source}: ")
    assert landed_files(tmp_path / "raw") == []


class FailingRead:
    """A file whose second read fails as a failing disk's does (EIO)."""

    def __init__(self, path):
        self.fh, self.reads = open(path, "rb"), 0

    def read(self, n):
        self.reads += 1
        if self.reads > 1:
            raise OSError(errno.EIO, "Input/output error")
        return self.fh.read(n)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.fh.close()


def test_a_read_error_on_the_source_names_the_source_and_leaves_nothing(tmp_path, small_blocks, monkeypatch):
    """The user's disk failing is about the user's file, not the raw landing: an UnreadableInput
    (a BadInputError) naming it, with nothing landed."""
    source = tmp_path / "export.xml"
    source.write_bytes(SNAPSHOT.read_bytes())
    monkeypatch.setattr(land, "open_xml", FailingRead)
    with pytest.raises(land.UnreadableInput, match=r"export.xml: cannot be read \(Input/output error\); check the file"):
        land.land_file(tmp_path / "raw", "run1", 1, source)
    assert landed_files(tmp_path / "raw") == []


def test_a_cancelled_landing_stops_after_the_block_it_is_at_and_leaves_nothing(tmp_path, small_blocks, monkeypatch):
    """``cancel`` is checked between blocks: set while the first block is compressed, the landing stops there."""
    source = tmp_path / "export.xml"
    source.write_bytes(SNAPSHOT.read_bytes())
    cancel, blocks = threading.Event(), []
    codec = land._codec()

    class Spy:  # counts the blocks compressed, and asks to stop at the first
        def compress(self, block):
            blocks.append(len(block))
            cancel.set()
            return codec.compress(block)

    monkeypatch.setattr(land, "_codec", Spy)
    with pytest.raises(land.Cancelled):
        land.land_file(tmp_path / "raw", "run1", 1, source, cancel=cancel)
    assert blocks == [16 << 10]
    assert landed_files(tmp_path / "raw") == []


def test_a_zstd_file_cancelled_while_it_is_copied_leaves_nothing(tmp_path, small_blocks, monkeypatch):
    """A zstd file is checked, then copied: ``cancel`` is checked between the blocks of the copy too."""
    source = tmp_path / "export.xml.zst"
    source.write_bytes(zstd_bytes(SNAPSHOT.read_bytes()))
    cancel = threading.Event()
    real = land.open_xml

    class Checked:  # the check read the file to its end: ask to stop now, as the copy begins
        def __init__(self, path):
            self.xml = real(path)

        def read(self, n):
            block = self.xml.read(n)
            if not block:
                cancel.set()
            return block

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.xml.close()

    monkeypatch.setattr(land, "open_xml", Checked)
    with pytest.raises(land.Cancelled):
        land.land_file(tmp_path / "raw", "run1", 1, source, cancel=cancel)
    assert cancel.is_set() and landed_files(tmp_path / "raw") == []


def test_raw_files_lists_zstd_and_older_gzip_landings_by_run_then_batch(tmp_path):
    """Landings written before zstd (.xml.gz) stay readable: listed with the new ones, oldest run
    first, batches in order by number (10000 after 9999), what was fetched again by PMID last;
    temporary and other files are not listed."""
    old = land.new_run_id(dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc))
    new = land.new_run_id(dt.datetime(2025, 1, 2, tzinfo=dt.timezone.utc))
    for name in ("batch-0002.xml.gz", "batch-0001.xml.gz", "refetch-0000.xml.gz", "journal.jsonl"):
        (tmp_path / old / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / old / name).write_bytes(gzip.compress(b"<PubmedArticleSet/>"))
    for batch in (10000, 2, 1, 9999):
        land.land(tmp_path, new, batch, b"<PubmedArticleSet/>")
    land.land(tmp_path, new, 0, b"<PubmedArticleSet/>", kind="refetch")
    (tmp_path / new / ".batch-0003.xml.zst.tmp").write_bytes(b"half")
    (tmp_path / new / "notes.xml").write_bytes(b"<PubmedArticleSet/>")
    assert [land.relative(tmp_path, p) for p in land.raw_files(tmp_path)] == [
        f"{old}/batch-0001.xml.gz", f"{old}/batch-0002.xml.gz", f"{old}/refetch-0000.xml.gz",
        f"{new}/batch-0001.xml.zst", f"{new}/batch-0002.xml.zst", f"{new}/batch-9999.xml.zst",
        f"{new}/batch-10000.xml.zst", f"{new}/refetch-0000.xml.zst"]
    assert [land.batch_number(p) for p in land.raw_files(tmp_path)] == [1, 2, 0, 1, 2, 9999, 10000, 0]


def test_a_landing_is_read_back_to_the_size_and_hash_it_was_landed_with_and_journaled(tmp_path, small_blocks):
    """What recovery checks a landed file by: its XML read back (``read_body``) against the size
    and SHA-256 its run journaled when landing it (``journaled_bodies``; none before they were)."""
    got = land.land(tmp_path, "run1", 1, SNAPSHOT.read_bytes())
    back = land.read_body(got.path)
    assert (back.size, back.sha256) == (got.bytes, got.sha256)
    land.journal(tmp_path, "run0", "fetch", batch=1, records=26, file="run0/batch-0001.xml.gz")  # an older run
    land.journal(tmp_path, "run1", "fetch", batch=1, records=26, file=got.relative, bytes=got.bytes, sha256=got.sha256)
    land.journal(tmp_path, "run1", "load", files=1)
    assert land.journaled_bodies(tmp_path) == {got.relative: land.Body(got.bytes, got.sha256)}
    assert land.journaled_bodies(tmp_path, "run0") == {}
