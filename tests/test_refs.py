"""Reference syntax in pages, and the error for a name that does not exist."""

from __future__ import annotations

from nnbook import refs

PAGE = """# Title

::: nnbook topic/figure

Accuracy was {{ topic/values.relu-acc }} and {{topic/values.best}}.

`{{ topic/values.in-code }}` stays as written.

```markdown
::: nnbook topic/in-a-fence
```
"""


def test_finds_blocks_and_inline_values_with_lines():
    found = refs.find(PAGE)
    assert [(str(r), r.line, r.inline) for r in found] == [
        ("topic/figure", 3, False),
        ("topic/values.relu-acc", 5, True),
        ("topic/values.best", 5, True),
    ]


def test_substitute_leaves_code_alone():
    out = refs.substitute(PAGE, lambda r: f"<{r}>")
    assert "<topic/figure>" in out and "<topic/values.relu-acc> and <topic/values.best>." in out
    assert "`{{ topic/values.in-code }}`" in out and "::: nnbook topic/in-a-fence" in out


def test_unknown_names_page_line_and_suggestion():
    ref = refs.find("\n\n::: nnbook activations/curve\n")[0]
    error = refs.unknown("content/x.md", ref, "figure", ["activations/curves", "training/loss"])
    assert str(error) == "content/x.md:3: unknown figure 'activations/curve'. Did you mean 'activations/curves'?"


def test_math_is_left_alone():
    page = "Inline $\\frac{a}{b}}$ then {{ t/v.x }}.\n\n$$\n\\text{y}}\n$$\n\n$$ \\text{z}} $$\n\nAnd {{ t/v.y }}\n"
    assert [(str(r), r.line, r.bad) for r in refs.find(page)] == [("t/v.x", 1, ""), ("t/v.y", 9, "")]
