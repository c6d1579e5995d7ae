"""Figures, tables and values for the page on how a network learns."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nnbook.evidence import fact, paired
from nnbook.figures.style import (
    Table,
    color,
    mean_range,
    num,
    pct,
    seed_band,
    strong,
    tidy,
)
from nnbook.registry import figure, table, values

LOG_TICKS = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5]  # labelled values on log loss axes
CHANCE_LOSS = float(np.log(10))  # the loss of guessing every digit at 1/10: a run that ends there learned nothing

@table("training/log", uses="network/mlp",
       caption="The training log of the 784-256-128-10 network (the first seed's run), one row per epoch (a "
               "pass over the training digits): Keras's averages over the epoch's steps (\"average\"), and the "
               "training loss and accuracy measured again on all training digits with the weights at the end of "
               "each epoch (\"end\"). Validation (\"val.\") numbers are measured on digits the network never "
               "trains on.")
def log(r: dict) -> Table:
    rows = [[str(e), num(l), num(le), num(vl), pct(a), pct(ae), pct(va)] for e, l, le, vl, a, ae, va in
            zip(r["epoch"], r["loss"], r["train_loss_end"], r["val_loss"], r["accuracy"], r["train_acc_end"],
                r["val_accuracy"])]
    return ["epoch", "train loss, average", "train loss, end", "val. loss", "train acc., average", "train acc., end",
            "val. acc."], rows


@figure("training/curves", uses="network/mlp",
        caption="The same log as curves. Dotted lines are the training loss and accuracy measured again at the "
                "end of each epoch, with the weights as they are then; Keras's training numbers (solid) are "
                "averages over the epoch's steps, while the weights were still changing.")
def curves(r: dict) -> tuple[go.Figure, Table]:
    fig = make_subplots(rows=1, cols=2, subplot_titles=("loss", "accuracy"))
    for i, (name, key) in enumerate((("training", ""), ("validation", "val_"))):
        style = {"line": {"color": color(i)}, "legendgroup": name, "mode": "lines+markers"}
        fig.add_scatter(x=r["epoch"], y=r[f"{key}loss"], name=name, row=1, col=1, **style)
        fig.add_scatter(x=r["epoch"], y=r[f"{key}accuracy"], name=name, showlegend=False, row=1, col=2, **style)
    fig.add_scatter(x=r["epoch"], y=r["train_loss_end"], name="training, at the end of the epoch", mode="lines+markers",
                    line={"color": color(0), "dash": "dot"}, legendgroup="end", row=1, col=1)
    fig.add_scatter(x=r["epoch"], y=r["train_acc_end"], name="training, at the end of the epoch", mode="lines+markers",
                    line={"color": color(0), "dash": "dot"}, legendgroup="end", showlegend=False, row=1, col=2)
    fig.update_xaxes(title_text="epoch", dtick=1)
    fig.update_yaxes(type="log", tickvals=LOG_TICKS, ticktext=[f"{v:g}" for v in LOG_TICKS], row=1, col=1)
    fig.update_yaxes(tickformat=".0%", row=1, col=2)
    return tidy(fig, height=420, top=80, hovermode="x unified"), log(r)


@figure("training/confidence", uses="network/mlp",
        caption="What the validation loss is made of. Left, for the first seed's run: the mean loss −ln p on the "
                "validation digits the network gets right and on those it gets wrong (log scale); the set of "
                "wrong digits shrinks as training goes on. Right, for every seed: the network's mean confidence "
                "(the probability of its chosen answer) against its validation accuracy (lines: mean over seeds; "
                "bands: lowest to highest seed). Where confidence runs above accuracy, the network is over-confident.")
def confidence(r: dict) -> tuple[go.Figure, Table]:
    fig = make_subplots(rows=1, cols=2, subplot_titles=("loss by outcome", "confidence and accuracy"))
    fig.add_scatter(x=r["epoch"], y=r["val_loss_right"], name="digits it gets right", mode="lines+markers",
                    line={"color": color(2)}, row=1, col=1)
    fig.add_scatter(x=r["epoch"], y=r["val_loss_wrong"], name="digits it gets wrong", mode="lines+markers",
                    line={"color": color(3)}, row=1, col=1)
    seed_band(fig, r["epoch"], r["seeds_val_confidence"], "mean confidence", 4, row=1, col=2)
    seed_band(fig, r["epoch"], r["seeds_val_accuracy"], "validation accuracy", 1, row=1, col=2)
    fig.update_xaxes(title_text="epoch", dtick=2)
    fig.update_yaxes(type="log", tickvals=LOG_TICKS, ticktext=[f"{v:g}" for v in LOG_TICKS], row=1, col=1)
    fig.update_yaxes(tickformat=".0%", row=1, col=2)
    wrong = np.round((1 - r["val_accuracy"]) * r["val_rows"]).astype(int)
    rows = [[str(e), num(a), num(b), str(w), mean_range(c, pct), mean_range(v, pct)] for e, a, b, w, c, v in
            zip(r["epoch"], r["val_loss_right"], r["val_loss_wrong"], wrong, r["seeds_val_confidence"].T,
                r["seeds_val_accuracy"].T)]
    return tidy(fig, height=420, top=90, hovermode="x unified"), (
        ["epoch", "loss on digits it gets right", "loss on digits it gets wrong", "digits it gets wrong",
         "mean confidence (all seeds)", "validation accuracy (all seeds)"], rows)


LOSS_RATIO_AT_LEAST = 20  # the validation loss ends more than this many times the training loss


@values("training/log-values", uses="network/mlp")
def log_values(r: dict) -> dict:
    """The gap between training and validation, and the network's calibration, over every seed."""
    train_loss, val_loss = r["seeds_train_loss_end"][:, -1], r["seeds_val_loss"][:, -1]
    train_acc, val_acc = r["seeds_train_acc_end"][:, -1], r["seeds_val_accuracy"][:, -1]
    conf, right = r["seeds_val_conf_end"], r["seeds_val_correct_end"]  # seed, validation digit
    best = int(np.argmin(r["val_loss"]))
    wrong = np.round((1 - r["val_accuracy"]) * r["val_rows"]).astype(int)
    swings = np.abs(np.diff(r["val_loss"][best:]))
    loss_gap = paired(np.log(val_loss), np.log(train_loss), margin=np.log(LOSS_RATIO_AT_LEAST),
                      what="ln(validation loss) minus ln(training loss), after the last epoch")
    acc_gap = paired(train_acc, val_acc, points=True, examples=int(r["val_rows"]), margin=0.02,
                     what="training minus validation accuracy, after the last epoch")
    lowest = r["seeds_val_loss"].argmin(1)  # each seed's epoch of lowest validation loss
    after_min = paired(val_acc, r["seeds_val_accuracy"][np.arange(len(lowest)), lowest], points=True,
                       examples=int(r["val_rows"]),
                       what="validation accuracy at the end minus at the epoch of lowest validation loss")
    overconfident = paired(conf.mean(1), right.mean(1), points=True, examples=(conf, right),
                           what="mean confidence minus accuracy on the validation digits, after the last epoch")
    return {"seeds": str(r["seeds"]), "loss-ratio": f"{np.exp(np.log(val_loss / train_loss).mean()):.0f}",
            "train-loss-seeds": mean_range(train_loss), "val-loss-seeds": mean_range(val_loss),
            "train-acc-seeds": mean_range(train_acc, pct), "val-acc-seeds": mean_range(val_acc, pct),
            "loss-gap": loss_gap.claim(f"the validation loss ends more than {LOSS_RATIO_AT_LEAST} times the training "
                                       "loss"),
            "loss-ratio-at-least": str(LOSS_RATIO_AT_LEAST),
            "loss-ratio-range": " to ".join(f"{v:.0f}" for v in np.exp(loss_gap.interval)),
            "after-min": after_min.summary(), "after-min-verdict": after_min.reading,
            "lowest-epochs": ", ".join(str(int(r["epoch"][e])) for e in lowest),
            "after-min-seeds": ", ".join(f"{100 * d:+.1f}".replace("-", "−") for d in after_min.per_seed),
            "acc-gap": acc_gap.claim("training accuracy ends more than two points above validation accuracy"),
            "conf-end": mean_range(conf.mean(1), pct), "acc-end": mean_range(right.mean(1), pct),
            "overconfident": overconfident.claim("after the last epoch the network's mean confidence on the "
                                                 "validation digits is above its accuracy on them"),
            "overconfident-test": overconfident.description(),
            "rise": num(r["val_loss"][-1] - r["val_loss"][best]), "largest-swing": num(swings.max()) if len(swings) else "0",
            "wrong-at-min": str(wrong[best]), "wrong-end": str(wrong[-1])}


# -- backpropagation -----------------------------------------------------------------------

NODES = {"x1": (0, 0.75), "x2": (0, 0.25), "h1": (1, 0.75), "h2": (1, 0.25), "y": (2, 0.5)}
EDGES = [("x1", "h1", "W1", (0, 0)), ("x1", "h2", "W1", (0, 1)), ("x2", "h1", "W1", (1, 0)),
         ("x2", "h2", "W1", (1, 1)), ("h1", "y", "W2", (0, 0)), ("h2", "y", "W2", (1, 0))]
BIASES = [("h1", "b1", (0,)), ("h2", "b1", (1,)), ("y", "b2", (0,))]


def _param_label(name: str, index: tuple) -> str:
    return f"{name}[{','.join(str(i + 1) for i in index)}]"


@figure("training/backprop", uses="training/backprop",
        caption="The 2-2-1 network of the tables below. Each connection carries a weight and each unit a bias; "
                "the menu shows them before the step, the gradient of the loss with respect to each, and the "
                "values after one step of gradient descent.")
def backprop(r: dict) -> tuple[go.Figure, Table]:
    fig = go.Figure()
    for a, b, _, _ in EDGES:
        (x0, y0), (x1, y1) = NODES[a], NODES[b]
        fig.add_scatter(x=[x0, x1], y=[y0, y1], mode="lines", line={"color": "#9aa3ad", "width": 2},
                        hoverinfo="skip", showlegend=False)
    fig.add_scatter(x=[p[0] for p in NODES.values()], y=[p[1] for p in NODES.values()], mode="markers+text",
                    text=list(NODES), textfont={"color": "#ffffff"}, hoverinfo="skip", showlegend=False,
                    marker={"size": 38, "color": [color(0), color(0), color(1), color(1), color(2)]})

    def labels(kind: str) -> list[dict]:
        notes = []
        for a, b, name, index in EDGES:
            (x0, y0), (x1, y1) = NODES[a], NODES[b]
            t = 0.3 if a in ("x1", "x2") else 0.5
            notes.append({"x": x0 + t * (x1 - x0), "y": y0 + t * (y1 - y0) + 0.04, "showarrow": False,
                          "text": _label(r, kind, name, index), "font": {"size": 12}})
        for node, name, index in BIASES:
            x, y = NODES[node]
            notes.append({"x": x, "y": y - 0.12, "showarrow": False, "text": _label(r, kind, name, index),
                          "font": {"size": 12}})
        return notes

    kinds = [("before the step", "before"), ("gradients ∂L/∂w", "grad"), ("after one step", "after")]
    fig.update_layout(
        annotations=labels("before"),
        updatemenus=[{"name": "values shown", "type": "buttons", "direction": "right", "x": 1, "xanchor": "right", "y": 1.15, "yanchor": "top",
                      "buttons": [{"label": label, "method": "relayout", "args": [{"annotations": labels(kind)}]}
                                  for label, kind in kinds]}],
        xaxis={"visible": False, "range": [-0.3, 2.3]}, yaxis={"visible": False, "range": [0, 1]})
    return tidy(fig, height=380, top=60, bottom=10), backprop_gradients(r)


def _label(r: dict, kind: str, name: str, index: tuple) -> str:
    key = {"before": name, "grad": f"d{name}", "after": f"{name}_after"}[kind]
    prefix = "∂L/∂" if kind == "grad" else ""
    return f"{prefix}{_param_label(name, index)} = {float(r[key][index]):+.4f}"


@table("training/backprop-forward", uses="training/backprop",
       caption="The forward pass for each of the four training points (the XOR pattern), with the starting "
               "weights: hidden sums z, hidden outputs h = sigmoid(z), the output ŷ and its squared error.")
def backprop_forward(r: dict) -> Table:
    rows = []
    for i in range(len(r["x"])):
        rows.append([f"({r['x'][i, 0]:.0f}, {r['x'][i, 1]:.0f})", f"{r['y'][i, 0]:.0f}",
                     f"{r['z1'][i, 0]:+.4f}, {r['z1'][i, 1]:+.4f}", f"{r['h'][i, 0]:.4f}, {r['h'][i, 1]:.4f}",
                     f"{r['z2'][i, 0]:+.4f}", f"{r['y_hat'][i, 0]:.4f}",
                     f"{(r['y_hat'][i, 0] - r['y'][i, 0]) ** 2:.4f}"])
    return ["input x", "target y", "z1, z2 (hidden)", "h1, h2", "z (output)", "ŷ = sigmoid(z)", "(ŷ − y)²"], rows


@table("training/backprop-gradients", uses="training/backprop",
       caption="Every parameter before the step, its gradient from `tf.GradientTape`, and its value after "
               "one step of gradient descent: new = old − learning rate × gradient.")
def backprop_gradients(r: dict) -> Table:
    rows = []
    for name in ("W1", "b1", "W2", "b2"):
        for index in np.ndindex(r[name].shape):
            rows.append([_param_label(name, index), f"{r[name][index]:+.4f}", f"{r['d' + name][index]:+.5f}",
                         f"{r[name + '_after'][index]:+.4f}"])
    return ["parameter", "before", "gradient ∂L/∂w", "after"], rows


@values("training/backprop-values", uses="training/backprop")
def backprop_values(r: dict) -> dict[str, str]:
    y_hat, y = r["y_hat"][:, 0], r["y"][:, 0]
    terms = 2 * (y_hat - y) * y_hat * (1 - y_hat) / len(y)  # ∂L/∂z for each point
    hidden = sum(_chain(r, p)["d_w1_11"] for p in range(len(y)))
    by_point = [2 * (yh - t) * yh * (1 - yh) for yh, t in zip(y_hat, y)]
    return {"loss": f"{r['loss']:.4f}", "loss-after": f"{r['loss_after']:.4f}", "lr": f"{r['lr']:g}",
            "db2-quarter": "¼ · [" + " + ".join(f"({t:+.5f})" for t in by_point) + "]",
            "dw1": f"{r['dW1'][0, 0]:+.6f}", "dw1-by-hand": f"{hidden:+.6f}",
            "dw1-agrees": fact("the hand-computed hidden gradient equals the one tf.GradientTape reports (the "
                               "book's tests check it)"),
            "b1": ", ".join(f"{b:+.2f}" for b in r["b1"]), "b2": f"{r['b2'][0]:+.2f}",
            "graph-point-loss": f"{_chain(r, GRAPH_POINT)['loss']:.4f}",
            "db2": f"{r['db2'][0]:+.5f}", "db2-terms": " + ".join(f"({t:+.5f})" for t in terms),
            "db2-sum": f"{terms.sum():+.5f}", "w2": f"{r['W2'][0, 0]:+.4f}", "dw2": f"{r['dW2'][0, 0]:+.5f}",
            "w2-after": f"{r['W2_after'][0, 0]:+.4f}"}


def _chain(r: dict, point: int) -> dict[str, float]:
    """Every value of the forward and backward pass for one training point, its share ¼(ŷ − y)² of the loss."""
    x, y = r["x"][point], float(r["y"][point, 0])
    h, y_hat = r["h"][point], float(r["y_hat"][point, 0])
    n = len(r["x"])
    d_yhat = 2 * (y_hat - y) / n
    d_z = d_yhat * y_hat * (1 - y_hat)
    d_h = d_z * r["W2"][:, 0]
    d_zh = d_h * h * (1 - h)
    return {"x1": x[0], "x2": x[1], "zh1": r["z1"][point, 0], "zh2": r["z1"][point, 1], "h1": h[0], "h2": h[1],
            "z": float(r["z2"][point, 0]), "y_hat": y_hat, "loss": (y_hat - y) ** 2 / n, "y": y,
            "d_y_hat": d_yhat, "d_z": d_z, "d_h1": d_h[0], "d_h2": d_h[1], "d_zh1": d_zh[0], "d_zh2": d_zh[1],
            "d_w2_1": d_z * h[0], "d_w2_2": d_z * h[1], "d_w1_11": d_zh[0] * x[0], "d_w1_21": d_zh[0] * x[1]}


GRAPH_POINT = 2  # the point (1, 0), target 1
# node: (x, y, label, forward value key, backward value key)
CHAIN_NODES = {"x1": (0, 0.8, "x₁", "x1", None), "x2": (0, 0.2, "x₂", "x2", None),
               "zh1": (1, 0.8, "z₁", "zh1", "d_zh1"), "zh2": (1, 0.2, "z₂", "zh2", "d_zh2"),
               "h1": (2, 0.8, "h₁", "h1", "d_h1"), "h2": (2, 0.2, "h₂", "h2", "d_h2"),
               "z": (3, 0.5, "z", "z", "d_z"), "y_hat": (4, 0.5, "ŷ", "y_hat", "d_y_hat"),
               "loss": (5, 0.5, "ℓ", "loss", None)}
CHAIN_EDGES = [("x1", "zh1"), ("x1", "zh2"), ("x2", "zh1"), ("x2", "zh2"), ("zh1", "h1"), ("zh2", "h2"),
               ("h1", "z"), ("h2", "z"), ("z", "y_hat"), ("y_hat", "loss")]
FORWARD = [(["x1", "x2"], "forward: the input point (1, 0)"),
           (["zh1", "zh2"], "forward: zⱼ = W1[1,j]·x₁ + W1[2,j]·x₂ + b1[j]"),
           (["h1", "h2"], "forward: hⱼ = σ(zⱼ)"), (["z"], "forward: z = W2[1,1]·h₁ + W2[2,1]·h₂ + b₂"),
           (["y_hat"], "forward: ŷ = σ(z)"), (["loss"], "forward: ℓ = ¼(ŷ − y)², with target y = 1")]
BACKWARD = [(["y_hat"], "backward: ∂ℓ/∂ŷ = 2(ŷ − y)/4"),
            (["z"], "backward: ∂ℓ/∂z = ∂ℓ/∂ŷ · ŷ(1 − ŷ)"),
            (["h1", "h2"], "backward: ∂ℓ/∂hⱼ = ∂ℓ/∂z · W2[j,1]"),
            (["zh1", "zh2"], "backward: ∂ℓ/∂zⱼ = ∂ℓ/∂hⱼ · hⱼ(1 − hⱼ)")]


@figure("training/backprop-graph", uses="training/backprop",
        caption="The 2-2-1 network as a computation graph for one training point, (1, 0) with target 1. Move the "
                "slider: the forward pass fills in each node's value from left to right, then the backward pass "
                "fills in each node's gradient ∂ℓ/∂(node) from right to left, where ℓ is this point's share "
                "¼(ŷ − y)² of the loss. Each gradient is the one to its right times the local slope.")
def backprop_graph(r: dict) -> tuple[go.Figure, Table]:
    v = _chain(r, GRAPH_POINT)
    fig = go.Figure()
    for a, b in CHAIN_EDGES:
        fig.add_scatter(x=[CHAIN_NODES[a][0], CHAIN_NODES[b][0]], y=[CHAIN_NODES[a][1], CHAIN_NODES[b][1]],
                        mode="lines", line={"color": "#9aa3ad", "width": 2}, hoverinfo="skip", showlegend=False)
    keys = list(CHAIN_NODES)
    stages: list[tuple[set, set, str]] = []  # (nodes with values, nodes with gradients, what happened)
    shown: set = set()
    for group, rule in FORWARD:
        shown |= set(group)
        stages.append((set(shown), set(), rule))
    grads: set = set()
    for group, rule in BACKWARD:
        grads |= set(group)
        stages.append((set(shown), set(grads), rule))

    def colours(values: set, gradients: set) -> list[str]:
        return [color(3) if k in gradients else color(0) if k in values else "#9aa3ad" for k in keys]

    def notes(values: set, gradients: set, what: str) -> list[dict]:
        out = [{"x": 2.5, "y": 1.1, "showarrow": False, "text": what, "font": {"size": 13}}]
        for k in keys:
            x, y, name, fwd, bwd = CHAIN_NODES[k]
            text = name + (f"<br>{v[fwd]:+.3f}" if k in values else "")
            if k in gradients and bwd:
                text += f"<br><b>∂ℓ/∂{name}</b><br><b>{v[bwd]:+.4f}</b>"
            out.append({"x": x, "y": y - 0.1, "showarrow": False, "text": text, "font": {"size": 11}, "yanchor": "top"})
        return out

    first_values, first_grads, first_what = stages[0]
    fig.add_scatter(x=[CHAIN_NODES[k][0] for k in keys], y=[CHAIN_NODES[k][1] for k in keys], mode="markers",
                    marker={"size": 22, "color": colours(first_values, first_grads)}, hoverinfo="skip",
                    showlegend=False)
    node_trace = len(fig.data) - 1
    steps = [{"label": str(i + 1), "method": "update",
              "args": [{"marker.color": [colours(vals, grs)]}, {"annotations": notes(vals, grs, what)}, [node_trace]]}
             for i, (vals, grs, what) in enumerate(stages)]
    fig.update_layout(annotations=notes(first_values, first_grads, first_what),
                      sliders=[{"steps": steps, "currentvalue": {"prefix": "step "}, "pad": {"t": 10}}],
                      xaxis={"visible": False, "range": [-0.5, 5.6]}, yaxis={"visible": False, "range": [-0.25, 1.2]})
    rows = [[CHAIN_NODES[k][2], f"{v[CHAIN_NODES[k][3]]:+.4f}",
             f"{v[CHAIN_NODES[k][4]]:+.5f}" if CHAIN_NODES[k][4] else "–"] for k in keys]
    header = ["node", "value (forward)", "gradient ∂ℓ/∂node (backward)"]
    return tidy(fig, height=430, top=20, bottom=90), (header, rows)


@table("training/backprop-hidden", uses="training/backprop",
       caption="The gradient of one hidden weight, W1[1,1] (from x₁ to the first hidden unit), by hand: for each "
               "point the chain of factors, and the product. The sum of the four products is ∂L/∂W1[1,1].")
def backprop_hidden(r: dict) -> Table:
    rows = []
    for p in range(len(r["x"])):
        v = _chain(r, p)
        rows.append([f"({v['x1']:.0f}, {v['x2']:.0f})", f"{v['d_z']:+.5f}", f"{r['W2'][0, 0]:+.4f}",
                     f"{v['h1'] * (1 - v['h1']):.4f}", f"{v['x1']:.0f}", f"{v['d_w1_11']:+.6f}"])
    total = sum(_chain(r, p)["d_w1_11"] for p in range(len(r["x"])))
    rows.append([strong("sum = ∂L/∂W1[1,1]"), "", "", "", "", strong(f"{total:+.6f}")])
    header = ["point", "∂ℓ/∂z (output)", "× W2[1,1]", "× h₁(1 − h₁)", "× x₁", "= ∂ℓ/∂W1[1,1]"]
    return header, rows


# -- learning rate, optimizers, landscape ---------------------------------------------------

RATE_NAMES = ("too small", "good", "too large")










@figure("training/learning-rate", uses="training/learning-rate",
        caption="The same network and data trained with plain SGD at three learning rates, from several seeds "
                "(lines: mean; bands: lowest to highest seed). Left: training loss per epoch (log scale). Right: "
                "the share of hidden units that output zero for every training digit.")
def learning_rate(r: dict) -> tuple[go.Figure, Table]:
    fig = make_subplots(rows=1, cols=2, subplot_titles=("training loss", "dead hidden units"))
    for i, lr in enumerate(r["rates"]):
        name = f"{RATE_NAMES[i]} ({lr:g})"
        seed_band(fig, r["epoch"], r["loss"][i], name, i, row=1, col=1)
        seed_band(fig, r["epoch"], r["dead"][i], name, i, showlegend=False, row=1, col=2)
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(type="log", tickvals=LOG_TICKS, ticktext=[f"{v:g}" for v in LOG_TICKS], row=1, col=1)
    fig.update_yaxes(tickformat=".0%", range=[0, 1], row=1, col=2)
    header = ["rate", "loss after epoch 1", "final loss", "final validation accuracy", "dead units at the end"]
    rows = [[f"{lr:g}", mean_range(r["loss"][i, :, 0]), mean_range(r["loss"][i, :, -1]),
             mean_range(r["val_accuracy"][i, :, -1], pct), mean_range(r["dead"][i, :, -1], lambda v: pct(v, 0))]
            for i, lr in enumerate(r["rates"])]
    return tidy(fig, height=440, top=80), (header, rows)


@values("training/learning-rate-values", uses="training/learning-rate")
def learning_rate_values(r: dict) -> dict:
    out = {"epochs": str(len(r["epoch"])), "batch": str(r["batch"]), "seeds": str(r["seeds"]),
           "hidden": str(r["hidden"]), "val-rows": str(r["val_rows"])}
    for i, key in enumerate(("small", "good", "large")):
        out[f"{key}-lr"] = f"{r['rates'][i]:g}"
        out[f"{key}-loss"] = mean_range(r["loss"][i, :, -1])
        out[f"{key}-first-loss"] = mean_range(r["loss"][i, :, 0])
        out[f"{key}-acc"] = mean_range(r["val_accuracy"][i, :, -1], pct)
        out[f"{key}-dead"] = mean_range(r["dead"][i, :, -1], lambda v: pct(v, 0))
        out[f"{key}-dead-1"] = mean_range(r["dead"][i, :, 0], lambda v: pct(v, 0))
    small, good, large = range(3)
    final_loss, dead, acc = r["loss"][:, :, -1], r["dead"], r["val_accuracy"][:, :, -1]
    out |= {
        "small-slow": paired(np.log(final_loss[small]), np.log(final_loss[good]), margin=np.log(2),
                             what="ln(final training loss), small rate minus good rate").claim(
            "the small rate ends with more than twice the good rate's training loss"),
        "large-dead": paired(dead[large, :, 0], dead[good, :, 0], points=True, margin=0.3,
                             what="share of dead hidden units after the first epoch, large rate minus good rate").claim(
            "after the first epoch the large rate has killed more than 30 points more of the hidden units than "
            "the good rate"),
        "large-stays-dead": fact("a hidden unit that outputs zero for every training digit passes no gradient to "
                                 "its weights, so under plain SGD it never comes back"),
        "large-guesses": paired(acc[good], acc[large], points=True, margin=0.2, examples=int(r["val_rows"]),
                                what="final validation accuracy, good rate minus large rate").claim(
            "the large rate ends more than 20 points below the good rate's validation accuracy"),
    }
    return out


def _smooth(y: np.ndarray, window: int) -> np.ndarray:
    window = max(1, min(window, y.shape[-1]))
    kernel = np.ones(window) / window
    padded = np.pad(y, [(0, 0)] * (y.ndim - 1) + [(window - 1, 0)], mode="edge")
    return np.apply_along_axis(lambda row: np.convolve(row, kernel, mode="valid"), -1, padded)


def _best(r: dict, name: str, batch: int) -> int:
    """Index of the rate with the lowest mean final training loss for optimizer `name` at `batch`."""
    final = r[f"final_{name}_{batch}"]
    return int(np.nanargmin(np.where(np.isfinite(final).all(1), final.mean(1), np.inf)))


@figure("training/optimizers", uses="training/optimizers",
        caption="Left: the loss on the whole training set at the end of training, for each optimizer swept over "
                "learning rates (mean over seeds, bars from the lowest to the highest seed; log scales; a rate "
                "at which some seed diverged is left out; dotted: ln 10, the loss of guessing). Right: the loss of every step, smoothed, for each "
                "optimizer at its best rate (bands: lowest to highest seed), against the number of training "
                "examples seen.")
def optimizers(r: dict) -> tuple[go.Figure, Table]:
    fig = make_subplots(rows=1, cols=2, column_widths=[0.5, 0.5], horizontal_spacing=0.1,
                        subplot_titles=("final loss by rate", "at the best rates"))
    runs = [(name, batch) for batch in r["batches"] for name in r["optimizers"]
            if batch == r["batches"][0] or name == "Adam"]
    rows = []
    for i, (name, batch) in enumerate(runs):
        rates = np.array(r[f"rates_{name}"] if batch == r["batches"][0] else r["rates_Adam_large"])
        final = r[f"final_{name}_{batch}"]
        mean = np.where(np.isfinite(final).all(1), final.mean(1), np.nan)
        title = f"{name}, batch {batch}"
        dash = "solid" if batch == r["batches"][0] else "dash"
        fig.add_scatter(x=rates, y=mean, mode="lines+markers", name=title, legendgroup=title,
                        line={"color": color(i), "dash": dash},
                        error_y={"type": "data", "symmetric": False, "array": np.nan_to_num(final.max(1) - mean),
                                 "arrayminus": np.nan_to_num(mean - final.min(1))}, row=1, col=1)
        best = _best(r, name, batch)
        trace = _smooth(r[f"trace_{name}_{batch}"][best], max(1, r[f"trace_{name}_{batch}"].shape[-1] // 20))
        seen = np.arange(1, trace.shape[-1] + 1) * batch
        seed_band(fig, seen, trace, title, i, showlegend=False, dash=dash, row=1, col=2)
        rows.append([name, str(batch), f"{rates[best]:g}", f"{trace.shape[-1]:,}", mean_range(final[best])])
    fig.add_hline(y=CHANCE_LOSS, line={"dash": "dot", "width": 1, "color": "gray"}, row=1, col=1)  # guessing: ln 10
    fig.update_xaxes(type="log", title_text="learning rate", dtick=1, row=1, col=1)
    fig.update_xaxes(title_text="training examples seen", row=1, col=2)
    fig.update_yaxes(type="log", tickvals=LOG_TICKS, ticktext=[f"{v:g}" for v in LOG_TICKS], row=1, col=1)
    fig.update_yaxes(type="log", tickvals=LOG_TICKS, ticktext=[f"{v:g}" for v in LOG_TICKS], row=1, col=2)
    header = ["optimizer", "batch", "best rate", "steps", "final training loss at that rate"]
    return tidy(fig, height=460, top=90), (header, rows)


def _trained_rates(r: dict, name: str, batch: int) -> np.ndarray:
    """Indices of the rates at which every seed of `name` ended below the loss of chance (a diverged
    run ends at infinity or NaN, above it)."""
    final = r[f"final_{name}_{batch}"]
    return np.flatnonzero((np.nan_to_num(final, nan=np.inf) < CHANCE_LOSS).all(1))


@values("training/optimizer-values", uses="training/optimizers")
def optimizer_values(r: dict) -> dict:
    small, large = r["batches"]
    best_i = {n: _best(r, n, small) for n in r["optimizers"]}
    final = {n: r[f"final_{n}_{small}"][best_i[n]] for n in r["optimizers"]}
    best = {n: r[f"rates_{n}"][best_i[n]] for n in r["optimizers"]}
    adam_large = r[f"final_Adam_{large}"][_best(r, "Adam", large)]
    steps = lambda b: f"{r['epochs'] * (r['train_rows'] // b):,}"  # noqa: E731
    out = {"rows": f"{r['train_rows']:,}", "epochs": str(r["epochs"]), "seeds": str(r["seeds"]),
           "chance-loss": f"{CHANCE_LOSS:.2f}",
           "small-batch": str(small), "large-batch": str(large), "small-steps": steps(small),
           "large-steps": steps(large), "adam-large-rate": f"{r['rates_Adam_large'][_best(r, 'Adam', large)]:g}",
           "adam-large-grid": ", ".join(f"{v:g}" for v in r["rates_Adam_large"]),
           "adam-large-final": mean_range(adam_large),
           **{f"{n.lower()}-grid": ", ".join(f"{v:g}" for v in r[f"rates_{n}"]) for n in r["optimizers"]},
           **{f"{n.lower()}-rate": f"{best[n]:g}" for n in r["optimizers"]},
           **{f"{n.lower()}-final": mean_range(final[n]) for n in r["optimizers"]}}
    for n in r["optimizers"]:  # the U: the best rate against the smallest and the largest rate that trained
        finals, trained = r[f"final_{n}_{small}"], _trained_rates(r, n, small)
        low, high = trained[0], int(np.flatnonzero(np.isfinite(finals).all(1))[-1])  # the largest that did not diverge
        key = n.lower()
        failed = [f"{v:g}" for i, v in enumerate(r[f"rates_{n}"]) if i not in trained]
        out[f"{key}-failed"] = ", ".join(failed) if failed else "none"
        out[f"{key}-u"] = paired(np.log(finals[low]), np.log(finals[best_i[n]]), margin=np.log(1.5),
                                 what=f"{n}: ln(final loss) at rate {r[f'rates_{n}'][low]:g} minus at the best rate "
                                      f"{best[n]:g}").claim(
            f"{n}'s final loss at its smallest rate is more than 1.5 times its loss at the best rate")
        out[f"{key}-u-high"] = paired(np.log(finals[high]), np.log(finals[best_i[n]]), margin=np.log(1.5),
                                      what=f"{n}: ln(final loss) at rate {r[f'rates_{n}'][high]:g} minus at the best "
                                           f"rate {best[n]:g}").claim(
            f"{n}'s final loss at the largest rate of the sweep is more than 1.5 times its loss at the best rate")
    pairs = (("Adam", "SGD"), ("Adam", "momentum"), ("momentum", "SGD"))
    for a, b in pairs:
        ev = paired(np.log(final[a]), np.log(final[b]), higher="b",
                    what=f"{a} minus {b} at their best rates, ln(final training loss)")
        out[f"{a.lower()}-vs-{b.lower()}"] = ev.description()
        out[f"{a.lower()}-vs-{b.lower()}-verdict"] = ev.reading
    out["large-batch-worse"] = paired(np.log(adam_large), np.log(final["Adam"]),
                                      what="Adam, ln(final training loss) at the large batch minus at the small "
                                           "batch, each at its best rate").claim(
        "with the same number of epochs, Adam at the large batch ends with a higher training loss than at the "
        "small batch, even at its own best rate")
    return out


# -- gradient descent on two numbers ---------------------------------------------------------

@figure("training/descent", uses="training/descent",
        caption="SGD, momentum (0.9) and Adam moving two numbers down a bowl and a ravine from the same start "
                "(white cross), with the update rules of Keras's optimizers; the minimum is at the centre. "
                "Contours are the loss (a·x² + b·y²)/2. Each optimizer has its own learning rates (for Adam the "
                "rate is about the length of a step, for SGD a multiple of the gradient): the slider moves all "
                "three from small to too large together, and the legend names each one's rate. A path that ends "
                "at the frame's edge has diverged.")
def descent(r: dict) -> tuple[go.Figure, Table]:
    surfaces, names, rates = list(r["surfaces"]), list(r["optimizers"]), np.asarray(r["rates"])
    levels = rates.shape[1]
    fig = make_subplots(rows=2, cols=1, vertical_spacing=0.12,
                        subplot_titles=[f"{s}: ({a:g}·x² + {b:g}·y²)/2" for s, (a, b) in zip(surfaces, r["curvatures"])])
    gx, gy = np.linspace(-5, 5, 81), np.linspace(-3, 3, 61)
    for s, (a, b) in enumerate(r["curvatures"]):
        z = np.log10((a * gx[None, :] ** 2 + b * gy[:, None] ** 2) / 2 + 1e-3)
        fig.add_contour(x=gx, y=gy, z=z.astype(np.float32), colorscale="Greys", showscale=False, ncontours=16,
                        contours={"coloring": "lines"}, hoverinfo="skip", name="loss", row=s + 1, col=1)
    fixed = len(fig.data)
    for k in range(levels):
        for s in range(len(surfaces)):
            for o, name in enumerate(names):
                path = r["paths"][s, o, k, : r["taken"][s, o, k] + 1]
                fig.add_scatter(x=np.clip(path[:, 0], -5, 5), y=np.clip(path[:, 1], -3, 3), mode="lines+markers",
                                name=f"{name}, rate {rates[o, k]:g}", legendgroup=f"{name}{k}",
                                showlegend=s == 0, visible=k == 0,
                                marker={"size": 4}, line={"color": color(o), "width": 1.5},
                                hovertemplate=f"{name} (rate {rates[o, k]:g}), step %{{pointNumber}}<br>"
                                              "x %{x:.3f}, y %{y:.3f}<extra></extra>",
                                row=s + 1, col=1)
    for s in range(len(surfaces)):
        fig.add_scatter(x=[r["start"][0]], y=[r["start"][1]], mode="markers", showlegend=False, hoverinfo="skip",
                        marker={"symbol": "x", "size": 11, "color": "#ffffff", "line": {"width": 1, "color": "#000"}},
                        row=s + 1, col=1)
    per_level = len(surfaces) * len(names)
    steps = [{"label": str(k + 1), "method": "restyle",
              "args": ["visible", [True] * fixed + [j // per_level == k for j in range(per_level * levels)]
                       + [True] * len(surfaces)]} for k in range(levels)]
    fig.update_layout(sliders=[{"steps": steps, "currentvalue": {"prefix": "rates, small to large: "},
                                "pad": {"t": 40}}])
    fig.update_xaxes(range=[-5, 5], zeroline=False)
    fig.update_yaxes(range=[-3, 3], zeroline=False, scaleanchor=None)
    end = _end_distance(r)
    rows = [[surface, names[o], f"{rates[o, k]:g}", "diverged" if np.isnan(end[s, o, k]) else num(end[s, o, k])]
            for s, surface in enumerate(surfaces) for o in range(len(names)) for k in range(levels)]
    header = ["surface", "optimizer", "rate", f"distance to the minimum after {r['steps']} steps"]
    return tidy(fig, height=720, top=110, bottom=110), (header, rows)


def _end_distance(r: dict) -> np.ndarray:
    """Distance from the minimum after the last step (surface, optimizer, rate); NaN where the path diverged."""
    end = np.linalg.norm(r["paths"][:, :, :, -1], axis=-1)
    return np.where(r["taken"] < r["steps"], np.nan, end)


@values("training/descent-values", uses="training/descent")
def descent_values(r: dict) -> dict:
    surfaces, names, rates = list(r["surfaces"]), list(r["optimizers"]), np.asarray(r["rates"])
    end = _end_distance(r)
    sgd, momentum, adam = (names.index(n) for n in ("SGD", "momentum", "Adam"))
    bowl, ravine = surfaces.index("bowl"), surfaces.index("ravine")
    (a, b) = r["curvatures"][ravine]
    (a0, b0) = r["curvatures"][bowl]
    shared = float(rates[sgd, 0])  # SGD's smallest rate, also one of momentum's
    m_at = int(np.flatnonzero(np.isclose(rates[momentum], shared))[0]) if np.isclose(rates[momentum], shared).any() else 0
    # how far the cross-ravine coordinate swings past the floor (y starts positive)
    overshoot = lambda o, k: float(max(0.0, -r["paths"][ravine, o, k, :, 1].min()))  # noqa: E731
    last = r["paths"][ravine, adam, -1, -11:]  # Adam's last ten steps at its largest rate, on the ravine
    last_steps, last_dist = np.linalg.norm(np.diff(last, axis=0), axis=1), np.linalg.norm(last[1:], axis=1)
    return {
        "adam-last-steps": f"{num(last_steps.min(), 2)} to {num(last_steps.max(), 2)}",
        "adam-last-dist": f"{num(last_dist.min(), 2)} and {num(last_dist.max(), 2)}",
        **{f"{n.lower()}-rates": ", ".join(f"{v:g}" for v in rates[i]) for i, n in enumerate(names)},
        "steps": str(r["steps"]), "ravine-b": f"{b:g}", "ravine-a": f"{a:g}", "bowl-a": f"{a0:g}", "bowl-b": f"{b0:g}",
        "sgd-limit": f"{2 / b:g}", "bowl-limit": f"{2 / b0:g}", "momentum-limit": f"{3.8 / b:.2g}",
        "shared-rate": f"{shared:g}", "sgd-swing": num(overshoot(sgd, 0), 2), "momentum-swing": num(overshoot(momentum, m_at), 2),
        "sgd-small-end": num(end[bowl, sgd, 0], 2), "adam-large-end": num(end[ravine, adam, -1], 2),
        "adam-large-rate": f"{rates[adam, -1]:g}",
        "sgd-diverges-above-limit": fact("on the ravine SGD diverges at every rate above 2/b and at none below it "
                                         "(the book's tests check the paths against this)"),
        "momentum-diverges": fact("momentum diverges there at every rate above it and at none below it (the "
                                  "book's tests check this too)"),
    }


# -- the loss landscape ------------------------------------------------------------------------

@figure("training/landscape", uses="training/landscape",
        caption="Left: the loss (log colour scale) of a small moons classifier on the plane through the trained "
                "weights spanned by "
                "the two directions along which its training path varied most (principal components of the "
                "weights after every epoch, as in Li et al., 2018). The white line is the path's shadow on that "
                "plane. Right: the loss along the real path, and at its shadow on the plane, epoch by epoch.")
def landscape(r: dict) -> tuple[go.Figure, Table]:
    fig = make_subplots(rows=1, cols=2, column_widths=[0.55, 0.45], horizontal_spacing=0.17,
                        subplot_titles=("on the plane", "along the path"))
    ticks = [0.05, 0.1, 0.2, 0.5, 1, 2]
    fig.add_contour(x=r["a"], y=r["b"], z=np.log10(r["surface"]), colorscale="Viridis", ncontours=24, name="loss",
                    colorbar={"title": {"text": "loss"}, "tickvals": np.log10(ticks),
                              "ticktext": [str(t) for t in ticks],
                              "orientation": "h", "x": 0.27, "xanchor": "center", "y": -0.22, "yanchor": "top",
                              "len": 0.5, "thickness": 12},
                    hovertemplate="PC1 %{x:.2f}, PC2 %{y:.2f}<br>log10 loss %{z:.2f}<extra></extra>", row=1, col=1)
    fig.add_scatter(x=r["path_a"], y=r["path_b"], mode="lines+markers", name="path's shadow",
                    line={"color": "#ffffff", "width": 2}, marker={"size": 4, "color": "#ffffff"},
                    customdata=r["projected_loss"], showlegend=False,
                    hovertemplate="epoch %{pointNumber}<br>loss on the plane %{customdata:.3f}<extra></extra>",
                    row=1, col=1)
    fig.add_scatter(x=[r["path_a"][0], 0], y=[r["path_b"][0], 0], mode="markers+text", text=["start", "trained"],
                    textposition="top center", textfont={"color": "#ffffff"}, showlegend=False, hoverinfo="skip",
                    marker={"size": 10, "color": ["#ff7f0e", "#d62728"]}, row=1, col=1)
    epochs = np.arange(len(r["path_loss"]))
    fig.add_scatter(x=epochs, y=r["path_loss"], name="along the real path", line={"color": color(0)}, row=1, col=2)
    fig.add_scatter(x=epochs, y=r["projected_loss"], name="at its shadow on the plane",
                    line={"color": color(1), "dash": "dash"}, row=1, col=2)
    fig.update_xaxes(title_text="PC1", row=1, col=1)
    fig.update_yaxes(title_text="PC2", row=1, col=1)
    fig.update_xaxes(title_text="epoch", row=1, col=2)
    fig.update_yaxes(type="log", tickvals=LOG_TICKS, ticktext=[f"{v:g}" for v in LOG_TICKS], row=1, col=2)
    picks = np.unique(np.linspace(0, len(epochs) - 1, 13).round().astype(int))
    rows = [[str(e), f"{r['path_a'][e]:+.2f}", f"{r['path_b'][e]:+.2f}", num(r["path_loss"][e]),
             num(r["projected_loss"][e])] for e in picks]
    return tidy(fig, height=560, top=80, bottom=140), (["epoch", "PC1", "PC2", "loss on the path", "loss at its shadow"], rows)


@values("training/landscape-values", uses="training/landscape")
def landscape_values(r: dict) -> dict:
    gap = np.abs(np.log(r["projected_loss"]) - np.log(r["path_loss"]))
    middle = slice(1, len(gap) - 1)
    walks = r["walk_explained"]
    return {"start-loss": num(r["path_loss"][0]), "end-loss": num(r["path_loss"][-1]), "epochs": str(r["epochs"]),
            "accuracy": pct(r["accuracy"]), "parameters": str(r["parameters"]),
            "explained": pct(r["explained"].sum(), 0), "explained-1": pct(r["explained"][0], 0),
            "explained-2": pct(r["explained"][1], 0), "walks": str(len(walks)),
            "walk-explained": mean_range(walks, lambda v: pct(v, 0)),
            "max-gap": f"{np.exp(gap[middle].max()):.1f}",
            "ends-agree": fact("the plane is drawn through the trained weights"),
            "keras-agrees": fact("the plane's loss, computed in NumPy, matches Keras's at the trained weights (the "
                                 "book's tests check it)")}
