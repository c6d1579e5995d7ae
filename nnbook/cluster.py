"""Experiments on a Dask cluster (`nnbook figures --scheduler ADDRESS`).

A Dask worker runs its tasks in a thread beside its own event loop, and that loop draws from
Python's global `random` (heartbeats, peer choice) while a task runs: Keras seeds
initialisers from it, so an experiment run in the worker itself is not reproducible. Each
worker therefore hands experiments to one child process of its own (`python -m
nnbook.cluster`, started on first use, kept for the next task), where nothing else runs,
exactly as in a local worker process; the result goes back through the Dask worker to the
coordinator, which stores it. Workers need no shared file system.
"""

from __future__ import annotations

import os
import pickle
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
from typing import IO, TYPE_CHECKING, Any

from .parallel import check_cluster_installed, compute

if TYPE_CHECKING:
    from .book import Book
    from .cache import Result

RETRIES = 1  # a task that failed runs once more, maybe on another worker (a dead worker's task always does)

# -- the child process: one per Dask worker --------------------------------------------------

_HEADER = struct.Struct("!Q")


def _send(stream: IO[bytes], message: Any) -> None:
    data = pickle.dumps(message)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError
    size = _HEADER.unpack(header)[0]
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


def _serve() -> None:
    """The child: compute each task read from stdin, answer on the original stdout (what the
    experiments print goes to stderr)."""
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    tasks = sys.stdin.buffer
    while True:
        try:
            path, args = _receive(tasks)
        except EOFError:
            return
        sys.path[:] = path
        try:
            answer = ("ok", compute(*args))
        except Exception as e:  # BuildError, a refusal: sent back whole
            answer = ("error", e)
        _send(answers, answer)


class _Child:
    """The child process of this Dask worker, started when first needed."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.lock = threading.Lock()  # one experiment at a time, even on a worker with several threads

    def compute(self, *args: Any) -> "Result":
        from .book import BuildError

        with self.lock:
            if self.process is None or self.process.poll() is not None:
                self.process = subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE,
                                                stdout=subprocess.PIPE)
            try:
                _send(self.process.stdin, (sys.path, args))
                status, answer = _receive(self.process.stdout)
            except (EOFError, BrokenPipeError) as e:
                code = self.process.wait()
                self.process = None
                raise BuildError(f"experiment {args[1]}: the process computing it on {socket.gethostname()} died "
                                 f"(exit code {code}: killed, or out of memory); nothing of it was stored", "") from e
        if status == "error":
            raise answer
        return answer


_child = _Child()


def compute_isolated(*args: Any) -> "Result":
    """A Dask task: `parallel.compute(*args)` in this worker's child process."""
    return _child.compute(*args)


# -- the coordinator's side ------------------------------------------------------------------

class Dask:
    """Tasks on a Dask scheduler's workers (`parallel.run`'s engine); results come back here."""

    def __init__(self, book: "Book", address: str):
        check_cluster_installed()
        from distributed import Client

        from .book import BuildError

        self.book = book
        try:
            self.client = Client(address, timeout="10s")
        except (OSError, TimeoutError) as e:
            raise BuildError(f"cannot reach the Dask scheduler at {address}: {e}", "") from e
        self.futures: dict[Any, str] = {}
        self.token = uuid.uuid4().hex[:8]
        workers = self.client.scheduler_info().get("workers", {})
        self.description = f"the Dask cluster at {address} ({len(workers)} workers)"

    def submit(self, experiment_id: str, priority: int) -> None:
        experiment = self.book.experiments[experiment_id]
        future = self.client.submit(compute_isolated, self.book.profile, experiment_id, self.book.key(experiment_id),
                                    experiment.func.__module__, key=f"nnbook-{experiment_id}-{self.token}",
                                    pure=False, retries=RETRIES, priority=priority)
        self.futures[future] = experiment_id

    def running(self) -> set[str]:
        keys = {key for tasks in self.client.processing().values() for key in tasks}
        return {i for f, i in self.futures.items() if f.key in keys}

    def wait(self, timeout: float) -> list[tuple[str, Any]]:
        """Finished experiments as `(id, Result or exception)`; none after `timeout`."""
        from distributed import KilledWorker

        from .book import BuildError

        deadline = time.monotonic() + timeout
        while not (done := [f for f in self.futures if f.done()]) and time.monotonic() < deadline:
            time.sleep(0.05)
        finished = []
        for future in done:
            experiment_id = self.futures.pop(future)
            if future.status == "finished":
                outcome: Any = future.result()
            else:
                outcome = future.exception()
                if isinstance(outcome, KilledWorker):
                    outcome = BuildError(f"experiment {experiment_id} ({self.book.profile}): the Dask workers "
                                         "running it died (killed, or out of memory); nothing of it was stored",
                                         str(outcome))
            future.release()
            finished.append((experiment_id, outcome))
        return finished

    def cancel_waiting(self) -> list[str]:
        """Cancel the tasks no worker is running yet; their ids."""
        busy = self.running()
        waiting = [f for f, i in self.futures.items() if i not in busy]
        self.client.cancel(waiting)
        return [self.futures.pop(f) for f in waiting]

    def close(self, terminate: bool = False) -> None:
        if terminate and self.futures:
            self.client.cancel(list(self.futures))  # a task already running finishes on its worker, unheard
        self.client.close()


if __name__ == "__main__":
    _serve()
