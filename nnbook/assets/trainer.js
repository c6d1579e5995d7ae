/* The live training widget: a small dense network trained in the reader's browser on 2-D data.

   The engine is plain JavaScript in float64: dense layers (ReLU, tanh, sigmoid, linear) ending in
   one sigmoid unit, binary cross-entropy computed from the logit, L2 on the kernels, and the
   update rules of Keras's SGD (with or without momentum) and Adam, the rate rounded to float32
   as Keras keeps it. Each epoch takes its batches in the order of a Fisher-Yates shuffle drawn
   from mulberry32 (nnbook/experiments/trainer.py draws the same), so that a preset started from
   the weights Keras started from repeats Keras's run step by step. Training runs in slices of
   a few milliseconds between animation frames, so the page stays responsive.

   Public hook: window.nnbook.trainer.train(spec) -> Promise of {loss: [per step], weights},
   for spec = {x: [[x1, x2], ...], y: [0 or 1, ...], layers: [{units, activation}, ...] (the
   last: {units: 1, activation: "sigmoid"}), weights: [kernel rows, bias, ...] as Keras's
   get_weights() lists them, loss: "binary_crossentropy", optimizer: {name: "sgd", learning_rate,
   momentum} or {name: "adam", learning_rate, beta_1, beta_2, epsilon}, batch_size (0 or null:
   full batch), steps, l2 (optional), seed (the batch order; full batches are not shuffled)}. */
(function () {
  "use strict";
  var root = typeof window !== "undefined" ? window : globalThis;
  var ns = root.nnbook = root.nnbook || {};
  if (ns.trainer) return;

  var ACTIVATIONS = ["relu", "tanh", "sigmoid", "linear"];
  var ADAM = { beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 };  /* Keras's defaults */
  var MOMENTUM = 0.9;

  /* -- random numbers, shared with the experiment --------------------------------------- */

  function mulberry32(seed) {
    var a = seed | 0;
    return function () {
      a = (a + 0x6D2B79F5) | 0;
      var t = Math.imul(a ^ (a >>> 15), a | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  function shuffle(order, rand) {
    for (var i = order.length - 1; i > 0; i--) {
      var j = Math.floor(rand() * (i + 1)), t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }

  function gauss(rand) {
    return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  }

  /* -- the engine ----------------------------------------------------------------------- */

  function activate(y, name) {
    var i, n = y.length;
    if (name === "relu") for (i = 0; i < n; i++) { if (y[i] < 0) y[i] = 0; }
    else if (name === "tanh") for (i = 0; i < n; i++) y[i] = Math.tanh(y[i]);
    else if (name === "sigmoid") for (i = 0; i < n; i++) y[i] = 1 / (1 + Math.exp(-y[i]));
  }

  /* Multiply the derivative of the activation, given its outputs `a`, into `d`. */
  function derive(d, a, name) {
    var i, n = d.length;
    if (name === "relu") for (i = 0; i < n; i++) { if (!(a[i] > 0)) d[i] = 0; }
    else if (name === "tanh") for (i = 0; i < n; i++) d[i] *= 1 - a[i] * a[i];
    else if (name === "sigmoid") for (i = 0; i < n; i++) d[i] *= a[i] * (1 - a[i]);
  }

  function glorot(sizes, seed) {
    var rand = mulberry32(seed), weights = [];
    for (var l = 1; l < sizes.length; l++) {
      var limit = Math.sqrt(6 / (sizes[l - 1] + sizes[l])), w = new Float64Array(sizes[l - 1] * sizes[l]);
      for (var i = 0; i < w.length; i++) w[i] = (2 * rand() - 1) * limit;
      weights.push(w, new Float64Array(sizes[l]));
    }
    return weights;
  }

  /* A network: `sizes` [2, hidden..., 1], `activations` one per layer (the last "sigmoid"),
     `weights` [kernel (inputs x units, row-major), bias, ...] as Float64Arrays. */
  function Network(sizes, activations, weights) {
    this.sizes = sizes;
    this.activations = activations;
    this.weights = weights.map(function (w) { return Float64Array.from(w); });
  }

  /* Every layer's outputs for the `n` inputs `x` (n x 2, row-major); the last layer's logits too. */
  Network.prototype.forward = function (x, n) {
    var outputs = [x], sizes = this.sizes, logits = null;
    for (var l = 1; l < sizes.length; l++) {
      var inputs = sizes[l - 1], units = sizes[l], w = this.weights[2 * l - 2], b = this.weights[2 * l - 1];
      var a = outputs[l - 1], y = new Float64Array(n * units);
      for (var r = 0; r < n; r++) {
        var out = r * units, row = r * inputs;
        for (var j = 0; j < units; j++) {
          var sum = 0;
          for (var i = 0; i < inputs; i++) sum += a[row + i] * w[i * units + j];
          y[out + j] = sum + b[j];
        }
      }
      if (l === sizes.length - 1) logits = Float64Array.from(y);
      activate(y, this.activations[l - 1]);
      outputs.push(y);
    }
    return { outputs: outputs, logits: logits };
  };

  /* Mean binary cross-entropy of the logits against labels 0/1, as TensorFlow computes it. */
  function crossEntropy(logits, y) {
    var sum = 0;
    for (var i = 0; i < logits.length; i++) {
      var z = logits[i];
      sum += Math.max(z, 0) - z * y[i] + Math.log1p(Math.exp(-Math.abs(z)));
    }
    return sum / logits.length;
  }

  /* The loss of the batch and the gradient of the objective (loss plus L2) for every weight. */
  Network.prototype.gradients = function (x, y, n, l2) {
    var pass = this.forward(x, n), outputs = pass.outputs, sizes = this.sizes, L = sizes.length - 1;
    var grads = new Array(this.weights.length);
    var delta = new Float64Array(n);
    for (var r = 0; r < n; r++) delta[r] = (1 / (1 + Math.exp(-pass.logits[r])) - y[r]) / n;
    for (var l = L; l >= 1; l--) {
      var inputs = sizes[l - 1], units = sizes[l], a = outputs[l - 1], w = this.weights[2 * l - 2];
      var gw = new Float64Array(inputs * units), gb = new Float64Array(units), i, j, k;
      for (k = 0; k < n; k++) {
        for (j = 0; j < units; j++) {
          var d = delta[k * units + j];
          gb[j] += d;
          for (i = 0; i < inputs; i++) gw[i * units + j] += a[k * inputs + i] * d;
        }
      }
      if (l2) for (i = 0; i < gw.length; i++) gw[i] += 2 * l2 * w[i];
      grads[2 * l - 2] = gw;
      grads[2 * l - 1] = gb;
      if (l > 1) {
        var back = new Float64Array(n * inputs);
        for (k = 0; k < n; k++) {
          for (i = 0; i < inputs; i++) {
            var s = 0;
            for (j = 0; j < units; j++) s += delta[k * units + j] * w[i * units + j];
            back[k * inputs + i] = s;
          }
        }
        derive(back, a, this.activations[l - 2]);
        delta = back;
      }
    }
    return { loss: crossEntropy(pass.logits, y), grads: grads };
  };

  /* Keras's update rules, in the order Keras computes them. */
  function Optimizer(settings, weights) {
    this.name = settings.name;
    this.rate = Math.fround(settings.learning_rate);  /* Keras holds the rate in a float32 variable */
    this.momentum = settings.momentum || 0;
    this.beta1 = settings.beta_1 === undefined ? ADAM.beta_1 : settings.beta_1;
    this.beta2 = settings.beta_2 === undefined ? ADAM.beta_2 : settings.beta_2;
    this.epsilon = settings.epsilon === undefined ? ADAM.epsilon : settings.epsilon;
    this.steps = 0;
    this.m = weights.map(function (w) { return new Float64Array(w.length); });
    this.v = weights.map(function (w) { return new Float64Array(w.length); });
  }

  Optimizer.prototype.apply = function (weights, grads) {
    var lr = this.rate, t = ++this.steps, p, i;
    if (this.name === "adam") {
      var b1 = this.beta1, b2 = this.beta2, eps = this.epsilon;
      /* Keras casts the betas to float64 through float32 for the powers, and uses them as they are elsewhere */
      var alpha = lr * Math.sqrt(1 - Math.pow(Math.fround(b2), t)) / (1 - Math.pow(Math.fround(b1), t));
      for (p = 0; p < weights.length; p++) {
        var w = weights[p], g = grads[p], m = this.m[p], v = this.v[p];
        for (i = 0; i < w.length; i++) {
          m[i] += (g[i] - m[i]) * (1 - b1);
          v[i] += (g[i] * g[i] - v[i]) * (1 - b2);
          w[i] -= m[i] * alpha / (Math.sqrt(v[i]) + eps);
        }
      }
    } else if (this.momentum) {
      var mu = Math.fround(this.momentum);  /* cast to float64 through float32, as Keras does */
      for (p = 0; p < weights.length; p++) {
        var wm = weights[p], gm = grads[p], mm = this.m[p];
        for (i = 0; i < wm.length; i++) {
          mm[i] = mm[i] * mu - gm[i] * lr;
          wm[i] += mm[i];
        }
      }
    } else {
      for (p = 0; p < weights.length; p++) {
        for (i = 0; i < weights[p].length; i++) weights[p][i] -= grads[p][i] * lr;
      }
    }
  };

  /* A training run: network, optimizer, data (x as n x 2 row-major, y as 0/1) and batch order. */
  function Run(options) {
    this.net = new Network(options.sizes, options.activations, options.weights);
    this.optimizer = new Optimizer(options.optimizer, this.net.weights);
    this.x = Float64Array.from(options.x);
    this.y = Float64Array.from(options.y);
    this.n = this.y.length;
    this.batch = options.batch && options.batch < Infinity ? options.batch : 0;
    this.l2 = Math.fround(options.l2 || 0);  /* Keras casts the factor to float64 through float32 */
    this.rand = mulberry32(options.seed || 0);
    this.order = [];
    for (var i = 0; i < this.n; i++) this.order.push(i);
    this.at = this.n;  /* position in the epoch's order: a new epoch starts */
    this.epochs = 0;
    this.stepLosses = [];
  }

  /* One step on the next batch; returns its loss (before the update). */
  Run.prototype.step = function () {
    if (this.at >= this.n) {
      if (this.batch) shuffle(this.order, this.rand);
      this.at = 0;
    }
    var size = Math.min(this.batch || this.n, this.n - this.at), xb = new Float64Array(2 * size),
        yb = new Float64Array(size);
    for (var k = 0; k < size; k++) {
      var i = this.order[this.at + k];
      xb[2 * k] = this.x[2 * i];
      xb[2 * k + 1] = this.x[2 * i + 1];
      yb[k] = this.y[i];
    }
    this.at += size;
    var g = this.net.gradients(xb, yb, size, this.l2);
    this.optimizer.apply(this.net.weights, g.grads);
    this.stepLosses.push(g.loss);
    if (this.at >= this.n) this.epochs++;
    return g.loss;
  };

  Run.prototype.epoch = function () {
    do this.step(); while (this.at < this.n);
  };

  Run.prototype.loss = function (x, y) {
    return crossEntropy(this.net.forward(x, y.length).logits, y);
  };

  function flat(rows) {
    var out = [];
    (rows || []).forEach(function (r) { if (Array.isArray(r)) out.push.apply(out, r); else out.push(r); });
    return out;
  }

  function check(condition, message) {
    if (!condition) throw new Error("nnbook.trainer: " + message);
  }

  /* The public hook (see the top of this file). */
  function train(spec) {
    return new Promise(function (resolve, reject) {
      var run, sizes, total;
      try {
        check(spec && Array.isArray(spec.x) && Array.isArray(spec.y) && spec.x.length === spec.y.length &&
              spec.y.length > 0, "x (rows of 2 numbers) and y (class indices) must be lists of the same length");
        check(Array.isArray(spec.layers) && spec.layers.length > 0, "layers must list {units, activation}");
        var last = spec.layers[spec.layers.length - 1];
        check(last.units === 1 && last.activation === "sigmoid", "the last layer must be {units: 1, activation: \"sigmoid\"}");
        check(!spec.loss || spec.loss === "binary_crossentropy", "the loss must be binary_crossentropy");
        spec.layers.forEach(function (l) {
          check(ACTIVATIONS.indexOf(l.activation) >= 0, "activation " + l.activation + " is not one of " + ACTIVATIONS);
        });
        sizes = [2].concat(spec.layers.map(function (l) { return l.units; }));
        var weights = spec.weights ? spec.weights.map(flat) : glorot(sizes, spec.seed || 0);
        check(weights.length === 2 * spec.layers.length, "weights must hold a kernel and a bias per layer");
        for (var l = 1; l < sizes.length; l++) {
          check(weights[2 * l - 2].length === sizes[l - 1] * sizes[l] && weights[2 * l - 1].length === sizes[l],
                "layer " + l + ": the kernel must be " + sizes[l - 1] + " x " + sizes[l] + " and the bias " + sizes[l]);
        }
        var opt = spec.optimizer || {};
        check(opt.name === "sgd" || opt.name === "adam", "the optimizer must be {name: \"sgd\" or \"adam\", ...}");
        check(opt.learning_rate > 0, "the optimizer needs a positive learning_rate");
        total = spec.steps | 0;
        check(total > 0, "steps must be a positive number");
        run = new Run({ sizes: sizes, activations: spec.layers.map(function (l) { return l.activation; }),
                        weights: weights, optimizer: opt, x: flat(spec.x), y: spec.y, batch: spec.batch_size,
                        l2: spec.l2, seed: spec.seed });
      } catch (error) {
        return reject(error);
      }
      (function slice() {  /* a few milliseconds at a time */
        var until = Date.now() + 12;
        while (run.stepLosses.length < total && Date.now() < until) run.step();
        if (run.stepLosses.length < total) return setTimeout(slice, 0);
        var out = [];
        for (var l = 1; l < sizes.length; l++) {
          var w = run.net.weights[2 * l - 2], rows = [];
          for (var i = 0; i < sizes[l - 1]; i++) rows.push(Array.from(w.subarray(i * sizes[l], (i + 1) * sizes[l])));
          out.push(rows, Array.from(run.net.weights[2 * l - 1]));
        }
        resolve({ loss: run.stepLosses.slice(), weights: out });
      })();
    });
  }

  /* -- data sets, for settings that no preset stored ------------------------------------- */

  function generate(name, count, noise, seed) {
    var rand = mulberry32(seed * 7919 + 17), x = [], y = [], i, t;
    function add(a, b, label) { x.push(a + noise * gauss(rand), b + noise * gauss(rand)); y.push(label); }
    var half = Math.floor(count / 2), rest = count - half;
    if (name === "moons") {
      for (i = 0; i < rest; i++) { t = Math.PI * i / Math.max(1, rest - 1); add(Math.cos(t), Math.sin(t), 0); }
      for (i = 0; i < half; i++) { t = Math.PI * i / Math.max(1, half - 1); add(1 - Math.cos(t), 0.5 - Math.sin(t), 1); }
    } else if (name === "circles") {
      for (i = 0; i < rest; i++) { t = 2 * Math.PI * i / rest; add(Math.cos(t), Math.sin(t), 0); }
      for (i = 0; i < half; i++) { t = 2 * Math.PI * i / half; add(0.5 * Math.cos(t), 0.5 * Math.sin(t), 1); }
    } else if (name === "spirals") {
      noise /= 10;
      for (i = 0; i < half; i++) {
        t = Math.sqrt(rand()) * 3 * Math.PI;
        var r = t / (3 * Math.PI);
        add(r * Math.cos(t), r * Math.sin(t), 0);
        add(-r * Math.cos(t), -r * Math.sin(t), 1);
      }
    } else {
      for (i = 0; i < count; i++) {
        var a = 2 * rand() - 1, b = 2 * rand() - 1;
        add(a, b, (name === "xor" ? a * b > 0 : a + b > 0) ? 1 : 0);
      }
    }
    return { x: x, y: y };
  }

  /* -- the asset: presets with their Keras runs ----------------------------------------- */

  /* uint32 header length, JSON header {presets, arrays: [{name, dtype, length}]}, padding to 8
     bytes, then each array (little-endian), each padded to 8 bytes. */
  function parseAsset(buffer) {
    var length = new DataView(buffer).getUint32(0, true);
    var header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, length)));
    var offset = Math.ceil((4 + length) / 8) * 8, arrays = {};
    var TYPES = { f4: Float32Array, f8: Float64Array, u1: Uint8Array };
    header.arrays.forEach(function (a) {
      var Type = TYPES[a.dtype];
      arrays[a.name] = Float64Array.from(new Type(buffer.slice(offset, offset + a.length * Type.BYTES_PER_ELEMENT)));
      offset += Math.ceil(a.length * Type.BYTES_PER_ELEMENT / 8) * 8;
    });
    var presets = {};
    Object.keys(header.presets).forEach(function (name) {
      var p = { name: name, settings: header.presets[name], weights: [] };
      Object.keys(arrays).forEach(function (key) {
        if (key.indexOf(name + ".") !== 0) return;
        var field = key.slice(name.length + 1);
        if (/^w\d+$/.test(field)) p.weights[Number(field.slice(1))] = arrays[key];
        else p[field] = arrays[key];
      });
      presets[name] = p;
    });
    return presets;
  }

  ns.trainer = { train: train, mulberry32: mulberry32, generate: generate, parse: parseAsset, Run: Run };
  if (typeof document === "undefined") return;

  /* -- the widget ----------------------------------------------------------------------- */

  var NEAR = "300px 0px";
  var GRID = 48;  /* the surfaces are computed on GRID x GRID points */
  var BUDGET = 8, EPOCHS_PER_FRAME = 3;
  var base = (document.currentScript && document.currentScript.src || "").replace(/[^/]*$/, "");
  var CHOICES = {
    data: [["moons", "moons"], ["circles", "circles"], ["spirals", "spirals"], ["xor", "XOR"], ["linear", "linear"]],
    points: [60, 100, 200, 300, 400, 500],
    noise: [0, 0.05, 0.1, 0.2, 0.35, 0.5],
    test: [0.1, 0.3, 0.5],
    activation: [["relu", "ReLU"], ["tanh", "tanh"], ["sigmoid", "sigmoid"], ["linear", "linear"]],
    optimizer: [["sgd", "SGD"], ["momentum", "SGD, momentum " + MOMENTUM], ["adam", "Adam"]],
    rate: [0.001, 0.003, 0.01, 0.03, 0.05, 0.1, 0.3, 0.5, 1, 3],
    batch: [[0, "full batch"], 1, 8, 16, 32, 64],
    l2: [0, 0.0001, 0.001, 0.01, 0.1]
  };
  var LABELS = { data: "Data", points: "Points", noise: "Noise", test: "Test share", layers: "Hidden layers",
                 activation: "Activation", optimizer: "Optimizer", rate: "Learning rate", batch: "Batch size",
                 l2: "L2", seed: "Seed" };
  var KEYS = ["data", "points", "noise", "test", "layers", "activation", "optimizer", "rate", "batch", "l2", "seed"];
  var DATA_KEYS = ["data", "points", "noise", "test", "seed"];
  var NET_KEYS = ["layers", "seed"];
  var CSS = [
    ".nnbook-trainer{--a:#e8710a;--b:#1a73e8;--mid:#ffffff;--ink:#1f2329;--line:#c9ced6;}",
    "[data-md-color-scheme=slate] .nnbook-trainer{--a:#ff9d4d;--b:#6ea8ff;--mid:#1e2029;--ink:#e2e4e9;--line:#444a5c;}",
    ".md-typeset figure.nnbook-trainer{width:100%;margin:1.5em 0;text-align:left}",
    ".nnbook-trainer-body{display:flex;flex-wrap:wrap;gap:1rem;font-size:.7rem;align-items:flex-start}",
    ".nnbook-trainer-controls{flex:1 1 14rem;display:grid;grid-template-columns:auto 1fr;gap:.3rem .6rem;align-items:center}",
    ".nnbook-trainer-controls label{color:var(--md-default-fg-color--light)}",
    ".nnbook-trainer-controls select,.nnbook-trainer-controls input{min-height:44px;font:inherit;color:inherit;",
    "background:var(--md-default-bg-color);border:1px solid var(--line);border-radius:3px;padding:0 .3rem;min-width:0}",
    ".nnbook-trainer-buttons{flex:1 1 100%;display:flex;flex-wrap:wrap;gap:.4rem}",
    ".md-typeset .nnbook-trainer-buttons .md-button{min-height:44px;min-width:44px;padding:.4em .9em;margin:0;font-size:.7rem}",
    // Material's outlined button is its primary colour, too dark to read on the dark palette
    "[data-md-color-scheme=slate] .md-typeset .nnbook-trainer-buttons .md-button:not(.md-button--primary){color:#aab4ff;border-color:#aab4ff}",
    ".nnbook-trainer-view{flex:1 1 18rem;min-width:0;max-width:26rem}",
    ".nnbook-trainer canvas{display:block;width:100%;height:auto;border:1px solid var(--line);border-radius:3px}",
    ".nnbook-trainer-curves{margin-top:.6rem}",
    ".nnbook-trainer-legend{display:flex;flex-wrap:wrap;gap:.2rem .8rem;margin:.3rem 0}",
    ".nnbook-trainer-legend span::before{content:'';display:inline-block;width:1.2em;height:0;vertical-align:middle;",
    "margin-right:.3em;border-top:2px solid var(--c)}",
    ".nnbook-trainer-legend .dashed::before{border-top-style:dashed}.nnbook-trainer-legend .dotted::before{border-top-style:dotted}",
    ".nnbook-trainer-units{flex:1 1 100%;display:flex;flex-direction:column;gap:.4rem}",
    ".nnbook-trainer-units div{display:flex;flex-wrap:wrap;gap:.3rem;align-items:center}",
    ".nnbook-trainer-units canvas{width:2.6rem}",
    ".nnbook-trainer-status{margin:.3rem 0 0;font-variant-numeric:tabular-nums;min-height:2.8em}",
    ".nnbook-trainer-error{color:#c62828;margin:0}",
    "@media (max-width:600px){.nnbook-trainer-view{order:-1;flex-basis:100%;max-width:none}.nnbook-trainer-buttons{order:-2}}"
  ].join("");

  function make(tag, className, parent, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  function addStyle() {
    if (document.getElementById("nnbook-trainer-style")) return;
    var style = make("style", "", document.head, CSS);
    style.id = "nnbook-trainer-style";
  }

  function parseLayers(text) {
    var t = String(text).trim();
    if (t === "" || t === "none" || t === "0") return [];
    var parts = t.split(/[\s,\-x]+/).map(Number);
    var ok = parts.length <= 6 && parts.every(function (n) { return n === Math.floor(n) && n >= 1 && n <= 16; });
    return ok ? parts : null;
  }

  function same(a, b, keys) {
    return keys.every(function (k) { return String(a[k]) === String(b[k]); });
  }

  function fromPreset(settings) {
    var s = {};
    KEYS.forEach(function (k) { s[k] = settings[k]; });
    s.layers = settings.layers.join("-");
    return s;
  }

  function hex(css) {
    var probe = document.createElement("canvas").getContext("2d");
    probe.fillStyle = css;
    var h = probe.fillStyle;
    return h[0] === "#" ? [1, 3, 5].map(function (i) { return parseInt(h.substr(i, 2), 16); }) : [128, 128, 128];
  }

  function Widget(el) {
    this.el = el;
    this.asset = base + el.dataset.nnbookAsset;
    this.presets = null;
    this.playing = false;
    this.frame = 0;
    this.build();
  }

  Widget.prototype.build = function () {
    var w = this, body = this.el.querySelector(".nnbook-trainer-body");
    body.textContent = "";
    var buttons = make("div", "nnbook-trainer-buttons", body);
    var controls = make("div", "nnbook-trainer-controls", body);
    this.playButton = make("button", "md-button md-button--primary", buttons, "Train");
    this.stepButton = make("button", "md-button", buttons, "Step one epoch");
    this.resetButton = make("button", "md-button", buttons, "Reset");
    [this.playButton, this.stepButton, this.resetButton].forEach(function (b) { b.type = "button"; b.disabled = true; });
    this.playButton.setAttribute("aria-pressed", "false");
    this.inputs = {};
    var presetLabel = make("label", "", controls, "Preset");
    this.presetSelect = make("select", "", controls);
    presetLabel.htmlFor = this.presetSelect.id = this.el.id + "-preset";
    KEYS.forEach(function (key) {
      var label = make("label", "", controls, LABELS[key]);
      var input;
      if (CHOICES[key]) {
        input = make("select", "", controls);
        CHOICES[key].forEach(function (c) {
          var option = make("option", "", input, Array.isArray(c) ? c[1] : String(c));
          option.value = String(Array.isArray(c) ? c[0] : c);
        });
      } else {
        input = make("input", "", controls);
        input.type = key === "seed" ? "number" : "text";
        if (key === "seed") { input.min = "0"; input.max = "99999"; input.step = "1"; }
        else { input.placeholder = "e.g. 8-8, or none"; input.setAttribute("aria-describedby", w.el.id + "-error"); }
      }
      label.htmlFor = input.id = w.el.id + "-" + key;
      w.inputs[key] = input;
    });
    this.error = make("p", "nnbook-trainer-error", controls, "");
    this.error.id = this.el.id + "-error";
    this.error.style.gridColumn = "1 / -1";
    this.error.setAttribute("role", "alert");

    var view = make("div", "nnbook-trainer-view", body);
    this.surface = make("canvas", "nnbook-trainer-surface", view);
    this.surface.width = this.surface.height = 480;
    this.surface.setAttribute("role", "img");
    this.status = make("p", "nnbook-trainer-status", view, "The presets load when you scroll here.");
    this.status.setAttribute("aria-live", "polite");

    var curves = make("div", "nnbook-trainer-curves", view);
    this.chart = make("canvas", "nnbook-trainer-chart", curves);
    this.chart.width = 640;
    this.chart.height = 320;
    this.chart.setAttribute("role", "img");
    this.chart.setAttribute("aria-label", "Train and test loss per epoch");
    this.legend = make("div", "nnbook-trainer-legend", curves);
    this.agreement = make("p", "nnbook-trainer-status", curves, "");
    this.units = make("div", "nnbook-trainer-units", body);

    this.playButton.addEventListener("click", function () { w.toggle(); });
    this.stepButton.addEventListener("click", function () { w.pause(); w.epoch(); w.draw(); w.announce(); });
    this.resetButton.addEventListener("click", function () { w.pause(); w.reset(); });
    this.presetSelect.addEventListener("change", function () {
      if (w.presets[w.presetSelect.value]) w.apply(fromPreset(w.presets[w.presetSelect.value].settings));
    });
    KEYS.forEach(function (key) {
      w.inputs[key].addEventListener("change", function () { w.changed(key); });
    });
  };

  Widget.prototype.loaded = function (presets) {
    var w = this;
    this.presets = presets;
    this.firstDraw = true;
    make("option", "", this.presetSelect, "(your own settings)").value = "";
    Object.keys(presets).forEach(function (name) { make("option", "", w.presetSelect, name).value = name; });
    [this.playButton, this.stepButton, this.resetButton].forEach(function (b) { b.disabled = false; });
    this.fromAddress();
  };

  /* The state the page's address gives: a preset, then any settings that differ from it. */
  Widget.prototype.fromAddress = function () {
    var presets = this.presets, query = new URLSearchParams(location.search), first = presets[Object.keys(presets)[0]];
    var state = fromPreset((presets[query.get("preset")] || first).settings);
    KEYS.forEach(function (k) { if (query.has(k)) state[k] = query.get(k); });
    this.error.textContent = "";
    this.apply(state, true);
  };

  /* Put `state` into the controls (adding a value no menu offers) and start again from it. */
  Widget.prototype.apply = function (state, quiet) {
    var w = this, problems = this.validate(state);
    if (problems.length) {
      this.error.textContent = problems.join(" ");
      if (!this.state) state = fromPreset(this.presets[Object.keys(this.presets)[0]].settings);
      else return;
    }
    this.state = state;
    KEYS.forEach(function (k) {
      var input = w.inputs[k], value = String(state[k]);
      if (input.tagName === "SELECT" && !Array.prototype.some.call(input.options, function (o) { return o.value === value; })) {
        make("option", "", input, value).value = value;
      }
      input.value = value;
    });
    this.pause();
    this.reset();
    if (!quiet) this.saveState();
  };

  Widget.prototype.validate = function (s) {
    var problems = [];
    if (!CHOICES.data.some(function (c) { return c[0] === s.data; })) problems.push("Unknown data set " + s.data + ".");
    if (parseLayers(s.layers) === null) problems.push("Hidden layers: up to 6 widths of 1 to 16 units, such as 8-8 (or none).");
    if (ACTIVATIONS.indexOf(s.activation) < 0) problems.push("Unknown activation " + s.activation + ".");
    if (!CHOICES.optimizer.some(function (c) { return c[0] === s.optimizer; })) problems.push("Unknown optimizer " + s.optimizer + ".");
    function number(key, low, high, integer) {
      var v = Number(s[key]);
      if (!(v >= low && v <= high) || (integer && v !== Math.floor(v))) problems.push(LABELS[key] + " must be " +
        (integer ? "a whole number " : "") + "from " + low + " to " + high + ".");
    }
    number("points", 10, 1000, true);
    number("noise", 0, 1);
    number("test", 0.05, 0.9);
    number("rate", 1e-5, 10);
    number("batch", 0, 1000, true);
    number("l2", 0, 1);
    number("seed", 0, 99999, true);
    return problems;
  };

  Widget.prototype.changed = function (key) {
    var state = Object.assign({}, this.state);
    state[key] = this.inputs[key].value;
    var problems = this.validate(state);
    this.error.textContent = problems.join(" ");
    if (problems.length) return;  /* the run goes on; the reader's text stays to be corrected */
    this.apply(state);
  };

  /* The preset this state is, the preset whose data it uses, and the one whose weights. */
  Widget.prototype.match = function () {
    var s = this.state, found = { exact: null, data: null, net: null };
    for (var name in this.presets) {
      var p = fromPreset(this.presets[name].settings);
      if (!found.data && same(s, p, DATA_KEYS)) found.data = this.presets[name];
      if (found.data === this.presets[name] && !found.net && same(s, p, NET_KEYS)) found.net = this.presets[name];
      if (!found.exact && same(s, p, KEYS)) found.exact = this.presets[name];
    }
    return found;
  };

  Widget.prototype.saveState = function () {
    var query = new URLSearchParams(), s = this.state, exact = this.match().exact;
    if (exact) query.set("preset", exact.name);
    else KEYS.forEach(function (k) { query.set(k, s[k]); });
    history.replaceState(history.state, "", location.pathname + "?" + query.toString() + location.hash);
  };

  /* Data, weights and optimizer of the current settings, from epoch 0. */
  Widget.prototype.reset = function () {
    var s = this.state, found = this.match(), layers = parseLayers(s.layers);
    var sizes = [2].concat(layers, [1]);
    var x, y, xt, yt;
    if (found.data) {
      x = found.data.x_train; y = found.data.y_train; xt = found.data.x_test; yt = found.data.y_test;
    } else {
      var all = generate(s.data, Number(s.points), Number(s.noise), Number(s.seed));
      var order = shuffle(all.y.map(function (_, i) { return i; }), mulberry32(Number(s.seed) + 1));
      var held = Math.round(Number(s.test) * all.y.length);
      x = []; y = []; xt = []; yt = [];
      order.forEach(function (i, k) {
        (k < held ? xt : x).push(all.x[2 * i], all.x[2 * i + 1]);
        (k < held ? yt : y).push(all.y[i]);
      });
    }
    this.data = { x: Float64Array.from(x), y: Float64Array.from(y), xt: Float64Array.from(xt), yt: Float64Array.from(yt) };
    var weights = found.net ? found.net.weights : glorot(sizes, Number(s.seed));
    var opt = s.optimizer === "adam" ? { name: "adam", learning_rate: Number(s.rate) }
      : { name: "sgd", learning_rate: Number(s.rate), momentum: s.optimizer === "momentum" ? MOMENTUM : 0 };
    this.run = new Run({ sizes: sizes, activations: layers.map(function () { return s.activation; }).concat(["sigmoid"]),
                         weights: weights, optimizer: opt, x: this.data.x, y: this.data.y, batch: Number(s.batch),
                         l2: Number(s.l2), seed: Number(s.seed) });
    this.keras = found.exact;
    this.presetSelect.value = found.exact ? found.exact.name : "";
    this.curves = { train: [this.run.loss(this.data.x, this.data.y)], test: [this.run.loss(this.data.xt, this.data.yt)] };
    this.worst = 0;  /* largest difference from Keras's loss so far, over steps and epochs */
    this.timing = { epochs: 0, ms: 0 };
    this.bounds();
    this.buildUnits(sizes);
    this.legend.textContent = "";
    var w = this;
    [["train", "--b", ""], ["test", "--a", ""]].concat(this.keras ? [["Keras train", "--ink", "dashed"],
      ["Keras test", "--ink", "dotted"]] : []).forEach(function (item) {
      var span = make("span", item[2], w.legend, item[0] === "train" || item[0] === "test" ? "this page, " + item[0] : item[0]);
      span.style.setProperty("--c", "var(" + item[1] + ")");
    });
    this.draw();
    this.announce();
  };

  /* A square view of the data with a margin. */
  Widget.prototype.bounds = function () {
    var x = this.data.x, lo = [Infinity, Infinity], hi = [-Infinity, -Infinity];
    for (var i = 0; i < x.length; i++) {
      lo[i % 2] = Math.min(lo[i % 2], x[i]);
      hi[i % 2] = Math.max(hi[i % 2], x[i]);
    }
    var half = Math.max(hi[0] - lo[0], hi[1] - lo[1]) / 2 * 1.15 || 1;
    var cx = (lo[0] + hi[0]) / 2, cy = (lo[1] + hi[1]) / 2;
    this.view = { x0: cx - half, y0: cy - half, size: 2 * half };
    var grid = new Float64Array(2 * GRID * GRID);
    for (var r = 0; r < GRID; r++) {
      for (var c = 0; c < GRID; c++) {
        grid[2 * (r * GRID + c)] = this.view.x0 + (c + 0.5) / GRID * this.view.size;
        grid[2 * (r * GRID + c) + 1] = this.view.y0 + this.view.size - (r + 0.5) / GRID * this.view.size;
      }
    }
    this.grid = grid;
  };

  Widget.prototype.buildUnits = function (sizes) {
    this.units.textContent = "";
    this.unitCanvases = [];
    if (sizes.length <= 2) return;
    make("span", "nnbook-trainer-label", this.units, "What each hidden unit computes over the plane:");
    for (var l = 1; l < sizes.length - 1; l++) {
      var row = make("div", "", this.units), list = [];
      make("span", "", row, "layer " + l);
      for (var u = 0; u < sizes[l]; u++) {
        var c = make("canvas", "", row);
        c.width = c.height = GRID;
        c.setAttribute("role", "img");
        c.setAttribute("aria-label", "Layer " + l + ", unit " + (u + 1));
        list.push(c);
      }
      this.unitCanvases.push(list);
    }
  };

  Widget.prototype.epoch = function () {
    var start = performance.now(), run = this.run, first = run.stepLosses.length;
    run.epoch();
    this.timing.ms += performance.now() - start;
    this.timing.epochs++;
    this.curves.train.push(run.loss(this.data.x, this.data.y));
    this.curves.test.push(run.loss(this.data.xt, this.data.yt));
    if (this.keras) this.compare(first);
  };

  /* The largest difference between this page's losses and Keras's, over the steps Keras ran. */
  Widget.prototype.compare = function (first) {
    var k = this.keras, losses = this.run.stepLosses, e = this.curves.train.length - 1;
    for (var i = first; i < losses.length && i < k.steps.length; i++) this.worst = Math.max(this.worst, Math.abs(losses[i] - k.steps[i]));
    if (e < k.train_loss.length) {
      this.worst = Math.max(this.worst, Math.abs(this.curves.train[e] - k.train_loss[e]), Math.abs(this.curves.test[e] - k.test_loss[e]));
    }
  };

  Widget.prototype.toggle = function () {
    if (this.playing) return this.pause();
    this.playing = true;
    this.playButton.textContent = "Pause";
    this.playButton.setAttribute("aria-pressed", "true");
    var w = this;
    (function frame() {
      if (!w.playing || !w.el.isConnected) return w.pause();
      /* one epoch per frame, up to EPOCHS_PER_FRAME while they take less than BUDGET ms: slow
         frames (a busy machine) do not slow the training down below what can be watched */
      var until = performance.now() + BUDGET, count = 0;
      do w.epoch(); while (++count < EPOCHS_PER_FRAME && performance.now() < until);
      w.draw();
      w.frame = requestAnimationFrame(frame);
    })();
  };

  Widget.prototype.pause = function () {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    if (!this.playing) return;
    this.playing = false;
    this.playButton.textContent = "Train";
    this.playButton.setAttribute("aria-pressed", "false");
    this.announce();
  };

  /* The palette's colours, read again when the reader switches it (see `retheme`). */
  Widget.prototype.colors = function () {
    if (this.palette) return this.palette;
    var style = getComputedStyle(this.el);
    function get(name) { return style.getPropertyValue(name).trim(); }
    var c = { a: get("--a"), b: get("--b"), mid: get("--mid"), ink: get("--ink"), line: get("--line") };
    c.rgb = { a: hex(c.a), b: hex(c.b), mid: hex(c.mid) };
    return (this.palette = c);
  };

  /* The surface, each hidden layer's units, the curves. The first drawing after the presets load
     runs them one task each, so no task holds the page for long while it is still loading. */
  Widget.prototype.draw = function () {
    var w = this, c = this.colors(), pass = this.run.net.forward(this.grid, GRID * GRID), out = pass.outputs, rgb = c.rgb;
    var act = this.state.activation, sliced = this.firstDraw, token = this.drawing = (this.drawing || 0) + 1;
    this.firstDraw = false;
    var steps = [function () {
      paint(w.surface, out[out.length - 1], 0, 1, rgb);
      w.points(c);
    }];
    this.unitCanvases.forEach(function (canvases, l) {
      steps.push(function () {
        var units = w.run.net.sizes[l + 1], values = out[l + 1];
        for (var u = 0; u < units; u++) {
          var column = new Float64Array(GRID * GRID), top = 0;
          for (var i = 0; i < column.length; i++) { column[i] = values[i * units + u]; top = Math.max(top, Math.abs(column[i])); }
          /* zero (sigmoid: one half) is the neutral colour; the largest output over the plane is full blue */
          var hi = act === "sigmoid" ? 1 : Math.max(top, 1e-9), lo = act === "sigmoid" ? 0 : -hi;
          paint(canvases[u], column, lo, hi, rgb);
        }
      });
    });
    steps.push(function () { w.plotCurves(c); w.describe(); });
    if (!sliced) return steps.forEach(function (step) { step(); });
    (function next(i) {
      if (i === steps.length || token !== w.drawing) return;  /* a newer drawing replaces this one */
      steps[i]();
      setTimeout(next, 0, i + 1);
    })(0);
  };

  /* Values between lo and hi on a canvas of GRID x GRID: class 0's colour at lo, class 1's at hi. */
  function paint(canvas, values, lo, hi, rgb) {
    var ctx = canvas.getContext("2d"), image = ctx.createImageData(GRID, GRID), d = image.data;
    for (var i = 0; i < GRID * GRID; i++) {
      var t = Math.max(0, Math.min(1, (values[i] - lo) / (hi - lo))) * 2 - 1, end = t < 0 ? rgb.a : rgb.b, s = Math.abs(t) * 0.75;
      for (var k = 0; k < 3; k++) d[4 * i + k] = rgb.mid[k] + (end[k] - rgb.mid[k]) * s;
      d[4 * i + 3] = 255;
    }
    if (canvas.width === GRID) return ctx.putImageData(image, 0, 0);
    var small = paint.small || (paint.small = document.createElement("canvas"));
    small.width = small.height = GRID;
    small.getContext("2d").putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
  }

  Widget.prototype.points = function (c) {
    var ctx = this.surface.getContext("2d"), v = this.view, size = this.surface.width, d = this.data;
    function dot(x, y, label, test) {
      var px = (x - v.x0) / v.size * size, py = (1 - (y - v.y0) / v.size) * size;
      ctx.beginPath();
      ctx.arc(px, py, test ? 5 : 6, 0, 2 * Math.PI);
      ctx.fillStyle = test ? c.mid : label ? c.b : c.a;
      ctx.strokeStyle = test ? (label ? c.b : c.a) : c.mid;
      ctx.lineWidth = test ? 2.5 : 1.2;
      ctx.fill();
      ctx.stroke();
    }
    for (var i = 0; i < d.y.length; i++) dot(d.x[2 * i], d.x[2 * i + 1], d.y[i], false);
    for (var j = 0; j < d.yt.length; j++) dot(d.xt[2 * j], d.xt[2 * j + 1], d.yt[j], true);
  };

  Widget.prototype.plotCurves = function (c) {
    var ctx = this.chart.getContext("2d"), W = this.chart.width, H = this.chart.height, k = this.keras;
    var series = [[this.curves.train, c.b, []], [this.curves.test, c.a, []]];
    if (k) series.push([k.train_loss, c.ink, [12, 12]], [k.test_loss, c.ink, [3, 9]]);  /* on top: where they
                                                                                           coincide, dashes on a line */
    var epochs = Math.max(10, this.curves.train.length - 1, k ? k.train_loss.length - 1 : 0), top = 0;
    series.forEach(function (s) { for (var i = 0; i < s[0].length; i++) top = Math.max(top, Math.min(s[0][i], 3)); });
    var tick = [0.05, 0.1, 0.2, 0.25, 0.5, 1].filter(function (t) { return top / t <= 5; })[0] || 1;
    var ticks = Math.max(1, Math.ceil(top / tick - 1e-9));
    top = ticks * tick;
    var left = 80, bottom = 50, pw = W - left - 16, ph = H - bottom - 16;
    ctx.clearRect(0, 0, W, H);
    ctx.font = "22px sans-serif";
    ctx.fillStyle = c.ink;
    ctx.strokeStyle = c.line;
    ctx.lineWidth = 1;
    ctx.setLineDash([]);
    ctx.textAlign = "right";
    for (var g = 0; g <= ticks; g++) {
      var y = 16 + ph - g / ticks * ph;
      ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(left + pw, y); ctx.stroke();
      ctx.fillText((tick * g).toFixed(tick < 0.1 ? 2 : 1), left - 8, y + 7);
    }
    ctx.textAlign = "center";
    ctx.fillText("epoch (0 to " + epochs + ")", left + pw / 2, H - 12);
    ctx.save();
    ctx.translate(16, 16 + ph / 2); ctx.rotate(-Math.PI / 2); ctx.fillText("loss", 0, 0);
    ctx.restore();
    series.forEach(function (s) {
      var values = s[0];
      ctx.strokeStyle = s[1];
      ctx.lineWidth = s[2].length ? 2 : 5;
      ctx.setLineDash(s[2]);
      ctx.beginPath();
      for (var i = 0; i < values.length; i++) {
        var x = left + i / epochs * pw, yy = 16 + ph - Math.min(values[i], top) / top * ph;
        if (i) ctx.lineTo(x, yy); else ctx.moveTo(x, yy);
      }
      ctx.stroke();
    });
    ctx.setLineDash([]);
  };

  function num(v) { return v < 1e-3 && v > 0 ? v.toExponential(1) : v.toFixed(3); }

  Widget.prototype.describe = function () {
    var e = this.curves.train.length - 1, rate = this.timing.ms ? this.timing.epochs / this.timing.ms * 1000 : 0;
    this.surface.setAttribute("aria-label", "Decision surface after epoch " + e + ": class 1 where blue, class 0 where orange; " +
      "filled dots are training points, rings test points");
    this.status.textContent = "Epoch " + e + " · train loss " + num(this.curves.train[e]) + " · test loss " +
      num(this.curves.test[e]) + (rate ? " · " + Math.round(rate) + " epochs per second of computing" : "");
    var k = this.keras, text = "";
    if (k) {
      var ke = Math.min(e, k.train_loss.length - 1);
      text = "Keras trained this preset for " + (k.train_loss.length - 1) + " epochs from the same weights, data and batch order" +
        (e ? "; the largest difference from its loss so far is " + (this.worst ? this.worst.toExponential(1) : "0") +
             (e > ke ? " (over the " + ke + " epochs it ran)" : "") : "") + ".";
    } else {
      text = "Your own settings: no Keras run to compare with (pick a preset for one).";
    }
    this.agreement.textContent = text;
  };

  Widget.prototype.announce = function () {
    this.status.setAttribute("aria-live", this.playing ? "off" : "polite");
  };

  /* -- pages ---------------------------------------------------------------------------- */

  var widgets = [];
  var loads = {};
  function presetsFrom(url) {
    if (!loads[url]) {
      loads[url] = fetch(url).then(function (response) {
        if (!response.ok) throw new Error(url + " answered " + response.status);
        return response.arrayBuffer();
      }).then(parseAsset);
      loads[url].catch(function () { delete loads[url]; });
    }
    return loads[url];
  }
  ns.trainer.presets = function () {
    var el = document.querySelector(".nnbook-trainer");
    return el ? presetsFrom(base + el.dataset.nnbookAsset) : Promise.reject(new Error("no training widget on this page"));
  };
  ns.trainer.widgets = function () { return widgets.slice(); };

  function start(widget) {
    presetsFrom(widget.asset).then(function (presets) {
      setTimeout(function () { widget.loaded(presets); }, 0);  /* a task of its own, apart from the decoding */
    }, function (error) {
      widget.status.textContent = "The presets could not be loaded: " + error.message;
    });
  }

  var watcher = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (!entry.isIntersecting) return;
      watcher.unobserve(entry.target);
      start(entry.target.nnbookTrainer);
    });
  }, { rootMargin: NEAR }) : null;

  function setup() {
    addStyle();
    widgets = widgets.filter(function (w) {
      if (!w.el.isConnected) w.pause();
      return w.el.isConnected;
    });
    document.querySelectorAll(".nnbook-trainer:not([data-nnbook-ready])").forEach(function (el) {
      el.setAttribute("data-nnbook-ready", "1");
      var widget = el.nnbookTrainer = new Widget(el);
      widgets.push(widget);
      if (watcher) watcher.observe(el);
      else start(widget);
    });
  }

  /* A link to another state of the widget on its own page applies the state in place. */
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[href]"), widget = widgets[0];
    if (!link || !widget || !widget.presets || event.ctrlKey || event.metaKey || event.shiftKey || event.button) return;
    var url = new URL(link.href, location.href);
    if (url.origin !== location.origin || url.pathname !== location.pathname || !url.search) return;
    event.preventDefault();
    event.stopPropagation();
    history.pushState(history.state, "", url.pathname + url.search + url.hash);
    widget.fromAddress();
    widget.el.scrollIntoView({ block: "start", behavior: "smooth" });
  }, true);
  window.addEventListener("popstate", function () {
    widgets.forEach(function (w) { if (w.presets && w.el.isConnected) w.fromAddress(); });
  });

  new MutationObserver(function () {
    widgets.forEach(function (w) { w.palette = null; if (w.run) w.draw(); });
  }).observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });
  if (window.document$ && window.document$.subscribe) window.document$.subscribe(setup);
  else if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
