"""The clinicians' dashboard: one self-contained HTML file built from the warehouse's views.

``write_dashboard(settings)`` reads the published warehouse read-only (a nightly run may be
working beside it) and writes the file atomically; ``dashboard_html(db)`` returns the page text.
The page works opened from disk, with no network: its data is embedded JSON, its charts are SVG
drawn by a small inline script.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from ..errors import WarehouseError
from ..settings import Settings
from ..warehouse.db import connect_readonly
from .data import collect
from .render import render_html

__all__ = ["collect_data", "dashboard_html", "write_dashboard"]
log = logging.getLogger(__name__)


def collect_data(db: str | Path) -> dict[str, Any]:
    """The data the dashboard embeds, read from the warehouse at ``db``."""
    con = connect_readonly(db)
    try:
        return collect(con)
    finally:
        con.close()


def dashboard_html(db: str | Path) -> str:
    """The dashboard page for the warehouse at ``db``: the same warehouse gives the same text."""
    return render_html(collect_data(db))


def write_dashboard(settings: Settings, out: str | Path | None = None) -> Path:
    """Write the dashboard to ``out`` (default ``settings.dashboard``) and return its path."""
    path = Path(out) if out is not None else settings.dashboard
    html = dashboard_html(settings.db)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
                f.write(html)
            os.chmod(tmp, 0o644)  # mkstemp makes it private; the page is for everyone who can read the folder
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise WarehouseError(f"cannot write the dashboard to {str(path)!r}: {exc}; "
                             "give a writable path with --out or EVIDENCE_DASHBOARD") from None
    log.info("dashboard written to %s (%d bytes)", path, len(html.encode("utf-8")))
    return path
