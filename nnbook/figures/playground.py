"""The trained network of the page on what a network is, exported to run in the reader's browser
(the "Draw a digit" page), and the numbers that page quotes about it."""

from __future__ import annotations

import numpy as np

from nnbook.figures.style import pct
from nnbook.registry import LiveModel, model, values

EXPORT_TOLERANCE = 1e-5  # largest difference to Keras's probabilities that float32 arithmetic explains


def _layers(r: dict) -> list[tuple[np.ndarray, np.ndarray, str]]:
    return [(r[f"w{i}"], r[f"b{i}"], str(act)) for i, act in enumerate(r["activations"], start=1)]


@model("network/mlp-live", uses="network/mlp",
       caption="The trained network, running in your browser. Draw a digit on the pad (mouse, finger or pen) or "
               "pick a validation digit; the network reads the prepared 28 × 28 image. Each square of the hidden "
               "layers is one neuron, brighter when its output is larger (relative to the layer's largest for "
               "this input); the bars are the ten output probabilities.")
def mlp_live(r: dict) -> LiveModel:
    return LiveModel(_layers(r), image=(28, 28), examples=r["live_pixels"], labels=r["live_labels"],
                     probabilities=r["live_probs"])


def _forward(layers: list[tuple[np.ndarray, np.ndarray, str]], x: np.ndarray) -> np.ndarray:
    """The network's outputs for inputs `x`, in float32 NumPy from the exported weights."""
    for kernel, bias, activation in layers:
        x = x @ kernel + bias
        if activation == "relu":
            x = np.maximum(x, 0)
        elif activation == "softmax":
            x = np.exp(x - x.max(axis=1, keepdims=True))
            x /= x.sum(axis=1, keepdims=True)
    return x


def no_digit_inputs() -> dict[str, np.ndarray]:
    """Two idealised inputs that are no digit, made here rather than drawn on the pad: a filled disc as wide as
    the 20 × 20 box (what the pad's scaling makes of a dot, roughly) and a bar two pixels high across the box
    (of a straight horizontal line), every pixel of each at full ink, both centred in the 28 × 28 frame. The
    pad's own preparation (averaging down to the box, which leaves grey edge pixels, and centring by the centre
    of mass) differs in detail."""
    rows, cols = np.mgrid[0:28, 0:28]
    disc = ((rows - 13.5) ** 2 + (cols - 13.5) ** 2 <= 10 ** 2).astype(np.float32)
    bar = ((rows >= 13) & (rows <= 14) & (cols >= 4) & (cols <= 23)).astype(np.float32)
    return {"dot": disc.reshape(784), "line": bar.reshape(784)}


def shape_size(image: np.ndarray) -> dict[str, int]:
    """The height and width in pixels of the inked part of a 28 × 28 image, and its number of inked pixels."""
    rows, cols = np.flatnonzero(image.any(axis=1)), np.flatnonzero(image.any(axis=0))
    return {"height": int(rows[-1] - rows[0] + 1), "width": int(cols[-1] - cols[0] + 1),
            "pixels": int(np.count_nonzero(image))}


@values("network/live-values", uses="network/mlp")
def live_values(r: dict) -> dict:
    probs = r["live_probs"]
    numpy_probs = _forward(_layers(r), r["live_pixels"].astype(np.float32) / 255)
    if np.abs(numpy_probs - probs).max() >= EXPORT_TOLERANCE or (numpy_probs.argmax(1) != probs.argmax(1)).any():
        raise ValueError("the exported weights do not reproduce Keras's probabilities: the page would run "
                         "another network than the one trained")
    shapes = {name: _forward(_layers(r), x[None])[0] for name, x in no_digit_inputs().items()}
    # where the pixels blank in every training image lie: a property of these images, measured here
    rows, cols = np.nonzero((r["ink_share"] == 0).reshape(28, 28))
    depth = np.minimum.reduce([rows, cols, 27 - rows, 27 - cols])  # 0 on the frame's edge
    if len(rows) != int(r["never_inked"]):
        raise ValueError("the blank pixels counted here are not the ones the network page counts")
    return {**{f"{name}-answer": str(int(p.argmax())) for name, p in shapes.items()},
            **{f"{name}-probability": pct(p.max(), 0) if p.max() < 0.995 else ">99%" for name, p in shapes.items()},
            **{f"{name}-{k}": str(v) for name, x in no_digit_inputs().items()
               for k, v in shape_size(x.reshape(28, 28)).items()},
            "examples": str(len(probs)), "keras-acc": pct((probs.argmax(1) == r["live_labels"]).mean()),
            "tolerance": f"{EXPORT_TOLERANCE:.0e}".replace("e-0", "e-"),
            "blank-depth": str(int(depth.max()) + 1) if len(rows) else "0"}
