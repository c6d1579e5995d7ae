"""The "Evidence" page: every claim of the book, where it stands, what tests it, and its audits."""

from __future__ import annotations

from typing import Any

from . import refs, render
from .book import Book, BuildError
from .render import text

PAGE = "evidence.md"

FRONT = "---\nhide:\n  - toc\n---\n"

INTRO = """# Evidence

Every sentence of this book that reads a result is listed here, with the page and line
where it stands, the test behind it and what the test found ({profile} profile). A tested
claim states a statistic over seeds (and over test examples where the results keep them),
its interval, the margin the sentence promises and how many seeds clear it, and passes three
audits. *Fragile*: the whole interval must clear the margin, not the mean alone. *One seed
decides*: with any one seed left out, the condition must still hold and the interval still
exclude 0. *Cannot fail*: the same test must fail on a control — the experiment's natural one
where it declares it (an untrained network, shuffled labels), and always the two groups
swapped, a weak control that catches only a test that passes both ways round. The check mark
after each sentence links to its row.

"""

LEGACY = "not yet stated with the rules of evidence"


def claims(book: Book, pages: dict[str, list[refs.Ref]]) -> dict[tuple[str, str], tuple[dict[str, Any], list[str]]]:
    """Each claim the pages reference, by (values group, name): its stored form and its places
    (`activations.md:12`). Groups that fail to render are left to their page's error box."""
    found: dict[tuple[str, str], tuple[dict[str, Any], list[str]]] = {}
    for page, page_refs in pages.items():
        name = page.split("/", 1)[1] if "/" in page else page
        for ref in page_refs:
            if not ref.inline or book.target(ref) is None or book.target(ref).uses in book.failures:
                continue
            try:
                value = book.output(ref.id).get(ref.name)
            except BuildError:
                continue
            if render.is_claim(value):
                found.setdefault((ref.id, ref.name), (value, []))[1].append(f"{name}:{ref.line}")
    return found


def _place(place: str) -> tuple[str, int]:
    page, line = place.rsplit(":", 1)
    return page, int(line)


def _audits(evidence: dict[str, Any]) -> str:
    """Each audit's verdict; the reason where it says more than the audit's name (a failure, a
    control named), so that the page stays light enough to read on a phone."""
    def one(name: str, verdict: str, reason: str) -> str:
        if verdict == "pass" and name == "cannot fail":  # the control is what a reader needs to know
            reason = reason.replace("fails, as it should, with ", "fails on ").replace(
                " (a weak control: the experiment declares no natural one)", " (a weak control)")
        said = verdict != "pass" or name == "cannot fail"
        return f"{text(name)}: **{text(verdict)}**" + (f", {text(reason)}" if said else "")
    return "<br>".join(one(name, verdict, reason) for name, (verdict, reason) in evidence["audits"].items())


def _row(key: tuple[str, str], value: dict[str, Any], places: list[str], site_pages: dict[str, str]) -> str:
    anchor = render.claim_anchor(*key)
    where = ", ".join(f"[{text(p)}]({p.split(':')[0]})" if p.split(":")[0] in site_pages else text(p)
                      for p in places)
    state = render.claim_state(value)
    claim = f'<a id="{anchor}"></a>{text(value["claim"])}<br>*{where}*'
    evidence = value.get("evidence")
    if evidence is None:
        return f"| {claim} | {LEGACY} | **{'holds' if state == 'checked' else state}**, not audited |"
    return (f"| {claim} | {text(evidence['description'])}; *{text(evidence['verdict'])}* | "
            f"**{state}**<br>{_audits(evidence)} |")


def page(book: Book, pages: dict[str, list[refs.Ref]], site_pages: dict[str, str]) -> str:
    """The page's Markdown; `pages` are the scanned references, `site_pages` the site's page paths
    with their titles.
    One table per page of the book, its claims in the order they are read; no table of contents
    beside it, so that the three columns get the width."""
    found = claims(book, pages)
    tested = [value["evidence"] for value, _ in found.values() if "evidence" in value]
    controlled = sum(bool(e["control"]) for e in tested)
    counts = (f"{len(found)} claims: {len(tested)} stated with a test ({controlled} of them also against a "
              f"natural control of their experiment, the others against the groups swapped only), "
              f"{len(found) - len(tested)} {LEGACY} (bare conditions, checked but not audited).\n\n")
    by_page: dict[str, list[str]] = {}
    for key, (value, places) in sorted(found.items(), key=lambda item: _place(item[1][1][0])):
        by_page.setdefault(_place(places[0])[0], []).append(_row(key, value, places, site_pages))
    sections = []
    for name, rows in by_page.items():
        title = f"[{text(site_pages[name] or name)}]({name})" if name in site_pages else text(name)
        # each page's table in a box the browser lays out only when it comes near the screen; the
        # heading stays outside, where finding its place (the navigation's scroll spy) costs little
        sections.append(f'## {title}\n\n<div class="nnbook-ledger" markdown>\n\n'
                        "| claim, and where it stands | test and interval | verdict and audits |\n"
                        "|---|---|---|\n" + "\n".join(rows) + "\n\n</div>\n")
    return FRONT + INTRO.format(profile=text(book.profile)) + counts + "\n".join(sections)
