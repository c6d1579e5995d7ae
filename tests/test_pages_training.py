"""Smoke checks of the training page's experiments, and of the update rules it draws."""

from __future__ import annotations

import numpy as np

from nnbook import registry


def test_update_rules_match_keras_optimizers():
    from nnbook.backend import tensorflow

    registry.load()  # imports the experiment modules the way the book does
    from nnbook.experiments.training import _update_rule

    tf, keras = tensorflow()
    curvature = np.array([1.0, 20.0])
    keras_optimizers = {"SGD": lambda lr: keras.optimizers.SGD(lr),
                        "momentum": lambda lr: keras.optimizers.SGD(lr, momentum=0.9),
                        "Adam": lambda lr: keras.optimizers.Adam(lr)}
    for name, make in keras_optimizers.items():
        for lr in (0.02, 0.5):
            ours, step = np.array([-4.0, 2.0]), _update_rule(name, lr)
            theirs, optimizer = tf.Variable([-4.0, 2.0], dtype=tf.float64), make(lr)
            for _ in range(6):
                ours = step(ours, curvature * ours)
                optimizer.apply_gradients([(tf.constant(curvature) * theirs, theirs)])
            # Keras keeps the rate in float32: agreement to float32 precision
            assert np.allclose(ours, theirs.numpy(), rtol=1e-4, atol=1e-5), (name, lr, ours, theirs.numpy())


def test_descent_paths_diverge_only_where_theory_says(smoke_book):
    r = smoke_book.result("training/descent").values
    ravine, sgd = list(r["surfaces"]).index("ravine"), list(r["optimizers"]).index("SGD")
    limit = 2 / r["curvatures"][ravine][1]
    for k, lr in enumerate(r["rates"][sgd]):
        diverged = r["taken"][ravine, sgd, k] < r["steps"]
        steps = r["steps"]
        if lr < limit:
            assert not diverged
        elif steps >= 5 and lr > 2 * limit:
            assert diverged or np.abs(r["paths"][ravine, sgd, k, -1, 1]) > 2, "the y coordinate grows"


def test_momentum_diverges_only_above_its_limit(smoke_book):
    r = smoke_book.result("training/descent").values
    ravine, momentum, adam = (list(r["surfaces"]).index("ravine"),
                              *(list(r["optimizers"]).index(n) for n in ("momentum", "Adam")))
    limit = 2 * (1 + 0.9) / r["curvatures"][ravine][1]
    for k, lr in enumerate(r["rates"][momentum]):
        diverged = r["taken"][ravine, momentum, k] < r["steps"]
        if lr < limit:
            assert not diverged, lr
        elif lr > 2 * limit:
            assert diverged or np.abs(r["paths"][ravine, momentum, k, -1, 1]) > 2, lr
    assert (r["taken"][:, adam] == r["steps"]).all(), "Adam's bounded steps never run away"


def test_learning_rate_records_dead_units(smoke_book):
    r = smoke_book.result("training/learning-rate").values
    assert r["dead"].shape == r["loss"].shape == r["val_accuracy"].shape
    assert ((0 <= r["dead"]) & (r["dead"] <= 1)).all()
    assert (r["dead_start"] < 0.5).all(), "freshly initialised units are mostly alive"


def test_optimizer_grid_has_a_final_loss_per_rate_and_seed(smoke_book):
    r = smoke_book.result("training/optimizers").values
    for name in r["optimizers"]:
        final = r[f"final_{name}_{r['batches'][0]}"]
        assert np.isfinite(final).any() and (final[np.isfinite(final)] > 0).all()


def test_landscape_numpy_loss_matches_keras(smoke_book):
    r = smoke_book.result("training/landscape").values
    assert np.isclose(r["keras_end_loss"], r["path_loss"][-1], rtol=1e-3)
    assert 0 < r["explained"].sum() <= 1 + 1e-6
    assert ((0 < r["walk_explained"]) & (r["walk_explained"] <= 1 + 1e-6)).all()


def test_hand_computed_hidden_gradient_matches_the_tape(smoke_book):
    from nnbook.figures.training import _chain

    r = smoke_book.result("training/backprop").values
    assert np.isclose(sum(_chain(r, p)["d_w1_11"] for p in range(len(r["x"]))), r["dW1"][0, 0], atol=1e-6)
