"""Activation functions: their shapes, what they do to training, and how they fail."""

from __future__ import annotations

from typing import Callable

import numpy as np

from nnbook import data
from nnbook.backend import tensorflow
from nnbook.models import dense_classifier
from nnbook.registry import experiment
from nnbook.steps import restart, train_step

FUNCTIONS = ("relu", "sigmoid", "tanh", "softmax", "leaky_relu", "gelu", "silu")
# hidden activations compared on MNIST; "sigmoid_centred" is sigmoid − ½ (= ½·tanh(x/2)): sigmoid's
# slope with outputs centred on zero; "relu_he" is ReLU with He-normal initial weights
HIDDEN_ACTIVATIONS = ("relu", "leaky_relu", "gelu", "silu", "tanh", "sigmoid", "sigmoid_centred", "linear",
                      "relu_he")


def _activation(name: str):
    """The Keras activation `name` as a function of one input; softmax of the vector (x, 0, 0)."""
    tf, keras = tensorflow()
    if name == "softmax":
        return lambda x: keras.activations.softmax(tf.stack([x, tf.zeros_like(x), tf.zeros_like(x)], -1))[:, 0]
    return getattr(keras.activations, name)


def _hidden_classifier(hidden: tuple[int, ...], activation: str):
    """The MLP of `activations/training`, with the hidden activation (and initialisation) `activation` names."""
    tf, keras = tensorflow()
    act = {"sigmoid_centred": lambda z: tf.sigmoid(z) - 0.5, "relu_he": "relu"}.get(activation, activation)
    init = "he_normal" if activation == "relu_he" else "glorot_uniform"
    layers = [keras.Input((784,))]
    layers += [keras.layers.Dense(units, activation=act, kernel_initializer=init, name=f"hidden_{i + 1}")
               for i, units in enumerate(hidden)]
    return keras.Sequential(layers + [keras.layers.Dense(10, activation="softmax", name="output")])


def _best_line(x: np.ndarray, y: np.ndarray, angles: int = 720) -> float:
    """The highest share of points that any straight line classifies correctly: every direction
    (in `angles` steps) and, along it, every threshold between two points, either side positive."""
    best = 0.0
    for theta in np.linspace(0, np.pi, angles, endpoint=False):
        proj = x @ np.array([np.cos(theta), np.sin(theta)])
        order = np.argsort(proj, kind="stable")
        ones = np.concatenate([[0], np.cumsum(y[order])])  # class-1 points at or below each cut
        below = np.arange(len(y) + 1)
        right = (below - ones) + (ones[-1] - ones)  # class 0 below the cut, class 1 above it
        best = max(best, right.max() / len(y), (len(y) - right).max() / len(y))
    return float(best)


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
            full={"points": 300, "hidden": [16, 16], "steps": 200, "lr": 0.03, "seeds": 10, "grid": 61},
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
            "steps": steps, "lr": lr, "hidden": hidden, "points": points, "best_line": _best_line(x, y)}


@experiment("activations/training", seed=1,
            full={"train": 3000, "val": 1000, "hidden": [128, 64], "epochs": 8, "batch": 128, "lr": 0.001, "seeds": 5},
            smoke={"train": 400, "val": 200, "hidden": [32, 16], "epochs": 3, "batch": 64, "lr": 0.003, "seeds": 2},
            title="One network, several hidden activations, trained on MNIST from several seeds")
def training(train: int, val: int, hidden: list[int], epochs: int, batch: int, lr: float, seeds: int,
             seed: int) -> dict:
    """The same MLP trained with each hidden activation on the same MNIST split, from `seeds` initial draws."""
    tf, keras = tensorflow()
    split = data.mnist(train, val, seed)
    shape = (len(HIDDEN_ACTIVATIONS), seeds, epochs)
    curves = {name: np.zeros(shape) for name in ("loss", "val_loss", "val_accuracy")}
    train_acc = np.zeros(shape[:2])
    val_correct = np.zeros(shape[:2] + (val,), dtype=bool)  # which validation digits each run gets right
    start_mean, start_spread = np.zeros(shape[:2]), np.zeros(shape[:2])
    loss_fn = keras.losses.SparseCategoricalCrossentropy()

    def scores(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        p = np.asarray(model(x))
        return float(loss_fn(y, p)), float(np.mean(p.argmax(1) == y))

    for a, activation in enumerate(HIDDEN_ACTIVATIONS):
        build = lambda: _hidden_classifier(tuple(hidden), activation)  # noqa: E731
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
            val_correct[a, s] = np.asarray(model(split.x_val)).argmax(1) == split.y_val
    return {"activations": list(HIDDEN_ACTIVATIONS), "epoch": np.arange(1, epochs + 1),
            **{name: v.astype(np.float32) for name, v in curves.items()}, "accuracy": train_acc.astype(np.float32),
            "val_correct": val_correct,
            "start_mean": start_mean.astype(np.float32), "start_spread": start_spread.astype(np.float32),
            "train_rows": train, "val_rows": val, "hidden": hidden, "batch": batch, "lr": lr, "seeds": seeds}


@experiment("activations/init", seed=10,
            full={"depth": 10, "width": 256, "images": 500, "seeds": 5},
            smoke={"depth": 4, "width": 32, "images": 50, "seeds": 2},
            title="How far signals spread through ten layers under four initialisations")
def init(depth: int, width: int, images: int, seeds: int, seed: int) -> dict:
    """Forward passes only: the spread (std) of each layer's outputs for tanh and ReLU under each initialiser."""
    _, keras = tensorflow()
    x = data.mnist(0, images, seed).x_val
    x = (x - x.mean()) / x.std()  # centred, unit-spread inputs, so that layer 1 starts from spread 1
    # each layer's initializer gets its own seed: seed s draws other weights than seed s + 1
    schemes = {"normal, std 0.01": lambda sd: keras.initializers.RandomNormal(stddev=0.01, seed=sd),
               "Glorot uniform": lambda sd: keras.initializers.GlorotUniform(seed=sd),
               "He normal": lambda sd: keras.initializers.HeNormal(seed=sd),
               "normal, std 1": lambda sd: keras.initializers.RandomNormal(stddev=1.0, seed=sd)}
    spread = np.zeros((2, len(schemes), seeds, depth))
    for a, activation in enumerate(("tanh", "relu")):
        for k, initializer in enumerate(schemes.values()):
            for s in range(seeds):
                keras.utils.set_random_seed(seed + s)
                layers = [keras.layers.Dense(width, activation=activation,
                                             kernel_initializer=initializer((seed + s) * depth + i))
                          for i in range(depth)]
                h = x
                for i, layer in enumerate(layers):
                    h = np.asarray(layer(h))
                    spread[a, k, s, i] = h.std()
    return {"activations": ["tanh", "relu"], "schemes": list(schemes), "layer": np.arange(1, depth + 1),
            "spread": spread.astype(np.float32), "width": width, "images": images}


@experiment("activations/vanishing", seed=2,
            full={"depth": 10, "width": 32, "steps": 300, "checkpoints": [0, 50, 300], "lr": 0.1, "batch": 64,
                  "seeds": 10},
            smoke={"depth": 4, "width": 8, "steps": 6, "checkpoints": [0, 3, 6], "lr": 0.1, "batch": 32, "seeds": 2},
            title="Gradient norms per layer in deep sigmoid and ReLU networks, several seeds")
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
    forward = np.zeros((2, seeds, depth))  # spread of each hidden layer's outputs over digits, at initialisation
    losses = np.zeros((2, seeds, steps))
    val_acc = np.zeros((2, seeds))
    for a, activation in enumerate(("sigmoid", "relu")):
        build = lambda: dense_classifier((width,) * depth, activation, inputs=64)  # noqa: E731
        model, optimizer = build(), keras.optimizers.SGD(lr)
        kernels = [layer.kernel for layer in model.layers]
        step = train_step(model, optimizer, loss_fn)
        hidden_out = keras.Model(model.inputs[0], [layer.output for layer in model.layers[:-1]])

        @tf.function
        def kernel_gradients(x, y):
            with tf.GradientTape() as tape:
                loss = loss_fn(y, model(x, training=True))
            return [tf.norm(g) for g in tape.gradient(loss, kernels)]

        for s in range(seeds):
            restart(model, optimizer, seed + s, build)
            # how much each unit's output varies from digit to digit, averaged over the units
            forward[a, s] = [np.asarray(h).std(0).mean() for h in hidden_out(probe_x)]
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
            "forward_spread": forward.astype(np.float32),
            "val_accuracy": val_acc.astype(np.float32), "lr": lr, "batch": batch, "width": width}


@experiment("activations/dying", seed=3,
            full={"train": 2000, "hidden": [128, 128], "epochs": 6, "batch": 64, "rates": [0.001, 0.03], "seeds": 5,
                  "val": 1000},
            smoke={"train": 300, "hidden": [32, 32], "epochs": 2, "batch": 64, "rates": [0.001, 0.03], "seeds": 2,
                   "val": 100},
            title="Dead units over training: ReLU and leaky ReLU at two learning rates, several seeds")
def dying(train: int, hidden: list[int], epochs: int, batch: int, rates: list[float], seeds: int, val: int,
          seed: int) -> dict:
    """Which hidden units output nothing positive for any training image, after every epoch."""
    _, keras = tensorflow()
    split = data.mnist(train, val, seed)
    runs, dead, accuracy, correct = [], [], [], []
    for activation in ("relu", "leaky_relu"):
        build = lambda: dense_classifier(tuple(hidden), activation)  # noqa: E731
        model, optimizer = build(), keras.optimizers.Adam(rates[0])
        hidden_out = keras.Model(model.inputs[0], [layer.output for layer in model.layers[:-1]])
        step = train_step(model, optimizer, keras.losses.SparseCategoricalCrossentropy())

        def dead_units() -> np.ndarray:  # one row per hidden layer: True where the unit is dead
            return np.stack([np.all(np.asarray(o) <= 0, axis=0) for o in hidden_out(split.x_train)])

        for lr in rates:
            runs.append(f"{activation} lr={lr:g}")
            per_seed, acc, right = [], [], []
            for s in range(seeds):
                restart(model, optimizer, seed + s, build, lr)
                masks = [dead_units()]
                _epochs(step, split.x_train, split.y_train, epochs, batch, seed + s, lambda: masks.append(dead_units()))
                per_seed.append(masks)
                right.append(np.asarray(model(split.x_val)).argmax(1) == split.y_val)
                acc.append(np.mean(right[-1]))
            dead.append(per_seed)
            accuracy.append(acc)
            correct.append(right)
    return {"runs": runs, "run_activations": [r.split()[0] for r in runs],
            "run_rates": [float(r.split("=")[1]) for r in runs], "epoch": np.arange(0, epochs + 1),
            "dead_units": np.array(dead, dtype=bool),  # run, seed, epoch, layer, unit
            "val_accuracy": np.array(accuracy, dtype=np.float32), "val_correct": np.array(correct, dtype=bool),
            "rates": rates, "train_rows": train,
            "val_rows": val, "batch": batch}


@experiment("activations/relu-sum", seed=0, full={"points": 201, "counts": [1, 2, 3, 4, 6, 8, 12, 16, 24, 32]},
            smoke={"points": 41, "counts": [1, 4, 16]}, title="A curve built from a sum of ReLUs")
def relu_sum(points: int, counts: list[int], seed: int) -> dict:
    """A smooth target curve, and its least-squares fit by c + Σ aᵢ·ReLU(x − kᵢ) with `n` evenly spaced
    kinks kᵢ, for each `n` of `counts`: computed in NumPy, nothing is trained."""
    x = np.linspace(-3, 3, points)
    target = np.sin(1.5 * x) + 0.3 * x  # any continuous curve will do
    fits = []
    for n in counts:
        basis = np.column_stack([np.ones_like(x), np.maximum(0, x[:, None] - relu_kinks(n)[None, :])])
        coef, *_ = np.linalg.lstsq(basis, target, rcond=None)
        fits.append(basis @ coef)
    fits = np.array(fits)
    return {"x": x.astype(np.float32), "target": target.astype(np.float32), "counts": np.array(counts),
            "fits": fits.astype(np.float32), "max_error": np.abs(fits - target).max(1).astype(np.float32)}


def relu_kinks(n: int) -> np.ndarray:
    """The kinks of a sum of `n` ReLUs on [−3, 3]: evenly spaced from the left edge on (the first sets
    the slope of a line)."""
    return np.linspace(-3, 3, n + 1)[:-1]
