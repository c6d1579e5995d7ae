"""What bit-for-bit reproducibility depends on, recorded in every result's provenance.

The same code, versions, profile and seed give the same bits on the same kind of CPU with
the same thread settings. Another CPU model or instruction set may round float32 sums
differently in the last bit, and training amplifies that; so results record where they ran.
"""

from __future__ import annotations

import os
import platform
from functools import lru_cache

# The instruction-set extensions that change which kernels TensorFlow and NumPy run.
ISA_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_vnni", "amx_tile")


@lru_cache(maxsize=1)
def _cpuinfo() -> dict[str, str]:
    info: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                name, _, value = line.partition(":")
                if not line.strip():
                    break  # the first processor is enough
                info.setdefault(name.strip(), value.strip())
    except OSError:
        pass
    return info


def cpu_model() -> str:
    return _cpuinfo().get("model name") or platform.processor() or platform.machine() or "unknown"


def isa() -> list[str]:
    flags = set(_cpuinfo().get("flags", "").split())
    return [f for f in ISA_FLAGS if f in flags]


def description(threads: int) -> dict[str, object]:
    """The machine facts a result's exact bits depend on."""
    return {
        "cpu": cpu_model(),
        "arch": platform.machine(),
        "isa": isa(),
        "threads": threads,
        "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "0") != "0",
    }
