"""`nnbook new TOPIC`: a page, an experiment module and a figure module that already work."""

from __future__ import annotations

import re
from pathlib import Path

EXPERIMENT = '''"""{title}."""

from __future__ import annotations

import numpy as np

from nnbook import data
from nnbook.backend import tensorflow
from nnbook.models import dense_classifier
from nnbook.registry import experiment


@experiment("{topic}/moons", seed=0, full={{"points": 400, "epochs": 100}}, smoke={{"points": 100, "epochs": 5}},
            title="A small network learns the two-moons data")
def moons(points: int, epochs: int, seed: int) -> dict:
    """Train a 2-8-1 network on two interleaving half circles; return its loss per epoch."""
    _, keras = tensorflow()
    x, y = data.moons(points, seed=seed)
    model = dense_classifier((8,), inputs=2, classes=1, output="sigmoid")
    model.compile(keras.optimizers.Adam(0.05), "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=epochs, batch_size=len(x), verbose=0)
    return {{"epoch": np.arange(1, epochs + 1), "loss": np.array(history.history["loss"], dtype=np.float32),
            "accuracy": float(history.history["accuracy"][-1])}}
'''

FIGURES = '''"""Figures, tables and values for the {title} page."""

from __future__ import annotations

import plotly.graph_objects as go

from nnbook.figures.style import pct, tidy
from nnbook.registry import figure, values


@figure("{topic}/loss", uses="{topic}/moons", caption="Training loss per epoch.")
def loss(r: dict) -> go.Figure:
    fig = go.Figure(go.Scatter(x=r["epoch"], y=r["loss"], name="loss"))
    fig.update_layout(xaxis_title="epoch", yaxis_title="loss")
    return tidy(fig)


@values("{topic}/numbers", uses="{topic}/moons")
def numbers(r: dict) -> dict[str, str]:
    return {{"accuracy": pct(r["accuracy"])}}
'''

PAGE = '''# {title}

A short introduction: what the reader will learn on this page.

::: nnbook {topic}/loss

After training, the network classifies {{{{ {topic}/numbers.accuracy }}}} of the points correctly.
'''


def new_topic(root: Path, topic: str, title: str = "") -> list[Path]:
    """Create the three files of a topic and add its page to the navigation."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", topic):
        raise ValueError(f"topic {topic!r}: use lower-case letters, digits and underscores")
    title = title or topic.replace("_", " ").capitalize()
    files = {
        root / "content" / f"{topic}.md": PAGE.format(topic=topic, title=title),
        root / "nnbook" / "experiments" / f"{topic}.py": EXPERIMENT.format(topic=topic, title=title),
        root / "nnbook" / "figures" / f"{topic}.py": FIGURES.format(topic=topic, title=title),
    }
    for path in files:
        if path.exists():
            raise FileExistsError(f"{path} already exists")
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    _add_to_nav(root / "mkdocs.yml", title, f"{topic}.md")
    return list(files) + [root / "mkdocs.yml"]


def _add_to_nav(config: Path, title: str, page: str) -> None:
    lines = config.read_text(encoding="utf-8").split("\n")
    start = lines.index("nav:")
    end = start + 1
    while end < len(lines) and lines[end].startswith("  "):
        end += 1
    lines.insert(end, f"  - {title}: {page}")
    config.write_text("\n".join(lines), encoding="utf-8")
