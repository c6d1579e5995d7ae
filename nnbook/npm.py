"""Tools from npm that the tests and benchmarks use (axe-core, Lighthouse), pinned and installed
under the project's `.cache/` the first time they are needed, offline from then on."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path


def package(name: str, version: str, cache: Path) -> Path:
    """The folder of npm package `name` at exactly `version`, installed into `cache` if it is
    missing or another version is there."""
    folder = cache / "node_modules" / name
    manifest = folder / "package.json"
    if not manifest.exists() or json.loads(manifest.read_text())["version"] != version:
        subprocess.run(["npm", "install", "--no-save", "--no-audit", "--no-fund", "--prefix", str(cache),
                        f"{name}@{version}"], check=True, capture_output=True)
    return folder
