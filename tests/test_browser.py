"""The built site in headless Chromium: figures drawn and laid out when they come near the
viewport, plotly.js only where needed, instant navigation, back and forward, the palette toggle,
figure menus and sliders from the keyboard, no serious accessibility violations (axe-core), no
console errors and nothing requested from outside 127.0.0.1."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Iterator

import pytest

from conftest import ROOT, nav_pages, page_url
from nnbook import npm
from nnbook.render import PLOTLY_TRACE_TYPES

pytestmark = pytest.mark.browser

AXE_VERSION = "4.10.3"  # npm's axe-core, installed on first use under .cache/ (see axe_script)
AXE_CACHE = ROOT / ".cache" / "npm"


def output_kinds() -> dict[str, list[str]]:
    """The kinds of the outputs ("figure", "table", "model") each page of the navigation embeds,
    read from its Markdown; unknown references are left out."""
    from nnbook import refs, registry

    registry.load()
    kinds = {o.id: o.kind for o in registry.OUTPUTS.values()}
    return {page_url(md): [kinds[r.id] for r in refs.find(path.read_text()) if not r.inline and r.id in kinds]
            for md in nav_pages() if (path := ROOT / "content" / md).is_file()}


PAGES = [page_url(md) for md in nav_pages()]  # every page of the navigation, new ones included
KINDS = output_kinds()
FIGURE_PAGES = [page for page, kinds in KINDS.items() if {"figure", "table"} & set(kinds)]  # live widgets alone do not count
FIGURES = {page: kinds.count("figure") for page, kinds in KINDS.items()}

FIGURE_STATE = """() => Array.from(document.querySelectorAll('.nnbook-plot')).map(el => {
  const svg = el.querySelector('.main-svg');
  return {id: el.dataset.nnbookId, drawn: !!svg && el.querySelectorAll('.main-svg').length > 0,
          position: svg ? getComputedStyle(svg).position : null,
          paper: el._fullLayout ? el._fullLayout.paper_bgcolor : null,
          modebar: el.querySelector('.modebar-group') ? getComputedStyle(el.querySelector('.modebar-group')).display : null};
})"""



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

    def open(self, path: str) -> None:
        """Load a page of the book and wait for its scripts, which run after its first paint
        (nnbook/scripts.py), possibly after the load event: nnbook.js runs last, after Material's."""
        self.page.goto(self.base + path)
        self.page.wait_for_function("() => !!window.nnbook")

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


# When Material's script element enters the page (it runs after that).
MATERIAL_ADDED = """new MutationObserver(records => records.forEach(r => r.addedNodes.forEach(node => {
  if (node.tagName === 'SCRIPT' && /bundle\\.\\w+\\.min\\.js$/.test(node.src)) window.__materialAdded ??= performance.now();
}))).observe(document, {childList: true, subtree: true});"""


@pytest.mark.parametrize("path", PAGES)
def test_direct_load_draws_every_figure(watched, path):
    watched.page.add_init_script(MATERIAL_ADDED)
    watched.open(path)
    figures = watched.figures()
    assert len(figures) == FIGURES.get(path, 0), "every figure the page's Markdown names is on the page"
    if not figures:
        assert watched.requested(r"plotly|/figures/") == [], "a page without figures loads no plotly.js"
    assert_laid_out(figures)
    assert not watched.page.evaluate("document.body.hasAttribute('data-md-color-switching')"), \
        "Material unmarks <body> once the palette is set up (plugin.py marks it), so transitions run"
    first_paint = watched.page.evaluate("performance.getEntriesByName('first-contentful-paint')[0].startTime")
    assert watched.page.evaluate("window.__materialAdded") > first_paint, "Material's script runs after the first paint"
    assert watched.errors == []
    assert watched.outside == []


SAME_RULES = """css => {
  const inlined = Array.from(document.querySelectorAll('style')).find(s => s.textContent.includes('.nnbook-figure{'));
  const original = new CSSStyleSheet();
  original.replaceSync(css);
  const texts = sheet => Array.from(sheet.cssRules, r => r.cssText.replace(/, /g, ','));  /* var() keeps its spaces */
  return {inlined: texts(inlined.sheet), original: texts(original)};
}"""


def test_inlined_style_rules_are_the_stylesheets_rules(watched):
    watched.open("about/")
    found = watched.page.evaluate(SAME_RULES, (ROOT / "nnbook/assets/nnbook.css").read_text())
    assert len(found["original"]) > 40 and found["inlined"] == found["original"]


BOXES = """() => Array.from(document.querySelectorAll('.nnbook-plot')).map(e =>
  ({drawn: !!e.querySelector('.main-svg'), height: Math.round(e.getBoundingClientRect().height)}))"""


def test_figures_load_and_draw_only_near_the_viewport_without_moving_the_page(browser, served_site):
    w = Watched(browser, served_site)
    w.page.set_viewport_size({"width": 1280, "height": 500})
    w.open("network/")
    w.page.wait_for_load_state("networkidle")
    before = w.page.evaluate(BOXES)
    assert not before[-1]["drawn"], "a figure far below the viewport is drawn only when the reader gets near it"
    assert len(w.requested(r"/figures/[0-9a-f]+\.json$")) < len(before), "its data is not fetched yet"
    scripts = [u for u in w.requested(r"\.js$") if "plotly" in u]
    assert len(scripts) <= 1 and all("plotly-nnbook.min.js" in u for u in scripts)
    assert w.page.evaluate("!!document.querySelector('script[src*=plotly]:not([async])')") is False
    after = [{"drawn": True, "height": f["height"]} for f in before]
    w.figures()
    assert w.page.evaluate(BOXES) == after, "every box keeps its height when its figure is drawn"
    assert len(w.requested(r"/figures/[0-9a-f]+\.json$")) == len(before)
    bundled = set(w.page.evaluate("Object.keys(Plotly.PlotSchema.get().traces)"))
    assert bundled == PLOTLY_TRACE_TYPES, "the plotly.js bundle draws the trace types render.py allows"
    assert w.errors == [] and w.outside == []
    w.page.close()


def test_instant_navigation_draws_figures_with_their_layout(watched):
    page = watched.page
    watched.open("")
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
    watched.open(FIGURE_PAGES[0])
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
    watched.open(path)
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


CONTROLS = """() => Array.from(document.querySelectorAll('[data-nnbook-control]')).map(g => {
  const [kind, index] = g.dataset.nnbookControl.split(':');
  const el = g.closest('.nnbook-plot'), item = el.layout[kind][+index];
  return {figure: el.dataset.nnbookId, control: g.dataset.nnbookControl, tabindex: g.getAttribute('tabindex'),
          role: g.getAttribute('role'), name: g.getAttribute('aria-label'), now: +g.getAttribute('aria-valuenow'),
          given: item.name || null, active: item.active || 0, options: (kind === 'sliders' ? item.steps : item.buttons).length};
})"""

# What option k of a control sets, read back from the figure: trace attributes (restyle, update)
# on the traces it names (all by default), layout attributes (relayout, update) by their path.
APPLIED = r"""([figure, control, k]) => {
  const el = document.querySelector(`.nnbook-plot[data-nnbook-id="${figure}"]`);
  const [kind, index] = control.split(':');
  const item = el.layout[kind][+index], option = (kind === 'sliders' ? item.steps : item.buttons)[k];
  const a = option.args || [];
  const named = option.method === 'restyle' && typeof a[0] === 'string';
  const traces = named ? {[a[0]]: a[1]} : ['restyle', 'update'].includes(option.method) ? a[0] : {};
  const which = (named || option.method === 'update' ? a[2] : option.method === 'restyle' ? a[1] : null)
                ?? el.data.map((_, i) => i);
  const layout = option.method === 'relayout' ? a[0] : option.method === 'update' ? (a[1] || {}) : {};
  const get = (root, path) => path.replace(/\[(\d+)\]/g, '.$1').split('.').reduce((o, key) => o == null ? o : o[key], root);
  const same = (got, want) => want === null ? got == null : JSON.stringify(got) === JSON.stringify(want);  // null: unset
  const wrong = [];
  for (const [key, value] of Object.entries(traces || {}))
    [which].flat().forEach((i, j) => { const want = Array.isArray(value) ? value[j % value.length] : value;
      if (!same(get(el.data[i], key), want)) wrong.push(`trace ${i} ${key}`); });
  for (const [key, value] of Object.entries(layout || {}))
    if (!same(get(el.layout, key), value)) wrong.push(`layout ${key}`);
  return {checked: Object.keys(traces || {}).length + Object.keys(layout || {}).length, wrong};
}"""

# three presses faster than plotly.js redraws: each one still counts
PRESSED_AT_ONCE = """() => { for (let i = 0; i < 3; i++)
  document.activeElement.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowRight', bubbles: true})); }"""

@pytest.mark.parametrize("path", FIGURE_PAGES)
def test_figure_menus_and_sliders_answer_the_keyboard(watched, path):
    """Every menu and slider plotly.js draws is one tab stop: arrow keys, Home and End choose an
    option as a click would, and focus stays on the control while plotly.js redraws it."""
    page = watched.page
    watched.open(path)
    watched.figures()
    controls = page.evaluate(CONTROLS)
    expected = page.evaluate("""() => Array.from(document.querySelectorAll('.nnbook-plot'))
        .reduce((n, el) => n + (el.layout.updatemenus || []).length + (el.layout.sliders || []).length, 0)""")
    assert len(controls) == expected
    for c in controls:
        assert c["tabindex"] == "0" and c["role"] in ("slider", "spinbutton") and c["name"], c
        if c["role"] == "spinbutton":
            assert c["given"] and c["name"] == c["given"], f"{c}: name the menu in its figure module (updatemenus' name)"
        assert c["now"] == c["active"], c
        control = page.locator(f".nnbook-plot[data-nnbook-id='{c['figure']}'] [data-nnbook-control='{c['control']}']")
        control.focus()
        moves = [("End", c["options"] - 1), ("Home", 0)] if c["active"] == 0 else [("Home", 0), ("ArrowRight", 1)]
        for key, k in moves:
            page.keyboard.press(key)
            page.wait_for_function(f"() => document.activeElement.getAttribute('aria-valuenow') === '{k}'")
            assert page.evaluate("() => document.activeElement.dataset.nnbookControl") == c["control"]
            applied = page.evaluate(APPLIED, [c["figure"], c["control"], k])
            assert applied["checked"] and applied["wrong"] == [], (c, key, applied)
        page.keyboard.press("Home")
        page.wait_for_function("() => document.activeElement.getAttribute('aria-valuenow') === '0'")
        page.evaluate(PRESSED_AT_ONCE)
        page.wait_for_function(f"() => document.activeElement.getAttribute('aria-valuenow') === '{min(3, c['options'] - 1)}'")
    assert watched.errors == []

@pytest.fixture(scope="session")
def axe_script() -> Path:
    """axe-core's browser script, installed with npm into .cache/ the first time it is needed."""
    return npm.package("axe-core", AXE_VERSION, AXE_CACHE) / "axe.min.js"


AXE_RUN = """() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations
  .filter(v => v.impact === 'serious' || v.impact === 'critical')
  .map(v => ({rule: v.id, impact: v.impact, nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))})))"""

OPEN_FALLBACKS = """() => new Promise(done => {
  const closed = Array.from(document.querySelectorAll('details.nnbook-fallback:not([open])'));
  closed.forEach(d => d.open = true);
  setTimeout(() => done(closed.length), 50);  // toggle events fire in a task of their own
})"""


@pytest.mark.parametrize("palette", ["light", "dark"])
def test_no_serious_accessibility_violations(watched, axe_script, palette):
    page = watched.page
    found = []
    for path in PAGES:
        watched.open(path)
        if palette == "dark" and page.evaluate("document.body.getAttribute('data-md-color-scheme')") != "slate":
            page.click("label[title='Switch to dark mode']")
            page.wait_for_function("() => document.body.getAttribute('data-md-color-scheme') === 'slate'")
        watched.figures()
        page.add_script_tag(path=str(axe_script))
        found += [f"/{path} ({palette}): {v['rule']} ({v['impact']}) at {', '.join(v['nodes'])}"
                  for v in page.evaluate(AXE_RUN)]
        if palette == "light" and page.evaluate(OPEN_FALLBACKS):  # the figures' data tables, opened
            found += [f"/{path} (data tables open): {v['rule']} ({v['impact']}) at {', '.join(v['nodes'])}"
                      for v in page.evaluate(AXE_RUN)]
    assert found == [], "axe-core finds serious or critical violations:\n" + "\n".join(found)


# -- live models: the network run in the browser -----------------------------------------

LIVE_PAGE = "playground/"
LIVE_MODEL = "network/mlp"
LIVE_TOLERANCE = 1e-5  # largest |browser - Keras| probability: float32 weights, float64 sums in the browser

# live.js arrives after the page (nnbook.js fetches it): until then window.nnbook.models does not exist
LIVE_IN = f"() => !!window.nnbook.models && !!window.nnbook.models[{LIVE_MODEL!r}]"
LIVE_READY = (f"{LIVE_IN}"
              f" && window.nnbook.models[{LIVE_MODEL!r}].net !== null")
WIDGET = "document.querySelector('.nnbook-live').nnbookLive"


def open_live(watched, height: int = 900):
    page = watched.page
    page.set_viewport_size({"width": 1280, "height": height})
    watched.open(LIVE_PAGE)
    page.locator(".nnbook-live").scroll_into_view_if_needed()
    page.wait_for_function(LIVE_READY)
    return page


def test_browser_forward_pass_agrees_with_keras(watched):
    page = open_live(watched)
    found = page.evaluate("""async (name) => {
      const model = window.nnbook.models[name], ex = model.net.examples, n = 784, k = 10;
      let agree = 0, worst = 0;
      for (let i = 0; i < ex.count; i++) {
        const pixels = Array.from(ex.pixels.subarray(i * n, (i + 1) * n), v => v / 255);
        const mine = model.run(pixels), keras = Array.from(ex.probabilities.subarray(i * k, (i + 1) * k));
        const top = a => a.indexOf(Math.max(...a));
        agree += top(mine) === top(keras);
        worst = Math.max(worst, ...mine.map((p, j) => Math.abs(p - keras[j])));
      }
      const hooked = await model.predict(Array.from(ex.pixels.subarray(0, n), v => v / 255));
      return {count: ex.count, agree: agree / ex.count, worst: worst, hooked: hooked,
              direct: model.run(Array.from(ex.pixels.subarray(0, n), v => v / 255))};
    }""", LIVE_MODEL)
    print(f"\nbrowser vs Keras on {found['count']} validation digits: argmax agreement {found['agree']:.4f}, "
          f"largest probability difference {found['worst']:.2e}")
    assert found["count"] >= 50
    assert found["agree"] >= 0.999
    assert found["worst"] < LIVE_TOLERANCE
    assert found["hooked"] == found["direct"] and len(found["hooked"]) == 10
    assert watched.errors == []


def draw(page, *strokes: list[tuple[float, float]]) -> None:
    """Mouse strokes on the pad, in fractions of its width and height."""
    page.locator(".nnbook-live-pad").evaluate("pad => pad.scrollIntoView({block: 'center'})")
    box = page.locator(".nnbook-live-pad").bounding_box()
    for stroke in strokes:
        (x, y), rest = stroke[0], stroke[1:]
        page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"])
        page.mouse.down()
        for x, y in rest:
            page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=6)
        page.mouse.up()
    page.wait_for_timeout(100)


PREPARED = f"""() => {{
  const w = {WIDGET}, img = Array.from(w.prepared), outs = w.outputs;
  let mass = 0, mx = 0, my = 0, rows = [], cols = [];
  img.forEach((v, i) => {{ mass += v; mx += v * (i % 28); my += v * Math.floor(i / 28);
                           if (v > 0) {{ rows.push(Math.floor(i / 28)); cols.push(i % 28); }} }});
  return {{min: Math.min(...img), max: Math.max(...img), cx: mx / mass, cy: my / mass,
           height: Math.max(...rows) - Math.min(...rows) + 1, width: Math.max(...cols) - Math.min(...cols) + 1,
           probabilities: Array.from(outs[outs.length - 1])}};
}}"""


def assert_prepared_like_mnist(found: dict) -> None:
    assert 0 <= found["min"] and found["max"] <= 1 and found["max"] > 0.5
    assert abs(found["cx"] - 14) <= 0.5 and abs(found["cy"] - 14) <= 0.5, "centre of mass on pixel (14, 14)"
    assert max(found["width"], found["height"]) in (20, 21), "scaled into a 20x20 box (21: a sliver of antialiasing)"
    probabilities = found["probabilities"]
    assert len(probabilities) == 10 and abs(sum(probabilities) - 1) < 1e-9 and min(probabilities) >= 0


def test_drawn_strokes_are_prepared_like_mnist(watched):
    page = open_live(watched)
    draw(page, [(0.7, 0.15), (0.72, 0.5), (0.7, 0.85)])  # a vertical stroke, off-centre
    stroke = page.evaluate(PREPARED)
    assert_prepared_like_mnist(stroke)
    assert stroke["height"] > 3 * stroke["width"], "a tall stroke keeps its aspect"
    page.click(".nnbook-live-buttons button:has-text('Clear')")
    assert page.evaluate(f"{WIDGET}.prepared === null")
    loop = [(0.2 + 0.15 * (1 + math.cos(a)), 0.5 + 0.3 * math.sin(a)) for a in [i * math.pi / 12 for i in range(25)]]
    draw(page, loop)  # a closed loop in the left half
    ring = page.evaluate(PREPARED)
    assert_prepared_like_mnist(ring)
    assert page.evaluate(f"{WIDGET}.prepared[14 * 28 + 14]") < 0.5, "the loop's middle stays empty"
    assert watched.errors == []


def test_validation_digits_drawn_on_the_pad_read_as_keras_reads_them(watched):
    """MNIST's digits are prepared already: painted on the pad and prepared again, they come out as they
    went in, and the network reads them as Keras did."""
    page = open_live(watched)
    found = page.evaluate(f"""async () => {{
      const w = {WIDGET}, ex = w.model.net.examples, n = 784, k = 10, top = a => a.indexOf(Math.max(...a));
      let agree = 0, unchanged = 0;
      for (let i = 0; i < ex.count; i++) {{
        await w.pickExample(i);
        const pixels = ex.pixels.subarray(i * n, (i + 1) * n);
        unchanged += w.prepared.every((v, j) => Math.abs(v - pixels[j] / 255) < 1e-3);
        const keras = Array.from(ex.probabilities.subarray(i * k, (i + 1) * k));
        agree += top(Array.from(w.outputs[w.outputs.length - 1])) === top(keras);
      }}
      return {{count: ex.count, agree: agree / ex.count, unchanged: unchanged / ex.count}};
    }}""")
    print(f"\nvalidation digits through the pad: {found['unchanged']:.3f} unchanged by the preparation, "
          f"{found['agree']:.3f} read as Keras reads them")
    assert found["unchanged"] >= 0.99
    assert found["agree"] >= 0.99
    assert watched.errors == []


def test_live_model_costs_nothing_until_near_and_little_after(watched):
    page = watched.page
    weights: list[str] = []
    page.on("request", lambda r: r.url.endswith(".bin") and weights.append(r.url))
    page.add_init_script("""document.addEventListener('DOMContentLoaded', () => {
      const style = document.createElement('style');  /* the widget starts far below the fold */
      style.textContent = '.nnbook-live { margin-top: 3000px !important; }';
      document.head.appendChild(style);
    });""")
    watched.open(LIVE_PAGE)
    page.wait_for_function(LIVE_IN)
    page.wait_for_timeout(500)
    assert weights == [] and page.evaluate(f"window.nnbook.models[{LIVE_MODEL!r}].net") is None
    page.locator(".nnbook-live").scroll_into_view_if_needed()
    page.wait_for_function(LIVE_READY)
    assert len(weights) == 1
    size = int(page.evaluate("document.querySelector('.nnbook-live').dataset.nnbookBytes"))
    per_pass = page.evaluate("""(name) => {
      const model = window.nnbook.models[name], ex = model.net.examples, n = 784, inputs = [];
      for (let i = 0; i < ex.count; i++) {
        inputs.push(Float32Array.from(ex.pixels.subarray(i * n, (i + 1) * n), v => v / 255));
      }
      const times = [];
      for (let round = 0; round < 5; round++) {
        const start = performance.now();
        inputs.forEach(x => model.run(x));
        times.push((performance.now() - start) / inputs.length);
      }
      return times.sort((a, b) => a - b)[2];
    }""", LIVE_MODEL)
    print(f"\nweights asset {size / 1e6:.2f} MB, {per_pass:.3f} ms per forward pass (median of 5 rounds)")
    assert size < 1_500_000
    assert per_pass < 2.0
    assert watched.errors == []


def test_live_widget_follows_the_palette_and_instant_navigation(watched):
    page = watched.page
    watched.open("")
    page.evaluate("window.__sameDocument = true")
    page.click(f"nav.md-nav--primary a.md-nav__link[href='{watched.base}{LIVE_PAGE}']")
    page.wait_for_url(f"**/{LIVE_PAGE}")
    assert page.evaluate("window.__sameDocument === true"), "instant navigation did not engage"
    page.locator(".nnbook-live").scroll_into_view_if_needed()
    page.wait_for_function(LIVE_READY)
    draw(page, [(0.5, 0.2), (0.5, 0.8)])
    assert page.evaluate(f"{WIDGET}.outputs !== null")
    pixel = ("() => Array.from(document.querySelector('.nnbook-live-pad').getContext('2d')"
             ".getImageData(140, 140, 1, 1).data)")
    before = page.evaluate(pixel)
    page.click("label[title='Switch to dark mode']")
    page.wait_for_function("() => document.body.getAttribute('data-md-color-scheme') === 'slate'")
    page.wait_for_timeout(100)
    after = page.evaluate(pixel)
    assert before[3] == after[3] == 255 and before[:3] != after[:3], "the ink is redrawn in the dark palette's colour"
    page.click("label[title='Switch to light mode']")
    assert watched.errors == []
    assert watched.outside == []


def test_live_widget_on_a_phone_draws_with_a_finger_and_has_touch_sized_controls(watched):
    page = open_live(watched)
    page.set_viewport_size({"width": 400, "height": 800})
    page.locator(".nnbook-live-pad").evaluate("pad => pad.scrollIntoView({block: 'center'})")
    page.evaluate("""() => {
      const pad = document.querySelector('.nnbook-live-pad'), r = pad.getBoundingClientRect();
      const at = (type, fx, fy) => pad.dispatchEvent(new PointerEvent(type, {pointerId: 7, pointerType: 'touch',
        isPrimary: true, bubbles: true, clientX: r.left + fx * r.width, clientY: r.top + fy * r.height}));
      at('pointerdown', 0.5, 0.2);
      for (let i = 1; i <= 10; i++) at('pointermove', 0.5, 0.2 + 0.06 * i);
      at('pointerup', 0.5, 0.8);
    }""")
    page.wait_for_function(f"() => {WIDGET}.prepared !== null && {WIDGET}.outputs !== null")
    assert_prepared_like_mnist(page.evaluate(PREPARED))
    pad = page.locator(".nnbook-live-pad").bounding_box()
    assert pad["width"] >= 300 and abs(pad["width"] - pad["height"]) < 1
    seen = page.evaluate("""() => {
      const pad = document.querySelector('.nnbook-live-pad'), header = document.querySelector('.md-header');
      window.scrollBy(0, pad.getBoundingClientRect().top - header.getBoundingClientRect().bottom - 8);
      const p = pad.getBoundingClientRect(), o = document.querySelector('.nnbook-live-out').getBoundingClientRect();
      return {pad: p.top, outputs: o.bottom, screen: innerHeight};
    }""")
    assert seen["outputs"] <= seen["screen"], f"the outputs are in view while drawing on the whole pad: {seen}"
    controls = page.locator(".nnbook-live-buttons button, .nnbook-live-toggle")
    assert controls.count() == 3
    for i in range(3):
        assert controls.nth(i).bounding_box()["height"] >= 44, "touch-sized controls"
    assert page.evaluate("document.documentElement.scrollWidth <= 400"), "nothing wider than the screen"
    assert watched.errors == []
