"""Each topic as a runnable Jupyter notebook: its experiments, their results, their figures.

The notebooks use the same code as the site: they load stored results (or run the
experiments when stale) through `Book`, and draw the same figure functions.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from .book import Book

SETUP = """from nnbook.book import Book
from nnbook.registry import OUTPUTS
from IPython.display import display

book = Book({results!r}, {profile!r})  # {where}


def show(output_id, results):
    # a figure is drawn; a table's rows or a group of values are displayed
    made = OUTPUTS[output_id].func(results)
    made.show() if OUTPUTS[output_id].kind == "figure" else display(made)"""


def topic_notebook(book: Book, topic: str, results: str | None = None) -> nbformat.NotebookNode:
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
        doc = inspect.getdoc(experiment.func) or ""
        params = experiment.params(book.profile)
        cells.append(new_markdown_cell(f"## {experiment.title or experiment.id}\n\n{doc}\n\n"
                                       f"Experiment `{experiment.id}`, seed {experiment.seed}, "
                                       f"{book.profile} parameters: `{params}`."))
        cells.append(new_code_cell(f"result = book.result({experiment.id!r})  # book.run(...) to train again\n"
                                   "result.provenance"))
        for output in sorted(book.outputs.values(), key=lambda o: o.id):
            if output.uses == experiment.id:
                cells.append(new_code_cell(f"show({output.id!r}, result.values)"))
    for number, cell in enumerate(cells):
        cell.id = f"{topic}-{number}"  # stable ids: the same book gives the same notebook, byte for byte
    return new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                              "language": "python"}})


def notebook_json(book: Book, topic: str, results: str) -> str:
    return nbformat.writes(topic_notebook(book, topic, results))


def write_notebooks(book: Book, out: Path, execute: bool = False) -> list[Path]:
    """Write `<out>/<topic>.ipynb` for every topic; with `execute`, run them first."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for topic in sorted({e.topic for e in book.experiments.values()}):
        notebook = topic_notebook(book, topic)
        if execute:
            from nbclient import NotebookClient

            NotebookClient(notebook, timeout=1800, kernel_name="python3").execute()
        path = out / f"{topic}.ipynb"
        nbformat.write(notebook, path)
        written.append(path)
    return written
