"""Experiments that fail on purpose, for tests/test_parallel.py.

They register when this module is imported, as worker processes do when a task names an
experiment they do not know: in the coordinator, import it after `registry.load()`.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import numpy as np

from nnbook.registry import experiment

MARKER = "NNBOOK_TEST_DIES_ONCE"  # a file: absent, the experiment kills its worker and creates it


@experiment("faults/boom", seed=0, full={"n": 3}, smoke={"n": 3})
def boom(n: int, seed: int) -> dict:
    raise RuntimeError("boom, on purpose")


@experiment("faults/dies-once", seed=0, full={"n": 3}, smoke={"n": 3})
def dies_once(n: int, seed: int) -> dict:
    marker = Path(os.environ[MARKER])
    if not marker.exists():
        marker.write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's out-of-memory killer would
    return {"loss": np.linspace(1.0, 0.5, n, dtype=np.float32)}


IDS = ("faults/boom", "faults/dies-once")
