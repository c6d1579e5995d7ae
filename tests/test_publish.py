"""Publishing: the GitHub workflow runs only commands that exist, and the site metadata is set."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from nnbook.cli import main

from conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "publish.yml"
SYSTEM_COMMANDS = {"apt-get", "sudo", "echo", "test", "export", "cd"}  # provided by the runner's system
PAGES_ACTIONS = {"actions/configure-pages", "actions/upload-pages-artifact", "actions/deploy-pages"}


def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def steps() -> list[dict]:
    return [step for job in workflow()["jobs"].values() for step in job.get("steps", [])]


def commands(script: str) -> list[list[str]]:
    """The simple commands of a shell snippet, split on newlines, `&&`, `||` and `;`."""
    script = re.sub(r"\\\n\s*", " ", script)  # continuation lines
    parts = [part.strip(" {}") for line in script.splitlines() for part in re.split(r"&&|\|\||;", line)]
    return [shlex.split(part) for part in parts if part and not part.startswith("#")]


def make_targets() -> set[str]:
    return set(re.findall(r"^([A-Za-z][\w-]*):", (ROOT / "Makefile").read_text(), re.MULTILINE))


def nnbook_has_command(name: str) -> bool:
    try:
        main([name, "--help"])
    except SystemExit as e:
        return e.code == 0
    return False


def mkdocs_has_command(name: str) -> bool:
    from mkdocs.__main__ import cli

    return name in cli.commands


def unknown_command(words: list[str]) -> str | None:
    """Why `words` would fail to run from the repository's root, or None."""
    program, args = words[0], [w for w in words[1:] if not w.startswith("-") and "=" not in w]
    tool = program.removeprefix(".venv/bin/")
    if tool == "make":
        missing = set(args) - make_targets()
        return f"make has no target {sorted(missing)}" if missing else None
    if tool == "nnbook":
        return None if args and nnbook_has_command(args[0]) else f"nnbook has no command {args[:1]}"
    if tool == "mkdocs":
        return None if args and mkdocs_has_command(args[0]) else f"mkdocs has no command {args[:1]}"
    if "/" in program:
        script = ROOT / program
        return None if script.is_file() and script.stat().st_mode & 0o111 else f"{program} is not an executable file"
    return None if program in SYSTEM_COMMANDS else f"{program} is not a known command"


def test_every_command_the_workflow_runs_exists():
    runs = [step["run"] for step in steps() if "run" in step]
    assert runs, "the workflow runs nothing"
    problems = [f"{' '.join(words)}: {why}" for script in runs for words in commands(script)
                if (why := unknown_command(words))]
    assert problems == []


def test_every_nnbook_and_make_command_in_the_makefile_and_ci_script_exists():
    makefile = re.sub(r"\\\n\s*", " ", (ROOT / "Makefile").read_text()).replace("$(BIN)/", ".venv/bin/")
    recipes = [line.strip().lstrip("@") for line in makefile.splitlines() if line.startswith("\t")]
    recipes += (ROOT / ".ci" / "run").read_text().splitlines()
    found = [words for line in recipes for words in commands(line) if "$(" not in " ".join(words)
             and words[0] in ("make", ".venv/bin/nnbook", ".venv/bin/mkdocs")]
    assert found
    assert [f"{' '.join(w)}: {why}" for w in found if (why := unknown_command(w))] == []


def test_the_workflow_checks_results_builds_strict_tests_and_publishes_with_the_pages_actions():
    runs = " ; ".join(step["run"] for step in steps() if "run" in step)
    assert "make check" in runs and "mkdocs build --strict" in runs and ".ci/run" in runs
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    used = {step["uses"].split("@")[0] for step in steps() if "uses" in step}
    assert PAGES_ACTIONS <= used
    jobs = workflow()["jobs"]
    assert jobs["deploy"]["needs"] == ["build", "test"]
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}


@pytest.mark.parametrize("words, why", [
    (["make", "publish"], "make has no target ['publish']"),
    ([".venv/bin/nnbook", "publish"], "nnbook has no command ['publish']"),
    (["scripts/missing.sh"], "scripts/missing.sh is not an executable file"),
    (["curl", "https://example.org"], "curl is not a known command"),
])
def test_the_command_check_catches_what_does_not_exist(words, why):
    assert unknown_command(words) == why


def test_pages_carry_social_metadata_an_edit_link_and_the_repository(built_site, site_url):
    page = (built_site / "training" / "index.html").read_text()
    assert f'<meta property="og:url" content="{site_url}training/">' in page
    assert f'<meta property="og:image" content="{site_url}assets/social.png">' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    assert re.search(r'<meta property="og:title" content="[^"]+ - nnbook">', page)
    assert 'href="https://github.com/nnbook/nnbook/edit/main/content/training.md"' in page
    assert 'href="https://github.com/nnbook/nnbook"' in page
    assert 'data-md-component="source"' not in page  # it would ask api.github.com for stars
    assert (built_site / "assets" / "social.png").stat().st_size > 10_000


def test_missing_pages_get_a_404_that_leads_home(built_site, site_url):
    page = (built_site / "404.html").read_text()
    assert "<h1>Page not found</h1>" in page and f'<a href="{site_url}">home page</a>' in page
    assert "<style>.nnbook-figure{" in page and "<script src=" not in page, "served like every page (plugin.py)"
