"""The sequence experiments, run for real in the smoke profile, and their building blocks checked
against Keras's own layers."""

from __future__ import annotations

import numpy as np

from nnbook.experiments.sequences import (EARLY, FEATURES, TOKENS, init_weights, marked_task, positional_encoding,
                                          recurrent, recurrent_states, transformer)
from nnbook.figures.sequences import (hand_attention, mark_weight, memory_values, onset_values, position_values,
                                     reach_values)


def test_marked_task_answers_the_marked_token():
    x, y, where = marked_task(300, 12, np.random.default_rng(0))
    assert x.shape == (300, 12, FEATURES) and y.shape == (300,) and where.shape == (300, 1)
    assert (x[:, :, :TOKENS].sum(-1) == 1).all(), "one token per step"
    assert (x[:, :, TOKENS].sum(-1) == 1).all() and (where < EARLY).all()
    assert np.array_equal(x[np.arange(300), where[:, 0], TOKENS], np.ones(300))
    assert np.array_equal(y, x[np.arange(300), where[:, 0], :TOKENS].argmax(-1))


def test_two_marks_ask_for_the_earlier():
    x, y, where = marked_task(300, 12, np.random.default_rng(1), marks=2)
    assert (x[:, :, TOKENS].sum(-1) == 2).all() and (where[:, 0] < where[:, 1]).all()
    assert np.array_equal(y, x[np.arange(300), where[:, 0], :TOKENS].argmax(-1))
    assert not np.array_equal(y, x[np.arange(300), where[:, 1], :TOKENS].argmax(-1))


def test_positional_encoding_is_sine_and_cosine():
    code = positional_encoding(50, 8)
    assert code.shape == (50, 8)
    assert np.allclose(code[0], [0, 1] * 4)
    assert np.allclose(code[:, 0], np.sin(np.arange(50)))
    assert len({tuple(row) for row in code.round(5)}) == 50, "every position has its own code"


def test_hand_attention_is_a_weighted_average():
    query, keys, vals = np.array([1.0, 0.0]), np.array([[0.0, 1.0], [3.0, 0.0]]), np.array([[1.0, 0.0], [0.0, 1.0]])
    scores, weights, output = hand_attention(query, keys, vals)
    assert np.allclose(scores, [0, 3 / np.sqrt(2)]) and np.isclose(weights.sum(), 1) and weights[1] > weights[0]
    assert np.allclose(output, weights @ vals)


def test_recurrent_cells_match_keras_layers():
    from nnbook.backend import tensorflow

    _, keras = tensorflow()
    x, _, _ = marked_task(3, 7, np.random.default_rng(2))
    for family, layer in (("rnn", keras.layers.SimpleRNN), ("lstm", keras.layers.LSTM)):
        w = init_weights(family, 4, np.random.default_rng(5))
        model = keras.Sequential([keras.Input((7, FEATURES)), layer(4), keras.layers.Dense(TOKENS)])
        model.set_weights([w["kernel"], w["recurrent"], w["bias"], w["out"], w["out_bias"]])
        batched = {k: v[None] for k, v in w.items()}
        expected = model.predict(x, verbose=0)
        assert np.allclose(np.asarray(recurrent(family, batched, x[None]))[0], expected, atol=1e-5), family
        logits, hs, cs = recurrent_states(family, batched, x[None])
        assert np.allclose(np.asarray(logits)[0], expected, atol=1e-5) and len(hs) == len(cs) == 7


def test_transformer_matches_a_keras_block():
    """The batched block, read at the last position, computes what Keras's MultiHeadAttention,
    LayerNormalization and Dense layers compute at that position."""
    from nnbook.backend import tensorflow

    tf, keras = tensorflow()
    layers = keras.layers
    width, heads, length = 8, 2, 6
    w = {k: v + np.random.default_rng(3).normal(0, 0.1, v.shape).astype(np.float32)  # biases and gains off their init
         for k, v in init_weights("transformer", width, np.random.default_rng(4)).items()}
    x, _, _ = marked_task(4, length, np.random.default_rng(5))
    code = positional_encoding(length, width)
    inputs = keras.Input((length, FEATURES))
    z = layers.Dense(width)(inputs) + code
    attention = layers.MultiHeadAttention(heads, width // heads)
    y = layers.LayerNormalization()(z + attention(z, z))
    y = layers.LayerNormalization()(y + layers.Dense(width)(layers.Dense(2 * width, activation="relu")(y)))
    model = keras.Model(inputs, layers.Dense(TOKENS)(y[:, -1]))
    split = lambda m: m.reshape(width, heads, width // heads)  # noqa: E731
    model.set_weights([w["embed"], w["embed_bias"],
                       split(w["query"]), w["query_bias"].reshape(heads, -1), split(w["key"]),
                       w["key_bias"].reshape(heads, -1), split(w["value"]), w["value_bias"].reshape(heads, -1),
                       w["mix"].reshape(heads, width // heads, width), w["mix_bias"],
                       w["norm_1"], w["norm_1_bias"], w["ff_1"], w["ff_1_bias"], w["ff_2"], w["ff_2_bias"],
                       w["norm_2"], w["norm_2_bias"], w["out"], w["out_bias"]])
    logits, weights = transformer({k: tf.constant(v[None]) for k, v in w.items()}, x[None], heads, code)
    assert np.allclose(np.asarray(logits)[0], model.predict(x, verbose=0), atol=1e-4)
    assert np.allclose(np.asarray(weights).sum(-1), 1, atol=1e-5)


def test_memory_experiment_shapes_and_probes(smoke_book):
    r = smoke_book.result("sequences/memory").values
    lengths, seeds, test = len(r["lengths"]), r["seeds"], r["test_rows"]
    for family in r["families"]:
        correct = r[f"{family}_correct"]
        assert correct.shape == (lengths, seeds, test) and correct.dtype == bool
        assert r[f"{family}_seconds"].shape == (lengths,) and (r[f"{family}_seconds"] > 0).all()
        assert (np.diff(r[f"{family}_multiply_adds"]) > 0).all()
    probed, longest = len(r["probe_marks"]), int(r["lengths"][-1])
    assert int(r["grad_length"]) in r["lengths"] and len(r["grad_marks"]) == probed
    for name in ("rnn_grad_h", "lstm_grad_h", "lstm_grad_c"):
        for when in ("before", "after"):
            g = r[f"{name}_{when}"]
            assert g.shape == (seeds, probed, int(r["grad_length"])) and np.isfinite(g).all() and (g >= 0).all(), name
    assert not np.array_equal(r["lstm_grad_h_before"], r["lstm_grad_h_after"]), "training changed the LSTM"
    for when in ("before", "after"):
        att = r[f"attention_{when}"]
        assert att.shape[:2] == (seeds, probed) and att.shape[-1] == longest
        assert (att >= 0).all() and np.allclose(att.sum(-1), 1, atol=1e-5), "attention weights are probabilities"
    on, other = mark_weight(r["attention_after"], r["probe_marks"])
    assert on.shape == other.shape == (seeds,) and ((0 <= on) & (on <= 1)).all()
    assert (r["probe_marks"] < r["early"]).all() and (r["grad_marks"] < r["early"]).all()


def test_memory_values_state_their_tests(smoke_book):
    out = memory_values(smoke_book.result("sequences/memory").values)
    for name in ("lstm-over-rnn", "transformer-over-lstm", "rnn-falls", "transformer-flat", "cell-carries",
                 "attends-mark"):
        assert out[name].evidence is not None, name
        assert out[name].evidence.seeds == smoke_book.result("sequences/memory").values["seeds"]
    assert out["ops-fact"].fact


def test_position_experiment(smoke_book):
    r = smoke_book.result("sequences/position").values
    assert r["correct"].shape == (2, 2, r["seeds"], r["test_rows"]) and r["correct"].dtype == bool
    out = position_values(r)
    assert out["order-needs-position"].evidence.control is not None


def test_parameter_counts_are_matched():
    """The full profile's widths give the three families about the same number of parameters."""
    from nnbook.experiments.sequences import count_params
    from nnbook.registry import EXPERIMENTS, load

    load()
    widths = EXPERIMENTS["sequences/memory"].params("full")["widths"]
    counts = [count_params(init_weights(f, widths[f], np.random.default_rng(0))) for f in widths]
    assert max(counts) / min(counts) < 1.05, counts


def test_reach_experiment_and_its_control(smoke_book):
    """The transformer at the long lengths, and the copy whose attention window misses the mark."""
    r = smoke_book.result("sequences/long").values
    seeds, test = int(r["seeds"]), int(r["test_rows"])
    assert r["correct"].shape == (len(r["lengths"]), seeds, test) and r["correct"].dtype == bool
    assert r["window_correct"].shape == (seeds, test)
    assert r["lengths"][0] <= r["window"] < r["lengths"][-1] - EARLY, "the window misses the mark at the longest"
    out = reach_values(r)
    assert "window-guesses" not in out, "a window without the mark must guess: a check of the data, not a claim"
    assert out["seeds-longest"].startswith(("all", "of the"))


def test_onset_experiment_counts_runs_and_fits_a_slope(smoke_book):
    """The LSTM between the lengths where it learns and where it does not: every run is counted once,
    and the slope's verdict is one of the evidence module's words."""
    r = smoke_book.result("sequences/onset").values
    seeds, test = int(r["seeds"]), int(r["test_rows"])
    assert r["correct"].shape == (len(r["lengths"]), seeds, test) and r["correct"].dtype == bool
    out = onset_values(r)
    assert int(out["runs"]) == len(r["lengths"]) * seeds
    assert 0 <= int(out["learned"]) + int(out["near-guessing"]) <= int(out["runs"])
    assert out["slope-verdict"] in ("above 0", "below 0", "no clear difference (the interval covers 0)")
    assert len(out["best"].split(", ")) == len(r["lengths"])
