"""The architectures experiments, run for real in the smoke profile: shapes, ranges, and the building blocks."""

from __future__ import annotations

import numpy as np

from nnbook.experiments.architectures import ink_lost, recall_task, ring, shifted
from nnbook.figures.architectures import mode_counts, modes_covered


def test_vision_runs_every_family_and_seed(smoke_book):
    r = smoke_book.result("architectures/vision").values
    configs, seeds = len(r["families"]), r["seeds"]
    assert set(r["families"]) == {"mlp", "cnn"}
    assert r["accuracy"].shape == (configs, seeds)
    assert r["shift_accuracy"].shape == (configs, seeds, len(r["shifts"]))
    assert r["correct"].shape == (configs, seeds, r["val_rows"]) and r["correct"].dtype == bool
    assert r["shift_correct"].shape == (configs, seeds, len(r["shifts"]), r["val_rows"])
    assert np.allclose(r["accuracy"], r["shift_accuracy"][:, :, 0]), "shift 0 is the plain validation accuracy"
    assert np.allclose(r["accuracy"], r["correct"].mean(axis=2)), "accuracy is the share of digits read right"
    assert r["shuffled_correct"].shape == (seeds, r["val_rows"])
    assert np.allclose(r["shuffled_accuracy"], r["shuffled_correct"].mean(axis=1))
    assert r["ink_lost"].shape == r["ink_cut"].shape == (len(r["shifts"]),) and r["ink_lost"][0] == 0
    assert ((0 <= r["shift_accuracy"]) & (r["shift_accuracy"] <= 1)).all()
    assert len(set(r["accuracy"][0].tolist())) == seeds, "each seed starts from its own weights"
    cnn = r["families"].index("cnn")
    assert r["params"][cnn] < r["params"][0], "the convolutional network shares its weights across the image"
    assert r["kernels"].shape == (r["sizes"][cnn], 5, 5)
    assert r["maps_1"].shape == (r["sizes"][cnn], 24, 24) and r["maps_2"].shape == (2 * r["sizes"][cnn], 10, 10)
    assert (r["maps_1"] >= 0).all(), "ReLU feature maps"


def test_shifted_moves_pixels_in_four_directions():
    image = np.zeros((1, 5, 5, 1), np.float32)
    image[0, 2, 2, 0] = 1
    moved = shifted(image, 1)[:, 0, :, :, 0]
    assert [tuple(np.argwhere(m)[0]) for m in moved] == [(2, 3), (2, 1), (3, 2), (1, 2)]
    assert np.array_equal(shifted(image, 0)[2], image)


def test_ink_lost_counts_what_a_shift_pushes_off_the_image():
    image = np.zeros((1, 6, 6), np.float32)
    image[0, 2:4, 2:4] = 1  # a 2x2 blob with a two-pixel margin on every side
    lost = ink_lost(image, [0, 1, 2, 3, 4])[:, 0]
    assert np.allclose(lost[:3], 0), "up to the margin the digit is only moved"
    assert np.isclose(lost[3], 0.5) and np.isclose(lost[4], 1.0), "then a column or two per direction falls off"


def test_recall_task_targets_the_first_step():
    x, y = recall_task(50, 10, 4, np.random.default_rng(0))
    assert x.shape == (50, 10, 1) and (x[:, :5] == 0).all() and (np.abs(x[:, 5:]) == 1).all()
    assert np.array_equal(y[:, 0], (x[:, 5, 0] > 0).astype(np.float32))


def test_recurrent_cells_match_keras_layers():
    """The batched cells the memory experiment trains compute what keras.layers.SimpleRNN and LSTM compute."""
    from nnbook.backend import tensorflow
    from nnbook.experiments.architectures import _recurrent_init, recurrent_logits

    _, keras = tensorflow()
    x = np.random.default_rng(1).choice([-1.0, 1.0], (3, 7, 1)).astype(np.float32)
    for kind, layer in (("rnn", keras.layers.SimpleRNN), ("lstm", keras.layers.LSTM)):
        weights = _recurrent_init(kind, 4, seed=5)
        model = keras.Sequential([keras.Input((7, 1)), layer(4), keras.layers.Dense(1)])
        model.set_weights(weights)
        ours = recurrent_logits(kind, [w[None] for w in weights], x[None])[0][0]
        assert np.allclose(np.asarray(ours), model.predict(x, verbose=0), atol=1e-5), kind


def test_memory_learns_the_short_delay_and_records_gradients(smoke_book):
    r = smoke_book.result("architectures/memory").values
    shape = (len(r["delays"]), r["seeds"])
    for kind in r["kinds"]:
        assert r[f"{kind}_accuracy"].shape == shape
        assert r[f"{kind}_grad_before"].shape == shape + (r["length"],)
        assert (r[f"{kind}_grad_before"] > 0).all()
    assert r["lstm_params"] == 4 * (r["units"] * (r["units"] + 2)) + r["units"] + 1
    assert r["rnn_params"] == r["units"] * (r["units"] + 2) + r["units"] + 1


def test_ring_and_mode_counting():
    rng = np.random.default_rng(0)
    points = ring(800, 8, 2.0, 0.05, rng)
    assert np.allclose(np.linalg.norm(points, axis=1).mean(), 2.0, atol=0.05)
    r = {"modes": 8, "radius": 2.0, "spread": 0.05, "fake": points[None, None]}  # one seed, one snapshot
    counts, off = mode_counts(r, r["fake"])
    assert counts.shape == (1, 1, 8) and counts.sum() + off.sum() == 800 and off[0, 0] < 20
    assert modes_covered(r)[0, 0] == 8
    collapsed = dict(r, fake=np.repeat(points[None, None, :1], 800, axis=2))
    assert modes_covered(collapsed)[0, 0] == 1


def test_gan_trains_and_snapshots(smoke_book):
    r = smoke_book.result("architectures/gan").values
    n, seeds = len(r["snapshots"]), r["seeds"]
    assert r["fake"].shape == (seeds, n, r["real"].shape[0], 2)
    assert r["surface"].shape == (n, len(r["axis"]), len(r["axis"])), "the first seed's discriminator"
    assert ((0 <= r["surface"]) & (r["surface"] <= 1)).all()
    assert r["losses"].shape == (seeds, int(r["snapshots"][-1]), 2) and np.isfinite(r["losses"]).all()
    assert not np.array_equal(r["fake"][0, 0], r["fake"][0, -1]), "the generator moved"
    assert not np.array_equal(r["fake"][0], r["fake"][1]), "each seed trains its own pair of networks"
