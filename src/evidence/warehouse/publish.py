"""Publishing: readers never block a run and never see half of one.

A run works on a private staging copy (``.<name>.staging`` beside the warehouse), then swaps it
in with one ``os.replace``. A clinician holding the published file open keeps reading the old
file (same inode) until they reconnect; nobody ever opens the staging file but the run. A lock
file (``<name>.lock``, flock) lets one run at a time work on a warehouse.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import json
import logging
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import duckdb

from ..errors import RunLockedError, WarehouseError
from .db import connect, migrate

log = logging.getLogger(__name__)


def staging_path(db: Path) -> Path:
    return db.parent / f".{db.name}.staging"


def lock_path(db: Path) -> Path:
    return db.parent / f"{db.name}.lock"


def _explain_os_error(exc: OSError, db: Path, action: str) -> WarehouseError:
    hint = {
        errno.ENOSPC: "the disk is full; free some space and run again",
        errno.EACCES: "permission denied; make the folder writable or set EVIDENCE_DB to a writable path",
        errno.EROFS: "the file system is read-only; set EVIDENCE_DB to a writable path",
        errno.ENOENT: "the folder does not exist and cannot be created; check EVIDENCE_DB",
    }.get(exc.errno or 0, "check the path and free space, then run again")
    return WarehouseError(f"cannot {action} {str(db)!r}: {exc.strerror or exc}; {hint}. "
                          "The published warehouse was left as it was.")


@contextmanager
def run_lock(db: Path, *, wait: float = 0.0) -> Iterator[None]:
    """Hold the warehouse's run lock, or raise RunLockedError naming who holds it."""
    import time
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
        fh = open(lock_path(db), "a+")
    except OSError as exc:
        raise _explain_os_error(exc, db, "create the lock file beside") from None
    deadline = time.monotonic() + wait
    try:
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    fh.seek(0)
                    holder = fh.read().strip() or "another process"
                    raise RunLockedError(
                        f"another run is working on {str(db)!r} ({holder}); wait for it to finish "
                        "(`evidence status` shows runs) — only one run at a time may change a warehouse") from None
                time.sleep(0.2)
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps({"pid": os.getpid(),
                             "since": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}))
        fh.flush()
        yield
    finally:
        try:
            fcntl.flock(fh, fcntl.LOCK_UN)
        finally:
            fh.close()


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def settle_wal(db: Path) -> None:
    """Fold a leftover write-ahead log into the published file before copying it.

    A ``.wal`` beside the warehouse means someone opened it read-write and did not close it
    cleanly. Copying only the main file would lose those changes, and after the swap DuckDB would
    replay that old log onto the new file. So checkpoint it first — which needs the file free.
    """
    wal = Path(f"{db}.wal")
    if not wal.exists() or not db.exists():
        return
    try:
        con = duckdb.connect(str(db))
        con.execute("CHECKPOINT")
        con.close()
    except duckdb.Error as exc:
        raise WarehouseError(
            f"{str(db)!r} has unsaved changes from a read-write session ({wal.name}) and cannot be settled "
            f"now ({exc}); close any session that opened it without -readonly and run again. "
            "Clinicians should always open the warehouse read-only.") from None
    if wal.exists():  # pragma: no cover - DuckDB removes it after a checkpoint
        raise WarehouseError(f"{str(wal)!r} is still there after a checkpoint; move it away and run again")


@dataclass
class Staged:
    """The run's private copy of the warehouse, and how to publish it."""

    db: Path
    path: Path
    con: duckdb.DuckDBPyConnection
    published: bool = False


@contextmanager
def stage(db: Path, *, fresh: bool = False, before_publish: Callable[[duckdb.DuckDBPyConnection], None] | None = None
          ) -> Iterator[Staged]:
    """Copy the published warehouse to a staging file, yield a read-write connection to it, and
    on a clean exit swap it in atomically. On any error the staging file is removed and the
    published warehouse is untouched. Call inside ``run_lock``.
    """
    staging = staging_path(db)
    for stale in (staging, Path(f"{staging}.wal")):
        stale.unlink(missing_ok=True)
    if not fresh:
        settle_wal(db)
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
        if db.exists() and not fresh:
            shutil.copyfile(db, staging)
    except OSError as exc:
        staging.unlink(missing_ok=True)
        raise _explain_os_error(exc, db, "copy the warehouse beside") from None
    try:
        con = connect(staging)
    except WarehouseError:
        staging.unlink(missing_ok=True)
        raise
    staged = Staged(db, staging, con)
    action = "write the staging copy of"  # what failed, for the message: the work, or the swap
    try:
        migrate(con)
        yield staged
        if before_publish is not None:
            before_publish(con)
        action = "publish"
        con.execute("CHECKPOINT")
        con.close()
        fd = os.open(staging, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(staging, db)
        _fsync_dir(db.parent)
        staged.published = True
        log.info("published %s", db)
    except OSError as exc:
        raise _explain_os_error(exc, db, action) from None
    except duckdb.IOException as exc:
        raise WarehouseError(f"cannot write the staging copy of {str(db)!r}: {exc}; check free space and "
                             "permissions. The published warehouse was left as it was.") from None
    finally:
        try:
            con.close()
        except duckdb.Error:
            pass
        if not staged.published:
            for leftover in (staging, Path(f"{staging}.wal")):
                leftover.unlink(missing_ok=True)
