"""Underfitting, overfitting and the cures: capacity, a 2-D boundary, regularisers and data.

Every run here trains full-batch with Adam in a small compiled loop (one `tf.function` per
network shape, reused across seeds and settings): Keras' `fit` costs far more per epoch than
these tiny sets take to compute. Metrics are measured in inference mode (no dropout, batch
statistics frozen) before each update, so epoch 0 is the untrained network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from nnbook import data
from nnbook.backend import tensorflow
from nnbook.registry import experiment

SIDE = 14  # MNIST digits are averaged down to 14x14: the same digits at a quarter of the cost
CURES = ("none", "L2", "dropout", "batch norm", "early stopping", "augmentation", "more data")


def small_mnist(train: int, val: int, seed: int) -> data.Split:
    """Real MNIST digits averaged over 2x2 blocks: 196 values in [0, 1]."""
    split = data.mnist(train, val, seed)

    def shrink(x: np.ndarray) -> np.ndarray:
        return x.reshape(-1, SIDE, 2, SIDE, 2).mean(axis=(2, 4)).reshape(-1, SIDE * SIDE).astype(np.float32)

    return data.Split(shrink(split.x_train), split.y_train, shrink(split.x_val), split.y_val)


def shifted(x: np.ndarray, rng: np.random.Generator, pixels: int = 1) -> np.ndarray:
    """Each flattened square image moved by a random whole-pixel offset in [-pixels, pixels]^2, zero-filled."""
    side = int(round(np.sqrt(x.shape[1])))
    images = np.pad(x.reshape(-1, side, side), ((0, 0), (pixels, pixels), (pixels, pixels)))
    dy, dx = rng.integers(0, 2 * pixels + 1, (2, len(x)))
    rows = dy[:, None] + np.arange(side)[None, :]
    cols = dx[:, None] + np.arange(side)[None, :]
    out = images[np.arange(len(x))[:, None, None], rows[:, :, None], cols[:, None, :]]
    return out.reshape(len(x), -1).astype(np.float32)


def noisy_labels(y: np.ndarray, share: float, classes: int, rng: np.random.Generator) -> np.ndarray:
    """`y` with a random `share` of its labels replaced by a uniformly drawn class (which may be the right one)."""
    y = y.copy()
    hit = rng.random(len(y)) < share
    y[hit] = rng.integers(0, classes, int(hit.sum()))
    return y


def mlp(hidden: tuple[int, ...], inputs: int, classes: int, dropout: float = 0.0, batchnorm: bool = False):
    """A ReLU network that outputs logits; optional dropout after, or batch norm before, each ReLU."""
    _, keras = tensorflow()
    layers = [keras.Input((inputs,))]
    for units in hidden:
        layers.append(keras.layers.Dense(units, use_bias=not batchnorm))
        if batchnorm:
            layers.append(keras.layers.BatchNormalization(momentum=0.9))  # few full-batch steps: track fast
        layers.append(keras.layers.ReLU())
        if dropout:
            layers.append(keras.layers.Dropout(dropout))
    layers.append(keras.layers.Dense(classes))
    return keras.Sequential(layers)


WEIGHTS = ("kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance")


def reinitialise(model, seed: int) -> None:
    """Draw every weight again from its layer's own initializer, seeded: the same as building anew, without
    new variables (so compiled steps that captured them still apply)."""
    for i, layer in enumerate(model.layers):
        for j, name in enumerate(WEIGHTS):
            variable, initializer = getattr(layer, name, None), getattr(layer, f"{name}_initializer", None)
            if variable is None or initializer is None:
                continue
            config = initializer.get_config()
            if "seed" in config:
                initializer = type(initializer).from_config(config | {"seed": seed * 1000 + 10 * i + j})
            variable.assign(initializer(variable.shape, variable.dtype))


@dataclass
class Trainer:
    """One network and its Adam optimizer, with compiled steps that serve every seed and L2 strength."""

    build: Callable[[], object]
    lr: float

    def __post_init__(self) -> None:
        tf, keras = tensorflow()
        self.model = self.build()
        self.optimizer = keras.optimizers.Adam(self.lr)
        self.optimizer.build(self.model.trainable_variables)
        self.fresh_optimizer = [v.numpy() for v in self.optimizer.variables]
        self.l2 = tf.Variable(0.0, trainable=False)
        kernels = [v for v in self.model.trainable_variables if len(v.shape) == 2]
        inputs = tf.TensorSpec([None, self.model.inputs[0].shape[1]], tf.float32)
        labels = tf.TensorSpec([None], tf.int64)

        def measure(x, y):  # loss and accuracy in inference mode
            logits = self.model(x, training=False)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits))
            return tf.stack([loss, tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), y), tf.float32))])

        def update(x, y):  # one Adam step on the cross-entropy plus the L2 penalty
            with tf.GradientTape() as tape:
                logits = self.model(x, training=True)
                loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits))
                loss += self.l2 * tf.add_n([tf.reduce_sum(k**2) for k in kernels])
            grads = tape.gradient(loss, self.model.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.model.trainable_variables))

        def step(x, y, x_val, y_val):  # the metrics before the update, then the update
            before = tf.concat([measure(x, y), measure(x_val, y_val)], 0)
            with tf.control_dependencies([before]):
                update(x, y)
            return before

        # compiled when first used: each compilation costs about as much as a hundred steps
        self.step = tf.function(step, input_signature=[inputs, labels, inputs, labels], autograph=False)
        self.update = tf.function(update, input_signature=[inputs, labels], autograph=False)

    def reset(self, seed: int, l2: float = 0.0) -> None:
        """Fresh initial weights drawn with `seed`, a fresh optimizer, and the L2 strength."""
        reinitialise(self.model, seed)
        for variable, value in zip(self.optimizer.variables, self.fresh_optimizer):
            variable.assign(value)
        self.l2.assign(l2)

    def evaluate(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Loss and accuracy in inference mode (eager: one call is not worth a compiled function)."""
        tf, _ = tensorflow()
        logits = self.model(x, training=False)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits))
        return np.array([loss, np.mean(np.argmax(logits, 1) == y)], dtype=np.float32)

    def per_example(self, x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
        """Each example's loss, whether it is right, and the probability of the answer given (its confidence)."""
        tf, _ = tensorflow()
        logits = self.model(x, training=False)
        probs = tf.nn.softmax(logits).numpy()
        loss = tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits).numpy()
        return {"loss": loss.astype(np.float32), "correct": probs.argmax(1) == y,
                "confidence": probs.max(1).astype(np.float32)}

    def train(self, x: np.ndarray, y: np.ndarray, epochs: int) -> None:
        """Train for `epochs` full-batch steps without measuring anything on the way."""
        for _ in range(epochs):
            self.update(x, y)

    def checkpoints(self, split: data.Split, epochs: list[int]) -> list[np.ndarray]:
        """Train full-batch up to each of the rising `epochs` in turn; at each, training loss and accuracy,
        then validation loss and accuracy."""
        done, rows = 0, []
        for epoch in epochs:
            self.train(split.x_train, split.y_train, epoch - done)
            done = epoch
            rows.append(np.concatenate([self.evaluate(split.x_train, split.y_train),
                                        self.evaluate(split.x_val, split.y_val)]))
        return rows

    def weights(self) -> list[np.ndarray]:
        return [v.numpy() for v in self.model.weights]

    def fit(self, split: data.Split, epochs: int, augment: Callable[[np.ndarray], np.ndarray] | None = None,
            patience: int | None = None, test: tuple[np.ndarray, np.ndarray] | None = None) -> dict:
        """Train for `epochs` full-batch steps; curves have epochs + 1 rows (0 = untrained) of
        training loss, training accuracy, validation loss, validation accuracy.

        With `patience`, also watch the run as early stopping would: it stops once the validation
        loss has not improved for `patience` epochs and keeps the weights of its best epoch (`kept`).
        With `test`, score the last epoch's weights (and the kept ones) on that set too, as a whole
        and example by example: the validation set chose the kept epoch, so only a set nobody
        looked at scores it fairly.
        """
        curves = []
        best, stop, kept_weights = 0, epochs, None
        for epoch in range(epochs):
            if patience and stop == epochs:
                current = self.weights()  # the weights that this epoch's metrics describe
            x = augment(split.x_train) if augment else split.x_train
            curves.append(self.step(x, split.y_train, split.x_val, split.y_val).numpy())
            if curves[-1][2] < curves[best][2] or epoch == 0:
                best = epoch
                if patience and stop == epochs:
                    kept_weights = current
            if patience and stop == epochs and epoch - best >= patience:
                stop = epoch
        curves.append(np.concatenate([self.evaluate(split.x_train, split.y_train),
                                      self.evaluate(split.x_val, split.y_val)]))
        curves = np.array(curves, dtype=np.float32)
        kept = int(np.argmin(curves[: stop + 1, 2]))
        out = {"curves": curves, "stop": stop, "kept": kept}
        if test is not None:
            out["test"], out["test_examples"] = self.evaluate(*test), self.per_example(*test)
            if patience:
                if kept < len(curves) - 1:  # else the last weights are the kept ones
                    for variable, value in zip(self.model.weights, kept_weights):
                        variable.assign(value)
                out["kept_test"], out["kept_test_examples"] = self.evaluate(*test), self.per_example(*test)
        return out


# --- capacity ------------------------------------------------------------------------------------

def parameter_count(hidden: tuple[int, ...], inputs: int, classes: int) -> int:
    sizes = (inputs, *hidden, classes)
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


@experiment("overfitting/capacity", seed=20,
            full={"train": 300, "val": 500, "widths": [2, 4, 8, 16, 32, 64, 128], "depth": 2,
                  "epochs": 100, "lr": 0.003, "seeds": 10, "long": [100, 300, 1000, 2000]},
            smoke={"train": 100, "val": 200, "widths": [2, 16, 128], "depth": 2,
                   "epochs": 40, "lr": 0.01, "seeds": 3, "long": [40, 80, 160]},
            title="Networks of growing width trained on the same 300 MNIST digits")
def capacity(train: int, val: int, widths: list[int], depth: int, epochs: int, lr: float, seeds: int,
             long: list[int], seed: int) -> dict:
    """Per-epoch training and validation loss and accuracy for each width, over several seeds; each final
    network's answer and confidence on every validation digit; and the smallest network trained `long`."""
    inputs, classes = SIDE * SIDE, 10
    splits = [small_mnist(train, val, seed + s) for s in range(seeds)]
    curves, examples = [], []  # width, seed, epoch, metric; width, seed, per-example scores
    for width in widths:
        hidden = (width,) * depth
        trainer = Trainer(lambda: mlp(hidden, inputs, classes), lr)
        per_seed, scored = [], []
        for s, split in enumerate(splits):
            trainer.reset(seed + s)
            per_seed.append(trainer.fit(split, epochs)["curves"])
            scored.append(trainer.per_example(split.x_val, split.y_val))
        curves.append(per_seed)
        examples.append(scored)
        if width == widths[0]:  # the smallest, trained on until its training loss has levelled off
            long_runs = []
            for s, split in enumerate(splits):
                trainer.reset(seed + s)
                long_runs.append(trainer.checkpoints(split, long))
    curves = np.array(curves, dtype=np.float32)
    scores = {key: np.array([[e[key] for e in scored] for scored in examples]) for key in ("correct", "confidence")}
    return {"widths": np.array(widths), "depth": depth, "epoch": np.arange(epochs + 1),
            "val_correct": scores["correct"].astype(bool), "val_confidence": scores["confidence"].astype(np.float32),
            "long_epochs": np.array(long), "long": np.array(long_runs, dtype=np.float32),  # seed, checkpoint, metric
            "params": np.array([parameter_count((w,) * depth, inputs, classes) for w in widths]),
            **{name: curves[..., i] for i, name in enumerate(("loss", "accuracy", "val_loss", "val_accuracy"))},
            "train_rows": train, "val_rows": val, "lr": lr, "seeds": seeds}


# --- too small: a plateau ------------------------------------------------------------------------

def silent_units(weights: list[np.ndarray], x: np.ndarray) -> list[int]:
    """Per hidden layer of a plain `mlp` (kernel and bias per layer), the units whose ReLU is zero on every row
    of `x`: they pass nothing on, and no gradient reaches their weights."""
    counts, h = [], x
    for kernel, bias in zip(weights[:-2:2], weights[1:-2:2]):
        h = np.maximum(h @ kernel + bias, 0.0)
        counts.append(int((h.max(0) == 0).sum()))
    return counts


@experiment("overfitting/plateau", seed=25,
            full={"train": 4000, "val": 1000, "small": [2, 2], "large": [32, 32], "lr": 0.01,
                  "checkpoints": [0, 10, 30, 100, 300, 1000, 2000, 3000, 4000], "large_epochs": 300, "seeds": 5},
            smoke={"train": 300, "val": 200, "small": [2, 2], "large": [16, 16], "lr": 0.01,
                   "checkpoints": [0, 10, 50, 100, 150], "large_epochs": 50, "seeds": 3},
            title="A network too small for 4,000 MNIST digits, trained until its training loss levels off, "
                  "beside one large enough to fit them")
def plateau(train: int, val: int, small: list[int], large: list[int], lr: float, checkpoints: list[int],
            large_epochs: int, seeds: int, seed: int) -> dict:
    """Training and validation loss and accuracy of a small network at each checkpoint, and of a large one
    on the same digits and seeds up to `large_epochs`; each final network's answers on the validation digits,
    and how many of the small network's hidden units end silent (zero on every training digit)."""
    inputs, classes = SIDE * SIDE, 10
    splits = [small_mnist(train, val, seed + s) for s in range(seeds)]
    runs, correct, silent = {}, {}, []
    for name, hidden, last in (("small", small, checkpoints[-1]), ("large", large, large_epochs)):
        trainer = Trainer(lambda hidden=tuple(hidden): mlp(hidden, inputs, classes), lr)
        at = [c for c in checkpoints if c < last] + [last]
        per_seed, answers = [], []
        for s, split in enumerate(splits):
            trainer.reset(seed + s)
            per_seed.append(trainer.checkpoints(split, at))
            answers.append(trainer.per_example(split.x_val, split.y_val)["correct"])
            if name == "small":
                silent.append(silent_units(trainer.weights(), split.x_train))
        runs[name], correct[name] = (np.array(at), np.array(per_seed, dtype=np.float32)), np.array(answers)
    return {**{f"{name}_epochs": runs[name][0] for name in runs},
            **{f"{name}_{metric}": runs[name][1][..., i] for name in runs  # seed, checkpoint
               for i, metric in enumerate(("loss", "accuracy", "val_loss", "val_accuracy"))},
            **{f"{name}_val_correct": correct[name].astype(bool) for name in runs},
            "small_silent": np.array(silent),  # seed, hidden layer
            "small": list(small), "large": list(large), "train_rows": train, "val_rows": val, "lr": lr,
            "seeds": seeds,
            "params": [parameter_count(tuple(h), inputs, classes) for h in (small, large)]}


# --- a 2-D boundary --------------------------------------------------------------------------------

@experiment("overfitting/boundary", seed=21,
            full={"points": 60, "noise": 0.35, "val": 1000, "hidden": [64, 64], "lr": 0.01, "l2": 0.003,
                  "frames": [0, 10, 25, 50, 100, 200, 400], "grid": 40, "seeds": 10,
                  "strengths": [0.0, 0.0003, 0.001, 0.003, 0.01, 0.03]},
            smoke={"points": 60, "noise": 0.35, "val": 200, "hidden": [64, 64], "lr": 0.01, "l2": 0.003,
                   "frames": [0, 10, 25, 100], "grid": 12, "seeds": 3, "strengths": [0.0, 0.03]},
            title="A network fit to 60 noisy moons, with and without an L2 penalty, over several draws")
def boundary(points: int, noise: float, val: int, hidden: list[int], lr: float, l2: float, frames: list[int],
             grid: int, seeds: int, strengths: list[float], seed: int) -> dict:
    """The predicted probability of class 1 on a grid, at several epochs, with and without L2, for the first
    seed's draw of points; every seed's metrics at those epochs and its final answers on the validation
    points; and the final map and scores for a range of L2 strengths."""
    tf, _ = tensorflow()
    trainer = Trainer(lambda: mlp(tuple(hidden), 2, 2), lr)
    maps, metrics, val_prob = [], [], []  # run, frame, grid; seed, run, frame, metric; seed, run, point
    sweep, sweep_maps = [], []  # seed, strength, metric; strength, grid
    for s in range(seeds):
        x, y = data.moons(points, noise, seed + 2 * s)
        x_val, y_val = data.moons(val, noise, seed + 2 * s + 1)
        split = data.Split(x, y, x_val, y_val)
        if s == 0:
            lo, hi = x.min(0) - 0.3, x.max(0) + 0.3
            gx = np.linspace(lo[0], hi[0], grid, dtype=np.float32)
            gy = np.linspace(lo[1], hi[1], grid, dtype=np.float32)
            mesh = np.stack(np.meshgrid(gx, gy), -1).reshape(-1, 2)
            shown = (x, y)
        on_mesh = lambda: tf.nn.softmax(trainer.model(mesh, training=False))[:, 1].numpy().reshape(grid, grid)  # noqa: E731
        per_run, per_prob = [], []
        for strength in (0.0, l2):
            trainer.reset(seed + s, strength)
            at, frame_maps, done = [], [], 0
            for frame in frames:
                at.append(trainer.fit(split, frame - done)["curves"][-1])
                done = frame
                frame_maps.append(on_mesh())
            per_run.append(at)
            probs = tf.nn.softmax(trainer.model(x_val, training=False)).numpy()
            per_prob.append(probs[np.arange(val), y_val])
            if s == 0:
                maps.append(frame_maps)
        metrics.append(per_run)
        val_prob.append(per_prob)
        per_strength = []
        for strength in strengths:
            trainer.reset(seed + s, strength)
            trainer.train(x, y, frames[-1])
            per_strength.append(np.concatenate([trainer.evaluate(x, y), trainer.evaluate(x_val, y_val)]))
            if s == 0:
                sweep_maps.append(on_mesh())
        sweep.append(per_strength)
    squeeze = lambda a: np.array(a, dtype=np.float32).round(3).astype(np.float16).astype(np.float32)  # noqa: E731
    return {"runs": ["none", "L2"], "frames": np.array(frames), "gx": gx, "gy": gy, "x": shown[0], "y": shown[1],
            "prob": squeeze(maps), "metrics": np.array(metrics, dtype=np.float32),
            "val_true_prob": np.array(val_prob, dtype=np.float32),
            "strengths": np.array(strengths, dtype=np.float32), "sweep": np.array(sweep, dtype=np.float32),
            "sweep_prob": squeeze(sweep_maps), "l2": l2, "lr": lr, "points": points, "noise": noise,
            "hidden": hidden, "val_points": val, "seeds": seeds}


# --- the cures -----------------------------------------------------------------------------------

@experiment("overfitting/cures", seed=22,
            full={"train": 300, "more": 900, "val": 500, "test": 1000, "hidden": [128, 128], "epochs": 60,
                  "lr": 0.003, "l2": 0.001, "dropout": 0.5, "patience": 10, "shift": 1, "seeds": 10},
            smoke={"train": 100, "more": 400, "val": 200, "test": 200, "hidden": [64, 64], "epochs": 30, "lr": 0.01,
                   "l2": 0.001, "dropout": 0.5, "patience": 5, "shift": 1, "seeds": 3},
            title="Seven ways to treat one overfitting network, over several seeds")
def cures(train: int, more: int, val: int, test: int, hidden: list[int], epochs: int, lr: float, l2: float,
          dropout: float, patience: int, shift: int, seeds: int, seed: int) -> dict:
    """Curves of each cure on the same small MNIST set, and the final model's test score; early stopping
    watches the untreated runs and is scored with the weights it kept."""
    inputs, classes, hidden = SIDE * SIDE, 10, tuple(hidden)
    plain = Trainer(lambda: mlp(hidden, inputs, classes), lr)
    with_dropout = Trainer(lambda: mlp(hidden, inputs, classes, dropout=dropout), lr)
    with_batchnorm = Trainer(lambda: mlp(hidden, inputs, classes, batchnorm=True), lr)
    curves = {cure: [] for cure in CURES}
    tests = {cure: [] for cure in CURES}  # loss and accuracy on the test digits
    examples = {cure: [] for cure in CURES}  # each test digit's loss and whether it is right
    stop, kept = [], []
    for s in range(seeds):
        big = small_mnist(more, val + test, seed + s)  # the small set is the first `train` rows of the big one
        held_out = (big.x_val[val:], big.y_val[val:])
        big = data.Split(big.x_train, big.y_train, big.x_val[:val], big.y_val[:val])
        split = data.Split(big.x_train[:train], big.y_train[:train], big.x_val, big.y_val)
        rng = np.random.default_rng(seed + s)
        runs = {
            "none": (plain, 0.0, split, None),
            "L2": (plain, l2, split, None),
            "dropout": (with_dropout, 0.0, split, None),
            "batch norm": (with_batchnorm, 0.0, split, None),
            "augmentation": (plain, 0.0, split, lambda x: shifted(x, rng, shift)),
            "more data": (plain, 0.0, big, None),
        }
        for cure, (trainer, strength, run_split, augment) in runs.items():
            trainer.reset(seed + s, strength)
            run = trainer.fit(run_split, epochs, augment, patience if cure == "none" else None, held_out)
            curves[cure].append(run["curves"])
            tests[cure].append(run["test"])
            examples[cure].append(run["test_examples"])
            if cure == "none":
                curves["early stopping"].append(run["curves"])
                tests["early stopping"].append(run["kept_test"])
                examples["early stopping"].append(run["kept_test_examples"])
                stop.append(run["stop"])
                kept.append(run["kept"])
    stacked = np.array([curves[c] for c in CURES], dtype=np.float32)  # cure, seed, epoch, metric
    scored = np.array([tests[c] for c in CURES], dtype=np.float32)  # cure, seed, (loss, accuracy)
    return {"cures": list(CURES), "epoch": np.arange(epochs + 1),
            **{name: stacked[..., i] for i, name in enumerate(("loss", "accuracy", "val_loss", "val_accuracy"))},
            "test_loss": scored[..., 0], "test_accuracy": scored[..., 1],
            "test_example_loss": np.array([[e["loss"] for e in examples[c]] for c in CURES], dtype=np.float32),
            "test_correct": np.array([[e["correct"] for e in examples[c]] for c in CURES], dtype=bool),
            "stop": np.array(stop), "kept": np.array(kept), "train_rows": train, "more_rows": more, "val_rows": val,
            "test_rows": test, "hidden": list(hidden), "lr": lr, "l2": l2, "dropout": dropout, "patience": patience,
            "shift": shift, "seeds": seeds}


# --- data quality --------------------------------------------------------------------------------

@experiment("overfitting/data", seed=23,
            full={"sizes": [25, 50, 100, 200, 400, 800, 1600], "noise": [0.0, 0.2, 0.4, 0.6, 0.8],
                  "noise_rows": 500, "val": 1000, "hidden": [64], "epochs": 50, "lr": 0.01, "seeds": 10},
            smoke={"sizes": [25, 100, 400], "noise": [0.0, 0.4, 0.8], "noise_rows": 200, "val": 300, "hidden": [64],
                   "epochs": 50, "lr": 0.01, "seeds": 2},
            title="Validation accuracy against training-set size and label noise")
def data_quality(sizes: list[int], noise: list[float], noise_rows: int, val: int, hidden: list[int], epochs: int,
                 lr: float, seeds: int, seed: int) -> dict:
    """One network trained on fewer and fewer digits, and on digits with more and more random labels."""
    inputs, classes = SIDE * SIDE, 10
    trainer = Trainer(lambda: mlp(tuple(hidden), inputs, classes), lr)
    by_size, by_noise = [], []  # seed, setting, (validation accuracy, training accuracy) after training
    for s in range(seeds):
        big = small_mnist(max(sizes), val, seed + s)

        def score(x: np.ndarray, y: np.ndarray) -> list[float]:
            trainer.reset(seed + s)
            trainer.train(x, y, epochs)
            return [trainer.evaluate(big.x_val, big.y_val)[1], trainer.evaluate(x, y)[1]]

        by_size.append([score(big.x_train[:n], big.y_train[:n]) for n in sizes])
        rng = np.random.default_rng(seed + s)
        x, y = big.x_train[:noise_rows], big.y_train[:noise_rows]
        by_noise.append([score(x, noisy_labels(y, share, classes, rng)) for share in noise])
    by_size, by_noise = np.array(by_size, dtype=np.float32), np.array(by_noise, dtype=np.float32)
    return {"sizes": np.array(sizes), "noise": np.array(noise, dtype=np.float32), "noise_rows": noise_rows,
            "size_val_accuracy": by_size[..., 0], "size_train_accuracy": by_size[..., 1],
            "noise_val_accuracy": by_noise[..., 0], "noise_train_accuracy": by_noise[..., 1],
            "val_rows": val, "hidden": hidden, "epochs": epochs, "lr": lr, "seeds": seeds}


# --- how strong a cure ---------------------------------------------------------------------------

@experiment("overfitting/strength", seed=24,
            full={"train": 300, "val": 500, "test": 1000, "hidden": [128, 128], "epochs": 60, "lr": 0.003,
                  "l2": [0.0, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03], "dropout": [0.0, 0.2, 0.4, 0.6, 0.8],
                  "seeds": 5},
            smoke={"train": 100, "val": 200, "test": 200, "hidden": [64, 64], "epochs": 30, "lr": 0.01,
                   "l2": [0.0, 0.001, 0.03], "dropout": [0.0, 0.5], "seeds": 2},
            title="The overfitting network of the cures with L2 penalties and dropout rates of growing strength")
def strength(train: int, val: int, test: int, hidden: list[int], epochs: int, lr: float, l2: list[float],
             dropout: list[float], seeds: int, seed: int) -> dict:
    """Final validation and test loss and accuracy for every strength of each regulariser, over seeds; the
    network and data of `overfitting/cures`."""
    inputs, classes, hidden = SIDE * SIDE, 10, tuple(hidden)
    trainers = {rate: Trainer(lambda rate=rate: mlp(hidden, inputs, classes, dropout=rate), lr) for rate in dropout}
    by_l2, by_dropout = [], []  # seed, setting, (val loss, val acc, test loss, test acc)
    for s in range(seeds):
        big = small_mnist(train, val + test, seed + s)
        x_test, y_test = big.x_val[val:], big.y_val[val:]
        split = data.Split(big.x_train, big.y_train, big.x_val[:val], big.y_val[:val])

        def score(trainer: Trainer, penalty: float) -> np.ndarray:
            trainer.reset(seed + s, penalty)
            trainer.train(split.x_train, split.y_train, epochs)
            return np.concatenate([trainer.evaluate(split.x_val, split.y_val), trainer.evaluate(x_test, y_test)])

        by_l2.append([score(trainers[dropout[0]], penalty) for penalty in l2])
        by_dropout.append([score(trainers[rate], 0.0) for rate in dropout])
    by_l2, by_dropout = np.array(by_l2, dtype=np.float32), np.array(by_dropout, dtype=np.float32)
    names = ("val_loss", "val_accuracy", "test_loss", "test_accuracy")
    return {"l2": np.array(l2, dtype=np.float32), "dropout": np.array(dropout, dtype=np.float32),
            **{f"l2_{n}": by_l2[..., i] for i, n in enumerate(names)},
            **{f"dropout_{n}": by_dropout[..., i] for i, n in enumerate(names)},
            "train_rows": train, "val_rows": val, "test_rows": test, "hidden": list(hidden), "epochs": epochs,
            "lr": lr, "seeds": seeds}


# --- double descent ------------------------------------------------------------------------------

@experiment("overfitting/double-descent", seed=26,
            full={"train": 200, "test": 1000, "octaves": 4, "steps": 2, "ridge": 0.01, "seeds": 10},
            smoke={"train": 100, "test": 300, "octaves": 3, "steps": 1, "ridge": 0.01, "seeds": 3},
            title="Random ReLU features of 200 MNIST digits with a least-squares readout, from far fewer "
                  "features than digits to far more")
def double_descent(train: int, test: int, octaves: int, steps: int, ridge: float, seeds: int, seed: int) -> dict:
    """Training and test error of a linear readout on the first p of a fixed set of random ReLU features, for
    widths p from `train` / 2**octaves to `train` * 2**octaves (`steps` per octave, p = `train` among them).

    Nothing here is trained by gradient descent: the readout is fitted to one-hot targets exactly, by the
    least-squares solution of least norm (the one gradient descent from zero weights converges to) and, as the
    control, with a ridge penalty `ridge` × `train` × (squared norm of the readout). Each seed draws its own
    digits and features; inputs are centred on the training digits, weights and biases drawn N(0, 1/inputs).
    """
    inputs, classes = SIDE * SIDE, 10
    widths = np.unique(np.round(train * 2.0 ** (np.arange(-octaves * steps, octaves * steps + 1) / steps)).astype(int))
    fits = ("least norm", "ridge")
    scores = np.zeros((len(fits), seeds, len(widths), 5))  # train error, test error, train MSE, test MSE, norm
    smallest = np.zeros((seeds, len(widths)))  # the feature matrix's smallest singular value
    for s in range(seeds):
        split = small_mnist(train, test, seed + s)
        rng = np.random.default_rng([seed, s])
        centre = split.x_train.mean(0)
        kernel = rng.standard_normal((inputs, widths[-1])) / np.sqrt(inputs)
        bias = rng.standard_normal(widths[-1]) / np.sqrt(inputs)
        features = [np.maximum((x - centre).astype(np.float64) @ kernel + bias, 0.0) for x in (split.x_train, split.x_val)]
        targets = np.eye(classes)[split.y_train]
        for j, p in enumerate(widths):
            f, f_test = features[0][:, :p], features[1][:, :p]
            u, sv, vt = np.linalg.svd(f, full_matrices=False)
            smallest[s, j] = sv[-1]
            keep = sv > sv[0] * max(f.shape) * np.finfo(float).eps  # the pseudo-inverse's cut-off
            gains = (np.where(keep, 1.0 / np.where(keep, sv, 1.0), 0.0), sv / (sv**2 + ridge * train))
            for k, gain in enumerate(gains):
                readout = vt.T @ (gain[:, None] * (u.T @ targets))
                fit, guess = f @ readout, f_test @ readout
                scores[k, s, j] = (np.mean(fit.argmax(1) != split.y_train), np.mean(guess.argmax(1) != split.y_val),
                                   ((fit - targets) ** 2).sum(1).mean(),
                                   ((guess - np.eye(classes)[split.y_val]) ** 2).sum(1).mean(), np.linalg.norm(readout))
    names = ("train_error", "test_error", "train_mse", "test_mse", "norm")
    return {"widths": widths, "fits": list(fits), **{n: scores[..., i] for i, n in enumerate(names)},  # fit, seed, width
            "smallest_singular": smallest, "train_rows": train, "test_rows": test, "ridge": ridge, "seeds": seeds}
