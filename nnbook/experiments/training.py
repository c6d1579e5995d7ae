"""How a network learns: backpropagation, learning rates, optimizers, the loss landscape."""

from __future__ import annotations

import numpy as np

from nnbook import data
from nnbook.backend import tensorflow
from nnbook.models import dense_classifier
from nnbook.registry import experiment
from nnbook.steps import restart, train_step


@experiment("training/backprop", seed=5, full={"lr": 0.5}, smoke={"lr": 0.5},
            title="One step of backpropagation in a 2-2-1 network")
def backprop(lr: float, seed: int) -> dict:
    """Forward values, loss, every gradient (tf.GradientTape) and the weights after one SGD step."""
    tf, keras = tensorflow()
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y = np.array([[0], [1], [1], [0]], dtype=np.float32)  # XOR: no straight line separates it
    hidden = keras.layers.Dense(2, activation="sigmoid", name="hidden")
    output = keras.layers.Dense(1, activation="sigmoid", name="output")
    model = keras.Sequential([keras.Input((2,)), hidden, output])
    rng = np.random.default_rng(seed)  # small, readable starting weights
    model.set_weights([np.round(rng.uniform(-1, 1, (2, 2)), 2).astype(np.float32), np.array([0.1, -0.1], np.float32),
                       np.round(rng.uniform(-1, 1, (2, 1)), 2).astype(np.float32), np.array([0.05], np.float32)])
    before = [w.copy() for w in model.get_weights()]
    with tf.GradientTape() as tape:
        z1 = tf.matmul(x, hidden.kernel) + hidden.bias
        h = tf.sigmoid(z1)
        z2 = tf.matmul(h, output.kernel) + output.bias
        y_hat = tf.sigmoid(z2)
        loss = tf.reduce_mean(tf.square(y_hat - y))  # mean squared error over the four points
    variables = [hidden.kernel, hidden.bias, output.kernel, output.bias]
    grads = tape.gradient(loss, variables)
    keras.optimizers.SGD(lr).apply_gradients(zip(grads, variables))
    after = model.get_weights()
    new_loss = float(np.mean((np.asarray(model(x)) - y) ** 2))
    names = ["W1", "b1", "W2", "b2"]
    return {"x": x, "y": y, "z1": z1.numpy(), "h": h.numpy(), "z2": z2.numpy(), "y_hat": y_hat.numpy(),
            "loss": float(loss), "loss_after": new_loss, "lr": lr,
            **{f"{n}": w for n, w in zip(names, before)}, **{f"d{n}": g.numpy() for n, g in zip(names, grads)},
            **{f"{n}_after": w for n, w in zip(names, after)}}


def _update_rule(name: str, lr: float):
    """Keras's update rule for `name` (its formulas and defaults) as a NumPy step on a point.

    `tests/test_pages_training.py` checks these steps against Keras's own optimizers.
    """
    state = {"t": 0, "m": 0.0, "v": 0.0}

    def sgd(x: np.ndarray, g: np.ndarray) -> np.ndarray:
        return x - lr * g

    def momentum(x: np.ndarray, g: np.ndarray) -> np.ndarray:  # keras.optimizers.SGD(lr, momentum=0.9)
        state["m"] = 0.9 * state["m"] - lr * g
        return x + state["m"]

    def adam(x: np.ndarray, g: np.ndarray) -> np.ndarray:  # keras.optimizers.Adam(lr), β₁ 0.9, β₂ 0.999, ε 1e-7
        state["t"] += 1
        state["m"] = 0.9 * state["m"] + 0.1 * g
        state["v"] = 0.999 * state["v"] + 0.001 * g * g
        alpha = lr * np.sqrt(1 - 0.999 ** state["t"]) / (1 - 0.9 ** state["t"])
        return x - alpha * state["m"] / (np.sqrt(state["v"]) + 1e-7)

    return {"SGD": sgd, "momentum": momentum, "Adam": adam}[name]


@experiment("training/descent", seed=11,
            full={"rates": {"SGD": [0.02, 0.05, 0.09, 0.11, 1.1], "momentum": [0.005, 0.02, 0.08, 0.18, 0.5],
                            "Adam": [0.05, 0.2, 0.5, 1.0, 2.0]},
                  "steps": 40, "start": [-4.0, 2.0], "surfaces": {"bowl": [1.0, 2.0], "ravine": [1.0, 20.0]}},
            smoke={"rates": {"SGD": [0.08, 1.1], "momentum": [0.02, 0.5], "Adam": [0.2, 2.0]},
                   "steps": 5, "start": [-4.0, 2.0], "surfaces": {"bowl": [1.0, 2.0], "ravine": [1.0, 20.0]}},
            title="SGD, momentum and Adam on two-dimensional loss surfaces")
def descent(rates: dict[str, list[float]], steps: int, start: list[float], surfaces: dict, seed: int) -> dict:
    """SGD, momentum and Adam moving two numbers (x, y) down f = (a·x² + b·y²) / 2 from the same start,
    each at its own rates: the k-th rate of each optimizer is shown together."""
    names = ("SGD", "momentum", "Adam")
    levels = len(rates["SGD"])
    paths = np.zeros((len(surfaces), len(names), levels, steps + 1, 2))
    taken = np.full(paths.shape[:3], steps, dtype=np.int32)  # steps before the path left |x|, |y| < 1000
    for s, curvature in enumerate(surfaces.values()):
        for o, name in enumerate(names):
            for k, lr in enumerate(rates[name]):
                point, step = np.array(start, dtype=np.float64), _update_rule(name, lr)
                paths[s, o, k, :] = point
                for t in range(steps):
                    point = step(point, np.array(curvature) * point)  # the gradient of f is (a·x, b·y)
                    if not np.all(np.abs(point) < 1e3):
                        taken[s, o, k] = t  # diverged: the rest of the path repeats its last point
                        break
                    paths[s, o, k, t + 1 :] = point
    return {"surfaces": list(surfaces), "curvatures": np.array(list(surfaces.values()), dtype=np.float32),
            "optimizers": list(names), "rates": np.array([rates[n] for n in names], dtype=np.float64),
            "paths": paths.astype(np.float32), "taken": taken,
            "steps": steps, "start": start}


@experiment("training/learning-rate", seed=6,
            full={"rates": [0.001, 0.1, 3.0], "epochs": 20, "batch": 64, "seeds": 10},
            smoke={"rates": [0.001, 0.1, 3.0], "epochs": 3, "batch": 64, "seeds": 2},
            title="One network trained with a too-small, a good and a too-large learning rate, from several seeds")
def learning_rate(rates: list[float], epochs: int, batch: int, seeds: int, seed: int) -> dict:
    """Plain SGD on 8x8 digits at three rates; per epoch the loss, accuracy and the share of dead hidden units."""
    tf, keras = tensorflow()
    split = data.digits(seed=seed)
    build = lambda: dense_classifier((32,), inputs=64)  # noqa: E731
    model, optimizer = build(), keras.optimizers.SGD(rates[0])
    hidden = keras.Model(model.inputs[0], model.layers[0].output)
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    step = train_step(model, optimizer, loss_fn)
    shape = (len(rates), seeds, epochs)
    loss, val_acc, dead = np.full(shape, np.nan), np.zeros(shape), np.zeros(shape)
    dead_start = np.zeros(shape[:2])
    x, y = tf.constant(split.x_train), tf.constant(split.y_train)
    for k, lr in enumerate(rates):
        for s in range(seeds):
            restart(model, optimizer, seed + s, build, lr)
            dead_start[k, s] = np.mean(np.all(np.asarray(hidden(x)) <= 0, axis=0))
            rng = np.random.default_rng(seed + s)
            for e in range(epochs):
                order = rng.permutation(len(split.x_train))
                steps = [float(step(tf.gather(x, order[i : i + batch]), tf.gather(y, order[i : i + batch])))
                         for i in range(0, len(order) - batch + 1, batch)]
                loss[k, s, e] = np.mean(steps)
                val_acc[k, s, e] = np.mean(np.asarray(model(split.x_val)).argmax(1) == split.y_val)
                dead[k, s, e] = np.mean(np.all(np.asarray(hidden(x)) <= 0, axis=0))  # no output on any training digit
    loss = np.where(np.isfinite(loss), loss, np.nan)
    return {"rates": rates, "epoch": np.arange(1, epochs + 1), "loss": loss.astype(np.float32),
            "val_accuracy": val_acc.astype(np.float32), "dead": dead.astype(np.float32),
            "dead_start": dead_start.astype(np.float32), "batch": batch, "hidden": 32, "seeds": seeds,
            "train_rows": len(split.x_train), "val_rows": len(split.x_val)}


@experiment("training/optimizers", seed=7,
            full={"train": 2000, "epochs": 2, "seeds": 5, "batch": 32, "large_batch": 256,
                  "grid": {"SGD": [0.01, 0.03, 0.1, 0.3, 1.0, 3.0], "momentum": [0.003, 0.01, 0.03, 0.1, 0.3, 1.0],
                           "Adam": [0.0003, 0.001, 0.003, 0.01, 0.03, 0.1]},
                  "large_grid": [0.001, 0.003, 0.01, 0.03]},
            smoke={"train": 300, "epochs": 1, "seeds": 2, "batch": 32, "large_batch": 256,
                   "grid": {"SGD": [0.1, 0.3, 1.0], "momentum": [0.01, 0.03, 0.1], "Adam": [0.001, 0.003, 0.01]},
                   "large_grid": [0.003, 0.01]},
            title="SGD, momentum and Adam swept over learning rates, and a large batch for Adam")
def optimizers(train: int, epochs: int, seeds: int, batch: int, large_batch: int, grid: dict, large_grid: list,
               seed: int) -> dict:
    """Every optimizer at every rate of its grid, and Adam also with large batches, from `seeds` initial draws,
    on MNIST. Records the loss of every step and the loss on the whole training set at the end."""
    tf, keras = tensorflow()
    split = data.mnist(train, 0, seed)
    make = {"SGD": lambda: keras.optimizers.SGD(0.01), "momentum": lambda: keras.optimizers.SGD(0.01, momentum=0.9),
            "Adam": lambda: keras.optimizers.Adam(0.001)}
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    build = lambda: dense_classifier((128,))  # noqa: E731
    model = build()
    x, y = tf.constant(split.x_train), tf.constant(split.y_train)
    runs = [(name, batch) for name in grid] + [("Adam", large_batch)]
    steps_per_run = {b: epochs * (train // b) for b in (batch, large_batch)}
    results = {}
    for name in grid:
        optimizer = make[name]()
        step = train_step(model, optimizer, loss_fn)
        for run_name, size in runs:
            if run_name != name:
                continue
            rates = grid[name] if size == batch else large_grid
            trace = np.zeros((len(rates), seeds, steps_per_run[size]), dtype=np.float32)
            final = np.zeros((len(rates), seeds))
            for k, lr in enumerate(rates):
                for s in range(seeds):
                    restart(model, optimizer, seed + s, build, lr)
                    rng, losses = np.random.default_rng(seed + s), []
                    for _ in range(epochs):
                        order = rng.permutation(train)
                        losses += [float(step(tf.gather(x, order[i : i + size]), tf.gather(y, order[i : i + size])))
                                   for i in range(0, train - size + 1, size)]
                    trace[k, s] = losses
                    final[k, s] = float(loss_fn(y, model(x)))
            results[f"trace_{name}_{size}"] = np.where(np.isfinite(trace), trace, np.nan).astype(np.float32)
            results[f"final_{name}_{size}"] = np.where(np.isfinite(final), final, np.nan).astype(np.float32)
    return {"optimizers": list(grid), "batches": [batch, large_batch], **{f"rates_{n}": r for n, r in grid.items()},
            "rates_Adam_large": large_grid,
            **results, "train_rows": train, "epochs": epochs, "seeds": seeds}


WALKS = 10  # random walks whose principal components are compared with the training path's


def _flat(weights: list[np.ndarray]) -> np.ndarray:
    return np.concatenate([w.ravel() for w in weights])


def _unflat(v: np.ndarray, shapes: list[tuple]) -> list[np.ndarray]:
    parts, i = [], 0
    for shape in shapes:
        n = int(np.prod(shape))
        parts.append(v[..., i : i + n].reshape(v.shape[:-1] + shape))
        i += n
    return parts


def _tanh_net_loss(v: np.ndarray, shapes: list[tuple], x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Binary cross-entropy of the tanh network with flat weights `v` (any leading shape), in NumPy."""
    parts = _unflat(v.astype(np.float64), shapes)
    h = x.astype(np.float64)
    for kernel, bias in zip(parts[:-2:2], parts[1:-2:2]):
        h = np.tanh(h @ kernel + bias[..., None, :])
    z = (h @ parts[-2] + parts[-1][..., None, :])[..., 0]
    return np.mean(np.logaddexp(0, z) - y * z, axis=-1)  # -[y log σ(z) + (1-y) log(1-σ(z))], stably


@experiment("training/landscape", seed=8, full={"points": 400, "epochs": 60, "grid": 41, "margin": 0.3},
            smoke={"points": 100, "epochs": 4, "grid": 7, "margin": 0.3},
            title="The loss on the plane of the training path's two main directions")
def landscape(points: int, epochs: int, grid: int, margin: float, seed: int) -> dict:
    """A small moons classifier's weights after every epoch; the loss on the plane of their first two
    principal directions (through the trained weights), and along the path itself."""
    tf, keras = tensorflow()
    x, y = data.moons(points, seed=seed)
    keras.utils.set_random_seed(seed)
    model = dense_classifier((16, 16), "tanh", inputs=2, classes=1, output="sigmoid")
    optimizer = keras.optimizers.Adam(0.03)
    step = train_step(model, optimizer, keras.losses.BinaryCrossentropy())
    shapes = [w.shape for w in model.get_weights()]
    path, rng = [_flat(model.get_weights())], np.random.default_rng(seed)
    yy = y[:, None].astype(np.float32)
    for _ in range(epochs):
        order = rng.permutation(points)
        for i in range(0, points - 31, 32):
            step(x[order[i : i + 32]], yy[order[i : i + 32]])
        path.append(_flat(model.get_weights()))
    path = np.array(path, dtype=np.float64)
    end = path[-1]
    _, sing, vt = np.linalg.svd(path - end, full_matrices=False)  # principal directions of the path
    basis = vt[:2]
    coords = (path - end) @ basis.T
    lo, hi = coords.min(0), coords.max(0)
    pad = margin * (hi - lo)
    a = np.linspace(lo[0] - pad[0], hi[0] + pad[0], grid)
    b = np.linspace(lo[1] - pad[1], hi[1] + pad[1], grid)
    plane = end + a[None, :, None] * basis[0] + b[:, None, None] * basis[1]
    surface = _tanh_net_loss(plane, shapes, x, y)
    path_loss = _tanh_net_loss(path, shapes, x, y)  # the loss along the real path
    projected_loss = _tanh_net_loss(end + coords @ basis, shapes, x, y)  # the loss at its shadow on the plane
    keras_loss = float(keras.losses.BinaryCrossentropy()(yy, model(x)))
    # the same share for random walks of as many steps in as many dimensions: what any path gives
    walks = np.cumsum(rng.normal(size=(WALKS, epochs, end.size)), axis=1)
    walk_share = [np.sum(np.linalg.svd(w - w[-1], compute_uv=False)[:2] ** 2)
                  / np.sum(np.linalg.svd(w - w[-1], compute_uv=False) ** 2) for w in walks]
    return {"a": a.astype(np.float32), "b": b.astype(np.float32), "surface": surface.astype(np.float32),
            "path_a": coords[:, 0].astype(np.float32), "path_b": coords[:, 1].astype(np.float32),
            "path_loss": path_loss.astype(np.float32), "projected_loss": projected_loss.astype(np.float32),
            "explained": (sing[:2] ** 2 / (sing ** 2).sum()).astype(np.float32), "keras_end_loss": keras_loss,
            "distance": np.linalg.norm(path - path[0], axis=1).astype(np.float32), "epochs": epochs,
            "accuracy": float(np.mean((np.asarray(model(x)).ravel() > 0.5) == y)), "parameters": int(end.size),
            "walk_explained": np.array(walk_share, dtype=np.float32)}
