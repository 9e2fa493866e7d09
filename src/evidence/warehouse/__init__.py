"""The warehouse layer: the only code that talks to DuckDB."""

from .db import connect, connect_readonly, migrate, sql_dir, sql_file
from .load import LoadCounts, load_frames, mark_deleted
from .publish import Staged, run_lock, stage

__all__ = ["LoadCounts", "Staged", "connect", "connect_readonly", "load_frames", "mark_deleted", "migrate",
           "run_lock", "sql_dir", "sql_file", "stage"]
