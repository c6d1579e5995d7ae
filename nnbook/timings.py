"""The "Computation times" page: every experiment, where it appears, and what it cost to run."""

from __future__ import annotations

from .book import Book
from .cache import DamagedEntry
from .render import slug, text

PAGE = "computation-times.md"

INTRO = """# Computation times

Every experiment behind this book, with the page that shows it and the time its stored
result took to compute ({profile} profile), longest first. The whole table comes from the
results' own provenance, so it is as current as the figures.

"""


def page(book: Book, pages: set[str]) -> str:
    """The page's Markdown; `pages` are the site's page paths (`activations.md`, ...)."""
    rows, total = [], 0.0
    for experiment_id, experiment in book.experiments.items():
        try:
            p = book.store.provenance(experiment_id, book.key(experiment_id))
        except (FileNotFoundError, DamagedEntry):
            continue
        seconds = float(p["seconds"])  # provenance is checked on load; every field is still shown as text
        total += seconds
        topic_page = f"{experiment.topic}.md"
        where = f"[{experiment.topic}]({topic_page})" if topic_page in pages else experiment.topic
        figures = sorted(o.id for o in book.outputs.values() if o.uses == experiment_id and o.kind == "figure")
        name = f"[`{experiment_id}`]({topic_page}#{slug(figures[0])})" if figures and topic_page in pages \
            else f"`{experiment_id}`"
        versions = p.get("versions", {})
        machine = p.get("machine", {})
        ran_on = f"{text(machine['cpu'])}, {int(machine['threads'])} thread(s)" if machine else "not recorded"
        rows.append((seconds, f"| {name} | {where} | {seconds:.1f} | {text(p['date'])} | "
                     f"{text(versions.get('tensorflow', '?'))} / {text(versions.get('keras', '?'))} | {ran_on} |"))
    table = ["| experiment | page | seconds | date | TensorFlow / Keras | machine |", "|---|---|--:|---|---|---|"]
    table += [row for _, row in sorted(rows, key=lambda r: -r[0])]
    table.append(f"| **total** | | **{total:.1f}** | | | |")
    return INTRO.format(profile=book.profile) + "\n".join(table) + "\n"
