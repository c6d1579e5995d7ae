"""Figures, tables and values for the page on looking inside a network."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nnbook.evidence import fact, paired
from nnbook.figures.style import Table, color, mean_range, num, pct, tidy
from nnbook.registry import figure, table, values

METHODS = {"gradient": "gradient", "smoothgrad": "SmoothGrad", "integrated": "integrated gradients",
           "gradcam": "Grad-CAM", "untrained": "gradient, untrained net"}
ATTRIBUTION_NAMES = {k: v for k, v in METHODS.items() if k != "untrained"}  # the per-seed measures' order
COLUMN_TITLES = ("digit", "gradient", "Smooth-<br>Grad", "inte-<br>grated<br>gradients", "Grad-<br>CAM",
                 "gradient,<br>untrained")
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
        caption="Saliency maps of one seed's trained CNN for one validation digit of several classes, each "
                "scaled to its own largest magnitude (the colour bar runs from minus to plus that value). Red "
                "pixels raise the score of the digit's true class when brightened, blue ones lower it; Grad-CAM "
                "is never negative, and its 14×14 map is drawn at the digit's size. The last column is the plain "
                "gradient taken through the network before training. The seed pictured is a typical one: the "
                "median of the seeds by how much of its gradient falls on the ink (see the text).")
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
                            showscale=d == 0 and m == 0,
                            colorbar={"tickvals": [-127, 0, 127], "ticktext": ["−largest", "0", "+largest"],
                                      "thickness": 10, "len": 0.5, "y": 1, "yanchor": "top",
                                      "title": {"text": "attribution", "side": "right"}},
                            hovertemplate=f"{label}, {names[d]}: %{{z}} of ±127<extra></extra>",
                            row=d + 1, col=m + 2)
    image_axes(fig, len(names), len(columns))
    fig.update_annotations(font_size=12)
    header = ["digit"] + [f"{label}: share on ink" for label in METHODS.values()]
    rows = [[names[d]] + [pct(ink_share(r[f"saliency_{k}"][d], r["shown_images"][d]), 0) for k in METHODS]
            for d in range(len(names))]
    return tidy(fig, height=120 * len(names) + 60, top=60, bottom=10, margin={"l": 10, "r": 70, "t": 60, "b": 10}), \
        (header, rows)


def ink_share(attribution: np.ndarray, image: np.ndarray, ink: float = 0.1) -> float:
    """The share of one map's total |attribution| that falls on ink pixels."""
    size = np.abs(attribution)
    return float(size[image > ink].sum() / max(size.sum(), 1e-12))


def seed_means(r: dict, key: str) -> np.ndarray:
    """A per-seed measure averaged over the digits: (seed, method) in the order of `ATTRIBUTION_NAMES`."""
    return r[f"seed_{key}"].mean(axis=-1)


@figure("visualization/ink-share", uses="visualization/cnn",
        caption="Where each method puts its attribution, over many validation digits: the share of the total "
                "absolute attribution that falls on ink pixels, for the trained network and for the same network "
                "before training. Bars: the mean over the seeds; dots: each seed's network (its mean over the "
                "digits). The dashed line is the share of pixels that are ink.")
def ink_share_figure(r: dict) -> tuple[go.Figure, Table]:
    names = list(ATTRIBUTION_NAMES.values())
    fig = go.Figure()
    for i, (key, label) in enumerate((("ink_trained", "trained"), ("ink_untrained", "untrained"))):
        per_seed = seed_means(r, key)
        fig.add_bar(x=names, y=per_seed.mean(0), name=label, marker_color=color(i), offsetgroup=label,
                    hovertemplate=f"%{{x}}, {label}: %{{y:.0%}} on ink<extra></extra>")
        fig.add_scatter(x=np.repeat(names, len(per_seed)).tolist(), y=per_seed.T.ravel(), mode="markers",
                        marker={"color": "#444", "size": 6, "line": {"width": 1, "color": "#fff"}},
                        name="one seed", showlegend=i == 0, offsetgroup=label, legendgroup="seed",
                        hovertemplate=f"one seed, {label}: %{{y:.0%}}<extra></extra>")
    ink = float(r["ink_pixel_share"].mean())
    fig.add_hline(y=ink, line_dash="dash", line_color="#888", annotation_text=f"ink pixels: {pct(ink, 0)}",
                  annotation_position="top left")
    fig.update_layout(yaxis_title="attribution on ink", yaxis_tickformat=".0%", yaxis_range=[0, 1.05],
                      barmode="group", scattermode="group")
    header = ["method", "trained: each seed", "untrained: each seed"]
    rows = [[label] + [", ".join(pct(v, 0) for v in seed_means(r, key)[:, k]) for key in ("ink_trained", "ink_untrained")]
            for k, label in enumerate(names)]
    return tidy(fig, height=400, top=50), (header, rows)


@figure("visualization/randomisation", uses="visualization/cnn",
        caption="The randomisation test: how alike each method's maps of the trained and of the untrained "
                "network are (rank correlation of the absolute attributions, per digit, averaged over the "
                "digits). 1 would mean training changed nothing in the map. Bars: the mean over the seeds; dots: "
                "each seed; grey dashes: the same for the trained map of one digit against the untrained map of "
                "another, the floor that where digits put their ink already gives.")
def randomisation(r: dict) -> tuple[go.Figure, Table]:
    names = list(ATTRIBUTION_NAMES.values())
    per_seed = seed_means(r, "similarity")
    fig = go.Figure(go.Bar(x=names, y=per_seed.mean(0), marker_color=[color(i) for i in range(len(names))],
                           showlegend=False, hovertemplate="%{x}: %{y:.2f}<extra></extra>"))
    fig.add_scatter(x=np.repeat(names, len(per_seed)).tolist(), y=per_seed.T.ravel(), mode="markers", name="one seed",
                    marker={"color": "#444", "size": 6, "line": {"width": 1, "color": "#fff"}},
                    hovertemplate="one seed: %{y:.2f}<extra></extra>")
    floor = seed_means(r, "similarity_other")
    fig.add_scatter(x=names, y=floor.mean(0), mode="markers", name="different digits",
                    marker={"symbol": "line-ew", "size": 34, "line": {"width": 3, "color": "#7f7f7f"}},
                    hovertemplate="%{x}, different digits: %{y:.2f}<extra></extra>")
    fig.update_layout(yaxis={"title": "trained vs untrained map (rank correlation)", "range": [-0.1, 1]})
    rows = [[label, ", ".join(f"{v:.2f}" for v in per_seed[:, k]), ", ".join(f"{v:.2f}" for v in floor[:, k])]
            for k, label in enumerate(names)]
    return tidy(fig, height=380, top=50), (["method", "each seed", "different digits, each seed"], rows)


RANKING_NAMES = ATTRIBUTION_NAMES | {"random": "random order", "brightness": "ink by brightness",
                                     "ink": "ink in random order"}
CONTROL_LINES = {"random": ("#7f7f7f", "dash"), "brightness": ("#7f7f7f", "dot"), "ink": ("#7f7f7f", "dashdot")}


def order_curves(r: dict, test: str) -> tuple[go.Figure, Table]:
    """The mean deletion or insertion curve of each ranking, and its table."""
    curves = r[f"seed_{test}"]  # seed, ranking, fraction
    done = "removed" if test == "deletion" else "restored"
    fig = go.Figure()
    for k, key in enumerate(r["rankings"]):
        fig.add_scatter(x=r["fractions"], y=curves[:, k].mean(0), mode="lines+markers", name=RANKING_NAMES[key],
                        line=dict(zip(("color", "dash"), CONTROL_LINES.get(key, (color(k), "solid")))),
                        hovertemplate=f"{RANKING_NAMES[key]}: %{{y:.0%}} with %{{x:.0%}} {done}<extra></extra>")
    fig.update_layout(xaxis={"title": f"share of pixels {done}", "tickformat": ".0%"},
                      yaxis={"title": "probability of the true class", "tickformat": ".0%", "range": [0, 1.02]})
    header = (["ranking"] + [f"{pct(f, 0)} {done}" for f in r["fractions"]]
              + [f"area over the first {pct(r['fractions'][-1], 0)} (each seed)"])
    auc = r[f"seed_{test}_auc"].mean(axis=2)  # seed, ranking
    rows = [[RANKING_NAMES[key]] + [pct(v, 0) for v in curves[:, k].mean(0)] + [", ".join(f"{a:.2f}" for a in auc[:, k])]
            for k, key in enumerate(r["rankings"])]
    return tidy(fig, height=400, top=60), (header, rows)


@figure("visualization/deletion", uses="visualization/cnn",
        caption="Deletion curves of the trained network: the probability of each digit's true class after the "
                "pixels a method ranks highest (by the signed map, most positive first) are set to black, against "
                "the share of pixels removed, with three "
                "orders for comparison (grey): a random one (dashed), which removes mostly blank pixels; the ink "
                "by brightness alone (dotted), brightest first, an informative order in itself; and the ink in a "
                "random order (dash-dotted). Lines: the mean over digits and seeds.")
def deletion(r: dict) -> tuple[go.Figure, Table]:
    return order_curves(r, "deletion")


@figure("visualization/insertion", uses="visualization/cnn",
        caption="Insertion curves of the trained network: the probability of each digit's true class when only "
                "the pixels a method ranks highest (most positive first) are restored onto a black image, against "
                "the share of pixels restored; grey, the same three orders for comparison: random (dashed), the "
                "ink by brightness (dotted) and the ink in a random order (dash-dotted). Lines: the mean over digits "
                "and seeds.")
def insertion(r: dict) -> tuple[go.Figure, Table]:
    return order_curves(r, "insertion")


def gradcam_zeros(r: dict) -> dict:
    """Grad-CAM maps with nothing on the ink (zero everywhere, or positive only off the ink): how many,
    trained and untrained, and the ink share over the other maps."""
    k = method_index(r, "gradcam")
    trained, untrained = r["seed_ink_trained"][:, k], r["seed_ink_untrained"][:, k]  # seed, digit
    nonzero = lambda v: v[v > 0].mean() if (v > 0).any() else float("nan")  # noqa: E731
    return {"gradcam-zero": ", ".join(str(int((row == 0).sum())) for row in trained),
            "gradcam-zero-untrained": ", ".join(str(int((row == 0).sum())) for row in untrained),
            "ink-gradcam-nonzero": pct(nonzero(trained), 0), "ink-untrained-gradcam-nonzero": pct(nonzero(untrained), 0),
            "stats-digits": str(trained.shape[1])}


def smooth_floor(r: dict) -> dict:
    """How far two SmoothGrad maps of the same trained network agree, each with its own noise: the most the
    randomisation test's trained-against-untrained similarity could reach for this method."""
    floor, similarity = r["seed_smooth_floor"], r["seed_similarity"][:, method_index(r, "smoothgrad")]
    below = paired(floor.mean(1), similarity.mean(1), examples=(floor, similarity),
                   what="rank correlation of two SmoothGrad maps of the same trained network minus that of its "
                        "maps of the trained and the untrained network")
    return {"smooth-floor": f"{floor.mean():.2f}", "smooth-floor-seeds": mean_range(floor.mean(1), lambda v: f"{v:.2f}"),
            "smooth-beyond-floor": below.claim("SmoothGrad's maps of the trained and the untrained network agree "
                                               "less than two of its maps of the same trained network do"),
            "smooth-beyond-floor-test": below.summary()}


FAITHFUL = ("gradient", "smoothgrad", "integrated")  # the methods the page says pass the deletion controls


def order_controls(r: dict, test: str) -> dict:
    """Each method's deletion or insertion area against two orders of the ink (by brightness, an informative
    order in itself, and at random, which any map that only finds the ink matches) and against the same method's
    map of the untrained network, all used on the trained network; and the same by the map's size alone, sign
    ignored. The claims that a method beats an order of the ink have the untrained maps as natural control.
    A better deletion order has the smaller area (the class falls faster), a better insertion order the larger."""
    auc, untrained = r[f"seed_{test}_auc"], r[f"seed_{test}_untrained_auc"]  # seed, ranking or method, digit
    deleting = test == "deletion"
    verb, pixels = ("lowers", "deleting") if deleting else ("raises", "restoring")
    prefix = "" if deleting else "insertion-"
    bright, ink = list(r["rankings"]).index("brightness"), list(r["rankings"]).index("ink")
    size, size_untrained = r[f"seed_{test}_abs_auc"], r[f"seed_{test}_abs_untrained_auc"]  # seed, method, digit

    def better(a: np.ndarray, b: np.ndarray, a_name: str, b_name: str, **control) -> Evidence:
        """The paired test that order `a` beats order `b` (areas: seed, digit), stated in the test's own sign."""
        (first, first_name), (second, second_name) = ((b, b_name), (a, a_name)) if deleting else ((a, a_name), (b, b_name))
        if "control" in control:
            control["control"] = tuple(v.mean(1) for v in ((control["control"][1], control["control"][0]) if deleting
                                                          else control["control"]))
        return paired(first.mean(1), second.mean(1), examples=(first, second),
                      what=f"area under the {test} curve, {first_name} minus {second_name}", **control)

    out = {f"{prefix}auc-untrained-" + m: f"{untrained[:, i].mean():.2f}" for i, m in enumerate(r["attributions"])}
    out[f"{prefix}auc-ink"] = f"{auc[:, ink].mean():.2f}"
    for i, m in enumerate(r["attributions"]):
        name = ATTRIBUTION_NAMES[m]
        vs_bright = better(auc[:, i], auc[:, bright], name, "ink by brightness",
                           control=(untrained[:, i], auc[:, bright]),
                           control_name=f"{name}'s maps of the untrained network")
        vs_untrained = better(auc[:, i], untrained[:, i], f"{name} of the trained network",
                              f"{name} of the untrained network")
        vs_ink = better(auc[:, i], auc[:, ink], name, "ink in random order", control=(untrained[:, i], auc[:, ink]),
                        control_name=f"{name}'s maps of the untrained network")
        size_vs_untrained = better(size[:, i], size_untrained[:, i], f"{name} by size, trained network",
                                   f"{name} by size, untrained network")
        size_vs_bright = better(size[:, i], auc[:, bright], f"{name} by size", "ink by brightness")
        size_vs_ink = better(size[:, i], auc[:, ink], f"{name} by size", "ink in random order")
        out |= {f"{prefix}{m}-vs-brightness": vs_bright.summary(), f"{prefix}{m}-vs-untrained": vs_untrained.summary(),
                f"{prefix}{m}-vs-untrained-verdict": vs_untrained.reading, f"{prefix}{m}-vs-ink": vs_ink.summary(),
                f"{prefix}size-{m}": f"{size[:, i].mean():.2f}", f"{prefix}size-untrained-{m}": f"{size_untrained[:, i].mean():.2f}",
                f"{prefix}{m}-size-vs-untrained": size_vs_untrained.summary(),
                f"{prefix}{m}-size-vs-brightness": size_vs_bright.summary(),
                f"{prefix}{m}-size-vs-brightness-verdict": size_vs_bright.reading,
                f"{prefix}{m}-size-vs-ink": size_vs_ink.summary(), f"{prefix}{m}-size-vs-ink-verdict": size_vs_ink.reading}
        if m in FAITHFUL:
            out |= {f"{prefix}{m}-beats-brightness": vs_bright.claim(
                        f"{name}'s order {verb} the true class's probability faster than {pixels} the ink by "
                        "brightness"),
                    f"{prefix}{m}-beats-untrained": vs_untrained.claim(
                        f"{name}'s maps of the trained network make a faster {test} than its maps of the untrained "
                        "network"),
                    f"{prefix}{m}-beats-ink": vs_ink.claim(
                        f"{name}'s order {verb} the true class's probability faster than {pixels} the ink in a random "
                        "order"),
                    f"{prefix}{m}-size-beats-untrained": size_vs_untrained.claim(
                        f"by size alone, sign ignored, {name}'s maps of the trained network make a faster {test} than "
                        "its maps of the untrained network")}
    cam = method_index(r, "gradcam")
    behind = better(auc[:, bright], auc[:, cam], "ink by brightness", "Grad-CAM")
    inked = r["seed_ink_trained"][:, cam] > 0  # seed, digit: Grad-CAM's maps with something on the ink
    on_inked = lambda k: np.array([auc[s, k][inked[s]].mean() for s in range(len(auc))])  # noqa: E731
    rnd = list(r["rankings"]).index("random")
    first, second = (on_inked(rnd), on_inked(cam)) if deleting else (on_inked(cam), on_inked(rnd))
    inked_vs_random = paired(
        first, second, what=f"area under the {test} curve on the digits where Grad-CAM's map touches the ink, "
                            + ("random order minus Grad-CAM" if deleting else "Grad-CAM minus random order"))
    out[f"{prefix}gradcam-inked-vs-random"] = inked_vs_random.summary()
    out[f"{prefix}gradcam-inked-vs-random-verdict"] = inked_vs_random.reading
    out[f"{prefix}gradcam-behind-brightness"] = behind.claim(
        f"Grad-CAM's order {verb} the true class's probability more slowly than {pixels} the ink by brightness")
    return out


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


# -- what drives a hidden unit -----------------------------------------------------------------

@figure("visualization/units", uses="visualization/cnn",
        caption="What drives the trained CNN's hidden units whose activation varies most over the validation "
                "digits, in the pictured seed's network. Each row is one unit: its most activating validation "
                "digits, then the input that gradient ascent builds for it from a grey "
                "image (activation maximisation, pixels kept between black and white; a unit that is off at the "
                "grey start has no gradient, and its tile stays a flat grey, drawn white). Each tile is scaled "
                "to its own brightest pixel.")
def units(r: dict) -> tuple[go.Figure, Table]:
    examples, synthesised = r["unit_examples"], r["unit_synthesised"]  # unit, example, 28, 28 / unit, 28, 28
    count, top = examples.shape[:2]
    tiles = np.concatenate([examples, synthesised[:, None]], axis=1).reshape(-1, 28, 28)
    z, which = mosaic(tiles, top + 1)
    fig = go.Figure()
    fig.add_heatmap(z=np.round(z, 2), customdata=which, colorscale="Greys", reversescale=True, showscale=False,
                    zmin=0, zmax=1, hovertemplate="tile %{customdata}: %{z:.2f} of its brightest<extra></extra>")
    centre = lambda k: k * 29 + 13.5  # noqa: E731 - a tile's middle, in mosaic pixels
    fig.update_xaxes(visible=True, showgrid=False, zeroline=False, tickvals=[centre(k) for k in range(top + 1)],
                     ticktext=[f"top {k + 1}" for k in range(top)] + ["built"], side="top", constrain="domain")
    fig.update_yaxes(showgrid=False, zeroline=False, autorange="reversed", scaleanchor="x", constrain="domain",
                     tickvals=[centre(k) for k in range(count)],
                     ticktext=[f"unit {int(u) + 1}" for u in r["units_shown"]])
    header = ["unit", "labels of its most active digits", "their activations", "activation of the built input"]
    rows = [[str(int(u) + 1), ", ".join(str(int(v)) for v in r["unit_example_labels"][i]),
             ", ".join(f"{a:.2f}" for a in r["unit_example_activations"][i]), f"{r['unit_synthesised_activation'][i]:.2f}"]
            for i, u in enumerate(r["units_shown"])]
    return tidy(fig, height=460, top=40), (header, rows)


def unit_values(r: dict) -> dict:
    """How often a unit's most active digits share one label, trained against untrained, and what the built
    inputs reach."""
    after, before = r["seed_unit_purity_after"].mean(1), r["seed_unit_purity_before"].mean(1)  # seed
    top = r["unit_examples"].shape[1]
    labels = r["points_labels"]
    rng = np.random.default_rng(0)  # the same share for random digits, drawn from the probe's labels
    chance = np.mean([np.bincount(rng.choice(labels, top, replace=False), minlength=10).max() / top
                      for _ in range(2000)])
    purer = paired(after, before, points=True,
                   what="share of a hidden unit's most active digits that carry its most common label, trained "
                        "minus untrained network")
    reached = r["unit_synthesised_activation"] > r["unit_example_activations"].max(axis=1)
    return {"units-shown": str(len(r["units_shown"])), "top-examples": str(top),
            "purity-after": mean_range(after, lambda v: pct(v, 0)), "purity-before": mean_range(before, lambda v: pct(v, 0)),
            "purity-chance": pct(chance, 0), "purity-test": purer.summary(),
            "units-purer": purer.claim("after training, a hidden unit's most active digits share one label more "
                                       "often than before"),
            "built-above": str(int(reached.sum())), "hidden-units": str(int(r["hidden"])),
            "built-stuck": str(int((r["unit_synthesised_activation"] == 0).sum()))}


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
        caption="The pictured seed's CNN: its last hidden layer for validation digits, projected to two dimensions, "
                "before training (left) and after (right), by t-SNE (top; one run, settings in the text) and PCA "
                "(bottom). Each point is one digit, coloured by its true class; hover for the "
                "network's answer. The axes have no units; in t-SNE, the size and density of the groups mean "
                "nothing, and distances between far-apart groups mean little.")
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


@figure("visualization/perplexity", uses="visualization/cnn",
        caption="The same hidden activations of the pictured seed's trained network, mapped by t-SNE at three "
                "perplexities (everything else the same). Each point is one validation digit, coloured by its "
                "class.")
def perplexity(r: dict) -> tuple[go.Figure, Table]:
    values_ = [int(p) for p in r["perplexities"]]
    fig = make_subplots(rows=1, cols=len(values_), subplot_titles=[f"perplexity {p}" for p in values_],
                        horizontal_spacing=0.03)
    labels = r["points_labels"]
    for col, points_ in enumerate(r["tsne_perplexity"], start=1):
        for digit in range(10):
            pick = labels == digit
            fig.add_scatter(x=points_[pick, 0], y=points_[pick, 1], mode="markers", name=str(digit),
                            legendgroup=str(digit), showlegend=col == 1, marker={"color": DIGIT_COLORS[digit], "size": 3},
                            hovertemplate=f"a {digit}<extra></extra>", row=1, col=col)
    fig.update_xaxes(showticklabels=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, zeroline=False)
    rows = [[str(p), pct(a, 0)] for p, a in zip(values_, r["nn_agreement_perplexity"])]
    return tidy(fig, height=380, top=70, legend_title_text="digit"), \
        (["perplexity", "digits whose nearest neighbour in the map has the same class"], rows)


def method_index(r: dict, method: str) -> int:
    return list(r["attributions"]).index(method)


@values("visualization/cnn-values", uses="visualization/cnn")
def cnn_values(r: dict) -> dict:
    ink = float(r["ink_pixel_share"].mean())
    ig_gap, ig_change = np.abs(r["ig_completeness_gap"]), np.abs(r["ig_score_gap"])
    nn = {f"{m}-{w}": float(r[f"nn_agreement_{m}_{w}"]) for m in ("hidden", "pca", "tsne") for w in ("before", "after")}
    before, after, pixels = r["seed_nn_hidden_before"], r["seed_nn_hidden_after"], float(r["nn_agreement_pixels"])
    acc_before, val_acc, seeds = r["seed_acc_before"], r["seed_val_accuracy"], int(r["seeds"])
    trained, untrained = seed_means(r, "ink_trained"), seed_means(r, "ink_untrained")  # seed, method
    similarity = seed_means(r, "similarity")
    floor = seed_means(r, "similarity_other")  # trained map of one digit against the untrained map of another
    auc = r["seed_deletion_auc"]  # seed, ranking, digit
    g, sg, ig, cam = (method_index(r, m) for m in ("gradient", "smoothgrad", "integrated", "gradcam"))
    rnd = list(r["rankings"]).index("random")
    constant = lambda v: np.full(seeds, float(v))  # noqa: E731
    shown = int(r["pictured_seed"])
    first_rank = int(np.sum(trained[:, g] > trained[shown, g]) + 1)  # where the pictured seed stands, 1 = most on ink
    change = 100 * (trained[:, g] - untrained[:, g])  # per seed, what training did to the gradient's share on ink
    rest = np.arange(seeds) != shown
    others = np.sort(change[rest])
    # no per-digit answers of the probes are stored: the binomial term of two samples (conservative)
    probe_gain = paired(r["seed_probe_after"], r["seed_probe_before"], points=True, examples=len(r["points_labels"]),
                        what="linear probe on the trained minus on the untrained hidden layer, accuracy")
    above_floor = paired(similarity[:, g], floor[:, g], what="gradient: rank correlation of the trained and the "
                         "untrained map of the same digit minus of different digits")
    vs_untrained = paired(trained[:, g], untrained[:, g], points=True,
                          what="trained minus untrained network, gradient's share on ink")
    out = {
        "train-rows": f"{r['train_rows']:,}", "val-rows": f"{r['val_rows']:,}", "epochs": str(r["epochs"]),
        "batch": str(r["batch"]), "lr": f"{r['lr']:g}", "filters-1": str(r["filters"][0]),
        "filters-2": str(r["filters"][1]), "parameters": f"{r['parameters']:,}", "seeds": str(seeds),
        "hidden": str(r["hidden"]), "val-acc": pct(r["val_accuracy"]), "val-acc-range": seed_range(val_acc, 1),
        "smooth-samples": str(r["smooth_samples"]), "smooth-noise": f"{r['smooth_noise']:g}",
        "ig-steps": str(r["ig_steps"]), "stats": str(r["stats"]), "patch": str(r["patch"]), "stride": str(r["stride"]),
        "points": str(len(r["points_labels"])), "ink-pixels": pct(ink, 0), "probe-rows": f"{r['probe_rows']:,}",
        "perplexity": str(r["perplexity"]), "tsne-iterations": str(r["max_iter"]), "tsne-init": str(r["init"]).upper(),
        "perplexities": ", ".join(str(int(p)) for p in r["perplexities"]),
        "perplexity-nn": ", ".join(pct(a, 0) for a in r["nn_agreement_perplexity"]),
        **{f"ink-{k}": pct(trained[:, i].mean(), 0) for k, i in zip(ATTRIBUTION_NAMES, range(len(ATTRIBUTION_NAMES)))},
        **{f"ink-untrained-{k}": pct(untrained[:, i].mean(), 0) for k, i in zip(ATTRIBUTION_NAMES, range(len(ATTRIBUTION_NAMES)))},
        **{f"similarity-{k}": f"{similarity[:, i].mean():.2f}" for k, i in zip(ATTRIBUTION_NAMES, range(len(ATTRIBUTION_NAMES)))},
        # Grad-CAM's maps that are zero everywhere rank their pixels by position, and two of them agree perfectly
        **{f"floor-{k}": f"{floor[:, i].mean():.2f}" for k, i in zip(ATTRIBUTION_NAMES, range(len(ATTRIBUTION_NAMES)))},
        "gradient-above-floor-test": above_floor.summary(),
        "gradient-above-floor": above_floor.claim("the gradient's maps of the trained and the untrained network agree "
                                                  "more on the same digit than on different digits"),
        "similarity-gradcam-inked": f"{r['seed_similarity'][:, cam][(r['seed_ink_trained'][:, cam] > 0) & (r['seed_ink_untrained'][:, cam] > 0)].mean():.2f}",
        **{f"auc-{k}": f"{auc[:, i].mean():.2f}" for i, k in enumerate(r["rankings"])},
        "ink-gradient-seeds": seed_range(trained[:, g]), "ink-untrained-seeds": seed_range(untrained[:, g]),
        "first-rank": str(first_rank),
        "first-change": f"{change[shown]:+.1f}".replace("-", "−"), "pictured-seed": str(shown + 1),
        "others-change": f"{others.min():+.1f} to {others.max():+.1f}".replace("-", "−"),
        "ink-gradient-first": pct(trained[shown, g], 0), "ink-gradient-others": seed_range(trained[rest, g]),
        "vs-untrained-test": vs_untrained.summary(), "vs-untrained-verdict": vs_untrained.reading,
        "ig-score-gap": num(ig_change.mean(), 2), "ig-gap": pct(ig_gap.mean() / ig_change.mean(), 1),
        "ig-gap-median": pct(np.median(ig_gap / np.maximum(ig_change, 1e-6)), 1),
        "acc-before": seed_range(acc_before), "probe-before": seed_range(r["seed_probe_before"]),
        "probe-after": seed_range(r["seed_probe_after"]), "probe-pixels": pct(r["probe_pixels"], 0),
        "top-answer-share-before": seed_range(r["seed_top_answer_count_before"] / len(r["points_labels"])),
        "nn-pixels": pct(pixels, 0), "nn-hidden-before-seeds": seed_range(before),
        "nn-hidden-after-seeds": seed_range(after),
        **{f"nn-{k}": pct(v, 0) for k, v in nn.items()},
    }
    pixels_vs_probe = paired(constant(r["probe_pixels"]), r["seed_probe_before"], points=True,
                             examples=len(r["points_labels"]),
                             what="linear probe on the raw pixels minus one on the untrained hidden layer")
    out |= {
        "pixels-vs-probe-test": pixels_vs_probe.summary(),
        "pixels-read-better": pixels_vs_probe.claim("a linear probe reads more digits from the raw pixels than "
                                                    "from the untrained hidden layer"),
        "trained-well": paired(val_acc, constant(0.9), points=True, examples=int(r["val_rows"]),
                               what="validation accuracy minus 90%").claim(
            "each seed's network reads more than 90% of the validation digits correctly"),
        "still-learning": paired(r["seed_loss"][:, -2], r["seed_loss"][:, -1],
                                 what="training loss in the second-last epoch minus the last").claim(
            "the training loss was still falling in the last epoch"),
        "gradient-on-ink": paired(trained[:, g], constant(ink), points=True,
                                  what="trained network's gradient: share on ink minus the ink's share of the "
                                       "pixels").claim("the trained network's gradient puts more of its "
                                                       "attribution on the ink than the ink's share of the pixels"),
        "untrained-on-ink": paired(untrained[:, g], constant(2 * ink), points=True,
                                   what="untrained network's gradient: share on ink minus twice the ink's share of "
                                        "the pixels").claim("the untrained network's gradient puts more than twice "
                                                            "the ink's share of the pixels on the ink"),
        "integrated-on-ink": fact("integrated gradients from a black image give a blank pixel no credit: its "
                                  "value in the digit and in the black image are the same"),
        "integrated-similarity-test": paired(similarity[:, ig], similarity[:, g], what="rank correlation of trained "
                                             "and untrained maps, integrated gradients minus gradient").summary(),
        "integrated-ties": fact("integrated gradients from a black image give every blank pixel exactly zero, in the "
                                "trained and in the untrained network alike, so the two maps tie on the same pixels"),
        "ig-zero-shown": seed_range((r["saliency_integrated"] == 0).mean(axis=(1, 2))),
        "shown-count": str(len(r["shown_labels"])),
        # 5: SmoothGrad's share on ink, trained against untrained
        "ink-smoothgrad-seeds": seed_range(trained[:, sg]), "ink-untrained-smoothgrad-seeds": seed_range(untrained[:, sg]),
        "smoothgrad-rises": paired(trained[:, sg], untrained[:, sg], points=True,
                                   examples=(r["seed_ink_trained"][:, sg], r["seed_ink_untrained"][:, sg]),
                                   what="trained minus untrained network, SmoothGrad's share on ink").claim(
            "training raises the share of SmoothGrad's attribution that falls on the ink"),
        "smoothgrad-rise-seeds": str(int(np.sum(trained[:, sg] > untrained[:, sg]))),
        "gradient-rise-seeds": str(int(np.sum(trained[:, g] > untrained[:, g]))),
        # reported, not claimed: a random order deletes mostly blank pixels, so any order that finds the ink beats it
        **{f"deletion-{k}": paired(auc[:, rnd].mean(1), auc[:, i].mean(1), examples=(auc[:, rnd], auc[:, i]),
                                   what=f"area under the deletion curve, random order minus {ATTRIBUTION_NAMES[k]}"
                                   ).summary() for k, i in (("gradient", g), ("smoothgrad", sg), ("integrated", ig), ("gradcam", cam))},
        "best-deletion": ATTRIBUTION_NAMES[r["attributions"][int(np.argmin(auc[:, :rnd].mean(axis=(0, 2))))]],
        **order_controls(r, "deletion"), **order_controls(r, "insertion"),
        "insertion-start": pct(float(r["seed_insertion"][:, 0, 0].mean()), 0),
        "insertion-gradient-end": pct(float(r["seed_insertion"][:, g, -1].mean()), 1),
        "intact": pct(float(r["seed_deletion"][:, 0, 0].mean()), 1),
        **{f"insertion-auc-{k}": f"{v:.2f}" for k, v in zip(r["rankings"], r["seed_insertion_auc"].mean(axis=(0, 2)))},
        "insertion-gradcam-vs-random": paired(r["seed_insertion_auc"][:, cam].mean(1),
                                              r["seed_insertion_auc"][:, rnd].mean(1),
                                              examples=(r["seed_insertion_auc"][:, cam], r["seed_insertion_auc"][:, rnd]),
                                              what="area under the insertion curve, Grad-CAM minus random order"
                                              ).summary(),
        "deletion-reach": pct(float(r["fractions"][-1]), 0),
        **smooth_floor(r),
        **gradcam_zeros(r),
        **unit_values(r),
        "groups-above-chance": paired(before, constant(0.1), points=True, what="untrained hidden layer: digits whose "
                                      "nearest neighbour has the same class, minus one in ten").claim(
            "before training the hidden layer already groups similar digits, well above one in ten"),
        "answers-mostly-wrong": paired(constant(0.5), acc_before, points=True, examples=len(r["points_labels"]),
                                       what="one half minus the untrained network's accuracy").claim(
            "the untrained network's answers are mostly wrong"),
        "probe-training-adds": probe_gain.claim("a linear read-out reads more digits from the trained hidden "
                                                "layer than from the untrained one"),
        "probe-training-adds-test": probe_gain.summary(),
        "probe-reads-untrained": paired(r["seed_probe_before"], acc_before, points=True,
                                        examples=len(r["points_labels"]),
                                        what="linear probe on the untrained hidden layer minus the untrained "
                                             "network's own answers, accuracy").claim(
            "a linear read-out trained on the untrained hidden layer gets far more digits right than the untrained "
            "network's own output layer"),
        "pixels-above-untrained": paired(constant(pixels), before, points=True,
                                         what="raw pixels minus untrained hidden layer, same-class nearest "
                                              "neighbours").claim("the untrained hidden layer groups the digits less "
                                                                  "well than the raw pixels"),
        "trained-above-pixels": paired(after, constant(pixels), points=True,
                                       what="trained hidden layer minus raw pixels, same-class nearest "
                                            "neighbours").claim("the trained hidden layer groups them better than "
                                                                "the raw pixels"),
        "training-separates": paired(after, before, points=True, what="trained minus untrained hidden layer, "
                                     "same-class nearest neighbours").claim("training makes the classes more "
                                                                            "separate in the hidden layer"),
    }
    occl = r["occlusion"]
    names = digit_names(r)
    per_digit = occl.max(axis=(1, 2))
    least, most = int(per_digit.argmin()), int(per_digit.argmax())
    out |= {
        "occlusion-max": f"{100 * occl.max():.0f}", "occlusion-most-digit": names[most],
        "occlusion-most-from": pct(r["shown_probs"][most, int(r["shown_labels"][most])], 0),
        "occlusion-rise": f"{-100 * occl.min():.0f}", "occlusion-rise-digit": names[int(occl.min(axis=(1, 2)).argmin())],
        "occlusion-least": f"{100 * per_digit.min():.1f}", "occlusion-least-digit": names[least],
        "occlusion-least-log": num(r["occlusion_log"][least].max(), 2),
        "occlusion-log-max": num(r["occlusion_log"].max(), 1),
        "misread": str(int((r["shown_predictions"] != r["shown_labels"]).sum())), "shown": str(len(names)),
    }
    return out


# -- permutation importance and weights ----------------------------------------------------

def importance_order(r: dict) -> np.ndarray:
    """Features from most to least important, by the rise in loss averaged over seeds and repeats."""
    return np.argsort(-r["loss_rise"].mean(axis=(0, 2)))


@figure("visualization/permutation", uses="visualization/importance",
        caption="Permutation importance: how much the validation loss rises when one feature's column is "
                "shuffled, for networks trained from different seeds. Bars: the mean over the seeds; dots: each "
                "seed's network (its mean over the shuffles). Features are sorted by the mean.")
def permutation(r: dict) -> tuple[go.Figure, Table]:
    order = importance_order(r)[::-1]  # most important at the top
    names = [r["features"][j] for j in order]
    per_seed = r["loss_rise"].mean(axis=2)[:, order]  # seed, feature
    fig = go.Figure(go.Bar(y=names, x=per_seed.mean(0), orientation="h", name="mean over the seeds",
                           marker_color=color(0), hovertemplate="%{y}: +%{x:.3f}<extra></extra>"))
    fig.add_scatter(y=np.tile(names, len(per_seed)).tolist(), x=per_seed.ravel(), mode="markers", name="one seed",
                    marker={"color": "#444", "size": 5, "opacity": 0.7},
                    hovertemplate="%{y}, one seed: %{x:+.3f}<extra></extra>")
    fig.update_layout(xaxis_title="rise in validation loss when shuffled", bargap=0.3,
                      yaxis={"tickfont": {"size": 11}, "automargin": True})
    return tidy(fig, height=820, top=40, margin={"l": 160, "r": 20, "t": 40, "b": 50}), importance_table(r)


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
        caption="The weight matrix of the first seed's network: one row per hidden unit, one column per input "
                "feature (columns sorted by that network's permutation importance, most important on the left), "
                "and on the right the weight from each unit to the output (positive: the unit votes malignant). "
                "Rows are reordered so that units with similar weights sit together.")
def weights(r: dict) -> tuple[go.Figure, Table]:
    kernel = r["kernel"]
    cols = np.argsort(-r["loss_rise"][0].mean(axis=1))
    rows = r["kernel_row_order"]  # hierarchical clustering of the units, done by the experiment
    z = np.round(kernel[np.ix_(rows, cols)], 2)
    names = [r["features"][j] for j in cols]
    units = [f"unit {u + 1}" for u in rows]
    output = np.round(r["output_kernel"][rows], 2)[:, None]
    limit = float(max(np.abs(z).max(), np.abs(output).max()))
    fig = make_subplots(rows=1, cols=2, column_widths=[0.93, 0.07], shared_yaxes=True, horizontal_spacing=0.015)
    fig.add_heatmap(z=z, x=names, y=units, colorscale=DIVERGING, zmid=0, zmin=-limit, zmax=limit,
                    colorbar={"title": {"text": "weight", "side": "right"}, "thickness": 12},
                    hovertemplate="%{y}, %{x}: %{z:+.2f}<extra></extra>", row=1, col=1)
    fig.add_heatmap(z=output, x=["→ output"], y=units, colorscale=DIVERGING, zmid=0, zmin=-limit, zmax=limit,
                    showscale=False, hovertemplate="%{y} → output: %{z:+.2f}<extra></extra>", row=1, col=2)
    fig.update_xaxes(tickangle=-60, tickfont={"size": 10})
    fig.update_yaxes(autorange="reversed")
    header = ["feature", "sum of |weights| into the hidden layer", "rank by weight", "rank by permutation"]
    total = np.abs(kernel).sum(axis=0)
    by_weight = np.argsort(np.argsort(-total)) + 1
    table_rows = [[r["features"][j], num(total[j]), str(int(by_weight[j])), str(k + 1)] for k, j in enumerate(cols)]
    return tidy(fig, height=540, top=20, bottom=150), (header, table_rows)


def predicted_r2(correlation: np.ndarray) -> np.ndarray:
    """How well each feature is predicted linearly from all the others: R² = 1 − 1 / (C⁻¹)ⱼⱼ."""
    return 1 - 1 / np.diag(np.linalg.inv(correlation.astype(np.float64)))


@values("visualization/importance-values", uses="visualization/importance")
def importance_values(r: dict) -> dict:
    rise, drop = r["loss_rise"], r["accuracy_drop"]
    per_seed = rise.mean(axis=2)  # (seeds, features)
    seeds = int(r["seeds"])
    tops = [r["features"][j] for j in per_seed.argmax(axis=1)]
    order = importance_order(r)
    corr = np.abs(r["feature_correlation"])
    np.fill_diagonal(corr, 0)
    f = list(r["features"])
    r2 = predicted_r2(r["feature_correlation"])
    ranks = np.argsort(np.argsort(-per_seed, axis=1), axis=1) + 1  # (seeds, features)
    kernels = r["kernels"]
    rho = np.array([rank_correlation(np.abs(kernels[s]).sum(axis=0), per_seed[s]) for s in range(len(kernels))])
    logistic_rho = rank_correlation(np.abs(r["logistic_coef"]), per_seed.mean(0))
    shuffle_spread = rise.std(axis=2)  # (seeds, features), across shuffles
    group_of = r["group_of"]
    grouped = r["group_loss_rise"].mean(axis=2)  # seed, group
    sizes = np.bincount(group_of)
    top_group = int(max(np.flatnonzero(sizes > 1), key=lambda g: grouped[:, g].mean()))  # the strongest real group
    member_ids = np.flatnonzero(group_of == top_group)
    best_member = int(member_ids[np.argmax(per_seed[:, member_ids].mean(0))])
    members = [f[j] for j in member_ids]
    first_vs_fifth = paired(per_seed[:, order[0]], per_seed[:, order[4]],
                            what=f"{f[order[0]]} minus {f[order[4]]} (first and fifth on average), rise in loss")
    group_vs_single = paired(grouped[:, top_group], per_seed[:, best_member],
                             what=f"rise in loss, the group of {', '.join(members)} shuffled together minus "
                                  f"{f[best_member]} (its strongest member) alone")
    members_sum = per_seed[:, member_ids].sum(axis=1)  # per seed, the members' single rises added up
    half = seeds // 2  # rank the features on one half of the seeds, compare first and fifth on the other

    def replicated(rank: slice, test: slice) -> str:
        o = np.argsort(-per_seed[rank].mean(0))
        d = per_seed[test, o[0]] - per_seed[test, o[4]]
        return f"{d.mean():+.3f} (higher in {int(np.sum(d > 0))} of {len(d)} seeds)"

    largest_drop = drop.mean(axis=2).max(axis=1)  # per seed, the largest mean accuracy drop of any feature
    return {
        "features": str(len(f)), "train-rows": str(r["train_rows"]), "val-rows": str(r["val_rows"]),
        "hidden": str(r["hidden"]), "epochs": str(r["epochs"]), "batch": str(r["batch"]), "lr": f"{r['lr']:g}",
        "repeats": str(r["repeats"]), "seeds": str(seeds), "twin": f"{r['twin']:g}",
        "val-acc-min": pct(r["val_accuracy"].min()), "val-acc-max": pct(r["val_accuracy"].max()),
        "max-rise": num(per_seed.max()), "base-loss": num(r["val_loss"].mean()),
        "max-drop": pct(drop.mean(axis=(0, 2)).max()), "one-row": pct(1 / r["val_rows"]),
        "top": f[order[0]], "second": f[order[1]], "tops": ", ".join(sorted(set(tops))),
        "distinct-tops": str(len(set(tops))),
        "top-ranks": ", ".join(str(int(x)) for x in ranks[:, order[0]]),
        "second-ranks": ", ".join(str(int(x)) for x in ranks[:, order[1]]),
        "first-vs-fifth-test": first_vs_fifth.summary(), "first-vs-fifth-verdict": first_vs_fifth.reading,
        "top-r2": f"{r2[order[0]]:.2f}", "second-r2": f"{r2[order[1]]:.2f}", "median-r2": f"{np.median(r2):.2f}",
        "top-twin": f"{corr[order[0]].max():.2f}", "second-twin": f"{corr[order[1]].max():.2f}",
        "groups": str(int(group_of.max() + 1)), "top-group": ", ".join(members), "top-group-size": str(len(members)),
        "group-rise": num(grouped[:, top_group].mean()), "single-rise": num(per_seed[:, best_member].mean()),
        "best-member": f[best_member],
        "group-test": group_vs_single.summary(),
        "members-sum": num(members_sum.mean()), "members-sum-above": str(int(np.sum(members_sum > grouped[:, top_group]))),
        "half-seeds": str(half), "first-vs-fifth-halves": f"{replicated(slice(0, half), slice(half, None))} and "
                                                          f"{replicated(slice(half, None), slice(0, half))}",
        "max-drop-points": f"{100 * drop.mean(axis=(0, 2)).max():.1f} points",
        "negative-means": str(int((per_seed < 0).sum())), "feature-seed-means": str(per_seed.size),
        "below-spread": pct((per_seed < shuffle_spread).mean(), 0),
        "max-drop-rows": f"{drop.mean(axis=(0, 2)).max() * r['val_rows']:.0f}",
        "radius-perimeter": f"{r['feature_correlation'][f.index('mean radius'), f.index('mean perimeter')]:.2f}",
        "strong-pairs": str(int((corr[np.triu_indices(len(f), 1)] > r["twin"]).sum())),
        "weight-rank-corr": f"{rho[0]:.2f}", "weight-rank-corr-range": f"{rho.min():.2f} to {rho.max():.2f}",
        "logistic-rank-corr": f"{logistic_rho:.2f}", "logistic-acc": pct(r["logistic_accuracy"]),
        "logistic-top": f[int(np.argmax(np.abs(r["logistic_coef"])))],
        "group-beats-single": group_vs_single.claim("shuffling a group of correlated features together costs more "
                                                    "than shuffling its strongest member alone"),
        "weights-not-importance": paired(np.full(seeds, 0.8), rho, what="0.8 minus the rank correlation of weight "
                                         "size and importance").claim("the size of a feature's weights only "
                                                                      "loosely predicts its importance"),
        "small-effects": paired(np.full(seeds, 0.05), largest_drop, points=True,
                                what="five points minus the largest accuracy drop of any one feature").claim(
            "shuffling any single feature costs less than five points of accuracy"),
    }
