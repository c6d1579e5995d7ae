"""Each make target installs what it needs, whatever setup ran before (dry runs: nothing is installed)."""

from __future__ import annotations

import subprocess
import tomllib

import pytest

from conftest import ROOT


def dry_run(target: str, venv) -> list[str]:
    run = subprocess.run(["make", "-n", target, f"VENV={venv}"], cwd=ROOT, capture_output=True, text=True,
                         timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    return run.stdout.splitlines()


@pytest.mark.parametrize("target, extra, command", [("bench", "bench", "benchmarks/run.py"),
                                                    ("notebooks", "notebooks", "jupyter lab")])
def test_a_target_installs_its_extra_before_it_runs(tmp_path, target, extra, command):
    lines = dry_run(target, tmp_path / "venv")  # a venv made by `make setup` alone, or none yet
    install = next(i for i, line in enumerate(lines) if f"-e '.[{extra}]'" in line)
    assert install < next(i for i, line in enumerate(lines) if command in line)


def test_the_bench_extra_has_what_the_benchmarks_import():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(r.startswith("playwright") for r in extras["bench"])
    assert "from playwright" in (ROOT / "benchmarks/reader.py").read_text()
