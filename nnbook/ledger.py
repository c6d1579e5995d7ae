"""The "Evidence" page: every claim of the book, where it stands, what tests it, and its audits."""

from __future__ import annotations

from typing import Any

from . import refs, render
from .book import Book, BuildError
from .render import text

PAGE = "evidence.md"

FRONT = "---\nhide:\n  - toc\n---\n"

INTRO = """# Evidence

Every sentence of this book that reads a result is listed on the pages linked below, one for
each page of the book, with the line where it stands, the test behind it and what the test
found ({profile} profile). A tested
claim states a statistic over seeds (and over test examples where the results keep them),
its interval, the margin the sentence promises and how many seeds clear it, and passes three
audits. *Fragile*: the whole interval must clear the margin, not the mean alone, and an
interval of no width does not count. *One seed decides*: with any one seed left out, the
condition must still hold and, for a difference, the interval still exclude 0. *Cannot fail*: the same test must fail on a control — the experiment's natural one
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


def _row(key: tuple[str, str], value: dict[str, Any], places: list[str], site_pages: dict[str, str],
         at: str) -> str:
    """One claim's row, on the Evidence page at `at` (links to its places are relative to it)."""
    anchor = render.claim_anchor(*key)
    up = "../" * at.count("/")
    where = ", ".join(f"[{text(p)}]({up}{p.split(':')[0]})" if p.split(":")[0] in site_pages else text(p)
                      for p in places)
    state = render.claim_state(value)
    claim = f'<a id="{anchor}"></a>{text(value["claim"])}<br>*{where}*'
    evidence = value.get("evidence")
    if evidence is None:
        return f"| {claim} | {LEGACY} | **{'holds' if state == 'checked' else state}**, not audited |"
    return (f"| {claim} | {text(evidence['description'])}; *{text(evidence['verdict'])}* | "
            f"**{state}**<br>{_audits(evidence)} |")


def subpage(page: str) -> str:
    """Where the claims of `page` (`activations.md`) are listed: `evidence/activations.md` (the home
    page's at `evidence/home.md`: `evidence/index.md` would be the Evidence page's own address)."""
    return f"{PAGE.removesuffix('.md')}/{'home.md' if page == 'index.md' else page}"


def pages(book: Book, scanned: dict[str, list[refs.Ref]], site_pages: dict[str, str]) -> dict[str, str]:
    """The Evidence pages' Markdown by path: an index with every page's counts, and one page per
    page of the book with the claims it reads, in the order they are read (a claim read on two
    pages is listed on both). `scanned` are the pages' references, `site_pages` the site's page
    paths with their titles. Small pages: a phone lays out one page's table, not the book's."""
    found = claims(book, scanned)
    tested = [value["evidence"] for value, _ in found.values() if "evidence" in value]
    controlled = sum(bool(e["control"]) for e in tested)
    counts = (f"{len(found)} claims: {len(tested)} stated with a test ({controlled} of them also against a "
              f"natural control of their experiment, the others against the groups swapped only), "
              f"{len(found) - len(tested)} {LEGACY} (bare conditions, checked but not audited).\n\n")
    by_page: dict[str, list[tuple[int, tuple[str, str]]]] = {}
    for key, (_, places) in found.items():
        for place in places:
            name, line = _place(place)
            by_page.setdefault(name, []).append((line, key))
    out, index = {}, ["| page | claims | tested | against a natural control | not holding |", "|---|--:|--:|--:|--:|"]
    for name in sorted(by_page, key=lambda n: list(site_pages).index(n) if n in site_pages else len(site_pages)):
        keys = list(dict.fromkeys(key for _, key in sorted(by_page[name])))
        title = text(site_pages.get(name) or name)
        rows = [_row(key, found[key][0], found[key][1], site_pages, subpage(name)) for key in keys]
        link = f"[{title}]({'../' * subpage(name).count('/')}{name})" if name in site_pages else title
        out[subpage(name)] = (FRONT + f"# Evidence: {title}\n\nEvery claim that {link} reads, in the order it "
                              f"reads them, with the test behind it; [the Evidence page](../{PAGE}) says what the "
                              "columns and the audits mean.\n\n"
                              "| claim, and where it stands | test and interval | verdict and audits |\n"
                              "|---|---|---|\n" + "\n".join(rows) + "\n")
        values = [found[key][0] for key in keys]
        evidence = [v["evidence"] for v in values if "evidence" in v]
        index.append(f"| [{title}]({subpage(name)}) | {len(keys)} | {len(evidence)} | "
                     f"{sum(bool(e['control']) for e in evidence)} | "
                     f"{sum(render.claim_state(v) != 'checked' for v in values)} |")
    out[PAGE] = FRONT + INTRO.format(profile=text(book.profile)) + counts + "\n".join(index) + "\n"
    return out
