"""Fixtures for the widget tests: Debian's Chromium driven by Playwright, pages on loopback origins.

The browser is the system one (/usr/bin/chromium, from `make apt-deps`); Playwright never
downloads a browser here. Screenshots go to artifacts/widget/ (ignored by git) for a person to look at.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

REPO = Path(__file__).resolve().parents[3]
ARTIFACTS = REPO / "artifacts" / "widget"
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ANSWER_TIMEOUT_MS = 20_000
_FINISHED = re.compile(r"^(done|error)$")  # a reply's data-state once it is answered or has failed

expect.set_options(timeout=ANSWER_TIMEOUT_MS)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole session; each test gets its own context."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (`make apt-deps`); no browser is downloaded")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@dataclass
class WidgetPage:
    """A page with the widget on it, and what a user would do and see there."""

    page: Page
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def launcher(self) -> Locator:
        return self.page.locator("whatworks-chat .ww-launcher")

    @property
    def panel(self) -> Locator:
        return self.page.locator("whatworks-chat .ww-panel")

    @property
    def input(self) -> Locator:
        return self.page.locator("whatworks-chat .ww-input")

    @property
    def replies(self) -> Locator:
        return self.page.locator("whatworks-chat .ww-msg--bot")

    def open(self) -> None:
        self.launcher.click()
        expect(self.panel).to_be_visible()

    def ask(self, question: str) -> None:
        self.input.fill(question)
        self.input.press("Enter")

    def answer(self, index: int = -1) -> Locator:
        """The reply, once it is complete (answered or failed)."""
        reply = self.replies.nth(index) if index >= 0 else self.replies.last
        expect(reply).to_have_attribute("data-state", _FINISHED, timeout=ANSWER_TIMEOUT_MS)
        return reply

    def shadow(self, script: str, arg: Any = None) -> Any:
        """Evaluate `script` (a function of the shadow root and `arg`) in the page."""
        return self.page.evaluate(
            "([body, arg]) => new Function('root', 'arg', body)("
            "document.querySelector('whatworks-chat').shadowRoot, arg)",
            [script, arg],
        )

    def focused(self) -> dict[str, str]:
        """What has the keyboard focus inside the widget: its class, text and aria-label."""
        return self.shadow(
            "const el = root.activeElement; return el ? {cls: el.className.baseVal ?? el.className,"
            " text: (el.textContent || '').trim(), label: el.getAttribute('aria-label') || '', tag: el.tagName}"
            " : {cls: '', text: '', label: '', tag: ''};"
        )

    def hrefs(self) -> list[str]:
        return self.shadow("return [...root.querySelectorAll('[href]')].map((a) => a.getAttribute('href'));")

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Callable[..., WidgetPage]]:
    """Open a URL in a fresh browser context (fresh sessionStorage); checks no script error escaped."""
    opened: list[WidgetPage] = []
    contexts = []

    def _open(url: str, before: Callable[[Page], Any] | None = None, **context_options: Any) -> WidgetPage:
        context = browser.new_context(**({"viewport": {"width": 1280, "height": 800}} | context_options))
        contexts.append(context)
        page = context.new_page()
        if before is not None:
            before(page)
        widget = WidgetPage(page)
        page.on("dialog", lambda dialog: (widget.dialogs.append(dialog.message), dialog.dismiss()))
        page.on("pageerror", lambda error: widget.errors.append(str(error)))
        page.goto(url)
        expect(widget.launcher).to_be_visible()
        opened.append(widget)
        return widget

    yield _open
    for context in contexts:
        context.close()
    for widget in opened:
        assert widget.errors == [], f"uncaught script errors in the page: {widget.errors}"


class _Pages(BaseHTTPRequestHandler):
    pages: dict[str, str] = {}

    def do_GET(self) -> None:  # noqa: N802 (the http.server API)
        body = self.pages.get(self.path.split("?")[0])
        if body is None:
            self.send_error(404)
            return
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@dataclass
class HostSite:
    """Another site on a second loopback origin, embedding the widget as a customer site would."""

    origin: str
    pages: dict[str, str]

    def embed(self, path: str, api: str, lang: str = "en", title: str = "Partner intranet") -> str:
        """Serve a page at `path` with the one script tag pointing at `api`; returns its URL."""
        self.pages[path] = (
            f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<style>body{font-family:serif;background:#eef;margin:2rem} button{background:red}</style></head>"
            f"<body><h1>{title}</h1><p>A page on another origin that embeds the assistant.</p>"
            f'<script src="{api}/widget/whatworks.js" data-api="{api}" data-lang="{lang}" defer></script>'
            "</body></html>"
        )
        return self.origin + path


@pytest.fixture(scope="session")
def host_site() -> Iterator[HostSite]:
    """A static site served by http.server on its own free loopback port (a second origin)."""
    handler = type("Pages", (_Pages,), {"pages": {}})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield HostSite(f"http://127.0.0.1:{server.server_address[1]}", handler.pages)
    finally:
        server.shutdown()
        server.server_close()
