"""The home page's table of topics, built from the site's navigation so that no page is left out.

A page describes itself with a `description:` in its front matter (Material also puts it in the
page's `<meta name="description">`); a page without one is described by the first sentence of
its first paragraph.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from mkdocs.utils.meta import get_data

MARKER = "<!-- nnbook:topics -->"


def pages(nav: list[Any]) -> Iterator[tuple[str, str]]:
    """(title, path) of every page in the navigation, in order, sections flattened."""
    for entry in nav or []:
        items = entry.items() if isinstance(entry, dict) else [(None, entry)]
        for title, target in items:
            if isinstance(target, list):
                yield from pages(target)
            elif isinstance(target, str) and target.endswith(".md"):
                yield title or target.removesuffix(".md"), target


def description(source: str) -> str:
    """What a page says it is about: its front matter's description, or the first sentence of its
    prose (whose references the page that shows the table resolves)."""
    body, meta = get_data(source)
    if meta.get("description"):
        return " ".join(str(meta["description"]).split())
    for block in re.split(r"\n\s*\n", body):
        text = " ".join(block.split())
        if text and not text.startswith(("#", ":::", "|", "!!!", "<", "```", "-")):
            return re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return ""


def table(nav: list[Any], source_of: Callable[[str], str | None], home: str = "index.md") -> str:
    """The Markdown table of every page but `home`; `source_of(path)` gives a page's Markdown source."""
    rows = ["| page | what you will find |", "|---|---|"]
    for title, path in pages(nav):
        if path != home:
            summary = description(source_of(path) or "").replace("|", "\\|")
            rows.append(f"| [{title}]({path}) | {summary} |")
    return "\n".join(rows)
