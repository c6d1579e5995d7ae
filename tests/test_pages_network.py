"""Smoke checks of what the network page adds to the book's network: node choice, ablations, the log."""

from __future__ import annotations

import numpy as np


def test_graph_pixels_are_the_most_often_inked(smoke_book):
    r = smoke_book.result("network/mlp").values
    chosen = r["graph_nodes_0"]
    assert len(chosen) == r["graph_size"]
    assert r["ink_share"][chosen].min() >= np.sort(r["ink_share"])[-len(chosen)]


def test_never_inked_pixels_keep_their_weights(smoke_book):
    r = smoke_book.result("network/mlp").values
    assert r["never_inked"] == int((r["ink_share"] == 0).sum()) > 0
    assert r["never_inked_max_change"] == 0


def test_ablations_and_log_are_measured_on_every_seed(smoke_book):
    r = smoke_book.result("network/mlp").values
    seeds, val, epochs = r["seeds"], r["val_rows"], len(r["epoch"])
    assert seeds >= 2
    for kind in ("full", "grown", "count", "norm", "grown_rescaled", "norm_rescaled"):
        correct = r[f"seeds_ablate_{kind}"]
        assert correct.shape == (seeds, val) and ((0 <= correct) & (correct <= 1)).all(), kind
    assert np.array_equal(r["seeds_ablate_full"], r["seeds_val_correct_end"]), "the full network is the trained one"
    # the norm-matched control removes at least the grown weights' share of the squared norm, hence
    # at least as many weights as there are grown ones
    assert (r["seeds_grown_norm_share"] > r["seeds_grown_share"]).all(), "the grown weights are the largest"
    for name in ("train_loss_end", "train_acc_end", "val_confidence", "val_loss_wrong", "val_loss_right"):
        assert r[name].shape == (epochs,) and r[f"seeds_{name}"].shape == (seeds, epochs)
        assert np.array_equal(r[name], r[f"seeds_{name}"][0]), "the page's run is the first seed"
    assert (r["mean_change"] > 0).all() and (r["mean_start"] > 0).all()


def test_training_accuracy_is_measured_after_training(smoke_book):
    r = smoke_book.result("network/mlp").values
    probs = r["seeds_val_conf_end"]
    assert ((0.1 <= probs) & (probs <= 1)).all(), "the top probability of ten is at least a tenth"
    assert np.isclose(r["seeds_val_correct_end"][0].mean(), r["val_accuracy"][-1], atol=1e-6)
    assert not np.array_equal(r["train_acc_end"], r["accuracy"]), "not Keras's epoch average"


def test_forward_digits_include_a_mistake_when_there_is_one(smoke_book):
    r = smoke_book.result("network/mlp").values
    guesses = r["digit_layer_2"].argmax(1)
    assert r["digit_ids"][0] == 0 and len(set(r["digit_ids"])) == len(r["digit_ids"])
    if r["val_accuracy"][-1] < 1:
        assert (guesses != r["digit_labels"]).any(), "the menu shows a wrong answer"


def test_rim_base_rate_and_rare_split_count_the_pixels_that_can_move(smoke_book):
    from nnbook.figures.network import numbers

    r = smoke_book.result("network/mlp").values
    made = numbers(r)
    movable = r["ink_share"] > 0
    assert int(made["movable"]) == 784 - r["never_inked"] == int(movable.sum())
    assert int(made["rim-movable"]) == int(made["rim-inked"])
    assert int(made["rarest-count"]) + int(made["rare-mid-count"]) == int(made["rare-count"])
    assert r["seeds_argmax_pixel"].shape == (r["seeds"], r["units"][0]) and (r["seeds_argmax_pixel"] < 784).all()
