"""The live training widget's presets, trained by Keras from the weights the widget starts from.

Each preset is a small dense binary classifier on 2-D data. Keras trains it in float64 (the
widget's engine computes in float64 too) with the optimizer's own update rules, taking the
batches of each epoch in the order of the `mulberry32` shuffle that `assets/trainer.js` uses,
so that the browser can repeat the run step by step. The experiment stores each preset's data,
its initial weights, the loss of every step and the train and test loss after every epoch.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from nnbook import data
from nnbook.backend import tensorflow
from nnbook.registry import experiment

# The presets, in the settings the widget names (see `assets/trainer.js`): batch 0 is the full
# batch; the seed draws the data, the initial weights and the batch order.
# name: (data, points, noise, test share, hidden widths, activation, optimizer, rate, batch, L2, epochs, seed)
TABLE = {
    "neuron": ("linear", 200, 0.1, 0.3, [], "tanh", "sgd", 0.5, 0, 0.0, 150, 1),
    "moons": ("moons", 300, 0.2, 0.3, [8, 8], "tanh", "adam", 0.01, 32, 0.0, 80, 1),
    "circles": ("circles", 300, 0.1, 0.3, [8, 8], "relu", "momentum", 0.05, 16, 0.0, 40, 2),
    "xor": ("xor", 300, 0.05, 0.3, [4], "tanh", "sgd", 0.5, 0, 0.0, 400, 3),
    "spirals": ("spirals", 400, 0.2, 0.3, [16, 16, 16], "relu", "adam", 0.01, 32, 0.0, 100, 4),
    "sigmoid-stalls": ("circles", 300, 0.1, 0.3, [8, 8, 8, 8], "sigmoid", "sgd", 0.3, 0, 0.0, 400, 5),
    "relu-trains": ("circles", 300, 0.1, 0.3, [8, 8, 8, 8], "relu", "sgd", 0.3, 0, 0.0, 400, 5),
    "overfits": ("moons", 60, 0.35, 0.5, [16, 16], "relu", "adam", 0.03, 0, 0.0, 400, 6),
    "l2-cures": ("moons", 60, 0.35, 0.5, [16, 16], "relu", "adam", 0.03, 0, 0.01, 400, 6),
    "more-data": ("moons", 400, 0.35, 0.5, [16, 16], "relu", "adam", 0.03, 0, 0.0, 400, 6),
}
FIELDS = ("data", "points", "noise", "test", "layers", "activation", "optimizer", "rate", "batch", "l2", "epochs",
          "seed")
PRESETS: dict[str, dict[str, Any]] = {name: dict(zip(FIELDS, row)) for name, row in TABLE.items()}
MOMENTUM = 0.9  # the "momentum" optimizer: SGD with this momentum
ADAM = {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}  # Keras's defaults
MASK = 0xFFFFFFFF


def mulberry32(seed: int) -> Iterator[float]:
    """Uniform numbers in [0, 1) from the 32-bit generator `mulberry32`, as `assets/trainer.js` draws them."""
    a = seed & MASK
    while True:
        a = (a + 0x6D2B79F5) & MASK
        t = ((a ^ (a >> 15)) * (a | 1)) & MASK
        t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & MASK)) & MASK
        yield ((t ^ (t >> 14)) & MASK) / 4294967296


def batch_orders(n: int, seed: int) -> Iterator[list[int]]:
    """Each epoch's order of the `n` training points: a Fisher-Yates shuffle, one random stream."""
    rand = mulberry32(seed)
    order = list(range(n))
    while True:
        for i in range(n - 1, 0, -1):
            j = int(next(rand) * (i + 1))
            order[i], order[j] = order[j], order[i]
        yield list(order)


def points(name: str, n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`n` labelled 2-D points of data set `name` (float32 coordinates, labels 0/1)."""
    if name == "moons":
        return data.moons(n, noise, seed)
    if name == "circles":
        return data.circles(n, noise, seed)
    if name == "spirals":
        return data.spirals(n, noise, seed=seed)
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, 2))
    y = x[:, 0] * x[:, 1] > 0 if name == "xor" else x[:, 0] + x[:, 1] > 0
    x = x + rng.normal(0, noise, x.shape)
    return x.astype(np.float32), y.astype(np.int64)


def split(preset: dict[str, Any]) -> tuple[np.ndarray, ...]:
    """The preset's points, shuffled and split into train and test (train first)."""
    x, y = points(preset["data"], preset["points"], preset["noise"], preset["seed"])
    order = np.random.default_rng(preset["seed"]).permutation(len(x))
    held = round(preset["test"] * len(x))
    test, train = order[:held], order[held:]
    return x[train], y[train], x[test], y[test]


def build(preset: dict[str, Any]):
    """The preset's network in float64: hidden layers, then one sigmoid unit."""
    _, keras = tensorflow()
    regularizer = keras.regularizers.L2(preset["l2"]) if preset["l2"] else None
    layers = [keras.Input((2,), dtype="float64")]
    layers += [keras.layers.Dense(units, preset["activation"], kernel_regularizer=regularizer, dtype="float64")
               for units in preset["layers"]]
    layers.append(keras.layers.Dense(1, "sigmoid", kernel_regularizer=regularizer, dtype="float64"))
    return keras.Sequential(layers)


def optimizer(preset: dict[str, Any]):
    _, keras = tensorflow()
    if preset["optimizer"] == "adam":
        return keras.optimizers.Adam(preset["rate"], **ADAM)
    return keras.optimizers.SGD(preset["rate"], momentum=MOMENTUM if preset["optimizer"] == "momentum" else 0.0)


def train(preset: dict[str, Any], epochs: int) -> dict[str, np.ndarray]:
    """One preset trained by Keras: its data, initial weights, the loss of every step (the batch's
    cross-entropy before the update), the train and test loss before training and after each
    epoch, and the final probabilities on the test points."""
    tf, keras = tensorflow()
    keras.utils.set_random_seed(preset["seed"])
    x_train, y_train, x_test, y_test = split(preset)
    model = build(preset)
    # the initial weights as float32 numbers, so that the file the page loads holds them exactly
    initial = [w.astype(np.float32) for w in model.get_weights()]
    model.set_weights([w.astype(np.float64) for w in initial])
    opt = optimizer(preset)

    def cross_entropy(y, x):
        return keras.ops.mean(keras.losses.binary_crossentropy(y, model(x, training=True)))

    xs = {k: tf.constant(v.astype(np.float64)) for k, v in (("train", x_train), ("test", x_test))}
    ys = {k: tf.constant(v.astype(np.float64)[:, None]) for k, v in (("train", y_train), ("test", y_test))}
    spec = [tf.TensorSpec([None, 2], tf.float64), tf.TensorSpec([None, 1], tf.float64)]

    @tf.function(input_signature=spec)  # one trace for every batch size
    def step(x, y):
        """The batch's loss, then the train and test loss, all before the update; then the update."""
        before = [cross_entropy(ys[part], xs[part]) for part in ("train", "test")]
        with tf.GradientTape() as tape:
            loss = cross_entropy(y, x)
            objective = loss + tf.add_n(model.losses) if model.losses else loss
        variables = model.trainable_variables
        opt.apply_gradients(zip(tape.gradient(objective, variables), variables))
        return [loss, *before]

    n = len(x_train)
    batch = preset["batch"] or n
    steps, curves = [], {"train": [], "test": []}
    orders = batch_orders(n, preset["seed"])
    for _ in range(epochs):
        order = next(orders) if preset["batch"] else list(range(n))
        for start in range(0, n, batch):
            take = order[start:start + batch]
            loss, train_loss, test_loss = step(tf.gather(xs["train"], take), tf.gather(ys["train"], take))
            if start == 0:  # the losses where the previous epoch ended
                curves["train"].append(float(train_loss))
                curves["test"].append(float(test_loss))
            steps.append(float(loss))
    for part, curve in curves.items():
        curve.append(float(cross_entropy(ys[part], xs[part])))
    probabilities = model(xs["test"]).numpy()[:, 0]
    out = {"x_train": x_train, "y_train": y_train.astype(np.uint8), "x_test": x_test,
           "y_test": y_test.astype(np.uint8), "steps": np.asarray(steps), "train_loss": np.asarray(curves["train"]),
           "test_loss": np.asarray(curves["test"]), "test_probs": probabilities}
    out |= {f"w{i}": w for i, w in enumerate(initial)}
    return out


@experiment("trainer/presets", seed=0, full={"epochs": 1.0}, smoke={"epochs": 0.25},
            title="The live training widget's presets, trained by Keras")
def presets(epochs: float, seed: int) -> dict:
    """Every preset for its share `epochs` of its epochs (at least two); each preset has its own seed."""
    results: dict[str, Any] = {"presets": {}, "momentum": MOMENTUM, "adam": ADAM}
    for name, preset in PRESETS.items():
        preset = preset | {"epochs": max(2, round(preset["epochs"] * epochs))}
        results["presets"][name] = preset
        results |= {f"{name}.{k}": v for k, v in train(preset, preset["epochs"]).items()}
    return results
