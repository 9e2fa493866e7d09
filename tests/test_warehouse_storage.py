"""How a run's connection stores the warehouse: row groups of ROW_GROUP_SIZE rows, spills beside the file."""

from __future__ import annotations

from pathlib import Path

from evidence.warehouse.db import ROW_GROUP_SIZE, connect, migrate


def _row_groups(con, table: str) -> list[int]:
    return [n for (n,) in con.execute(
        "SELECT max(count) FROM pragma_storage_info(?) GROUP BY row_group_id ORDER BY row_group_id", [table]).fetchall()]


def test_runs_write_small_row_groups_and_leave_full_ones_alone(tmp_path: Path):
    """Small row groups are read by several threads, and a checkpoint after an append rewrites only the
    last one (with DuckDB's default of 122,880 rows it rewrote every table of up to that many rows)."""
    path = tmp_path / "w.duckdb"
    con = connect(path)
    migrate(con)
    con.execute("INSERT INTO article_versions (pmid, change) SELECT range::VARCHAR, 'new' FROM range(?)",
                [2 * ROW_GROUP_SIZE + 5])
    con.execute("CHECKPOINT")
    assert _row_groups(con, "article_versions") == [ROW_GROUP_SIZE, ROW_GROUP_SIZE, 5]
    blocks = con.execute("SELECT row_group_id, block_id FROM pragma_storage_info('article_versions') "
                         "WHERE row_group_id < 2 ORDER BY ALL").fetchall()
    con.execute("INSERT INTO article_versions (pmid, change) VALUES ('x', 'new')")
    con.execute("CHECKPOINT")
    assert _row_groups(con, "article_versions") == [ROW_GROUP_SIZE, ROW_GROUP_SIZE, 6]
    assert con.execute("SELECT row_group_id, block_id FROM pragma_storage_info('article_versions') "
                       "WHERE row_group_id < 2 ORDER BY ALL").fetchall() == blocks  # not rewritten
    assert con.execute("SELECT current_setting('temp_directory')").fetchone()[0] == f"{path}.tmp"
    con.close()
