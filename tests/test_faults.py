"""Faults and bad input: each gets a clear message and a non-zero exit, and loses nothing.

Every case works on a copy of the smoke results in a temporary folder and compares
checksums of the store (and of the site, where there is one) before and after.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from mkdocs.exceptions import Abort

from nnbook import registry
from nnbook.book import Book
from nnbook.cache import Result, encode
from nnbook.cli import main
from nnbook.registry import claim

from conftest import ROOT, build_site
from test_site import build_error, docs


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under `folder` with the hash of its bytes."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def results(tmp_path, smoke_results) -> Path:
    """A private copy of the smoke results (without rendered outputs)."""
    copy = tmp_path / "results"
    shutil.copytree(smoke_results, copy, ignore=shutil.ignore_patterns(".rendered"))
    return copy


def cli(results: Path, *args: str) -> list[str]:
    return ["--root", str(ROOT), "--results", str(results), "--profile", "smoke", *args]


def entry(results: Path, experiment_id: str) -> Path:
    book = Book(results, "smoke")
    return book.store.path(experiment_id, book.key(experiment_id))


# -- the store ----------------------------------------------------------------------------

def test_a_killed_forced_rerun_loses_no_stored_result(results):
    before = snapshot(results / "smoke")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    run = subprocess.Popen([sys.executable, "-m", "nnbook.cli", *cli(results, "figures", "--force")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines = []
    for line in run.stdout:  # kill it while it trains the second experiment
        lines.append(line)
        if "done in" in line:
            time.sleep(1.5)
            run.send_signal(signal.SIGKILL)
            break
    run.wait(timeout=60)
    assert any("done in" in line for line in lines), "".join(lines)
    after = {k: v for k, v in snapshot(results / "smoke").items() if not k.endswith(".tmp")}
    assert after == before, "every stored result is still there, byte for byte"
    assert main(cli(results, "check")) == 0 or Book(results, "smoke").store.leftovers()


def test_rerunning_an_unchanged_experiment_rewrites_nothing(results, capsys):
    path = entry(results, "activations/curves")
    before, mtime = path.read_bytes(), path.stat().st_mtime_ns
    assert main(cli(results, "figures", "--force", "activations/curves")) == 0
    assert path.read_bytes() == before and path.stat().st_mtime_ns == mtime


def test_encoding_is_byte_identical_for_the_same_result():
    result = Result({"a": np.arange(5, dtype=np.float32), "n": 3}, {"experiment": "t/x"})
    first = encode(result)
    time.sleep(1.1)  # zip member timestamps would differ by now
    assert encode(result) == first


def test_flipped_bytes_are_reported_as_damaged_every_one_and_recomputed(results, capsys, caplog):
    damaged = [entry(results, i) for i in ("activations/curves", "training/backprop")]
    for path in damaged:  # same length, a few bytes changed in the middle
        data = bytearray(path.read_bytes())
        middle = len(data) // 2
        data[middle : middle + 4] = bytes(b ^ 0xFF for b in data[middle : middle + 4])
        path.write_bytes(bytes(data))
    assert main(cli(results, "check")) == 1
    err = capsys.readouterr().err
    for path in damaged:
        assert f"damaged: {path}" in err
    caplog.set_level(logging.INFO)
    overrides = docs(results.parent, "# Page\n\n::: nnbook activations/curves\n")
    build_site(results.parent / "site", results, **overrides)
    assert any("damaged result, recomputing" in r.getMessage() for r in caplog.records)
    Book(results, "smoke").store.load("activations/curves", damaged[0].stem)  # whole again


def test_leftover_temporary_files_are_reported_then_removed(results, capsys):
    folder = entry(results, "activations/curves").parent
    leftover = folder / f".{entry(results, 'activations/curves').name}.999999999.abcd.tmp"
    leftover.write_bytes(b"half a result")
    assert main(cli(results, "check")) == 1
    assert "temporary file left by an interrupted run" in capsys.readouterr().err
    assert main(cli(results, "figures", "activations/curves")) == 0
    assert not leftover.exists()


def test_superseded_results_come_back_when_the_code_does(results):
    book = Book(results, "smoke")
    key = book.key("activations/curves")
    current = book.store.load("activations/curves", key)
    book.store.save("activations/curves", "0" * 16, current)  # as if the code had changed
    assert not book.store.has("activations/curves", key)
    assert book.store.superseded("activations/curves", key).is_file(), "moved aside, not deleted"
    assert book.stale(["activations/curves"]) == [], "going back restores it without running"
    assert book.store.has("activations/curves", key)


# -- pages --------------------------------------------------------------------------------

@pytest.fixture
def hostile_outputs():
    registry.load()

    @registry.values("training/hostile-values", uses="training/backprop")
    def hostile(r: dict) -> dict:
        return {"script": "<script>alert(1)</script>", "true": claim(True, "the loss went down")}

    @registry.table("training/hostile-table", uses="training/backprop")
    def hostile_table(r: dict):
        return ["<b>name</b>", "value"], [["<img src=x onerror=alert(1)>", "a|b"]]

    @registry.figure("training/huge", uses="training/backprop")
    def huge(r: dict):
        import plotly.graph_objects as go

        return go.Figure(go.Scatter(x=np.arange(600_000.0), y=np.arange(600_000.0)))

    @registry.figure("training/pie", uses="training/backprop")
    def pie(r: dict):
        import plotly.graph_objects as go

        return go.Figure(go.Pie(values=[1, 2]))

    yield
    for name in ("training/hostile-values", "training/hostile-table", "training/huge", "training/pie"):
        registry.OUTPUTS.pop(name)


def test_strings_from_results_are_escaped(tmp_path, smoke_results, hostile_outputs):
    overrides = docs(tmp_path, """\
        # Page

        Value {{ training/hostile-values.script }}, true {{ training/hostile-values.true }}.

        ::: nnbook training/hostile-table
        """)
    build_site(tmp_path / "site", smoke_results, **overrides)
    page = (tmp_path / "site/index.html").read_text()
    assert "<script>alert(1)" not in page and "&#60;script&#62;alert(1)" in page
    assert "<img src=x" not in page and "<b>name</b>" not in page
    assert 'class="nnbook-claim nnbook-claim--checked"' in page


@pytest.fixture
def claimed():
    """A quick experiment (no training) in both profiles, and values with a true and a false claim."""
    registry.load()

    @registry.experiment("faults/quick", seed=0, full={"n": 3}, smoke={"n": 3})
    def quick(n: int, seed: int) -> dict:
        return {"loss": np.linspace(1.0, 0.5, n, dtype=np.float32)}

    @registry.values("faults/quick-values", uses="faults/quick")
    def quick_values(r: dict) -> dict:
        return {"down": claim(r["loss"][-1] < r["loss"][0], "the loss went down"),
                "up": claim(r["loss"][-1] > r["loss"][0], "the loss went up")}

    yield
    registry.EXPERIMENTS.pop("faults/quick")
    registry.OUTPUTS.pop("faults/quick-values")


def test_a_false_claim_fails_a_full_build_with_page_line_and_text(tmp_path, claimed, caplog):
    overrides = docs(tmp_path, "# Page\n\nIt went down. {{ faults/quick-values.down }}\nIt went up. {{ faults/quick-values.up }}\n")
    with pytest.raises(Abort):
        build_site(tmp_path / "site", tmp_path / "results", profile="full", **overrides)
    error = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)
    assert "docs/index.md:4: claim 'faults/quick-values.up' does not hold for these results: the loss went up" in error
    assert "docs/index.md:3: claim 'faults/quick-values.down' is untested: a bare condition" in error, \
        "a true bare condition is not evidence either"
    caplog.clear()
    build_site(tmp_path / "smoke-site", tmp_path / "results", **overrides)  # smoke runs are too small to judge
    page = (tmp_path / "smoke-site/index.html").read_text()
    assert "nnbook-claim--contradicted" in page and "nnbook-claim--checked" in page


def test_an_oversized_figure_fails_naming_it(tmp_path, smoke_results, hostile_outputs, caplog):
    overrides = docs(tmp_path, "# Page\n\n::: nnbook training/huge\n")
    error = build_error(caplog, tmp_path / "site", smoke_results, **overrides)
    assert "figure training/huge raised ValueError: its data is" in error and "over the limit" in error


def test_a_figure_with_a_trace_type_the_bundle_lacks_fails_naming_it(tmp_path, smoke_results, hostile_outputs, caplog):
    overrides = docs(tmp_path, "# Page\n\n::: nnbook training/pie\n")
    error = build_error(caplog, tmp_path / "site", smoke_results, **overrides)
    assert "figure training/pie raised ValueError: trace type pie is not in the site's plotly.js bundle" in error


MALFORMED = """\
# Page

::: nnbook
Text {{ training/ }} and {{ training/backprop-values.a.b }} and {{ unclosed

    {{ in an indented code block }}

- A list item

    ```
    ::: nnbook in/a-fenced-block-of-a-list
    ```
"""


def test_every_malformed_reference_fails_the_build_at_once(tmp_path, smoke_results, caplog):
    site = tmp_path / "site"
    site.mkdir()
    (site / "keep.html").write_text("previous build")
    before = snapshot(site)
    error = build_error(caplog, site, smoke_results, **docs(tmp_path, MALFORMED))
    for line, text in [(3, "'::: nnbook'"), (4, "'{{ training/ }}'"), (4, "'{{ training/backprop-values.a.b }}'"),
                       (4, "'{{'")]:
        assert f"docs/index.md:{line}: malformed reference {text}" in error
    assert "indented code" not in error and "fenced-block" not in error
    assert snapshot(site) == before


def test_code_is_never_touched(tmp_path, smoke_results):
    page = MALFORMED.split("\n", 4)[-1]  # the code blocks only
    build_site(tmp_path / "site", smoke_results, **docs(tmp_path, "# Page\n\n" + page))
    html = (tmp_path / "site/index.html").read_text()
    assert "{{ in an indented code block }}" in html and "::: nnbook in/a-fenced-block-of-a-list" in html


# -- the command line ---------------------------------------------------------------------

BAD_INPUT = [
    (["--profile", "huge", "list"], "invalid choice: 'huge'"),
    (["--root", "/no/such/folder", "list"], "--root /no/such/folder is not a folder"),
    (["figures", "no-such-topic"], "no experiment or topic named no-such-topic"),
    (["serve", "--address", "localhost"], "--address 'localhost' must look like 127.0.0.1:8000"),
    (["serve", "--address", "127.0.0.1:70000"], "must look like 127.0.0.1:8000"),
    (["verify", "nope/x"], "no experiment or topic named nope/x"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
]


@pytest.mark.parametrize("args, message", BAD_INPUT, ids=[" ".join(a) for a, _ in BAD_INPUT])
def test_bad_input_gets_one_line_and_writes_nothing(tmp_path, args, message, capsys):
    results = tmp_path / "results-never-created"
    before = snapshot(ROOT / "results")
    with pytest.raises(SystemExit) if args[0] in ("--profile", "frobnicate") else _no_exit() as caught:
        code = main(["--root", str(ROOT), "--results", str(results), *args])
    code = caught.value.code if caught else code
    err = capsys.readouterr().err
    assert code != 0 and message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not results.exists() and snapshot(ROOT / "results") == before


class _no_exit:
    def __enter__(self):
        return None

    def __exit__(self, *exc) -> bool:
        return False


def test_bad_environment_and_folders(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NNBOOK_PROFILE", "fast")
    assert main(["list"]) == 2
    assert "profile 'fast' (from NNBOOK_PROFILE) is not one of full, smoke" in capsys.readouterr().err
    monkeypatch.delenv("NNBOOK_PROFILE")
    file = tmp_path / "a-file"
    file.write_text("")
    assert main(["--results", str(file), "list"]) == 2
    assert "is a file" in capsys.readouterr().err
    assert main(["--root", str(tmp_path), "build"]) == 2
    assert "no mkdocs.yml in" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_a_port_in_use_is_named(capsys):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["--root", str(ROOT), "serve", "--address", f"127.0.0.1:{port}"]) == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


# -- verify -------------------------------------------------------------------------------

def test_verify_reports_identical_reruns_and_changed_displayed_values(results, capsys):
    assert main(cli(results, "verify", "training/backprop")) == 0
    out = capsys.readouterr().out
    assert "training/backprop: identical" in out and "1 of 1 identical" in out
    claims = re.search(r"(\d+) of (\d+) claims judged on the rerun hold and pass their audits", out)
    assert claims and claims[1] == claims[2], out
    book = Book(results, "smoke")
    path = entry(results, "training/backprop")
    stored = book.store.load("training/backprop", path.stem)
    tampered = {k: (v * 1.5 if isinstance(v, np.ndarray) and v.dtype.kind == "f" else v)
                for k, v in stored.values.items()}
    path.write_bytes(encode(Result(tampered, stored.provenance)))
    assert main(cli(results, "verify", "training/backprop")) == 1
    out = capsys.readouterr().out
    assert "training/backprop: differs; largest differences:" in out and "max |Δ|" in out
    assert "displayed value changes: training/backprop-values." in out and "content/training.md:" in out
