"""Render briefs (Markdown, self-contained HTML) from the warehouse, write them with their state files,
and measure their reading grade.

Deterministic: the same warehouse (and the same previous state) gives the same bytes; nothing here
reads the clock. The state file (``<out>/.state/<name>.json``) holds the key facts of the last brief
written and the facts of the brief before it, so a re-run on an unchanged warehouse repeats the same
"what is new" comparison instead of saying "nothing changed".
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable

import jinja2
from markupsafe import Markup

from ..errors import EvidenceError
from ..settings import Settings
from .data import Warehouse, read_warehouse
from .model import Brief, build_brief, condition_key

log = logging.getLogger(__name__)
Progress = Callable[[str], None]
FORMATS = ("md", "html")
STATE_DIR = ".state"
STATE_VERSION = 1
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def md_escape(value: Any) -> str:
    """Escape Markdown's inline markup so a title or quote renders as the text it is."""
    return _MD_SPECIAL.sub(r"\\\1", str(value)) if value is not None else ""


@lru_cache(maxsize=2)
def _env(fmt: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("evidence.brief", "templates"),
        autoescape=fmt == "html", trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined)
    env.filters["md"] = md_escape
    env.globals["css"] = Markup((Path(__file__).parent / "templates" / "brief.css").read_text(encoding="utf-8"))
    return env


def render(brief: Brief, fmt: str) -> str:
    if fmt not in FORMATS:
        raise EvidenceError(f"unknown brief format {fmt!r}; use one of: {', '.join(FORMATS)}")
    text = _env(fmt).get_template(f"brief.{fmt}.j2").render(b=brief)
    return re.sub(r"\n{3,}", "\n\n", text).rstrip("\n") + "\n"


# ------------------------------------------------------------------ reading level


@lru_cache(maxsize=1)
def _textstat() -> Any:
    from textstat.textstat import textstatistics
    ts = textstatistics()
    # Syllables from pyphen's US English dictionary (installed with textstat). The default "en"
    # would fetch NLTK's CMU dictionary from the network on first use; this gives the same
    # figure on every machine, online or not.
    ts.set_lang("en-US")
    return ts


def reading_grade(text: str) -> float:
    """Flesch-Kincaid grade of ``text`` (textstat), rounded to one decimal."""
    if not text.strip():
        return 0.0
    return round(float(_textstat().flesch_kincaid_grade(text)), 1)


# ------------------------------------------------------------------ building briefs


def _group(wh: Warehouse) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for s in wh.studies:
        groups.setdefault(condition_key(s.get("condition")), []).append(s)
    return dict(sorted(groups.items()))


def _brief(wh: Warehouse, condition: str | None, previous: dict[str, Any] | None) -> Brief:
    if condition is None:
        return build_brief(wh.studies, None, data_date=wh.data_date, extractor_version=wh.extractor_version,
                           previous=previous, area=wh.area, conditions=wh.conditions)
    groups = _group(wh)
    if condition not in groups:
        known = ", ".join(groups) or "none (no relevant study in the warehouse yet)"
        raise EvidenceError(f"no relevant study for condition {condition!r}; conditions with studies: {known}")
    return build_brief(groups[condition], condition, data_date=wh.data_date,
                       extractor_version=wh.extractor_version, previous=previous, area=wh.area,
                       conditions=wh.conditions)


def render_brief(db_path: str | Path, condition: str | None, fmt: str, *,
                 previous: dict[str, Any] | None = None) -> str:
    """The brief of ``condition`` (None: the overview) in ``fmt`` ('md' or 'html'), as text.

    ``previous`` is the state of an earlier brief (see ``load_state``) for "what is new"; without
    it the brief says it is the first.
    """
    return render(_brief(read_warehouse(db_path), condition, previous), fmt)


def brief_names(db_path: str | Path) -> list[str]:
    """The condition briefs the warehouse has studies for (file stems), then 'overview'."""
    return [*_group(read_warehouse(db_path)), "overview"]


# ------------------------------------------------------------------ state


def state_path(out: Path, name: str) -> Path:
    return out / STATE_DIR / f"{name}.json"


def load_state(out: str | Path, name: str) -> dict[str, Any] | None:
    """The saved state of brief ``name`` under ``out``, or None (first brief, or an unreadable file)."""
    path = state_path(Path(out), name)
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable brief state %s (%s); the brief will say it is the first", path, exc)
        return None
    return state if isinstance(state, dict) and state.get("version") == STATE_VERSION else None


def baseline(state: dict[str, Any] | None, facts: dict[str, Any]) -> dict[str, Any] | None:
    """What the brief compares with: the last brief, or, when that one had these very facts, the brief before it."""
    if state is None:
        return None
    if state.get("studies") == _jsonable(facts):
        return state.get("previous")
    return {"data_date": state.get("data_date"), "studies": state.get("studies", {})}


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def _state(brief: Brief, previous: dict[str, Any] | None) -> dict[str, Any]:
    return {"version": STATE_VERSION, "brief": brief.name, "data_date": brief.data_date,
            "studies": _jsonable(brief.facts), "previous": previous}


def _write(path: Path, text: str) -> None:
    """Write atomically: a reader (or the web server) never sees half a brief."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ------------------------------------------------------------------ public API


def _briefs(settings: Settings, condition: str | None, out: Path) -> Iterable[tuple[Brief, dict[str, Any] | None]]:
    wh = read_warehouse(settings.db)
    names = [condition] if condition else [*_group(wh), "overview"]
    for name in names:
        probe = _brief(wh, None if name == "overview" else name, None)
        prev = baseline(load_state(out, name), probe.facts)
        yield (_brief(wh, None if name == "overview" else name, prev) if prev else probe), prev


def write_briefs(settings: Settings, condition: str | None = None, formats: Iterable[str] = FORMATS,
                 out: str | Path | None = None, progress: Progress | None = None) -> list[Path]:
    """Write one brief per condition with relevant studies and an overview (or only ``condition``).

    Files: ``<out>/<condition>.md|.html``, ``<out>/overview.md|.html``; state in ``<out>/.state/``.
    ``out`` defaults to ``settings.briefs``. Reports each file's reading grade through ``progress``.
    """
    progress = progress or (lambda msg: None)
    formats = list(dict.fromkeys(formats))
    for fmt in formats:
        if fmt not in FORMATS:
            raise EvidenceError(f"unknown brief format {fmt!r}; use one of: {', '.join(FORMATS)}")
    out = Path(out) if out is not None else settings.briefs
    written: list[Path] = []
    for brief, prev in _briefs(settings, condition, out):
        grade = reading_grade(brief.narrative_text)
        for fmt in formats:
            path = out / f"{brief.name}.{fmt}"
            _write(path, render(brief, fmt))
            written.append(path)
            progress(f"{path.name}: reading grade {grade}")
        _write(state_path(out, brief.name), json.dumps(_state(brief, prev), indent=1, sort_keys=True) + "\n")
        log.info("brief %s written (%d studies, reading grade %s)", brief.name, len(brief.cards), grade)
    return written


def reading_grades(settings: Settings, condition: str | None = None) -> dict[str, float]:
    """Flesch-Kincaid grade of each brief's narrative text (bottom line, card sentences, supports,
    cautions; not citations or quotes), keyed by brief name ('knee_oa', ..., 'overview')."""
    wh = read_warehouse(settings.db)
    names = [condition] if condition else [*_group(wh), "overview"]
    return {n: reading_grade(_brief(wh, None if n == "overview" else n, None).narrative_text) for n in names}


def overview_markdown(settings: Settings) -> str:
    """The overview brief in Markdown, compared with the state under ``settings.briefs`` (writes nothing).

    Called after ``write_briefs`` it gives the text of ``overview.md`` (for a Prefect artifact).
    """
    wh = read_warehouse(settings.db)
    probe = _brief(wh, None, None)
    prev = baseline(load_state(settings.briefs, "overview"), probe.facts)
    return render(_brief(wh, None, prev) if prev else probe, "md")
