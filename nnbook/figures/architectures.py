"""Figures, tables and values for the page on which network suits which data."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nnbook.evidence import paired
from nnbook.figures.style import Table, color, num, pct, tidy
from nnbook.registry import claim, figure, values

FAMILY_NAMES = {"mlp": "feed-forward", "cnn": "convolutional", "rnn": "plain RNN", "lstm": "LSTM"}


def _family(r: dict, i: int) -> str:
    """A reader's name for vision configuration i, with its size."""
    family, size = r["families"][i], r["sizes"][i]
    unit = "hidden units" if family == "mlp" else "filters"
    return f"{FAMILY_NAMES[family]}, {size} {unit}"


def _largest(r: dict, family: str) -> int:
    """Index of the largest configuration of a family (the last one listed)."""
    return max(i for i, f in enumerate(r["families"]) if f == family)


def _mean_sd(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (sample) standard deviation over the seed axis (the last)."""
    return a.mean(axis=-1), a.std(axis=-1, ddof=1) if a.shape[-1] > 1 else np.zeros(a.shape[:-1])


def _pm(mean: float, sd: float) -> str:
    return f"{pct(mean)} ± {100 * sd:.1f}"


def _band(fig: go.Figure, x: np.ndarray, mean: np.ndarray, sd: np.ndarray, rgb: str, group: str, **cell) -> None:
    """A shaded band of ± one standard deviation around a curve."""
    fig.add_scatter(x=np.concatenate([x, x[::-1]]), y=np.concatenate([mean + sd, (mean - sd)[::-1]]),
                    fill="toself", fillcolor=_rgba(rgb, 0.18), line={"width": 0}, mode="lines", hoverinfo="skip",
                    showlegend=False, legendgroup=group, **cell)


def _rgba(hex_color: str, alpha: float) -> str:
    r, g, b = (int(hex_color[k:k + 2], 16) for k in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


# -- feed-forward vs convolutional -------------------------------------------------------------

@figure("architectures/vision-accuracy", uses="architectures/vision",
        caption="Validation accuracy on held-out MNIST digits against the number of trainable parameters "
                "(log scale), for feed-forward networks with one hidden layer and for small convolutional "
                "networks, two sizes each; the cross is the larger convolutional network trained and tested on "
                "the same digits with their pixels shuffled by one fixed permutation. Small dots are single "
                "seeds; the line joins their means, with ± one standard deviation as error bars.")
def vision_accuracy(r: dict) -> tuple[go.Figure, Table]:
    fig = go.Figure()
    mean, sd = _mean_sd(r["accuracy"])
    for k, family in enumerate(("mlp", "cnn")):
        idx = [i for i, f in enumerate(r["families"]) if f == family]
        style = {"legendgroup": family, "marker": {"color": color(k)}}
        fig.add_scatter(x=r["params"][idx], y=mean[idx], error_y={"array": sd[idx], "width": 6},
                        mode="lines+markers", name=f"{FAMILY_NAMES[family]} (mean of {r['seeds']} seeds)",
                        line={"color": color(k)}, text=[_family(r, i) for i in idx],
                        hovertemplate="%{text}<br>%{x:,} parameters<br>accuracy %{y:.1%}<extra></extra>", **style)
        fig.add_scatter(x=np.repeat(r["params"][idx], r["seeds"]), y=r["accuracy"][idx].ravel(), mode="markers",
                        marker={"color": color(k), "size": 5, "opacity": 0.5}, showlegend=False,
                        legendgroup=family, hovertemplate="one seed: %{y:.1%}<extra></extra>")
    c = _largest(r, "cnn")
    shuffled_mean, shuffled_sd = _mean_sd(r["shuffled_accuracy"])
    fig.add_scatter(x=[r["params"][c]], y=[shuffled_mean], error_y={"array": [shuffled_sd], "width": 6},
                    mode="markers", name="convolutional, pixels shuffled", legendgroup="shuffled",
                    marker={"color": color(1), "symbol": "x", "size": 11},
                    hovertemplate="pixels shuffled: %{y:.1%}<extra></extra>")
    fig.update_layout(xaxis={"type": "log", "title": "trainable parameters"},
                      yaxis={"title": "validation accuracy", "tickformat": ".0%"})
    rows = [[_family(r, i), f"{int(r['params'][i]):,}", _pm(mean[i], sd[i]),
             ", ".join(pct(a) for a in r["accuracy"][i]), f"{r['seconds'][i]:.1f} s"]
            for i in range(len(r["families"]))]
    rows.append([_family(r, c) + ", pixels shuffled", f"{int(r['params'][c]):,}", _pm(shuffled_mean, shuffled_sd),
                 ", ".join(pct(a) for a in r["shuffled_accuracy"]), "–"])
    header = ["network", "parameters", "accuracy (mean ± sd)", "each seed", "training time (median)"]
    return tidy(fig, height=420, top=60), (header, rows)


def _mosaic(images: np.ndarray, cols: int, symmetric: bool) -> np.ndarray:
    """Tile (n, h, w) images into one array with one-pixel gaps (NaN), each scaled to its own range."""
    n, h, w = images.shape
    rows = int(np.ceil(n / cols))
    out = np.full((rows * (h + 1) - 1, cols * (w + 1) - 1), np.nan, dtype=np.float32)
    for k, image in enumerate(images):
        scale = np.abs(image).max() if symmetric else image.max()
        row, col = divmod(k, cols)
        out[row * (h + 1):row * (h + 1) + h, col * (w + 1):col * (w + 1) + w] = image / max(float(scale), 1e-12)
    return np.round(out, 3)


def _image_axes(fig: go.Figure) -> None:
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")


@figure("architectures/filters", uses="architectures/vision",
        caption="The 5×5 weights of each first-layer filter of the larger convolutional network after "
                "training. Blue weights add the pixel under them to the filter's output, red ones subtract "
                "it; each filter is scaled to its own largest weight.")
def filters(r: dict) -> tuple[go.Figure, Table]:
    kernels = r["kernels"]
    side = kernels.shape[1]
    fig = go.Figure(go.Heatmap(z=_mosaic(kernels, len(kernels), True), colorscale="RdBu", zmid=0, zmin=-1, zmax=1,
                               showscale=False, hovertemplate="weight (scaled) %{z:.2f}<extra></extra>",
                               name="first-layer filters"))
    for k in range(len(kernels)):
        fig.add_annotation(x=k * (side + 1) + (side - 1) / 2, y=-0.6, text=f"filter {k + 1}", showarrow=False,
                           yanchor="bottom", font={"size": 11})
    _image_axes(fig)
    rows = [[str(k + 1), num(w.max()), num(w.min()), num(w.sum())] for k, w in enumerate(kernels)]
    return tidy(fig, height=170, top=30, bottom=10), (["filter", "largest weight", "smallest weight", "sum"], rows)


@figure("architectures/feature-maps", uses="architectures/vision",
        caption="One validation digit on its way through the larger convolutional network: the input, the "
                "maps of the first convolution layer (one per filter above), and the maps of the second, "
                "which combine them after max pooling halved the size. Bright is a strong response; each "
                "map is scaled to its own maximum. Pick the layer in the menu.")
def feature_maps(r: dict) -> tuple[go.Figure, Table]:
    views = [("input digit", r["digit"][None], 1), ("layer 1 maps", r["maps_1"], len(r["maps_1"]) // 2),
             ("layer 2 maps", r["maps_2"], len(r["maps_2"]) // 2)]
    fig = go.Figure()
    for k, (name, maps, cols) in enumerate(views):
        fig.add_heatmap(z=_mosaic(maps, cols, False), colorscale="Greys" if k == 0 else "Viridis", showscale=False,
                        visible=k == 1, name=name, hovertemplate="value (scaled) %{z:.2f}<extra></extra>")
    buttons = [{"label": f"{name} ({len(maps)} × {maps.shape[1]}×{maps.shape[2]})", "method": "update",
                "args": [{"visible": [j == k for j in range(len(views))]}]} for k, (name, maps, _) in enumerate(views)]
    fig.update_layout(updatemenus=[{"name": "layer shown", "buttons": buttons, "active": 1, "x": 0, "xanchor": "left", "y": 1.02,
                                    "yanchor": "bottom"}])
    _image_axes(fig)
    rows = [[name, str(len(maps)), f"{maps.shape[1]}×{maps.shape[2]}", pct(np.mean(maps > 0), 0), num(maps.max())]
            for name, maps, _ in views]
    return tidy(fig, height=420, top=50, bottom=10), (["layer", "maps", "size", "share of values above 0",
                                                         "largest value"], rows)


@figure("architectures/shift", uses="architectures/vision",
        caption="Accuracy on the validation digits moved k pixels (right, left, up and down, averaged), for "
                "networks trained only on centred digits. Lines are means over seeds, bands ± one standard "
                "deviation. The shaded region starts at the first shift that cuts more than one in a hundred of the "
                "shifted digits (pushes more than 1% of a digit's ink off the image): there the test no longer "
                "measures movement alone.")
def shift(r: dict) -> tuple[go.Figure, Table]:
    fig = go.Figure()
    mean, sd = _mean_sd(np.moveaxis(r["shift_accuracy"], 1, -1))  # (configs, shifts)
    for i in range(len(r["families"])):
        k = 0 if r["families"][i] == "mlp" else 1
        dash = "solid" if i == _largest(r, r["families"][i]) else "dot"
        name = _family(r, i)
        _band(fig, r["shifts"], mean[i], sd[i], color(k), name)
        fig.add_scatter(x=r["shifts"], y=mean[i], name=name, legendgroup=name, mode="lines+markers",
                        line={"color": color(k), "dash": dash},
                        hovertemplate=name + "<br>shift %{x} px: %{y:.1%}<extra></extra>")
    fig.add_hline(y=0.1, line={"color": "#888", "dash": "dash", "width": 1}, annotation_text="chance (10%)",
                  annotation_position="bottom left")
    cut = clean_shifts(r)
    if cut < len(r["shifts"]):
        fig.add_vrect(x0=float(r["shifts"][cut]) - 0.5, x1=float(r["shifts"][-1]) + 0.3, fillcolor="#888",
                      opacity=0.12, line_width=0, annotation_text="digits cut", annotation_position="top left")
    fig.update_layout(xaxis={"ticksuffix": " px", "dtick": 1, "zeroline": False},
                      yaxis={"title": "validation accuracy", "tickformat": ".0%", "range": [0, 1]})
    header = ["shift (pixels)"] + [_family(r, i) for i in range(len(r["families"]))] + \
             ["ink pushed off the image (mean)", "shifted digits losing more than 1% of their ink",
              "most ink any shifted digit loses", "digits cut in at least one direction"]
    rows = [[str(int(s))] + [_pm(mean[i, j], sd[i, j]) for i in range(len(r["families"]))] +
            [pct(r["ink_lost"][j], 2), pct(r["ink_cut"][j], 2), pct(r["ink_lost_max"][j], 1),
             pct(r["digit_cut"][j].mean(), 1)] for j, s in enumerate(r["shifts"])]
    return tidy(fig, height=440, top=80), (header, rows)


NEARLY_CLEAN = 0.01  # a shift "nearly" only moves the digits while it cuts at most this share of them


def clean_shifts(r: dict) -> int:
    """The number of shifts (from 0) that cut at most one in a hundred of the shifted digits."""
    cut = np.flatnonzero(r["ink_cut"] > NEARLY_CLEAN)
    return int(cut[0]) if len(cut) else len(r["shifts"])


@values("architectures/vision-values", uses="architectures/vision")
def vision_values(r: dict) -> dict:
    mean, sd = _mean_sd(r["accuracy"])
    shift_mean = r["shift_accuracy"].mean(axis=1)  # config, shift
    m, c = _largest(r, "mlp"), _largest(r, "cnn")
    small_m = min(i for i, f in enumerate(r["families"]) if f == "mlp")
    small_c = min(i for i, f in enumerate(r["families"]) if f == "cnn")
    correct, shift_correct = r["correct"], r["shift_correct"]  # config, seed, (shift,) image
    s1, s2 = int(np.searchsorted(r["shifts"], 1)), int(np.searchsorted(r["shifts"], 2))
    far = clean_shifts(r) - 1  # the largest shift that cuts at most one in a hundred
    name = lambda i: _family(r, i)  # noqa: E731
    beats = paired(r["accuracy"][c], r["accuracy"][m], points=True, examples=(correct[c], correct[m]),
                   what=f"{name(c)} minus {name(m)}, validation accuracy")
    close = paired(r["accuracy"][small_c], r["accuracy"][m], points=True, examples=(correct[small_c], correct[m]),
                   what=f"{name(small_c)} minus {name(m)}, validation accuracy")
    gain = lambda big, small: correct[big].astype(np.float64) - correct[small]  # noqa: E731 - per seed and digit
    growth = paired(r["accuracy"][c] - r["accuracy"][small_c], r["accuracy"][m] - r["accuracy"][small_m],
                    points=True, examples=(gain(c, small_c), gain(m, small_m)), what=f"gain from {name(small_c)} to {name(c)} minus gain from {name(small_m)} "
                                      f"to {name(m)}, validation accuracy")
    locality = paired(r["accuracy"][c], r["shuffled_accuracy"], points=True,
                      examples=(correct[c], r["shuffled_correct"]),
                      what=f"{name(c)}: centred digits minus the same digits with shuffled pixels, accuracy")
    shuffled_vs_mlp = paired(r["accuracy"][m], r["shuffled_accuracy"], points=True,
                             examples=(correct[m], r["shuffled_correct"]),
                             what=f"{name(m)} minus {name(c)} on shuffled pixels, validation accuracy")
    drop = lambda i, j: shift_correct[i, :, 0] - shift_correct[i, :, j]  # noqa: E731 - per seed and digit
    drops_more = paired(drop(m, s1).mean(1), drop(c, s1).mean(1), points=True, examples=(drop(m, s1), drop(c, s1)),
                        what=f"accuracy lost to a 1-pixel shift, {name(m)} minus {name(c)}")
    at = lambda j: paired(r["shift_accuracy"][c, :, j], r["shift_accuracy"][m, :, j], points=True,  # noqa: E731
                          examples=(shift_correct[c, :, j], shift_correct[m, :, j]),
                          what=f"{name(c)} minus {name(m)}, accuracy on digits shifted {int(r['shifts'][j])} px")
    out = {"train-rows": f"{r['train_rows']:,}", "val-rows": f"{r['val_rows']:,}", "epochs": str(r["epochs"]),
           "batch": str(r["batch"]), "lr": f"{r['lr']:g}", "seeds": str(r["seeds"]),
           "mlp-seconds": f"{r['seconds'][m]:.1f} s", "cnn-seconds": f"{r['seconds'][c]:.1f} s",
           "mlp-params": f"{int(r['params'][m]):,}", "cnn-params": f"{int(r['params'][c]):,}",
           "small-cnn-params": f"{int(r['params'][small_c]):,}", "small-mlp-params": f"{int(r['params'][small_m]):,}",
           "mlp-acc": _pm(mean[m], sd[m]), "cnn-acc": _pm(mean[c], sd[c]),
           "small-cnn-acc": _pm(mean[small_c], sd[small_c]), "small-mlp-acc": _pm(mean[small_m], sd[small_m]),
           "shuffled-acc": _pm(*_mean_sd(r["shuffled_accuracy"])),
           "param-ratio": f"{r['params'][m] / r['params'][c]:.0f}",
           "mlp-growth": f"{r['params'][m] / r['params'][small_m]:.0f}",
           "cnn-growth": f"{r['params'][c] / r['params'][small_c]:.1f}",
           "gap-test": beats.summary(), "close-test": close.summary(), "close-verdict": close.reading,
           "growth-test": growth.summary(), "locality-test": locality.summary(),
           "shuffled-vs-mlp-test": shuffled_vs_mlp.summary(), "shuffled-vs-mlp-verdict": shuffled_vs_mlp.reading,
           "binomial-se": f"{100 * np.sqrt(mean[c] * (1 - mean[c]) / r['val_rows']):.1f}",
           "digit-label": str(r["digit_label"]), "filters": str(len(r["kernels"])),
           "maps-2": str(len(r["maps_2"])), "max-shift": str(int(r["shifts"][-1])),
           "cut-share-1": pct(r["ink_cut"][s1], 2), "lost-max-1": pct(r["ink_lost_max"][s1], 1),
           "cut-share-max": pct(r["ink_cut"][-1], 0), "cut-share-2": pct(r["ink_cut"][s2], 2),
           "digit-cut-2": pct(r["digit_cut"][s2].mean(), 1), "uncut-2": f"{int((~r['digit_cut'][s2]).sum()):,}",
           "mlp-shift1": pct(shift_mean[m, s1]), "cnn-shift1": pct(shift_mean[c, s1]),
           "mlp-drop1": f"{100 * (mean[m] - shift_mean[m, s1]):.1f}", "cnn-drop1": f"{100 * (mean[c] - shift_mean[c, s1]):.1f}",
           "mlp-shift2": pct(shift_mean[m, s2]), "cnn-shift2": pct(shift_mean[c, s2]),
           "mlp-shift-far": pct(shift_mean[m, far]), "cnn-shift-far": pct(shift_mean[c, far]),
           "mlp-shift-max": pct(shift_mean[m, -1]), "cnn-shift-max": pct(shift_mean[c, -1]),
           "drops-more-test": drops_more.summary(), "shift2-test": at(s2).summary()}
    out["cnn-beats-mlp"] = beats.claim("the larger CNN is more accurate than the larger MLP, with fewer parameters")
    out["growth"] = growth.claim("going from the smaller to the larger CNN gains more accuracy than going from the "
                                 "smaller to the larger MLP, with far fewer added weights")
    out["locality"] = locality.claim("shuffling the pixels costs the CNN accuracy")
    out["mlp-drops-more"] = drops_more.claim("a one-pixel shift costs the larger MLP more accuracy than the larger CNN")
    lost = lambda j: paired(drop(m, j).mean(1), drop(c, j).mean(1), points=True,  # noqa: E731
                            examples=(drop(m, j), drop(c, j)),
                            what=f"accuracy lost to a {int(r['shifts'][j])}-pixel shift, {name(m)} minus {name(c)}")
    out["drop2-test"] = lost(s2).summary()
    out["mlp-drop2"] = f"{100 * (mean[m] - shift_mean[m, s2]):.1f}"
    out["cnn-drop2"] = f"{100 * (mean[c] - shift_mean[c, s2]):.1f}"
    out["mlp-drops-more-2"] = lost(s2).claim("a 2-pixel shift costs the larger MLP more accuracy than the larger CNN")
    whole = ~r["digit_cut"][s2]  # the digits that no 2-pixel shift cuts
    uncut = paired(drop(m, s2)[:, whole].mean(1), drop(c, s2)[:, whole].mean(1), points=True,
                   examples=(drop(m, s2)[:, whole], drop(c, s2)[:, whole]),
                   what=f"accuracy lost to a 2-pixel shift on the digits it cuts in no direction, {name(m)} minus "
                        f"{name(c)}")
    out["uncut-test"] = uncut.summary()
    out["uncut-drops-more"] = uncut.claim("on the digits no 2-pixel shift cuts, it costs the larger MLP more accuracy "
                                          "than the larger CNN")
    out["cnn-shift-better"] = at(s2).claim("at a 2-pixel shift the CNN is more accurate than the MLP")
    out["shuffled-below-mlp"] = shuffled_vs_mlp.claim("on shuffled pixels the CNN falls below the larger MLP")
    return out


# -- a GAN -----------------------------------------------------------------------------------------

def mode_counts(r: dict, fake: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For generated points (..., samples, 2): samples within 3 standard deviations of each mode
    (..., modes), and the samples near no mode (...)."""
    angle = 2 * np.pi * np.arange(r["modes"]) / r["modes"]
    centres = r["radius"] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    dist = np.linalg.norm(fake[..., :, None, :] - centres, axis=-1)  # (..., samples, modes)
    near = dist.min(axis=-1) < 3 * r["spread"]
    nearest = np.where(near, dist.argmin(axis=-1), r["modes"])  # "no mode" as an extra bin
    counts = (nearest[..., None] == np.arange(r["modes"] + 1)).sum(axis=-2)
    return counts[..., :-1], counts[..., -1]


def modes_covered(r: dict) -> np.ndarray:
    """Modes that receive at least a fifth of their fair share of samples: (seeds, snapshots)."""
    counts, _ = mode_counts(r, r["fake"])
    fair = r["fake"].shape[-2] / r["modes"]
    return (counts >= fair / 5).sum(axis=-1)


@figure("architectures/gan", uses="architectures/gan",
        caption="The generator's samples (orange) over real samples (grey) from the ring of eight Gaussians, "
                "and the discriminator's belief that a point is real (shaded: dark is “fake”, light is "
                "“real”), at several steps of training, for the first seed. Move the slider to see training "
                "unfold.")
def gan(r: dict) -> tuple[go.Figure, Table]:
    fig = go.Figure()
    covered = modes_covered(r)[0]
    fake = r["fake"][0]
    for s, step in enumerate(r["snapshots"]):
        fig.add_heatmap(x=r["axis"], y=r["axis"], z=np.round(r["surface"][s], 3), colorscale="Blues", zmin=0, zmax=1,
                        reversescale=True, visible=s == 0, showscale=s == 0, name="discriminator",
                        colorbar={"title": {"text": "P(real)", "side": "right"}, "thickness": 12},
                        hovertemplate="P(real) %{z:.2f}<extra></extra>")
        fig.add_scatter(x=fake[s, :, 0], y=fake[s, :, 1], mode="markers", visible=s == 0,
                        marker={"color": color(1), "size": 4}, name="generated",
                        legendgroup="fake", hoverinfo="skip")
    fig.add_scatter(x=r["real"][:, 0], y=r["real"][:, 1], mode="markers", name="real",
                    marker={"color": "#7f7f7f", "size": 3, "opacity": 0.6}, hoverinfo="skip")
    n = len(r["snapshots"])
    steps = [{"label": str(int(step)), "method": "update",
              "args": [{"visible": [k // 2 == s for k in range(2 * n)] + [True],
                        "showscale": [k == 2 * s for k in range(2 * n)] + [False]}]}
             for s, step in enumerate(r["snapshots"])]
    fig.update_layout(sliders=[{"steps": steps, "currentvalue": {"prefix": "training step: "}, "pad": {"t": 30}}],
                      xaxis={"range": [r["axis"][0], r["axis"][-1]], "constrain": "domain", "title": "x₁"},
                      yaxis={"range": [r["axis"][0], r["axis"][-1]], "scaleanchor": "x", "title": "x₂"})
    counts, off = mode_counts(r, fake)
    rows = [[str(int(step)), f"{int(covered[s])} of {r['modes']}", ", ".join(str(int(c)) for c in counts[s]),
             str(int(off[s]))] for s, step in enumerate(r["snapshots"])]
    header = ["step", "modes covered", "samples near each mode", "samples near no mode"]
    return tidy(fig, height=560, top=60, bottom=110), (header, rows)


@figure("architectures/gan-seeds", uses="architectures/gan",
        caption="Every seed's generated samples (orange) over real samples (grey): half-way through training (top "
                "row) and at the end (bottom row). Each panel's title gives the seed and the share of its samples "
                "that lie near no cluster.")
def gan_seeds(r: dict) -> tuple[go.Figure, Table]:
    seeds, shots = int(r["seeds"]), (mid_snapshot(r), len(r["snapshots"]) - 1)
    near = near_share(r, r["fake"])  # seed, snapshot
    titles = [f"seed {s + 1}<br>{pct(1 - near[s, k], 0)} off" for k in shots for s in range(seeds)]
    fig = make_subplots(rows=2, cols=seeds, subplot_titles=titles, horizontal_spacing=0.02, vertical_spacing=0.14,
                        shared_xaxes=True, shared_yaxes=True)
    edge, real = float(r["axis"][-1]), r["real"][::4]  # a quarter of the real sample shows the clusters
    for row, k in enumerate(shots, start=1):
        for s in range(seeds):
            fig.add_scatter(x=real[:, 0], y=real[:, 1], mode="markers", name="real", legendgroup="real",
                            showlegend=row == 1 and s == 0, marker={"color": "#7f7f7f", "size": 2, "opacity": 0.6},
                            hoverinfo="skip", row=row, col=s + 1)
            fig.add_scatter(x=r["fake"][s, k, :, 0], y=r["fake"][s, k, :, 1], mode="markers", name="generated",
                            legendgroup="fake", showlegend=row == 1 and s == 0,
                            marker={"color": color(1), "size": 2}, hoverinfo="skip", row=row, col=s + 1)
        fig.update_yaxes(title_text=f"step {int(r['snapshots'][k])}", row=row, col=1)
    fig.update_xaxes(range=[-edge, edge], showticklabels=False)
    fig.update_yaxes(range=[-edge, edge], showticklabels=False)
    for i in range(2 * seeds):
        fig.layout[f"yaxis{i + 1 if i else ''}"].update(scaleanchor=f"x{i + 1 if i else ''}")
    fig.update_annotations(font={"size": 11})
    rows = [[f"seed {s + 1}", str(int(r["snapshots"][k])), pct(1 - near[s, k], 0)] for s in range(seeds) for k in shots]
    return tidy(fig, height=460, top=90), (["seed", "step", "samples near no cluster"], rows)


def _smooth(x: np.ndarray, window: int) -> np.ndarray:
    return np.convolve(x, np.ones(window) / window, mode="valid")


@figure("architectures/gan-losses", uses="architectures/gan",
        caption="Left: the discriminator's and the generator's losses per step for the first seed (a moving "
                "average over a short window). The dashed lines mark the losses of a discriminator that cannot tell "
                "real from fake (2 ln 2 and ln 2). Right: how many of the eight modes the generator covers at each "
                "snapshot, one line per seed.")
def gan_losses(r: dict) -> tuple[go.Figure, Table]:
    fig = make_subplots(rows=1, cols=2, column_widths=[0.6, 0.4], subplot_titles=("losses", "modes covered"))
    window, every = 25, 10
    for k, name in enumerate(("discriminator", "generator")):
        y = _smooth(r["losses"][0, :, k], window)[::every]
        fig.add_scatter(x=np.arange(len(y)) * every + window, y=y, name=name, line={"color": color(k + 4)},
                        row=1, col=1)
    for level in (2 * np.log(2), np.log(2)):
        fig.add_hline(y=level, line={"color": "#888", "dash": "dash", "width": 1}, row=1, col=1)
    covered = modes_covered(r)
    for s in range(len(covered)):
        jitter = (s - (len(covered) - 1) / 2) * 0.08  # keep seeds with equal counts apart
        fig.add_scatter(x=r["snapshots"], y=covered[s] + jitter, mode="lines+markers", name=f"seed {s + 1}",
                        legendgroup="seeds", showlegend=False, line={"color": color(1), "width": 1},
                        marker={"size": 5}, opacity=0.7, customdata=covered[s],
                        hovertemplate=f"seed {s + 1}, step %{{x}}: %{{customdata}} modes<extra></extra>", row=1, col=2)
    fig.update_xaxes(title_text="training step")
    fig.update_yaxes(range=[-0.5, r["modes"] + 0.5], dtick=2, row=1, col=2)
    sample = np.linspace(0, r["losses"].shape[1] - 1, 11).round().astype(int)
    rows = [[str(int(t)), num(r["losses"][0, t, 0]), num(r["losses"][0, t, 1])] for t in sample]
    rows += [[f"modes covered, seed {s + 1}", ", ".join(f"{int(v)} at {int(t)}" for v, t in zip(covered[s], r["snapshots"])),
              ""] for s in range(len(covered))]
    return tidy(fig, height=400, top=80), (["step", "discriminator loss", "generator loss"], rows)


GATHERED = 0.5  # a run has gathered on the clusters once fewer than this share of its samples are near none
EMPTY = 0.1  # a mode counts as dropped when it holds less than this share of its fair share of the samples
SPREADS = 200  # even spreads round the ring that a run's own distances from the centre are set against


def near_share(r: dict, points: np.ndarray) -> np.ndarray:
    """The share of points (..., samples, 2) within three standard deviations of some cluster."""
    _, off = mode_counts(r, points)
    return 1 - off / points.shape[-2]


def even_spread_share(r: dict, points: np.ndarray) -> tuple[float, float]:
    """The same distances from the centre at angles drawn evenly round the ring: the share near a cluster, as
    the mean and the largest over `SPREADS` draws. A ring that passes over the clusters without gathering on
    them scores like this."""
    rng = np.random.default_rng(0)
    radius = np.linalg.norm(points, axis=-1)
    angle = rng.uniform(0, 2 * np.pi, (SPREADS, len(radius)))
    shares = near_share(r, np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=-1))
    return float(shares.mean()), float(shares.max())


def chord_mean_radius(radius: float, modes: int) -> float:
    """The mean distance from the centre along the straight line between two neighbouring cluster centres."""
    t = np.linspace(0, 1, 1001)
    a, b = np.array([radius, 0.0]), radius * np.array([np.cos(2 * np.pi / modes), np.sin(2 * np.pi / modes)])
    return float(np.linalg.norm((1 - t)[:, None] * a + t[:, None] * b, axis=1).mean())


def mid_snapshot(r: dict) -> int:
    """The snapshot half-way through training."""
    return int(np.searchsorted(r["snapshots"], r["snapshots"][-1] // 2))


@values("architectures/gan-values", uses="architectures/gan")
def gan_values(r: dict) -> dict:
    covered = modes_covered(r)  # seed, snapshot
    last, seeds = len(r["snapshots"]) - 1, int(r["seeds"])
    samples = r["fake"].shape[-2]
    norms = np.linalg.norm(r["fake"], axis=-1)  # seed, snapshot, sample
    radius = float(r["radius"])
    early = min(int(np.searchsorted(r["snapshots"], 600)), last - 1)  # partway: step 600 in the full profile
    fair = samples / r["modes"]
    angle = 2 * np.pi * np.arange(r["modes"]) / r["modes"]
    centres = radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    end = r["fake"][:, last]
    off_mode = np.linalg.norm(end[:, :, None] - centres, axis=-1).min(axis=-1) >= 3 * r["spread"]  # seed, sample
    on_ring = np.abs(norms[:, last] - radius) < 0.1 * radius
    between = np.array([on_ring[s][off_mode[s]].mean() if off_mode[s].any() else 0.0 for s in range(seeds)])
    final = r["losses"][:, -LAST_STEPS:].mean(axis=1)  # seed, (d, g)
    end_radius = norms[:, last].mean(1)
    near_radius = np.array([norms[s, last][~off_mode[s]].mean() for s in range(seeds)])
    off_radius = np.array([norms[s, last][off_mode[s]].mean() if off_mode[s].any() else np.nan for s in range(seeds)])
    out = {"modes": str(r["modes"]), "steps": str(int(r["snapshots"][-1])), "seconds": f"{r['seconds']:.1f} s",
           "batch": str(r["batch"]), "lr": f"{r['lr']:g}", "noise": str(r["noise"]), "width": str(r["width"]),
           "params": f"{r['params']:,}", "seeds": str(seeds), "spread": f"{r['spread']:g}", "radius": f"{r['radius']:g}",
           "covered-list": ", ".join(str(int(v)) for v in covered[:, last]),
           "first-covered": str(int(covered[0, last])),
           "fair": f"{fair:.0f}", "samples": str(samples),
           "start-radius": f"{norms[:, 0].mean():.2f}", "end-radius": f"{end_radius.mean():.3f}",
           "end-radius-range": f"{end_radius.min():.3f}–{end_radius.max():.3f}",
           "near-radius": f"{near_radius.min():.2f}–{near_radius.max():.2f}",
           "off-radius": f"{np.nanmin(off_radius):.2f}–{np.nanmax(off_radius):.2f}",
           "chord-middle": f"{radius * np.cos(np.pi / r['modes']):.2f}",
           "chord-mean": f"{chord_mean_radius(radius, int(r['modes'])):.2f}",
           "inside-runs": str(int((end_radius < radius).sum())),
           "early-step": str(int(r["snapshots"][early])),
           "first-early-radius": f"{norms[0, early].mean():.2f}", "first-early-sd": f"{norms[0, early].std():.2f}",
           "between-share": span(between), "last-steps": str(LAST_STEPS),
           "d-loss-end": num(final[:, 0].mean()), "g-loss-end": num(final[:, 1].mean()),
           "real-off": pct(1 - float(near_share(r, r["real"])), 1)}
    return out | progress_values(r, covered) | collapse_values(r)


LAST_STEPS = 200  # the losses "at the end" are their mean over this many last steps


def span(v: np.ndarray) -> str:
    """A range of shares in whole per cent, or one share when both ends round alike."""
    low, high = pct(v.min(), 0), pct(v.max(), 0)
    return low if low == high else f"{low}–{high}"


def progress_values(r: dict, covered: np.ndarray) -> dict:
    """How the runs stand half-way and at the end, in words that hold whatever the runs did: gathered on the
    clusters (most samples near one) or still diffuse; for the diffuse ones half-way, how much more they hold
    near a cluster than their own distances spread evenly round the ring; and whether the discriminator's
    losses then tell the two kinds apart."""
    mid, seeds, samples = mid_snapshot(r), int(r["seeds"]), r["fake"].shape[-2]
    near = near_share(r, r["fake"])  # seed, snapshot
    norms = np.linalg.norm(r["fake"], axis=-1)
    gathered_mid, gathered_end = near[:, mid] > 1 - GATHERED, near[:, -1] > 1 - GATHERED
    diffuse = np.flatnonzero(~gathered_mid)
    even = [even_spread_share(r, r["fake"][s, mid]) for s in diffuse]
    per_seed = "; ".join(f"seed {s + 1}: {int(covered[s, -1])} modes, {pct(1 - near[s, -1], 0)} near no cluster "
                         f"(at step {int(r['snapshots'][mid])}: {int(covered[s, mid])} modes, "
                         f"{pct(1 - near[s, mid], 0)})" for s in range(seeds))
    out = {"mid-step": str(int(r["snapshots"][mid])), "per-seed": per_seed,
           "gathered-mid": str(int(gathered_mid.sum())), "diffuse-mid": str(len(diffuse)),
           "gathered-end": str(int(gathered_end.sum())), "diffuse-end": str(int((~gathered_end).sum())),
           "off-end": span(1 - near[:, -1]), "off-mid-gathered": span(1 - near[gathered_mid, mid])
           if gathered_mid.any() else "–",
           "covered-mid-list": ", ".join(str(int(v)) for v in covered[:, mid])}
    if len(diffuse):
        before = int(np.searchsorted(r["snapshots"], r["snapshots"][mid] * 2 // 3))  # a snapshot before half-way
        out |= {"near-diffuse-mid": span(near[diffuse, mid]), "even-draws": str(SPREADS),
                "off-diffuse-mid": span(1 - near[diffuse, mid]), "off-diffuse-end": span(1 - near[diffuse, -1]),
                "even-diffuse-mid": span(np.array([m for m, _ in even])),
                "even-diffuse-max": span(np.array([hi for _, hi in even])),
                "denser": "in every one of them" if all(near[s, mid] > hi for s, (_, hi) in zip(diffuse, even))
                else "not in every one of them",
                "before-step": str(int(r["snapshots"][before])),
                "before-sd-diffuse": f"{norms[diffuse, before].std(axis=1).min():.2f}–"
                                     f"{norms[diffuse, before].std(axis=1).max():.2f}"}
    window = slice(int(r["snapshots"][mid]) - LAST_STEPS, int(r["snapshots"][mid]))
    loss = r["losses"][:, window, 0].mean(axis=1)  # the discriminator's, per seed, just before half-way
    if 0 < len(diffuse) < seeds:
        lower = "diffuse" if loss[~gathered_mid].mean() < loss[gathered_mid].mean() else "gathered"
        extreme = loss[~gathered_mid].max() < loss[gathered_mid].min() or loss[gathered_mid].max() < loss[~gathered_mid].min()
        chance = 2 / math.comb(seeds, len(diffuse))  # a split this clean, in either direction
        out["loss-words"] = (
            f"over the {LAST_STEPS} steps before step {int(r['snapshots'][mid])} the {lower} runs had the lower "
            f"discriminator losses ({', '.join(f'{v:.2f}' for v in loss[~gathered_mid])} diffuse against "
            f"{', '.join(f'{v:.2f}' for v in loss[gathered_mid])} gathered)"
            + (f"; with {seeds} runs a split this clean, in either direction, would come by chance one time in "
               f"{round(1 / chance)}: "
               "a hint, not a finding" if extreme else ", but the two kinds overlap")
            + ("; it is the direction one would expect, since diffuse samples are easier to reject"
               if lower == "diffuse" else ""))
    else:
        kind = "diffuse" if len(diffuse) else "gathered"
        out["loss-words"] = f"half-way all {seeds} runs were {kind}, so the losses cannot be set against the outcome"
    return out


def collapse_values(r: dict) -> dict:
    """Whether any run piled its samples on a few clusters, and which modes a run dropped (holds less than a
    tenth of its fair share): partial mode collapse, half-way and at the end, and for how long a mode dropped
    at the end had been empty. `counts`: samples near each mode at the end (seed, mode)."""
    samples, modes, seeds = r["fake"].shape[-2], int(r["modes"]), len(r["fake"])
    fair, mid, steps = samples / modes, mid_snapshot(r), r["snapshots"]
    every, off = mode_counts(r, r["fake"])  # seed, snapshot, mode; seed, snapshot
    counts, empty = every[:, -1], every < EMPTY * fair  # at the end: seed, mode
    fullest, emptiest = counts.max() / samples, counts.min(axis=1)
    piled = fullest >= 2 / modes
    gathered = off[:, mid] / samples < GATHERED  # seed: the runs gathered half-way
    at_mid = [(s, k) for s in range(seeds) for k in range(modes) if empty[s, mid, k] and gathered[s]]
    at_end = [(s, k) for s in range(seeds) for k in range(modes) if empty[s, -1, k]]
    refilled = sum(not empty[s, -1, k] for s, k in at_mid)
    reached = modes_covered(r) >= modes / 2  # seed, snapshot: the run has reached the ring
    if at_end:
        drops = []
        for s, k in at_end:  # the first snapshot, once the run had reached the ring, from which the mode stayed empty
            first = len(steps) - 1
            while first > 0 and empty[s, first - 1, k] and reached[s, first - 1]:
                first -= 1
            drops.append(f"seed {s + 1} ({int(every[s, -1, k])} samples there), a lasting drop, since that mode "
                         f"held at most {int(every[s, first:, k].max())} samples at every snapshot from step "
                         f"{int(steps[first])} on")
        end_words = (f"At the end {len(at_end)} {'mode was' if len(at_end) == 1 else 'modes were'} dropped: "
                     f"{'; '.join(drops)}. That is partial mode collapse")
    else:
        end_words = "At the end no run had dropped a mode"
    if at_mid:
        mid_words = (f"Earlier drops could mend: half-way the {int(gathered.sum())} runs that had gathered had "
                     f"{len(at_mid)} nearly empty {'mode' if len(at_mid) == 1 else 'modes'}, and "
                     f"{refilled or 'none'} of them filled again")
    else:
        mid_words = "Half-way the runs that had gathered had no nearly empty mode"
    return {"fair-share": pct(1 / modes, 1), "fullest": pct(fullest, 0), "pile-share": pct(2 / modes, 0),
            "emptiest": ", ".join(str(int(v)) for v in emptiest), "dropped-words": end_words,
            "dropped-mid-words": mid_words, "dropped-runs": str(len({s for s, _ in at_end})),
            "piled-words": ("one run piled its samples on a few clusters, the extreme form of mode collapse" if piled
                            else "no run piled its samples on a few clusters, the extreme form of mode collapse")}


# -- all five ---------------------------------------------------------------------------------------
