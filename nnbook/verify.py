"""`nnbook verify`: rerun experiments and say what a rerun changes.

Each selected experiment runs again into a temporary folder; its fresh results are compared
with the stored ones, array by array, and every value the pages show is rendered from both.
A rerun may change last bits (another CPU rounds float32 sums differently, and training
amplifies that); what matters to a reader is whether a displayed number or a claim changes.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import refs, render
from .book import Book, claim_problem
from .cache import DamagedEntry, is_timing, values_digest

TOP_DIFFERENCES = 5


@dataclass
class Report:
    experiment: str
    identical: bool = False
    missing: bool = False
    differences: list[str] = field(default_factory=list)  # largest first
    timings: list[str] = field(default_factory=list)  # wall-clock times, expected to vary
    changed_values: list[str] = field(default_factory=list)  # shown on pages
    broken_claims: list[str] = field(default_factory=list)  # false after the rerun, or failing an audit
    claims: int = 0  # claims the pages make from this experiment, judged on the rerun

    @property
    def failed(self) -> bool:
        return self.missing or bool(self.changed_values or self.broken_claims)

    def lines(self) -> list[str]:
        if self.missing:
            return [f"{self.experiment}: no stored result for the current code to compare with; run `nnbook figures`"]
        if self.identical:
            return [f"{self.experiment}: identical"]
        out = [f"{self.experiment}: differs; largest differences:"]
        out += [f"    {d}" for d in self.differences[:TOP_DIFFERENCES]]
        if len(self.differences) > TOP_DIFFERENCES:
            out.append(f"    ... and {len(self.differences) - TOP_DIFFERENCES} more")
        out += [f"    displayed value changes: {v}" for v in self.changed_values]
        out += [f"    timing (varies with machine and load): {t}" for t in self.timings]
        out += [f"    claim fails on the rerun: {c}" for c in self.broken_claims]
        if not (self.changed_values or self.broken_claims):
            out.append("    every value the pages show and every claim is unchanged")
        return out


def _difference(name: str, old: Any, new: Any) -> tuple[float, str] | None:
    """How far `new` is from `old`, as `(size for sorting, description)`, or None if equal."""
    if isinstance(old, np.ndarray) and isinstance(new, np.ndarray):
        if old.shape != new.shape or old.dtype != new.dtype:
            return float("inf"), f"{name}: shape/type {old.dtype}{old.shape} → {new.dtype}{new.shape}"
        if np.array_equal(old, new, equal_nan=old.dtype.kind == "f"):
            return None
        if old.dtype.kind not in "iuf":
            changed = int(np.sum(old != new))
            return float(changed), f"{name}: {changed} of {old.size} entries differ"
        delta = np.abs(old.astype(np.float64) - new.astype(np.float64))
        scale = np.maximum(np.abs(old.astype(np.float64)), 1e-12)
        changed = int(np.sum(delta > 0))
        return (float(np.nanmax(delta)),
                f"{name}: max |Δ| {np.nanmax(delta):.3g} (relative {np.nanmax(delta / scale):.3g}), "
                f"{changed} of {old.size} entries differ")
    if old == new:
        return None
    return float("inf"), f"{name}: {old!r} → {new!r}"


def _where(pages: dict[str, list[refs.Ref]], output_id: str, name: str) -> list[str]:
    return [f"{page}:{ref.line}" for page, found in pages.items() for ref in found
            if ref.id == output_id and ref.name == name]


def compare(book: Book, fresh: Book, experiment_id: str, pages: dict[str, list[refs.Ref]]) -> Report:
    report = Report(experiment_id)
    try:
        old = book.store.load(experiment_id, book.key(experiment_id))
    except (FileNotFoundError, DamagedEntry):
        report.missing = True
        return report
    new = fresh.store.load(experiment_id, fresh.key(experiment_id))
    report.identical = values_digest(old.values, timings=False) == values_digest(new.values, timings=False)
    if not report.identical:
        names = sorted(n for n in set(old.values) | set(new.values) if not is_timing(n))
        found = [_difference(n, old.values.get(n), new.values.get(n)) for n in names]
        report.differences = [d for _, d in sorted((f for f in found if f), key=lambda f: -f[0])]
    for output in book.outputs.values():
        if output.uses != experiment_id or output.kind != "values":
            continue
        before = {k: render.stored_value(v) for k, v in output.func(old.values).items()}
        after = {k: render.stored_value(v) for k, v in output.func(new.values).items()}
        for name, shown in after.items():
            places = _where(pages, output.id, name)
            if not places:
                continue
            label = f"{output.id}.{name} ({', '.join(places)})"
            if is_timing(name):
                if shown != before.get(name):
                    report.timings.append(f"{label}: {before.get(name)} → {shown}")
            elif render.is_claim(shown):
                report.claims += 1
                if problem := claim_problem(shown):
                    report.broken_claims.append(f"{label} {problem}: {shown['claim']}")
            elif shown != before.get(name):
                report.changed_values.append(f"{label}: {before.get(name)} → {shown}")
    return report


def verify(book: Book, ids: list[str], pages: dict[str, list[refs.Ref]]) -> list[Report]:
    """Rerun `ids` into a temporary folder and compare each with `book`'s stored result."""
    with tempfile.TemporaryDirectory(prefix="nnbook-verify-") as tmp:
        fresh = Book(tmp, book.profile, log=book.log)
        fresh.refresh(ids, force=True)
        return [compare(book, fresh, i, pages) for i in ids]
