"""The reader's side of a built site: what each page costs to download and how soon its figures
appear, in headless Chromium (Debian's /usr/bin/chromium), beside the same page without the plugin.

The simulated reader opens a page and starts scrolling as soon as it is shown, as readers do;
"near the top" means the figures whose box starts within the first two screens.

The main thread's work while a phone-sized page loads (nobody scrolling, as in Lighthouse) is
counted in CPU time, the trace's thread time: on a shared machine a task's wall time can double
when the CPU is taken away, its CPU time does not. "Blocking at 4x" is what a phone four times
slower would spend in tasks beyond 50 ms: Lighthouse's total blocking time, but over every task,
not only those after the first paint (whose timing varies from load to load).
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import http.server
import statistics
import threading
from collections import Counter
from pathlib import Path
from typing import Iterator

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking"]
VIEWPORT = {"width": 1280, "height": 800}
PHONE = {"viewport": {"width": 412, "height": 823}, "device_scale_factor": 1.75, "is_mobile": True, "has_touch": True}
SLOWDOWN = 4  # Lighthouse's mobile CPU throttling
TRACE = {"categories": "devtools.timeline,disabled-by-default-devtools.timeline", "transferMode": "ReportEvents"}
TIMEOUT_MS = 30_000

# Records when each figure gets its first SVG, from the start of navigation (performance.now()).
DRAW_TIMES = """window.__drawn = {};
new MutationObserver(() => document.querySelectorAll('.nnbook-plot').forEach(el => {
  if (el.querySelector('.main-svg') && !(el.dataset.nnbookId in window.__drawn))
    window.__drawn[el.dataset.nnbookId] = performance.now();
})).observe(document, {childList: true, subtree: true});
document.addEventListener('DOMContentLoaded', () => window.scrollBy(0, 1));"""

# the page's top, not offsetTop: a figure box with content-visibility is its plot's offset parent
NEAR_TOP = ("Array.from(document.querySelectorAll('.nnbook-plot'))"
            ".filter(e => e.getBoundingClientRect().top + scrollY < 2 * innerHeight).map(e => e.dataset.nnbookId)")
SCRIPT_BYTES = "performance.getEntriesByType('resource').filter(r => r.initiatorType === 'script' || /\\.js$/.test(r.name)).reduce((n, r) => n + r.encodedBodySize, 0)"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def served(site: Path) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


def html_bytes(site: Path, page: str) -> tuple[int, int]:
    raw = (site / page / "index.html").read_bytes()
    return len(raw), len(gzip.compress(raw, compresslevel=6, mtime=0))


def measure(browser, url: str) -> dict[str, float | int | None]:
    """Script bytes at load, and ms from navigation to the first figure and all figures near the top."""
    page = browser.new_page(viewport=VIEWPORT)
    page.add_init_script(DRAW_TIMES)
    page.goto(url, wait_until="load")
    at_load = page.evaluate(SCRIPT_BYTES)
    near = page.evaluate(NEAR_TOP)
    if near:
        page.wait_for_function(f"() => {NEAR_TOP}.every(id => id in window.__drawn)", timeout=TIMEOUT_MS)
    page.wait_for_load_state("networkidle")
    drawn = page.evaluate("window.__drawn")
    result = {"js_at_load": at_load, "js_total": page.evaluate(SCRIPT_BYTES),
              "first_figure_ms": min(drawn.values()) if drawn else None,
              "near_top_ms": max(drawn[i] for i in near) if near else None, "near_top": len(near)}
    page.close()
    return result


def main_thread(browser, url: str) -> dict[str, float]:
    """CPU ms of the page's main thread from navigation to a quiet network on a phone-sized screen,
    and the blocking ms of the same tasks SLOWDOWN times slower."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    events: list[dict] = []
    traced = threading.Event()
    cdp.on("Tracing.dataCollected", lambda data: events.extend(data["value"]))
    cdp.on("Tracing.tracingComplete", lambda _: traced.set())
    cdp.send("Tracing.start", TRACE)
    page.goto(url, wait_until="networkidle")
    cdp.send("Tracing.end")
    while not traced.is_set():
        page.wait_for_timeout(20)  # the trace arrives through Playwright's event loop
    context.close()
    parsed = Counter((e["pid"], e["tid"]) for e in events if e.get("name") == "ParseHTML")
    thread = parsed.most_common(1)[0][0]  # the renderer thread that parsed the page
    tasks = [e.get("tdur", e["dur"]) / 1000 for e in events
             if e.get("name") == "RunTask" and e.get("ph") == "X" and (e["pid"], e["tid"]) == thread]
    return {"cpu_ms": sum(tasks), "blocking_ms": sum(max(0.0, SLOWDOWN * t - 50) for t in tasks)}


def report(book: Path, plain: Path, pages: list[str]) -> list[str]:
    """One line per page: the book's page beside the plain one."""
    from playwright.sync_api import sync_playwright

    def ms(value: float | None) -> str:
        return f"{value:6.0f}" if value is not None else "     -"

    def cpu(browser, url: str) -> str:  # medians of three loads
        loads = [main_thread(browser, url) for _ in range(3)]
        return "{:4.0f} /{:5.0f}".format(*(statistics.median(m[k] for m in loads) for k in ("cpu_ms", "blocking_ms")))

    width = max(len(name or "index") for name in pages)
    lines = [f"{'page':{width}} {'HTML KiB':>9} {'gzip':>5} {'JS KiB at load':>15} {'JS KiB total':>13} "
             f"{'first fig ms':>12} {'top figs ms':>12} {'CPU ms / blocking at 4x':>24}   "
             "plain: HTML KiB, gzip, JS KiB, CPU ms / blocking at 4x"]
    with sync_playwright() as p, served(book) as book_url, served(plain) as plain_url:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for page in pages:
            path = f"{page}/" if page else ""
            got, (raw, gz) = measure(browser, book_url + path), html_bytes(book, page)
            baseline = "none (a page the plugin generates)"
            if (plain / page / "index.html").exists():
                base, (plain_raw, plain_gz) = measure(browser, plain_url + path), html_bytes(plain, page)
                baseline = (f"{plain_raw / 1024:.1f}, {plain_gz / 1024:.1f}, {base['js_total'] / 1024:.0f}, "
                            f"{cpu(browser, plain_url + path)}")
            lines.append(f"{page or 'index':{width}} {raw / 1024:9.1f} {gz / 1024:5.1f} {got['js_at_load'] / 1024:15.0f} "
                         f"{got['js_total'] / 1024:13.0f} {ms(got['first_figure_ms']):>12} "
                         f"{ms(got['near_top_ms']):>12} ({got['near_top']}) {cpu(browser, book_url + path):>20}   {baseline}")
        browser.close()
    return lines
