"""`nnbook new TOPIC`: a page, an experiment module, a figure module and a smoke test that already work."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Callable, Iterator

EXPERIMENT = '''"""{title}."""

from __future__ import annotations

import numpy as np

from nnbook import data
from nnbook.backend import tensorflow
from nnbook.models import dense_classifier
from nnbook.registry import experiment


@experiment("{topic}/moons", seed=0,
            full={{"points": 400, "epochs": 40, "seeds": 10}}, smoke={{"points": 100, "epochs": 5, "seeds": 3}},
            title="A small network learns the two-moons data")
def moons(points: int, epochs: int, seeds: int, seed: int) -> dict:
    """Train a 2-8-1 network on two interleaving half circles, once per seed; return each run's
    loss per epoch and its accuracy on the training points after training."""
    _, keras = tensorflow()  # inside the function, never at module level
    x, y = data.moons(points, seed=seed)
    loss, accuracy = [], []
    for s in range(seeds):
        keras.utils.set_random_seed(seed + s)
        model = dense_classifier((8,), inputs=2, classes=1, output="sigmoid")
        model.compile(keras.optimizers.Adam(0.05), "binary_crossentropy", metrics=["accuracy"])
        history = model.fit(x, y, epochs=epochs, batch_size=len(x), verbose=0)
        loss.append(history.history["loss"])
        accuracy.append(model.evaluate(x, y, verbose=0)[1])  # after training, not Keras' epoch average
    return {{"epoch": np.arange(1, epochs + 1), "loss": np.array(loss, dtype=np.float32),  # seeds x epochs
            "accuracy": np.array(accuracy, dtype=np.float32), "points": points}}
'''

FIGURES = '''"""Figures, tables and values for the {title} page."""

from __future__ import annotations

import plotly.graph_objects as go

from nnbook.evidence import paired
from nnbook.figures.style import mean_range, pct, seed_band, tidy
from nnbook.registry import figure, values


@figure("{topic}/loss", uses="{topic}/moons",
        caption="Training loss per epoch: the mean over seeds, with the lowest and highest seed.")
def loss(r: dict) -> go.Figure:
    fig = go.Figure()
    seed_band(fig, r["epoch"], r["loss"], name="training loss", i=0)
    fig.update_layout(xaxis_title="epoch", yaxis_title="loss")
    return tidy(fig)


@values("{topic}/numbers", uses="{topic}/moons")
def numbers(r: dict) -> dict:
    return {{
        "seeds": str(len(r["loss"])),
        "points": str(r["points"]),
        "accuracy": mean_range(r["accuracy"], fmt=pct),
        # a sentence that reads a result is a claim, with its test: the build fails if a rerun makes it false
        "loss-falls": paired(r["loss"][:, 0], r["loss"][:, -1], higher="a",
                             what="first minus last epoch's training loss").claim("the loss falls during training"),
    }}
'''

TEST = '''"""Smoke checks of the {title} experiments: real training on tiny data (the smoke profile)."""

import numpy as np


def test_moons_trains(smoke_book):
    r = smoke_book.result("{topic}/moons").values
    assert r["loss"].shape == (3, len(r["epoch"])) and np.isfinite(r["loss"]).all()  # seeds x epochs
    assert (r["loss"][:, -1] < r["loss"][:, 0]).all(), "the loss should fall, even in a few epochs"
    assert ((0 <= r["accuracy"]) & (r["accuracy"] <= 1)).all()
'''

PAGE = '''# {title}

A short introduction: what the reader will learn on this page.

::: nnbook {topic}/loss

Over {{{{ {topic}/numbers.seeds }}}} seeds, the loss falls as the network trains. {{{{ {topic}/numbers.loss-falls }}}}
After training, it classifies {{{{ {topic}/numbers.accuracy }}}} of the {{{{ {topic}/numbers.points }}}} training
points correctly.
'''

NEXT_STEPS = '''next steps:
  .venv/bin/python -m pytest tests/test_{topic}.py -x -q    # the example trains for real, smoke profile
  make figures                                             # runs {topic}/moons in the full profile
  make serve                                               # the page, at http://127.0.0.1:8000/{topic}/
then make the example your own (CONTRIBUTING.md, section 2) and commit it with its results:
  git add content/{topic}.md nnbook/experiments/{topic}.py nnbook/figures/{topic}.py tests/test_{topic}.py mkdocs.yml results/full/{topic}'''


def next_steps(topic: str) -> str:
    """What `nnbook new` prints once the files are written."""
    return NEXT_STEPS.format(topic=topic)


LAST_PAGE = "about.md"  # "How this book is made" stays the last page; new topics go before it


def new_topic(root: Path, topic: str, title: str = "", say: Callable[[str], None] = print) -> Iterator[Path]:
    """Create the files of a topic (page, experiment, figures, smoke test), yielding each one, then add its page to the navigation.

    Nothing is written when a file already exists. The navigation edit is reported through
    `say` ("updated mkdocs.yml ..."), since that file is changed, not created.
    """
    if not re.fullmatch(r"[a-z][a-z0-9_]*", topic):
        raise ValueError(f"topic {topic!r}: use lower-case letters, digits and underscores")
    title = title or topic.replace("_", " ").capitalize()
    files = {
        root / "content" / f"{topic}.md": PAGE.format(topic=topic, title=title),
        root / "nnbook" / "experiments" / f"{topic}.py": EXPERIMENT.format(topic=topic, title=title),
        root / "nnbook" / "figures" / f"{topic}.py": FIGURES.format(topic=topic, title=title),
        root / "tests" / f"test_{topic}.py": TEST.format(topic=topic, title=title),
    }
    for path in files:
        if path.exists():
            raise FileExistsError(f"{path} already exists")
    config = root / "mkdocs.yml"
    updated, before = _with_nav_entry(config, title, f"{topic}.md")  # checked before anything is written
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        yield path
    config.write_text(updated, encoding="utf-8")
    say(f"updated {config}: '{title}' added to the navigation" + (f" before '{before}'" if before else ""))


def _with_nav_entry(config: Path, title: str, page: str) -> tuple[str, str | None]:
    """`mkdocs.yml`'s text with `- title: page` in `nav`, before the last page (about.md) when it is
    there, and the title of the entry it went before. The title is written plain when YAML reads it
    back as it is, else as a quoted string; the new text must parse to a navigation holding it."""
    from mkdocs.utils.yaml import yaml_load

    lines = config.read_text(encoding="utf-8").split("\n")
    start = lines.index("nav:")
    end = start + 1
    while end < len(lines) and lines[end].startswith("  "):
        end += 1
    last = next((i for i in range(start + 1, end) if lines[i].rstrip().endswith(f": {LAST_PAGE}")), None)
    for written in (title, json.dumps(title, ensure_ascii=False)):
        text = "\n".join(lines[: end if last is None else last] + [f"  - {written}: {page}"]
                         + lines[end if last is None else last :])
        try:
            nav = yaml_load(text).get("nav", [])
        except Exception:
            continue
        if {title: page} in nav:
            return text, None if last is None else next(iter(nav[nav.index({title: page}) + 1]))
    raise ValueError(f"title {title!r} cannot be written to the navigation of {config}; nothing was written")
