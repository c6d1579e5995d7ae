"""Figures as a reader sees them, on a phone (400 px) and a desktop (1280 px): no title, legend
or colour bar over another part of its figure or cut off at its edge, every menu option and
slider step answering a mouse click (the mode bar in the way of none), each script fetched once."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from test_browser import APPLIED, FIGURE_PAGES, Watched

pytestmark = pytest.mark.browser

WIDTHS = [400, 1280]



def opened(browser, base: str, path: str, width: int) -> Watched:
    w = Watched(browser, base)
    w.page.set_viewport_size({"width": width, "height": 900})
    w.open(path)
    w.figures()
    return w


# Every part of every figure as a box in page pixels: the parts that must stand clear (subplot
# titles and other notes placed on the paper, legends, colour bars) and everything they must not
# cover (plot areas, axis titles, tick labels, menus, sliders, each other).
PARTS = r"""() => Array.from(document.querySelectorAll('.nnbook-plot')).map(el => {
  const L = el._fullLayout, svg = el.querySelector('.main-svg').getBoundingClientRect();
  const box = (r, kind, name) => r.width > 0 && r.height > 0 ?
    {kind, name, l: r.left, t: r.top, r: r.right, b: r.bottom} : null;
  const parts = [];
  const add = (nodes, kind, name) => nodes.forEach((n, i) => {
    const b = box(n.getBoundingClientRect(), kind, typeof name === 'function' ? name(n, i) : name);
    if (b) parts.push(b);
  });
  Object.values(L._plots).forEach(p => parts.push(box({left: svg.left + p.xaxis._offset, top: svg.top + p.yaxis._offset,
    right: svg.left + p.xaxis._offset + p.xaxis._length, bottom: svg.top + p.yaxis._offset + p.yaxis._length,
    width: p.xaxis._length, height: p.yaxis._length}, 'plot area', p.id)));
  el.querySelectorAll('.infolayer g.annotation').forEach(g => {
    const a = L.annotations[+g.getAttribute('data-index')];
    if (a && a.xref === 'paper' && a.yref === 'paper' && a.visible !== false)
      add([g.querySelector('.annotation-text-g') || g], 'note', 'note "' + String(a.text).replace(/<[^>]+>/g, ' ') + '"');
  });
  add(el.querySelectorAll('.infolayer .legend .bg'), 'legend', 'legend');
  add(el.querySelectorAll('.infolayer .colorbar'), 'colour bar', (n, i) => 'colour bar ' + i);
  add(el.querySelectorAll('.g-xtitle, .g-ytitle, [class^="g-x"][class$="title"], [class^="g-y"][class$="title"]'),
      'axis title', n => 'axis title "' + n.textContent + '"');
  add(el.querySelectorAll('.xaxislayer-above .xtick text, .yaxislayer-above .ytick text'), 'tick label',
      n => 'tick label "' + n.textContent + '"');
  add(el.querySelectorAll('.updatemenu-header-group, .updatemenu-button'), 'menu', 'menu');
  add(el.querySelectorAll('.slider-group'), 'slider', 'slider');
  return {id: el.dataset.nnbookId, svg: box(svg, 'figure', 'figure'), parts: parts.filter(Boolean)};
})"""

STANDS_CLEAR = {"note", "legend", "colour bar"}
MUST_NOT_COVER = {"note", "legend", "colour bar", "axis title", "tick label", "plot area", "menu", "slider"}
SLACK = 2  # px of antialiasing and text metrics either way


def overlap(a: dict, b: dict) -> float:
    w = min(a["r"], b["r"]) - max(a["l"], b["l"]) - SLACK
    h = min(a["b"], b["b"]) - max(a["t"], b["t"]) - SLACK
    return w * h if w > 0 and h > 0 else 0.0


def collisions(figure: dict) -> list[str]:
    found = []
    parts = figure["parts"]
    svg = figure["svg"]
    for i, a in enumerate(parts):
        if a["kind"] not in STANDS_CLEAR:
            continue
        if a["l"] < svg["l"] - SLACK or a["r"] > svg["r"] + SLACK or a["t"] < svg["t"] - SLACK or a["b"] > svg["b"] + SLACK:
            found.append(f"{a['name']} is cut off at the figure's edge")
        for j, b in enumerate(parts):
            if j == i or b["kind"] not in MUST_NOT_COVER or (b["kind"] in STANDS_CLEAR and j < i):
                continue
            if a["kind"] == "colour bar" and b["kind"] == "tick label" and b["l"] >= a["l"] - SLACK:
                continue  # the colour bar's own tick labels
            if overlap(a, b) > 4:
                found.append(f"{a['name']} overlaps {b['name']}")
    return found


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", FIGURE_PAGES)
def test_titles_legends_and_colour_bars_stand_clear(browser, served_site, path, width):
    w = opened(browser, served_site, path, width)
    found = [f"{f['id']} at {width} px: {c}" for f in w.page.evaluate(PARTS) for c in collisions(f)]
    assert found == [], "\n".join(found)
    assert w.page.evaluate("document.documentElement.scrollWidth") <= width, "nothing wider than the screen"
    assert w.errors == []
    w.page.close()


def test_the_overlap_check_fails_on_a_squeezed_figure(browser, served_site):
    """The check above can fail: the desktop layouts of multi-panel figures, squeezed to a phone,
    collide somewhere (the training page's figures, with their subplot titles and legends)."""
    w = Watched(browser, served_site)
    w.page.set_viewport_size({"width": 400, "height": 900})
    w.page.add_init_script("window.matchMedia = q => ({matches: false, media: q, addEventListener() {}});")
    w.open("training/")
    w.figures()
    squeezed = [f["id"] for f in w.page.evaluate(PARTS) if collisions(f)]
    assert squeezed, "some squeezed figure's titles, legend or colour bar overlap"
    w.page.close()


# The centre of each option of a control, in page pixels, to be clicked; for a dropdown, of its
# header too (a click opens it, the option's own box exists only while it is open).
OPTION_POINTS = r"""([figure, control]) => {
  const el = document.querySelector(`.nnbook-plot[data-nnbook-id="${figure}"]`);
  const g = el.querySelector(`[data-nnbook-control="${control}"]`);
  const centre = n => { const r = n.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; };
  if (control.startsWith('sliders')) {
    const rail = g.querySelector('.slider-rail-rect').getBoundingClientRect();
    return {points: Array.from(g.querySelectorAll('.slider-tick-rect')).map(t => [centre(t)[0], rail.top + rail.height / 2])};
  }
  const item = el.layout.updatemenus[+control.split(':')[1]];
  return {dropdown: (item.type || 'dropdown') === 'dropdown', header: centre(g),
          points: Array.from(g.querySelectorAll('.updatemenu-button')).map(centre)};
}"""

OPEN_OPTIONS = """figure => Array.from(document.querySelectorAll(
  `.nnbook-plot[data-nnbook-id="${figure}"] .updatemenu-dropdown-button-group .updatemenu-dropdown-button`)).map(n => {
  const r = n.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })"""

CONTROLS = """() => Array.from(document.querySelectorAll('[data-nnbook-control]')).map(g => {
  const [kind, index] = g.dataset.nnbookControl.split(':');
  const el = g.closest('.nnbook-plot'), item = el.layout[kind][+index];
  return {figure: el.dataset.nnbookId, control: g.dataset.nnbookControl, active: item.active || 0,
          options: (kind === 'sliders' ? item.steps : item.buttons).length};
})"""

ACTIVE = """([figure, control]) => { const el = document.querySelector(`.nnbook-plot[data-nnbook-id="${figure}"]`);
  const [kind, index] = control.split(':'); return el.layout[kind][+index].active || 0; }"""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", [p for p in FIGURE_PAGES])
def test_every_option_answers_the_mouse(browser, served_site, path, width):
    """Each option of each menu and each step of each slider, clicked with the mouse where the
    reader sees it (the pointer over the figure, so plotly.js shows its mode bar), takes effect."""
    w = opened(browser, served_site, path, width)
    page = w.page
    for c in page.evaluate(CONTROLS):
        control = page.locator(f".nnbook-plot[data-nnbook-id='{c['figure']}'] [data-nnbook-control='{c['control']}']")
        order = [k for k in range(c["options"]) if k != c["active"]] + [c["active"]]
        for k in order:
            control.scroll_into_view_if_needed()
            found = page.evaluate(OPTION_POINTS, [c["figure"], c["control"]])
            if found.get("dropdown"):
                page.mouse.click(*found["header"])
                page.wait_for_timeout(150)
                points = page.evaluate(OPEN_OPTIONS, c["figure"])
            else:
                points = found["points"]
            assert len(points) == c["options"], (c, points)
            page.mouse.move(*points[k])
            page.wait_for_timeout(50)  # hovered: plotly.js shows its mode bar now
            page.mouse.click(*points[k])
            page.wait_for_function(f"([f, c]) => ({ACTIVE})([f, c]) === {k}", arg=[c["figure"], c["control"]],
                                   timeout=5000)
            try:  # the option's restyle can land a frame after the control shows it active
                page.wait_for_function(f"(a) => {{ const r = ({APPLIED})(a); return r.checked && !r.wrong.length; }}",
                                       arg=[c["figure"], c["control"], k], timeout=3000)
            except PlaywrightTimeout:
                pass  # the assertion below names what did not change
            applied = page.evaluate(APPLIED, [c["figure"], c["control"], k])
            assert applied["checked"] and applied["wrong"] == [], (c, k, applied)
    assert w.errors == []
    page.close()


SCRIPT_REQUESTS = """() => performance.getEntriesByType('resource').filter(e => /\\.js$/.test(e.name))
  .map(e => e.name)"""


@pytest.mark.parametrize("throttled", [False, True])
def test_each_script_is_fetched_once(browser, served_site, throttled):
    """The preload in <head> and the loader after the first paint make one request per script,
    on a fast machine and on a phone's (CPU slowed four times, network slowed)."""
    context = browser.new_context()
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    if throttled:
        cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 150,
                                                      "downloadThroughput": 200_000, "uploadThroughput": 90_000})
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    sent: list[str] = []
    warnings: list[str] = []
    cdp.on("Network.requestWillBeSent", lambda e: e["request"]["url"].endswith(".js") and sent.append(e["request"]["url"]))
    page.on("console", lambda m: "preload" in m.text and warnings.append(m.text))
    for path in ("activations/", "metrics/"):
        sent.clear()
        page.goto(served_site + path)
        page.wait_for_function("() => !!window.nnbook", timeout=30_000)
        page.wait_for_timeout(3500)  # Chromium warns of an unused preload a few seconds after the load
        assert sent and len(sent) == len(set(sent)), f"/{path}: a script fetched twice: {sent}"
        assert any("/nnbook.js" in u for u in sent) and any("bundle" in u for u in sent)
    assert warnings == []
    context.close()
