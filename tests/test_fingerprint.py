"""Fingerprints follow what a function really reaches, across the project's modules, and ignore
comments, docstrings and blank lines."""

from __future__ import annotations

import ast
import importlib
import sys
from pathlib import Path

import pytest

from nnbook import fingerprint as fp

HELPERS = '''"""Helpers: data and models."""

import numpy as np

SCALE = 2  # reached through moons
UNUSED = 7
np.seterr(all="warn")


def moons(n):
    """Two half circles."""
    return np.arange(n) * SCALE


def circles(n):
    return list(range(n))


class Model:
    """A model."""

    def fit(self, x):
        return x + 1

    @classmethod
    def build(cls):
        return cls()
'''

API = '''from fakefp.helpers import moons, Model
'''

TOPIC = '''
import fakefp.helpers
import fakefp.helpers as h
from fakefp import api, helpers
from fakefp.helpers import Model, moons

from . import helpers as relative


def by_attribute(n):
    return helpers.moons(n)


def by_name(n):
    return moons(n)


def by_alias(n):
    return h.moons(n)


def by_dotted_path(n):
    return fakefp.helpers.moons(n)


def by_relative_module(n):
    return relative.moons(n)


def by_reexport(n):
    return api.moons(n)


def bare(n):
    return len(vars(helpers)) + n


def dynamic(n):
    return getattr(helpers, "moons")(n)


def local_import(n):
    from fakefp.helpers import moons as m

    return m(n)


def local_relative_import(n):
    from .helpers import moons

    return moons(n)


def local_module_import(n):
    from fakefp import helpers as hh

    return hh.moons(n)


def alone(n):
    return n


def with_class(x):
    return Model.build().fit(x)


def with_reexported_class(x):
    return api.Model().fit(x)
'''

STAR = '''from fakefp.helpers import *


def star(n):
    return moons(n)
'''


@pytest.fixture
def book(tmp_path, monkeypatch):
    """A throwaway package `fakefp`: helpers, a module re-exporting from them, and topic modules."""
    package = tmp_path / "fakefp"
    package.mkdir()
    (package / "__init__.py").write_text('"""A fake book."""\n')
    (package / "helpers.py").write_text(HELPERS)
    (package / "api.py").write_text(API)
    (package / "topic.py").write_text(TOPIC)
    (package / "stars.py").write_text(STAR)
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    yield package
    for name in [m for m in sys.modules if m.split(".")[0] == "fakefp"]:
        del sys.modules[name]


def prints(*names: str, module: str = "fakefp.topic") -> dict[str, str]:
    topic = importlib.import_module(module)
    return {name: fp.fingerprint(getattr(topic, name)) for name in names}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def changed(package: Path, names: tuple[str, ...], old: str, new: str, module: str = "fakefp.topic",
            file: str = "helpers.py") -> set[str]:
    """The functions among `names` whose fingerprint an edit of `file` changes (the edit is kept)."""
    before = prints(*names, module=module)
    edit(package / file, old, new)
    after = prints(*names, module=module)
    return {name for name in names if before[name] != after[name]}


MOONS_USERS = ("by_attribute", "by_name", "by_alias", "by_dotted_path", "by_relative_module", "by_reexport",
               "local_import", "local_relative_import", "local_module_import")


def test_comments_docstrings_and_blank_lines_change_nothing(book):
    names = MOONS_USERS + ("with_class", "bare")
    assert changed(book, names, '"""Helpers: data and models."""', '"""Helpers,\n\nreworded."""') == set()
    assert changed(book, names, '"""Two half circles."""', "# a comment\n    '''Reworded.'''  # and another") == set()
    assert changed(book, names, '"""A model."""\n', "") == set()  # a class docstring removed
    assert changed(book, names, "# reached through moons", "# the factor") == set()
    assert changed(book, names, "\n\ndef circles", "\n\n\n\n\ndef circles") == set()
    assert changed(book, names, "return x + 1", "return x + 1   ") == set()  # trailing spaces


def test_a_helper_the_function_calls_changes_it_an_unused_one_does_not(book):
    assert changed(book, MOONS_USERS, "np.arange(n) * SCALE", "np.arange(n + 1) * SCALE") == set(MOONS_USERS)
    assert changed(book, MOONS_USERS, "return list(range(n))", "return list(range(n + 1))") == set()
    assert changed(book, MOONS_USERS, "def moons(n):", "def moons(n=3):") == set(MOONS_USERS)  # a default


def test_a_constant_reached_through_a_helper_changes_it(book):
    assert changed(book, MOONS_USERS, "SCALE = 2", "SCALE = 3") == set(MOONS_USERS)
    assert changed(book, MOONS_USERS, "UNUSED = 7", "UNUSED = 8") == set()


def test_statements_run_on_import_count_with_the_module(book):
    assert changed(book, MOONS_USERS + ("alone",), 'all="warn"', 'all="raise"') == set(MOONS_USERS)


def test_reach_is_named_per_module(book):
    topic = importlib.import_module("fakefp.topic")
    reached = fp.reached(topic.by_attribute)
    assert reached["fakefp.helpers"] == ["SCALE", "moons", "np"]
    assert reached["fakefp.topic"] == ["api", "by_attribute", "helpers"]  # an import statement counts whole
    assert fp.reached(topic.by_dotted_path)["fakefp.topic"] == ["by_dotted_path", "fakefp"]  # `import fakefp.helpers`
    assert "fakefp" not in reached  # the package itself is not fingerprinted (NOT_DEPENDENCIES)
    assert fp.reached(topic.by_reexport)["fakefp.api"] == ["Model", "moons"]


def test_a_module_used_bare_or_through_getattr_counts_whole(book):
    names = ("bare", "dynamic", "by_attribute")
    assert changed(book, names, "return list(range(n))", "return list(range(n + 1))") == {"bare", "dynamic"}
    assert changed(book, names, "UNUSED = 7", "UNUSED = 8") == {"bare", "dynamic"}
    assert changed(book, names, "# reached through moons", "# the factor") == set()  # still without comments
    topic = importlib.import_module("fakefp.topic")
    assert fp.reached(topic.bare)["fakefp.helpers"] == [fp.WHOLE]


def test_import_star_counts_the_module_whole(book):
    edited = changed(book, ("star",), "return list(range(n))", "return list(range(n + 1))", module="fakefp.stars")
    assert edited == {"star"}


def test_function_local_imports_are_followed(book):
    names = ("local_import", "local_relative_import", "local_module_import")
    assert changed(book, names, "np.arange(n)", "np.arange(n + 1)") == set(names)
    assert changed(book, names, "return list(range(n))", "return list(range(n + 1))") == set()


def test_a_class_method_used_through_the_class_changes_it(book):
    names = ("with_class", "with_reexported_class", "by_name")
    assert changed(book, names, "return x + 1", "return x + 2") == {"with_class", "with_reexported_class"}
    assert changed(book, names, "return cls()", "return cls.__new__(cls)") == {"with_class", "with_reexported_class"}


def test_own_module_edits_follow_the_same_rules(book):
    names = ("by_name", "by_attribute", "local_import")
    assert changed(book, names, "return moons(n)\n\n\ndef by_alias", "return moons(n + 1)\n\n\ndef by_alias",
                   file="topic.py") == {"by_name"}
    assert changed(book, names, "from fakefp.helpers import Model, moons",
                   "from fakefp.helpers import Model, circles as moons", file="topic.py") == {"by_name"}


def test_normalized_text_keeps_code_and_multiline_strings():
    source = ('"""Module."""\n\nX = """a\n\n  b  \n"""  # note\n\n\ndef f(s="#"):  # why\n    """Doc."""\n'
              '    return s  # done\n\n\ndef g(): """Only a docstring."""\n')
    lines = fp._normalized_lines(source, fp._docstrings(ast.walk(ast.parse(source))))
    assert [line for line in lines if line is not None] == [
        'X = """a', "", "  b  ", '"""', 'def f(s="#"):', "    return s", "def g():"]


# -- the real book -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def experiments():
    from nnbook import registry

    registry.load()
    return dict(registry.EXPERIMENTS)


def keys_with_data(experiments, monkeypatch, tmp_path, old: str = "", new: str = "") -> dict[str, str]:
    """Every experiment's result key, with `nnbook/data.py` read from a copy edited by `old` → `new`."""
    from nnbook.cache import result_key

    real_path = fp._module_path
    text = real_path("nnbook.data").read_text()
    assert old in text
    copy = tmp_path / f"data-{len(list(tmp_path.iterdir()))}.py"
    copy.write_text(text.replace(old, new) if old else text)
    with monkeypatch.context() as patched:
        patched.setattr(fp, "_module_path", lambda name: copy if name == "nnbook.data" else real_path(name))
        return {eid: result_key(e, "full") for eid, e in experiments.items()}


def test_editing_regression_in_the_real_data_module_changes_only_the_diabetes_experiment(experiments, monkeypatch,
                                                                                          tmp_path):
    base = keys_with_data(experiments, monkeypatch, tmp_path)
    assert len(base) >= 25

    def stale(old: str, new: str) -> set[str]:
        keys = keys_with_data(experiments, monkeypatch, tmp_path, old, new)
        return {eid for eid in base if keys[eid] != base[eid]}

    assert stale("y = bunch.target.astype(np.float32)", "y = bunch.target.astype(np.float64)") == {"metrics/diabetes"}
    assert stale("factor=0.5", "factor=0.4") == {"trainer/presets"}  # `circles`, used by the widget's presets only
    assert stale("Nothing here downloads.", "Nothing here ever downloads.") == set()  # the module docstring
    assert stale("def mnist(", "# MNIST\n\n\ndef mnist(") == set()  # a comment and blank lines
    users = {eid for eid, e in experiments.items() if "_split" in fp.reached(e.func).get("nnbook.data", [])}
    assert stale("order[:train]", "order[: train]") == users and "metrics/diabetes" in users


def test_only_the_diabetes_experiment_reaches_regression(experiments):
    reach = {eid: fp.reached(e.func).get("nnbook.data", []) for eid, e in experiments.items()}
    assert {eid for eid, names in reach.items() if "regression" in names} == {"metrics/diabetes"}
    assert {eid for eid, names in reach.items() if "circles" in names} == {"trainer/presets"}
    assert not any(fp.WHOLE in names for names in reach.values())
