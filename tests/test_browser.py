"""The built site in headless Chromium: figures drawn and laid out when they come near the
viewport, plotly.js only where needed, instant navigation, back and forward, the palette toggle,
no serious accessibility violations (axe-core), no console errors and nothing requested from
outside 127.0.0.1."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

from conftest import ROOT, figure_pages, nav_pages, page_url

pytestmark = pytest.mark.browser

AXE_VERSION = "4.10.3"  # npm's axe-core, installed on first use under .cache/ (see axe_script)
AXE_CACHE = ROOT / ".cache" / "npm"

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
        self.urls: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.route("**/*", self._route)

    def _route(self, route) -> None:
        url = route.request.url
        self.urls.append(url)
        if re.match(r"^(https?://127\.0\.0\.1[:/]|data:|blob:)", url):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def requested(self, pattern: str) -> list[str]:
        return [u for u in self.urls if re.search(pattern, u)]

    def figures(self) -> list[dict]:
        """Every figure of the page, once each has been scrolled near and drawn."""
        for i in range(self.page.locator(".nnbook-plot").count()):
            self.page.locator(".nnbook-plot").nth(i).scroll_into_view_if_needed()
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
    if not figures:
        assert watched.requested(r"plotly|/figures/") == [], "a page without figures loads no plotly.js"
    assert_laid_out(figures)
    assert watched.errors == []
    assert watched.outside == []


BOXES = """() => Array.from(document.querySelectorAll('.nnbook-plot')).map(e =>
  ({drawn: !!e.querySelector('.main-svg'), height: Math.round(e.getBoundingClientRect().height)}))"""


def test_figures_load_and_draw_only_near_the_viewport_without_moving_the_page(browser, served_site):
    w = Watched(browser, served_site)
    w.page.set_viewport_size({"width": 1280, "height": 500})
    w.page.goto(served_site + "network/")
    w.page.wait_for_load_state("networkidle")
    before = w.page.evaluate(BOXES)
    assert not before[-1]["drawn"], "a figure far below the viewport is drawn only when the reader gets near it"
    assert len(w.requested(r"/figures/[0-9a-f]+\.json$")) < len(before), "its data is not fetched yet"
    scripts = [u for u in w.requested(r"\.js$") if "plotly" in u]
    assert len(scripts) <= 1 and all("plotly-cartesian.min.js" in u for u in scripts)
    assert w.page.evaluate("!!document.querySelector('script[src*=plotly]:not([async])')") is False
    after = [{"drawn": True, "height": f["height"]} for f in before]
    w.figures()
    assert w.page.evaluate(BOXES) == after, "every box keeps its height when its figure is drawn"
    assert len(w.requested(r"/figures/[0-9a-f]+\.json$")) == len(before)
    assert w.errors == [] and w.outside == []
    w.page.close()


def test_instant_navigation_draws_figures_with_their_layout(watched):
    page = watched.page
    page.goto(watched.base)
    page.evaluate("window.__sameDocument = true")
    for path in FIGURE_PAGES + FIGURE_PAGES[:1]:  # every page, and back to the first: styles survive repeated swaps
        page.click(f"nav.md-nav--primary a.md-nav__link[href='{watched.base}{path}']")
        page.wait_for_url(f"**/{path}")
        page.wait_for_selector(".nnbook-plot")  # the new page's content is in
        assert page.evaluate("window.__sameDocument === true"), "instant navigation did not engage"
        assert_laid_out(watched.figures())
        page.click(f"nav.md-nav--primary a.md-nav__link[href='{watched.base}']")  # Material makes links absolute
        page.wait_for_function("() => !document.querySelector('.nnbook-plot')")
    assert watched.errors == []
    assert watched.outside == []


def test_back_and_forward_draw_figures(watched):
    page = watched.page
    page.goto(watched.base + FIGURE_PAGES[0])
    watched.figures()
    page.evaluate("window.__sameDocument = true")

    def swapped_to(path: str, move) -> None:
        """Move to `path` and wait until its content has replaced the previous page's."""
        page.evaluate("window.__oldPlot = document.querySelector('.nnbook-plot')")
        move()
        page.wait_for_url(f"**/{path}")
        page.wait_for_function("() => { const el = document.querySelector('.nnbook-plot'); return el && el !== window.__oldPlot; }")
        assert_laid_out(watched.figures())

    link = f"nav.md-nav--primary a.md-nav__link[href='{watched.base}{FIGURE_PAGES[1]}']"
    swapped_to(FIGURE_PAGES[1], lambda: page.click(link))
    swapped_to(FIGURE_PAGES[0], page.go_back)
    swapped_to(FIGURE_PAGES[1], page.go_forward)
    assert page.evaluate("window.__sameDocument === true"), "back and forward stayed in the same document"
    assert watched.errors == []


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


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """axe-core's browser script, installed with npm into .cache/ the first time it is needed."""
    script = AXE_CACHE / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        subprocess.run(["npm", "install", "--no-save", "--no-audit", "--no-fund", "--prefix", str(AXE_CACHE),
                        f"axe-core@{AXE_VERSION}"], check=True, capture_output=True)
    return script


AXE_RUN = """() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations
  .filter(v => v.impact === 'serious' || v.impact === 'critical')
  .map(v => ({rule: v.id, impact: v.impact, nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))})))"""


@pytest.mark.parametrize("palette", ["light", "dark"])
def test_no_serious_accessibility_violations(watched, axe_script, palette):
    page = watched.page
    found = []
    for path in PAGES:
        page.goto(watched.base + path)
        if palette == "dark" and page.evaluate("document.body.getAttribute('data-md-color-scheme')") != "slate":
            page.click("label[title='Switch to dark mode']")
            page.wait_for_function("() => document.body.getAttribute('data-md-color-scheme') === 'slate'")
        watched.figures()
        page.add_script_tag(path=str(axe_script))
        found += [f"/{path} ({palette}): {v['rule']} ({v['impact']}) at {', '.join(v['nodes'])}"
                  for v in page.evaluate(AXE_RUN)]
    assert found == [], "axe-core finds serious or critical violations:\n" + "\n".join(found)
