"""What a network is: the 784-256-128-10 MLP, its weights, and one digit passing through it."""

from __future__ import annotations

import numpy as np

from nnbook import data
from nnbook.backend import tensorflow
from nnbook.models import dense_classifier
from nnbook.registry import experiment
from nnbook.steps import train_step

GRAPH_NODES = 12  # nodes per layer drawn in the network graph
HIST_BINS = 60
LEARNING_RATE = 1e-3  # Adam
ABLATION_DRAWS = 3  # random removals per seed, averaged, to compare the grown weights with
LIVE_DIGITS = 300  # validation digits stored with the weights, for the in-browser network and its test


def _top(score: np.ndarray, count: int) -> np.ndarray:
    """Indices of the `count` largest scores, in increasing order."""
    return np.sort(np.argsort(-score, kind="stable")[:count])


def _correct(model, weights: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Which of the digits `x` the network with `weights` classifies correctly."""
    model.set_weights(weights)
    return np.asarray(model(x)).argmax(1) == y


def _grown(first: list[np.ndarray], last: list[np.ndarray]) -> list[np.ndarray]:
    """Per layer, the kernel weights that ended outside the range the layer's initial weights filled."""
    return [np.abs(last[2 * i]) > np.abs(first[2 * i]).max() for i in range(len(last) // 2)]


def _ablations(model, first: list[np.ndarray], last: list[np.ndarray], x: np.ndarray, y: np.ndarray,
               seed: int, draws: int = ABLATION_DRAWS) -> dict:
    """Which validation digits stay right with the grown weights set to zero, and with two controls:
    as many weights per layer chosen at random, and random weights removed until they hold as much
    of each layer's squared norm as the grown ones. Random controls are averaged over `draws`.
    The `_rescaled` variants then scale each unit's surviving incoming weights up by the share of
    them kept (as inverted dropout does), which restores the expected size of its weighted sum:
    what the removal costs beyond a change of scale."""
    rng = np.random.default_rng(seed)
    grown = _grown(first, last)

    def without(masks: list[np.ndarray], rescale: bool = False) -> np.ndarray:
        weights = [w.copy() for w in last]
        for i, mask in enumerate(masks):
            weights[2 * i][mask] = 0
            if rescale:
                weights[2 * i] /= np.maximum(1 - mask.mean(0), 1 / mask.shape[0])  # per unit: its inputs kept
        return _correct(model, weights, x, y)

    def same_count(mask: np.ndarray) -> np.ndarray:
        picked = np.zeros(mask.size, dtype=bool)
        picked[rng.choice(mask.size, int(mask.sum()), replace=False)] = True
        return picked.reshape(mask.shape)

    def same_norm(mask: np.ndarray, kernel: np.ndarray) -> np.ndarray:
        order = rng.permutation(mask.size)
        squares = kernel.ravel()[order] ** 2
        count = int(np.searchsorted(np.cumsum(squares), (kernel[mask] ** 2).sum())) + 1
        picked = np.zeros(mask.size, dtype=bool)
        picked[order[:count]] = True
        return picked.reshape(mask.shape)

    kernels = [last[2 * i] for i in range(len(grown))]
    full, removed = _correct(model, last, x, y), without(grown)
    count = np.mean([without([same_count(m) for m in grown]) for _ in range(draws)], axis=0)
    norm_masks = [[same_norm(m, k) for m, k in zip(grown, kernels)] for _ in range(draws)]
    out = {"full": full, "grown": removed, "count": count,
           "norm": np.mean([without(masks) for masks in norm_masks], axis=0),
           "grown_rescaled": without(grown, rescale=True),
           "norm_rescaled": np.mean([without(masks, rescale=True) for masks in norm_masks], axis=0)}
    model.set_weights(last)
    return out


def _digit_picks(probs: np.ndarray, y: np.ndarray, digits: int) -> np.ndarray:
    """Validation digits to follow through the network: the first `digits` − 2 (at least one), then the
    one it gets right with the least confidence, then the one it gets wrong with the most."""
    right = probs.argmax(1) == y
    confidence = probs.max(1)
    picks = list(range(max(1, digits - 2)))
    if right.any():
        picks.append(int(np.flatnonzero(right)[np.argmin(confidence[right])]))
    if (~right).any():
        picks.append(int(np.flatnonzero(~right)[np.argmax(confidence[~right])]))
    return np.array(list(dict.fromkeys(picks)))


def _rim(rows: int = 28, width: int = 4) -> np.ndarray:
    """The pixels within `width` of the frame's edge, as a flat mask."""
    r, c = np.divmod(np.arange(rows * rows), rows)
    return (np.minimum(r, rows - 1 - r) < width) | (np.minimum(c, rows - 1 - c) < width)


def _train(model, keras, split, epochs: int, batch: int, first: list[np.ndarray],
           snapshots: list | None = None) -> dict:
    """Train from the weights `first` and measure after every epoch, with the weights as they are then,
    the loss and accuracy on the training and validation digits and the validation confidence
    (Keras's own "loss" and "accuracy" average over the epoch's steps)."""
    model.set_weights(first)
    model.compile(keras.optimizers.Adam(LEARNING_RATE), "sparse_categorical_crossentropy", metrics=["accuracy"])
    log = {k: [] for k in ("loss", "val_loss", "accuracy", "val_accuracy", "train_loss_end", "train_acc_end",
                           "val_confidence", "val_loss_wrong", "val_loss_right")}
    n_train, n_val = len(split.y_train), len(split.y_val)
    for _ in range(epochs):
        history = model.fit(split.x_train, split.y_train, validation_data=(split.x_val, split.y_val),
                            epochs=1, batch_size=batch, verbose=0)
        for name in ("loss", "val_loss", "accuracy", "val_accuracy"):
            log[name] += history.history[name]
        if snapshots is not None:
            snapshots.append([w.copy() for w in model.get_weights()])
        p_train, p_val = np.asarray(model(split.x_train)), np.asarray(model(split.x_val))
        log["train_loss_end"].append(-np.mean(np.log(p_train[np.arange(n_train), split.y_train] + 1e-7)))
        log["train_acc_end"].append(np.mean(p_train.argmax(1) == split.y_train))
        val_nll = -np.log(p_val[np.arange(n_val), split.y_val] + 1e-7)
        right = p_val.argmax(1) == split.y_val
        log["val_confidence"].append(p_val.max(1).mean())
        log["val_loss_wrong"].append(val_nll[~right].mean())
        log["val_loss_right"].append(val_nll[right].mean())
    return {k: np.array(v, dtype=np.float32) for k, v in log.items()} | {
        "val_probs": np.asarray(model(split.x_val))}


def _seeds(model, keras, split, epochs: int, batch: int, seeds: int, seed: int, snapshots: list) -> dict:
    """The same recipe from `seeds` initial draws: the log, calibration, and the ablations, seed by seed.
    The first seed is the run the page shows: `snapshots` receives its weights before training and
    after every epoch, and the model keeps its trained weights."""
    runs = []
    for s in reversed(range(seeds)):  # the first seed last, so that the model ends with its weights
        first_seed = seed + s
        keras.utils.set_random_seed(first_seed)
        first = dense_classifier(tuple(u.units for u in model.layers[:-1])).get_weights()
        if s == 0:
            snapshots.append([w.copy() for w in first])
        log = _train(model, keras, split, epochs, batch, first, snapshots if s == 0 else None)
        last = model.get_weights()
        grown = _grown(first, last)
        change = (last[0] - first[0])  # pixel, unit
        runs.append({**{k: v for k, v in log.items() if k != "val_probs"},
                     "val_conf_end": log["val_probs"].max(1), "val_correct_end": log["val_probs"].argmax(1) == split.y_val,
                     "grown_share": [m.mean() for m in grown],
                     "grown_norm_share": [(last[2 * i][m] ** 2).sum() / (last[2 * i] ** 2).sum()
                                          for i, m in enumerate(grown)],
                     "first_corr": np.corrcoef(first[0].ravel(), last[0].ravel())[0, 1],
                     "rim_argmax": np.mean(_rim()[np.abs(change).argmax(0)]),
                     "argmax_pixel": np.abs(change).argmax(0),  # per unit, the pixel of its largest change
                     **{f"ablate_{k}": v for k, v in
                        _ablations(model, first, last, split.x_val, split.y_val, first_seed).items()}})
    runs.reverse()
    return {f"seeds_{k}": np.array([run[k] for run in runs], dtype=np.float32) for k in runs[0]}


def _live_export(model: "keras.Model", x_val: np.ndarray, y_val: np.ndarray) -> dict:
    """The trained kernels and biases (float32) and Keras's probabilities for the first
    LIVE_DIGITS validation digits, given as 0-255 pixels so that the browser reads the same input."""
    pixels = np.rint(x_val[:LIVE_DIGITS] * 255).astype(np.uint8)
    probs = model.predict(pixels.astype(np.float32) / 255, verbose=0)
    weights = model.get_weights()
    names = [f"{kind}{i // 2 + 1}" for i, kind in enumerate(["w", "b"] * (len(weights) // 2))]
    return {**{n: w.astype(np.float32) for n, w in zip(names, weights)}, "live_pixels": pixels,
            "live_labels": y_val[:LIVE_DIGITS].astype(np.int32), "live_probs": np.asarray(probs, dtype=np.float32)}


@experiment("network/mlp", seed=4,
            full={"train": 4000, "val": 1000, "hidden": [256, 128], "epochs": 12, "batch": 64, "digits": 4,
                  "seeds": 5},
            smoke={"train": 300, "val": 100, "hidden": [256, 128], "epochs": 2, "batch": 64, "digits": 2,
                   "seeds": 2},
            title="The 784-256-128-10 network trained on MNIST")
def mlp(train: int, val: int, hidden: list[int], epochs: int, batch: int, digits: int, seeds: int, seed: int) -> dict:
    """Train the book's reference network from `seeds` initial draws; record the first run's weights
    epoch by epoch, and every run's log, calibration and ablations."""
    tf, keras = tensorflow()
    split = data.mnist(train, val, seed)
    model = dense_classifier(tuple(hidden))
    snapshots: list = []  # kernel, bias per layer, before training and after every epoch of the first run
    by_seed = _seeds(model, keras, split, epochs, batch, seeds, seed, snapshots)
    log = {k[len("seeds_"):]: v[0] for k, v in by_seed.items()
           if k[len("seeds_"):] in ("loss", "val_loss", "accuracy", "val_accuracy")}
    after = {k[len("seeds_"):]: v[0] for k, v in by_seed.items() if k[len("seeds_"):] in
             ("train_loss_end", "train_acc_end", "val_confidence", "val_loss_wrong", "val_loss_right")}
    layers = model.layers
    first, last = snapshots[0], snapshots[-1]
    kernels = [last[2 * i] for i in range(len(layers))]

    # weight histograms per layer and epoch, on edges shared by all epochs of a layer
    hist_edges, hist_counts = [], []
    for i in range(len(layers)):
        stack = np.stack([s[2 * i] for s in snapshots])
        edges = np.linspace(-np.abs(stack).max(), np.abs(stack).max(), HIST_BINS + 1)
        hist_edges.append(edges)
        hist_counts.append([np.histogram(s[2 * i], edges)[0] for s in snapshots])

    # the network graph: the pixels inked in most training images, the hidden units whose incoming
    # weights training changed most, all ten outputs
    ink = (split.x_train > 0).mean(axis=0)
    change = [np.linalg.norm(kernels[i] - first[2 * i], axis=0) for i in range(len(layers))]
    nodes = [_top(ink, GRAPH_NODES)] + [_top(c, GRAPH_NODES) for c in change[:-1]] + [np.arange(10)]
    graph = {}
    for i in range(len(layers)):
        rows, cols = np.ix_(nodes[i], nodes[i + 1])
        graph[f"graph_w{i}_initial"] = first[2 * i][rows, cols]
        graph[f"graph_w{i}_trained"] = last[2 * i][rows, cols]

    # a few validation digits through the trained network, layer by layer
    probe = keras.Model(model.inputs[0], [layer.output for layer in layers])
    picks = _digit_picks(np.asarray(model(split.x_val)), split.y_val, digits)
    outputs = [np.asarray(o) for o in probe(split.x_val[picks])]

    # one hidden unit of the second layer, worked by hand for the first digit
    h1, h2 = outputs[0][0], outputs[1][0]
    unit = int(np.argmax(h2))
    w, b = last[2][:, unit], float(last[3][unit])
    terms = h1 * w
    top = np.argsort(-np.abs(terms))[:5]
    never_inked = ink == 0
    return {
        "layer_names": [layer.name for layer in layers], "units": [int(layer.units) for layer in layers],
        "activations": [layer.activation.__name__ for layer in layers],
        "params": [int(layer.count_params()) for layer in layers], "total_params": int(model.count_params()),
        "epoch": np.arange(1, epochs + 1), **{k: np.array(v, dtype=np.float32) for k, v in log.items()},
        "train_rows": train, "val_rows": val, "batch": batch,
        **{f"hist_edges_{i}": e.astype(np.float32) for i, e in enumerate(hist_edges)},
        **{f"hist_counts_{i}": np.array(c, dtype=np.int32) for i, c in enumerate(hist_counts)},
        **{f"graph_nodes_{i}": n.astype(np.int32) for i, n in enumerate(nodes)}, **graph,
        # 784 x 256, each column one unit's 28x28 template: what training added to its random start
        "first_layer_change": (kernels[0] - first[0]).astype(np.float16),
        "digit_images": split.x_val[picks].astype(np.float32), "digit_labels": split.y_val[picks],
        **{f"digit_layer_{i}": o.astype(np.float32) for i, o in enumerate(outputs)},
        "neuron_unit": unit, "neuron_inputs": h1[top].astype(np.float64), "neuron_input_ids": top.astype(np.int32),
        "neuron_weights": w[top].astype(np.float64), "neuron_rest": float(terms.sum() - terms[top].sum()),
        "neuron_rest_count": int(len(terms) - len(top)), "neuron_active_inputs": int((h1 > 0).sum()),
        "neuron_bias": b, "neuron_sum": float(terms.sum() + b), "neuron_output": float(h2[unit]),
        **{name: np.array(v, dtype=np.float32) for name, v in after.items()},
        "lr": LEARNING_RATE, "graph_size": GRAPH_NODES, "ink_share": ink.astype(np.float32), "never_inked": int(never_inked.sum()),
        "never_inked_max_change": float(np.abs(kernels[0] - first[0])[never_inked].max()),
        "mean_change": np.array([np.abs(kernels[i] - first[2 * i]).mean() for i in range(len(layers))], np.float32),
        "mean_start": np.array([np.abs(first[2 * i]).mean() for i in range(len(layers))], np.float32),
        "seeds": seeds, "digit_ids": picks.astype(np.int32), "rim": _rim(), **by_seed,
        **_live_export(model, split.x_val, split.y_val),
    }


@experiment("network/neuron-2d", seed=14, full={"points": 200, "steps": 300}, smoke={"points": 60, "steps": 30},
            title="One sigmoid neuron with two inputs, trained to separate two clouds of points")
def neuron_2d(points: int, steps: int, seed: int) -> dict:
    """A single neuron, sigmoid(w·x + b), trained full-batch with Adam on two generated Gaussian clouds."""
    tf, keras = tensorflow()
    rng = np.random.default_rng(seed)
    y = np.arange(points) % 2
    x = rng.normal(size=(points, 2)) * 0.8 + np.where(y[:, None] == 1, [1.0, 0.6], [-1.0, -0.6])
    x, yy = x.astype(np.float32), y[:, None].astype(np.float32)
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, activation="sigmoid")])
    optimizer, loss_fn = keras.optimizers.Adam(0.1), keras.losses.BinaryCrossentropy()
    step = train_step(model, optimizer, loss_fn)
    for _ in range(steps):
        step(x, yy)
    w, b = model.get_weights()
    return {"x": x, "y": y.astype(np.int8), "w": w[:, 0].astype(np.float64), "b": float(b[0]),
            "accuracy": float(np.mean((np.asarray(model(x))[:, 0] > 0.5) == y)), "steps": steps}
