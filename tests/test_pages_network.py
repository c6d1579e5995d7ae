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


def test_ablations_and_log_are_measured(smoke_book):
    r = smoke_book.result("network/mlp").values
    assert 0 <= r["ablate_grown"] <= 1 and r["ablate_random"].shape == (3,)
    assert r["grown_counts"].shape == (3,)
    epochs = len(r["epoch"])
    for name in ("train_loss_end", "val_confidence", "val_loss_wrong", "val_loss_right"):
        assert r[name].shape == (epochs,)
    assert (r["mean_change"] > 0).all() and (r["mean_start"] > 0).all()
