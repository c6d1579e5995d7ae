"""Where experiments and their outputs (figures, tables, values) are declared and found.

Experiments live in `nnbook/experiments/<topic>.py`, outputs in `nnbook/figures/<topic>.py`.
Both register themselves with the decorators below when their module is imported, and
neither import costs TensorFlow: experiment modules import it inside their functions.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
from dataclasses import dataclass
from typing import Any, Callable, Literal

Results = dict[str, Any]
PROFILES = ("full", "smoke")
TOPIC_PACKAGES = ("nnbook.experiments", "nnbook.figures")
KEEP_LOADED = frozenset({"nnbook.backend"})  # TensorFlow's threads are set once per process


@dataclass(frozen=True)
class Experiment:
    """A seeded function that trains or probes a Keras model and returns plain results."""

    id: str
    func: Callable[..., Results]
    seed: int
    profiles: dict[str, dict[str, Any]]
    title: str = ""

    def params(self, profile: str) -> dict[str, Any]:
        if profile not in self.profiles:
            raise KeyError(f"experiment {self.id} has no profile {profile!r}")
        return dict(self.profiles[profile])

    @property
    def topic(self) -> str:
        return self.id.split("/")[0]

    @property
    def doc(self) -> str:
        return inspect.getdoc(self.func) or ""

    def params_text(self, profile: str) -> str:
        """The parameters as a page or notebook shows them."""
        return str(self.params(profile))


OutputKind = Literal["figure", "table", "values", "model"]


@dataclass(frozen=True)
class Output:
    """Something a page embeds, made from one experiment's results without TensorFlow.

    A figure returns a Plotly figure (or `(figure, (header, rows))` to choose the data table
    shown to readers who cannot see the plot), a table returns `(header, rows)`, values
    return a mapping of names to formatted strings or `Claim`s (referenced as `{{ id.name }}`),
    and a model returns a `LiveModel`, which the page runs in the reader's browser.
    """

    id: str
    kind: OutputKind
    func: Callable[[Results], Any]
    uses: str
    caption: str = ""


@dataclass(frozen=True)
class Claim:
    """A sentence of the prose, checked against the results at every build.

    A `@values` function returns it under a name like any value; the page references it
    where the sentence stands (`{{ topic/values.name }}`), and a build whose results make
    it false fails with the page, the line and the text.

    `evidence` (an `nnbook.evidence.Evidence`) is the test behind it, audited at build time;
    a claim without one is a bare condition, listed as not yet stated with the rules of
    evidence. A `fact` is guaranteed by the code: stated as plain text, never tested.
    """

    holds: bool
    text: str
    evidence: Any = None
    fact: bool = False


class Trusted(str):
    """Markdown that a figure module wrote itself (a bold total row, say), placed in the page as it
    is. Every other string of a table or a `@values` group reaches the page as plain text, never
    as Markdown or HTML: strings that come from results are never trusted."""


@dataclass(frozen=True)
class LiveModel:
    """A small trained dense network that a page runs in the browser (`@model`).

    `layers` holds `(kernel, bias, activation)` per layer, kernels shaped (inputs, units) as
    Keras stores them, activations "relu", "sigmoid", "tanh", "linear" or "softmax". `image`
    is the input's (rows, columns) when it is a grey image in [0, 1] the reader draws.
    `examples` are inputs as 0-255 pixels (uint8, one row each) with their `labels` and the
    `probabilities` Keras gave them: the page offers them to the reader, and the browser tests
    compare its forward pass against Keras's on them.
    """

    layers: list[tuple[Any, Any, str]]
    image: tuple[int, int]
    examples: Any = None
    labels: Any = None
    probabilities: Any = None


@dataclass(frozen=True)
class Listed:
    """An experiment or an output as a build lists it without importing its module: what
    `Experiment` or `Output` says of it, read back from the rendered cache (see `Book`). Its
    `func`, and nothing else, imports the topic modules."""

    id: str
    kind: str  # "experiment", or the output's kind
    uses: str = ""  # an output's experiment
    caption: str = ""
    seed: int = 0  # an experiment's seed, title, docstring and parameters (as text) per profile
    title: str = ""
    doc: str = ""
    parameters: dict[str, str] | None = None

    topic = Experiment.topic

    def params_text(self, profile: str) -> str:
        return (self.parameters or {})[profile]

    @property
    def func(self) -> Callable[..., Any]:
        load()
        return (EXPERIMENTS if self.kind == "experiment" else OUTPUTS)[self.id].func


def listed(entry: Experiment | Output) -> dict[str, Any]:
    """What a build needs to know of a declared experiment or output, as JSON (`Listed(**it)`)."""
    if isinstance(entry, Experiment):
        return {"id": entry.id, "kind": "experiment", "seed": entry.seed, "title": entry.title, "doc": entry.doc,
                "parameters": {profile: entry.params_text(profile) for profile in entry.profiles}}
    return {"id": entry.id, "kind": entry.kind, "uses": entry.uses, "caption": entry.caption}


def claim(holds: Any, text: str) -> Claim:
    """`holds` (a condition computed from the results) backs the sentence `text`: a bare
    condition, not audited (`nnbook.evidence` states claims with their test)."""
    return Claim(bool(holds), text)


def split_figure(made: Any) -> tuple[Any, Any]:
    """A figure function's return value as `(figure, data table or None)`."""
    return made if isinstance(made, tuple) else (made, None)


EXPERIMENTS: dict[str, Experiment] = {}
OUTPUTS: dict[str, Output] = {}
_loaded: list[str] = []


def _check_id(id: str, taken: dict) -> None:
    if id.count("/") != 1 or not all(id.split("/")):
        raise ValueError(f"id {id!r} must look like 'topic/name'")
    if id in taken:
        raise ValueError(f"id {id!r} is declared twice")


def experiment(id: str, *, seed: int, full: dict[str, Any], smoke: dict[str, Any], title: str = ""):
    """Declare an experiment with its parameters for the `full` and `smoke` profiles."""

    def register(func: Callable[..., Results]) -> Callable[..., Results]:
        _check_id(id, EXPERIMENTS)
        EXPERIMENTS[id] = Experiment(id, func, seed, {"full": full, "smoke": smoke}, title)
        return func

    return register


def _output(kind: OutputKind):
    def declare(id: str, *, uses: str, caption: str = ""):
        def register(func: Callable[[Results], Any]) -> Callable[[Results], Any]:
            _check_id(id, OUTPUTS)
            OUTPUTS[id] = Output(id, kind, func, uses, caption)
            return func

        return register

    return declare


figure = _output("figure")
table = _output("table")
values = _output("values")
model = _output("model")


def load(reload: bool = False) -> None:
    """Import every topic module so that its declarations register.

    With `reload`, modules already imported are re-read from disk, with the helpers they
    import (`nnbook.data`, `nnbook.models`, ...), so that under `mkdocs serve` an edit takes
    effect without a restart.
    """
    if _loaded and not reload:
        return
    if reload:
        from .fingerprint import NOT_DEPENDENCIES, project_imports

        helpers = set().union(*(project_imports(name) for name in _loaded)) - NOT_DEPENDENCIES - set(_loaded)
        for name in sorted(helpers - KEEP_LOADED):
            if name in sys.modules:
                importlib.reload(sys.modules[name])
    EXPERIMENTS.clear()
    OUTPUTS.clear()
    _loaded.clear()
    for package_name in TOPIC_PACKAGES:
        package = importlib.import_module(package_name)
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
            name = f"{package_name}.{info.name}"
            if name in sys.modules:  # re-register what the clear above removed
                importlib.reload(sys.modules[name])
            else:
                importlib.import_module(name)
            _loaded.append(name)
    for output in OUTPUTS.values():
        if output.uses not in EXPERIMENTS:
            raise ValueError(f"{output.kind} {output.id} uses unknown experiment {output.uses!r}")


def loaded() -> bool:
    """Whether this process imported the topic modules (then the registry itself is what is declared)."""
    return bool(_loaded)


def topics() -> list[str]:
    return sorted({e.topic for e in EXPERIMENTS.values()})
