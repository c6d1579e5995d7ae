"""The overfitting experiments, run for real in the smoke profile: shapes, sane values, and the helpers."""

from __future__ import annotations

import numpy as np
import pytest

from nnbook.experiments.overfitting import CURES, noisy_labels, parameter_count, shifted
from nnbook.figures.overfitting import capacity_picks, cure_outcomes


def test_shifted_moves_whole_images_by_at_most_one_pixel():
    rng = np.random.default_rng(0)
    image = np.zeros((5, 5), np.float32)
    image[2, 2] = 1.0
    out = shifted(np.repeat(image.reshape(1, -1), 50, 0), rng).reshape(-1, 5, 5)
    assert np.allclose(out.sum(axis=(1, 2)), 1.0), "a pixel away from the border is moved, never lost"
    positions = {tuple(np.argwhere(o)[0]) for o in out}
    assert positions <= {(2 + dy, 2 + dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)}
    assert len(positions) > 3, "the shifts vary"


def test_noisy_labels_change_about_the_asked_share():
    rng = np.random.default_rng(1)
    y = np.zeros(10_000, np.int64)
    noisy = noisy_labels(y, 0.5, 10, rng)
    assert 0.42 < np.mean(noisy != 0) < 0.48, "half redrawn, a tenth of those land on the right class again"
    assert np.array_equal(noisy_labels(y, 0.0, 10, rng), y)


def test_parameter_count_matches_keras():
    from nnbook.experiments.overfitting import mlp

    assert parameter_count((8, 8), 196, 10) == mlp((8, 8), 196, 10).count_params()


def test_capacity_sweep_trains_and_picks_three_networks(smoke_book):
    r = smoke_book.result("overfitting/capacity").values
    widths, seeds, epochs = len(r["widths"]), r["seeds"], len(r["epoch"])
    for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert r[name].shape == (widths, seeds, epochs)
    assert (r["loss"][:, :, -1] < r["loss"][:, :, 0]).all(), "every network's training loss falls"
    assert np.all(np.diff(r["params"]) > 0)
    assert r["loss"][-1, :, -1].mean() < r["loss"][0, :, -1].mean(), "the widest fits its training set best"
    assert set(capacity_picks(r)) == {"underfit", "good", "overfit"}


def test_boundary_probabilities_and_l2(smoke_book):
    r = smoke_book.result("overfitting/boundary").values
    assert r["prob"].shape == (2, len(r["frames"]), len(r["gy"]), len(r["gx"]))
    assert ((0 <= r["prob"]) & (r["prob"] <= 1)).all()
    assert np.array_equal(r["metrics"][0, 0], r["metrics"][1, 0]), "both runs start from the same weights"
    assert r["metrics"][0, -1, 1] > 0.6, "the unregularised run learns the training points"


def test_cures_run_over_seeds_and_early_stopping_keeps_the_best(smoke_book):
    r = smoke_book.result("overfitting/cures").values
    assert list(r["cures"]) == list(CURES)
    assert r["val_loss"].shape == (len(CURES), r["seeds"], len(r["epoch"]))
    assert (r["loss"][:, :, -1] < r["loss"][:, :, 0]).all(), "every cure still trains"
    none = list(CURES).index("none")
    assert not np.array_equal(r["val_loss"][none, 0], r["val_loss"][none, 1]), "seeds differ"
    outcomes = cure_outcomes(r)
    assert np.allclose(outcomes["early stopping"]["val_loss"], outcomes["none"]["best_val_loss"])
    assert (r["kept"] <= r["stop"]).all()


@pytest.mark.parametrize("prefix", ["size", "noise"])
def test_data_quality_accuracies_are_fractions(smoke_book, prefix):
    r = smoke_book.result("overfitting/data").values
    settings = r["sizes"] if prefix == "size" else r["noise"]
    for part in ("val", "train"):
        acc = r[f"{prefix}_{part}_accuracy"]
        assert acc.shape == (r["seeds"], len(settings))
        assert ((0 <= acc) & (acc <= 1)).all()
    assert r[f"{prefix}_val_accuracy"].max() > 0.2, "better than chance on 10 classes"
