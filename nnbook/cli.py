"""`nnbook build | figures | serve | list | check | verify | new | notebooks | clean`.

Every command answers bad input with one line that says what to fix and a non-zero exit,
and writes nothing it was not asked to write.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from . import interrupt, parallel, sitedir
from .book import ENV_PROFILE, ENV_RESULTS, Book, BuildError, results_for_mkdocs, setting
from .registry import PROFILES


class UsageError(Exception):
    """Bad input: the message says what to fix."""


def _book(args: argparse.Namespace, read_only: bool = False) -> Book:
    return Book(args.root / args.results, args.profile, read_only=read_only)


def _selects(selector: str, experiment_id: str) -> bool:
    """An experiment id selects itself; a topic selects its experiments."""
    return experiment_id == selector or experiment_id.startswith(selector.rstrip("/") + "/")


def _selected(book: Book, ids: list[str]) -> list[str]:
    """The experiments that `ids` (experiment ids or topics; none = all) name."""
    unknown = [x for x in ids if not any(_selects(x, i) for i in book.experiments)]
    if unknown:
        raise UsageError(f"no experiment or topic named {', '.join(unknown)}; see `nnbook list`")
    return [i for i in sorted(book.experiments) if not ids or any(_selects(x, i) for x in ids)]


def _docs_dir(root: Path) -> Path:
    config = root / "mkdocs.yml"
    if not config.is_file():
        raise UsageError(f"no mkdocs.yml in {root}; run nnbook from the project folder or pass --root")
    found = re.search(r"^docs_dir:\s*(\S+)", config.read_text(encoding="utf-8"), re.MULTILINE)
    return root / (found.group(1) if found else "docs")


def figures(args: argparse.Namespace) -> int:
    """Run the experiments whose results are stale (or the named ones / topics with --force)."""
    book = _book(args)
    wanted = _selected(book, args.ids)
    todo = book.todo(wanted, force=args.force)  # a stored result is replaced only by its successor
    try:
        if todo:
            from .progress import run_with_progress

            run_with_progress(book, todo, args.jobs, args.scheduler)
    except BuildError as e:
        print(f"nnbook: {e.what}" + (f"\n{e.detail}" if e.detail else ""), file=sys.stderr)
        return 1
    print(f"nnbook: {len(todo)} experiment(s) ran, {len(wanted) - len(todo)} up to date ({args.profile})")
    return 0


def _site_dir(args: argparse.Namespace) -> Path:
    """The `--site-dir` folder, refused (`UsageError`) when it is, holds or lies inside the project's own folders."""
    site = (args.root / args.site_dir).resolve()
    folders = sitedir.protected(args.root, _docs_dir(args.root), args.root / args.results)
    try:
        sitedir.check_target(site, "--site-dir", folders)
    except sitedir.SiteDirError as e:
        raise UsageError(str(e)) from e
    return site


GENERATORS = ("mkdocs", "properdocs")  # the site generators that run the nnbook plugin
ENV_GENERATOR = "NNBOOK_GENERATOR"


def _generator(args: argparse.Namespace) -> None:
    """Make `mkdocs.*` mean the chosen generator in this process: ProperDocs, a maintained fork of
    MkDocs 1.6, answers for `mkdocs.*` imports once `properdocs.replacement` is imported."""
    if args.generator == "properdocs":
        try:
            import properdocs.replacement  # noqa: F401
        except ModuleNotFoundError:
            raise UsageError("--generator properdocs: install it with `pip install properdocs`") from None


def build(args: argparse.Namespace) -> int:
    """`mkdocs build --strict` into a fresh folder that replaces the site only when complete."""
    _generator(args)
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    logging.basicConfig(format="%(levelname)-7s -  %(message)s", level=logging.INFO)
    site = _site_dir(args)
    for leftover in sitedir.remove_leftovers(site):
        print(f"nnbook: removed {leftover}, left by an interrupted build", file=sys.stderr)
    try:
        sitedir.check_replaceable(site, "--site-dir")
    except sitedir.SiteDirError as e:
        raise UsageError(str(e)) from e
    tmp, old = sitedir.scratch(site, "tmp"), sitedir.scratch(site, "old")
    try:
        with results_for_mkdocs(args.root / args.results, args.profile):
            config = load_config(str(args.root / "mkdocs.yml"), site_dir=str(tmp), strict=True)
            config.plugins.on_startup(command="build", dirty=False)
            try:
                mkdocs_build(config)
            finally:
                config.plugins.on_shutdown()
        if site.exists():
            site.rename(old)
        tmp.rename(site)
    except KeyboardInterrupt:
        print(f"nnbook: interrupted; {site} left as it was", file=sys.stderr)
        return 130
    except MkDocsException as e:
        print(f"nnbook: build failed, {site} left as it was: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"nnbook: build failed, {site} left as it was: {_os_error(e)}", file=sys.stderr)
        return 1
    finally:
        if old.exists() and not site.exists():
            old.rename(site)  # stopped between the two renames: the old site goes back
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    print(f"nnbook: site built in {site}")
    return 0


def export(args: argparse.Namespace) -> int:
    """The rendered pages (references replaced, the files they load beside them) as a project that
    a generator without the nnbook plugin builds: `<out>/docs`, `<out>/overrides`, `<out>/mkdocs.yml`."""
    import tempfile

    import yaml
    from mkdocs.utils.yaml import yaml_load

    from .book import environment
    from .plugin import ASSET_DIR, ENV_EXPORT, NNBOOK_JS

    out = (args.root / args.out).resolve()
    docs = _docs_dir(args.root)
    try:
        sitedir.check_target(out, "--out", sitedir.protected(args.root, docs, args.root / args.results))
    except sitedir.SiteDirError as e:
        raise UsageError(str(e)) from e
    if out.exists() and any(out.iterdir()):
        raise UsageError(f"--out {out} is not empty; give a new folder")
    with tempfile.TemporaryDirectory() as tmp, environment({ENV_EXPORT: str(out)}):
        args.site_dir = str(Path(tmp) / "site")
        if (code := build(args)) != 0:
            return code
    shutil.copytree(docs, out / "docs", ignore=shutil.ignore_patterns("*.md"), dirs_exist_ok=True)
    with open(args.root / "mkdocs.yml", encoding="utf-8") as f:
        config = yaml_load(f)
    config["docs_dir"] = "docs"
    config["plugins"] = [p for p in config.get("plugins", []) if not (isinstance(p, dict) and "nnbook" in p)]
    config["markdown_extensions"] = [e for e in config.get("markdown_extensions", []) if e != "nnbook.guard"]
    config["extra_css"] = [*config.get("extra_css", []), f"{ASSET_DIR}/nnbook.css"]
    config["extra_javascript"] = [*config.get("extra_javascript", []), NNBOOK_JS]
    if custom := config.get("theme", {}).get("custom_dir"):
        shutil.copytree(args.root / custom, out / "overrides")
        config["theme"]["custom_dir"] = "overrides"
    (out / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    print(f"nnbook: rendered pages written to {out} (build them with any generator that reads {out / 'mkdocs.yml'})")
    return 0


def _os_error(e: OSError) -> str:
    """An operating-system error as one line naming the file."""
    where = f"{e.filename}: " if e.filename else ""
    return f"{where}{e.strerror or e}"


def _check_address(address: str) -> None:
    """`host:port` that this machine can listen on, or a one-line `UsageError`."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"--address {address!r} must look like 127.0.0.1:8000")
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host.strip("[]"), int(port)))
    except OSError as e:
        raise UsageError(f"cannot listen on {address}: {e.strerror or e}; pick another --address") from e


def serve(args: argparse.Namespace) -> int:
    _docs_dir(args.root)
    _check_address(args.address)
    env = os.environ | {ENV_PROFILE: args.profile, ENV_RESULTS: str(args.root / args.results),
                        "NNBOOK_SITE_URL": f"http://{args.address}/"}  # served at the root, instant navigation on
    command = [sys.executable, "-m", args.generator, "serve", "-f", str(args.root / "mkdocs.yml"), "-a", args.address]
    return subprocess.call(command, env=env)


def list_(args: argparse.Namespace) -> int:
    book = _book(args, read_only=True)
    stale = set(book.stale())
    for experiment_id, experiment in sorted(book.experiments.items()):
        state = "stale" if experiment_id in stale else "fresh"
        print(f"{experiment_id:32} {state:6} seed {experiment.seed:<3} {experiment.title}")
        for output in sorted(book.outputs.values(), key=lambda o: o.id):
            if output.uses == experiment_id:
                print(f"    {output.kind:7} {output.id}")
    return 0


def check(args: argparse.Namespace) -> int:
    """Exit 1, naming them, when stored results are missing, stale or damaged, or when git would
    not commit them as they are (untracked, or changed or deleted without staging)."""
    from .gitstate import uncommitted

    book = _book(args, read_only=True)
    problems = book.check() + uncommitted(book.store.root / args.profile)
    for problem in problems:
        print(f"nnbook: {problem}", file=sys.stderr)
    if not problems:
        print(f"nnbook: all {args.profile} results are up to date")
    return 1 if problems else 0


def verify(args: argparse.Namespace) -> int:
    """Rerun experiments in a temporary folder; exit 1 when a displayed value or a claim changes."""
    from .refs import scan_pages
    from .verify import verify as rerun

    book = _book(args, read_only=True)
    wanted = _selected(book, args.ids)
    pages = scan_pages(_docs_dir(args.root))
    try:
        reports = rerun(book, wanted, pages)
    except BuildError as e:
        print(f"nnbook: {e.what}" + (f"\n{e.detail}" if e.detail else ""), file=sys.stderr)
        return 1
    for report in reports:
        print("\n".join(report.lines()))
    failed = [r.experiment for r in reports if r.failed]
    identical = sum(r.identical for r in reports)
    claims, broken = sum(r.claims for r in reports), sum(len(r.broken_claims) for r in reports)
    print(f"nnbook: {identical} of {len(reports)} identical; {claims - broken} of {claims} claims judged on "
          "the rerun hold and pass their audits; "
          + (f"what the pages show changes for {', '.join(failed)}" if failed else "every displayed value and claim holds"))
    return 1 if failed else 0


def new(args: argparse.Namespace) -> int:
    from .scaffold import new_topic, next_steps

    try:
        for path in new_topic(args.root, args.topic, args.title):
            print(f"created {path}")
    except (FileExistsError, ValueError) as e:
        print(f"nnbook: {e}", file=sys.stderr)
        return 1
    print(next_steps(args.topic))
    return 0


def notebooks(args: argparse.Namespace) -> int:
    from mkdocs.utils.yaml import yaml_load

    from .notebooks import titles, write_notebooks

    _docs_dir(args.root)
    with open(args.root / "mkdocs.yml", encoding="utf-8") as f:
        page_titles = titles(yaml_load(f).get("nav"))
    for path in write_notebooks(_book(args), args.root / args.out, execute=args.execute, page_titles=page_titles):
        print(f"wrote {path}")
    return 0


def clean(args: argparse.Namespace) -> int:
    """Remove the built site (only a folder nnbook built), smoke results and rendered outputs;
    committed results stay. Anything else found in those folders stays too, named."""
    site = _site_dir(args)
    results = args.root / args.results
    if site.exists():
        try:
            sitedir.check_replaceable(site, "--site-dir")
        except sitedir.SiteDirError as e:
            raise UsageError(str(e)) from e
        shutil.rmtree(site)
        print(f"removed {site}")
    for folder, made in ((results / "smoke", ("*/*/*.npz", "*/*/.*.tmp")), (results / ".rendered", ("*/*.json", "*/.*.tmp"))):
        if not folder.is_dir():
            continue
        ours = {p for pattern in made for p in folder.glob(pattern) if p.is_file()}
        for path in ours:
            path.unlink()
        for path in sorted(folder.rglob("*"), reverse=True):  # folders emptied above, deepest first
            if path.is_dir() and not any(path.iterdir()):
                path.rmdir()
        if any(folder.iterdir()):
            print(f"nnbook: kept {folder}: it holds files nnbook did not make", file=sys.stderr)
        else:
            folder.rmdir()
            print(f"removed {folder}")
    return 0


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        """One line, not the usage block."""
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def main(argv: list[str] | None = None) -> int:
    interrupt.install()
    try:
        return _main(argv)
    except UsageError as e:
        print(f"nnbook: {e}", file=sys.stderr)
        return 2
    except SyntaxError as e:
        print(f"nnbook: {e.filename}:{e.lineno}: {e.msg}", file=sys.stderr)
        return 1
    except ValueError as e:
        print(f"nnbook: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"nnbook: {_os_error(e)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("nnbook: interrupted; stored results and the site are as they were", file=sys.stderr)
        return 130


def _main(argv: list[str] | None) -> int:
    parser = _Parser(prog="nnbook", description="Build the nnbook site from real Keras experiments.")
    parser.add_argument("--root", type=Path, default=Path("."), help="project folder holding mkdocs.yml")
    parser.add_argument("--results", default=setting(ENV_RESULTS) or "results", help="results folder")
    parser.add_argument("--profile", choices=PROFILES, default=setting(ENV_PROFILE) or "full")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("figures", help="run stale experiments")
    p.add_argument("ids", nargs="*", help="experiment ids or topics (default: all)")
    p.add_argument("--force", action="store_true", help="rerun even when up to date")
    p.set_defaults(func=figures)
    _parallel_options(p)
    p = sub.add_parser("build", help="build the site (strict) into --site-dir")
    p.add_argument("--site-dir", default="site")
    _generator_option(p)
    p.set_defaults(func=build)
    _parallel_options(p)
    p = sub.add_parser("export", help="write the rendered pages for a generator without the nnbook plugin")
    p.add_argument("--out", default="rendered")
    p.set_defaults(func=export, generator="mkdocs")
    _parallel_options(p)
    p = sub.add_parser("serve", help="serve the book with live reload")
    p.add_argument("--address", default="127.0.0.1:8000")
    _generator_option(p)
    p.set_defaults(func=serve)
    _parallel_options(p)
    sub.add_parser("list", help="experiments, their state and outputs").set_defaults(func=list_)
    sub.add_parser("check", help="fail when stored results are stale").set_defaults(func=check)
    p = sub.add_parser("verify", help="rerun experiments and report what changes")
    p.add_argument("ids", nargs="*", help="experiment ids or topics (default: all)")
    p.set_defaults(func=verify)
    _parallel_options(p)
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
    if args.profile not in PROFILES:
        raise UsageError(f"profile {args.profile!r} (from {ENV_PROFILE}) is not one of {', '.join(PROFILES)}")
    if not args.root.is_dir():
        raise UsageError(f"--root {args.root} is not a folder")
    if not hasattr(args, "jobs"):
        return args.func(args)
    if args.jobs < 1:
        raise UsageError(f"-j {args.jobs}: run experiments in 1 or more worker processes")
    if args.scheduler:
        try:
            parallel.check_cluster_installed()
        except ModuleNotFoundError as e:
            raise UsageError(str(e)) from e
    with parallel.settings(args.jobs, args.scheduler):  # for the MkDocs builds it runs too
        return args.func(args)


def _generator_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--generator", choices=GENERATORS, default=os.environ.get(ENV_GENERATOR) or "mkdocs",
                   help=f"the site generator (also {ENV_GENERATOR}; default mkdocs)")


def _parallel_options(p: argparse.ArgumentParser) -> None:
    """`-j N` and `--scheduler ADDRESS`: where stale experiments run."""
    jobs = os.environ.get(parallel.ENV_JOBS, "")
    p.add_argument("-j", "--jobs", type=int, default=int(jobs) if jobs.isdigit() else parallel.cores(),
                   help=f"worker processes for stale experiments (default: {parallel.ENV_JOBS} or the cores, "
                        "here %(default)s; 1 runs them in this process)")
    p.add_argument("--scheduler", default=parallel.scheduler_from_env(), metavar="ADDRESS",
                   help=f"run them on this Dask scheduler instead (also {parallel.ENV_SCHEDULER})")


if __name__ == "__main__":
    sys.exit(main())
