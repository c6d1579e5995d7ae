"""The built site in headless Chromium: figures drawn and laid out, instant navigation,
the palette toggle, no console errors and nothing requested from outside 127.0.0.1."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import pytest

from conftest import figure_pages, nav_pages, page_url

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PAGES = [page_url(md) for md in nav_pages()]  # every page of the navigation, new ones included
FIGURE_PAGES = figure_pages()

FIGURE_STATE = """() => Array.from(document.querySelectorAll('.nnbook-plot')).map(el => {
  const svg = el.querySelector('.main-svg');
  return {id: el.dataset.nnbookId, drawn: !!svg && el.querySelectorAll('.main-svg').length > 0,
          position: svg ? getComputedStyle(svg).position : null,
          paper: el._fullLayout ? el._fullLayout.paper_bgcolor : null,
          modebar: el.querySelector('.modebar-group') ? getComputedStyle(el.querySelector('.modebar-group')).display : null};
})"""


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "browser tests need Debian's chromium: apt-get install -y chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield browser
        browser.close()


class Watched:
    """A page that records console errors and every request it makes."""

    def __init__(self, browser, base: str):
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.base = base
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.route("**/*", self._route)

    def _route(self, route) -> None:
        url = route.request.url
        if re.match(r"^(https?://127\.0\.0\.1[:/]|data:|blob:)", url):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def figures(self) -> list[dict]:
        self.page.wait_for_function(
            "() => Array.from(document.querySelectorAll('.nnbook-plot')).every(e => e.querySelector('.main-svg'))")
        self.page.wait_for_timeout(300)
        return self.page.evaluate(FIGURE_STATE)


@pytest.fixture
def watched(browser, served_site) -> Iterator[Watched]:
    w = Watched(browser, served_site)
    yield w
    w.page.close()


def assert_laid_out(figures: list[dict]) -> None:
    for f in figures:
        assert f["drawn"], f"{f['id']} was not drawn"
        assert f["position"] == "absolute", f"{f['id']}: plotly's layout styles are missing"
        assert f["modebar"] in (None, "flex", "inline-block", "block"), f


@pytest.mark.parametrize("path", PAGES)
def test_direct_load_draws_every_figure(watched, path):
    watched.page.goto(watched.base + path)
    figures = watched.figures()
    if path in FIGURE_PAGES:
        assert len(figures) >= 3
    assert_laid_out(figures)
    assert watched.errors == []
    assert watched.outside == []


def test_instant_navigation_draws_figures_with_their_layout(watched):
    page = watched.page
    page.goto(watched.base)
    page.evaluate("window.__sameDocument = true")
    for path in FIGURE_PAGES + FIGURE_PAGES[:1]:  # every page, and back to the first: styles survive repeated swaps
        page.click(f"nav.md-nav--primary a.md-nav__link[href='{watched.base}{path}']")
        page.wait_for_url(f"**/{path}")
        assert page.evaluate("window.__sameDocument === true"), "instant navigation did not engage"
        assert_laid_out(watched.figures())
        page.click(f"nav.md-nav--primary a.md-nav__link[href='{watched.base}']")  # Material makes links absolute
        page.wait_for_function("() => !document.querySelector('.nnbook-plot')")
    assert watched.errors == []
    assert watched.outside == []


@pytest.mark.parametrize("path", FIGURE_PAGES)
def test_palette_toggle_rethemes_figures(watched, path):
    page = watched.page
    page.goto(watched.base + path)
    before = {f["paper"] for f in watched.figures()}
    page.click("label[title='Switch to dark mode']")
    page.wait_for_function("() => document.body.getAttribute('data-md-color-scheme') === 'slate'")
    page.wait_for_function("""() => Array.from(document.querySelectorAll('.nnbook-plot'))
        .every(e => e.getAttribute('data-nnbook-theme') === 'dark')""")
    after = {f["paper"] for f in watched.figures()}
    assert len(before) == 1 and len(after) == 1 and before != after
    page.click("label[title='Switch to light mode']")
    page.wait_for_function("""() => Array.from(document.querySelectorAll('.nnbook-plot'))
        .every(e => e.getAttribute('data-nnbook-theme') === 'light')""")
    assert {f["paper"] for f in watched.figures()} == before
    assert watched.errors == []
