"""Figures, tables and values for the page on metrics.

Every metric is computed here with NumPy from the stored predictions (the tests check each
one against scikit-learn), so the page can show exactly how a number is made.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nnbook.figures.style import Table, color, pct, strong, tidy
from nnbook.evidence import exact_interval, fact, resampled, t_quantile
from nnbook.registry import figure, table, values

EXTRA_COLORS = ("#bcbd22", "#17becf")  # a 9th and 10th colour, for ten digit classes
THRESHOLDS = (0.001, 0.003, 0.01, 0.03, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99,
              0.997, 0.999)
RARE_SHARE = 0.01  # the rare class's share of the imbalanced test set the page reads
SHARES = (0.002, 0.004, 0.006, 0.008, 0.01, 0.012, 0.015, 0.02, 0.03, 0.05)  # the rare class's shares swept
DRAWS = 20  # random draws (of the rare rows kept, of the rows made outliers) per trained model
OUTLIER_COUNTS = (0, 1, 2, 3, 5, 10)
OUTLIER_SHIFT = 4.0  # an outlier's recorded target is off by this many standard deviations of the target
PAIRS_SHOWN, EXAMPLES_PER_PAIR = 3, 4
BOOTSTRAP = 500  # resamples of the test rows for a test-set standard error
# the margins the sentences promise
AVERAGES_MARGIN = 0.005  # macro and weighted F1 agree within this on the held-out set
R2_MARGIN = 0.2  # the network's R² beats the baseline's by more than this
TILT_MARGIN = 0.3  # the residual's correlation with the true value exceeds this
AP_GAP_MARGIN = 0.01  # averaged over digits, average precision is below ROC AUC by more than this
PLATEAU_MARGIN = 0.02  # the thresholds said to give F1 near the best are within this of it


# -- classification metrics ----------------------------------------------------------------

def confusion(y_true: np.ndarray, y_pred: np.ndarray, classes: int = 10) -> np.ndarray:
    """Counts: row = true class, column = predicted class."""
    return np.bincount(y_true * classes + y_pred, minlength=classes * classes).reshape(classes, classes)


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a / b, and 0 where b is 0 (scikit-learn's convention for an undefined precision or recall)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.divide(a, b, out=np.zeros_like(a), where=b != 0)


def class_scores(cm: np.ndarray) -> dict[str, np.ndarray]:
    """Per class, one against the rest: support, accuracy, precision, recall and F1 (for a stack of
    confusion matrices too: the last two axes are true and predicted class)."""
    tp = np.diagonal(cm, axis1=-2, axis2=-1).astype(np.float64)
    predicted, actual = cm.sum(axis=-2), cm.sum(axis=-1)
    total = cm.sum(axis=(-2, -1))[..., None]
    fp, fn = predicted - tp, actual - tp
    precision, recall = _ratio(tp, predicted), _ratio(tp, actual)
    return {"support": actual, "accuracy": (total - fp - fn) / total, "precision": precision, "recall": recall,
            "f1": _ratio(2 * tp, 2 * tp + fp + fn)}


def _plain(x: np.ndarray) -> float | np.ndarray:
    return float(x) if np.ndim(x) == 0 else x


def averages(scores: dict[str, np.ndarray]) -> dict[str, dict[str, float | np.ndarray]]:
    """Macro (every class counts the same) and weighted (by support) averages of precision, recall, F1."""
    weights = scores["support"] / scores["support"].sum(axis=-1, keepdims=True)
    return {kind: {m: _plain(np.sum(scores[m] * w, axis=-1)) for m in ("precision", "recall", "f1")}
            for kind, w in (("macro", np.full_like(weights, 1 / weights.shape[-1])), ("weighted", weights))}


def accuracy(cm: np.ndarray) -> float:
    return float(np.trace(cm) / cm.sum())


def _ranked(y: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True and false positives when everything scoring at least each distinct score is called positive."""
    order = np.argsort(-score, kind="mergesort")
    score, y = score[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(score)), len(y) - 1]
    tps = np.cumsum(y)[last].astype(np.float64)
    return tps, 1.0 + last - tps, score[last]


def roc_curve(y: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """False positive rate, true positive rate and threshold, from the strictest threshold down."""
    tps, fps, thresholds = _ranked(y, score)
    tps, fps = np.r_[0.0, tps], np.r_[0.0, fps]
    return fps / fps[-1], tps / tps[-1], np.r_[np.inf, thresholds]


def auc(x: np.ndarray, y: np.ndarray) -> float:
    """Area under a curve by the trapezoid rule."""
    return float(np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2))


def pr_curve(y: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Precision and recall, from the strictest threshold down, starting at (recall 0, precision 1)."""
    tps, fps, _ = _ranked(y, score)
    return np.r_[1.0, tps / (tps + fps)], np.r_[0.0, tps / tps[-1]]


def average_precision(y: np.ndarray, score: np.ndarray) -> float:
    """The area under the precision-recall steps: precision at each threshold times the recall it adds."""
    precision, recall = pr_curve(y, score)
    return float(np.sum(np.diff(recall) * precision[1:]))


GRID = np.unique(np.r_[np.linspace(0, 0.1, 101), np.linspace(0.1, 0.9, 81), np.linspace(0.9, 1, 101)])  # dense
# at both ends, where ROC curves (low false positive rates) and precision-recall curves (high recall) bend


def roc_on_grid(fpr: np.ndarray, tpr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ROC step curve read at the false positive rates of GRID: the best recall reachable there."""
    return GRID, np.maximum.accumulate(tpr)[np.searchsorted(fpr, GRID, side="right") - 1]


def pr_on_grid(precision: np.ndarray, recall: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The precision-recall curve read at the recalls of GRID: precision where each recall is first reached,
    then the drop at full recall down to the lowest threshold, where everything is called positive and
    precision is the share of positives."""
    at_grid = precision[np.minimum(np.searchsorted(recall, GRID, side="left"), len(recall) - 1)]
    return np.r_[GRID, 1.0], np.r_[at_grid, precision[-1]]


def binary_counts(y: np.ndarray, predicted: np.ndarray) -> dict[str, int]:
    """The four cells of a yes/no confusion matrix."""
    y, predicted = y.astype(bool), predicted.astype(bool)
    return {"TP": int(np.sum(y & predicted)), "FP": int(np.sum(~y & predicted)),
            "FN": int(np.sum(y & ~predicted)), "TN": int(np.sum(~y & ~predicted))}


def binary_scores(y: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """Accuracy, precision, recall and F1 of a yes/no prediction (0 where undefined)."""
    c = binary_counts(y, predicted)
    return {"accuracy": (c["TP"] + c["TN"]) / len(y), "precision": float(_ratio(c["TP"], c["TP"] + c["FP"])),
            "recall": float(_ratio(c["TP"], c["TP"] + c["FN"])),
            "f1": float(_ratio(2 * c["TP"], 2 * c["TP"] + c["FP"] + c["FN"]))}


# -- regression metrics --------------------------------------------------------------------

def mse(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((np.asarray(y, np.float64) - p) ** 2))


def rmse(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.sqrt(mse(y, p)))


def mae(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean(np.abs(np.asarray(y, np.float64) - p)))


def r2(y: np.ndarray, p: np.ndarray) -> float:
    """1 − (squared error of the model) / (squared error of always predicting the mean of y)."""
    y = np.asarray(y, np.float64)
    return float(1 - np.sum((y - p) ** 2) / np.sum((y - y.mean()) ** 2))


REGRESSION_METRICS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {"MSE": mse, "RMSE": rmse, "MAE": mae,
                                                                             "R²": r2}
def median_ae(y: np.ndarray, p: np.ndarray) -> float:
    """The median absolute error: the size of the middle miss, which a few wild ones move far less than they move the mean."""
    return float(np.median(np.abs(np.asarray(y, np.float64) - p)))


OUTLIER_METRICS = REGRESSION_METRICS | {"median AE": median_ae}
REGRESSION_FORMATS: dict[str, Callable[[float], str]] = {"MSE": lambda v: f"{v:,.0f}", "RMSE": lambda v: f"{v:.0f}",
                                                         "MAE": lambda v: f"{v:.0f}", "R²": lambda v: f"{v:.2f}",
                                                         "median AE": lambda v: f"{v:.0f}"}


# -- reading the classifier's results ------------------------------------------------------

def _xy(xy: tuple[np.ndarray, np.ndarray]) -> dict[str, np.ndarray]:
    """A curve as trace coordinates, in float32 (half the bytes on the page)."""
    return {"x": xy[0].astype(np.float32), "y": xy[1].astype(np.float32)}


def class_color(k: int) -> str:
    return color(k) if k < 8 else EXTRA_COLORS[(k - 8) % len(EXTRA_COLORS)]


def predictions(r: dict) -> np.ndarray:
    """Predicted digit of every held-out image, per run: shape (runs, images)."""
    return r["probs"].argmax(axis=2)


def run_confusions(r: dict) -> list[np.ndarray]:
    return [confusion(r["y_true"], p) for p in predictions(r)]


def score_text(x: float) -> str:
    """A score between 0 and 1, to the two decimals a test set of this size supports."""
    return f"{float(x):.2f}"


def mean_sd(x: np.ndarray, fmt: Callable[[float], str] = score_text) -> str:
    """Mean ± standard deviation over runs (the sample standard deviation, n − 1)."""
    return f"{fmt(np.mean(x))} ± {fmt(np.std(x, ddof=1))}"


def bootstrap_se(statistic: Callable[[np.ndarray], float | np.ndarray], n: int) -> np.ndarray:
    """The test-set standard error of `statistic(rows)`: its spread over resamples (with replacement)
    of the n test rows. This is the luck of which examples ended up in the test set, which repeating
    the training on the same test set does not show."""
    rng = np.random.default_rng(0)
    return np.std([statistic(rng.integers(0, n, n)) for _ in range(BOOTSTRAP)], axis=0, ddof=1)


def class_scores_se(r: dict) -> dict[str, np.ndarray]:
    """Test-set standard errors of the first run's per-digit F1 and of its accuracy."""
    y, predicted = r["y_true"], predictions(r)[0]
    f1 = bootstrap_se(lambda rows: class_scores(confusion(y[rows], predicted[rows]))["f1"], len(y))
    acc = bootstrap_se(lambda rows: float(np.mean(y[rows] == predicted[rows])), len(y))
    return {"f1": f1, "accuracy": acc}


def confused_pairs(cm: np.ndarray) -> list[tuple[int, int, int]]:
    """(true, predicted, count) of the off-diagonal cells, most frequent first."""
    off = cm.copy()
    np.fill_diagonal(off, 0)
    order = np.argsort(-off, axis=None, kind="stable")
    return [(int(i // 10), int(i % 10), int(off.flat[i])) for i in order if off.flat[i] > 0]


def hardest_digit(r: dict) -> int:
    """The digit with the lowest F1, averaged over runs: the one the binary views single out."""
    return int(np.argmin(np.mean([class_scores(cm)["f1"] for cm in run_confusions(r)], axis=0)))


# -- the test set resampled, for the claims ---------------------------------------------------

def memo(compute: Callable[[np.ndarray], dict]) -> Callable[[np.ndarray], dict]:
    """`compute(rows)`, computed once per set of rows: the claims of a section share their resamples."""
    cache: dict[bytes, dict] = {}

    def get(rows: np.ndarray) -> dict:
        key = np.asarray(rows).tobytes()
        if key not in cache:
            cache[key] = compute(np.asarray(rows))
        return cache[key]
    return get


def row_weights(rows: np.ndarray, n: int) -> np.ndarray:
    """(resamples, n): how many times each of the n test rows is in each resample (a row of `rows`)."""
    k = len(rows)
    flat = (np.arange(k)[:, None] * n + rows).ravel()
    return np.bincount(flat, minlength=k * n).reshape(k, n).astype(np.float64)


def whole(rows: np.ndarray) -> bool:
    """The rows are the test set itself (one resample that is every row once), not a bootstrap."""
    return len(rows) == 1 and bool(np.array_equal(rows[0], np.arange(rows.shape[1])))


def ranked_once(y: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The order of `score` (highest first), the labels in that order, and the last row of each distinct score."""
    order = np.argsort(-score, kind="mergesort")
    ordered = score[order]
    return order, y[order].astype(np.float64), np.r_[np.flatnonzero(np.diff(ordered)), len(ordered) - 1]


def weighted_auc_ap(ranked: tuple[np.ndarray, np.ndarray, np.ndarray], weight: np.ndarray) -> tuple[float, float]:
    """ROC AUC and average precision when row i counts `weight[i]` times (0 leaves it out): a resample of
    the test rows, or a test set made of some of them, scored without sorting again."""
    order, y, last = ranked
    w = weight[order]
    tp, fp = np.cumsum(w * y)[last], np.cumsum(w * (1 - y))[last]
    tpr, fpr = np.r_[0.0, tp / tp[-1]], np.r_[0.0, fp / fp[-1]]
    precision = np.divide(tp, tp + fp, out=np.zeros_like(tp), where=tp + fp > 0)
    return auc(fpr, tpr), float(np.sum(np.diff(tpr) * precision))


def rare_scores(r: dict, digit: int, share: float, rows: np.ndarray, draws: int, rng: np.random.Generator,
                ranked: list | None = None) -> dict[str, np.ndarray]:
    """'Is it `digit`?' on test sets made of every negative among `rows` and a random few of its positives,
    so that positives are `share` of the set: each metric of the classifier (yes when its top answer is
    the digit) and of the always-no baseline, shaped (runs, draws); also the classifier's macro and weighted
    F1 over all ten digits there."""
    n, y = len(r["y_true"]), r["y_true"] == digit
    negatives, positives = np.bincount(rows[~y[rows]], minlength=n), rows[y[rows]]
    keep = max(1, round(share * negatives.sum() / (1 - share)))
    ranked = ranked or [ranked_once(y, p[:, digit]) for p in r["probs"]]
    answers = predictions(r)
    out = {k: np.zeros((len(answers), draws)) for k in ("accuracy", "baseline-accuracy", "precision", "recall", "f1",
                                                        "auc", "ap", "TP", "FP", "macro-f1", "weighted-f1")}
    for d in range(draws):
        w = negatives + np.bincount(rng.choice(positives, keep, replace=False), minlength=n)
        total, pos = w.sum(), w[y].sum()
        for run, said in enumerate(answers):
            yes = said == digit
            tp, fp = w[y & yes].sum(), w[~y & yes].sum()
            cm = np.bincount(r["y_true"] * 10 + said, weights=w, minlength=100).reshape(10, 10)
            both = averages(class_scores(cm))
            area, ap = weighted_auc_ap(ranked[run], w)
            for k, v in (("accuracy", 1 - (fp + pos - tp) / total), ("baseline-accuracy", 1 - pos / total),
                         ("precision", tp / (tp + fp) if tp + fp else 0.0), ("recall", tp / pos),
                         ("f1", 2 * tp / (tp + fp + pos)), ("auc", area), ("ap", ap), ("TP", tp), ("FP", fp),
                         ("macro-f1", both["macro"]["f1"]), ("weighted-f1", both["weighted"]["f1"])):
                out[k][run, d] = v
    return out | {"rare": np.array(keep), "rows": np.array(keep + negatives.sum())}


def imbalanced_scores(r: dict, digit: int) -> dict[str, np.ndarray]:
    """`rare_scores` at RARE_SHARE on the whole test set, flattened over runs and draws."""
    out = rare_scores(r, digit, RARE_SHARE, np.arange(len(r["y_true"])), DRAWS, np.random.default_rng(0))
    return {k: v.reshape(-1) if v.ndim else int(v) for k, v in out.items()}


def share_sweep(r: dict, digit: int) -> dict[str, np.ndarray]:
    """`rare_scores` at every share of SHARES: metric -> (shares, runs, draws). Each share draws from a
    generator of its own, started as `imbalanced_scores` starts it, so that at RARE_SHARE the sweep and
    the page read the same rare sets."""
    rows = np.arange(len(r["y_true"]))
    sweep = [rare_scores(r, digit, share, rows, DRAWS, np.random.default_rng(0)) for share in SHARES]
    return {k: np.array([s[k] for s in sweep]) for k in sweep[0]}


def crossover(shares: np.ndarray, lead: np.ndarray) -> float:
    """The share (interpolated on a log scale) at which the mean `lead` first turns from below 0 to above."""
    up = np.flatnonzero((lead[:-1] < 0) & (lead[1:] >= 0))
    if not len(up):
        return float("nan")
    i = int(up[0])
    x0, x1 = np.log(shares[i]), np.log(shares[i + 1])
    return float(np.exp(x0 + (x1 - x0) * -lead[i] / (lead[i + 1] - lead[i])))


# -- classifier figures and tables ---------------------------------------------------------

@figure("metrics/confusion", uses="metrics/digits",
        caption="Confusion matrix of the first trained run on the held-out MNIST digits: each row is the true "
                "digit, each column what the network answered, so the diagonal holds the correct answers. "
                "The menu switches between counts and each row as shares of that digit's images (the "
                "diagonal then reads as the recall of each digit). The colour scale ends at the largest mistake, "
                "so that mistakes stand out: every cell of the diagonal is beyond it.")
def confusion_figure(r: dict) -> tuple[go.Figure, Table]:
    cm = run_confusions(r)[0]
    shares = cm / cm.sum(axis=1, keepdims=True)
    mistakes = ~np.eye(10, dtype=bool)
    digits = [str(d) for d in range(10)]
    common = {"x": digits, "y": digits, "colorscale": "Blues", "xgap": 1, "ygap": 1}
    fig = go.Figure([
        go.Heatmap(z=cm.astype(np.float32), texttemplate="%{z:.0f}", name="counts",
                   hovertemplate="true %{y}, answered %{x}: %{z:.0f} images<extra></extra>",
                   colorbar={"title": {"text": "images"}}, zmin=0, zmax=float(cm[mistakes].max()), **common),
        go.Heatmap(z=shares.astype(np.float32), texttemplate="%{z:.0%}", name="row shares", visible=False,
                   hovertemplate="true %{y}, answered %{x}: %{z:.1%} of the true %{y}s<extra></extra>",
                   colorbar={"title": {"text": "share"}, "tickformat": ".0%"}, zmin=0,
                   zmax=float(shares[mistakes].max()), **common),
    ])
    buttons = [{"label": text, "method": "update", "args": [{"visible": [k == 0, k == 1]}]}
               for k, text in enumerate(("counts", "shares of each true digit"))]
    fig.update_layout(updatemenus=[{"name": "cells show", "buttons": buttons, "x": 1, "xanchor": "right", "y": 1.02, "yanchor": "bottom"}],
                      xaxis={"title": "the network's answer", "constrain": "domain", "type": "category"},
                      yaxis={"title": "true digit", "autorange": "reversed", "scaleanchor": "x", "type": "category"})
    header = ["true digit"] + [f"answered {d}" for d in digits]
    return tidy(fig, height=520, top=60), (header, [[d] + [str(c) for c in row] for d, row in zip(digits, cm)])


def misread_examples(r: dict) -> list[tuple[int, int, list[int]]]:
    """For the most confused pairs (true, answered), positions in `wrong_*` of up to a few examples."""
    answered = r["probs"][0].argmax(axis=1)[r["wrong_index"]]
    truth = r["y_true"][r["wrong_index"]]
    pairs = confused_pairs(run_confusions(r)[0])
    cut = pairs[min(PAIRS_SHOWN, len(pairs)) - 1][2]  # a pair tied with the last one shown is shown too
    return [(t, a, list(np.flatnonzero((truth == t) & (answered == a))[:EXAMPLES_PER_PAIR]))
            for t, a, c in pairs if c >= cut]


@figure("metrics/misread", uses="metrics/digits",
        caption="Held-out digits that the first run misread, for its most frequent confusions (its three largest "
                "counts, and any pair tied with the third; examples, not a ranking): each row is one confused pair, "
                "each image a real MNIST digit titled true digit → the network's answer (and the probability it "
                "gave that answer).")
def misread_figure(r: dict) -> tuple[go.Figure, Table]:
    examples = misread_examples(r)
    probs = r["probs"][0][r["wrong_index"]]
    titles, rows = [], []
    for t, a, positions in examples:
        for j in range(EXAMPLES_PER_PAIR):
            if j < len(positions):
                p = probs[positions[j], a]
                titles.append(f"{t} → {a} ({p:.0%})")
                rows.append([str(t), str(a), pct(p, 0), str(int(r["wrong_index"][positions[j]]))])
            else:
                titles.append("")
    fig = make_subplots(rows=len(examples), cols=EXAMPLES_PER_PAIR, subplot_titles=titles,
                        horizontal_spacing=0.03, vertical_spacing=0.08)
    for i, (t, a, positions) in enumerate(examples):
        for j, pos in enumerate(positions):
            image = r["wrong_image"][pos].reshape(28, 28).astype(np.float32) / 255
            fig.add_heatmap(z=image, colorscale="Greys", showscale=False, zmin=0, zmax=1, row=i + 1, col=j + 1,
                            hovertemplate=f"a {t} read as {a}<br>pixel (%{{x}}, %{{y}}): %{{z:.2f}}<extra></extra>")
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed")
    for k in range(1, len(examples) * EXAMPLES_PER_PAIR + 1):
        fig.update_yaxes(scaleanchor=f"x{k if k > 1 else ''}", row=(k - 1) // EXAMPLES_PER_PAIR + 1,
                         col=(k - 1) % EXAMPLES_PER_PAIR + 1)
    fig.update_annotations(font_size=12)
    table_ = (["true digit", "read as", "probability of the answer", "test image number"], rows)
    tidy(fig, height=170 * len(examples) + 60, top=40, bottom=10)
    return fig.update_layout(margin_l=10), table_


@table("metrics/class-scores", uses="metrics/digits",
       caption="Per-digit scores on the held-out digits, each digit taken as 'this digit' against 'any other', "
               "then averaged over digits: macro (each digit counts the same) and weighted (by its number of "
               "images). Mean ± standard deviation over the trained runs, which differ only in their initial "
               "weights and batch order: all are scored on the same test digits. Beside F1 is its test-set "
               "standard error for the first run (from resampling the test digits), the part of the luck the "
               "runs do not show.")
def class_scores_table(r: dict) -> Table:
    per_run = [class_scores(cm) for cm in run_confusions(r)]
    se = class_scores_se(r)
    header = ["digit", "F1", "F1 test-set SE", "precision", "recall", "accuracy (yes/no)", "images"]
    rows = [[str(d), mean_sd([s["f1"][d] for s in per_run]), score_text(se["f1"][d])]
            + [mean_sd([s[m][d] for s in per_run]) for m in ("precision", "recall", "accuracy")]
            + [str(int(per_run[0]["support"][d]))] for d in range(10)]
    avg = [averages(s) for s in per_run]
    total = str(int(per_run[0]["support"].sum()))
    for kind in ("macro", "weighted"):
        rows.append([strong(f"{kind} average"), mean_sd([a[kind]["f1"] for a in avg]), "",
                     *[mean_sd([a[kind][m] for a in avg]) for m in ("precision", "recall")], "", total])
    rows.append([strong("accuracy (all ten digits)"), "", "", "", "",
                 mean_sd([accuracy(cm) for cm in run_confusions(r)], pct), total])
    return header, rows


@figure("metrics/roc", uses="metrics/digits",
        caption="One digit against the rest, for each digit: the ROC curve (true positive rate against false "
                "positive rate as the threshold on the network's probability for that digit falls) and the "
                "precision-recall curve, for the first trained run. Pick a digit in the first menu to see its "
                "curves alone with their areas (AUC, and average precision AP; the data table lists them all); "
                "the second menu zooms into the corner where the curves differ.")
def roc_figure(r: dict) -> tuple[go.Figure, Table]:
    titles = ("ROC curves", "precision–recall curves")
    fig = make_subplots(rows=1, cols=2, subplot_titles=titles, horizontal_spacing=0.12)
    rows, choices = [], [("all digits", [True] * 21, titles)]
    for d in range(10):
        y, score = r["y_true"] == d, r["probs"][0][:, d]
        fpr, tpr, _ = roc_curve(y, score)
        precision, recall = pr_curve(y, score)
        area, ap = auc(fpr, tpr), average_precision(y, score)
        style = {"legendgroup": str(d), "name": str(d), "line": {"color": class_color(d), "width": 1.5},
                 "mode": "lines"}
        fig.add_scatter(**_xy(roc_on_grid(fpr, tpr)), row=1, col=1, **style,
                        hovertemplate=f"digit {d} (AUC {area:.2f})<br>false positive rate %{{x:.3f}}, "
                                      f"true positive rate %{{y:.3f}}<extra></extra>")
        fig.add_scatter(**_xy(pr_on_grid(precision, recall)), row=1, col=2, showlegend=False, **style,
                        hovertemplate=f"digit {d} (AP {ap:.2f})<br>recall %{{x:.3f}}, precision %{{y:.3f}}"
                                      "<extra></extra>")
        rows.append([str(d), score_text(area), score_text(ap)])
        choices.append((f"digit {d}", [k // 2 == d for k in range(20)] + [True],
                        (f"ROC of {d}: AUC {area:.2f}", f"precision–recall of {d}: AP {ap:.2f}")))
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line={"color": "#999", "dash": "dot", "width": 1},
                    name="chance", showlegend=False, hovertemplate="chance<extra></extra>", row=1, col=1)
    fig.update_xaxes(title_text="false positive rate", row=1, col=1)
    fig.update_yaxes(title_text="true positive rate", row=1, col=1)
    fig.update_xaxes(title_text="recall", row=1, col=2)
    fig.update_yaxes(title_text="precision", row=1, col=2)
    fig.update_xaxes(title_standoff=4)  # on a phone the legend moves below: keep the axis titles clear of it
    whole = {"xaxis.range": [0, 1], "yaxis.range": [0, 1.02], "xaxis2.range": [0, 1], "yaxis2.range": [0, 1.02]}
    corner = {"xaxis.range": [0, 0.1], "yaxis.range": [0.8, 1.005], "xaxis2.range": [0.8, 1.005],
              "yaxis2.range": [0.8, 1.005]}
    pick = [{"label": label, "method": "update",
             "args": [{"visible": mask}, {"annotations[0].text": a, "annotations[1].text": b}]}
            for label, mask, (a, b) in choices]
    zoom = [{"label": "whole curves", "method": "relayout", "args": [whole]},
            {"label": "zoom into the corner", "method": "relayout", "args": [corner]}]
    height, top, bottom = 560, 120, 60
    above = 1 + (top - 4) / (height - top - bottom)  # the top of the figure, in plot heights
    menu = {"x": 0, "xanchor": "left", "y": above, "yanchor": "top"}
    fig.update_layout(**{k.replace(".", "_"): v for k, v in whole.items()},
                      updatemenus=[menu | {"name": "curves shown", "buttons": pick},
                                   menu | {"name": "zoom", "buttons": zoom, "x": 0.3}])
    tidy(fig, height=height, top=top, bottom=bottom)
    fig.update_layout(legend={"title_text": "digit", "y": above - 46 / (height - top - bottom)})
    return fig, (["digit", "ROC AUC", "average precision"], rows)


def operating_points(y: np.ndarray, score: np.ndarray) -> list[dict[str, float]]:
    """At each threshold of THRESHOLDS: the four counts and the rates they give."""
    points = []
    for t in THRESHOLDS:
        predicted = score >= t
        c = binary_counts(y, predicted)
        points.append({"threshold": t, **c, **binary_scores(y, predicted),
                       "fpr": c["FP"] / (c["FP"] + c["TN"])})
    return points


def _operating_title(digit: int, p: dict[str, float]) -> str:
    return (f"'is it a {digit}?' yes if p({digit}) ≥ {p['threshold']:g}<br>"
            f"precision {p['precision']:.2f}, recall {p['recall']:.2f}, F1 {p['f1']:.2f}")


@figure("metrics/threshold", uses="metrics/digits",
        caption="One digit against the rest, as a yes/no question answered by comparing the network's "
                "probability for that digit with a threshold (first trained run). Move the slider: the "
                "operating point moves along the ROC and precision-recall curves, and the bars show the "
                "four counts of the yes/no confusion matrix at that threshold (on a log scale, so that a "
                "handful of false positives shows beside two thousand true negatives).")
def threshold_figure(r: dict) -> tuple[go.Figure, Table]:
    digit = hardest_digit(r)
    y, score = r["y_true"] == digit, r["probs"][0][:, digit]
    fpr, tpr, _ = roc_curve(y, score)
    precision, recall = pr_curve(y, score)
    points = operating_points(y, score)
    start = THRESHOLDS.index(0.5)
    fig = make_subplots(rows=1, cols=3, subplot_titles=("ROC", "precision–recall", "counts"),
                        horizontal_spacing=0.09, column_widths=[0.34, 0.34, 0.32])
    fig.add_scatter(**_xy(roc_on_grid(fpr, tpr)), mode="lines", line={"color": color(0)}, name="ROC",
                    row=1, col=1)
    fig.add_scatter(**_xy(pr_on_grid(precision, recall)), mode="lines", line={"color": color(0)},
                    name="precision-recall", row=1, col=2)
    marker = {"mode": "markers", "marker": {"color": color(3), "size": 12, "line": {"width": 1, "color": "white"}}}
    p = points[start]
    fig.add_scatter(x=[p["fpr"]], y=[p["recall"]], name="operating point", row=1, col=1, **marker)
    fig.add_scatter(x=[p["recall"]], y=[p["precision"]], name="operating point", row=1, col=2, **marker)
    cells = ["TP", "FP", "FN", "TN"]
    fig.add_bar(x=cells, y=[p[c] for c in cells], text=[p[c] for c in cells], textposition="outside",
                marker_color=[color(2), color(3), color(1), color(7)], name="counts", row=1, col=3)
    steps = [{"label": f"{q['threshold']:g}", "method": "update",
              "args": [{"x": [[q["fpr"]], [q["recall"]], cells], "y": [[q["recall"]], [q["precision"]],
                                                                      [q[c] for c in cells]],
                        "text": [None, None, [q[c] for c in cells]]},
                       {"title.text": _operating_title(digit, q)}, [2, 3, 4]]} for q in points]
    fig.update_layout(title={"text": _operating_title(digit, p), "x": 0, "xref": "paper", "font": {"size": 14}},
                      showlegend=False, sliders=[{"steps": steps, "active": start, "pad": {"t": 60},
                                "currentvalue": {"prefix": f"threshold on p({digit}): "}}])
    fig.update_xaxes(title_text="false positive rate", range=[0, 1], row=1, col=1)
    fig.update_yaxes(title_text="recall", range=[0, 1.05], row=1, col=1)
    fig.update_xaxes(title_text="recall", range=[0, 1], row=1, col=2)
    fig.update_yaxes(title_text="precision", range=[0, 1.05], row=1, col=2)
    fig.update_yaxes(type="log", dtick=1, range=[0, np.log10(len(y) * 1.6)], title_text="images (log scale)",
                     row=1, col=3)
    header = ["threshold", "TP", "FP", "FN", "TN", "precision", "recall", "F1"]
    rows = [[f"{q['threshold']:g}"] + [str(q[c]) for c in cells]
            + [score_text(q[m]) for m in ("precision", "recall", "f1")] for q in points]
    return tidy(fig, height=540, top=110, bottom=130), (header, rows)


def _band(fig: go.Figure, x: np.ndarray, samples: np.ndarray, name: str, k: int, col: int, fmt: str,
          dash: str = "solid") -> None:
    """Mean of `samples` (x, runs, draws) as a line, with a band holding the middle 90 % of runs and draws."""
    flat = samples.reshape(len(x), -1)
    low, high = np.percentile(flat, 5, axis=1), np.percentile(flat, 95, axis=1)
    fig.add_scatter(x=np.r_[x, x[::-1]], y=np.r_[high, low[::-1]], fill="toself", mode="lines", line={"width": 0},
                    fillcolor=color(k), opacity=0.18, hoverinfo="skip", showlegend=False, legendgroup=name,
                    row=1, col=col)
    fig.add_scatter(x=x, y=flat.mean(axis=1), mode="lines+markers", name=name, legendgroup=name,
                    line={"color": color(k), "dash": dash}, row=1, col=col,
                    hovertemplate=f"{name}: %{{y:{fmt}}} when %{{x:.1%}} are positive<extra></extra>")


@figure("metrics/imbalance", uses="metrics/digits",
        caption="'Is it this digit?' on test sets where the digit is rare: every other held-out digit, plus a "
                "random few of this one, so that it makes up the share on the horizontal axis (log scale). Left: "
                "how much the classifier's accuracy (yes when its top answer is the digit) exceeds that of a "
                "baseline that always says no. Right: the classifier's ROC AUC, average precision (AP) and F1; "
                "dotted, the AP of a score that knows nothing, which is the share of positives itself. Lines are "
                "means over the trained runs and random draws; the bands hold the middle 90 % of them.")
def imbalance_figure(r: dict) -> tuple[go.Figure, Table]:
    digit = hardest_digit(r)
    sweep = share_sweep(r, digit)
    x = np.array(SHARES)
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12, subplot_titles=(
        "accuracy: classifier minus always 'no'", "scores that see the rare digit"))
    _band(fig, x, 100 * (sweep["accuracy"] - sweep["baseline-accuracy"]), "accuracy lead (points)", 0, 1, ".2f")
    fig.add_hline(y=0, line={"color": "#888", "dash": "dot", "width": 1}, row=1, col=1)
    for k, (key, name) in enumerate((("auc", "ROC AUC"), ("ap", "average precision"), ("f1", "F1")), start=1):
        _band(fig, x, sweep[key], name, k, 2, ".3f")
    fig.add_scatter(x=x, y=x, mode="lines", line={"color": "#888", "dash": "dot", "width": 1},
                    name="AP of a blind score", hovertemplate="a blind score's AP: %{y:.1%}<extra></extra>",
                    row=1, col=2)
    for col in (1, 2):
        fig.update_xaxes(type="log", tickformat=".1%", tickvals=[0.002, 0.005, 0.01, 0.02, 0.05],
                         title_text=f"share of {digit}s in the test set (log)", row=1, col=col)
    fig.update_yaxes(title_text="points of accuracy", row=1, col=1)
    fig.update_yaxes(range=[0, 1.02], row=1, col=2)
    header = ["share of positives", "images", "accuracy lead (points)", "ROC AUC", "average precision", "F1"]
    rows = [[pct(share), f"{int(sweep['rows'][i]):,}",
             f"{100 * (sweep['accuracy'][i] - sweep['baseline-accuracy'][i]).mean():.2f}",
             *[f"{sweep[k][i].mean():.3f}" for k in ("auc", "ap", "f1")]] for i, share in enumerate(SHARES)]
    return tidy(fig, height=480, top=110), (header, rows)


CALIBRATION_MARGIN = 0.02  # how far mean probability and accuracy may differ for "they match"
CONFIDENCE_BINS = np.linspace(0.5, 1.0, 6)  # the top answer's probability, in bins of 0.1 from 0.5 up (below: one bin)


def log_loss(y: np.ndarray, probs: np.ndarray) -> float:
    """The mean of −log(probability given to the true class): the cross-entropy that training minimises."""
    return float(-np.mean(np.log(np.clip(probs[np.arange(len(y)), y].astype(np.float64), 1e-12, 1))))


def reliability(y: np.ndarray, probs: np.ndarray) -> dict[str, np.ndarray]:
    """Per bin of the top answer's probability: how many images, their mean probability and the share
    answered right; and the expected calibration error (the bins' gaps, weighted by their images)."""
    confidence, right = probs.max(axis=1).astype(np.float64), probs.argmax(axis=1) == y
    edges = np.r_[0.0, CONFIDENCE_BINS[1:-1], 1.0 + 1e-9]
    which = np.digitize(confidence, edges) - 1
    count = np.bincount(which, minlength=len(edges) - 1).astype(np.float64)
    mean_conf = np.bincount(which, confidence, len(edges) - 1) / np.maximum(count, 1)
    accuracy_ = np.bincount(which, right, len(edges) - 1) / np.maximum(count, 1)
    return {"count": count, "confidence": mean_conf, "accuracy": accuracy_,
            "ece": np.array(np.sum(count * np.abs(accuracy_ - mean_conf)) / len(y))}


@figure("metrics/calibration", uses="metrics/digits",
        caption="A reliability diagram: the held-out digits grouped by the probability the network gave its top "
                "answer (in bins a tenth wide, the lowest holding all below six tenths), with the share of each group it got right. On the dotted "
                "diagonal a probability means what it says. Light points: each trained run; line: all runs "
                "pooled. Hover shows how many images a group holds.")
def calibration_figure(r: dict) -> tuple[go.Figure, Table]:
    per_run = [reliability(r["y_true"], p) for p in r["probs"]]
    fig = go.Figure()
    fig.add_scatter(x=[0.3, 1], y=[0.3, 1], mode="lines", line={"color": "#888", "dash": "dot", "width": 1},
                    name="probability means what it says", hoverinfo="skip")
    for i, rel in enumerate(per_run):
        used = rel["count"] > 0
        fig.add_scatter(x=rel["confidence"][used], y=rel["accuracy"][used], mode="markers", showlegend=i == 0,
                        name="one trained run", legendgroup="runs", marker={"color": color(0), "opacity": 0.35},
                        customdata=rel["count"][used],
                        hovertemplate="mean probability %{x:.3f}, right %{y:.1%} of %{customdata:.0f} images"
                                      "<extra></extra>")
    count = np.sum([rel["count"] for rel in per_run], axis=0)
    mean_conf = np.sum([rel["count"] * rel["confidence"] for rel in per_run], axis=0) / np.maximum(count, 1)
    mean_acc = np.sum([rel["count"] * rel["accuracy"] for rel in per_run], axis=0) / np.maximum(count, 1)
    used = count > 0
    fig.add_scatter(x=mean_conf[used], y=mean_acc[used], mode="lines+markers", name="all runs",
                    line={"color": color(1)}, hovertemplate="mean probability %{x:.3f}, right %{y:.1%}<extra></extra>")
    fig.update_xaxes(title_text="probability of the top answer (mean of the group)", range=[0.3, 1.02])
    fig.update_yaxes(title_text="share answered right", tickformat=".0%", range=[0.3, 1.02])
    labels = ["below 0.6"] + [f"{a:.1f} to {b:.1f}" for a, b in zip(CONFIDENCE_BINS[1:-1], CONFIDENCE_BINS[2:])]
    rows = [[label, f"{count[k] / len(per_run):.0f}", f"{mean_conf[k]:.3f}", pct(mean_acc[k])]
            for k, label in enumerate(labels) if count[k]]
    return tidy(fig, height=420, top=50), (["top answer's probability", "images per run", "mean probability",
                                            "right"], rows)


# -- regression figures and tables ---------------------------------------------------------

@figure("metrics/regression-fit", uses="metrics/diabetes",
        caption="The regression network's predictions for the held-out patients (first trained run): "
                "predicted against true disease progression (on the dotted line a prediction is exact), "
                "and the residual, true minus predicted, against the prediction.")
def regression_fit_figure(r: dict) -> tuple[go.Figure, Table]:
    y, p = r["y_true"], r["preds"][0]
    fig = make_subplots(rows=1, cols=2, subplot_titles=("predicted vs true", "residuals"), horizontal_spacing=0.1)
    hover = "true %{x:.0f}, predicted %{y:.0f}<extra></extra>"
    fig.add_scatter(x=y, y=p, mode="markers", marker={"color": color(0), "size": 7, "opacity": 0.75},
                    name="held-out patients", hovertemplate=hover, row=1, col=1)
    span = [float(min(y.min(), p.min())), float(max(y.max(), p.max()))]
    fig.add_scatter(x=span, y=span, mode="lines", line={"color": "#999", "dash": "dot"}, name="exact", row=1, col=1)
    fig.add_scatter(x=p, y=y - p, mode="markers", marker={"color": color(1), "size": 7, "opacity": 0.75},
                    name="residual", hovertemplate="predicted %{x:.0f}, residual %{y:.0f}<extra></extra>",
                    row=1, col=2)
    fig.add_hline(y=0, line={"color": "#999", "dash": "dot"}, row=1, col=2)
    fig.update_xaxes(title_text="true progression", row=1, col=1)
    fig.update_yaxes(title_text="predicted progression", row=1, col=1)
    fig.update_xaxes(title_text="predicted progression", row=1, col=2)
    fig.update_yaxes(title_text="true − predicted", row=1, col=2)
    rows = [[f"{a:.0f}", f"{b:.1f}", f"{a - b:.1f}"] for a, b in zip(y, p)]
    return tidy(fig, height=440, top=80), (["true", "predicted", "residual"], rows)


@table("metrics/regression-scores", uses="metrics/diabetes",
       caption="The four regression metrics on the held-out patients, for each trained run, their mean ± "
               "standard deviation (the runs differ only in initial weights and batch order: they share the test "
               "patients), the test-set standard error of the first run's scores (from resampling the test "
               "patients), and a baseline that always predicts the mean of the training targets.")
def regression_scores_table(r: dict) -> Table:
    y = r["y_true"]
    scores = {name: [f(y, p) for p in r["preds"]] for name, f in REGRESSION_METRICS.items()}
    baseline = np.full_like(y, r["train_mean"])
    fmt = REGRESSION_FORMATS
    rows = [[f"run {i + 1} (seed {int(s)})"] + [fmt[m](scores[m][i]) for m in REGRESSION_METRICS]
            for i, s in enumerate(r["run_seeds"])]
    rows.append([strong("mean ± sd")] + [mean_sd(scores[m], fmt[m]) for m in REGRESSION_METRICS])
    se = regression_se(r)
    rows.append(["test-set standard error (run 1)"] + [fmt[m](se[m]) for m in REGRESSION_METRICS])
    rows.append(["always the training mean"] + [fmt[m](f(y, baseline)) for m, f in REGRESSION_METRICS.items()])
    return ["model"] + list(REGRESSION_METRICS), rows


def regression_se(r: dict) -> dict[str, float]:
    """Test-set standard error of each metric of the first run, from resampling the test rows."""
    y, p = r["y_true"], r["preds"][0]
    return {name: float(bootstrap_se(lambda rows: f(y[rows], p[rows]), len(y)))
            for name, f in REGRESSION_METRICS.items()}


def residual_trends(r: dict) -> dict[str, np.ndarray]:
    """Per run: the correlation of the residual with the prediction and with the true value, and the slope
    of the true value on the prediction (1 when predictions are calibrated: right on average at every level)."""
    y = r["y_true"].astype(np.float64)
    e = [y - p for p in r["preds"]]
    return {"with-prediction": np.array([np.corrcoef(p, ei)[0, 1] for p, ei in zip(r["preds"], e)]),
            "with-truth": np.array([np.corrcoef(y, ei)[0, 1] for ei in e]),
            "slope": np.array([np.polyfit(p, y, 1)[0] for p in r["preds"]])}


def outlier_effects(r: dict, rows: np.ndarray | None = None, counts: tuple[int, ...] = OUTLIER_COUNTS,
                    draws: int = DRAWS, rng: np.random.Generator | None = None) -> dict[str, np.ndarray]:
    """Each metric (metric → array of outlier counts × runs × draws) on the held-out `rows` (all of them by
    default) when `k` of them are added again with a recorded target off by OUTLIER_SHIFT standard
    deviations of the target, for k in `counts`."""
    rows = np.arange(len(r["y_true"])) if rows is None else rows
    y = r["y_true"].astype(np.float64)
    shift = OUTLIER_SHIFT * y.std()
    rng = np.random.default_rng(0) if rng is None else rng
    out = {name: np.zeros((len(counts), len(r["preds"]), draws)) for name in OUTLIER_METRICS}
    for i, k in enumerate(counts):
        for j, p in enumerate(r["preds"]):
            for d in range(draws):
                copied = rng.choice(rows, k, replace=False)
                y_k = np.r_[y[rows], y[copied] + shift * rng.choice([-1, 1], k)]
                for name, f in OUTLIER_METRICS.items():
                    out[name][i, j, d] = f(y_k, np.r_[p[rows], p[copied]])
    return out


@figure("metrics/outliers", uses="metrics/diabetes",
        caption="What a few outliers do to each metric: copies of random held-out patients are added with a "
                "recorded target off by four standard deviations (up or down), and the same predictions are "
                "scored again. Left: each error metric (the median absolute error too) as a multiple of its "
                "value without outliers; right: R². "
                "Lines are means over the trained runs and random draws; the bands span the lowest to the "
                "highest value.")
def outliers_figure(r: dict) -> tuple[go.Figure, Table]:
    effects = outlier_effects(r)
    n = len(r["y_true"])
    fig = make_subplots(rows=1, cols=2, subplot_titles=("error metrics ÷ their value without outliers", "R²"),
                        horizontal_spacing=0.12)
    x = np.array(OUTLIER_COUNTS)
    for k, name in enumerate(OUTLIER_METRICS):
        values_ = effects[name].reshape(len(x), -1)
        if name != "R²":
            values_ = values_ / effects[name][0].reshape(1, -1)
        mean, low, high = values_.mean(axis=1), values_.min(axis=1), values_.max(axis=1)
        col = 2 if name == "R²" else 1
        fig.add_scatter(x=np.r_[x, x[::-1]], y=np.r_[high, low[::-1]], fill="toself", mode="lines", line={"width": 0},
                        fillcolor=color(k), opacity=0.2, hoverinfo="skip", showlegend=False, legendgroup=name,
                        row=1, col=col)
        fig.add_scatter(x=x, y=mean, mode="lines+markers", name=name, legendgroup=name, line={"color": color(k)},
                        row=1, col=col)
    fig.update_xaxes(title_text=f"outliers added to {n} held-out rows")
    fig.update_yaxes(title_text="× value without outliers", row=1, col=1)
    header = ["outliers"] + [f"{m} (mean)" for m in OUTLIER_METRICS]
    rows = [[str(k)] + [REGRESSION_FORMATS[m](effects[m][i].mean()) for m in OUTLIER_METRICS]
            for i, k in enumerate(OUTLIER_COUNTS)]
    return tidy(fig, height=440, top=80), (header, rows)


# -- values for the prose ------------------------------------------------------------------

def _settings(r: dict) -> dict[str, str]:
    """The training settings a page states beside the results."""
    return {"train-rows": f"{r['train_rows']:,}", "test-rows": f"{r['test_rows']:,}", "epochs": str(r["epochs"]),
            "batch": str(r["batch"]), "lr": f"{r['lr']:g}", "runs": str(len(r["run_seeds"])),
            "hidden": "-".join(str(h) for h in r["hidden"])}


def told_apart(ev) -> bool:
    """A difference the seeds and the test set both support: its whole interval is on the claimed side."""
    return ev.sound


def digit_list(digits: list[int]) -> str:
    """'5', '5 and 9', '0, 1 and 6'."""
    names = [str(d) for d in digits]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def class_scores_on(r: dict) -> Callable[[np.ndarray], dict]:
    """Per-digit scores of every run on resamples of the test set: `rows` (resamples, examples) gives
    arrays shaped (resamples, runs, digits), and (resamples, runs) for the macro and weighted F1."""
    y, answers = r["y_true"], predictions(r)
    n = len(y)
    cells = np.zeros((len(answers), n, 100))
    for run, p in enumerate(answers):
        cells[run, np.arange(n), y * 10 + p] = 1

    def compute(rows: np.ndarray) -> dict:
        w = row_weights(rows, n)
        cms = np.stack([w @ c for c in cells], axis=1).reshape(len(rows), len(answers), 10, 10)
        scores = class_scores(cms)
        avg = averages(scores)
        return {k: scores[k] for k in ("accuracy", "precision", "recall", "f1")} | {
            "macro-f1": avg["macro"]["f1"], "weighted-f1": avg["weighted"]["f1"]}
    return memo(compute)


@values("metrics/digits-values", uses="metrics/digits")
def digits_values(r: dict) -> dict:
    cms = run_confusions(r)
    acc = np.array([accuracy(cm) for cm in cms])
    se = class_scores_se(r)
    sd = float(np.std(acc, ddof=1))
    out = _settings(r) | {"accuracy": f"{pct(np.mean(acc))} ± {pct(sd, 2)}", "accuracy-se": pct(se["accuracy"], 2),
                          "runs-sd": pct(sd, 2), "se-ratio": f"{se['accuracy'] / sd:.1f}",
                          "images": f"{int(cms[0].sum()):,}", "errors": str(int(cms[0].sum() - np.trace(cms[0]))),
                          "errors-mean": f"{np.mean([cm.sum() - np.trace(cm) for cm in cms]):.0f}"}
    counts = np.array(cms)  # run, true, answered
    out |= top_pairs_values(r, counts)
    first = confused_pairs(cms[0])
    top = [p for p in first if p[2] == first[0][2]]
    out["first-top-pairs"] = " and ".join(f"{t}s read as {a}s" for t, a, _ in top)
    out["first-top-count"] = str(first[0][2])
    out["first-top-tie"] = (f"tie for the most frequent mistake of the first run, {len(top)} ways"
                            if len(top) > 1 else "are the most frequent mistake of the first run")
    scores_on = class_scores_on(r)
    return (out | per_digit_values(r, scores_on, se) | roc_values(r) | threshold_values(r, scores_on)
            | imbalance_values(r) | calibration_values(r))


def top_pairs_values(r: dict, counts: np.ndarray) -> dict:
    """The most frequent mistakes over the runs, cut where the results cut them: at the largest step down between
    neighbours in the list of mean counts (at least two pairs above it), with that step and the top pair tested."""
    ranked = confused_pairs(np.round(10 * counts.mean(axis=0)).astype(int))  # mean counts to one decimal
    means = np.array([c / 10 for *_, c in ranked])
    if len(ranked) < 3:
        raise ValueError("fewer than three kinds of mistake: no list to cut")
    steps = means[1:-1] - means[2:]  # the step after the 2nd, 3rd, ... pair
    shown = int(np.argmax(steps)) + 2
    y, n, answers = r["y_true"], len(r["y_true"]), predictions(r)
    made = lambda t, a: ((y == t)[None] & (answers == a)).astype(np.float64)  # noqa: E731 - run, row

    def more(p: tuple, q: tuple):  # count of mistake p minus count of mistake q, over runs and test rows
        d = made(*p[:2]) - made(*q[:2])
        return resampled(lambda rows: row_weights(rows, n) @ d.T, n, batched=True,
                         what=f"{p[0]}s read as {p[1]}s minus {q[0]}s read as {q[1]}s, count per run")
    step = more(ranked[shown - 1], ranked[shown])
    top_apart = [q for q in ranked[1:shown + 1] if more(ranked[0], q).sound]
    names = []
    for (t, a, _), m in zip(ranked[:shown], means):
        cell = counts[:, t, a]
        names.append(f"{t}s read as {a}s ({m:.1f} per run, from {cell.min()} to {cell.max()})")
    ties = [f"{ranked[i][0]}s read as {ranked[i][1]}s and {ranked[i + 1][0]}s read as {ranked[i + 1][1]}s"
            for i in range(shown - 1) if means[i] == means[i + 1]]
    nxt = ranked[shown]
    return {"pairs-count": str(shown), "pairs-list": "; ".join(names),
            "pairs-ties": ("; tied at one decimal: " + ", ".join(ties)) if ties else "",
            "pairs-next": f"{nxt[0]}s read as {nxt[1]}s", "pairs-next-mean": f"{means[shown]:.1f}",
            "pairs-last-mean": f"{means[shown - 1]:.1f}", "pairs-step-test": step.summary(),
            "pairs-step-verdict": step.reading,
            "pairs-top-apart": str(len(top_apart)) if top_apart else "none", "pairs-compared": str(shown)}


def per_digit_values(r: dict, scores_on: Callable[[np.ndarray], dict], se: dict) -> dict:
    """The digits at the bottom and at the top of F1, each end judged by the same rule: a digit belongs there
    unless the test tells it apart; and one-against-the-rest accuracy against F1."""
    n = len(r["y_true"])
    f1_of = lambda rows: scores_on(rows)["f1"]  # noqa: E731 - resamples, runs, digits
    every = scores_on(np.arange(n)[None])
    f1 = every["f1"][0]
    mean_f1 = f1.mean(axis=0)
    hardest, best = int(np.argmin(mean_f1)), int(np.argmax(mean_f1))

    def gap(a: int, b: int):  # F1 of digit a minus F1 of digit b, over runs and test rows
        return resampled(lambda rows: f1_of(rows)[..., a] - f1_of(rows)[..., b], n, batched=True,
                         what=f"F1 of digit {a} minus F1 of digit {b}")

    bottom = [int(d) for d in np.argsort(mean_f1) if d == hardest or not gap(int(d), hardest).sound]
    top = [int(d) for d in np.argsort(-mean_f1) if d == best or not gap(best, int(d)).sound]
    above_bottom = [d for d in range(10) if d not in bottom]
    next_up = min(above_bottom, key=lambda d: mean_f1[d])  # the lowest digit that is told apart
    runner = bottom[1] if len(bottom) > 1 else next_up
    gap_ovr = lambda rows: scores_on(rows)["accuracy"] - scores_on(rows)["f1"]  # noqa: E731
    accuracy_ovr = every["accuracy"][0].mean(axis=0)
    gaps = accuracy_ovr - mean_f1
    # one-against-the-rest accuracy is 1 − e/N and F1 is 1 − e/(2 TP + e), with e = FP + FN: accuracy is the higher
    # exactly when TN > TP, which a digit that is about a tenth of the images guarantees; checked here, run by run
    cms = np.array(run_confusions(r))
    tp = np.diagonal(cms, axis1=1, axis2=2)
    tn = cms.sum(axis=(1, 2))[:, None] - cms.sum(axis=1) - cms.sum(axis=2) + tp
    if not (tn > tp).all():
        raise ValueError("a digit with more true positives than true negatives: accuracy need not exceed F1")
    hard_gap = resampled(lambda rows: gap_ovr(rows)[..., hardest] - gap_ovr(rows)[..., best], n, batched=True,
                         what=f"accuracy minus F1, digit {hardest} minus digit {best}")
    agree = resampled(lambda rows: scores_on(rows)["macro-f1"] - scores_on(rows)["weighted-f1"], n, same=True,
                      margin=AVERAGES_MARGIN, batched=True, what="macro minus weighted F1 on the held-out set")
    bottom_test = gap(runner, hardest)
    out = {"hardest": str(hardest), "hardest-f1": mean_sd(f1[:, hardest]),
           "hardest-f1-se": score_text(se["f1"][hardest]), "hardest-accuracy": pct(accuracy_ovr[hardest]),
           "bottom": digit_list(bottom), "bottom-size": str(len(bottom)),
           "runner": str(runner), "runner-f1": mean_sd(f1[:, runner]),
           "bottom-test": bottom_test.description(), "bottom-verdict": bottom_test.reading,
           "bottom-lowest-runs": f"{int(np.sum(f1.argmin(axis=1) == hardest))} of {len(f1)}",
           "next-up": str(next_up), "next-up-f1": score_text(mean_f1[next_up]),
           "easiest": digit_list(top), "easiest-f1": score_text(mean_f1[best]),
           "easiest-gap": score_text(gaps[best]), "hardest-gap": score_text(gaps[hardest]),
           "best": str(best), "easiest-gaps": f"{gaps[top].min():.3f} to {gaps[top].max():.3f}",
           "lowest-ovr-accuracy": pct(accuracy_ovr.min()),
           "ovr-accuracy-high": fact("above its F1, as it must be: both count the same errors, FP + FN, but "
                                     "accuracy divides them by all the images and F1 only by 2 TP + FP + FN, which "
                                     "is the smaller whenever the true negatives outnumber the true positives, as "
                                     "they do for every digit here"),
           "ovr-gap-hard": hard_gap.claim("the gap between accuracy and F1 is larger for the hardest digit than "
                                          "for the easiest"),
           "averages-margin": f"{AVERAGES_MARGIN:g}",
           "averages-agree": agree.claim("on the held-out set, macro and weighted F1 agree within ±0.005")}
    return out


def roc_values(r: dict) -> dict:
    """Areas of the first run (the figure's), and over every run: average precision below ROC AUC."""
    y, n = r["y_true"], len(r["y_true"])
    ranked = [[ranked_once(y == d, p[:, d]) for d in range(10)] for p in r["probs"]]

    def areas(rows: np.ndarray) -> dict:
        both = np.array([[[weighted_auc_ap(rk, w) for rk in run] for run in ranked] for w in row_weights(rows, n)])
        return {"auc": both[..., 0], "ap": both[..., 1]}  # resample, run, digit
    areas = memo(areas)
    every = areas(np.arange(n)[None])
    gap = lambda rows: areas(rows)["auc"] - areas(rows)["ap"]  # noqa: E731 - resample, run, digit
    # the smallest gap over digits, tested as one statistic, is biased by taking a minimum of noisy resamples:
    # the mean gap is tested against a margin, and each digit's gap on its own against 0
    mean_gap = resampled(lambda rows: gap(rows).mean(-1), n, margin=AP_GAP_MARGIN, resamples=100, batched=True,
                         what="ROC AUC minus average precision, mean over the ten digits")
    per_digit = [resampled(lambda rows, d=d: gap(rows)[..., d], n, resamples=100, batched=True,
                           what=f"digit {d}: ROC AUC minus average precision") for d in range(10)]
    apart = [d for d, ev in enumerate(per_digit) if ev.sound]
    closest = int(np.argmin([ev.statistic for ev in per_digit]))
    return {"auc-min": score_text(every["auc"][0, 0].min()), "auc-max": score_text(every["auc"][0, 0].max()),
            "ap-min": score_text(every["ap"][0, 0].min()), "ap-max": score_text(every["ap"][0, 0].max()),
            "ap-gap-mean": f"{mean_gap.statistic:.3f}", "ap-gap-margin": f"{AP_GAP_MARGIN:g}",
            "ap-gap-apart-count": str(len(apart)),
            "ap-gap-closest": str(closest), "ap-gap-closest-test": per_digit[closest].summary(),
            "ap-gap-closest-verdict": per_digit[closest].reading,
            "ap-below-auc": mean_gap.claim(f"averaged over the ten digits, average precision is more than "
                                           f"{AP_GAP_MARGIN:g} below ROC AUC")}


def threshold_values(r: dict, scores_on: Callable[[np.ndarray], dict]) -> dict:
    """The slider's thresholds for the hardest digit: the first run's counts (the figure's) and, over every
    run, which thresholds the test cannot tell apart from the best."""
    digit, n = hardest_digit(r), len(r["y_true"])
    y = r["y_true"] == digit
    points = {p["threshold"]: p for p in operating_points(y, r["probs"][0][:, digit])}
    low, mid, high = points[min(THRESHOLDS)], points[0.5], points[max(THRESHOLDS)]

    said = np.array([[p[:, digit] >= t for t in THRESHOLDS] for p in r["probs"]])  # run, threshold, row

    def at_thresholds(rows: np.ndarray) -> dict:
        w = row_weights(rows, n)
        runs, count = said.shape[:2]
        tp = (w @ (said & y).reshape(runs * count, n).T).reshape(len(rows), runs, count)
        fp = (w @ (said & ~y).reshape(runs * count, n).T).reshape(len(rows), runs, count)
        pos = w @ y
        return {"f1": _ratio(2 * tp, tp + fp + pos[:, None, None]), "precision": _ratio(tp, tp + fp)}
    at_thresholds = memo(at_thresholds)
    f1 = at_thresholds(np.arange(n)[None])["f1"][0].mean(axis=0)
    best = int(np.argmax(f1))

    def below_best(k: int, same: bool):  # F1 at the best threshold minus at threshold k, over runs and test rows
        return resampled(lambda rows: at_thresholds(rows)["f1"][..., best] - at_thresholds(rows)["f1"][..., k], n,
                         batched=True, same=same, margin=PLATEAU_MARGIN if same else 0.0,
                         what=f"F1 at threshold {THRESHOLDS[best]:g} minus at {THRESHOLDS[k]:g}")
    others = [k for k in range(len(THRESHOLDS)) if k != best]
    close = [k for k in others if below_best(k, True).sound]  # shown within ±PLATEAU_MARGIN of the best
    undecided = [k for k in others if k not in close and not below_best(k, False).sound]  # neither shown
    near = sorted([best, *close])
    # the claim is made of the thresholds shown close; with none (too few runs), of the nearest, where it fails
    tested = close or [max(others, key=lambda k: f1[k])]

    def farthest(rows: np.ndarray) -> np.ndarray:
        """Of the thresholds shown close, the difference to the best that is largest in size, per resample and run:
        within ±PLATEAU_MARGIN exactly when all of them are."""
        f = at_thresholds(rows)["f1"]
        d = f[..., [best]] - f[..., tested]
        return np.take_along_axis(d, np.abs(d).argmax(-1)[..., None], -1)[..., 0]
    plateau = resampled(farthest, n, batched=True, same=True, margin=PLATEAU_MARGIN,
                        what=f"F1 at threshold {THRESHOLDS[best]:g} minus at the threshold among "
                             f"{digit_list([f'{THRESHOLDS[k]:g}' for k in tested])} farthest from it")  # type: ignore[list-item]
    lo_k, hi_k = THRESHOLDS.index(min(THRESHOLDS)), THRESHOLDS.index(max(THRESHOLDS))
    precise = resampled(lambda rows: at_thresholds(rows)["precision"][..., hi_k] - at_thresholds(rows)["precision"][..., lo_k],
                        n, batched=True, what=f"precision at threshold {max(THRESHOLDS):g} minus at {min(THRESHOLDS):g}")
    top_answer = predictions(r)[0] == digit
    out = {"positives": str(mid["TP"] + mid["FN"]), "negatives": str(mid["FP"] + mid["TN"]),
           "best-threshold": f"{THRESHOLDS[best]:g}", "best-f1": score_text(f1[best]),
           "near-thresholds": digit_list([f"{THRESHOLDS[k]:g}" for k in near]),  # type: ignore[list-item]
           "near-f1": f"{f1[near].min():.3f} to {f1[near].max():.3f}" if len(near) > 1 else f"{f1[best]:.3f}",
           "near-count": str(len(near)), "plateau-margin": f"{PLATEAU_MARGIN:g}",
           "close-thresholds": digit_list([f"{THRESHOLDS[k]:g}" for k in tested]),  # type: ignore[list-item]
           "undecided": (f"At {digit_list([f'{THRESHOLDS[k]:g}' for k in undecided])} (F1 "  # type: ignore[list-item]
                         f"{digit_list([f'{f1[k]:.3f}' for k in undecided])}) the test can say neither: F1 there "  # type: ignore[list-item]
                         f"is not told apart from the best, nor shown within ±{PLATEAU_MARGIN:g} of it. ")
           if undecided else "",
           "plateau": plateau.claim(f"F1 at the thresholds {digit_list([f'{THRESHOLDS[k]:g}' for k in tested])} "  # type: ignore[list-item]
                                    f"is within ±{PLATEAU_MARGIN:g} of the best"),
           "low-threshold": f"{low['threshold']:g}", "high-threshold": f"{high['threshold']:g}",
           "argmax-tp": str(int(np.sum(y & top_answer))),
           "argmax-low": str(int(np.sum(y & top_answer & (r["probs"][0][:, digit] < 0.5))))}
    for name, p in (("low", low), ("mid", mid), ("high", high)):
        out |= {f"{name}-{k.lower()}": str(p[k]) for k in ("TP", "FP", "FN", "TN")}
        out |= {f"{name}-{m}": score_text(p[m]) for m in ("precision", "recall", "f1")}
    # so few yeses at the highest threshold that a resampled interval of a precision of 1 has no
    # width: the exact interval of this run's share says what they bound
    high_low, high_high = exact_interval(high["TP"], high["TP"] + high["FP"])
    clean = int(np.sum(~(said[:, hi_k] & ~y).any(axis=1)))
    out["high-exact"] = f"{high_low:.2f} to {high_high:.2f}"
    out["high-clean-runs"] = f"{clean} of {len(said)}"
    out["trade-off"] = precise.claim("precision is higher at the highest threshold than at the lowest")
    run_precision = [points[t]["precision"] for t in THRESHOLDS]
    dips = [(THRESHOLDS[k], THRESHOLDS[k + 1]) for k in range(len(THRESHOLDS) - 1)
            if round(run_precision[k + 1], 2) < round(run_precision[k], 2)]
    out["precision-dips"] = (", and for this run, to two decimals, it never falls from one step of the slider to the next"
                             if not dips else ", but not at every step: for this run it falls from "
                             + digit_list([f"{score_text(points[a]['precision'])} at {a:g} to "  # type: ignore[list-item]
                                           f"{score_text(points[b]['precision'])} at {b:g}" for a, b in dips]))
    out["recall-falls"] = fact("recall can only fall as the threshold rises: a higher threshold says yes to fewer images")
    return out


def imbalance_values(r: dict) -> dict:
    """The rare digit: accuracy's crossover, and ROC AUC against average precision, over runs, draws and test rows."""
    digit, n = hardest_digit(r), len(r["y_true"])
    y = r["y_true"] == digit
    sweep = share_sweep(r, digit)
    lead = (sweep["accuracy"] - sweep["baseline-accuracy"]).mean(axis=(1, 2))
    at = SHARES.index(RARE_SHARE)

    ranked = [ranked_once(y, p[:, digit]) for p in r["probs"]]

    def rare_and_balanced(rows: np.ndarray) -> dict:
        """Per resample and run; on the test set itself the mean over DRAWS draws of the rare digits kept,
        on a bootstrap resample one draw (its spread then counts in the test-set term)."""
        draws = DRAWS if whole(rows) else 1
        found: dict[str, list] = {}
        for i, row in enumerate(rows):
            # on the test set itself, the very draws `imbalanced_scores` makes, so that the page's numbers and
            # the test read the same rare sets
            rng = np.random.default_rng(0) if draws > 1 else np.random.default_rng([1, i])
            rare = rare_scores(r, digit, RARE_SHARE, row, draws, rng, ranked)
            natural = rare_scores(r, digit, float(np.mean(y[row])), row, 1, rng, ranked)  # every positive kept
            for k in ("auc", "ap", "precision", "macro-f1", "weighted-f1"):
                found.setdefault(k, []).append(rare[k].mean(axis=1))
                found.setdefault(f"natural-{k}", []).append(natural[k][:, 0])
        return {k: np.array(v) for k, v in found.items()}
    both = memo(rare_and_balanced)
    every = both(np.arange(n)[None])
    kw = {"batched": True, "resamples": 200}
    ap_falls = resampled(lambda rows: both(rows)["natural-ap"] - both(rows)["ap"], n,
                         what=f"average precision, held-out set minus {digit}s made rare", **kw)
    averages_part = resampled(lambda rows: both(rows)["weighted-f1"] - both(rows)["macro-f1"], n,
                              what=f"weighted minus macro F1, {digit}s made rare", **kw)
    rare = imbalanced_scores(r, digit)
    natural = rare_scores(r, digit, float(y.mean()), np.arange(n), 1, np.random.default_rng(0), ranked)
    if not (rare["precision"].reshape(len(r["probs"]), -1) <= natural["precision"] + 1e-12).all():  # what the fact on precision states
        raise ValueError("a draw of the rare digit with a higher precision than the held-out set")
    return {"rare-count": str(rare["rare"]), "rare-rows": f"{rare['rows']:,}", "rare-share": pct(RARE_SHARE, 0),
            "draws": str(DRAWS), "balanced-share": pct(y.mean(), 0), "balanced-baseline-accuracy": pct(1 - y.mean()),
            "shares-min": pct(min(SHARES)), "shares-max": pct(max(SHARES), 0),
            "crossover": pct(crossover(np.array(SHARES), lead)),
            "rare-lead": f"{100 * lead[at]:.2f}",
            "rare-model-accuracy": pct(rare["accuracy"].mean()), "rare-baseline-accuracy": pct(rare["baseline-accuracy"].mean()),
            "rare-tp": f"{rare['TP'].mean():.1f}", "rare-fp": f"{rare['FP'].mean():.1f}",
            "rare-model-recall": score_text(rare["recall"].mean()), "balanced-model-recall": score_text(natural["recall"].mean()),
            "rare-model-precision": score_text(rare["precision"].mean()),
            "balanced-model-precision": score_text(natural["precision"].mean()),
            "rare-model-f1": score_text(rare["f1"].mean()), "balanced-model-f1": score_text(natural["f1"].mean()),
            "balanced-auc": f"{every['natural-auc'].mean():.3f}", "rare-auc": f"{rare['auc'].mean():.3f}",
            "balanced-ap": f"{every['natural-ap'].mean():.2f}", "rare-ap": f"{rare['ap'].mean():.2f}",
            "rare-ap-range": f"{np.percentile(rare['ap'], 5):.2f} to {np.percentile(rare['ap'], 95):.2f}",
            "rare-macro-f1": score_text(rare["macro-f1"].mean()), "rare-weighted-f1": score_text(rare["weighted-f1"].mean()),
            "auc-steady": fact("it must, on average: ROC AUC is the share of (positive, negative) pairs in which "
                               "the positive scores higher, and keeping every negative with a random few of the "
                               "positives leaves that share unchanged on average; a draw moves it only by the luck "
                               "of which positives were kept"),
            "ap-falls": ap_falls.claim("making the digit rare lowers average precision"),
            "ap-falls-test": ap_falls.summary(),
            "precision-falls": fact("it cannot do otherwise: every negative is kept, so the false positives stay "
                                    "as they were, while the true positives can only be fewer"),
            "rare-averages-part": averages_part.claim("where the digit is rare, the macro-average F1 is below the "
                                                      "weighted one")}


NULL_DRAWS = 2000  # simulated test sets of a network calibrated by construction
NULL_QUANTILE = 0.975  # an observed error above this share of the calibrated network's is unusual for it


def calibrated_eces(y: np.ndarray, probs: np.ndarray, draws: int = NULL_DRAWS) -> np.ndarray:
    """The expected calibration error that a network calibrated by construction would show on the same
    images: its top answers keep their probabilities, and each is right with exactly that probability.
    What remains is the binned estimator's own bias and noise. Shaped (runs, draws)."""
    rng = np.random.default_rng(0)
    out = np.empty((len(probs), draws))
    for k, p in enumerate(probs):
        confidence, answer = p.max(axis=1).astype(np.float64), p.argmax(axis=1)
        for d in range(draws):
            right = rng.random(len(y)) < confidence
            out[k, d] = reliability(np.where(right, answer, (answer + 1) % p.shape[1]), p)["ece"]
    return out


def calibration_values(r: dict) -> dict:
    """Log-loss and calibration over the runs, with the test-set term."""
    y, n = r["y_true"], len(r["y_true"])
    losses = [log_loss(y, p) for p in r["probs"]]
    eces = [float(reliability(y, p)["ece"]) for p in r["probs"]]
    confidence = r["probs"].max(axis=2).astype(np.float64)
    right = predictions(r) == y
    gap = confidence.mean() - right.mean()
    matches = resampled(lambda rows: confidence[:, rows].mean(axis=1) - right[:, rows].mean(axis=1), n, same=True,
                        margin=CALIBRATION_MARGIN, points=True,
                        what="mean probability of the top answer minus accuracy")
    null = calibrated_eces(y, r["probs"])  # run, draw
    p_values = (null >= np.array(eces)[:, None]).mean(axis=1)  # per run: how often the calibrated network does worse
    beyond = int(np.sum(p_values < 1 - NULL_QUANTILE))
    return {"log-loss": mean_sd(losses, lambda v: f"{v:.3f}"), "ece": mean_sd(eces, pct),
            "ece-calibrated": pct(null.mean()),
            "ece-calibrated-range": f"{pct(np.percentile(null, 2.5))} to {pct(np.percentile(null, 97.5))}",
            "ece-beyond": str(beyond),
            "ece-p-range": f"{p_values.min():.3f} to {p_values.max():.2f}",
            "ece-p-cut": f"{1 - NULL_QUANTILE:.3f}", "ece-runs": str(len(eces)), "ece-draws": str(null.shape[1]),
            "mean-confidence": pct(confidence.mean()), "mean-accuracy": pct(right.mean()),
            "confidence-gap": f"{100 * abs(gap):.1f}", "calibration-margin": f"{100 * CALIBRATION_MARGIN:g}",
            "confidence-matches": matches.claim("on average, the probability of the top answer matches the share "
                                                "of right answers within ±2 points")}


def regression_on(r: dict) -> Callable[[np.ndarray], dict]:
    """Every run's metrics, the baseline's, and the residual's trends, on any rows of the test set."""
    y_all = r["y_true"].astype(np.float64)

    def compute(rows: np.ndarray) -> dict:
        y, preds = y_all[rows], r["preds"][:, rows].astype(np.float64)
        base = np.full_like(y, r["train_mean"])
        out = {name: np.array([f(y, p) for p in preds]) for name, f in REGRESSION_METRICS.items()}
        out |= {f"baseline-{name}": np.full(len(preds), f(y, base)) for name, f in REGRESSION_METRICS.items()}
        out["slope"] = np.array([np.polyfit(p, y, 1)[0] for p in preds])
        out["with-truth"] = np.array([np.corrcoef(y, y - p)[0, 1] for p in preds])
        out["with-prediction"] = np.array([np.corrcoef(p, y - p)[0, 1] for p in preds])
        return out
    return memo(compute)


@values("metrics/diabetes-values", uses="metrics/diabetes")
def diabetes_values(r: dict) -> dict:
    y, n = r["y_true"], len(r["y_true"])
    on = regression_on(r)
    scores = on(np.arange(n))
    keys = {"MSE": "mse", "RMSE": "rmse", "MAE": "mae", "R²": "r2"}
    out = _settings(r) | {"target-mean": f"{y.mean():.0f}", "target-sd": f"{y.std():.0f}",
                          "target-min": f"{y.min():.0f}", "target-max": f"{y.max():.0f}"}
    for name, key in keys.items():
        fmt = (lambda v: f"{v:.2f}") if name == "R²" else (lambda v: f"{v:,.0f}")
        out |= {key: mean_sd(scores[name], fmt), f"baseline-{key}": fmt(scores[f"baseline-{name}"][0])}
    se = regression_se(r)
    out |= {f"{key}-se": (lambda v: f"{v:.2f}")(se[name]) if name == "R²" else f"{se[name]:,.0f}"
            for name, key in keys.items()}
    out["r2-sd"] = f"{np.std(scores['R²'], ddof=1):.3f}"
    r2_ev = resampled(lambda rows: on(rows)["R²"], n, what="R² of the network")
    low, high = r2_ev.interval
    out |= {"r2-low": f"{low:.2f}", "r2-high": f"{high:.2f}"}
    out |= {"r2-margin": f"{R2_MARGIN:g}", "tilt-margin": f"{TILT_MARGIN:g}"}
    out["beats-baseline-r2"] = resampled(lambda rows: on(rows)["R²"] - on(rows)["baseline-R²"], n, margin=R2_MARGIN,
                                         what="R², network minus always the training mean").claim(
        "the network's R² is more than 0.2 above the baseline's")
    out["beats-baseline-mae"] = resampled(lambda rows: on(rows)["baseline-MAE"] - on(rows)["MAE"], n,
                                          what="MAE, always the training mean minus the network").claim(
        "the network's MAE is below the baseline's")
    slope = resampled(lambda rows: on(rows)["slope"] - 1, n, what="slope of true on predicted, minus 1")
    flat = resampled(lambda rows: on(rows)["slope"] - 1, n, same=True, margin=0.1,
                     what="slope of true on predicted, minus 1")
    s_low, s_high = slope.interval
    out |= {"slope": f"{1 + slope.statistic:.2f}", "slope-low": f"{1 + s_low:.2f}", "slope-high": f"{1 + s_high:.2f}",
            "slope-test": slope.description(), "slope-verdict": slope.reading, "slope-equivalence": flat.reading,
            "slope-margin": "0.1"}
    # how many times the test patients the equivalence would need, were the slope to stay where it is: the test-set
    # term shrinks as one over their number, the seeds' term does not
    room, q = flat.margin - abs(flat.statistic), t_quantile(1 - (1 - flat.level) / 2, flat.df)
    needed = flat.example_var / ((room / q) ** 2 - flat.seed_var) if room > 0 and (room / q) ** 2 > flat.seed_var else math.inf
    out["slope-patients"] = f"{needed:.0f}" if math.isfinite(needed) else "no number of"
    pred_corr = resampled(lambda rows: on(rows)["with-prediction"], n, what="correlation of residual and prediction")
    c_low, c_high = pred_corr.interval
    out |= {"corr-prediction": f"{pred_corr.statistic:.2f}", "corr-prediction-low": f"{c_low:.2f}",
            "corr-prediction-high": f"{c_high:.2f}", "corr-truth": f"{scores['with-truth'].mean():.2f}"}
    out["tilt-vs-truth"] = resampled(lambda rows: on(rows)["with-truth"], n, margin=TILT_MARGIN,
                                     what="correlation of residual and true value").claim(
        "the residual rises with the true value: correlation above 0.3")
    effects = outlier_effects(r)
    ratio = {name: effects[name].mean(axis=(1, 2)) / effects[name][0].mean() for name in ("MSE", "RMSE", "MAE", "median AE")}
    r2_mean = effects["R²"].mean(axis=(1, 2))
    for i, k in enumerate(OUTLIER_COUNTS):
        if k in (1, max(OUTLIER_COUNTS)):
            out |= {f"out{k}-{keys.get(m, 'medae')}": f"{100 * (ratio[m][i] - 1):.0f}%" for m in ratio}
            out[f"out{k}-r2"] = f"{r2_mean[i]:.2f}"
    out |= {"out-max": str(max(OUTLIER_COUNTS)), "out-shift": f"{OUTLIER_SHIFT:g}",
            "out-r2-0": f"{r2_mean[0]:.2f}", "out-draws": str(DRAWS)}

    def one_outlier(rows: np.ndarray) -> dict:
        everything = bool(np.array_equal(rows, np.arange(n)))
        rng = np.random.default_rng(np.asarray(rows[:32]).tolist())
        e = outlier_effects(r, rows, (0, 1, max(OUTLIER_COUNTS)), DRAWS if everything else 1, rng)
        return {name: v.mean(axis=2) for name, v in e.items()}  # count, run
    one_outlier = memo(one_outlier)
    out["rmse-above-mae"] = resampled(
        lambda rows: (one_outlier(rows)["RMSE"][1] / one_outlier(rows)["RMSE"][0]
                      - one_outlier(rows)["MAE"][1] / one_outlier(rows)["MAE"][0]), n, resamples=200,
        what="with one outlier, RMSE's rise minus MAE's rise (as shares)").claim(
        "one outlier raises RMSE by a larger share than MAE")
    out["mae-above-median"] = resampled(
        lambda rows: (one_outlier(rows)["MAE"][2] / one_outlier(rows)["MAE"][0]
                      - one_outlier(rows)["median AE"][2] / one_outlier(rows)["median AE"][0]), n, resamples=200,
        what=f"with {max(OUTLIER_COUNTS)} outliers, MAE's rise minus the median absolute error's").claim(
        f"{max(OUTLIER_COUNTS)} outliers raise MAE by a larger share than the median absolute error")
    out["r2-falls"] = resampled(lambda rows: one_outlier(rows)["R²"][0] - one_outlier(rows)["R²"][1], n,
                                resamples=200, what="R² without outliers minus with one").claim(
        "one outlier lowers R²")
    return out
