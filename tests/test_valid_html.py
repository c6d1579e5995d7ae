"""The built pages are valid HTML: the Nu Html Checker (npm's `vnu-jar`, run with Java) finds
no error in them beyond those a plain Material page of the same theme has."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import ROOT
from nnbook import npm

VNU_VERSION = "24.10.17"
VNU_CACHE = ROOT / ".cache" / "vnu"

# CSS the checker does not know yet but browsers do: CSS Box Sizing 4 (Chrome 83, Firefox 107, Safari 17)
NEWER_CSS = ("contain-intrinsic-size",)

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="the Nu Html Checker needs Java")


def errors(pages: list[Path]) -> dict[str, set[str]]:
    """The checker's error messages, per page."""
    jar = npm.package("vnu-jar", VNU_VERSION, VNU_CACHE) / "build" / "dist" / "vnu.jar"
    run = subprocess.run(["java", "-jar", str(jar), "--errors-only", "--format", "json", *map(str, pages)],
                         capture_output=True, text=True, timeout=600, check=False)
    found: dict[str, set[str]] = {str(p): set() for p in pages}
    for message in json.loads(run.stderr)["messages"]:
        if not any(f"“{name}”: Property “{name}” doesn't exist" in message["message"] for name in NEWER_CSS):
            found[message["url"].removeprefix("file:")].add(message["message"])
    return found


def plain_material(folder: Path) -> Path:
    """One page built with the book's theme and settings but without the nnbook plugin."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text().replace("!ENV", ""))
    config["plugins"] = [p for p in config["plugins"] if not (isinstance(p, dict) and "nnbook" in p)]
    config.update(site_url="http://127.0.0.1/", docs_dir=str(folder / "docs"), site_dir=str(folder / "site"),
                  nav=[{"Home": "index.md"}])
    config["theme"]["custom_dir"] = str(ROOT / config["theme"]["custom_dir"])
    (folder / "docs").mkdir()
    (folder / "docs" / "index.md").write_text("# A page\n\nSome text, a [link](https://example.org).\n\n## A section\n")
    (folder / "mkdocs.yml").write_text(yaml.safe_dump(config))
    subprocess.run(["mkdocs", "build", "-q", "-f", str(folder / "mkdocs.yml")], check=True, cwd=folder,
                   env={"PATH": str(ROOT / ".venv" / "bin") + ":/usr/bin:/bin", "NO_MKDOCS_2_WARNING": "1"})
    return folder / "site" / "index.html"


def test_pages_are_valid_html_beyond_plain_material(built_site, tmp_path):
    pages = sorted(built_site.rglob("index.html"))
    plain = plain_material(tmp_path)
    found = errors(pages + [plain])
    allowed = found.pop(str(plain))
    assert allowed, "plain Material's known errors are found (the checker ran)"
    extra = [f"{Path(page).relative_to(built_site)}: {m}" for page, messages in found.items() for m in messages - allowed]
    assert extra == [], "\n".join(extra)
