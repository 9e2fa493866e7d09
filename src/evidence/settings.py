"""Settings, read once at the edge (CLI, flow) into a frozen object and passed down.

Sources, strongest first: explicit arguments (``load_settings(db=...)``), environment variables,
an optional TOML file (``EVIDENCE_CONFIG``, default ``./evidence.toml`` when it exists), defaults.
Library code never reads the environment itself.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping

from .errors import ConfigError

DEFAULT_SNAPSHOT = "../shared/corpus/snapshot/pubmed.xml"
NCBI_EUTILS_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Setting:
    """One documented setting: its environment variable, TOML key, default and meaning."""

    env: str
    key: str
    default: str
    help: str


# The single list of settings: the loader, `evidence config` and the README's table all read it.
SETTINGS: tuple[Setting, ...] = (
    Setting("EVIDENCE_DB", "db", "warehouse/evidence.duckdb", "the published warehouse file"),
    Setting("EVIDENCE_RAW", "raw", "<folder of EVIDENCE_DB>/raw",
            "raw landing folder (zstd efetch bodies and ingested files, run journals)"),
    Setting("EVIDENCE_PUBMED", "pubmed", "replay",
            "`replay` serves the offline snapshot through a local E-utilities replay; `live` asks NCBI"),
    Setting("EVIDENCE_EUTILS_URL", "eutils_url", "(replay: a local address; live: NCBI)",
            "E-utilities base URL; set it to use any server that speaks E-utilities"),
    Setting("EVIDENCE_SNAPSHOT", "snapshot", DEFAULT_SNAPSHOT,
            "PubMed XML file the replay serves (read in place)"),
    Setting("NCBI_EMAIL", "ncbi_email", "(none; required in live mode)",
            "contact address sent to NCBI with every request"),
    Setting("NCBI_API_KEY", "ncbi_api_key", "(none)",
            "NCBI API key: raises the rate limit from 3 to 10 requests/s; never logged or stored"),
    Setting("EVIDENCE_TOOL", "tool", "evidence", "tool name sent to NCBI with every request"),
    Setting("EVIDENCE_QUERY", "query", "(the topic file's query)", "PubMed query, replacing the topic file's"),
    Setting("EVIDENCE_TOPIC", "topic", "(packaged topic.toml)", "TOML file holding the topic query"),
    Setting("EVIDENCE_BATCH_SIZE", "batch_size", "200", "records per efetch request"),
    Setting("EVIDENCE_OVERLAP_DAYS", "overlap_days", "3",
            "an incremental run starts this many days before the last successful run"),
    Setting("EVIDENCE_TIMEOUT", "timeout", "30", "seconds before an E-utilities request times out"),
    Setting("EVIDENCE_MAX_RETRIES", "max_retries", "5",
            "retries of one E-utilities request on 429, 5xx, timeouts and dropped connections"),
    Setting("EVIDENCE_ESEARCH_CAP", "esearch_cap", "10000",
            "most records one search may return; larger result sets are searched again by create date"),
    Setting("EVIDENCE_SCHEDULE", "schedule", "30 2 * * *", "cron schedule of the nightly deployment"),
    Setting("EVIDENCE_DEPLOYMENT", "deployment", "nightly",
            "name of the deployment `evidence serve` serves (`nightly/<name>`): one per warehouse on a Prefect server"),
    Setting("EVIDENCE_TIMEZONE", "timezone", "(the machine's time zone, else UTC)",
            "time zone of the schedule (IANA name)"),
    Setting("EVIDENCE_BRIEFS", "briefs", "briefs", "folder the evidence briefs are written to"),
    Setting("EVIDENCE_DASHBOARD", "dashboard", "dashboards/index.html", "dashboard HTML file"),
)
_BY_KEY = {s.key: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    db: Path = Path("warehouse/evidence.duckdb")
    raw: Path | None = None
    pubmed: str = "replay"
    eutils_url: str | None = None
    snapshot: Path = Path(DEFAULT_SNAPSHOT)
    ncbi_email: str | None = None
    ncbi_api_key: str | None = field(default=None, repr=False)
    tool: str = "evidence"
    query: str | None = None
    topic: Path | None = None
    batch_size: int = 200
    overlap_days: int = 3
    timeout: float = 30.0
    max_retries: int = 5
    esearch_cap: int = 10_000
    schedule: str = "30 2 * * *"
    deployment: str = "nightly"
    timezone: str = ""
    briefs: Path = Path("briefs")
    dashboard: Path = Path("dashboards/index.html")

    @property
    def raw_dir(self) -> Path:
        return self.raw if self.raw is not None else self.db.parent / "raw"

    @property
    def live(self) -> bool:
        return self.pubmed == "live"

    def with_(self, **changes: Any) -> "Settings":
        """A copy with some settings changed (None values are ignored), validated again."""
        changes = {k: v for k, v in changes.items() if v is not None}
        return _validated(replace(self, **_coerce(changes, "argument"))) if changes else self

    def __repr__(self) -> str:  # the API key never reaches a log line
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.repr)
        key = ", ncbi_api_key=<set>" if self.ncbi_api_key else ""
        return f"Settings({shown}{key})"


def _int(name: str, value: Any, where: str, minimum: int = 0) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a whole number, got {value!r} ({where})") from None
    if n < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {n} ({where})")
    return n


def _coerce(raw: Mapping[str, Any], where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key in ("db", "raw", "snapshot", "topic", "briefs", "dashboard"):
            out[key] = Path(value)
        elif key in ("batch_size",):
            out[key] = _int(key, value, where, 1)
        elif key in ("overlap_days", "max_retries"):
            out[key] = _int(key, value, where, 0)
        elif key == "esearch_cap":
            out[key] = _int(key, value, where, 2)
        elif key == "timeout":
            try:
                out[key] = float(value)
            except (TypeError, ValueError):
                raise ConfigError(f"timeout must be a number of seconds, got {value!r} ({where})") from None
        else:
            out[key] = str(value).strip() or None if key in ("eutils_url", "ncbi_email", "ncbi_api_key",
                                                              "query") else str(value)
    return out


def validate_cron(expr: str) -> None:
    """Reject a cron expression Prefect would reject, before any work starts."""
    import datetime as dt

    from cronsim import CronSim, CronSimError  # the parser Prefect's cron schedules use
    try:
        CronSim(expr, dt.datetime(2026, 1, 1))
    except (CronSimError, ValueError, IndexError, KeyError):
        raise ConfigError(f"schedule {expr!r} is not a valid cron expression "
                          "(five fields: minute hour day-of-month month day-of-week, e.g. '30 2 * * *')")


def validate_timezone(name: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"timezone {name!r} is not an IANA time zone name (e.g. 'Europe/Madrid', 'UTC')") from None


def _validated(s: Settings) -> Settings:
    if s.pubmed not in ("replay", "live"):
        raise ConfigError(f"EVIDENCE_PUBMED must be 'replay' or 'live', got {s.pubmed!r}")
    if s.live and not s.ncbi_email:
        raise ConfigError("live mode needs a contact e-mail for NCBI: set NCBI_EMAIL=you@clinic.example "
                          "(or ncbi_email in evidence.toml)")
    if s.ncbi_email and not _EMAIL.match(s.ncbi_email):
        raise ConfigError(f"NCBI_EMAIL {s.ncbi_email!r} is not an e-mail address; NCBI blocks tools "
                          "without a valid contact address")
    if s.eutils_url and not re.match(r"^https?://", s.eutils_url):
        raise ConfigError(f"EVIDENCE_EUTILS_URL must start with http:// or https://, got {s.eutils_url!r}")
    if s.db.exists() and s.db.is_dir():
        raise ConfigError(f"EVIDENCE_DB {str(s.db)!r} is a folder; give the path of a .duckdb file")
    validate_cron(s.schedule)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}", s.deployment):
        raise ConfigError(f"EVIDENCE_DEPLOYMENT {s.deployment!r} is not a deployment name: letters, digits, "
                          "'-', '_' and '.', starting with a letter or digit (e.g. 'shoulder')")
    if s.timezone:
        validate_timezone(s.timezone)
    return s


def local_timezone() -> str:
    """The machine's IANA time zone name, or UTC."""
    tz = os.environ.get("TZ", "")
    if tz and "/" in tz:
        return tz
    try:
        target = os.path.realpath("/etc/localtime")
        if "zoneinfo/" in target:
            return target.split("zoneinfo/", 1)[1]
    except OSError:  # pragma: no cover
        pass
    return "UTC"


def load_settings(env: Mapping[str, str] | None = None, config: str | Path | None = None,
                  **overrides: Any) -> Settings:
    """Build the settings: overrides > environment > TOML file > defaults.

    ``env`` defaults to ``os.environ``; ``config`` to ``$EVIDENCE_CONFIG`` or ``./evidence.toml``.
    Unknown TOML keys and invalid values raise ConfigError naming the key and the fix.
    """
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    path = Path(config) if config else Path(env.get("EVIDENCE_CONFIG", "evidence.toml"))
    if config or "EVIDENCE_CONFIG" in env or path.exists():
        if not path.is_file():
            raise ConfigError(f"config file {str(path)!r} does not exist; unset EVIDENCE_CONFIG or create it")
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config file {str(path)!r} is not valid TOML: {exc}") from None
        unknown = sorted(set(data) - set(_BY_KEY))
        if unknown:
            raise ConfigError(f"unknown setting(s) {', '.join(unknown)} in {str(path)!r}; "
                              f"known settings: {', '.join(sorted(_BY_KEY))}")
        values.update(_coerce(data, str(path)))
    from_env = {s.key: env[s.env] for s in SETTINGS if env.get(s.env, "") != ""}
    values.update(_coerce(from_env, "environment"))
    values.update(_coerce({k: v for k, v in overrides.items() if v is not None}, "argument"))
    return _validated(Settings(**values))


def settings_table() -> list[tuple[str, str, str, str]]:
    """(environment variable, TOML key, default, meaning) for every setting, for docs and `evidence config`."""
    return [(s.env, s.key, s.default, s.help) for s in SETTINGS]
