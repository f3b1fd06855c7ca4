"""Browser-test fixtures: the built book served on loopback, and Debian's Chromium driven by
Playwright (no browser download). Locally, a missing book or browser skips these tests;
under CI=true it fails them."""
from __future__ import annotations

import functools
import http.server
import shutil
import threading

import pytest

from conftest import ROOT, running_in_ci

BOOK = ROOT / "_build" / "html"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def _unavailable(reason: str):
    if running_in_ci():
        pytest.fail(reason + " (CI=true: a missing prerequisite is a failure, not a skip)")
    pytest.skip(reason)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output readable
        pass


@pytest.fixture(scope="session")
def book_url():
    """Serve _build/html on 127.0.0.1 (a free port) for the whole session."""
    if not (BOOK / "index.html").is_file():
        _unavailable("no built book in _build/html: run `make book` first")
    handler = functools.partial(_QuietHandler, directory=str(BOOK))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        _unavailable("Chromium not found: `sudo apt-get install chromium`")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is missing: `make venv`")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
