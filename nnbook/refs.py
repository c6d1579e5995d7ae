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
from pathlib import Path
from typing import Callable, Iterable, Iterator

BLOCK = re.compile(r"^::: *nnbook +(?P<id>\S+) *$")
INLINE = re.compile(r"\{\{ *(?P<id>[\w\-]+/[\w\-]+)\.(?P<name>[\w\-]+) *\}\}")
LOOKS_LIKE_BLOCK = re.compile(r"^\s*::: *nnbook\b")
LOOKS_LIKE_INLINE = re.compile(r"\{\{.*?\}\}|\{\{|\}\}")
FENCE = re.compile(r"^\s*(`{3,}|~{3,}|\$\$)")  # code fences, and display math ($$ ... $$)
CODE_SPAN = re.compile(r"(`+).+?\1|\$[^$\n]+?\$")  # inline code and inline math
CONTAINER = re.compile(r"^(?:[-*+]|\d+[.)])\s|^(?:!!!|\?\?\?\+?)\s")  # list items, admonitions, details
BLOCK_HINT = "a figure or table is `::: nnbook topic/name` alone on a line, at its start"
INLINE_HINT = "a value is `{{ topic/values-id.name }}`"


@dataclass(frozen=True)
class Ref:
    """One reference: `id` of a figure/table (`name` empty) or of a values group and a name;
    or, with `bad` set, text that looks like a reference but is not a valid one."""

    id: str
    name: str
    line: int
    bad: str = ""
    block: bool = False

    @property
    def inline(self) -> bool:
        return bool(self.name) or (bool(self.bad) and not self.block)

    def __str__(self) -> str:
        if self.bad:
            return self.bad
        return f"{self.id}.{self.name}" if self.name else self.id

    def problem(self, page: str) -> str:
        """The error for a malformed reference."""
        return f"{page}:{self.line}: malformed reference '{self.bad}': {BLOCK_HINT if self.block else INLINE_HINT}"


class UnknownReference(Exception):
    """A page names an output that does not exist."""


def _code_lines(lines: list[str]) -> set[int]:
    """Indices of lines that are code or display math: fenced (at any indentation, as in list
    items), indented code blocks (four spaces after a blank line, outside lists and
    admonitions), and `$$ ... $$` blocks."""
    code: set[int] = set()
    fence: str | None = None
    container = indented_code = False
    previous_blank = True
    for i, line in enumerate(lines):
        blank = not line.strip()
        opening = FENCE.match(line)
        if fence:
            code.add(i)
            closing = line.rstrip().endswith("$$") if fence == "$$" else \
                opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence)
            if closing:
                fence = None
        elif opening:
            code.add(i)
            one_line_math = opening.group(1) == "$$" and len(line.strip()) > 2 and line.rstrip().endswith("$$")
            fence = None if one_line_math else opening.group(1)
        elif blank:
            pass
        elif line.startswith(("    ", "\t")):
            indented_code = indented_code or (previous_blank and not container)
            if indented_code:
                code.add(i)
        else:
            indented_code = False
            container = bool(CONTAINER.match(line))
        previous_blank = blank
    return code


def _scan(markdown: str, replace: Callable[[Ref], str] | None) -> tuple[list[Ref], str]:
    refs: list[Ref] = []
    lines = markdown.split("\n")
    code = _code_lines(lines)
    out: list[str] = []
    for index, line in enumerate(lines):
        number = index + 1
        if index in code:
            out.append(line)
            continue
        block = BLOCK.match(line)
        if block or LOOKS_LIKE_BLOCK.match(line):
            ref = Ref(block["id"], "", number) if block else Ref("", "", number, bad=line.strip(), block=True)
            refs.append(ref)
            out.append(replace(ref) if replace else line)
            continue
        pieces, last = [], 0
        spans = [m.span() for m in CODE_SPAN.finditer(line)]
        for m in LOOKS_LIKE_INLINE.finditer(line):
            if any(a <= m.start() < b for a, b in spans):
                continue
            valid = INLINE.fullmatch(m.group(0))
            ref = Ref(valid["id"], valid["name"], number) if valid else Ref("", "", number, bad=m.group(0))
            refs.append(ref)
            pieces += [line[last : m.start()], replace(ref) if replace else m.group(0)]
            last = m.end()
        out.append("".join(pieces) + line[last:])
    return refs, "\n".join(out)


def prose_lines(markdown: str) -> Iterator[tuple[int, str]]:
    """Each line a reader reads as prose, numbered from 1, with code, math, references and the
    reference-like text blanked: what is left was typed by the author."""
    lines = markdown.split("\n")
    code = _code_lines(lines)
    for index, line in enumerate(lines):
        if index in code or LOOKS_LIKE_BLOCK.match(line):
            continue
        yield index + 1, LOOKS_LIKE_INLINE.sub(" ", CODE_SPAN.sub(" ", line))


def scan_pages(docs: Path) -> dict[str, list[Ref]]:
    """Every page's references, by the page's name as authors know it (`content/activations.md`)."""
    return {(Path(docs.name) / p.relative_to(docs)).as_posix(): find(p.read_text(encoding="utf-8"))
            for p in sorted(Path(docs).rglob("*.md"))}


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
