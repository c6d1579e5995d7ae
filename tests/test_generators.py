"""The book builds under MkDocs 1.6 and under ProperDocs, its maintained fork, to the same site but
for the generator's <meta> line; a generator that skips the nnbook plugin fails instead of
publishing pages without their figures."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT

from nnbook import refs, registry

GENERATOR_META = re.compile(rb'<meta name="generator" content="[^"]*">')


def build_with(generator: str, site, results) -> None:
    env = os.environ | {"NNBOOK_RESULTS": str(results), "NNBOOK_PROFILE": "smoke", "NO_MKDOCS_2_WARNING": "1"}
    run = subprocess.run([sys.executable, "-m", "nnbook.cli", "--root", str(ROOT), "build", "--generator", generator,
                          "--site-dir", str(site)], env=env, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-3000:]


def site_files(site) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): GENERATOR_META.sub(b"", p.read_bytes())
            for p in sorted(site.rglob("*")) if p.is_file()}


def test_mkdocs_and_properdocs_build_the_same_site(tmp_path_factory, smoke_results):
    pytest.importorskip("properdocs")
    sites = {}
    for generator in ("mkdocs", "properdocs"):
        sites[generator] = tmp_path_factory.mktemp(generator) / "site"
        build_with(generator, sites[generator], smoke_results)
    assert b"ProperDocs" in (sites["properdocs"] / "index.html").read_bytes()
    mkdocs, properdocs = site_files(sites["mkdocs"]), site_files(sites["properdocs"])
    assert mkdocs.keys() == properdocs.keys()
    assert [name for name in mkdocs if mkdocs[name] != properdocs[name]] == []


def test_a_build_that_skips_the_plugin_fails_instead_of_publishing_empty_pages(tmp_path, smoke_results):
    from nnbook.guard import UnreplacedReference

    from conftest import build_site

    with pytest.raises(UnreplacedReference, match="did not run the nnbook plugin"):
        build_site(tmp_path / "site", smoke_results, plugins=["search"])
    assert not (tmp_path / "site/activations/index.html").exists()


def test_exported_pages_build_with_a_generator_that_has_no_nnbook_plugin(tmp_path, smoke_results):
    """`nnbook export` writes the pages with their references replaced and the files they load;
    MkDocs without the nnbook plugin (and without its guard) builds them, figures included."""
    env = os.environ | {"NNBOOK_RESULTS": str(smoke_results), "NNBOOK_PROFILE": "smoke", "NO_MKDOCS_2_WARNING": "1"}
    out = tmp_path / "rendered"
    run = subprocess.run([sys.executable, "-m", "nnbook.cli", "--root", str(ROOT), "export", "--out", str(out)],
                         env=env, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    config = (out / "mkdocs.yml").read_text()
    assert "nnbook.guard" not in config and "- nnbook" not in config
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path / "site")],
                         cwd=out, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    page = (tmp_path / "site/activations/index.html").read_text()
    registry.load()
    figures = [ref.id for ref in refs.find((ROOT / "content/activations.md").read_text())
               if not ref.inline and registry.OUTPUTS[ref.id].kind == "figure"]
    assert page.count('class="nnbook-figure"') == len(figures) and "::: nnbook" not in page and "{{" not in page
    specs = set(re.findall(r'data-nnbook-spec="(\w+)"', page))
    assert specs and all((tmp_path / f"site/assets/nnbook/figures/{name}.json").is_file() for name in specs)
    assert (tmp_path / "site/notebooks/activations.ipynb").is_file()
