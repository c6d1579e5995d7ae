"""Each topic as a runnable Jupyter notebook: its experiments, their results, their figures.

The notebooks use the same code as the site: they load stored results (or run the
experiments when stale) through `Book`, and draw the same figure functions. They are
built as plain nbformat-4 dictionaries, so that the site build does not import nbformat.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .book import Book

SETUP = """from nnbook.book import Book
from nnbook.registry import OUTPUTS, split_figure
from IPython.display import display

book = Book({results!r}, {profile!r})  # {where}


def show(output_id, results):
    # a figure is drawn; a table's rows or a group of values are displayed
    made = OUTPUTS[output_id].func(results)
    split_figure(made)[0].show() if OUTPUTS[output_id].kind == "figure" else display(made)"""


def _cell(kind: str, source: str) -> dict[str, Any]:
    cell = {"cell_type": kind, "metadata": {}, "source": source}
    return cell | ({"execution_count": None, "outputs": []} if kind == "code" else {})


def new_markdown_cell(source: str) -> dict[str, Any]:
    return _cell("markdown", source)


def new_code_cell(source: str) -> dict[str, Any]:
    return _cell("code", source)


def topic_notebook(book: Book, topic: str, results: str | None = None) -> dict[str, Any]:
    """The notebook of one topic. `results` is the results folder as the notebook should name it
    (default: this book's folder, absolute); a relative one is read from the notebook's folder."""
    experiments = [e for e in book.experiments.values() if e.topic == topic]
    where = "run from the root of a clone of nnbook" if results else "the results the book is built from"
    cells = [new_markdown_cell(f"# {topic.replace('_', ' ').capitalize()}\n\nThe experiments behind the "
                               f"*{topic}* page. `book.result(id)` loads a stored result or runs the "
                               "experiment when its code changed; `book.run(id)` always reruns it."),
             new_code_cell(SETUP.format(results=results or str(book.results.resolve()), profile=book.profile,
                                        where=where))]
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


def notebook_json(book: Book, topic: str, results: str) -> str:
    return json.dumps(topic_notebook(book, topic, results), indent=1, ensure_ascii=False) + "\n"


def write_notebooks(book: Book, out: Path, execute: bool = False) -> list[Path]:
    """Write `<out>/<topic>.ipynb` for every topic; with `execute`, run them first."""
    import nbformat

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for topic in sorted({e.topic for e in book.experiments.values()}):
        notebook = nbformat.from_dict(topic_notebook(book, topic))
        if execute:
            from nbclient import NotebookClient

            NotebookClient(notebook, timeout=1800, kernel_name="python3").execute()
        path = out / f"{topic}.ipynb"
        nbformat.write(notebook, path)
        written.append(path)
    return written
