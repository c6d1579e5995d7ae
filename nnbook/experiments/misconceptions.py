"""Misconceptions about neural networks, each tested: shifted, noisy and adversarial inputs,
the data a network learns from, and what a gradient saliency map shows.

Several networks of the same shape are trained side by side as one Keras model whose
layers hold one set of weights per run (a seed, or a seed and a data setting). Each run
draws its own batches from its own training set and is updated by Adam exactly as if it
were trained alone, but all runs share one compiled training step, which keeps the
several-seed comparisons within the book's time budget.
"""

from __future__ import annotations

import numpy as np

from nnbook import data
from nnbook.backend import tensorflow
from nnbook.registry import experiment

DIRECTIONS = ((0, 1), (0, -1), (1, 0), (-1, 0))  # (rows, columns): right, left, down, up
EXAMPLE_SHIFTS, EXAMPLE_SIGMA = (2, 4), 0.5  # how the shown digit is moved (to the right) and made noisy


def parallel_classifier(runs: int, inputs: int, hidden: int, classes: int, seeds: list[int]):
    """`runs` independent one-hidden-layer ReLU classifiers as one Keras model.

    The model maps inputs of shape (runs, batch, inputs) to logits (runs, batch, classes).
    Run r starts from Glorot-uniform weights drawn with `seeds[r]` and zero biases.
    """
    tf, keras = tensorflow()

    class ParallelDense(keras.layers.Layer):
        """A dense layer with one kernel and bias per run: (runs, batch, in) -> (runs, batch, out)."""

        def __init__(self, kernels: np.ndarray, activation: str | None = None, **kwargs):
            super().__init__(**kwargs)
            self.kernel = self.add_weight(shape=kernels.shape, initializer=keras.initializers.Constant(kernels))
            self.bias = self.add_weight(shape=(kernels.shape[0], kernels.shape[2]), initializer="zeros")
            self.activation = keras.activations.get(activation)

        def call(self, x):
            return self.activation(keras.ops.einsum("rbi,rio->rbo", x, self.kernel) + self.bias[:, None, :])

    def glorot(fan_in: int, fan_out: int, seed: int, layer: int) -> np.ndarray:
        limit = np.sqrt(6 / (fan_in + fan_out))
        return np.random.default_rng([seed, layer]).uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32)

    first = np.stack([glorot(inputs, hidden, s, 0) for s in seeds])
    second = np.stack([glorot(hidden, classes, s, 1) for s in seeds])
    x = keras.Input((None, inputs), batch_size=runs)
    out = ParallelDense(second, name="output")(ParallelDense(first, "relu", name="hidden")(x))
    return keras.Model(x, out)


def train_parallel(model, rows: list[int], x: np.ndarray, labels: np.ndarray, steps: int, batch: int,
                   lr: float, seed: int) -> np.ndarray:
    """Train every run with Adam on batches drawn (with replacement) from the first `rows[r]` rows of `x`.

    `labels[r]` holds run r's labels for every row of `x` (so runs can see different, e.g.
    noisy, labels); `x` is shared (rows, inputs) or one per run (runs, rows, inputs). Returns
    the mean loss per step.
    """
    tf, keras = tensorflow()
    optimizer = keras.optimizers.Adam(lr)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum")
    runs = len(rows)

    @tf.function
    def step(xb, yb):
        with tf.GradientTape() as tape:
            loss = loss_fn(yb, model(xb, training=True)) / batch  # the sum of each run's mean loss
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
        return loss / runs

    rng = np.random.default_rng(seed)
    run_index = np.arange(runs)[:, None]
    limits = np.array(rows)[:, None]
    losses = []
    for _ in range(steps):
        picked = (rng.random((runs, batch)) * limits).astype(np.int64)
        losses.append(step(x[picked] if x.ndim == 2 else x[run_index, picked], labels[run_index, picked]))
    return np.array(losses, dtype=np.float32)


def logits_for_all_runs(model, x: np.ndarray) -> np.ndarray:
    """Every run's logits for the same inputs x (n, inputs): (runs, n, classes)."""
    runs = model.inputs[0].shape[0]
    return np.asarray(model(np.broadcast_to(x, (runs, *x.shape)).astype(np.float32), training=False))


def correct(model, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each run's right answers on (x, y): (runs, n) booleans."""
    return logits_for_all_runs(model, x).argmax(-1) == y


def accuracy(model, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each run's accuracy on (x, y)."""
    return correct(model, x, y).mean(-1)


def ink_kept(x: np.ndarray, side: int, pixels: int, direction: tuple[int, int]) -> np.ndarray:
    """The share of each image's ink that stays in the frame when it is moved (1: nothing cropped)."""
    total = x.sum(-1)
    return np.divide(shift_images(x, side, pixels, direction).sum(-1), total, out=np.ones_like(total),
                     where=total > 0)


def shift_images(x: np.ndarray, side: int, pixels: int, direction: tuple[int, int]) -> np.ndarray:
    """Flattened square images moved `pixels` in `direction`, the uncovered border left blank."""
    images = x.reshape(-1, side, side)
    moved = np.zeros_like(images)
    dr, dc = direction[0] * pixels, direction[1] * pixels
    src = (slice(max(-dr, 0), side - max(dr, 0)), slice(max(-dc, 0), side - max(dc, 0)))
    dst = (slice(max(dr, 0), side - max(-dr, 0)), slice(max(dc, 0), side - max(-dc, 0)))
    moved[:, dst[0], dst[1]] = images[:, src[0], src[1]]
    return moved.reshape(len(x), -1)


def add_noise(x: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    """Gaussian pixel noise of standard deviation `sigma`, clipped to the [0, 1] pixel range."""
    return np.clip(x + np.random.default_rng(seed).normal(0, sigma, x.shape), 0, 1).astype(np.float32)


def input_gradients(model, x: np.ndarray, y: np.ndarray, target: str) -> np.ndarray:
    """Per-run gradients with respect to the input (runs, n, inputs).

    `target="loss"`: of the cross-entropy against labels y (runs, n), what the fast gradient
    sign method climbs. `target="logit"`: of the logit of class y (runs, n), a saliency map.
    """
    tf, keras = tensorflow()
    xs = tf.constant(np.broadcast_to(x, (y.shape[0], *x.shape)).astype(np.float32))
    with tf.GradientTape() as tape:
        tape.watch(xs)
        logits = model(xs, training=False)
        if target == "loss":
            score = keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True)
        else:
            score = tf.gather(logits, y, axis=-1, batch_dims=2)
    return tape.gradient(score, xs).numpy()


def fast_gradient_sign(model, x: np.ndarray, y: np.ndarray, epsilons: list[float], seed: int) -> dict:
    """Per run and epsilon: the share of correctly classified inputs whose prediction a
    fast-gradient-sign step changes, and the same for a random-sign step of the same size."""
    runs = model.inputs[0].shape[0]
    labels = np.broadcast_to(y, (runs, len(y)))
    clean = logits_for_all_runs(model, x).argmax(-1)
    correct = clean == labels
    direction = np.sign(input_gradients(model, x, labels, "loss"))
    random_sign = np.random.default_rng(seed).choice([-1.0, 1.0], size=x.shape).astype(np.float32)
    flipped, flipped_random = [], []
    for eps in epsilons:
        adversarial = np.clip(x + eps * direction, 0, 1)
        predicted = np.asarray(model(adversarial.astype(np.float32), training=False)).argmax(-1)
        noisy = logits_for_all_runs(model, np.clip(x + eps * random_sign, 0, 1)).argmax(-1)
        flipped.append(((predicted != clean) & correct).sum(-1) / correct.sum(-1))
        flipped_random.append(((noisy != clean) & correct).sum(-1) / correct.sum(-1))
    return {"flipped": np.array(flipped, dtype=np.float32).T, "flipped_random": np.array(flipped_random, dtype=np.float32).T,
            "direction": direction, "random_sign": random_sign, "clean": clean, "correct": correct}


def softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


@experiment("misconceptions/robustness", seed=11,
            full={"train": 4000, "val": 600, "hidden": 64, "steps": 400, "batch": 64, "lr": 0.002, "seeds": 10,
                  "shifts": [0, 1, 2, 3, 4, 5, 6], "sigmas": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0],
                  "epsilons": [0.0, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2], "show_eps": 0.1},
            smoke={"train": 1000, "val": 200, "hidden": 64, "steps": 150, "batch": 64, "lr": 0.003, "seeds": 2,
                   "shifts": [0, 2, 4], "sigmas": [0.0, 0.5, 1.0], "epsilons": [0.0, 0.1, 0.2], "show_eps": 0.1},
            title="MNIST networks on shifted, noisy and adversarial digits, and a saliency map")
def robustness(train: int, val: int, hidden: int, steps: int, batch: int, lr: float, seeds: int, shifts: list[int],
               sigmas: list[float], epsilons: list[float], show_eps: float, seed: int) -> dict:
    """Train `seeds` MNIST networks, then score them on moved, noisy and adversarial digits."""
    split = data.mnist(train, val, seed)
    run_seeds = [seed + r for r in range(seeds)]
    model = parallel_classifier(seeds, 784, hidden, 10, run_seeds)
    labels = np.broadcast_to(split.y_train, (seeds, train))
    train_parallel(model, [train] * seeds, split.x_train, labels, steps, batch, lr, seed)
    x, y = split.x_val, split.y_val

    shift_right = np.array([[correct(model, shift_images(x, 28, p, d), y) for d in DIRECTIONS] for p in shifts])
    shift_acc = shift_right.mean(-1)
    noise_right = np.array([correct(model, add_noise(x, s, seed), y) for s in sigmas])
    noise_acc = noise_right.mean(-1)
    attack = fast_gradient_sign(model, x, y, epsilons, seed)
    kept = np.array([[ink_kept(x, 28, p, d) for d in DIRECTIONS] for p in shifts])  # shift, direction, digit

    # The digit shown: of those the first network reads correctly and a step of size show_eps
    # turns into another class, the one it reads most confidently.
    clean_logits = logits_for_all_runs(model, x)
    adversarial = np.clip(x + show_eps * attack["direction"], 0, 1).astype(np.float32)
    adv_logits = np.asarray(model(adversarial, training=False))[0]
    flips = np.flatnonzero((clean_logits[0].argmax(-1) == y) & (adv_logits.argmax(-1) != y))
    shown = int(flips[np.argmax(softmax(clean_logits[0, flips]).max(-1))]) if len(flips) else 0
    digit = x[shown:shown + 1]
    moved = [shift_images(digit, 28, p, DIRECTIONS[0])[0] for p in EXAMPLE_SHIFTS]
    examples = np.stack([x[shown], *moved, add_noise(digit, EXAMPLE_SIGMA, seed)[0], adversarial[0, shown]])
    example_probs = softmax(logits_for_all_runs(model, examples.astype(np.float32))[0])
    blank = x == 0
    brightening = (add_noise(x, EXAMPLE_SIGMA, seed) - x)[blank].mean()  # what clipped noise adds to blank pixels

    # Which answers the step of size show_eps changes, per seed and digit: its own sign, and a random one.
    random_step = np.clip(x + show_eps * attack["random_sign"], 0, 1).astype(np.float32)
    shown_changed = np.stack([adv_all.argmax(-1) != attack["clean"] for adv_all in (
        np.asarray(model(np.clip(x + show_eps * attack["direction"], 0, 1).astype(np.float32), training=False)),
        logits_for_all_runs(model, random_step))])  # (sign or random, seed, digit)

    # Saliency of each network for the class it predicts, on every validation digit.
    saliency = np.abs(input_gradients(model, x, clean_logits.argmax(-1), "logit"))
    ink = x > 0.1
    background_share = (saliency * ~ink).sum(-1) / saliency.sum(-1)  # (seed, digit)
    return {
        "shifts": np.array(shifts), "sigmas": np.array(sigmas, dtype=np.float32),
        "epsilons": np.array(epsilons, dtype=np.float32),
        "shift_accuracy": shift_acc.transpose(2, 0, 1).astype(np.float32),  # (seed, shift, direction)
        "shift_correct": shift_right.transpose(2, 0, 1, 3).astype(np.uint8),  # (seed, shift, direction, digit)
        "noise_correct": noise_right.transpose(1, 0, 2).astype(np.uint8),  # (seed, sigma, digit)
        "ink_kept": kept.astype(np.float32), "shown_changed": shown_changed.astype(np.uint8),
        "clean_correct": attack["correct"].astype(np.uint8),  # (seed, digit)
        "noise_accuracy": noise_acc.T.astype(np.float32),  # (seed, sigma)
        "flipped": attack["flipped"], "flipped_random": attack["flipped_random"],  # (seed, epsilon)
        "examples": examples.astype(np.float32),
        "example_names": ["original", *(f"moved {p} px right" for p in EXAMPLE_SHIFTS), f"noise σ = {EXAMPLE_SIGMA:g}",
                          f"fast gradient sign, ε = {show_eps:g}"],
        "flipped_count": len(flips), "blank_brightening": float(brightening), "example_sigma": EXAMPLE_SIGMA,
        "example_probs": example_probs.astype(np.float32), "example_label": int(y[shown]), "show_eps": show_eps,
        "saliency": saliency[0, shown].astype(np.float32),
        "background_share": background_share.astype(np.float32), "ink_share": ink.mean(-1).astype(np.float32),
        "train_rows": train, "val_rows": val, "hidden": hidden, "steps": steps, "batch": batch, "lr": lr, "seeds": seeds,
    }


def noisy_labels(y: np.ndarray, share: float, classes: int, seed: int) -> np.ndarray:
    """A copy of y in which a `share` of the labels, chosen at random, is replaced by another class."""
    rng = np.random.default_rng(seed)
    out = y.copy()
    hit = rng.random(len(y)) < share
    out[hit] = (y[hit] + rng.integers(1, classes, hit.sum())) % classes
    return out


SHORTCUT_PIXELS = np.array([8 * row for row in range(8)] + [8 * 3 + 7, 8 * 4 + 7])  # class c: one pixel of the
# 8x8 frame's left column (classes 0-7) or right column (8, 9), where scikit-learn's digits have next to no ink
SYSTEMATIC = (7, 1)  # every training 7 labelled 1


def with_mark(x: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Copies of 8x8 digits with a bright pixel at the edge position of `classes` (one per digit)."""
    out = x.copy()
    out[np.arange(len(x)), SHORTCUT_PIXELS[classes]] = 1.0
    return out


@experiment("misconceptions/data", seed=12,
            full={"sizes": [25, 50, 100, 200, 400, 800, 1400], "noise": [0.2, 0.4, 0.6, 0.8], "noise_rows": 1400,
                  "hidden": 32, "steps": 400, "batch": 48, "lr": 0.005, "seeds": 10},
            smoke={"sizes": [25, 800, 1400], "noise": [0.2, 0.6, 0.8], "noise_rows": 1400,
                   "hidden": 32, "steps": 300, "batch": 32, "lr": 0.005, "seeds": 2},
            title="One small network trained on more or fewer digits, on wrong labels, and on a shortcut")
def data_dependence(sizes: list[int], noise: list[float], noise_rows: int, hidden: int, steps: int, batch: int,
                    lr: float, seeds: int, seed: int) -> dict:
    """Validation accuracy on 8x8 digits against the training-set size and the share of wrong labels,
    and when the wrong labels are systematic (every 7 labelled 1) or the images carry a shortcut (a
    mark whose position gives the label in training, and a random other label at test).

    Every run takes the same number of Adam steps of the same batch size; for each seed, every
    setting starts from the same initial weights and uses the first rows of the same shuffle.
    """
    split = data.digits(seed=seed)
    settings = [(n, "clean", 0.0) for n in sizes] + [(noise_rows, "random", p) for p in noise] + [
        (noise_rows, "systematic", 0.0), (noise_rows, "shortcut", 0.0)]
    runs = [(n, kind, p, s) for n, kind, p in settings for s in range(seeds)]
    seven, one = SYSTEMATIC
    systematic = np.where(split.y_train == seven, one, split.y_train)
    labels = np.stack([noisy_labels(split.y_train, p, 10, seed + 100 * s) if kind == "random"
                       else systematic if kind == "systematic" else split.y_train for _, kind, p, s in runs])
    marked = with_mark(split.x_train, split.y_train)
    x = np.stack([marked if kind == "shortcut" else split.x_train for _, kind, _, _ in runs])
    model = parallel_classifier(len(runs), 64, hidden, 10, [seed + s for *_, s in runs])
    train_parallel(model, [n for n, *_ in runs], x, labels, steps, batch, lr, seed)
    shape = (len(settings), seeds)
    val_right = correct(model, split.x_val, split.y_val).reshape(*shape, -1)  # setting, seed, digit
    acc = val_right.mean(-1)
    trained = np.asarray(model(x, training=False)).argmax(-1)  # run, row
    right = trained == labels  # (run, row), against its own labels
    train_acc = np.array([right[r, :n].mean() for r, (n, *_) in enumerate(runs)]).reshape(shape)
    given_wrong = labels != split.y_train  # (run, row): rows whose label was replaced
    memorised = np.array([right[r, :n][given_wrong[r, :n]].mean() if given_wrong[r, :n].any() else 0.0
                          for r, (n, *_) in enumerate(runs)]).reshape(shape)
    # the shortcut turned against the network: at test, a mark of a random other class
    wrong_class = (split.y_val + np.random.default_rng(seed).integers(1, 10, len(split.y_val))) % 10
    misled = logits_for_all_runs(model, with_mark(split.x_val, wrong_class)).argmax(-1).reshape(*shape, -1)
    answers = logits_for_all_runs(model, split.x_val).argmax(-1).reshape(*shape, -1)
    k, clean_at = len(sizes), sizes.index(noise_rows)
    compared = [clean_at, len(settings) - 1]  # trained on clean digits, and with the shortcut
    with_clean = lambda a: np.concatenate([a[clean_at][None], a[k:k + len(noise)]]).T.astype(np.float32)  # noqa: E731
    return {"sizes": np.array(sizes), "size_accuracy": acc[:k].T.astype(np.float32),  # (seed, size)
            "size_train_accuracy": train_acc[:k].T.astype(np.float32),
            "noise": np.array([0.0] + list(noise), dtype=np.float32),
            "noise_accuracy": with_clean(acc),  # (seed, noise)
            "noise_train_accuracy": with_clean(train_acc),  # against the (partly wrong) labels it was trained on
            "wrong_labels_memorised": with_clean(memorised),  # share of wrong training labels it reproduces
            "size_correct": val_right[:k].transpose(1, 0, 2).astype(np.uint8),  # (seed, size, digit)
            "noise_correct": np.concatenate([val_right[clean_at][None], val_right[k:k + len(noise)]])
            .transpose(1, 0, 2).astype(np.uint8),  # (seed, noise, digit)
            # [clean, systematic] and [clean, shortcut] training, answers on the validation digits (seed, digit)
            "systematic_answers": answers[[clean_at, len(settings) - 2]].astype(np.uint8),
            "shortcut_answers": answers[compared].astype(np.uint8),
            "misled_answers": misled[compared].astype(np.uint8), "misled_mark": wrong_class.astype(np.uint8),
            "val_labels": split.y_val.astype(np.uint8), "systematic": np.array(SYSTEMATIC),
            "noise_rows": noise_rows, "val_rows": len(split.y_val), "hidden": hidden, "steps": steps, "batch": batch,
            "lr": lr, "seeds": seeds}
