"""Study rows as plain JSON-ready dicts: ``{"pmid": ..., <the 18 fields>}``."""

from __future__ import annotations

from typing import Any

import polars as pl

from . import FIELDS


def _plain(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def export_records(studies: pl.DataFrame) -> list[dict[str, Any]]:
    """One dict per row: pmid and the value of every field (unknown as None, lists as lists)."""
    rows = studies.select("pmid", *FIELDS).to_dicts()
    return [{k: ([_plain(x) for x in v] if isinstance(v, list) else _plain(v)) for k, v in row.items()} for row in rows]
