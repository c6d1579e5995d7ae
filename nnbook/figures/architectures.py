"""Figures, tables and values for the page on which network suits which data."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nnbook.figures.style import Table, color, num, pct, tidy
from nnbook.registry import claim, figure, table, values

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
                "networks, two sizes each. Small dots are single seeds; the line joins their means, with "
                "± one standard deviation as error bars.")
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
    fig.update_layout(xaxis={"type": "log", "title": "trainable parameters"},
                      yaxis={"title": "validation accuracy", "tickformat": ".0%"})
    rows = [[_family(r, i), f"{int(r['params'][i]):,}", _pm(mean[i], sd[i]),
             ", ".join(pct(a) for a in r["accuracy"][i]), f"{r['seconds'][i]:.1f} s"]
            for i in range(len(r["families"]))]
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
    fig = go.Figure(go.Heatmap(z=_mosaic(kernels, len(kernels), True), colorscale="RdBu", zmid=0, zmin=-1, zmax=1,
                               showscale=False, hovertemplate="weight (scaled) %{z:.2f}<extra></extra>",
                               name="first-layer filters"))
    _image_axes(fig)
    rows = [[str(k + 1), num(w.max()), num(w.min()), num(w.sum())] for k, w in enumerate(kernels)]
    return tidy(fig, height=150, top=10, bottom=10), (["filter", "largest weight", "smallest weight", "sum"], rows)


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
                "deviation.")
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
    fig.update_layout(xaxis={"ticksuffix": " px", "dtick": 1, "zeroline": False},
                      yaxis={"title": "validation accuracy", "tickformat": ".0%", "range": [0, 1]})
    header = ["shift (pixels)"] + [_family(r, i) for i in range(len(r["families"]))]
    rows = [[str(int(s))] + [_pm(mean[i, j], sd[i, j]) for i in range(len(r["families"]))]
            for j, s in enumerate(r["shifts"])]
    return tidy(fig, height=440, top=80), (header, rows)


@values("architectures/vision-values", uses="architectures/vision")
def vision_values(r: dict) -> dict:
    mean, sd = _mean_sd(r["accuracy"])
    shift_mean, shift_sd = _mean_sd(np.moveaxis(r["shift_accuracy"], 1, -1))
    m, c = _largest(r, "mlp"), _largest(r, "cnn")
    small_c = min(i for i, f in enumerate(r["families"]) if f == "cnn")
    gap = mean[c] - mean[m]
    noise = 2 * max(sd[c], sd[m])
    s1, s2 = int(np.searchsorted(r["shifts"], 1)), int(np.searchsorted(r["shifts"], 2))
    out = {"train-rows": f"{r['train_rows']:,}", "val-rows": f"{r['val_rows']:,}", "epochs": str(r["epochs"]),
           "batch": str(r["batch"]), "lr": f"{r['lr']:g}", "seeds": str(r["seeds"]),
           "mlp-seconds": f"{r['seconds'][m]:.1f} s", "cnn-seconds": f"{r['seconds'][c]:.1f} s",
           "mlp-params": f"{int(r['params'][m]):,}", "cnn-params": f"{int(r['params'][c]):,}",
           "small-cnn-params": f"{int(r['params'][small_c]):,}",
           "mlp-acc": _pm(mean[m], sd[m]), "cnn-acc": _pm(mean[c], sd[c]),
           "small-cnn-acc": _pm(mean[small_c], sd[small_c]),
           "param-ratio": f"{r['params'][m] / r['params'][c]:.0f}", "gap": f"{100 * gap:.1f} points",
           "digit-label": str(r["digit_label"]), "filters": str(len(r["kernels"])),
           "maps-2": str(len(r["maps_2"])), "max-shift": str(int(r["shifts"][-1])),
           "mlp-shift1": pct(shift_mean[m, s1]), "cnn-shift1": pct(shift_mean[c, s1]),
           "mlp-drop1": f"{100 * (mean[m] - shift_mean[m, s1]):.1f}", "cnn-drop1": f"{100 * (mean[c] - shift_mean[c, s1]):.1f}",
           "mlp-shift2": pct(shift_mean[m, s2]), "cnn-shift2": pct(shift_mean[c, s2]),
           "mlp-shift-max": pct(shift_mean[m, -1]), "cnn-shift-max": pct(shift_mean[c, -1])}
    out["cnn-beats-mlp"] = claim(gap > noise and r["params"][c] < r["params"][m],
                                 "the larger CNN is more accurate than the larger MLP by more than twice the "
                                 "larger seed spread, with fewer parameters")
    out["small-cnn-close"] = claim(abs(mean[small_c] - mean[m]) < 2 * max(sd[small_c], sd[m]),
                                    "the smaller CNN and the larger MLP differ by less than twice the larger seed "
                                    "spread: within seed noise")
    kernels = r["kernels"].reshape(len(r["kernels"]), -1)
    out["filters-mixed"] = claim(((kernels.max(axis=1) > 0) & (kernels.min(axis=1) < 0)).all(),
                                  "every first-layer filter has both positive and negative weights")
    out["sparser"] = claim(np.mean(r["maps_2"] > 0) < np.mean(r["maps_1"] > 0),
                            "a smaller share of the second layer's values is above zero than of the first's")
    out["share-1"] = pct(np.mean(r["maps_1"] > 0), 0)
    out["share-2"] = pct(np.mean(r["maps_2"] > 0), 0)
    out["mlp-drops-more"] = claim(mean[m] - shift_mean[m, s1] > mean[c] - shift_mean[c, s1],
                                   "a one-pixel shift costs the larger MLP more accuracy than the larger CNN")
    out["cnn-shift-better"] = claim(shift_mean[c, s2] - shift_mean[m, s2] > 2 * max(shift_sd[c, s2], shift_sd[m, s2]),
                                    "at a 2-pixel shift the CNN keeps more accuracy than the MLP, beyond seed noise")
    out["both-drop"] = claim(max(shift_mean[c, -1], shift_mean[m, -1]) < 0.2,
                              "at the largest shift both larger networks score below 20%, close to guessing (10%)")
    return out


# -- a GAN -----------------------------------------------------------------------------------------

def mode_counts(r: dict) -> tuple[np.ndarray, np.ndarray]:
    """Per snapshot: samples within 3 standard deviations of each mode (snapshots, modes), and the rest."""
    angle = 2 * np.pi * np.arange(r["modes"]) / r["modes"]
    centres = r["radius"] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    dist = np.linalg.norm(r["fake"][:, :, None, :] - centres[None, None], axis=-1)  # (snapshots, samples, modes)
    near = dist.min(axis=2) < 3 * r["spread"]
    nearest = dist.argmin(axis=2)
    counts = np.stack([np.bincount(nearest[s][near[s]], minlength=r["modes"]) for s in range(len(near))])
    return counts, (~near).sum(axis=1)


def modes_covered(r: dict) -> np.ndarray:
    """Modes that receive at least a fifth of their fair share of samples, per snapshot."""
    counts, _ = mode_counts(r)
    fair = r["fake"].shape[1] / r["modes"]
    return (counts >= fair / 5).sum(axis=1)


@figure("architectures/gan", uses="architectures/gan",
        caption="The generator's samples (orange) over real samples (grey) from the ring of eight Gaussians, "
                "and the discriminator's belief that a point is real (shaded: dark is “fake”, light is "
                "“real”), at several steps of training. Move the slider to see training unfold.")
def gan(r: dict) -> tuple[go.Figure, Table]:
    fig = go.Figure()
    covered = modes_covered(r)
    for s, step in enumerate(r["snapshots"]):
        fig.add_heatmap(x=r["axis"], y=r["axis"], z=np.round(r["surface"][s], 3), colorscale="Blues", zmin=0, zmax=1,
                        reversescale=True, visible=s == 0, showscale=s == 0, name="discriminator",
                        colorbar={"title": {"text": "P(real)", "side": "right"}, "thickness": 12},
                        hovertemplate="P(real) %{z:.2f}<extra></extra>")
        fig.add_scatter(x=r["fake"][s, :, 0], y=r["fake"][s, :, 1], mode="markers", visible=s == 0,
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
    counts, off = mode_counts(r)
    rows = [[str(int(step)), f"{int(covered[s])} of {r['modes']}", ", ".join(str(int(c)) for c in counts[s]),
             str(int(off[s]))] for s, step in enumerate(r["snapshots"])]
    header = ["step", "modes covered", "samples near each mode", "samples near no mode"]
    return tidy(fig, height=560, top=60, bottom=110), (header, rows)


def _smooth(x: np.ndarray, window: int) -> np.ndarray:
    return np.convolve(x, np.ones(window) / window, mode="valid")


@figure("architectures/gan-losses", uses="architectures/gan",
        caption="Left: the discriminator's and the generator's losses per step (moving average over 25 steps). "
                "The dashed lines mark the losses of a discriminator that cannot tell real from fake "
                "(2 ln 2 and ln 2). Right: how many of the eight modes the generator covers at each snapshot.")
def gan_losses(r: dict) -> tuple[go.Figure, Table]:
    fig = make_subplots(rows=1, cols=2, column_widths=[0.65, 0.35], subplot_titles=("losses", "modes covered"))
    window, every = 25, 10
    for k, name in enumerate(("discriminator", "generator")):
        y = _smooth(r["losses"][:, k], window)[::every]
        fig.add_scatter(x=np.arange(len(y)) * every + window, y=y, name=name, line={"color": color(k + 4)},
                        row=1, col=1)
    for level in (2 * np.log(2), np.log(2)):
        fig.add_hline(y=level, line={"color": "#888", "dash": "dash", "width": 1}, row=1, col=1)
    fig.add_scatter(x=r["snapshots"], y=modes_covered(r), mode="lines+markers", name="modes covered",
                    line={"color": color(1)}, row=1, col=2)
    fig.update_xaxes(title_text="training step")
    fig.update_yaxes(range=[0, r["modes"] + 0.5], dtick=2, row=1, col=2)
    sample = np.linspace(0, len(r["losses"]) - 1, 11).round().astype(int)
    rows = [[str(int(t)), num(r["losses"][t, 0]), num(r["losses"][t, 1])] for t in sample]
    return tidy(fig, height=400, top=80), (["step", "discriminator loss", "generator loss"], rows)


@values("architectures/gan-values", uses="architectures/gan")
def gan_values(r: dict) -> dict:
    covered = modes_covered(r)
    counts, off = mode_counts(r)
    last = len(r["snapshots"]) - 1
    out = {"modes": str(r["modes"]), "steps": str(int(r["snapshots"][-1])), "seconds": f"{r['seconds']:.1f} s", "batch": str(r["batch"]),
           "lr": f"{r['lr']:g}", "noise": str(r["noise"]), "width": str(r["width"]), "params": f"{r['params']:,}",
           "covered": str(int(covered[last])), "max-covered": str(int(covered.max())),
           "near-share": pct(1 - off[last] / r["fake"].shape[1], 0),
           "spread": f"{r['spread']:g}", "radius": f"{r['radius']:g}",
           "first-covered-step": str(int(r["snapshots"][int(np.argmax(covered == covered.max()))]))}
    norms = np.linalg.norm(r["fake"], axis=2)  # distance of each generated point from the centre
    out["start-radius"] = f"{norms[0].mean():.2f}"
    out["end-radius"] = f"{norms[last].mean():.2f}"
    out["end-radius-sd"] = f"{norms[last].std():.2f}"
    out["starts-central"] = claim(norms[0].mean() < 0.25 * r["radius"],
                                   "before training the generated points sit near the centre")
    out["ends-on-ring"] = claim(abs(norms[last].mean() - r["radius"]) < 0.1 * r["radius"]
                                 and norms[last].std() < 0.1 * r["radius"],
                                 "at the end the generated points lie close to the ring's radius")
    angle = 2 * np.pi * np.arange(r["modes"]) / r["modes"]
    centres = r["radius"] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    off_mode = np.linalg.norm(r["fake"][last][:, None] - centres[None], axis=-1).min(axis=1) >= 3 * r["spread"]
    out["between-on-ring"] = claim(np.mean(np.abs(norms[last][off_mode] - r["radius"]) < 0.1 * r["radius"]) > 0.75,
                                   "more than three quarters of the generated points away from every cluster lie "
                                   "within 10% of the ring's radius from the centre")
    out["overshoots"] = claim((norms.mean(axis=1) > r["radius"]).any(),
                               "at some snapshot the generated points lie, on average, outside the ring")
    centre = r["surface"][:, len(r["axis"]) // 2, len(r["axis"]) // 2]
    out["centre-start"], out["centre-end"] = f"{centre[0]:.2f}", f"{centre[last]:.2f}"
    out["centre-fake"] = claim(centre[last] < 0.1, "at the end the discriminator calls the centre fake")
    end = r["losses"][-200:].mean(axis=0)
    out["d-loss-end"], out["g-loss-end"] = num(end[0]), num(end[1])
    out["d-not-winning"] = claim(end[0] > 0.5 * np.log(2) * 2 and end[1] < 2 * np.log(2),
                                  "over the last 200 steps neither network wins outright: the discriminator's "
                                  "loss stays above ln 2 and the generator's below 2 ln 2")
    fair = r["fake"].shape[1] / r["modes"]
    missed = counts[last] < fair / 5
    out["missed"] = str(int(missed.sum()))
    out["missed-samples"] = str(int(counts[last][missed].sum()))
    out["fair"] = f"{fair:.0f}"
    out["samples"] = str(r["fake"].shape[1])
    out["partial-collapse"] = claim(0 < missed.sum() < r["modes"] // 2,
                                     "at the end the generator covers most modes but misses some: "
                                     "a partial mode collapse")
    out["all-covered"] = claim(missed.sum() == 0, "at the end the generator covers every mode")
    return out


# -- all five ---------------------------------------------------------------------------------------
