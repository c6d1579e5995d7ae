"""The architectures experiments, run for real in the smoke profile: shapes, ranges, and the building blocks."""

from __future__ import annotations

import numpy as np

from nnbook.experiments.architectures import ink_lost, ink_summary, ring, shifted
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
    assert r["ink_lost"].shape == r["ink_cut"].shape == r["ink_lost_max"].shape == (len(r["shifts"]),)
    assert r["ink_lost"][0] == 0 and r["digit_cut"].shape == (len(r["shifts"]), r["val_rows"])
    assert (r["ink_cut"] <= r["digit_cut"].mean(axis=1) + 1e-9).all(), "a digit is cut if any direction cuts it"
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
    lost = ink_lost(image, [0, 1, 2, 3, 4])[:, :, 0]  # shift, direction
    assert np.allclose(lost[:3], 0), "up to the margin the digit is only moved"
    assert np.allclose(lost[3], 0.5) and np.allclose(lost[4], 1.0), "then a column or two falls off, in every direction"
    off_centre = np.zeros((1, 6, 6), np.float32)
    off_centre[0, 2:4, 3:5] = 1  # one pixel from the right edge
    one = ink_lost(off_centre, [1])[0, :, 0]
    assert np.isclose(one[0], 0.0) and np.isclose(one[1], 0.0), "moved right or left by one it stays whole"
    assert np.isclose(ink_lost(off_centre, [2])[0, 0, 0], 0.5), "moved right by two it loses a column"
    summary = ink_summary(ink_lost(off_centre, [0, 2]))
    assert np.allclose(summary["ink_cut"], [0, 0.25]) and summary["digit_cut"].tolist() == [[False], [True]], \
        "one direction of four cuts it: a quarter of the shifted images, and the digit counts as cut"


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
