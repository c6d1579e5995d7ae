"""Figures, tables and values for the page on sequences, attention and transformers."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nnbook.evidence import LEVEL, equivalent, exact_interval, fact, paired, t_quantile, trend
from nnbook.figures.style import Table, color, num, pct, rgba, tidy
from nnbook.registry import figure, table, values

NAMES = {"rnn": "plain RNN", "lstm": "LSTM", "transformer": "transformer"}
COLORS = {"rnn": 3, "lstm": 2, "transformer": 4}


def correct(r: dict, family: str) -> np.ndarray:
    """Whether each network answered each test sequence right: (lengths, seeds, examples)."""
    return r[f"{family}_correct"]


def accuracy(r: dict, family: str) -> np.ndarray:
    """Test accuracy per length and seed: (lengths, seeds)."""
    return r[f"{family}_correct"].mean(axis=-1)


def mean_interval(values: np.ndarray) -> tuple[float, float, float]:
    """The mean over seeds with its t interval at the book's level. Given correctness (seeds,
    examples) rather than one number per seed, the interval also holds the test set's sampling
    error: every seed is scored on the same examples, so that term does not shrink with seeds."""
    values = np.asarray(values, dtype=np.float64)
    per_seed = values.mean(axis=-1) if values.ndim == 2 else values
    mean = float(per_seed.mean())
    if len(per_seed) < 2:
        return mean, mean, mean
    variance = per_seed.var(ddof=1) / len(per_seed)
    if values.ndim == 2:
        variance += values.mean(axis=0).var(ddof=1) / values.shape[1]
    half = t_quantile(1 - (1 - LEVEL) / 2, len(per_seed) - 1) * np.sqrt(variance)
    return mean, mean - half, mean + half


def _ci(values: np.ndarray) -> str:
    """"mean (low–high)"; where every answer is right, the exact lower bound on the accuracy instead."""
    values = np.asarray(values)
    if values.ndim == 2 and values.all():
        lower = exact_interval(values.shape[1], values.shape[1])[0]  # the shared test examples
        return (f"{pct(1.0)} (all {values.size:,} answers; ≥{pct(lower)} for the {values.shape[1]:,} test "
                "sequences the seeds share)")
    mean, low, high = mean_interval(values)
    return f"{pct(mean)} ({pct(max(low, 0), 0)}–{pct(min(high, 1), 0)})"


# -- accuracy against length -----------------------------------------------------------------

def _accuracy_line(fig: go.Figure, lengths: np.ndarray, right: np.ndarray, rgb: str, name: str,
                   jitter: float = 1.0) -> None:
    """One network's accuracy against the length: the mean over seeds joined by a line, its interval
    as a band (clipped to what accuracy can be), each seed as a dot. `right`: (lengths, seeds, examples)."""
    stats = np.array([mean_interval(c) for c in right])
    acc = right.mean(-1)
    fig.add_scatter(x=np.concatenate([lengths, lengths[::-1]]),
                    y=np.clip(np.concatenate([stats[:, 2], stats[::-1, 1]]), 0, 1).astype(np.float32),
                    fill="toself", fillcolor=rgba(rgb, 0.18), line={"width": 0}, mode="lines", hoverinfo="skip",
                    showlegend=False, legendgroup=name, name=f"{name} (interval)")
    fig.add_scatter(x=lengths, y=stats[:, 0].astype(np.float32), mode="lines+markers", name=name,
                    legendgroup=name, line={"color": rgb},
                    hovertemplate=name + "<br>length %{x}: %{y:.1%}<extra></extra>")
    fig.add_scatter(x=np.repeat(lengths * jitter, acc.shape[1]), y=acc.ravel().astype(np.float32), mode="markers",
                    marker={"color": rgb, "size": 5, "opacity": 0.55}, showlegend=False, legendgroup=name,
                    hovertemplate="one seed: %{y:.1%}<extra></extra>", name=f"{name} (seeds)")


def _accuracy_axes(fig: go.Figure, lengths: np.ndarray, tokens: int, guess_label: str) -> None:
    """Accuracy against the length on a log axis, with guessing among the tokens dashed."""
    fig.add_hline(y=1 / tokens, line={"color": "#888", "dash": "dash", "width": 1},
                  annotation_text="guessing", annotation_position=guess_label)
    fig.update_layout(xaxis={"title": "sequence length (steps)", "type": "log", "tickvals": lengths},
                      yaxis={"title": "test accuracy", "tickformat": ".0%", "range": [0, 1.04]})


@figure("sequences/memory-accuracy", uses="sequences/memory",
        caption="Test accuracy on the marked-token task against the sequence length (log scale), for the "
                "three families at matched parameter counts and the same training budget. Lines join the means "
                "over seeds, bands are their 95 % t intervals (clipped to what accuracy can be), dots are single seeds; the "
                "dashed line is guessing among the tokens.")
def memory_accuracy(r: dict) -> tuple[go.Figure, Table]:
    fig = go.Figure()
    lengths = r["lengths"].astype(float)
    for family in r["families"]:
        _accuracy_line(fig, lengths, correct(r, family), color(COLORS[family]), NAMES[family],
                       jitter={"rnn": 0.97, "lstm": 1.0, "transformer": 1.03}[family])
    _accuracy_axes(fig, lengths, r["tokens"], "bottom right")
    header = ["length"] + [f"{NAMES[f]}: mean (interval)" for f in r["families"]] + \
             [f"{NAMES[f]}: each seed" for f in r["families"]]
    rows = [[str(int(n))] + [_ci(correct(r, f)[j]) for f in r["families"]] +
            [", ".join(pct(a, 0) for a in accuracy(r, f)[j]) for f in r["families"]]
            for j, n in enumerate(r["lengths"])]
    return tidy(fig, height=440, top=60), (header, rows)


# -- what carries the memory -------------------------------------------------------------------

def geometric_mean(g: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    return np.exp(np.log(np.maximum(g, 1e-30)).mean(axis=axes))


def _gradient_curves(r: dict) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Reader's name → (before, after) gradient norms per step, geometric mean over seeds and examples."""
    curves = {}
    for key, name in (("rnn_grad_h", "plain RNN, through h"), ("lstm_grad_h", "LSTM, through h"),
                      ("lstm_grad_c", "LSTM, through c (the cell)")):
        curves[name] = tuple(geometric_mean(r[f"{key}_{when}"], (0, 1)) for when in ("before", "after"))
    return curves


@figure("sequences/memory-gradients", uses="sequences/memory",
        caption="How strongly the answer's loss responds to the state at each step of sequences of {grad_length} "
                "steps: "
                "the norm of ∂loss/∂h (and, for the LSTM, of ∂loss/∂c, its cell state), log scale, before "
                "training (dotted) and after (solid); geometric mean over seeds and probed test sequences. The "
                "marks fall within the first steps (shaded). A gradient that is exactly zero in float32 is "
                "counted as 10⁻³⁰ on the log scale.")
def memory_gradients(r: dict) -> tuple[go.Figure, Table]:
    fig = go.Figure()
    length = int(r["grad_length"])
    steps = np.arange(1, length + 1)
    curves = _gradient_curves(r)
    for k, (name, (before, after)) in enumerate(curves.items()):
        rgb = color([COLORS["rnn"], COLORS["lstm"], 1][k])
        for when, g, dash in (("before training", before, "dot"), ("after training", after, "solid")):
            fig.add_scatter(x=steps, y=g.astype(np.float32), name=f"{name}, {when}", mode="lines",
                            legendgroup=name, line={"color": rgb, "dash": dash},
                            hovertemplate=f"{name}, {when}<br>step %{{x}}: %{{y:.2e}}<extra></extra>")
    fig.add_vrect(x0=0.5, x1=r["early"] + 0.5, fillcolor="#888", opacity=0.15, line_width=0)
    fig.update_layout(xaxis={"title": "time step (the marks fall in the shaded steps)"},
                      yaxis={"title": "gradient norm", "type": "log", "exponentformat": "power"})
    sample = sorted(set(np.linspace(0, length - 1, 11).round().astype(int)))
    header = ["step"] + [f"{name}, {when}" for name in curves for when in ("before", "after")]
    rows = [[str(int(steps[t]))] + [num(g[t]) for pair in curves.values() for g in pair] for t in sample]
    return tidy(fig, height=480, top=110), (header, rows)


def at_mark(g: np.ndarray, marks: np.ndarray) -> np.ndarray:
    """Each network's gradient norm at each probed sequence's marked step, geometric mean over the
    sequences: (networks,)."""
    picked = g[:, np.arange(len(marks)), marks]
    return geometric_mean(picked, (1,))


# -- attention ---------------------------------------------------------------------------------

def mark_weight(attention: np.ndarray, marks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per network: the last position's attention on the marked position and on an average other
    position, from the network's stronger head (the one with more weight on the mark over all probed
    sequences), means over the probed sequences."""
    on = attention[:, np.arange(len(marks)), :, marks]  # (sequences, networks, heads) under fancy indexing
    on = np.moveaxis(on, 0, 1).mean(axis=1).max(axis=-1)  # networks: the stronger head's mean
    length = attention.shape[-1]
    return on, (1 - on) / (length - 1)


@figure("sequences/attention-map", uses="sequences/memory",
        caption="Where the trained transformer's last position looks, in each of its two heads, for the first "
                "probed test sequences of the longest length (one row each, the first seed's network), over the "
                "first steps of the sequence, where the marks fall. Bright is a large attention weight; each "
                "full row sums to one. The ring marks each sequence's marked "
                "position. Pick 'before training' for the same network's untrained weights (the control).")
def attention_map(r: dict) -> tuple[go.Figure, Table]:
    rows_shown = min(12, len(r["probe_marks"]))
    marks = r["probe_marks"][:rows_shown]
    heads = r["attention_after"].shape[2]
    fig = make_subplots(rows=1, cols=heads, subplot_titles=[f"head {h + 1}" for h in range(heads)],
                        horizontal_spacing=0.06)
    length = r["attention_after"].shape[-1]
    shown = min(length, 4 * int(r["early"]))  # the marks fall in the first steps: show those, large enough to read
    views = (("after training", r["attention_after"]), ("before training", r["attention_before"]))
    for v, (_, att) in enumerate(views):
        for h in range(heads):
            z = att[0, :rows_shown, h, :shown]
            fig.add_heatmap(z=np.round(z, 3).astype(np.float32), x=np.arange(1, shown + 1), y=np.arange(1, rows_shown + 1),
                            colorscale="Viridis", zmin=0, zmax=1, showscale=h == heads - 1, visible=v == 0,
                            colorbar={"title": "weight", "thickness": 12},
                            hovertemplate="sequence %{y}, step %{x}: weight %{z:.3f}<extra></extra>",
                            name=f"head {h + 1}", row=1, col=h + 1)
    for h in range(heads):
        fig.add_scatter(x=marks + 1, y=np.arange(1, rows_shown + 1), mode="markers", name="marked position",
                        showlegend=h == 0, marker={"symbol": "circle-open", "size": 11, "color": "#ff4136",
                                                   "line": {"width": 2}},
                        hovertemplate="marked step %{x}<extra></extra>", row=1, col=h + 1)
    traces = len(fig.data)
    buttons = []
    for v, (label, _) in enumerate(views):
        visible = [(i // heads == v) if i < 2 * heads else True for i in range(traces)]
        buttons.append({"label": label, "method": "update", "args": [{"visible": visible}]})
    fig.update_layout(updatemenus=[{"name": "attention shown", "buttons": buttons, "active": 0, "x": 1,
                                    "xanchor": "right", "y": 1.18, "yanchor": "bottom", "type": "buttons",
                                    "direction": "right"}])
    fig.update_xaxes(title="step", range=[0.5, shown + 0.5])
    fig.update_yaxes(title="test sequence", autorange="reversed", col=1)
    fig.update_yaxes(autorange="reversed")
    on_after, _ = mark_weight(r["attention_after"], r["probe_marks"])
    table_rows = [[str(i + 1), str(int(marks[i]) + 1)] +
                  [num(r["attention_after"][0, i, h, marks[i]]) for h in range(heads)] +
                  [num(r["attention_before"][0, i, h, marks[i]]) for h in range(heads)] for i in range(rows_shown)]
    header = ["sequence", "marked step"] + [f"head {h + 1}, after" for h in range(heads)] + \
             [f"head {h + 1}, before" for h in range(heads)]
    return tidy(fig, height=460, top=110), (header, table_rows)


HAND = {  # a three-token example small enough to follow by hand: 2-D queries, keys and values
    "tokens": ["the", "cat", "sat"],
    "query": np.array([2.0, 0.0]),  # the query of the last token
    "keys": np.array([[0.0, 1.0], [2.0, 0.0], [1.0, 1.0]]),
    "values": np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]),
}


def hand_attention(query: np.ndarray, keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores q·k/√d, their softmax over positions, and the weighted sum of the values."""
    scores = keys @ query / np.sqrt(len(query))
    weights = np.exp(scores - scores.max())
    weights /= weights.sum()
    return scores, weights, weights @ values


@table("sequences/attention-by-hand", uses="sequences/position",
       caption="Attention for one query over three positions, worked out: each key's score is its dot product "
               "with the query divided by √d (d = 2), the softmax turns the scores into weights that sum to one, "
               "and the output is the weighted sum of the values (last row).")
def attention_by_hand(r: dict) -> Table:
    scores, weights, output = hand_attention(HAND["query"], HAND["keys"], HAND["values"])
    vec = lambda v: "(" + ", ".join(f"{x:g}" for x in v) + ")"  # noqa: E731
    rows = [["query q (of the last position)", vec(HAND["query"]), "", "", ""]]
    rows += [[t, vec(k), f"{s:.3f}", f"{w:.3f}", vec(v)]
             for t, k, s, w, v in zip(HAND["tokens"], HAND["keys"], scores, weights, HAND["values"])]
    rows.append(["output", "", "", f"{weights.sum():.3f}", "(" + ", ".join(f"{x:.3f}" for x in output) + ")"])
    return ["position", "key k (first row: the query)", "score q·k/√d", "weight (softmax)", "value v"], rows


# -- positional encoding -----------------------------------------------------------------------

@figure("sequences/position", uses="sequences/position",
        caption="Test accuracy of the same one-block transformer with and without positional encoding, on the "
                "order-free question (the token at the one mark) and on the order-dependent one (the token at "
                "the earlier of two marks). Bars are means over seeds with 95 % t intervals; dots are seeds.")
def position_figure(r: dict) -> tuple[go.Figure, Table]:
    acc = r["correct"].mean(axis=-1)  # task, encoding, seed
    fig = go.Figure()
    for e, enc in enumerate(r["encodings"]):
        stats = np.array([mean_interval(r["correct"][t, e]) for t in range(len(r["tasks"]))])
        fig.add_bar(x=r["tasks"], y=stats[:, 0], name=f"{enc} positional encoding", marker={"color": color(e)},
                    offsetgroup=str(e), error_y={"type": "data", "symmetric": False, "array": stats[:, 2] - stats[:, 0],
                                                 "arrayminus": stats[:, 0] - stats[:, 1]},
                    hovertemplate="%{x}: %{y:.1%}<extra>" + enc + "</extra>")
        fig.add_scatter(x=np.repeat(r["tasks"], acc.shape[2]), y=acc[:, e].ravel().astype(np.float32), mode="markers",
                        marker={"color": "#888", "size": 6, "line": {"color": "#fff", "width": 1}}, offsetgroup=str(e),
                        showlegend=False,
                        hovertemplate="one seed: %{y:.1%}<extra></extra>", name=f"{enc}, seeds")
    fig.update_layout(barmode="group", scattermode="group", yaxis={"title": "test accuracy", "tickformat": ".0%",
                                                                   "range": [0, 1.05]})
    rows = [[task] + [_ci(r["correct"][t, e]) for e in range(len(r["encodings"]))] for t, task in enumerate(r["tasks"])]
    return tidy(fig, height=400, top=60), (["question"] + [f"{e} positional encoding" for e in r["encodings"]], rows)


# -- how far attention reaches ---------------------------------------------------------------------

@figure("sequences/reach", uses="sequences/long",
        caption="The transformer of the memory task at hundreds of steps: test accuracy against the length, "
                "with full attention (line: means over seeds, bands: 95 % intervals with the test set's "
                "sampling error, dots: single seeds) and, at the longest length, the same architecture trained "
                "and tested on only the last steps, which do not hold the mark: a check that the answer does not "
                "leak into the data. The dashed line is guessing.")
def reach(r: dict) -> tuple[go.Figure, Table]:
    fig = go.Figure()
    lengths = r["lengths"].astype(float)
    _accuracy_line(fig, lengths, r["correct"], color(COLORS["transformer"]), "full attention")
    window = mean_interval(r["window_correct"])
    fig.add_scatter(x=[lengths[-1]], y=[window[0]], mode="markers", name=f"only the last {r['window']} steps",
                    marker={"color": color(1), "size": 10, "symbol": "diamond"},
                    error_y={"type": "data", "symmetric": False, "array": [window[2] - window[0]],
                             "arrayminus": [window[0] - window[1]]},
                    hovertemplate=f"only the last {r['window']} steps: " + "%{y:.1%}<extra></extra>")
    _accuracy_axes(fig, lengths, r["tokens"], "bottom left")
    header = ["length", "full attention: mean (interval)", "full attention: each seed",
              f"only the last {r['window']} steps"]
    rows = [row + [_ci(r["window_correct"]) if j == len(lengths) - 1 else "—"]
            for j, row in enumerate(_seed_rows(r["lengths"], r["correct"]))]
    return tidy(fig, height=420, top=60), (header, rows)


def _seed_rows(lengths: np.ndarray, right: np.ndarray) -> list[list[str]]:
    """One table row per length: the length, the mean with its interval, and each seed's accuracy.
    `right`: (lengths, seeds, examples)."""
    return [[str(int(n)), _ci(right[j]), ", ".join(pct(a, 0) for a in right[j].mean(-1))]
            for j, n in enumerate(lengths)]


NEAR_GUESSING = 0.05  # a run "no better than guessing": within five points above it


def _seed_words(acc: np.ndarray, chance: float) -> str:
    """Each seed's accuracy in words, grouped: 'all 5 seeds answer every sequence right', or 'two
    answer every sequence right, one 87%, two no better than guessing'."""
    perfect, guessing = acc == 1, acc < chance + NEAR_GUESSING
    if perfect.all():
        return f"all {len(acc)} seeds answer every test sequence right"
    parts = [f"{int(perfect.sum())} answer every test sequence right"] if perfect.any() else []
    middle = [pct(a, 0) for a in sorted(acc[~perfect & ~guessing])]
    if middle:
        listed = " and ".join(middle) if len(middle) < 3 else ", ".join(middle)
        parts.append(f"{len(middle)} score{'s' * (len(middle) == 1)} {listed}")
    if guessing.any():
        parts.append(f"{int(guessing.sum())} no better than guessing")
    return f"of the {len(acc)} seeds, " + ", ".join(parts)


@values("sequences/reach-values", uses="sequences/long")
def reach_values(r: dict) -> dict:
    first, last, window = r["correct"][0], r["correct"][-1], r["window_correct"]
    chance = 1 / r["tokens"]
    acc = r["correct"].mean(-1)  # length, seed
    drop = paired(first.mean(1), last.mean(1), points=True, examples=(first, last),
                  what=f"transformer, length {int(r['lengths'][0])} minus {int(r['lengths'][-1])}, test accuracy")
    return {"lengths": ", ".join(str(int(n)) for n in r["lengths"]), "shortest": str(int(r["lengths"][0])),
            "mid": str(int(r["lengths"][len(r["lengths"]) // 2])),
            "longest": str(int(r["lengths"][-1])), "window": str(r["window"]), "seeds": str(r["seeds"]),
            "params": f"{r['params']:,}", "epochs": str(r["epochs"]), "chance": pct(chance),
            "updates": f"{r['epochs'] * -(-r['train_rows'] // r['batch']):,}",
            "seeds-shortest": _seed_words(acc[0], chance), "seeds-mid": _seed_words(acc[len(acc) // 2], chance),
            "seeds-longest": _seed_words(acc[-1], chance), "acc-shortest": _ci(first), "acc-longest": _ci(last),
            "window-acc": _ci(window),
            "drop-test": drop.summary(), "drop-verdict": drop.reading}


@figure("sequences/onset", uses="sequences/onset",
        caption="The LSTM of the memory task between the lengths where it learned and where it did not, on fresh "
                "sequences and fresh initial weights: test accuracy against the length (line: means over seeds, "
                "bands: 95 % intervals with the test set's sampling error, dots: single seeds). The dashed line "
                "is guessing.")
def onset(r: dict) -> tuple[go.Figure, Table]:
    fig = go.Figure()
    lengths = r["lengths"].astype(float)
    _accuracy_line(fig, lengths, r["correct"], color(COLORS["lstm"]), "LSTM")
    _accuracy_axes(fig, lengths, r["tokens"], "bottom left")
    header = ["length", "LSTM: mean (interval)", "each seed"]
    return tidy(fig, height=400, top=40), (header, _seed_rows(r["lengths"], r["correct"]))


LEARNED = 0.75  # a run "found the mark": it answers at least three in four test sequences right


@values("sequences/onset-values", uses="sequences/onset")
def onset_values(r: dict) -> dict:
    acc = r["correct"].mean(-1)  # length, seed
    chance = 1 / r["tokens"]
    slope = trend(r["lengths"] / 10, 100 * acc.T, increasing=False,
                  what="LSTM test accuracy against the length, in points per ten more steps")
    learned, near = acc >= LEARNED, acc < chance + NEAR_GUESSING
    lengths = [str(int(n)) for n in r["lengths"]]
    return {"lengths": ", ".join(lengths[:-1]) + " and " + lengths[-1], "seeds": str(r["seeds"]),
            "runs": str(acc.size), "learned-limit": pct(LEARNED, 0), "learned": str(int(learned.sum())),
            "learned-lengths": str(int(learned.any(1).sum())), "length-count": str(len(lengths)),
            "near-guessing": str(int(near.sum())), "near-margin": f"{NEAR_GUESSING * 100:.0f}", "means": ", ".join(pct(m, 0) for m in acc.mean(1)),
            "best": ", ".join(pct(a, 0) for a in acc.max(1)), "worst": ", ".join(pct(a, 0) for a in acc.min(1)),
            "slope-test": slope.summary(), "slope-verdict": slope.reading,
            **_worst_length(r["lengths"], acc)}


def _worst_length(lengths: np.ndarray, acc: np.ndarray) -> dict:
    """The length whose best run scores lowest, and how many runs at longer lengths learn the task."""
    k = int(np.argmin(acc.max(1)))
    return {"worst-length": str(int(lengths[k])), "worst-length-best": pct(acc[k].max(), 0),
            "later-learned": str(int((acc[k + 1:] >= LEARNED).sum()))}


# -- cost ----------------------------------------------------------------------------------------

@table("sequences/cost", uses="sequences/memory",
       caption="What each family costs on the memory task: trainable parameters; multiply-adds of one forward "
               "pass over one sequence (for the transformer, a full block in which every position attends to "
               "every position; the model trained here computes only the last position's row, which grows "
               "linearly), at the shortest and the longest length counted. Wall-clock seconds are left out: on a shared machine "
               "they include tracing and other processes' load.")
def cost(r: dict) -> Table:
    header = ["network", "parameters", f"multiply-adds, length {int(r['cost_lengths'][0])}",
              f"multiply-adds, length {int(r['cost_lengths'][-1])}", "growth with length"]
    rows = []
    for family in r["families"]:
        ops = r[f"{family}_multiply_adds"]
        growth = "quadratic (every pair of positions)" if family == "transformer" else "linear (one step at a time)"
        rows.append([NAMES[family], f"{r[f'{family}_params']:,}", f"{int(ops[0]):,}", f"{int(ops[-1]):,}", growth])
    return header, rows


@figure("sequences/cost-growth", uses="sequences/memory",
        caption="Multiply-adds of one forward pass over one sequence against its length, both on log scales, "
                "for the three families at the widths trained here (for the transformer, a full block in which "
                "every position attends to every position). On these scales a cost in proportion to the length "
                "is a line of slope 1 and one in proportion to its square bends up towards slope 2. Counted from "
                "the layers' shapes, not timed.")
def cost_growth(r: dict) -> tuple[go.Figure, Table]:
    fig = go.Figure()
    lengths = r["cost_lengths"].astype(float)
    for family in r["families"]:
        fig.add_scatter(x=lengths, y=r[f"{family}_multiply_adds"].astype(float), mode="lines+markers",
                        name=NAMES[family], line={"color": color(COLORS[family])},
                        hovertemplate=NAMES[family] + "<br>length %{x}: %{y:,.0f} multiply-adds<extra></extra>")
    fig.update_layout(xaxis={"title": "sequence length (steps)", "type": "log", "tickvals": lengths},
                      yaxis={"title": "multiply-adds per sequence", "type": "log", "exponentformat": "power"})
    header = ["length"] + [NAMES[f] for f in r["families"]]
    rows = [[str(int(n))] + [f"{int(r[f'{f}_multiply_adds'][j]):,}" for f in r["families"]]
            for j, n in enumerate(r["cost_lengths"])]
    return tidy(fig, height=400, top=60), (header, rows)


@table("sequences/summary", uses="sequences/memory",
       caption="Test accuracy at each length: mean over seeds (95 % t interval), and the family or families "
               "with the highest mean.")
def summary(r: dict) -> Table:
    header = ["length"] + [NAMES[f] for f in r["families"]] + ["highest mean"]
    rows = []
    for j, n in enumerate(r["lengths"]):
        means = {f: accuracy(r, f)[j].mean() for f in r["families"]}
        top = max(means.values())
        best = " and ".join(NAMES[f] for f in r["families"] if means[f] == top)
        rows.append([str(int(n))] + [_ci(correct(r, f)[j]) for f in r["families"]] + [best])
    return header, rows


# -- values and claims -------------------------------------------------------------------------

def _length_index(r: dict, wanted: int) -> int:
    """The index of the length closest to `wanted` (the claims name lengths by position in the list)."""
    return int(np.argmin(np.abs(r["lengths"] - wanted)))


def _pair(r: dict, a: str, b: str, j: int, margin: float, what: str):
    """Family `a` above family `b` at length index `j`, paired over seeds and test sequences."""
    ca, cb = r[f"{a}_correct"][j], r[f"{b}_correct"][j]
    return paired(ca.mean(1), cb.mean(1), margin=margin, points=True, examples=(ca, cb),
                  what=f"{NAMES[a]} minus {NAMES[b]}, test accuracy at length {int(r['lengths'][j])}" + what)


@values("sequences/memory-values", uses="sequences/memory")
def memory_values(r: dict) -> dict:
    lengths = r["lengths"]
    out = {"lengths": ", ".join(str(int(n)) for n in lengths), "shortest": str(int(lengths[0])),
           "longest": str(int(lengths[-1])), "seeds": str(r["seeds"]), "epochs": str(r["epochs"]),
           "train-rows": f"{r['train_rows']:,}", "test-rows": f"{r['test_rows']:,}", "batch": str(r["batch"]),
           "lr": f"{r['lr']:g}", "clip": f"{r['clip']:g}", "tokens": str(r["tokens"]), "early": str(r["early"]),
           "chance": pct(1 / r["tokens"]), "probed": str(len(r["probe_marks"]))}
    for family, width in zip(r["families"], r["widths"]):
        acc = accuracy(r, family)
        out[f"{family}-width"] = str(width)
        out[f"{family}-params"] = f"{r[f'{family}_params']:,}"
        out[f"{family}-seconds"] = f"{r[f'{family}_seconds'][-1]:.1f} s"
        out[f"{family}-ops-shortest"] = f"{int(r[f'{family}_multiply_adds'][0]):,}"
        out[f"{family}-ops-longest"] = f"{int(r[f'{family}_multiply_adds'][-1]):,}"
        hits = correct(r, family)
        out[f"{family}-shortest"], out[f"{family}-longest"] = _ci(hits[0]), _ci(hits[-1])
        for j, n in enumerate(lengths):
            out[f"{family}-{int(n)}"] = _ci(hits[j])
    ops = {f: r[f"{f}_multiply_adds"] for f in r["families"]}
    out["cost-shortest"], out["cost-longest"] = str(int(r["cost_lengths"][0])), str(int(r["cost_lengths"][-1]))
    out["ops-ratio-longest"] = f"{ops['transformer'][-1] / ops['lstm'][-1]:.1f}"
    out["ops-ratio-shortest"] = f"{ops['transformer'][0] / ops['lstm'][0]:.1f}"
    out["ops-fact"] = fact("the transformer's multiply-adds grow with the square of the length, the recurrent "
                           "networks' in proportion to it")

    # where each family breaks
    mid = _length_index(r, 20)
    out["mid"] = str(int(lengths[mid]))
    for family in r["families"]:
        out[f"{family}-mid"] = _ci(correct(r, family)[mid])
    out["total-seconds"] = f"{r['total_seconds']:.0f} s"
    lstm_rnn = _pair(r, "lstm", "rnn", mid, 0.2, "")
    out["lstm-over-rnn"] = lstm_rnn.claim(f"at length {int(lengths[mid])} the LSTM is more accurate than the plain "
                                          "RNN, by more than 20 points")
    out["lstm-over-rnn-test"] = lstm_rnn.description()
    tr_lstm = _pair(r, "transformer", "lstm", len(lengths) - 1, 0.2, "")
    out["transformer-over-lstm"] = tr_lstm.claim("at the longest length the transformer is more accurate than the "
                                                 "LSTM, by more than 20 points")
    out["transformer-over-lstm-test"] = tr_lstm.description()
    decades = np.log10(lengths.astype(float))
    rnn_trend = trend(decades, 100 * accuracy(r, "rnn").T, increasing=False, margin=10,
                      what="slope of the plain RNN's test accuracy in points per tenfold length",
                      control=100 * accuracy(r, "transformer").T, control_name="the transformer's accuracy")
    out["rnn-falls"] = rnn_trend.claim("the plain RNN's accuracy falls with the length, by more than 10 points per "
                                       "tenfold length")
    out["rnn-falls-test"] = rnn_trend.description()
    lstm_trend = trend(decades, 100 * accuracy(r, "lstm").T, increasing=False, margin=10,
                       what="slope of the LSTM's test accuracy in points per tenfold length",
                       control=100 * accuracy(r, "transformer").T, control_name="the transformer's accuracy")
    out["lstm-falls"] = lstm_trend.claim("the LSTM's accuracy falls with the length, by more than 10 points per "
                                         "tenfold length")
    out["lstm-falls-test"] = lstm_trend.description()
    first, last = r["transformer_correct"][0], r["transformer_correct"][-1]
    lstm_first, lstm_last = r["lstm_correct"][0], r["lstm_correct"][-1]
    flat = equivalent(last.mean(1), first.mean(1), 0.05, points=True, examples=(last, first),
                      what="transformer, longest minus shortest length, test accuracy",
                      control=(lstm_last.mean(1), lstm_first.mean(1)), control_name="the LSTM, which falls")
    out["transformer-flat"] = flat.claim("the transformer's accuracy at the longest length is the same as at the "
                                         "shortest, within 5 points")
    out["transformer-flat-test"] = flat.description()
    out["flat-margin"] = f"{100 * flat.margin:g} points"

    # what carries the memory: gradients at the marked step, after training
    marks = r["grad_marks"]
    out["grad-length"] = str(int(r["grad_length"]))
    out["grad-probed"] = str(len(marks))
    for key in ("lstm", "rnn"):
        out[f"{key}-at-grad-length"] = _ci(correct(r, key)[list(r["lengths"]).index(r["grad_length"])])
    last_step = lambda g: geometric_mean(g[:, :, -1], (1,))  # noqa: E731
    grads = {name: {when: r[f"{name}_{when}"] for when in ("before", "after")}
             for name in ("rnn_grad_h", "lstm_grad_h", "lstm_grad_c")}
    reach = {name: {when: at_mark(g, marks) / last_step(grads["rnn_grad_h" if name.startswith("rnn") else "lstm_grad_h"][when])
                    for when, g in by.items()} for name, by in grads.items()}
    for name, by in reach.items():
        key = name.replace("_grad_", "-").replace("_", "-")
        for when, ratio in by.items():
            out[f"{key}-reach-{when}"] = num(float(np.exp(np.log(ratio).mean())), 2)
    log_reach = {name: {when: np.log10(ratio) for when, ratio in by.items()} for name, by in reach.items()}
    tenth = np.full(len(log_reach["lstm_grad_c"]["after"]), -1.0)
    cell = paired(log_reach["lstm_grad_c"]["after"], tenth, margin=0.0,
                  what="log10 of the gradient at the marked step relative to the last step, through the LSTM's "
                       "cell after training, minus log10 of one tenth",
                  control=(log_reach["lstm_grad_c"]["before"], tenth), control_name="the untrained LSTM")
    out["cell-carries"] = cell.claim("after training, the gradient that reaches the marked step through the LSTM's "
                                     "cell is more than a tenth of the one at the last step")
    out["cell-carries-test"] = cell.description()

    # attention: the last position looks at the mark
    on, other = mark_weight(r["attention_after"], r["probe_marks"])
    on_before, other_before = mark_weight(r["attention_before"], r["probe_marks"])
    heads = np.moveaxis(r["attention_after"][:, np.arange(len(r["probe_marks"])), :, r["probe_marks"]], 0, 1).mean(1)
    out["first-heads"] = " and ".join(pct(v, 0) for v in heads[0])  # networks, heads: mean weight on the mark
    out["weaker-heads"] = ", ".join(pct(v, 0) for v in heads.min(axis=1))
    out["mark-weight"] = _ci(on)
    out["mark-weight-before"] = _ci(on_before)
    out["uniform"] = pct(1 / r["attention_after"].shape[-1])
    looks = paired(on, other, margin=0.5, what="attention of the last position on the marked position minus on an "
                                               "average other position (the stronger head), after training",
                   control=(on_before, other_before), control_name="the untrained transformer")
    out["attends-mark"] = looks.claim("after training, the stronger head puts more than half of its attention on "
                                      "the marked position beyond what an average other position gets")
    out["attends-mark-test"] = looks.description()
    return out


@values("sequences/position-values", uses="sequences/position")
def position_values(r: dict) -> dict:
    acc = r["correct"].mean(axis=-1)  # task, encoding, seed
    out = {"length": str(r["length"]), "width": str(r["width"]), "params": f"{r['params']:,}",
           "total-seconds": f"{r['total_seconds']:.0f} s",
           "seeds": str(r["seeds"]), "epochs": str(r["epochs"]), "train-rows": f"{r['train_rows']:,}"}
    for t, task in enumerate(("one", "two")):
        for e, enc in enumerate(("with", "without")):
            out[f"{task}-{enc}"] = _ci(r["correct"][t, e])
    order = paired(acc[1, 0], acc[1, 1], margin=0.2, points=True, examples=(r["correct"][1, 0], r["correct"][1, 1]),
                   what="with minus without positional encoding, test accuracy on the earlier of two marks",
                   control=(acc[0, 0], acc[0, 1]), control_name="the order-free question")
    out["order-needs-position"] = order.claim("on the question about order, positional encoding raises the accuracy "
                                              "by more than 20 points")
    out["order-needs-position-test"] = order.description()
    pick_one = 0.5 + 0.5 / r["tokens"]  # the earlier mark's token half the time, else the later's, right by luck
    picks = equivalent(acc[1, 1], np.full(len(acc[1, 1]), pick_one), 0.05, points=True,
                       what="without positional encoding, test accuracy on the earlier of two marks minus what "
                            "picking one of the two marks at random would score",
                       control=(acc[1, 0], np.full(len(acc[1, 0]), pick_one)), control_name="the model with the encoding")
    out["pick-one"] = pct(pick_one)
    out["margin"] = f"{100 * picks.margin:g} points"
    out["picks-one"] = picks.claim("without the encoding the model scores what picking one of the two marks at random "
                                   "would, within 5 points")
    free = equivalent(acc[0, 0], acc[0, 1], 0.05, points=True, examples=(r["correct"][0, 0], r["correct"][0, 1]),
                      what="with minus without positional encoding, test accuracy on the one mark",
                      control=(acc[1, 0], acc[1, 1]), control_name="the question about order")
    out["order-free-same"] = free.claim("on the order-free question the model does as well without positional "
                                        "encoding as with it, within 5 points")
    out["order-free-same-test"] = free.description()
    return out
