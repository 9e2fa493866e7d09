"""Read-only questions to the published warehouse: study export, search, SQL, schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

from .db import connect_readonly


def iter_study_records(db: Path, *, relevant_only: bool = False) -> Iterator[dict[str, Any]]:
    """One dict per article: pmid and the study fields (the `evidence studies --format jsonl` contract)."""
    import polars as pl

    from ..extract import FIELDS
    from ..extract.export import export_records
    con = connect_readonly(db)
    try:
        cols = ", ".join(["pmid", "extractor_version", *FIELDS])
        where = "WHERE relevant" if relevant_only else ""
        frame = con.execute(f"SELECT {cols} FROM studies {where} ORDER BY pmid").pl()
    finally:
        con.close()
    yield from export_records(frame)
