"""Figures, tables and values for the activation functions page."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nnbook.figures.style import Table, color, label, num, pct, tidy
from nnbook.registry import figure, table, values


@figure("activations/curves", uses="activations/curves",
        caption="Each activation function (solid) and its derivative (dotted), computed with "
                "`keras.activations` and automatic differentiation. Softmax is shown for the "
                "first of three inputs (x, 0, 0). Pick a function in the menu.")
def curves(r: dict) -> go.Figure:
    fig = go.Figure()
    names = list(r["functions"])
    for i, name in enumerate(names):
        fig.add_scatter(x=r["x"], y=r[name], name=label(name), line={"color": color(i)}, legendgroup=name)
        fig.add_scatter(x=r["x"], y=r[f"d_{name}"], name=f"{label(name)}′", legendgroup=name,
                        line={"color": color(i), "dash": "dot"})
    n = len(names)

    def show(mask: list[bool], title: str) -> dict:
        return {"label": title, "method": "update", "args": [{"visible": mask}]}

    buttons = [show([True] * 2 * n, "All, with derivatives"), show([True, False] * n, "All functions"),
               show([False, True] * n, "All derivatives")]
    buttons += [show([j // 2 == i for j in range(2 * n)], label(name)) for i, name in enumerate(names)]
    fig.update_layout(updatemenus=[{"buttons": buttons, "x": 1, "xanchor": "right", "y": 1.18, "yanchor": "top"}],
                      xaxis_title="input x", yaxis_title="output", yaxis_range=[-1.6, 2.2])
    return tidy(fig, top=90)


@figure("activations/training-curves", uses="activations/training",
        caption="Training loss and validation accuracy per epoch of the same network with each hidden "
                "activation, trained from the same initial draw on the same MNIST split.")
def training_curves(r: dict) -> tuple[go.Figure, Table]:
    fig = make_subplots(rows=1, cols=2, subplot_titles=("training loss", "validation accuracy"))
    for i, name in enumerate(r["activations"]):
        style = {"name": label(name), "legendgroup": name, "line": {"color": color(i)}}
        fig.add_scatter(x=r["epoch"], y=r["loss"][i], row=1, col=1, **style)
        fig.add_scatter(x=r["epoch"], y=r["val_accuracy"][i], row=1, col=2, showlegend=False, **style)
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(type="log", row=1, col=1)
    fig.update_yaxes(tickformat=".0%", row=1, col=2)
    names = [label(n) for n in r["activations"]]
    header = ["epoch"] + [f"{n}: loss" for n in names] + [f"{n}: validation accuracy" for n in names]
    rows = [[str(e)] + [num(x) for x in r["loss"][:, k]] + [pct(x) for x in r["val_accuracy"][:, k]]
            for k, e in enumerate(r["epoch"])]
    return tidy(fig, height=440, top=80, hovermode="x unified"), (header, rows)


@table("activations/final", uses="activations/training",
       caption="Where each run ended: the last epoch's numbers and the best validation accuracy.")
def final(r: dict) -> Table:
    header = ["hidden activation", "training loss", "validation loss", "validation accuracy", "best (epoch)"]
    rows = []
    for i, name in enumerate(r["activations"]):
        best = int(np.argmax(r["val_accuracy"][i]))
        rows.append([label(name), num(r["loss"][i, -1]), num(r["val_loss"][i, -1]), pct(r["val_accuracy"][i, -1]),
                     f"{pct(r['val_accuracy'][i, best])} ({best + 1})"])
    return header, rows


@values("activations/training-values", uses="activations/training")
def training_values(r: dict) -> dict[str, str]:
    final_acc = r["val_accuracy"][:, -1]
    order = np.argsort(-final_acc)
    out = {f"{name}-acc": pct(final_acc[i]) for i, name in enumerate(r["activations"])}
    out |= {f"{name}-loss1": num(r["loss"][i, 0]) for i, name in enumerate(r["activations"])}
    out |= {f"{name}-train-acc": pct(r["accuracy"][i, -1]) for i, name in enumerate(r["activations"])}
    out |= {"best": label(r["activations"][order[0]]), "worst": label(r["activations"][order[-1]]),
            "epochs": str(len(r["epoch"])), "train-rows": f"{r['train_rows']:,}", "val-rows": f"{r['val_rows']:,}",
            "hidden": "-".join(str(h) for h in r["hidden"])}
    return out


@figure("activations/vanishing", uses="activations/vanishing",
        caption="Gradient norm of each layer's weights (log scale) in a deep sigmoid network and the same "
                "network with ReLU, measured with `tf.GradientTape` on a fixed batch of digits. Move the "
                "slider to see the norms after more SGD steps; the right panel shows the training loss.")
def vanishing(r: dict) -> tuple[go.Figure, Table]:
    fig = make_subplots(rows=1, cols=2, column_widths=[0.6, 0.4],
                        subplot_titles=("gradient norm per layer", "training loss per step"))
    checkpoints = list(r["checkpoints"])
    names = list(r["activations"])
    for c in range(len(checkpoints)):
        for i, name in enumerate(names):
            fig.add_scatter(x=r["layer"], y=r["grad_norm"][i, c], name=label(name), legendgroup=name,
                            visible=c == 0, showlegend=c == 0, mode="lines+markers",
                            line={"color": color(i)}, row=1, col=1)
    for i, name in enumerate(names):
        fig.add_scatter(y=r["loss"][i], name=label(name), legendgroup=name, showlegend=False,
                        line={"color": color(i), "width": 1}, row=1, col=2)
    n = len(names)
    steps = []
    for c, step in enumerate(checkpoints):
        mask = [k // n == c for k in range(n * len(checkpoints))] + [True] * n
        steps.append({"label": str(int(step)), "method": "restyle", "args": ["visible", mask]})
    fig.update_layout(sliders=[{"steps": steps, "currentvalue": {"prefix": "after SGD steps: "},
                                "pad": {"t": 70}}])
    fig.update_xaxes(title_text="layer (1 = nearest the input)", dtick=1, row=1, col=1)
    fig.update_xaxes(title_text="step", row=1, col=2)
    fig.update_yaxes(type="log", row=1, col=1)
    fig.update_yaxes(type="log", row=1, col=2)
    last = len(checkpoints) - 1
    header = ["layer"] + [f"{label(n)}, step {int(checkpoints[c])}" for n in names for c in (0, last)]
    rows = [[str(layer)] + [num(r["grad_norm"][i, c, k]) for i in range(n) for c in (0, last)]
            for k, layer in enumerate(r["layer"])]
    return tidy(fig, height=560, top=80, bottom=130), (header, rows)


@values("activations/vanishing-values", uses="activations/vanishing")
def vanishing_values(r: dict) -> dict[str, str]:
    out = {"depth": str(len(r["layer"]) - 1), "steps": str(int(r["checkpoints"][-1]))}
    for i, name in enumerate(r["activations"]):
        first, last = r["grad_norm"][i, 0, 0], r["grad_norm"][i, 0, -1]
        out[f"{name}-first"] = num(first)
        out[f"{name}-last"] = num(last)
        out[f"{name}-ratio"] = f"{last / first:,.0f}" if last / first >= 10 else f"{last / first:.1f}"
    return out


@figure("activations/dying", uses="activations/dying",
        caption="Share of hidden units that are dead — not positive for any of the probe images — after "
                "each epoch, for ReLU and leaky ReLU at a normal and a too-high Adam learning rate. "
                "Choose the hidden layer in the menu.")
def dying(r: dict) -> go.Figure:
    fig = go.Figure()
    runs = [f"{label(a)}, rate {lr:g}" for a, lr in zip(r["run_activations"], r["run_rates"])]
    layers = r["dead"].shape[2]
    for layer in range(layers):
        for i, run in enumerate(runs):
            fig.add_scatter(x=r["epoch"], y=r["dead"][i, :, layer], name=run, visible=layer == 0, mode="lines+markers",
                            line={"color": color(i), "dash": "dash" if "leaky" in run else "solid"})
    n = len(runs)
    buttons = [{"label": f"hidden layer {layer + 1}", "method": "update",
                "args": [{"visible": [k // n == layer for k in range(n * layers)]}]} for layer in range(layers)]
    fig.update_layout(updatemenus=[{"buttons": buttons, "x": 1, "xanchor": "right", "y": 1.2, "yanchor": "top"}],
                      xaxis_title="epoch (0 = before training)", yaxis_title="dead units", yaxis_tickformat=".0%",
                      yaxis_range=[0, 1])
    return tidy(fig, top=90)


@values("activations/dying-values", uses="activations/dying")
def dying_values(r: dict) -> dict[str, str]:
    out = {}
    high = max(r["rates"])
    for i, (activation, lr) in enumerate(zip(r["run_activations"], r["run_rates"])):
        key = f"{activation.replace('_', '-')}-{'high' if lr == high else 'low'}"
        out[f"{key}-dead"] = pct(r["dead"][i, -1, 0], 0)
        out[f"{key}-peak"] = pct(r["dead"][i, :, 0].max(), 0)
        out[f"{key}-acc"] = pct(r["val_accuracy"][i])
    out["high-lr"] = f"{max(r['rates']):g}"
    out["low-lr"] = f"{min(r['rates']):g}"
    out["epochs"] = str(len(r["epoch"]) - 1)
    return out
