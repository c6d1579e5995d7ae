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
    small, he, large = schemes.index("normal, std 0.01"), schemes.index("He normal"), schemes.index("normal, std 1")
    for act in (tanh, relu):
        spread = r["spread"][act, small]
        assert (np.diff(spread) < 0).all() and spread[-1] < spread[0] / 100, "tiny weights shrink the signal"
    assert 0.5 < r["spread"][relu, he, -1] / r["spread"][relu, he, 0] < 2, "He keeps ReLU's spread"
    assert r["spread"][relu, large, -1] > 10 * r["spread"][relu, large, 0], "large weights blow ReLU up"
    assert (r["spread"][tanh] <= 1).all(), "tanh outputs lie in (-1, 1)"


def test_training_runs_every_activation_from_several_seeds(smoke_book):
    r = smoke_book.result("activations/training").values
    sigmoid = r["activations"].index("sigmoid")
    assert r["seeds"] >= 2 and not np.allclose(r["loss"][:, 0], r["loss"][:, 1]), "seeds differ"
    others = np.delete(r["start_spread"], sigmoid, axis=0)
    assert (r["start_spread"][sigmoid] < others.min(0)).all(), "sigmoid outputs vary least before training"
    assert np.allclose(r["start_mean"][sigmoid], 0.5, atol=0.1), "sigmoid outputs sit near 0.5"


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
