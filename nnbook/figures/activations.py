"""Figures, tables and values for the activation functions page.

Experiments that compare settings run from several seeds: curves show the mean across seeds
with a band from the lowest to the highest seed, and numbers give the mean with that range.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nnbook.evidence import equivalent, paired
from nnbook.figures.style import Table, color, mean_range, num, pct, seed_band, tidy
from nnbook.figures.style import label as style_label
from nnbook.registry import figure, table, values

LOG_TICKS = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5]  # labelled values on log loss axes
NAMES = {"gelu": "GELU", "silu": "SiLU", "sigmoid_centred": "sigmoid − ½", "relu_he": "ReLU, He init",
         "linear": "linear (none)"}


def label(name: str) -> str:
    """A reader's name for an activation of this page."""
    return NAMES.get(name) or style_label(name)


def _gap_words(points: np.ndarray) -> str:
    """How far the best straight line is above the trained linear network, seed by seed: every seed
    alike is reported as such (on the same training points an interval over them would have no width)."""
    if np.all(points == points[0]):
        return f"{abs(points[0]):.1f} points {'more' if points[0] >= 0 else 'fewer'} than the trained linear " \
               f"network in each of the {len(points)} seeds"
    return f"{points.min():+.1f} to {points.max():+.1f} points against the trained linear network, seed by seed"


def _const(value: float, like: np.ndarray) -> np.ndarray:
    """`value` once per seed: the other side of a one-sample test."""
    return np.full(np.shape(like), value, dtype=np.float64)


@figure("activations/curves", uses="activations/curves",
        caption="Each activation function (solid) and its derivative (dotted), computed with "
                "`keras.activations` and automatic differentiation; nothing is trained. Softmax is a function of "
                "a whole vector: shown is its first output for the inputs (x, 0, 0), and its dotted curve is one "
                "entry of its Jacobian, ∂(output 1)/∂x. Pick a function in the menu.")
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


@values("activations/curve-values", uses="activations/curves")
def curve_values(r: dict) -> dict:
    x = r["x"]
    at = lambda name, v: float(r[f"d_{name}"][np.argmin(np.abs(x - v))])  # noqa: E731
    return {"sigmoid-peak": f"{r['d_sigmoid'].max():.2f}", "tanh-peak": f"{r['d_tanh'].max():.2f}",
            "sigmoid-slope-5": f"{at('sigmoid', 5):.1e}", "tanh-slope-5": f"{at('tanh', 5):.1e}",
            "slope-ratio-5": f"{at('sigmoid', 5) / at('tanh', 5):.0f}",
            "gelu-min": num(r["gelu"].min(), 2), "silu-min": num(r["silu"].min(), 2)}


# -- bending: decision boundaries --------------------------------------------------------------

@figure("activations/boundaries", uses="activations/boundaries",
        caption="The same small network (two inputs, two hidden layers, one output) trained on the two moons with no activation, with ReLU and with "
                "tanh in its hidden layers. The shading is the network's answer at every point of the plane "
                "(blue: class 0, red: class 1; the boundary is where it reads one half); the dots are the training "
                "points. Shown for the first seed; the table gives the accuracy of every seed.")
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
    line = float(r["best_line"])
    bend = {n: paired(acc[n], acc["linear"], points=True, margin=0.05,
                      what=f"{label(n)} minus linear, share of training points classified correctly") for n in ("relu", "tanh")}
    return {
        "steps": str(r["steps"]), "lr": f"{r['lr']:g}", "points": str(r["points"]),
        "hidden": " and ".join(str(h) for h in r["hidden"]),
        "seeds": str(r["accuracy"].shape[1]), "best-line": pct(line),
        **{f"{name}-acc": mean_range(a, lambda v: pct(v, 0)) for name, a in acc.items()},
        "bend": bend["relu"].claim("ReLU classifies more than 5 points more of the moons correctly than the linear "
                                   "network"),
        "bend-tanh": bend["tanh"].claim("tanh classifies more than 5 points more of the moons correctly than the "
                                        "linear network"),
        "linear-gap": _gap_words(100 * (line - acc["linear"])),
    }


# -- one network, five activations --------------------------------------------------------------

@figure("activations/training-curves", uses="activations/training",
        caption="Training loss and validation accuracy per epoch of the same network with each hidden "
                "activation, trained on the same MNIST split. Lines are the mean over seeds (each seed gives "
                "every activation the same initial draw); bands run from the lowest to the highest seed. "
                "Training loss is the mean over each epoch's steps, as Keras reports it. Click a legend entry "
                "to hide or show a curve.")
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
       caption="Where each activation ended, and how fast it started: the mean over seeds, with the lowest and "
               "highest seed in brackets. Training accuracy is measured on all training digits after training.")
def final(r: dict) -> Table:
    header = ["hidden activation", "training loss, epoch 1", "final validation accuracy", "final training accuracy"]
    rows = [[label(name), mean_range(r["loss"][i, :, 0], num), mean_range(r["val_accuracy"][i, :, -1], pct),
             mean_range(r["accuracy"][i], pct)] for i, name in enumerate(r["activations"])]
    return header, rows


def _speed_order(by_speed: list[str], loss1: dict) -> str:
    """The activations from fastest to slowest start; neighbours whose paired first-epoch losses show no
    clear difference are grouped, "SiLU and ReLU (not told apart)", rather than put in an order the seeds
    do not settle."""
    groups = [[by_speed[0]]]
    for faster, slower in zip(by_speed, by_speed[1:]):
        if paired(loss1[slower], loss1[faster]).verdict == "above 0":
            groups.append([slower])
        else:
            groups[-1].append(slower)
    words = lambda g: label(g[0]) if len(g) == 1 else \
        ", ".join(map(label, g[:-1])) + " and " + label(g[-1]) + " (not told apart)"  # noqa: E731
    return ", ".join(words(g) for g in groups)


def _place(order: list[str], name: str) -> str:
    """Where `name` falls in `order`, in words: "between GELU and SiLU", "before tanh", "after sigmoid"."""
    k = order.index(name)
    rest = order[:k] + order[k + 1:]
    if k == 0:
        return f"before {label(rest[0])}"
    if k == len(order) - 1:
        return f"after {label(rest[-1])}"
    return f"between {label(order[k - 1])} and {label(order[k + 1])}"


def _place_settled(order: list[str], name: str, loss1: dict) -> str:
    """`_place`, and whether the paired first-epoch losses tell `name` from its neighbours."""
    k = order.index(name)  # `order` runs from the lowest mean loss up: the later of a pair has the higher
    pairs = [(name, order[k - 1])] * (k > 0) + [(order[k + 1], name)] * (k + 1 < len(order))
    clear = [paired(loss1[higher], loss1[lower]).verdict == "above 0" for higher, lower in pairs]
    told = "told apart from both" if all(clear) else "not told apart from either" if not any(clear) else \
        "told apart from one of them only"
    return f"{_place(order, name)} on average, {told}"


@values("activations/training-values", uses="activations/training")
def training_values(r: dict) -> dict:
    names = list(r["activations"])
    at = {name: i for i, name in enumerate(names)}
    loss1 = {n: r["loss"][at[n], :, 0] for n in names}
    final_acc = {n: r["val_accuracy"][at[n], :, -1] for n in names}
    correct = {n: r["val_correct"][at[n]] for n in names}  # seed, validation digit
    plain = [n for n in names if n != "relu_he"]  # the comparison of activations, all with Glorot's draw
    by_speed = sorted(plain, key=lambda n: loss1[n].mean())
    next_fastest = next(n for n in by_speed if n != "linear")
    others = [n for n in plain if n not in ("sigmoid", "sigmoid_centred")]
    slowest_other = max(others, key=lambda n: loss1[n].mean())
    modern = ("relu", "leaky_relu", "gelu", "silu", "tanh")
    vs = lambda a, b, what: paired(final_acc[a], final_acc[b], points=True, examples=(correct[a], correct[b]),  # noqa: E731
                                   what=what)
    sigmoid_behind = vs("linear", "sigmoid", "linear minus sigmoid, final validation accuracy")
    centred = paired(loss1["sigmoid"], loss1["sigmoid_centred"],
                     what="sigmoid minus (sigmoid − ½), first-epoch training loss")
    centred_vs_tanh = paired(loss1["sigmoid_centred"], loss1["tanh"],
                             what="(sigmoid − ½) minus tanh, first-epoch training loss")
    he = vs("relu_he", "relu", "ReLU with He minus ReLU with Glorot initial weights, final validation accuracy")
    gelu = vs("gelu", "relu", "GELU minus ReLU, final validation accuracy")
    silu = vs("silu", "relu", "SiLU minus ReLU, final validation accuracy")
    tanh = vs("tanh", "relu", "tanh minus ReLU, final validation accuracy")
    out = {f"{n}-acc": mean_range(final_acc[n], pct) for n in names}
    out |= {f"{n}-loss1": mean_range(loss1[n], num) for n in names}
    out |= {f"{n}-train-acc": mean_range(r["accuracy"][at[n]], pct) for n in names}
    out |= {f"{n}-start-mean": num(r["start_mean"][at[n]].mean(), 2) for n in names}
    out |= {f"{n}-start-spread": num(r["start_spread"][at[n]].mean(), 2) for n in names}
    out |= {
        "epochs": str(len(r["epoch"])), "train-rows": f"{r['train_rows']:,}", "val-rows": f"{r['val_rows']:,}",
        "hidden": "-".join(str(h) for h in r["hidden"]), "batch": str(r["batch"]), "lr": f"{r['lr']:g}",
        "seeds": str(r["seeds"]), "speed-order": _speed_order(by_speed, loss1),
        "he-place": _place_settled(sorted(names, key=lambda n: loss1[n].mean()), "relu_he", loss1),
        "sigmoid-slowest": paired(loss1["sigmoid"], loss1[slowest_other],
                                  what=f"sigmoid minus {label(slowest_other)} (the slowest of the activations "
                                       "other than sigmoid and sigmoid − ½), first-epoch training loss").claim(
            "sigmoid's first-epoch training loss is above that of every activation but its centred copy"),
        "linear-first": paired(loss1["linear"], loss1[next_fastest], higher="b",
                               what=f"linear minus {label(next_fastest)} (the fastest of the others), "
                                    "first-epoch training loss").claim(
            "the linear network has the lowest first-epoch training loss of them all"),
        **{f"{n}-beats-linear": vs(n, "linear", f"{label(n)} minus linear, final validation accuracy").claim(
            f"{label(n)} ends above the linear network") for n in modern},
        "sigmoid-behind": sigmoid_behind.claim("after these epochs sigmoid still ends below the linear network"),
        "sigmoid-behind-test": sigmoid_behind.description(),
        "centred-test": centred.description(), "centred-verdict": centred.reading,
        "centred-tanh-test": centred_vs_tanh.description(), "centred-tanh-verdict": centred_vs_tanh.reading,
        "he-test": he.description(), "he-verdict": he.reading,
        "gelu-test": gelu.description(), "gelu-verdict": gelu.reading,
        "silu-test": silu.description(), "silu-verdict": silu.reading,
        "tanh-test": tanh.description(), "tanh-verdict": tanh.reading,
        "overfit": paired(r["accuracy"][at["relu"]], final_acc["relu"], points=True, margin=0.03,
                          examples=int(r["val_rows"]),
                          what="ReLU, training minus validation accuracy after training").claim(
            "ReLU's training accuracy ends more than three points above its validation accuracy"),
    }
    out["centred-faster"] = centred.claim("centring sigmoid's outputs on zero lowers its first-epoch loss")
    out["centred-slower-than-tanh"] = centred_vs_tanh.claim(
        "sigmoid − ½ still starts slower than tanh, whose slope at zero is four times larger")
    most_remains = paired(loss1["sigmoid_centred"], (loss1["sigmoid"] + loss1["tanh"]) / 2,
                          what="(sigmoid − ½) minus the midpoint of sigmoid and tanh, first-epoch training loss")
    out["centred-most-remains"] = most_remains.claim(
        "after centring, more than half of sigmoid's first-epoch gap to tanh remains")
    out["centred-remains-share"] = pct(float(np.mean((loss1["sigmoid_centred"] - loss1["tanh"])
                                                      / (loss1["sigmoid"] - loss1["tanh"]))), 0)
    return out


# -- initialisation -------------------------------------------------------------------------

@figure("activations/init", uses="activations/init",
        caption="The spread (standard deviation) of each layer's outputs when standardised MNIST digits pass "
                "through a freshly initialised stack of dense layers, for four ways of drawing the initial "
                "weights: the mean over several initial draws (the draws barely differ). Forward passes only, "
                "nothing is trained; log scale.")
def init(r: dict) -> tuple[go.Figure, Table]:
    acts = list(r["activations"])
    spread = r["spread"].mean(2)  # activation, scheme, layer
    fig = make_subplots(rows=1, cols=2, subplot_titles=[f"{label(a)} layers" for a in acts])
    for a in range(len(acts)):
        for k, scheme in enumerate(r["schemes"]):
            fig.add_scatter(x=r["layer"], y=spread[a, k], name=scheme, legendgroup=scheme, showlegend=a == 0,
                            mode="lines+markers", line={"color": color(k)}, row=1, col=a + 1)
    fig.update_xaxes(title_text="layer", dtick=1)
    fig.update_yaxes(type="log", exponentformat="power")
    fig.update_yaxes(title_text="spread of outputs", col=1)
    header = ["layer"] + [f"{label(a)}, {s}" for a in acts for s in r["schemes"]]
    rows = [[str(l)] + [num(spread[a, k, i]) for a in range(len(acts)) for k in range(len(r["schemes"]))]
            for i, l in enumerate(r["layer"])]
    return tidy(fig, height=460, top=110), (header, rows)


@values("activations/init-values", uses="activations/init")
def init_values(r: dict) -> dict:
    s = {(a, k): r["spread"][i, j] for i, a in enumerate(r["activations"]) for j, k in enumerate(r["schemes"])}
    small, glorot, he, large = r["schemes"]
    last = len(r["layer"])
    log_last = lambda a, k: np.log(s[(a, k)][:, -1])  # noqa: E731 - per seed
    out = {"depth": str(last), "width": str(r["width"]), "images": str(r["images"]), "seeds": str(r["spread"].shape[2]),
           **{f"{a}-{key}-{at}": num(s[(a, k)][:, i].mean(), 3) for a in r["activations"]
              for key, k in zip(("small", "glorot", "he", "large"), r["schemes"]) for at, i in (("first", 0), ("last", -1))}}
    out |= {
        "small-vanishes": paired(_const(-6, s[("relu", small)][:, -1]), np.log10(s[("relu", small)][:, -1]),
                                 what="−6 minus log10 of ReLU's last-layer spread with weights of spread 0.01").claim(
            "with weights of spread 0.01 the ReLU signal is below a millionth by the last layer"),
        "small-vanishes-tanh": paired(_const(-6, s[("tanh", small)][:, -1]), np.log10(s[("tanh", small)][:, -1]),
                                      what="−6 minus log10 of tanh's last-layer spread with weights of spread "
                                           "0.01").claim(
            "with weights of spread 0.01 the tanh signal is below a millionth by the last layer"),
        "large-saturates": paired(s[("tanh", large)][:, -1], _const(0.9, s[("tanh", large)][:, -1]),
                                  what="tanh's last-layer spread with weights of spread 1, minus 0.9").claim(
            "with weights of spread 1 tanh outputs sit near ±1: their spread is above 0.9"),
        "large-explodes": paired(np.log10(s[("relu", large)][:, -1]), _const(3, s[("relu", large)][:, -1]),
                                 what="log10 of ReLU's last-layer spread with weights of spread 1, minus 3").claim(
            "with weights of spread 1 ReLU outputs blow up past a thousand"),
        "he-tanh": paired(log_last("tanh", he), log_last("tanh", glorot),
                          what="tanh, ln(last-layer spread) under He minus under Glorot").claim(
            "He initialisation keeps more of tanh's spread to the last layer than Glorot does"),
        "he-relu": paired(log_last("relu", he), log_last("relu", glorot), margin=np.log(4),
                          what="ReLU, ln(last-layer spread) under He minus under Glorot").claim(
            "under He initialisation ReLU's last-layer spread is more than four times its spread under Glorot"),
        "he-relu-ratio": f"{np.exp((log_last('relu', he) - log_last('relu', glorot)).mean()):.0f}",
    }
    return out


# -- vanishing gradients ------------------------------------------------------------------------

def _power_of_ten(x: float) -> str:
    """A ratio as the nearest power of ten, '10⁶', for numbers only good to their order of magnitude."""
    sup = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
    return "10" + str(int(round(np.log10(x)))).translate(sup)


@figure("activations/vanishing", uses="activations/vanishing",
        caption="Gradient norm of each layer's weights (log scale) in a deep sigmoid network and the same "
                "network with ReLU, measured with `tf.GradientTape` on a fixed batch of digits: the mean over "
                "seeds, with bars from the lowest to the highest seed. Move the slider to see the norms after "
                "more SGD steps; the right panel shows the training loss of each step (mean and range over the "
                "seeds).")
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
    ratios, ends = {}, {}
    for i, name in enumerate(r["activations"]):
        first, last = r["grad_norm"][i, :, 0, 0], r["grad_norm"][i, :, 0, -1]
        ratios[name] = last / first
        out[f"{name}-first"] = _power_of_ten(first.mean()) if first.mean() < 1e-3 else num(first.mean(), 2)
        out[f"{name}-last"] = num(last.mean(), 2)
        out[f"{name}-ratio"] = _power_of_ten(np.exp(np.log(ratios[name]).mean())) if ratios[name].min() > 30 \
            else f"{ratios[name].min():.1f} to {ratios[name].max():.1f}"
        loss = r["loss"][i]
        ends[name] = loss[:, -20:].mean(1)
        out[f"{name}-loss-start"] = num(loss[:, :10].mean(), 2)
        out[f"{name}-loss-end"] = mean_range(ends[name], lambda v: num(v, 2))
        out[f"{name}-acc"] = mean_range(r["val_accuracy"][i], lambda v: pct(v, 0))
        fwd = r["forward_spread"][i]  # seed, layer
        out[f"{name}-forward-factor"] = f"{np.exp(np.log(fwd[:, 1:] / fwd[:, :-1]).mean()):.2f}"
        out[f"{name}-forward-first"] = num(fwd[:, 0].mean())
        out[f"{name}-forward-last"] = num(fwd[:, -1].mean())
    out["sigmoid-stuck"] = equivalent(ends["sigmoid"], _const(np.log(10), ends["sigmoid"]), 0.1,
                                      what="the sigmoid network's loss over the last steps minus ln 10",
                                      control=(ends["relu"], _const(np.log(10), ends["relu"])),
                                      control_name="the ReLU network, which learns").claim(
        "the sigmoid network's loss stays within 0.1 of ln 10 ≈ 2.30, a uniform guess")
    learns = paired(ends["sigmoid"], ends["relu"], margin=0.3, what="loss over the last steps, sigmoid minus ReLU")
    out["relu-learns"] = learns.claim(f"the ReLU network's loss ends more than {learns.margin:g} below the sigmoid "
                                      "network's")
    out["relu-learns-margin"] = f"{learns.margin:g}"
    out["ratio-gap"] = paired(np.log10(ratios["sigmoid"]), np.log10(ratios["relu"]), margin=2,
                              what="log10 of the output-to-first-layer gradient ratio, sigmoid minus ReLU").claim(
        "the sigmoid network's output-to-first-layer gradient ratio is more than a hundred times the ReLU "
        "network's")
    return out


# -- dying ReLU -----------------------------------------------------------------------------

@figure("activations/dying", uses="activations/dying",
        caption="Share of hidden units that are dead — not positive for any of the training images — before "
                "training and after each epoch, for ReLU and leaky ReLU at a normal and a too-high Adam learning "
                "rate: the mean over seeds, bands from the lowest to the highest seed. Choose the hidden "
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
            out[f"{key}-died-{layer + 1}"] = str(int(r["dead_units"][i, :, :, layer].any(1).sum()))
        out[f"{key}-acc"] = mean_range(r["val_accuracy"][i], pct)
    relu, leaky, relu_low = key_of["relu-high"], key_of["leaky-relu-high"], key_of["relu-low"]
    dead = r["dead_units"]
    acc, correct = r["val_accuracy"], r["val_correct"]
    relu_vs_leaky = paired(acc[relu], acc[leaky], points=True, examples=(correct[relu], correct[leaky]),
                           what="at the high rate, ReLU minus leaky ReLU, validation accuracy")
    out |= {"high-lr": f"{high:g}", "low-lr": f"{min(r['rates']):g}", "epochs": str(len(r["epoch"]) - 1),
            "train-rows": f"{r['train_rows']:,}", "val-rows": f"{r['val_rows']:,}", "batch": str(r["batch"]),
            "seeds": str(dead.shape[1]), "units-1": str(dead.shape[-1]),
            "relu-high-dies": paired(share[relu, :, -1, 0], share[relu_low, :, -1, 0], points=True, margin=0.2,
                                     what="share of dead first-layer ReLU units at the end, high rate minus normal "
                                          "rate").claim(
                "at the high rate more than 20 points more of ReLU's first-layer units are dead at the end than "
                "at the normal rate"),
            "leaky-recovers": paired(share[leaky, :, :, 0].max(1) / 2, share[leaky, :, -1, 0], points=True,
                                     what="at the high rate, half of leaky ReLU's peak share of first-layer units "
                                          "negative for every digit, minus its share at the end").claim(
                "at the high rate, leaky ReLU's share of first-layer units negative for every digit ends below "
                "half its peak"),
            "relu-vs-leaky-test": relu_vs_leaky.description(), "relu-vs-leaky-verdict": relu_vs_leaky.reading}
    for name, low_key, high_key in (("relu", "relu-low", "relu-high"), ("leaky", "leaky-relu-low", "leaky-relu-high")):
        lo, hi = key_of[low_key], key_of[high_key]
        rate = paired(acc[lo], acc[hi], points=True, examples=(correct[lo], correct[hi]),
                      what=f"{'ReLU' if name == 'relu' else 'leaky ReLU'}, normal minus high rate, validation accuracy")
        out[f"{name}-rate-test"], out[f"{name}-rate-verdict"] = rate.description(), rate.reading
    return out


# -- a sum of ReLUs ----------------------------------------------------------------------------

@figure("activations/relu-sum", uses="activations/relu-sum",
        caption="A curve (grey) and the best fit to it by a constant plus a sum of ReLUs, c + Σ aᵢ·max(0, x − kᵢ), "
                "with evenly spaced kinks kᵢ (dots) and the weights aᵢ fitted by least squares: computed in NumPy, "
                "nothing is trained. Move the slider to use more ReLUs. Each ReLU adds one bend; with enough "
                "bends the sum follows any continuous curve on an interval.")
def relu_sum(r: dict) -> tuple[go.Figure, Table]:
    fig = go.Figure()
    fig.add_scatter(x=r["x"], y=r["target"], name="target curve", line={"color": "#9aa3ad", "width": 5})
    counts = [int(n) for n in r["counts"]]
    for i, n in enumerate(counts):
        fig.add_scatter(x=r["x"], y=r["fits"][i], name=f"sum of {n} ReLU{'s' * (n != 1)}", visible=i == 0,
                        line={"color": color(0), "width": 2})
        k = np.linspace(-3, 3, n + 1)[:-1]  # the experiment's kinks (`relu_kinks`)
        fig.add_scatter(x=k, y=np.interp(k, r["x"], r["fits"][i]), mode="markers", name="kinks", visible=i == 0,
                        marker={"color": color(3), "size": 7}, showlegend=i == 0, legendgroup="kinks")
    steps = [{"label": str(n), "method": "restyle",
              "args": ["visible", [True] + [j // 2 == i for j in range(2 * len(counts))]]} for i, n in enumerate(counts)]
    fig.update_layout(sliders=[{"steps": steps, "currentvalue": {"prefix": "ReLUs: "}, "pad": {"t": 40}}],
                      xaxis_title="x", yaxis_title="y")
    rows = [[str(n), num(e, 2)] for n, e in zip(counts, r["max_error"])]
    return tidy(fig, height=480, top=100, bottom=110), (["ReLUs", "largest error of the fit"], rows)


@values("activations/relu-sum-values", uses="activations/relu-sum")
def relu_sum_values(r: dict) -> dict:
    return {"fewest": str(int(r["counts"][0])), "most": str(int(r["counts"][-1])),
            "fewest-error": num(r["max_error"][0], 2), "most-error": num(r["max_error"][-1], 2)}
