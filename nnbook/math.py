"""Formulas: LaTeX in pages becomes MathML at build time, with no script and no CDN.

`pymdownx.arithmatex` (generic mode, in `mkdocs.yml`) marks `$...$` as
`<span class="arithmatex">\\(...\\)</span>` and `$$...$$` as `<div class="arithmatex">\\[...\\]</div>`;
`to_mathml` replaces each with MathML (from `latex2mathml`) that browsers draw natively.
Every formula keeps its LaTeX for screen readers and copy-paste: an `alttext` attribute
and an `application/x-tex` annotation.
"""

from __future__ import annotations

import html
import re

MARKED = re.compile(
    r'<span class="arithmatex">\\\((?P<inline>.*?)\\\)</span>'
    r'|<div class="arithmatex">\\\[(?P<block>.*?)\\\]</div>',
    re.DOTALL,
)
UNKNOWN_COMMAND = re.compile(r"<m[ion]>(\\[A-Za-z]+)</m[ion]>")  # latex2mathml passes unknown commands through
MATH_OPEN = re.compile(r"<math [^>]*>")
# \log, \exp, \tanh...: a name of several letters, which TeX follows by a thin space unless a bracket comes next
FUNCTION_NAME = re.compile(r"(<mi>[A-Za-z]{2,}</mi>)(?!<mo[^>]*>[(\[]|<mo[^>]*>&#x0002[89];|<mo[^>]*>&#x0005B;)")
THIN_SPACE = '<mspace width="0.1667em"></mspace>'


class MathError(ValueError):
    """A formula that cannot be turned into MathML; the message names the formula."""


def latex_to_mathml(latex: str, block: bool = False) -> str:
    """One formula as a `<math>` element carrying its LaTeX as `alttext` and as an annotation."""
    from latex2mathml.converter import convert

    try:
        mathml = convert(latex, display="block" if block else "inline")
    except Exception as e:  # latex2mathml raises its own exception types, one per mistake
        raise MathError(f"cannot read the formula ${latex}$: {type(e).__name__} {e}".rstrip()) from e
    mathml = FUNCTION_NAME.sub(lambda m: m.group(1) + THIN_SPACE, mathml)
    unknown = UNKNOWN_COMMAND.search(mathml)
    if unknown:
        raise MathError(f"unknown command {unknown.group(1)} in the formula ${latex}$")
    tex = html.escape(latex, quote=True)
    opening = MATH_OPEN.match(mathml).group(0)
    body = mathml[len(opening):-len("</math>")]
    return (f'{opening[:-1]} alttext="{tex}"><semantics>{body}'
            f'<annotation encoding="application/x-tex">{tex}</annotation></semantics></math>')


def to_mathml(page_html: str) -> tuple[str, list[str]]:
    """The page with every marked formula as MathML, and the problems found (formulas left as text)."""
    problems: list[str] = []

    def convert(match: re.Match) -> str:
        block = match.group("block") is not None
        latex = html.unescape(match.group("block") if block else match.group("inline")).strip()
        try:
            mathml = latex_to_mathml(latex, block)
        except MathError as e:
            problems.append(str(e))
            return match.group(0)
        if block:  # focusable, so that a formula wider than the screen can be scrolled from the keyboard
            return f'<div class="arithmatex" tabindex="0">{mathml}</div>'
        return f'<span class="arithmatex">{mathml}</span>'

    return MARKED.sub(convert, page_html), problems
