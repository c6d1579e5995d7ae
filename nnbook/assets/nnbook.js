/* Draws the figures nnbook embeds, after direct loads and Material's instant navigation,
   and re-themes them when the reader switches between the light and dark palettes. */
(function () {
  "use strict";
  if (window.nnbook) return;

  var THEMES = {
    /* plotly.js draws the active menu button near-white whatever the theme, so menus keep dark text */
    light: { paper: "#ffffff", plot: "#ffffff", font: "#1f2329", grid: "#e3e6ea", line: "#9aa3ad", menu: "#f3f4f6",
             menuFont: "#1f2329", hover: "#f3f4f6" },
    dark: { paper: "#1e2029", plot: "#1e2029", font: "#e2e4e9", grid: "#383c4a", line: "#7a8090", menu: "#b9bdc9",
            menuFont: "#1f2329", hover: "#2e303e" }
  };
  var plotlyRules = null; /* plotly.js's global style rules, which instant navigation drops */

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

  /* On a narrow screen a legend above the plot wraps into the menus and titles: put it below
     the x-axis title instead, where plotly.js grows the margin to fit it. */
  function fitLegend(el, layout) {
    if (el.clientWidth >= 600 || layout.sliders || layout.showlegend === false || !layout.margin) return;
    var plotHeight = (layout.height || 440) - layout.margin.t - layout.margin.b;
    layout.legend = Object.assign({}, layout.legend, { y: -Math.min(0.5, 62 / plotHeight), yanchor: "top" });
    if (!layout.updatemenus && !layout.annotations) layout.margin.t = Math.min(layout.margin.t, 30);
  }

  function draw() {
    if (!window.Plotly) return;
    saveRules();
    restoreRules();
    var name = scheme();
    document.querySelectorAll(".nnbook-plot").forEach(function (el) {
      if (el.getAttribute("data-nnbook-drawn")) {
        window.Plotly.Plots.resize(el);
        return;
      }
      var spec = JSON.parse(el.nextElementSibling.content.textContent);
      var layout = applyUpdate(spec.layout, themeLayout(spec.layout, name));
      layout.autosize = true;
      fitLegend(el, layout);
      el.setAttribute("data-nnbook-drawn", "1");
      window.Plotly.newPlot(el, spec.data, layout, { responsive: true, displaylogo: false }).then(function () {
        el.setAttribute("data-nnbook-theme", name);
        saveRules();
      });
    });
  }

  function retheme() {
    var name = scheme();
    document.querySelectorAll(".nnbook-plot[data-nnbook-drawn]").forEach(function (el) {
      if (el.getAttribute("data-nnbook-theme") === name || !el.layout) return;
      window.Plotly.relayout(el, themeLayout(el.layout, name)).then(function () {
        el.setAttribute("data-nnbook-theme", name);
      });
    });
  }

  window.nnbook = { draw: draw, retheme: retheme };
  new MutationObserver(retheme).observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });
  if (window.document$ && window.document$.subscribe) {
    window.document$.subscribe(draw); /* Material: every page, direct or instant */
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
