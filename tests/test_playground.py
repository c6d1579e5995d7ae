"""The network exported for the "Draw a digit" page: what the experiment stores, the binary file
the browser reads, and the page that embeds it (browser checks are in test_browser.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nnbook import registry, render
from nnbook.figures.playground import _forward, _layers, live_values, no_digit_inputs

registry.load()


@pytest.fixture(scope="module")
def mlp(smoke_book) -> dict:
    return smoke_book.result("network/mlp").values


def read_asset(blob: bytes) -> tuple[dict, bytes]:
    length = int(np.frombuffer(blob[:4], "<u4")[0])
    return json.loads(blob[4:4 + length]), blob[4 + length:]


def test_the_experiment_exports_its_trained_weights_and_keras_outputs(mlp):
    shapes = [(784, 256), (256,), (256, 128), (128,), (128, 10), (10,)]
    for name, shape in zip(["w1", "b1", "w2", "b2", "w3", "b3"], shapes):
        assert mlp[name].shape == shape and mlp[name].dtype == np.float32, name
    pixels, probs = mlp["live_pixels"], mlp["live_probs"]
    assert pixels.dtype == np.uint8 and pixels.shape == (len(probs), 784) and pixels.max() > 200
    assert np.allclose(probs.sum(1), 1, atol=1e-5)
    labels = mlp["live_labels"]
    assert labels.shape == (len(probs),) and set(labels.tolist()) <= set(range(10))


def test_numpy_forward_pass_on_the_exported_weights_matches_keras(mlp):
    probs = _forward(_layers(mlp), mlp["live_pixels"].astype(np.float32) / 255)
    assert np.abs(probs - mlp["live_probs"]).max() < 1e-5
    assert (probs.argmax(1) == mlp["live_probs"].argmax(1)).all()


def test_the_asset_holds_the_weights_and_examples_where_its_header_says(smoke_book, mlp):
    made = registry.OUTPUTS["network/mlp-live"].func(mlp)
    name, blob, header = render.model_asset("network/mlp-live", made)
    assert name.startswith("network-mlp-live.") and name.endswith(".bin")
    assert render.model_asset("network/mlp-live", made)[0] == name, "named by its content, deterministically"
    read, body = read_asset(blob)
    assert read == header
    assert [(l["inputs"], l["units"], l["activation"]) for l in read["layers"]] == [
        (784, 256, "relu"), (256, 128, "relu"), (128, 10, "softmax")]
    floats = np.frombuffer(body[: 4 * 235_146], "<f4")
    assert np.array_equal(floats[: 784 * 256].reshape(784, 256), mlp["w1"])
    assert np.array_equal(floats[-10:], mlp["b3"])
    count = read["examples"]
    rest = body[4 * 235_146:]
    assert np.array_equal(np.frombuffer(rest[: 40 * count], "<f4").reshape(count, 10), mlp["live_probs"])
    assert np.array_equal(np.frombuffer(rest[40 * count: 40 * count + 784 * count], np.uint8).reshape(count, 784),
                          mlp["live_pixels"])
    assert np.array_equal(np.frombuffer(rest[-count:], np.uint8), mlp["live_labels"])
    assert len(rest) == count * (40 + 784 + 1)


@pytest.mark.parametrize("change, message", [
    (lambda layers: [(layers[0][0], layers[0][1], "gelu")] + layers[1:], "activation 'gelu'"),
    (lambda layers: [layers[0], (layers[2][0], layers[2][1], "softmax")], "does not take 256 inputs"),
])
def test_a_model_that_the_browser_cannot_run_is_refused(mlp, change, message):
    model = registry.LiveModel(change(_layers(mlp)), image=(28, 28))
    with pytest.raises(ValueError, match=message):
        render.model_asset("network/mlp-live", model)


def test_the_page_embeds_the_widget_and_ships_the_weights(built_site):
    page = (built_site / "playground/index.html").read_text()
    assert len(page) < 600_000
    assert page.count('class="nnbook-live"') == 1 and "::: nnbook" not in page
    asset = page.split('data-nnbook-asset="')[1].split('"')[0]
    size = (built_site / "assets/nnbook" / asset).stat().st_size
    assert f'data-nnbook-bytes="{size}"' in page
    assert (built_site / "assets/nnbook/live.js").is_file(), "nnbook.js loads it on pages with a live model"
    assert 'href="../playground/"' in (built_site / "network/index.html").read_text(), "linked from the network page"


def test_a_dot_and_a_line_are_idealised_inputs_made_in_code_and_read_as_some_digit(mlp):
    for name, x in no_digit_inputs().items():
        image = x.reshape(28, 28)
        ink_rows, ink_cols = np.flatnonzero(image.any(1)), np.flatnonzero(image.any(0))
        assert max(np.ptp(ink_rows), np.ptp(ink_cols)) + 1 == 20, f"the {name} fills the 20x20 box"
        centre = np.array([(image.sum(1) * np.arange(28)).sum(), (image.sum(0) * np.arange(28)).sum()]) / image.sum()
        assert np.allclose(centre, 13.5), f"the {name} is centred"
    found = live_values(mlp)
    for name in ("dot", "line"):
        assert found[f"{name}-answer"] in list("0123456789") and found[f"{name}-probability"].endswith("%")
    # the sizes the page states are the inputs' own
    assert (found["dot-width"], found["dot-height"], found["line-height"], found["line-width"]) == ("20", "20", "2", "20")
    assert int(found["line-pixels"]) == 40 and int(found["dot-pixels"]) == int(no_digit_inputs()["dot"].sum())


def test_the_build_refuses_weights_that_do_not_reproduce_keras(mlp):
    tampered = dict(mlp, b3=mlp["b3"] + np.eye(10, dtype=np.float32)[0])
    with pytest.raises(ValueError, match="do not reproduce"):
        live_values(tampered)


def test_the_blank_pixels_lie_as_deep_in_the_frame_as_the_page_says(mlp):
    depth = int(live_values(mlp)["blank-depth"])
    blank = (mlp["ink_share"] == 0).reshape(28, 28)
    inner = np.zeros((28, 28), bool)
    inner[depth:28 - depth, depth:28 - depth] = True
    assert blank.any() and not (blank & inner).any(), "no blank pixel lies deeper than the stated depth"
    inner[depth - 1:29 - depth, depth - 1:29 - depth] = True
    assert (blank & inner).any(), "the stated depth is the smallest that holds them all"


def test_the_browser_tests_use_the_tolerance_the_page_states():
    import re
    from pathlib import Path

    from nnbook.figures.playground import EXPORT_TOLERANCE
    source = (Path(__file__).parent / "test_browser.py").read_text()
    stated = re.search(r"^LIVE_TOLERANCE = ([0-9.e-]+)", source, re.M)
    assert stated and float(stated.group(1)) == EXPORT_TOLERANCE
