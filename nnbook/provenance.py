"""The shape of a result's provenance, checked whenever a stored result is read.

Result files are binary: nobody reviews them in a pull request, and anyone can recompute
a valid checksum. So every field that reaches a page (the provenance line of each figure,
the Computation times page) is checked here for its type, its length and its characters,
and an entry that does not fit is treated as damaged.
"""

from __future__ import annotations

import math
import re
from typing import Any

from .registry import PROFILES

ID = re.compile(r"[a-z0-9][a-z0-9_\-]{0,63}/[a-z0-9][a-z0-9_\-]{0,63}")
KEY = re.compile(r"[0-9a-f]{16}")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
VERSION = re.compile(r"[0-9A-Za-z.+\-]{1,40}")
CPU = re.compile(r"[\w .,:()@/+\-]{1,120}")
WORD = re.compile(r"[a-z0-9_\-]{1,32}", re.IGNORECASE)
PARAM_TEXT = re.compile(r"[\w .,:+\-]{0,100}")
MAX_PARAMS = 64


class BadProvenance(ValueError):
    """Provenance whose shape or characters are not what nnbook writes."""


def _need(ok: bool, field: str, value: Any) -> None:
    if not ok:
        shown = repr(value)
        raise BadProvenance(f"provenance field {field!r} is not valid: {shown[:60]}{'…' if len(shown) > 60 else ''}")


def _text(value: Any, pattern: re.Pattern, field: str) -> None:
    _need(isinstance(value, str) and pattern.fullmatch(value) is not None, field, value)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _param(value: Any, depth: int = 0) -> bool:
    """Parameters are numbers, booleans, short plain strings and small lists or mappings of them."""
    if value is None or isinstance(value, bool) or _number(value):
        return True
    if isinstance(value, str):
        return PARAM_TEXT.fullmatch(value) is not None
    if isinstance(value, list) and depth < 3:
        return len(value) <= MAX_PARAMS and all(_param(v, depth + 1) for v in value)
    if isinstance(value, dict) and depth < 3:
        return len(value) <= MAX_PARAMS and all(isinstance(k, str) and WORD.fullmatch(k) and _param(v, depth + 1)
                                                for k, v in value.items())
    return False


def validate(p: Any) -> None:
    """Raise `BadProvenance` unless `p` has the shape `Book.compute` writes."""
    _need(isinstance(p, dict), "provenance", p)
    required = {"experiment", "seed", "profile", "params", "seconds", "date", "versions", "key"}
    missing = required - set(p)
    _need(not missing, ", ".join(sorted(missing)), "missing")
    unknown = set(p) - required - {"machine"}
    _need(not unknown, ", ".join(sorted(unknown)), "unexpected")
    _text(p["experiment"], ID, "experiment")
    _text(p["key"], KEY, "key")
    _text(p["date"], DATE, "date")
    _need(p["profile"] in PROFILES, "profile", p["profile"])
    _need(isinstance(p["seed"], int) and not isinstance(p["seed"], bool) and 0 <= p["seed"] < 2**32, "seed", p["seed"])
    _need(_number(p["seconds"]) and 0 <= p["seconds"] < 1e7, "seconds", p["seconds"])
    _need(isinstance(p["params"], dict) and _param(p["params"]), "params", p["params"])
    versions = p["versions"]
    _need(isinstance(versions, dict) and len(versions) <= 8, "versions", versions)
    for name, version in versions.items():
        _text(name, WORD, "versions")
        _text(version, VERSION, f"versions.{name}")
    if "machine" in p:
        m = p["machine"]
        _need(isinstance(m, dict) and set(m) == {"cpu", "arch", "isa", "threads", "onednn"}, "machine", m)
        _text(m["cpu"], CPU, "machine.cpu")
        _text(m["arch"], WORD, "machine.arch")
        _need(isinstance(m["isa"], list) and len(m["isa"]) <= 32, "machine.isa", m["isa"])
        for flag in m["isa"]:
            _text(flag, WORD, "machine.isa")
        _need(isinstance(m["threads"], int) and not isinstance(m["threads"], bool) and 0 < m["threads"] <= 4096,
              "machine.threads", m["threads"])
        _need(isinstance(m["onednn"], bool), "machine.onednn", m["onednn"])
