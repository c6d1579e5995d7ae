"""Figures, tables and values for the page on what a network is."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nnbook.figures.style import Table, color, num, pct, strong, tidy
from nnbook.registry import claim, figure, table, values

LAYER_TITLES = ("input (784 pixels)", "hidden 1 (256, ReLU)", "hidden 2 (128, ReLU)", "output (10, softmax)")


@table("network/architecture", uses="network/mlp",
       caption="The layers of the network, read from the Keras model. Each unit has one weight per input "
               "plus a bias.")
def architecture(r: dict) -> Table:
    rows = [["input", "784", "–", "0", "–"]]
    inputs = 784
    for name, units, act, params in zip(r["layer_names"], r["units"], r["activations"], r["params"]):
        rows.append([name, str(units), act, f"{params:,}", f"{inputs} × {units} + {units}"])
        inputs = units
    rows.append([strong("total"), "", "", strong(f"{r['total_params']:,}"), ""])
    return ["layer", "neurons", "activation", "parameters", "weights + biases"], rows


def _outside_start(r: dict, layer: int) -> float:
    """Share of a layer's trained weights outside the range its initial weights filled."""
    counts = r[f"hist_counts_{layer}"]
    return float(counts[-1][counts[0] == 0].sum() / counts[-1].sum())


@values("network/numbers", uses="network/mlp")
def numbers(r: dict) -> dict[str, str]:
    best = int(np.argmax(r["val_accuracy"]))
    spread = {f"outside-{i + 1}": pct(_outside_start(r, i), 0) for i in range(len(r["units"]))}
    return spread | {"total-params": f"{r['total_params']:,}", "first-params": f"{r['params'][0]:,}",
            "first-share": pct(r["params"][0] / r["total_params"], 0),
            "train-rows": f"{r['train_rows']:,}", "val-rows": f"{r['val_rows']:,}", "epochs": str(len(r["epoch"])),
            "batch": str(r["batch"]), "val-acc": pct(r["val_accuracy"][-1]), "train-acc": pct(r["accuracy"][-1]),
            "best-val-acc": pct(r["val_accuracy"][best]), "best-epoch": str(best + 1),
            "first-val-acc": pct(r["val_accuracy"][0]), "first-loss": num(r["loss"][0]),
            "final-loss": num(r["loss"][-1]), "final-val-loss": num(r["val_loss"][-1]),
            "min-val-loss": num(r["val_loss"].min()), "min-val-loss-epoch": str(int(np.argmin(r["val_loss"])) + 1),
            "digit-label": str(int(r["digit_labels"][0])),
            "digit-prediction": str(int(np.argmax(r["digit_layer_2"][0]))),
            "digit-confidence": pct(r["digit_layer_2"][0].max()),
            "digit-active-1": str(int((r["digit_layer_0"][0] > 0).sum())),
            "digit-active-2": str(int((r["digit_layer_1"][0] > 0).sum())),
            "neuron-unit": str(r["neuron_unit"]), "neuron-sum": num(r["neuron_sum"]),
            "neuron-output": num(r["neuron_output"]), "neuron-bias": num(r["neuron_bias"]),
            "neuron-active": str(r["neuron_active_inputs"]), "neuron-rest-count": str(r["neuron_rest_count"])} \
        | _change_values(r) | _ablation_values(r) | _log_values(r)


def _change_values(r: dict) -> dict:
    ratio = r["mean_change"] / r["mean_start"]
    blank = np.flatnonzero(r["ink_share"] == 0)
    rows, cols = blank // 28, blank % 28
    on_rim = (np.minimum(rows, 27 - rows) < 4) | (np.minimum(cols, 27 - cols) < 4)
    return {"blank-on-rim": claim(on_rim.all(), "every pixel that is blank in all training images lies within four "
                                  "pixels of the frame's edge"),
            **{f"change-ratio-{i + 1}": pct(v, 0) for i, v in enumerate(ratio)},
            "never-inked": str(r["never_inked"]),
            "blank-unchanged": claim(r["never_inked_max_change"] == 0,
                                     "the first-layer weights of pixels that are blank in every training image did "
                                     "not change at all"),
            "change-not-small": claim(ratio[0] > 0.2, "the first layer's weights moved on average by more than a "
                                      "fifth of their starting size")}


def _ablation_values(r: dict) -> dict:
    grown, rand, full = r["ablate_grown"], r["ablate_random"], r["ablate_full"]
    edges = [(np.abs(r[f"graph_w{i}_trained"]).max(), np.abs(r[f"graph_w{i}_initial"]).max()) for i in range(3)]
    return {"grown-count": f"{int(r['grown_counts'].sum()):,}", "ablate-draws": str(len(rand)),
            "graph-size": str(r["graph_size"]), "lr": f"{r['lr']:g}",
            "graph-thicker": claim(max(t for t, _ in edges) > 1.5 * max(i for _, i in edges),
                                   "the thickest trained edge in the graph is more than 1.5 times the thickest "
                                   "untrained one"), "ablate-full": pct(full),
            "ablate-grown": pct(grown), "ablate-random": f"{pct(rand.min())}–{pct(rand.max())}",
            "grown-matter": claim(grown < rand.min() - 0.05,
                                  "removing the weights that grew outside their starting range costs far more "
                                  "accuracy than removing as many weights chosen at random")}


def _log_values(r: dict) -> dict:
    best = int(np.argmin(r["val_loss"]))
    return {"first-loss-end": num(r["train_loss_end"][0]), "first-val-loss": num(r["val_loss"][0]),
            "val-acc-at-min": pct(r["val_accuracy"][best]),
            "confidence-at-min": pct(r["val_confidence"][best]), "confidence-end": pct(r["val_confidence"][-1]),
            "wrong-loss-at-min": num(r["val_loss_wrong"][best]), "wrong-loss-end": num(r["val_loss_wrong"][-1]),
            "right-loss-at-min": num(r["val_loss_right"][best]), "right-loss-end": num(r["val_loss_right"][-1]),
            "epoch1-average": claim(r["loss"][0] > r["val_loss"][0] > r["train_loss_end"][0],
                                    "after epoch 1, Keras's training loss (an average over the epoch) is above the "
                                    "validation loss, and the training loss measured at the end of the epoch is "
                                    "below both"),
            "right-loss-falls": claim(r["val_loss_right"][-1] < r["val_loss_right"][best],
                                      "after the epoch of lowest validation loss, the loss on the validation digits "
                                      "the network gets right keeps falling"),
            "acc-keeps-rising": claim(r["val_accuracy"][-1] > r["val_accuracy"][best],
                                      "validation accuracy is higher at the end than at the epoch of lowest "
                                      "validation loss"),
            "overconfident": claim(r["val_loss_wrong"][-1] > r["val_loss_wrong"][best]
                                   and r["val_confidence"][-1] > r["val_confidence"][best],
                                   "after the epoch of lowest validation loss the network grows more confident, and "
                                   "the loss on the digits it gets wrong rises")}


def _node_label(layer: int, index: int) -> str:
    if layer == 0:
        return f"pixel {index} (row {index // 28}, column {index % 28})"
    if layer == 3:
        return f"output: digit {index}"
    return f"hidden {layer}, unit {index}"


def _short(layer: int, index: int) -> str:
    return ("pixel", "h1 unit", "h2 unit", "digit")[layer] + f" {index}"


@figure("network/graph", uses="network/mlp",
        caption="The network as a graph. Drawing all 235,146 connections would be a grey smudge, so this shows "
                "a sample: the 12 pixels that carry ink in the most training images, the 12 units of each hidden "
                "layer whose incoming weights training changed most, all 10 outputs, and every weight between "
                "the nodes shown. Blue edges are positive, red negative; thicker is larger (one scale for both "
                "views). Hover over an edge's middle for its weight, over a node for what it is; switch between "
                "the untrained and trained network with the buttons.")
def graph(r: dict) -> tuple[go.Figure, Table]:
    nodes = [r[f"graph_nodes_{i}"] for i in range(4)]
    ys = [np.linspace(1, 0, len(n)) if len(n) > 1 else np.array([0.5]) for n in nodes]
    fig = go.Figure()
    traces_per_state = 0
    for state in ("trained", "initial"):
        weights = [r[f"graph_w{i}_{state}"] for i in range(3)]
        scale = max(np.abs(r[f"graph_w{i}_{s}"]).max() for i in range(3) for s in ("trained", "initial"))
        count = 0
        for sign, hue in ((1, "rgba(31,119,180,{a})"), (-1, "rgba(214,39,40,{a})")):
            for lo, hi, width in ((0, 0.33, 0.6), (0.33, 0.66, 1.6), (0.66, 1.01, 3.2)):
                xs, ys_ = [], []
                for layer, w in enumerate(weights):
                    strength = np.abs(w) / scale
                    for i, j in zip(*np.nonzero((np.sign(w) == sign) & (strength >= lo) & (strength < hi))):
                        xs += [layer, layer + 1, None]
                        ys_ += [ys[layer][i], ys[layer + 1][j], None]
                fig.add_scatter(x=xs, y=ys_, mode="lines", hoverinfo="skip", showlegend=False,
                                line={"width": width, "color": hue.format(a=0.35 + 0.5 * hi)},
                                visible=state == "trained")
                count += 1
        mx, my, text = [], [], []
        for layer, w in enumerate(weights):
            for i in range(w.shape[0]):
                for j in range(w.shape[1]):
                    mx.append(layer + 0.5)
                    my.append((ys[layer][i] + ys[layer + 1][j]) / 2)
                    text.append(f"{_short(layer, nodes[layer][i])} → {_short(layer + 1, nodes[layer + 1][j])}: "
                                f"{w[i, j]:+.4f}")
        fig.add_scatter(x=mx, y=my, mode="markers", marker={"size": 6, "opacity": 0}, hovertext=text,
                        hoverinfo="text", showlegend=False, visible=state == "trained")
        traces_per_state = count + 1
    for layer, (n, y) in enumerate(zip(nodes, ys)):
        fig.add_scatter(x=[layer] * len(n), y=y, mode="markers", name=LAYER_TITLES[layer], showlegend=False,
                        marker={"size": 14, "color": color(layer), "line": {"width": 1, "color": "#ffffff"}},
                        hovertext=[_node_label(layer, i) + (f": ink in {pct(r['ink_share'][i], 0)} of training digits"
                                                            if layer == 0 else "") for i in n], hoverinfo="text")
    nodes_traces = 4
    trained = [True] * traces_per_state + [False] * traces_per_state + [True] * nodes_traces
    initial = [False] * traces_per_state + [True] * traces_per_state + [True] * nodes_traces
    fig.update_layout(
        updatemenus=[{"name": "weights shown", "type": "buttons", "direction": "right", "x": 1, "xanchor": "right", "y": 1.16, "yanchor": "top",
                      "buttons": [{"label": "trained", "method": "update", "args": [{"visible": trained}]},
                                  {"label": "untrained", "method": "update", "args": [{"visible": initial}]}]}],
        xaxis={"tickvals": [0, 1, 2, 3], "ticktext": list(LAYER_TITLES), "showgrid": False, "zeroline": False},
        yaxis={"visible": False, "range": [-0.06, 1.06]})
    strongest = sorted(((abs(r[f"graph_w{l}_trained"][i, j]), l, i, j) for l in range(3)
                        for i in range(len(nodes[l])) for j in range(len(nodes[l + 1]))), reverse=True)[:12]
    rows = [[_short(l, nodes[l][i]), _short(l + 1, nodes[l + 1][j]), f"{r[f'graph_w{l}_initial'][i, j]:+.4f}",
             f"{r[f'graph_w{l}_trained'][i, j]:+.4f}"] for _, l, i, j in strongest]
    return tidy(fig, height=520, top=70), (["from", "to", "untrained weight", "trained weight"], rows)


@figure("network/weights", uses="network/mlp",
        caption="How the weights of each layer are distributed, before training (epoch 0) and after each epoch. "
                "Move the slider to watch them spread as the network learns.")
def weights(r: dict) -> tuple[go.Figure, Table]:
    layers = len(r["layer_names"])
    epochs = r["hist_counts_0"].shape[0]
    fig = make_subplots(rows=1, cols=layers, subplot_titles=[f"{n} ({u} units)" for n, u in
                                                              zip(r["layer_names"], r["units"])])
    for epoch in range(epochs):
        for layer in range(layers):
            edges = r[f"hist_edges_{layer}"]
            fig.add_bar(x=(edges[:-1] + edges[1:]) / 2, y=r[f"hist_counts_{layer}"][epoch], width=np.diff(edges),
                        marker={"color": color(layer + 1), "line": {"width": 0}}, visible=epoch == 0, showlegend=False,
                        name=f"{r['layer_names'][layer]}, epoch {epoch}", row=1, col=layer + 1,
                        hovertemplate="weight %{x:.3f}<br>%{y} weights<extra></extra>")
    steps = [{"label": str(e), "method": "restyle",
              "args": ["visible", [k // layers == e for k in range(layers * epochs)]]} for e in range(epochs)]
    fig.update_layout(sliders=[{"steps": steps, "currentvalue": {"prefix": "epoch: "}, "pad": {"t": 50}}], bargap=0)
    fig.update_xaxes(title_text="weight")
    fig.update_yaxes(title_text="number of weights", col=1)

    def spread(layer: int, epoch: int) -> str:  # standard deviation, from the histogram
        edges, counts = r[f"hist_edges_{layer}"], r[f"hist_counts_{layer}"][epoch]
        centers = (edges[:-1] + edges[1:]) / 2
        mean = (centers * counts).sum() / counts.sum()
        return f"{np.sqrt(((centers - mean) ** 2 * counts).sum() / counts.sum()):.4f}"

    header = ["epoch"] + [f"{name}: spread (std)" for name in r["layer_names"]]
    rows = [[str(e)] + [spread(layer, e) for layer in range(layers)] for e in range(epochs)]
    return tidy(fig, height=460, top=50, bottom=120), (header, rows)


@figure("network/first-layer", uses="network/mlp",
        caption="All 256 units of the first hidden layer, each shown as the change training made to its 784 "
                "weights, arranged as the 28×28 image they multiply, from unit 0 at the top left, row by row. "
                "Blue pixels now push the unit towards firing more than at the start, red ones hold it back; "
                "each unit is scaled to its own largest change.")
def first_layer(r: dict) -> tuple[go.Figure, Table]:
    kernel = r["first_layer_change"].astype(np.float32)
    units = kernel.shape[1]
    side = int(np.ceil(np.sqrt(units)))
    tile = 29  # 28 pixels and a one-pixel gap
    mosaic = np.zeros((side * tile, side * tile), dtype=np.int8)
    for u in range(units):
        w = kernel[:, u].reshape(28, 28)
        q = np.round(127 * w / max(np.abs(w).max(), 1e-12)).astype(np.int8)
        row, col = divmod(u, side)
        mosaic[row * tile : row * tile + 28, col * tile : col * tile + 28] = q
    fig = go.Figure(go.Heatmap(z=mosaic, colorscale="RdBu", zmid=0, zmin=-127, zmax=127, showscale=False,
                               hoverinfo="skip", name="first-layer weights"))
    fig.update_layout(xaxis={"visible": False, "constrain": "domain"},
                      yaxis={"visible": False, "autorange": "reversed", "scaleanchor": "x"})
    change = np.abs(kernel).mean(axis=0)
    rows = [[str(u), f"{change[u]:.5f}", f"{kernel[:, u].max():+.4f}", f"{kernel[:, u].min():+.4f}",
             f"{int(np.sum(kernel[:, u] == 0))}"] for u in np.argsort(-change)[:12]]
    header = ["unit", "mean size of change", "largest increase", "largest decrease", "pixels unchanged"]
    return tidy(fig, height=700, top=10, bottom=10), (header, rows)


@figure("network/forward", uses="network/mlp",
        caption="One validation digit passing through the trained network: the input image, the activations "
                "of the 256 and 128 hidden units (arranged in grids; dark is zero), and the 10 output "
                "probabilities. Pick another digit in the menu.")
def forward(r: dict) -> tuple[go.Figure, Table]:
    count = len(r["digit_labels"])
    fig = make_subplots(rows=1, cols=4, column_widths=[0.2, 0.2, 0.24, 0.36], horizontal_spacing=0.07,
                        subplot_titles=("input image", "hidden 1 (16×16)", "hidden 2 (8×16)", "output probabilities"))
    for d in range(count):
        shown = d == 0
        fig.add_heatmap(z=r["digit_images"][d].reshape(28, 28), colorscale="Greys", showscale=False, visible=shown,
                        hovertemplate="pixel value %{z:.2f}<extra></extra>", row=1, col=1)
        fig.add_heatmap(z=r["digit_layer_0"][d].reshape(16, 16), colorscale="Viridis", showscale=False, visible=shown,
                        hovertemplate="activation %{z:.3f}<extra></extra>", row=1, col=2)
        fig.add_heatmap(z=r["digit_layer_1"][d].reshape(8, 16), colorscale="Viridis", showscale=False, visible=shown,
                        hovertemplate="activation %{z:.3f}<extra></extra>", row=1, col=3)
        probs = r["digit_layer_2"][d]
        fig.add_bar(x=np.arange(10), y=probs, visible=shown, showlegend=False,
                    marker={"color": [color(3) if k == probs.argmax() else color(7) for k in range(10)]},
                    hovertemplate="digit %{x}: %{y:.1%}<extra></extra>", row=1, col=4)
    buttons = [{"label": f"digit {d + 1} (a {int(r['digit_labels'][d])})", "method": "update",
                "args": [{"visible": [k // 4 == d for k in range(4 * count)]}]} for d in range(count)]
    fig.update_layout(updatemenus=[{"name": "digit shown", "buttons": buttons, "x": 1, "xanchor": "right", "y": 1.25, "yanchor": "top"}])
    for col, x in ((1, "x"), (2, "x2"), (3, "x3")):
        fig.update_xaxes(visible=False, constrain="domain", row=1, col=col)
        fig.update_yaxes(visible=False, autorange="reversed", scaleanchor=x, row=1, col=col)
    fig.update_yaxes(range=[0, 1], tickformat=".0%", row=1, col=4)
    fig.update_xaxes(dtick=1, title_text="digit", row=1, col=4)
    rows = [[str(d + 1), str(int(r["digit_labels"][d])), str(int(np.argmax(r["digit_layer_2"][d]))),
             pct(r["digit_layer_2"][d].max()), str(int((r["digit_layer_0"][d] > 0).sum())),
             str(int((r["digit_layer_1"][d] > 0).sum()))] for d in range(count)]
    header = ["digit", "label", "prediction", "probability", "active hidden 1 units", "active hidden 2 units"]
    return tidy(fig, height=380, top=90), (header, rows)


@table("network/neuron", uses="network/mlp",
       caption="One unit of the second hidden layer, worked by hand for the first digit: each input is the "
               "activation of a first-layer unit, multiplied by its weight; the products, plus the bias, give "
               "the weighted sum, and ReLU gives the output.")
def neuron(r: dict) -> Table:
    rows = []
    for i, x, w in zip(r["neuron_input_ids"], r["neuron_inputs"], r["neuron_weights"]):
        rows.append([f"hidden 1, unit {i}", f"{x:.4f}", f"{w:+.4f}", f"{x * w:+.4f}"])
    rows.append([f"the other {r['neuron_rest_count']} inputs", "", "", f"{r['neuron_rest']:+.4f}"])
    rows.append(["bias", "", "", f"{r['neuron_bias']:+.4f}"])
    rows.append([strong("weighted sum z"), "", "", strong(f"{r['neuron_sum']:+.4f}")])
    rows.append([strong("output ReLU(z) = max(0, z)"), "", "", strong(f"{r['neuron_output']:.4f}")])
    return ["input", "value x", "weight w", "x · w"], rows
