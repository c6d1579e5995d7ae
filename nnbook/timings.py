"""The "Computation times" page: every experiment, where it appears, and what it cost to run."""

from __future__ import annotations

from collections import defaultdict

from .book import Book
from .cache import DamagedEntry
from .render import slug, text

PAGE = "computation-times.md"

INTRO = """---
description: >-
  What each experiment behind the book cost to compute, page by page, and on which machine.
---

# Computation times

Every experiment behind this book, with the page that shows it and the time its stored
result took to compute. The times come from the results' own provenance, so they are as
current as the figures. They were taken on machines that were often running other work at
the same moment (other experiments, tests, builds), so read them as upper bounds: the same
experiment run alone on an idle machine takes less, often several times less.

**What is timed.** The wall-clock time of the experiment's own function: loading its data,
building and training its networks, and measuring what it reports. Not timed are importing
TensorFlow (a few seconds, once per process), reading and writing the result store, drawing
the figures and building the site. An experiment that computes in NumPy without training
anything (an update rule on a two-dimensional surface, a least-squares fit) takes well
under a tenth of a second and shows as 0.0.

**Profiles.** These are the times of the **{profile}** profile, {profile_means}. The
same code also has a `smoke` profile, with tiny epochs and samples, that the tests run in
seconds.

**Machine.** {machine}

"""

PROFILE_MEANS = {"full": "the one the published book is built from",
                 "smoke": "the tests' tiny version of every experiment, not the published book"}


def _machine(machines: set[str]) -> str:
    if not machines:
        return "Not recorded."
    if len(machines) == 1:
        return f"Every result was computed on {next(iter(machines))}, one experiment after another or in worker processes."
    return "The results were computed on several machines: " + "; ".join(sorted(machines)) + "."


def page(book: Book, pages: set[str]) -> str:
    """The page's Markdown; `pages` are the site's page paths (`activations.md`, ...)."""
    rows, per_page, machines, total = [], defaultdict(float), set(), 0.0
    for experiment_id, experiment in book.experiments.items():
        try:
            p = book.store.provenance(experiment_id, book.key(experiment_id))
        except (FileNotFoundError, DamagedEntry):
            continue
        seconds = float(p["seconds"])  # provenance is checked on load; every field is still shown as text
        total += seconds
        topic_page = f"{experiment.topic}.md"
        where = f"[{experiment.topic}]({topic_page})" if topic_page in pages else experiment.topic
        per_page[where] += seconds
        figures = sorted(o.id for o in book.outputs.values() if o.uses == experiment_id and o.kind == "figure")
        name = f"[`{experiment_id}`]({topic_page}#{slug(figures[0])})" if figures and topic_page in pages \
            else f"`{experiment_id}`"
        versions = p.get("versions", {})
        machine = p.get("machine", {})
        if machine:
            machines.add(f"{text(machine['cpu'])} with {int(machine['threads'])} TensorFlow thread(s) per process")
        row = (f"| {name} | {where} | {seconds:.1f} | {text(p['date'])} | "
               f"{text(versions.get('tensorflow', '?'))} / {text(versions.get('keras', '?'))} |")
        rows.append((seconds, row))
    by_page = ["## By page", "", "| page | seconds |", "|---|--:|"]
    by_page += [f"| {where} | {seconds:.1f} |" for where, seconds in sorted(per_page.items(), key=lambda kv: -kv[1])]
    by_page.append(f"| **total** | **{total:.1f}** |")
    table = ["## By experiment", "", "Longest first.", "",
             "| experiment | page | seconds | date | TensorFlow / Keras |", "|---|---|--:|---|---|"]
    table += [row for _, row in sorted(rows, key=lambda r: -r[0])]
    table.append(f"| **total** | | **{total:.1f}** | | |")
    intro = INTRO.format(profile=book.profile, profile_means=PROFILE_MEANS.get(book.profile, ""),
                         machine=_machine(machines))
    return intro + "\n".join(by_page) + "\n\n" + "\n".join(table) + "\n"
