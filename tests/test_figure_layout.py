"""The figure layout rules of nnbook/figures/style.py: the narrow (phone) variant of a figure and
colour bars for heat maps, on real Plotly figures."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nnbook.figures.style import colour_bars, narrow_layout, tidy
from nnbook.render import figure_html


def three_panels() -> go.Figure:
    fig = make_subplots(rows=1, cols=3, subplot_titles=["loss", "accuracy<br>(held out)", "landscape"])
    for col in (1, 2):
        fig.add_scatter(x=[1, 2, 3], y=[3, 2, 1], name=f"run {col}", row=1, col=col)
    fig.add_heatmap(z=np.arange(9.0).reshape(3, 3), colorbar={"x": 0.66}, row=1, col=3)
    fig.update_xaxes(title_text="epoch")
    fig.update_layout(updatemenus=[{"buttons": [{"label": "a", "method": "skip"}], "y": 1.2}])
    return tidy(fig, height=400, top=80)


def test_side_by_side_panels_stack_on_a_phone():
    fig = three_panels()
    narrow = narrow_layout(fig)
    update = narrow["layout"]
    assert [update[f"xaxis{n}.domain"] for n in ("", "2", "3")] == [[0, 1]] * 3
    boxes = [update[f"yaxis{n}.domain"] for n in ("", "2", "3")]
    assert boxes[0][1] == 1 and all(a[0] > b[1] for a, b in pairwise(boxes)), "top to bottom, with gaps"
    assert narrow["height"] == update["height"] > 400, "the stacked figure is taller"
    titles = update["annotations"]
    assert [(t["x"], t["y"]) for t in titles] == [(0.5, box[1]) for box in boxes], "each title over its own panel"
    gap_under_first = boxes[0][0] - boxes[1][1]
    gap_under_second = boxes[1][0] - boxes[2][1]
    assert gap_under_first > gap_under_second, "a two-line title (the second panel's) gets more room"
    bar = narrow["traces"]["2"]
    assert bar["colorbar.x"] > 1 and abs(bar["colorbar.y"] - sum(boxes[2]) / 2) < 1e-4, "the colour bar beside its panel"
    assert update["legend.y"] < 0 and update["legend.yanchor"] == "top", "the legend below the plot"
    assert 1 < update["updatemenus[0].y"] < 1.2, "the menu keeps its distance above the plot in pixels"


def test_single_panels_and_image_grids_keep_their_panels():
    single = tidy(go.Figure(go.Scatter(x=[1, 2], y=[1, 2], name="a")).add_scatter(x=[1, 2], y=[2, 1], name="b"))
    assert not any(key.endswith(".domain") for key in narrow_layout(single)["layout"])
    grid = make_subplots(rows=2, cols=3)
    for r in (1, 2):
        for c in (1, 2, 3):
            grid.add_heatmap(z=np.eye(3), colorscale="Greys", showscale=False, row=r, col=c)
    assert not any(key.endswith(".domain") for key in narrow_layout(tidy(grid))["layout"])


def test_heat_maps_get_a_colour_bar_and_images_do_not():
    maps = make_subplots(rows=1, cols=2)
    maps.add_heatmap(z=np.eye(3) * 255, colorscale="Greys", showscale=False, row=1, col=1)
    maps.add_heatmap(z=np.eye(3) - 0.5, colorscale="RdBu", zmid=0, showscale=False, row=1, col=2)
    colour_bars(maps)
    assert [t.showscale for t in maps.data] == [False, True]
    assert list(maps.data[1].colorbar.ticktext) == ["−", "0", "+"]
    images = go.Figure(go.Heatmap(z=np.eye(3), colorscale="Greys", showscale=False))
    assert colour_bars(images).data[0].showscale is False
    designed = go.Figure(go.Heatmap(z=np.eye(3), colorscale="Viridis", colorbar={"title": {"text": "loss"}}))
    assert colour_bars(designed).data[0].colorbar.ticktext is None, "a figure's own colour bar stays as it is"


def test_the_page_reserves_both_heights():
    page = figure_html("test/three", three_panels(), "Three panels.", {
        "experiment": "test/three", "seed": 0, "profile": "smoke", "seconds": 1.0, "date": "2026-01-01"})["html"]
    assert "--nnbook-height:400px;--nnbook-narrow-height:" in page
    assert page.index("</figure>") < page.index("<details"), "the data table follows the figure (valid HTML)"
