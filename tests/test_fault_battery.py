"""The fault battery: commands that must never delete the project, results that must never carry
script into a page, runs that do what was asked, and odd states that get one clear line.

Every case runs in a throwaway project (a small book of its own with a copy of the smoke
results, in a temporary folder and a git repository) and compares checksums of the project,
the store and the site before and after, with the message and the exit code.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest

from nnbook import registry, sitedir
from nnbook.book import Book
from nnbook.cache import FILE_MODE, META, Result, decode, encode
from nnbook.cli import main
from nnbook.registry import Trusted

from conftest import ROOT

PAGE = """\
# A page

::: nnbook activations/curves

Some prose.
"""

CONFIG = """\
site_name: fault battery
docs_dir: content
theme:
  name: mkdocs
plugins:
  - nnbook:
      results: results
      profile: smoke
"""

QUICK = "activations/curves"  # computes curves, trains nothing: the quickest experiment


def snapshot(folder: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Every file under `folder` with the hash of its bytes (folders in `skip` left out)."""
    import hashlib

    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.relative_to(folder).parts[0] in skip}


@pytest.fixture
def project(tmp_path, smoke_results) -> Path:
    """A small book: one page showing one figure, a copy of the smoke results, a git repository."""
    root = tmp_path / "project"
    (root / "content").mkdir(parents=True)
    (root / "mkdocs.yml").write_text(CONFIG)
    (root / "content" / "index.md").write_text(PAGE)
    shutil.copytree(smoke_results / "smoke", root / "results" / "smoke")
    (root / "notes.txt").write_text("uncommitted work")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def run(project: Path, *args: str) -> list[str]:
    return ["--root", str(project), "--profile", "smoke", *args]


def one_line(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if not line.startswith(("INFO", "WARNING"))]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def entry(results: Path, experiment_id: str = QUICK) -> Path:
    book = Book(results, "smoke", read_only=True)
    return book.store.path(experiment_id, book.key(experiment_id))


# -- data loss: the site folder ------------------------------------------------------------

PROTECTED = [(".", "is the project folder"), ("content", "is the pages folder"), ("results", "is the results folder"),
             ("..", "holds the project folder"), ("/", "holds the project folder"),
             ("results/smoke", "lies inside the results folder"), ("content/site", "lies inside the pages folder")]


@pytest.mark.parametrize("command", ["build", "clean"])
@pytest.mark.parametrize("site, message", PROTECTED, ids=[s for s, _ in PROTECTED])
def test_a_site_folder_that_is_or_holds_the_project_is_refused(project, command, site, message, capsys):
    before = snapshot(project)
    assert main(run(project, command, "--site-dir", site)) == 2
    assert message in one_line(capsys.readouterr().err)
    assert snapshot(project) == before


def test_the_home_folder_and_the_repository_are_refused(project, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "diary.txt").write_text("mine")
    assert main(run(project, "build", "--site-dir", str(tmp_path / "home"))) == 2
    assert "is your home folder" in one_line(capsys.readouterr().err)
    book = project / "book"  # the project in a subfolder of its repository
    shutil.move(project / "content", book / "content")
    shutil.move(project / "mkdocs.yml", book / "mkdocs.yml")
    shutil.move(project / "results", book / "results")
    assert main(["--root", str(book), "--profile", "smoke", "clean", "--site-dir", ".."]) == 2
    assert "is the repository" in one_line(capsys.readouterr().err)
    assert (tmp_path / "home" / "diary.txt").read_text() == "mine" and (project / "notes.txt").is_file()


def test_build_replaces_only_a_folder_it_built(project, capsys):
    other = project / "site"
    other.mkdir()
    (other / "mine.html").write_text("not a build")
    assert main(run(project, "build")) == 2
    assert "was not built by nnbook" in one_line(capsys.readouterr().err)
    assert (other / "mine.html").read_text() == "not a build"
    shutil.rmtree(other)
    other.mkdir()  # an empty folder may be used
    assert main(run(project, "build")) == 0
    assert (other / sitedir.MARK).is_file() and (other / "index.html").is_file()
    (other / "stale.html").write_text("from an earlier build")
    assert main(run(project, "build")) == 0, "a folder it built is replaced"
    assert not (other / "stale.html").exists()


def test_clean_removes_only_what_nnbook_made(project, capsys):
    assert main(run(project, "build")) == 0
    (project / "results" / "smoke" / "notes.md").write_text("kept")
    before_full = snapshot(project, skip=("results", "site", ".git"))
    assert main(run(project, "clean")) == 0
    out, err = capsys.readouterr()
    assert not (project / "site").exists() and f"removed {project / 'site'}" in out
    assert "kept" in err and "holds files nnbook did not make" in err
    assert [p.name for p in (project / "results" / "smoke").iterdir()] == ["notes.md"]
    assert snapshot(project, skip=("results", "site", ".git")) == before_full
    unmarked = project / "site"
    unmarked.mkdir()
    (unmarked / "mine.html").write_text("mine")
    assert main(run(project, "clean")) == 2
    assert "was not built by nnbook" in one_line(capsys.readouterr().err)
    assert (unmarked / "mine.html").is_file()


def test_a_killed_build_leaves_its_scratch_folder_only_until_the_next_build(project, capsys):
    assert main(run(project, "build")) == 0
    site_before = snapshot(project / "site")
    os.remove(entry(project / "results"))  # the build has an experiment to run: time to kill it
    build = subprocess.Popen([sys.executable, "-m", "nnbook.cli", *run(project, "build")], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    scratch = sitedir.scratch(project / "site", "tmp", build.pid)
    # look often: the scratch folder lives only while the site is written, some 40 ms for this small
    # project (and importing TensorFlow before that can take long on a loaded machine)
    deadline = time.monotonic() + 300
    while not scratch.exists() and build.poll() is None and time.monotonic() < deadline:
        time.sleep(0.001)
    build.send_signal(signal.SIGKILL)
    build.wait(timeout=30)
    assert scratch.exists(), "killed while building into its scratch folder"
    assert snapshot(project / "site") == site_before
    assert main(run(project, "build")) == 0
    assert not scratch.exists() and f"removed {scratch}" in capsys.readouterr().err


# -- security: results are hostile ---------------------------------------------------------

SCRIPT = "<img src=x onerror=alert(1)>"
HOSTILE_PROVENANCE = [("date", SCRIPT), ("seed", "1<b>"), ("seconds", "<i>1</i>"), ("profile", SCRIPT),
                      ("versions", {"keras": SCRIPT}), ("machine", {"cpu": SCRIPT, "arch": "x86_64", "isa": [],
                                                                    "threads": 1, "onednn": False}),
                      ("machine", {"cpu": "cpu", "arch": "x86_64", "isa": ["<svg onload=alert(1)>"], "threads": 1,
                                   "onednn": False}),
                      ("machine", {"cpu": "cpu", "arch": "x86_64", "isa": [], "threads": "2<img>", "onednn": False}),
                      ("params", {"n": SCRIPT}), ("extra", "anything")]


@pytest.mark.parametrize("field, value", HOSTILE_PROVENANCE, ids=[f for f, _ in HOSTILE_PROVENANCE])
def test_hostile_provenance_is_refused_as_damaged(project, field, value, capsys):
    path = entry(project / "results")
    stored = decode(path.read_bytes())
    path.write_bytes(encode(Result(stored.values, stored.provenance | {field: value})))  # a valid checksum
    assert main(run(project, "check")) == 1
    assert f"{QUICK}: damaged: {path}: provenance field" in capsys.readouterr().err
    assert main(run(project, "build")) == 0, "the damaged entry is recomputed"
    page = (project / "site" / "index.html").read_text()
    assert "<img src=x" not in page and "<b>" not in page and "<svg" not in page
    assert decode(path.read_bytes()).provenance[field] != value if field in stored.provenance else True


def test_the_computation_times_page_shows_provenance_as_text(project):
    (project / "mkdocs.yml").write_text(CONFIG + "nav:\n  - Home: index.md\n  - Times: computation-times.md\n")
    assert main(run(project, "build")) == 0
    times = (project / "site" / "computation-times" / "index.html").read_text()
    assert QUICK in times and "<img" not in times


@pytest.fixture
def hostile_text():
    registry.load()
    hostile = ["[x](javascript:alert(1))", "<script>alert(1)</script>", "**bold**", "$x^2$", "`code`",
               "![i](javascript:alert(1))", "a | b", "{: onclick=alert(1) }", "line\n\n# heading"]

    @registry.values("activations/hostile", uses=QUICK)
    def values(r: dict) -> dict:
        return {f"v{i}": text for i, text in enumerate(hostile)} | {"bold": Trusted("**trusted**")}

    @registry.table("activations/hostile-table", uses=QUICK)
    def table(r: dict):
        return ["name", "value"], [[text, Trusted("**total**")] for text in hostile]

    yield hostile
    registry.OUTPUTS.pop("activations/hostile")
    registry.OUTPUTS.pop("activations/hostile-table")


def test_values_and_table_cells_reach_the_page_as_text(project, hostile_text):
    refs = " ".join(f"{{{{ activations/hostile.v{i} }}}}" for i in range(len(hostile_text)))
    (project / "content" / "index.md").write_text(f"# Page\n\nValues: {refs} {{{{ activations/hostile.bold }}}}\n\n"
                                                  "::: nnbook activations/hostile-table\n")
    assert main(run(project, "build")) == 0
    page = (project / "site" / "index.html").read_text()
    assert 'href="javascript' not in page and 'src="javascript' not in page and "<script>alert" not in page
    assert "<strong>bold</strong>" not in page and "<math" not in page
    assert not re.search(r"<[^>]*\sonclick", page), "no attribute list reaches a tag"
    assert "<h1 id=\"heading\"" not in page and "<code>code</code>" not in page
    assert "<strong>trusted</strong>" in page and "<strong>total</strong>" in page, "trusted Markdown still works"
    rows = re.findall(r"<tr>(.*?)</tr>", page, re.DOTALL)
    assert all(row.count("<td") == 2 for row in rows if "<td" in row), "a | in a cell splits no cell"
    assert "[x](javascript:alert(1))" in _as_text(page), "the reader sees the text as written"


def _as_text(page: str) -> str:
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_an_entry_copied_over_another_experiments_file_is_refused(project, capsys):
    results = project / "results"
    other = entry(results, "training/backprop")
    target = entry(results)
    shutil.copyfile(other, target)
    assert main(run(project, "check")) == 1
    assert f"{target}: holds the result of training/backprop" in capsys.readouterr().err
    assert main(run(project, "build")) == 0, "recomputed, not shown"
    assert decode(target.read_bytes()).provenance["experiment"] == QUICK


def built_page(project: Path) -> str:
    """The built home page without the theme's build-date comment."""
    return re.sub(r"<!--.*?-->", "", (project / "site" / "index.html").read_text(), flags=re.DOTALL)


def test_rendered_outputs_carry_a_checksum_and_a_shape(project):
    assert main(run(project, "build")) == 0
    page = built_page(project)
    rendered = sorted((project / "results" / ".rendered" / "smoke").glob("*.json"))
    figure = next(p for p in rendered if '"asset"' in p.read_text())
    entry_ = json.loads(figure.read_text())
    entry_["value"]["html"] = entry_["value"]["html"].replace("Experiment", "<script>alert(1)</script>Experiment")
    figure.write_text(json.dumps(entry_))  # changed without its checksum
    assert main(run(project, "build")) == 0
    assert built_page(project) == page
    for path in rendered:  # valid JSON of the wrong shape, with a checksum that matches it
        value = ["not", "a", "rendering"]
        import hashlib

        checksum = hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()
        path.write_text(json.dumps({"sha256": checksum, "value": value}))
    assert main(run(project, "build")) == 0
    assert built_page(project) == page


# -- runs that do what was asked -------------------------------------------------------------

def test_ctrl_c_right_after_an_experiment_stops_the_run(project):
    store = project / "results" / "smoke"
    before = snapshot(store)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    ids = [QUICK, "training/backprop", "activations/init", "activations/boundaries"]
    figures = subprocess.Popen([sys.executable, "-m", "nnbook.cli", *run(project, "figures", "--force", *ids)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines = []
    for line in figures.stdout:
        lines.append(line)
        if "done in" in line:
            figures.send_signal(signal.SIGINT)
            break
    rest, _ = figures.communicate(timeout=60)
    output = "".join(lines) + rest
    assert figures.returncode == 130, output
    assert "interrupted" in output and sum("done in" in line for line in output.splitlines()) <= 2, output
    assert {k: v for k, v in snapshot(store).items() if not k.endswith(".tmp")} == before


@pytest.fixture
def wanderer(tmp_path):
    registry.load()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    @registry.experiment("faults/wanderer", seed=0, full={"n": 2}, smoke={"n": 2})
    def wander(n: int, seed: int) -> dict:
        os.chdir(elsewhere)
        return {"x": np.arange(n)}

    yield elsewhere
    registry.EXPERIMENTS.pop("faults/wanderer")


def test_an_experiment_that_changes_folder_stores_its_result_in_the_results_folder(project, wanderer, monkeypatch):
    monkeypatch.chdir(project)
    assert main(["--profile", "smoke", "--results", "results", "figures", "faults/wanderer"]) == 0
    assert Path.cwd() == project, "the working folder is restored"
    assert entry(project / "results", "faults/wanderer").is_file()
    assert not (wanderer / "results").exists()


@pytest.mark.parametrize("title", ["Schedules: a primer", "It's \"quoted\" # not a comment", "- [list] {map} & *x*"])
def test_a_new_topic_with_any_title_keeps_mkdocs_yml_readable(tmp_path, title, capsys):
    from mkdocs.utils.yaml import yaml_load

    root = tmp_path / "copy"
    root.mkdir()
    shutil.copy(ROOT / "mkdocs.yml", root / "mkdocs.yml")
    assert main(["--root", str(root), "new", "schedules", "--title", title]) == 0
    nav = yaml_load((root / "mkdocs.yml").read_text())["nav"]
    assert {title: "schedules.md"} in nav and nav[nav.index({title: "schedules.md"}) + 1] == {
        "How this book is made": "about.md"}


# -- clear errors instead of tracebacks -------------------------------------------------------

@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """`folder` read-only for this process: a read-only bind mount as root (who ignores modes), else modes."""
    if os.geteuid() == 0:
        if subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True).returncode:
            pytest.skip("root ignores file modes, and this machine refuses a read-only bind mount")
        try:
            subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], check=True)
            yield
        finally:
            subprocess.run(["umount", str(folder)], check=True)
    else:
        modes = {p: p.stat().st_mode for p in [folder, *folder.rglob("*")] if p.is_dir()}
        for p in modes:
            p.chmod(0o555)
        try:
            yield
        finally:
            for p, mode in modes.items():
                p.chmod(mode)


def test_a_read_only_results_folder_builds_from_its_results(project, capsys):
    git(project, "add", "-A")
    git(project, "commit", "-qm", "book")  # committed results, as in a checkout
    results = project / "results"
    before = snapshot(results)
    with read_only(results):
        with pytest.raises(OSError):
            (results / "probe").write_text("")
        assert main(run(project, "build")) == 0, capsys.readouterr().err
        assert main(run(project, "check")) == 0
    assert snapshot(results) == before
    assert "activations/curves" in (project / "site" / "index.html").read_text()


@contextlib.contextmanager
def small_disk(folder: Path, size: str = "600k") -> Iterator[str]:
    """A small file system at `folder` (tmpfs as root; else a file-size limit): writes past it fail."""
    if os.geteuid() == 0:
        if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True).returncode:
            pytest.skip("this machine refuses to mount a small tmpfs")
        try:
            yield "No space left on device"
        finally:
            subprocess.run(["umount", str(folder)], check=True)
    else:
        old = resource.getrlimit(resource.RLIMIT_FSIZE)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (600_000, old[1]))
        try:
            yield "File too large"
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, old)


def test_a_full_disk_fails_the_build_in_one_line_and_keeps_the_site(project, capsys):
    disk = project / "out"
    disk.mkdir()
    with small_disk(disk) as message:
        site = disk / "site"
        site.mkdir()
        (site / sitedir.MARK).write_text(sitedir.MARK_TEXT)
        (site / "index.html").write_text("the previous build")
        assert main(run(project, "build", "--site-dir", str(site))) == 1
        line = one_line(capsys.readouterr().err)
        assert "build failed" in line and message in line and f"{site} left as it was" in line
        assert (site / "index.html").read_text() == "the previous build"
        assert sorted(p.name for p in disk.iterdir()) == ["site"], "no scratch folder left"


def test_results_and_rendered_files_follow_the_umask(project):
    old = os.umask(0o022)
    try:
        os.remove(entry(project / "results"))
        assert main(run(project, "build")) == 0
    finally:
        os.umask(old)
    assert FILE_MODE == 0o666 & ~old
    assert entry(project / "results").stat().st_mode & 0o777 == FILE_MODE
    for path in (project / "results" / ".rendered" / "smoke").glob("*.json"):
        assert path.stat().st_mode & 0o777 == FILE_MODE


def _huge_header(path: Path) -> None:
    """Rewrite the entry with one array member whose header claims 10^12 float64s."""
    import io
    import zipfile

    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    name = next(n for n in members if n != f"{META}.npy")
    data = members[name]
    header = np.lib.format.header_data_from_array_1_0(np.zeros(1))
    header["shape"] = (10**12,)
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, header)
    members[name] = buffer.getvalue() + data[-8:]
    with zipfile.ZipFile(path, "w") as archive:
        for n, content in members.items():
            archive.writestr(n, content)


ODD_STATES = {
    "an entry that is a folder": (lambda r: (os.remove(entry(r)), entry(r).mkdir()), "check", "is not a file"),
    "the profile folder is a file": (lambda r: (shutil.rmtree(r / "smoke"), (r / "smoke").write_text("")), "check",
                                     "is a file"),
    "a topic folder is a file": (lambda r: (shutil.rmtree(r / "smoke" / "activations"),
                                            (r / "smoke" / "activations").write_text("")), "check",
                                 "is a file where a results folder must be"),
    "the rendered folder is a file": (lambda r: (r / ".rendered").write_text(""), "check", "is a file"),
    "an entry whose header claims a huge array": (lambda r: _huge_header(entry(r)), "check", "claims"),
    "an entry that is empty": (lambda r: entry(r).write_bytes(b""), "check", "unreadable"),
}


@pytest.mark.parametrize("case", list(ODD_STATES))
def test_odd_states_get_one_line_naming_the_path(project, case, capsys):
    make, command, message = ODD_STATES[case]
    results = project / "results"
    make(results)
    code = main(run(project, command))
    err = capsys.readouterr().err
    assert code != 0 and message in err and "Traceback" not in err and "MemoryError" not in err, err
    assert str(results) in err
    assert all(line.startswith("nnbook: ") for line in err.strip().splitlines()), err


def test_an_entry_that_is_a_folder_fails_figures_naming_it(project, capsys):
    results = project / "results"
    os.remove(entry(results))
    entry(results).mkdir()
    assert main(run(project, "figures", QUICK)) == 1
    line = one_line(capsys.readouterr().err)
    assert str(entry(results)) in line and "its result cannot be stored" in line


@pytest.mark.parametrize("make", ["results-under-a-file", "empty-results", "empty-profile"])
def test_bad_paths_and_empty_settings_get_one_line(project, make, monkeypatch, capsys):
    args = run(project, "check")
    if make == "results-under-a-file":
        args = ["--root", str(project), "--profile", "smoke", "--results", str(project / "notes.txt" / "results"),
                "check"]
    else:
        monkeypatch.setenv("NNBOOK_RESULTS" if make == "empty-results" else "NNBOOK_PROFILE", "")
        args = ["--root", str(project), "check"]
    assert main(args) == 2
    line = one_line(capsys.readouterr().err)
    assert ("notes.txt is a file" in line) if make == "results-under-a-file" else ("is set but empty" in line)


def test_a_build_with_an_empty_results_setting_fails_in_one_line(project, monkeypatch, capsys):
    monkeypatch.setenv("NNBOOK_RESULTS", " ")
    before = snapshot(project)
    assert main(["--root", str(project), "--profile", "smoke", "build"]) == 2
    assert "NNBOOK_RESULTS is set but empty" in one_line(capsys.readouterr().err)
    assert snapshot(project) == before


# -- check sees git ---------------------------------------------------------------------------

def git(project: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@t", *args], check=True,
                   capture_output=True)


def test_check_reports_results_git_would_not_commit_with_the_command_that_fixes_it(project, capsys, monkeypatch):
    monkeypatch.chdir(project)
    git(project, "add", "-A")
    git(project, "commit", "-qm", "book")
    assert main(run(project, "check")) == 0
    current = entry(project / "results")
    shutil.move(current, project / "kept.npz")  # as after an edit: the old entry gone, the new one new
    other = entry(project / "results", "training/backprop")
    data = other.read_bytes()
    other.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    fresh = current.parent / "0123456789abcdef.npz"
    shutil.copy(project / "kept.npz", fresh)
    assert main(run(project, "check")) == 1
    err = capsys.readouterr().err
    relative = lambda p: p.relative_to(project)  # noqa: E731
    assert f"{relative(current)}: deleted but the deletion is not staged; run `git rm {relative(current)}`" in err
    assert f"{relative(fresh)}: not in git (untracked); run `git add {relative(fresh)}`" in err
    assert f"{relative(other)}: changed but the change is not staged; run `git add {relative(other)}`" in err
    assert f"{QUICK}: stale (its code, parameters or versions changed); run `nnbook figures` and commit what it writes under" in err
