"""What a network is: the 784-256-128-10 MLP, its weights, and one digit passing through it."""

from __future__ import annotations

import numpy as np

from nnbook import data
from nnbook.backend import tensorflow
from nnbook.models import dense_classifier
from nnbook.registry import experiment

GRAPH_NODES = 12  # nodes per layer drawn in the network graph
HIST_BINS = 60


def _strongest(kernel: np.ndarray, axis: int, count: int) -> np.ndarray:
    """Indices of the rows (axis=1) or columns (axis=0) with the largest total |weight|, sorted."""
    return np.sort(np.argsort(-np.abs(kernel).sum(axis=axis))[:count])


@experiment("network/mlp", seed=4,
            full={"train": 4000, "val": 1000, "hidden": [256, 128], "epochs": 12, "batch": 64, "digits": 4},
            smoke={"train": 300, "val": 100, "hidden": [256, 128], "epochs": 2, "batch": 64, "digits": 2},
            title="The 784-256-128-10 network trained on MNIST")
def mlp(train: int, val: int, hidden: list[int], epochs: int, batch: int, digits: int, seed: int) -> dict:
    """Train the book's reference network and record its weights epoch by epoch."""
    tf, keras = tensorflow()
    split = data.mnist(train, val, seed)
    model = dense_classifier(tuple(hidden))
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    snapshots = [[w.copy() for w in model.get_weights()]]  # kernel, bias per layer, before training
    log = {"loss": [], "val_loss": [], "accuracy": [], "val_accuracy": []}
    for _ in range(epochs):
        history = model.fit(split.x_train, split.y_train, validation_data=(split.x_val, split.y_val),
                            epochs=1, batch_size=batch, verbose=0)
        for name in log:
            log[name] += history.history[name]
        snapshots.append([w.copy() for w in model.get_weights()])
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

    # the network graph: the strongest inputs and units of each layer, weights before and after
    nodes = [_strongest(kernels[0], 1, GRAPH_NODES)]
    for k in kernels[:-1]:
        nodes.append(_strongest(k[nodes[-1]], 0, GRAPH_NODES))
    nodes.append(np.arange(10))
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
    }
