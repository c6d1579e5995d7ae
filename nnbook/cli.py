"""`nnbook build | figures | serve | list | check | new | notebooks | clean`."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .book import ENV_PROFILE, ENV_RESULTS, Book, BuildError, results_for_mkdocs
from .registry import PROFILES


def _book(args: argparse.Namespace) -> Book:
    return Book(args.root / args.results, args.profile)


def _selects(selector: str, experiment_id: str) -> bool:
    """An experiment id selects itself; a topic selects its experiments."""
    return experiment_id == selector or experiment_id.startswith(selector.rstrip("/") + "/")


def figures(args: argparse.Namespace) -> int:
    """Run the experiments whose results are stale (or the named ones / topics with --force)."""
    book = _book(args)
    wanted = [i for i in book.experiments if not args.ids or any(_selects(x, i) for x in args.ids)]
    unknown = [x for x in args.ids if not any(_selects(x, i) for i in book.experiments)]
    if unknown:
        print(f"nnbook: no experiment or topic named {', '.join(unknown)}; see `nnbook list`", file=sys.stderr)
        return 2
    if args.force:
        for i in wanted:
            book.store.discard(i, book.key(i))
    try:
        ran = book.refresh(wanted)
    except BuildError as e:
        print(f"nnbook: {e.what}\n{e.detail}", file=sys.stderr)
        return 1
    print(f"nnbook: {len(ran)} experiment(s) ran, {len(wanted) - len(ran)} up to date ({args.profile})")
    return 0


def build(args: argparse.Namespace) -> int:
    """`mkdocs build --strict` into a fresh folder that replaces the site only when complete."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    logging.basicConfig(format="%(levelname)-7s -  %(message)s", level=logging.INFO)
    site = (args.root / args.site_dir).resolve()
    tmp = site.with_name(f".{site.name}.tmp-{os.getpid()}")
    try:
        with results_for_mkdocs(args.root / args.results, args.profile):
            config = load_config(str(args.root / "mkdocs.yml"), site_dir=str(tmp), strict=True)
            config.plugins.on_startup(command="build", dirty=False)
            try:
                mkdocs_build(config)
            finally:
                config.plugins.on_shutdown()
        old = site.with_name(f".{site.name}.old-{os.getpid()}")
        if site.exists():
            site.rename(old)
        tmp.rename(site)
        shutil.rmtree(old, ignore_errors=True)
    except (MkDocsException, KeyboardInterrupt) as e:
        print(f"nnbook: build failed, {site} left as it was: {e}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"nnbook: site built in {site}")
    return 0


def serve(args: argparse.Namespace) -> int:
    env = os.environ | {ENV_PROFILE: args.profile, ENV_RESULTS: str(args.root / args.results)}
    command = [sys.executable, "-m", "mkdocs", "serve", "-f", str(args.root / "mkdocs.yml"), "-a", args.address]
    return subprocess.call(command, env=env)


def list_(args: argparse.Namespace) -> int:
    book = _book(args)
    stale = set(book.stale())
    for experiment_id, experiment in sorted(book.experiments.items()):
        state = "stale" if experiment_id in stale else "fresh"
        print(f"{experiment_id:32} {state:6} seed {experiment.seed:<3} {experiment.title}")
        for output in sorted(book.outputs.values(), key=lambda o: o.id):
            if output.uses == experiment_id:
                print(f"    {output.kind:7} {output.id}")
    return 0


def check(args: argparse.Namespace) -> int:
    """Exit 1, naming them, when stored results are missing, stale or damaged."""
    problems = _book(args).check()
    for problem in problems:
        print(f"nnbook: {problem}", file=sys.stderr)
    if not problems:
        print(f"nnbook: all {args.profile} results are up to date")
    return 1 if problems else 0


def new(args: argparse.Namespace) -> int:
    from .scaffold import new_topic

    try:
        for path in new_topic(args.root, args.topic, args.title):
            print(f"created {path}")
    except (FileExistsError, ValueError) as e:
        print(f"nnbook: {e}", file=sys.stderr)
        return 1
    return 0


def notebooks(args: argparse.Namespace) -> int:
    from .notebooks import write_notebooks

    for path in write_notebooks(_book(args), args.root / args.out, execute=args.execute):
        print(f"wrote {path}")
    return 0


def clean(args: argparse.Namespace) -> int:
    """Remove the built site, smoke results and rendered outputs; committed results stay."""
    for path in (args.root / args.site_dir, args.root / args.results / "smoke", args.root / args.results / ".rendered"):
        if path.exists():
            shutil.rmtree(path)
            print(f"removed {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nnbook", description="Build the nnbook site from real Keras experiments.")
    parser.add_argument("--root", type=Path, default=Path("."), help="project folder holding mkdocs.yml")
    parser.add_argument("--results", default=os.environ.get(ENV_RESULTS, "results"), help="results folder")
    parser.add_argument("--profile", choices=PROFILES, default=os.environ.get(ENV_PROFILE, "full"))
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("figures", help="run stale experiments")
    p.add_argument("ids", nargs="*", help="experiment ids or topics (default: all)")
    p.add_argument("--force", action="store_true", help="rerun even when up to date")
    p.set_defaults(func=figures)
    p = sub.add_parser("build", help="build the site (strict) into --site-dir")
    p.add_argument("--site-dir", default="site")
    p.set_defaults(func=build)
    p = sub.add_parser("serve", help="serve the book with live reload")
    p.add_argument("--address", default="127.0.0.1:8000")
    p.set_defaults(func=serve)
    sub.add_parser("list", help="experiments, their state and outputs").set_defaults(func=list_)
    sub.add_parser("check", help="fail when stored results are stale").set_defaults(func=check)
    p = sub.add_parser("new", help="start a topic: page, experiment and figure modules")
    p.add_argument("topic")
    p.add_argument("--title", default="")
    p.set_defaults(func=new)
    p = sub.add_parser("notebooks", help="write each topic as a Jupyter notebook")
    p.add_argument("--out", default="notebooks")
    p.add_argument("--execute", action="store_true", help="run the notebooks (smoke profile recommended)")
    p.set_defaults(func=notebooks)
    p = sub.add_parser("clean", help="remove the site and local caches")
    p.add_argument("--site-dir", default="site")
    p.set_defaults(func=clean)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
