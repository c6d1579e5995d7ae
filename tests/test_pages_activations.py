"""Smoke checks of the activations page's experiments: real training, numbers that can be wrong."""

from __future__ import annotations

import numpy as np


def test_boundaries_are_probabilities_on_a_grid(smoke_book):
    r = smoke_book.result("activations/boundaries").values
    grid = len(r["grid_x"])
    assert r["prob"].shape == (len(r["activations"]), grid, grid)
    assert ((0 <= r["prob"]) & (r["prob"] <= 1)).all()
    assert ((0 <= r["accuracy"]) & (r["accuracy"] <= 1)).all()
    assert r["accuracy"].shape[1] >= 2, "several seeds"


def test_initialisation_spreads_follow_the_theory(smoke_book):
    r = smoke_book.result("activations/init").values
    schemes = list(r["schemes"])
    tanh, relu = 0, 1
    small, glorot, he, large = (schemes.index(n) for n in ("normal, std 0.01", "Glorot uniform", "He normal",
                                                           "normal, std 1"))
    assert r["spread"].shape[2] >= 2, "several initial draws"
    assert not np.allclose(r["spread"][:, :, 0], r["spread"][:, :, 1]), "the draws differ from seed to seed"
    for act in (tanh, relu):
        spread = r["spread"][act, small]  # seed, layer
        assert (np.diff(spread, axis=1) < 0).all() and (spread[:, -1] < spread[:, 0] / 100).all(), "tiny weights"
    assert (r["spread"][relu, he, :, -1] > r["spread"][relu, glorot, :, -1]).all(), "He keeps more of ReLU's spread"
    assert (r["spread"][relu, large, :, -1] > 10 * r["spread"][relu, large, :, 0]).all(), "large weights blow ReLU up"
    assert (r["spread"][tanh] <= 1).all(), "tanh outputs lie in (-1, 1)"


def test_best_line_is_at_least_as_good_as_the_linear_network(smoke_book):
    r = smoke_book.result("activations/boundaries").values
    linear = list(r["activations"]).index("linear")
    assert 0.5 <= r["best_line"] <= 1
    assert (r["accuracy"][linear] <= r["best_line"] + 1e-6).all(), "no straight line beats the best one"


def test_relu_sums_fit_better_with_more_relus(smoke_book):
    r = smoke_book.result("activations/relu-sum").values
    assert r["fits"].shape == (len(r["counts"]), len(r["x"]))
    assert r["max_error"][-1] < r["max_error"][0] / 5, "many ReLUs follow the curve far better than one"


def test_training_runs_every_activation_from_several_seeds(smoke_book):
    r = smoke_book.result("activations/training").values
    names = list(r["activations"])
    sigmoid, centred, tanh = (names.index(n) for n in ("sigmoid", "sigmoid_centred", "tanh"))
    assert r["seeds"] >= 2 and not np.allclose(r["loss"][:, 0], r["loss"][:, 1]), "seeds differ"
    assert np.allclose(r["start_mean"][sigmoid], 0.5, atol=0.1), "sigmoid outputs sit near 0.5"
    assert (r["start_mean"][centred] < 0.2).all(), "sigmoid − ½ is centred"
    # the same draw and slope: sigmoid − ½ varies exactly as sigmoid does from image to image
    assert np.allclose(r["start_spread"][centred], r["start_spread"][sigmoid], rtol=1e-4)
    assert (r["start_spread"][sigmoid] < r["start_spread"][tanh]).all(), "sigmoid's slope is a quarter of tanh's"
    assert r["val_correct"].shape == (len(names), r["seeds"], r["val_rows"])
    assert np.allclose(r["val_correct"].mean(2), r["val_accuracy"][:, :, -1], atol=1e-6)


def test_vanishing_sigmoid_stays_at_a_uniform_guess(smoke_book):
    r = smoke_book.result("activations/vanishing").values
    sigmoid = r["loss"][0]
    assert np.abs(sigmoid[:, -1] - np.log(10)).max() < 0.3


def test_dead_units_are_tracked_per_unit(smoke_book):
    r = smoke_book.result("activations/dying").values
    runs, seeds, epochs, layers, units = r["dead_units"].shape
    assert (runs, epochs, layers) == (len(r["runs"]), len(r["epoch"]), 2) and seeds >= 2
    assert r["dead_units"][:, :, 0].mean() < 0.1, "almost no unit is dead before training"
    assert r["val_accuracy"].shape == (runs, seeds)
