"""`nnbook new`: the files it creates, where the page goes in the navigation, what it says."""

from __future__ import annotations

import re
import shlex
import shutil

from nnbook.cli import main
from nnbook.scaffold import next_steps

from conftest import ROOT


def test_new_page_goes_before_how_this_book_is_made_and_says_it_updated_the_config(tmp_path, capsys):
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    assert main(["--root", str(tmp_path), "new", "optimizers", "--title", "Optimizers"]) == 0
    nav = (tmp_path / "mkdocs.yml").read_text().split("nav:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    about = nav.index("  - How this book is made: about.md")
    assert nav[about - 1] == "  - Optimizers: optimizers.md" and nav.count("  - Optimizers: optimizers.md") == 1
    said = capsys.readouterr().out
    created = ["content/optimizers.md", "nnbook/experiments/optimizers.py", "nnbook/figures/optimizers.py",
               "tests/test_optimizers.py"]
    assert said.splitlines()[:5] == [f"created {tmp_path / path}" for path in created] + [
        f"updated {tmp_path / 'mkdocs.yml'}: 'Optimizers' added to the navigation before 'How this book is made'"]
    assert said.endswith(next_steps("optimizers") + "\n")
    assert "smoke_book.result(\"optimizers/moons\")" in (tmp_path / "tests/test_optimizers.py").read_text()
    assert "{{ optimizers/numbers.loss-falls }}" in (tmp_path / "content/optimizers.md").read_text()


def test_without_the_about_page_the_new_page_goes_last(tmp_path, capsys):
    (tmp_path / "mkdocs.yml").write_text("site_name: x\nnav:\n  - Home: index.md\n\ntheme: material\n")
    assert main(["--root", str(tmp_path), "new", "optimizers"]) == 0
    assert "nav:\n  - Home: index.md\n  - Optimizers: optimizers.md\n\ntheme" in (tmp_path / "mkdocs.yml").read_text()
    assert capsys.readouterr().out.split("\nnext steps:")[0].endswith("'Optimizers' added to the navigation")


def test_nothing_is_written_when_a_file_exists(tmp_path):
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests/test_optimizers.py").write_text("mine")
    assert main(["--root", str(tmp_path), "new", "optimizers"]) == 1
    assert not (tmp_path / "content").exists()
    assert (tmp_path / "mkdocs.yml").read_text() == (ROOT / "mkdocs.yml").read_text()


def _blocks(text: str) -> list[tuple[str, list[str]]]:
    """The fenced code blocks of a Markdown text: (language, lines)."""
    return [(lang, body.split("\n")) for lang, body in re.findall(r"^```(\w*)\n(.*?)\n```$", text, re.DOTALL | re.MULTILINE)]


def _in_order(lines: list[str], text: str) -> bool:
    """Whether `lines` (but `...`) are lines of `text`, in that order."""
    rest = text.split("\n")
    for line in (x for x in lines if x.strip() != "..."):
        if line not in rest:
            return False
        rest = rest[rest.index(line) + 1:]
    return True


def test_contributing_walks_through_exactly_what_nnbook_new_generates(tmp_path, capsys):
    """The documented command, run in a throwaway project, writes the files CONTRIBUTING names,
    declares every id it names, holds every line of the code it shows, and prints next steps
    that CONTRIBUTING gives too."""
    guide = (ROOT / "CONTRIBUTING.md").read_text()
    walk = guide.split("## 2. ")[1].split("## 3. ")[0] + guide.split("## 5. ")[1].split("## 6. ")[0]
    command = next(line for lang, lines in _blocks(walk) if lang == "sh" for line in lines if " new " in line)
    program, *args = shlex.split(command)
    assert program == ".venv/bin/nnbook"
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    assert main(["--root", str(tmp_path), *args]) == 0
    topic = args[1]
    files = {path: (tmp_path / path).read_text() for path in set(re.findall(rf"`((?:content|nnbook|tests)/[\w/]*{topic}\.\w+)`", walk))}
    assert len(files) == 4, "the page, the experiment and figure modules and the smoke test"
    generated = "\n".join(files.values())
    for lang, lines in _blocks(walk):
        if lang in ("python", "markdown"):
            assert any(_in_order(lines, text) for text in files.values()), f"not what nnbook new writes:\n{lines}"
    for output_id, name in re.findall(rf"(?<![\w/]){topic}/([\w-]+)(?:\.([\w-]+))?", guide):
        assert f'"{topic}/{output_id}"' in generated, f"{topic}/{output_id} is named but not generated"
        assert not name or f'"{name}":' in files[f"nnbook/figures/{topic}.py"], f"{topic}/{output_id}.{name}"
    assert "test_moons_trains" in files[f"tests/test_{topic}.py"] and "`test_moons_trains`" in walk
    said = capsys.readouterr().out
    assert said.endswith(next_steps(topic) + "\n")
    for step in next_steps(topic).splitlines()[1:]:
        if not step.startswith("  "):
            continue
        shown = step.split("#")[0].strip()
        assert shown.startswith("git add") or shown in guide, f"next step {shown!r} is not in CONTRIBUTING"
