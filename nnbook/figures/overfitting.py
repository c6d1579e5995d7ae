"""Figures, tables and values for the page on underfitting, overfitting and the cures.

Runs over several seeds are drawn as the mean with a band or error bars from the lowest to
the highest seed; "beyond seed noise" means those ranges do not overlap.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nnbook.figures.style import Table, color, mean_range, num, pct, rgba, seed_band, tidy
from nnbook.registry import claim, figure, table, values



def spread(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, lowest and highest over the seed axis (the first)."""
    return x.mean(0), x.min(0), x.max(0)




def signed(x: float) -> str:
    """A signed difference in points, one decimal, with a true minus sign."""
    return f"{x:+.1f}".replace("-", "−")


def apart(better: np.ndarray, worse: np.ndarray, lower_is_better: bool = True) -> bool:
    """Every seed of `better` beats every seed of `worse`: the ranges do not overlap."""
    return better.max() < worse.min() if lower_is_better else better.min() > worse.max()


def reader_list(names: list[str]) -> str:
    if not names:
        return "none of them"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]






def error_bars(runs: np.ndarray) -> dict:
    """Plotly error bars from the mean to the lowest and highest seed."""
    mean, lo, hi = spread(runs)
    return {"type": "data", "symmetric": False, "array": (hi - mean).astype(np.float32),
            "arrayminus": (mean - lo).astype(np.float32), "thickness": 1.2}


# --- capacity ------------------------------------------------------------------------------------

def capacity_picks(r: dict) -> dict[str, int]:
    """Underfit: the highest final training loss; good: the lowest final validation loss;
    overfit: the largest final gap between validation and training loss (means over seeds)."""
    train, val = r["loss"][:, :, -1].mean(1), r["val_loss"][:, :, -1].mean(1)
    return {"underfit": int(np.argmax(train)), "good": int(np.argmin(val)), "overfit": int(np.argmax(val - train))}


def width_name(r: dict, i: int) -> str:
    return f"{r['depth']}×{int(r['widths'][i])} units"


@figure("overfitting/capacity", uses="overfitting/capacity",
        caption="Loss and accuracy after the last epoch for networks of two hidden layers of growing width, "
                "all trained on the same small set of MNIST digits, against their number of weights (log "
                "scale). Points are the mean of the seeds, bars run from the lowest to the highest seed.")
def capacity(r: dict) -> tuple[go.Figure, Table]:
    fig = make_subplots(rows=1, cols=2, subplot_titles=("final loss", "final accuracy"))
    params = r["params"]
    for col, metric in ((1, "loss"), (2, "accuracy")):
        for i, (name, key) in enumerate((("training", metric), ("validation", f"val_{metric}"))):
            runs = r[key][:, :, -1].T  # seed, width
            fig.add_scatter(x=params, y=runs.mean(0).astype(np.float32), error_y=error_bars(runs),
                            name=name, legendgroup=name, showlegend=col == 1, mode="lines+markers",
                            line={"color": color(i)}, row=1, col=col,
                            customdata=[width_name(r, k) for k in range(len(params))],
                            hovertemplate="%{customdata}, %{x:,} weights: %{y:.3f}")
    fig.update_xaxes(type="log", dtick=1, title_text="weights in the network")
    fig.update_yaxes(tickformat=".0%", row=1, col=2)
    header = ["network", "weights", "training loss", "validation loss", "training accuracy", "validation accuracy"]
    rows = [[width_name(r, k), f"{int(p):,}", mean_range(r["loss"][k, :, -1]), mean_range(r["val_loss"][k, :, -1]),
             mean_range(r["accuracy"][k, :, -1], pct), mean_range(r["val_accuracy"][k, :, -1], pct)]
            for k, p in enumerate(params)]
    return tidy(fig, height=440, top=80, hovermode="closest"), (header, rows)


@figure("overfitting/capacity-curves", uses="overfitting/capacity",
        caption="Training (solid) and validation (dashed) loss per epoch of three networks from the sweep above, "
                "picked by the numbers: the one with the highest final training loss, the one with the lowest "
                "final validation loss, and the one with the largest final gap between the two. Lines are the "
                "mean of the seeds, bands their range.")
def capacity_curves(r: dict) -> tuple[go.Figure, Table]:
    picks = capacity_picks(r)
    titles = [f"{role}<br>{width_name(r, k)}" for role, k in picks.items()]
    fig = make_subplots(rows=1, cols=3, subplot_titles=titles, shared_yaxes=True, horizontal_spacing=0.04)
    epoch = r["epoch"]
    for col, k in enumerate(picks.values(), start=1):
        seed_band(fig, epoch, r["loss"][k], "training", 0, showlegend=col == 1, row=1, col=col)
        seed_band(fig, epoch, r["val_loss"][k], "validation", 1, dash="dash", showlegend=col == 1, row=1, col=col)
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(title_text="loss", row=1, col=1)
    header = ["epoch"] + [f"{t}, {part}" for t in picks for part in ("training loss", "validation loss")]
    step = max(1, len(epoch) // 20)
    rows = [[str(int(e))] + [num(r[key][k, :, j].mean()) for k in picks.values() for key in ("loss", "val_loss")]
            for j, e in enumerate(epoch) if j % step == 0 or j == len(epoch) - 1]
    return tidy(fig, height=440, top=100, hovermode="x unified"), (header, rows)


@values("overfitting/capacity-values", uses="overfitting/capacity")
def capacity_values(r: dict) -> dict:
    picks = capacity_picks(r)
    train, val = r["loss"][:, :, -1], r["val_loss"][:, :, -1]  # width, seed
    val_acc = r["val_accuracy"][:, :, -1]
    good, small, large = picks["good"], 0, len(r["widths"]) - 1
    best_epoch = r["val_loss"].mean(1).argmin(1)  # per width, of the mean curve
    out = {"train-rows": f"{r['train_rows']:,}", "val-rows": f"{r['val_rows']:,}", "epochs": str(len(r["epoch"]) - 1),
           "lr": f"{r['lr']:g}", "seeds": str(r["seeds"]), "sizes": str(len(r["widths"])),
           "smallest": width_name(r, small), "largest": width_name(r, large),
           "params-min": f"{int(r['params'][small]):,}", "params-max": f"{int(r['params'][large]):,}"}
    for role, k in picks.items():
        out |= {f"{role}": width_name(r, k), f"{role}-params": f"{int(r['params'][k]):,}",
                f"{role}-train-loss": num(train[k].mean()), f"{role}-val-loss": num(val[k].mean()),
                f"{role}-val-acc": pct(val_acc[k].mean()), f"{role}-train-acc": pct(r["accuracy"][k, :, -1].mean()),
                f"{role}-best-epoch": str(int(best_epoch[k])),
                f"{role}-best-val-loss": num(r["val_loss"][k].mean(0).min())}
    out["u-shape"] = claim(apart(val[good], val[small]) and apart(val[good], val[large]),
                           "the best width's final validation loss is below both the smallest and the largest "
                           "network's, for every seed")
    out["train-falls"] = claim(np.all(np.diff(train.mean(1)) < 0),
                               "training loss falls with every step up in size")
    out |= budget_values(r, picks)
    out |= accuracy_values(r, good, large)
    return out


def budget_values(r: dict, picks: dict[str, int]) -> dict:
    """How the picture depends on the number of epochs: the lowest validation loss each width ever reached,
    the widths still improving at the last epoch, and the overfit network's curves after its best epoch."""
    mean_val = r["val_loss"].mean(1)  # width, epoch
    lowest, best_epoch, last = mean_val.min(1), mean_val.argmin(1), len(r["epoch"]) - 1
    still = [k for k in range(len(r["widths"])) if best_epoch[k] == last]
    over = picks["overfit"]
    over_acc = r["val_accuracy"][over].mean(0)
    return {
        "lowest-small": num(lowest[0]), "lowest-large": num(lowest[-1]),
        "lowest-falls": claim(np.all(np.diff(lowest) < 0), "the lowest validation loss reached during training "
                              "falls with every step up in width"),
        "still-improving": reader_list([width_name(r, k) for k in still]),
        "still-improving-count": str(len(still)),
        "small-undertrained": claim(len(still) >= 1 and still == list(range(len(still))),
                                    "the smallest networks' validation loss is lowest at the last epoch"),
        "good-late": claim(best_epoch[picks["good"]] >= 0.9 * last, "the best-loss network's validation loss is "
                           "lowest in the last tenth of training"),
        "overfit-climbs": claim(mean_val[over, -1] > 1.2 * lowest[over] and best_epoch[over] < 0.5 * last,
                                "the overfit network's validation loss bottoms out in the first half of training "
                                "and ends more than 20% above its lowest"),
        "overfit-acc-at-best": pct(over_acc[best_epoch[over]]), "overfit-acc-end": pct(over_acc[-1]),
        "overfit-acc-rises": claim(over_acc[-1] > over_acc[best_epoch[over]], "the overfit network's validation "
                                   "accuracy is higher at the end than at its best-loss epoch"),
    }


def accuracy_values(r: dict, good: int, large: int) -> dict:
    """Loss and accuracy disagree: the largest network against the best-loss one, seed by seed."""
    val_acc = r["val_accuracy"][:, :, -1]  # width, seed
    wins = int(np.sum(val_acc[large] > val_acc[good]))
    return {"large-wins": f"{wins} of {val_acc.shape[1]}", "large-val-acc": pct(val_acc[large].mean()),
            "large-vs-good-acc": claim(wins == val_acc.shape[1], "the largest network's final validation accuracy "
                                       "is higher than the best-loss network's in every seed"),
            "acc-rises-from-good": claim(np.all(np.diff(val_acc[good:].mean(1)) > 0), "from the best-loss width "
                                         "up, final validation accuracy rises with every step in width")}


# --- a 2-D boundary --------------------------------------------------------------------------------

BOUNDARY_TITLES = {"none": "no regularisation", "L2": "L2 weight decay"}


def boundary_title(r: dict, run: int, frame: int) -> str:
    name = BOUNDARY_TITLES[r["runs"][run]]
    _, train_acc, _, val_acc = r["metrics"][run, frame]
    return f"{name}<br>training {pct(train_acc, 0)}<br>validation {pct(val_acc, 0)}"


@figure("overfitting/boundary", uses="overfitting/boundary",
        caption="The probability of the orange class that each network gives at every point of the plane "
                "(colour; the 0.5 boundary is where blue meets orange), with the training points on top. Left: "
                "no regularisation; right: the same network and initial weights with L2 weight decay. Move the "
                "slider to go through training; the titles give the accuracy on the training points and on "
                "held-out points from the same distribution.")
def boundary(r: dict) -> tuple[go.Figure, Table]:
    frames, runs = list(r["frames"]), list(r["runs"])
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.06, shared_yaxes=True,
                        subplot_titles=[boundary_title(r, k, 0) for k in range(len(runs))])
    scale = [[0, "#1f77b4"], [0.5, "#f7f7f7"], [1, "#ff7f0e"]]
    for f in range(len(frames)):
        for k in range(len(runs)):
            fig.add_heatmap(x=r["gx"], y=r["gy"], z=r["prob"][k, f], zmin=0, zmax=1, colorscale=scale,
                            showscale=f == 0 and k == 0, visible=f == 0, zsmooth="best",
                            colorbar={"title": {"text": "P(orange)"}, "len": 0.8, "thickness": 12},
                            hovertemplate="x %{x:.2f}, y %{y:.2f}: P(orange) %{z:.2f}<extra></extra>",
                            row=1, col=k + 1)
    for k in range(len(runs)):
        for label_value, name in ((0, "blue training points"), (1, "orange training points")):
            pts = r["x"][r["y"] == label_value]
            fig.add_scatter(x=pts[:, 0], y=pts[:, 1], mode="markers", name=name, legendgroup=name,
                            showlegend=k == 0, row=1, col=k + 1,
                            marker={"color": color(label_value), "size": 7, "line": {"color": "white", "width": 1}})
    n_maps, n_points = len(frames) * len(runs), 2 * len(runs)
    titles = fig.layout.annotations
    steps = []
    for f, epoch in enumerate(frames):
        mask = [m // len(runs) == f for m in range(n_maps)] + [True] * n_points
        annotations = [a.to_plotly_json() | {"text": boundary_title(r, k, f)} for k, a in enumerate(titles)]
        steps.append({"label": str(int(epoch)), "method": "update",
                      "args": [{"visible": mask}, {"annotations": annotations}]})
    fig.update_layout(sliders=[{"steps": steps, "currentvalue": {"prefix": "epoch: "}, "pad": {"t": 50}}])
    fig.update_xaxes(range=[float(r["gx"][0]), float(r["gx"][-1])], constrain="domain")
    fig.update_yaxes(range=[float(r["gy"][0]), float(r["gy"][-1])])
    header = ["epoch"] + [f"{BOUNDARY_TITLES[n]}: {part}" for n in runs for part in
                          ("training accuracy", "validation accuracy", "validation loss")]
    rows = [[str(int(e))] + [v for k in range(len(runs)) for v in
                             (pct(r["metrics"][k, f, 1]), pct(r["metrics"][k, f, 3]), num(r["metrics"][k, f, 2]))]
            for f, e in enumerate(frames)]
    return tidy(fig, height=560, top=120, bottom=120), (header, rows)


@values("overfitting/boundary-values", uses="overfitting/boundary")
def boundary_values(r: dict) -> dict:
    none, l2 = r["metrics"][0], r["metrics"][1]  # frame, (train loss, train acc, val loss, val acc)
    frames = r["frames"]
    memorised = np.flatnonzero(none[:, 1] >= 1.0)
    out = {"points": str(r["points"]), "noise": f"{r['noise']:g}", "l2": f"{r['l2']:g}", "lr": f"{r['lr']:g}",
           "hidden": "-".join(str(h) for h in r["hidden"]), "val-points": f"{r['val_points']:,}",
           "epochs": str(int(frames[-1])),
           "none-train-acc": pct(none[-1, 1]), "l2-train-acc": pct(l2[-1, 1]),
           "none-val-acc": pct(none[-1, 3]), "l2-val-acc": pct(l2[-1, 3]),
           "none-val-loss": num(none[-1, 2]), "l2-val-loss": num(l2[-1, 2]),
           "none-min-val-loss": num(none[:, 2].min()), "none-min-epoch": str(int(frames[none[:, 2].argmin()])),
           "memorised-epoch": str(int(frames[memorised[0]])) if len(memorised) else "never"}
    early = 2  # the first frames after the start
    differ = [np.mean((r["prob"][0, f] > 0.5) != (r["prob"][1, f] > 0.5)) for f in range(early + 1)]
    out["early-epoch"] = str(int(frames[early]))
    out["early-agree"] = claim(max(differ) < 0.05, "both networks put fewer than 5% of the plane on different sides "
                                                   "up to that epoch")
    out["none-memorises"] = claim(len(memorised) > 0, "without regularisation the network gets every training "
                                                      "point right")
    out["l2-does-not"] = claim(l2[-1, 1] < 1.0, "with L2 it leaves some training points on the wrong side")
    out["none-loss-rises"] = claim(none[-1, 2] > 2 * none[:, 2].min(), "the unregularised network's validation loss "
                                                                       "ends more than twice as high as its lowest")
    out["l2-loss-steady"] = claim(l2[-1, 2] < 1.2 * l2[:, 2][1:].min(), "with L2 the validation loss stays near its "
                                                                         "lowest")
    return out


# --- the cures -----------------------------------------------------------------------------------

def cure_outcomes(r: dict) -> dict[str, dict[str, np.ndarray]]:
    """Per cure, per seed: the lowest validation loss within the epochs run, the best validation accuracy and
    the epoch of the lowest loss; the score on the test digits of the model each cure ends with (the last
    epoch; for early stopping, the epoch it kept); and the gap between validation and training loss there."""
    out = {}
    for i, cure in enumerate(r["cures"]):
        seeds = np.arange(r["val_loss"].shape[1])
        end = r["kept"] if cure == "early stopping" else np.full(len(seeds), r["val_loss"].shape[2] - 1)
        out[cure] = {"best_val_loss": r["val_loss"][i].min(1), "best_val_acc": r["val_accuracy"][i].max(1),
                     "best_epoch": r["val_loss"][i].argmin(1), "end_val_loss": r["val_loss"][i, seeds, end],
                     "test_loss": r["test_loss"][i], "test_acc": r["test_accuracy"][i],
                     "gap": r["val_loss"][i, seeds, end] - r["loss"][i, seeds, end], "end": end}
    return out


def gains(r: dict, metric: str) -> dict[str, np.ndarray]:
    """Per cure, per seed: how much better than no cure with the same seed (same digits, same initial
    weights), signed so that positive is better: a loss that falls, an accuracy that rises."""
    outcomes = cure_outcomes(r)
    sign = -1.0 if "loss" in metric else 1.0
    return {c: sign * (outcomes[c][metric] - outcomes["none"][metric]) for c in r["cures"][1:]}


def better_in_every_seed(r: dict, metric: str) -> list[str]:
    """The cures that beat no cure in every seed, paired by seed."""
    return [c for c, g in gains(r, metric).items() if np.all(g > 0)]


def seeds_better(g: np.ndarray) -> str:
    return f"{int(np.sum(g > 0))}/{len(g)}"


def sign_test_chance(seeds: int) -> float:
    """The chance that all seeds fall on the same side (either way) if a cure made no difference."""
    return 2 * 0.5**seeds


@figure("overfitting/cure-curves", uses="overfitting/cures",
        caption="Validation loss and accuracy per epoch of the same overfitting network with each cure (lines: "
                "mean of the seeds; bands: their range). Early stopping follows the untreated runs and keeps the "
                "weights of the marked epochs. Pick a cure in the menu to compare it with no cure, or click "
                "legend entries.")
def cure_curves(r: dict) -> tuple[go.Figure, Table]:
    fig = make_subplots(rows=1, cols=2, subplot_titles=("validation loss", "validation accuracy"))
    epoch, cures = r["epoch"], list(r["cures"])
    owners = []  # the cure each trace belongs to
    for i, cure in enumerate(cures):
        if cure == "early stopping":
            continue
        for col, key in ((1, "val_loss"), (2, "val_accuracy")):
            seed_band(fig, epoch, r[key][i], cure, i, showlegend=col == 1, row=1, col=col)
            owners += [cure, cure]
    stop_i = cures.index("early stopping")
    seeds = np.arange(len(r["kept"]))
    for col, key in ((1, "val_loss"), (2, "val_accuracy")):
        fig.add_scatter(x=r["kept"], y=r[key][stop_i, seeds, r["kept"]], mode="markers",
                        name="early stopping: kept epoch",
                        legendgroup="early stopping", showlegend=col == 1, row=1, col=col,
                        marker={"color": color(stop_i), "size": 10, "symbol": "x"})
        owners.append("early stopping")
    buttons = [{"label": "all cures", "method": "restyle", "args": ["visible", [True] * len(owners)]}]
    for cure in cures[1:]:
        buttons.append({"label": f"{cure} vs none", "method": "restyle",
                        "args": ["visible", [o in (cure, "none") for o in owners]]})
    fig.update_layout(updatemenus=[{"name": "cures shown", "buttons": buttons, "x": 1, "xanchor": "right", "y": 1.3, "yanchor": "top"}])
    fig.update_xaxes(title_text="epoch")
    final_acc = r["val_accuracy"][:, :, -1].mean(1)
    fig.update_yaxes(tickformat=".0%", range=[float(final_acc.min()) - 0.15, float(r["val_accuracy"].max()) + 0.02],
                     row=1, col=2)
    header = ["epoch"] + [f"{c}: validation loss" for c in cures if c != "early stopping"]
    step = max(1, len(epoch) // 20)
    rows = [[str(int(e))] + [num(r["val_loss"][i, :, j].mean()) for i, c in enumerate(cures) if c != "early stopping"]
            for j, e in enumerate(epoch) if j % step == 0 or j == len(epoch) - 1]
    fig = tidy(fig, height=560, top=100, bottom=150, hovermode="x unified")
    fig.update_layout(legend={"y": -0.25, "yanchor": "top"})  # below the plot: the menu needs the top
    return fig, (header, rows)


@figure("overfitting/cure-summary", uses="overfitting/cures",
        caption="What each cure changes against no cure with the same seed (the same digits and initial weights), "
                "scored on test digits that no run trained on or chose an epoch by, with the model the cure ends "
                "with (the last epoch; for early stopping, the epoch it kept). Right of the dotted line is better. "
                "Small dots: one seed each; large dots: their mean.")
def cure_summary(r: dict) -> tuple[go.Figure, Table]:
    cures = list(r["cures"][1:])
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.05,
                        subplot_titles=("fall in<br>test loss", "rise in<br>test accuracy<br>(points)"))
    panels = ((1, "test_loss", 1.0), (2, "test_acc", 100.0))
    for col, metric, scale in panels:
        by_cure = gains(r, metric)
        for i, cure in enumerate(cures, start=1):
            g = by_cure[cure] * scale
            fig.add_scatter(x=g.astype(np.float32), y=[cure] * len(g), mode="markers", showlegend=False, row=1,
                            col=col, marker={"color": color(i), "size": 7, "opacity": 0.7},
                            hovertemplate=f"{cure}, one seed: %{{x:.3f}}<extra></extra>")
            fig.add_scatter(x=[float(g.mean())], y=[cure], mode="markers", showlegend=False, row=1, col=col,
                            marker={"color": color(i), "size": 14, "symbol": "diamond",
                                    "line": {"color": "white", "width": 1}},
                            hovertemplate=f"{cure}, mean: %{{x:.3f}}<extra></extra>")
        fig.add_vline(x=0, line={"dash": "dot", "color": "#7f7f7f", "width": 1}, row=1, col=col)
    fig.update_yaxes(autorange="reversed")
    loss, acc = gains(r, "test_loss"), gains(r, "test_acc")
    header = ["cure", "fall in test loss", "seeds better", "rise in test accuracy (points)", "seeds better"]
    rows = [[c, mean_range(loss[c]), seeds_better(loss[c]), mean_range(100 * acc[c], signed),
             seeds_better(acc[c])] for c in cures]
    fig = tidy(fig, height=440, top=100, bottom=50)
    fig.update_layout(margin={"l": 110})  # room for the cures' names
    return fig, (header, rows)


@table("overfitting/cure-table", uses="overfitting/cures",
       caption="Each cure over the seeds: the mean, with the lowest and highest seed in brackets. The lowest "
               "validation loss and its epoch are taken within the epochs run; the test scores are those of the "
               "model the cure ends with (for early stopping, the epoch it kept), on digits no run trained on or "
               "chose by; the gap is validation loss minus training loss for that model.")
def cure_table(r: dict) -> Table:
    outcomes = cure_outcomes(r)
    header = ["cure", "lowest validation loss", "epoch of the lowest", "test loss", "test accuracy", "gap"]
    rows = [[cure, mean_range(o["best_val_loss"]), mean_range(o["best_epoch"], lambda x: f"{x:.0f}"),
             mean_range(o["test_loss"]), mean_range(o["test_acc"], pct), mean_range(o["gap"])]
            for cure, o in outcomes.items()]
    return header, rows


@values("overfitting/cure-values", uses="overfitting/cures")
def cure_values(r: dict) -> dict:
    outcomes = cure_outcomes(r)
    none, stop = outcomes["none"], outcomes["early stopping"]
    seeds, last = len(r["kept"]), len(r["epoch"]) - 1
    loss_gain, acc_gain, low_gain = gains(r, "test_loss"), gains(r, "test_acc"), gains(r, "best_val_loss")
    loss_helped, acc_helped = better_in_every_seed(r, "test_loss"), better_in_every_seed(r, "test_acc")
    means = {c: o["test_acc"].mean() for c, o in outcomes.items()}
    top = max(means, key=means.get)
    out = {"train-rows": f"{r['train_rows']:,}", "more-rows": f"{r['more_rows']:,}", "val-rows": f"{r['val_rows']:,}",
           "test-rows": f"{r['test_rows']:,}", "hidden": "-".join(str(h) for h in r["hidden"]), "epochs": str(last),
           "lr": f"{r['lr']:g}", "l2": f"{r['l2']:g}", "dropout": f"{r['dropout']:g}", "patience": str(r["patience"]),
           "shift": str(r["shift"]), "shift-full": str(2 * r["shift"]), "seeds": str(seeds),
           "chance": f"1 in {round(1 / sign_test_chance(seeds))}",
           "loss-helped": reader_list(loss_helped),
           "loss-mixed": reader_list([c for c in loss_gain if c not in loss_helped]),
           "acc-helped": reader_list(acc_helped),
           "acc-mixed": reader_list([c for c in acc_gain if c not in acc_helped]),
           "low-helped": reader_list([c for c, g in low_gain.items() if np.all(g > 0)]),
           "top-acc": top, "top-acc-value": pct(means[top]),
           "none-best-epoch": mean_range(none["best_epoch"], lambda x: f"{x:.0f}"),
           "stop-epoch": mean_range(r["stop"], lambda x: f"{x:.0f}"),
           "early-kept-val-loss": num(stop["end_val_loss"].mean())}
    for cure, o in outcomes.items():
        key = cure.replace(" ", "-").lower()
        out |= {f"{key}-test-loss": num(o["test_loss"].mean()), f"{key}-test-acc": pct(o["test_acc"].mean()),
                f"{key}-best-val-loss": num(o["best_val_loss"].mean()), f"{key}-gap": num(o["gap"].mean()),
                f"{key}-best-epoch-mean": f"{o['best_epoch'].mean():.0f}",
                f"{key}-best-epochs": ", ".join(str(int(e)) for e in o["best_epoch"])}
        if cure != "none":
            out |= {f"{key}-acc-gain": mean_range(100 * acc_gain[cure], signed),
                    f"{key}-acc-seeds": seeds_better(acc_gain[cure]),
                    f"{key}-loss-seeds": seeds_better(loss_gain[cure])}
    out |= cure_claims(r, outcomes, acc_helped, loss_helped, top)
    return out


def cure_claims(r: dict, outcomes: dict, acc_helped: list[str], loss_helped: list[str], top: str) -> dict:
    """The sentences of the page that read the cures' results."""
    none, stop = outcomes["none"], outcomes["early stopping"]
    last = len(r["epoch"]) - 1
    low_gain = gains(r, "best_val_loss")
    slow = ("dropout", "augmentation")
    acc_gain = gains(r, "test_acc")
    others = [c for c in acc_gain if c not in ("more data", "early stopping")]
    return {
        "loss-all-cures": claim(len(loss_helped) == len(r["cures"]) - 1,
                                "every cure ends with a lower test loss than no cure, in every seed"),
        "acc-only-more-data": claim(acc_helped == ["more data"], "on test accuracy, more data is the only cure "
                                    "better than no cure in every seed"),
        "acc-others-noise": claim(all(not np.all(acc_gain[c] > 0) and not np.all(acc_gain[c] < 0)
                                      and np.abs(acc_gain[c]).max() < 0.025 for c in others),
                                  "L2, dropout, batch norm and augmentation change test accuracy by less than 2.5 "
                                  "points, in different directions in different seeds"),
        "early-acc-worse": claim(np.all(acc_gain["early stopping"] < 0), "early stopping ends with a lower test "
                                 "accuracy than training to the end, in every seed"),
        "more-data-top": claim(top == "more data", "more data gives the highest mean test accuracy"),
        "more-data-beyond": claim("more data" in acc_helped and "more data" in loss_helped,
                                  "more data beats no cure on both test loss and test accuracy in every seed"),
        "early-kept-is-lowest": claim(all(stop["end_val_loss"][s] == r["val_loss"][0, s, : r["stop"][s] + 1].min()
                                          for s in range(len(r["kept"]))),
                                      "early stopping keeps the epoch of the lowest validation loss it saw"),
        "l2-low-not-every-seed": claim(not np.all(low_gain["L2"] > 0), "L2 at this strength does not lower the "
                                       "lowest validation loss in every seed"),
        "slow-cures": claim(all(outcomes[c]["best_epoch"].min() > none["best_epoch"].max() for c in slow),
                            "dropout and augmentation reach their lowest validation loss later than no cure, "
                            "in every seed"),
        "slow-cures-late": claim(all(outcomes[c]["best_epoch"].mean() > 0.75 * last for c in slow),
                                 "on average dropout and augmentation reach their lowest validation loss in the "
                                 "last quarter of training"),
        "cures-shrink-gap": claim(all(o["gap"].mean() < none["gap"].mean() for c, o in outcomes.items()
                                      if c != "none"), "every cure ends with a smaller mean gap than no cure"),
    }


# --- data quality --------------------------------------------------------------------------------

@figure("overfitting/data", uses="overfitting/data",
        caption="Validation accuracy (and accuracy on the training set itself) of one network, left: trained on "
                "fewer and fewer MNIST digits (log scale); right: trained on a fixed set in which a growing share "
                "of the labels is replaced by a random digit. Points: the mean of the seeds; bars: the lowest and "
                "highest seed.")
def data_quality(r: dict) -> tuple[go.Figure, Table]:
    fig = make_subplots(rows=1, cols=2, subplot_titles=("fewer digits", "more random labels"))
    for col, prefix, x in ((1, "size", r["sizes"]), (2, "noise", r["noise"])):
        for i, (name, key) in enumerate((("training set", f"{prefix}_train_accuracy"),
                                          ("validation", f"{prefix}_val_accuracy"))):
            fig.add_scatter(x=x, y=r[key].mean(0).astype(np.float32), error_y=error_bars(r[key]), name=name,
                            legendgroup=name, showlegend=col == 1, mode="lines+markers", row=1, col=col,
                            line={"color": color(i), "dash": "dot" if i == 0 else "solid"})
    fig.update_xaxes(type="log", dtick=1, title_text="training digits", row=1, col=1)
    fig.update_xaxes(tickformat=".0%", title_text="labels randomised", row=1, col=2)
    fig.update_yaxes(tickformat=".0%", range=[0, 1.02])
    header = ["setting", "training accuracy", "validation accuracy"]
    rows = [[f"{int(n):,} digits", mean_range(r["size_train_accuracy"][:, k], pct),
             mean_range(r["size_val_accuracy"][:, k], pct)] for k, n in enumerate(r["sizes"])]
    rows += [[f"{pct(s, 0)} labels randomised", mean_range(r["noise_train_accuracy"][:, k], pct),
              mean_range(r["noise_val_accuracy"][:, k], pct)] for k, s in enumerate(r["noise"])]
    return tidy(fig, height=440, top=80), (header, rows)


@values("overfitting/data-values", uses="overfitting/data")
def data_values(r: dict) -> dict:
    size_val, noise_val = r["size_val_accuracy"], r["noise_val_accuracy"]
    size_train, noise_train = r["size_train_accuracy"], r["noise_train_accuracy"]
    out = {"smallest": f"{int(r['sizes'][0]):,}", "largest": f"{int(r['sizes'][-1]):,}",
           "noise-rows": f"{r['noise_rows']:,}", "val-rows": f"{r['val_rows']:,}", "epochs": str(r["epochs"]),
           "lr": f"{r['lr']:g}", "hidden": "-".join(str(h) for h in r["hidden"]), "seeds": str(r["seeds"]),
           "small-acc": pct(size_val[:, 0].mean()), "large-acc": pct(size_val[:, -1].mean()),
           "clean-acc": pct(noise_val[:, 0].mean()), "max-noise": pct(r["noise"][-1], 0),
           "noisy-acc": pct(noise_val[:, -1].mean()), "noisy-train-acc": pct(noise_train[:, -1].mean()),
           "max-noise-wrong": pct(r["noise"][-1] * 0.9, 0)}
    right_share = 1 - r["noise"][-1] * 0.9  # a redrawn label is right one time in ten
    out["noisy-memorised"] = claim(noise_train[:, -1].mean() > right_share, "with the most noise, the network "
                                   "agrees with more of its training labels than are right")
    out["size-rises"] = claim(np.all(np.diff(size_val.mean(0)) > 0), "validation accuracy rises with every doubling "
                                                                      "of the training set")
    out["size-beyond"] = claim(apart(size_val[:, -1], size_val[:, 0], lower_is_better=False),
                               "the largest set beats the smallest beyond seed noise")
    out["noise-falls"] = claim(np.all(np.diff(noise_val.mean(0)) < 0), "validation accuracy falls with every step "
                                                                        "up in label noise")
    out["train-above-val"] = claim(np.all(noise_train.mean(0) > noise_val.mean(0)),
                                   "at every noise level the network scores higher on its own training labels "
                                   "than on the clean validation digits")
    out["small-sets-memorised"] = claim(size_train[:, 0].min() >= 0.999, "on the smallest set, training accuracy is "
                                                                          "100%")
    return out
