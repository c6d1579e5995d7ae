/* Live models: a small dense network exported by an experiment, run in the reader's browser.

   Each `.nnbook-live` figure becomes a drawing pad: the drawing is prepared the way MNIST
   digits were (cropped to its ink, scaled into a 20x20 box keeping its aspect, centred by its
   centre of mass in the 28x28 frame) and goes through the network's layers in plain
   JavaScript. The weights (one binary file) load only when the widget comes near the viewport.

   Public hook: window.nnbook.models[name].predict(pixels) -> Promise of the output
   probabilities, for `pixels` the image's values in [0, 1], row by row. */
(function () {
  "use strict";
  var ns = window.nnbook = window.nnbook || {};  /* loaded after nnbook.js, which creates it */
  if (ns.live) return;

  var PAD = 280;        /* the pad's resolution in canvas pixels: 10 per input pixel */
  var PEN = 22;         /* pen width on the pad, about 2 input pixels once a digit fills the box... */
  var PEN_SHARE = 0.11; /* ...that is, this share of the drawing's size, so that a small drawing,
                           scaled up into the box, gets strokes as thin as a large one */
  var PEN_MIN = 4;      /* the thinnest pen, for a dot or a tiny drawing */
  var BOX = 20;         /* MNIST: each digit scaled to fit a 20x20 box... */
  var NEAR = "300px 0px"; /* ...and the weights load when the widget is this close to the viewport */
  var NAMES = { relu: "ReLU", sigmoid: "sigmoid", tanh: "tanh", linear: "linear" };
  var base = (document.currentScript && document.currentScript.src || "").replace(/[^/]*$/, "");

  /* -- the network ------------------------------------------------------------------------ */

  /* The binary file: uint32 header length, JSON header, then float32 kernels and biases layer by
     layer, and the examples' float32 probabilities, uint8 pixels and uint8 labels. */
  function parse(buffer) {
    var length = new DataView(buffer).getUint32(0, true);
    var header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, length)));
    var offset = 4 + length;
    function take(Type, count) {
      var array = new Type(buffer, offset, count);
      offset += count * Type.BYTES_PER_ELEMENT;
      return array;
    }
    var layers = header.layers.map(function (l) {
      return { inputs: l.inputs, units: l.units, activation: l.activation,
               kernel: take(Float32Array, l.inputs * l.units), bias: take(Float32Array, l.units) };
    });
    var count = header.examples, examples = null;
    if (count) {
      var classes = layers[layers.length - 1].units, inputs = layers[0].inputs;
      examples = { count: count, probabilities: take(Float32Array, count * classes),
                   pixels: take(Uint8Array, count * inputs), labels: take(Uint8Array, count) };
    }
    return { layers: layers, image: header.image, examples: examples };
  }

  function activate(y, name) {
    var i, n = y.length;
    if (name === "relu") {
      for (i = 0; i < n; i++) if (y[i] < 0) y[i] = 0;
    } else if (name === "sigmoid") {
      for (i = 0; i < n; i++) y[i] = 1 / (1 + Math.exp(-y[i]));
    } else if (name === "tanh") {
      for (i = 0; i < n; i++) y[i] = Math.tanh(y[i]);
    } else if (name === "softmax") {
      var top = -Infinity, sum = 0;
      for (i = 0; i < n; i++) top = Math.max(top, y[i]);
      for (i = 0; i < n; i++) sum += (y[i] = Math.exp(y[i] - top));
      for (i = 0; i < n; i++) y[i] /= sum;
    }
    return y;
  }

  /* Every layer's outputs for one input; inputs that are 0 (most of a drawing) are skipped. */
  function forward(net, input) {
    var outputs = [], x = input;
    net.layers.forEach(function (layer) {
      var units = layer.units, w = layer.kernel, y = new Float64Array(units), i, j, row, xi;
      for (j = 0; j < units; j++) y[j] = layer.bias[j];
      for (i = 0; i < layer.inputs; i++) {
        xi = x[i];
        if (xi === 0) continue;
        for (j = 0, row = i * units; j < units; j++) y[j] += xi * w[row + j];
      }
      outputs.push(x = activate(y, layer.activation));
    });
    return outputs;
  }

  function Model(url) {
    var model = this, loading = null;
    this.url = url;
    this.net = null;
    /* Fetch and read the weights once; a Promise of the network. */
    this.load = function () {
      if (!loading) {
        loading = fetch(url).then(function (response) {
          if (!response.ok) throw new Error("nnbook: " + url + " answered " + response.status);
          return response.arrayBuffer();
        }).then(function (buffer) { return (model.net = parse(buffer)); });
        loading.catch(function () { loading = null; });
      }
      return loading;
    };
  }
  /* Every layer's outputs (the weights must be loaded). */
  Model.prototype.layers = function (pixels) { return forward(this.net, pixels); };
  /* The output probabilities as a plain array (the weights must be loaded). */
  Model.prototype.run = function (pixels) {
    var outputs = forward(this.net, pixels);
    return Array.prototype.slice.call(outputs[outputs.length - 1]);
  };
  /* The public hook: a Promise of the output probabilities; loads the weights if needed. */
  Model.prototype.predict = function (pixels) {
    var model = this;
    return this.load().then(function () {
      if (pixels.length !== model.net.layers[0].inputs) {
        throw new Error("nnbook: expected " + model.net.layers[0].inputs + " inputs, got " + pixels.length);
      }
      return model.run(pixels);
    });
  };

  ns.models = ns.models || {};
  function modelFor(name, url) {
    if (!ns.models[name] || ns.models[name].url !== url) ns.models[name] = new Model(url);
    return ns.models[name];
  }

  /* -- preparing a drawing as MNIST prepared its digits ---------------------------------- */

  /* For each target pixel along one axis, the source pixels it covers and their share of it. */
  function coverage(start, step, count, limit) {
    var spans = [];
    for (var t = 0; t < count; t++) {
      var a = start + t * step, b = a + step, span = [];
      for (var i = Math.max(0, Math.floor(a)); i < Math.min(limit, Math.ceil(b)); i++) {
        var overlap = Math.min(b, i + 1) - Math.max(a, i);
        if (overlap > 0) span.push(i, overlap / step);
      }
      spans.push(span);
    }
    return spans;
  }

  /* The `width` x `height` area from (x0, y0) of a square `size` x `size` ink map, averaged down
     to `cols` x `rows` pixels of `step` source pixels each. */
  function shrink(ink, size, x0, y0, step, cols, rows) {
    var across = coverage(x0, step, cols, size), down = coverage(y0, step, rows, size);
    var out = new Float32Array(cols * rows);
    for (var v = 0; v < rows; v++) {
      for (var k = 0; k < down[v].length; k += 2) {
        var line = down[v][k] * size, share = down[v][k + 1];
        for (var u = 0; u < cols; u++) {
          var span = across[u], sum = 0;
          for (var m = 0; m < span.length; m += 2) sum += ink[line + span[m]] * span[m + 1];
          out[v * cols + u] += sum * share;
        }
      }
    }
    return out;
  }

  function inkBox(ink, size) {
    var x0 = size, y0 = size, x1 = -1, y1 = -1;
    for (var y = 0; y < size; y++) {
      for (var x = 0; x < size; x++) {
        if (ink[y * size + x] > 0) {
          if (x < x0) x0 = x;
          if (x > x1) x1 = x;
          if (y < y0) y0 = y;
          if (y > y1) y1 = y;
        }
      }
    }
    return x1 < 0 ? null : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
  }

  /* The network's input for an ink map (`size` x `size`, values in [0, 1]): cropped to the ink,
     scaled into a BOX x BOX box keeping its aspect, placed so that its centre of mass is the
     centre of the `rows` x `cols` frame; null when there is no ink. */
  function prepare(ink, size, rows, cols) {
    var box = inkBox(ink, size);
    if (!box) return null;
    var step = Math.max(box.width, box.height) / BOX;
    var w = Math.max(1, Math.min(BOX, Math.round(box.width / step)));
    var h = Math.max(1, Math.min(BOX, Math.round(box.height / step)));
    var small = shrink(ink, size, box.x, box.y, step, w, h);
    var mass = 0, mx = 0, my = 0, x, y;
    for (y = 0; y < h; y++) {
      for (x = 0; x < w; x++) {
        var v = small[y * w + x];
        mass += v; mx += v * x; my += v * y;
      }
    }
    /* MNIST's centre: pixel (14, 14) of the 28x28 frame, counting pixels from 0 */
    var dx = Math.min(cols - w, Math.max(0, Math.round(cols / 2 - mx / mass)));
    var dy = Math.min(rows - h, Math.max(0, Math.round(rows / 2 - my / mass)));
    var out = new Float32Array(rows * cols);
    for (y = 0; y < h; y++) {
      for (x = 0; x < w; x++) out[(y + dy) * cols + x + dx] = Math.min(1, Math.max(0, small[y * w + x]));
    }
    return out;
  }

  /* -- the widget ------------------------------------------------------------------------- */

  function colors(el) {
    var style = getComputedStyle(el);
    function get(name) { return style.getPropertyValue(name).trim(); }
    return { ink: get("--nnbook-live-ink"), cell: get("--nnbook-live-cell"), back: get("--nnbook-live-back") };
  }

  function make(tag, className, parent, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  /* A grid of `count` cells as square as powers of two make it: 256 → 16x16, 128 → 8x16. */
  function gridShape(count, image) {
    if (image) return { rows: image[0], cols: image[1] };
    var cols = Math.pow(2, Math.ceil(Math.log2(Math.sqrt(count))));
    return { rows: Math.ceil(count / cols), cols: cols };
  }

  function Widget(el) {
    var sizes = el.dataset.nnbookSizes.split(",").map(Number);
    var activations = el.dataset.nnbookActivations.split(",");
    var image = el.dataset.nnbookImage.split(",").map(Number);
    this.el = el;
    this.image = image;
    this.model = modelFor(el.dataset.nnbookModel, base + el.dataset.nnbookAsset);
    this.strokes = [];        /* each a list of [x, y] on the pad */
    this.example = null;      /* index of the validation digit under the strokes, if any */
    this.centring = true;     /* prepare the drawing as MNIST did; off: the whole pad, shrunk */
    this.prepared = null;     /* the network's input, as last prepared */
    this.outputs = null;      /* every layer's outputs for it */
    this.build(sizes, activations, Number(el.dataset.nnbookBytes));
    this.listen();
  }

  Widget.prototype.build = function (sizes, activations, bytes) {
    var body = this.el.querySelector(".nnbook-live-body");
    body.textContent = "";
    var draw = make("div", "nnbook-live-draw", body);
    this.pad = make("canvas", "nnbook-live-pad", draw);
    this.pad.width = this.pad.height = PAD;
    this.pad.setAttribute("role", "img");
    this.pad.setAttribute("aria-label", "Drawing pad: draw a digit with the mouse, a finger or a pen");
    this.padContext = this.pad.getContext("2d", { willReadFrequently: true });
    var buttons = make("div", "nnbook-live-buttons", draw);
    this.clearButton = make("button", "md-button", buttons, "Clear");
    this.exampleButton = make("button", "md-button", buttons, "A validation digit");
    this.clearButton.type = this.exampleButton.type = "button";
    var toggle = make("label", "nnbook-live-toggle", draw);
    this.centreBox = make("input", "", toggle);
    this.centreBox.type = "checkbox";
    this.centreBox.checked = true;
    make("span", "", toggle, "Crop, scale and centre like MNIST");
    this.status = make("p", "nnbook-live-status", draw,
                       "The network's weights (" + (bytes / 1e6).toFixed(1) + " MB) load when you scroll here.");

    var layers = make("div", "nnbook-live-layers", body);
    this.grids = [];
    for (var i = 0; i < sizes.length - 1; i++) {
      var shape = gridShape(sizes[i], i === 0 ? this.image : null);
      var cell = i === 0 ? 5 : 8;
      var panel = make("div", "nnbook-live-layer", layers);
      var canvas = make("canvas", "nnbook-live-grid", panel);
      canvas.width = shape.cols * cell;
      canvas.height = shape.rows * cell;
      var label = i === 0 ? "Input: the prepared " + shape.rows + " × " + shape.cols + " image"
                          : "Hidden layer " + i + ": " + sizes[i] + " " + (NAMES[activations[i - 1]] || "") + " neurons";
      var caption = make("span", "nnbook-live-label", panel, label);
      if (i === 0) this.inputLabel = caption;
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", label);
      this.grids.push({ canvas: canvas, shape: shape, cell: cell });
    }
    var out = make("div", "nnbook-live-out", body);
    make("span", "nnbook-live-label", out, "Output: " + sizes[sizes.length - 1] + " probabilities");
    this.bars = [];
    for (var d = 0; d < sizes[sizes.length - 1]; d++) {
      var row = make("div", "nnbook-live-bar", out);
      make("span", "nnbook-live-digit", row, String(d));
      var fill = make("span", "nnbook-live-fill", make("span", "nnbook-live-track", row));
      this.bars.push({ row: row, fill: fill, text: make("span", "nnbook-live-prob", row, "") });
    }
    this.reading = make("p", "nnbook-live-reading", out, "");
    this.reading.setAttribute("aria-live", "polite");
  };

  Widget.prototype.listen = function () {
    var widget = this, pad = this.pad, active = null;
    function point(e) {
      var r = pad.getBoundingClientRect();
      return [(e.clientX - r.left) * PAD / r.width, (e.clientY - r.top) * PAD / r.height];
    }
    pad.addEventListener("pointerdown", function (e) {
      if (e.pointerType === "mouse" && e.button !== 0) return;
      e.preventDefault();
      try {
        pad.setPointerCapture(e.pointerId);  /* keep the stroke when the pen leaves the pad */
      } catch (error) { /* a pointer the browser no longer tracks: draw without capture */ }
      active = e.pointerId;
      widget.strokes.push([point(e)]);
      widget.schedule();
    });
    pad.addEventListener("pointermove", function (e) {
      if (e.pointerId !== active) return;
      var stroke = widget.strokes[widget.strokes.length - 1];
      var events = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
      (events.length ? events : [e]).forEach(function (c) { stroke.push(point(c)); });
      widget.schedule();
    });
    function end(e) {
      if (e.pointerId === active) active = null;
    }
    pad.addEventListener("pointerup", end);
    pad.addEventListener("pointercancel", end);
    this.clearButton.addEventListener("click", function () { widget.clear(); });
    this.exampleButton.addEventListener("click", function () { widget.pickExample(); });
    this.centreBox.addEventListener("change", function () {
      widget.centring = widget.centreBox.checked;
      widget.inputLabel.textContent = "Input: the " + (widget.centring ? "prepared " : "whole pad shrunk to ") +
                                      widget.image[0] + " × " + widget.image[1] + (widget.centring ? " image" : "");
      widget.update();
    });
  };

  Widget.prototype.clear = function () {
    this.strokes = [];
    this.example = null;
    this.update();
  };

  /* Show validation digit `index` on the pad (without `index`: 37 further on, so that each pick differs). */
  Widget.prototype.pickExample = function (index) {
    var widget = this;
    return this.model.load().then(function (net) {
      var count = net.examples ? net.examples.count : 0;
      if (!count) return;
      widget.example = index === undefined ? (widget.example === null ? 0 : widget.example + 37) % count : index;
      widget.strokes = [];
      widget.update();
    });
  };

  Widget.prototype.schedule = function () {
    var widget = this;
    if (this.pending) return;
    this.pending = requestAnimationFrame(function () {
      widget.pending = 0;
      widget.update();
    });
  };

  /* Draw the pad: the chosen validation digit at its own resolution, then the strokes. */
  Widget.prototype.paint = function (c) {
    var ctx = this.padContext, net = this.model.net;
    ctx.clearRect(0, 0, PAD, PAD);
    if (this.example !== null && net) {
      var rows = this.image[0], cols = this.image[1], n = rows * cols;
      var small = document.createElement("canvas");
      small.width = cols;
      small.height = rows;
      var sctx = small.getContext("2d"), data = sctx.createImageData(cols, rows);
      var rgb = parseColor(c.ink), pixels = net.examples.pixels;
      for (var i = 0; i < n; i++) {
        data.data.set(rgb, 4 * i);
        data.data[4 * i + 3] = pixels[this.example * n + i];
      }
      sctx.putImageData(data, 0, 0);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(small, 0, 0, PAD, PAD);
    }
    var pen = this.penWidth();
    ctx.strokeStyle = ctx.fillStyle = c.ink;
    ctx.lineWidth = pen;
    ctx.lineCap = ctx.lineJoin = "round";
    this.strokes.forEach(function (stroke) {
      ctx.beginPath();
      if (stroke.length === 1) {
        ctx.arc(stroke[0][0], stroke[0][1], pen / 2, 0, 2 * Math.PI);
        ctx.fill();
        return;
      }
      ctx.moveTo(stroke[0][0], stroke[0][1]);
      for (var i = 1; i < stroke.length; i++) ctx.lineTo(stroke[i][0], stroke[i][1]);
      ctx.stroke();
    });
  };

  /* The pen's width: with the MNIST preparation, a share of the drawing's size (the larger side of the
     box around its strokes), because the preparation scales every drawing to the same box; without
     it, the fixed width of a digit that fills the pad. */
  Widget.prototype.penWidth = function () {
    if (!this.centring) return PEN;
    var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    this.strokes.forEach(function (stroke) {
      stroke.forEach(function (p) {
        x0 = Math.min(x0, p[0]); x1 = Math.max(x1, p[0]);
        y0 = Math.min(y0, p[1]); y1 = Math.max(y1, p[1]);
      });
    });
    if (x1 < x0) return PEN;
    return Math.max(PEN_MIN, Math.min(PEN, PEN_SHARE * Math.max(x1 - x0, y1 - y0)));
  };

  /* The pad's ink: its opacity, whatever the colour it is drawn in. */
  Widget.prototype.ink = function () {
    var alpha = this.padContext.getImageData(0, 0, PAD, PAD).data, ink = new Float32Array(PAD * PAD);
    for (var i = 0; i < ink.length; i++) ink[i] = alpha[4 * i + 3] / 255;
    return ink;
  };

  Widget.prototype.update = function () {
    var c = colors(this.el);
    this.paint(c);
    var ink = this.ink(), rows = this.image[0], cols = this.image[1];
    this.prepared = this.centring ? prepare(ink, PAD, rows, cols)
                                  : inkBox(ink, PAD) && shrink(ink, PAD, 0, 0, PAD / cols, cols, rows);
    var net = this.model.net;
    this.outputs = this.prepared && net ? forward(net, this.prepared) : null;
    this.show(c);
  };

  Widget.prototype.show = function (c) {
    var widget = this, outputs = this.outputs;
    this.grids.forEach(function (grid, i) {
      var values = i === 0 ? widget.prepared : outputs && outputs[i - 1];
      drawGrid(grid, values, i === 0 ? 1 : maxOf(values), c);
    });
    var probabilities = outputs ? outputs[outputs.length - 1] : null, best = probabilities ? argmax(probabilities) : -1;
    this.bars.forEach(function (bar, d) {
      var p = probabilities ? probabilities[d] : 0;
      bar.fill.style.width = (100 * p).toFixed(1) + "%";
      bar.text.textContent = probabilities ? (100 * p).toFixed(p < 0.995 && p >= 0.0005 ? 1 : 0) + "%" : "";
      bar.row.classList.toggle("nnbook-live-best", d === best);
    });
    var text = !this.model.net ? "" : best < 0 ? "Draw a digit." : "The network reads " + best + ".";
    if (this.reading.textContent !== text) this.reading.textContent = text;
    this.describe();
  };

  /* The line under the pad: what is loading, or which validation digit is shown. */
  Widget.prototype.describe = function () {
    var net = this.model.net;
    if (!net) return;
    var text = "Draw a digit, or pick one of the " + (net.examples ? net.examples.count : 0) + " validation digits.";
    if (this.example !== null) {
      var classes = net.layers[net.layers.length - 1].units;
      var keras = net.examples.probabilities.subarray(this.example * classes, (this.example + 1) * classes);
      var k = argmax(keras);
      text = "Validation digit " + (this.example + 1) + ", labelled " + net.examples.labels[this.example] +
             "; Keras read " + k + " (" + (100 * keras[k]).toFixed(1) + "%)" +
             (this.strokes.length ? ", before your strokes." : ".");
    }
    if (this.status.textContent !== text) this.status.textContent = text;
  };

  function drawGrid(grid, values, top, c) {
    var ctx = grid.canvas.getContext("2d"), cell = grid.cell, gap = cell > 5 ? 1 : 0;
    ctx.globalAlpha = 1;
    ctx.fillStyle = c.back;
    ctx.fillRect(0, 0, grid.canvas.width, grid.canvas.height);
    if (!values || !(top > 0)) return;
    ctx.fillStyle = gap ? c.cell : c.ink;
    for (var i = 0; i < values.length; i++) {
      if (values[i] <= 0) continue;
      ctx.globalAlpha = Math.min(1, values[i] / top);
      var x = (i % grid.shape.cols) * cell, y = Math.floor(i / grid.shape.cols) * cell;
      ctx.fillRect(x, y, cell - gap, cell - gap);
    }
    ctx.globalAlpha = 1;
  }

  function maxOf(values) {
    var top = 0;
    if (values) for (var i = 0; i < values.length; i++) top = Math.max(top, values[i]);
    return top;
  }

  function argmax(values) {
    var best = 0;
    for (var i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
    return best;
  }

  function parseColor(css) {
    var probe = document.createElement("canvas").getContext("2d");
    probe.fillStyle = css;
    var hex = probe.fillStyle;  /* normalised to #rrggbb (or rgba(...) for translucent colours) */
    if (hex[0] === "#") return [1, 3, 5].map(function (i) { return parseInt(hex.substr(i, 2), 16); });
    return hex.match(/[\d.]+/g).slice(0, 3).map(Number);
  }

  /* -- pages ------------------------------------------------------------------------------ */

  var widgets = [];
  var watcher = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (!entry.isIntersecting) return;
      watcher.unobserve(entry.target);
      var widget = entry.target.nnbookLive;
      widget.model.load().then(function () { widget.update(); }, function (error) {
        widget.status.textContent = "The network's weights could not be loaded: " + error.message;
      });
    });
  }, { rootMargin: NEAR }) : null;

  function setup() {
    widgets = widgets.filter(function (w) { return document.body.contains(w.el); });
    document.querySelectorAll(".nnbook-live:not([data-nnbook-ready])").forEach(function (el) {
      el.setAttribute("data-nnbook-ready", "1");
      var widget = el.nnbookLive = new Widget(el);
      widgets.push(widget);
      widget.update();
      if (watcher) watcher.observe(el);
      else widget.model.load().then(function () { widget.update(); });
    });
  }

  function retheme() {
    widgets.forEach(function (w) { w.update(); });
  }

  ns.live = { prepare: prepare, shrink: shrink, forward: forward, widgets: function () { return widgets.slice(); } };
  new MutationObserver(retheme).observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });
  if (window.document$ && window.document$.subscribe) {
    window.document$.subscribe(setup); /* Material: every page, direct or instant */
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
