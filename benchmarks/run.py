"""Build time and page weight of the book, as ratios against a plain MkDocs build in the same run,
and the reader's side of each page (benchmarks/reader.py: bytes, scripts, time to figures).

Two baselines, both without the nnbook plugin: the same source pages (same theme and
extensions), so the ratio is the price of the figures and values; and the rendered pages that
`nnbook export` writes (every figure, value, claim and generated page in place), so the ratio is
the price of the plugin itself. Run with `make bench`; nothing here is
a test, and no number here is asserted.

    python benchmarks/run.py [--repeat 5] [--no-browser] [--no-parallel] [--full]

With TensorFlow installed it also times cold runs of every experiment with `-j 1`, `-j 2`
and on a local Dask cluster (benchmarks/parallel.py; `--full` adds the full profile).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from mkdocs.utils.yaml import yaml_load

import parallel
import reader

ROOT = Path(__file__).resolve().parents[1]

def nav_pages() -> list[str]:
    """The pages of the navigation as folders of the site: "" (home), "network", ..."""
    def leaves(nav) -> list[str]:
        items = nav.values() if isinstance(nav, dict) else nav
        return [x for i in items for x in (leaves(i) if isinstance(i, (dict, list)) else [i])]

    with open(ROOT / "mkdocs.yml", encoding="utf-8") as f:
        config = yaml_load(f)  # resolves mkdocs.yml's !ENV tags
    return ["" if md == "index.md" else md.removesuffix(".md") for md in leaves(config["nav"])]


def timed_build(config: Path, site: Path, results: Path | None = None) -> float:
    # Byte-compiled modules on both sides (the first build of each writes them), as a reader's
    # install has them: without, every build spends most of a second compiling what it imports.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env |= {"NO_MKDOCS_2_WARNING": "1"} | ({"NNBOOK_RESULTS": str(results)} if results else {})
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(config), "-d", str(site)],
                   check=True, cwd=ROOT, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU time, not wall-clock time: on a shared machine the other processes' load moves the
    # wall clock of both sides by more than the difference measured.
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def baseline_config(folder: Path) -> Path:
    """mkdocs.yml without the nnbook plugin, over the same pages."""
    with open(ROOT / "mkdocs.yml", encoding="utf-8") as f:
        config = yaml_load(f)  # resolves mkdocs.yml's !ENV tags
    config["plugins"] = [p for p in config["plugins"] if not (isinstance(p, dict) and "nnbook" in p)]
    config["markdown_extensions"] = [e for e in config["markdown_extensions"] if e != "nnbook.guard"]
    config["docs_dir"] = str(ROOT / config["docs_dir"])
    if "custom_dir" in config["theme"]:
        config["theme"]["custom_dir"] = str(ROOT / config["theme"]["custom_dir"])
    path = folder / "mkdocs.yml"
    path.write_text(yaml.safe_dump(config))
    return path


def exported(folder: Path, results: Path) -> Path:
    """The book's rendered pages (`nnbook export`: references replaced, generated pages and assets in
    place) with a mkdocs.yml without the plugin: the baseline that holds the same content."""
    env = os.environ | {"NO_MKDOCS_2_WARNING": "1", "NNBOOK_RESULTS": str(results)}
    subprocess.run([str(Path(sys.executable).with_name("nnbook")), "export", "--out", str(folder)],
                   check=True, cwd=ROOT, env=env, capture_output=True)
    return folder / "mkdocs.yml"


def page_weight(site: Path, page: str) -> dict[str, int]:
    html = (site / page / "index.html").read_text()
    assets = sum(p.stat().st_size for p in (site / "assets" / "nnbook").rglob("*")) if (site / "assets/nnbook").exists() else 0
    return {"html": len(html.encode()), "figure_assets": assets}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-browser", action="store_true", help="skip the reader's side (headless Chromium)")
    parser.add_argument("--no-parallel", action="store_true", help="skip the cold runs of the experiments")
    parser.add_argument("--full", action="store_true", help="cold runs of the full profile too (minutes each)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        base = baseline_config(tmp)
        results = tmp / "results"  # a copy, so that emptying its rendered cache touches nothing of the project's
        shutil.copytree(ROOT / "results" / "full", results / "full")
        book = ROOT / "mkdocs.yml"

        def rerender() -> float:
            shutil.rmtree(results / ".rendered", ignore_errors=True)
            return timed_build(book, tmp / "book", results)

        timed_build(book, tmp / "warmup", results)  # fills the rendered-output cache
        timed_build(base, tmp / "warmup-plain")
        rendered = exported(tmp / "export", results)
        timed_build(rendered, tmp / "warmup-export")
        plain = statistics.median(timed_build(base, tmp / "plain") for _ in range(args.repeat))
        same = statistics.median(timed_build(rendered, tmp / "plain-rendered") for _ in range(args.repeat))
        warm = statistics.median(timed_build(book, tmp / "book", results) for _ in range(args.repeat))
        fresh = statistics.median(rerender() for _ in range(args.repeat))
        print(f"CPU time of each build (user + system), medians over {args.repeat} builds of "
              f"{len(list((ROOT / 'content').glob('*.md')))} pages")
        print(f"plain MkDocs build, no plugin          {plain:.2f} s   1.00x")
        print(f"plain build of the rendered pages      {same:.2f} s   {same / plain:.2f}x   (nnbook export: figures, "
              "values and generated pages in place)")
        print(f"warm nnbook build, nothing stale       {warm:.2f} s   {warm / plain:.2f}x   "
              f"{warm / same:.2f}x the rendered pages' plain build")
        print(f"figures re-rendered, no training       {fresh:.2f} s   {fresh / plain:.2f}x")
        for page in ("network", "training", "activations"):
            book, plain_page = page_weight(tmp / "book", page), page_weight(tmp / "plain", page)
            print(f"{page}: page HTML {book['html'] / 1024:.0f} KiB vs {plain_page['html'] / 1024:.0f} KiB plain "
                  f"({book['html'] / plain_page['html']:.1f}x); plotly.js, figure data and nnbook assets "
                  f"{book['figure_assets'] / 1024:.0f} KiB for the whole site, each file loaded when needed")
        if not args.no_browser and not Path(reader.CHROMIUM).exists():
            print(f"\nthe reader's side: skipped, {reader.CHROMIUM} is missing (apt-get install -y chromium)")
        elif not args.no_browser:
            print("\nthe reader's side, headless Chromium (figures: time from navigation to drawn)")
            print("\n".join(reader.report(tmp / "book", tmp / "plain", nav_pages())))
    if not args.no_parallel:
        if importlib.util.find_spec("tensorflow") is None:
            print("\ncold experiment runs: skipped, TensorFlow is not installed (make experiments-setup)")
            return
        print("\nevery experiment from an empty results folder, as ratios against -j 1")
        print("\n".join(parallel.report(full=args.full)))


if __name__ == "__main__":
    main()
