"""Experiments in worker processes and on a local Dask cluster: the same results as a run in
this process, failures named, dead workers costing nothing stored, Ctrl-C stopping at once.

What "the same" means (`assert_same_results`): every result file of the parallel run equals
the serial run's byte for byte once its wall-clock timings (provenance `seconds`, and values
named `...seconds`) are replaced by the serial run's; and `values_digest(timings=False)` of
every result is equal.
"""

from __future__ import annotations

import importlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from nnbook import parallel, registry
from nnbook.book import Book, BuildError
from nnbook.cache import Result, decode, encode, is_timing, values_digest
from nnbook.cli import main

from conftest import ROOT

QUICK = ["activations/curves", "training/backprop", "training/descent", "activations/init"]  # < 1 s each (smoke)


def results_of(folder: Path) -> dict[str, Path]:
    """Result files by experiment id."""
    base = folder / "smoke"
    return {p.parent.relative_to(base).as_posix(): p for p in sorted(base.glob("*/*/*.npz"))}


def assert_same_results(serial: Path, other: Path, ids: list[str]) -> None:
    mine, theirs = results_of(serial), results_of(other)
    assert set(ids) <= set(theirs), f"missing: {sorted(set(ids) - set(theirs))}"
    for experiment_id in ids:
        reference, data = mine[experiment_id].read_bytes(), theirs[experiment_id].read_bytes()
        assert mine[experiment_id].name == theirs[experiment_id].name, "the same key"
        a, b = decode(reference), decode(data)
        assert values_digest(a.values, timings=False) == values_digest(b.values, timings=False), experiment_id
        timed = {k: a.values[k] for k in a.values if is_timing(k)}
        retimed = Result(b.values | timed, b.provenance | {"seconds": a.provenance["seconds"]})
        assert encode(retimed) == reference, f"{experiment_id}: the files differ beyond wall-clock timings"


def assert_only_whole_results(folder: Path) -> None:
    assert not list((folder / "smoke").glob("*/*/.*.tmp")), "no temporary file left"
    for path in results_of(folder).values():
        decode(path.read_bytes())  # raises DamagedEntry on half a file


def args(results: Path, *rest: str) -> list[str]:
    return ["--root", str(ROOT), "--results", str(results), "--profile", "smoke", *rest]


@pytest.fixture(scope="module")
def serial(tmp_path_factory) -> Path:
    """QUICK run in this process, one after another (`-j 1`), into an empty folder."""
    folder = tmp_path_factory.mktemp("serial")
    assert main(args(folder, "figures", "-j", "1", *QUICK)) == 0
    return folder


@pytest.fixture
def faults(monkeypatch, tmp_path):
    """The experiments of tests/parallel_faults.py, registered here and known to workers."""
    registry.load()
    sys.modules.pop("parallel_faults", None)
    module = importlib.import_module("parallel_faults")
    monkeypatch.setenv(module.MARKER, str(tmp_path / "died-once"))
    yield module
    for experiment_id in module.IDS:
        registry.EXPERIMENTS.pop(experiment_id, None)
    sys.modules.pop("parallel_faults", None)


# -- worker processes on this machine -------------------------------------------------------

def test_two_worker_processes_give_the_results_of_one_process(serial, tmp_path, capsys):
    assert main(args(tmp_path, "figures", "-j", "2", *QUICK)) == 0
    out = capsys.readouterr()
    assert "on 2 worker processes" in out.err
    assert_same_results(serial, tmp_path, QUICK)


def test_a_failure_in_the_pool_is_named_and_the_others_are_saved(faults, tmp_path, capsys):
    code = main(args(tmp_path, "figures", "-j", "2", "faults/boom", "activations/curves", "training/backprop"))
    err = capsys.readouterr().err
    assert code == 1
    assert "experiment faults/boom (smoke) raised RuntimeError: boom, on purpose" in err
    assert "Traceback" in err, "the worker's traceback comes along"
    assert {"activations/curves", "training/backprop"} <= set(results_of(tmp_path))
    assert "faults/boom" not in results_of(tmp_path)
    assert_only_whole_results(tmp_path)


def test_a_dead_worker_loses_nothing_and_its_experiment_runs_again(faults, tmp_path):
    book = Book(tmp_path, "smoke")
    ids = ["faults/boom", "faults/dies-once", "activations/curves"]
    book.refresh(ids, keep_going=True, jobs=2)  # as under `nnbook serve`
    assert Path(os.environ[faults.MARKER]).exists(), "a worker was killed"
    assert set(book.failures) == {"faults/boom"}
    assert "boom, on purpose" in book.failures["faults/boom"].what
    assert set(results_of(tmp_path)) == {"faults/dies-once", "activations/curves"}
    assert_only_whole_results(tmp_path)


def start_with_workers(results: Path):
    """`nnbook figures --force -j 2` in a subprocess, once its two workers are up; (process, workers)."""
    psutil = pytest.importorskip("psutil")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    run = subprocess.Popen([sys.executable, "-m", "nnbook.cli", *args(results, "figures", "--force", "-j", "2", *QUICK)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    for line in run.stdout:
        if "worker processes" in line:
            break
    deadline = time.monotonic() + 60
    while len(workers := [p for p in psutil.Process(run.pid).children() if "spawn_main" in " ".join(p.cmdline())]) < 2 \
            and time.monotonic() < deadline:
        time.sleep(0.1)
    return run, workers


def test_ctrl_c_stops_the_workers_at_once_and_stores_nothing(smoke_results, tmp_path):
    psutil = pytest.importorskip("psutil")
    results = tmp_path / "results"
    shutil.copytree(smoke_results, results, ignore=shutil.ignore_patterns(".rendered"))
    before = {p: p.read_bytes() for p in results_of(results).values()}
    run, workers = start_with_workers(results)
    run.send_signal(signal.SIGINT)
    output = run.communicate(timeout=30)[0]
    assert run.returncode == 130, output
    assert "interrupted" in output
    gone, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, "no worker process outlives the run"
    assert {p: p.read_bytes() for p in results_of(results).values()} == before
    assert_only_whole_results(results)


def test_workers_of_a_killed_coordinator_exit(tmp_path):
    psutil = pytest.importorskip("psutil")
    run, workers = start_with_workers(tmp_path)
    assert len(workers) == 2
    run.kill()
    run.wait(timeout=30)
    gone, alive = psutil.wait_procs(workers, timeout=15)
    assert not alive, "orphaned workers stop instead of waiting forever to send their results"


def test_bad_jobs_and_a_missing_cluster_package_get_one_line(tmp_path, capsys, monkeypatch):
    assert main(args(tmp_path, "figures", "-j", "0")) == 2
    assert "-j 0" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    assert main(args(tmp_path, "figures", "--scheduler", "tcp://127.0.0.1:1")) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"nnbook: {parallel.INSTALL_CLUSTER}"
    assert not tmp_path.joinpath("smoke").exists()


# -- a Dask cluster ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  memory_limit=0) as local, distributed.Client(local) as client:
        yield local.scheduler_address, client


def test_a_dask_cluster_gives_the_results_of_one_process(serial, cluster, tmp_path, capsys):
    address, _ = cluster
    assert main(args(tmp_path, "figures", "--scheduler", address, *QUICK)) == 0
    assert "on the Dask cluster at" in capsys.readouterr().err
    assert_same_results(serial, tmp_path, QUICK)


def test_a_worker_with_other_code_refuses_the_experiment(cluster, tmp_path):
    address, _ = cluster
    book = Book(tmp_path, "smoke")
    real = book.key("training/backprop")
    book._keys["training/backprop"] = "0" * 16  # what a coordinator with other code would expect
    parallel.run(book, ["training/backprop", "activations/curves"], 1, address, keep_going=True)
    what = book.failures["training/backprop"].what
    assert "refuses it" in what and f"give key {real}, the coordinator expects {'0' * 16}" in what
    assert set(results_of(tmp_path)) == {"activations/curves"}


def test_a_dask_worker_killed_mid_experiment_loses_nothing(serial, cluster, tmp_path):
    address, client = cluster
    book = Book(tmp_path, "smoke")
    outcome: list[object] = []

    def coordinate() -> None:
        try:
            outcome.append(parallel.run(book, QUICK, 1, address))
        except BuildError as e:
            outcome.append(e)

    thread = threading.Thread(target=coordinate)
    thread.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(client.processing().values()):
        time.sleep(0.05)
    busy = next(worker for worker, tasks in client.processing().items() if tasks)
    os.kill(client.run(os.getpid)[busy], signal.SIGKILL)
    thread.join(timeout=300)
    assert outcome, "the run ended"
    assert_only_whole_results(tmp_path)
    done = [i for i in QUICK if i in results_of(tmp_path)]
    assert_same_results(serial, tmp_path, done)
    if isinstance(outcome[0], BuildError):  # reported, naming the experiment
        assert "died" in outcome[0].what
    else:
        assert done == QUICK, "retried on another worker"
