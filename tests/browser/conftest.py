"""Browser tests: the real server (pytest-django's ``live_server``) driven by Playwright in the
Debian ``chromium`` package (scripts/system-packages.sh installs it; Playwright downloads nothing).

One browser for the whole session; each role gets its own context (cookies) per test, and its pages
are reused from URL to URL."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.simulators import Agent, Shop

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
WIDTH, HEIGHT = 1280, 900
SCREENSHOTS = os.environ.get("BROWSER_SCREENSHOTS", "")
# How far the page scrolls sideways, and any box that cuts its content off sideways.
OVERFLOW = """() => {
    const cut = [];
    for (const el of document.querySelectorAll('body *')) {
        const style = getComputedStyle(el);
        // Text that ends in a visible "…" (select2's chosen value) is shortened on purpose.
        if (['auto', 'scroll', 'hidden'].includes(style.overflowX)
            && style.textOverflow !== 'ellipsis'
            && el.clientWidth > 1 && el.scrollWidth > el.clientWidth + 1) {
            const name = `${el.tagName.toLowerCase()}#${el.id}.${el.className}`;
            cut.push(`${name} ${el.scrollWidth}>${el.clientWidth}`);
        }
    }
    return {width: document.scrollingElement.scrollWidth, view: window.innerWidth, cut};
}"""
# Every page a tab loads measures itself once loaded (the same check) and keeps the result in the
# tab's sessionStorage, which outlives the navigation: a journey that goes from page to page by
# clicking is checked on every page it passes through, redirects and form answers included.
MEASURE_ON_LOAD = f"""
if (location.protocol.startsWith('http')) {{
    window.addEventListener('load', () => {{
        const fit = ({OVERFLOW})();
        fit.path = location.pathname + location.search;
        const seen = JSON.parse(sessionStorage.getItem('pages-measured') || '[]');
        seen.push(fit);
        sessionStorage.setItem('pages-measured', JSON.stringify(seen));
    }});
}}
"""


@pytest.fixture(scope="package")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/system-packages.sh (it installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's synchronous API runs an event loop in this thread while the browser is open; the
    # ORM calls the tests make between page visits are still synchronous and on their own
    # connection. Only for this package: the loop and the switch end with it (left on for the
    # session, the switch reached a later test's deployment check).
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
            yield browser
            browser.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@dataclass
class Visitor:
    """One signed-in user's tab, with what its console said."""

    page: object
    base: str
    errors: list[str] = field(default_factory=list)

    def open(self, path: str):
        self.errors.clear()
        response = self.page.goto(self.base + path)
        if SCREENSHOTS:  # to look at the pages: BROWSER_SCREENSHOTS=/some/dir
            name = re.sub(r"[^a-z0-9]+", "-", f"{path}-{self.page.evaluate('document.documentElement.lang')}")
            self.page.screenshot(path=str(Path(SCREENSHOTS) / f"{name.strip('-')}.png"), full_page=True)
        return response

    def overflow(self) -> dict:
        """How far the page scrolls sideways, and any box that cuts its content off sideways."""
        return self.page.evaluate(OVERFLOW)

    def text(self) -> str:
        return self.page.inner_text("body")

    def measured(self) -> list[dict]:
        """Every page this tab has loaded so far, as it measured itself (``MEASURE_ON_LOAD``)."""
        return self.page.evaluate("JSON.parse(sessionStorage.getItem('pages-measured') || '[]')")

    def too_wide(self) -> list[str]:
        """The pages this tab loaded that scroll sideways or cut a column off at 1,280 px."""
        problems = []
        for fit in self.measured():
            if fit["width"] > fit["view"]:
                problems.append(f"{fit['path']}: {fit['width']} px wide")
            problems += [f"{fit['path']}: cut off: {c}" for c in fit["cut"]]
        return problems


@pytest.fixture
def visit(browser, live_server) -> Iterator:
    """``visit(user, language)``: a tab signed in as ``user`` that shows pages in ``language``."""
    contexts = []

    def open_as(user, language: str) -> Visitor:
        client = Client()
        client.force_login(user)
        context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, locale=language)
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                },
                {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url},
            ]
        )
        context.add_init_script(MEASURE_ON_LOAD)
        contexts.append(context)
        visitor = Visitor(context.new_page(), live_server.url)
        visitor.page.on("console", lambda m: m.type == "error" and visitor.errors.append(m.text))
        visitor.page.on("pageerror", lambda e: visitor.errors.append(str(e)))
        return visitor

    yield open_as
    for context in contexts:
        context.close()


@pytest.fixture
def shop() -> Iterator[Shop]:
    """A Jetshop simulator on loopback with the shop's tables (channels, statuses) and no orders."""
    running = Shop.in_thread("empty")
    yield running
    running.stop()


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[Agent]:
    """A Visma agent with the simulated demo company, a fresh one per test (order numbers of the
    shop simulator start again in each test, and Visma would take them for the same orders)."""
    running = Agent.in_process(tmp_path / "company.sqlite")
    yield running
    running.stop()
