"""Shared fixtures: smoke results in a temporary folder, a built site, a local server.

Nothing here touches the committed `results/full`: tests build from `smoke` results that
the real experiments produce in a temporary folder.
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


def build_site(site_dir: Path, results: Path, command: str = "build", **overrides):
    """A real `mkdocs build --strict` of the book (or of `docs_dir=...`), from smoke results."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    with results_for_mkdocs(results, "smoke"):
        config = load_config(str(ROOT / "mkdocs.yml"), site_dir=str(site_dir), **({"strict": True} | overrides))
        config.plugins.on_startup(command=command, dirty=False)
        try:
            build(config)
        finally:
            config.plugins.on_shutdown()
    return config


@pytest.fixture(scope="session")
def smoke_results(tmp_path_factory) -> Path:
    """Every experiment run for real in the smoke profile, once per test session."""
    results = tmp_path_factory.mktemp("results")
    Book(results, "smoke").refresh()
    return results


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
def served_site(tmp_path_factory, smoke_results) -> Iterator[str]:
    """The book built from smoke results, served on 127.0.0.1 at the address in site_url."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    site = tmp_path_factory.mktemp("site")
    build_site(site, smoke_results, site_url=url)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url
    server.shutdown()
