"""Figures, tables and values for the activation functions page.

Experiments that compare settings run from several seeds: curves show the mean across seeds
with a band from the lowest to the highest seed, and numbers give the mean with that range.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nnbook.evidence import paired
from nnbook.figures.style import Table, apart, color, label, mean_range, num, pct, rgba, seed_band, tidy
from nnbook.registry import claim, figure, table, values


LOG_TICKS = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5]  # labelled values on log loss axes









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
    fig.update_layout(updatemenus=[{"name": "functions shown", "buttons": buttons, "x": 1, "xanchor": "right", "y": 1.18, "yanchor": "top"}],
                      xaxis_title="input x", yaxis_title="output", yaxis_range=[-1.6, 2.2])
    return tidy(fig, top=90)


# -- bending: decision boundaries --------------------------------------------------------------

@figure("activations/boundaries", uses="activations/boundaries",
        caption="The same 2-16-16-1 network trained on the two moons with no activation, with ReLU and with "
                "tanh in its hidden layers. The shading is the network's answer at every point of the plane "
                "(blue: class 0, red: class 1; the boundary is where it reads 50%); the dots are the training "
                "points. Shown for the first of three seeds; the table gives the accuracy of all three.")
def boundaries(r: dict) -> tuple[go.Figure, Table]:
    names = list(r["activations"])
    fig = make_subplots(rows=1, cols=len(names), horizontal_spacing=0.04,
                        subplot_titles=[f"{label(n).split(' ')[0]}: {pct(r['accuracy'][i].mean(), 0)}" for i, n in
                                        enumerate(names)])
    x, y = r["x"], r["y"]
    for i in range(len(names)):
        fig.add_contour(x=r["grid_x"], y=r["grid_y"], z=r["prob"][i].astype(np.float32), colorscale="RdBu_r",
                        zmin=0, zmax=1, showscale=False, contours={"start": 0, "end": 1, "size": 0.1},
                        line={"width": 0.5}, opacity=0.75, name="P(class 1)",
                        hovertemplate="x %{x:.2f}, y %{y:.2f}<br>P(class 1) %{z:.2f}<extra></extra>",
                        row=1, col=i + 1)
        for cls, marker in ((0, color(0)), (1, color(3))):
            pick = y == cls
            fig.add_scatter(x=x[pick, 0], y=x[pick, 1], mode="markers", name=f"class {cls}",
                            marker={"size": 4, "color": marker, "line": {"width": 0.5, "color": "#ffffff"}},
                            showlegend=i == 0, legendgroup=str(cls), hoverinfo="skip", row=1, col=i + 1)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    rows = [[label(n)] + [pct(a) for a in r["accuracy"][i]] + [pct(r["accuracy"][i].mean())]
            for i, n in enumerate(names)]
    header = ["hidden activation"] + [f"seed {s + 1}" for s in range(r["accuracy"].shape[1])] + ["mean"]
    return tidy(fig, height=380, top=70), (header, rows)


@values("activations/boundaries-values", uses="activations/boundaries")
def boundaries_values(r: dict) -> dict:
    acc = dict(zip(r["activations"], r["accuracy"]))
    return {
        "steps": str(r["steps"]), "lr": f"{r['lr']:g}", "points": str(r["points"]),
        "hidden": " and ".join(str(h) for h in r["hidden"]),
        "seeds": str(r["accuracy"].shape[1]),
        **{f"{name}-acc": mean_range(a, lambda v: pct(v, 0)) for name, a in acc.items()},
        "bend": claim(apart(acc["relu"], acc["linear"]) and apart(acc["tanh"], acc["linear"]),
                      "every ReLU and tanh run classifies more moons points correctly than every linear run"),
        "linear-line": claim(acc["linear"].max() < 0.92,
                             "no linear run gets more than 92% of the points right: a straight line cannot follow "
                             "the moons"),
    }


# -- one network, five activations --------------------------------------------------------------

@figure("activations/training-curves", uses="activations/training",
        caption="Training loss and validation accuracy per epoch of the same network with each hidden "
                "activation, trained on the same MNIST split. Lines are the mean of three seeds (each seed gives "
                "every activation the same initial weights); bands run from the lowest to the highest seed. "
                "Training loss is the mean over each epoch's steps, as Keras reports it.")
def training_curves(r: dict) -> tuple[go.Figure, Table]:
    fig = make_subplots(rows=1, cols=2, subplot_titles=("training loss", "validation accuracy"))
    for i, name in enumerate(r["activations"]):
        seed_band(fig, r["epoch"], r["loss"][i], label(name), i, row=1, col=1)
        seed_band(fig, r["epoch"], r["val_accuracy"][i], label(name), i, showlegend=False, row=1, col=2)
    fig.update_xaxes(title_text="epoch", dtick=1)
    fig.update_yaxes(type="log", tickvals=LOG_TICKS, ticktext=[f"{v:g}" for v in LOG_TICKS], row=1, col=1)
    fig.update_yaxes(tickformat=".0%", row=1, col=2)
    names = [label(n) for n in r["activations"]]
    header = ["epoch"] + [f"{n}: loss" for n in names] + [f"{n}: validation accuracy" for n in names]
    loss, acc = r["loss"].mean(1), r["val_accuracy"].mean(1)
    rows = [[str(e)] + [num(x) for x in loss[:, k]] + [pct(x) for x in acc[:, k]] for k, e in enumerate(r["epoch"])]
    return tidy(fig, height=460, top=90), (header, rows)


@table("activations/final", uses="activations/training",
       caption="Where each activation ended, and how fast it started: mean of three seeds, with the lowest and "
               "highest seed in brackets.")
def final(r: dict) -> Table:
    header = ["hidden activation", "training loss, epoch 1", "final validation accuracy", "final training accuracy"]
    rows = [[label(name), mean_range(r["loss"][i, :, 0], num), mean_range(r["val_accuracy"][i, :, -1], pct),
             mean_range(r["accuracy"][i], pct)] for i, name in enumerate(r["activations"])]
    return header, rows


@values("activations/training-values", uses="activations/training")
def training_values(r: dict) -> dict:
    names = list(r["activations"])
    at = {name: i for i, name in enumerate(names)}
    loss1 = {n: r["loss"][at[n], :, 0] for n in names}
    final_acc = {n: r["val_accuracy"][at[n], :, -1] for n in names}
    by_speed = sorted(names, key=lambda n: loss1[n].mean())
    nonlinear = [n for n in names if n != "linear"]
    next_fastest = next(n for n in by_speed if n != "linear")
    sigmoid_behind = paired(final_acc["linear"], final_acc["sigmoid"], points=True, examples=int(r["val_rows"]),
                            what="linear minus sigmoid, final validation accuracy")
    out = {f"{n}-acc": mean_range(final_acc[n], pct) for n in names}
    out |= {f"{n}-loss1": mean_range(loss1[n], num) for n in names}
    out |= {f"{n}-train-acc": mean_range(r["accuracy"][at[n]], pct) for n in names}
    out |= {f"{n}-start-mean": num(r["start_mean"][at[n]].mean(), 2) for n in names}
    out |= {f"{n}-start-spread": num(r["start_spread"][at[n]].mean(), 2) for n in names}
    out |= {
        "epochs": str(len(r["epoch"])), "train-rows": f"{r['train_rows']:,}", "val-rows": f"{r['val_rows']:,}",
        "hidden": "-".join(str(h) for h in r["hidden"]), "batch": str(r["batch"]), "lr": f"{r['lr']:g}",
        "seeds": str(r["seeds"]), "speed-order": ", ".join(label(n) for n in by_speed),
        # above the next slowest is above all four: the test compares sigmoid with that one
        "sigmoid-slowest": paired(loss1["sigmoid"], loss1[by_speed[-2]],
                                  what=f"sigmoid minus {label(by_speed[-2])} (the next slowest), first-epoch "
                                       "training loss").claim(
            "sigmoid has the highest first-epoch training loss of the five"),
        "sigmoid-flat": claim(r["start_spread"][at["sigmoid"]].mean() < r["start_mean"][at["sigmoid"]].mean() / 3
                              and r["start_spread"][at["sigmoid"]].max() < r["start_spread"].min(1)[
                                  [at[n] for n in names if n != "sigmoid"]].min(),
                              "before training, sigmoid units output a nearly constant value near 0.5: their spread "
                              "from image to image is under a third of their level, and smaller than any other "
                              "activation's spread"),
        "linear-first": paired(loss1["linear"], loss1[next_fastest], higher="b",
                               what=f"linear minus {label(next_fastest)} (the fastest of the others), "
                                    "first-epoch training loss").claim(
            "the linear network has the lowest first-epoch training loss of the five"),
        "relu-family-beat-linear": claim(all(apart(final_acc[n], final_acc["linear"])
                                                 for n in ("relu", "leaky_relu", "tanh")),
                                         "ReLU, leaky ReLU and tanh each end above every linear run, on every seed"),
        "sigmoid-behind": sigmoid_behind.claim("after these epochs sigmoid still ends below the linear network"),
        "sigmoid-behind-test": sigmoid_behind.description(),
        "three-close": claim(np.ptp([final_acc[n].mean() for n in ("relu", "leaky_relu", "tanh")]) < 0.03,
                             "ReLU, leaky ReLU and tanh end within three points of each other"),
        "overfit": claim((r["accuracy"][at["relu"]] > final_acc["relu"] + 0.03).all(),
                         "ReLU's training accuracy is more than three points above its validation accuracy on "
                         "every seed"),
    }
    best = max(nonlinear, key=lambda n: final_acc[n].mean())
    runner_up = max((n for n in nonlinear if n != best), key=lambda n: final_acc[n].mean())
    out["best"] = label(best)
    out["runner-up"] = label(runner_up)
    out["best-apart"] = claim(apart(final_acc[best], final_acc[runner_up]),
                              f"{label(best)} ends above {label(runner_up)}, the next best, on every seed")
    return out


# -- initialisation -------------------------------------------------------------------------

@figure("activations/init", uses="activations/init",
        caption="The spread (standard deviation) of each layer's outputs when 500 MNIST digits pass through a "
                "freshly initialised stack of ten dense layers of 256 units, for four ways of drawing the "
                "initial weights. Forward passes only; log scale.")
def init(r: dict) -> tuple[go.Figure, Table]:
    acts = list(r["activations"])
    fig = make_subplots(rows=1, cols=2, subplot_titles=[f"{label(a)} layers" for a in acts])
    for a in range(len(acts)):
        for k, scheme in enumerate(r["schemes"]):
            fig.add_scatter(x=r["layer"], y=r["spread"][a, k], name=scheme, legendgroup=scheme, showlegend=a == 0,
                            mode="lines+markers", line={"color": color(k)}, row=1, col=a + 1)
    fig.update_xaxes(title_text="layer", dtick=1)
    fig.update_yaxes(type="log", exponentformat="power")
    fig.update_yaxes(title_text="spread of outputs", col=1)
    header = ["layer"] + [f"{label(a)}, {s}" for a in acts for s in r["schemes"]]
    rows = [[str(l)] + [num(r["spread"][a, k, i]) for a in range(len(acts)) for k in range(len(r["schemes"]))]
            for i, l in enumerate(r["layer"])]
    return tidy(fig, height=440, top=90), (header, rows)


@values("activations/init-values", uses="activations/init")
def init_values(r: dict) -> dict:
    s = {(a, k): r["spread"][i, j] for i, a in enumerate(r["activations"]) for j, k in enumerate(r["schemes"])}
    small, glorot, he, large = r["schemes"]
    last = len(r["layer"])
    return {
        "depth": str(last), "width": str(r["width"]), "images": str(r["images"]),
        **{f"{a}-{key}-last": num(s[(a, k)][-1], 2) for a in r["activations"]
           for key, k in zip(("small", "glorot", "he", "large"), r["schemes"])},
        "small-vanishes": claim(all(s[(a, small)][-1] < 1e-6 for a in r["activations"]),
                                "with weights of spread 0.01 the signal is below a millionth by the last layer"),
        "large-saturates": claim(s[("tanh", large)][-1] > 0.9 and s[("relu", large)][-1] > 1e3,
                                 "with weights of spread 1, tanh outputs sit at ±1 and ReLU outputs blow up"),
        "glorot-tanh": claim(0.1 < s[("tanh", glorot)][-1] < 1
                              and s[("relu", glorot)][-1] < s[("relu", glorot)][0] / 4,
                             "Glorot keeps tanh's spread within a factor of ten, but ReLU's shrinks layer by layer"),
        "he-relu": claim(0.5 < s[("relu", he)][-1] / s[("relu", he)][0] < 2,
                         "He keeps ReLU's spread within a factor of two over all ten layers"),
    }


# -- vanishing gradients ------------------------------------------------------------------------

def _power_of_ten(x: float) -> str:
    """A ratio as the nearest power of ten, '10⁶', for numbers only good to their order of magnitude."""
    sup = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
    return "10" + str(int(round(np.log10(x)))).translate(sup)


@figure("activations/vanishing", uses="activations/vanishing",
        caption="Gradient norm of each layer's weights (log scale) in a deep sigmoid network and the same "
                "network with ReLU, measured with `tf.GradientTape` on a fixed batch of 256 digits: the mean of "
                "three seeds, with bars from the lowest to the highest seed. Move the slider to see the norms "
                "after more SGD steps; the right panel shows the training loss of each step (mean and range "
                "over the seeds).")
def vanishing(r: dict) -> tuple[go.Figure, Table]:
    fig = make_subplots(rows=1, cols=2, column_widths=[0.55, 0.45],
                        subplot_titles=("gradient norms", "training loss"))
    checkpoints = list(r["checkpoints"])
    names = list(r["activations"])
    for c in range(len(checkpoints)):
        for i, name in enumerate(names):
            g = r["grad_norm"][i, :, c]
            mean = g.mean(0)
            fig.add_scatter(x=r["layer"], y=mean, name=label(name), legendgroup=name, visible=c == 0,
                            showlegend=c == 0, mode="lines+markers", line={"color": color(i)},
                            error_y={"type": "data", "symmetric": False, "array": g.max(0) - mean,
                                     "arrayminus": mean - g.min(0), "color": color(i)}, row=1, col=1)
    steps_x = np.arange(1, r["loss"].shape[2] + 1)
    for i, name in enumerate(names):
        seed_band(fig, steps_x, r["loss"][i], label(name), i, showlegend=False, row=1, col=2)
    n = len(names)
    steps = []
    for c, step in enumerate(checkpoints):
        mask = [k // n == c for k in range(n * len(checkpoints))] + [True] * 2 * n
        steps.append({"label": str(int(step)), "method": "restyle", "args": ["visible", mask]})
    fig.update_layout(sliders=[{"steps": steps, "currentvalue": {"prefix": "after SGD steps: "}, "pad": {"t": 70}}])
    fig.update_xaxes(title_text="layer (1 = nearest the input)", dtick=1, row=1, col=1)
    fig.update_xaxes(title_text="step", row=1, col=2)
    fig.update_yaxes(type="log", exponentformat="power", row=1, col=1)
    last = len(checkpoints) - 1
    header = ["layer"] + [f"{label(n)}, step {int(checkpoints[c])}" for n in names for c in (0, last)]
    rows = [[str(layer)] + [num(r["grad_norm"][i, :, c, k].mean()) for i in range(n) for c in (0, last)]
            for k, layer in enumerate(r["layer"])]
    return tidy(fig, height=560, top=80, bottom=130), (header, rows)


@values("activations/vanishing-values", uses="activations/vanishing")
def vanishing_values(r: dict) -> dict:
    out = {"depth": str(len(r["layer"]) - 1), "steps": str(r["loss"].shape[2]), "lr": f"{r['lr']:g}",
           "batch": str(r["batch"]), "width": str(r["width"]), "seeds": str(r["loss"].shape[1])}
    ratios = {}
    for i, name in enumerate(r["activations"]):
        first, last = r["grad_norm"][i, :, 0, 0], r["grad_norm"][i, :, 0, -1]
        ratios[name] = last / first
        out[f"{name}-first"] = _power_of_ten(first.mean()) if first.mean() < 1e-3 else num(first.mean(), 2)
        out[f"{name}-last"] = num(last.mean(), 2)
        out[f"{name}-ratio"] = _power_of_ten(np.exp(np.log(ratios[name]).mean())) if ratios[name].min() > 30 \
            else f"{ratios[name].min():.1f} to {ratios[name].max():.1f}"
        loss = r["loss"][i]
        out[f"{name}-loss-start"] = num(loss[:, :10].mean(), 2)
        out[f"{name}-loss-end"] = mean_range(loss[:, -20:].mean(1), lambda v: num(v, 2))
        out[f"{name}-acc"] = mean_range(r["val_accuracy"][i], lambda v: pct(v, 0))
    sig, relu = r["loss"][0], r["loss"][1]
    out["sigmoid-stuck"] = claim(np.abs(sig[:, -20:].mean(1) - np.log(10)).max() < 0.1,
                                 "the sigmoid network's loss stays within 0.1 of ln 10 ≈ 2.30, a uniform guess, "
                                 "on every seed")
    out["relu-learns"] = claim((relu[:, -20:].mean(1) < sig[:, -20:].mean(1) - 0.3).all(),
                               "the ReLU network's loss ends well below the sigmoid network's on every seed")
    out["ratio-gap"] = claim(ratios["sigmoid"].min() > 100 * ratios["relu"].max(),
                             "the sigmoid network's output-to-first-layer gradient ratio is over a hundred times "
                             "the ReLU network's, on every seed")
    return out


# -- dying ReLU -----------------------------------------------------------------------------

@figure("activations/dying", uses="activations/dying",
        caption="Share of hidden units that are dead — not positive for any of the training images — before "
                "training and after each epoch, for ReLU and leaky ReLU at a normal and a too-high Adam learning "
                "rate: the mean of three seeds, bands from the lowest to the highest seed. Choose the hidden "
                "layer in the menu.")
def dying(r: dict) -> tuple[go.Figure, Table]:
    fig = go.Figure()
    runs = [f"{label(a)}, rate {lr:g}" for a, lr in zip(r["run_activations"], r["run_rates"])]
    share = r["dead_units"].mean(-1)  # run, seed, epoch, layer
    layers = share.shape[3]
    for layer in range(layers):
        for i, run in enumerate(runs):
            before = len(fig.data)
            seed_band(fig, r["epoch"], share[i, :, :, layer], run, i, dash="dash" if "leaky" in run else "solid")
            for trace in fig.data[before:]:
                trace.visible = layer == 0
    per_layer = 2 * len(runs)
    buttons = [{"label": f"hidden layer {layer + 1}", "method": "update",
                "args": [{"visible": [k // per_layer == layer for k in range(per_layer * layers)]}]}
               for layer in range(layers)]
    fig.update_layout(updatemenus=[{"name": "hidden layer shown", "buttons": buttons, "x": 1, "xanchor": "right", "y": 1.28, "yanchor": "top"}],
                      xaxis_title="epoch (0 = before training)", yaxis_title="units never positive",
                      yaxis_tickformat=".0%",
                      yaxis_range=[0, 1], xaxis_dtick=1)
    header = ["run", "layer"] + [f"epoch {int(e)}" for e in r["epoch"]]
    rows = [[run, str(layer + 1)] + [pct(v, 0) for v in share[i, :, :, layer].mean(0)]
            for i, run in enumerate(runs) for layer in range(layers)]
    return tidy(fig, height=460, top=120), (header, rows)


def _count_revived(dead: np.ndarray) -> int:
    """How many units (summed over seeds) were dead at some epoch and alive at a later one."""
    total = 0
    for per_seed in dead:  # epoch, unit
        alive_later = np.zeros(per_seed.shape[1], dtype=bool)
        for e in range(len(per_seed) - 1):
            alive_later |= per_seed[e] & ~per_seed[e + 1:].all(0)
        total += int(alive_later.sum())
    return total


@values("activations/dying-values", uses="activations/dying")
def dying_values(r: dict) -> dict:
    high = max(r["rates"])
    share = r["dead_units"].mean(-1)  # run, seed, epoch, layer
    out, key_of = {}, {}
    for i, (activation, lr) in enumerate(zip(r["run_activations"], r["run_rates"])):
        key = f"{activation.replace('_', '-')}-{'high' if lr == high else 'low'}"
        key_of[key] = i
        for layer in range(share.shape[3]):
            out[f"{key}-dead-{layer + 1}"] = mean_range(share[i, :, -1, layer], lambda v: pct(v, 0))
            out[f"{key}-peak-{layer + 1}"] = mean_range(share[i, :, :, layer].max(1), lambda v: pct(v, 0))
            out[f"{key}-revived-{layer + 1}"] = str(_count_revived(r["dead_units"][i, :, :, layer]))
        out[f"{key}-acc"] = mean_range(r["val_accuracy"][i], pct)
    relu, leaky, relu_low = key_of["relu-high"], key_of["leaky-relu-high"], key_of["relu-low"]
    dead = r["dead_units"]
    out |= {"high-lr": f"{high:g}", "low-lr": f"{min(r['rates']):g}", "epochs": str(len(r["epoch"]) - 1),
            "train-rows": f"{r['train_rows']:,}", "val-rows": f"{r['val_rows']:,}", "batch": str(r["batch"]),
            "seeds": str(dead.shape[1]), "units-1": str(dead.shape[-1]),
            "relu-high-dies": claim((share[relu, :, -1, 0] > 0.2).all(),
                                    "at the high rate more than a fifth of ReLU's first-layer units are dead at the "
                                    "end, on every seed"),
            "first-layer-stays-dead": claim(_count_revived(dead[relu, :, :, 0])
                                             <= 0.05 * dead[relu, :, -1, 0].sum(),
                                            "almost no dead first-layer ReLU unit comes back"),
            "second-layer-revives": claim(_count_revived(dead[relu, :, :, 1]) > 0,
                                          "some second-layer ReLU units die and come back"),
            "leaky-recovers": claim((share[leaky, :, -1, 0] < share[leaky, :, :, 0].max(1) / 2).all(),
                                    "at the high rate, leaky ReLU's share of first-layer units negative for every "
                                    "digit ends below half its peak on every seed"),
            "low-healthy": claim((share[relu_low, :, -1, 0] < 0.05).all()
                                  and (share[relu_low, :, -1, 1] < 0.1).all(),
                                 "at the normal rate fewer than 5% of ReLU's first-layer units and fewer than 10% of "
                                 "its second-layer units are dead at the end, on every seed"),
            "leaky-not-better": claim(apart(r["val_accuracy"][relu], r["val_accuracy"][leaky]),
                                      "at the high rate ReLU, dead units and all, ends above leaky ReLU on every seed")}
    return out
