'use strict';
// GAN Playground's plotly.js: the core (which includes scatter) and only the trace types the app's live charts
// draw. playground/ui.py LIVE_TRACE_TYPES must list the same set; a test checks it in Chromium.
var Plotly = require('plotly.js/lib/core');

Plotly.register([
    require('plotly.js/lib/bar'),
    require('plotly.js/lib/heatmap'),
    require('plotly.js/lib/contour'),
    require('plotly.js/lib/histogram'),
    require('plotly.js/lib/scattergl'),
]);

module.exports = Plotly;
