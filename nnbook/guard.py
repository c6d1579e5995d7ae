"""A Markdown extension that fails a build whose references no nnbook plugin replaced.

`mkdocs.yml` lists it (`- nnbook.guard`). With the plugin (MkDocs, ProperDocs) every reference
is replaced before Markdown reads the page, and the guard finds nothing. A generator that reads
`mkdocs.yml` but skips plugins it does not know, yet runs its Markdown extensions, would publish
pages without their figures and numbers: there the guard stops the build, naming the page, the line
and the reference.
"""

from __future__ import annotations

import re

from markdown import Extension
from markdown.preprocessors import Preprocessor

from . import refs


MAYBE_BLOCK = re.compile(r"^\s*::: *nnbook\b", re.MULTILINE)


class UnreplacedReference(Exception):
    """A page reached Markdown with a reference in it: the nnbook plugin did not run."""


class _Guard(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        if "{{" not in text and not MAYBE_BLOCK.search(text):  # the usual case, with the plugin: at once
            return lines
        found = refs.find(text)
        if found:
            first = found[0]
            raise UnreplacedReference(
                f"nnbook: {len(found)} reference(s) reached Markdown unreplaced, the first '{first}' on line "
                f"{first.line}: this generator did not run the nnbook plugin, and the page would be published "
                "without its figures and values. Build with MkDocs or ProperDocs (`nnbook build`), or build "
                "the folder that `nnbook export` writes.")
        return lines


class GuardExtension(Extension):
    def extendMarkdown(self, md) -> None:  # noqa: N802 - Python-Markdown's name
        md.preprocessors.register(_Guard(md), "nnbook_guard", 100)  # before code blocks are stashed


def makeExtension(**kwargs) -> GuardExtension:  # noqa: N802 - how Python-Markdown loads `nnbook.guard`
    return GuardExtension(**kwargs)
