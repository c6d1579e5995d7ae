"""How a network learns: backpropagation, learning rates, optimizers, the loss landscape."""

from __future__ import annotations

import numpy as np

from nnbook import data
from nnbook.backend import tensorflow
from nnbook.models import dense_classifier
from nnbook.registry import experiment


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


@experiment("training/learning-rate", seed=6,
            full={"rates": [0.001, 0.1, 3.0], "epochs": 40, "batch": 64},
            smoke={"rates": [0.001, 0.1, 3.0], "epochs": 3, "batch": 64},
            title="One network trained with a too-small, a good and a too-large learning rate")
def learning_rate(rates: list[float], epochs: int, batch: int, seed: int) -> dict:
    """Plain SGD on 8x8 digits at three learning rates, from the same initial weights."""
    _, keras = tensorflow()
    split = data.digits(seed=seed)
    loss, val_acc = [], []
    for lr in rates:
        keras.utils.set_random_seed(seed)
        model = dense_classifier((32,), inputs=64)
        model.compile(keras.optimizers.SGD(lr), "sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(split.x_train, split.y_train, validation_data=(split.x_val, split.y_val),
                            epochs=epochs, batch_size=batch, verbose=0)
        loss.append(history.history["loss"])
        val_acc.append(history.history["val_accuracy"])
    loss = np.array(loss, dtype=np.float32)
    return {"rates": rates, "epoch": np.arange(1, epochs + 1), "loss": np.where(np.isfinite(loss), loss, np.nan),
            "val_accuracy": np.array(val_acc, dtype=np.float32), "diverged": [bool(not np.isfinite(l).all()) for l in loss]}


@experiment("training/optimizers", seed=7,
            full={"train": 4000, "epochs": 3, "runs": [["SGD", 32], ["SGD + momentum", 32], ["Adam", 32], ["Adam", 256]]},
            smoke={"train": 300, "epochs": 1, "runs": [["SGD", 32], ["SGD + momentum", 32], ["Adam", 32], ["Adam", 256]]},
            title="SGD, momentum and Adam, and two batch sizes, step by step")
def optimizers(train: int, epochs: int, runs: list, seed: int) -> dict:
    """Loss of every training step for each optimizer and batch size, on MNIST."""
    tf, keras = tensorflow()
    split = data.mnist(train, 0, seed)
    make = {"SGD": lambda: keras.optimizers.SGD(0.05), "SGD + momentum": lambda: keras.optimizers.SGD(0.05, momentum=0.9),
            "Adam": lambda: keras.optimizers.Adam(1e-3)}
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    steps, losses = [], []
    for name, batch in runs:
        keras.utils.set_random_seed(seed)
        model = dense_classifier((128,))
        optimizer = make[name]()

        @tf.function
        def step(x, y):
            with tf.GradientTape() as tape:
                loss = loss_fn(y, model(x, training=True))
            optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
            return loss

        rng = np.random.default_rng(seed)
        trace, seen = [], []
        for _ in range(epochs):
            order = rng.permutation(train)
            for start in range(0, train - batch + 1, batch):
                idx = order[start : start + batch]
                trace.append(float(step(split.x_train[idx], split.y_train[idx])))
                seen.append((len(seen) + 1) * batch)
        steps.append(np.array(seen, dtype=np.int32))
        losses.append(np.array(trace, dtype=np.float32))
    return {"runs": [f"{name}, batch {batch}" for name, batch in runs],
            **{f"seen_{i}": s for i, s in enumerate(steps)}, **{f"loss_{i}": l for i, l in enumerate(losses)},
            "train_rows": train, "epochs": epochs}


@experiment("training/landscape", seed=8, full={"points": 400, "epochs": 60, "grid": 31, "span": 1.5},
            smoke={"points": 100, "epochs": 4, "grid": 7, "span": 1.5},
            title="The loss on a plane through the weights, with the training path")
def landscape(points: int, epochs: int, grid: int, span: float, seed: int) -> dict:
    """Loss of a small moons classifier on the plane through its initial and trained weights."""
    _, keras = tensorflow()
    x, y = data.moons(points, seed=seed)
    model = dense_classifier((16, 16), "tanh", inputs=2, classes=1, output="sigmoid")
    model.compile(keras.optimizers.Adam(0.03), "binary_crossentropy", metrics=["accuracy"])
    flat = lambda: np.concatenate([w.ravel() for w in model.get_weights()])  # noqa: E731
    shapes = [w.shape for w in model.get_weights()]
    path = [flat()]
    for _ in range(epochs):
        model.fit(x, y, epochs=1, batch_size=32, verbose=0, shuffle=True)
        path.append(flat())
    path = np.array(path)
    start, end = path[0], path[-1]
    d1 = end - start  # direction 1: from the initial to the trained weights
    d2 = np.random.default_rng(seed).normal(size=d1.shape)
    d2 -= d2 @ d1 / (d1 @ d1) * d1  # direction 2: random, orthogonal to the first, same length
    d2 *= np.linalg.norm(d1) / np.linalg.norm(d2)

    def set_flat(v: np.ndarray) -> None:
        parts, i = [], 0
        for shape in shapes:
            n = int(np.prod(shape))
            parts.append(v[i : i + n].reshape(shape))
            i += n
        model.set_weights(parts)

    def loss_at(v: np.ndarray) -> float:
        set_flat(v)
        p = np.clip(np.asarray(model(x, training=False)).ravel(), 1e-7, 1 - 1e-7)
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))

    alphas = np.linspace(-span + 1, span, grid)  # 0 = initial weights, 1 = trained weights
    betas = np.linspace(-span, span, grid)
    surface = np.array([[loss_at(start + a * d1 + b * d2) for a in alphas] for b in betas], dtype=np.float32)
    basis = np.stack([d1, d2], axis=1)
    coords = np.linalg.lstsq(basis, (path - start).T, rcond=None)[0].T  # the path projected onto the plane
    path_loss = np.array([loss_at(p) for p in path], dtype=np.float32)
    set_flat(end)
    return {"alpha": alphas.astype(np.float32), "beta": betas.astype(np.float32), "surface": surface,
            "path_alpha": coords[:, 0].astype(np.float32), "path_beta": coords[:, 1].astype(np.float32),
            "path_loss": path_loss, "epochs": epochs, "accuracy": float(model.evaluate(x, y, verbose=0)[1])}
