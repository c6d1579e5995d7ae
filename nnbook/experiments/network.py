"""What a network is: the 784-256-128-10 MLP, its weights, and one digit passing through it."""

from __future__ import annotations

import numpy as np

from nnbook import data
from nnbook.backend import tensorflow
from nnbook.models import dense_classifier
from nnbook.registry import experiment

GRAPH_NODES = 12  # nodes per layer drawn in the network graph
HIST_BINS = 60
LEARNING_RATE = 1e-3  # Adam
ABLATION_DRAWS = 3  # random removals to compare the grown weights with
LIVE_DIGITS = 300  # validation digits stored with the weights, for the in-browser network and its test


def _top(score: np.ndarray, count: int) -> np.ndarray:
    """Indices of the `count` largest scores, in increasing order."""
    return np.sort(np.argsort(-score, kind="stable")[:count])


def _accuracy(model, weights: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> float:
    model.set_weights(weights)
    return float(np.mean(np.asarray(model(x)).argmax(1) == y))


def _ablations(model, first: list[np.ndarray], last: list[np.ndarray], x: np.ndarray, y: np.ndarray,
               seed: int, draws: int = ABLATION_DRAWS) -> dict:
    """Validation accuracy with the weights that grew outside their layer's starting range set to zero,
    and with as many weights per layer chosen at random set to zero instead."""
    rng = np.random.default_rng(seed)
    grown = [np.abs(last[2 * i]) > np.abs(first[2 * i]).max() for i in range(len(last) // 2)]

    def without(masks: list[np.ndarray]) -> list[np.ndarray]:
        weights = [w.copy() for w in last]
        for i, mask in enumerate(masks):
            weights[2 * i][mask] = 0
        return weights

    def random_like(mask: np.ndarray) -> np.ndarray:
        picked = np.zeros(mask.size, dtype=bool)
        picked[rng.choice(mask.size, int(mask.sum()), replace=False)] = True
        return picked.reshape(mask.shape)

    out = {"ablate_full": _accuracy(model, last, x, y), "ablate_grown": _accuracy(model, without(grown), x, y),
           "ablate_random": np.array([_accuracy(model, without([random_like(m) for m in grown]), x, y)
                                      for _ in range(draws)], dtype=np.float32),
           "grown_counts": np.array([int(m.sum()) for m in grown], dtype=np.int32)}
    model.set_weights(last)
    return out


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
            full={"train": 4000, "val": 1000, "hidden": [256, 128], "epochs": 12, "batch": 64, "digits": 4},
            smoke={"train": 300, "val": 100, "hidden": [256, 128], "epochs": 2, "batch": 64, "digits": 2},
            title="The 784-256-128-10 network trained on MNIST")
def mlp(train: int, val: int, hidden: list[int], epochs: int, batch: int, digits: int, seed: int) -> dict:
    """Train the book's reference network and record its weights epoch by epoch."""
    tf, keras = tensorflow()
    split = data.mnist(train, val, seed)
    model = dense_classifier(tuple(hidden))
    model.compile(keras.optimizers.Adam(LEARNING_RATE), "sparse_categorical_crossentropy", metrics=["accuracy"])
    snapshots = [[w.copy() for w in model.get_weights()]]  # kernel, bias per layer, before training
    log = {"loss": [], "val_loss": [], "accuracy": [], "val_accuracy": []}
    # measured after each epoch with the weights as they are then (Keras' "loss" averages over the epoch)
    after = {"train_loss_end": [], "val_confidence": [], "val_loss_wrong": [], "val_loss_right": []}
    for _ in range(epochs):
        history = model.fit(split.x_train, split.y_train, validation_data=(split.x_val, split.y_val),
                            epochs=1, batch_size=batch, verbose=0)
        for name in log:
            log[name] += history.history[name]
        snapshots.append([w.copy() for w in model.get_weights()])
        p_train, p_val = np.asarray(model(split.x_train)), np.asarray(model(split.x_val))
        after["train_loss_end"].append(-np.mean(np.log(p_train[np.arange(train), split.y_train] + 1e-7)))
        val_nll = -np.log(p_val[np.arange(val), split.y_val] + 1e-7)
        right = p_val.argmax(1) == split.y_val
        after["val_confidence"].append(p_val.max(1).mean())
        after["val_loss_wrong"].append(val_nll[~right].mean())
        after["val_loss_right"].append(val_nll[right].mean())
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
    picks = np.arange(digits)
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
        **_ablations(model, first, last, split.x_val, split.y_val, seed),
        **_live_export(model, split.x_val, split.y_val),
    }
