"""Compiled training steps for experiments that train many runs of one small network.

For such models Keras' `fit` costs far more per epoch than one compiled step, and reusing one
model and optimizer per architecture keeps that step compiled across seeds: tracing it again for
every run would cost more than the training.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from nnbook.backend import tensorflow


def train_step(model, optimizer, loss_fn, variables=None) -> Callable:
    """A compiled step of gradient descent on `variables` (all trainable ones by default); returns the loss."""
    tf, _ = tensorflow()
    variables = model.trainable_variables if variables is None else variables

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    return step


def restart(model, optimizer, seed: int, build: Callable, learning_rate: float | None = None) -> None:
    """Give `model` the initial weights that `build()` draws with `seed`, `optimizer` a fresh state,
    and the given learning rate (by default the one it has)."""
    _, keras = tensorflow()
    keras.utils.set_random_seed(seed)
    model.set_weights(build().get_weights())
    rate = float(optimizer.learning_rate) if learning_rate is None else learning_rate
    for v in optimizer.variables:  # step count and moments; the rate is one of them, set again below
        v.assign(np.zeros(v.shape, v.dtype))
    optimizer.learning_rate.assign(rate)
