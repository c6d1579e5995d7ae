"""`nnbook figures` on a terminal: the experiments running, its time against its last run,
and a summary table at the end (with rich, which Keras already depends on)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import Progress, ProgressColumn, SpinnerColumn, Task, TaskID, TextColumn
from rich.table import Table
from rich.text import Text

from . import parallel
from .book import Book
from .cache import Result


class _AgainstLastRun(ProgressColumn):
    """Elapsed seconds, beside the last run's time when there was one."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        last = task.fields.get("last")
        return Text(f"{elapsed:5.0f} s" + (f" (last run {last:.0f} s)" if last else ""), style="progress.elapsed")


class _Shown(parallel.Events):
    """A parallel run on the progress display: one line per running experiment."""

    def __init__(self, book: Book, progress: Progress, done: list[tuple[str, float, float | None]]):
        self.book, self.progress, self.done = book, progress, done
        self.tasks: dict[str, tuple[TaskID, float | None]] = {}
        self.count = 0

    def begin(self, count: int, where: str) -> None:
        self.count = count
        self.progress.console.print(f"nnbook: running {count} experiment(s) on {where}")

    def started(self, experiment_id: str, n: int) -> None:
        last = self.book.last_seconds(experiment_id)
        task = self.progress.add_task(f"[{n}/{self.count}] {experiment_id} ({self.book.profile})", total=None, last=last)
        self.tasks[experiment_id] = (task, last)

    def finished(self, experiment_id: str, result: Result) -> None:
        task, last = self.tasks.pop(experiment_id)
        self.progress.remove_task(task)
        seconds = float(result.provenance["seconds"])
        self.done.append((experiment_id, seconds, last))
        self.progress.console.print(f"nnbook: {experiment_id} done in {seconds:.1f} s")

    def failed(self, experiment_id: str, error: Exception) -> None:
        task, _ = self.tasks.pop(experiment_id)
        self.progress.remove_task(task)
        self.progress.console.print(f"nnbook: {experiment_id} failed")


def run_with_progress(book: Book, ids: list[str], jobs: int = 1,
                      scheduler: str = "") -> list[tuple[str, float, float | None]]:
    """Run `ids` one after another (with `jobs` > 1, in worker processes; with a `scheduler`, on a
    Dask cluster); `(id, seconds, last run's seconds)` for each.
    A failure raises `BuildError` after the table of what ran before it (in parallel, once those
    already running have finished)."""
    console = Console(stderr=True)
    done: list[tuple[str, float, float | None]] = []
    columns = (SpinnerColumn(), TextColumn("{task.description}"), _AgainstLastRun())
    try:
        with Progress(*columns, console=console, transient=True) as progress:
            if scheduler or (jobs > 1 and len(ids) > 1):
                parallel.run(book, ids, jobs, scheduler, events=_Shown(book, progress, done))
                return done
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
