"""Ctrl-C that stops a run at once.

TensorFlow runs Python callbacks (weak-reference finalisers, garbage collection) where an
exception is printed and ignored: a `KeyboardInterrupt` raised there is lost and the run
goes on. The handler below also records the request, and `check()`, called between the
steps of a run, raises it again where it cannot be swallowed.
"""

from __future__ import annotations

import signal
import threading

_requested = threading.Event()


def _handler(signum: int, frame: object) -> None:
    _requested.set()
    raise KeyboardInterrupt


def install() -> None:
    """Route Ctrl-C (SIGINT) through the handler; only the main thread can."""
    _requested.clear()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _handler)


def check() -> None:
    """Raise `KeyboardInterrupt` if Ctrl-C was pressed, even if that exception was swallowed."""
    if _requested.is_set():
        raise KeyboardInterrupt
