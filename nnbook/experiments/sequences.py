"""Sequences: a memory task with distractors for a plain RNN, an LSTM and a one-block transformer,
and what positional encoding does for attention.

Every network of a family is trained at once, one per seed, as a single batched computation: the
weights carry a leading network axis, the loss is a sum of independent losses, each network's
gradient is clipped on its own and Adam works weight by weight, so each learns as it would alone.
The cells compute what Keras's `SimpleRNN`, `LSTM` and `MultiHeadAttention` compute.
"""

from __future__ import annotations

import time

import numpy as np

from nnbook.backend import tensorflow
from nnbook.registry import experiment

TOKENS = 8  # distractor and answer tokens: 0..7, given one-hot
FEATURES = TOKENS + 1  # the token's one-hot code and a mark flag
EARLY = 5  # marks fall within the first EARLY steps, so the answer waits about the whole length
FAMILIES = ("rnn", "lstm", "transformer")
GATES = {"rnn": 1, "lstm": 4}


# -- the task ---------------------------------------------------------------------------------

def marked_task(n: int, length: int, rng: np.random.Generator, marks: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random tokens with `marks` marked positions among the first `EARLY` steps.

    With one mark the answer is its token; with two, the token at the earlier of them (a question
    about order). Returns inputs (n, length, FEATURES), answers (n,) and the marked positions (n, marks).
    """
    tokens = rng.integers(0, TOKENS, (n, length))
    x = np.zeros((n, length, FEATURES), np.float32)
    x[np.arange(n)[:, None], np.arange(length)[None], tokens] = 1
    where = np.sort(np.stack([rng.choice(EARLY, marks, replace=False) for _ in range(n)]), axis=1)
    x[np.arange(n)[:, None], where, TOKENS] = 1
    return x, tokens[np.arange(n), where[:, 0]], where


def positional_encoding(length: int, width: int) -> np.ndarray:
    """The sinusoidal code of Vaswani et al.: sin and cos of the position at geometric frequencies."""
    angle = np.arange(length)[:, None] / 10000 ** (np.arange(0, width, 2)[None] / width)
    code = np.zeros((length, width), np.float32)
    code[:, 0::2], code[:, 1::2] = np.sin(angle), np.cos(angle)
    return code


# -- initial weights (Keras's defaults), one network per seed ---------------------------------

def _glorot(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    limit = np.sqrt(6 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32)


def _orthogonal(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(max(rows, cols), min(rows, cols))))
    q = q * np.sign(np.diag(r))
    return (q if rows >= cols else q.T).astype(np.float32)


def init_weights(family: str, width: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One network's initial weights: Glorot inputs, orthogonal recurrence, forget bias 1 (the
    LSTM), zero biases, unit layer-norm gains; a Glorot softmax readout over the tokens."""
    zeros = lambda *shape: np.zeros(shape, np.float32)  # noqa: E731
    out = {"out": _glorot(rng, width, TOKENS), "out_bias": zeros(TOKENS)}
    if family in GATES:
        gates = GATES[family] * width
        bias = zeros(gates)
        if family == "lstm":
            bias[width:2 * width] = 1.0
        return out | {"kernel": _glorot(rng, FEATURES, gates), "recurrent": _orthogonal(rng, width, gates),
                      "bias": bias}
    ones = lambda n: np.ones(n, np.float32)  # noqa: E731
    return out | {"embed": _glorot(rng, FEATURES, width), "embed_bias": zeros(width),
                  **{p: _glorot(rng, width, width) for p in ("query", "key", "value", "mix")},
                  **{f"{p}_bias": zeros(width) for p in ("query", "key", "value", "mix")},
                  "norm_1": ones(width), "norm_1_bias": zeros(width), "norm_2": ones(width), "norm_2_bias": zeros(width),
                  "ff_1": _glorot(rng, width, 2 * width), "ff_1_bias": zeros(2 * width),
                  "ff_2": _glorot(rng, 2 * width, width), "ff_2_bias": zeros(width)}


def count_params(weights: dict[str, np.ndarray]) -> int:
    return int(sum(w.size for w in weights.values()))


# -- the networks, many at once: weights (networks, ...), inputs (networks, batch, time, features)

def _cell(tf, family: str, recurrent_weights, z_in, h, cell):
    """One step: SimpleRNN h = tanh(x U + h W + b), or the LSTM with gates i, f, c, o in Keras's order."""
    z = z_in + h @ recurrent_weights
    if family == "rnn":
        return tf.tanh(z), cell
    i, f, c, o = tf.split(z, 4, axis=-1)
    cell = tf.sigmoid(f) * cell + tf.sigmoid(i) * tf.tanh(c)
    return tf.sigmoid(o) * tf.tanh(cell), cell


def _driven(tf, w: dict, x):
    """Every step's input term x U + b at once: (time, networks, batch, gates)."""
    return tf.einsum("nbtf,nfj->tnbj", x, w["kernel"]) + w["bias"][None, :, None, :]


def recurrent(family: str, w: dict, x):
    """Keras's SimpleRNN or LSTM over the whole sequence (a loop in the graph), then a softmax
    readout of the last hidden state: the logits."""
    tf, _ = tensorflow()
    start = tf.zeros((x.shape[0], x.shape[1], w["recurrent"].shape[1]))
    h, _ = tf.foldl(lambda state, z_in: _cell(tf, family, w["recurrent"], z_in, *state), _driven(tf, w, x),
                    initializer=(start, start))
    return h @ w["out"] + w["out_bias"][:, None, :]


def recurrent_states(family: str, w: dict, x):
    """The same computation step by step (eagerly), keeping every hidden state h and cell state c
    so that the gradient of the loss with respect to each can be taken. Returns logits, hs, cs."""
    tf, _ = tensorflow()
    h = cell = tf.zeros((x.shape[0], x.shape[1], w["recurrent"].shape[1]))
    hs, cs = [], []
    for z_in in tf.unstack(_driven(tf, w, x)):
        h, cell = _cell(tf, family, w["recurrent"], z_in, h, cell)
        hs.append(h)
        cs.append(cell)
    return h @ w["out"] + w["out_bias"][:, None, :], hs, cs


def _norm(tf, v, gain, bias):
    mean, var = tf.nn.moments(v, axes=[-1], keepdims=True)
    return (v - mean) / tf.sqrt(var + 1e-3) * gain[:, None, :] + bias[:, None, :]


def transformer(w: dict, x, heads: int, code):
    """One post-norm transformer block (multi-head self-attention, then a ReLU feed-forward layer of
    twice the width, each with a residual connection and layer normalisation), read at the last
    position. Only the last position's output reaches the answer, so only its attention row is
    computed: the other rows of the block would change nothing. `code` is the positional encoding
    added to the embedded inputs (zeros for none). Returns the logits and the attention weights
    (networks, batch, heads, time)."""
    tf, _ = tensorflow()
    z = tf.einsum("nbtf,nfd->nbtd", x, w["embed"]) + w["embed_bias"][:, None, None, :] + code
    n, b, t, d = z.shape
    split = lambda v: tf.reshape(v, v.shape[:-1] + (heads, d // heads))  # noqa: E731
    last = z[:, :, -1]
    q = split(last @ w["query"] + w["query_bias"][:, None])
    k = split(tf.einsum("nbtd,nde->nbte", z, w["key"]) + w["key_bias"][:, None, None])
    v = split(tf.einsum("nbtd,nde->nbte", z, w["value"]) + w["value_bias"][:, None, None])
    attention = tf.nn.softmax(tf.einsum("nbhe,nbthe->nbht", q, k) / np.sqrt(d // heads), axis=-1)
    mixed = tf.reshape(tf.einsum("nbht,nbthe->nbhe", attention, v), (n, b, d)) @ w["mix"] + w["mix_bias"][:, None]
    y = _norm(tf, last + mixed, w["norm_1"], w["norm_1_bias"])
    ff = tf.nn.relu(y @ w["ff_1"] + w["ff_1_bias"][:, None]) @ w["ff_2"] + w["ff_2_bias"][:, None]
    y = _norm(tf, y + ff, w["norm_2"], w["norm_2_bias"])
    return y @ w["out"] + w["out_bias"][:, None], attention


def clip_each(grads: list, clip: float) -> list:
    """Scale each network's gradient (a slice along the leading axis) to a norm of at most `clip`."""
    tf, _ = tensorflow()
    squares = tf.add_n([tf.reduce_sum(tf.reshape(g, (g.shape[0], -1)) ** 2, axis=1) for g in grads])
    scale = tf.minimum(1.0, clip / (tf.sqrt(squares) + 1e-12))
    return [g * tf.reshape(scale, (-1,) + (1,) * (len(g.shape) - 1)) for g in grads]


class Trainer:
    """The networks of one family at one length, one per seed, trained together."""

    def __init__(self, family: str, width: int, seeds: list[int], length: int, heads: int = 2,
                 encoded: bool = True, lr: float = 0.01, clip: float = 1.0):
        tf, keras = tensorflow()
        self.family, self.heads = family, heads
        inits = [init_weights(family, width, np.random.default_rng(s)) for s in seeds]
        self.params = count_params(inits[0])
        self.weights = {name: tf.Variable(np.stack([i[name] for i in inits])) for name in inits[0]}
        if family == "transformer":
            self.code = tf.constant(positional_encoding(length, width) if encoded else np.zeros((length, width), np.float32))
        optimizer = keras.optimizers.Adam(lr)
        variables = list(self.weights.values())

        @tf.function
        def step(x, y):
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(self.losses(x, y))
            optimizer.apply_gradients(zip(clip_each(tape.gradient(loss, variables), clip), variables))

        self.step = step
        self.predict = tf.function(lambda x: tf.argmax(self.logits(x)[0], axis=-1, output_type=tf.int32))

    def logits(self, x):
        if self.family == "transformer":
            return transformer(self.weights, x, self.heads, self.code)
        return recurrent(self.family, self.weights, x), None

    def losses(self, x, y):
        tf, _ = tensorflow()
        return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, self.logits(x)[0]), axis=1)

    def fit(self, x: np.ndarray, y: np.ndarray, epochs: int, batch: int, rng: np.random.Generator) -> float:
        """Adam on shuffled batches (the same order for every network); returns the seconds it took."""
        networks = self.weights["out"].shape[0]
        start = time.perf_counter()
        for _ in range(epochs):
            order = rng.permutation(len(x))
            for b in range(0, len(x), batch):
                idx = order[b:b + batch]
                self.step(np.broadcast_to(x[idx], (networks,) + x[idx].shape), np.broadcast_to(y[idx], (networks, len(idx))))
        return time.perf_counter() - start

    def correct(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Whether each network answers each example right: (networks, examples)."""
        networks = self.weights["out"].shape[0]
        return (self.predict(np.broadcast_to(x, (networks,) + x.shape)).numpy() == y[None])

    def state_gradients(self, x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
        """|dL/dh_t| (and |dL/dc_t| for the LSTM) at every step, per network and example: how much
        the answer's loss still responds to the state t steps in. (networks, examples, time)."""
        tf, _ = tensorflow()
        networks = self.weights["out"].shape[0]
        xb = tf.constant(np.broadcast_to(x, (networks,) + x.shape))
        with tf.GradientTape() as tape:
            logits, hs, cs = recurrent_states(self.family, self.weights, xb)
            loss = tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(np.broadcast_to(y, (networks, len(y))), logits))
        grads = tape.gradient(loss, {"h": hs, "c": cs} if self.family == "lstm" else {"h": hs})
        return {name: np.stack([tf.norm(g, axis=-1).numpy() for g in gs], axis=-1).astype(np.float32)
                for name, gs in grads.items()}

    def attention(self, x: np.ndarray):
        """The last position's attention weights: (networks, examples, heads, time)."""
        networks = self.weights["out"].shape[0]
        return self.logits(np.broadcast_to(x, (networks,) + x.shape))[1].numpy().astype(np.float32)


def _multiply_adds(family: str, width: int, length: int, heads: int = 2) -> int:
    """Multiply-adds of one forward pass over one sequence (weights times inputs, attention scores and
    sums). For the transformer: a full block, every position attending to every position."""
    if family in GATES:
        return length * GATES[family] * width * (FEATURES + width) + width * TOKENS
    per_position = FEATURES * width + 4 * width * width + 4 * width * width  # embed, q k v mix, feed-forward
    return length * per_position + 2 * length * length * width + width * TOKENS


@experiment("sequences/memory", seed=28,
            full={"lengths": [10, 20, 50], "widths": {"rnn": 42, "lstm": 20, "transformer": 16},
                  "train": 2000, "test": 500, "seeds": 5, "epochs": 10, "batch": 100, "lr": 0.01, "clip": 1.0,
                  "probe": 200, "probe_length": 20, "cost_lengths": [10, 20, 50, 100, 200, 400]},
            smoke={"lengths": [6, 12], "widths": {"rnn": 6, "lstm": 2, "transformer": 4},
                   "train": 200, "test": 60, "seeds": 2, "epochs": 2, "batch": 100, "lr": 0.01, "clip": 1.0,
                   "probe": 20, "probe_length": 6, "cost_lengths": [6, 12, 24]},
            title="A plain RNN, an LSTM and a one-block transformer recalling a marked token among distractors")
def memory(lengths: list[int], widths: dict[str, int], train: int, test: int, seeds: int, epochs: int, batch: int,
           lr: float, clip: float, probe: int, probe_length: int, cost_lengths: list[int], seed: int) -> dict:
    """At every length: fresh training and test sequences, the same for all families; each family
    trained from `seeds` initial weights for the same epochs and batches. Probed before and after
    training: the recurrent networks' gradients through their states at `probe_length` (a length at
    which the LSTM learns the task), the transformer's attention weights at the longest length. The
    cost in multiply-adds is counted, not trained, at `cost_lengths` (beyond the trained lengths:
    the `long` experiment trains the transformer there)."""
    begun = time.perf_counter()
    out: dict = {"families": list(FAMILIES), "lengths": np.array(lengths), "tokens": TOKENS, "early": EARLY,
                 "train_rows": train, "test_rows": test, "seeds": seeds, "epochs": epochs, "batch": batch,
                 "lr": lr, "clip": clip, "widths": [widths[f] for f in FAMILIES]}
    data_rng = np.random.default_rng(seed)
    correct = {f: [] for f in FAMILIES}
    seconds = {f: [] for f in FAMILIES}
    for length in lengths:
        x, y, _ = marked_task(train, length, data_rng)
        x_test, y_test, where = marked_task(test, length, data_rng)
        for k, family in enumerate(FAMILIES):
            trainer = Trainer(family, widths[family], [seed * 1000 + 10 * s + k for s in range(seeds)], length,
                              lr=lr, clip=clip)
            out[f"{family}_params"] = trainer.params
            attending = family == "transformer"
            probing = length == (lengths[-1] if attending else probe_length)
            px, py, pwhere = x_test[:probe], y_test[:probe], where[:probe, 0]
            if probing:
                before = trainer.attention(px) if attending else trainer.state_gradients(px, py)
            seconds[family].append(trainer.fit(x, y, epochs, batch, np.random.default_rng(seed + length)) / seeds)
            correct[family].append(trainer.correct(x_test, y_test))
            if probing and attending:
                out["attention_before"], out["attention_after"] = before, trainer.attention(px)
                out["probe_marks"] = pwhere
                out["probe_tokens"] = px[:, :, :TOKENS].argmax(-1).astype(np.int8)
            elif probing:
                after = trainer.state_gradients(px, py)
                for name in before:
                    out[f"{family}_grad_{name}_before"] = before[name]
                    out[f"{family}_grad_{name}_after"] = after[name]
                out["grad_length"], out["grad_marks"] = length, pwhere
    for family in FAMILIES:
        out[f"{family}_correct"] = np.array(correct[family])  # (lengths, seeds, test examples)
        out[f"{family}_seconds"] = np.array(seconds[family], dtype=np.float32)
        out[f"{family}_multiply_adds"] = np.array([_multiply_adds(family, widths[family], n) for n in cost_lengths])
    out["cost_lengths"] = np.array(cost_lengths)
    out["total_seconds"] = time.perf_counter() - begun
    return out


@experiment("sequences/long", seed=30,
            full={"lengths": [100, 200, 400], "window": 150, "width": 16, "train": 2000, "test": 500, "seeds": 5,
                  "epochs": 10, "batch": 100, "lr": 0.01, "clip": 1.0},
            smoke={"lengths": [12, 24], "window": 16, "width": 4, "train": 200, "test": 60, "seeds": 2,
                   "epochs": 2, "batch": 100, "lr": 0.01, "clip": 1.0},
            title="The one-block transformer on the memory task at hundreds of steps, with full attention and "
                  "with attention limited to a window of the last steps")
def reach(lengths: list[int], window: int, width: int, train: int, test: int, seeds: int, epochs: int, batch: int,
         lr: float, clip: float, seed: int) -> dict:
    """The marked-token task at each length for the transformer of `memory`, trained the same way.
    At the longest length also a copy whose attention reaches only the last `window` steps (below
    the longest length, above the shortest): its last position attends only to those, which is the
    same as reading only them, so it is trained on them. The mark lies in the first steps, outside
    that window."""
    if not lengths[0] <= window < lengths[-1] - EARLY:
        raise ValueError(f"the window ({window}) must cover the shortest length and miss the mark at the longest")
    begun = time.perf_counter()
    data_rng = np.random.default_rng(seed)
    out: dict = {"lengths": np.array(lengths), "window": window, "width": width, "tokens": TOKENS,
                 "train_rows": train, "test_rows": test, "seeds": seeds, "epochs": epochs, "batch": batch, "lr": lr}
    nets = [seed * 1000 + 10 * s for s in range(seeds)]
    correct = []
    for length in lengths:
        x, y, _ = marked_task(train, length, data_rng)
        x_test, y_test, _ = marked_task(test, length, data_rng)
        trainer = Trainer("transformer", width, nets, length, lr=lr, clip=clip)
        trainer.fit(x, y, epochs, batch, np.random.default_rng(seed + length))
        correct.append(trainer.correct(x_test, y_test))
        out["params"] = trainer.params
        if length == lengths[-1]:
            windowed = Trainer("transformer", width, nets, window, lr=lr, clip=clip)
            windowed.fit(x[:, -window:], y, epochs, batch, np.random.default_rng(seed + length))
            out["window_correct"] = windowed.correct(x_test[:, -window:], y_test)  # (seeds, test examples)
    out["correct"] = np.array(correct)  # (lengths, seeds, test examples)
    out["total_seconds"] = time.perf_counter() - begun
    return out


@experiment("sequences/onset", seed=31,
            full={"lengths": [25, 30, 35, 40, 45], "width": 20, "train": 2000, "test": 500, "seeds": 5,
                  "epochs": 10, "batch": 100, "lr": 0.01, "clip": 1.0},
            smoke={"lengths": [6, 9], "width": 2, "train": 200, "test": 60, "seeds": 2, "epochs": 2,
                   "batch": 100, "lr": 0.01, "clip": 1.0},
            title="The LSTM of the memory task between the lengths it learns and the lengths it does not")
def onset(lengths: list[int], width: int, train: int, test: int, seeds: int, epochs: int, batch: int,
          lr: float, clip: float, seed: int) -> dict:
    """The marked-token task at lengths between those of `memory` where its LSTM learns and where it
    does not, on fresh sequences and fresh initial weights, trained the same way."""
    begun = time.perf_counter()
    data_rng = np.random.default_rng(seed)
    out: dict = {"lengths": np.array(lengths), "width": width, "tokens": TOKENS, "train_rows": train,
                 "test_rows": test, "seeds": seeds, "epochs": epochs, "batch": batch, "lr": lr}
    correct = []
    for length in lengths:
        x, y, _ = marked_task(train, length, data_rng)
        x_test, y_test, _ = marked_task(test, length, data_rng)
        trainer = Trainer("lstm", width, [seed * 1000 + 10 * s for s in range(seeds)], length, lr=lr, clip=clip)
        trainer.fit(x, y, epochs, batch, np.random.default_rng(seed + length))
        correct.append(trainer.correct(x_test, y_test))
        out["params"] = trainer.params
    out["correct"] = np.array(correct)  # (lengths, seeds, test examples)
    out["total_seconds"] = time.perf_counter() - begun
    return out


@experiment("sequences/position", seed=29,
            full={"length": 20, "width": 16, "train": 2000, "test": 500, "seeds": 5, "epochs": 10, "batch": 100,
                  "lr": 0.01, "clip": 1.0},
            smoke={"length": 8, "width": 4, "train": 200, "test": 60, "seeds": 2, "epochs": 2, "batch": 100,
                   "lr": 0.01, "clip": 1.0},
            title="A one-block transformer with and without positional encoding, on an order-free and an "
                  "order-dependent question")
def position(length: int, width: int, train: int, test: int, seeds: int, epochs: int, batch: int, lr: float,
             clip: float, seed: int) -> dict:
    """Two questions on the same kind of sequence: the token at the one mark (order-free: a set of
    tokens answers it) and the token at the earlier of two marks (which needs the order)."""
    begun = time.perf_counter()
    data_rng = np.random.default_rng(seed)
    out: dict = {"length": length, "width": width, "tokens": TOKENS, "train_rows": train, "test_rows": test,
                 "seeds": seeds, "epochs": epochs, "batch": batch, "lr": lr, "tasks": ["one mark", "earlier of two marks"],
                 "encodings": ["with", "without"]}
    correct = np.zeros((2, 2, seeds, test), bool)  # task, encoding, seed, example
    for t, marks in enumerate((1, 2)):
        x, y, _ = marked_task(train, length, data_rng, marks)
        x_test, y_test, _ = marked_task(test, length, data_rng, marks)
        for e, encoded in enumerate((True, False)):
            trainer = Trainer("transformer", width, [seed * 1000 + 10 * s for s in range(seeds)], length,
                              encoded=encoded, lr=lr, clip=clip)
            trainer.fit(x, y, epochs, batch, np.random.default_rng(seed + marks))
            correct[t, e] = trainer.correct(x_test, y_test)
            out["params"] = trainer.params
    out["correct"] = correct
    out["total_seconds"] = time.perf_counter() - begun
    return out
