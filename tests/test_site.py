"""The site: a strict MkDocs build from smoke results, and how it fails."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from mkdocs.exceptions import Abort

from nnbook import refs, registry
from nnbook.book import Book, results_for_mkdocs

from conftest import ROOT, build_site, nav_pages, page_url

PAGES = [page_url(md) + "index.html" for md in nav_pages()]


@pytest.fixture
def site(built_site) -> Path:
    return built_site


def test_pages_embed_figures_values_and_provenance(site):
    registry.load()
    page = (site / "activations/index.html").read_text()
    figures = [ref.id for ref in refs.find((ROOT / "content/activations.md").read_text())
               if not ref.inline and registry.OUTPUTS[ref.id].kind == "figure"]
    assert page.count('class="nnbook-figure"') == len(figures) >= 6
    assert "{{" not in page and "::: nnbook" not in page, "every reference is replaced"
    assert "profile smoke" in page and "TensorFlow 2." in page
    assert re.search(r'href="https://github.com/[^"]+/blob/main/nnbook/experiments/activations.py#L\d+">experiment source', page)
    assert re.search(r'href="https://github.com/[^"]+/blob/main/nnbook/figures/activations.py#L\d+">figure source', page)
    assert "The data behind this figure" in page
    named = re.findall(r'<figure class="nnbook-figure" id="([^"]+)"><div [^>]*aria-labelledby="([^"]+)"', page)
    assert len(named) == len(figures) and all(by == f"{anchor}-caption" and f'<span id="{by}">' in page for anchor, by in named), \
        "each plot is named by its caption"
    assert re.search(r"ReLU ends at \d+\.\d%", page), "values are inlined into prose"


def test_pages_are_light_and_load_plotly_and_figure_data_from_the_site(site):
    plotly = site / "assets/nnbook/vendor/plotly-nnbook.min.js"
    assert 1_000_000 < plotly.stat().st_size < 1_500_000, "the partial plotly.js bundle is served"
    from plotly.offline import get_plotlyjs_version

    assert plotly.read_text()[:40].startswith(f"/* plotly.js v{get_plotlyjs_version()} "), \
        "the bundle is the plotly.js the plotly package writes figures for (make plotly-bundle)"
    specs = {p.stem for p in (site / "assets/nnbook/figures").glob("*.json")}
    for name in PAGES:
        page = (site / name).read_text()
        assert len(page.encode()) < 150_000, f"{name} should keep figure data out of the page"
        assert not re.search(r"<script[^>]+plotly", page), f"{name} loads plotly.js only when a figure needs it"
        assert "nnbook-spec\"" not in page and "bdata" not in page, f"{name}: figure data stays out of the page"
        assert set(re.findall(r'data-nnbook-spec="([0-9a-f]+)"', page)) <= specs, f"{name}: a figure file is missing"
        loads = re.findall(r'<(?:script|img|iframe)[^>]+src="(https?://[^"]+)"|<link[^>]+href="(https?://[^"]+)"', page)
        external = [u for pair in loads for u in pair if u and not u.startswith("http://127.0.0.1")]
        assert external == [], "nothing loads from outside"
        assert "<script src=" not in page, f"{name}: scripts run after the first paint (scripts.py), none from a tag"
        run = json.loads(re.search(r"\}\)\((\[[^\]]*\])\);</script></body>", page).group(1))
        assert [Path(src).name.split(".")[0] for src in run] == ["bundle", "nnbook"], f"{name}: Material's, then the book's"
        preloaded = re.findall(r'<link rel="preload" as="script" href="([^"]+)">', page.split("</head>")[0])
        assert preloaded == run, f"{name}: the scripts download from the start, as before"
        assert re.search(r"<body [^>]*data-md-color-switching", page), f"{name}: <body> starts marked (plugin.py)"
    assert len(specs) == sum((site / n).read_text().count("data-nnbook-spec=") for n in PAGES)


def test_a_figure_with_a_trace_type_the_bundle_lacks_fails_naming_it(smoke_book):
    import plotly.graph_objects as go

    from nnbook import render

    with pytest.raises(ValueError, match="scatter3d"):
        render.figure_html("demo/cloud", go.Figure(go.Scatter3d(x=[0], y=[0], z=[0])), "A cloud.", {})
    for output in smoke_book.outputs.values():  # every figure of the book draws with the bundle
        if output.kind == "figure":
            fig, _ = registry.split_figure(output.func(smoke_book.result(output.uses).values))
            assert {t.type for t in fig.data} <= render.PLOTLY_TRACE_TYPES, f"figure {output.id}"


def test_topic_pages_link_their_notebook(site):
    import nbformat

    page = (site / "activations/index.html").read_text()
    assert 'href="../notebooks/activations.ipynb"' in page
    notebook = nbformat.reads((site / "notebooks/activations.ipynb").read_text(), as_version=4)
    nbformat.validate(notebook)
    assert "book.result('activations/training')" in "".join(c.source for c in notebook.cells)


def test_search_index_holds_prose_not_figure_data(site):
    index = (site / "search/search_index.json").read_text()
    assert "bdata" not in index and "Vanishing gradients" in index


def test_unchanged_results_give_byte_identical_pages(site, tmp_path, smoke_results, site_url):
    build_site(tmp_path / "again", smoke_results, site_url=site_url)
    figures = sorted(p.relative_to(site).as_posix() for p in (site / "assets/nnbook/figures").glob("*.json"))
    for name in PAGES + ["notebooks/activations.ipynb"] + figures:
        assert (tmp_path / "again" / name).read_bytes() == (site / name).read_bytes(), name


def docs(tmp_path: Path, text: str) -> dict:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "index.md").write_text(textwrap.dedent(text))
    return {"docs_dir": str(folder), "nav": [{"Home": "index.md"}]}


def build_error(caplog, site: Path, results: Path, **overrides) -> str:
    """What a failing build logged; the build must abort."""
    with pytest.raises(Abort):
        build_site(site, results, **overrides)
    return "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)


def test_unknown_figure_fails_with_page_line_and_suggestion_and_keeps_the_site(tmp_path, smoke_results, caplog):
    site = tmp_path / "site"
    site.mkdir()
    (site / "keep.html").write_text("previous build")
    overrides = docs(tmp_path, "# Page\n\nText.\n\n::: nnbook activations/curve\n")
    error = build_error(caplog, site, smoke_results, **overrides)
    assert "docs/index.md:5: unknown figure or table 'activations/curve'. Did you mean 'activations/curves'" in error
    assert (site / "keep.html").read_text() == "previous build"


def test_a_build_reports_every_problem_of_the_book_at_once(tmp_path, smoke_results, caplog):
    site = tmp_path / "site"
    site.mkdir()
    (site / "keep.html").write_text("previous build")
    overrides = docs(tmp_path, """\
        # Page

        ::: nnbook activations/curve

        ReLU reached {{ activations/training-value.relu-acc }} and {{ activations/training-values.relu-accuracy }}.
        """)
    error = build_error(caplog, site, smoke_results, **overrides)
    assert "3 problem(s) in the book" in error
    for line, text in [(3, "unknown figure or table 'activations/curve'"),
                       (5, "unknown values group 'activations/training-value.relu-acc'"),
                       (5, "unknown value 'activations/training-values.relu-accuracy'")]:
        assert f"docs/index.md:{line}: {text}" in error, error
    assert (site / "keep.html").read_text() == "previous build" and len(list(site.iterdir())) == 1


def test_unknown_value_name_fails_with_suggestion(tmp_path, smoke_results, caplog):
    overrides = docs(tmp_path, "# Page\n\nReLU reached {{ activations/training-values.relu-accuracy }}.\n")
    error = build_error(caplog, tmp_path / "site", smoke_results, **overrides)
    assert "docs/index.md:3: unknown value 'activations/training-values.relu-accuracy'. Did you mean " \
           "'activations/training-values.relu-acc'" in error


def test_stale_experiment_runs_during_the_build(tmp_path, smoke_results, caplog):
    results = tmp_path / "results"
    shutil.copytree(smoke_results, results)
    shutil.rmtree(results / "smoke/activations/curves")
    caplog.set_level(logging.INFO)
    build_site(tmp_path / "site", results)
    assert any("running activations/curves (smoke)" in r.getMessage() for r in caplog.records)
    assert Book(results, "smoke").stale() == []


@pytest.fixture
def broken_experiment():
    registry.load()

    @registry.experiment("broken/boom", seed=0, full={}, smoke={})
    def boom(seed: int) -> dict:
        raise RuntimeError("the experiment blew up")

    @registry.figure("broken/plot", uses="broken/boom", caption="never drawn")
    def plot(results: dict):
        raise AssertionError("not reached")

    yield
    registry.EXPERIMENTS.pop("broken/boom")
    registry.OUTPUTS.pop("broken/plot")


def test_failing_experiment_fails_the_build_naming_it(tmp_path, smoke_results, broken_experiment, caplog):
    overrides = docs(tmp_path, "# Page\n\n::: nnbook broken/plot\n")
    error = build_error(caplog, tmp_path / "site", smoke_results, **overrides)
    assert "experiment broken/boom (smoke) raised RuntimeError: the experiment blew up" in error
    assert "Traceback" in error


def test_failing_experiment_under_serve_shows_an_error_box(tmp_path, smoke_results, broken_experiment):
    overrides = docs(tmp_path, "# Page\n\n::: nnbook broken/plot\n\n::: nnbook activations/curves\n")
    build_site(tmp_path / "site", smoke_results, command="serve", strict=False, **overrides)
    page = (tmp_path / "site/index.html").read_text()
    assert "nnbook-error" in page and "RuntimeError: the experiment blew up" in page
    assert 'class="nnbook-figure"' in page, "the other figures still render"


WARM_BUILD = """
import sys

HEAVY = ("tensorflow", "keras", "numpy", "plotly", "nnbook.experiments", "nnbook.figures")


def heavy(name):
    return any(name == h or name.startswith(h + ".") for h in HEAVY)


class Refuse:
    def find_spec(self, name, path=None, target=None):
        if heavy(name):
            raise ImportError(f"a warm build imported {name}")

sys.meta_path.insert(0, Refuse())
from mkdocs.commands.build import build
from mkdocs.config import load_config

config = load_config(sys.argv[1], site_dir=sys.argv[2], strict=True)
config.plugins.on_startup(command="build", dirty=False)
build(config)
assert not [m for m in sys.modules if heavy(m)], [m for m in sys.modules if heavy(m)]
print("warm build without TensorFlow, NumPy, Plotly or a topic module")
"""


def test_warm_build_imports_no_tensorflow_numpy_plotly_or_topic_module(tmp_path, smoke_results, site):
    """What a build with nothing stale needs of the outputs comes from the rendered cache."""
    with results_for_mkdocs(smoke_results, "smoke"):
        run = subprocess.run([sys.executable, "-c", WARM_BUILD, str(ROOT / "mkdocs.yml"), str(tmp_path / "site")],
                             capture_output=True, text=True, env=dict(os.environ), timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "warm build without TensorFlow, NumPy, Plotly or a topic module" in run.stdout
    figures = lambda site: sorted(p.name for p in (site / "assets/nnbook/figures").iterdir())  # noqa: E731
    assert figures(tmp_path / "site") == figures(site), "the same figures, named by their content"


def test_computation_times_page_lists_every_experiment(site, smoke_book):
    page = (site / "computation-times/index.html").read_text()
    for experiment_id in smoke_book.experiments:
        assert f"<code>{experiment_id}</code>" in page, experiment_id
    assert "total" in page
