"""Headless Chromium (Debian's package) driven by Playwright, for the brief and dashboard tests.

Opens a page from disk and records console errors and every network request that is not the
page's own file, so tests can assert that a page works offline with no errors.
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError("Debian's chromium is not installed; `make test` installs it (apt-get install chromium)")
    return path


@dataclass
class PageLog:
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    network: list[str] = field(default_factory=list)


@contextmanager
def open_page(path: Path, *, viewport: tuple[int, int] = (1280, 900)) -> Iterator[tuple[object, PageLog]]:
    """Yield (playwright page, log) for a local HTML file; the log fills as the page runs."""
    from playwright.sync_api import sync_playwright

    log = PageLog()
    url = Path(path).resolve().as_uri()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            page.on("console", lambda m: log.console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: log.page_errors.append(str(e)))
            page.on("request", lambda r: log.network.append(r.url)
                    if not (r.url == url or r.url.startswith(("data:", "blob:", "about:"))) else None)
            page.goto(url)
            page.wait_for_load_state("load")
            yield page, log
        finally:
            browser.close()
