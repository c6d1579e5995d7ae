"""Shared look and number formats for figures, tables and values.

Colours and sizes only: the light/dark theme is applied in the browser (`assets/nnbook.js`).
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

Table = tuple[list[str], list[list[str]]]  # (header, rows)

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
