"""Stale experiments in parallel: worker processes on this machine, or a Dask cluster.

Workers only compute (`Book.compute`: seeded, TensorFlow pinned to one thread, exactly as a
run in this process) and send each `Result` back; the coordinating process alone writes the
store (`Book.save`), so a worker that dies leaves nothing half-written, and cluster workers
need no shared file system. Each task carries the key the coordinator expects; a worker whose
code or library versions give another key refuses it.

Experiments start longest first (by their last run's time), so the last one to finish is a
short one.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import importlib
import multiprocessing
import os
import signal
import socket
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import interrupt, registry

if TYPE_CHECKING:
    from .book import Book
    from .cache import Result

ENV_JOBS, ENV_SCHEDULER = "NNBOOK_JOBS", "NNBOOK_SCHEDULER"  # set by the `nnbook` command, read by `Book.refresh`
POLL = 0.2  # seconds between looks at the workers
INSTALL_CLUSTER = "--scheduler needs Dask's distributed: pip install -e '.[cluster]'"


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def jobs_from_env() -> int:
    """`NNBOOK_JOBS` (1 when unset: a plain `mkdocs build` runs experiments in its own process)."""
    value = os.environ.get(ENV_JOBS, "1")
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{ENV_JOBS}={value!r} must be a number of worker processes, 1 or more")
    return int(value)


def scheduler_from_env() -> str:
    return os.environ.get(ENV_SCHEDULER, "")


def check_cluster_installed() -> None:
    """`ModuleNotFoundError` with one line saying what to install, when Dask is missing."""
    try:
        import distributed  # noqa: F401
    except ModuleNotFoundError as e:
        raise ModuleNotFoundError(INSTALL_CLUSTER) from e


def settings(jobs: int, scheduler: str = "") -> contextlib.AbstractContextManager[None]:
    """Run experiments with `jobs` processes (or on `scheduler`) in this process and in the MkDocs
    builds it starts (`nnbook build`, `nnbook serve`), then restore the environment."""
    from .book import environment

    return environment({ENV_JOBS: str(jobs), ENV_SCHEDULER: scheduler or None})


# -- the worker's side ---------------------------------------------------------------------

_books: dict[tuple[str, str], "Book"] = {}
_started: Any = None  # a queue to the coordinator: (experiment id, pid) as each task starts


def _init_worker(started: Any, coordinator: int) -> None:
    """A local worker process: Ctrl-C is the coordinator's to handle (it terminates workers), and
    a worker whose coordinator died (killed) exits instead of waiting forever to send a result."""
    global _started
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _started = started
    threading.Thread(target=_exit_with, args=(coordinator,), daemon=True).start()


def _exit_with(coordinator: int) -> None:
    while os.getppid() == coordinator:
        time.sleep(0.5)
    os._exit(1)


def compute(profile: str, experiment_id: str, key: str, module: str, results: str = "") -> "Result":
    """Run one experiment in this worker and return its result, storing nothing.

    `module` defines the experiment (imported when this worker does not know it, as for one
    declared at run time); `key` is the one the coordinator stores the result under: a worker
    that computes another refuses to run it. `results` is the coordinator's results folder
    when it is on this machine (only read, for the cached keys)."""
    from .book import Book, BuildError
    from .cache import library_versions

    if _started is not None:
        _started.put((experiment_id, os.getpid()))
    folder = results if results and Path(results).is_dir() else str(Path(tempfile.gettempdir()) / "nnbook-worker")
    book = _books.get((folder, profile))
    if book is None:
        book = _books[(folder, profile)] = Book(folder, profile, log=lambda line: None, read_only=True)
    if experiment_id not in book.experiments:  # not in the catalogue: the declarations themselves, then its module
        registry.load()
        with contextlib.suppress(ImportError):
            importlib.import_module(module)
    if experiment_id not in book.experiments:
        raise BuildError(f"experiment {experiment_id}: unknown to the worker on {socket.gethostname()} "
                         f"(its nnbook has no such experiment): start workers from the same commit", "")
    mine = book.key(experiment_id)
    if mine != key:
        versions = ", ".join(f"{k} {v}" for k, v in library_versions().items())
        raise BuildError(f"experiment {experiment_id}: the worker on {socket.gethostname()} (pid {os.getpid()}) "
                         f"refuses it: its code or library versions ({versions}) give key {mine}, the "
                         f"coordinator expects {key}; start workers from the same commit and install", "")
    return book.compute(experiment_id)


# -- engines: where the tasks run ----------------------------------------------------------

class _Local:
    """`jobs` spawned worker processes (TensorFlow and fork do not mix). A worker that dies breaks
    the whole pool: a new one takes over, and what was in flight runs again; an experiment
    whose worker died twice while running it is reported."""

    def __init__(self, book: "Book", jobs: int):
        self.book, self.jobs = book, jobs
        self.context = multiprocessing.get_context("spawn")
        self.started = self.context.SimpleQueue()  # written before each experiment starts, unbuffered
        self.futures: dict[cf.Future, tuple[str, int]] = {}  # → (experiment id, pool generation)
        self.generation = 0
        self.running_in: dict[str, int] = {}  # experiment id → pid of the worker running it
        self.deaths: Counter[str] = Counter()  # worker deaths while running it
        self.broken: Counter[str] = Counter()  # broken pools it was queued in
        self.pool = self._pool()
        self.description = f"{jobs} worker processes"

    def _pool(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(self.jobs, mp_context=self.context, initializer=_init_worker,
                                      initargs=(self.started, os.getpid()))

    def submit(self, experiment_id: str, priority: int) -> None:
        experiment = self.book.experiments[experiment_id]
        future = self.pool.submit(compute, self.book.profile, experiment_id, self.book.key(experiment_id),
                                  experiment.func.__module__, str(self.book.results))
        self.futures[future] = (experiment_id, self.generation)

    def _drain(self) -> None:
        while not self.started.empty():
            experiment_id, pid = self.started.get()
            self.running_in[experiment_id] = pid

    def running(self) -> set[str]:
        self._drain()
        return set(self.running_in)

    def wait(self, timeout: float) -> list[tuple[str, Any]]:
        """Finished experiments as `(id, Result or exception)`; pending after `timeout`."""
        done, _ = cf.wait(list(self.futures), timeout=timeout, return_when=cf.FIRST_COMPLETED)
        self._drain()
        finished = []
        for future in done:
            experiment_id, generation = self.futures.pop(future)
            error = future.exception()
            if isinstance(error, cf.process.BrokenProcessPool):
                outcome = self._died(experiment_id, generation)
                if outcome is None:
                    continue
                finished.append((experiment_id, outcome))
            else:
                finished.append((experiment_id, error or future.result()))
            self.running_in.pop(experiment_id, None)
        return finished

    def _died(self, experiment_id: str, generation: int) -> Exception | None:
        """A task of a broken pool: resubmitted to a fresh pool (None), or the failure to report."""
        from .book import BuildError

        if generation == self.generation:  # the first of its pool's tasks seen broken: start a fresh pool
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.generation += 1
            self.pool = self._pool()
        pid = self.running_in.pop(experiment_id, None)
        self.deaths[experiment_id] += pid is not None
        self.broken[experiment_id] += 1
        if self.deaths[experiment_id] >= 2 or self.broken[experiment_id] >= 3:
            return BuildError(f"experiment {experiment_id} ({self.book.profile}): the worker process running it "
                              f"died (killed, or out of memory) {self.deaths[experiment_id]} times; "
                              "nothing of it was stored", f"last worker pid {pid}")
        self.submit(experiment_id, 0)
        return None

    def cancel_waiting(self) -> list[str]:
        """Cancel the tasks no worker has taken yet; their ids."""
        cancelled = [self.futures.pop(f)[0] for f in list(self.futures) if f.cancel()]
        return cancelled

    def close(self, terminate: bool = False) -> None:
        if terminate:  # Ctrl-C: stop at once
            processes = list((getattr(self.pool, "_processes", None) or {}).values())
            self.pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                process.terminate()
            for process in processes:
                process.join(timeout=5)
        else:
            self.pool.shutdown(wait=True)
        self.started.close()


# -- the coordinator -----------------------------------------------------------------------

class Events:
    """What a run reports as it goes (the `nnbook` command shows it with rich, a build logs it)."""

    def begin(self, count: int, where: str) -> None: ...
    def started(self, experiment_id: str, n: int) -> None: ...
    def finished(self, experiment_id: str, result: "Result") -> None: ...
    def failed(self, experiment_id: str, error: Exception) -> None: ...


class Logged(Events):
    """Progress of a parallel refresh as log lines, the same lines as a serial one."""

    def __init__(self, book: Book):
        self.book, self.count = book, 0

    def begin(self, count: int, where: str) -> None:
        self.count = count
        self.book.log(f"nnbook: running {count} experiment(s) on {where}")

    def started(self, experiment_id: str, n: int) -> None:
        self.book.log(f"nnbook: running {experiment_id} ({self.book.profile}) [{n}/{self.count}]")

    def finished(self, experiment_id: str, result: "Result") -> None:
        self.book.log(f"nnbook: {experiment_id} done in {result.provenance['seconds']:.1f} s")

    def failed(self, experiment_id: str, error: Exception) -> None:
        self.book.log(f"nnbook: {error}")


def longest_first(book: "Book", ids: list[str]) -> list[str]:
    """`ids` by their last run's time, longest first; never run (time unknown) before all."""
    return sorted(ids, key=lambda i: -(book.last_seconds(i) or float("inf")))


def run(book: "Book", ids: list[str], jobs: int, scheduler: str = "", keep_going: bool = False,
        events: Events | None = None) -> list[str]:
    """Compute `ids` in `jobs` worker processes (or on the Dask `scheduler`) and save each result.

    A failure raises `BuildError` once the experiments already running have finished and been
    saved (the rest are not started); with `keep_going` failures go to `book.failures` and the
    others run. On Ctrl-C workers are stopped at once and nothing more is saved. Returns `ids`."""
    from .book import BuildError

    events = events or Events()
    order = longest_first(book, ids)
    if scheduler:
        from .cluster import Dask

        engine: Any = Dask(book, scheduler)
    else:
        engine = _Local(book, min(jobs, len(order)))
    events.begin(len(order), engine.description)
    failure: BuildError | None = None
    announced: set[str] = set()

    def announce(experiment_id: str) -> None:
        if experiment_id not in announced:
            announced.add(experiment_id)
            events.started(experiment_id, len(announced))

    try:
        for rank, experiment_id in enumerate(order):
            engine.submit(experiment_id, len(order) - rank)
        pending = set(order)
        while pending:
            interrupt.check()
            for experiment_id, outcome in engine.wait(POLL):
                pending.discard(experiment_id)
                announce(experiment_id)
                try:
                    if isinstance(outcome, BaseException):
                        if not isinstance(outcome, Exception):
                            raise outcome
                        raise outcome if isinstance(outcome, BuildError) else \
                            BuildError(f"experiment {experiment_id} ({book.profile}) raised "
                                       f"{type(outcome).__name__}: {outcome}", "")
                    book.save(experiment_id, outcome)
                    events.finished(experiment_id, outcome)
                except BuildError as e:
                    events.failed(experiment_id, e)
                    if keep_going:
                        book.failures[experiment_id] = e
                    elif failure is None:
                        failure = e
                        pending -= set(engine.cancel_waiting())
            for experiment_id in sorted(engine.running() - announced):
                announce(experiment_id)
    except BaseException:
        engine.close(terminate=True)
        raise
    engine.close()
    if failure is not None:
        raise failure
    return order
