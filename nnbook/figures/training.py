"""Figures, tables and values for the page on how a network learns."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nnbook.figures.style import Table, color, num, pct, tidy
from nnbook.registry import figure, table, values


@table("training/log", uses="network/mlp",
       caption="The training log of the 784-256-128-10 network, one row per epoch (a pass over the training "
               "digits). Validation numbers are measured on digits the network never trains on.")
def log(r: dict) -> Table:
    rows = [[str(e), num(l), num(vl), pct(a), pct(va)] for e, l, vl, a, va in
            zip(r["epoch"], r["loss"], r["val_loss"], r["accuracy"], r["val_accuracy"])]
    return ["epoch", "training loss", "validation loss", "training accuracy", "validation accuracy"], rows


@figure("training/curves", uses="network/mlp",
        caption="The same log as curves. Training loss keeps falling; validation loss stops improving after a "
                "few epochs, the first sign of overfitting.")
def curves(r: dict) -> tuple[go.Figure, Table]:
    fig = make_subplots(rows=1, cols=2, subplot_titles=("loss", "accuracy"))
    for i, (name, key) in enumerate((("training", ""), ("validation", "val_"))):
        style = {"line": {"color": color(i)}, "legendgroup": name, "mode": "lines+markers"}
        fig.add_scatter(x=r["epoch"], y=r[f"{key}loss"], name=name, row=1, col=1, **style)
        fig.add_scatter(x=r["epoch"], y=r[f"{key}accuracy"], name=name, showlegend=False, row=1, col=2, **style)
    fig.update_xaxes(title_text="epoch", dtick=1)
    fig.update_yaxes(tickformat=".0%", row=1, col=2)
    return tidy(fig, height=400, top=80, hovermode="x unified"), log(r)


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
        updatemenus=[{"type": "buttons", "direction": "right", "x": 1, "xanchor": "right", "y": 1.15, "yanchor": "top",
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
                     f"{r['z2'][i, 0]:+.4f}", f"{r['y_hat'][i, 0]:.4f}", f"{(r['y_hat'][i, 0] - r['y'][i, 0]) ** 2:.4f}"])
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
    return {"loss": f"{r['loss']:.4f}", "loss-after": f"{r['loss_after']:.4f}", "lr": f"{r['lr']:g}",
            "db2": f"{r['db2'][0]:+.5f}", "db2-terms": " + ".join(f"({t:+.5f})" for t in terms),
            "db2-sum": f"{terms.sum():+.5f}", "w2": f"{r['W2'][0, 0]:+.4f}", "dw2": f"{r['dW2'][0, 0]:+.5f}",
            "w2-after": f"{r['W2_after'][0, 0]:+.4f}"}


# -- learning rate, optimizers, landscape ---------------------------------------------------

RATE_NAMES = ("too small", "good", "too large")


@figure("training/learning-rate", uses="training/learning-rate",
        caption="Training loss per epoch (log scale) of the same network and data with three learning rates of "
                "plain SGD. Pick a rate in the menu, or compare all three.")
def learning_rate(r: dict) -> go.Figure:
    fig = go.Figure()
    rates = list(r["rates"])
    for i, lr in enumerate(rates):
        fig.add_scatter(x=r["epoch"], y=r["loss"][i], name=f"{RATE_NAMES[i]} ({lr:g})", mode="lines+markers",
                        line={"color": color(i)})
    n = len(rates)
    buttons = [{"label": "all rates", "method": "update", "args": [{"visible": [True] * n}]}]
    buttons += [{"label": f"{RATE_NAMES[i]} ({lr:g})", "method": "update",
                 "args": [{"visible": [j == i for j in range(n)]}]} for i, lr in enumerate(rates)]
    fig.update_layout(updatemenus=[{"buttons": buttons, "x": 1, "xanchor": "right", "y": 1.2, "yanchor": "top"}],
                      xaxis_title="epoch", yaxis_title="training loss", yaxis_type="log")
    return tidy(fig, height=420, top=80)


@values("training/learning-rate-values", uses="training/learning-rate")
def learning_rate_values(r: dict) -> dict[str, str]:
    out = {"epochs": str(len(r["epoch"]))}
    for i, key in enumerate(("small", "good", "large")):
        out[f"{key}-lr"] = f"{r['rates'][i]:g}"
        out[f"{key}-loss"] = num(r["loss"][i, -1])
        out[f"{key}-first-loss"] = num(r["loss"][i, 0])
        out[f"{key}-acc"] = pct(r["val_accuracy"][i, -1])
    return out


def _smooth(y: np.ndarray, window: int) -> np.ndarray:
    window = max(1, min(window, len(y)))
    kernel = np.ones(window) / window
    return np.convolve(np.pad(y, (window - 1, 0), mode="edge"), kernel, mode="valid")


@figure("training/optimizers", uses="training/optimizers",
        caption="Loss of every training step (faint) and its running mean (bold) for three optimizers at batch "
                "size 32, and Adam at batch size 256, plotted against the number of training examples seen.")
def optimizers(r: dict) -> tuple[go.Figure, Table]:
    fig = go.Figure()
    for i, run in enumerate(r["runs"]):
        seen, loss = r[f"seen_{i}"], r[f"loss_{i}"]
        fig.add_scatter(x=seen, y=loss, mode="lines", line={"color": color(i), "width": 0.6}, opacity=0.35,
                        legendgroup=run, showlegend=False, name=f"{run} (each step)", hoverinfo="skip")
        fig.add_scatter(x=seen, y=_smooth(loss, max(1, len(loss) // 25)), mode="lines", name=run, legendgroup=run,
                        line={"color": color(i), "width": 2.5})
    fig.update_layout(xaxis_title="training examples seen", yaxis_title="loss", yaxis_type="log")
    rows = []
    for i, run in enumerate(r["runs"]):
        loss = r[f"loss_{i}"]
        rows.append([run, f"{len(loss):,}", num(loss[0]), num(loss[-max(1, len(loss) // 10):].mean())])
    return tidy(fig, height=440, top=70), (["run", "steps", "first loss", "mean loss, last tenth"], rows)


@values("training/optimizer-values", uses="training/optimizers")
def optimizer_values(r: dict) -> dict[str, str]:
    out = {"rows": f"{r['train_rows']:,}", "epochs": str(r["epochs"])}
    for i, key in enumerate(("sgd", "momentum", "adam", "adam-256")):
        loss = r[f"loss_{i}"]
        tail = loss[-max(1, len(loss) // 10):]
        out[f"{key}-final"] = num(tail.mean())
        out[f"{key}-steps"] = f"{len(loss):,}"
    return out


@figure("training/landscape", uses="training/landscape",
        caption="The loss of a small moons classifier on a plane through weight space: 0 on the horizontal "
                "axis is the initial weights, 1 the trained weights, and the vertical axis a random direction "
                "at right angles. The line is the training path, one point per epoch, projected onto the plane.")
def landscape(r: dict) -> tuple[go.Figure, Table]:
    fig = go.Figure(go.Contour(x=r["alpha"], y=r["beta"], z=np.log10(r["surface"]), colorscale="Viridis",
                               ncontours=24, name="loss", colorbar={"title": {"text": "loss"}, "tickvals":
                               [-1.5, -1, -0.5, 0, 0.5], "ticktext": ["0.03", "0.1", "0.3", "1", "3"]},
                               hovertemplate="α %{x:.2f}, β %{y:.2f}<br>log10 loss %{z:.2f}<extra></extra>"))
    fig.add_scatter(x=r["path_alpha"], y=r["path_beta"], mode="lines+markers", name="training path",
                    line={"color": "#ffffff", "width": 2}, marker={"size": 4, "color": "#ffffff"},
                    customdata=r["path_loss"], hovertemplate="epoch %{pointNumber}<br>loss %{customdata:.3f}<extra></extra>")
    fig.add_scatter(x=[0, 1], y=[0, 0], mode="markers+text", text=["start", "trained"], textposition="top center",
                    textfont={"color": "#ffffff"}, marker={"size": 10, "color": ["#ff7f0e", "#d62728"]},
                    name="start and end", hoverinfo="skip")
    fig.update_layout(xaxis_title="α (0 = initial weights, 1 = trained)", yaxis_title="β (random direction)",
                      showlegend=False)
    epochs = np.unique(np.linspace(0, len(r["path_loss"]) - 1, 12).round().astype(int))
    rows = [[str(e), f"{r['path_alpha'][e]:.3f}", f"{r['path_beta'][e]:+.3f}", num(r["path_loss"][e])] for e in epochs]
    return tidy(fig, height=520, top=60), (["epoch", "α", "β", "loss"], rows)


@values("training/landscape-values", uses="training/landscape")
def landscape_values(r: dict) -> dict[str, str]:
    return {"start-loss": num(r["path_loss"][0]), "end-loss": num(r["path_loss"][-1]), "epochs": str(r["epochs"]),
            "accuracy": pct(r["accuracy"]), "max-loss": num(r["surface"].max())}
