"""References from pages to outputs.

Two forms, both plain text on GitHub:

- a line of its own, `::: nnbook activations/curves`, embeds a figure or table;
- `{{ activations/final.relu }}` inside prose or a table cell inserts one value.

Fenced code blocks and inline code are left alone, so pages can show the syntax itself.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Callable, Iterable

BLOCK = re.compile(r"^::: *nnbook +(?P<id>\S+) *$")
INLINE = re.compile(r"\{\{ *(?P<id>[\w\-]+/[\w\-]+)\.(?P<name>[\w\-]+) *\}\}")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
CODE_SPAN = re.compile(r"(`+).+?\1")


@dataclass(frozen=True)
class Ref:
    """One reference: `id` of a figure/table (`name` empty) or of a values group and a name."""

    id: str
    name: str
    line: int

    @property
    def inline(self) -> bool:
        return bool(self.name)

    def __str__(self) -> str:
        return f"{self.id}.{self.name}" if self.name else self.id


class UnknownReference(Exception):
    """A page names an output that does not exist."""


def _scan(markdown: str, replace: Callable[[Ref], str] | None) -> tuple[list[Ref], str]:
    refs: list[Ref] = []
    out: list[str] = []
    fence: str | None = None
    for number, line in enumerate(markdown.split("\n"), start=1):
        opening = FENCE.match(line)
        if fence:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = None
            out.append(line)
            continue
        if opening:
            fence = opening.group(1)
            out.append(line)
            continue
        block = BLOCK.match(line)
        if block:
            ref = Ref(block["id"], "", number)
            refs.append(ref)
            out.append(replace(ref) if replace else line)
            continue
        pieces, last = [], 0
        spans = [m.span() for m in CODE_SPAN.finditer(line)]
        for m in INLINE.finditer(line):
            if any(a <= m.start() < b for a, b in spans):
                continue
            ref = Ref(m["id"], m["name"], number)
            refs.append(ref)
            pieces += [line[last : m.start()], replace(ref) if replace else m.group(0)]
            last = m.end()
        out.append("".join(pieces) + line[last:])
    return refs, "\n".join(out)


def find(markdown: str) -> list[Ref]:
    """Every reference in a page, with its line number."""
    return _scan(markdown, None)[0]


def substitute(markdown: str, replace: Callable[[Ref], str]) -> str:
    """The page with each reference replaced by `replace(ref)`."""
    return _scan(markdown, replace)[1]


def unknown(page: str, ref: Ref, what: str, known: Iterable[str], target: str = "") -> UnknownReference:
    """An error naming the page, line and the closest of the `known` names to `target`."""
    target = target or str(ref)
    close = difflib.get_close_matches(target, sorted(known), n=3, cutoff=0.5)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return UnknownReference(f"{page}:{ref.line}: unknown {what} '{ref}'.{hint}")
