"""Full-text search over titles and abstracts with DuckDB's fts extension (BM25 ranking).

The extension cannot be downloaded here; it ships in the PyPI package ``duckdb-extension-fts``
and is loaded from site-packages by path. The index is built in the staging copy before each
publish, so readers always get an index that matches the rows they see.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import duckdb

from ..errors import WarehouseError
from .db import run_sql


@lru_cache(maxsize=1)
def fts_extension_path() -> Path:
    import duckdb_extension_fts
    base = Path(duckdb_extension_fts.__file__).parent
    found = sorted(base.glob(f"extensions/v{duckdb.__version__}/fts.duckdb_extension"))
    if not found:
        raise WarehouseError(f"the fts extension for DuckDB {duckdb.__version__} is not in {base}; "
                             "install duckdb-extension-fts of the same version as duckdb")
    return found[0]


def load_fts(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"LOAD '{fts_extension_path()}'")


def build_index(con: duckdb.DuckDBPyConnection) -> None:
    load_fts(con)
    run_sql(con, "search/index.sql")
