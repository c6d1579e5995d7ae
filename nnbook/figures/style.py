"""Shared look and number formats for figures, tables and values.

Colours and sizes only: the light/dark theme is applied in the browser (`assets/nnbook.js`).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import plotly.graph_objects as go

from nnbook.registry import Trusted
from nnbook.render import text

Table = tuple[list[str], list[list[str]]]  # (header, rows)


def strong(value: Any) -> Trusted:
    """A table cell in bold (a total row, say); the text itself stays plain text."""
    return Trusted(f"**{text(value)}**")

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
NAMES = {"relu": "ReLU", "leaky_relu": "leaky ReLU", "sigmoid": "sigmoid", "tanh": "tanh",
         "softmax": "softmax", "linear": "linear (none)"}


def label(name: str) -> str:
    """A reader's name for an activation or other identifier."""
    return NAMES.get(name, name)


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def tidy(fig: go.Figure, height: int = 440, top: int = 50, bottom: int = 50, **layout: Any) -> go.Figure:
    """Common layout: compact margins, legend at the top of the figure, readable hover.

    `top` and `bottom` are margins in pixels: room for menus, subplot titles or sliders.
    """
    defaults = {
        "margin": {"l": 60, "r": 20, "t": top, "b": bottom},
        "legend": {"orientation": "h", "yanchor": "top", "y": 1 + (top - 4) / (height - top - bottom), "x": 0},
        "hovermode": "closest",
    }
    fig.update_layout(height=height, **(defaults | layout))
    return fig


def pct(x: float, digits: int = 1) -> str:
    return f"{100 * float(x):.{digits}f}%"


def num(x: float, digits: int = 3) -> str:
    return f"{float(x):.{digits}g}" if abs(float(x)) < 1e-3 or abs(float(x)) >= 1e4 else f"{float(x):.{digits}f}"


# -- several seeds: one way to draw and say a mean with its spread ------------------------

BAND_OPACITY = 0.18


def rgba(hex_color: str, alpha: float) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def seed_band(fig: go.Figure, x: np.ndarray, runs: np.ndarray, name: str, i: int, dash: str = "solid",
              showlegend: bool = True, markers: bool = False, **where: Any) -> None:
    """The mean of `runs` (one row per seed) as a line, with a band from the lowest to the highest
    seed, grouped under one legend entry; `where` places it in a subplot (`row=`, `col=`)."""
    lo, hi = np.nanmin(runs, 0), np.nanmax(runs, 0)
    fig.add_scatter(x=np.concatenate([x, x[::-1]]), y=np.concatenate([hi, lo[::-1]]).astype(np.float32),
                    fill="toself", fillcolor=rgba(color(i), BAND_OPACITY), line={"width": 0}, mode="lines",
                    hoverinfo="skip", showlegend=False, legendgroup=name, name=f"{name} (range over seeds)", **where)
    fig.add_scatter(x=x, y=np.nanmean(runs, 0).astype(np.float32), name=name, legendgroup=name,
                    showlegend=showlegend, mode="lines+markers" if markers else "lines",
                    line={"color": color(i), "dash": dash}, **where)


def mean_range(values: Any, fmt: Callable[[float], str] = num) -> str:
    """The mean over seeds with the lowest and highest seed: '95.1% (94.8–95.4%)';
    '−1.2 (−1.8 to −0.8)' when a bound is negative."""
    v = np.asarray(values, dtype=np.float64)
    lo, hi = np.min(v), np.max(v)
    return f"{fmt(np.mean(v))} ({fmt(lo)}{' to ' if lo < 0 else '–'}{fmt(hi)})"


def apart(higher: np.ndarray, lower: np.ndarray) -> bool:
    """Every seed of `higher` lies above every seed of `lower`: a difference the seeds do not blur."""
    return bool(np.min(higher) > np.max(lower))
