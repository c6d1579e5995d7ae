"""The visualization experiments, run for real in the smoke profile: each technique obeys its definition."""

from __future__ import annotations

import numpy as np

from nnbook import registry
from nnbook.registry import Claim

registry.load()


def test_integrated_gradients_add_up_to_the_score_change(smoke_book):
    r = smoke_book.result("visualization/cnn").values
    gap, change = np.abs(r["ig_completeness_gap"]), np.abs(r["ig_score_gap"])
    assert gap.mean() < 0.1 * change.mean(), "completeness: attributions sum to score(digit) - score(black)"


def test_integrated_gradients_give_blank_pixels_nothing(smoke_book):
    r = smoke_book.result("visualization/cnn").values
    blank = r["shown_images"] == 0
    assert blank.any()
    assert np.all(r["saliency_integrated"][blank] == 0), "a pixel equal to the black baseline gets no credit"


def test_saliency_maps_have_the_shape_of_the_digits(smoke_book):
    r = smoke_book.result("visualization/cnn").values
    shown = r["shown_images"].shape
    for method in ("gradient", "smoothgrad", "integrated", "gradcam", "untrained"):
        assert r[f"saliency_{method}"].shape == shown
        assert np.abs(r[f"saliency_{method}"]).max() > 0, f"{method} map is empty"
        share = r[f"ink_share_{method}"]
        assert ((0 <= share) & (share <= 1)).all()
    assert not np.array_equal(r["saliency_gradient"], r["saliency_untrained"]), "training changed the gradient"


def test_covering_black_with_black_changes_nothing(smoke_book):
    r = smoke_book.result("visualization/cnn").values
    patch, starts = int(r["patch"]), r["occlusion_starts"]
    for d, image in enumerate(r["shown_images"]):
        for i, top in enumerate(starts):
            for j, left in enumerate(starts):
                if not image[top : top + patch, left : left + patch].any():
                    assert abs(r["occlusion"][d, i, j]) < 1e-6
    assert np.abs(r["occlusion"]).max() > 0, "covering ink changes the answer somewhere"


def test_feature_maps_are_relu_outputs_at_two_resolutions(smoke_book):
    r = smoke_book.result("visualization/cnn").values
    assert r["conv_1"].shape == (r["filters"][0], 28, 28)
    assert r["conv_2"].shape == (r["filters"][1], 14, 14)
    assert (r["conv_1"] >= 0).all() and (r["conv_2"] >= 0).all()
    assert np.allclose(r["shown_probs"].sum(axis=1), 1, atol=1e-5)


def test_training_separates_the_hidden_representations(smoke_book):
    r = smoke_book.result("visualization/cnn").values
    n = len(r["points_labels"])
    for name in ("pca_before", "pca_after", "tsne_before", "tsne_after"):
        assert r[name].shape == (n, 2) and r[name].dtype == np.float32
    assert np.mean(r["pred_after"] == r["points_labels"]) > np.mean(r["pred_before"] == r["points_labels"]) + 0.2
    assert r["nn_agreement_hidden_after"] > r["nn_agreement_hidden_before"]


def test_permutation_importance_has_one_entry_per_seed_feature_and_repeat(smoke_book):
    r = smoke_book.result("visualization/importance").values
    shape = (r["seeds"], len(r["features"]), r["repeats"])
    assert r["loss_rise"].shape == shape and r["accuracy_drop"].shape == shape
    assert (np.abs(r["accuracy_drop"]) <= 1).all()
    assert r["loss_rise"].max() > 0, "shuffling some feature hurts"
    assert r["kernel"].shape == (r["hidden"], len(r["features"]))
    assert r["kernels"].shape == (r["seeds"], r["hidden"], len(r["features"]))
    np.testing.assert_array_equal(r["kernels"][0], r["kernel"])
    corr = r["feature_correlation"]
    assert np.allclose(np.diag(corr), 1, atol=1e-5) and np.allclose(corr, corr.T, atol=1e-6)


def test_every_value_of_the_page_renders_from_the_smoke_results(smoke_book):
    """Claims may be false on two-epoch smoke runs (the build only logs them); they must still be checks."""
    for output in registry.OUTPUTS.values():
        if output.id.startswith("visualization/") and output.kind == "values":
            made = output.func(smoke_book.result(output.uses).values)
            assert all(isinstance(v, (str, Claim)) for v in made.values()), output.id
            assert all(isinstance(v.holds, bool) for v in made.values() if isinstance(v, Claim)), output.id


def test_every_seed_trains_and_the_pixel_baseline_is_fixed(smoke_book):
    r = smoke_book.result("visualization/cnn").values
    seeds = r["seeds"]
    assert len(r["seed_val_accuracy"]) == len(r["seed_acc_before"]) == seeds >= 2
    assert (r["seed_val_accuracy"] > r["seed_acc_before"] + 0.2).all(), "training helps every seed"
    assert len(set(r["seed_top_answer_count_before"].tolist() + r["seed_top_answer_before"].tolist())) > 1
    methods = len(r["attributions"])
    assert r["seed_ink_trained"].shape == r["seed_ink_untrained"].shape == (seeds, methods, r["stats"])
    assert r["seed_similarity"].shape == r["seed_similarity_other"].shape == (seeds, methods, r["stats"])
    assert (np.abs(r["seed_similarity"]) <= 1 + 1e-9).all()
    assert r["seed_deletion"].shape == (seeds, methods + 3, len(r["fractions"]))  # and the three control orders
    assert r["seed_deletion_auc"].shape == (seeds, methods + 3, r["stats"])
    for test in ("deletion", "insertion"):
        for kind in ("abs", "abs_untrained", "untrained"):
            assert r[f"seed_{test}_{kind}_auc"].shape == (seeds, methods, r["stats"])
    assert np.allclose(r["seed_deletion"][:, :, 0], r["seed_deletion"][:, :1, 0]), \
        "with nothing removed every ranking starts from the same probabilities"
    assert r["seed_insertion"].shape == r["seed_deletion"].shape
    assert r["seed_insertion_auc"].shape == r["seed_deletion_auc"].shape
    assert r["seed_insertion_untrained_auc"].shape == r["seed_deletion_untrained_auc"].shape
    assert np.allclose(r["seed_insertion"][:, :, 0], r["seed_insertion"][:, :1, 0]), \
        "with nothing inserted every ranking starts from the same black image"
    assert r["seed_probe_before"].shape == r["seed_probe_after"].shape == (seeds,)
    assert (r["seed_probe_after"] > r["seed_probe_before"]).all(), "training makes the hidden layer easier to read"
    assert r["tsne_perplexity"].shape == (len(r["perplexities"]), len(r["points_labels"]), 2)
    shown = int(r["pictured_seed"])
    assert np.isclose(r["val_accuracy"], r["seed_val_accuracy"][shown]), "the pictures show the pictured seed"
    share = r["seed_ink_trained"][:, list(r["attributions"]).index("gradient")].mean(-1)
    assert np.sum(share < share[shown]) == len(share) // 2 or np.sum(share > share[shown]) == len(share) // 2, \
        "the pictured seed is the median by its gradient's share on the ink"
    assert 0.5 < r["nn_agreement_pixels"] <= 1
    assert r["parameters"] == 8 * 9 + 8 + 16 * 8 * 9 + 16 + 7 * 7 * 16 * 32 + 32 + 32 * 10 + 10


def test_occlusion_log_drops_match_the_probability_drops(smoke_book):
    r = smoke_book.result("visualization/cnn").values
    label_prob = r["shown_probs"][np.arange(len(r["shown_labels"])), r["shown_labels"]][:, None, None]
    np.testing.assert_allclose(label_prob - label_prob * np.exp(-r["occlusion_log"]), r["occlusion"], atol=1e-4)


def test_figures_render_from_smoke_results(smoke_book):
    for output in registry.OUTPUTS.values():
        if output.id.startswith("visualization/") and output.kind == "figure":
            fig, (header, rows) = output.func(smoke_book.result(output.uses).values)
            assert fig.data and header and rows, output.id


def test_grad_cam_and_the_deletion_curve_by_their_definitions():
    from nnbook.backend import tensorflow
    from nnbook.experiments.visualization import (deletion_curve, grad_cam, insertion_curve, rank_similarity,
                                                   small_cnn)

    tf, _ = tensorflow()
    model = small_cnn((4, 4), 8)
    images = np.random.default_rng(0).random((3, 28, 28, 1)).astype(np.float32)
    classes = np.array([1, 2, 3])
    cam = grad_cam(model, images, classes)
    assert cam.shape == images.shape and (cam >= 0).all(), "Grad-CAM keeps the positive part, at the image's size"
    ranking = images.copy()
    curve = deletion_curve(model, images, classes, ranking, [0.0, 1.0])
    black = tf.nn.softmax(model(np.zeros_like(images))).numpy()[np.arange(3), classes]
    assert np.allclose(curve[1], black, atol=1e-5), "removing every pixel leaves a black image"
    inserted = insertion_curve(model, images, classes, ranking, [0.0, 1.0])
    whole = tf.nn.softmax(model(images)).numpy()[np.arange(3), classes]
    assert np.allclose(inserted[0], black, atol=1e-5), "inserting nothing leaves a black image"
    assert np.allclose(inserted[1], whole, atol=1e-5), "inserting every pixel gives the image back"
    half = insertion_curve(model, images, classes, ranking, [0.5])[0]
    kept = np.where(images >= np.median(images.reshape(3, -1), axis=1)[:, None, None, None], images, 0)
    assert np.allclose(half, tf.nn.softmax(model(kept)).numpy()[np.arange(3), classes], atol=1e-5), \
        "half inserted keeps the half ranked highest"
    tied = insertion_curve(model, images, classes, np.zeros_like(images), [0.5], tiebreak=-images)[0]
    assert np.allclose(tied, half, atol=1e-5), "pixels ranked equal are taken in the order of the tie-break"
    a = np.random.default_rng(1).random((2, 28, 28, 1))
    assert np.allclose(rank_similarity(a, a), 1) and np.allclose(rank_similarity(a, -a), 1), "absolute values"
    assert abs(rank_similarity(a, np.random.default_rng(2).random(a.shape)).mean()) < 0.1


def test_correlated_groups_join_twins_and_keep_loners_apart():
    from nnbook.experiments.visualization import correlated_groups

    rng = np.random.default_rng(0)
    base = rng.normal(size=(500, 2))
    x = np.column_stack([base[:, 0], base[:, 0] + 0.05 * rng.normal(size=500), base[:, 1]])
    groups = correlated_groups(x, 0.9)
    assert groups[0] == groups[1] != groups[2]


def test_the_deletion_controls_can_fail(smoke_book):
    """Brightness and the untrained network's maps are orders a map must beat; the claims that a method
    beats brightness carry the untrained maps as their natural control."""
    from nnbook.figures.visualization import FAITHFUL, order_controls

    r = smoke_book.result("visualization/cnn").values
    seeds, stats = int(r["seeds"]), int(r["stats"])
    assert list(r["rankings"])[-3:] == ["random", "brightness", "ink"]
    assert r["seed_deletion_auc"].shape == (seeds, len(r["rankings"]), stats)
    assert r["seed_deletion_untrained_auc"].shape == (seeds, len(r["attributions"]), stats)
    made = order_controls(r, "deletion") | order_controls(r, "insertion")
    for m in FAITHFUL:
        evidence = made[f"{m}-beats-brightness"].evidence
        assert evidence.control_name.endswith("untrained network") and evidence.control is not None
    assert "gradcam-beats-brightness" not in made and "gradcam-behind-brightness" in made
    assert "insertion-gradcam-beats-brightness" not in made and "insertion-gradcam-behind-brightness" in made
    for m in FAITHFUL:
        assert made[f"{m}-beats-ink"].evidence.control is not None, "the untrained maps must not beat the ink either"
    g, bright = list(r["rankings"]).index("gradient"), list(r["rankings"]).index("brightness")
    for test, sign in (("deletion", -1), ("insertion", 1)):  # deletion: a smaller area is better
        auc = r[f"seed_{test}_auc"]
        prefix = "" if test == "deletion" else "insertion-"
        evidence = made[f"{prefix}gradient-beats-brightness"].evidence
        assert np.isclose(evidence.statistic, sign * (auc[:, g].mean() - auc[:, bright].mean()), atol=1e-6), \
            "positive means the gradient's order is the better one"
        assert evidence.control is not None
    assert r["seed_smooth_floor"].shape == (seeds, stats) and (np.abs(r["seed_smooth_floor"]) <= 1 + 1e-9).all()


def test_deletion_and_integrated_similarity_are_reported_not_claimed(smoke_book):
    """A random order that deletes mostly blank pixels cannot fail as a control, and integrated gradients' blank
    pixels tie at zero in both maps: these comparisons are statistics on the page, not claims."""
    from nnbook.figures.visualization import cnn_values

    made = cnn_values(smoke_book.result("visualization/cnn").values)
    for key in ("deletion-gradient", "deletion-smoothgrad", "deletion-integrated", "deletion-gradcam",
                "integrated-similarity-test"):
        assert isinstance(made[key], str), key
    assert "integrated-less-random" not in made


def test_units_examples_and_built_inputs(smoke_book):
    """Dataset examples and activation maximisation: each shown unit's most active digits, in order, and an
    input kept between black and white that the ascent built for it."""
    from nnbook.figures.visualization import unit_values

    r = smoke_book.result("visualization/cnn").values
    units, top = r["unit_examples"].shape[:2]
    assert r["unit_examples"].shape == (units, top, 28, 28) and r["unit_synthesised"].shape == (units, 28, 28)
    assert ((0 <= r["unit_synthesised"]) & (r["unit_synthesised"] <= 1)).all()
    acts = r["unit_example_activations"]
    assert (np.diff(acts, axis=1) <= 1e-6).all(), "the examples come most active first"
    purity = r["seed_unit_purity_after"]
    assert purity.shape == (int(r["seeds"]), int(r["hidden"])) and ((1 / top - 1e-9 <= purity) & (purity <= 1)).all()
    assert unit_values(r)["units-purer"].evidence is not None
