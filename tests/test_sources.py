"""The provenance line's source links: a file the last commit lacks is said to be uncommitted,
since its link on the published branch works only once it is merged."""

from __future__ import annotations

import subprocess

from nnbook.book import Book
from nnbook.gitstate import uncommitted_sources


def git(folder, *args):
    subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True)


def test_new_and_changed_files_are_uncommitted(tmp_path):
    git(tmp_path, "init", "-q")
    (tmp_path / "pkg").mkdir()
    for name in ("kept.py", "changed.py"):
        (tmp_path / "pkg" / name).write_text("x = 1\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qm", "first")
    (tmp_path / "pkg/changed.py").write_text("x = 2\n")
    (tmp_path / "pkg/new.py").write_text("y = 1\n")
    assert uncommitted_sources(tmp_path / "pkg") == {"pkg/changed.py", "pkg/new.py"}
    assert uncommitted_sources(tmp_path.parent / "nowhere") == frozenset()


def test_an_uncommitted_source_is_labelled_so(smoke_results):
    book = Book(smoke_results, "smoke")
    book.source_url = "https://github.com/nnbook/nnbook/blob/main/"
    output = book.outputs["training/descent-values"] if "training/descent-values" in book.outputs else next(
        o for o in book.outputs.values() if o.uses.startswith("training/"))
    book._made["uncommitted"] = frozenset({"nnbook/experiments/training.py"})
    labels = [label for label, _ in book.sources(output)]
    assert labels == ["uncommitted experiment", output.kind]
    book._made["uncommitted"] = frozenset()
    assert [label for label, _ in book.sources(output)] == ["experiment", output.kind]
    assert all(url.startswith(book.source_url + "nnbook/") for _, url in book.sources(output))
