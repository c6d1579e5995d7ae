"""Pages run their scripts after their first paint.

Material's bundle and the book's nnbook.js would run as soon as the page is parsed, which can be
before its first frame is on screen. Their first task is long on a slow phone (Material's startup
restyles the whole page), and a paint that lands inside it counts as held up by it. So every page
preloads its scripts in `<head>` (they download as early as before) and an inline loader at the
end of `<body>` (`assets/after-paint.js`) runs them, in order, once the page is parsed and the
browser reports its first contentful paint; then it replays `DOMContentLoaded`, on which Material
starts.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

LOADER = Path(__file__).parent / "assets" / "after-paint.js"
# Material's and extra_javascript; the literal start lets the search skip ahead (a leading \s* would
# be tried at every character of the page)
SCRIPT = re.compile(r'<script src="(?P<src>[^"]+)"(?: defer)?></script>\n?')


@functools.cache
def _loader() -> str:
    """The loader as it goes into every page: without comments and indentation."""
    js = re.sub(r"/\*.*?\*/", "", LOADER.read_text(encoding="utf-8"), flags=re.DOTALL)
    return "\n".join(line.strip() for line in js.splitlines() if line.strip())


def after_first_paint(page_html: str) -> str:
    """The page with its external scripts preloaded, and run by the loader after the first paint."""
    sources = [m.group("src") for m in SCRIPT.finditer(page_html)]
    if not sources:
        return page_html
    preloads = "".join(f'<link rel="preload" as="script" href="{src}">' for src in sources)
    loader = _loader().replace("SOURCES", json.dumps(sources))
    page_html = SCRIPT.sub("", page_html)
    page_html = page_html.replace("</head>", preloads + "</head>", 1)
    return page_html.replace("</body>", f"<script>{loader}</script></body>", 1)
