"""The misconceptions experiments, run for real in the smoke profile, and their helpers."""

from __future__ import annotations

import numpy as np

from nnbook import data, registry

registry.load()  # before importing a topic module by hand: loading clears what modules registered earlier
from nnbook.experiments import misconceptions as m  # noqa: E402


def test_shift_moves_ink_and_blanks_the_border():
    image = np.zeros((1, 16), dtype=np.float32)
    image[0, 5] = 1.0  # row 1, column 1 of a 4x4 image
    right = m.shift_images(image, 4, 2, (0, 1)).reshape(4, 4)
    assert right[1, 3] == 1.0 and right.sum() == 1.0
    assert m.shift_images(image, 4, 3, (0, 1)).sum() == 0.0, "moved out of the frame"
    up = m.shift_images(image, 4, 1, (-1, 0)).reshape(4, 4)
    assert up[0, 1] == 1.0


def test_noisy_labels_are_wrong_exactly_where_replaced():
    y = np.arange(10).repeat(100)
    noisy = m.noisy_labels(y, 0.3, 10, seed=0)
    wrong = noisy != y
    assert 0.25 < wrong.mean() < 0.35
    assert ((0 <= noisy) & (noisy < 10)).all()
    assert (m.noisy_labels(y, 0.0, 10, seed=0) == y).all()


def test_ink_kept_counts_what_a_move_cuts_off():
    image = np.zeros((1, 16), dtype=np.float32)
    image[0, [5, 7]] = 1.0  # row 1: columns 1 and 3 of a 4x4 image
    assert m.ink_kept(image, 4, 1, (0, -1))[0] == 1.0, "moved left by one, both pixels stay"
    assert m.ink_kept(image, 4, 1, (0, 1))[0] == 0.5, "moved right by one, column 3 falls off"
    assert m.ink_kept(np.zeros((1, 16), np.float32), 4, 2, (0, 1))[0] == 1.0, "a blank image loses nothing"


def test_the_shortcut_mark_sits_where_no_digit_has_ink():
    split = data.digits(seed=0)
    inked = (split.x_train[:, m.SHORTCUT_PIXELS] > 0).mean(0)
    assert inked.max() < 0.01, "the mark's pixels are blank in all but a handful of training digits"
    marked = m.with_mark(split.x_train[:10], np.arange(10))
    changed = np.flatnonzero((marked != split.x_train[:10]).any(0))
    assert np.array_equal(np.sort(changed), np.sort(m.SHORTCUT_PIXELS)), "one pixel per class"
    assert len(set(m.SHORTCUT_PIXELS.tolist())) == 10


def test_parallel_runs_do_not_influence_each_other():
    """Run 0 trains the same whether run 1 sees right labels or shuffled ones."""
    split = data.digits(seed=0)
    finals = []
    for other in (split.y_train, np.random.default_rng(1).permutation(split.y_train)):
        model = m.parallel_classifier(2, 64, 8, 10, [0, 1])
        m.train_parallel(model, [200, 200], split.x_train, np.stack([split.y_train, other]), 20, 16, 0.01, 0)
        finals.append(model.get_layer("hidden").kernel.numpy()[0])
    np.testing.assert_allclose(finals[0], finals[1], atol=1e-6)


def test_robustness_results(smoke_book):
    r = smoke_book.result("misconceptions/robustness").values
    seeds = r["seeds"]
    assert r["shift_accuracy"].shape == (seeds, len(r["shifts"]), 4)
    assert r["noise_accuracy"].shape == (seeds, len(r["sigmas"]))
    clean = r["shift_accuracy"][:, 0].mean(-1)
    assert (clean > 0.6).all(), "well above chance on unchanged digits"
    np.testing.assert_allclose(r["noise_accuracy"][:, 0], clean, atol=1e-6)  # σ = 0 and shift 0 are the same digits
    assert (r["shift_accuracy"][:, -1].mean(-1) < clean - 0.2).all(), "a large move hurts every seed"
    assert (r["flipped"][:, 0] == 0).all() and (r["flipped_random"][:, 0] == 0).all(), "ε = 0 changes nothing"
    assert (r["flipped"][:, -1] > r["flipped_random"][:, -1]).all(), "the gradient's sign beats a random sign"
    probs = r["example_probs"]
    np.testing.assert_allclose(probs.sum(-1), 1, atol=1e-5)
    assert probs[0].argmax() == r["example_label"] != probs[-1].argmax()
    assert np.abs(r["examples"][-1] - r["examples"][0]).max() <= r["show_eps"] + 1e-6
    assert ((0 <= r["background_share"]) & (r["background_share"] <= 1)).all()
    assert len(r["examples"]) == len(r["example_names"]) == len(probs) == 5
    # the shown digit is the most confident of those the attack flips: it is flipped, and confident
    assert r["flipped_count"] >= 1 and probs[0].max() > 0.5
    # clipped noise can only brighten blank pixels: by about sigma / sqrt(2 pi) on average
    assert abs(r["blank_brightening"] - r["example_sigma"] / np.sqrt(2 * np.pi)) < 0.02


def test_data_results(smoke_book):
    r = smoke_book.result("misconceptions/data").values
    seeds, sizes = r["seeds"], r["sizes"]
    assert r["size_accuracy"].shape == r["size_train_accuracy"].shape == (seeds, len(sizes))
    assert r["noise_accuracy"].shape == (seeds, len(r["noise"])) and r["noise"][0] == 0
    assert (r["size_accuracy"][:, -1] > r["size_accuracy"][:, 0]).all(), "more rows, better accuracy"
    assert (r["noise_accuracy"][:, -1] < r["noise_accuracy"][:, 0]).all(), "more wrong labels, worse accuracy"
    np.testing.assert_array_equal(r["noise_accuracy"][:, 0], r["size_accuracy"][:, list(sizes).index(r["noise_rows"])])
    memorised, train = r["wrong_labels_memorised"], r["noise_train_accuracy"]
    assert memorised.shape == train.shape == r["noise_accuracy"].shape
    assert (memorised[:, 0] == 0).all() and ((0 <= memorised) & (memorised <= 1)).all()
    # against its own labels, a run cannot beat the share of right labels by more than what it memorised
    noise = r["noise"][None, 1:]
    assert (train[:, 1:] <= (1 - noise) + noise * memorised[:, 1:] + 0.05).all()
    assert (train[:, -1] < train[:, 0]).all(), "wrong labels cannot all be learned in the same steps"
    y, (seven, one) = r["val_labels"], r["systematic"]
    assert r["size_correct"].shape == (seeds, len(sizes), len(y)) and r["noise_correct"].shape[1] == len(r["noise"])
    np.testing.assert_allclose(r["size_correct"].mean(-1), r["size_accuracy"], atol=1e-6)
    np.testing.assert_array_equal(r["shortcut_answers"][0], r["systematic_answers"][0]), "the same plain runs"
    sevens_as_one = (r["systematic_answers"][:, :, y == seven] == one).mean(-1)
    assert (sevens_as_one[1] > sevens_as_one[0] + 0.3).all(), "every 7 labelled 1 is learned"
    misled = (r["misled_answers"] == y).mean(-1)
    assert (misled[1] < misled[0]).all(), "a misleading mark fools the network that learned the shortcut"
