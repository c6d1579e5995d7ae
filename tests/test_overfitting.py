"""The overfitting experiments, run for real in the smoke profile: shapes, sane values, and the helpers."""

from __future__ import annotations

import numpy as np
import pytest

from nnbook.data import Split
from nnbook.experiments.overfitting import (CURES, Trainer, mlp, noisy_labels, parameter_count, shifted,
                                           silent_units)
from nnbook.figures.overfitting import capacity_picks, cure_outcomes, gains


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
    assert r["val_correct"].shape == r["val_confidence"].shape == (widths, seeds, r["val_rows"])
    assert np.allclose(r["val_correct"].mean(2), r["val_accuracy"][:, :, -1], atol=1e-6), \
        "the stored answers are the final networks' answers"
    assert ((0.1 <= r["val_confidence"]) & (r["val_confidence"] <= 1)).all(), "the top of ten probabilities"
    assert r["long"].shape == (seeds, len(r["long_epochs"]), 4)
    assert r["long_epochs"][0] == len(r["epoch"]) - 1
    assert np.allclose(r["long"][:, 0, 0], r["loss"][0, :, -1], atol=1e-4), \
        "the long run's first checkpoint is the sweep's smallest network at its last epoch"
    assert r["long"][:, -1, 0].mean() < r["long"][:, 0, 0].mean(), "training on lowers the training loss"


def test_silent_units_are_the_ones_zero_on_every_input():
    x = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    first = np.array([[1.0, -1.0, 0.0], [1.0, -1.0, 1.0]], np.float32)  # unit 1 is negative on both rows
    second = np.array([[1.0, -1.0], [0.0, -1.0], [0.0, -1.0]], np.float32)  # unit 1 of layer 2 never fires
    weights = [first, np.zeros(3, np.float32), second, np.zeros(2, np.float32), np.ones((2, 10)), np.zeros(10)]
    assert silent_units(weights, x) == [1, 1]
    assert silent_units([first, np.full(3, 2.0, np.float32), np.ones((3, 10)), np.zeros(10)], x) == [0]


def test_the_plateau_run_keeps_its_checkpoints_and_answers(smoke_book):
    r = smoke_book.result("overfitting/plateau").values
    for name in ("small", "large"):
        assert r[f"{name}_loss"].shape == (r["seeds"], len(r[f"{name}_epochs"]))
        assert r[f"{name}_epochs"][0] == 0 and np.all(np.diff(r[f"{name}_epochs"]) > 0)
        assert np.allclose(r[f"{name}_val_correct"].mean(1), r[f"{name}_val_accuracy"][:, -1], atol=1e-6), \
            "the stored answers are the final networks' answers"
        assert (r[f"{name}_loss"][:, -1] < r[f"{name}_loss"][:, 0]).all(), "training lowers the training loss"
    assert r["small_epochs"][-1] > r["large_epochs"][-1], "the small network trains the longer"
    assert r["small_silent"].shape == (r["seeds"], len(r["small"]))
    assert r["large_loss"][:, -1].mean() < r["small_loss"][:, -1].mean(), "the large network fits its digits better"


def test_double_descent_fits_every_training_digit_from_the_threshold_on(smoke_book):
    r = smoke_book.result("overfitting/double-descent").values
    widths, n = r["widths"], r["train_rows"]
    assert n in widths and widths[0] < n < widths[-1], "the sweep crosses the threshold"
    assert r["test_error"].shape == (2, r["seeds"], len(widths))
    assert (r["train_error"][0][:, widths >= n] == 0).all(), "least squares interpolates once p >= n"
    assert (r["train_error"][0][:, widths < n] > 0).any(), "and cannot below it"
    assert (r["norm"][1] <= r["norm"][0] + 1e-9).all(), "the ridge readout is never larger than the least-norm one"
    at = int(np.flatnonzero(widths == n)[0])
    assert (r["test_error"][0][:, at] > r["test_error"][1][:, at]).all(), "the unpenalised fit is worst at p = n"


def test_reliability_bins_pool_confidence_and_correctness():
    from nnbook.figures.overfitting import reliability

    confidence = np.array([[0.95, 0.95, 0.55, 0.15]])
    correct = np.array([[True, False, True, False]])
    mean_conf, accuracy, count = reliability(confidence, correct)
    assert count.tolist() == [0, 1, 0, 0, 0, 1, 0, 0, 0, 2]
    assert accuracy[9] == 0.5 and accuracy[5] == 1 and np.isclose(mean_conf[9], 0.95)


def test_boundary_probabilities_and_l2(smoke_book):
    r = smoke_book.result("overfitting/boundary").values
    seeds = r["seeds"]
    assert r["prob"].shape == (2, len(r["frames"]), len(r["gy"]), len(r["gx"]))
    assert ((0 <= r["prob"]) & (r["prob"] <= 1)).all()
    assert r["metrics"].shape == (seeds, 2, len(r["frames"]), 4)
    assert np.array_equal(r["metrics"][:, 0, 0], r["metrics"][:, 1, 0]), "both runs start from the same weights"
    assert not np.array_equal(r["metrics"][0, 0, 0], r["metrics"][1, 0, 0]), "each seed draws its own start"
    assert r["metrics"][:, 0, -1, 1].mean() > 0.6, "the unregularised run learns the training points"
    assert r["val_true_prob"].shape == (seeds, 2, r["val_points"])
    assert np.allclose((r["val_true_prob"] > 0.5).mean(2), r["metrics"][:, :, -1, 3], atol=1e-6)
    assert r["sweep"].shape == (seeds, len(r["strengths"]), 4)
    assert r["strengths"][0] == 0 and np.all(np.diff(r["strengths"]) > 0)
    assert r["sweep"][:, -1, 0].mean() > r["sweep"][:, 0, 0].mean(), "the strongest penalty fits the points worse"


def test_cures_run_over_seeds_and_early_stopping_keeps_the_best(smoke_book):
    r = smoke_book.result("overfitting/cures").values
    assert list(r["cures"]) == list(CURES)
    assert r["val_loss"].shape == (len(CURES), r["seeds"], len(r["epoch"]))
    assert r["test_loss"].shape == r["test_accuracy"].shape == (len(CURES), r["seeds"])
    assert r["test_correct"].shape == r["test_example_loss"].shape == (len(CURES), r["seeds"], r["test_rows"])
    assert np.allclose(r["test_correct"].mean(2), r["test_accuracy"], atol=1e-6)
    assert np.allclose(r["test_example_loss"].mean(2), r["test_loss"], atol=1e-4)
    assert (r["loss"][:, :, -1] < r["loss"][:, :, 0]).all(), "every cure still trains"
    none, stopping = list(CURES).index("none"), list(CURES).index("early stopping")
    assert not np.array_equal(r["val_loss"][none, 0], r["val_loss"][none, 1]), "seeds differ"
    outcomes = cure_outcomes(r)
    for s in range(r["seeds"]):
        assert outcomes["early stopping"]["end_val_loss"][s] == r["val_loss"][none, s, : r["stop"][s] + 1].min()
    assert (r["kept"] <= r["stop"]).all()
    kept_early = r["kept"] < len(r["epoch"]) - 1
    assert np.all(r["test_loss"][stopping][kept_early] != r["test_loss"][none][kept_early]), \
        "early stopping is scored with the weights it kept, not the last ones"


def test_gains_are_paired_by_seed_and_signed_so_that_positive_is_better(smoke_book):
    r = smoke_book.result("overfitting/cures").values
    by_cure = gains(r, "test_loss")
    more = list(CURES).index("more data")
    assert np.allclose(by_cure["more data"], r["test_loss"][0] - r["test_loss"][more])
    assert np.allclose(gains(r, "test_acc")["L2"], r["test_accuracy"][1] - r["test_accuracy"][0])


def test_early_stopping_scores_the_weights_of_the_kept_epoch():
    """Scored on the validation set itself, the kept weights must give that epoch's validation metrics."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(60, 6)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    split = Split(x[:20], y[:20], x[20:], y[20:])
    trainer = Trainer(lambda: mlp((64,), 6, 2), 0.05)
    trainer.reset(0)
    run = trainer.fit(split, 60, patience=5, test=(split.x_val, split.y_val))
    assert run["kept"] < run["stop"] < 60, "this tiny set overfits and stops early"
    assert np.allclose(run["kept_test"], run["curves"][run["kept"], 2:], atol=1e-5)
    assert np.allclose(run["test"], run["curves"][-1, 2:], atol=1e-5)


@pytest.mark.parametrize("prefix", ["size", "noise"])
def test_data_quality_accuracies_are_fractions(smoke_book, prefix):
    r = smoke_book.result("overfitting/data").values
    settings = r["sizes"] if prefix == "size" else r["noise"]
    for part in ("val", "train"):
        acc = r[f"{prefix}_{part}_accuracy"]
        assert acc.shape == (r["seeds"], len(settings))
        assert ((0 <= acc) & (acc <= 1)).all()
    assert r[f"{prefix}_val_accuracy"].max() > 0.2, "better than chance on 10 classes"


def test_strength_sweep_scores_every_setting_on_every_seed(smoke_book):
    r = smoke_book.result("overfitting/strength").values
    for kind in ("l2", "dropout"):
        for name in ("val_loss", "val_accuracy", "test_loss", "test_accuracy"):
            assert r[f"{kind}_{name}"].shape == (r["seeds"], len(r[kind]))
    assert r["l2"][0] == 0 and r["dropout"][0] == 0
    assert np.allclose(r["l2_test_loss"][:, 0], r["dropout_test_loss"][:, 0]), "none of either is the same run"
    assert not np.allclose(r["l2_test_loss"][:, 0], r["l2_test_loss"][:, -1]), "the strength changes the result"
