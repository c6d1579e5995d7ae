"""Figures, tables and values for the page on what a network is."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nnbook.evidence import fact, paired
from nnbook.figures.style import Table, color, mean_range, num, pct, strong, tidy
from nnbook.registry import figure, table, values

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


@values("network/numbers", uses="network/mlp")
def numbers(r: dict) -> dict[str, str]:
    best = int(np.argmin(r["val_loss"]))
    first = r["digit_ids"][0]
    wrong = int(round((1 - float(r["train_acc_end"][-1])) * r["train_rows"]))
    return {"total-params": f"{r['total_params']:,}", "first-params": f"{r['params'][0]:,}",
            "connections": f"{sum(r['params']) - sum(r['units']):,}",
            "first-share": pct(r["params"][0] / r["total_params"], 0), "seeds": str(r["seeds"]),
            "train-rows": f"{r['train_rows']:,}", "val-rows": f"{r['val_rows']:,}", "epochs": str(len(r["epoch"])),
            "batch": str(r["batch"]), "val-acc": pct(r["val_accuracy"][-1]), "train-acc": pct(r["train_acc_end"][-1]),
            "train-wrong": str(wrong), "keras-train-acc": pct(r["accuracy"][-1]),
            "val-acc-seeds": mean_range(r["seeds_val_accuracy"][:, -1], pct),
            "train-acc-seeds": mean_range(r["seeds_train_acc_end"][:, -1], pct),
            "first-val-acc": pct(r["val_accuracy"][0]), "first-loss": num(r["loss"][0]),
            "final-loss": num(r["train_loss_end"][-1]), "final-val-loss": num(r["val_loss"][-1]),
            "min-val-loss": num(r["val_loss"].min()), "min-val-loss-epoch": str(best + 1),
            "digit-label": str(int(r["digit_labels"][0])),
            "digit-prediction": str(int(np.argmax(r["digit_layer_2"][0]))),
            "digit-confidence": pct(r["digit_layer_2"][0].max()),
            "digit-active-1": str(int((r["digit_layer_0"][0] > 0).sum())),
            "digit-active-2": str(int((r["digit_layer_1"][0] > 0).sum())),
            "digit-count": str(len(r["digit_ids"])), "digit-first": str(int(first) + 1),
            "neuron-unit": str(r["neuron_unit"]), "neuron-sum": num(r["neuron_sum"]),
            "neuron-output": num(r["neuron_output"]), "neuron-bias": num(r["neuron_bias"]),
            "neuron-active": str(r["neuron_active_inputs"]), "neuron-rest-count": str(r["neuron_rest_count"])} \
        | _forward_values(r) | _change_values(r) | _ablation_values(r) | _log_values(r)


def _forward_values(r: dict) -> dict:
    probs, labels = r["digit_layer_2"], r["digit_labels"]
    right = probs.argmax(1) == labels
    out = {}
    if right.any():
        unsure = int(np.flatnonzero(right)[np.argmin(probs.max(1)[right])])
        out |= {"unsure-label": str(int(labels[unsure])), "unsure-confidence": pct(probs[unsure].max())}
    if (~right).any():
        miss = int(np.flatnonzero(~right)[0])
        out |= {"miss-label": str(int(labels[miss])), "miss-prediction": str(int(probs[miss].argmax())),
                "miss-confidence": pct(probs[miss].max()), "miss-true-prob": pct(probs[miss][labels[miss]])}
    return out


def _rare_pixels(r: dict) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the pixels inked in fewer than 1 % of training images (but some) and of those inked in more than 20 %."""
    ink = r["ink_share"]
    return (ink > 0) & (ink < RARE), ink > COMMON


RARE, COMMON = 0.01, 0.2  # ink shares that make a pixel rare or common
RAREST = 0.001  # splits the rare pixels: inked in fewer than one training image in a thousand, or more


def _mean_change(change: np.ndarray, pixels: np.ndarray) -> str:
    """The mean change over `pixels`, or a dash where the profile has no such pixel."""
    return num(change[pixels].mean()) if pixels.any() else "–"


INK_BINS = 5  # groups of the movable pixels by how often they are inked, for the ink-matched baseline


def _ink_matched_rim_share(ink: np.ndarray, rim: np.ndarray, movable: np.ndarray, argmax: np.ndarray) -> np.ndarray:
    """Per seed, the share of units whose largest change would fall on the rim if each fell on a pixel of
    the same ink frequency chosen without regard to rim or centre: the movable pixels are split into
    INK_BINS groups of equal size by how often they are inked, and each unit counts the rim's share of
    its own pixel's group. `argmax`: (seeds, units) pixel indices."""
    edges = np.unique(np.quantile(ink[movable], np.linspace(0, 1, INK_BINS + 1)))
    group = np.clip(np.searchsorted(edges, ink, side="right") - 1, 0, len(edges) - 2)
    rim_share = np.array([(rim & movable & (group == g)).sum() / max((movable & (group == g)).sum(), 1)
                          for g in range(len(edges) - 1)])
    return rim_share[group[argmax]].mean(axis=1)


def _change_values(r: dict) -> dict:
    ratio = r["mean_change"] / r["mean_start"]
    change = np.abs(r["first_layer_change"].astype(np.float32)).mean(1)  # per pixel, over the units
    rare, common = _rare_pixels(r)
    rim = r["rim"].astype(bool)
    corr = r["seeds_first_corr"]
    ink = r["ink_share"]
    movable = ink > 0  # a pixel blank in every training image keeps its weights
    rarest, rare_mid = rare & (ink < RAREST), rare & (ink >= RAREST)
    base = (rim & movable).sum() / movable.sum()
    matched = _ink_matched_rim_share(ink, rim, movable, r["seeds_argmax_pixel"].astype(int))
    rim_base = paired(r["seeds_rim_argmax"], matched, points=True, examples=r["units"][0],
                      what="units whose largest first-layer change is on a rim pixel, minus the rim share expected "
                           "if each unit's largest change fell on a pixel inked as often, rim or centre")
    return {"movable": str(int(movable.sum())), "rim-movable": str(int((rim & movable).sum())),
            "rim-movable-share": pct(base, 0), "rim-change": f"{change[rim & movable].mean():.4f}",
            "centre-change": f"{change[~rim & movable].mean():.4f}",
            "rare-limit": pct(RARE, 0), "common-limit": pct(COMMON, 0), "rarest-limit": pct(RAREST, 1),
            "rarest-count": str(int(rarest.sum())), "rarest-change": _mean_change(change, rarest),
            "rare-mid-count": str(int(rare_mid.sum())), "rare-mid-change": _mean_change(change, rare_mid),
            "rim-matched": mean_range(matched, lambda v: pct(v, 0)), "ink-bins": str(INK_BINS),
            "rim-above-base": rim_base.claim("more units have their largest change on a rim pixel than pixels "
                                             "inked as often would give the rim"),
            "blank-on-rim": fact("every pixel that is blank in all training images lies within four pixels of the "
                                 "frame's edge"),
            **{f"change-ratio-{i + 1}": pct(v, 0) for i, v in enumerate(ratio)},
            "never-inked": str(r["never_inked"]), "rim-pixels": str(int(rim.sum())),
            "rim-inked": str(int((rim & (r["ink_share"] > 0)).sum())),
            "rare-count": str(int(rare.sum())), "rare-change": num(change[rare].mean()),
            "common-change": num(change[common].mean()), "rare-ratio": f"{change[rare].mean() / change[common].mean():.1f}",
            "rim-argmax": pct(r["seeds_rim_argmax"][0], 0), "rim-argmax-seeds": mean_range(r["seeds_rim_argmax"],
                                                                                        lambda v: pct(v, 0)),
            "blank-unchanged": fact("the first-layer weights of pixels that are blank in every training image keep "
                                    "their starting values exactly: their gradient is always zero, and so is Adam's "
                                    "step"),
            "first-corr": f"{corr[0]:.2f}", "first-corr-seeds": mean_range(corr, lambda v: f"{v:.2f}"),
            "corr-high": paired(corr, np.zeros_like(corr), margin=0.5,
                                what="correlation between each first-layer weight's trained and starting value").claim(
                "on every seed the trained first-layer weights still correlate with their random start by more "
                "than 0.5")}


def _glorot_ratio(r: dict) -> float:
    """How much wider Glorot's uniform range is for the output layer's weights than for the first layer's:
    its limit is sqrt(6 / (fan-in + fan-out))."""
    sizes = [r["first_layer_change"].shape[0]] + [int(u) for u in r["units"]]  # pixels, then each layer
    limits = [np.sqrt(6 / (a + b)) for a, b in zip(sizes[:-1], sizes[1:])]
    return limits[-1] / limits[0]


def _ablation_values(r: dict) -> dict:
    acc = {k: r[f"seeds_ablate_{k}"] for k in ("full", "grown", "count", "norm", "grown_rescaled", "norm_rescaled")}
    # seed, validation digit
    mean = {k: v.mean(1) for k, v in acc.items()}
    share, norm = r["seeds_grown_share"], r["seeds_grown_norm_share"]  # seed, layer
    edges = [(np.abs(r[f"graph_w{i}_trained"]).max(), np.abs(r[f"graph_w{i}_initial"]).max()) for i in range(3)]
    count_test = paired(mean["count"], mean["grown"], points=True, examples=(acc["count"], acc["grown"]),
                        what="as many random weights removed minus the grown weights removed, validation accuracy")
    norm_test = paired(mean["norm"], mean["grown"], points=True, examples=(acc["norm"], acc["grown"]),
                       what="random weights of the same squared norm removed minus the grown weights removed, "
                            "validation accuracy")
    rescaled_test = paired(mean["norm_rescaled"], mean["grown_rescaled"], points=True,
                           examples=(acc["norm_rescaled"], acc["grown_rescaled"]),
                           what="with each unit's surviving weights scaled up by the share kept: random weights "
                                "of the same squared norm removed minus the grown weights removed, validation accuracy")
    scale_test = paired(mean["norm_rescaled"], mean["norm"], points=True, examples=(acc["norm_rescaled"], acc["norm"]),
                        what="random weights of the same squared norm removed, survivors scaled up minus not "
                             "scaled, validation accuracy")
    out = {**{f"outside-{i + 1}": pct(v, 1) for i, v in enumerate(share[0])},
           **{f"norm-share-{i + 1}": pct(v, 0) for i, v in enumerate(norm[0])},
           "norm-share-range": f"{pct(norm.min(), 0)}–{pct(norm.max(), 0)}",
           "outside-range": f"{pct(share.min(), 0)}–{pct(share.max(), 0)}",
           "ablate-draws": str(ABLATION_DRAWS), "graph-size": str(r["graph_size"]), "lr": f"{r['lr']:g}",
           "graph-ratio": f"{max(t for t, _ in edges) / max(i for _, i in edges):.1f}",
           "glorot-output-ratio": f"{_glorot_ratio(r):.1f}",
           "ablate-full": mean_range(mean["full"], pct), "ablate-grown": mean_range(mean["grown"], pct),
           "ablate-count": mean_range(mean["count"], pct), "ablate-norm": mean_range(mean["norm"], pct),
           "count-test": count_test.description(), "norm-test": norm_test.description(),
           "count-matter": count_test.claim("removing the grown weights costs more accuracy than removing as many "
                                            "weights chosen at random"),
           "norm-matter": norm_test.claim("removing the grown weights costs more accuracy than removing random "
                                          "weights that hold as much of each layer's squared norm"),
           "ablate-grown-rescaled": mean_range(mean["grown_rescaled"], pct),
           "ablate-norm-rescaled": mean_range(mean["norm_rescaled"], pct),
           "scale-test": f"scaling up changes it by {scale_test.summary()}",
           "rescaled-matter": rescaled_test.claim("with each unit's surviving weights scaled up by the share of them "
                                                  "kept, removing the grown weights still costs more accuracy than "
                                                  "removing random weights of the same squared norm")}
    return out


ABLATION_DRAWS = 3  # random removals per seed, as in the experiment


def _swap_values(r: dict) -> dict:
    """Epochs after the first whose average over the steps lies below the loss measured at their end: the
    training loss rose over the epoch's last steps."""
    later = r["seeds_loss"][:, 1:] < r["seeds_train_loss_end"][:, 1:]  # seed, epoch after the first
    first_run = np.flatnonzero(later[0]) + 2
    return {"swaps": str(int(later.sum())), "swap-total": str(later.size),
            "swap-seeds": str(int(later.any(1).sum())),
            "swap-first-epochs": ("epochs " if len(first_run) > 1 else "epoch ") + _and([str(e) for e in first_run])
            if len(first_run) else "no epoch"}


def _and(words: list[str]) -> str:
    return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else "".join(words)


def _log_values(r: dict) -> dict:
    best = int(np.argmin(r["val_loss"]))
    epoch1 = paired(r["seeds_loss"][:, 0], r["seeds_train_loss_end"][:, 0],
                    what="Keras's epoch-average training loss minus the training loss measured at the end of "
                         "epoch 1")
    return {"first-loss-end": num(r["train_loss_end"][0]), "first-val-loss": num(r["val_loss"][0]),
            "val-acc-at-min": pct(r["val_accuracy"][best]),
            "confidence-at-min": pct(r["val_confidence"][best]), "confidence-end": pct(r["val_confidence"][-1]),
            "wrong-loss-at-min": num(r["val_loss_wrong"][best]), "wrong-loss-end": num(r["val_loss_wrong"][-1]),
            "right-loss-at-min": num(r["val_loss_right"][best]), "right-loss-end": num(r["val_loss_right"][-1]),
            **_swap_values(r),
            "epoch1-average": epoch1.claim("after epoch 1, Keras's training loss (an average over the epoch) is "
                                           "above the training loss measured with the weights at the end of the "
                                           "epoch")}


def _node_label(layer: int, index: int) -> str:
    if layer == 0:
        return f"pixel {index} (row {index // 28}, column {index % 28})"
    if layer == 3:
        return f"output: digit {index}"
    return f"hidden {layer}, unit {index}"


def _short(layer: int, index: int) -> str:
    return ("pixel", "h1 unit", "h2 unit", "digit")[layer] + f" {index}"


@figure("network/graph", uses="network/mlp",
        caption="The network as a graph. Drawing every connection would be a grey smudge, so this shows a "
                "sample: the pixels that carry ink in the most training images, the units of each hidden layer "
                "whose incoming weights training changed most, all ten outputs, and every weight between the "
                "nodes shown. Blue edges are positive, red negative; an edge's width is one of three steps of "
                "its size (one scale for both views). Hover over an edge's middle for its weight, over a node "
                "for what it is; switch between the untrained and trained network with the buttons.")
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
        xaxis={"tickvals": [0, 1, 2, 3], "ticktext": [t.replace(" (", "<br>(") for t in LAYER_TITLES],
               "tickangle": 0, "showgrid": False, "zeroline": False},
        yaxis={"visible": False, "range": [-0.06, 1.06]})
    strongest = sorted(((abs(r[f"graph_w{l}_trained"][i, j]), l, i, j) for l in range(3)
                        for i in range(len(nodes[l])) for j in range(len(nodes[l + 1]))), reverse=True)[:12]
    rows = [[_short(l, nodes[l][i]), _short(l + 1, nodes[l + 1][j]), f"{r[f'graph_w{l}_initial'][i, j]:+.4f}",
             f"{r[f'graph_w{l}_trained'][i, j]:+.4f}"] for _, l, i, j in strongest]
    return tidy(fig, height=520, top=70), (["from", "to", "untrained weight", "trained weight"], rows)


@figure("network/weights", uses="network/mlp",
        caption="How the weights of each layer are distributed, before training (epoch 0) and after each epoch, "
                "for the first seed's run. Move the slider to watch them spread as the network learns.")
def weights(r: dict) -> tuple[go.Figure, Table]:
    layers = len(r["layer_names"])
    epochs = r["hist_counts_0"].shape[0]
    fig = make_subplots(rows=1, cols=layers, horizontal_spacing=0.08,
                        subplot_titles=[f"{n.replace('_', ' ')}" for n in r["layer_names"]])
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
        caption="All units of the first hidden layer, each shown as the change training made to its 784 "
                "weights, arranged as the 28×28 image they multiply, from unit 0 at the top left, row by row. "
                "Blue pixels now push the unit towards firing more than at the start, red ones hold it back. "
                "All tiles share one colour scale, saturated at the 99th percentile of the changes' sizes, so "
                "that tiles can be compared and a few extreme pixels do not set the contrast.")
def first_layer(r: dict) -> tuple[go.Figure, Table]:
    kernel = r["first_layer_change"].astype(np.float32)
    units = kernel.shape[1]
    side = int(np.ceil(np.sqrt(units)))
    tile = 29  # 28 pixels and a one-pixel gap
    top = float(np.quantile(np.abs(kernel), 0.99))
    mosaic = np.zeros((side * tile, side * tile), dtype=np.int8)
    for u in range(units):
        q = np.round(127 * np.clip(kernel[:, u] / top, -1, 1)).astype(np.int8).reshape(28, 28)
        row, col = divmod(u, side)
        mosaic[row * tile : row * tile + 28, col * tile : col * tile + 28] = q
    fig = go.Figure(go.Heatmap(z=mosaic, colorscale="RdBu", zmid=0, zmin=-127, zmax=127, hoverinfo="skip",
                               name="first-layer weight changes",
                               colorbar={"title": {"text": "change"}, "tickvals": [-127, 0, 127],
                                         "ticktext": [f"−{top:.2f}", "0", f"+{top:.2f}"], "thickness": 12,
                                         "len": 0.5}))
    fig.update_layout(xaxis={"visible": False, "constrain": "domain"},
                      yaxis={"visible": False, "autorange": "reversed", "scaleanchor": "x"})
    change = np.abs(kernel).mean(axis=0)
    rows = [[str(u), f"{change[u]:.5f}", f"{kernel[:, u].max():+.4f}", f"{kernel[:, u].min():+.4f}",
             f"{int(np.sum(kernel[:, u] == 0))}"] for u in np.argsort(-change)[:12]]
    header = ["unit", "mean size of change", "largest increase", "largest decrease", "pixels unchanged"]
    return tidy(fig, height=700, top=10, bottom=10), (header, rows)


@figure("network/forward", uses="network/mlp",
        caption="One validation digit passing through the trained network: the input image, the activations "
                "of the two hidden layers, and the output probabilities. The hidden units are laid out in a grid "
                "only to fit the screen: neighbours in the grid are not related, and the network has no notion "
                "of where a unit sits. Dark is zero (ReLU's silence); the colour bar gives the scale, shared by "
                "both hidden layers. The menu offers confident digits, the correct one the network was least "
                "sure of, and its most confident mistake.")
def forward(r: dict) -> tuple[go.Figure, Table]:
    count = len(r["digit_labels"])
    fig = make_subplots(rows=1, cols=4, column_widths=[0.2, 0.2, 0.24, 0.36], horizontal_spacing=0.07,
                        subplot_titles=("input", "hidden 1", "hidden 2", "output"))
    top = float(max(r["digit_layer_0"].max(), r["digit_layer_1"].max()))
    bar = {"orientation": "h", "thickness": 10, "len": 0.42, "x": 0.42, "xanchor": "center", "y": -0.08,
           "yanchor": "top", "title": {"text": "activation", "side": "top"}}
    for d in range(count):
        shown = d == 0
        fig.add_heatmap(z=r["digit_images"][d].reshape(28, 28), colorscale="Greys", showscale=False, visible=shown,
                        hovertemplate="pixel value %{z:.2f}<extra></extra>", row=1, col=1)
        fig.add_heatmap(z=r["digit_layer_0"][d].reshape(16, 16), colorscale="Viridis", showscale=False, visible=shown,
                        zmin=0, zmax=top, hovertemplate="activation %{z:.3f}<extra></extra>", row=1, col=2)
        fig.add_heatmap(z=r["digit_layer_1"][d].reshape(8, 16), colorscale="Viridis", showscale=shown, visible=shown,
                        zmin=0, zmax=top, colorbar=bar, hovertemplate="activation %{z:.3f}<extra></extra>", row=1, col=3)
        probs = r["digit_layer_2"][d]
        fig.add_bar(x=np.arange(10), y=probs, visible=shown, showlegend=False,
                    marker={"color": [color(3) if k == probs.argmax() else color(7) for k in range(10)]},
                    hovertemplate="digit %{x}: %{y:.1%}<extra></extra>", row=1, col=4)
    def name(d: int) -> str:
        label, guess = int(r["digit_labels"][d]), int(np.argmax(r["digit_layer_2"][d]))
        return f"a {label}, read as {guess}" if guess != label else f"a {label}, {pct(r['digit_layer_2'][d].max(), 0)} sure"

    buttons = [{"label": name(d), "method": "update",
                "args": [{"visible": [k // 4 == d for k in range(4 * count)],
                          "showscale": [k == 4 * d + 2 for k in range(4 * count)]}]} for d in range(count)]
    fig.update_layout(updatemenus=[{"name": "digit shown", "buttons": buttons, "x": 1, "xanchor": "right", "y": 1.25, "yanchor": "top"}])
    for col, x in ((1, "x"), (2, "x2"), (3, "x3")):
        fig.update_xaxes(visible=False, constrain="domain", row=1, col=col)
        fig.update_yaxes(visible=False, autorange="reversed", scaleanchor=x, row=1, col=col)
    fig.update_yaxes(range=[0, 1], tickformat=".0%", row=1, col=4)
    fig.update_xaxes(dtick=1, title_text="digit", row=1, col=4)
    rows = [[str(int(r["digit_ids"][d]) + 1), str(int(r["digit_labels"][d])), str(int(np.argmax(r["digit_layer_2"][d]))),
             pct(r["digit_layer_2"][d].max()), str(int((r["digit_layer_0"][d] > 0).sum())),
             str(int((r["digit_layer_1"][d] > 0).sum()))] for d in range(count)]
    header = ["validation digit", "label", "prediction", "probability", "active hidden 1 units",
              "active hidden 2 units"]
    return tidy(fig, height=420, top=90, bottom=110), (header, rows)


@table("network/neuron", uses="network/mlp",
       caption="One unit of the second hidden layer, worked by hand for the first digit of the menu above: each input is the "
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


NEURON_ANGLES = 24  # directions of the weight vector offered by the slider


@figure("network/neuron-2d", uses="network/neuron-2d",
        caption="One sigmoid neuron with two inputs, sigmoid(w₁x₁ + w₂x₂ + b), on two clouds of generated points. "
                "The shading is its output at every point of the plane; the line is where the weighted sum is "
                "zero and the output one half, the neuron's decision line. Move the slider to turn the weight "
                "vector w (same length and bias as trained); the step marked \"trained\" is what training found.")
def neuron_2d(r: dict) -> tuple[go.Figure, Table]:
    x, y, w, b = r["x"], r["y"], np.asarray(r["w"]), float(r["b"])
    length, trained = float(np.hypot(*w)), float(np.arctan2(w[1], w[0]))
    angles = trained + np.linspace(0, 2 * np.pi, NEURON_ANGLES, endpoint=False)
    g = np.linspace(-3.5, 3.5, 71)
    fig = go.Figure()
    rows = []
    for k, angle in enumerate(angles):
        wk = length * np.array([np.cos(angle), np.sin(angle)])
        z = 1 / (1 + np.exp(-(wk[0] * g[None, :] + wk[1] * g[:, None] + b)))
        fig.add_heatmap(x=g, y=g, z=z.astype(np.float32), colorscale="RdBu_r", zmin=0, zmax=1, visible=k == 0,
                        showscale=k == 0, colorbar={"title": {"text": "output"}, "thickness": 12},
                        hovertemplate="x₁ %{x:.2f}, x₂ %{y:.2f}<br>output %{z:.2f}<extra></extra>")
        t = np.linspace(-6, 6, 2)  # the line w·x + b = 0: the point −b·w/|w|² plus t along w's normal
        base, normal = -b * wk / length ** 2, np.array([-wk[1], wk[0]]) / length
        fig.add_scatter(x=base[0] + t * normal[0], y=base[1] + t * normal[1], mode="lines", visible=k == 0,
                        line={"color": "#000000", "width": 2}, showlegend=False, hoverinfo="skip")
        accuracy = np.mean(((x @ wk + b) > 0) == y)
        rows.append([f"{np.degrees(angle - trained):.0f}°" if k else "trained", f"{wk[0]:+.2f}", f"{wk[1]:+.2f}",
                     pct(accuracy)])
    for cls, hue in ((0, color(0)), (1, color(3))):
        pick = y == cls
        fig.add_scatter(x=x[pick, 0], y=x[pick, 1], mode="markers", name=f"class {cls}", hoverinfo="skip",
                        marker={"size": 6, "color": hue, "line": {"width": 1, "color": "#ffffff"}})
    per = 2
    steps = [{"label": "trained" if k == 0 else f"{360 * k / NEURON_ANGLES:.0f}°", "method": "update",
              "args": [{"visible": [j // per == k for j in range(per * NEURON_ANGLES)] + [True, True],
                        "showscale": [j == per * k for j in range(per * NEURON_ANGLES)] + [False, False]}]}
             for k in range(NEURON_ANGLES)]
    fig.update_layout(sliders=[{"steps": steps, "currentvalue": {"prefix": "turn w by: "}, "pad": {"t": 40}}],
                      xaxis={"range": [-3.5, 3.5], "title": {"text": "x₁"}, "constrain": "domain"},
                      yaxis={"range": [-3.5, 3.5], "title": {"text": "x₂"}, "scaleanchor": "x"})
    return tidy(fig, height=520, top=50, bottom=120), (["weights", "w₁", "w₂", "points on the right side"], rows)


@values("network/neuron-2d-values", uses="network/neuron-2d")
def neuron_2d_values(r: dict) -> dict:
    return {"w1": f"{r['w'][0]:+.2f}", "w2": f"{r['w'][1]:+.2f}", "b": f"{r['b']:+.2f}",
            "accuracy": pct(r["accuracy"]), "points": str(len(r["y"])), "steps": str(r["steps"])}
