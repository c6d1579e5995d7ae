"""The one door to TensorFlow: quiet, pinned and seeded the same way everywhere.

Experiments call `tensorflow()` inside their functions, never at import time, so that
listing experiments or building a warm site never pays for importing TensorFlow.
"""

from __future__ import annotations

import os
import tempfile
from types import ModuleType

THREADS = 1  # results differ with the intra-op thread count: pin it for the same numbers everywhere


def _quiet_environment() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"  # oneDNN changes results; off for determinism
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("KERAS_HOME", os.path.join(tempfile.gettempdir(), "nnbook-keras"))


_modules: tuple[ModuleType, ModuleType] | None = None


def tensorflow() -> tuple[ModuleType, ModuleType]:
    """`(tensorflow, keras)`, imported once with logs silenced and threads pinned."""
    global _modules
    if _modules is None:
        _quiet_environment()
        import tensorflow as tf
        import keras

        tf.get_logger().setLevel("ERROR")
        tf.config.threading.set_intra_op_parallelism_threads(THREADS)
        tf.config.threading.set_inter_op_parallelism_threads(THREADS)
        _modules = (tf, keras)
    return _modules


def seed_everything(seed: int) -> None:
    """Fresh Keras state and one seed for Python, NumPy and TensorFlow."""
    _, keras = tensorflow()
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
