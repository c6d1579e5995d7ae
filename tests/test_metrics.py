"""The metrics page: its experiments in the smoke profile, and every metric the book computes
itself checked against scikit-learn on the same predictions."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as sk

from nnbook import registry
from nnbook.figures import metrics as m

registry.load()


@pytest.fixture(scope="module")
def digits(smoke_book) -> dict:
    return smoke_book.result("metrics/digits").values


@pytest.fixture(scope="module")
def diabetes(smoke_book) -> dict:
    return smoke_book.result("metrics/diabetes").values


def test_classifier_gives_probabilities_and_learns(digits):
    runs, n, classes = digits["probs"].shape
    assert runs == len(digits["run_seeds"]) >= 2 and classes == 10 and n == len(digits["y_true"])
    assert np.allclose(digits["probs"].sum(axis=2), 1, atol=1e-4)
    for cm in m.run_confusions(digits):
        assert m.accuracy(cm) > 0.3, "well above chance (0.1) on ten digits"


def test_stored_misread_images_are_the_first_runs_mistakes(digits):
    answered = digits["probs"][0].argmax(axis=1)
    assert np.array_equal(digits["wrong_index"], np.flatnonzero(answered != digits["y_true"]))
    assert digits["wrong_image"].shape == (len(digits["wrong_index"]), 784)
    assert digits["wrong_image"].dtype == np.uint8 and digits["wrong_image"].max() > 100


def test_classification_metrics_equal_sklearn(digits):
    y = digits["y_true"]
    for predicted in m.predictions(digits):
        cm = m.confusion(y, predicted)
        assert np.array_equal(cm, sk.confusion_matrix(y, predicted, labels=range(10)))
        assert m.accuracy(cm) == pytest.approx(sk.accuracy_score(y, predicted))
        scores = m.class_scores(cm)
        precision, recall, f1, support = sk.precision_recall_fscore_support(y, predicted, labels=range(10),
                                                                            zero_division=0)
        assert np.allclose(scores["precision"], precision) and np.allclose(scores["recall"], recall)
        assert np.allclose(scores["f1"], f1) and np.array_equal(scores["support"], support)
        for d in range(10):
            assert scores["accuracy"][d] == pytest.approx(sk.accuracy_score(y == d, predicted == d))
        for kind, averaged in m.averages(scores).items():
            expected = sk.precision_recall_fscore_support(y, predicted, average=kind, zero_division=0)
            assert [averaged[k] for k in ("precision", "recall", "f1")] == pytest.approx(expected[:3])


def test_curves_and_areas_equal_sklearn(digits):
    y, probs = digits["y_true"], digits["probs"][0]
    for d in range(10):
        positive, score = y == d, probs[:, d]
        fpr, tpr, thresholds = m.roc_curve(positive, score)
        sk_fpr, sk_tpr, sk_thresholds = sk.roc_curve(positive, score, drop_intermediate=False)
        assert np.allclose(fpr, sk_fpr) and np.allclose(tpr, sk_tpr)
        assert np.allclose(thresholds[1:], sk_thresholds[1:])
        assert m.auc(fpr, tpr) == pytest.approx(sk.roc_auc_score(positive, score))
        assert m.average_precision(positive, score) == pytest.approx(sk.average_precision_score(positive, score))
        precision, recall = m.pr_curve(positive, score)
        sk_precision, sk_recall, _ = sk.precision_recall_curve(positive, score, drop_intermediate=False)
        assert np.allclose(precision, sk_precision[::-1]) and np.allclose(recall, sk_recall[::-1])


def test_curves_on_the_drawing_grid_follow_the_exact_curves():
    rng = np.random.default_rng(0)
    positive = rng.random(400) < 0.2
    score = np.round(rng.random(400) * 0.7 + positive * 0.3, 3)
    fpr, tpr, _ = m.roc_curve(positive, score)
    grid_fpr, grid_tpr = m.roc_on_grid(fpr, tpr)
    for f, t in zip(grid_fpr, grid_tpr):
        assert t == tpr[fpr <= f].max()
    precision, recall = m.pr_curve(positive, score)
    grid_recall, grid_precision = m.pr_on_grid(precision, recall)
    for r_, p_ in zip(grid_recall[:-1], grid_precision[:-1]):
        assert p_ == precision[np.flatnonzero(recall >= r_)[0]]
    assert (grid_recall[-1], grid_precision[-1]) == (1.0, positive.mean()), "it ends at the share of positives"


def test_operating_points_equal_sklearn(digits):
    digit = m.hardest_digit(digits)
    positive, score = digits["y_true"] == digit, digits["probs"][0][:, digit]
    for point in m.operating_points(positive, score):
        predicted = score >= point["threshold"]
        tn, fp, fn, tp = sk.confusion_matrix(positive, predicted, labels=[False, True]).ravel()
        assert (point["TP"], point["FP"], point["FN"], point["TN"]) == (tp, fp, fn, tn)
        assert point["precision"] == pytest.approx(sk.precision_score(positive, predicted, zero_division=0))
        assert point["recall"] == pytest.approx(sk.recall_score(positive, predicted, zero_division=0))
        assert point["f1"] == pytest.approx(sk.f1_score(positive, predicted, zero_division=0))


def test_imbalanced_sets_make_the_digit_rare(digits):
    digit = m.hardest_digit(digits)
    rare = m.imbalanced_scores(digits, digit)
    assert rare["rare"] / rare["rows"] == pytest.approx(m.RARE_SHARE, abs=0.005)
    assert np.allclose(rare["baseline-accuracy"], 1 - rare["rare"] / rare["rows"])
    assert len(rare["f1"]) == len(digits["run_seeds"]) * m.DRAWS
    # accuracy minus the always-no baseline's is (TP - FP) / n: the arithmetic behind the crossover
    assert np.allclose(rare["accuracy"] - rare["baseline-accuracy"], (rare["TP"] - rare["FP"]) / rare["rows"])


def test_weighted_areas_equal_sklearn_with_sample_weights(digits):
    y, probs = digits["y_true"], digits["probs"][0]
    weight = np.random.default_rng(0).integers(0, 3, len(y)).astype(np.float64)  # a resample's counts
    for d in (0, m.hardest_digit(digits)):
        area, ap = m.weighted_auc_ap(m.ranked_once(y == d, probs[:, d]), weight)
        assert area == pytest.approx(sk.roc_auc_score(y == d, probs[:, d], sample_weight=weight))
        assert ap == pytest.approx(sk.average_precision_score(y == d, probs[:, d], sample_weight=weight))


def test_a_rare_set_scored_by_weights_equals_the_rows_themselves(digits):
    digit = m.hardest_digit(digits)
    y = digits["y_true"] == digit
    rows = np.arange(len(y))
    rare = m.rare_scores(digits, digit, 0.02, rows, 1, np.random.default_rng(3))
    rng = np.random.default_rng(3)  # the same draw, made by hand
    keep = rng.choice(rows[y], int(rare["rare"]), replace=False)
    subset = np.r_[rows[~y], keep]
    score = digits["probs"][0][subset, digit]
    assert rare["auc"][0, 0] == pytest.approx(sk.roc_auc_score(y[subset], score))
    assert rare["ap"][0, 0] == pytest.approx(sk.average_precision_score(y[subset], score))
    said = m.predictions(digits)[0][subset] == digit
    assert rare["precision"][0, 0] == pytest.approx(sk.precision_score(y[subset], said, zero_division=0))


def test_the_crossover_is_where_the_lead_changes_sign():
    shares = np.array([0.001, 0.01, 0.1])
    assert m.crossover(shares, np.array([-2.0, -1.0, 1.0])) == pytest.approx(np.sqrt(0.01 * 0.1))
    assert np.isnan(m.crossover(shares, np.array([1.0, 2.0, 3.0])))


def test_reliability_of_a_calibrated_and_an_overconfident_classifier():
    rng = np.random.default_rng(0)
    confidence = rng.uniform(0.3, 1.0, 20000)
    right = rng.random(20000) < confidence
    probs = np.zeros((20000, 10))
    probs[:, 0] = confidence
    probs[:, 1:] = ((1 - confidence) / 9)[:, None]
    y = np.where(right, 0, 1)
    assert m.reliability(y, probs)["ece"] < 0.02
    assert m.reliability(np.where(rng.random(20000) < confidence - 0.2, 0, 1), probs)["ece"] > 0.15
    assert m.log_loss(y, probs) == pytest.approx(sk.log_loss(y, probs, labels=range(10)), rel=1e-6)


def test_the_median_absolute_error_barely_moves_with_outliers():
    y, p = np.arange(100.0), np.arange(100.0) + 1
    wild = np.r_[y, [1e4] * 5], np.r_[p, [0.0] * 5]
    assert m.median_ae(*wild) == pytest.approx(1.0) and m.mae(*wild) > 100


def test_regression_predicts_in_the_targets_units(diabetes):
    y, preds = diabetes["y_true"], diabetes["preds"]
    assert preds.shape == (len(diabetes["run_seeds"]), len(y)) and np.isfinite(preds).all()
    assert abs(preds.mean() - y.mean()) < y.std(), "predictions are back on the target's scale"
    assert preds.std(axis=1).min() > 0, "the network does not predict a constant"


def test_regression_metrics_equal_sklearn(diabetes):
    y = diabetes["y_true"]
    for p in diabetes["preds"]:
        assert m.mse(y, p) == pytest.approx(sk.mean_squared_error(y, p), rel=1e-6)
        assert m.rmse(y, p) == pytest.approx(sk.root_mean_squared_error(y, p), rel=1e-6)
        assert m.mae(y, p) == pytest.approx(sk.mean_absolute_error(y, p), rel=1e-6)
        assert m.r2(y, p) == pytest.approx(sk.r2_score(y, p), rel=1e-5)


def test_outliers_raise_the_errors(diabetes):
    effects = m.outlier_effects(diabetes)
    clean = [m.mse(diabetes["y_true"], p) for p in diabetes["preds"]]
    assert np.allclose(effects["MSE"][0], np.array(clean)[:, None])
    for name in ("MSE", "RMSE", "MAE"):
        assert (effects[name][-1] > effects[name][0]).all()
    assert (effects["R²"][-1] < effects["R²"][0]).all()


def test_every_output_of_the_page_renders_from_smoke_results(smoke_book):
    for output_id in (o for o in registry.OUTPUTS if o.startswith("metrics/")):
        assert smoke_book.output(output_id)


def test_weighted_recall_is_accuracy(digits):
    for cm in m.run_confusions(digits):
        assert m.averages(m.class_scores(cm))["weighted"]["recall"] == pytest.approx(m.accuracy(cm))


def test_bootstrap_standard_error_of_accuracy_matches_the_binomial_formula(digits):
    se = m.class_scores_se(digits)
    p = m.accuracy(m.run_confusions(digits)[0])
    assert se["accuracy"] == pytest.approx(np.sqrt(p * (1 - p) / len(digits["y_true"])), rel=0.2)
    assert se["f1"].shape == (10,) and (se["f1"] > 0).all()


def test_rare_sets_keep_every_false_positive(digits):
    digit = m.hardest_digit(digits)
    rare = m.imbalanced_scores(digits, digit)
    full = [m.binary_counts(digits["y_true"] == digit, p == digit)["FP"] for p in m.predictions(digits)]
    assert np.array_equal(rare["FP"], np.repeat(full, m.DRAWS)), "all the negatives are kept"
    assert (rare["TP"] <= rare["rare"]).all()


def test_batched_class_scores_equal_one_resample_at_a_time(digits):
    rows = np.random.default_rng(0).integers(0, len(digits["y_true"]), (3, len(digits["y_true"])))
    batched = m.class_scores_on(digits)(rows)
    for k, row in enumerate(rows):
        for run, said in enumerate(m.predictions(digits)):
            one = m.class_scores(m.confusion(digits["y_true"][row], said[row]))
            assert np.allclose(batched["f1"][k, run], one["f1"])
            assert batched["macro-f1"][k, run] == pytest.approx(m.averages(one)["macro"]["f1"])


def test_residual_trends_of_a_calibrated_and_a_shrunk_prediction():
    rng = np.random.default_rng(0)
    signal = rng.normal(size=2000)
    y = signal + rng.normal(size=2000)
    calibrated = m.residual_trends({"y_true": y, "preds": signal[None]})
    assert abs(calibrated["with-prediction"][0]) < 0.05 and abs(calibrated["slope"][0] - 1) < 0.1
    assert calibrated["with-truth"][0] > 0.5, "regression to the mean: residuals rise with the true value"
    shrunk = m.residual_trends({"y_true": y, "preds": 0.5 * signal[None]})
    assert shrunk["with-prediction"][0] > 0.3 and shrunk["slope"][0] > 1.5


def test_one_against_the_rest_accuracy_is_above_f1_exactly_when_true_negatives_outnumber_true_positives():
    # the arithmetic the page states as a fact: accuracy 1 − e/N against F1 1 − e/(2 TP + e), e = FP + FN
    rng = np.random.default_rng(0)
    for _ in range(200):
        tp, fp, fn, tn = rng.integers(1, 50, 4)
        acc, f1 = (tp + tn) / (tp + fp + fn + tn), 2 * tp / (2 * tp + fp + fn)
        assert (acc > f1) == (tn > tp) or np.isclose(acc, f1)


def test_the_most_frequent_mistakes_are_cut_at_the_largest_step(digits):
    found = m.top_pairs_values(digits, np.array(m.run_confusions(digits)))
    shown = int(found["pairs-count"])
    ranked = m.confused_pairs(np.round(10 * np.mean(m.run_confusions(digits), axis=0)).astype(int))
    means = np.array([c for *_, c in ranked]) / 10
    steps = means[1:-1] - means[2:]
    assert shown >= 2 and steps[shown - 2] == steps.max()
    assert found["pairs-list"].count("read as") == shown


def test_the_fall_of_average_precision_is_tested_on_the_draws_the_page_states(digits):
    found = m.imbalance_values(digits)
    digit = m.hardest_digit(digits)
    rare = m.imbalanced_scores(digits, digit)
    per_seed = np.array(found["ap-falls"].evidence.per_seed)
    # the test's rare sets are the page's: its per-seed rare AP is the page's, draw for draw
    assert found["rare-ap"] == f"{rare['ap'].mean():.2f}"
    stated = float(found["balanced-ap"]) - float(found["rare-ap"])
    assert abs(per_seed.mean() - stated) <= 0.01 + 1e-9
