"""Shared look and number formats for figures, tables and values.

Colours and sizes only: the light/dark theme is applied in the browser (`assets/nnbook.js`).
"""

from __future__ import annotations

import re
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
    """A share in per cent; one that is not exactly 0 or 1 never prints as 0% or 100% (more digits instead)."""
    x = float(x)
    edges = lambda d: (f"{0:.{d}f}", f"{100:.{d}f}")  # noqa: E731
    while digits < 2 and 0 < x < 1 and f"{100 * x:.{digits}f}" in edges(digits):
        digits += 1
    if 0 < x < 1 and f"{100 * x:.{digits}f}" in edges(digits):
        step = 10.0 ** -digits
        return f"above {100 - step:.{digits}f}%" if x > 0.5 else f"below {step:.{digits}f}%"
    return f"{100 * x:.{digits}f}%"


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


# -- narrow screens: one layout rule for every figure -------------------------------------
#
# Below NARROW_MAX_WIDTH (a phone) a figure of two to four side-by-side panels is redrawn with
# its panels stacked, each across the whole width under its own title, with its colour bar
# beside it; the legend moves below the plot; everything placed in pixels above or below the
# plot (menus, sliders, notes) keeps its distance. `narrow_layout` computes that variant from the
# desktop figure; render.py ships it with the figure and its height with the page, which
# reserves the box (no layout shift), and assets/nnbook.js applies it on a narrow screen.

NARROW_MAX_WIDTH = 639  # px of viewport: the media query of nnbook.css and nnbook.js
NARROW_WIDTH = 340  # px a phone leaves a figure, to lay legends out in rows
NARROW_FONT = 11
PANEL_HEIGHT = (180, 280)  # px: the least and most a stacked panel gets
TITLE_LINE = 19  # px per line of a subplot title, at TITLE_FONT
TITLE_FONT = 13
MOSAIC_TITLE_FONT = 9  # px of the column titles of an image mosaic, several to a phone's width
BELOW_PANEL = (32, 60)  # px under a panel for its tick labels, and with an axis title too
LEGEND_ROW = 21  # px per row of a legend below the plot
MOST_PANELS = 4  # grids of more panels (image mosaics) keep their layout


def _panels(layout: dict[str, Any]) -> list[dict[str, Any]]:
    """The figure's subplots, top to bottom and left to right: axis names and domains."""
    found = []
    for name, axis in layout.items():
        if not re.fullmatch(r"xaxis\d*", name) or axis.get("overlaying"):
            continue
        x = "x" + name[5:]
        y = axis.get("anchor", "y" + name[5:])
        if not y.startswith("y"):
            continue
        yaxis = layout.get("yaxis" + y[1:], {})
        found.append({"x": x, "y": y, "xd": list(axis.get("domain", [0, 1])), "yd": list(yaxis.get("domain", [0, 1])),
                      "titled": bool((axis.get("title") or {}).get("text"))})
    found.sort(key=lambda p: (-round(p["yd"][1], 3), round(p["xd"][0], 3)))
    return found


def _legend_rows(fig: go.Figure, layout: dict[str, Any]) -> int:
    """Rows a horizontal legend takes across a phone's width (estimated from its labels)."""
    if layout.get("showlegend") is False:
        return 0
    names = [t.name for t in fig.data if t.name and t.showlegend is not False and t.visible is not False
             and (t.type in ("scatter", "bar") or t.showlegend)]
    if len(names) < 2 and layout.get("showlegend") is not True:
        return 0
    rows, used = (1 if names else 0), 0.0
    for name in names:
        width = 40 + 6.2 * len(re.sub(r"<[^>]+>", "", name))
        if used and used + width > NARROW_WIDTH:
            rows, used = rows + 1, 0.0
        used += width
    return rows + (1 if (layout.get("legend") or {}).get("title", {}).get("text") else 0)


def _inside(value: float, domain: list[float], slack: float = 0.02) -> bool:
    return domain[0] - slack <= value <= domain[1] + slack


def narrow_layout(fig: go.Figure) -> dict[str, Any]:
    """The figure's layout on a phone: `{"height": px, "layout": {path: value}, "traces":
    {index: {path: value}}}`, paths as plotly.js's relayout and restyle take them."""
    layout = fig.layout.to_plotly_json()
    height = int(layout.get("height") or 440)
    margin = {"l": 60, "r": 20, "t": 50, "b": 50} | dict(layout.get("margin") or {})
    old_plot = max(1, height - margin["t"] - margin["b"])
    panels = _panels(layout)
    columns = {round(p["xd"][0], 3) for p in panels}
    stacked = 2 <= len(panels) <= MOST_PANELS and len(columns) >= 2
    annotations = [dict(a) for a in layout.get("annotations") or []]
    titles: dict[int, dict[str, Any]] = {}  # panel index -> its subplot title
    for a in annotations:
        if a.get("xref") == "paper" and a.get("yref") == "paper" and a.get("yanchor") == "bottom":
            for i, p in enumerate(panels):
                if abs(a["x"] - sum(p["xd"]) / 2) < 0.01 and abs(a["y"] - p["yd"][1]) < 0.01 and i not in titles:
                    titles[i] = a
    lines = {i: 1 + str(a.get("text", "")).count("<br>") for i, a in titles.items()}
    update: dict[str, Any] = {"font.size": NARROW_FONT}

    # the plot area: the panels one under another, or as they were
    if stacked:
        heights = [min(max((p["yd"][1] - p["yd"][0]) * old_plot, PANEL_HEIGHT[0]), PANEL_HEIGHT[1]) for p in panels]
        gaps = [0.0] + [BELOW_PANEL[panels[i - 1]["titled"]] + TITLE_LINE * lines.get(i, 0) + 10
                        for i in range(1, len(panels))]
        plot = sum(heights) + sum(gaps)
        top, boxes = plot, []
        for h, gap in zip(heights, gaps):
            top -= gap
            boxes.append([(top - h) / plot, top / plot])
            top -= h
    else:
        plot, boxes = float(old_plot), [p["yd"] for p in panels]

    def moved(x: float, y: float, xref: str = "paper") -> tuple[float, float]:
        """A point in paper units (x in `xref`'s), carried to the new layout."""
        for i, p in enumerate(panels):
            across = _inside(x, p["xd"]) if xref == "paper" else xref.split()[0] == p["x"]
            if stacked and across and _inside(y, p["yd"]):
                fx = (x - p["xd"][0]) / ((p["xd"][1] - p["xd"][0]) or 1) if xref == "paper" else x
                fy = (y - p["yd"][0]) / ((p["yd"][1] - p["yd"][0]) or 1)
                return fx, boxes[i][0] + fy * (boxes[i][1] - boxes[i][0])
        if y > 1:
            return x, 1 + (y - 1) * old_plot / plot
        if y < 0:
            return x, y * old_plot / plot
        return x, y

    if stacked:
        for i, p in enumerate(panels):
            update[f"xaxis{p['x'][1:]}.domain"] = [0, 1]
            update[f"yaxis{p['y'][1:]}.domain"] = [round(v, 5) for v in boxes[i]]
            for axis in (f"xaxis{p['x'][1:]}", f"yaxis{p['y'][1:]}"):  # a shared axis: its labels on every panel now
                if layout.get(axis, {}).get("matches") and layout[axis].get("showticklabels") is False:
                    update[f"{axis}.showticklabels"] = True
        for i, a in titles.items():
            a["x"], a["y"] = 0.5, round(boxes[i][1], 5)
    most = TITLE_FONT if stacked or len(panels) <= MOST_PANELS else MOSAIC_TITLE_FONT
    for a in titles.values():
        a["font"] = dict(a.get("font") or {}) | {"size": min((a.get("font") or {}).get("size", 16), most)}
    for a in annotations:
        if a.get("yref") == "paper" and not any(a is t for t in titles.values()):
            x, y = moved(a.get("x", 0.5), a.get("y", 0.5), a.get("xref", "paper"))
            a["x"], a["y"] = round(x, 5), round(y, 5)
    if annotations:
        update["annotations"] = annotations
    for kind in ("updatemenus", "sliders"):
        for i, item in enumerate(layout.get(kind) or []):
            if "y" in item:
                update[f"{kind}[{i}].y"] = round(moved(0, item["y"])[1], 5)

    # colour bars beside their own panel
    traces: dict[str, dict[str, Any]] = {}
    if stacked:
        where = {(p["x"], p["y"]): i for i, p in enumerate(panels)}
        for k, trace in enumerate(fig.data):
            if trace.type in ("heatmap", "contour") and trace.showscale is not False:
                i = where.get((trace.xaxis or "x", trace.yaxis or "y"))
                if i is not None:
                    traces[str(k)] = {"colorbar.orientation": "v", "colorbar.x": 1.02, "colorbar.xanchor": "left", "colorbar.y": round(sum(boxes[i]) / 2, 5),
                                      "colorbar.yanchor": "middle", "colorbar.lenmode": "fraction",
                                      "colorbar.len": round(boxes[i][1] - boxes[i][0], 5), "colorbar.thickness": 12,
                                      "colorbar.ypad": 0}

    # the legend below the plot, under the last panel's tick labels and axis title
    rows = _legend_rows(fig, layout)
    extra = 0
    if rows and not layout.get("sliders"):
        below = BELOW_PANEL[panels[-1]["titled"] if panels else 1] + 4
        update["legend.y"] = round(-below / plot, 5)
        update["legend.yanchor"] = "top"
        update["legend.x"] = 0
        update["legend.orientation"] = "h"
        extra = rows * LEGEND_ROW + max(0, below - margin["b"])
        if not layout.get("updatemenus") and not (layout.get("title") or {}).get("text") and not any(a.get("y", 0) > 1 for a in annotations if a.get("yref") == "paper"):
            saved = max(0, margin["t"] - 30 - TITLE_LINE * max(lines.values(), default=0))  # the legend's room above
            update["margin.t"] = margin["t"] - saved
            extra -= saved
        update["margin.b"] = margin["b"] + rows * LEGEND_ROW + max(0, below - margin["b"])
    elif rows > 1:  # a slider holds the space below: the legend stays on top, with room for its rows
        added = (rows - 1) * LEGEND_ROW
        update["margin.t"] = margin["t"] + added
        update["legend.y"] = round(1 + (margin["t"] + added - 4) / plot, 5)
        update["legend.yanchor"] = "top"
        extra = added
    new_height = round(height - old_plot + plot + extra)
    if new_height != height:
        update["height"] = new_height
    return {"height": new_height, "layout": update, "traces": traces}


# -- colour bars: every heat map that encodes a quantity shows its scale -------------------

def _plain_scale(trace: Any) -> bool:
    """A scale that draws an image or plain lines, not a quantity: greys, one colour, line contours."""
    scale = trace.colorscale
    names = {"greys", "gray", "grey", "gray_r", "greys_r"}
    if isinstance(scale, str):
        return scale.lower() in names
    colours = {str(c[1]).lower() for c in scale or ()}
    greys = all(re.fullmatch(r"rgb\((\d+), ?\1, ?\1\)|#(\w)\2\2\2\2\2|#([0-9a-f]{2})\3\3", c) for c in colours)
    lines = trace.type == "contour" and (trace.contours.coloring == "lines" or trace.contours.coloring == "none")
    return bool(len(colours) <= 1 or greys or lines)


def _axis_shown(layout: dict[str, Any], axis: str) -> bool:
    """Whether an axis (`x2`) draws tick labels, which a bar under its panel would cover."""
    found = layout.get("xaxis" + axis[1:], {})
    return found.get("visible") is not False and found.get("showticklabels") is not False


def colour_bars(fig: go.Figure) -> go.Figure:
    """Give the heat maps without a colour bar one, beside the plot, if none of the figure's maps
    shows one: one bar per colour scale, on the maps of the top right panel that uses it, marked
    in words (low, high; or −, 0, + around a middle) since such maps are often scaled each to its
    own range. Images (greys) and line contours are left as they are."""
    maps = [t for t in fig.data if t.type in ("heatmap", "contour")]
    if not maps or any(t.showscale is not False for t in maps):
        return fig
    layout = fig.layout.to_plotly_json()
    panels = {(p["x"], p["y"]): p for p in _panels(layout)}
    place = {key: (p["xd"][1], p["yd"][1]) for key, p in panels.items()}
    scales: dict[str, list[Any]] = {}
    for t in maps:
        if not _plain_scale(t) and t.z is not None:
            scales.setdefault(repr(t.colorscale) + repr(t.zmid is not None), []).append(t)
    for found in list(scales.values())[:1]:  # one bar: a figure with two scales keeps its own design
        corner = max(place.get((t.xaxis or "x", t.yaxis or "y"), (1, 1)) for t in found)
        for t in found:
            if place.get((t.xaxis or "x", t.yaxis or "y"), (1, 1)) != corner:
                continue
            z = np.asarray(t.z, dtype=float)
            low = float(t.zmin if t.zmin is not None else np.nanmin(z))
            high = float(t.zmax if t.zmax is not None else np.nanmax(z))
            ticks = ([low, float(t.zmid), high], ["−", "0", "+"]) if t.zmid is not None else ([low, high], ["low", "high"])
            bar = {"x": 1.02, "xanchor": "left", "y": 0.5, "len": 1, "thickness": 12}
            panel = panels.get((t.xaxis or "x", t.yaxis or "y"))
            if panel and corner[0] < max(x for x, _ in place.values()) and not _axis_shown(layout, panel["x"]):
                # a panel to its right: the bar goes under its own maps, across them
                bar = {"orientation": "h", "x": sum(panel["xd"]) / 2, "xanchor": "center", "len": 0.8 * (panel["xd"][1] - panel["xd"][0]),
                       "y": panel["yd"][0], "yanchor": "top", "ypad": 4, "thickness": 10}
            t.update(showscale=True, colorbar=bar | {"tickvals": ticks[0], "ticktext": ticks[1], "outlinewidth": 0})
    return fig
