"""Figures, tables and values for the page on metrics.

Every metric is computed here with NumPy from the stored predictions (the tests check each
one against scikit-learn), so the page can show exactly how a number is made.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nnbook.figures.style import Table, color, pct, strong, tidy
from nnbook.registry import claim, figure, table, values

EXTRA_COLORS = ("#bcbd22", "#17becf")  # a 9th and 10th colour, for ten digit classes
THRESHOLDS = (0.001, 0.003, 0.01, 0.03, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99,
              0.997, 0.999)
RARE_SHARE = 0.01  # the rare class's share of the imbalanced test set
DRAWS = 20  # random draws (of the rare rows kept, of the rows made outliers) per trained model
OUTLIER_COUNTS = (0, 1, 2, 3, 5, 10)
OUTLIER_SHIFT = 4.0  # an outlier's recorded target is off by this many standard deviations of the target
PAIRS_SHOWN, EXAMPLES_PER_PAIR = 3, 4
BOOTSTRAP = 500  # resamples of the test rows for a test-set standard error


# -- classification metrics ----------------------------------------------------------------

def confusion(y_true: np.ndarray, y_pred: np.ndarray, classes: int = 10) -> np.ndarray:
    """Counts: row = true class, column = predicted class."""
    return np.bincount(y_true * classes + y_pred, minlength=classes * classes).reshape(classes, classes)


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a / b, and 0 where b is 0 (scikit-learn's convention for an undefined precision or recall)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.divide(a, b, out=np.zeros_like(a), where=b != 0)


def class_scores(cm: np.ndarray) -> dict[str, np.ndarray]:
    """Per class, one against the rest: support, accuracy, precision, recall and F1."""
    tp = np.diag(cm).astype(np.float64)
    predicted, actual, total = cm.sum(axis=0), cm.sum(axis=1), cm.sum()
    fp, fn = predicted - tp, actual - tp
    precision, recall = _ratio(tp, predicted), _ratio(tp, actual)
    return {"support": actual, "accuracy": (total - fp - fn) / total, "precision": precision, "recall": recall,
            "f1": _ratio(2 * tp, 2 * tp + fp + fn)}


def averages(scores: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """Macro (every class counts the same) and weighted (by support) averages of precision, recall, F1."""
    weights = scores["support"] / scores["support"].sum()
    return {kind: {m: float(np.sum(scores[m] * w)) for m in ("precision", "recall", "f1")}
            for kind, w in (("macro", np.full_like(weights, 1 / len(weights))), ("weighted", weights))}


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
    """The precision-recall curve read at the recalls of GRID: precision where each recall is first reached."""
    return GRID, precision[np.minimum(np.searchsorted(recall, GRID, side="left"), len(recall) - 1)]


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
REGRESSION_FORMATS: dict[str, Callable[[float], str]] = {"MSE": lambda v: f"{v:,.0f}", "RMSE": lambda v: f"{v:.0f}",
                                                         "MAE": lambda v: f"{v:.0f}", "R²": lambda v: f"{v:.2f}"}


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


def imbalanced_scores(r: dict, digit: int) -> dict[str, np.ndarray]:
    """'Is it `digit`?' scored on test sets where `digit` is rare, for the classifier and for the
    baseline that always answers no (metric → array over runs × draws); also the classifier's true and
    false positives there, and its macro and weighted F1 over all ten digits."""
    y = r["y_true"] == digit
    positives, negatives = np.flatnonzero(y), np.flatnonzero(~y)
    keep = max(1, round(RARE_SHARE * len(negatives) / (1 - RARE_SHARE)))
    rng = np.random.default_rng(0)
    out: dict[str, list[float]] = {}
    for answers in predictions(r):
        predicted = answers == digit
        for _ in range(DRAWS):
            rows = np.r_[negatives, rng.choice(positives, keep, replace=False)]
            for who, guess in (("model", predicted[rows]), ("baseline", np.zeros(len(rows), bool))):
                for name, value in binary_scores(y[rows], guess).items():
                    out.setdefault(f"{who}-{name}", []).append(value)
            counts = binary_counts(y[rows], predicted[rows])
            both = averages(class_scores(confusion(r["y_true"][rows], answers[rows])))
            for name, value in (("model-TP", counts["TP"]), ("model-FP", counts["FP"]),
                                ("macro-f1", both["macro"]["f1"]), ("weighted-f1", both["weighted"]["f1"])):
                out.setdefault(name, []).append(value)
    return {k: np.array(v) for k, v in out.items()} | {"rare": keep, "rows": keep + len(negatives)}


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
    return [(t, a, list(np.flatnonzero((truth == t) & (answered == a))[:EXAMPLES_PER_PAIR]))
            for t, a, _ in confused_pairs(run_confusions(r)[0])[:PAIRS_SHOWN]]


@figure("metrics/misread", uses="metrics/digits",
        caption="Held-out digits that the first run misread, for its most frequent confusions: each row is one "
                "confused pair, each image a real MNIST digit titled true digit → the network's answer (and the "
                "probability it gave that answer).")
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
               "weights and batch order: all are scored on the same test digits. The last column is the test-set "
               "standard error of the first run's F1 (from resampling the test digits), the part of the luck the "
               "runs do not show.")
def class_scores_table(r: dict) -> Table:
    per_run = [class_scores(cm) for cm in run_confusions(r)]
    names = ("accuracy", "precision", "recall", "f1")
    se = class_scores_se(r)
    header = ["digit", "images", "accuracy (yes/no)", "precision", "recall", "F1", "F1 test-set SE"]
    rows = [[str(d), str(int(per_run[0]["support"][d]))] + [mean_sd([s[m][d] for s in per_run]) for m in names]
            + [score_text(se["f1"][d])] for d in range(10)]
    avg = [averages(s) for s in per_run]
    for kind in ("macro", "weighted"):
        rows.append([strong(f"{kind} average"), str(int(per_run[0]["support"].sum())), "",
                     *[mean_sd([a[kind][m] for a in avg]) for m in ("precision", "recall", "f1")], ""])
    rows.append([strong("accuracy (all ten digits)"), str(int(per_run[0]["support"].sum())),
                 mean_sd([accuracy(cm) for cm in run_confusions(r)], pct), "", "", "", ""])
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
                "four counts of the yes/no confusion matrix at that threshold.")
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
    fig.update_yaxes(type="log", dtick=1, range=[0, np.log10(len(y) * 1.6)], row=1, col=3)
    header = ["threshold", "TP", "FP", "FN", "TN", "precision", "recall", "F1"]
    rows = [[f"{q['threshold']:g}"] + [str(q[c]) for c in cells]
            + [score_text(q[m]) for m in ("precision", "recall", "f1")] for q in points]
    return tidy(fig, height=540, top=110, bottom=130), (header, rows)


@figure("metrics/imbalance", uses="metrics/digits",
        caption="'Is it this digit?' answered by the trained classifier (yes when its top answer is the digit) "
                "and by a baseline that always says no, scored on the balanced held-out set and on sets where "
                "the digit is rare (all the other digits, plus a random few of this one). Bars are means over "
                "the trained runs and random draws; the whiskers span the lowest to the highest value. "
                "The baseline's precision is undefined (it never says yes) and shown as 0.")
def imbalance_figure(r: dict) -> tuple[go.Figure, Table]:
    digit = hardest_digit(r)
    rare = imbalanced_scores(r, digit)
    y = r["y_true"] == digit
    balanced = {"model": [binary_scores(y, p == digit) for p in predictions(r)],
                "baseline": [binary_scores(y, np.zeros_like(y))]}
    metrics = ("accuracy", "precision", "recall", "f1")
    labels = ["accuracy", "precision", "recall", "F1"]
    share = pct(y.mean(), 0)
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04, subplot_titles=(
        f"held-out set<br>({share} are {digit}s)", f"{digit}s made rare<br>({pct(RARE_SHARE, 0)} of {rare['rows']:,})"))
    rows = []
    for k, (who, name) in enumerate((("model", "the classifier"), ("baseline", "always 'no'"))):
        for col, samples in ((1, {m: np.array([s[m] for s in balanced[who]]) for m in metrics}),
                             (2, {m: rare[f"{who}-{m}"] for m in metrics})):
            mean = np.array([samples[m].mean() for m in metrics])
            low, high = (np.array([f(samples[m]) for m in metrics]) for f in (np.min, np.max))
            fig.add_bar(x=labels, y=mean, name=name, legendgroup=who, showlegend=col == 1, marker_color=color(k),
                        error_y={"type": "data", "symmetric": False, "array": high - mean, "arrayminus": mean - low},
                        hovertemplate=f"{name}: %{{x}} %{{y:.3f}}<extra></extra>", row=1, col=col)
            rows += [[name, "held-out set" if col == 1 else f"{digit} rare", label, f"{v:.3f}", f"{lo:.3f}–{hi:.3f}"]
                     for label, v, lo, hi in zip(labels, mean, low, high)]
    fig.update_yaxes(range=[0, 1.05], row=1, col=1)
    fig.update_layout(barmode="group")
    return tidy(fig, height=480, top=110), (["who answers", "test set", "metric", "mean", "lowest–highest"], rows)


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


def outlier_effects(r: dict) -> dict[str, np.ndarray]:
    """Each metric (metric → array of outlier counts × runs × draws) when `k` held-out rows are added again
    with a recorded target off by OUTLIER_SHIFT standard deviations, for k in OUTLIER_COUNTS."""
    y = r["y_true"].astype(np.float64)
    shift = OUTLIER_SHIFT * y.std()
    rng = np.random.default_rng(0)
    out = {name: np.zeros((len(OUTLIER_COUNTS), len(r["preds"]), DRAWS)) for name in REGRESSION_METRICS}
    for i, k in enumerate(OUTLIER_COUNTS):
        for j, p in enumerate(r["preds"]):
            for d in range(DRAWS):
                rows = rng.choice(len(y), k, replace=False)
                y_k = np.r_[y, y[rows] + shift * rng.choice([-1, 1], k)]
                for name, f in REGRESSION_METRICS.items():
                    out[name][i, j, d] = f(y_k, np.r_[p, p[rows]])
    return out


@figure("metrics/outliers", uses="metrics/diabetes",
        caption="What a few outliers do to each metric: copies of random held-out patients are added with a "
                "recorded target off by four standard deviations (up or down), and the same predictions are "
                "scored again. Left: each error metric as a multiple of its value without outliers; right: R². "
                "Lines are means over the trained runs and random draws; the bands span the lowest to the "
                "highest value.")
def outliers_figure(r: dict) -> tuple[go.Figure, Table]:
    effects = outlier_effects(r)
    n = len(r["y_true"])
    fig = make_subplots(rows=1, cols=2, subplot_titles=("error metrics ÷ their value without outliers", "R²"),
                        horizontal_spacing=0.12)
    x = np.array(OUTLIER_COUNTS)
    for k, name in enumerate(REGRESSION_METRICS):
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
    header = ["outliers"] + [f"{m} (mean)" for m in REGRESSION_METRICS]
    rows = [[str(k)] + [REGRESSION_FORMATS[m](effects[m][i].mean()) for m in REGRESSION_METRICS]
            for i, k in enumerate(OUTLIER_COUNTS)]
    return tidy(fig, height=440, top=80), (header, rows)


# -- values for the prose ------------------------------------------------------------------

def _settings(r: dict) -> dict[str, str]:
    """The training settings a page states beside the results."""
    return {"train-rows": f"{r['train_rows']:,}", "test-rows": f"{r['test_rows']:,}", "epochs": str(r["epochs"]),
            "batch": str(r["batch"]), "lr": f"{r['lr']:g}", "runs": str(len(r["run_seeds"])),
            "hidden": "-".join(str(h) for h in r["hidden"])}


@values("metrics/digits-values", uses="metrics/digits")
def digits_values(r: dict) -> dict:
    cms = run_confusions(r)
    scores = [class_scores(cm) for cm in cms]
    f1 = np.array([s["f1"] for s in scores])
    avg = [averages(s) for s in scores]
    se = class_scores_se(r)
    out = _settings(r) | {"accuracy": mean_sd([accuracy(cm) for cm in cms], pct),
                          "accuracy-se": pct(se["accuracy"]),
                          "macro-f1": mean_sd([a["macro"]["f1"] for a in avg]),
                          "weighted-f1": mean_sd([a["weighted"]["f1"] for a in avg]),
                          "images": f"{int(cms[0].sum()):,}", "errors": str(int(cms[0].sum() - np.trace(cms[0])))}
    out["spread-below-se"] = claim(np.std([accuracy(cm) for cm in cms], ddof=1) < se["accuracy"],
                                   "the runs' spread in accuracy is smaller than the test-set standard error")
    pairs = confused_pairs(cms[0])[:PAIRS_SHOWN]
    for i, (t, a, count) in enumerate(pairs, start=1):
        out |= {f"pair{i}-true": str(t), f"pair{i}-read": str(a), f"pair{i}-count": str(count),
                f"pair{i}-runs": ", ".join(str(int(cm[t, a])) for cm in cms)}
    t, a, _ = pairs[0]
    out["pairs-vary"] = claim(len({int(cm[t, a]) for cm in cms}) > 1,
                              "the count of the first run's most frequent confusion changes from run to run")
    return out | per_digit_values(r, f1, scores, avg, se) | roc_values(r) | threshold_values(r) | imbalance_values(r)


def per_digit_values(r: dict, f1: np.ndarray, scores: list[dict], avg: list[dict], se: dict) -> dict:
    """The hardest digit, the digits tied for easiest, and one-against-the-rest accuracy against F1."""
    hardest = hardest_digit(r)
    mean_f1 = f1.mean(axis=0)
    top = int(np.argmax(mean_f1))
    tied = [d for d in np.argsort(-mean_f1) if mean_f1[top] - mean_f1[d] < se["f1"][top]]
    accuracy_ovr = np.mean([s["accuracy"] for s in scores], axis=0)
    gap = accuracy_ovr - mean_f1
    return {"hardest": str(hardest), "hardest-f1": mean_sd(f1[:, hardest]),
            "hardest-f1-se": score_text(se["f1"][hardest]),
            "hardest-accuracy": pct(accuracy_ovr[hardest]),
            "easiest": ", ".join(str(d) for d in tied[:-1]) + f" and {tied[-1]}" if len(tied) > 1 else str(top),
            "easiest-f1": score_text(mean_f1[top]), "easiest-gap": score_text(gap[top]),
            "hardest-gap": score_text(gap[hardest]), "lowest-ovr-accuracy": pct(accuracy_ovr.min()),
            "hardest-every-run": claim((f1.argmin(axis=1) == hardest).all(),
                                       "this digit has the lowest F1 in every trained run"),
            "easiest-tie": claim(len(tied) > 1 and all(mean_f1[d] > mean_f1[top] - se["f1"][top] for d in tied),
                                 "several digits share the top F1 within one test-set standard error"),
            "ovr-accuracy-high": claim((gap > 0).all() and accuracy_ovr.min() > 0.9,
                                       "every digit's one-against-the-rest accuracy is above 90% and above its F1"),
            "ovr-gap-hard": claim(gap[hardest] > 0.05 and gap[hardest] > 2 * gap[top],
                                  "for the hardest digit the accuracy is more than 0.05 above its F1, and more "
                                  "than twice the gap of the easiest"),
            "averages-agree": claim(all(abs(a["macro"][m] - a["weighted"][m]) < 0.005 for a in avg
                                        for m in ("precision", "recall", "f1")),
                                    "macro and weighted averages differ by less than 0.005 in every run")}


def roc_values(r: dict) -> dict:
    areas, aps = [], []
    for d in range(10):
        y, score = r["y_true"] == d, r["probs"][0][:, d]
        areas.append(auc(*roc_curve(y, score)[:2]))
        aps.append(average_precision(y, score))
    lowest = int(np.argmin(areas))
    return {"auc-min": score_text(min(areas)), "auc-max": score_text(max(areas)), "auc-lowest-digit": str(lowest),
            "ap-min": score_text(min(aps)), "ap-max": score_text(max(aps)),
            "ap-below-auc": claim(all(p < a for p, a in zip(aps, areas)),
                                  "every digit's average precision is below its ROC AUC")}


NEAR_BEST = (0.3, 0.4, 0.5)  # the thresholds the page compares for the best F1


def threshold_values(r: dict) -> dict:
    digit = hardest_digit(r)
    points = {p["threshold"]: p for p in operating_points(r["y_true"] == digit, r["probs"][0][:, digit])}
    low, mid, high = points[min(THRESHOLDS)], points[0.5], points[max(THRESHOLDS)]
    best = max(points.values(), key=lambda p: p["f1"])
    near = [points[t]["f1"] for t in NEAR_BEST]
    se = class_scores_se(r)["f1"][digit]
    out = {"positives": str(mid["TP"] + mid["FN"]), "negatives": str(mid["FP"] + mid["TN"]),
           "best-threshold": f"{best['threshold']:g}", "best-f1": score_text(best["f1"]),
           "near-thresholds": ", ".join(f"{t:g}" for t in NEAR_BEST[:-1]) + f" and {NEAR_BEST[-1]:g}",
           "near-f1": ", ".join(score_text(f) for f in near[:-1]) + f" and {score_text(near[-1])}",
           "low-threshold": f"{low['threshold']:g}", "high-threshold": f"{high['threshold']:g}"}
    for name, p in (("low", low), ("mid", mid), ("high", high)):
        out |= {f"{name}-{k.lower()}": str(p[k]) for k in ("TP", "FP", "FN", "TN")}
        out |= {f"{name}-{m}": score_text(p[m]) for m in ("precision", "recall", "f1")}
    out["high-precise"] = claim(high["precision"] >= 0.95, "at the highest threshold almost every 'yes' is right")
    recall = [p["recall"] for p in points.values()]
    out["trade-off"] = claim(all(a >= b for a, b in zip(recall, recall[1:])) and high["precision"] > low["precision"]
                             and low["recall"] > high["recall"],
                             "raising the threshold lowers recall step by step and raises precision overall")
    out["near-tie"] = claim(best["threshold"] in NEAR_BEST and max(near) - min(near) < se,
                            "the best F1 on the slider is among these thresholds, and their F1 differ by less "
                            "than its test-set standard error")
    return out


def imbalance_values(r: dict) -> dict:
    digit = hardest_digit(r)
    rare = imbalanced_scores(r, digit)
    y = r["y_true"] == digit
    model_balanced = np.mean([binary_scores(y, p == digit)["accuracy"] for p in predictions(r)])
    lead = rare["model-accuracy"] - rare["baseline-accuracy"]
    tp, fp = rare["model-TP"].mean(), rare["model-FP"].mean()
    return {"rare-count": str(rare["rare"]), "rare-rows": f"{rare['rows']:,}", "rare-share": pct(RARE_SHARE, 0),
            "draws": str(DRAWS), "balanced-share": pct(y.mean(), 0),
            "balanced-model-accuracy": pct(model_balanced), "balanced-baseline-accuracy": pct(1 - y.mean()),
            **{f"rare-{k}": pct(v.mean()) if k.endswith("accuracy") else score_text(v.mean())
               for k, v in rare.items() if isinstance(v, np.ndarray)},
            "rare-model-f1-min": score_text(rare["model-f1"].min()),
            "rare-tp": f"{tp:.0f}", "rare-fp": f"{fp:.0f}",
            "lead-negative": f"{int(np.sum(lead < 0))} of {len(lead)}",
            "accuracy-blind": claim(lead.mean() < 0, "on the set where the digit is rare, the classifier's accuracy "
                                                     "is below the always-no baseline's"),
            "finds-most": claim(rare["model-recall"].mean() > 0.5, "the classifier finds most of the rare digits"),
            "fp-more": claim(fp > tp, "the classifier now makes more false positives than true positives"),
            "f1-sees": claim(rare["model-f1"].mean() > 0.2 and rare["baseline-f1"].max() == 0,
                             "the classifier's F1 is above 0.2 on average and the baseline's is 0"),
            "rare-averages-part": claim(rare["weighted-f1"].mean() - rare["macro-f1"].mean() > 0.01,
                                        "on the set where the digit is rare, the macro-average F1 is more than "
                                        "0.01 below the weighted one")}


@values("metrics/diabetes-values", uses="metrics/diabetes")
def diabetes_values(r: dict) -> dict:
    y = r["y_true"]
    scores = {name: np.array([f(y, p) for p in r["preds"]]) for name, f in REGRESSION_METRICS.items()}
    baseline = {name: f(y, np.full_like(y, r["train_mean"])) for name, f in REGRESSION_METRICS.items()}
    keys = {"MSE": "mse", "RMSE": "rmse", "MAE": "mae", "R²": "r2"}
    out = _settings(r) | {"target-mean": f"{y.mean():.0f}", "target-sd": f"{y.std():.0f}",
                          "target-min": f"{y.min():.0f}", "target-max": f"{y.max():.0f}"}
    for name, key in keys.items():
        fmt = (lambda v: f"{v:.2f}") if name == "R²" else (lambda v: f"{v:,.0f}")
        out |= {key: mean_sd(scores[name], fmt), f"baseline-{key}": fmt(baseline[name])}
    se = regression_se(r)
    out |= {f"{key}-se": (lambda v: f"{v:.2f}")(se[name]) if name == "R²" else f"{se[name]:,.0f}"
            for name, key in keys.items()}
    out["r2-sd-below-se"] = claim(np.std(scores["R²"], ddof=1) < se["R²"],
                                  "the runs' spread in R² is smaller than its test-set standard error")
    trends = residual_trends(r)
    out |= {"corr-prediction": f"{trends['with-prediction'].min():.2f} to {trends['with-prediction'].max():.2f}",
            "corr-truth": f"{trends['with-truth'].min():.2f} to {trends['with-truth'].max():.2f}",
            "slope": f"{trends['slope'].min():.2f} to {trends['slope'].max():.2f}"}
    out["about-half"] = claim(0.35 < scores["R²"].mean() < 0.65, "R² is about one half")
    out["beats-baseline"] = claim(scores["R²"].min() > baseline["R²"] + 0.3 and scores["MAE"].max() < baseline["MAE"],
                                  "every run beats the always-the-mean baseline on every metric by a wide margin")
    out["flat-vs-prediction"] = claim(np.all(np.abs(trends["with-prediction"]) < 0.1),
                                      "in every run the residual's correlation with the prediction is below 0.1 "
                                      "in size")
    out["calibrated"] = claim(np.all(np.abs(trends["slope"] - 1) < 0.1), "in every run the slope of the true value "
                              "on the prediction is within 0.1 of 1")
    out["tilt-vs-truth"] = claim(np.all(trends["with-truth"] > 0.3), "in every run the residual rises with the "
                                 "true value (correlation above 0.3)")
    effects = outlier_effects(r)
    ratio = {name: effects[name].mean(axis=(1, 2)) / effects[name][0].mean() for name in ("MSE", "RMSE", "MAE")}
    r2_mean = effects["R²"].mean(axis=(1, 2))
    for i, k in enumerate(OUTLIER_COUNTS):
        if k in (1, max(OUTLIER_COUNTS)):
            out |= {f"out{k}-{keys[n]}": f"{100 * (ratio[n][i] - 1):.0f}%" for n in ratio}
            out[f"out{k}-r2"] = f"{r2_mean[i]:.2f}"
    out |= {"out-max": str(max(OUTLIER_COUNTS)), "out-shift": f"{OUTLIER_SHIFT:g}",
            "out-r2-0": f"{r2_mean[0]:.2f}", "out-draws": str(DRAWS)}
    out["rmse-above-mae"] = claim(all(ratio["RMSE"][i] > ratio["MAE"][i] for i in range(1, len(OUTLIER_COUNTS))),
                                  "at every number of outliers RMSE grows by a larger share than MAE")
    out["r2-falls"] = claim(np.all(np.diff(r2_mean) < 0), "R² falls with every outlier added")
    return out
