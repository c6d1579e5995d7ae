"""Figures, tables and values for the page on underfitting, overfitting and the cures.

Runs over several seeds are drawn as the mean with a band or error bars from the lowest to the
highest seed. Every sentence that reads a result is a claim of `nnbook.evidence`: paired over
seeds, a trend over a sweep, or an equivalence with its margin. Every experiment here draws its
own training, validation and test digits (or points) for each seed, so the spread over the seeds
already counts the sampling of the scored examples: no test-set term is added on top.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nnbook.evidence import Evidence, equivalent, fact, paired, trend
from nnbook.figures.style import Table, color, mean_range, num, pct, seed_band, tidy
from nnbook.registry import figure, table, values


def spread(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, lowest and highest over the seed axis (the first)."""
    return x.mean(0), x.min(0), x.max(0)


def signed(x: float) -> str:
    """A signed difference in points, one decimal, with a true minus sign."""
    return f"{x:+.1f}".replace("-", "−")


def error_bars(runs: np.ndarray) -> dict:
    """Plotly error bars from the mean to the lowest and highest seed."""
    mean, lo, hi = spread(runs)
    return {"type": "data", "symmetric": False, "array": (hi - mean).astype(np.float32),
            "arrayminus": (mean - lo).astype(np.float32), "thickness": 1.2}


WINDOW = 10  # epochs: "still falling" and "flat" compare the last epoch with this many before
FLAT = 0.01  # the change in validation loss over WINDOW epochs that "levelled off" allows, either way


def constant(like: np.ndarray, value: float) -> np.ndarray:
    """`value` for every seed: a fixed level to test a per-seed result against."""
    return np.full(np.shape(like), value, dtype=np.float64)


def ties(loss: np.ndarray, best: int, names: list[str]) -> tuple[str, str]:
    """The settings whose final validation loss (seed, setting) is not told apart from the pick's, `best`:
    their names, and each one's paired test against the pick."""
    tied = [(names[k], paired(loss[:, k], loss[:, best], what=f"{names[k]} minus {names[best]}, validation loss"))
            for k in range(loss.shape[1]) if k != best]
    tied = [(name, ev) for name, ev in tied if ev.verdict.startswith("no clear")]
    tests = [ev.summary() for _, ev in tied] if len(tied) == 1 else [f"for {n}, {ev.summary()}" for n, ev in tied]
    return " and ".join(name for name, _ in tied) or "no other setting", "; ".join(tests)


# --- capacity ------------------------------------------------------------------------------------

def capacity_picks(r: dict) -> dict[str, int]:
    """Underfit: the highest final training loss; good: the lowest final validation loss;
    overfit: the largest final gap between validation and training loss (means over seeds)."""
    train, val = r["loss"][:, :, -1].mean(1), r["val_loss"][:, :, -1].mean(1)
    return {"underfit": int(np.argmax(train)), "good": int(np.argmin(val)), "overfit": int(np.argmax(val - train))}


def layers_name(hidden: list[int]) -> str:
    return "×".join(str(h) for h in hidden) if len(set(hidden)) > 1 else f"{len(hidden)}×{hidden[0]}"


def width_name(r: dict, i: int) -> str:
    return f"{layers_name([int(r['widths'][i])] * int(r['depth']))} units"


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


def reliability(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> tuple[np.ndarray, ...]:
    """Confidence in `bins` equal bins from 0 to 1: each bin's mean confidence, accuracy and count (pooled)."""
    which = np.minimum((confidence * bins).astype(int), bins - 1).ravel()
    count = np.bincount(which, minlength=bins)
    mean_conf = np.bincount(which, confidence.ravel(), minlength=bins) / np.maximum(count, 1)
    accuracy = np.bincount(which, correct.ravel().astype(float), minlength=bins) / np.maximum(count, 1)
    return mean_conf, accuracy, count


def wrong_confidence(r: dict, k: int) -> np.ndarray:
    """Per seed, the mean confidence of width k's wrong answers on the validation digits."""
    conf, right = r["val_confidence"][k], r["val_correct"][k]
    return np.array([conf[s][~right[s]].mean() for s in range(len(conf))])


def calibration_error(r: dict, k: int, bins: int = 10) -> np.ndarray:
    """Per seed, width k's expected calibration error on the validation digits: over `bins` equal bins of
    confidence, the digit-weighted mean gap between each bin's confidence and accuracy."""
    out = []
    for conf, right in zip(r["val_confidence"][k], r["val_correct"][k]):
        mean_conf, accuracy, count = reliability(conf, right, bins)
        out.append(float(np.sum(count * np.abs(mean_conf - accuracy)) / count.sum()))
    return np.array(out)


def over_confidence(r: dict, k: int) -> np.ndarray:
    """Per seed, width k's mean confidence minus its accuracy on the validation digits."""
    return r["val_confidence"][k].mean(1) - r["val_correct"][k].mean(1)


@figure("overfitting/reliability", uses="overfitting/capacity",
        caption="Reliability diagram of the good and the largest network of the sweep: the validation digits "
                "binned by the confidence of each network's answer (the probability it gives its own answer), "
                "against the share of them it gets right, pooled over the seeds. On the diagonal, a network is "
                "right as often as it is confident; below it, over-confident. Marker area: digits in the bin.")
def reliability_figure(r: dict) -> tuple[go.Figure, Table]:
    picks = capacity_picks(r)
    fig = go.Figure()
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line={"color": "#888", "dash": "dash", "width": 1},
                    name="right as often as confident", hoverinfo="skip")
    rows = []
    for i, (role, k) in enumerate((("good", picks["good"]), ("largest", len(r["widths"]) - 1))):
        conf, acc, count = reliability(r["val_confidence"][k], r["val_correct"][k])
        used = count > 0
        fig.add_scatter(x=conf[used], y=acc[used], mode="lines+markers",
                        name=f"{role}: {width_name(r, k)}",
                        line={"color": color(i + 2)},
                        marker={"size": np.sqrt(count[used] / count.max()) * 22 + 4, "color": color(i + 2)},
                        customdata=count[used], hovertemplate="confidence %{x:.2f}: right %{y:.0%} of %{customdata} "
                                                              "digits<extra></extra>")
        rows += [[width_name(r, k), f"{b / 10:.1f}–{(b + 1) / 10:.1f}", str(int(count[b])),
                  num(conf[b]) if count[b] else "–", pct(acc[b]) if count[b] else "–"] for b in range(10)]
    fig.update_layout(xaxis={"title": "confidence of the answer", "range": [0, 1.02]},
                      yaxis={"title": "share of answers right", "tickformat": ".0%", "range": [0, 1.02]})
    return tidy(fig, height=440, top=60), (["network", "confidence bin", "digits", "mean confidence", "right"], rows)


@figure("overfitting/underfit-long", uses="overfitting/capacity",
        caption="The smallest network of the sweep trained far beyond the sweep's epochs: its training and "
                "validation loss at each checkpoint (log scale of epochs). Points: the mean of the seeds; bars: "
                "the lowest and highest seed.")
def underfit_long(r: dict) -> tuple[go.Figure, Table]:
    fig = go.Figure()
    long = r["long"]  # seed, checkpoint, (train loss, train acc, val loss, val acc)
    for i, (name, m) in enumerate((("training", 0), ("validation", 2))):
        fig.add_scatter(x=r["long_epochs"], y=long[:, :, m].mean(0).astype(np.float32), error_y=error_bars(long[:, :, m]),
                        mode="lines+markers", name=name, line={"color": color(i), "dash": "solid" if i else "dot"})
    fig.update_layout(xaxis={"type": "log", "title": "epochs (full-batch steps)", "tickvals": r["long_epochs"]},
                      yaxis={"title": "loss"})
    rows = [[str(int(e)), mean_range(long[:, j, 0]), mean_range(long[:, j, 2]), mean_range(long[:, j, 1], pct)]
            for j, e in enumerate(r["long_epochs"])]
    return tidy(fig, height=380, top=60), (["epochs", "training loss", "validation loss", "training accuracy"], rows)


@values("overfitting/capacity-values", uses="overfitting/capacity")
def capacity_values(r: dict) -> dict:
    picks = capacity_picks(r)
    train, val = r["loss"][:, :, -1], r["val_loss"][:, :, -1]  # width, seed
    good, small, large = picks["good"], 0, len(r["widths"]) - 1
    doublings = np.log2(r["widths"])
    best_epoch = r["val_loss"].mean(1).argmin(1)  # per width, of the mean curve
    out = {"train-rows": f"{r['train_rows']:,}", "val-rows": f"{r['val_rows']:,}", "epochs": str(len(r["epoch"]) - 1),
           "lr": f"{r['lr']:g}", "seeds": str(r["seeds"]), "sizes": str(len(r["widths"])),
           "smallest": width_name(r, small), "largest": width_name(r, large),
           "params-min": f"{int(r['params'][small]):,}", "params-max": f"{int(r['params'][large]):,}"}
    for role, k in picks.items():
        out |= {f"{role}": width_name(r, k), f"{role}-params": f"{int(r['params'][k]):,}",
                f"{role}-train-loss": num(train[k].mean()), f"{role}-val-loss": num(val[k].mean()),
                f"{role}-val-acc": pct(r["val_accuracy"][k, :, -1].mean()),
                f"{role}-train-acc": pct(r["accuracy"][k, :, -1].mean()),
                f"{role}-best-epoch": str(int(best_epoch[k])),
                f"{role}-best-val-loss": num(r["val_loss"][k].mean(0).min())}
    falls = trend(doublings, train.T, increasing=False, what="final training loss per doubling of width")
    out["train-falls"] = falls.claim("the final training loss falls as the network grows")
    out["train-falls-test"] = falls.summary()
    out["u-left"] = paired(val[small], val[good], what=f"{width_name(r, small)} minus {width_name(r, good)}, final "
                           "validation loss").claim("the smallest network ends with a higher validation loss than "
                                                    "the best one")
    out["u-right"] = paired(val[large], val[good], what=f"{width_name(r, large)} minus {width_name(r, good)}, final "
                            "validation loss").claim("the largest network ends with a higher validation loss than "
                                                     "the best one")
    out["good-ties"], out["good-ties-test"] = ties(val.T, good, [width_name(r, k) for k in range(len(r["widths"]))])
    out |= budget_values(r, picks)
    out |= accuracy_values(r, good, large)
    out |= underfit_values(r, good)
    return out


def budget_values(r: dict, picks: dict[str, int]) -> dict:
    """How the picture depends on the number of epochs: the lowest validation loss each width ever reached,
    the smallest width still improving at the last epoch, and the overfit network's curves after its best epoch."""
    lowest = r["val_loss"].min(2)  # width, seed
    mean_val = r["val_loss"].mean(1)  # width, epoch
    best_epoch = mean_val.argmin(1)
    over, last = picks["overfit"], len(r["epoch"]) - 1
    at_best = best_epoch[over]
    lowest_falls = trend(np.log2(r["widths"]), lowest.T, increasing=False,
                         what="lowest validation loss during training, per doubling of width")
    ten_before = r["val_loss"][0, :, last - WINDOW]
    climbs = paired(r["val_loss"][over, :, -1], r["val_loss"][over, :, at_best],
                    what=f"{width_name(r, over)}: validation loss at the end minus at epoch {at_best}")
    # The same network at two epochs, on the same validation digits: each seed draws its own digits, so the
    # spread of the per-seed differences already holds the draw of the digits. (The per-digit answers are
    # stored for the last epoch only; a binomial term for two independent samples would count that draw
    # again, as if the network's answers at the two epochs had nothing in common.)
    acc_rises = paired(r["val_accuracy"][over, :, -1], r["val_accuracy"][over, :, at_best], points=True,
                       what=f"{width_name(r, over)}: validation accuracy at the end minus at epoch {at_best}")
    return {
        "lowest-small": num(lowest[0].mean()), "lowest-large": num(lowest[-1].mean()),
        "lowest-falls": lowest_falls.claim("the lowest validation loss reached during training falls as the "
                                           "width grows"),
        "lowest-falls-test": lowest_falls.summary(),
        "small-undertrained": paired(ten_before, r["val_loss"][0, :, -1],
                                     what=f"{width_name(r, 0)}: validation loss {WINDOW} epochs before the end minus at "
                                          "the end").claim("the smallest network's validation loss is still "
                                                           "falling at the end of training"),
        "window": str(WINDOW),
        "overfit-climbs": climbs.claim("the overfit network's validation loss ends higher than at the epoch where "
                                       "its mean curve is lowest"),
        "overfit-climbs-test": climbs.summary(),
        "overfit-acc-at-best": pct(r["val_accuracy"][over, :, at_best].mean()),
        "overfit-acc-end": pct(r["val_accuracy"][over, :, -1].mean()),
        "overfit-acc-rises-test": acc_rises.summary(),
        "overfit-acc-rises": acc_rises.claim("the overfit network's validation accuracy ends higher than at the "
                                             "epoch where its mean validation loss is lowest"),
    }


def accuracy_values(r: dict, good: int, large: int) -> dict:
    """Loss and accuracy disagree: the largest network against the best-loss one, and why (confidence)."""
    val_acc = r["val_accuracy"][:, :, -1]  # width, seed
    correct = r["val_correct"]
    wins = paired(val_acc[large], val_acc[good], points=True,
                  what=f"{width_name(r, large)} minus {width_name(r, good)}, final validation accuracy")
    rises = trend(np.log2(r["widths"][good:]), 100 * val_acc[good:].T,
                  what=f"final validation accuracy (points) per doubling of width, from {width_name(r, good)} up")
    wrong = paired(wrong_confidence(r, large), wrong_confidence(r, good), points=True,
                   what=f"{width_name(r, large)} minus {width_name(r, good)}, mean confidence of the wrong answers")
    over = paired(over_confidence(r, large), over_confidence(r, good), points=True,
                  what=f"{width_name(r, large)} minus {width_name(r, good)}, mean confidence minus accuracy")
    ece = paired(calibration_error(r, large), calibration_error(r, good), points=True,
                 what=f"{width_name(r, large)} minus {width_name(r, good)}, expected calibration error")
    return {"large-val-acc": pct(val_acc[large].mean()), "large-vs-good-acc-test": wins.summary(),
            "large-vs-good-acc": wins.claim("the largest network's final validation accuracy is higher than the "
                                            "best-loss network's"),
            "acc-rises-from-good": rises.claim("from the best-loss width up, final validation accuracy rises with "
                                               "width"),
            "acc-rises-test": rises.summary(),
            "large-wrong-conf": pct(wrong_confidence(r, large).mean(), 0),
            "good-wrong-conf": pct(wrong_confidence(r, good).mean(), 0),
            "wrong-more-confident": wrong.claim("the largest network is more confident in its wrong answers than "
                                                "the best-loss network"),
            "large-over": signed(100 * over_confidence(r, large).mean()),
            "good-over": signed(100 * over_confidence(r, good).mean()),
            "more-over-confident": over.claim("the largest network's confidence exceeds its accuracy by more than "
                                              "the best-loss network's does"),
            "more-over-confident-test": over.summary(),
            "large-ece": mean_range(100 * calibration_error(r, large), lambda x: f"{x:.1f}"),
            "good-ece": mean_range(100 * calibration_error(r, good), lambda x: f"{x:.1f}"),
            "ece-test": ece.summary(), "ece-worse": ece.claim("the largest network's expected calibration error is "
                                                              "the higher")}


def underfit_values(r: dict, good: int) -> dict:
    """The smallest network trained on: how far its training loss falls, and whether it reaches the good one's."""
    long, epochs = r["long"], r["long_epochs"]
    worst = int(np.argmax(long[:, -1, 0]))  # the seed that fits its training digits worst
    falling = paired(long[:, -2, 0], long[:, -1, 0],
                     what=f"{width_name(r, 0)}: training loss at epoch {int(epochs[-2])} minus at epoch "
                          f"{int(epochs[-1])}")
    above = paired(long[:, -1, 0], r["loss"][good, :, -1],
                   what=f"{width_name(r, 0)} after {int(epochs[-1])} epochs minus {width_name(r, good)} after "
                        f"{len(r['epoch']) - 1}, training loss")
    return {"long-epochs": str(int(epochs[-1])), "long-before": str(int(epochs[-2])),
            "long-train-loss": num(long[:, -1, 0].mean()), "long-train-acc": pct(long[:, -1, 1].mean()),
            "long-val-acc": pct(long[:, -1, 3].mean()), "long-val-acc-first": pct(long[:, 0, 3].mean()),
            "long-val-loss": num(long[:, -1, 2].mean()), "long-val-loss-first": num(long[:, 0, 2].mean()),
            "long-first": str(int(epochs[0])),
            "long-train-acc-range": f"{pct(long[:, -1, 1].min(), 0)} to {pct(long[:, -1, 1].max(), 0)}", "long-ratio": f"{epochs[-1] / (len(r['epoch']) - 1):.0f}",
            "sweep-train-acc": pct(r["accuracy"][0, :, -1].mean()),
            "long-gap": f"{100 * (long[:, -1, 1] - long[:, -1, 3]).mean():.1f}",
            **{f"long-worst-{k}": num(long[worst, j, m]) for k, j, m in
               (("train-loss", -1, 0), ("val-loss", -1, 2), ("val-loss-first", 0, 2))},
            "long-falling": falling.claim("the smallest network's training loss is still falling between the "
                                          "last two checkpoints"),
            "long-falling-test": falling.summary(),
            "long-above": above.claim("even then its training loss stays above the good network's after the "
                                      "sweep's epochs")}


# --- too small: a plateau ------------------------------------------------------------------------

PLATEAU = 0.01  # the change in training loss over the last stretch of the run that "levelled off" allows


@figure("overfitting/plateau", uses="overfitting/plateau",
        caption="A network too small for its data beside one large enough to fit it, on the same "
                "{train_rows} digits and seeds: training (solid) and validation (dotted) loss at each checkpoint, "
                "log scale of full-batch epochs from epoch 10. Points: the mean of the seeds; bars: the lowest and "
                "highest seed. The large network was stopped once it fitted its training digits.")
def plateau_figure(r: dict) -> tuple[go.Figure, Table]:
    fig = go.Figure()
    rows = []
    for i, name in enumerate(("small", "large")):
        epochs, label = r[f"{name}_epochs"], f"{layers_name(r[name])} units"
        shown = epochs > 0
        for metric, dash, kind in (("loss", "solid", "training"), ("val_loss", "dot", "validation")):
            runs = r[f"{name}_{metric}"]
            fig.add_scatter(x=epochs[shown], y=runs[:, shown].mean(0).astype(np.float32),
                            error_y=error_bars(runs[:, shown]), mode="lines+markers", name=f"{label}, {kind}",
                            line={"color": color(2 * i), "dash": dash})
        rows += [[label, str(int(e)), mean_range(r[f"{name}_loss"][:, j]), mean_range(r[f"{name}_val_loss"][:, j]),
                  mean_range(r[f"{name}_accuracy"][:, j], pct), mean_range(r[f"{name}_val_accuracy"][:, j], pct)]
                 for j, e in enumerate(epochs)]
    last = r["small_epochs"][-1]
    ticks = [e for e in r["small_epochs"] if e == last or 0 < e < last / 2 and str(e)[0] in "13"]
    fig.update_layout(xaxis={"type": "log", "title": "epochs (full-batch steps)", "tickvals": ticks},
                      yaxis={"title": "loss", "rangemode": "tozero"})
    return tidy(fig, height=420, top=80), (["network", "epochs", "training loss", "validation loss",
                                            "training accuracy", "validation accuracy"], rows)


@values("overfitting/plateau-values", uses="overfitting/plateau")
def plateau_values(r: dict) -> dict:
    """Each seed draws its own validation digits, so the spread over the seeds already counts their sampling:
    no test-set term is added."""
    small, large = f"{layers_name(r['small'])} units", f"{layers_name(r['large'])} units"
    epochs, last = r["small_epochs"], r["large_epochs"][-1]
    loss, acc, val_acc, val_loss = r["small_loss"], r["small_accuracy"], r["small_val_accuracy"], r["small_val_loss"]
    window = lambda k: f"{small}: training loss at epoch {int(epochs[k - 1])} minus at epoch {int(epochs[k])}"  # noqa: E731
    level = equivalent(loss[:, -2], loss[:, -1], PLATEAU, what=window(-1), control=(loss[:, -3], loss[:, -2]),
                       control_name=f"the {int(epochs[-2] - epochs[-3])} epochs before, from epoch "
                                    f"{int(epochs[-3])} to {int(epochs[-2])}")
    fits = paired(r["large_accuracy"][:, -1], acc[:, -1], points=True,
                  what=f"training accuracy, {large} after {int(last)} epochs minus {small} after {int(epochs[-1])}")
    better = paired(r["large_val_accuracy"][:, -1], val_acc[:, -1], points=True,
                    what=f"validation accuracy, {large} minus {small}")
    small_gap, large_gap = acc[:, -1] - val_acc[:, -1], r["large_accuracy"][:, -1] - r["large_val_accuracy"][:, -1]
    gap = paired(large_gap, small_gap, points=True,
                 what=f"training minus validation accuracy, {large} minus {small}")
    since = int(np.searchsorted(epochs, epochs[-1] // 2))  # half-way through the run
    drift = paired(val_loss[:, -1], val_loss[:, since],
                   what=f"{small}: validation loss at epoch {int(epochs[-1])} minus at epoch {int(epochs[since])}")
    rising = np.flatnonzero(val_loss[:, -1] - val_loss[:, since] > PLATEAU)
    silent = r["small_silent"].sum(1)
    worst = int(np.argmax(loss[:, -1]))
    gap_to_large = float(loss[:, -1].mean() - r["large_loss"][:, -1].mean())
    return {"train-rows": f"{r['train_rows']:,}", "val-rows": f"{r['val_rows']:,}", "seeds": str(r["seeds"]),
            "lr": f"{r['lr']:g}", "small": small, "large": large, "small-params": f"{r['params'][0]:,}",
            "large-params": f"{r['params'][1]:,}", "epochs": str(int(epochs[-1])), "large-epochs": str(int(last)),
            "window-start": str(int(epochs[-2])), "margin": f"{PLATEAU:g}",
            "window": str(int(epochs[-1] - epochs[-2])), "margin-share": pct(PLATEAU / gap_to_large, 0), "control-test": level.control.summary(),
            "control-start": str(int(epochs[-3])),
            "train-loss": mean_range(loss[:, -1]), "train-acc": mean_range(acc[:, -1], pct),
            "val-acc": mean_range(val_acc[:, -1], pct), "large-train-acc": mean_range(r["large_accuracy"][:, -1], pct),
            "large-train-loss": mean_range(r["large_loss"][:, -1]),
            "large-val-acc": mean_range(r["large_val_accuracy"][:, -1], pct),
            "level": level.claim("over the last stretch the small network's training loss changes by less than the "
                                 "margin"),
            "level-test": level.summary(),
            "fits": fits.claim("the large network fits more of its training digits"), "fits-test": fits.summary(),
            "better": better.claim("the large network is more accurate on the validation digits"),
            "better-test": better.summary(),
            "gap": gap.claim("the large network's gap between training and validation accuracy is the wider"),
            "gap-test": gap.summary(),
            "small-gap": mean_range(100 * small_gap, lambda x: f"{x:.1f}"),
            "large-gap": mean_range(100 * large_gap, lambda x: f"{x:.1f}"),
            "half-epoch": str(int(epochs[since])), "val-loss-half": num(val_loss[:, since].mean()),
            "val-loss-end": num(val_loss[:, -1].mean()), "drift-test": drift.summary(), "drift-verdict": drift.reading,
            "rising-seeds": ", ".join(str(k + 1) for k in rising) or "none",
            "val-acc-change": signed(100 * (val_acc[:, -1] - val_acc[:, since]).mean()),
            "worst-seed": str(worst + 1), "worst-loss": num(loss[worst, -1]), "worst-acc": pct(acc[worst, -1]),
            "worst-silent": str(int(silent[worst])),
            "silent-elsewhere": ", ".join(str(int(n)) for k, n in enumerate(silent) if k != worst),
            "units": str(int(sum(r["small"])))}


# --- a 2-D boundary --------------------------------------------------------------------------------

BOUNDARY_TITLES = {"none": "no penalty", "L2": "L2 penalty"}
MOON_COLORS = ("#0b4f8a", "#b34700")  # darker than the map's blue and orange, so the points show on both


def boundary_title(r: dict, run: int, frame: int) -> str:
    name = BOUNDARY_TITLES[r["runs"][run]]
    _, train_acc, _, val_acc = r["metrics"][0, run, frame]
    return f"{name}<br>train {pct(train_acc, 0)}<br>val. {pct(val_acc, 0)}"


MAP_SCALE = [[0, "#1f77b4"], [0.5, "#f7f7f7"], [1, "#ff7f0e"]]


def training_points(fig: go.Figure, r: dict, cols: int) -> None:
    """The first seed's training points on every panel: circles and diamonds, outlined, so that neither
    colour vanishes into the map behind it."""
    for k in range(cols):
        for label_value, (name, symbol) in enumerate((("blue training points", "circle"),
                                                     ("orange training points", "diamond"))):
            pts = r["x"][r["y"] == label_value]
            fig.add_scatter(x=pts[:, 0], y=pts[:, 1], mode="markers", name=name, legendgroup=name,
                            showlegend=k == 0, row=1, col=k + 1,
                            marker={"color": MOON_COLORS[label_value], "size": 7, "symbol": symbol,
                                    "line": {"color": "white", "width": 1.2}})


@figure("overfitting/boundary", uses="overfitting/boundary",
        caption="The probability of the orange class that each network gives at every point of the plane "
                "(colour; the 0.5 boundary is where blue meets orange), with the training points on top, for the "
                "first seed's draw of points. Left: no penalty; right: the same network and initial weights with "
                "an L2 penalty. Move the slider to go through training; the titles give the accuracy on the "
                "training points and on held-out points from the same distribution.")
def boundary(r: dict) -> tuple[go.Figure, Table]:
    frames, runs = list(r["frames"]), list(r["runs"])
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.06, shared_yaxes=True,
                        subplot_titles=[boundary_title(r, k, 0) for k in range(len(runs))])
    for f in range(len(frames)):
        for k in range(len(runs)):
            fig.add_heatmap(x=r["gx"], y=r["gy"], z=r["prob"][k, f], zmin=0, zmax=1, colorscale=MAP_SCALE,
                            showscale=f == 0 and k == 0, visible=f == 0, zsmooth="best",
                            colorbar={"title": {"text": "P(orange)"}, "len": 0.8, "thickness": 12},
                            hovertemplate="x %{x:.2f}, y %{y:.2f}: P(orange) %{z:.2f}<extra></extra>",
                            row=1, col=k + 1)
    training_points(fig, r, len(runs))
    n_maps, n_points = len(frames) * len(runs), 2 * len(runs)
    titles = fig.layout.annotations
    steps = []
    for f, epoch in enumerate(frames):
        mask = [m // len(runs) == f for m in range(n_maps)] + [True] * n_points
        annotations = [a.to_plotly_json() | {"text": boundary_title(r, k, f)} for k, a in enumerate(titles)]
        steps.append({"label": str(int(epoch)), "method": "update",
                      "args": [{"visible": mask}, {"annotations": annotations}]})
    fig.update_layout(sliders=[{"steps": steps, "currentvalue": {"prefix": "epoch: "}, "pad": {"t": 50}}])
    fig.update_annotations(font_size=12)
    fig.update_xaxes(range=[float(r["gx"][0]), float(r["gx"][-1])], constrain="domain")
    fig.update_yaxes(range=[float(r["gy"][0]), float(r["gy"][-1])])
    header = ["epoch"] + [f"{BOUNDARY_TITLES[n]}: {part}" for n in runs for part in
                          ("training accuracy", "validation accuracy", "validation loss")]
    m = r["metrics"][0]
    rows = [[str(int(e))] + [v for k in range(len(runs)) for v in
                             (pct(m[k, f, 1]), pct(m[k, f, 3]), num(m[k, f, 2]))]
            for f, e in enumerate(frames)]
    return tidy(fig, height=560, top=120, bottom=120), (header, rows)


@figure("overfitting/strength-moons", uses="overfitting/boundary",
        caption="Left: the first seed's boundary after the last epoch for each strength of the L2 penalty (move "
                "the slider). Right: the final loss on the training points and on the held-out points against the "
                "strength, for every seed's draw (lines: mean of the seeds; bands: their range; the first point is "
                "no penalty, drawn at the left edge).")
def strength_moons(r: dict) -> tuple[go.Figure, Table]:
    strengths = r["strengths"]
    x_axis = np.where(strengths > 0, strengths, strengths[strengths > 0].min() / 3)  # no penalty at the left edge
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12, column_widths=[0.5, 0.5],
                        subplot_titles=("boundary", "final loss"))
    for j in range(len(strengths)):
        fig.add_heatmap(x=r["gx"], y=r["gy"], z=r["sweep_prob"][j], zmin=0, zmax=1, colorscale=MAP_SCALE,
                        showscale=False, visible=j == 0, zsmooth="best",
                        hovertemplate="P(orange) %{z:.2f}<extra></extra>", row=1, col=1)
    training_points(fig, r, 1)
    for i, (name, m) in enumerate((("training", 0), ("validation", 2))):
        seed_band(fig, x_axis, r["sweep"][:, :, m], name, i, dash="dot" if i == 0 else "solid", markers=True,
                  row=1, col=2)
    fig.update_xaxes(type="log", title_text="L2 strength λ", tickvals=x_axis, row=1, col=2,
                     ticktext=["none" if v == 0 else f"{v:g}" for v in strengths], tickangle=-45)
    fig.update_yaxes(title_text="loss", row=1, col=2)
    fig.update_xaxes(range=[float(r["gx"][0]), float(r["gx"][-1])], constrain="domain", row=1, col=1)
    fig.update_yaxes(range=[float(r["gy"][0]), float(r["gy"][-1])], row=1, col=1)
    others = len(fig.data) - len(strengths)
    steps = [{"label": "none" if lam == 0 else f"{lam:g}", "method": "restyle",
              "args": [{"visible": [k == j for k in range(len(strengths))] + [True] * others}]}
             for j, lam in enumerate(strengths)]
    fig.update_layout(sliders=[{"steps": steps, "currentvalue": {"prefix": "λ: "}, "pad": {"t": 50}}])
    header = ["λ", "training loss", "validation loss", "training accuracy", "validation accuracy"]
    rows = [["none" if lam == 0 else f"{lam:g}", mean_range(r["sweep"][:, j, 0]), mean_range(r["sweep"][:, j, 2]),
             mean_range(r["sweep"][:, j, 1], pct), mean_range(r["sweep"][:, j, 3], pct)]
            for j, lam in enumerate(strengths)]
    return tidy(fig, height=520, top=90, bottom=120), (header, rows)


def confident_error_share(prob_true: np.ndarray, confident: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
    """Per seed: the share of the validation loss that comes from answers wrong with more than `confident`
    probability, and the share of points that are such answers."""
    loss = -np.log(np.clip(prob_true, 1e-7, 1.0))
    bad = prob_true < 1 - confident
    return (loss * bad).sum(1) / loss.sum(1), bad.mean(1)


@values("overfitting/boundary-values", uses="overfitting/boundary")
def boundary_values(r: dict) -> dict:
    m = r["metrics"]  # seed, run, frame, (train loss, train acc, val loss, val acc)
    none, l2 = m[:, 0], m[:, 1]
    frames = r["frames"]
    low = int(none[:, :, 2].mean(0).argmin())  # the frame where the mean unregularised validation loss is lowest
    early = 2
    share, points = confident_error_share(r["val_true_prob"][:, 0])
    correct = r["val_true_prob"] > 0.5  # seed, run, point
    acc = paired(l2[:, -1, 3], none[:, -1, 3], points=True,
                 what="L2 minus no penalty, final validation accuracy")
    loss_gain = paired(none[:, -1, 2], l2[:, -1, 2], what="no penalty minus L2, final validation loss")
    sweep = r["sweep"]  # seed, strength, metric
    best = int(sweep[:, :, 2].mean(0).argmin())
    out = {"points": str(r["points"]), "noise": f"{r['noise']:g}", "l2": f"{r['l2']:g}", "lr": f"{r['lr']:g}",
           "hidden": "-".join(str(h) for h in r["hidden"]), "val-points": f"{r['val_points']:,}",
           "epochs": str(int(frames[-1])), "seeds": str(r["seeds"]), "early-epoch": str(int(frames[early])),
           "none-train-acc": pct(none[:, -1, 1].mean()), "l2-train-acc": pct(l2[:, -1, 1].mean()),
           "none-all-right": f"{int(np.sum(none[:, -1, 1] == 1))} of {r['seeds']}",
           "none-val-acc": pct(none[:, -1, 3].mean()), "l2-val-acc": pct(l2[:, -1, 3].mean()),
           "none-val-loss": num(none[:, -1, 2].mean()), "l2-val-loss": num(l2[:, -1, 2].mean()),
           "none-min-val-loss": num(none[:, low, 2].mean()), "none-min-epoch": str(int(frames[low])),
           "confident-share": pct(share.mean(), 0), "confident-points": pct(points.mean(), 1),
           "acc-test": acc.summary(), "l2-more-right": acc.claim("with the penalty the network gets more of the "
                                                                  "held-out points right"),
           "best-strength": f"{r['strengths'][best]:g}", "strongest": f"{r['strengths'][-1]:g}",
           "best-val-loss": num(sweep[:, best, 2].mean()), "zero-val-loss": num(sweep[:, 0, 2].mean())}
    out["best-ties"], out["best-ties-test"] = ties(sweep[:, :, 2], best, [
        "no penalty" if lam == 0 else f"λ = {lam:g}" for lam in r["strengths"]])
    out["early-agree"] = equivalent(l2[:, early, 3], none[:, early, 3], 0.02, points=True,
                                    what=f"L2 minus no penalty, validation accuracy at epoch {int(frames[early])}").claim(
        "up to that epoch both networks score the same on the held-out points, within two points")
    out["none-memorises"] = paired(none[:, -1, 1], l2[:, -1, 1], points=True,
                                   what="no penalty minus L2, final training accuracy").claim(
        "without a penalty the network gets more training points right than with it")
    out["none-loss-rises"] = paired(none[:, -1, 2], none[:, low, 2],
                                    what=f"no penalty: validation loss at the end minus at epoch {int(frames[low])}").claim(
        "the unregularised network's validation loss ends higher than at the epoch where it is lowest on average")
    out["l2-lower-loss"] = loss_gain.claim("with L2 the final validation loss is lower")
    out["l2-lower-loss-test"] = loss_gain.summary()
    out["confident-errors"] = paired(share, constant(share, 0.5), what="share of the unregularised network's "
                                     "validation loss from answers wrong with more than 90% confidence, minus "
                                     "one half").claim("more than half of the unregularised network's validation "
                                                       "loss comes from answers it gets wrong with more than 90% "
                                                       "confidence")
    out["sweep-best-beats-none"] = paired(sweep[:, 0, 2], sweep[:, best, 2],
                                          what=f"no penalty minus λ = {r['strengths'][best]:g}, final validation "
                                               "loss").claim("the best strength of the sweep ends with a lower "
                                                             "validation loss than no penalty")
    out["sweep-strong-underfits"] = paired(sweep[:, -1, 0], sweep[:, best, 0],
                                           what=f"λ = {r['strengths'][-1]:g} minus λ = {r['strengths'][best]:g}, "
                                                "final training loss").claim(
        "the strongest penalty fits the training points worse than the best one")
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


def seeds_better(g: np.ndarray) -> str:
    return f"{int(np.sum(g > 0))}/{len(g)}"


def cure_test(r: dict, cure: str, metric: str) -> Evidence:
    """The cure against no cure with the same seed, on the test digits, example by example: `metric` is
    "test_acc" (positive when the cure gets more right) or "test_loss" (positive when its loss is lower)."""
    i, none = list(r["cures"]).index(cure), 0
    if metric == "test_acc":
        return paired(r["test_accuracy"][i], r["test_accuracy"][none], points=True,
                      what=f"{cure} minus no cure, test accuracy")
    return paired(r["test_loss"][none], r["test_loss"][i],
                  what=f"no cure minus {cure}, test loss")


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


def _best_epochs(epochs: np.ndarray, last: int) -> str:
    """The seeds' epochs of lowest validation loss in words: mean, range, and how many were still
    improving at the last epoch (whose lowest may lie beyond it)."""
    at_end = int(np.sum(epochs == last))
    return (f"{epochs.mean():.0f} on average ({int(epochs.min())} to {int(epochs.max())}"
            + (f"; {at_end} of {len(epochs)} seeds lowest at the last epoch, {last}, so still improving)" if at_end else ")"))


@values("overfitting/cure-values", uses="overfitting/cures")
def cure_values(r: dict) -> dict:
    outcomes = cure_outcomes(r)
    none, stop = outcomes["none"], outcomes["early stopping"]
    seeds, last = len(r["kept"]), len(r["epoch"]) - 1
    means = {c: o["test_acc"].mean() for c, o in outcomes.items()}
    out = {"train-rows": f"{r['train_rows']:,}", "more-rows": f"{r['more_rows']:,}", "val-rows": f"{r['val_rows']:,}",
           "test-rows": f"{r['test_rows']:,}", "hidden": "-".join(str(h) for h in r["hidden"]), "epochs": str(last),
           "lr": f"{r['lr']:g}", "l2": f"{r['l2']:g}", "dropout": f"{r['dropout']:g}", "patience": str(r["patience"]),
           "shift": str(r["shift"]), "shift-full": str(2 * r["shift"]), "seeds": str(seeds),
           "top-acc": max(means, key=means.get), "top-acc-value": pct(max(means.values())),
           "none-best-epoch": mean_range(none["best_epoch"], lambda x: f"{x:.0f}"),
           "stop-epoch": mean_range(r["stop"], lambda x: f"{x:.0f}"),
           "early-kept-val-loss": num(stop["end_val_loss"].mean())}
    for cure, o in outcomes.items():
        key = cure.replace(" ", "-").lower()
        out |= {f"{key}-test-loss": num(o["test_loss"].mean()), f"{key}-test-acc": pct(o["test_acc"].mean()),
                f"{key}-best-val-loss": num(o["best_val_loss"].mean()), f"{key}-gap": num(o["gap"].mean()),
                f"{key}-best-epoch-mean": f"{o['best_epoch'].mean():.0f}",
                f"{key}-best-epochs": _best_epochs(o["best_epoch"], last)}
        if cure != "none":
            acc, loss = cure_test(r, cure, "test_acc"), cure_test(r, cure, "test_loss")
            out |= {f"{key}-acc-test": acc.summary(), f"{key}-acc-verdict": acc.reading,
                    f"{key}-loss-test": loss.summary(), f"{key}-loss-verdict": loss.reading}
    out |= cure_claims(r, outcomes)
    return out


def cure_claims(r: dict, outcomes: dict) -> dict:
    """The sentences of the page that read the cures' results."""
    none = outcomes["none"]
    cures = list(r["cures"][1:])
    loss_gain = gains(r, "test_loss")
    weakest_loss = min(cures, key=lambda c: loss_gain[c].mean())  # below no cure for the weakest: for all
    others = [c for c in cures if c != "more data"]
    runner_up = max(others, key=lambda c: outcomes[c]["test_acc"].mean())
    gap_gain = {c: none["gap"] - outcomes[c]["gap"] for c in cures}
    weakest_gap = min(cures, key=lambda c: gap_gain[c].mean())
    i = {c: list(r["cures"]).index(c) for c in r["cures"]}
    more_vs_next = paired(outcomes["more data"]["test_acc"], outcomes[runner_up]["test_acc"], points=True,
                          what=f"more data minus {runner_up} (the next best), test accuracy")
    early = paired(none["test_acc"], outcomes["early stopping"]["test_acc"], points=True,
                   what="training to the end minus early stopping, test accuracy")
    slow = {c: paired(outcomes[c]["best_epoch"], none["best_epoch"],
                      what=f"{c} minus no cure, epoch of the lowest validation loss") for c in ("dropout", "augmentation")}
    flat = equivalent(r["val_loss"][i["dropout"], :, -1], r["val_loss"][i["dropout"], :, -1 - WINDOW], FLAT,
                      what=f"dropout: validation loss at the last epoch minus {WINDOW} epochs before",
                      control=(r["val_loss"][0, :, -1], r["val_loss"][0, :, -1 - WINDOW]),
                      control_name="no cure, whose loss climbs")
    falling = paired(r["val_loss"][i["augmentation"], :, -1 - WINDOW], r["val_loss"][i["augmentation"], :, -1],
                     what=f"augmentation: validation loss {WINDOW} epochs before the last minus at the last")
    climbing = paired(r["val_loss"][0, :, -1], r["val_loss"][0, :, -1 - WINDOW],
                      what=f"no cure: validation loss at the last epoch minus {WINDOW} epochs before")
    return {
        "loss-weakest": weakest_loss,
        "loss-all-cures": cure_test(r, weakest_loss, "test_loss").claim(
            "every cure ends with a lower test loss than no cure: the test is on the cure that lowers it least"),
        "more-data-acc": cure_test(r, "more data", "test_acc").claim("more data raises the test accuracy"),
        "early-acc-worse": early.claim("early stopping ends with a lower test accuracy than training to the end"),
        "early-acc-test": early.summary(),
        "early-kept-is-lowest": fact("early stopping keeps the weights of the epoch with the lowest validation "
                                     "loss it saw"),
        "runner-up": runner_up,
        "more-data-top": more_vs_next.claim("more data gives a higher test accuracy than any other cure: the "
                                            "test is against the next best"),
        "more-data-top-test": more_vs_next.summary(),
        "dropout-later": slow["dropout"].claim("dropout reaches its lowest validation loss later than no cure"),
        "augmentation-later": slow["augmentation"].claim("augmentation reaches its lowest validation loss later "
                                                         "than no cure"),
        "dropout-flat": flat.claim(f"with dropout the validation loss changes by less than {FLAT:g} over the "
                                   f"last {WINDOW} epochs"),
        "window": str(WINDOW), "flat-margin": f"{FLAT:g}",
        "flat-test": flat.summary(),
        "augmentation-falling": falling.claim("with augmentation the validation loss is still falling over the "
                                              f"last {WINDOW} epochs"),
        "augmentation-falling-test": falling.summary(),
        "none-climbing": climbing.claim(f"untreated, the validation loss climbs over the last {WINDOW} epochs"),
        "none-climbing-test": climbing.summary(),
        "gap-weakest": weakest_gap,
        "cures-shrink-gap": paired(none["gap"], outcomes[weakest_gap]["gap"],
                                   what=f"no cure minus {weakest_gap}, gap between validation and training loss").claim(
            "every cure ends with a smaller gap than no cure: the test is on the cure that narrows it least"),
    }


# --- data quality --------------------------------------------------------------------------------

@figure("overfitting/data", uses="overfitting/data",
        caption="Validation accuracy (and accuracy on the training set itself) of one network, left: trained on "
                "fewer and fewer MNIST digits (log scale); right: trained on a fixed set in which a growing share "
                "of the labels is replaced by a random digit. The dashed line is the share of training labels "
                "that are still right (a random digit is the right one a tenth of the time). Points: the mean of "
                "the seeds; bars: the lowest and highest seed.")
def data_quality(r: dict) -> tuple[go.Figure, Table]:
    fig = make_subplots(rows=1, cols=2, subplot_titles=("fewer digits", "more random labels"))
    for col, prefix, x in ((1, "size", r["sizes"]), (2, "noise", r["noise"])):
        for i, (name, key) in enumerate((("training set", f"{prefix}_train_accuracy"),
                                          ("validation", f"{prefix}_val_accuracy"))):
            fig.add_scatter(x=x, y=r[key].mean(0).astype(np.float32), error_y=error_bars(r[key]), name=name,
                            legendgroup=name, showlegend=col == 1, mode="lines+markers", row=1, col=col,
                            line={"color": color(i), "dash": "dot" if i == 0 else "solid"})
    fig.add_scatter(x=r["noise"], y=(1 - 0.9 * r["noise"]).astype(np.float32), mode="lines", row=1, col=2,
                    name="training labels that are right", line={"color": "#888", "dash": "dash", "width": 1.5},
                    hovertemplate="%{y:.0%} of the training labels are right<extra></extra>")
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
    right = 1 - 0.9 * r["noise"]  # the share of labels still right: a redrawn label is right one time in ten
    noisy = [k for k in range(len(r["noise"])) if r["noise"][k] > 0]
    beyond = {k: noise_train[:, k] - right[k] for k in noisy}
    weakest = min(noisy, key=lambda k: beyond[k].mean())
    out = {"smallest": f"{int(r['sizes'][0]):,}", "largest": f"{int(r['sizes'][-1]):,}",
           "noise-rows": f"{r['noise_rows']:,}", "val-rows": f"{r['val_rows']:,}", "epochs": str(r["epochs"]),
           "lr": f"{r['lr']:g}", "hidden": "-".join(str(h) for h in r["hidden"]), "seeds": str(r["seeds"]),
           "small-acc": pct(size_val[:, 0].mean()), "large-acc": pct(size_val[:, -1].mean()),
           "clean-acc": pct(noise_val[:, 0].mean()), "max-noise": pct(r["noise"][-1], 0),
           "noisy-acc": pct(noise_val[:, -1].mean()), "noisy-train-acc": pct(noise_train[:, -1].mean()),
           "max-noise-right": pct(right[-1], 0), "max-noise-wrong": pct(r["noise"][-1] * 0.9, 0),
           "weakest-noise": pct(r["noise"][weakest], 0), "weakest-train-acc": pct(noise_train[:, weakest].mean()),
           "weakest-right": pct(right[weakest], 0)}
    rises = trend(np.log2(r["sizes"]), 100 * size_val, what="validation accuracy (points) per doubling of the "
                                                              "training set")
    falls = trend(10 * r["noise"], 100 * noise_val, increasing=False,
                  what="validation accuracy (points) per tenth of the labels randomised")
    out["size-rises"] = rises.claim("validation accuracy rises with the size of the training set")
    out["size-rises-test"] = rises.summary()
    out["size-beyond"] = paired(size_val[:, -1], size_val[:, 0], points=True,
                                what="largest minus smallest set, validation accuracy").claim(
        "the largest set scores higher than the smallest")
    out["noise-falls"] = falls.claim("validation accuracy falls as the share of random labels grows")
    out["noise-falls-test"] = falls.summary()
    out["noise-learned"] = paired(noise_train[:, weakest], constant(noise_train[:, weakest], right[weakest]),
                                  points=True, what=f"training accuracy minus the share of right labels, at "
                                                    f"{pct(r['noise'][weakest], 0)} randomised (the level where "
                                                    "it is smallest)").claim(
        "at every noise level the network agrees with more of its training labels than are right: it has "
        "learned wrong labels")
    small = size_train[:, 0]  # on its own training digits: no test-set term, and every seed alike has no spread
    out["small-fit"] = (f"every one of its training digits right in each of the {len(small)} seeds" if np.all(small == 1)
                        else f"{pct(small.mean())} of its training digits right (lowest seed {pct(small.min())})")
    return out


# --- how strong a cure ---------------------------------------------------------------------------

STRENGTHS = {"l2": ("L2 strength λ", "L2"), "dropout": ("dropout rate", "dropout")}


@figure("overfitting/strength", uses="overfitting/strength",
        caption="The overfitting network of the cures trained with L2 penalties (left) and dropout rates (right) "
                "of growing strength, scored after the last epoch on test digits that no run trained on or chose "
                "by. Lines: the mean of the seeds; bands: their range. No penalty is drawn at the left edge of the "
                "L2 panel.")
def strength(r: dict) -> tuple[go.Figure, Table]:
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.05,
                        subplot_titles=("L2 penalty", "dropout"))
    lam = r["l2"]
    x_l2 = np.where(lam > 0, lam, lam[lam > 0].min() / 3)
    for col, (kind, x) in enumerate((("l2", x_l2), ("dropout", r["dropout"])), start=1):
        seed_band(fig, x, r[f"{kind}_test_accuracy"], "test accuracy", 0, showlegend=col == 1, markers=True,
                  row=1, col=col)
        fig.update_xaxes(title_text=STRENGTHS[kind][0], row=1, col=col)
    fig.update_xaxes(type="log", tickvals=x_l2, ticktext=["none" if v == 0 else f"{v:g}" for v in lam], tickangle=-45,
                     row=1, col=1)
    fig.update_yaxes(tickformat=".0%", title_text="test accuracy", row=1, col=1)
    header = ["setting", "validation loss", "test loss", "test accuracy"]
    rows = [[f"{STRENGTHS[kind][1]} {v:g}", mean_range(r[f"{kind}_val_loss"][:, j]),
             mean_range(r[f"{kind}_test_loss"][:, j]), mean_range(r[f"{kind}_test_accuracy"][:, j], pct)]
            for kind in STRENGTHS for j, v in enumerate(r[kind])]
    return tidy(fig, height=420, top=80), (header, rows)


@values("overfitting/strength-values", uses="overfitting/strength")
def strength_values(r: dict) -> dict:
    out = {"seeds": str(r["seeds"]), "test-rows": f"{r['test_rows']:,}", "val-rows": f"{r['val_rows']:,}",
           "l2-list": ", ".join(f"{v:g}" for v in r["l2"][1:]), "dropout-list": ", ".join(f"{v:g}" for v in r["dropout"][1:])}
    for kind, (_, name) in STRENGTHS.items():
        best = int(r[f"{kind}_val_loss"].mean(0).argmin())  # chosen on the validation digits
        acc, loss = r[f"{kind}_test_accuracy"], r[f"{kind}_test_loss"]
        gain = paired(acc[:, best], acc[:, 0], points=True,
                      what=f"{name} {r[kind][best]:g} (chosen by validation loss) minus none, test accuracy")
        loss_gain = paired(loss[:, 0], loss[:, best],
                           what=f"none minus {name} {r[kind][best]:g} (chosen by validation loss), test loss")
        top = int(acc.mean(0).argmax())
        out[f"{kind}-ties"], out[f"{kind}-ties-test"] = ties(r[f"{kind}_val_loss"], best, [
            "none" if v == 0 else f"λ = {v:g}" if kind == "l2" else f"{v:g}" for v in r[kind]])
        out |= {f"{kind}-best": f"{r[kind][best]:g}", f"{kind}-best-acc": pct(acc[:, best].mean()),
                f"{kind}-none-acc": pct(acc[:, 0].mean()), f"{kind}-acc-test": gain.summary(),
                f"{kind}-acc-verdict": gain.reading, f"{kind}-loss-test": loss_gain.summary(),
                f"{kind}-loss-verdict": loss_gain.reading, f"{kind}-top": f"{r[kind][top]:g}",
                f"{kind}-top-acc": pct(acc[:, top].mean()), f"{kind}-strongest": f"{r[kind][-1]:g}",
                f"{kind}-strongest-acc": pct(acc[:, -1].mean())}
        out[f"{kind}-best-loss"] = loss_gain.claim(f"{name} at the strength chosen on the validation digits ends "
                                                   "with a lower test loss than none")
        out[f"{kind}-too-strong"] = paired(acc[:, best], acc[:, -1], points=True,
                                           what=f"{name} {r[kind][best]:g} minus {r[kind][-1]:g}, test "
                                                "accuracy").claim(f"the strongest {name} scores lower than the "
                                                                  "best strength")
    return out


# --- double descent ------------------------------------------------------------------------------

def threshold_index(r: dict) -> int:
    """Where the number of features equals the number of training digits."""
    return int(np.flatnonzero(r["widths"] == r["train_rows"])[0])


@figure("overfitting/double-descent", uses="overfitting/double-descent",
        caption="Random ReLU features of {train_rows} training digits with a linear readout fitted by least squares "
                "(nothing trained by gradient descent). Top: error on {test_rows} test digits for the least-norm fit "
                "and for the ridge fit, and the least-norm fit's error on its own training digits; bottom: the size "
                "(Frobenius norm) of the fitted readout. Lines: the mean of {seeds} seeds, each with its own digits "
                "and features; bands: the lowest to the highest seed. Dotted line: as many features as digits.")
def double_descent_figure(r: dict) -> tuple[go.Figure, Table]:
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, row_heights=[0.62, 0.38])
    p = r["widths"].astype(np.float64)
    seed_band(fig, p, r["test_error"][0], "test, least norm", 0, markers=True, row=1, col=1)
    seed_band(fig, p, r["test_error"][1], "test, ridge", 2, dash="dash", row=1, col=1)
    seed_band(fig, p, r["train_error"][0], "training, least norm", 1, dash="dot", row=1, col=1)
    seed_band(fig, p, r["norm"][0], "readout size, least norm", 0, showlegend=False, row=2, col=1)
    seed_band(fig, p, r["norm"][1], "readout size, ridge", 2, dash="dash", showlegend=False, row=2, col=1)
    for row in (1, 2):
        fig.add_vline(x=r["train_rows"], line={"dash": "dot", "color": "#7f7f7f", "width": 1}, row=row, col=1)
    ticks = [int(w) for w in r["widths"][::4]]
    fig.update_xaxes(type="log", tickvals=ticks, row=1, col=1)
    fig.update_xaxes(type="log", tickvals=ticks, title="random features p", row=2, col=1)
    fig.update_yaxes(title="error", tickformat=".0%", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title="readout size", type="log", dtick=1, row=2, col=1)
    rows = [[str(int(w)), mean_range(r["train_error"][0][:, j], pct), mean_range(r["test_error"][0][:, j], pct),
             mean_range(r["test_error"][1][:, j], pct), mean_range(r["norm"][0][:, j]),
             num(np.median(r["smallest_singular"][:, j]))] for j, w in enumerate(r["widths"])]
    return tidy(fig, height=560, top=80), (["features", "training error", "test error, least norm",
                                            "test error, ridge", "readout size, least norm",
                                            "smallest singular value (median)"], rows)


EXACT = 1e-12  # a training squared error this small is an exact fit of the one-hot targets


@values("overfitting/double-descent-values", uses="overfitting/double-descent")
def double_descent_values(r: dict) -> dict:
    """Each seed draws its own test digits, so the spread over the seeds already counts their sampling: no
    test-set term is added."""
    n, at, widths = r["train_rows"], threshold_index(r), r["widths"]
    error, norm = r["test_error"], np.log10(r["norm"])
    below = widths < n
    best_below = error[:, :, below].min(2)  # fit, seed: the lowest on these test digits
    others = np.delete(error, at, axis=2).max(2)  # fit, seed: the highest error at any other width
    ridge = "the same features with the ridge penalty"
    peak = paired(error[0, :, at], others[0], points=True,
                  what=f"least norm: test error at p = {n} minus the highest at any other width",
                  control=(error[1, :, at], others[1]), control_name=ridge)
    rise = paired(error[0, :, at], best_below[0], points=True,
                  what=f"least norm: test error at p = {n} minus the lowest below it on the same test digits",
                  control=(error[1, :, at], best_below[1]), control_name=ridge)
    second = paired(best_below[0], error[0, :, -1], points=True,
                    what=f"least norm: the lowest test error below p = {n} minus the error at p = {int(widths[-1])}")
    size = paired(norm[0, :, at], np.maximum(norm[0, :, at - 1], norm[0, :, at + 1]),
                  what=f"log10 of the readout's size, p = {n} minus the larger of p = {int(widths[at - 1])} and "
                       f"p = {int(widths[at + 1])}")
    order = np.argsort(error[0][:, below].mean(0))  # widths below the threshold, lowest mean error first
    low, next_low = int(order[0]), int(order[1])
    apart = paired(error[0][:, next_low], error[0][:, low], points=True,
                   what=f"least norm: test error at p = {int(widths[next_low])} minus at p = {int(widths[low])}")
    pair = sorted((int(widths[low]), int(widths[next_low])))
    lowest = (f"at p = {int(widths[low])}" if apart.sound else
              f"around p = {pair[0]}–{pair[1]}: the two differ by {apart.summary()}, which the seeds do not tell "
              "apart")
    exact = r["train_mse"][0] < EXACT  # seed, width
    return {"train-rows": str(n), "test-rows": f"{r['test_rows']:,}", "seeds": str(r["seeds"]),
            "smallest": str(int(widths[0])), "largest": str(int(widths[-1])), "ridge": f"{r['ridge']:g}",
            "ridge-lambda": f"{r['ridge'] * n:g}",
            "at-error": mean_range(error[0, :, at], pct), "best-below": mean_range(best_below[0], pct),
            "largest-error": mean_range(error[0, :, -1], pct), "ridge-at-error": mean_range(error[1, :, at], pct),
            "ridge-largest-error": mean_range(error[1, :, -1], pct),
            "peak": peak.claim("the test error peaks where the features just suffice to fit every training digit"),
            "peak-test": peak.summary(), "peak-control": peak.control.summary(),
            "rise": rise.claim("at the threshold the test error is above the lowest it reached with fewer features"),
            "rise-test": rise.summary(), "rise-control": rise.control.summary(),
            "highest-other": mean_range(others[0], pct),
            "second": second.claim("the second descent goes below the best of the first"),
            "second-test": second.summary(),
            "size": size.claim("the least-norm readout is larger at the threshold than at either neighbour"),
            "size-test": size.summary(),
            "at-norm": f"{np.median(r['norm'][0, :, at]):.0f}", "before-norm": f"{np.median(r['norm'][0, :, at - 1]):.0f}",
            "after-norm": f"{np.median(r['norm'][0, :, at + 1]):.0f}",
            "largest-norm": f"{np.median(r['norm'][0, :, -1]):.1f}",
            "before": str(int(widths[at - 1])), "after": str(int(widths[at + 1])),
            "at-singular": f"{np.median(r['smallest_singular'][:, at]):.2g}",
            "before-singular": f"{np.median(r['smallest_singular'][:, at - 1]):.2g}",
            "after-singular": f"{np.median(r['smallest_singular'][:, at + 1]):.2g}",
            "exact": f"10⁻{-int(np.log10(EXACT))}",
            "exact-seeds": str(int(exact[:, widths >= n].all(1).sum())),
            "inexact-below-seeds": str(int((~exact[:, widths < n]).all(1).sum())),
            "before-mse": num(r["train_mse"][0][:, at - 1].mean()),
            "before-classified-seeds": str(int((r["train_error"][0][:, at - 1] == 0).sum())),
            "below-train-error": mean_range(r["train_error"][0][:, at - 1], pct),
            "lowest-words": lowest,
            "guess-error": pct(1 - 1 / 10, 0)}  # guessing among the ten digits
