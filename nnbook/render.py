"""Outputs as page fragments: figures as HTML, tables as Markdown, plus provenance and errors.

Figures are rendered as the plot's box in the page and compact Plotly JSON (no template,
float32 typed arrays) in a static file named by its content, which `assets/nnbook.js`
fetches and draws when the figure comes near the viewport.
A live model becomes a widget and one binary file of weights that `assets/live.js` runs
in the browser.
Everything here is deterministic, so unchanged results give byte-identical pages.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from typing import Any, Sequence

from .lazy import numpy as np
from .registry import Claim, Trusted

FALLBACK_ROWS = 12
MAX_FIGURE_BYTES = 2_000_000  # one figure's data; past it the build fails, naming the figure
# The trace types of the plotly.js bundle the site serves (assets/vendor/plotly-nnbook.js).
PLOTLY_TRACE_TYPES = frozenset({"bar", "contour", "heatmap", "scatter"})


def slug(id: str) -> str:
    return "nnbook-" + re.sub(r"[^a-z0-9]+", "-", id.lower()).strip("-")


# Characters that HTML or Markdown (with the site's extensions: tables, attribute lists, math)
# would read as syntax: no link, image, emphasis, code, tag, cell or formula starts without
# one of them. In `text` they become character references, which show as the character itself.
_SYNTAX = str.maketrans({c: f"&#{ord(c)};" for c in "&<>\"'\\`*_[]{}#|$~^"})


def text(value: Any, one_line: bool = True) -> str:
    """A string from results as it goes into a page: plain text in HTML and in Markdown alike."""
    value = str(value)
    if one_line:
        value = " ".join(value.splitlines())
    return value.translate(_SYNTAX)


def provenance_line(p: dict[str, Any]) -> str:
    versions = p.get("versions", {})
    machine = p.get("machine")
    where = ""
    if machine:
        isa = "AVX-512" if "avx512f" in machine["isa"] else "AVX2" if "avx2" in machine["isa"] else machine["arch"]
        threads = int(machine["threads"])
        where = f" · {text(machine['cpu'])} ({text(isa)}), {threads} thread{'s' * (threads != 1)}"
    return (
        f"Experiment <code>{text(p['experiment'])}</code> · seed {int(p['seed'])} · "
        f"profile {text(p['profile'])} · ran {float(p['seconds']):.1f} s on {text(p['date'])} · "
        f"TensorFlow {text(versions.get('tensorflow', '?'))}, Keras {text(versions.get('keras', '?'))}"
        f"{where}"
        + "".join(f' · <a href="{html.escape(url)}">{text(label)} source</a>' for label, url in p.get("sources", []))
    )


TYPED = {"float32": "f4", "float64": "f8", "int8": "i1", "uint8": "u1", "int16": "i2", "uint16": "u2",
         "int32": "i4", "uint32": "u4"}  # the typed arrays plotly.js reads from base64


def _typed(array: np.ndarray) -> Any:
    """An array as plotly.js's base64 typed-array spec, float64 narrowed to float32."""
    if array.dtype == np.float64:
        array = array.astype(np.float32)
    elif array.dtype == np.int64 and array.size and np.abs(array).max() < 2**31:
        array = array.astype(np.int32)
    if array.dtype.name not in TYPED:
        return array.tolist()
    spec = {"dtype": TYPED[array.dtype.name], "bdata": base64.b64encode(np.ascontiguousarray(array).tobytes()).decode()}
    if array.ndim > 1:
        spec["shape"] = ", ".join(str(n) for n in array.shape)
    return spec


def _compact(value: Any, lists: bool = True) -> Any:
    """Numeric arrays of trace data as base64 typed arrays, float64 narrowed to float32 (half
    the bytes), whether plotly holds them as arrays, as its own base64 dicts, or (with `lists`)
    as long lists of floats. Layout keeps plain lists, which plotly.js expects there."""
    if isinstance(value, np.ndarray):
        return _typed(value) if lists and value.dtype.kind in "iuf" else value.tolist()
    if isinstance(value, dict):
        if value.get("dtype") == "f8" and isinstance(value.get("bdata"), str):
            array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.float64).astype(np.float32)
            return {**value, "dtype": "f4", "bdata": base64.b64encode(array.tobytes()).decode()}
        return {k: _compact(v, lists) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if lists and len(value) >= 8 and all(isinstance(v, float) for v in value):
            return _typed(np.asarray(value, dtype=np.float32))
        return [_compact(v, lists) for v in value]
    return value


def figure_json(fig: Any) -> str:
    """A Plotly figure as compact JSON without the template (styling comes from the page)."""
    from plotly.io.json import to_json_plotly

    spec = fig.to_plotly_json()
    spec["layout"].pop("template", None)
    spec = {"data": _compact(spec["data"]), "layout": _compact(spec["layout"], lists=False)}
    text = to_json_plotly(spec)
    if len(text) > MAX_FIGURE_BYTES:
        raise ValueError(f"its data is {len(text) / 1e6:.1f} MB, over the limit of {MAX_FIGURE_BYTES / 1e6:.0f} MB "
                         "per figure: subsample, quantise or split it")
    return text


def check_trace_types(fig: Any) -> None:
    """Fail when the figure uses a trace type that the site's plotly.js bundle cannot draw."""
    missing = sorted({t.type for t in fig.data} - PLOTLY_TRACE_TYPES)
    if missing:
        raise ValueError(f"trace type {', '.join(missing)} is not in the site's plotly.js bundle "
                         f"(it draws {', '.join(sorted(PLOTLY_TRACE_TYPES))}; nnbook/assets/vendor/README.md "
                         "says how to add one)")


def _cell(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{value:.4g}"
    return text(value)


def _sample(n: int) -> list[int]:
    if n <= FALLBACK_ROWS:
        return list(range(n))
    return sorted(set(np.linspace(0, n - 1, FALLBACK_ROWS).round().astype(int).tolist()))


def _html_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{text(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def fallback_table(fig: Any) -> str:
    """The figure's data as a small HTML table, for readers who cannot see the plot."""
    traces = [t for t in fig.data if t.visible is not False]
    lines = [t for t in traces if getattr(t, "x", None) is not None and getattr(t, "y", None) is not None
             and getattr(t, "z", None) is None]
    if lines and all(np.array_equal(np.asarray(t.x), np.asarray(lines[0].x)) for t in lines) and len(lines) <= 10:
        x = np.asarray(lines[0].x)
        if x.ndim == 1 and x.dtype.kind in "iufUO":
            header = [fig.layout.xaxis.title.text or "x"] + [t.name or f"trace {i + 1}" for i, t in enumerate(lines)]
            rows = [[x[i]] + [np.asarray(t.y)[i] for t in lines] for i in _sample(len(x))]
            note = f"{len(x)} points per series" + (f", {len(rows)} shown" if len(rows) < len(x) else "")
            return _html_table(header, rows) + f"<p>{note}.</p>"
    rows = []
    for i, t in enumerate(traces):
        data = getattr(t, "z", None)
        if data is None:
            data = getattr(t, "y", None)
        if data is None:
            data = getattr(t, "values", None)
        arr = np.asarray(data, dtype=float) if data is not None else np.zeros(0)
        arr = arr[np.isfinite(arr)] if arr.size else arr
        stats = [arr.size, arr.min(), arr.mean(), arr.max()] if arr.size else [0, "", "", ""]
        rows.append([t.name or f"trace {i + 1}", t.type] + stats)
    return _html_table(["series", "kind", "values", "min", "mean", "max"], rows)


def with_asset(page: str, asset: str, content: bytes) -> dict[str, str]:
    """A page fragment and the static file it loads (`asset`, under the site's `assets/nnbook/`),
    in the JSON-ready form the render cache stores."""
    return {"html": page, "asset": asset, "bytes": base64.b64encode(content).decode()}


def figure_html(id: str, fig: Any, caption: str, provenance: dict[str, Any],
                data: tuple[Sequence[str], Sequence[Sequence[Any]]] | None = None) -> dict[str, str]:
    """The `<figure>` block a page embeds: plot, caption, provenance and a data table
    (`data` as `(header, rows)` when the figure function gives one, else read off the traces),
    with the Plotly JSON as a file named by its content, which nnbook.js fetches when the
    figure comes near the viewport (see `with_asset`)."""
    from nnbook.figures.style import colour_bars, narrow_layout

    check_trace_types(fig)
    narrow = narrow_layout(colour_bars(fig))
    fig.update_layout(meta={"nnbook": {"narrow": {"layout": narrow["layout"], "traces": narrow["traces"]}}})
    spec = figure_json(fig)
    name = hashlib.sha256(spec.encode()).hexdigest()[:20]
    anchor = slug(id)
    table = _html_table(*data) if data else fallback_table(fig)
    height = int(fig.layout.height or 440)
    boxes = f"--nnbook-height:{height}px;--nnbook-narrow-height:{narrow['height']}px"  # see nnbook.css
    page = (  # the plot is named by its caption, without repeating it; the data table follows the figure
        f'<figure class="nnbook-figure" id="{anchor}">'
        f'<div class="nnbook-plot" data-nnbook-spec="{name}" data-nnbook-id="{html.escape(id)}" role="group" '
        f'aria-roledescription="interactive plot" aria-labelledby="{anchor}-caption" style="{boxes}"></div>'
        f'<figcaption><span id="{anchor}-caption">{caption_html(caption)}</span>'
        f'<span class="nnbook-provenance">{provenance_line(provenance)}</span></figcaption></figure>'
        f"<details class=\"nnbook-fallback\" data-search-exclude><summary>The data behind this figure</summary>"
        f"{table}</details>"
    )
    return with_asset(page, f"figures/{name}.json", spec.encode())


class _Scalars(dict):
    """A caption's view of the results: only scalars, as plain Python numbers and strings."""

    def __missing__(self, name: str) -> Any:
        raise KeyError(f"the caption names {{{name}}}, which is not a result of its experiment")


def fill_caption(caption: str, results: dict[str, Any]) -> str:
    """The caption with each `{name}` (or `{name:,}`, any format spec) replaced by the scalar
    result `name`: counts of seeds, epochs and examples come from the results, not from typing.
    `{{` and `}}` stand for literal braces."""
    if "{" not in caption and "}" not in caption:
        return caption
    scalars = _Scalars()
    for name, value in results.items():
        size = getattr(value, "size", 1)
        if size == 1:
            scalars[name] = value.item() if hasattr(value, "item") else value
    try:
        return caption.format_map(scalars)
    except (ValueError, IndexError) as e:
        raise ValueError(f"caption {caption!r}: {e}") from None


def caption_html(caption: str) -> str:
    """Captions allow `code` and *emphasis*; everything else is escaped."""
    text = html.escape(caption)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    return re.sub(r"\*([^*]+)\*", r"<em>\1</em>", text)


def table_markdown(id: str, header: Sequence[str], rows: Sequence[Sequence[Any]], caption: str,
                   provenance: dict[str, Any]) -> str:
    """A Markdown table (styled like every other table of the site) with its caption."""
    def cell(value: Any) -> str:  # strings from results never become markup; see `Trusted`
        return " ".join(value.splitlines()).replace("|", "\\|") if isinstance(value, Trusted) else text(value)

    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    note = (f'<p class="nnbook-table-caption" id="{slug(id)}">{caption_html(caption)}'
            f'<span class="nnbook-provenance">{provenance_line(provenance)}</span></p>')
    return "\n".join(lines) + "\n\n" + note


def stored_value(value: Any) -> Any:
    """A `@values` entry as it is cached: a string; a claim as `{"claim": text, "holds": bool}`,
    with `"evidence"` (see `Evidence.stored`) when a test backs it; a fact as `{"fact": text}`;
    or Markdown the figure module wrote itself as `{"trusted": markdown}`."""
    if isinstance(value, Claim) and value.fact:
        return {"fact": str(value.text)}
    if isinstance(value, Claim):
        stored = {"claim": str(value.text), "holds": bool(value.holds)}
        return stored | ({"evidence": value.evidence.stored()} if value.evidence is not None else {})
    if isinstance(value, Trusted):
        return {"trusted": str(value)}
    return str(value)


def is_claim(value: Any) -> bool:
    return isinstance(value, dict) and "claim" in value


def is_false_claim(value: Any) -> bool:
    return is_claim(value) and not value["holds"]


def failed_audits(value: Any) -> list[str]:
    """The audits a stored claim fails, each as 'name (reason)'; none for a claim without a test."""
    if not is_claim(value) or "evidence" not in value:
        return []
    return [f"{name} ({reason})" for name, (verdict, reason) in value["evidence"]["audits"].items()
            if verdict == "fail"]


def claim_anchor(output_id: str, name: str) -> str:
    """The id of a claim's row on the Evidence page."""
    return slug(f"claim {output_id} {name}")


def claim_state(value: dict[str, Any]) -> str:
    """'checked', 'contradicted', or 'unsupported' (true, but it fails an audit)."""
    if not value["holds"]:
        return "contradicted"
    return "unsupported" if failed_audits(value) else "checked"


def claim_hover(value: dict[str, Any]) -> str:
    """What a check mark says on hover and to screen readers: what was tested, in words."""
    evidence = value.get("evidence")
    if evidence is None:
        head = ("Claim checked against the results at build time as a bare condition, not yet "
                "stated with the rules of evidence")
        return f"{head}{'' if value['holds'] else ' (it does not hold)'}: {value['claim']}"
    state = {"checked": "Tested at build time", "contradicted": "Tested at build time and not borne out",
             "unsupported": "Tested at build time, but it fails an audit"}[claim_state(value)]
    audits = "; ".join(f"{name}: {reason}" for name, (verdict, reason) in evidence["audits"].items()
                       if verdict == "fail")
    return f"{state}: {value['claim']}. {evidence['description']}" + (f". Fails: {audits}" if audits else "")


MARKS = {"checked": "✓", "contradicted": "✗ not borne out", "unsupported": "? fails an audit"}  # words, not colour alone


def value_html(value: Any, href: str = "") -> str:
    """A value as it appears in prose: its text, a fact's sentence, a claim's check mark (a link
    to `href`, its row on the Evidence page, when given), or trusted Markdown."""
    if isinstance(value, dict) and "trusted" in value:
        return value["trusted"]
    if isinstance(value, dict) and "fact" in value:
        return text(value["fact"])
    if isinstance(value, dict):
        state = claim_state(value)
        title = text(claim_hover(value))
        attributes = f'class="nnbook-claim nnbook-claim--{state}" title="{title}" aria-label="{title}"'
        if href:
            return f'<a {attributes} href="{html.escape(href)}">{MARKS[state]}</a>'
        return f'<span {attributes} role="note">{MARKS[state]}</span>'
    return text(value)


EVIDENCE_KEYS = {"test": str, "description": str, "verdict": str, "statistic": float, "low": (float, type(None)),
                 "high": (float, type(None)), "level": float, "margin": float, "seeds": int, "examples": int,
                 "wins": int, "per_seed": list, "control": str, "audits": dict}
AUDIT_NAMES = ("fragile", "one seed decides", "cannot fail")


def _is_evidence(value: Any) -> bool:
    """The shape `Evidence.stored` writes, and nothing else."""
    if not isinstance(value, dict) or set(value) != set(EVIDENCE_KEYS):
        return False
    if not all(isinstance(value[k], t) and not isinstance(value[k], bool) for k, t in EVIDENCE_KEYS.items()):
        return False
    audits = value["audits"]
    return all(isinstance(v, float) for v in value["per_seed"]) and set(audits) == set(AUDIT_NAMES) and all(
        isinstance(a, list) and len(a) == 2 and a[0] in ("pass", "fail", "n/a") and isinstance(a[1], str)
        for a in audits.values())


def _is_value(value: Any) -> bool:
    if isinstance(value, str):
        return True
    if isinstance(value, dict) and set(value) in ({"claim", "holds"}, {"claim", "holds", "evidence"}):
        return isinstance(value["claim"], str) and isinstance(value["holds"], bool) \
            and ("evidence" not in value or _is_evidence(value["evidence"]))
    if isinstance(value, dict) and set(value) == {"fact"}:
        return isinstance(value["fact"], str)
    return isinstance(value, dict) and set(value) == {"trusted"} and isinstance(value["trusted"], str)


def is_rendered(kind: str, value: Any) -> bool:
    """Whether a cached rendering has the shape that `kind` renders to (else it is rendered again)."""
    if kind == "table":
        return isinstance(value, str)
    if kind == "values":
        return isinstance(value, dict) and all(isinstance(k, str) and _is_value(v) for k, v in value.items())
    return isinstance(value, dict) and set(value) == {"html", "asset", "bytes"} \
        and all(isinstance(v, str) for v in value.values()) and re.fullmatch(r"[\w./\-]+", value["asset"]) is not None


def error_box(title: str, detail: str) -> str:
    return (
        '<div class="admonition failure nnbook-error">'
        f'<p class="admonition-title">{text(title)}</p>'
        f"<pre><code>{text(detail, one_line=False)}</code></pre></div>"
    )


# -- live models: a small dense network the page runs in the browser ----------------------

ACTIVATIONS = ("relu", "sigmoid", "tanh", "linear", "softmax")  # what assets/live.js computes


def _model_arrays(model: Any) -> tuple[dict[str, Any], list[np.ndarray]]:
    """The model's header fields and its arrays in file order (float32 first, then bytes)."""
    layers, floats = [], []
    inputs = int(np.asarray(model.layers[0][0]).shape[0])
    for kernel, bias, activation in model.layers:
        kernel, bias = np.asarray(kernel, dtype=np.float32), np.asarray(bias, dtype=np.float32)
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation {activation!r} is not one of {', '.join(ACTIVATIONS)}")
        if kernel.shape != (inputs, bias.shape[0]):
            raise ValueError(f"layer {len(layers) + 1}: kernel {kernel.shape} does not take {inputs} inputs to "
                             f"{bias.shape[0]} units")
        layers.append({"inputs": inputs, "units": int(bias.shape[0]), "activation": activation})
        floats += [kernel, bias]
        inputs = int(bias.shape[0])
    rows, cols = model.image
    if rows * cols != layers[0]["inputs"]:
        raise ValueError(f"image {rows}x{cols} is not the {layers[0]['inputs']} inputs of the first layer")
    header: dict[str, Any] = {"layers": layers, "image": [int(rows), int(cols)], "examples": 0}
    arrays = floats
    if model.examples is not None:
        pixels = np.asarray(model.examples)
        if pixels.dtype != np.uint8 or pixels.ndim != 2 or pixels.shape[1] != layers[0]["inputs"]:
            raise ValueError("examples must be uint8 pixels, one row of inputs each")
        header["examples"] = int(len(pixels))
        classes = layers[-1]["units"]
        arrays = floats + [np.asarray(model.probabilities, dtype=np.float32).reshape(len(pixels), classes),
                           pixels, np.asarray(model.labels, dtype=np.uint8).reshape(len(pixels))]
    return header, arrays


def model_asset(id: str, model: Any) -> tuple[str, bytes, dict[str, Any]]:
    """A live model as one binary file: a little-endian uint32 header length, the JSON header
    (padded to 4 bytes) and then, back to back, each layer's float32 kernel (row-major,
    inputs x units) and bias, and, with examples, their float32 probabilities, uint8 pixels and
    uint8 labels. Returns the content-derived file name, its bytes and the header."""
    header, arrays = _model_arrays(model)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 4)
    body = b"".join(np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes() for a in arrays)
    blob = np.uint32(len(text)).astype("<u4").tobytes() + text + body
    name = f"{slug(id).removeprefix('nnbook-')}.{hashlib.sha256(blob).hexdigest()[:12]}.bin"
    return name, blob, header


def model_html(id: str, asset: str, size: int, header: dict[str, Any], caption: str,
               provenance: dict[str, Any]) -> str:
    """The widget a page embeds: `assets/live.js` builds it and fetches `asset` (`size` bytes, from
    the site's `assets/nnbook/`) only when it comes near the viewport."""
    layers = header["layers"]
    sizes = ",".join(str(n) for n in [layers[0]["inputs"]] + [layer["units"] for layer in layers])
    attributes = {"model": provenance["experiment"], "asset": asset, "bytes": size, "sizes": sizes,
                  "activations": ",".join(layer["activation"] for layer in layers),
                  "image": ",".join(str(n) for n in header["image"])}
    data = " ".join(f'data-nnbook-{k}="{html.escape(str(v))}"' for k, v in attributes.items())
    return (
        f'<figure class="nnbook-live" id="{slug(id)}" {data}>'
        '<div class="nnbook-live-body"><p class="nnbook-live-status">This drawing pad runs the network in your '
        "browser and needs JavaScript.</p></div>"
        f"<figcaption>{caption_html(caption)}"
        f'<span class="nnbook-provenance">{provenance_line(provenance)}</span></figcaption></figure>'
    )


# -- the live training widget: presets the page trains in the browser -----------------------

ASSET_DTYPES = {"float32": "f4", "float64": "f8", "uint8": "u1"}  # what assets/trainer.js reads


def _padded(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 8)


def trainer_asset(id: str, trainer: Any) -> tuple[str, bytes, dict[str, Any]]:
    """The presets as one binary file: a little-endian uint32 header length, the JSON header
    (`{"presets": settings by name, "arrays": [{"name", "dtype", "length"}]}`), then each array
    little-endian, each part padded to 8 bytes. Returns the content-derived name, bytes, header."""
    arrays, parts = [], []
    for name in sorted(trainer.arrays):
        array = np.asarray(trainer.arrays[name])
        if array.dtype.name not in ASSET_DTYPES:
            raise ValueError(f"array {name} is {array.dtype}, not one of {', '.join(ASSET_DTYPES)}")
        if name.split(".")[0] not in trainer.presets:
            raise ValueError(f"array {name} belongs to no preset")
        arrays.append({"name": name, "dtype": ASSET_DTYPES[array.dtype.name], "length": int(array.size)})
        parts.append(_padded(np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()))
    header = {"presets": trainer.presets, "arrays": arrays}
    text = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    blob = _padded(np.uint32(len(text)).astype("<u4").tobytes() + text) + b"".join(parts)
    name = f"{slug(id).removeprefix('nnbook-')}.{hashlib.sha256(blob).hexdigest()[:12]}.bin"
    return name, blob, header


def trainer_html(id: str, asset: str, size: int, caption: str, provenance: dict[str, Any]) -> str:
    """The widget a page embeds: `assets/trainer.js` builds it and fetches `asset` (`size` bytes)
    only when it comes near the viewport."""
    return (
        f'<figure class="nnbook-trainer" id="{slug(id)}" data-nnbook-asset="{html.escape(asset)}" '
        f'data-nnbook-bytes="{size}">'
        '<div class="nnbook-trainer-body"><p class="nnbook-trainer-status">This widget trains a network in your '
        "browser and needs JavaScript.</p></div>"
        f"<figcaption>{caption_html(caption)}"
        f'<span class="nnbook-provenance">{provenance_line(provenance)}</span></figcaption></figure>'
    )
