"""Build time and page weight of the book, as ratios against a plain MkDocs build in the same run.

The baseline is the same site (same pages, theme and extensions) without the nnbook
plugin, so the ratio is the price of the figures. Run with `make bench`; nothing here is
a test, and no number here is asserted.

    python benchmarks/run.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def timed_build(config: Path, site: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(config), "-d", str(site)],
                   check=True, cwd=ROOT)
    return time.perf_counter() - start


def baseline_config(folder: Path) -> Path:
    """mkdocs.yml without the nnbook plugin, over the same pages."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    config["plugins"] = [p for p in config["plugins"] if not (isinstance(p, dict) and "nnbook" in p)]
    config["docs_dir"] = str(ROOT / config["docs_dir"])
    path = folder / "mkdocs.yml"
    path.write_text(yaml.safe_dump(config))
    return path


def page_weight(site: Path, page: str) -> dict[str, int]:
    html = (site / page / "index.html").read_text()
    assets = sum(p.stat().st_size for p in (site / "assets" / "nnbook").glob("*")) if (site / "assets/nnbook").exists() else 0
    return {"html": len(html.encode()), "figure_assets": assets}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        base = baseline_config(tmp)
        timed_build(ROOT / "mkdocs.yml", tmp / "warmup")  # fills the rendered-output cache
        plain = [timed_build(base, tmp / "plain") for _ in range(args.repeat)]
        warm = [timed_build(ROOT / "mkdocs.yml", tmp / "book") for _ in range(args.repeat)]
        p, w = statistics.median(plain), statistics.median(warm)
        print(f"plain MkDocs build (no plugin)   median {p:.2f} s over {args.repeat}")
        print(f"warm nnbook build (nothing stale) median {w:.2f} s over {args.repeat}")
        print(f"warm build / plain build          {w / p:.2f}x")
        for page in ("network", "training", "activations"):
            book, plain_page = page_weight(tmp / "book", page), page_weight(tmp / "plain", page)
            print(f"{page}: page HTML {book['html'] / 1024:.0f} KiB vs {plain_page['html'] / 1024:.0f} KiB plain "
                  f"({book['html'] / plain_page['html']:.1f}x); plotly.js and nnbook assets "
                  f"{book['figure_assets'] / 1024:.0f} KiB, served once for the whole site")


if __name__ == "__main__":
    main()
