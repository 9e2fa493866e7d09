"""Full-text search over titles and abstracts with DuckDB's fts extension (BM25 ranking).

The extension cannot be downloaded here; it ships in the PyPI package ``duckdb-extension-fts``
and is loaded from site-packages by path. The index is built in the staging copy before each
publish, so readers always get an index that matches the rows they see. The SQL lives in
``warehouse/search/``: ``index.sql`` (the indexed text and the index), ``macros.sql``
(``search_articles(q)``, what clinicians call).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import duckdb

from ..errors import WarehouseError
from .db import run_sql, sql_dir, sql_file

INDEX_SQL = "search/index.sql"


@lru_cache(maxsize=1)
def fts_extension_path() -> Path:
    """Path of the fts extension file matching the installed DuckDB (from duckdb-extension-fts)."""
    try:
        import duckdb_extension_fts
    except ImportError:
        raise WarehouseError("full-text search needs the package duckdb-extension-fts "
                             f"(same version as duckdb, {duckdb.__version__}); install it with "
                             f"`pip install duckdb-extension-fts=={duckdb.__version__}`") from None
    base = Path(duckdb_extension_fts.__file__).parent
    found = sorted(base.glob(f"extensions/v{duckdb.__version__}/fts.duckdb_extension"))
    if not found:
        raise WarehouseError(f"the fts extension for DuckDB {duckdb.__version__} is not in {base}; "
                             "install duckdb-extension-fts of the same version as duckdb")
    return found[0]


def load_fts(con: duckdb.DuckDBPyConnection) -> None:
    """Load fts by path; never let DuckDB try to download it (there may be no network)."""
    con.execute("SET autoinstall_known_extensions = false")
    con.execute(f"LOAD '{fts_extension_path()}'")


def search_files() -> list[str]:
    return sorted(f"search/{p.name}" for p in (sql_dir() / "search").glob("*.sql"))


def index_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """What the index was built from: the indexed rows (count and order-free hashes of pmid, title
    and abstract of current articles), the index SQL and the DuckDB version."""
    n, x, total = con.execute(
        "SELECT count(*), bit_xor(h), sum(h) FROM (SELECT hash(pmid, coalesce(title, ''), coalesce(abstract, '')) AS h "
        "FROM articles WHERE NOT is_deleted)").fetchone()
    sql = hashlib.sha256("\0".join(sql_file(f) for f in search_files()).encode()).hexdigest()[:16]
    return f"{n}:{x}:{total}:{sql}:{duckdb.__version__}"


def _index_exists(con: duckdb.DuckDBPyConnection) -> bool:
    return con.execute("SELECT count(*) FROM duckdb_tables() WHERE (schema_name, table_name) IN "
                       "(('main', 'search_documents'), ('fts_main_search_documents', 'terms'))").fetchone()[0] == 2


def build_index(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)build the index and the search macro; called in the staging copy before every publish.

    The index is only rebuilt when the titles or abstracts it covers changed since it was built
    (its fingerprint is kept in ``schema_info`` under ``search_index``): a run with nothing new,
    or one that changed only other fields, keeps the index it has.
    """
    load_fts(con)
    fingerprint = index_fingerprint(con)
    row = con.execute("SELECT value FROM schema_info WHERE key = 'search_index'").fetchone()
    for relative in search_files():
        if relative == INDEX_SQL and row and row[0] == fingerprint and _index_exists(con):
            continue
        run_sql(con, relative)
    con.execute("INSERT OR REPLACE INTO schema_info VALUES ('search_index', ?)", [fingerprint])
