"""Activation functions: their shapes, what they do to training, and how they fail."""

from __future__ import annotations

import numpy as np

from nnbook import data
from nnbook.backend import tensorflow
from nnbook.models import dense_classifier
from nnbook.registry import experiment

FUNCTIONS = ("relu", "sigmoid", "tanh", "softmax", "leaky_relu")
HIDDEN_ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid", "linear")


def _activation(name: str):
    """The Keras activation `name` as a function of one input; softmax of the vector (x, 0, 0)."""
    tf, keras = tensorflow()
    if name == "softmax":
        return lambda x: keras.activations.softmax(tf.stack([x, tf.zeros_like(x), tf.zeros_like(x)], -1))[:, 0]
    return getattr(keras.activations, name)


@experiment("activations/curves", seed=0, full={"points": 481, "span": 6.0}, smoke={"points": 25, "span": 6.0},
            title="Activation functions and their derivatives")
def curves(points: int, span: float, seed: int) -> dict:
    """Each function and its derivative, by automatic differentiation."""
    tf, _ = tensorflow()
    x = tf.constant(np.linspace(-span, span, points, dtype=np.float32))
    results = {"x": x.numpy(), "functions": list(FUNCTIONS)}
    for name in FUNCTIONS:
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = _activation(name)(x)
        results[name] = y.numpy()
        results[f"d_{name}"] = tape.gradient(y, x).numpy()
    return results


@experiment("activations/training", seed=1,
            full={"train": 4000, "val": 1000, "hidden": [128, 64], "epochs": 15, "batch": 64, "lr": 0.001},
            smoke={"train": 400, "val": 200, "hidden": [32, 16], "epochs": 3, "batch": 64, "lr": 0.003},
            title="One network, five hidden activations, trained on MNIST")
def training(train: int, val: int, hidden: list[int], epochs: int, batch: int, lr: float, seed: int) -> dict:
    """The same MLP trained with each hidden activation on the same MNIST split."""
    tf, keras = tensorflow()
    split = data.mnist(train, val, seed)
    curves = {"loss": [], "val_loss": [], "accuracy": [], "val_accuracy": []}
    for activation in HIDDEN_ACTIVATIONS:
        keras.utils.set_random_seed(seed)  # same initial draw for every activation
        model = dense_classifier(tuple(hidden), activation)
        model.compile(keras.optimizers.Adam(lr), "sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(split.x_train, split.y_train, validation_data=(split.x_val, split.y_val),
                            epochs=epochs, batch_size=batch, verbose=0, shuffle=True)
        for name in curves:
            curves[name].append(history.history[name])
    return {"activations": list(HIDDEN_ACTIVATIONS), "epoch": np.arange(1, epochs + 1),
            **{name: np.array(v, dtype=np.float32) for name, v in curves.items()},
            "train_rows": train, "val_rows": val, "hidden": hidden}


@experiment("activations/vanishing", seed=2,
            full={"depth": 10, "width": 32, "steps": 400, "checkpoints": [0, 20, 100, 400], "lr": 0.1},
            smoke={"depth": 4, "width": 8, "steps": 6, "checkpoints": [0, 3, 6], "lr": 0.1},
            title="Gradient norms per layer in deep sigmoid and ReLU networks")
def vanishing(depth: int, width: int, steps: int, checkpoints: list[int], lr: float, seed: int) -> dict:
    """Per-layer gradient norms of a deep sigmoid net and a deep ReLU net, during SGD on digits."""
    tf, keras = tensorflow()
    split = data.digits(seed=seed)
    probe_x, probe_y = split.x_train[:256], split.y_train[:256]
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    norms, losses = [], []
    for activation in ("sigmoid", "relu"):
        keras.utils.set_random_seed(seed)
        model = dense_classifier((width,) * depth, activation, inputs=64)
        optimizer = keras.optimizers.SGD(lr)
        kernels = [layer.kernel for layer in model.layers]

        @tf.function
        def gradients(x, y):
            with tf.GradientTape() as tape:
                loss = loss_fn(y, model(x, training=True))
            return loss, tape.gradient(loss, kernels)

        rng = np.random.default_rng(seed)
        per_checkpoint, trace = [], []
        for step in range(steps + 1):
            if step in checkpoints:
                _, grads = gradients(probe_x, probe_y)
                per_checkpoint.append([float(tf.norm(g)) for g in grads])
            if step == steps:
                break
            batch = rng.choice(len(split.x_train), 32, replace=False)
            loss, grads = gradients(split.x_train[batch], split.y_train[batch])
            optimizer.apply_gradients(zip(grads, kernels))
            trace.append(float(loss))
        norms.append(per_checkpoint)
        losses.append(trace)
    return {"activations": ["sigmoid", "relu"], "layer": np.arange(1, depth + 2), "checkpoints": np.array(checkpoints),
            "grad_norm": np.array(norms, dtype=np.float32), "loss": np.array(losses, dtype=np.float32)}


@experiment("activations/dying", seed=3,
            full={"train": 4000, "probe": 500, "hidden": [128, 128], "epochs": 8, "rates": [0.001, 0.03]},
            smoke={"train": 300, "probe": 100, "hidden": [32, 32], "epochs": 2, "rates": [0.001, 0.03]},
            title="Dead units over training: ReLU and leaky ReLU at two learning rates")
def dying(train: int, probe: int, hidden: list[int], epochs: int, rates: list[float], seed: int) -> dict:
    """The share of hidden units that output nothing positive for any probe image, per epoch."""
    tf, keras = tensorflow()
    split = data.mnist(train, probe, seed)
    runs, dead, accuracy = [], [], []
    for activation in ("relu", "leaky_relu"):
        for lr in rates:
            keras.utils.set_random_seed(seed)
            model = dense_classifier(tuple(hidden), activation)
            hidden_out = keras.Model(model.inputs[0], [layer.output for layer in model.layers[:-1]])
            model.compile(keras.optimizers.Adam(lr), "sparse_categorical_crossentropy", metrics=["accuracy"])

            def dead_share() -> list[float]:
                outs = hidden_out(split.x_val, training=False)
                return [float(np.mean(np.all(np.asarray(o) <= 0, axis=0))) for o in outs]

            per_epoch = [dead_share()]
            for _ in range(epochs):
                model.fit(split.x_train, split.y_train, epochs=1, batch_size=64, verbose=0)
                per_epoch.append(dead_share())
            runs.append(f"{activation} lr={lr:g}")
            dead.append(per_epoch)
            accuracy.append(model.evaluate(split.x_val, split.y_val, verbose=0)[1])
    return {"runs": runs, "run_activations": [r.split()[0] for r in runs],
            "run_rates": [float(r.split("=")[1]) for r in runs], "epoch": np.arange(0, epochs + 1), "dead": np.array(dead, dtype=np.float32),
            "val_accuracy": np.array(accuracy, dtype=np.float32), "rates": rates}
