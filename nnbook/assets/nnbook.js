/* Draws the figures nnbook embeds, after direct loads and Material's instant navigation,
   re-themes them when the reader switches between the light and dark palettes, and lets the
   keyboard work their menus and sliders.

   Nothing heavy loads with the page: plotly.js and each figure's data (a static JSON file
   named by its content hash) are fetched only when a figure comes near the viewport, so a
   page without figures never loads plotly.js and a page with figures paints like plain text.
   Until the reader scrolls, taps or types, only figures in view are drawn; from then on each
   figure starts well before it scrolls into view, so the reader never meets an empty box. */
(function () {
  "use strict";
  if (window.nnbook) return;

  var script = document.currentScript;
  var BASE = script ? script.src.replace(/[^/]*$/, "") : ""; /* .../assets/nnbook/ */
  var PLOTLY = BASE + "vendor/plotly-nnbook.min.js"; /* served by nnbook/plugin.py */
  var LIVE = { ".nnbook-live": BASE + "live.js", ".nnbook-trainer": BASE + "trainer.js" }; /* live widgets' scripts,
                                          loaded by pages that have one: drawing pads, the training widget */
  var NEAR = "1500px 0px"; /* once the reader moves, start a figure this far before it scrolls into view */

  var THEMES = {
    /* plotly.js draws the active and the hovered menu button near-white whatever the theme:
       nnbook.css darkens them in the dark palette */
    light: { paper: "#ffffff", plot: "#ffffff", font: "#1f2329", grid: "#e3e6ea", line: "#9aa3ad", menu: "#f3f4f6",
             menuFont: "#1f2329", hover: "#f3f4f6" },
    dark: { paper: "#1e2029", plot: "#1e2029", font: "#e2e4e9", grid: "#383c4a", line: "#7a8090", menu: "#2e3140",
            menuFont: "#e2e4e9", hover: "#2e303e" }
  };
  var plotlyRules = null; /* plotly.js's global style rules, which instant navigation drops */
  var plotlyLoaded = null; /* a promise of window.Plotly, made on first need */
  var queue = Promise.resolve(); /* figures are drawn one per task, so no task blocks for long */
  var observer = null;
  var engaged = false; /* the reader has scrolled, tapped or typed */

  function scheme() {
    var body = document.body;
    return body && body.getAttribute("data-md-color-scheme") === "slate" ? "dark" : "light";
  }

  function themeLayout(layout, name) {
    var t = THEMES[name];
    var update = {
      paper_bgcolor: t.paper, plot_bgcolor: t.plot, "font.color": t.font,
      "legend.bgcolor": "rgba(0,0,0,0)", "hoverlabel.bgcolor": t.hover, "hoverlabel.font.color": t.font
    };
    Object.keys(layout).forEach(function (key) {
      if (/^[xy]axis\d*$/.test(key)) {
        update[key + ".gridcolor"] = t.grid;
        update[key + ".linecolor"] = t.line;
        update[key + ".zerolinecolor"] = t.line;
      } else if (/^scene\d*$/.test(key)) {
        ["xaxis", "yaxis", "zaxis"].forEach(function (a) {
          update[key + "." + a + ".gridcolor"] = t.grid;
          update[key + "." + a + ".backgroundcolor"] = t.plot;
        });
      }
    });
    (layout.updatemenus || []).forEach(function (_, i) {
      update["updatemenus[" + i + "].bgcolor"] = t.menu;
      update["updatemenus[" + i + "].bordercolor"] = t.line;
      update["updatemenus[" + i + "].font.color"] = t.menuFont;
    });
    (layout.sliders || []).forEach(function (_, i) {
      update["sliders[" + i + "].bgcolor"] = t.menu;
      update["sliders[" + i + "].bordercolor"] = t.line;
      update["sliders[" + i + "].font.color"] = t.font;
      update["sliders[" + i + "].currentvalue.font.color"] = t.font;
    });
    return update;
  }

  /* Error bars of bar charts, which plotly.js draws dark grey unless told (invisible on the dark
     palette), take the palette's ink, and a width that shows. */
  function inkTraces(data) {
    var found = [];
    data.forEach(function (trace, i) {
      var bars = (trace.type === "bar" || trace.type === "histogram");
      ["error_y", "error_x"].forEach(function (key) {
        if (bars && trace[key] && trace[key].visible !== false && (trace[key].array || trace[key].value) &&
            (!trace[key].color || trace[key].nnbookInk)) {
          trace[key].nnbookInk = true;
          if (found.indexOf(i) < 0) found.push(i);
        }
      });
    });
    return found;
  }

  function themeInk(el, data, name) {
    var ink = THEMES[name].font;
    inkTraces(data).forEach(function (i) {
      ["error_y", "error_x"].forEach(function (key) {
        if (data[i][key] && data[i][key].nnbookInk) {
          data[i][key].color = ink;
          data[i][key].thickness = Math.max(data[i][key].thickness || 0, 1.5);
        }
      });
    });
    return data;
  }

  function applyUpdate(layout, update) {
    Object.keys(update).forEach(function (path) {
      var parts = path.replace(/\[(\d+)\]/g, ".$1").split(".");
      var node = layout;
      for (var i = 0; i < parts.length - 1; i++) {
        if (node[parts[i]] === undefined) node[parts[i]] = {};
        node = node[parts[i]];
      }
      node[parts[parts.length - 1]] = update[path];
    });
    return layout;
  }

  function saveRules() {
    var el = document.getElementById("plotly.js-style-global");
    if (plotlyRules || !el || !el.sheet || !el.sheet.cssRules.length) return;
    plotlyRules = Array.prototype.map.call(el.sheet.cssRules, function (r) { return r.cssText; }).join("\n");
  }

  function restoreRules() {
    var el = document.getElementById("plotly.js-style-global");
    if (!plotlyRules || (el && el.sheet && el.sheet.cssRules.length)) return;
    if (el) el.remove();
    var style = document.createElement("style");
    style.id = "plotly.js-style-global";
    style.textContent = plotlyRules;
    document.head.appendChild(style);
  }

  function loadPlotly() {
    if (!plotlyLoaded) {
      plotlyLoaded = new Promise(function (resolve, reject) {
        if (window.Plotly) return resolve(window.Plotly);
        var tag = document.createElement("script");
        tag.src = PLOTLY;
        tag.async = true;
        tag.onload = function () { saveRules(); setTimeout(resolve, 0, window.Plotly); }; /* draw in a task of its own */
        tag.onerror = function () { plotlyLoaded = null; reject(new Error("plotly.js did not load")); };
        document.head.appendChild(tag);
      });
    }
    return plotlyLoaded;
  }

  function fetchSpec(el) {
    return fetch(BASE + "figures/" + el.getAttribute("data-nnbook-spec") + ".json").then(function (response) {
      if (!response.ok) throw new Error("figure data: HTTP " + response.status);
      return response.text();
    });
  }

  /* On a phone, the figure's narrow variant (nnbook/figures/style.py): panels stacked, legend
     below, heights that follow; the page reserved its height (nnbook.css). */
  var NARROW = window.matchMedia ? window.matchMedia("(max-width: 639px)") : { matches: false };

  function fitWidth(spec) {
    var narrow = spec.layout.meta && spec.layout.meta.nnbook && spec.layout.meta.nnbook.narrow;
    if (!NARROW.matches || !narrow) return;
    applyUpdate(spec.layout, narrow.layout);
    Object.keys(narrow.traces).forEach(function (i) {
      if (spec.data[i]) applyUpdate(spec.data[i], narrow.traces[i]);
    });
  }

  function nextTask() {
    return new Promise(function (resolve) { setTimeout(resolve, 0); });
  }

  var CONFIG = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"] };

  function plot(el, text) {
    if (!el.isConnected) return null; /* the reader navigated away meanwhile */
    restoreRules();
    el.nnbookText = text; /* parsed again should the screen cross the narrow width */
    el.nnbookNarrow = NARROW.matches;
    var spec = JSON.parse(text);
    fitWidth(spec);
    var box = el.closest(".nnbook-figure");
    if (box) box.style.contentVisibility = "visible"; /* laid out from now on: plotly.js measures it */
    var name = scheme();
    var layout = applyUpdate(spec.layout, themeLayout(spec.layout, name));
    layout.autosize = true;
    return window.Plotly.newPlot(el, themeInk(el, spec.data, name), layout, CONFIG).then(function () {
      el.setAttribute("data-nnbook-theme", name);
      el.removeAttribute("aria-busy");
      keyboardControls(el);
      if (scheme() !== name) retheme(); /* the palette changed while it was being drawn */
    });
  }

  /* plotly.js's menus and sliders answer only the mouse. Each one becomes a single tab stop that
     arrow keys, Home and End move through its options, running the option as a click would
     (plotly.js's own method and arguments), then marking it active. */
  var CONTROLS = { updatemenus: "g.updatemenu-header-group", sliders: "g.slider-group" };

  function optionsOf(el, kind, index) {
    var item = el.layout[kind][index];
    return { item: item, list: (kind === "sliders" ? item.steps : item.buttons) || [] };
  }

  function activeOf(item) {
    return typeof item.active === "number" && item.active >= 0 ? item.active : 0;
  }

  function controlsOf(el) {
    var found = [];
    Object.keys(CONTROLS).forEach(function (kind) {
      el.querySelectorAll(CONTROLS[kind]).forEach(function (g, order) {
        var index = g.__data__ && typeof g.__data__._index === "number" ? g.__data__._index : order; /* plotly's datum */
        if (el.layout[kind] && el.layout[kind][index]) found.push({ g: g, kind: kind, index: index });
      });
    });
    return found;
  }

  function describe(el) {
    controlsOf(el).forEach(function (c) {
      var o = optionsOf(el, c.kind, c.index);
      var at = Math.min(activeOf(o.item), o.list.length - 1);
      var slider = c.kind === "sliders";
      var prefix = slider && o.item.currentvalue && o.item.currentvalue.prefix;
      c.g.setAttribute("tabindex", "0");
      c.g.setAttribute("role", slider ? "slider" : "spinbutton");
      c.g.setAttribute("aria-label", slider ? (prefix || "step").replace(/[:\s]+$/, "") : o.item.name || "figure view");
      c.g.setAttribute("aria-valuemin", "0");
      c.g.setAttribute("aria-valuemax", String(o.list.length - 1));
      c.g.setAttribute("aria-valuenow", String(at));
      c.g.setAttribute("aria-valuetext", at >= 0 ? String(o.list[at].label) : "");
      c.g.setAttribute("data-nnbook-control", c.kind + ":" + c.index);
    });
  }

  function choose(el, kind, index, k) {
    var option = optionsOf(el, kind, index).list[k];
    var P = window.Plotly;
    var active = {};
    active[kind + "[" + index + "].active"] = k;
    var run = option.method && option.method !== "skip" ? P[option.method].apply(P, [el].concat(option.args || [])) : null;
    return Promise.resolve(run).then(function () { return P.relayout(el, active); }).then(function () {
      var again = el.querySelector('[data-nnbook-control="' + kind + ":" + index + '"]');
      if (again && document.activeElement !== again) again.focus(); /* plotly.js redrew the control */
    });
  }

  function target(key, at, count) {
    var big = Math.max(1, Math.ceil(count / 10));
    var step = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1, PageUp: big, PageDown: -big }[key];
    if (key === "Home") return 0;
    if (key === "End") return count - 1;
    return step === undefined ? null : Math.max(0, Math.min(count - 1, at + step));
  }

  function onControlKey(event) {
    var g = event.target.closest && event.target.closest("[data-nnbook-control]");
    var answered = target(event.key, 0, 2) !== null; /* a key the controls answer */
    if (!g || event.altKey || event.ctrlKey || event.metaKey || !answered) return;
    event.preventDefault(); /* the keys would otherwise scroll the page */
    var el = g.closest(".nnbook-plot");
    var where = g.getAttribute("data-nnbook-control").split(":");
    el.nnbookKeys = (el.nnbookKeys || Promise.resolve()).then(function () { /* keys pressed quickly apply in order */
      var o = optionsOf(el, where[0], Number(where[1]));
      var at = activeOf(o.item);
      var to = target(event.key, at, o.list.length);
      if (to !== at) return choose(el, where[0], Number(where[1]), to);
    }).catch(function (error) { console.error(error); });
  }

  function keyboardControls(el) {
    describe(el);
    if (!el.nnbookKeyed) el.addEventListener("keydown", onControlKey); /* once: a redraw keeps it */
    el.nnbookKeyed = true;
    ["plotly_buttonclicked", "plotly_sliderchange", "plotly_relayout"].forEach(function (name) {
      el.on(name, function () { describe(el); }); /* the mouse or the keys moved them */
    });
  }

  function failed(el, error) {
    el.removeAttribute("aria-busy");
    el.classList.add("nnbook-plot--failed");
    el.textContent = "This interactive figure could not be loaded (" + error.message + "); its data is in the table below.";
  }

  /* Start one figure: its data and plotly.js load in parallel; drawing waits its turn. */
  function draw(el) {
    if (el.getAttribute("data-nnbook-drawn")) return;
    el.setAttribute("data-nnbook-drawn", "1");
    el.setAttribute("aria-busy", "true");
    var ready = Promise.all([fetchSpec(el), loadPlotly()]);
    queue = queue.then(function () { return ready; }).then(function (got) {
      return plot(el, got[0]);
    }).catch(function (error) { failed(el, error); }).then(nextTask);
  }

  function watch() {
    if (observer) observer.disconnect();
    var plots = document.querySelectorAll(".nnbook-plot[data-nnbook-spec]:not([data-nnbook-drawn])");
    if (!plots.length) return;
    if (!("IntersectionObserver" in window)) return plots.forEach(draw);
    observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (!entry.isIntersecting) return;
        observer.unobserve(entry.target);
        draw(entry.target);
      });
    }, { rootMargin: engaged ? NEAR : "0px" });
    plots.forEach(function (el) { observer.observe(el); });
  }

  function engage() {
    if (engaged) return;
    engaged = true;
    ["scroll", "keydown", "pointerdown", "touchstart"].forEach(function (type) {
      window.removeEventListener(type, engage, true);
    });
    watch();
  }

  function drawAll() {
    document.querySelectorAll(".nnbook-plot[data-nnbook-spec]").forEach(draw);
    return queue;
  }

  /* A phone turned sideways, a window resized across the narrow width: each figure takes the
     other layout. */
  function refit() {
    document.querySelectorAll(".nnbook-plot[data-nnbook-theme]").forEach(function (el) {
      if (el.nnbookText && el.nnbookNarrow !== NARROW.matches) {
        queue = queue.then(function () { return plot(el, el.nnbookText); }).catch(function (error) {
          console.error(error);
        }).then(nextTask);
      }
    });
  }

  function retheme() {
    var name = scheme();
    document.querySelectorAll(".nnbook-plot[data-nnbook-theme]").forEach(function (el) {
      if (el.getAttribute("data-nnbook-theme") === name || !el.layout) return;
      var inked = inkTraces(el.data);
      if (inked.length) {
        var ink = THEMES[name].font;
        window.Plotly.restyle(el, { "error_y.color": ink, "error_x.color": ink }, inked);
      }
      window.Plotly.relayout(el, themeLayout(el.layout, name)).then(function () {
        el.setAttribute("data-nnbook-theme", name);
      });
    });
  }

  /* A table wider than the page scrolls sideways: keyboard readers must be able to reach it.
     Off screen a table is not laid out (nnbook.css) and cannot overflow, so each is measured now
     and again whenever the browser starts rendering it; inside a figure's data <details> only
     once the reader opens it. */
  function measure(el) {
    if (el.scrollWidth > el.clientWidth) el.setAttribute("tabindex", "0");
  }

  function focusableScrollers(root) {
    root.querySelectorAll(".md-typeset__scrollwrap:not([tabindex])").forEach(function (el) {
      if (el.closest("details:not([open])")) return;
      if ("oncontentvisibilityautostatechange" in el && !el.nnbookWatched) {
        el.nnbookWatched = true;
        el.addEventListener("contentvisibilityautostatechange", function (event) {
          if (!event.skipped && !el.hasAttribute("tabindex")) requestAnimationFrame(function () { measure(el); });
        });
      }
      measure(el);
    });
  }

  function whenIdle(task) {
    if ("requestIdleCallback" in window) window.requestIdleCallback(task, { timeout: 1000 });
    else setTimeout(task, 200);
  }

  function loadLive(src) {
    if (document.querySelector('script[src="' + src + '"]')) return;
    var tag = document.createElement("script");
    tag.src = src;
    document.head.appendChild(tag);
  }

  function onPage() {
    restoreRules();
    watch();
    Object.keys(LIVE).forEach(function (selector) { if (document.querySelector(selector)) loadLive(LIVE[selector]); });
    whenIdle(function () { focusableScrollers(document); }); /* after Material has wrapped the tables */
  }

  window.nnbook = { draw: drawAll, retheme: retheme };
  ["scroll", "keydown", "pointerdown", "touchstart"].forEach(function (type) {
    window.addEventListener(type, engage, { capture: true, passive: true });
  });
  if (NARROW.addEventListener) NARROW.addEventListener("change", refit);
  new MutationObserver(retheme).observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });
  document.addEventListener("toggle", function (event) { /* toggle does not bubble: captured */
    if (event.target.open) focusableScrollers(event.target);
  }, true);
  if (window.document$ && window.document$.subscribe) {
    window.document$.subscribe(onPage); /* Material: every page, direct or instant */
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", onPage);
  } else {
    onPage();
  }
})();
