"""Activation functions: their shapes, what they do to training, and how they fail."""

from __future__ import annotations

from typing import Callable

import numpy as np

from nnbook import data
from nnbook.backend import tensorflow
from nnbook.models import dense_classifier
from nnbook.registry import experiment
from nnbook.steps import restart, train_step

FUNCTIONS = ("relu", "sigmoid", "tanh", "softmax", "leaky_relu")
HIDDEN_ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid", "linear")


def _activation(name: str):
    """The Keras activation `name` as a function of one input; softmax of the vector (x, 0, 0)."""
    tf, keras = tensorflow()
    if name == "softmax":
        return lambda x: keras.activations.softmax(tf.stack([x, tf.zeros_like(x), tf.zeros_like(x)], -1))[:, 0]
    return getattr(keras.activations, name)


def _epochs(step: Callable, x: np.ndarray, y: np.ndarray, epochs: int, batch: int, seed: int,
            after_epoch: Callable[[], None] = lambda: None) -> list[float]:
    """Shuffled mini-batch epochs; the mean step loss of each epoch (what Keras' `fit` reports)."""
    tf, _ = tensorflow()
    rng = np.random.default_rng(seed)
    x, y = tf.constant(x), tf.constant(y)
    means = []
    for _ in range(epochs):
        order = rng.permutation(len(x))
        losses = [step(tf.gather(x, order[s : s + batch]), tf.gather(y, order[s : s + batch]))
                  for s in range(0, len(order) - batch + 1, batch)]
        means.append(float(np.mean([float(l) for l in losses])))
        after_epoch()
    return means


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


@experiment("activations/boundaries", seed=9,
            full={"points": 300, "hidden": [16, 16], "steps": 200, "lr": 0.03, "seeds": 3, "grid": 61},
            smoke={"points": 100, "hidden": [8], "steps": 20, "lr": 0.03, "seeds": 2, "grid": 11},
            title="Decision boundaries on the two moons: no activation, ReLU and tanh")
def boundaries(points: int, hidden: list[int], steps: int, lr: float, seeds: int, grid: int, seed: int) -> dict:
    """The same small network with each hidden activation, trained full-batch on moons; its answer on a grid."""
    tf, keras = tensorflow()
    x, y = data.moons(points, seed=seed)
    names = ["linear", "relu", "tanh"]
    span = np.stack([x.min(0) - 0.5, x.max(0) + 0.5])
    gx, gy = np.linspace(span[0, 0], span[1, 0], grid), np.linspace(span[0, 1], span[1, 1], grid)
    mesh = np.stack(np.meshgrid(gx, gy), -1).reshape(-1, 2).astype(np.float32)
    accuracy, final_loss, prob = np.zeros((len(names), seeds)), np.zeros((len(names), seeds)), []
    for i, name in enumerate(names):
        build = lambda: dense_classifier(tuple(hidden), name, inputs=2, classes=1, output="sigmoid")  # noqa: E731
        model, optimizer = build(), keras.optimizers.Adam(lr)
        step = train_step(model, optimizer, keras.losses.BinaryCrossentropy())
        for s in range(seeds):
            restart(model, optimizer, seed + s, build)
            for _ in range(steps):
                loss = step(x, y[:, None].astype(np.float32))
            p = np.asarray(model(x)).ravel()
            accuracy[i, s], final_loss[i, s] = np.mean((p > 0.5) == y), float(loss)
            if s == 0:
                prob.append(np.asarray(model(mesh)).reshape(grid, grid))
    return {"activations": names, "x": x, "y": y.astype(np.int8), "grid_x": gx.astype(np.float32),
            "grid_y": gy.astype(np.float32), "prob": np.array(prob, dtype=np.float16),
            "accuracy": accuracy.astype(np.float32), "loss": final_loss.astype(np.float32),
            "steps": steps, "lr": lr, "hidden": hidden, "points": points}


@experiment("activations/training", seed=1,
            full={"train": 3000, "val": 1000, "hidden": [128, 64], "epochs": 8, "batch": 128, "lr": 0.001, "seeds": 3},
            smoke={"train": 400, "val": 200, "hidden": [32, 16], "epochs": 3, "batch": 64, "lr": 0.003, "seeds": 2},
            title="One network, five hidden activations, trained on MNIST from three seeds")
def training(train: int, val: int, hidden: list[int], epochs: int, batch: int, lr: float, seeds: int,
             seed: int) -> dict:
    """The same MLP trained with each hidden activation on the same MNIST split, from `seeds` initial draws."""
    tf, keras = tensorflow()
    split = data.mnist(train, val, seed)
    shape = (len(HIDDEN_ACTIVATIONS), seeds, epochs)
    curves = {name: np.zeros(shape) for name in ("loss", "val_loss", "val_accuracy")}
    train_acc = np.zeros(shape[:2])
    start_mean, start_spread = np.zeros(shape[:2]), np.zeros(shape[:2])
    loss_fn = keras.losses.SparseCategoricalCrossentropy()

    def scores(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        p = np.asarray(model(x))
        return float(loss_fn(y, p)), float(np.mean(p.argmax(1) == y))

    for a, activation in enumerate(HIDDEN_ACTIVATIONS):
        build = lambda: dense_classifier(tuple(hidden), activation)  # noqa: E731
        model, optimizer = build(), keras.optimizers.Adam(lr)
        first_hidden = keras.Model(model.inputs[0], model.layers[0].output)
        step = train_step(model, optimizer, loss_fn)
        for s in range(seeds):
            restart(model, optimizer, seed + s, build)  # seed s gives every activation the same initial draw
            h = np.asarray(first_hidden(split.x_val))  # what the first hidden layer passes on, before training
            start_mean[a, s], start_spread[a, s] = np.abs(h.mean(0)).mean(), h.std(0).mean()
            val_log: list[tuple[float, float]] = []
            curves["loss"][a, s] = _epochs(step, split.x_train, split.y_train, epochs, batch, seed + s,
                                           lambda: val_log.append(scores(split.x_val, split.y_val)))
            curves["val_loss"][a, s], curves["val_accuracy"][a, s] = np.array(val_log).T
            train_acc[a, s] = scores(split.x_train, split.y_train)[1]
    return {"activations": list(HIDDEN_ACTIVATIONS), "epoch": np.arange(1, epochs + 1),
            **{name: v.astype(np.float32) for name, v in curves.items()}, "accuracy": train_acc.astype(np.float32),
            "start_mean": start_mean.astype(np.float32), "start_spread": start_spread.astype(np.float32),
            "train_rows": train, "val_rows": val, "hidden": hidden, "batch": batch, "lr": lr, "seeds": seeds}


@experiment("activations/init", seed=10,
            full={"depth": 10, "width": 256, "images": 500},
            smoke={"depth": 4, "width": 32, "images": 50},
            title="How far signals spread through ten layers under four initialisations")
def init(depth: int, width: int, images: int, seed: int) -> dict:
    """Forward passes only: the spread (std) of each layer's outputs for tanh and ReLU under each initialiser."""
    _, keras = tensorflow()
    x = data.mnist(0, images, seed).x_val
    x = (x - x.mean()) / x.std()  # centred, unit-spread inputs, so that layer 1 starts from spread 1
    schemes = {"normal, std 0.01": keras.initializers.RandomNormal(stddev=0.01),
               "Glorot uniform": keras.initializers.GlorotUniform(),
               "He normal": keras.initializers.HeNormal(),
               "normal, std 1": keras.initializers.RandomNormal(stddev=1.0)}
    spread = np.zeros((2, len(schemes), depth))
    for a, activation in enumerate(("tanh", "relu")):
        for k, initializer in enumerate(schemes.values()):
            keras.utils.set_random_seed(seed)
            layers = [keras.layers.Dense(width, activation=activation, kernel_initializer=initializer)
                      for _ in range(depth)]
            h = x
            for i, layer in enumerate(layers):
                h = np.asarray(layer(h))
                spread[a, k, i] = h.std()
    return {"activations": ["tanh", "relu"], "schemes": list(schemes), "layer": np.arange(1, depth + 1),
            "spread": spread.astype(np.float32), "width": width, "images": images}


@experiment("activations/vanishing", seed=2,
            full={"depth": 10, "width": 32, "steps": 300, "checkpoints": [0, 50, 300], "lr": 0.1, "batch": 64,
                  "seeds": 3},
            smoke={"depth": 4, "width": 8, "steps": 6, "checkpoints": [0, 3, 6], "lr": 0.1, "batch": 32, "seeds": 2},
            title="Gradient norms per layer in deep sigmoid and ReLU networks, three seeds")
def vanishing(depth: int, width: int, steps: int, checkpoints: list[int], lr: float, batch: int, seeds: int,
              seed: int) -> dict:
    """Per-layer gradient norms of a deep sigmoid net and a deep ReLU net, during SGD on digits.

    Every weight and bias trains; the gradient norm is measured on each layer's kernel.
    """
    tf, keras = tensorflow()
    split = data.digits(seed=seed)
    probe_x, probe_y = split.x_train[:256], split.y_train[:256]
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    norms = np.zeros((2, seeds, len(checkpoints), depth + 1))
    losses = np.zeros((2, seeds, steps))
    val_acc = np.zeros((2, seeds))
    for a, activation in enumerate(("sigmoid", "relu")):
        build = lambda: dense_classifier((width,) * depth, activation, inputs=64)  # noqa: E731
        model, optimizer = build(), keras.optimizers.SGD(lr)
        kernels = [layer.kernel for layer in model.layers]
        step = train_step(model, optimizer, loss_fn)

        @tf.function
        def kernel_gradients(x, y):
            with tf.GradientTape() as tape:
                loss = loss_fn(y, model(x, training=True))
            return [tf.norm(g) for g in tape.gradient(loss, kernels)]

        for s in range(seeds):
            restart(model, optimizer, seed + s, build)
            rng = np.random.default_rng(seed + s)
            for t in range(steps + 1):
                if t in checkpoints:
                    norms[a, s, checkpoints.index(t)] = [float(g) for g in kernel_gradients(probe_x, probe_y)]
                if t == steps:
                    break
                pick = rng.choice(len(split.x_train), batch, replace=False)
                losses[a, s, t] = float(step(split.x_train[pick], split.y_train[pick]))
            val_acc[a, s] = np.mean(np.asarray(model(split.x_val)).argmax(1) == split.y_val)
    return {"activations": ["sigmoid", "relu"], "layer": np.arange(1, depth + 2), "checkpoints": np.array(checkpoints),
            "grad_norm": norms.astype(np.float32), "loss": losses.astype(np.float32),
            "val_accuracy": val_acc.astype(np.float32), "lr": lr, "batch": batch, "width": width}


@experiment("activations/dying", seed=3,
            full={"train": 2000, "hidden": [128, 128], "epochs": 6, "batch": 64, "rates": [0.001, 0.03], "seeds": 3,
                  "val": 1000},
            smoke={"train": 300, "hidden": [32, 32], "epochs": 2, "batch": 64, "rates": [0.001, 0.03], "seeds": 2,
                   "val": 100},
            title="Dead units over training: ReLU and leaky ReLU at two learning rates, three seeds")
def dying(train: int, hidden: list[int], epochs: int, batch: int, rates: list[float], seeds: int, val: int,
          seed: int) -> dict:
    """Which hidden units output nothing positive for any training image, after every epoch."""
    _, keras = tensorflow()
    split = data.mnist(train, val, seed)
    runs, dead, accuracy = [], [], []
    for activation in ("relu", "leaky_relu"):
        build = lambda: dense_classifier(tuple(hidden), activation)  # noqa: E731
        model, optimizer = build(), keras.optimizers.Adam(rates[0])
        hidden_out = keras.Model(model.inputs[0], [layer.output for layer in model.layers[:-1]])
        step = train_step(model, optimizer, keras.losses.SparseCategoricalCrossentropy())

        def dead_units() -> np.ndarray:  # one row per hidden layer: True where the unit is dead
            return np.stack([np.all(np.asarray(o) <= 0, axis=0) for o in hidden_out(split.x_train)])

        for lr in rates:
            runs.append(f"{activation} lr={lr:g}")
            per_seed, acc = [], []
            for s in range(seeds):
                restart(model, optimizer, seed + s, build, lr)
                masks = [dead_units()]
                _epochs(step, split.x_train, split.y_train, epochs, batch, seed + s, lambda: masks.append(dead_units()))
                per_seed.append(masks)
                acc.append(np.mean(np.asarray(model(split.x_val)).argmax(1) == split.y_val))
            dead.append(per_seed)
            accuracy.append(acc)
    return {"runs": runs, "run_activations": [r.split()[0] for r in runs],
            "run_rates": [float(r.split("=")[1]) for r in runs], "epoch": np.arange(0, epochs + 1),
            "dead_units": np.array(dead, dtype=bool),  # run, seed, epoch, layer, unit
            "val_accuracy": np.array(accuracy, dtype=np.float32), "rates": rates, "train_rows": train,
            "val_rows": val, "batch": batch}
