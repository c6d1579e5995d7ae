"""`nnbook new`: the files it creates, where the page goes in the navigation, what it says."""

from __future__ import annotations

import shutil

from nnbook.cli import main

from conftest import ROOT


def test_new_page_goes_before_how_this_book_is_made_and_says_it_updated_the_config(tmp_path, capsys):
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    assert main(["--root", str(tmp_path), "new", "optimizers", "--title", "Optimizers"]) == 0
    nav = (tmp_path / "mkdocs.yml").read_text().split("nav:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    about = nav.index("  - How this book is made: about.md")
    assert nav[about - 1] == "  - Optimizers: optimizers.md" and nav.count("  - Optimizers: optimizers.md") == 1
    said = capsys.readouterr().out.splitlines()
    created = ["content/optimizers.md", "nnbook/experiments/optimizers.py", "nnbook/figures/optimizers.py",
               "tests/test_optimizers.py"]
    assert said[:-1] == [f"created {tmp_path / path}" for path in created]
    assert said[-1] == f"updated {tmp_path / 'mkdocs.yml'}: 'Optimizers' added to the navigation before 'How this book is made'"
    assert "smoke_book.result(\"optimizers/moons\")" in (tmp_path / "tests/test_optimizers.py").read_text()
    assert "{{ optimizers/numbers.loss-falls }}" in (tmp_path / "content/optimizers.md").read_text()


def test_without_the_about_page_the_new_page_goes_last(tmp_path, capsys):
    (tmp_path / "mkdocs.yml").write_text("site_name: x\nnav:\n  - Home: index.md\n\ntheme: material\n")
    assert main(["--root", str(tmp_path), "new", "optimizers"]) == 0
    assert "nav:\n  - Home: index.md\n  - Optimizers: optimizers.md\n\ntheme" in (tmp_path / "mkdocs.yml").read_text()
    assert capsys.readouterr().out.splitlines()[-1].endswith("'Optimizers' added to the navigation")


def test_nothing_is_written_when_a_file_exists(tmp_path):
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests/test_optimizers.py").write_text("mine")
    assert main(["--root", str(tmp_path), "new", "optimizers"]) == 1
    assert not (tmp_path / "content").exists()
    assert (tmp_path / "mkdocs.yml").read_text() == (ROOT / "mkdocs.yml").read_text()
