"""The home page's table of topics lists every page of the navigation."""

from __future__ import annotations

from pathlib import Path

from mkdocs.config import load_config

from nnbook import topics

ROOT = Path(__file__).resolve().parents[1]


def test_every_page_of_the_navigation_is_in_the_table():
    nav = load_config(str(ROOT / "mkdocs.yml"))["nav"]
    sources = {p.name: p.read_text() for p in (ROOT / "content").glob("*.md")}
    table = topics.table(nav, sources.get)
    paths = [path for _, path in topics.pages(nav)]
    assert "index.md" in paths and "about.md" in paths
    for title, path in topics.pages(nav):
        if path != "index.md":
            assert f"[{title}]({path})" in table, path
    assert "(index.md)" not in table


def test_sections_are_flattened_and_descriptions_found():
    nav = [{"Home": "index.md"}, {"Part": [{"A": "a.md"}, {"B": "b.md"}]}, "c.md"]
    assert list(topics.pages(nav)) == [("Home", "index.md"), ("A", "a.md"), ("B", "b.md"), ("c", "c.md")]
    assert topics.description("---\ndescription: >-\n  one\n  two\n---\n# T\n\nFirst. Second.") == "one two"
    assert topics.description("# T\n\n::: nnbook a/b\n\nFirst one. Second.") == "First one."
    table = topics.table(nav, {"a.md": "# A\n\nAbout a | b."}.get)
    assert "About a \\| b." in table and "| [c](c.md) |  |" in table
