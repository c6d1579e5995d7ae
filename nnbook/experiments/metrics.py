"""Measuring a model: a digit classifier and a regression network, scored on rows they never saw.

The experiments only train and predict; every metric is computed from the stored
predictions by `nnbook/figures/metrics.py`, so the page can show how each one is made.
"""

from __future__ import annotations

import numpy as np

from nnbook import data
from nnbook.backend import tensorflow
from nnbook.models import dense_classifier
from nnbook.registry import experiment

STEPS_PER_CALL = 25  # training steps per compiled call: fewer Python round trips on a small model


def _fit(model, x: np.ndarray, y: np.ndarray, epochs: int, batch: int, seed: int) -> None:
    """Minibatch training for `epochs` passes over (x, y), reshuffled each pass.

    The passes are laid end to end and fed to Keras as one epoch run several steps per call:
    the same updates as `epochs` epochs of `fit`, without the per-epoch and per-step overhead.
    """
    rng = np.random.default_rng(seed)
    order = np.concatenate([rng.permutation(len(x)) for _ in range(epochs)])
    model.fit(x[order], y[order], epochs=1, batch_size=batch, shuffle=False, verbose=0)


def _train_classifier(split: data.Split, hidden: list[int], epochs: int, batch: int, lr: float, seed: int):
    """An MLP trained on `split` from the initial draw of `seed`."""
    _, keras = tensorflow()
    keras.utils.set_random_seed(seed)
    model = dense_classifier(tuple(hidden))
    model.compile(keras.optimizers.Adam(lr), "sparse_categorical_crossentropy", steps_per_execution=STEPS_PER_CALL)
    _fit(model, split.x_train, split.y_train, epochs, batch, seed)
    return model


@experiment("metrics/digits", seed=10,
            full={"train": 3000, "test": 2000, "hidden": [128], "epochs": 10, "batch": 64, "lr": 0.001, "runs": 10},
            smoke={"train": 1500, "test": 1000, "hidden": [64], "epochs": 5, "batch": 64, "lr": 0.002, "runs": 3},
            title="A digit classifier trained from several initial draws, scored on held-out MNIST digits")
def digits(train: int, test: int, hidden: list[int], epochs: int, batch: int, lr: float, runs: int,
           seed: int) -> dict:
    """Class probabilities on the same held-out digits from `runs` trainings (one per initial draw).

    The images the first run misreads are kept (as 0-255 bytes) to show them on the page.
    """
    split = data.mnist(train, test, seed)
    probs = []
    for run in range(runs):
        model = _train_classifier(split, hidden, epochs, batch, lr, seed + run)
        probs.append(model.predict(split.x_val, batch_size=512, verbose=0))
    probs = np.array(probs, dtype=np.float32)
    wrong = np.flatnonzero(probs[0].argmax(axis=1) != split.y_val)
    return {"y_true": split.y_val.astype(np.int64), "probs": probs, "run_seeds": np.arange(seed, seed + runs),
            "wrong_index": wrong, "wrong_image": np.round(split.x_val[wrong] * 255).astype(np.uint8),
            "train_rows": train, "test_rows": test, "hidden": hidden, "epochs": epochs, "batch": batch, "lr": lr}


@experiment("metrics/diabetes", seed=20,
            full={"train": 342, "test": 100, "hidden": [32, 16], "epochs": 20, "batch": 32, "lr": 0.002, "runs": 10},
            smoke={"train": 342, "test": 100, "hidden": [16], "epochs": 15, "batch": 32, "lr": 0.005, "runs": 3},
            title="A regression network on scikit-learn's diabetes data, scored on held-out patients")
def diabetes(train: int, test: int, hidden: list[int], epochs: int, batch: int, lr: float, runs: int,
             seed: int) -> dict:
    """Predicted disease progression for the held-out rows from `runs` trainings (one per initial draw).

    Inputs and target are standardised with the training rows' mean and spread; predictions are
    turned back into the target's own units.
    """
    _, keras = tensorflow()
    split = data.regression(train, test, seed)
    x_mean, x_std = split.x_train.mean(axis=0), split.x_train.std(axis=0)
    y_mean, y_std = float(split.y_train.mean()), float(split.y_train.std())
    x_train, x_test = (split.x_train - x_mean) / x_std, (split.x_val - x_mean) / x_std
    preds = []
    for run in range(runs):
        keras.utils.set_random_seed(seed + run)
        model = dense_classifier(tuple(hidden), inputs=x_train.shape[1], classes=1, output="linear")
        model.compile(keras.optimizers.Adam(lr), "mse", steps_per_execution=STEPS_PER_CALL)
        _fit(model, x_train, (split.y_train - y_mean) / y_std, epochs, batch, seed + run)
        preds.append(model.predict(x_test, batch_size=512, verbose=0)[:, 0] * y_std + y_mean)
    return {"y_true": split.y_val.astype(np.float32), "preds": np.array(preds, dtype=np.float32),
            "train_mean": y_mean, "run_seeds": np.arange(seed, seed + runs), "train_rows": train, "test_rows": test,
            "hidden": hidden, "epochs": epochs, "batch": batch, "lr": lr}
