"""The dashboard's one HTML file: template + inline CSS + inline script + the data as embedded JSON.

Nothing is loaded from anywhere: a Content-Security-Policy allows only the page's own inline style
and script (by hash), so the page cannot reach the network even if some text in the data tried to.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from pathlib import Path
from typing import Any

ASSETS = Path(__file__).resolve().parent
MARKERS = ("{{CSP}}", "{{CSS}}", "{{DATA}}", "{{JS}}")

# Characters that could end the script element or confuse an HTML parser, written as JSON escapes.
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")


def script_json(data: Any) -> str:
    """JSON safe inside <script type="application/json">: no "</script", no "<!--", sorted keys."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return "".join(_JSON_ESCAPES.get(ch, ch) for ch in text)


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def render_html(data: Any) -> str:
    template, css, js = asset("template.html"), asset("style.css"), asset("app.js")
    for marker in MARKERS:
        if template.count(marker) != 1:
            raise RuntimeError(f"dashboard template.html must hold {marker} exactly once")
    for name, text in (("style.css", css), ("app.js", js)):
        if "</" in text.lower().replace("<\\/", ""):
            raise RuntimeError(f"dashboard {name} must not contain '</' (it would end its element early)")
    # The CSS and script are inserted between their tags exactly as hashed.
    csp = "; ".join([
        "default-src 'none'", f"script-src {_sha256(js)}", f"style-src {_sha256(css)}",
        "img-src data:", "base-uri 'none'", "form-action 'none'",
    ])
    # the heading is the warehouse's topic title (collect: "Dry needling for knee conditions" by default)
    title = html.escape(data["topic"]["title"])
    values = {"{{CSP}}": csp, "{{CSS}}": css, "{{JS}}": js, "{{DATA}}": script_json(data), "{{TITLE}}": title}
    return re.sub(r"\{\{(?:CSP|CSS|JS|DATA|TITLE)\}\}", lambda m: values[m.group(0)], template)
