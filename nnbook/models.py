"""Model builders shared by the experiments."""

from __future__ import annotations

from nnbook.backend import tensorflow


def dense_classifier(hidden: tuple[int, ...], activation: str = "relu", inputs: int = 784, classes: int = 10,
                     output: str = "softmax"):
    """A fully connected classifier: `hidden` layers of `activation` units, then `classes` outputs."""
    _, keras = tensorflow()
    layers = [keras.Input((inputs,))]
    layers += [keras.layers.Dense(units, activation=activation, name=f"hidden_{i + 1}") for i, units in enumerate(hidden)]
    layers += [keras.layers.Dense(classes, activation=output, name="output")]
    return keras.Sequential(layers)
