"""A page's notebook, downloaded and opened anywhere: it reads the clone's results, or says how to
point it at a clone; it never trains into a folder of its own. Its title is the page's."""

from __future__ import annotations

import json
import os

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from nnbook.notebooks import ENV_ROOT, open_book, titles, topic_notebook

from conftest import ROOT, nav_pages

TOPIC = "training"  # a topic whose notebook draws in seconds


def run_in(folder, notebook: dict, env: dict[str, str]) -> nbformat.NotebookNode:
    """Execute a notebook as Jupyter would in `folder`, with `env` set for its kernel."""
    node = nbformat.from_dict(json.loads(json.dumps(notebook)))
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        NotebookClient(node, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    finally:
        for key, value in saved.items():
            os.environ.pop(key) if value is None else os.environ.__setitem__(key, value)
    return node


@pytest.fixture
def downloads(tmp_path):
    folder = tmp_path / "Downloads"
    folder.mkdir()
    return folder


def test_a_downloaded_notebook_reads_the_clone_it_was_written_from(smoke_book, downloads, monkeypatch):
    monkeypatch.delenv(ENV_ROOT, raising=False)
    done = run_in(downloads, topic_notebook(smoke_book, TOPIC), {})
    outputs = [o for cell in done.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any(f"results: {smoke_book.results} (smoke)" in o.get("text", "") for o in outputs)
    assert any("application/vnd.plotly.v1+json" in o.get("data", {}) for o in outputs)
    assert list(downloads.iterdir()) == [], "nothing is written where the notebook was opened"


def test_a_notebook_pointed_at_no_clone_says_both_fixes_and_trains_nothing(smoke_book, downloads, tmp_path):
    elsewhere = tmp_path / "not-a-clone"
    elsewhere.mkdir()
    with pytest.raises(CellExecutionError) as failed:
        run_in(downloads, topic_notebook(smoke_book, TOPIC), {ENV_ROOT: str(elsewhere)})
    message = str(failed.value)
    assert f"{ENV_ROOT}={elsewhere}" in message and "make notebooks-setup" in message and f"set {ENV_ROOT}" in message
    assert list(downloads.iterdir()) == [] and list(elsewhere.iterdir()) == []


def test_without_the_folder_it_was_written_from_the_installed_clone_is_read(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_ROOT, raising=False)
    assert open_book(str(tmp_path / "gone"), "full").results == ROOT / "results"
    monkeypatch.setenv(ENV_ROOT, str(ROOT))
    assert open_book(str(tmp_path / "gone"), "full").results == ROOT / "results"
    monkeypatch.setenv(ENV_ROOT, str(tmp_path))  # set, it is the only place looked at
    with pytest.raises(FileNotFoundError, match="make notebooks-setup"):
        open_book(str(ROOT / "results"), "full")


def test_notebook_titles_are_the_page_titles(built_site):
    from mkdocs.utils.yaml import yaml_load

    with open(ROOT / "mkdocs.yml", encoding="utf-8") as f:
        page_titles = titles(yaml_load(f)["nav"])
    assert set(page_titles) >= set(nav_pages())
    found = sorted((built_site / "notebooks").glob("*.ipynb"))
    assert found
    for path in found:
        first = json.loads(path.read_text())["cells"][0]["source"]
        assert first.startswith(f"# {page_titles[path.stem + '.md']}\n"), (path.name, first[:60])


def test_the_notebooks_extra_has_jupyter_and_what_the_notebooks_run():
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    wanted = {"jupyterlab", "ipykernel", "nbclient", "keras", "tensorflow-cpu"}
    named = {r.split(";")[0].split(">")[0].split("=")[0].split("<")[0].strip()
             for extra in ("notebooks", "experiments") for r in extras[extra]}
    assert "nnbook[experiments]" in extras["notebooks"] and wanted <= named
    assert "$(INSTALL) -e '.[notebooks]'" in (ROOT / "Makefile").read_text()
