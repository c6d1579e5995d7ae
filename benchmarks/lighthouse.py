"""Lighthouse (mobile preset, default throttling) on every page of the book, beside the same page
built without the nnbook plugin, each site served locally without compression.

Lighthouse simulates a slow phone from one observed load, so one run's score can move by 0.1 on
a busy 2-core machine: every page is measured several times, alternating book and plain, and the
medians are reported. The last column is Lighthouse's own measure of the machine's speed during
the page's runs (its benchmarkIndex, median); a row measured while the host was slow shows a low
one, for book and plain alike. Lighthouse comes from npm, pinned, installed under .cache/ on first use
(12.8 rather than 12.2, whose LCP-element audit fails on the traces of Debian's Chromium 156).

Every page of the book should score at least 0.90 with at most 200 ms of total blocking time
(medians); the script exits non-zero, naming the pages, when one does not.

    python benchmarks/lighthouse.py [--runs 3] [--book-only] [PAGE ...]     (PAGE: "" for home, "network", ...)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import reader
from run import ROOT, baseline_config, nav_pages

from nnbook import npm

VERSION = "12.8.2"
MIN_SCORE, MAX_BLOCKING_MS = 0.90, 200  # every page, medians (mobile preset)
CACHE = ROOT / ".cache" / "lighthouse"
METRICS = {"perf": ("categories", "performance"), "a11y": ("categories", "accessibility"),
           "tbt": ("audits", "total-blocking-time"), "fcp": ("audits", "first-contentful-paint"),
           "lcp": ("audits", "largest-contentful-paint"), "cls": ("audits", "cumulative-layout-shift"),
           "bytes": ("audits", "total-byte-weight")}


def lighthouse() -> Path:
    npm.package("lighthouse", VERSION, CACHE)
    return CACHE / "node_modules" / ".bin" / "lighthouse"


def build(config: Path, site: Path, url: str) -> None:
    env = os.environ | {"NO_MKDOCS_2_WARNING": "1", "NNBOOK_SITE_URL": url}  # instant navigation engages
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(config), "-d", str(site)],
                   check=True, cwd=ROOT, env=env)


def audit(binary: Path, url: str, report: Path) -> dict[str, float]:
    subprocess.run([str(binary), url, "--quiet", "--only-categories=performance,accessibility", "--output=json",
                    f"--output-path={report}", "--chrome-flags=--headless=new " + " ".join(reader.FLAGS[1:])],
                   check=True, env=os.environ | {"CHROME_PATH": reader.CHROMIUM})
    found = json.loads(report.read_text())
    values = {"speed": found["environment"]["benchmarkIndex"]}
    for name, (group, key) in METRICS.items():
        item = found[group][key]
        values[name] = item["score"] if group == "categories" else item["numericValue"]
    return values


def row(page: str, book: dict[str, float], plain: dict[str, float] | None, speed: float) -> str:
    def cell(m: dict[str, float], a11y: bool) -> str:
        text = f"{m['perf']:.2f} / {m['tbt']:.0f} ms / {m['fcp'] / 1000:.1f} s / {m['lcp'] / 1000:.1f} s / {m['cls']:.2f} / {m['bytes'] / 1024:.0f} KiB"
        return text + (f" / {m['a11y']:.2f}" if a11y else "")
    return f"| {page or 'home'} | {cell(book, True)} | {cell(plain, False) if plain else '—'} | {speed:.0f} |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--book-only", action="store_true", help="measure the book's pages only, not plain Material's")
    parser.add_argument("pages", nargs="*", help='pages as site folders ("" is the home page); default: all')
    args = parser.parse_args()
    binary = lighthouse()
    slow: list[str] = []
    pages = args.pages or nav_pages()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sites = {"book": tmp / "book", "plain": tmp / "plain"}
        with reader.served(sites["book"]) as book_url, reader.served(sites["plain"]) as plain_url:
            build(ROOT / "mkdocs.yml", sites["book"], book_url)
            if not args.book_only:
                build(baseline_config(tmp), sites["plain"], plain_url)
            print(f"Lighthouse {VERSION}, mobile, medians of {args.runs} runs: "
                  "performance / total blocking time / FCP / LCP / CLS / transferred / accessibility")
            print("| page | nnbook | plain Material, same page | machine speed |\n|---|---|---|---|")
            for page in pages:
                runs: dict[str, list[dict[str, float]]] = {"book": [], "plain": []}
                has_plain = not args.book_only and (sites["plain"] / page / "index.html").exists()  # generated pages have none
                for i in range(args.runs):
                    for name, base in (("book", book_url), ("plain", plain_url)):
                        if name == "book" or has_plain:
                            runs[name].append(audit(binary, base + (page + "/" if page else ""), tmp / "report.json"))
                medians = {name: {k: statistics.median(r[k] for r in found) for k in METRICS}
                           for name, found in runs.items() if found}
                speed = statistics.median(r["speed"] for found in runs.values() for r in found)
                print(row(page, medians["book"], medians.get("plain"), speed), flush=True)
                if medians["book"]["perf"] < MIN_SCORE or medians["book"]["tbt"] > MAX_BLOCKING_MS:
                    slow.append(page or "home")
    if slow:
        sys.exit(f"below {MIN_SCORE} or over {MAX_BLOCKING_MS} ms of blocking time: {', '.join(slow)}")


if __name__ == "__main__":
    main()
