"""The MkDocs plugin: finds references in pages, asks the book for them, embeds them.

Options (`mkdocs.yml`), each overridable by an environment variable:

    plugins:
      - nnbook:
          results: results      # NNBOOK_RESULTS, relative to mkdocs.yml
          profile: full         # NNBOOK_PROFILE: full or smoke

Stale experiments run in `NNBOOK_JOBS` worker processes, or on the Dask scheduler at
`NNBOOK_SCHEDULER` (`nnbook build -j N` and `nnbook serve -j N` set them; unset, one after
another in this process): see `nnbook/parallel.py`.
"""

from __future__ import annotations

import base64
import html
import logging
import re
import shutil
from pathlib import Path

from mkdocs.config import config_options as opt
from mkdocs.config.base import Config
from mkdocs.config.config_options import ExtraScriptValue
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, InclusionLevel
from mkdocs.utils import get_relative_url

from . import ledger, math, notebooks, refs, render, scripts, sitedir, timings, topics, typed
from .book import ENV_PROFILE, ENV_RESULTS, Book, BuildError, setting

log = logging.getLogger("mkdocs.plugins.nnbook")
ASSETS = Path(__file__).parent / "assets"
ASSET_DIR = "assets/nnbook"
PLOTLY_JS = "vendor/plotly-nnbook.min.js"  # nnbook.js loads it from here when a figure needs it
NNBOOK_JS = f"{ASSET_DIR}/nnbook.js"
ENV_EXPORT = "NNBOOK_EXPORT"  # set by `nnbook export`: where the rendered pages go


NOTEBOOK_NOTE = """

!!! tip "Run these experiments yourself"
    [Download this page's experiments as a Jupyter notebook](notebooks/{topic}.ipynb). It reads the
    results of a clone of nnbook: open it with the clone's Jupyter (`make notebooks-setup` installs
    Jupyter and TensorFlow, then `.venv/bin/jupyter lab`), or set `NNBOOK_ROOT` to the clone's
    folder. It loads the same results, draws the same figures, and `book.run(...)` trains any
    experiment again.
"""


# While Markdown reads a page, each value and figure box is a word: Markdown parses none of their
# HTML (most of the time a build spent on the pages), and the word leaves as the HTML it held.
PLACEHOLDER = "nnbookheld{}x"
HELD = re.compile(r"<p>nnbookheld(\d+)x</p>|nnbookheld(\d+)x")


class NNBookConfig(Config):
    results = opt.Type(str, default="results")
    profile = opt.Choice(("full", "smoke"), default="full")


def compact_css(css: str) -> str:
    """Style rules without comments and spare whitespace, as they go into every page."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    css = re.sub(r"\s*([{};])\s*", r"\1", re.sub(r"\s+", " ", css))
    return re.sub(r"([:,]) ", r"\1", css).strip()


def _plotly_js() -> Path:
    """The plotly.js bundle the site serves (see assets/vendor/README.md)."""
    return ASSETS / PLOTLY_JS


class NNBookPlugin(BasePlugin[NNBookConfig]):
    def on_startup(self, *, command: str, dirty: bool) -> None:
        self.serving = command == "serve"  # keeps this instance alive across serve rebuilds
        export = setting(ENV_EXPORT)  # `nnbook export`: the rendered pages, for a generator without plugins
        self.export = Path(export) if export else None
        self.book: Book | None = None
        self.builds = 0

    def on_config(self, config):
        root = Path(config.config_file_path).parent
        try:
            results = (root / (setting(ENV_RESULTS) or self.config.results)).absolute()
            profile = setting(ENV_PROFILE) or self.config.profile
            if self.book is None or (self.book.results, self.book.profile) != (results, profile):
                self.book = Book(results, profile, log=log.info)
        except ValueError as e:
            raise PluginError(f"nnbook: {e}") from e
        if config.repo_url:  # figures and tables link the code behind them
            self.book.source_url = config.repo_url.rstrip("/") + "/blob/main/"
        # The book's few style rules go inline into every page's head: no render-blocking request.
        self.style = "<style>" + compact_css((ASSETS / "nnbook.css").read_text(encoding="utf-8")) + "</style>"
        # One small script on every page, run after the first paint (scripts.py); it fetches
        # plotly.js and live.js when a page needs them.
        if not any(str(s) == NNBOOK_JS for s in config.extra_javascript):
            config.extra_javascript.append(ExtraScriptValue(NNBOOK_JS))
        return config

    def on_serve(self, server, config, builder):
        server.watch(str(Path(__file__).parent))  # experiments, figures and the helpers they use
        return server

    def on_pre_build(self, config) -> None:
        """Check every reference and run stale experiments before anything is written."""
        book = self.book
        if self.builds:
            book.reload()  # a rebuild under `mkdocs serve`: experiments or figures may have changed
        self.builds += 1
        self.reported: set[str] = set()  # each failure is logged once per build
        self.held: dict[str, list[str]] = {}  # per page, the HTML its placeholders stand for
        self.problems: list[str] = []  # every problem of the build, reported together at its end
        self.pages = pages = refs.scan_pages(Path(config.docs_dir))
        self.with_assets = sorted({ref.id for found in pages.values() for ref in found
                                   if (o := book.target(ref)) and o.kind in ("figure", "model")})
        self._fail_or_log(book.unknown_references(pages))
        used = {o.id: o for found in pages.values() for ref in found if (o := book.target(ref))}
        self._fail_or_log(typed.in_pages(Path(config.docs_dir), book.rendered) + typed.in_captions(used.values()))
        try:
            book.refresh(book.experiments_used(pages), keep_going=self.serving)
        except BuildError as e:
            raise PluginError("\n".join([f"nnbook: {e.what}\n{e.detail}"] + self._report())) from e
        for failure in book.failures.values():  # under serve: an error in the log, a box on its page
            self.reported.add(failure.what)
            log.error("nnbook: %s\n%s", failure.what, failure.detail)
        self._fail_or_log(book.unknown_references(pages, values=True))
        self._raise_problems()  # before MkDocs empties the site folder

    def _fail_or_log(self, problems: list[str]) -> None:
        """Under `mkdocs serve` log each problem as an error (the page shows a box); a build fails
        with all of them together: every reference of the book before the site folder is
        touched, every formula once every page is rendered (`on_env`)."""
        if not self.serving:
            self.problems += problems
        for problem in problems if self.serving else ():
            log.error("nnbook: %s", problem)

    def _report(self) -> list[str]:
        return [f"nnbook: {problem}" for problem in self.problems]

    def _output(self, output_id: str):
        try:
            return self.book.output(output_id)
        except BuildError as e:
            if not self.serving:
                raise PluginError(f"nnbook: {e.what}\n{e.detail}") from e
            if e.what not in self.reported:
                self.reported.add(e.what)
                log.error("nnbook: %s\n%s", e.what, e.detail)
            return e

    def on_files(self, files, config):
        sources = {PLOTLY_JS: _plotly_js(), "vendor/plotly.js-LICENSE": ASSETS / "vendor/plotly.js-LICENSE"}
        sources |= {n: ASSETS / n for n in ("nnbook.js", "live.js", "trainer.js")}
        for name, source in sources.items():
            files.append(File.generated(config, f"{ASSET_DIR}/{name}", abs_src_path=str(source)))
        for output_id in self.with_assets:  # each figure's data and live model's weights, fetched when near
            made = self._output(output_id)
            if not isinstance(made, BuildError):
                files.append(File.generated(config, f"{ASSET_DIR}/{made['asset']}",
                                            content=base64.b64decode(made["bytes"])))
        topics = {e.topic for e in self.book.experiments.values()}
        self.notebooks = {t for t in topics if files.get_file_from_path(f"{t}.md")}
        page_titles = notebooks.titles(config.nav)
        for topic in sorted(self.notebooks):  # each topic page offers its experiments as a notebook
            content = notebooks.notebook_json(self.book, topic, page_titles.get(f"{topic}.md", ""))
            files.append(File.generated(config, f"notebooks/{topic}.ipynb", content=content))
        if not files.get_file_from_path(timings.PAGE):
            pages = {f.src_uri for f in files.documentation_pages()}
            files.append(File.generated(config, timings.PAGE, content=timings.page(self.book, pages)))
        if not files.get_file_from_path(ledger.PAGE):
            in_nav = notebooks.titles(config.nav)  # the pages in the order a reader meets them
            titles = {f.src_uri: _title(f.content_string) for f in files.documentation_pages()}
            titles = {p: titles[p] for p in in_nav if p in titles} | titles
            for path, content in ledger.pages(self.book, self.pages, titles).items():  # the index is in the nav
                inclusion = InclusionLevel.INCLUDED if path == ledger.PAGE else InclusionLevel.NOT_IN_NAV
                files.append(File.generated(config, path, content=content, inclusion=inclusion))
        return files

    def on_page_markdown(self, markdown: str, page, config, files) -> str:
        book = self.book
        ledger_file = files.get_file_from_path(ledger.subpage(page.file.src_uri))  # where its claims are listed
        ledger_url = get_relative_url(ledger_file.url, page.url) if ledger_file else ""
        # the home page's table of every page in the navigation, before `lines`: `hold` reads the page as scanned
        if topics.MARKER in markdown:
            source = lambda path: (f := files.get_file_from_path(path)) and f.content_string  # noqa: E731
            markdown = markdown.replace(topics.MARKER, topics.table(config.nav, source))
        lines = markdown.split("\n")
        held = self.held[page.file.src_uri] = []

        def hold(html_text: str, ref: refs.Ref) -> str:
            """A word in place of HTML (a value, a figure's box) that Markdown need not read; it is
            put back in `on_page_content`. A heading keeps its HTML: the table of contents reads it;
            so does an exported page, which another generator reads."""
            if self.export or (ref.inline and lines[ref.line - 1].lstrip().startswith("#")):
                return html_text if ref.inline else f"\n{html_text}\n"
            held.append(html_text)
            return PLACEHOLDER.format(len(held) - 1) if ref.inline else f"\n{PLACEHOLDER.format(len(held) - 1)}\n"

        def embed(ref: refs.Ref) -> str:
            if book.target(ref) is None:
                where = f"{page.file.src_uri}:{ref.line}"
                detail = ref.problem(where) if ref.bad else f"{where}: unknown reference '{ref}'"
                return _inline_error(detail) if ref.inline else "\n" + render.error_box("Unknown reference", detail) + "\n"
            made = self._output(ref.id)
            if isinstance(made, BuildError):
                if ref.inline:  # the full message is in the log and in the page's box, once
                    return hold(_inline_error(f"{ref} is not available: {ref.id} failed"), ref)
                return "\n" + render.error_box(made.what, made.detail) + "\n"
            if ref.inline and ref.name not in made:
                return _inline_error(f"unknown value '{ref}'")
            if ref.inline:  # a claim's mark links to its row on the Evidence page
                href = f"{ledger_url}#{render.claim_anchor(ref.id, ref.name)}" if ledger_url else ""
                value = made[ref.name]
                # Markdown the figure module wrote itself is left for Markdown to read
                return value["trusted"] if isinstance(value, dict) and "trusted" in value \
                    else hold(render.value_html(value, href), ref)
            if isinstance(made, dict):  # a figure or a live model
                return hold(made["html"], ref)
            return f"\n{made}\n"  # a table, in Markdown

        markdown = refs.substitute(markdown, embed)
        topic = page.file.src_uri.removesuffix(".md")
        if topic in self.notebooks:
            markdown += NOTEBOOK_NOTE.format(topic=topic)
        if self.export:  # the page as any Markdown generator can build it
            target = self.export / "docs" / page.file.src_uri
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(markdown, encoding="utf-8")
        return markdown

    def on_page_content(self, html_text: str, page, config, files) -> str:
        """What the placeholders held goes in (a figure's box in place of its paragraph); formulas
        marked by pymdownx.arithmatex become MathML (see `nnbook/math.py`)."""
        held = self.held.pop(page.file.src_uri, [])
        html_text = HELD.sub(lambda m: held[int(m.group(1) or m.group(2))], html_text)
        html_text, problems = math.to_mathml(html_text)
        source = f"{Path(config.docs_dir).name}/{page.file.src_uri}"
        self._fail_or_log([f"{source}: {problem}" for problem in problems])
        return html_text

    def on_post_page(self, output: str, page, config) -> str:
        return self._finish(output)

    def on_post_template(self, output_content: str, template_name: str, config) -> str:
        return self._finish(output_content) if template_name == "404.html" else output_content  # not the sitemap

    def on_env(self, env, config, files):
        """Every page is rendered and none is written yet: fail with every problem of the pages (formulas)."""
        self._raise_problems()
        return env

    def _raise_problems(self) -> None:
        if self.problems:
            raise PluginError(f"{len(self.problems)} problem(s) in the book:\n" + "\n".join(self._report()))

    def on_post_build(self, config) -> None:
        """Mark the site as nnbook's: `nnbook build` replaces, and `nnbook clean` removes, only marked
        folders. An export takes the files the pages load (figure data, scripts, notebooks)."""
        (Path(config.site_dir) / sitedir.MARK).write_text(sitedir.MARK_TEXT, encoding="utf-8")
        if self.export:
            for folder in (ASSET_DIR, "notebooks"):
                if (Path(config.site_dir) / folder).is_dir():
                    shutil.copytree(Path(config.site_dir) / folder, self.export / "docs" / folder, dirs_exist_ok=True)
            shutil.copy(ASSETS / "nnbook.css", self.export / "docs" / ASSET_DIR / "nnbook.css")

    def _finish(self, output: str) -> str:
        """A built page as it is served: its style inline, <body> marked, scripts after the first paint."""
        output = output.replace("</head>", self.style + "</head>", 1)
        # Material's script marks <body> while it applies the palette (no transitions), then unmarks it.
        # Marked from the start, the marking changes nothing: one restyle of the whole page fewer at load.
        output = output.replace("<body ", "<body data-md-color-switching ", 1)
        return scripts.after_first_paint(output)


def _title(markdown: str) -> str:
    """A page's first level-one heading, as its author wrote it ('' if it has none)."""
    found = re.search(r"^# +(.+?) *(?:\{[^}]*\})? *$", markdown, flags=re.MULTILINE)
    return found[1] if found else ""


def _inline_error(text: str) -> str:
    return f'<span class="nnbook-error" title="{html.escape(text)}">⚠ {html.escape(text)}</span>'
