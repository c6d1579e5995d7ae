"""The rules of evidence: statistics against hand-computed values, the audits, and the build."""

from __future__ import annotations

import logging
import math

import numpy as np
import pytest

from nnbook import evidence, registry, render
from nnbook.evidence import equivalent, fact, paired, resampled, t_quantile, trend
from nnbook.registry import claim

from conftest import build_site
from test_site import build_error, docs


# -- statistics -------------------------------------------------------------------------------

def test_t_quantiles_match_the_tables():
    for df, expected in ((1, 12.7062), (2, 4.3027), (4, 2.7764), (10, 2.2281), (30, 2.0423)):
        assert t_quantile(0.975, df) == pytest.approx(expected, abs=1e-4)
    assert t_quantile(0.95, 2) == pytest.approx(2.9200, abs=1e-4)
    assert t_quantile(0.975, 10_000) == pytest.approx(1.9602, abs=1e-3)
    assert t_quantile(0.025, 4) == pytest.approx(-2.7764, abs=1e-4)


def test_a_paired_interval_by_hand():
    a, b = np.array([3.0, 5.0, 4.0, 6.0]), np.array([1.0, 2.0, 2.0, 3.0])  # differences 2, 3, 2, 3
    ev = paired(a, b)
    se = np.std([2, 3, 2, 3], ddof=1) / 2  # 0.2887
    assert ev.statistic == pytest.approx(2.5) and ev.seeds == 4 and ev.wins == 4
    assert ev.interval == pytest.approx((2.5 - 3.1824 * se, 2.5 + 3.1824 * se), abs=1e-3)
    assert ev.holds and ev.sound and ev.verdict == "above 0"
    assert "paired over 4 seeds: +2.50, 95 % interval +1.58 to +3.42; higher in 4 of 4" in ev.description()
    lower = paired(b, a, higher="b")
    assert lower.statistic == pytest.approx(-2.5) and lower.holds and lower.sound and lower.wins == 4


def test_the_summary_for_prose_gives_the_statistic_its_interval_and_the_seeds():
    ev = paired([0.62, 0.60, 0.65, 0.59], [0.60, 0.59, 0.61, 0.60], points=True)
    assert ev.summary() == f"+1.50 points (95 % interval {ev._span()}; higher in 3 of 4 seeds)"
    assert "−" in ev.summary(), "the interval covers 0 here, and its lower bound shows a true minus"


def test_seeds_on_an_axis_and_a_margin():
    runs = np.array([[0.90, 0.91, 0.92], [0.80, 0.80, 0.81]])  # setting, seed
    ev = paired(runs[0], runs[1], margin=0.05, points=True, what="A minus B")
    assert ev.statistic == pytest.approx(0.1067, abs=1e-4) and ev.holds
    assert "A minus B: paired over 3 seeds: +10.7 points, 95 % interval +9.2 to +12.1" in ev.description() and "must clear +5.0 points" in ev.description()
    assert not paired(runs[0], runs[1], margin=0.2).holds
    by_axis = paired(runs[:, None, :], runs[::-1, None, :], axis=-1)  # seeds on the last axis
    assert by_axis.seeds == 6


def test_the_test_set_term_widens_the_interval():
    a, b = np.array([0.92, 0.93, 0.925]), np.array([0.90, 0.91, 0.905])  # constant difference: no seed spread
    seeds_only = paired(a, b)
    with_examples = paired(a, b, examples=1000)
    binomial = (0.925 * 0.075 + 0.905 * 0.095) / 1000  # the two proportions' variances, added
    assert seeds_only.example_var == 0 and with_examples.example_var == pytest.approx(binomial)
    assert with_examples.examples == 1000 and "and 1,000 test examples" in with_examples.description()
    low, high = with_examples.interval
    assert high - low == pytest.approx(2 * 1.9623 * math.sqrt(binomial), rel=1e-2)  # df ≈ examples
    assert high - low > np.ptp(seeds_only.interval)


def test_a_difference_of_shares_never_reaches_past_one():
    shortcut, clean = np.array([0.99, 0.40, 0.98]), np.array([0.0, 0.0, 0.01])  # one seed resisted
    ev = paired(shortcut, clean, points=True)
    low, high = ev.interval
    assert high == 1.0 and low > -1.0, "the normal approximation runs past +100 points; the share cannot"
    assert "to +100" in ev.description() and ev.sound == (low > 0)
    plain = paired(shortcut * 100, clean * 100)  # the same numbers, not shares: not cut
    assert plain.interval[1] > 100


def test_the_test_set_term_from_per_example_correctness():
    rng = np.random.default_rng(0)
    truth = rng.random((3, 400)) < 0.9
    other = truth.copy()
    other[:, :20] = ~other[:, :20]  # the same 20 examples flip on every seed
    ev = paired(truth.mean(1), other.mean(1), examples=(truth, other))
    diff = (truth.astype(float) - other).mean(0)
    assert ev.examples == 400 and ev.example_var == pytest.approx(np.var(diff, ddof=1) / 400)
    assert ev.statistic == pytest.approx(diff.mean())


def test_equivalence_needs_both_one_sided_tests():
    a = np.array([0.910, 0.912, 0.915, 0.913, 0.911])
    same = equivalent(a, a - np.array([0.001, -0.001, 0.0, 0.002, -0.002]), margin=0.01)
    assert same.holds and same.sound and same.level == pytest.approx(0.90)
    assert same.verdict.startswith("equivalent within ±")
    noisy = equivalent(a, a - np.array([0.02, -0.02, 0.015, -0.018, 0.0]), margin=0.01)
    assert noisy.holds and not noisy.sound and noisy.verdict == "not shown equivalent"
    unclear = paired(a, a - np.array([0.02, -0.02, 0.015, -0.018, 0.0]))
    assert unclear.verdict.startswith("no clear difference"), "covering 0 is not the same as equivalent"
    with pytest.raises(ValueError):
        equivalent(a, a, margin=0)


def test_a_trend_by_hand():
    x = [1, 2, 3, 4]
    y = np.array([[1.0, 2.0, 3.0, 4.0], [1.0, 2.5, 3.0, 4.5], [2.0, 1.5, 4.0, 5.0]])
    ev = trend(x, y)
    slopes = [1.0, 1.1, 5.75 / 5]  # least squares, seed by seed: Σ(x − x̄)(y − ȳ) / Σ(x − x̄)²
    assert ev.per_seed == pytest.approx(slopes) and ev.wins == 2, "two seeds rise at every step"
    se = np.std(slopes, ddof=1) / math.sqrt(3)
    assert ev.interval == pytest.approx((np.mean(slopes) - 4.3027 * se, np.mean(slopes) + 4.3027 * se), abs=1e-3)
    assert ev.holds and ev.sound and "increasing at every step in 2 of 3" in ev.description()
    assert not trend(x, y, increasing=False).holds


# -- audits: each with a planted claim that must fail and a sound one that must pass ----------

SOUND = paired([0.95, 0.96, 0.955, 0.958, 0.951], [0.90, 0.91, 0.902, 0.909, 0.905])


def test_a_sound_claim_passes_every_audit():
    assert SOUND.passes
    assert [v for v, _ in SOUND.audits().values()] == ["pass", "pass", "pass"]


def test_fragile_a_claim_inside_its_own_uncertainty():
    planted = paired([0.91, 0.95, 0.90], [0.90, 0.90, 0.91])  # mean +1.7 points, but one seed goes the other way
    assert planted.holds and not planted.passes
    verdict, reason = planted.audits()["fragile"]
    assert verdict == "fail" and "does not clear" in reason


def test_fragile_an_interval_without_width():
    """A share of 1 on few examples: every seed and every bootstrap resample say 1, so the
    resampled interval is [1, 1] and would clear any margin; the audit refuses it."""
    correct = np.ones((5, 28))  # 28 of 28 right in each of 5 seeds
    planted = resampled(lambda rows: correct[:, rows].mean(axis=1), 28, margin=0.9, what="precision")
    assert planted.holds and planted.sound and planted.interval == (1.0, 1.0)
    verdict, reason = planted.audits()["fragile"]
    assert verdict == "fail" and "no width" in reason and not planted.passes
    one_wrong = correct.copy()
    one_wrong[:, 0] = 0  # 27 of 28: the resamples now vary, and the interval has a width
    low, high = resampled(lambda rows: one_wrong[:, rows].mean(axis=1), 28, margin=0.9).interval
    assert low < high


def test_one_seed_decides():
    planted = paired([1.0, 1.0, 1.0, 1.0, 9.0], [1.02, 1.01, 1.03, 1.02, 1.0], margin=0.5)
    assert planted.holds, "the mean clears the margin, all of it from seed 5"
    verdict, reason = planted.audits()["one seed decides"]
    assert verdict == "fail" and "without seed 5" in reason
    assert SOUND.audits()["one seed decides"][0] == "pass"
    direction_from_one = paired([0.2, 0.1, -0.1, 0.0, 0.9], [0.0] * 5, margin=0.1)
    assert direction_from_one.holds and not direction_from_one.left_out(4).decided
    assert "without seed 5" in direction_from_one.audits()["one seed decides"][1]


def test_wins_count_seeds_beyond_the_margin():
    ev = paired([0.3, 0.6, 0.7, 0.8, 0.9], [0.0] * 5, margin=0.5)
    assert ev.wins == 4 and ev.description().endswith("higher in 4 of 5")
    assert ev.swapped().wins == 0


def test_cannot_fail_with_the_groups_swapped():
    a, b = [0.900, 0.901, 0.899, 0.900], [0.900, 0.900, 0.900, 0.901]
    planted = paired(a, b, margin=-0.01)  # "a is at most a point below b": true both ways round
    assert planted.holds and planted.sound
    verdict, reason = planted.audits()["cannot fail"]
    assert verdict == "fail" and "the groups swapped" in reason
    assert SOUND.audits()["cannot fail"] == ("pass", "fails, as it should, with the groups swapped (a weak control: "
                                                     "the experiment declares no natural one)")


def test_cannot_fail_on_a_stated_control():
    trained, untrained = [0.95, 0.965, 0.955], [0.10, 0.11, 0.105]  # differences that vary
    chance = [0.05, 0.05, 0.05]
    planted = paired(untrained, chance, control=(untrained, chance), control_name="the untrained network")
    assert planted.audits()["cannot fail"] == ("fail", "the same test also passes with the untrained network")
    sound = paired(trained, untrained, control=(untrained, untrained), control_name="the untrained network")
    assert sound.audits()["cannot fail"][0] == "pass" and sound.passes


def test_left_out_and_swapped():
    ev = paired([3.0, 5.0, 4.0], [1.0, 2.0, 2.0])
    assert ev.left_out(1).per_seed == (2.0, 2.0) and ev.swapped().statistic == pytest.approx(-ev.statistic)


# -- claims: stored, validated, rendered ------------------------------------------------------

def test_claims_are_stored_as_plain_json_and_validated_strictly():
    stored = render.stored_value(SOUND.claim("A ends above B"))
    assert render._is_value(stored) and render.is_rendered("values", {"x": stored})
    assert set(stored["evidence"]["audits"]) == set(render.AUDIT_NAMES)
    import json

    assert render._is_value(json.loads(json.dumps(stored))), "a JSON round trip keeps the shape"
    assert render._is_value(render.stored_value(claim(True, "legacy")))
    assert render.stored_value(fact("the network has 2 layers")) == {"fact": "the network has 2 layers"}
    for bad in ({**stored, "extra": 1}, {**stored, "evidence": {**stored["evidence"], "seeds": "3"}},
                {**stored, "evidence": {**stored["evidence"], "audits": {"fragile": ["pass", "x"]}}},
                {"fact": 3}):
        assert not render._is_value(bad)
    assert evidence.claim(SOUND, "x") == SOUND.claim("x")


def test_the_hover_states_what_was_tested():
    page = render.value_html(render.stored_value(SOUND.claim("A ends above B")), href="../evidence/#row")
    assert page.startswith('<a class="nnbook-claim nnbook-claim--checked"') and 'href="../evidence/#row"' in page
    assert 'title="Tested at build time: A ends above B. a minus b: paired over 5 seeds: +0.0496, 95 % interval +0.0465 to +0.0527;' in page
    assert 'higher in 5 of 5"' in page and page.count("Tested at build time") == 2, "title and aria-label"
    fragile = render.value_html(render.stored_value(paired([0.91, 0.95, 0.90], [0.90, 0.90, 0.91]).claim("up")))
    assert "nnbook-claim--unsupported" in fragile and "Fails: fragile" in fragile
    legacy = render.value_html(render.stored_value(claim(True, "it went down")))
    assert "bare condition, not yet stated with the rules of evidence: it went down" in legacy
    assert render.value_html(render.stored_value(fact("two <layers>"))) == "two &#60;layers&#62;"


# -- the build --------------------------------------------------------------------------------

@pytest.fixture
def evidenced():
    """A quick experiment (no training) in both profiles, with a sound, a fragile and a legacy claim."""
    registry.load()

    @registry.experiment("faults/seeds", seed=0, full={"n": 5}, smoke={"n": 5})
    def seeds(n: int, seed: int) -> dict:
        rng = np.random.default_rng(seed)
        return {"a": 0.9 + 0.01 * rng.random(n), "b": 0.8 + 0.01 * rng.random(n), "noise": rng.normal(0, 1, n)}

    @registry.values("faults/seeds-values", uses="faults/seeds")
    def seeds_values(r: dict) -> dict:
        return {"sound": paired(r["a"], r["b"], points=True, what="A minus B").claim("A ends above B"),
                "fragile": paired(r["noise"] + 0.05, r["noise"][::-1]).claim("the noise went up"),
                "legacy": claim(True, "the runs finished"),
                "layers": fact("both settings ran the same five seeds"),
                "empty-group": "–"}

    yield
    registry.EXPERIMENTS.pop("faults/seeds")
    registry.OUTPUTS.pop("faults/seeds-values")


PAGE = """\
# Page

A is better. {{ faults/seeds-values.sound }}
The noise went up. {{ faults/seeds-values.fragile }}
They finished. {{ faults/seeds-values.legacy }} {{ faults/seeds-values.layers }}.
"""


def test_a_fragile_claim_fails_a_full_build_with_page_and_line(tmp_path, evidenced, caplog):
    overrides = docs(tmp_path, PAGE)
    error = build_error(caplog, tmp_path / "site", tmp_path / "results", profile="full", **overrides)
    assert "docs/index.md:4: claim 'faults/seeds-values.fragile' fails the audit" in error
    assert "fragile (the interval's bound" in error and "the noise went up" in error
    assert "docs/index.md:5: claim 'faults/seeds-values.legacy' is untested: a bare condition" in error
    assert "index.md:3" not in error, "a sound claim passes; a fact is not tested"


def test_a_value_empty_for_its_results_fails_a_full_build(tmp_path, evidenced, caplog):
    overrides = docs(tmp_path, "# Page\n\nThe runs that covered every mode: {{ faults/seeds-values.empty-group }}.\n")
    error = build_error(caplog, tmp_path / "site", tmp_path / "results", profile="full", **overrides)
    assert "docs/index.md:3: value 'faults/seeds-values.empty-group' is empty for these results" in error


def test_the_evidence_page_lists_every_claim_and_the_marks_link_to_it(tmp_path, evidenced, caplog):
    caplog.set_level(logging.INFO)
    build_site(tmp_path / "site", tmp_path / "results", **docs(tmp_path, PAGE))  # smoke: audits are logged
    assert any("claim 'faults/seeds-values.fragile' fails the audit" in r.getMessage() and
               "fails only with full results" in r.getMessage() for r in caplog.records)
    page = (tmp_path / "site/index.html").read_text()
    anchor = render.claim_anchor("faults/seeds-values", "sound")
    assert f'href="evidence/home/#{anchor}"' in page and "nnbook-claim--unsupported" in page
    assert "both settings ran the same five seeds." in page
    index = (tmp_path / "site/evidence/index.html").read_text()
    assert 'href="home/"' in index, "the Evidence page links each page's list of claims"
    ledger = (tmp_path / "site/evidence/home/index.html").read_text()
    assert f'id="{anchor}"' in ledger and "A ends above B" in ledger and "index.md:3" in ledger
    assert "A minus B: paired over 5 seeds: +" in ledger and "one seed decides: <strong>pass</strong>" in ledger
    assert "the noise went up" in ledger and "fragile: <strong>fail</strong>" in ledger
    assert "the runs finished" in ledger and "not yet stated with the rules of evidence" in ledger
    assert "both settings ran" not in ledger, "a fact is not evidence"


def test_resampled_adds_the_bootstrap_term_of_a_statistic_without_per_example_arrays():
    rng = np.random.default_rng(1)
    right = rng.random((5, 2000)) < np.linspace(0.80, 0.84, 5)[:, None]  # five seeds, shared examples
    ev = evidence.resampled(lambda rows: right[:, rows].mean(1) - 0.5, 2000, margin=0.2, what="accuracy minus 0.5")
    assert ev.per_seed == pytest.approx(tuple(right.mean(1) - 0.5))
    # what a bootstrap of the mean estimates: here the seeds' right answers are independent
    binomial = np.mean(right) * (1 - np.mean(right)) / 2000 / 5
    assert ev.example_var == pytest.approx(binomial, rel=0.35) and ev.examples == 2000
    assert ev.passes
    assert not evidence.resampled(lambda rows: right[:, rows].mean(1) - 0.5, 2000, margin=0.4).passes
    same = evidence.resampled(lambda rows: right[:, rows].mean(1) - right[:, rows].mean(), 2000, same=True,
                              margin=0.05)
    assert same.test == "equivalence" and same.sound
    batched = evidence.resampled(lambda rows: right[:, rows].mean(-1).T - 0.5, 2000, margin=0.2, batched=True)
    assert batched.per_seed == ev.per_seed and batched.example_var == pytest.approx(ev.example_var)


def test_an_equivalence_with_a_natural_control():
    stuck, learns, chance = [2.30, 2.31, 2.29, 2.30], [0.4, 0.5, 0.45, 0.42], [2.30] * 4
    sound = equivalent(stuck, chance, 0.1, control=(learns, chance), control_name="the network that learns")
    assert sound.passes and sound.audits()["cannot fail"] == (
        "pass", "fails, as it should, with the network that learns")
    planted = equivalent(stuck, chance, 0.1, control=(stuck, chance), control_name="a control that is stuck too")
    assert planted.audits()["cannot fail"][0] == "fail" and not planted.passes


def test_a_verdict_that_one_seed_undoes_is_read_as_such():
    steady = paired([0.62, 0.63, 0.61, 0.64, 0.62], [0.60, 0.60, 0.60, 0.61, 0.60])
    assert steady.verdict == steady.reading == "above 0"
    shaky = paired([0.63, 0.635, 0.64, 0.632, 0.70], [0.60] * 5)  # one seed carries the interval
    assert shaky.verdict == "above 0" and shaky.reading.startswith("above 0, but only just: without")
    unclear = paired([0.62, 0.58, 0.61], [0.60, 0.60, 0.60])
    assert unclear.reading == unclear.verdict
