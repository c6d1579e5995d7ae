"""Typed numbers: what the report finds in prose and captions, and what it lets through."""

import logging

import pytest

from conftest import ROOT
from test_site import build_error, docs

from nnbook import registry, render, typed
from nnbook.registry import Output


@pytest.mark.parametrize("line, found", [
    ("The network has 235,146 connections.", ["235,146"]),
    ("It ends at 99.85 % on the training digits.", ["99.85"]),
    ("Averaged over three seeds and 10 epochs.", ["three seeds", "10 epochs"]),
    ("Width 2×16 beats 2 × 32 here.", ["2×16", "2×32"]),
    ("A slope of −0.4.", ["−0.4"]),
])
def test_typed_numbers_are_found(line, found):
    assert typed.typed_numbers(line) == found


@pytest.mark.parametrize("line", [
    "Each image is 28 × 28 pixels, 784 inputs, from 0 to 255.",
    "The 784-256-128-10 network; F1, L2 and float32; W1[1,1]; AVX2; 2-D data.",
    "It ends at {{ network/mlp-values.train-acc }} after {{ network/mlp-values.epochs }} epochs.",
    "Take the digit 5 and ask: is it a 5? Or every 7 labelled 1.",
    "See [the table](metrics.md#table-2) and <span data-x=\"3\">here</span>; Hochreiter (1997).",
    "Read `lr=0.001` in the code and $x^2 + 3$ in the formula.",
])
def test_what_is_not_a_typed_result_passes(line):
    assert typed.typed_numbers(line) == []


def test_a_page_report_names_the_page_and_line():
    page = "# Title\n\nFine prose.\n\n```python\nepochs = 12\n```\n\nIt took 12 epochs.\n"
    problems = typed.in_page("content/x.md", page)
    assert problems == [f"content/x.md:9: typed number '12 epochs': {typed.HINT}"]


def test_a_caption_report_names_the_declaring_line():
    def f(r):
        return r
    problems = typed.in_captions([Output("t/f", "figure", f, "t/e", "Mean of {seeds} seeds over 500 digits.")])
    assert len(problems) == 1 and "caption of t/f: typed number '500'" in problems[0]
    assert problems[0].startswith(f"tests/test_typed.py:{f.__code__.co_firstlineno}")


def test_caption_placeholders_come_from_scalar_results():
    import numpy as np
    r = {"seeds": np.int64(5), "rows": np.array(4000), "curve": np.arange(3), "name": "relu"}
    assert render.fill_caption("{seeds} seeds, {rows:,} digits, {name}; {{literal}}", r) == \
        "5 seeds, 4,000 digits, relu; {literal}"
    with pytest.raises(KeyError, match="names {curves}"):
        render.fill_caption("{curves}", r)
    with pytest.raises(KeyError, match="names {curve}"):
        render.fill_caption("{curve}", r)  # an array is not a scalar


def test_the_book_reports_nothing_outside_the_allowed_list():
    registry.load()
    problems = typed.in_pages(ROOT / "content") + typed.in_captions(registry.OUTPUTS.values())
    assert problems == [], "\n".join(problems)




def test_a_build_fails_on_a_typed_number_with_page_and_line(tmp_path, smoke_results, caplog):
    caplog.set_level(logging.INFO)
    page = "# Page\n\nThe value is {{ training/backprop-values.nope }}.\n\nIt took 12 epochs and 4,000 steps.\n"
    error = build_error(caplog, tmp_path / "site", smoke_results, **docs(tmp_path, page))
    assert f"docs/index.md:5: typed number '12 epochs': {typed.HINT}" in error
    assert "docs/index.md:5: typed number '4,000'" in error
    assert "unknown value 'training/backprop-values.nope'" in error, "every problem of the build at once"
    assert not (tmp_path / "site").exists()
