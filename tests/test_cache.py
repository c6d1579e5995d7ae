"""The result key and the store: stable when nothing changed, new when anything did."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

from nnbook.cache import DamagedEntry, Result, ResultStore, decode, encode, result_key
from nnbook.registry import Experiment

EXPERIMENT = '''
from fakebook import helpers

SCALE = 2

def scale(x):
    return x * SCALE

def run(n, seed):
    return {"y": scale(helpers.data(n))}

def unrelated():
    return 1
'''


@pytest.fixture
def fakebook(tmp_path, monkeypatch):
    """A throwaway package with an experiment module that imports a helper module."""
    package = tmp_path / "fakebook"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "helpers.py").write_text("def data(n):\n    return list(range(n))\n")
    (package / "topic.py").write_text(EXPERIMENT)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield package
    for name in [m for m in sys.modules if m.split(".")[0] == "fakebook"]:
        del sys.modules[name]


def key_of(package: Path, params=None, profile="smoke", seed=0) -> str:
    module = importlib.import_module("fakebook.topic")
    experiment = Experiment("fake/run", module.run, seed, {"smoke": params or {"n": 3}, "full": {"n": 30}})
    return result_key(experiment, profile)


def edit(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text().replace(old, new))


def test_key_is_stable_for_unchanged_inputs(fakebook):
    assert key_of(fakebook) == key_of(fakebook)


def test_key_changes_with_params_profile_and_seed(fakebook):
    base = key_of(fakebook)
    assert key_of(fakebook, params={"n": 4}) != base
    assert key_of(fakebook, profile="full") != base
    assert key_of(fakebook, seed=1) != base


def test_key_changes_with_experiment_source_and_what_it_uses(fakebook):
    base = key_of(fakebook)
    edit(fakebook / "topic.py", "return 1", "return 2")  # a function the experiment does not use
    assert key_of(fakebook) == base
    edit(fakebook / "topic.py", "SCALE = 2", "SCALE = 3")  # a constant it uses through a helper
    changed = key_of(fakebook)
    assert changed != base
    edit(fakebook / "helpers.py", "range(n)", "range(1, n + 1)")  # a project module it imports
    assert key_of(fakebook) != changed


def provenance(experiment: str = "t/x", key: str = "a" * 16, profile: str = "smoke") -> dict:
    """Provenance of the shape `Book.compute` writes."""
    return {"experiment": experiment, "seed": 1, "profile": profile, "params": {"n": 3}, "seconds": 0.5,
            "date": "2026-01-01", "versions": {"tensorflow": "2.21.0", "keras": "3.15.1"}, "key": key}


def test_result_round_trips():
    result = Result({"a": np.arange(6, dtype=np.float32).reshape(2, 3), "n": np.int64(3), "names": ["x", "y"],
                     "f": 0.5}, provenance())
    back = decode(encode(result))
    assert back.values["a"].dtype == np.float32 and np.array_equal(back["a"], result["a"])
    assert back["n"] == 3 and back["names"] == ["x", "y"] and back["f"] == 0.5
    assert back.provenance == result.provenance


def test_object_arrays_are_refused():
    with pytest.raises(TypeError, match="object array"):
        encode(Result({"bad": np.array([{}, None], dtype=object)}, {}))


def test_damaged_entry_is_detected_and_replacement_removes_old(tmp_path):
    store = ResultStore(tmp_path, "smoke")
    a, b = "a" * 16, "b" * 16
    store.save("t/x", a, Result({"a": np.ones(1000)}, provenance(key=a)))
    path = store.path("t/x", a)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(DamagedEntry, match=str(path)):
        store.load("t/x", a)
    store.save("t/x", b, Result({"a": np.zeros(3)}, provenance(key=b)))
    assert [p.name for p in store.folder("t/x").iterdir()] == [f"{b}.npz"]


def test_a_local_variable_named_like_a_module_function_is_no_dependency(fakebook):
    edit(fakebook / "topic.py", 'return {"y": scale(helpers.data(n))}',
         'unrelated = 5\n    return {"y": scale(helpers.data(n)) * unrelated}')
    base = key_of(fakebook)
    edit(fakebook / "topic.py", "return 1", "return 2")  # the module function `unrelated`, never read
    assert key_of(fakebook) == base
