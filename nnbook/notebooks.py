"""Each topic as a runnable Jupyter notebook: its experiments, their results, their figures.

The notebooks use the same code as the site: they load stored results (or run the
experiments when stale) through `Book`, and draw the same figure functions. They are
built as plain nbformat-4 dictionaries, so that the site build does not import nbformat.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .book import Book

ENV_ROOT = "NNBOOK_ROOT"  # the clone of nnbook a notebook reads, wherever the notebook is
NOT_FOUND = ("this notebook reads the results of a clone of nnbook and found none{where}. Either open it with "
             "the Jupyter of a clone (`make notebooks-setup`, then `.venv/bin/jupyter lab`), or set "
             f"{ENV_ROOT} to the clone's folder (`{ENV_ROOT}=/path/to/nnbook jupyter lab`)")

SETUP = """import importlib.util
import os
import sys

WRITTEN_FROM = {results!r}  # the results folder of the clone this notebook was written from
# nnbook from the clone in {env}, when the kernel's Python does not have it installed
clone = os.environ.get({env!r})
if clone and importlib.util.find_spec("nnbook") is None:
    sys.path.insert(0, clone)
try:
    from nnbook.notebooks import open_book
except ModuleNotFoundError:
    raise ModuleNotFoundError({not_found!r}) from None

from IPython.display import display
from nnbook.registry import split_figure

book = open_book(WRITTEN_FROM, {profile!r})
print(f"results: {{book.results}} ({{book.profile}})")


def show(output_id, results):
    # a figure is drawn; a table's rows or a group of values are displayed
    output = book.outputs[output_id]
    made = output.func(results)
    split_figure(made)[0].show() if output.kind == "figure" else display(made)"""


def _holds_results(results: Path, profile: str) -> bool:
    return any((results / profile).glob("*/*/*.npz"))


def open_book(written_from: str, profile: str) -> Book:
    """The book a notebook reads: the clone in `NNBOOK_ROOT` when it is set, else the results folder
    the notebook was written from, else the clone the installed `nnbook` package lives in. Only a
    folder that holds results of `profile` will do: a notebook never trains into a new folder."""
    if os.environ.get(ENV_ROOT):
        tried = [Path(os.environ[ENV_ROOT]).expanduser() / "results"]
    else:
        tried = [Path(written_from), Path(__file__).resolve().parent.parent / "results"]
    for results in tried:
        if _holds_results(results, profile):
            return Book(results, profile)
    where = f" ({ENV_ROOT}={os.environ[ENV_ROOT]})" if os.environ.get(ENV_ROOT) else \
        f" with {profile} results in {' or '.join(str(r) for r in tried)}"
    raise FileNotFoundError(NOT_FOUND.format(where=where))


def titles(nav: Any) -> dict[str, str]:
    """The title of each page of an MkDocs navigation (`mkdocs.yml`'s `nav`), by its file."""
    found: dict[str, str] = {}
    for item in nav or []:
        for title, target in (item.items() if isinstance(item, dict) else ()):
            found |= titles(target) if isinstance(target, list) else {str(target): str(title)}
    return found


def _cell(kind: str, source: str) -> dict[str, Any]:
    cell = {"cell_type": kind, "metadata": {}, "source": source}
    return cell | ({"execution_count": None, "outputs": []} if kind == "code" else {})


def new_markdown_cell(source: str) -> dict[str, Any]:
    return _cell("markdown", source)


def new_code_cell(source: str) -> dict[str, Any]:
    return _cell("code", source)


def topic_notebook(book: Book, topic: str, title: str = "") -> dict[str, Any]:
    """The notebook of one topic, titled as its page (`title`); it reads this book's results folder,
    or the clone it is pointed at (see `open_book`)."""
    experiments = [e for e in book.experiments.values() if e.topic == topic]
    title = title or topic.replace("_", " ").capitalize()
    cells = [new_markdown_cell(f"# {title}\n\nThe experiments behind the *{title}* page. `book.result(id)` "
                               "loads a stored result or runs the experiment when its code changed; "
                               "`book.run(id)` always reruns it."),
             new_code_cell(SETUP.format(results=str(book.results), profile=book.profile, env=ENV_ROOT,
                                        not_found=NOT_FOUND.format(where="")))]
    for experiment in sorted(experiments, key=lambda e: e.id):
        doc = experiment.doc
        params = experiment.params_text(book.profile)
        cells.append(new_markdown_cell(f"## {experiment.title or experiment.id}\n\n{doc}\n\n"
                                       f"Experiment `{experiment.id}`, seed {experiment.seed}, "
                                       f"{book.profile} parameters: `{params}`."))
        cells.append(new_code_cell(f"result = book.result({experiment.id!r})  # book.run(...) to train again\n"
                                   "result.provenance"))
        for output in sorted(book.outputs.values(), key=lambda o: o.id):
            if output.uses == experiment.id:
                cells.append(new_code_cell(f"show({output.id!r}, result.values)"))
    for number, cell in enumerate(cells):
        cell["id"] = f"{topic}-{number}"  # stable ids: the same book gives the same notebook, byte for byte
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return {"cells": cells, "metadata": {"kernelspec": kernel, "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def notebook_json(book: Book, topic: str, title: str = "") -> str:
    return json.dumps(topic_notebook(book, topic, title), indent=1, ensure_ascii=False) + "\n"


def write_notebooks(book: Book, out: Path, execute: bool = False, page_titles: dict[str, str] | None = None) -> list[Path]:
    """Write `<out>/<topic>.ipynb` for every topic, titled as its page in `page_titles` (by file);
    with `execute`, run them first."""
    import nbformat

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for topic in sorted({e.topic for e in book.experiments.values()}):
        notebook = nbformat.from_dict(topic_notebook(book, topic, (page_titles or {}).get(f"{topic}.md", "")))
        if execute:
            from nbclient import NotebookClient

            NotebookClient(notebook, timeout=1800, kernel_name="python3").execute()
        path = out / f"{topic}.ipynb"
        nbformat.write(notebook, path)
        written.append(path)
    return written
