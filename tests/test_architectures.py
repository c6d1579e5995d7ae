"""The architectures experiments, run for real in the smoke profile: shapes, ranges, and the building blocks."""

from __future__ import annotations

import numpy as np

from nnbook.experiments.architectures import ring, shifted
from nnbook.figures.architectures import mode_counts, modes_covered


def test_vision_runs_every_family_and_seed(smoke_book):
    r = smoke_book.result("architectures/vision").values
    configs, seeds = len(r["families"]), r["seeds"]
    assert set(r["families"]) == {"mlp", "cnn"}
    assert r["accuracy"].shape == (configs, seeds)
    assert r["shift_accuracy"].shape == (configs, seeds, len(r["shifts"]))
    assert np.array_equal(r["accuracy"], r["shift_accuracy"][:, :, 0]), "shift 0 is the plain validation accuracy"
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


def test_ring_and_mode_counting():
    rng = np.random.default_rng(0)
    points = ring(800, 8, 2.0, 0.05, rng)
    assert np.allclose(np.linalg.norm(points, axis=1).mean(), 2.0, atol=0.05)
    r = {"modes": 8, "radius": 2.0, "spread": 0.05, "fake": points[None]}
    counts, off = mode_counts(r)
    assert counts.sum() + off.sum() == 800 and off[0] < 20
    assert modes_covered(r)[0] == 8
    collapsed = dict(r, fake=np.repeat(points[None, :1], 800, axis=1))
    assert modes_covered(collapsed)[0] == 1


def test_gan_trains_and_snapshots(smoke_book):
    r = smoke_book.result("architectures/gan").values
    n = len(r["snapshots"])
    assert r["fake"].shape == (n, r["real"].shape[0], 2)
    assert r["surface"].shape == (n, len(r["axis"]), len(r["axis"]))
    assert ((0 <= r["surface"]) & (r["surface"] <= 1)).all()
    assert r["losses"].shape == (int(r["snapshots"][-1]), 2) and np.isfinite(r["losses"]).all()
    assert not np.array_equal(r["fake"][0], r["fake"][-1]), "the generator moved"
