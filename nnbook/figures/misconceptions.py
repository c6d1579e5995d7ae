"""Figures, tables and values for the misconceptions page."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nnbook.evidence import equivalent, exact_interval, paired, trend
from nnbook.figures.style import Table, color, pct, seed_band, tidy
from nnbook.registry import figure, values

CHANCE = 0.1  # ten classes
SMALL_SHIFT, LARGE_SHIFT, NOISE_SIGMA = 2, 4, 0.5  # the settings the prose reads off
LABEL_NOISE = {"low": 0.2, "mid": 0.6, "high": 0.8}
WHOLE = 0.99  # a moved digit "keeps its ink" when at least this share of it stays in the frame
CROPPED = 0.95  # and "loses ink" when less than this share stays
# the margins the sentences promise
SHIFT_COST = 0.2  # a 2-pixel move costs more than this much accuracy
NOISE_COST = 0.2  # so does noise of σ = NOISE_SIGMA
ATTACK_GAP = 0.3  # the gradient's sign changes this many more of the right answers than a random sign
EVENNESS_MARGIN = 0.1  # the saliency's share of the background is within this of its share of the pixels


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
        caption="One validation digit as the first network sees it: unchanged, moved to the right by the "
                "pixels its titles give, with clipped noise, and after a fast-gradient-sign step. Of the digits this network "
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
                "of the class the first network predicts (absolute gradient of that class's logit, as a share "
                "of its largest value on the colour bar), beside the digit it was computed for.")
def saliency(r: dict) -> tuple[go.Figure, Table]:
    digit, grad = r["examples"][0].reshape(28, 28), r["saliency"].reshape(28, 28)
    fig = make_subplots(rows=1, cols=2, subplot_titles=("the digit", "its saliency map"),
                        horizontal_spacing=0.05)
    fig.add_heatmap(z=np.round(255 * digit).astype(np.uint8), colorscale="Greys", showscale=False, name="digit",
                    hovertemplate="row %{y}, column %{x}: %{z}<extra></extra>", row=1, col=1)
    fig.add_heatmap(z=(grad / grad.max()).astype(np.float32), colorscale="Viridis", zmin=0, zmax=1, name="saliency",
                    colorbar={"title": {"text": "saliency ÷ its largest", "side": "right"}, "len": 0.9, "thickness": 12},
                    hovertemplate="row %{y}, column %{x}: %{z:.2f} of the largest<extra></extra>", row=1, col=2)
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
    i2, i4 = at(r["shifts"], SMALL_SHIFT), at(r["shifts"], LARGE_SHIFT)
    two, four = shift_acc[:, i2], shift_acc[:, i4]
    right = r["shift_correct"].astype(np.float64)  # seed, shift, direction, digit
    clean_right, two_right, four_right = right[:, 0].mean(1), right[:, i2].mean(1), right[:, i4].mean(1)
    noise = r["noise_accuracy"]
    i_half = at(r["sigmas"], NOISE_SIGMA)
    half, half_right = noise[:, i_half], r["noise_correct"][:, i_half].astype(np.float64)
    eps = at(r["epsilons"], r["show_eps"])
    flipped, random_flipped = r["flipped"][:, eps], r["flipped_random"][:, eps]
    was_right = r["clean_correct"].astype(np.float64)
    share_of_right = was_right / was_right.mean(-1, keepdims=True)  # per digit, so that its mean is a share
    sign_flips, random_flips = (r["shown_changed"][k] * share_of_right for k in (0, 1))
    probs = r["example_probs"]
    label = r["example_label"]
    evenness_each = r["background_share"] / (1 - r["ink_share"])[None]  # seed, digit: 1 is even
    evenness = evenness_each.mean(-1)
    background = r["background_share"].mean(-1)  # per seed
    background_pixels = 1 - r["ink_share"].mean()
    sideways_right, vertical_right = right[:, i2, :2].mean(1), right[:, i2, 2:].mean(1)  # right, left; down, up
    sideways, vertical = sideways_right.mean(-1), vertical_right.mean(-1)
    kept = r["ink_kept"]  # shift, direction, digit
    whole_at_2 = kept[i2].min(0) >= WHOLE  # digits that keep their ink in all four directions
    lost = (kept < CROPPED).mean((1, 2))  # per shift: share of moved digits that lose ink
    pts = {"points": True}
    shift_cost = paired(clean, two, margin=SHIFT_COST, examples=(clean_right, two_right), what=f"unchanged minus "
                        f"moved {SMALL_SHIFT} px, validation accuracy", **pts)
    whole_cost = paired(clean_right[:, whole_at_2].mean(-1), two_right[:, whole_at_2].mean(-1), margin=SHIFT_COST,
                        examples=(clean_right[:, whole_at_2], two_right[:, whole_at_2]),
                        what=f"unchanged minus moved {SMALL_SHIFT} px, digits that keep their ink", **pts)
    vertical_more = paired(sideways, vertical, examples=(sideways_right, vertical_right),
                           what=f"moved {SMALL_SHIFT} px sideways minus up or down, validation accuracy", **pts)
    to_chance = paired(clean + CHANCE, 2 * four, examples=(clean_right + CHANCE, 2 * four_right),
                       what=f"(unchanged − moved {LARGE_SHIFT} px) minus (moved {LARGE_SHIFT} px − chance)", **pts)
    noise_cost = paired(clean, half, margin=NOISE_COST, examples=(clean_right, half_right),
                        what=f"unchanged minus noise σ = {NOISE_SIGMA:g}, validation accuracy", **pts)
    noise_trend = trend(r["sigmas"], noise, increasing=False, what="validation accuracy against noise σ")
    most_flip = paired(flipped, np.full_like(flipped, 0.5), examples=(sign_flips, np.full_like(sign_flips, 0.5)),
                       what="share of right answers the sign step changes, minus one half", **pts)
    attack_gap = paired(flipped, random_flipped, margin=ATTACK_GAP, examples=(sign_flips, random_flips),
                        what="right answers changed, gradient sign minus random sign", **pts)
    even = equivalent(evenness, np.ones_like(evenness), EVENNESS_MARGIN,
                      examples=(evenness_each, np.ones_like(evenness_each)),
                      what="saliency's share of the background ÷ the background's share of the pixels, minus 1")
    return {
        "train-rows": f"{r['train_rows']:,}", "val-rows": f"{r['val_rows']:,}", "hidden": str(r["hidden"]),
        "steps": str(r["steps"]), "batch": str(r["batch"]), "lr": f"{r['lr']:g}", "seeds": str(r["seeds"]),
        "small-shift": str(SMALL_SHIFT), "large-shift": str(LARGE_SHIFT), "sigma": f"{NOISE_SIGMA:g}",
        "max-shift": str(int(r["shifts"][-1])), "shift-cost-margin": f"{100 * SHIFT_COST:.0f}",
        "noise-cost-margin": f"{100 * NOISE_COST:.0f}", "attack-margin": f"{100 * ATTACK_GAP:.0f}",
        "shift-2-drop": f"{100 * (clean - two).mean():.0f}", "noise-drop": f"{100 * (clean - half).mean():.0f}",
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
        "evenness": f"{evenness.mean():.2f}", "evenness-margin": f"{EVENNESS_MARGIN:g}",
        "whole-share": pct(whole_at_2.mean(), 0), "whole-margin": pct(WHOLE, 0), "whole-drop": f"{100 * whole_cost.statistic:.0f}",
        "whole-shift-2": pct(two_right[:, whole_at_2].mean()), "whole-clean": pct(clean_right[:, whole_at_2].mean()),
        "lost-2": pct(lost[i2], 0), "lost-4": pct(lost[i4], 0), "lost-max": pct(lost[-1], 0),
        "cropped-margin": pct(1 - CROPPED, 0),
        "vertical-hurts-more": vertical_more.claim(f"a {SMALL_SHIFT}-pixel move up or down costs more than one to the side"),
        "shift-hurts": shift_cost.claim(f"a {SMALL_SHIFT}-pixel move costs more than {100 * SHIFT_COST:.0f} points of "
                                        "accuracy"),
        "whole-hurts": whole_cost.claim(f"on the digits that keep at least {pct(WHOLE, 0)} of their ink, a "
                                        f"{SMALL_SHIFT}-pixel move still "
                                        f"costs more than {100 * SHIFT_COST:.0f} points"),
        "shift-to-chance": to_chance.claim(f"at {LARGE_SHIFT} pixels, accuracy is closer to chance than to the "
                                           "unchanged digits' accuracy"),
        "noise-hurts": noise_cost.claim(f"noise of σ = {NOISE_SIGMA:g} costs more than {100 * NOISE_COST:.0f} points"),
        "noise-falls": noise_trend.claim("accuracy falls as the noise grows"),
        "attack-most": most_flip.claim("the gradient's sign changes most of the answers that were right"),
        "attack-works": attack_gap.claim(f"the gradient's sign changes more than {100 * ATTACK_GAP:.0f} points more "
                                         "right answers than a random sign of the same size"),
        "saliency-spread": even.claim("the blank background's share of the saliency is within a tenth of its share of "
                                      "the pixels: the saliency is spread almost evenly"),
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


@figure("misconceptions/shortcut", uses="misconceptions/data",
        caption="What the same small network learns from data that is wrong in a systematic way. Left: trained "
                "with every 7 labelled 1, the share of validation 7s it reads as 1. Right: trained on digits that "
                "carry a mark at the edge whose position gives the label, its accuracy on validation digits "
                "without the mark and with a mark that points to a wrong label. Each pair of bars compares it with "
                "the network trained on the plain digits with right labels. Bars: mean over the seeds; dots: "
                "each seed.")
def shortcut_figure(r: dict) -> tuple[go.Figure, Table]:
    y = r["val_labels"]
    seven, one = r["systematic"]
    sevens = y == seven
    as_one = (r["systematic_answers"][:, :, sevens] == one).mean(-1)  # [clean, systematic], seed
    plain = (r["shortcut_answers"] == y).mean(-1)  # [clean, shortcut], seed
    misled = (r["misled_answers"] == y).mean(-1)
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12, column_widths=[0.35, 0.65], subplot_titles=(
        f"every {seven} labelled {one}:<br>validation {seven}s read as {one}", "a mark that gives the label"))
    names = ("plain digits, right labels", "the data with the flaw")
    groups = [(1, [f"{seven}s read as {one}"], [as_one]), (2, ["no mark", "a misleading mark"], [plain, misled])]
    rows = []
    for col, labels, series in groups:
        for k, name in enumerate(names):
            mean = [float(v[k].mean()) for v in series]
            fig.add_bar(x=labels, y=mean, name=name, legendgroup=name, showlegend=col == 1, marker_color=color(k),
                        offsetgroup=str(k), hovertemplate=f"{name}: %{{y:.1%}}<extra></extra>", row=1, col=col)
            for label, v in zip(labels, series):
                fig.add_scatter(x=[label] * len(v[k]), y=v[k], mode="markers", showlegend=False, legendgroup=name,
                                offsetgroup=str(k), marker={"color": "#888", "size": 5}, hoverinfo="skip",
                                row=1, col=col)
                rows.append([label, name, pct(v[k].mean()), f"{pct(v[k].min())}–{pct(v[k].max())}"])
    fig.update_layout(barmode="group", scattermode="group")
    fig.update_yaxes(tickformat=".0%", range=[0, 1.02])
    return tidy(fig, height=440, top=90), (["test", "trained on", "mean", "seed range"], rows)


@values("misconceptions/data-values", uses="misconceptions/data")
def data_values(r: dict) -> dict:
    size_acc, noise_acc = r["size_accuracy"], r["noise_accuracy"]
    size_right, noise_right = r["size_correct"].astype(np.float64), r["noise_correct"].astype(np.float64)
    smallest, largest, before = size_acc[:, 0], size_acc[:, -1], size_acc[:, -2]
    level = {name: at(r["noise"], p) for name, p in LABEL_NOISE.items()}
    noise_at = {name: noise_acc[:, k] for name, k in level.items()}
    right_at = {name: noise_right[:, k] for name, k in level.items()}
    clean, clean_right = noise_acc[:, 0], noise_right[:, 0]
    memorised = {name: r["wrong_labels_memorised"][:, k] for name, k in level.items()}
    rows_per_class = r["noise_rows"] / 10
    pts = {"points": True}
    more_data = paired(largest, smallest, margin=0.2, examples=(size_right[:, -1], size_right[:, 0]),
                       what="most minus fewest training rows, validation accuracy", **pts)
    memorises = paired(r["size_train_accuracy"][:, 0], smallest, margin=0.1, examples=int(r["val_rows"]),
                       what="fewest rows: accuracy on its training rows minus on new digits", **pts)
    first_gain, last_gain = size_right[:, 1] - size_right[:, 0], size_right[:, -1] - size_right[:, -2]
    shrink = paired(first_gain.mean(-1), last_gain.mean(-1), examples=(first_gain, last_gain),
                    what="gain of the first step up in rows minus gain of the last", **pts)
    plateau = paired(largest, before, examples=(size_right[:, -1], size_right[:, -2]),
                     what="most minus second most training rows, validation accuracy", **pts)
    low_cost = paired(clean, noise_at["low"], examples=(clean_right, right_at["low"]),
                      what=f"right labels minus {pct(LABEL_NOISE['low'], 0)} wrong, validation accuracy", **pts)
    mid_cost = paired(clean, noise_at["mid"], examples=(clean_right, right_at["mid"]),
                      what=f"right labels minus {pct(LABEL_NOISE['mid'], 0)} wrong, validation accuracy", **pts)
    high_cost = paired(clean, noise_at["high"], margin=0.3, examples=(clean_right, right_at["high"]),
                       what=f"right labels minus {pct(LABEL_NOISE['high'], 0)} wrong, validation accuracy", **pts)
    jump = paired(clean - noise_at["high"], 3 * (clean - noise_at["mid"]),
                  examples=(clean_right - right_at["high"], 3 * (clean_right - right_at["mid"])),
                  what="cost of the largest share of wrong labels minus three times the middle one", **pts)
    few = paired(memorised["high"], 2 * memorised["mid"],
                 what="wrong training labels reproduced: largest share minus twice the middle", **pts)
    errors = {name: 1 - noise_at[name].mean() for name in level}
    seed_ratio = (1 - noise_at["mid"]) / (1 - clean)  # per seed: how many times the mistakes of right labels
    y = r["val_labels"]
    seven, one = (int(v) for v in r["systematic"])
    sevens = y == seven
    read_one = (r["systematic_answers"][:, :, sevens] == one).astype(np.float64)  # [clean, systematic], seed, 7s
    # the seed that reads the fewest 7s as 1, with the exact interval of its share (a share cannot pass 100 %)
    fewest = int((r["systematic_answers"][1][:, sevens] == one).sum(-1).min())
    exact_low, exact_high = exact_interval(fewest, int(sevens.sum()))
    systematic = paired(read_one[1].mean(-1), read_one[0].mean(-1), margin=0.5, examples=(read_one[1], read_one[0]),
                        what=f"validation {seven}s read as {one}: trained with every {seven} labelled {one} minus "
                             "with right labels", **pts)
    others = ~sevens
    right_others = (r["systematic_answers"][:, :, others] == y[others]).astype(np.float64)
    misled = (r["misled_answers"] == y).astype(np.float64)  # [clean, shortcut], seed, digit
    follows = (r["misled_answers"] == r["misled_mark"]).astype(np.float64)
    plain = (r["shortcut_answers"] == y).astype(np.float64)
    fooled = paired(misled[0].mean(-1), misled[1].mean(-1), margin=0.3, examples=(misled[0], misled[1]),
                    what="accuracy with a misleading mark: trained on plain digits minus with the shortcut", **pts)
    follow = paired(follows[1].mean(-1), follows[0].mean(-1), margin=0.3, examples=(follows[1], follows[0]),
                    what="answers that follow the misleading mark: shortcut-trained minus plain-trained", **pts)
    plain_cost = paired(plain[0].mean(-1), plain[1].mean(-1), examples=(plain[0], plain[1]),
                        what="plain validation digits: trained on plain digits minus with the shortcut", **pts)
    systematic_right = (r["systematic_answers"][1] == y).astype(np.float64)  # seed, digit
    random_beats = paired(noise_at["low"], systematic_right.mean(-1), examples=(right_at["low"], systematic_right),
                          what=f"validation accuracy: {pct(LABEL_NOISE['low'], 0)} of the labels wrong at random minus "
                               f"every {seven} labelled {one}", **pts)
    return {
        "sevens-share": pct(sevens.mean(), 0), "systematic-acc": pct(systematic_right.mean()),
        "systematic-drop": f"{100 * (clean.mean() - systematic_right.mean()):.1f}",
        "plain-cost": f"{100 * plain_cost.statistic:.1f}",
        "shortcut-plain-costs": plain_cost.claim("on plain validation digits the shortcut-trained networks are less "
                                                 "accurate than the plainly trained ones"),
        "random-milder": random_beats.claim(f"every {seven} labelled {one} costs more accuracy than "
                                            f"{pct(LABEL_NOISE['low'], 0)} of the labels wrong at random"),
        "smallest": str(r["sizes"][0]), "largest": f"{r['sizes'][-1]:,}", "second-largest": f"{r['sizes'][-2]:,}",
        "val-rows": str(r["val_rows"]), "hidden": str(r["hidden"]), "steps": str(r["steps"]), "batch": str(r["batch"]),
        "lr": f"{r['lr']:g}", "seeds": str(r["seeds"]), "examples-seen": f"{r['steps'] * r['batch']:,}",
        "smallest-acc": pct(smallest.mean()), "smallest-train-acc": pct(r["size_train_accuracy"][:, 0].mean()),
        "largest-acc": pct(largest.mean()), "second-largest-acc": pct(before.mean()),
        "plateau-gain": f"{100 * plateau.statistic:.1f}", "plateau-test": plateau.description(),
        "plateau-verdict": plateau.reading, "plateau-low": f"{100 * plateau.interval[0]:+.1f}".replace("-", "−"),
        "plateau-high": f"{100 * plateau.interval[1]:+.1f}".replace("-", "−"), "plateau-wins": f"{plateau.wins} of {plateau.seeds}",
        "clean-acc": pct(clean.mean()), **{f"noise-{name}-acc": pct(a.mean()) for name, a in noise_at.items()},
        **{f"noise-{name}": pct(p, 0) for name, p in LABEL_NOISE.items()},
        "clean-error": pct(1 - clean.mean()), **{f"noise-{name}-error": pct(e) for name, e in errors.items()},
        "mid-error-ratio": f"{errors['mid'] / (1 - clean.mean()):.0f}",
        "mid-error-ratio-range": f"{seed_ratio.min():.1f} to {seed_ratio.max():.1f}",
        "sevens-count": str(int(sevens.sum())), "sevens-fewest": str(fewest),
        "sevens-exact": f"{pct(exact_low, 0)} to {pct(exact_high, 0)}",
        "first-gain": f"{100 * first_gain.mean():.1f}", "second-smallest": f"{r['sizes'][1]:,}",
        "chance": pct(CHANCE, 0),
        "noise-low-drop": f"{100 * (clean.mean() - noise_at['low'].mean()):.1f}",
        "right-share-high": pct(1 - LABEL_NOISE["high"], 0), "wrong-each-high": pct(LABEL_NOISE["high"] / 9, 0),
        "rows-per-class": f"{rows_per_class:.0f}",
        "right-per-class-mid": f"{rows_per_class * (1 - LABEL_NOISE['mid']):.0f}",
        "right-per-class-high": f"{rows_per_class * (1 - LABEL_NOISE['high']):.0f}",
        "wrong-per-class-high": f"{rows_per_class * LABEL_NOISE['high']:.0f}",
        **{f"memorised-{name}": pct(m.mean(), 0) for name, m in memorised.items()},
        # a network that ignored the wrong labels, right about the true digit as often as on new digits,
        # matches a wrong label only when its own mistake lands on that one of the nine other digits
        **{f"ignoring-{name}": pct((1 - acc.mean()) / 9, 1) for name, acc in noise_at.items()},
        **{f"val-acc-{name}": pct(acc.mean(), 0) for name, acc in noise_at.items()},
        **{f"noise-{name}-train-acc": pct(r["noise_train_accuracy"][:, k].mean(), 0) for name, k in level.items()},
        "clean-train-acc": pct(r["noise_train_accuracy"][:, 0].mean()),
        "noise-high-drop": f"{100 * (clean.mean() - noise_at['high'].mean()):.0f}",
        "noise-mid-drop": f"{100 * (clean.mean() - noise_at['mid'].mean()):.0f}",
        "seven": str(seven), "one": str(one), "sevens-as-one": pct(read_one[1].mean(), 0),
        "sevens-as-one-clean": pct(read_one[0].mean(), 0),
        "others-systematic": pct(right_others[1].mean()), "others-clean": pct(right_others[0].mean()),
        "shortcut-plain": pct(plain[1].mean()), "clean-plain": pct(plain[0].mean()),
        "shortcut-misled": pct(misled[1].mean()), "clean-misled": pct(misled[0].mean()),
        "shortcut-follows": pct(follows[1].mean(), 0), "clean-follows": pct(follows[0].mean(), 0),
        "more-data-helps": more_data.claim("the most rows beat the fewest by more than 20 points"),
        "memorises": memorises.claim("with the fewest rows the network is right on more than 10 points more of its "
                                     "training rows than of new digits"),
        "gains-shrink": shrink.claim("the first step up in training rows gains more than the last one"),
        "some-noise-costs": low_cost.claim("the fewest wrong labels already cost accuracy"),
        "mid-noise-costs": mid_cost.claim("the middle share of wrong labels costs accuracy"),
        "cost-large-at-high": jump.claim("the largest share of wrong labels costs more than three times the middle one"),
        "heavy-noise-hurts": high_cost.claim("with the largest share of wrong labels the networks lose more than 30 "
                                             "points"),
        "few-memorised": few.claim("with the largest share of wrong labels the networks reproduce more than twice "
                                   "the share of them they reproduce at the middle share"),
        "systematic-learned": systematic.claim(f"trained with every {seven} labelled {one}, the networks read most "
                                               f"validation {seven}s as {one}"),
        "shortcut-fooled": fooled.claim("with a misleading mark the shortcut-trained networks lose more than 30 "
                                        "points against the plainly trained ones"),
        "shortcut-follows-mark": follow.claim("the shortcut-trained networks follow the misleading mark in more than "
                                              "30 points more of their answers than the plainly trained ones"),
    }
