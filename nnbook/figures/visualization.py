"""Figures, tables and values for the page on looking inside a network."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nnbook.figures.style import Table, color, num, pct, tidy
from nnbook.registry import claim, figure, table, values

METHODS = {"gradient": "gradient", "smoothgrad": "SmoothGrad", "integrated": "integrated gradients",
           "untrained": "gradient, untrained net"}
COLUMN_TITLES = ("digit", "gradient", "Smooth-<br>Grad", "integrated<br>gradients", "gradient,<br>untrained")
DIVERGING = "RdBu_r"  # red: raises the class score, blue: lowers it


def quantised(a: np.ndarray) -> np.ndarray:
    """`a` scaled to its own largest magnitude and stored as int8 (-127..127): a quarter of float32's bytes."""
    return np.round(127 * a / max(float(np.abs(a).max()), 1e-12)).astype(np.int8)


def image_axes(fig: go.Figure, rows: int, cols: int) -> None:
    """Square pixels, no ticks, row 0 at the top, in every cell of a subplot grid."""
    for k in range(rows * cols):
        suffix = "" if k == 0 else str(k + 1)
        fig.update_layout({f"xaxis{suffix}": {"visible": False, "constrain": "domain"},
                           f"yaxis{suffix}": {"visible": False, "autorange": "reversed",
                                              "scaleanchor": f"x{suffix}", "constrain": "domain"}})


def points(x: float) -> str:
    """A difference of two probabilities, in percentage points."""
    return f"{100 * float(x):.0f} points"


def seed_range(a: np.ndarray, digits: int = 0) -> str:
    """The lowest and highest of one number over the seeds, as percentages."""
    low, high = pct(np.min(a), digits), pct(np.max(a), digits)
    return low if low == high else f"{low}–{high}"


def digit_names(r: dict) -> list[str]:
    return [f"a {int(t)} (read as {int(p)})" for t, p in zip(r["shown_labels"], r["shown_predictions"])]


# -- saliency ------------------------------------------------------------------------------

@figure("visualization/saliency", uses="visualization/cnn",
        caption="Saliency maps of the first seed's trained CNN for one validation digit of several classes, each scaled to its "
                "own largest value. Red pixels raise the score of the digit's true class when brightened, blue ones "
                "lower it. The last column is the same gradient taken through the network before training.")
def saliency(r: dict) -> tuple[go.Figure, Table]:
    names = digit_names(r)
    columns = list(COLUMN_TITLES)
    fig = make_subplots(rows=len(names), cols=len(columns), column_titles=columns,
                        horizontal_spacing=0.01, vertical_spacing=0.01)
    for d in range(len(names)):
        fig.add_heatmap(z=(255 * r["shown_images"][d]).astype(np.uint8), colorscale="Greys", showscale=False,
                        hovertemplate=f"{names[d]}<extra></extra>", row=d + 1, col=1)
        for m, (key, label) in enumerate(METHODS.items()):
            fig.add_heatmap(z=quantised(r[f"saliency_{key}"][d]), colorscale=DIVERGING, zmid=0, zmin=-127, zmax=127,
                            showscale=False, hovertemplate=f"{label}, {names[d]}<extra></extra>",
                            row=d + 1, col=m + 2)
    image_axes(fig, len(names), len(columns))
    fig.update_annotations(font_size=12)
    header = ["digit"] + [f"{label}: share on ink" for label in METHODS.values()]
    rows = [[names[d]] + [pct(ink_share(r[f"saliency_{k}"][d], r["shown_images"][d]), 0) for k in METHODS]
            for d in range(len(names))]
    return tidy(fig, height=130 * len(names) + 50, top=50, bottom=10, margin={"l": 10, "r": 10, "t": 50, "b": 10}), \
        (header, rows)


def ink_share(attribution: np.ndarray, image: np.ndarray, ink: float = 0.1) -> float:
    """The share of one map's total |attribution| that falls on ink pixels."""
    size = np.abs(attribution)
    return float(size[image > ink].sum() / max(size.sum(), 1e-12))


@figure("visualization/ink-share", uses="visualization/cnn",
        caption="Where each method puts its attribution in the first seed's network, over many validation "
                "digits: the share of the total absolute attribution that falls on ink pixels (mean, with the standard deviation across digits "
                "as error bars). Diamonds: the same mean for each seed's network, for the two plain gradients. "
                "The dashed line is the share of pixels that are ink.")
def ink_share_figure(r: dict) -> tuple[go.Figure, Table]:
    means = [float(r[f"ink_share_{k}"].mean()) for k in METHODS]
    spreads = [float(r[f"ink_share_{k}"].std()) for k in METHODS]
    fig = go.Figure(go.Bar(x=list(METHODS.values()), y=means, error_y={"type": "data", "array": spreads},
                           marker_color=[color(i) for i in range(len(METHODS))], showlegend=False,
                           hovertemplate="%{x}: %{y:.0%} of the attribution on ink<extra></extra>"))
    for key in ("gradient", "untrained"):  # the only maps computed for every seed
        fig.add_scatter(x=[METHODS[key]] * int(r["seeds"]), y=r[f"seed_ink_{key}"].mean(axis=1), mode="markers",
                        marker={"symbol": "diamond", "size": 9, "color": "#555", "line": {"width": 1, "color": "#fff"}},
                        name="mean of each seed's network", showlegend=key == "gradient",
                        hovertemplate="one seed: %{y:.0%} on ink<extra></extra>")
    ink = float(r["ink_pixel_share"].mean())
    fig.add_hline(y=ink, line_dash="dash", line_color="#888", annotation_text=f"ink pixels: {pct(ink, 0)}",
                  annotation_position="top left")
    fig.update_layout(yaxis_title="attribution on ink", yaxis_tickformat=".0%", yaxis_range=[0, 1.05])
    header = ["method", "mean share on ink (first seed)", "standard deviation", "mean of each seed's network"]
    per_seed = {k: ", ".join(pct(v, 0) for v in r[f"seed_ink_{k}"].mean(axis=1)) for k in ("gradient", "untrained")}
    rows = [[label, pct(m, 1), pct(s, 1), per_seed.get(k, "first seed only")]
            for (k, label), m, s in zip(METHODS.items(), means, spreads)]
    return tidy(fig, height=380, top=40), (header, rows)


# -- feature maps --------------------------------------------------------------------------

def mosaic(maps: np.ndarray, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """Maps (count, h, w) tiled `cols` to a row with one-pixel gaps (NaN), and each pixel's map number."""
    count, h, w = maps.shape
    rows = int(np.ceil(count / cols))
    tiles = np.full((rows * (h + 1) - 1, cols * (w + 1) - 1), np.nan, dtype=np.float32)
    which = np.full(tiles.shape, -1, dtype=np.int8)
    for k in range(count):
        r, c = divmod(k, cols)
        tiles[r * (h + 1) : r * (h + 1) + h, c * (w + 1) : c * (w + 1) + w] = maps[k] / max(maps[k].max(), 1e-12)
        which[r * (h + 1) : r * (h + 1) + h, c * (w + 1) : c * (w + 1) + w] = k + 1
    return tiles, which


@figure("visualization/feature-maps", uses="visualization/cnn",
        caption="One validation digit passing through the trained CNN. Each small image is one feature map: the "
                "output of one convolution filter at every position (after ReLU; dark is zero, each map scaled "
                "to its own largest value). The first layer's maps are full size, the second layer's are half "
                "size after pooling. The bars are the network's ten class probabilities.")
def feature_maps(r: dict) -> tuple[go.Figure, Table]:
    first, second = r["conv_1"], r["conv_2"]
    fig = make_subplots(rows=2, cols=2, column_widths=[0.3, 0.7], horizontal_spacing=0.06, vertical_spacing=0.12,
                        subplot_titles=("input", f"layer 1: {len(first)} maps, 28×28", "output probabilities",
                                        f"layer 2: {len(second)} maps, 14×14"))
    fig.add_heatmap(z=r["shown_images"][0], colorscale="Greys", showscale=False,
                    hovertemplate="pixel value %{z:.2f}<extra></extra>", row=1, col=1)
    for row, (maps, per_row) in enumerate(((first, 4), (second, 8)), start=1):
        tiles, which = mosaic(maps, per_row)
        fig.add_heatmap(z=np.round(tiles, 2), customdata=which, colorscale="Viridis", showscale=False, zmin=0, zmax=1,
                        hovertemplate="map %{customdata}: %{z:.2f} of its largest<extra></extra>", row=row, col=2)
    probs = r["shown_probs"][0]
    fig.add_bar(x=np.arange(10), y=probs, showlegend=False,
                marker={"color": [color(3) if k == probs.argmax() else color(7) for k in range(10)]},
                hovertemplate="digit %{x}: %{y:.1%}<extra></extra>", row=2, col=1)
    for row, col, x in ((1, 1, "x"), (1, 2, "x2"), (2, 2, "x4")):
        fig.update_xaxes(visible=False, constrain="domain", row=row, col=col)
        fig.update_yaxes(visible=False, autorange="reversed", scaleanchor=x, constrain="domain", row=row, col=col)
    fig.update_xaxes(dtick=1, title_text="digit", row=2, col=1)
    fig.update_yaxes(range=[0, 1], tickformat=".0%", row=2, col=1)
    header = ["layer", "map", "share of positions above zero", "largest value"]
    rows = [[layer, str(k + 1), pct((m > 0).mean(), 0), num(m.max())]
            for layer, maps in (("1", first), ("2", second)) for k, m in enumerate(maps)]
    return tidy(fig, height=520, top=40), (header, rows)


# -- occlusion -----------------------------------------------------------------------------

@figure("visualization/occlusion", uses="visualization/cnn",
        caption="Occlusion: a black square slides over each digit (outlined), and the colour shows how much the "
                "probability of the digit's true class falls (in percentage points) with the square centred there. Red: covering this "
                "area hurts the answer; blue: covering it helps.")
def occlusion(r: dict) -> tuple[go.Figure, Table]:
    names = digit_names(r)
    n = len(names)
    cols = 3
    grid = int(np.ceil(n / cols))
    centres = r["occlusion_starts"] + (int(r["patch"]) - 1) / 2
    fig = make_subplots(rows=grid, cols=cols, subplot_titles=names, horizontal_spacing=0.03, vertical_spacing=0.08)
    for d in range(n):
        row, col = divmod(d, cols)
        fig.add_heatmap(z=np.round(100 * r["occlusion"][d], 1), x=centres, y=centres, colorscale=DIVERGING, zmid=0,
                        zmin=-100, zmax=100, showscale=d == 0,
                        colorbar={"title": {"text": "drop (percentage points)", "side": "right"}, "thickness": 12},
                        hovertemplate=f"{names[d]}<br>square centred at row %{{y}}, column %{{x}}<br>"
                                      "probability falls by %{z:.1f} points<extra></extra>", row=row + 1, col=col + 1)
        fig.add_contour(z=r["shown_images"][d], contours={"start": 0.5, "end": 0.5, "coloring": "lines"},
                        colorscale=[[0, "#444"], [1, "#444"]], line={"width": 1.5}, showscale=False, hoverinfo="skip",
                        row=row + 1, col=col + 1)
    image_axes(fig, grid, cols)
    fig.update_xaxes(range=[-0.5, 27.5])
    fig.update_yaxes(range=[27.5, -0.5], autorange=False)
    fig.update_annotations(font_size=12)
    header = ["digit", "probability of its class", "largest drop (points)", "largest rise (points)",
              "largest drop in log-probability"]
    rows = [[names[d], pct(r["shown_probs"][d, int(r["shown_labels"][d])]), points(r["occlusion"][d].max()),
             points(max(0.0, -float(r["occlusion"][d].min()))), num(r["occlusion_log"][d].max(), 2)] for d in range(n)]
    return tidy(fig, height=260 * grid + 40, top=40, bottom=10, margin={"l": 10, "r": 10, "t": 40, "b": 10}), \
        (header, rows)


# -- hidden representations ----------------------------------------------------------------

PROJECTIONS = {"tsne": "t-SNE", "pca": "PCA"}
DIGIT_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                "#bcbd22", "#17becf")


@figure("visualization/projection", uses="visualization/cnn",
        caption="The first seed's CNN: its last hidden layer for validation digits, projected to two dimensions, "
                "before training (left) and after (right), by t-SNE (top; one run, settings in the text) and PCA "
                "(bottom). Each point is one digit, coloured by its true class; hover for the "
                "network's answer. The axes have no units; in t-SNE, the size, density and distance of the groups "
                "mean nothing.")
def projection(r: dict) -> tuple[go.Figure, Table]:
    labels = r["points_labels"]
    titles = [f"{label}, {when} training" for label in PROJECTIONS.values() for when in ("before", "after")]
    fig = make_subplots(rows=2, cols=2, subplot_titles=titles, horizontal_spacing=0.04, vertical_spacing=0.08)
    for row, method in enumerate(PROJECTIONS, start=1):
        for col, when in enumerate(("before", "after"), start=1):
            points, predicted = r[f"{method}_{when}"], r[f"pred_{when}"]
            for digit in range(10):
                pick = labels == digit
                fig.add_scatter(x=points[pick, 0], y=points[pick, 1], mode="markers", name=str(digit),
                                legendgroup=str(digit), showlegend=row == col == 1,
                                marker={"color": DIGIT_COLORS[digit], "size": 4},
                                customdata=predicted[pick].astype(np.int8),
                                hovertemplate=f"true {digit}, read as %{{customdata}}<extra></extra>",
                                row=row, col=col)
    fig.update_xaxes(showticklabels=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, zeroline=False)
    header = ["digits whose nearest neighbour has the same class, in", "before training", "after training"]
    pixels = pct(r["nn_agreement_pixels"], 0)
    rows = [["the raw pixels (784 values; no network)", pixels, pixels],
            [f"the hidden layer itself ({r['hidden']} values)", pct(r["nn_agreement_hidden_before"], 0),
             pct(r["nn_agreement_hidden_after"], 0)]]
    rows += [[label, pct(r[f"nn_agreement_{m}_before"], 0), pct(r[f"nn_agreement_{m}_after"], 0)]
             for m, label in PROJECTIONS.items()]
    return tidy(fig, height=760, top=70, bottom=20, legend_title_text="digit"), (header, rows)


@values("visualization/cnn-values", uses="visualization/cnn")
def cnn_values(r: dict) -> dict:
    share = {k: float(r[f"ink_share_{k}"].mean()) for k in METHODS}
    ink = float(r["ink_pixel_share"].mean())
    names = digit_names(r)
    ig_gap, ig_change = np.abs(r["ig_completeness_gap"]), np.abs(r["ig_score_gap"])
    relative_gap = ig_gap.mean() / ig_change.mean()
    per_digit_gap = ig_gap / np.maximum(ig_change, 1e-6)
    nn = {f"{m}-{w}": float(r[f"nn_agreement_{m}_{w}"]) for m in ("hidden", "pca", "tsne") for w in ("before", "after")}
    before, after, pixels = r["seed_nn_hidden_before"], r["seed_nn_hidden_after"], float(r["nn_agreement_pixels"])
    acc_before = r["seed_acc_before"]
    trained_ink, untrained_ink = r["seed_ink_gradient"], r["seed_ink_untrained"]  # (seed, digit)
    trained_higher = (trained_ink > untrained_ink).sum(axis=1)
    val_acc = r["seed_val_accuracy"]
    out = {
        "train-rows": f"{r['train_rows']:,}", "val-rows": f"{r['val_rows']:,}", "epochs": str(r["epochs"]),
        "batch": str(r["batch"]), "lr": f"{r['lr']:g}", "filters-1": str(r["filters"][0]),
        "filters-2": str(r["filters"][1]), "parameters": f"{r['parameters']:,}", "seeds": str(r["seeds"]),
        "hidden": str(r["hidden"]), "val-acc": pct(r["val_accuracy"]), "val-acc-range": seed_range(val_acc, 1),
        "smooth-samples": str(r["smooth_samples"]), "smooth-noise": f"{r['smooth_noise']:g}",
        "ig-steps": str(r["ig_steps"]), "stats": str(r["stats"]), "patch": str(r["patch"]), "stride": str(r["stride"]),
        "points": str(len(r["points_labels"])), "ink-pixels": pct(ink, 0),
        "perplexity": str(r["perplexity"]), "tsne-iterations": str(r["max_iter"]), "tsne-init": str(r["init"]).upper(),
        **{f"ink-{k}": pct(v, 1 if v > 0.99 else 0) for k, v in share.items()},  # 99.7% must not read as 100%
        "ink-gradient-seeds": seed_range(trained_ink.mean(axis=1)),
        "ink-untrained-seeds": seed_range(untrained_ink.mean(axis=1)),
        "trained-higher-first": str(trained_higher[0]),
        "trained-higher-others": " and ".join(str(t) for t in trained_higher[1:]),
        "ig-gap": pct(relative_gap, 1), "ig-score-gap": num(ig_change.mean(), 2),
        "ig-gap-median": pct(np.median(per_digit_gap), 1), "ig-gap-max": pct(per_digit_gap.max(), 0),
        "acc-before": seed_range(acc_before), "top-answer-before": str(int(r["seed_top_answer_before"][0])),
        "top-answer-count-before": str(int(r["seed_top_answer_count_before"][0])),
        "top-answer-share-before": seed_range(r["seed_top_answer_count_before"] / len(r["points_labels"])),
        "nn-pixels": pct(pixels, 0), "nn-hidden-before-seeds": seed_range(before),
        "nn-hidden-after-seeds": seed_range(after),
        **{f"nn-{k}": pct(v, 0) for k, v in nn.items()},
        "gradient-on-ink": claim(bool((trained_ink.mean(axis=1) > ink).all()),
                                 "for every seed, the trained network's gradient puts more of its attribution on the "
                                 "ink than the ink's share of the pixels"),
        "untrained-on-ink": claim(bool((untrained_ink.mean(axis=1) > 2 * ink).all()),
                                  "for every seed, the untrained network's gradient puts at least twice the ink's "
                                  "share of the pixels on the ink"),
        "trained-vs-untrained-seed": claim(bool(trained_higher[0] > 0.5 * trained_ink.shape[1]
                                                and trained_higher.min() < 0.5 * trained_ink.shape[1]),
                                           "for the first seed the trained gradient puts more on the ink than the "
                                           "untrained one for most digits; for another seed, for fewer than half"),
        "integrated-on-ink": claim(share["integrated"] > 0.95,
                                   "integrated gradients from a black image put almost everything on the ink"),
        "ig-complete": claim(relative_gap < 0.05, "on average, integrated gradients add up to the change in the "
                                                  "score to within a few percent"),
        "random-features-group": claim(bool((before > 0.5).all() and (acc_before < 0.3).all()),
                                       "for every seed, before training the hidden layer already groups similar "
                                       "digits, though the network's answers are mostly wrong"),
        "pixels-between": claim(bool((before < pixels).all() and (after > pixels).all()),
                                "for every seed, the untrained hidden layer groups the digits less well than the raw "
                                "pixels, and the trained one better"),
        "training-separates": claim(bool((after > before).all()) and nn["tsne-after"] > nn["tsne-before"]
                                    and nn["pca-after"] > nn["pca-before"],
                                    "training makes the classes more separate, in the layer for every seed and in "
                                    "both maps"),
        "tsne-keeps-neighbours": claim(nn["tsne-after"] > nn["pca-after"] + 0.2
                                       and abs(nn["tsne-after"] - nn["hidden-after"]) < 0.1,
                                       "t-SNE's map keeps about as many same-class neighbours as the hidden layer; "
                                       "PCA's keeps far fewer"),
        "still-learning": claim(bool((r["seed_loss"][:, -1] < r["seed_loss"][:, -2]).all()),
                                "every seed's training loss was still falling in the last epoch"),
        "trained-well": claim(bool((val_acc > 0.9).all()), "every seed's network reads more than 90% of the "
                                                            "validation digits correctly"),
    }
    occl, occl_log = r["occlusion"], r["occlusion_log"]
    per_digit = occl.max(axis=(1, 2))
    rise_digit = int(occl.min(axis=(1, 2)).argmin())
    least = int(per_digit.argmin())
    misread = r["shown_predictions"] != r["shown_labels"]
    out |= {
        "occlusion-max": f"{100 * occl.max():.0f}", "occlusion-most-digit": names[int(per_digit.argmax())],
        "occlusion-most-from": pct(r["shown_probs"][int(per_digit.argmax()), int(r["shown_labels"][int(per_digit.argmax())])], 0),
        "occlusion-rise": f"{-100 * occl.min():.0f}", "occlusion-rise-digit": names[rise_digit],
        "occlusion-least": f"{100 * per_digit.min():.1f}", "occlusion-least-digit": names[least],
        "occlusion-least-prob": pct(r["shown_probs"][least, int(r["shown_labels"][least])], 2),
        "occlusion-least-log": num(occl_log[least].max(), 2),
        "occlusion-log-max": num(occl_log.max(), 1),
        "misread": str(int(misread.sum())),
        "occlusion-varies": claim(per_digit.max() > 5 * per_digit.min(),
                                  "one digit loses more than five times as much as another to its worst square"),
        "occlusion-log-agrees": claim(int(occl_log.max(axis=(1, 2)).argmin()) == least
                                      and occl_log[least].max() < 0.2 * occl_log.max(),
                                      "in log-probability too, the least sensitive digit loses less than a fifth of "
                                      "the most sensitive one's drop"),
        "occlusion-small-rise": claim(-occl.min() < 0.05, "no square raises a shown digit's probability by 5 points "
                                                          "or more"),
        "none-misread": claim(not misread.any(), "the network reads all the shown digits correctly"),
    }
    return out


# -- permutation importance and weights ----------------------------------------------------

def importance_order(r: dict) -> np.ndarray:
    """Features from most to least important, by the rise in loss averaged over seeds and repeats."""
    return np.argsort(-r["loss_rise"].mean(axis=(0, 2)))


@figure("visualization/permutation", uses="visualization/importance",
        caption="Permutation importance: how much the validation loss rises when one feature's column is "
                "shuffled, for three networks trained from different seeds. Bars are the mean over the shuffles, "
                "error bars the standard deviation across them. Features are sorted by the mean over all three.")
def permutation(r: dict) -> tuple[go.Figure, Table]:
    order = importance_order(r)[::-1]  # most important at the top
    names = [r["features"][j] for j in order]
    fig = go.Figure()
    for s in range(int(r["seeds"])):
        rise = r["loss_rise"][s][order]
        fig.add_bar(y=names, x=rise.mean(axis=1), orientation="h", name=f"seed {s + 1}",
                    error_x={"type": "data", "array": rise.std(axis=1), "thickness": 1},
                    marker_color=color(s), hovertemplate="%{y}: +%{x:.3f}<extra>seed " + str(s + 1) + "</extra>")
    fig.update_layout(barmode="group", xaxis_title="rise in validation loss when shuffled", bargap=0.25,
                      yaxis={"tickfont": {"size": 11}, "automargin": True})
    return tidy(fig, height=900, top=40, margin={"l": 160, "r": 20, "t": 40, "b": 50}), importance_table(r)


@table("visualization/importance-table", uses="visualization/importance",
       caption="The ten most important features: the rise in validation loss and the fall in accuracy when the "
               "feature is shuffled (mean over shuffles and seeds, ± the standard deviation across shuffles), "
               "and the feature's rank in each seed's network.")
def importance_table(r: dict) -> Table:
    rise, drop = r["loss_rise"], r["accuracy_drop"]
    ranks = np.argsort(np.argsort(-rise.mean(axis=2), axis=1), axis=1) + 1  # (seeds, features)
    rows = []
    for k, j in enumerate(importance_order(r)[:10]):
        rows.append([str(k + 1), r["features"][j], f"{num(rise[:, j].mean())} ± {num(rise[:, j].std(axis=1).mean())}",
                     f"{pct(drop[:, j].mean())} ± {pct(drop[:, j].std(axis=1).mean())}",
                     ", ".join(str(int(x)) for x in ranks[:, j])])
    return ["rank", "feature", "loss rise", "accuracy drop", "rank per seed"], rows


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's ρ: the correlation of the two series' ranks (ties share their mean rank)."""
    def ranks(x: np.ndarray) -> np.ndarray:
        values, inverse = np.unique(x, return_inverse=True)
        first = np.searchsorted(np.sort(x), values)
        last = np.searchsorted(np.sort(x), values, side="right")
        return ((first + last - 1) / 2.0)[inverse]

    return float(np.corrcoef(ranks(np.asarray(a)), ranks(np.asarray(b)))[0, 1])


@figure("visualization/weights", uses="visualization/importance",
        caption="The first-layer weight matrix of the first seed's network: one row per hidden unit, one column "
                "per input feature (columns sorted by that network's permutation importance, most important on "
                "the left). Rows are reordered so that units with similar weights sit together.")
def weights(r: dict) -> tuple[go.Figure, Table]:
    kernel = r["kernel"]
    cols = np.argsort(-r["loss_rise"][0].mean(axis=1))
    rows = r["kernel_row_order"]  # hierarchical clustering of the units, done by the experiment
    z = np.round(kernel[np.ix_(rows, cols)], 2)
    names = [r["features"][j] for j in cols]
    units = [f"unit {u + 1}" for u in rows]
    limit = float(np.abs(z).max())
    fig = go.Figure(go.Heatmap(z=z, x=names, y=units, colorscale=DIVERGING, zmid=0, zmin=-limit, zmax=limit,
                               colorbar={"title": {"text": "weight", "side": "right"}, "thickness": 12},
                               hovertemplate="%{y}, %{x}: %{z:+.2f}<extra></extra>"))
    fig.update_layout(xaxis={"tickangle": -60, "tickfont": {"size": 10}}, yaxis={"autorange": "reversed"})
    header = ["feature", "sum of |weights| into the hidden layer", "rank by weight", "rank by permutation"]
    total = np.abs(kernel).sum(axis=0)
    by_weight = np.argsort(np.argsort(-total)) + 1
    table_rows = [[r["features"][j], num(total[j]), str(int(by_weight[j])), str(k + 1)] for k, j in enumerate(cols)]
    return tidy(fig, height=540, top=20, bottom=150), (header, table_rows)


@values("visualization/importance-values", uses="visualization/importance")
def importance_values(r: dict) -> dict:
    rise, drop = r["loss_rise"], r["accuracy_drop"]
    per_seed = rise.mean(axis=2)  # (seeds, features)
    tops = [r["features"][j] for j in per_seed.argmax(axis=1)]
    order = importance_order(r)
    first, fifth = per_seed[:, order[0]].mean(), per_seed[:, order[4]].mean()
    seed_spread = per_seed[:, order[:5]].std(axis=0).max()
    corr = np.abs(r["feature_correlation"])
    np.fill_diagonal(corr, 0)
    f = list(r["features"])
    pair = r["feature_correlation"][f.index("mean radius"), f.index("mean perimeter")]
    strong = (corr[np.triu_indices(len(f), 1)] > 0.9).sum()
    top_twins = corr[order[:2]].max(axis=1)  # each of the two top features' strongest correlation with another
    ranks = np.argsort(np.argsort(-per_seed, axis=1), axis=1) + 1  # (seeds, features)
    kernels = r["kernels"]
    rho = np.array([rank_correlation(np.abs(kernels[s]).sum(axis=0), per_seed[s]) for s in range(len(kernels))])
    shuffle_spread = rise.std(axis=2)  # (seeds, features), across shuffles
    return {
        "features": str(len(f)), "train-rows": str(r["train_rows"]), "val-rows": str(r["val_rows"]),
        "hidden": str(r["hidden"]), "epochs": str(r["epochs"]), "batch": str(r["batch"]), "lr": f"{r['lr']:g}",
        "repeats": str(r["repeats"]), "seeds": str(r["seeds"]),
        "val-acc-min": pct(r["val_accuracy"].min()), "val-acc-max": pct(r["val_accuracy"].max()),
        "max-rise": num(per_seed.max()), "base-loss": num(r["val_loss"].mean()),
        "max-drop": pct(drop.mean(axis=2).max()), "one-row": pct(1 / r["val_rows"]),
        "top": f[order[0]], "second": f[order[1]], "tops": ", ".join(sorted(set(tops))),
        "distinct-tops": str(len(set(tops))),
        "top-ranks": ", ".join(str(int(x)) for x in ranks[:, order[0]]),
        "second-ranks": ", ".join(str(int(x)) for x in ranks[:, order[1]]),
        "top-twin": f"{top_twins[0]:.2f}", "second-twin": f"{top_twins[1]:.2f}",
        "negative-means": str(int((per_seed < 0).sum())), "feature-seed-means": str(per_seed.size),
        "below-spread": pct((per_seed < shuffle_spread).mean(), 0),
        "max-drop-rows": f"{drop.mean(axis=2).max() * r['val_rows']:.0f}",
        "top-differs": claim(len(set(tops)) == len(tops), "each seed's network ranks a different feature first"),
        "top-five-within-noise": claim(first - fifth < 2 * seed_spread,
                                       "the order among the top five is within seed noise"),
        "top-no-twin": claim(bool((top_twins < 0.9).all()),
                             "neither of the two features that come first on average correlates above 0.9 with "
                             "another feature"),
        "noise-sized": claim(bool((per_seed < shuffle_spread).mean() > 0.25 and (per_seed < 0).sum() >= 5),
                             "for more than a quarter of the feature-and-seed pairs the mean rise in loss is smaller "
                             "than its spread across shuffles, and several means are negative"),
        "radius-perimeter": f"{pair:.2f}", "strong-pairs": str(int(strong)),
        "weight-rank-corr": f"{rho[0]:.2f}", "weight-rank-corr-range": f"{rho.min():.2f} to {rho.max():.2f}",
        "weights-not-importance": claim(bool((rho < 0.8).all()), "for every seed, the size of a feature's weights "
                                                                 "only loosely predicts its importance"),
        "small-effects": claim(drop.mean(axis=2).max() < 0.05,
                               "shuffling any single feature costs at most a few points of accuracy"),
    }
