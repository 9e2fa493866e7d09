"""`evidence status`: where the warehouse is, what it holds, and the last runs."""

from __future__ import annotations

from ..settings import Settings
from .db import connect_readonly


def status_text(settings: Settings, limit: int = 10) -> str:
    db = settings.db
    lines = [f"warehouse: {db.resolve()}", f"raw landing: {settings.raw_dir.resolve()}"]
    if not db.is_file():
        return "\n".join(lines + ["no warehouse yet: run `evidence run` (or `make demo`)"])
    con = connect_readonly(db)
    try:
        n = dict(con.execute(
            "SELECT 'articles', count(*) FILTER (WHERE NOT is_deleted) FROM articles UNION ALL "
            "SELECT 'deleted', count(*) FILTER (WHERE is_deleted) FROM articles UNION ALL "
            "SELECT 'retracted', count(*) FILTER (WHERE is_retracted) FROM articles UNION ALL "
            "SELECT 'studies', count(*) FROM studies UNION ALL "
            "SELECT 'relevant', count(*) FILTER (WHERE relevant) FROM studies").fetchall())
        lines.append(f"articles: {n['articles']} ({n['deleted']} deleted, {n['retracted']} retracted); "
                     f"studies: {n['studies']} ({n['relevant']} relevant)")
        runs = con.execute(
            "SELECT run_id, kind, status, coalesce(mode, ''), coalesce(new, 0), coalesce(updated, 0), "
            "coalesce(deleted, 0), coalesce(last_stage, ''), coalesce(message, '') "
            "FROM runs ORDER BY run_id DESC LIMIT ?", [limit]).fetchall()
    finally:
        con.close()
    lines.append("last runs:" if runs else "no runs recorded yet")
    for r in runs:
        lines.append(f"  {r[0]}  {r[1]:8s} {r[2]:11s} {r[3]:7s} new {r[4]:>5}  updated {r[5]:>5}  "
                     f"deleted {r[6]:>4}  {r[8] if r[2] != 'success' else ''}".rstrip())
    return "\n".join(lines)
