// The plotly.js the site serves: the core (which holds the scatter trace, menus and sliders)
// and the trace types the book's figures draw. `make plotly-bundle` builds
// plotly-nnbook.min.js from it; nnbook/render.py's PLOTLY_TRACE_TYPES names the same types.
var Plotly = require('plotly.js/lib/core');

Plotly.register([
    require('plotly.js/lib/bar'),
    require('plotly.js/lib/contour'),
    require('plotly.js/lib/heatmap'),
]);

module.exports = Plotly;
