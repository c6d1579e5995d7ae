"""The site-only install: `make setup` in a fresh copy of the project creates a virtual environment
with the site dependencies alone (no TensorFlow), which builds the book from the committed results.
Slow: it installs packages into a new venv."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow

NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "site", "smoke", ".rendered", "__pycache__", ".pytest_cache",
                                    "*.egg-info", "build", "notebooks")
VERSIONS = "import json; from nnbook.cache import library_versions; print(json.dumps(library_versions()))"


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """`command` in `cwd`, seeing only the venv it names (not the test process's PYTHONPATH)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def venv_megabytes(venv: Path) -> float:
    return sum(f.stat().st_size for f in venv.rglob("*") if f.is_file() and not f.is_symlink()) / 1e6


@pytest.fixture(scope="module")
def site_only_clone(tmp_path_factory) -> Path:
    """A copy of the project whose venv `make setup` made, as on a fresh clone."""
    clone = tmp_path_factory.mktemp("site-only") / "nnbook"
    shutil.copytree(ROOT, clone, ignore=NOT_COPIED)
    setup = run(["make", "setup"], clone)
    assert setup.returncode == 0, setup.stdout[-2000:] + setup.stderr[-3000:]
    return clone


def test_site_only_install_has_no_tensorflow_and_stays_small(site_only_clone):
    python = str(site_only_clone / ".venv/bin/python")
    probe = "import importlib.util as u; print([m for m in ('tensorflow', 'keras', 'sklearn') if u.find_spec(m)])"
    assert run([python, "-c", probe], site_only_clone).stdout.strip() == "[]"
    assert venv_megabytes(site_only_clone / ".venv") < 600


def test_site_only_install_builds_the_book_from_committed_results(site_only_clone):
    versions = json.loads(run([str(site_only_clone / ".venv/bin/python"), "-c", VERSIONS], site_only_clone).stdout)
    assert "missing" not in versions.values(), versions  # the pinned versions stand in for the keys
    build = run([str(site_only_clone / ".venv/bin/nnbook"), "build", "--site-dir", "site"], site_only_clone)
    assert build.returncode == 0, build.stderr[-3000:]
    assert "running" not in build.stderr  # nothing trained
    assert "<math" in (site_only_clone / "site/about/index.html").read_text()
    assert (site_only_clone / "site/activations/index.html").stat().st_size > 50_000


def test_training_without_tensorflow_says_how_to_install_it(site_only_clone, tmp_path):
    nnbook = str(site_only_clone / ".venv/bin/nnbook")
    ran = run([nnbook, "--profile", "smoke", "--results", str(tmp_path), "figures", "training/backprop"], site_only_clone)
    assert ran.returncode == 1
    assert "pip install -e '.[experiments]'" in ran.stderr and "make figures" in ran.stderr
    assert "Traceback" not in ran.stderr
