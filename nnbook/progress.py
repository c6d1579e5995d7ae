"""`nnbook figures` on a terminal: the experiment running, its time against its last run,
and a summary table at the end (with rich, which Keras already depends on)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import Progress, ProgressColumn, SpinnerColumn, Task, TextColumn
from rich.table import Table
from rich.text import Text

from .book import Book


class _AgainstLastRun(ProgressColumn):
    """Elapsed seconds, beside the last run's time when there was one."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        last = task.fields.get("last")
        return Text(f"{elapsed:5.0f} s" + (f" (last run {last:.0f} s)" if last else ""), style="progress.elapsed")


def run_with_progress(book: Book, ids: list[str]) -> list[tuple[str, float, float | None]]:
    """Run `ids` one after another; `(id, seconds, last run's seconds)` for each.
    A failure raises `BuildError` after the table of what ran before it."""
    console = Console(stderr=True)
    done: list[tuple[str, float, float | None]] = []
    columns = (SpinnerColumn(), TextColumn("{task.description}"), _AgainstLastRun())
    try:
        with Progress(*columns, console=console, transient=True) as progress:
            for n, experiment_id in enumerate(ids, start=1):
                last = book.last_seconds(experiment_id)
                task = progress.add_task(f"[{n}/{len(ids)}] {experiment_id} ({book.profile})", total=None, last=last)
                result = book.run(experiment_id)
                progress.remove_task(task)
                seconds = float(result.provenance["seconds"])
                done.append((experiment_id, seconds, last))
                progress.console.print(f"nnbook: {experiment_id} done in {seconds:.1f} s")
    finally:
        if done:
            console.print(summary(done))
    return done


def summary(done: list[tuple[str, float, float | None]]) -> Table:
    table = Table(title="experiments run", title_justify="left")
    table.add_column("experiment")
    table.add_column("seconds", justify="right")
    table.add_column("last run", justify="right")
    for experiment_id, seconds, last in done:
        table.add_row(experiment_id, f"{seconds:.1f}", f"{last:.1f}" if last else "–")
    table.add_row("total", f"{sum(s for _, s, _ in done):.1f}", "", style="bold")
    return table
