"""The training widget's presets as Keras trained them (smoke profile), the file the page loads,
and the page that embeds the widget (browser checks are in test_widget_browser.py)."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from nnbook import registry, render
from nnbook.experiments.trainer import PRESETS, batch_orders, mulberry32, split

registry.load()


@pytest.fixture(scope="module")
def presets(smoke_book) -> dict:
    return smoke_book.result("trainer/presets").values


def test_every_preset_stores_its_data_weights_and_a_loss_per_step(presets):
    assert set(presets["presets"]) == set(PRESETS)
    for name, settings in presets["presets"].items():
        n = len(presets[f"{name}.y_train"])
        assert presets[f"{name}.x_train"].shape == (n, 2) and presets[f"{name}.x_train"].dtype == np.float32
        held = len(presets[f"{name}.y_test"])
        assert held == round(settings["test"] * settings["points"]) and n + held == settings["points"]
        sizes = [2, *settings["layers"], 1]
        kernels = [presets[f"{name}.w{2 * i}"] for i in range(len(sizes) - 1)]
        assert [k.shape for k in kernels] == list(itertools.pairwise(sizes))
        assert all(k.dtype == np.float32 for k in kernels), "stored exactly as the page reads them"
        batches = math.ceil(n / settings["batch"]) if settings["batch"] else 1
        steps = presets[f"{name}.steps"]
        assert steps.dtype == np.float64 and len(steps) == settings["epochs"] * batches, name
        assert presets[f"{name}.train_loss"].shape == presets[f"{name}.test_loss"].shape == (settings["epochs"] + 1,)
        assert np.isfinite(steps).all() and (steps > 0).all()
        assert presets[f"{name}.test_probs"].shape == (held,)


def test_a_full_batch_step_records_the_loss_before_its_update(presets):
    for name, settings in presets["presets"].items():
        if not settings["batch"]:  # its first step's batch is the whole training set, at the initial weights
            assert presets[f"{name}.steps"][0] == pytest.approx(presets[f"{name}.train_loss"][0], abs=1e-12), name
            assert presets[f"{name}.steps"][1] < presets[f"{name}.steps"][0], f"{name}: the first update lowers the loss"


def test_training_lowers_the_training_loss_of_every_preset(presets):
    for name in presets["presets"]:
        train = presets[f"{name}.train_loss"]
        assert train[-1] < train[0], name


def test_the_stored_data_are_the_presets_data(presets):
    for name, settings in presets["presets"].items():
        x_train, _, _, y_test = split(settings)
        assert np.array_equal(x_train, presets[f"{name}.x_train"]) and np.array_equal(y_test, presets[f"{name}.y_test"])


def test_sigmoid_and_relu_presets_start_from_the_same_weights(presets):
    """The activations page links the pair as the same network, start and rate but for the activation."""
    stall, trains = presets["presets"]["sigmoid-stalls"], presets["presets"]["relu-trains"]
    assert {k: v for k, v in stall.items() if k != "activation"} == {k: v for k, v in trains.items() if k != "activation"}
    for i in range(2 * len(stall["layers"]) + 2):
        assert np.array_equal(presets[f"sigmoid-stalls.w{i}"], presets[f"relu-trains.w{i}"])


def test_mulberry32_and_the_shuffle_are_the_pages():
    # the first numbers assets/trainer.js draws from mulberry32(42), printed by Node
    rand = mulberry32(42)
    assert [next(rand) for _ in range(3)] == [0.6011037519201636, 0.44829055899754167, 0.8524657934904099]
    orders = batch_orders(10, 3)
    first, second = next(orders), next(orders)
    assert sorted(first) == list(range(10)) and first != second != list(range(10))


def read_asset(blob: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    length = int(np.frombuffer(blob[:4], "<u4")[0])
    header = json.loads(blob[4:4 + length])
    offset, arrays = -(-(4 + length) // 8) * 8, {}
    for a in header["arrays"]:
        dtype = np.dtype("<" + a["dtype"])
        arrays[a["name"]] = np.frombuffer(blob[offset:offset + a["length"] * dtype.itemsize], dtype)
        offset += -(-a["length"] * dtype.itemsize // 8) * 8
    assert offset == len(blob)
    return header, arrays


def test_the_asset_holds_every_preset_where_its_header_says(presets):
    made = registry.OUTPUTS["trainer/widget"].func(presets)
    name, blob, header = render.trainer_asset("trainer/widget", made)
    assert name.startswith("trainer-widget.") and name.endswith(".bin")
    assert render.trainer_asset("trainer/widget", made)[0] == name, "named by its content"
    read, arrays = read_asset(blob)
    assert read == json.loads(json.dumps(header)) and read["presets"] == presets["presets"]
    for key, array in arrays.items():
        assert np.array_equal(array, presets[key].ravel()), key
    assert {k.split(".")[0] for k in arrays} == set(PRESETS)


@pytest.mark.parametrize("change, message", [
    (lambda a: a | {"moons.steps": a["moons.steps"].astype(np.int64)}, "is int64"),
    (lambda a: a | {"nowhere.steps": a["moons.steps"]}, "belongs to no preset"),
])
def test_an_asset_the_page_cannot_read_is_refused(presets, change, message):
    made = registry.OUTPUTS["trainer/widget"].func(presets)
    with pytest.raises(ValueError, match=message):
        render.trainer_asset("trainer/widget", registry.LiveTrainer(made.presets, change(dict(made.arrays))))


def test_the_page_embeds_the_widget_and_ships_the_presets(built_site):
    page = (built_site / "trainer/index.html").read_text()
    assert page.count('class="nnbook-trainer"') == 1 and "::: nnbook" not in page
    asset = page.split('class="nnbook-trainer"')[1].split('data-nnbook-asset="')[1].split('"')[0]
    size = (built_site / "assets/nnbook" / asset).stat().st_size
    assert f'data-nnbook-bytes="{size}"' in page and size < 300_000
    assert (built_site / "assets/nnbook/trainer.js").is_file(), "nnbook.js loads it on pages with the widget"
    assert 'href="?preset=sigmoid-stalls"' in page
