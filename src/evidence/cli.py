"""`evidence`: a thin command-line shell over the library. Every command is a library call.

Exit codes: 0 success; 1 error; 2 bad configuration or usage; 3 NCBI error; 4 bad input file;
5 warehouse error; 6 another run holds the warehouse; 130 interrupted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from pathlib import Path
from typing import Callable, Sequence

from .errors import ConfigError, EvidenceError
from .settings import Settings, load_settings, settings_table


def _progress(quiet: bool) -> Callable[[str], None]:
    if quiet:
        return lambda msg: None
    return lambda msg: print(f"evidence: {msg}", file=sys.stderr, flush=True)


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date; use YYYY-MM-DD, e.g. 2026-01-31") from None


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(config=getattr(args, "config", None), db=getattr(args, "db", None))


# ------------------------------------------------------------------ commands


def cmd_run(args: argparse.Namespace) -> int:
    s = _settings(args)
    if args.no_prefect:
        from .pipeline import nightly
        report = nightly(s, full=args.full, since=args.since, progress=_progress(args.quiet))
        print(report.summary())
        return 0
    import os

    # Prefect's temporary server sends usage telemetry; offline that only prints tracebacks.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from .flowfile import load_nightly_flow
    flow = load_nightly_flow()
    result = flow(full=args.full, since=args.since.isoformat() if args.since else None)
    print(result["summary"])
    if result.get("briefs"):
        print(f"briefs: {len(result['briefs'])} files in {Path(result['briefs'][0]).parent}")
    if result.get("dashboard"):
        print(f"dashboard: {result['dashboard']}")
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from .pipeline import ingest
    report = ingest(_settings(args), [Path(f) for f in args.files], progress=_progress(args.quiet))
    print(report.summary())
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    from .pipeline import rebuild
    report = rebuild(_settings(args), progress=_progress(args.quiet), forget_missing=args.forget_missing)
    print(report.summary())
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from .warehouse.status import status_text
    print(status_text(_settings(args), limit=args.runs))
    return 0


def cmd_studies(args: argparse.Namespace) -> int:
    from .warehouse.query import iter_study_records
    for rec in iter_study_records(_settings(args).db, relevant_only=args.relevant):
        print(json.dumps(rec, ensure_ascii=False))
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from .errors import WarehouseError
    from .warehouse.query import schema_text
    db = None if args.from_sql else _settings(args).db
    if db is not None and not db.is_file():
        raise WarehouseError(f"no warehouse at {str(db)!r}; describe the schema from the SQL files with "
                             "`evidence schema --from-sql`, or point --db / EVIDENCE_DB at a warehouse")
    print(schema_text(db, fmt=args.format))
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from .warehouse.query import search, format_hits
    print(format_hits(search(_settings(args).db, args.text, limit=args.limit), fmt=args.format))
    return 0


def cmd_sql(args: argparse.Namespace) -> int:
    from .warehouse.query import run_readonly, format_table
    if (args.query is None) == (args.file is None):
        raise ConfigError('give the SQL either as an argument or with --file, e.g. '
                          'evidence sql "SELECT * FROM rcts LIMIT 5" or evidence sql --file warehouse/queries/ongoing.sql')
    if args.file is not None:
        try:
            sql = Path(args.file).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read the SQL file {args.file!r}: {exc.strerror or exc}") from None
    else:
        sql = args.query
    columns, rows = run_readonly(_settings(args).db, sql)
    print(format_table(columns, rows, fmt=args.format))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from .warehouse.export import export
    path = export(_settings(args).db, fmt=args.format, view=args.view, out=args.out)
    print(path if path else "", end="\n" if path else "")
    return 0


def cmd_brief(args: argparse.Namespace) -> int:
    from .brief import write_briefs
    s = _settings(args)
    formats = [args.format] if args.format else ["md", "html"]
    for path in write_briefs(s, condition=args.condition, formats=formats, out=args.out,
                             progress=_progress(args.quiet)):
        print(path)
    return 0


def cmd_dashboard(args: argparse.Namespace) -> int:
    from .dashboard import write_dashboard
    print(write_dashboard(_settings(args), out=args.out))
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    s = _settings(args)
    for env, key, default, help_ in settings_table():
        value = getattr(s, key, None)
        if key == "ncbi_api_key":
            value = "<set>" if value else None
        print(f"{env:22s} {str(value) if value not in (None, '') else '-':40s} {help_}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .flowfile import load_nightly_module
    load_nightly_module().serve_nightly(_settings(args))
    return 0


# ------------------------------------------------------------------ parser


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="evidence", description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="Settings: environment variables or evidence.toml (see `evidence config`).")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="PATH", help="warehouse file (overrides EVIDENCE_DB)")
    common.add_argument("--config", metavar="TOML", help="settings file (default ./evidence.toml if present)")
    common.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    common.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, func: Callable, help_: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, parents=[common], help=help_, description=help_)
        sp.set_defaults(func=func)
        return sp

    sp = add("run", cmd_run, "run the nightly flow: search PubMed (or the offline snapshot), fetch, load, publish, brief, dashboard")
    sp.add_argument("--full", action="store_true", help="refetch everything the query finds, not just what changed")
    sp.add_argument("--since", type=_date, metavar="YYYY-MM-DD", help="fetch records created or changed since this date")
    sp.add_argument("--no-prefect", action="store_true", help="run the same steps without starting Prefect")

    sp = add("ingest", cmd_ingest, "load local PubMed XML files (e.g. a PubMed export) through the same parse/extract/load path")
    sp.add_argument("files", nargs="+", metavar="FILE", help="PubMed XML file(s): plain, gzip or zstd")

    sp = add("rebuild", cmd_rebuild, "re-parse, re-extract and re-load everything from the raw landing (no network)")
    sp.add_argument("--forget-missing", action="store_true",
                    help="rebuild even if raw files the warehouse was loaded from are gone from the raw folder "
                         "(the records only they held leave the warehouse); without it such a rebuild stops")

    sp = add("status", cmd_status, "show the warehouse path, counts and the last runs")
    sp.add_argument("--runs", type=int, default=10, metavar="N", help="how many runs to list (default 10)")

    sp = add("studies", cmd_studies, "print the extracted study facts, one JSON object per article")
    sp.add_argument("--format", choices=["jsonl"], default="jsonl", help="output format (jsonl)")
    sp.add_argument("--relevant", action="store_true", help="only studies judged relevant")

    sp = add("schema", cmd_schema, "print the warehouse's tables, views and columns with their descriptions")
    sp.add_argument("--format", choices=["text", "markdown"], default="text")
    sp.add_argument("--from-sql", action="store_true", help="describe the schema from warehouse/*.sql, not the file")

    sp = add("search", cmd_search, "full-text search of titles and abstracts, ranked by relevance (BM25)")
    sp.add_argument("text", help='words to search for, e.g. "popliteus pain"')
    sp.add_argument("--limit", type=int, default=20, help="most hits to show (default 20)")
    sp.add_argument("--format", choices=["text", "csv", "json"], default="text")

    sp = add("sql", cmd_sql, "run a read-only SQL query on the warehouse")
    sp.add_argument("query", nargs="?", help="SQL, e.g. \"select * from rcts limit 5\"")
    sp.add_argument("--file", metavar="SQL_FILE", help="read the SQL from a file (e.g. warehouse/queries/*.sql)")
    sp.add_argument("--format", choices=["text", "csv", "json"], default="text")

    sp = add("export", cmd_export, "export a view for people who do not write SQL (CSV, Parquet, RIS, BibTeX)")
    sp.add_argument("--format", choices=["csv", "parquet", "ris", "bibtex"], required=True)
    sp.add_argument("--view", default="relevant_studies", help="view or table to export (default relevant_studies)")
    sp.add_argument("--out", metavar="PATH", help="output file (default: standard output for text formats)")

    sp = add("brief", cmd_brief, "write evidence briefs (Markdown and HTML) for the blog writers")
    sp.add_argument("--condition", help="only this condition (e.g. knee_oa); default: every condition and an overview")
    sp.add_argument("--format", choices=["md", "html"], help="only this format (default both)")
    sp.add_argument("--out", metavar="DIR", help="output folder (default EVIDENCE_BRIEFS, ./briefs)")

    sp = add("dashboard", cmd_dashboard, "write the clinicians' dashboard (one self-contained HTML file)")
    sp.add_argument("--out", metavar="PATH", help="output file (default EVIDENCE_DASHBOARD)")

    add("config", cmd_config, "show every setting, its value and what it does")
    add("serve", cmd_serve, "serve the nightly deployment on its cron schedule (needs a Prefect server)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args) or 0
    except EvidenceError as exc:
        print(f"evidence {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"evidence {args.command}: interrupted; the published warehouse is unchanged", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
