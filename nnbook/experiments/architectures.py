"""Architectures: feed-forward vs convolutional on digits, RNN vs LSTM on a memory task, a GAN in 2-D."""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from nnbook import data
from nnbook.backend import tensorflow
from nnbook.registry import experiment

SIDE = 28  # MNIST images are 28x28


# -- feed-forward vs convolutional -----------------------------------------------------------

def _mlp(hidden: int):
    """784 pixels -> `hidden` ReLU units -> 10-way softmax."""
    _, keras = tensorflow()
    layers = keras.layers
    return keras.Sequential([keras.Input((SIDE, SIDE, 1)), layers.Flatten(),
                             layers.Dense(hidden, activation="relu"), layers.Dense(10, activation="softmax")])


def _cnn(filters: int):
    """Two convolution + max-pooling stages (`filters`, then 2 x `filters` maps), then a 10-way softmax."""
    _, keras = tensorflow()
    layers = keras.layers
    return keras.Sequential([keras.Input((SIDE, SIDE, 1)),
                             layers.Conv2D(filters, 5, activation="relu", name="conv_1"), layers.MaxPooling2D(2),
                             layers.Conv2D(2 * filters, 3, activation="relu", name="conv_2"), layers.MaxPooling2D(2),
                             layers.Flatten(), layers.Dense(10, activation="softmax")])


def _restart(model, build: Callable[[], object], seed: int) -> None:
    """Give a compiled model the initial weights `build()` draws with `seed`, and a fresh optimizer state.

    Reusing one compiled model keeps Keras from tracing its training step again for every seed.
    """
    tf, keras = tensorflow()
    keras.utils.set_random_seed(seed)
    model.set_weights(build().get_weights())
    for variable in model.optimizer.variables:
        if "learning_rate" not in variable.path:
            variable.assign(tf.zeros_like(variable))


def shifted(images: np.ndarray, k: int) -> np.ndarray:
    """The images moved k pixels right, left, down and up (zeros fill in), stacked in that order."""
    out = np.zeros((4,) + images.shape, images.dtype)
    if k == 0:
        return np.broadcast_to(images, out.shape).copy()
    out[0][:, :, k:] = images[:, :, :-k]
    out[1][:, :, :-k] = images[:, :, k:]
    out[2][:, k:] = images[:, :-k]
    out[3][:, :-k] = images[:, k:]
    return out


def _shift_correct(model, x: np.ndarray, y: np.ndarray, shifts: list[int]) -> np.ndarray:
    """Whether each image is read right when shifted by each k, averaged over the four directions:
    (shifts, images), in steps of a quarter."""
    out = []
    for k in shifts:
        batch = shifted(x, k).reshape((-1,) + x.shape[1:])
        predicted = np.argmax(model.predict(batch, batch_size=1000, verbose=0), axis=1).reshape(4, -1)
        out.append(np.mean(predicted == y[None], axis=0))
    return np.array(out)


def ink_lost(images: np.ndarray, shifts: list[int]) -> np.ndarray:
    """The share of each image's ink that a shift by k pushes off the image, averaged over the four directions:
    (shifts, images). Zero means the shifted digit is whole."""
    total = images.reshape(len(images), -1).sum(axis=1)
    kept = np.array([shifted(images, k).reshape(4, len(images), -1).sum(axis=2).mean(axis=0) for k in shifts])
    return 1 - kept / np.maximum(total, 1e-12)


def _feature_maps(model, image: np.ndarray) -> list[np.ndarray]:
    """The outputs of both convolution layers for one image, as (maps, height, width) arrays."""
    _, keras = tensorflow()
    probe = keras.Model(model.inputs[0], [model.get_layer("conv_1").output, model.get_layer("conv_2").output])
    return [np.moveaxis(np.asarray(out)[0], -1, 0).astype(np.float32) for out in probe(image[None])]


@experiment("architectures/vision", seed=11,
            full={"train": 1000, "val": 2000, "hidden": [16, 64], "filters": [4, 8], "seeds": 5, "epochs": 6,
                  "batch": 50, "lr": 0.003, "shifts": [0, 1, 2, 3, 4, 5, 6]},
            smoke={"train": 200, "val": 100, "hidden": [8], "filters": [2], "seeds": 2, "epochs": 1,
                   "batch": 100, "lr": 0.003, "shifts": [0, 2]},
            title="Feed-forward and convolutional networks on MNIST: accuracy, filters, shifted and shuffled digits")
def vision(train: int, val: int, hidden: list[int], filters: list[int], seeds: int, epochs: int, batch: int,
           lr: float, shifts: list[int], seed: int) -> dict:
    """MLPs and CNNs of two sizes each, several initial seeds, on the same MNIST split; and the larger CNN
    again on the same digits with their pixels shuffled by one fixed permutation (no neighbours left)."""
    _, keras = tensorflow()
    split = data.mnist(train, val, seed)
    x, x_val = split.x_train.reshape(-1, SIDE, SIDE, 1), split.x_val.reshape(-1, SIDE, SIDE, 1)
    order = np.random.default_rng(seed).permutation(SIDE * SIDE)
    scramble = lambda images: images.reshape(len(images), -1)[:, order].reshape(images.shape)  # noqa: E731
    configs = [("mlp", h, lambda h=h: _mlp(h), False) for h in hidden] + \
              [("cnn", f, lambda f=f: _cnn(f), False) for f in filters] + \
              [("cnn", filters[-1], lambda: _cnn(filters[-1]), True)]
    correct, params, seconds = [], [], []  # correct: config, seed, shift, image
    for family, _, build, shuffled in configs:
        model = build()
        model.compile(keras.optimizers.Adam(lr), "sparse_categorical_crossentropy", metrics=["accuracy"])
        per_seed, timed = [], []
        for s in range(seeds):
            _restart(model, build, seed + s)
            start = time.perf_counter()
            model.fit(scramble(x) if shuffled else x, split.y_train, epochs=epochs, batch_size=batch, verbose=0)
            timed.append(time.perf_counter() - start)
            if shuffled:
                per_seed.append(_shift_correct(model, scramble(x_val), split.y_val, [0]))
            else:
                per_seed.append(_shift_correct(model, x_val, split.y_val, shifts))
        if shuffled:
            shuffled_correct = np.array(per_seed, dtype=np.float32)[:, 0]
        else:
            correct.append(per_seed)
            params.append(model.count_params())
            seconds.append(float(np.median(timed)))
            if family == "cnn":
                looked_at = model  # the last plain configuration: the largest CNN, trained from the last seed
    correct = np.array(correct, dtype=np.float32)
    digit = x_val[0]
    maps = _feature_maps(looked_at, digit)
    kernels = np.moveaxis(looked_at.get_layer("conv_1").kernel.numpy()[:, :, 0, :], -1, 0)
    return {"families": [c[0] for c in configs[:-1]], "sizes": [c[1] for c in configs[:-1]],
            "params": np.array(params), "accuracy": correct[:, :, 0].mean(axis=2),
            "correct": correct[:, :, 0] == 1, "shift_accuracy": correct.mean(axis=3), "shift_correct": correct,
            "shuffled_correct": shuffled_correct == 1, "shuffled_accuracy": shuffled_correct.mean(axis=1),
            "ink_lost": ink_lost(x_val[..., 0], shifts).mean(axis=1).astype(np.float32),
            "ink_cut": (ink_lost(x_val[..., 0], shifts) > 0.01).mean(axis=1).astype(np.float32),
            "shifts": np.array(shifts), "seconds": np.array(seconds, dtype=np.float32),
            "digit": digit[:, :, 0].astype(np.float32),
            "digit_label": int(split.y_val[0]), "kernels": kernels.astype(np.float32),
            "maps_1": maps[0], "maps_2": maps[1], "train_rows": train, "val_rows": val, "epochs": epochs,
            "batch": batch, "lr": lr, "seeds": seeds}


# -- RNN vs LSTM -------------------------------------------------------------------------------

def recall_task(n: int, length: int, delay: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Sequences of random ±1 steps that start `delay` steps before the end (zeros before that).

    The target is whether the first of them was +1: the network must carry it through `delay` more steps.
    """
    x = np.zeros((n, length, 1), np.float32)
    x[:, length - delay - 1:, 0] = rng.choice([-1.0, 1.0], (n, delay + 1))
    y = (x[:, length - delay - 1, 0] > 0).astype(np.float32)[:, None]
    return x, y


GATES = {"rnn": 1, "lstm": 4}


def _recurrent_init(kind: str, units: int, seed: int) -> list[np.ndarray]:
    """Keras's default initial weights for SimpleRNN/LSTM (Glorot inputs, orthogonal recurrence, forget bias 1),
    then a Glorot-initialised output unit."""
    _, keras = tensorflow()
    init = keras.initializers
    width = GATES[kind] * units
    bias = np.zeros(width, np.float32)
    if kind == "lstm":
        bias[units:2 * units] = 1.0  # Keras's unit_forget_bias
    return [np.asarray(init.GlorotUniform(seed=seed)((1, width))), np.asarray(init.Orthogonal(seed=seed + 1)((units, width))),
            bias, np.asarray(init.GlorotUniform(seed=seed + 2)((units, 1))), np.zeros(1, np.float32)]


def recurrent_logits(kind: str, weights: list, x):
    """Run many independent networks at once: weights carry a leading network axis, x is (networks, batch, time, 1).

    The cells are Keras's: SimpleRNN h = tanh(x U + h W + b); LSTM with gates i, f, c, o in that order.
    Returns the output logits and every hidden state.
    """
    tf, _ = tensorflow()
    kernel, recurrent, bias, out_kernel, out_bias = weights
    units = recurrent.shape[1]
    h = tf.zeros((x.shape[0], x.shape[1], units))
    cell = tf.zeros_like(h)
    states = []
    driven = tf.einsum("nbti,nij->tnbj", x, kernel) + bias[None, :, None, :]  # every step's input term at once
    for z_in in tf.unstack(driven):
        z = z_in + h @ recurrent
        if kind == "rnn":
            h = tf.tanh(z)
        else:
            i, f, c, o = tf.split(z, 4, axis=-1)
            cell = tf.sigmoid(f) * cell + tf.sigmoid(i) * tf.tanh(c)
            h = tf.sigmoid(o) * tf.tanh(cell)
        states.append(h)
    return h @ out_kernel + out_bias[:, None, :], states


def clip_each(grads: list, clip: float) -> list:
    """Scale each network's gradient (a slice along the leading axis) to a norm of at most `clip`."""
    tf, _ = tensorflow()
    squares = tf.add_n([tf.reduce_sum(tf.reshape(g, (g.shape[0], -1)) ** 2, axis=1) for g in grads])
    scale = tf.minimum(1.0, clip / (tf.sqrt(squares) + 1e-12))
    return [g * tf.reshape(scale, (-1,) + (1,) * (len(g.shape) - 1)) for g in grads]


@experiment("architectures/memory", seed=12,
            full={"length": 30, "delays": [3, 10, 20, 29], "units": 16, "train": 800, "val": 400, "seeds": 3,
                  "epochs": 20, "batch": 100, "lr": 0.01, "clip": 1.0},
            smoke={"length": 8, "delays": [2, 7], "units": 4, "train": 100, "val": 50, "seeds": 2,
                   "epochs": 2, "batch": 50, "lr": 0.01, "clip": 1.0},
            title="A plain RNN and an LSTM recalling the first of a run of ±1 steps, at several delays")
def memory(length: int, delays: list[int], units: int, train: int, val: int, seeds: int, epochs: int, batch: int,
           lr: float, clip: float, seed: int) -> dict:
    """Every (delay, seed) network of one kind is trained at once: the loss is a sum of independent
    losses, each network's gradient is clipped on its own, and Adam works weight by weight, so each
    network learns as it would alone."""
    tf, keras = tensorflow()
    rng = np.random.default_rng(seed)
    sets = [(recall_task(train, length, d, rng), recall_task(val, length, d, rng)) for d in delays]
    stack = lambda part, i: np.repeat(np.stack([s[part][i] for s in sets]), seeds, axis=0)  # (delays*seeds, n, ...)
    x, y, x_val, y_val = stack(0, 0), stack(0, 1), stack(1, 0), stack(1, 1)
    out: dict = {"kinds": list(GATES), "delays": np.array(delays), "length": length, "units": units, "epochs": epochs,
                 "batch": batch, "lr": lr, "clip": clip, "train_rows": train, "seeds": seeds}
    for kind in GATES:
        inits = [_recurrent_init(kind, units, 1000 * seed + 10 * s) for _ in delays for s in range(seeds)]
        weights = [tf.Variable(np.stack(parts)) for parts in zip(*inits)]
        optimizer = keras.optimizers.Adam(lr)

        def losses(xb, yb):
            logits, states = recurrent_logits(kind, weights, xb)
            return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(yb, logits), axis=[1, 2]), logits, states

        @tf.function
        def train_step(xb, yb):
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(losses(xb, yb)[0])
            optimizer.apply_gradients(zip(clip_each(tape.gradient(loss, weights), clip), weights))

        @tf.function
        def accuracy(xb, yb):
            logits = recurrent_logits(kind, weights, xb)[0]
            return tf.reduce_mean(tf.cast((logits > 0) == (yb > 0.5), tf.float32), axis=[1, 2])

        @tf.function
        def state_gradients(xb, yb):
            """|dL/dh_t| for every step t: how much the loss still responds to the state t steps in."""
            with tf.GradientTape() as tape:
                loss, _, states = losses(xb, yb)
                total = tf.reduce_sum(loss)
            return tf.stack([tf.norm(g, axis=[-2, -1]) for g in tape.gradient(total, states)], axis=1)

        probe = (x_val[:, :100], y_val[:, :100])
        grad_before = state_gradients(*probe).numpy()
        order_rng = np.random.default_rng(seed)
        start = time.perf_counter()
        for _ in range(epochs):
            order = order_rng.permutation(train)
            for b in range(0, train, batch):
                idx = order[b:b + batch]
                train_step(x[:, idx], y[:, idx])
        out[f"{kind}_seconds"] = (time.perf_counter() - start) / (len(delays) * seeds)
        shape = (len(delays), seeds)
        out[f"{kind}_accuracy"] = accuracy(x_val, y_val).numpy().reshape(shape).astype(np.float32)
        out[f"{kind}_grad_before"] = grad_before.reshape(shape + (length,)).astype(np.float32)
        out[f"{kind}_grad_after"] = state_gradients(*probe).numpy().reshape(shape + (length,)).astype(np.float32)
        out[f"{kind}_params"] = int(sum(np.prod(w.shape[1:]) for w in weights))
    return out


# -- a GAN -------------------------------------------------------------------------------------

def ring(n: int, modes: int, radius: float, spread: float, rng: np.random.Generator) -> np.ndarray:
    """n points from `modes` Gaussians of standard deviation `spread` evenly spaced on a circle."""
    angle = 2 * np.pi * rng.integers(0, modes, n) / modes
    centres = radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return (centres + rng.normal(0, spread, (n, 2))).astype(np.float32)


def _mlp_2d(inputs: int, width: int, outputs: int, name: str):
    _, keras = tensorflow()
    layers = keras.layers
    return keras.Sequential([keras.Input((inputs,)), layers.Dense(width, activation="relu"),
                             layers.Dense(width, activation="relu"), layers.Dense(outputs)], name=name)


@experiment("architectures/gan", seed=13,
            full={"modes": 8, "radius": 2.0, "spread": 0.05, "noise": 8, "width": 64, "steps": 3000, "batch": 128,
                  "lr": 0.001, "snapshots": [0, 100, 300, 600, 1000, 1500, 2000, 3000], "samples": 512, "grid": 41,
                  "seeds": 5},
            smoke={"modes": 8, "radius": 2.0, "spread": 0.05, "noise": 4, "width": 8, "steps": 20, "batch": 32,
                   "lr": 0.001, "snapshots": [0, 10, 20], "samples": 64, "grid": 9, "seeds": 2},
            title="A GAN learning a ring of eight Gaussians, from several seeds")
def gan(modes: int, radius: float, spread: float, noise: int, width: int, steps: int, batch: int, lr: float,
        snapshots: list[int], samples: int, grid: int, seeds: int, seed: int) -> dict:
    """A generator (noise -> point) against a discriminator (point -> real or fake), both updated at every step,
    trained from `seeds` seeds; the discriminator's surface is kept for the first seed only."""
    tf, keras = tensorflow()
    build_g, build_d = (lambda: _mlp_2d(noise, width, 2, "generator")), (lambda: _mlp_2d(2, width, 1, "discriminator"))
    generator, discriminator = build_g(), build_d()
    g_opt, d_opt = keras.optimizers.Adam(lr, beta_1=0.5), keras.optimizers.Adam(lr, beta_1=0.5)
    g_opt.build(generator.trainable_variables)
    d_opt.build(discriminator.trainable_variables)
    bce = lambda labels, logits: tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels, logits))  # noqa: E731

    @tf.function
    def train_step(real, z):
        """One forward pass, then both players step on their own loss (simultaneous updates)."""
        with tf.GradientTape() as d_tape, tf.GradientTape() as g_tape:
            fake = generator(z, training=True)
            real_logits, fake_logits = discriminator(real, training=True), discriminator(fake, training=True)
            d_loss = bce(tf.ones_like(real_logits), real_logits) + bce(tf.zeros_like(fake_logits), fake_logits)
            g_loss = bce(tf.ones_like(fake_logits), fake_logits)  # non-saturating: -log D(G(z))
        d_opt.apply_gradients(zip(d_tape.gradient(d_loss, discriminator.trainable_variables),
                                  discriminator.trainable_variables))
        g_opt.apply_gradients(zip(g_tape.gradient(g_loss, generator.trainable_variables),
                                  generator.trainable_variables))
        return d_loss, g_loss

    edge = radius * 1.6
    axis = np.linspace(-edge, edge, grid, dtype=np.float32)
    points = np.stack(np.meshgrid(axis, axis), axis=-1).reshape(-1, 2)
    shots, surfaces, losses, seconds = [], [], [], []  # seed, snapshot, sample, 2; snapshot, grid; seed, step, 2
    for s in range(seeds):
        keras.utils.set_random_seed(seed + s)
        generator.set_weights(build_g().get_weights())
        discriminator.set_weights(build_d().get_weights())
        for variable in (*g_opt.variables, *d_opt.variables):
            if "learning_rate" not in variable.path:
                variable.assign(tf.zeros_like(variable))
        rng = np.random.default_rng(seed + s)
        fixed_z = rng.normal(size=(samples, noise)).astype(np.float32)
        shots.append([]), losses.append([])
        start = time.perf_counter()
        for step in range(steps + 1):
            if step in snapshots:
                shots[-1].append(generator(fixed_z).numpy())
                if s == 0:
                    surfaces.append(tf.sigmoid(discriminator(points)).numpy().reshape(grid, grid))
            if step == steps:
                break
            real = ring(batch, modes, radius, spread, rng)
            z = rng.normal(size=(batch, noise)).astype(np.float32)
            losses[-1].append([float(v) for v in train_step(real, z)])
        seconds.append(time.perf_counter() - start)
    return {"snapshots": np.array(snapshots), "fake": np.array(shots, dtype=np.float32),
            "real": ring(samples, modes, radius, spread, np.random.default_rng(seed + 1000)),
            "surface": np.array(surfaces, dtype=np.float32), "axis": axis, "losses": np.array(losses, dtype=np.float32),
            "modes": modes, "radius": radius, "spread": spread, "noise": noise, "width": width, "batch": batch,
            "lr": lr, "seconds": float(np.median(seconds)), "seeds": seeds,
            "params": int(generator.count_params() + discriminator.count_params()),
            "generator_params": int(generator.count_params())}
