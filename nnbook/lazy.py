"""Libraries imported on first use: a build with nothing to make never pays for them.

`from .lazy import numpy as np` reads like the import it replaces; `np.asarray` imports NumPy
the first time it is looked up. A test checks that a warm build imports neither NumPy nor Plotly.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """A module imported when one of its attributes is first read."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        module: ModuleType = importlib.import_module(self._name)
        return getattr(module, attribute)


numpy: Any = LazyModule("numpy")
