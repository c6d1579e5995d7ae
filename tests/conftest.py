"""Shared fixtures: smoke results, a built site, a local server.

Nothing here touches the committed `results/full`: tests build from `smoke` results that
the real experiments produce in `.cache/test-results/` (untracked). Like any store, it keeps
a result under the hash of its code, parameters and versions, so a later test run reruns
only the experiments that changed; a clean checkout runs them all.
"""

from __future__ import annotations

import functools
import http.server
import socket
import threading
from pathlib import Path
from typing import Iterator

import pytest

from nnbook.book import Book, results_for_mkdocs

ROOT = Path(__file__).resolve().parents[1]


def nav_pages() -> list[str]:
    """The Markdown files of the site's navigation, in order (`index.md`, `network.md`, ...)."""
    import re

    return re.findall(r"^\s*-\s[^:]+:\s*(\S+\.md)\s*$", (ROOT / "mkdocs.yml").read_text(), re.MULTILINE)


def page_url(markdown: str) -> str:
    """A page's address relative to the site root: `index.md` → "", `network.md` → "network/"."""
    return "" if markdown == "index.md" else markdown.removesuffix(".md") + "/"


def figure_pages() -> list[str]:
    """Addresses of the pages that embed at least one figure or table."""
    from nnbook import refs

    return [page_url(md) for md in nav_pages()
            if (ROOT / "content" / md).is_file() and any(not r.inline for r in refs.find((ROOT / "content" / md).read_text()))]


def build_site(site_dir: Path, results: Path, command: str = "build", profile: str = "smoke", **overrides):
    """A real `mkdocs build --strict` of the book (or of `docs_dir=...`), from smoke results."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    with results_for_mkdocs(results, profile):
        config = load_config(str(ROOT / "mkdocs.yml"), site_dir=str(site_dir), **({"strict": True} | overrides))
        config.plugins.on_startup(command=command, dirty=False)
        try:
            build(config)
        finally:
            config.plugins.on_shutdown()
    return config


SMOKE_RESULTS = ROOT / ".cache" / "test-results"


@pytest.fixture(scope="session")
def smoke_results() -> Path:
    """Every experiment run for real in the smoke profile: those whose code changed since the last run."""
    Book(SMOKE_RESULTS, "smoke").refresh()
    return SMOKE_RESULTS


@pytest.fixture(scope="session")
def smoke_book(smoke_results) -> Book:
    return Book(smoke_results, "smoke")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="session")
def site_url() -> str:
    """Where the test site is served; site_url must match it for instant navigation to engage."""
    return f"http://127.0.0.1:{free_port()}/"


@pytest.fixture(scope="session")
def built_site(tmp_path_factory, smoke_results, site_url) -> Path:
    """The book built (strict) from smoke results."""
    site = tmp_path_factory.mktemp("site")
    build_site(site, smoke_results, site_url=site_url)
    return site


@pytest.fixture(scope="session")
def served_site(built_site, site_url) -> Iterator[str]:
    """The built book served on 127.0.0.1 at its site_url."""
    port = int(site_url.rstrip("/").rsplit(":", 1)[1])
    handler = functools.partial(QuietHandler, directory=str(built_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield site_url
    server.shutdown()


CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, driven by Playwright, one per test module."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "browser tests need Debian's chromium: apt-get install -y chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield browser
        browser.close()
