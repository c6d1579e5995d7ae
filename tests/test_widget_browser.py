"""The training widget in headless Chromium: its engine repeats Keras's runs of every preset step
by step, the widget starts presets from Keras's weights and says how far it is from Keras, keeps
its state in the address, answers the keyboard and a finger, follows the palette and instant
navigation, and loads its presets only near the viewport."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator

import numpy as np
import pytest
from conftest import ROOT
from test_browser import Watched

from nnbook.experiments.trainer import MOMENTUM
from nnbook.figures.trainer import TOLERANCE

pytestmark = pytest.mark.browser

PAGE = "trainer/"
HOOK = "() => !!(window.nnbook && window.nnbook.trainer && window.nnbook.trainer.widgets)"
WIDGET = "nnbook.trainer.widgets()[0]"
READY = f"() => {HOOK[6:]} && !!{WIDGET} && !!{WIDGET}.run"



@pytest.fixture
def watched(browser, served_site) -> Iterator[Watched]:
    w = Watched(browser, served_site)
    yield w
    w.page.close()


@pytest.fixture(scope="module")
def keras_runs(smoke_book) -> dict:
    return smoke_book.result("trainer/presets").values


def committed_runs() -> dict | None:
    """The published book's Keras runs (results/full), read only, when they are current."""
    from nnbook.book import Book

    book = Book(ROOT / "results", "full", read_only=True)
    key = book.key("trainer/presets")
    return book.store.load("trainer/presets", key).values if book.store.path("trainer/presets", key).is_file() else None


def open_widget(watched, query: str = ""):
    watched.open(PAGE + query)
    watched.page.locator(".nnbook-trainer").scroll_into_view_if_needed()
    watched.page.wait_for_function(READY)
    return watched.page


def spec(r: dict, name: str, **changes) -> dict:
    """The hook's spec for preset `name`: its data, Keras's initial weights, its settings."""
    p = r["presets"][name]
    weights = [r[f"{name}.w{i}"].astype(float).tolist() for i in range(2 * len(p["layers"]) + 2)]
    optimizer = ({"name": "adam", "learning_rate": p["rate"]} if p["optimizer"] == "adam" else
                 {"name": "sgd", "learning_rate": p["rate"], "momentum": MOMENTUM if p["optimizer"] == "momentum" else 0})
    return {"x": r[f"{name}.x_train"].astype(float).tolist(), "y": r[f"{name}.y_train"].astype(int).tolist(),
            "layers": [{"units": u, "activation": p["activation"]} for u in p["layers"]] + [
                {"units": 1, "activation": "sigmoid"}],
            "weights": weights, "loss": "binary_crossentropy", "optimizer": optimizer, "batch_size": p["batch"],
            "steps": len(r[f"{name}.steps"]), "l2": p["l2"], "seed": p["seed"]} | changes


def probabilities(weights: list, activation: str, x: np.ndarray) -> np.ndarray:
    """The network's outputs in float64 NumPy, for weights as the hook returns them."""
    a = x.astype(np.float64)
    for i in range(0, len(weights), 2):
        a = a @ np.asarray(weights[i]) + np.asarray(weights[i + 1])
        last = i == len(weights) - 2
        name = "sigmoid" if last else activation
        a = {"relu": lambda v: np.maximum(v, 0), "tanh": np.tanh, "linear": lambda v: v,
             "sigmoid": lambda v: 1 / (1 + np.exp(-v))}[name](a)
    return a[:, 0]


@pytest.mark.parametrize("profile", ["smoke", "full"])
def test_the_engine_repeats_keras_step_by_step_for_every_preset(watched, keras_runs, profile):
    if profile == "full":
        keras_runs = committed_runs()
        if keras_runs is None:
            pytest.skip("results/full holds no current trainer/presets result: run nnbook figures trainer")
    page = open_widget(watched)
    rows = []
    for name, p in keras_runs["presets"].items():
        got = page.evaluate("spec => nnbook.trainer.train(spec)", spec(keras_runs, name))
        keras = keras_runs[f"{name}.steps"]
        assert len(got["loss"]) == len(keras)
        worst = float(np.abs(np.asarray(got["loss"]) - keras).max())
        probs = probabilities(got["weights"], p["activation"], keras_runs[f"{name}.x_test"])
        surface = float(np.abs(probs - keras_runs[f"{name}.test_probs"]).max())
        rows.append(f"{name:15s} {len(keras):5d} steps  loss within {worst:.1e}  test outputs within {surface:.1e}")
        assert worst < TOLERANCE, f"{name}: the loss differs from Keras's by {worst:.2e}"
        assert surface < TOLERANCE, f"{name}: the final outputs on the test points differ by {surface:.2e}"
        assert ((probs > 0.5) == (keras_runs[f"{name}.test_probs"] > 0.5)).all(), f"{name}: another class somewhere"
    print("\n" + "\n".join(rows))
    assert watched.errors == []


@pytest.mark.parametrize("change", [{"l2": 0.001}, {"seed": 99}, {"optimizer": {"name": "adam", "learning_rate": 0.0101}}])
def test_the_agreement_check_sees_a_different_run(watched, keras_runs, change):
    page = open_widget(watched)
    got = page.evaluate("spec => nnbook.trainer.train(spec)", spec(keras_runs, "moons", **change))
    assert np.abs(np.asarray(got["loss"]) - keras_runs["moons.steps"]).max() > TOLERANCE


def test_the_hook_refuses_a_spec_it_cannot_train_and_says_why(watched, keras_runs):
    page = open_widget(watched)
    bad = spec(keras_runs, "xor", layers=[{"units": 4, "activation": "gelu"}, {"units": 1, "activation": "sigmoid"}])
    message = page.evaluate("spec => nnbook.trainer.train(spec).then(() => 'trained', e => e.message)", bad)
    assert "gelu" in message
    short = spec(keras_runs, "xor", weights=spec(keras_runs, "xor")["weights"][:2])
    assert "kernel and a bias per layer" in page.evaluate(
        "spec => nnbook.trainer.train(spec).then(() => 'trained', e => e.message)", short)


def test_the_pages_random_numbers_are_the_experiments(watched):
    from nnbook.experiments.trainer import batch_orders, mulberry32

    page = open_widget(watched)
    rand = mulberry32(7)
    assert page.evaluate("() => { const r = nnbook.trainer.mulberry32(7); return [r(), r(), r(), r()]; }") == [
        next(rand) for _ in range(4)]
    orders = batch_orders(50, 5)
    python = [next(orders) for _ in range(3)]
    js = page.evaluate("""() => { const run = new nnbook.trainer.Run({sizes: [2, 1], activations: ['sigmoid'],
      weights: [[0, 0], [0]], optimizer: {name: 'sgd', learning_rate: 0.1}, x: new Array(100).fill(0),
      y: new Array(50).fill(0), batch: 10, seed: 5}), orders = [];
      for (let e = 0; e < 3; e++) { run.epoch(); orders.push(run.order.slice()); } return orders; }""")
    assert js == python


def step_epochs(page, count: int) -> None:
    for _ in range(count):
        page.click(".nnbook-trainer-buttons button:has-text('Step one epoch')")


def test_a_preset_starts_from_keras_weights_and_follows_keras_epoch_by_epoch(watched, keras_runs):
    page = open_widget(watched, "?preset=circles")
    epochs = keras_runs["presets"]["circles"]["epochs"]
    step_epochs(page, epochs)
    state = page.evaluate(f"() => ({{worst: {WIDGET}.worst, train: {WIDGET}.curves.train, test: {WIDGET}.curves.test,"
                          f" steps: {WIDGET}.run.stepLosses.length}})")
    assert state["steps"] == len(keras_runs["circles.steps"])
    assert np.abs(np.asarray(state["train"]) - keras_runs["circles.train_loss"]).max() < TOLERANCE
    assert np.abs(np.asarray(state["test"]) - keras_runs["circles.test_loss"]).max() < TOLERANCE
    assert 0 <= state["worst"] < TOLERANCE
    text = page.locator(".nnbook-trainer-curves .nnbook-trainer-status").inner_text()
    assert f"Keras trained this preset for {epochs} epochs" in text and "largest difference" in text
    assert page.locator(".nnbook-trainer-legend").inner_text().count("Keras") == 2
    units = page.locator(".nnbook-trainer-units canvas").count()
    assert units == sum(keras_runs["presets"]["circles"]["layers"]), "a small surface for every hidden unit"
    assert watched.errors == [] and watched.outside == []


def test_the_state_lives_in_the_address(watched):
    page = open_widget(watched, "?preset=moons")
    page.select_option("#nnbook-trainer-widget-activation", "relu")
    page.wait_for_function("() => location.search.includes('activation=relu')")
    assert "preset=" not in page.evaluate("location.search")
    assert page.locator("#nnbook-trainer-widget-preset").input_value() == ""
    assert page.evaluate(f"{WIDGET}.keras") is None, "no Keras run for these settings"
    address = page.url
    page.goto(address)
    page.locator(".nnbook-trainer").scroll_into_view_if_needed()
    page.wait_for_function(READY)
    assert page.locator("#nnbook-trainer-widget-activation").input_value() == "relu"
    assert page.locator("#nnbook-trainer-widget-layers").input_value() == "8-8"
    assert page.evaluate(f"{WIDGET}.run.net.sizes") == [2, 8, 8, 1]
    page.select_option("#nnbook-trainer-widget-preset", "sigmoid-stalls")
    page.wait_for_function("() => location.search === '?preset=sigmoid-stalls'")
    assert page.evaluate(f"{WIDGET}.run.net.sizes") == [2, 8, 8, 8, 8, 1]
    assert watched.errors == []


def test_bad_input_gets_a_clear_message_and_loses_nothing(watched):
    page = open_widget(watched, "?preset=xor")
    step_epochs(page, 3)
    page.fill("#nnbook-trainer-widget-layers", "8-99")
    page.locator("#nnbook-trainer-widget-layers").dispatch_event("change")
    assert "1 to 16 units" in page.locator(".nnbook-trainer-error").inner_text()
    assert page.evaluate(f"{WIDGET}.curves.train.length") == 4, "the run goes on"
    assert page.evaluate("location.search") == "?preset=xor"
    page.goto(watched.base + PAGE + "?preset=xor&rate=banana")
    page.locator(".nnbook-trainer").scroll_into_view_if_needed()
    page.wait_for_function(READY)
    assert "Learning rate must be" in page.locator(".nnbook-trainer-error").inner_text()
    assert watched.errors == []


def test_the_keyboard_trains_and_pauses(watched):
    page = open_widget(watched, "?preset=moons")
    page.locator(".nnbook-trainer-buttons button").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => {WIDGET}.curves.train.length > 5")
    assert page.locator(".nnbook-trainer-buttons button").first.get_attribute("aria-pressed") == "true"
    page.keyboard.press("Space")
    page.wait_for_function(f"() => !{WIDGET}.playing")
    epochs = page.evaluate(f"{WIDGET}.curves.train.length")
    page.wait_for_timeout(200)
    assert page.evaluate(f"{WIDGET}.curves.train.length") == epochs, "paused"
    page.keyboard.press("Tab")  # to "Step one epoch"
    page.keyboard.press("Enter")
    assert page.evaluate(f"{WIDGET}.curves.train.length") == epochs + 1
    assert watched.errors == []


def test_a_finger_works_it_on_a_phone(browser, served_site):
    context = browser.new_context(viewport={"width": 400, "height": 800}, has_touch=True, is_mobile=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(served_site + PAGE + "?preset=spirals")
    page.locator(".nnbook-trainer").scroll_into_view_if_needed()
    page.wait_for_function(READY)
    page.tap(".nnbook-trainer-buttons button >> nth=0")
    page.wait_for_function(f"() => {WIDGET}.curves.train.length > 3")
    controls = page.locator(".nnbook-trainer-buttons button, .nnbook-trainer-controls select, .nnbook-trainer-controls input")
    for i in range(controls.count()):
        assert controls.nth(i).bounding_box()["height"] >= 44, "touch-sized controls"
    assert page.evaluate("document.documentElement.scrollWidth <= 400"), "nothing wider than the screen"
    surface = page.locator(".nnbook-trainer-surface").bounding_box()
    assert surface["width"] > 300
    assert errors == []
    context.close()


def test_links_open_the_widget_in_their_state_through_instant_navigation(watched):
    page = watched.page
    watched.open("activations/")
    page.evaluate("window.__sameDocument = true")
    page.click("article a[href$='trainer/?preset=sigmoid-stalls']")  # from another page
    page.wait_for_url("**/trainer/?preset=sigmoid-stalls")
    page.locator(".nnbook-trainer").scroll_into_view_if_needed()
    page.wait_for_function(f"() => {READY[6:]} && {WIDGET}.state.activation === 'sigmoid'")
    assert page.evaluate("window.__sameDocument === true"), "instant navigation did not engage"
    assert page.evaluate(f"{WIDGET}.keras.name") == "sigmoid-stalls"
    page.click("article a[href$='?preset=relu-trains']")  # on the widget's own page: in place
    page.wait_for_function(f"() => location.search === '?preset=relu-trains' && {WIDGET}.state.activation === 'relu'")
    assert page.evaluate("nnbook.trainer.widgets().length") == 1
    page.go_back()
    page.wait_for_function("() => { const w = nnbook.trainer.widgets()[0];"
                           " return !!(w && w.el.isConnected && w.state && w.state.activation === 'sigmoid'); }")
    corner = ("() => Array.from(document.querySelector('.nnbook-trainer-surface').getContext('2d')"
              ".getImageData(2, 2, 1, 1).data)")
    before = page.evaluate(corner)
    page.click("label[title='Switch to dark mode']")
    page.wait_for_function("() => document.body.getAttribute('data-md-color-scheme') === 'slate'")
    page.wait_for_timeout(100)
    assert page.evaluate(corner) != before, "the surface is redrawn in the dark palette"
    page.click("label[title='Switch to light mode']")
    assert watched.errors == [] and watched.outside == []


def test_the_presets_load_only_near_the_viewport(watched):
    page = watched.page
    assets: list[str] = []
    page.on("request", lambda r: r.url.endswith(".bin") and assets.append(r.url))
    page.add_init_script("""document.addEventListener('DOMContentLoaded', () => {
      const style = document.createElement('style');  /* the widget starts far below the fold */
      style.textContent = '.nnbook-trainer { margin-top: 3000px !important; }';
      document.head.appendChild(style);
    });""")
    watched.open(PAGE)
    page.wait_for_function(HOOK)
    page.wait_for_timeout(500)
    assert assets == []
    page.locator(".nnbook-trainer").scroll_into_view_if_needed()
    page.wait_for_function(READY)
    assert len(assets) == 1
    script = page.evaluate("() => fetch(document.querySelector('script[src$=\"trainer.js\"]').src).then(r => r.text())")
    size = int(page.evaluate("document.querySelector('.nnbook-trainer').dataset.nnbookBytes"))
    print(f"\ntrainer.js {len(script.encode()) / 1e3:.1f} kB, presets {size / 1e3:.1f} kB")


SPEED = "?data=moons&points=500&noise=0.2&test=0.1&layers=8-8&activation=tanh&optimizer=sgd&rate=0.1&batch=0&l2=0&seed=1"


def test_epochs_per_second_while_drawing(watched):
    """Measured, not asserted: a 2-8-8-1 network on 500 points (450 train), full batch, playing."""
    page = open_widget(watched, SPEED)
    assert page.evaluate(f"{WIDGET}.run.net.sizes") == [2, 8, 8, 1]
    page.click(".nnbook-trainer-buttons button >> nth=0")
    page.wait_for_timeout(300)
    start = page.evaluate(f"[{WIDGET}.curves.train.length, performance.now()]")
    page.wait_for_timeout(3000)
    end = page.evaluate(f"[{WIDGET}.curves.train.length, performance.now()]")
    rate = (end[0] - start[0]) / (end[1] - start[1]) * 1000
    compute = page.evaluate(f"{WIDGET}.timing.epochs / {WIDGET}.timing.ms * 1000")
    page.click(".nnbook-trainer-buttons button >> nth=0")
    drawing = page.evaluate(f"""() => {{ const w = {WIDGET}, start = performance.now();
      for (let i = 0; i < 20; i++) w.draw(); return (performance.now() - start) / 20; }}""")
    frames = page.evaluate("""() => new Promise(done => { let n = 0; const start = performance.now();
      (function tick() { if (++n < 30) requestAnimationFrame(tick); else done(30 / (performance.now() - start) * 1000); })(); })""")
    print(f"\n{rate:.0f} epochs per second while drawing, {compute:.0f} epochs per second of training alone, "
          f"{drawing:.1f} ms per drawing, {frames:.0f} animation frames per second idle")
    assert rate > 0 and math.isfinite(compute)
    assert json.loads(json.dumps(watched.errors)) == []
