"""Every experiment, run for real in the smoke profile: shapes and sane values."""

from __future__ import annotations

import numpy as np
import pytest

from nnbook import registry
from nnbook.book import Book

registry.load()


@pytest.mark.parametrize("experiment_id", sorted(registry.EXPERIMENTS))
def test_every_experiment_has_fresh_smoke_results(smoke_book, experiment_id):
    result = smoke_book.result(experiment_id)
    assert result.provenance["experiment"] == experiment_id
    assert result.provenance["profile"] == "smoke"
    for name, value in result.values.items():
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            assert np.isfinite(value).all(), f"{experiment_id}: {name} has non-finite values"


def test_activation_curves_match_their_definitions(smoke_book):
    r = smoke_book.result("activations/curves").values
    x = r["x"]
    assert np.allclose(r["relu"], np.maximum(x, 0))
    assert np.allclose(r["d_sigmoid"], r["sigmoid"] * (1 - r["sigmoid"]), atol=1e-6)
    assert np.allclose(r["d_tanh"], 1 - r["tanh"] ** 2, atol=1e-5)
    assert np.allclose(r["softmax"], 1 / (1 + 2 * np.exp(-x)), atol=1e-6)  # softmax of (x, 0, 0)
    assert r["d_sigmoid"].max() <= 0.25 + 1e-6
    assert np.allclose(r["silu"], x / (1 + np.exp(-x)), atol=1e-5)  # SiLU: x·sigmoid(x)
    assert np.allclose(r["gelu"][x > 4], x[x > 4], atol=1e-3) and np.all(r["gelu"][x < -4] > -1e-3)


def test_activation_training_learns(smoke_book):
    r = smoke_book.result("activations/training").values
    n, seeds, epochs = len(r["activations"]), r["seeds"], len(r["epoch"])
    for name in ("loss", "val_loss", "val_accuracy"):
        assert r[name].shape == (n, seeds, epochs)
    assert (r["loss"][:, :, -1] < r["loss"][:, :, 0]).all(), "training loss should fall for every activation"
    assert ((0 <= r["val_accuracy"]) & (r["val_accuracy"] <= 1)).all()
    assert r["val_accuracy"].max() > 0.2, "better than chance (0.1) on 10 classes"


def test_vanishing_gradients_shrink_towards_the_input_for_sigmoid(smoke_book):
    r = smoke_book.result("activations/vanishing").values
    assert r["grad_norm"].shape[::2] == (2, len(r["checkpoints"])) and r["grad_norm"].shape[3] == len(r["layer"])
    sigmoid = r["grad_norm"][0, :, 0]
    assert (sigmoid[:, 0] < sigmoid[:, -1] / 10).all()


def test_dead_unit_shares_are_fractions(smoke_book):
    r = smoke_book.result("activations/dying").values
    assert r["dead_units"].shape[0] == len(r["runs"]) and r["dead_units"].shape[2] == len(r["epoch"])
    assert r["dead_units"].dtype == bool


def test_same_seed_same_numbers(tmp_path, smoke_book):
    """A second run in a fresh store reproduces the stored results bit for bit."""
    again = Book(tmp_path, "smoke")
    for experiment_id in ("activations/curves", "activations/vanishing"):
        first, second = smoke_book.result(experiment_id).values, again.result(experiment_id).values
        for name, value in first.items():
            assert np.array_equal(np.asarray(value), np.asarray(second[name])), f"{experiment_id}: {name}"


def test_damaged_result_is_detected_and_recomputed(tmp_path):
    messages: list[str] = []
    book = Book(tmp_path, "smoke", log=messages.append)
    good = book.result("activations/curves")
    book.store.path("activations/curves", book.key("activations/curves")).write_bytes(b"not a zip file")
    assert any(p.startswith("activations/curves: damaged") for p in Book(tmp_path, "smoke").check())
    again = Book(tmp_path, "smoke", log=messages.append).result("activations/curves")
    assert any("damaged result, recomputing" in m for m in messages)
    assert np.array_equal(again["relu"], good["relu"])
    assert not any(p.startswith("activations/curves") for p in Book(tmp_path, "smoke").check())


def test_network_mlp_is_the_books_network(smoke_book):
    r = smoke_book.result("network/mlp").values
    assert r["units"] == [256, 128, 10] and r["activations"] == ["relu", "relu", "softmax"]
    assert r["params"] == [784 * 256 + 256, 256 * 128 + 128, 128 * 10 + 10] and r["total_params"] == 235_146
    for layer, weights in enumerate((784 * 256, 256 * 128, 128 * 10)):
        assert (r[f"hist_counts_{layer}"].sum(axis=1) == weights).all(), "every weight in every epoch's histogram"
    assert r["first_layer_change"].shape == (784, 256)
    assert np.allclose(r["digit_layer_2"].sum(axis=1), 1, atol=1e-5), "softmax outputs are probabilities"
    by_hand = (r["neuron_inputs"] * r["neuron_weights"]).sum() + r["neuron_rest"] + r["neuron_bias"]
    assert np.isclose(by_hand, r["neuron_sum"], atol=1e-4)
    assert np.isclose(max(0.0, r["neuron_sum"]), r["neuron_output"], atol=1e-4)
    assert r["loss"][-1] < r["loss"][0]


def test_backprop_gradients_follow_the_chain_rule(smoke_book):
    r = smoke_book.result("training/backprop").values
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    h = sig(r["x"] @ r["W1"] + r["b1"])
    y_hat = sig(h @ r["W2"] + r["b2"])
    dz2 = 2 * (y_hat - r["y"]) * y_hat * (1 - y_hat) / len(r["x"])
    dz1 = dz2 @ r["W2"].T * h * (1 - h)
    expected = {"dW2": h.T @ dz2, "db2": dz2.sum(0), "dW1": r["x"].T @ dz1, "db1": dz1.sum(0)}
    for name, grad in expected.items():
        assert np.allclose(r[name], grad, atol=1e-6), name
    for name in ("W1", "b1", "W2", "b2"):
        assert np.allclose(r[f"{name}_after"], r[name] - r["lr"] * r[f"d{name}"], atol=1e-6), name
    assert r["loss_after"] < r["loss"]


def test_learning_rates_and_optimizers(smoke_book):
    lr = smoke_book.result("training/learning-rate").values
    assert lr["loss"].shape == (3, lr["seeds"], len(lr["epoch"]))
    assert (lr["loss"][1, :, -1] < lr["loss"][1, :, 0]).all(), "the good rate learns"
    opt = smoke_book.result("training/optimizers").values
    small, large = opt["batches"]
    for name in opt["optimizers"]:
        assert opt[f"final_{name}_{small}"].shape == (len(opt[f"rates_{name}"]), opt["seeds"])
    assert opt[f"final_Adam_{large}"].shape == (len(opt["rates_Adam_large"]), opt["seeds"])


def test_landscape_plane_passes_through_the_trained_weights(smoke_book):
    r = smoke_book.result("training/landscape").values
    assert r["surface"].shape == (len(r["b"]), len(r["a"]))
    assert np.isclose(r["path_a"][-1], 0, atol=1e-4) and np.isclose(r["path_b"][-1], 0, atol=1e-4)
    assert np.isclose(r["projected_loss"][-1], r["path_loss"][-1], rtol=1e-4)
    assert r["path_loss"][-1] < r["path_loss"][0]
