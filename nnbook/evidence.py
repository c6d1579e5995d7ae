"""How the book judges results: the tests behind its claims, and the audits a claim must pass.

A sentence that reads a result is backed by an `Evidence`: a statistic with its 95 % interval
over seeds (and, where the results hold it, over test examples), the margin the sentence
promises and what the seeds say one by one. `ev.claim("text")` makes the claim a page
references. Three audits run on every such claim and fail a full build:

- *fragile*: the interval does not clear the margin, so the claim holds by less than its
  own uncertainty;
- *one seed decides*: with some seed left out, the condition no longer holds, or the interval
  no longer excludes 0;
- *cannot fail*: the same test also passes on the claim's control (at least the two groups
  swapped; an experiment may give another, such as the untrained network).

`fact("text")` states what the code guarantees: no test, no check mark, no audit.
NumPy only: t quantiles are computed here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Callable, Sequence

import numpy as np

from .registry import Claim
from .render import AUDIT_NAMES

LEVEL = 0.95  # two-sided level of every interval the book states


# -- t quantiles ------------------------------------------------------------------------------

def _t_density(x: np.ndarray, df: float) -> np.ndarray:
    log_c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    return np.exp(log_c - (df + 1) / 2 * np.log1p(x * x / df))


def t_cdf(x: float, df: float) -> float:
    """P(T <= x) for Student's t with `df` degrees of freedom (numerical integration)."""
    if x < 0:
        return 1.0 - t_cdf(-x, df)
    # substitute x = tan(u): the integrand is smooth and bounded on [0, atan(x)]
    u = np.linspace(0.0, math.atan(x), 4001)
    f = _t_density(np.tan(u), df) / np.cos(u) ** 2
    return 0.5 + float(np.sum((f[1:] + f[:-1]) / 2 * np.diff(u)))


def t_quantile(p: float, df: float) -> float:
    """The `p` quantile of Student's t (bisection on `t_cdf`); `inf` without degrees of freedom.
    A Welch-Satterthwaite `df` is a fraction that differs from test to test: it is rounded to
    three significant digits (the quantile moves by less than 1e-3 of itself), so that the
    quantiles of a build are computed once each."""
    if df > 0:
        df = float(f"{df:.3g}")
    return _t_quantile(p, df)


@lru_cache(maxsize=1024)
def _t_quantile(p: float, df: float) -> float:
    if df <= 0:
        return math.inf if p > 0.5 else -math.inf
    if p < 0.5:
        return -_t_quantile(1 - p, df)
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        lo, hi = hi, hi * 2
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if t_cdf(mid, df) < p else (lo, mid)
    return (lo + hi) / 2


# -- the evidence -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Evidence:
    """One test of the results, with everything needed to state it and audit it.

    `per_seed` holds the statistic seed by seed (a difference, a slope); `statistic` is their
    mean. `example_var` is the variance the test-set sample adds to that mean (0 when the
    results hold no per-example data). `direction` is +1 when the sentence says the statistic
    exceeds `margin`, -1 when it says it falls below `-margin`, 0 when it says the statistic
    lies within ±`margin` (equivalence, judged by two one-sided tests).
    """

    test: str  # "paired", "equivalence", "trend"
    what: str  # the statistic in words: "ReLU minus linear, final validation accuracy"
    per_seed: tuple[float, ...]
    direction: int
    margin: float = 0.0
    examples: int = 0
    example_var: float = 0.0
    unit: str = ""  # "points" for accuracies shown ×100, "" for plain numbers
    scale: float = 1.0  # display factor (100 for accuracies in points)
    wins: int = 0  # seeds on the claimed side
    wins_what: str = "higher"  # what a win is, for "higher in 3 of 3 seeds"
    control: Evidence | None = None  # the same test on the control
    control_name: str = ""
    reach: float = math.inf  # the largest size the statistic can have: 1 for a difference of two shares

    # -- numbers --

    @property
    def seeds(self) -> int:
        return len(self.per_seed)

    @property
    def statistic(self) -> float:
        return float(np.mean(self.per_seed))

    @property
    def level(self) -> float:
        """The interval's level: 95 %, or 90 % for equivalence (two one-sided tests at 5 % each)."""
        return 2 * LEVEL - 1 if self.direction == 0 else LEVEL

    @property
    def seed_var(self) -> float:
        """The variance of the mean that comes from seed to seed."""
        return float(np.var(self.per_seed, ddof=1)) / self.seeds if self.seeds > 1 else math.inf

    @property
    def standard_error(self) -> float:
        """The seed term combined with the test-set term."""
        return math.sqrt(self.seed_var + self.example_var)

    @property
    def df(self) -> float:
        """Degrees of freedom: the seeds', or with a test-set term, Welch and Satterthwaite's
        combination of the seeds' (n - 1) and the examples' (examples - 1)."""
        if self.seeds < 2:
            return 0.0
        if not self.example_var or not self.seed_var:
            return float(self.seeds - 1) if not self.example_var else float(self.examples - 1)
        terms = self.seed_var ** 2 / (self.seeds - 1) + self.example_var ** 2 / (self.examples - 1)
        return (self.seed_var + self.example_var) ** 2 / terms

    @property
    def interval(self) -> tuple[float, float]:
        """The t interval at `level`, cut to what the statistic can reach (a difference of two shares
        lies within ±1 however wide the normal approximation runs)."""
        if self.seeds < 2:
            return -math.inf, math.inf
        half = t_quantile(1 - (1 - self.level) / 2, self.df) * self.standard_error
        return max(self.statistic - half, -self.reach), min(self.statistic + half, self.reach)

    # -- verdicts --

    def _condition(self, value: float) -> bool:
        if self.direction == 0:
            return abs(value) < self.margin
        return self.direction * value > self.margin

    @property
    def holds(self) -> bool:
        """The sentence's condition on the mean, before any uncertainty."""
        return self._condition(self.statistic)

    @property
    def sound(self) -> bool:
        """The whole interval satisfies the condition (for equivalence: TOST passes)."""
        low, high = self.interval
        return self._condition(low) and self._condition(high)

    @property
    def decided(self) -> bool:
        """The condition holds on the mean and, for a direction, the interval excludes 0: what must
        survive leaving any one seed out (a stricter interval would only measure the seed count)."""
        low, high = self.interval
        return self.holds and (self.direction == 0 or (low > 0 if self.direction > 0 else high < 0))

    @property
    def verdict(self) -> str:
        """What the interval says, in words: a direction, equivalence, or no clear difference."""
        low, high = self.interval
        if self.direction == 0:
            return f"equivalent within ±{self._size(self.margin)}" if self.sound else "not shown equivalent"
        if low > 0:
            return "above 0"
        if high < 0:
            return "below 0"
        return "no clear difference (the interval covers 0)"

    @property
    def reading(self) -> str:
        """The verdict as prose states it: a direction that leaving out one seed would undo is said to
        be so, since the book's audits would not let a claim rest on it."""
        verdict = self.verdict
        if verdict not in ("above 0", "below 0") or self.seeds < 3:
            return verdict
        undone = [i + 1 for i in range(self.seeds) if self.left_out(i).verdict != verdict]
        if not undone:
            return verdict
        which = f"seed {undone[0]}" if len(undone) == 1 else \
            "any one of seeds " + ", ".join(map(str, undone[:-1])) + f" or {undone[-1]}"
        return f"{verdict}, but only just: without {which} the interval covers 0"

    def left_out(self, seed: int) -> Evidence:
        """The same test without one seed (the test-set term kept as it is: the examples are shared)."""
        return replace(self, per_seed=self.per_seed[:seed] + self.per_seed[seed + 1:], control=None)

    def swapped(self) -> Evidence:
        """The same test with the two groups (or the axis) swapped: every statistic negated."""
        return replace(self, per_seed=tuple(-v for v in self.per_seed), control=None,
                       wins=_wins(tuple(-v for v in self.per_seed), self.direction, self.margin)
                       if self.test != "trend" else self.wins)

    def audits(self) -> dict[str, tuple[str, str]]:
        """Each audit's verdict ("pass", "fail", "n/a") with its reason in words."""
        low, high = self.interval
        bound = {1: low, -1: high}.get(self.direction)
        if self.seeds > 1 and self.standard_error == 0:
            # every seed and every resample agree: a share at 0 or 1 on few examples, whose
            # resamples cannot vary; the interval's width then measures nothing
            fragile = ("fail", "the interval has no width: every seed and every resample give the same value, "
                               "which a small sample does at a share of 0 or 1; bound it exactly instead")
        elif self.sound:
            fragile = ("pass", "the whole interval clears the margin")
        elif self.direction == 0:
            fragile = ("fail", f"the {self._pct(self.level)} interval {self._span()} is not inside "
                               f"±{self._size(self.margin)}")
        else:
            fragile = ("fail", f"the interval's bound {self._num(bound)} does not clear {self._num(self.direction * self.margin)}")
        if self.seeds < 2:
            one_seed = ("fail", "a single seed")
        else:
            # what the seeds decide together must survive any one left out (when the interval already
            # covers 0, the fragile audit says so; then only the condition on the mean is asked of them)
            strict = self.decided
            broken = [i + 1 for i in range(self.seeds)
                      if not (self.left_out(i).decided if strict else self.left_out(i).holds)]
            what = "the condition holds and the interval excludes 0" if strict and self.direction else \
                "the condition holds"
            one_seed = ("fail", "without seed " + ", ".join(map(str, broken)) + f" it is no longer true that {what}") \
                if broken else ("pass", f"with any one of the {self.seeds} seeds left out, {what}")
        found = {"fragile": fragile, "one seed decides": one_seed, "cannot fail": self._control_audit()}
        return {name: found[name] for name in AUDIT_NAMES}

    def _control_audit(self) -> tuple[str, str]:
        controls = [(self.control_name or "its control", self.control)] if self.control else []
        if self.direction != 0:  # an equivalence is symmetric: swapping cannot test it
            controls.append(("the groups swapped", self.swapped()))
        if not controls:
            return "n/a", "no control stated"
        passed = [name for name, ev in controls if ev.holds and ev.sound]
        if passed:
            return "fail", "the same test also passes with " + " and with ".join(passed)
        weak = "" if self.control else " (a weak control: the experiment declares no natural one)"
        return "pass", "fails, as it should, with " + " and with ".join(name for name, _ in controls) + weak

    @property
    def passes(self) -> bool:
        """The claim holds and passes every audit."""
        return self.holds and all(v != "fail" for v, _ in self.audits().values())

    # -- words --

    @property
    def _decimals(self) -> int:
        """One number of decimals for every number of a description: two below 10, one below 100,
        more for small statistics."""
        shown = [abs(v) * self.scale for v in (self.statistic, *self.interval, self.margin) if math.isfinite(v)]
        top = max(shown, default=0.0)
        return 2 if top == 0 else max(0, 2 - int(math.floor(math.log10(top)))) if top < 1 else \
            2 if top < 10 else 1 if top < 100 else 0

    def _num(self, value: float) -> str:
        return f"{value * self.scale:+.{self._decimals}f}".replace("-", "−")

    def _size(self, value: float) -> str:
        return self._num(value).lstrip("+−")

    def _span(self) -> str:
        low, high = self.interval
        if not (math.isfinite(low) and math.isfinite(high)):
            return "unbounded (one seed)"
        return f"{self._num(low)} to {self._num(high)}"

    @staticmethod
    def _pct(level: float) -> str:
        return f"{100 * level:.0f} %"

    def description(self) -> str:
        """The test in plain words: 'paired over 5 seeds: +1.2 points, 95 % interval +0.6 to +1.8;
        higher in 5 of 5'."""
        unit = f" {self.unit}" if self.unit else ""
        examples = f" and {self.examples:,} test examples" if self.examples else ""
        head = {"paired": "paired", "equivalence": "paired, two one-sided tests,", "trend": "slope per seed,"}[self.test]
        text = (f"{self.what}: {head} over {self.seeds} seed{'s' * (self.seeds != 1)}{examples}: "
                f"{self._num(self.statistic)}{unit}, {self._pct(self.level)} interval {self._span()}")
        if self.direction == 0:
            text += f"; margin ±{self._size(self.margin)}{unit}"
        elif self.margin:
            text += f"; must clear {self._num(self.direction * self.margin)}{unit}"
        return text + f"; {self.wins_what} in {self.wins} of {self.seeds}"

    def summary(self) -> str:
        """The statistic for prose: '+1.2 points (95 % interval +0.6 to +1.8; higher in 9 of 10 seeds)'."""
        unit = f" {self.unit}" if self.unit else ""
        return (f"{self._num(self.statistic)}{unit} ({self._pct(self.level)} interval {self._span()}; "
                f"{self.wins_what} in {self.wins} of {self.seeds} seeds)")

    def claim(self, text: str) -> Claim:
        """The sentence `text`, backed by this test."""
        return Claim(self.holds, text, evidence=self)

    def stored(self) -> dict[str, Any]:
        """The evidence as plain JSON, as the render cache keeps it (see `render.stored_value`)."""
        low, high = self.interval
        finite = lambda v: float(v) if math.isfinite(v) else None  # noqa: E731 - JSON has no infinity
        return {"test": self.test, "description": self.description(), "verdict": self.verdict,
                "statistic": float(self.statistic), "low": finite(low), "high": finite(high),
                "level": float(self.level), "margin": float(self.margin), "seeds": self.seeds,
                "examples": int(self.examples), "wins": int(self.wins),
                "per_seed": [float(v) for v in self.per_seed],
                "control": self.control_name if self.control else "",
                "audits": {name: [verdict, reason] for name, (verdict, reason) in self.audits().items()}}


# -- making evidence ------------------------------------------------------------------------

def _wins(per_seed: Any, direction: int, margin: float) -> int:
    """Seeds on the sentence's side of its margin: beyond it, or within ±margin for an equivalence."""
    d = np.asarray(per_seed, dtype=np.float64)
    return int(np.sum(np.abs(d) < margin)) if direction == 0 else int(np.sum(direction * d > margin))


def _per_seed(values: Any, axis: int) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    return np.moveaxis(v, axis, -1).reshape(-1) if v.ndim > 1 else v.reshape(-1)


def _example_terms(a: np.ndarray, b: np.ndarray, examples: Any) -> tuple[int, float]:
    """Test-set sampling: the number of examples and the variance it adds to the mean difference.
    Every seed is scored on the same examples, so this term does not shrink with more seeds.

    `examples` is either a number of shared test examples, with `a` and `b` proportions of them
    (the binomial variance of each, added: conservative, since paired predictions agree more
    often than independent ones), or a pair of correctness arrays shaped (seeds, examples),
    whose per-example differences give the paired variance directly.
    """
    if examples is None:
        return 0, 0.0
    if isinstance(examples, (int, np.integer)):
        n = int(examples)
        pa, pb = float(np.mean(a)), float(np.mean(b))
        return n, max((pa * (1 - pa) + pb * (1 - pb)) / n, _exact_floor(n))
    correct_a, correct_b = (np.asarray(c, dtype=np.float64) for c in examples)
    if correct_a.shape != correct_b.shape or correct_a.ndim != 2 or correct_a.shape[0] != len(a):
        raise ValueError("examples must be two correctness arrays shaped (seeds, examples), one per setting")
    diff = correct_a - correct_b  # seed, example
    n = diff.shape[1]  # each example's difference, averaged over seeds, varies from example to example
    return n, max(float(np.var(diff.mean(0), ddof=1) / n), _exact_floor(n))


def _exact_floor(n: int) -> float:
    """The least test-set variance `n` examples leave: where none of them varies (every answer
    right, or the same in both settings), the sample still bounds the share that would vary only
    to 1 − 2.5 %^(1/n) (Clopper and Pearson's exact bound, about 3.7/n), read here as the
    half-width of a 95 % interval."""
    if n < 2:
        return math.inf
    half = 1 - ((1 - LEVEL) / 2) ** (1 / n)
    return (half / t_quantile(1 - (1 - LEVEL) / 2, n - 1)) ** 2


def _paired_evidence(test: str, a: Any, b: Any, direction: int, what: str, margin: float, examples: Any,
                     axis: int, unit: str, scale: float, wins_what: str) -> Evidence:
    a, b = _per_seed(a, axis), _per_seed(b, axis)
    if a.shape != b.shape:
        raise ValueError(f"paired results need the same seeds: {a.shape} and {b.shape}")
    if examples is not None and not isinstance(examples, (int, np.integer)):
        a, b = (np.asarray(c, dtype=np.float64).mean(1) for c in examples)  # accuracy from correctness
    n, var = _example_terms(a, b, examples)
    d = a - b
    wins = _wins(d, direction, margin)
    return Evidence(test, what, tuple(float(v) for v in d), direction, float(margin), n, var, unit, scale,
                    wins, wins_what, reach=1.0 if unit == "points" else math.inf)


def paired(a: Any, b: Any, *, higher: str = "a", margin: float = 0.0, what: str = "", examples: Any = None,
           axis: int = -1, points: bool = False, control: tuple[Any, Any] | None = None,
           control_name: str = "") -> Evidence:
    """`a` and `b` measured on the same seeds (along `axis`): the sentence says the `higher` one
    ("a" or "b") exceeds the other by more than `margin`.

    `examples`: the test-set term (see `_example_terms`). `points`: values are proportions,
    stated in percentage points. `control`: the same two settings measured on the control
    (say, untrained), where the claim must not pass.
    """
    if higher not in ("a", "b"):
        raise ValueError("higher must be 'a' or 'b'")
    direction = 1 if higher == "a" else -1
    unit, scale = ("points", 100.0) if points else ("", 1.0)
    ev = _paired_evidence("paired", a, b, direction, what or "a minus b", margin, examples, axis, unit, scale,
                          "higher" if higher == "a" else "lower")
    if control is not None:
        ctrl = _paired_evidence("paired", *control, direction, ev.what, margin, None, axis, unit, scale, ev.wins_what)
        ev = replace(ev, control=ctrl, control_name=control_name or "its control")
    return ev


def equivalent(a: Any, b: Any, margin: float, *, what: str = "", examples: Any = None, axis: int = -1,
               points: bool = False, control: tuple[Any, Any] | None = None, control_name: str = "") -> Evidence:
    """`a` and `b` are the same within ±`margin`: two one-sided tests at 5 % each, that is, the
    90 % interval of the paired difference lies inside ±`margin`. An interval that merely covers
    0 ("no clear difference", `Evidence.verdict`) does not pass. `control`: the same two measured
    where they differ (a setting known to behave otherwise), on which the test must not pass."""
    if margin <= 0:
        raise ValueError("an equivalence needs a positive margin")
    unit, scale = ("points", 100.0) if points else ("", 1.0)
    if control is not None:
        ev = equivalent(a, b, margin, what=what, examples=examples, axis=axis, points=points)
        ctrl = equivalent(*control, margin, what=ev.what, axis=axis, points=points)
        return replace(ev, control=ctrl, control_name=control_name or "its control")
    return _paired_evidence("equivalence", a, b, 0, what or "a minus b", margin, examples, axis, unit, scale,
                            f"within ±{margin * scale:g}{' ' + unit if unit else ''}")


def resampled(statistic: Callable[[np.ndarray], Any], examples: int, *, higher: bool = True, margin: float = 0.0,
              same: bool = False, what: str = "", points: bool = False, resamples: int = 400,
              batched: bool = False) -> Evidence:
    """A statistic that no per-example array holds (an F1, an AUC, an R²): `statistic(rows)` gives
    its value seed by seed (a difference, for a comparison) on the test rows `rows`. The seeds'
    values come from all `examples` rows; the test-set term is the spread of their mean over
    bootstrap resamples of the rows (the same resamples for every seed: the rows are shared).
    With `batched`, `statistic` takes rows shaped (resamples, examples) and gives (resamples, seeds).

    The sentence says the statistic exceeds `margin` (`higher`), falls below `-margin`, or, with
    `same`, lies within ±`margin` (two one-sided tests)."""
    if same and margin <= 0:
        raise ValueError("an equivalence needs a positive margin")
    rows = np.random.default_rng(0).integers(0, examples, (resamples, examples))
    if batched:
        per_seed = np.asarray(statistic(np.arange(examples)[None]), dtype=np.float64)[0]
        means = np.asarray(statistic(rows), dtype=np.float64).mean(axis=1)
    else:
        per_seed = np.asarray(statistic(np.arange(examples)), dtype=np.float64).reshape(-1)
        means = np.array([float(np.mean(statistic(r))) for r in rows])
    direction = 0 if same else 1 if higher else -1
    unit, scale = ("points", 100.0) if points else ("", 1.0)
    wins = _wins(per_seed, direction, margin)
    wins_what = f"within ±{margin * scale:g}{' ' + unit if unit else ''}" if same else "higher" if higher else "lower"
    return Evidence("equivalence" if same else "paired", what or "statistic", tuple(float(v) for v in per_seed),
                    direction, float(margin), int(examples), float(np.var(means, ddof=1)), unit, scale, wins,
                    wins_what, reach=1.0 if points else math.inf)


def exact_interval(successes: int, trials: int) -> tuple[float, float]:
    """Clopper and Pearson's exact 95 % interval for a share of `successes` in `trials`: what to
    state where an interval from resamples would have no width (a share at 0 or 1 on few trials)."""
    if not 0 <= successes <= trials or trials < 1:
        raise ValueError(f"a share needs 0 <= successes <= trials >= 1: {successes} of {trials}")
    tail = (1 - LEVEL) / 2
    logs = np.cumsum(np.log(np.arange(1, trials + 1)))
    log_comb = np.concatenate([[0.0], logs])
    ks = np.arange(trials + 1)

    def upper_tail(p: float, k: int) -> float:  # P(X >= k) for X ~ Binomial(trials, p)
        if p <= 0 or p >= 1:
            return float(p >= 1 or k == 0)
        log_pmf = log_comb[-1] - log_comb[ks] - log_comb[trials - ks] + ks * math.log(p) + (trials - ks) * math.log1p(-p)
        return float(np.exp(log_pmf[k:]).sum())

    def solve(k: int, target: float) -> float:  # the p where P(X >= k) = target, rising in p
        lo, hi = 0.0, 1.0
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if upper_tail(mid, k) < target else (lo, mid)
        return (lo + hi) / 2

    low = 0.0 if successes == 0 else solve(successes, tail)
    high = 1.0 if successes == trials else solve(successes + 1, 1 - tail)
    return low, high


def _slope(x: np.ndarray, y: np.ndarray) -> float:
    xc = x - x.mean()
    return float(np.sum(xc * (y - y.mean())) / np.sum(xc * xc))


def trend(x: Sequence[float], y_per_seed: Any, *, increasing: bool = True, margin: float = 0.0, what: str = "",
          control: Any = None, control_name: str = "") -> Evidence:
    """`y_per_seed` (one row per seed, one column per `x`) rises (or falls) with `x`: the
    least-squares slope of each seed, their mean with a t interval, and how many seeds are
    monotone in the claimed direction. `control`: rows measured on the control."""
    x = np.asarray(x, dtype=np.float64)
    y = np.atleast_2d(np.asarray(y_per_seed, dtype=np.float64))
    if y.shape[1] != len(x):
        raise ValueError(f"y_per_seed must have one column per x: {y.shape} for {len(x)} x values")
    direction = 1 if increasing else -1
    steps = np.diff(y, axis=1) * direction
    monotone = int(np.sum((steps > 0).all(1)))
    ev = Evidence("trend", what or "slope", tuple(_slope(x, row) for row in y), direction, float(margin),
                  wins=monotone, wins_what="increasing at every step" if increasing else "decreasing at every step")
    if control is not None:
        ctrl = trend(x, control, increasing=increasing, margin=margin, what=ev.what)
        ev = replace(ev, control=ctrl, control_name=control_name or "its control")
    return ev


def fact(text: str) -> Claim:
    """A sentence the code guarantees (a parameter, a construction): stated plainly, never
    shown as a tested result."""
    return Claim(True, text, fact=True)


def claim(ev: Evidence, text: str) -> Claim:
    """The sentence `text`, backed by `ev` (the same as `ev.claim(text)`)."""
    return ev.claim(text)
