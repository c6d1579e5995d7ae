"""The command line: check, new topics, notebooks."""

from __future__ import annotations

import importlib.util
import shutil

import nbformat

from nnbook import registry, sitedir
from nnbook.backend import seed_everything
from nnbook.book import Book
from nnbook.cli import main
from nnbook.notebooks import topic_notebook

from conftest import ROOT


def test_check_passes_on_fresh_results_and_names_stale_ones(smoke_results, tmp_path, capsys):
    assert main(["--results", str(smoke_results), "--profile", "smoke", "check"]) == 0
    results = tmp_path / "results"
    shutil.copytree(smoke_results, results)
    book = Book(results, "smoke")
    stale = book.store.path("activations/curves", book.key("activations/curves"))
    stale.rename(stale.with_name("0000000000000000.npz"))
    assert main(["--results", str(results), "--profile", "smoke", "check"]) == 1
    assert "activations/curves: stale" in capsys.readouterr().err


def test_committed_full_results_are_up_to_date():
    """`results/full` must match the code: after changing an experiment, run `make figures`."""
    problems = Book(ROOT / "results", "full").check()
    assert problems == []


def test_new_topic_scaffold_builds_and_runs(tmp_path):
    project = tmp_path / "book"
    (project / "content").mkdir(parents=True)
    (project / "nnbook/experiments").mkdir(parents=True)
    (project / "nnbook/figures").mkdir(parents=True)
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    assert main(["--root", str(project), "new", "optimizers", "--title", "Optimizers"]) == 0
    assert "  - Optimizers: optimizers.md" in (project / "mkdocs.yml").read_text()
    assert "::: nnbook optimizers/loss" in (project / "content/optimizers.md").read_text()
    registry.load()
    try:  # the generated experiment trains for real and its figure and values draw from its results
        for module in ("experiments", "figures"):
            spec = importlib.util.spec_from_file_location(f"scaffolded_{module}", project / f"nnbook/{module}/optimizers.py")
            spec.loader.exec_module(importlib.util.module_from_spec(spec))
        experiment = registry.EXPERIMENTS["optimizers/moons"]
        seed_everything(experiment.seed)
        results = experiment.func(seed=experiment.seed, **experiment.params("smoke"))
        traces = registry.OUTPUTS["optimizers/loss"].func(results).data
        assert traces and all(t.type == "scatter" for t in traces)
        numbers = registry.OUTPUTS["optimizers/numbers"].func(results)
        assert numbers["accuracy"].endswith("%)") and numbers["seeds"] == "3"
        assert numbers["loss-falls"].holds, "the example's claim holds even on smoke results"
    finally:
        registry.EXPERIMENTS.pop("optimizers/moons", None)
        registry.OUTPUTS.pop("optimizers/loss", None)
        registry.OUTPUTS.pop("optimizers/numbers", None)
    assert main(["--root", str(project), "new", "optimizers"]) == 1  # never overwrites


def test_topic_notebook_runs(smoke_book, tmp_path):
    from nbclient import NotebookClient

    notebook = nbformat.from_dict(topic_notebook(smoke_book, "activations"))
    nbformat.validate(notebook)
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("application/vnd.plotly.v1+json" in o.get("data", {}) for o in outputs)
    nbformat.validate(notebook)


def test_build_replaces_the_site_only_when_complete(tmp_path, smoke_results):
    project = tmp_path / "book"
    shutil.copytree(ROOT / "content", project / "content")
    shutil.copytree(ROOT / "overrides", project / "overrides")  # the theme's custom_dir
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    (project / "site").mkdir()
    (project / "site/old.html").write_text("the previous site")
    (project / "site" / sitedir.MARK).write_text(sitedir.MARK_TEXT)  # a site nnbook built
    args = ["--root", str(project), "--results", str(smoke_results), "--profile", "smoke", "build"]
    page = project / "content/activations.md"
    page.write_text(page.read_text() + "\n::: nnbook activations/no-such-figure\n")
    assert main(args) == 1
    assert (project / "site/old.html").read_text() == "the previous site"
    assert not list(project.glob(".site*")), "no half-built folder is left behind"
    page.write_text(page.read_text().replace("::: nnbook activations/no-such-figure", ""))
    assert main(args) == 0
    assert (project / "site/activations/index.html").exists() and not (project / "site/old.html").exists()
