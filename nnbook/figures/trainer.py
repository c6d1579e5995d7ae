"""The live training widget (its presets, with the runs Keras made of them) and the numbers its
page quotes."""

from __future__ import annotations

from nnbook.evidence import fact
from nnbook.registry import LiveTrainer, model, values

# Largest difference from Keras's loss, at any step of any preset, that the browser tests accept.
# Both compute in float64 from the same weights and batches; what remains is the order of sums.
TOLERANCE = 1e-6
ARRAYS = ("x_train", "y_train", "x_test", "y_test", "steps", "train_loss", "test_loss", "test_probs")


def _weights(r: dict, name: str) -> list[str]:
    return sorted((k for k in r if k.startswith(f"{name}.w")), key=lambda k: int(k.rsplit(".w", 1)[1]))


@model("trainer/widget", uses="trainer/presets",
       caption="A small network trained in your browser. Pick a preset or your own settings and press *Train*: "
               "the heat map is the network's output over the plane (blue: class 1, orange: class 0), with the "
               "training points filled and the test points as rings; the curves are the loss on both after every "
               "epoch; the small squares show what each hidden unit computes. A preset starts from the weights "
               "Keras started from, and Keras's curves are drawn over the page's, dashed for training and dotted "
               "for test.")
def widget(r: dict) -> LiveTrainer:
    arrays = {}
    for name in r["presets"]:
        arrays |= {f"{name}.{field}": r[f"{name}.{field}"] for field in ARRAYS}
        arrays |= {k: r[k] for k in _weights(r, name)}
    return LiveTrainer(dict(r["presets"]), arrays)


@values("trainer/numbers", uses="trainer/presets")
def numbers(r: dict) -> dict:
    presets = r["presets"]
    steps = [len(r[f"{name}.steps"]) for name in presets]
    return {
        "presets": str(len(presets)),
        "fewest-steps": str(min(steps)),
        "most-steps": str(max(steps)),
        "tolerance": f"{TOLERANCE:.0e}".replace("e-0", "e-"),
        "momentum": f"{r['momentum']:g}",
        "overfit-train": str(len(r["overfits.y_train"])),
        "same-start": fact("each preset starts in the page from the initial weights Keras started from, on the "
                           "same data, and takes its batches in the same order"),
        "float64": fact("Keras trains the presets in double precision (float64), as the page does"),
    }
