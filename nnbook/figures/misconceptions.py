"""Figures, tables and values for the misconceptions page."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nnbook.figures.style import Table, color, num, pct, seed_band, tidy
from nnbook.registry import claim, figure, values

CHANCE = 0.1  # ten classes
SMALL_SHIFT, LARGE_SHIFT, NOISE_SIGMA = 2, 4, 0.5  # the settings the prose reads off
LABEL_NOISE = {"low": 0.2, "mid": 0.6, "high": 0.8}






def add_chance(fig: go.Figure, col: int) -> None:
    fig.add_hline(y=CHANCE, line={"dash": "dot", "width": 1, "color": "#888"}, row=1, col=col,
                  annotation_text="chance", annotation_position="bottom right")


def spread(runs: np.ndarray) -> str:
    """Mean and the range over seeds, e.g. '92.5% (92.3–92.8%)'."""
    return f"{pct(runs.mean())} ({pct(runs.min())}–{pct(runs.max())})"


def band_rows(x: list[str], *series: np.ndarray) -> list[list[str]]:
    """Table rows: x, then for every series (seed, x) its mean and range over seeds."""
    return [[label] + [spread(s[:, k]) for s in series] for k, label in enumerate(x)]


def confidence(p: float) -> str:
    """A probability as a percentage that never rounds a near-certain answer up to 100%."""
    return ">99.99%" if p > 0.9999 else pct(p, 0 if p < 0.995 else 2)


def at(grid: np.ndarray, value: float) -> int:
    """The index of `value` in a parameter grid (it must be there)."""
    return int(np.flatnonzero(np.isclose(grid, value))[0])


# -- robustness ---------------------------------------------------------------------------


@figure("misconceptions/shift-noise", uses="misconceptions/robustness",
        caption="Validation accuracy of MNIST networks on digits moved up, down, left or right (averaged "
                "over the four directions) and on digits with Gaussian pixel noise of standard deviation σ added "
                "(pixel values range from 0 to 1; noisy values are clipped to that range). Line: mean of the seeds; "
                "band: lowest to highest seed.")
def shift_noise(r: dict) -> tuple[go.Figure, Table]:
    fig = make_subplots(rows=1, cols=2, subplot_titles=("digits moved", "noise added"), shared_yaxes=True)
    shift_acc = r["shift_accuracy"].mean(-1)  # average over directions: (seed, shift)
    seed_band(fig, r["shifts"], shift_acc, "moved", 0, col=1, row=1, markers=True)
    seed_band(fig, r["sigmas"], r["noise_accuracy"], "noisy", 1, col=2, row=1, markers=True)
    for col in (1, 2):
        add_chance(fig, col)
    fig.update_xaxes(title_text="shift (pixels)", dtick=1, row=1, col=1)
    fig.update_xaxes(title_text="noise σ", row=1, col=2)
    fig.update_yaxes(title_text="validation accuracy", tickformat=".0%", range=[0, 1], row=1, col=1)
    shift_rows = band_rows([f"moved {s} px" for s in r["shifts"]], shift_acc)
    noise_rows = band_rows([f"noise σ = {s:g}" for s in r["sigmas"]], r["noise_accuracy"])
    return tidy(fig, height=420, top=60, showlegend=False), (["input", "accuracy: mean (seed range)"],
                                                            shift_rows + noise_rows)


@figure("misconceptions/examples", uses="misconceptions/robustness",
        caption="One validation digit as the first network sees it: unchanged, moved 2 and 4 pixels to the "
                "right, with clipped noise, and after a fast-gradient-sign step. Of the digits this network "
                "reads correctly and the step turns into another answer, it is the one read most confidently. "
                "Each title gives the network's answer and its confidence.")
def examples(r: dict) -> tuple[go.Figure, Table]:
    names = list(r["example_names"])
    probs = r["example_probs"]
    titles = [f"{name.replace(', ', ',<br>')}<br>→ {int(p.argmax())} ({confidence(p.max())})"
              for name, p in zip(names, probs)]  # short lines: the titles must not touch at 400 px
    cols = 3
    fig = make_subplots(rows=2, cols=cols, subplot_titles=titles, horizontal_spacing=0.06, vertical_spacing=0.18)
    for k, image in enumerate(r["examples"]):
        quantised = np.round(255 * image.reshape(28, 28)).astype(np.uint8)
        cell = {"row": k // cols + 1, "col": k % cols + 1}
        fig.add_heatmap(z=quantised, colorscale="Greys", zmin=0, zmax=255, showscale=False, name=names[k],
                        hovertemplate="row %{y}, column %{x}: %{z}<extra></extra>", **cell)
        fig.update_xaxes(visible=False, constrain="domain", **cell)
        fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x" if k == 0 else f"x{k + 1}", **cell)
    fig.update_xaxes(visible=False, row=2, col=cols)  # the sixth cell stays empty
    fig.update_yaxes(visible=False, row=2, col=cols)
    fig.update_annotations(font_size=12)
    rows = [[name, str(int(p.argmax())), confidence(p.max()), confidence(p[r["example_label"]])]
            for name, p in zip(names, probs)]
    header = ["input", "network's answer", "its confidence", f"confidence in the true label ({r['example_label']})"]
    return tidy(fig, height=500, top=60, bottom=10), (header, rows)


@figure("misconceptions/adversarial", uses="misconceptions/robustness",
        caption="Share of correctly classified validation digits whose answer changes when every pixel "
                "moves by ε: in the direction of the loss gradient's sign (fast gradient sign), or in "
                "a random direction of the same size. Line: mean of the seeds; band: seed range.")
def adversarial(r: dict) -> tuple[go.Figure, Table]:
    fig = make_subplots(rows=1, cols=1)
    seed_band(fig, r["epsilons"], r["flipped"], "fast gradient sign", 3, markers=True)
    seed_band(fig, r["epsilons"], r["flipped_random"], "random sign, same size", 7, dash="dash", markers=True)
    fig.update_xaxes(title_text="ε, the change of every pixel (pixel range 0–1)")
    fig.update_yaxes(title_text="predictions changed", tickformat=".0%", range=[0, 1.02])
    rows = band_rows([f"{e:g}" for e in r["epsilons"]], r["flipped"], r["flipped_random"])
    return tidy(fig, height=400, top=40), (["ε", "fast gradient sign: changed", "random sign: changed"], rows)


@figure("misconceptions/saliency", uses="misconceptions/robustness",
        caption="A gradient saliency map: how strongly a small change of each pixel would move the score "
                "of the class the first network predicts (absolute gradient of that class's logit), "
                "beside the digit it was computed for.")
def saliency(r: dict) -> tuple[go.Figure, Table]:
    digit, grad = r["examples"][0].reshape(28, 28), r["saliency"].reshape(28, 28)
    fig = make_subplots(rows=1, cols=2, subplot_titles=("the digit", "its saliency map"),
                        horizontal_spacing=0.05)
    fig.add_heatmap(z=np.round(255 * digit).astype(np.uint8), colorscale="Greys", showscale=False, name="digit",
                    hovertemplate="row %{y}, column %{x}: %{z}<extra></extra>", row=1, col=1)
    fig.add_heatmap(z=np.round(255 * grad / grad.max()).astype(np.uint8), colorscale="Viridis", showscale=False,
                    name="saliency", hovertemplate="row %{y}, column %{x}: %{z}<extra></extra>", row=1, col=2)
    for col, x in ((1, "x"), (2, "x2")):
        fig.update_xaxes(visible=False, constrain="domain", row=1, col=col)
        fig.update_yaxes(visible=False, autorange="reversed", scaleanchor=x, row=1, col=col)
    ink = r["examples"][0] > 0.1
    share = r["saliency"][~ink].sum() / r["saliency"].sum()
    header = ["pixels", "share of the image", "share of the saliency"]
    rows = [["with ink (value above 0.1)", pct(ink.mean()), pct(1 - share)],
            ["blank background", pct(1 - ink.mean()), pct(share)]]
    return tidy(fig, height=340, top=40, bottom=10), (header, rows)


@values("misconceptions/robustness-values", uses="misconceptions/robustness")
def robustness_values(r: dict) -> dict:
    shift_acc = r["shift_accuracy"].mean(-1)
    clean = shift_acc[:, 0]
    two, four = shift_acc[:, at(r["shifts"], SMALL_SHIFT)], shift_acc[:, at(r["shifts"], LARGE_SHIFT)]
    noise = r["noise_accuracy"]
    half = noise[:, at(r["sigmas"], NOISE_SIGMA)]
    eps = at(r["epsilons"], r["show_eps"])
    flipped, random_flipped = r["flipped"][:, eps], r["flipped_random"][:, eps]
    probs = r["example_probs"]
    label = r["example_label"]
    background = r["background_share"].mean(-1)  # per seed
    background_pixels = 1 - r["ink_share"].mean()
    evenness = background / background_pixels  # 1: saliency spread over the pixels evenly
    sideways = r["shift_accuracy"][:, at(r["shifts"], SMALL_SHIFT), :2].mean(-1)  # right, left
    vertical = r["shift_accuracy"][:, at(r["shifts"], SMALL_SHIFT), 2:].mean(-1)  # down, up
    answers = probs.argmax(-1)
    return {
        "train-rows": f"{r['train_rows']:,}", "val-rows": f"{r['val_rows']:,}", "hidden": str(r["hidden"]),
        "steps": str(r["steps"]), "batch": str(r["batch"]), "lr": f"{r['lr']:g}", "seeds": str(r["seeds"]),
        "small-shift": str(SMALL_SHIFT), "large-shift": str(LARGE_SHIFT), "sigma": f"{NOISE_SIGMA:g}",
        "shift-2-drop": f"{100 * (clean - two).min():.0f}", "noise-drop": f"{100 * (clean - half).min():.0f}",
        "chance": pct(CHANCE, 0),
        "clean": pct(clean.mean()), "clean-range": f"{pct(clean.min())}–{pct(clean.max())}",
        "shift-2": pct(two.mean()), "shift-4": pct(four.mean()), "noise-half": pct(half.mean()),
        "max-sigma": f"{r['sigmas'][-1]:g}", "noise-max": pct(noise[:, -1].mean()),
        "eps": f"{r['show_eps']:g}", "flipped": pct(flipped.mean(), 0), "flipped-random": pct(random_flipped.mean(), 0),
        "label": str(r["example_label"]), "clean-answer": str(int(probs[0].argmax())),
        "clean-confidence": confidence(probs[0].max()), "adversarial-answer": str(int(probs[-1].argmax())),
        "adversarial-confidence": confidence(probs[-1].max()), "flipped-count": str(r["flipped_count"]),
        "example-large-shift-confidence": confidence(probs[2][label]),
        "example-noise-confidence": confidence(probs[3][label]),
        "shift-2-sideways": pct(sideways.mean()), "shift-2-vertical": pct(vertical.mean()),
        "blank-brightening": f"{r['blank_brightening']:.2f}", "example-sigma": f"{r['example_sigma']:g}",
        "background-share": f"{pct(background.min())}–{pct(background.max())}", "background-pixels": pct(background_pixels),
        "evenness": f"{evenness.min():.2f}–{evenness.max():.2f}",
        "vertical-hurts-more": claim(bool((vertical < sideways).all()),
                                     "for every seed, a 2-pixel move up or down costs more than one to the side"),
        "example-survives": claim(bool((answers[1:4] == label).all()),
                                  "the shown digit is still read correctly after both moves and the noise"),
        "shift-hurts": claim(clean.min() - two.max() > 0.2,
                             "a 2-pixel move costs every seed more than 20 points of accuracy"),
        "shift-to-chance": claim(four.mean() - CHANCE < clean.mean() - four.mean(),
                                 "at 4 pixels, accuracy is closer to chance than to the unchanged digits' accuracy"),
        "noise-hurts": claim(np.all(np.diff(noise.mean(0)) < 0.005) and half.max() < clean.min() - 0.2,
                             "accuracy falls as the noise grows, and by more than 20 points at σ = 0.5 for every seed"),
        "attack-works": claim(flipped.min() > 0.5 and random_flipped.max() < 0.1,
                              "the gradient's sign changes most answers; a random sign of the same size "
                              "changes fewer than one in ten"),
        "example-flipped": claim(probs[0].argmax() == r["example_label"] and probs[-1].argmax() != r["example_label"],
                                 "the shown digit is read correctly before the step and wrongly after it"),
        "saliency-spread": claim(bool((np.abs(evenness - 1) < 0.1).all()),
                                 "for every seed, the blank background's share of the saliency is within a tenth "
                                 "of its share of the pixels: the saliency is spread almost evenly"),
    }


# -- data ---------------------------------------------------------------------------------


@figure("misconceptions/data", uses="misconceptions/data",
        caption="Validation accuracy of the same small network on 8×8 digits: trained on more or fewer "
                "rows (left), and on training labels of which a share was replaced by a wrong class (right). "
                "Dashed: accuracy on its own training rows, scored against the labels it was trained on. Line: mean of the seeds; band: "
                "lowest to highest seed.")
def data_figure(r: dict) -> tuple[go.Figure, Table]:
    fig = make_subplots(rows=1, cols=2, subplot_titles=("training-set size", "wrong labels"), shared_yaxes=True)
    seed_band(fig, r["sizes"], r["size_train_accuracy"], "on its training rows", 1, dash="dash", markers=True,
              row=1, col=1)
    seed_band(fig, r["sizes"], r["size_accuracy"], "on validation digits", 0, col=1, row=1, markers=True)
    seed_band(fig, r["noise"], r["noise_train_accuracy"], "on its training rows", 1, dash="dash", showlegend=False,
              markers=True, row=1, col=2)
    seed_band(fig, r["noise"], r["noise_accuracy"], "on validation digits", 0, col=2, showlegend=False, row=1, markers=True)
    for col in (1, 2):
        add_chance(fig, col)
    fig.update_xaxes(title_text="training rows (log)", type="log", tickvals=r["sizes"][::2], row=1, col=1)
    fig.update_xaxes(title_text="labels wrong", tickformat=".0%", row=1, col=2)
    fig.update_yaxes(title_text="accuracy", tickformat=".0%", range=[0, 1.02], row=1, col=1)
    rows = [[f"{n:,} rows, labels right", spread(r["size_accuracy"][:, k]), spread(r["size_train_accuracy"][:, k])]
            for k, n in enumerate(r["sizes"])]
    rows += [[f"{r['noise_rows']:,} rows, {pct(p, 0)} labels wrong", spread(r["noise_accuracy"][:, k]),
              spread(r["noise_train_accuracy"][:, k]), spread(r["wrong_labels_memorised"][:, k])]
             for k, p in enumerate(r["noise"]) if p > 0]
    rows = [row + [""] * (4 - len(row)) for row in rows]
    header = ["training data", "validation accuracy: mean (seed range)",
              "training accuracy (against the labels it was given)", "wrong training labels reproduced"]
    return tidy(fig, height=440, top=80), (header, rows)


@values("misconceptions/data-values", uses="misconceptions/data")
def data_values(r: dict) -> dict:
    size_acc, noise_acc = r["size_accuracy"], r["noise_accuracy"]
    smallest, largest, before = size_acc[:, 0], size_acc[:, -1], size_acc[:, -2]
    noise_at = {name: noise_acc[:, at(r["noise"], p)] for name, p in LABEL_NOISE.items()}
    clean = noise_acc[:, 0]
    gain_digits = np.round((largest - before) * r["val_rows"]).astype(int)  # per seed, same start and shuffle
    memorised = {name: r["wrong_labels_memorised"][:, at(r["noise"], p)] for name, p in LABEL_NOISE.items()}
    rows_per_class = r["noise_rows"] / 10
    return {
        "smallest": str(r["sizes"][0]), "largest": f"{r['sizes'][-1]:,}", "second-largest": f"{r['sizes'][-2]:,}",
        "val-rows": str(r["val_rows"]), "hidden": str(r["hidden"]), "steps": str(r["steps"]), "batch": str(r["batch"]),
        "lr": f"{r['lr']:g}", "seeds": str(r["seeds"]), "examples-seen": f"{r['steps'] * r['batch']:,}",
        "smallest-acc": pct(smallest.mean()), "smallest-train-acc": pct(r["size_train_accuracy"][:, 0].mean()),
        "largest-acc": pct(largest.mean()), "second-largest-acc": pct(before.mean()),
        "plateau-gain": f"{gain_digits.min()}–{gain_digits.max()}" if gain_digits.min() != gain_digits.max()
        else str(gain_digits.min()),
        "clean-acc": pct(clean.mean()), **{f"noise-{name}-acc": pct(a.mean()) for name, a in noise_at.items()},
        **{f"noise-{name}": pct(p, 0) for name, p in LABEL_NOISE.items()},
        "noise-low-drop": f"{100 * (clean.mean() - noise_at['low'].mean()):.1f}",
        "right-share-high": pct(1 - LABEL_NOISE["high"], 0), "wrong-each-high": pct(LABEL_NOISE["high"] / 9, 0),
        "rows-per-class": f"{rows_per_class:.0f}",
        "right-per-class-mid": f"{rows_per_class * (1 - LABEL_NOISE['mid']):.0f}",
        "right-per-class-high": f"{rows_per_class * (1 - LABEL_NOISE['high']):.0f}",
        "wrong-per-class-high": f"{rows_per_class * LABEL_NOISE['high']:.0f}",
        **{f"memorised-{name}": pct(m.mean(), 0) for name, m in memorised.items()},
        **{f"noise-{name}-train-acc": pct(r["noise_train_accuracy"][:, at(r["noise"], p)].mean(), 0)
           for name, p in LABEL_NOISE.items()},
        "noise-high-drop": f"{100 * (clean.mean() - noise_at['high'].mean()):.0f}",
        "noise-mid-drop": f"{100 * (clean.mean() - noise_at['mid'].mean()):.0f}",
        "more-data-helps": claim(smallest.max() < largest.min() - 0.2,
                                 "every seed trained on the most rows beats every seed trained on the fewest, "
                                 "by more than 20 points"),
        "memorises": claim(r["size_train_accuracy"][:, 0].min() > 0.99 and smallest.mean() < 0.85,
                           "with the fewest rows the network is right on all of its training rows but not on new digits"),
        "gains-shrink": claim(size_acc[:, 1].mean() - smallest.mean() > largest.mean() - before.mean() + 0.05,
                              "the first step up in training rows gains more than the last one"),
        "plateau": claim(bool((gain_digits > 0).all() and gain_digits.max() <= 6),
                         "for every seed the most rows beat the second most, by at most 6 validation digits"),
        "few-memorised": claim(bool(memorised["mid"].max() < 0.1 and memorised["high"].min() > 2 * memorised["mid"].max()),
                               "up to the middle share of wrong labels the networks reproduce fewer than one in ten "
                               "of them; with the largest share, more than twice as many"),
        "some-noise-tolerated": claim(noise_at["low"].mean() > clean.mean() - 0.06,
                                      "the fewest wrong labels cost less than 6 points"),
        "cost-large-at-high": claim(clean.mean() - noise_at["high"].mean() > 3 * (clean.mean() - noise_at["mid"].mean()),
                                    "the largest share of wrong labels costs more than three times the middle one"),
        "majority-still-wins": claim(noise_at["mid"].min() > 0.7,
                                     "with the middle share of wrong labels every seed stays above 70%"),
        "heavy-noise-hurts": claim(noise_at["high"].max() < clean.min() - 0.3,
                                   "with the largest share of wrong labels every seed loses more than 30 points"),
    }
