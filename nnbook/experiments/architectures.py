"""Architectures: feed-forward vs convolutional on digits, a GAN in 2-D (sequences have their own topic)."""

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
    """The share of each image's ink that a shift by k pushes off the image, in each of the four directions:
    (shifts, directions, images). Zero means the shifted digit is whole."""
    total = images.reshape(len(images), -1).sum(axis=1)
    kept = np.array([shifted(images, k).reshape(4, len(images), -1).sum(axis=2) for k in shifts])
    return 1 - kept / np.maximum(total, 1e-12)


CUT = 0.01  # a shifted digit counts as cut when it loses more than this share of its ink


def ink_summary(lost: np.ndarray) -> dict:
    """Per shift: the mean share of ink lost, the share of shifted images (every direction of every digit) cut,
    and the most any one loses; per shift and digit, whether any direction cuts it."""
    return {"ink_lost": lost.mean(axis=(1, 2)).astype(np.float32), "ink_cut": (lost > CUT).mean(axis=(1, 2)),
            "ink_lost_max": lost.max(axis=(1, 2)).astype(np.float32), "digit_cut": (lost > CUT).any(axis=1)}


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
            **ink_summary(ink_lost(x_val[..., 0], shifts)),
            "shifts": np.array(shifts), "seconds": np.array(seconds, dtype=np.float32),
            "digit": digit[:, :, 0].astype(np.float32),
            "digit_label": int(split.y_val[0]), "kernels": kernels.astype(np.float32),
            "maps_1": maps[0], "maps_2": maps[1], "train_rows": train, "val_rows": val, "epochs": epochs,
            "batch": batch, "lr": lr, "seeds": seeds}


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
            full={"modes": 8, "radius": 2.0, "spread": 0.05, "noise": 8, "width": 64, "steps": 6000, "batch": 128,
                  "lr": 0.001, "snapshots": [0, 100, 300, 600, 1000, 2000, 3000, 4000, 6000], "samples": 512, "grid": 41,
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
