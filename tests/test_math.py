"""Formulas: LaTeX in Markdown becomes MathML at build time, drawn by the browser with no script."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from mkdocs.exceptions import Abort

from nnbook.math import MathError, latex_to_mathml, to_mathml

from conftest import build_site

PAGE = r"""# Formulas

The sigmoid $\sigma(x) = \frac{1}{1 + \exp(-x)}$ squashes any number into $(0, 1)$, and
$a < b$ stays as written.

$$
\operatorname{softmax}(x)_i = \frac{\exp(x_i)}{\sum_j \exp(x_j)}
$$

Code keeps its dollars: `$HOME`.
"""


def build_page(tmp_path: Path, results: Path, text: str):
    """A strict build of one page from the session's smoke results."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text(text)
    site = tmp_path / "site"
    build_site(site, results, docs_dir=str(docs), nav=[{"Home": "index.md"}])
    return (site / "index.html").read_text()


@pytest.fixture(scope="module")
def formula_site(tmp_path_factory, smoke_results) -> Path:
    tmp = tmp_path_factory.mktemp("formulas")
    build_page(tmp, smoke_results, PAGE)
    return tmp / "site"


def test_mathml_keeps_the_latex_for_screen_readers():
    mathml = latex_to_mathml(r"a < \frac{1}{2}")
    assert mathml.startswith('<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline" alttext="a &lt; \\frac{1}{2}">')
    assert '<annotation encoding="application/x-tex">a &lt; \\frac{1}{2}</annotation></semantics></math>' in mathml
    assert "<mfrac>" in mathml


def test_function_names_are_followed_by_a_thin_space_unless_a_bracket_follows():
    assert '<mi>log</mi><mspace width="0.1667em"></mspace><msub>' in latex_to_mathml(r"\log p_k")
    assert "<mi>exp</mi><mo" in latex_to_mathml(r"\exp(-x)")


def test_marked_inline_and_block_formulas_become_mathml():
    page, problems = to_mathml('<p><span class="arithmatex">\\(x^2\\)</span> and</p>\n'
                               '<div class="arithmatex">\\[\n\\sum_j x_j\n\\]</div>')
    assert problems == []
    assert page.count("<math ") == 2 and 'display="inline"' in page and 'display="block"' in page
    assert "\\(" not in page and "\\[" not in page


@pytest.mark.parametrize("latex, reason", [(r"x^", "cannot read"), (r"\sigmoid(x)", r"unknown command \sigmoid")])
def test_a_wrong_formula_is_named(latex, reason):
    with pytest.raises(MathError, match=re.escape(reason)):
        latex_to_mathml(latex)
    page, problems = to_mathml(f'<span class="arithmatex">\\({latex}\\)</span>')
    assert problems and reason in problems[0] and latex in page  # left as text, never dropped


def test_built_page_has_mathml_and_no_math_script(formula_site):
    page = (formula_site / "index.html").read_text()
    assert page.count('<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline"') == 3
    assert page.count('display="block"') == 1
    assert 'alttext="\\sigma(x) = \\frac{1}{1 + \\exp(-x)}"' in page
    assert 'alttext="a &lt; b"' in page
    assert "<code>$HOME</code>" in page
    assert not re.search(r"mathjax|katex", page, re.IGNORECASE)


def test_wrong_formula_fails_the_build_naming_page_and_formula(tmp_path, smoke_results, caplog):
    with pytest.raises(Abort):
        build_page(tmp_path, smoke_results, "# Page\n\nA slope $\\slope(x)$.\n")
    errors = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)
    assert "docs/index.md: unknown command \\slope in the formula $\\slope(x)$" in errors


@pytest.mark.browser
def test_chromium_draws_the_formulas_in_both_palettes(formula_site):
    from playwright.sync_api import sync_playwright

    from conftest import CHROMIUM, FLAGS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_page()
        page.goto((formula_site / "index.html").as_uri())
        for scheme in ("default", "slate"):
            page.evaluate(f"document.body.setAttribute('data-md-color-scheme', '{scheme}')")
            drawn = page.evaluate("""() => Array.from(document.querySelectorAll('math')).map(m => {
                const box = m.getBoundingClientRect(), frac = m.querySelector('mfrac');
                return {display: getComputedStyle(m).display, width: box.width, height: box.height,
                        fraction: frac ? frac.getBoundingClientRect().height : 0,
                        color: getComputedStyle(m).color, text: getComputedStyle(document.body).color,
                        annotation: m.querySelector('annotation').getBoundingClientRect().width};
            })""")
            assert len(drawn) == 4
            for math in drawn:
                assert math["width"] > 10 and math["annotation"] == 0, math  # drawn, the LaTeX source hidden
                assert math["color"] == math["text"], math  # follows the palette
            assert drawn[0]["fraction"] > drawn[1]["height"] + 2  # a real fraction, taller than a line of text
            assert drawn[3]["display"] == "block math"
        browser.close()
